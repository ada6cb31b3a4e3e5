"""The council's KPI files (``data/kpi/``, described in ``data/kpi/README.md``) and the
special-cause rules of their control charts (``parameters/spc.yml``), read and validated.

``kpi_definitions``  one row per KPI: name, directorate, priority, unit, polarity, target, tolerance
``kpi_values``       one row per KPI and period, each with its source (real or synthetic)
``directorate_actions``  one row per action and quarter: status and progress narrative
``kpi_exceptions``   one row per KPI and period: the exception report's three narratives

Periods are financial-year quarters (``2022-23 Q2``) or months (``2022-09``), as
:mod:`jsna.inputs.periods` says; targets are one per KPI (the current target) and apply to every
period. Scoring is :mod:`jsna.stats.targets`; the tables the pages read are computed by
:mod:`jsna.compute.performance`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from jsna.config import ROOT
from jsna.errors import DataError
from jsna.inputs.periods import (
    EXAMPLE,
    FREQUENCIES,
    is_period,
    period_order,
    quarter_parts,
)
from jsna.inputs.tables import Column, Table, find_table_file, read_table
from jsna.inputs.yamlfile import read_yaml
from jsna.stats.spc import SpcRules
from jsna.stats.targets import POLARITIES, TOLERANCE_BASES

DEFAULT_FOLDER = ROOT / "data" / "kpi"
UNITS = ("%", "GBP", "number")
ACTION_STATUSES = ("complete", "ahead", "on target", "behind", "not updated")
#: The ``source`` of every invented value row.
SYNTHETIC = "synthetic demonstration history"

_TEXT = "str"

DEFINITIONS = Table(
    "kpi_definitions",
    (
        Column("kpi_id", _TEXT),
        Column("kpi_name", _TEXT),
        Column("directorate", _TEXT),
        Column("council_priority", _TEXT),
        Column("unit", _TEXT, allowed=UNITS),
        Column("decimals", "int", minimum=0, maximum=6),
        Column("polarity", _TEXT, allowed=POLARITIES),
        Column("target", "float"),
        Column("tolerance", "float", minimum=0),
        Column("tolerance_basis", _TEXT, allowed=TOLERANCE_BASES),
        Column("benchmark", _TEXT, nullable=True),
        Column("frequency", _TEXT, allowed=FREQUENCIES),
        Column("source", _TEXT),
    ),
    key=("kpi_id",),
    description="one row per KPI: what it measures, who owns it, which way is good, "
    "its target and tolerance",
)
VALUES = Table(
    "kpi_values",
    (
        Column("kpi_id", _TEXT),
        Column("period", _TEXT),
        Column("value", "float"),
        Column("source", _TEXT),
    ),
    key=("kpi_id", "period"),
    description="one row per KPI and period; a period without a row is missing",
)
ACTIONS = Table(
    "directorate_actions",
    (
        Column("reference", _TEXT),
        Column("title", _TEXT),
        Column("directorate", _TEXT),
        Column("period", _TEXT),
        Column("status", _TEXT, allowed=ACTION_STATUSES),
        Column("progress", _TEXT, nullable=True),
        Column("source", _TEXT),
    ),
    key=("reference", "period"),
    description="directorate plan actions: status and progress narrative each quarter",
)
EXCEPTIONS = Table(
    "kpi_exceptions",
    (
        Column("kpi_id", _TEXT),
        Column("period", _TEXT),
        Column("performance", _TEXT),
        Column("impact", _TEXT),
        Column("assurance", _TEXT),
        Column("source", _TEXT),
    ),
    key=("kpi_id", "period"),
    description="exception reports: what the data is telling us, the impact, the assurance",
)
TABLES = (DEFINITIONS, VALUES, ACTIONS, EXCEPTIONS)


@dataclass(frozen=True)
class KPIData:
    """The four validated KPI tables and the folder they came from."""

    folder: Path
    definitions: pd.DataFrame
    values: pd.DataFrame
    actions: pd.DataFrame
    exceptions: pd.DataFrame


def _fail(path: Path, problem, rows, column: str) -> None:
    """Raise for the first True of ``rows``: ``problem(i)`` describes row ``i`` (0-based)."""
    bad = np.flatnonzero(np.asarray(rows, bool))
    if len(bad):
        i = int(bad[0])
        more = (
            f" ({len(bad) - 1} more row(s) with the same problem)"
            if len(bad) > 1
            else ""
        )
        raise DataError(path, problem(i) + more, row=i + 1, column=column)


def _check_known_kpi(
    path: Path, df: pd.DataFrame, definitions: pd.DataFrame
) -> pd.DataFrame:
    """Every kpi_id is defined; returns the definition of each row."""
    ids = df["kpi_id"]
    _fail(
        path,
        lambda i: f"{ids.iloc[i]!r} is not a KPI in {DEFINITIONS.name}.csv",
        ~ids.isin(definitions["kpi_id"]),
        "kpi_id",
    )
    return definitions.set_index("kpi_id").loc[ids].reset_index()


def _check_periods(path: Path, df: pd.DataFrame, frequency: pd.Series) -> None:
    periods, ids = df["period"], df["kpi_id"]
    ok = [is_period(p, f) for p, f in zip(periods, frequency, strict=True)]
    _fail(
        path,
        lambda i: (
            f"{periods.iloc[i]!r} is not a {frequency.iloc[i]} period for {ids.iloc[i]} "
            f"({frequency.iloc[i]} periods are written like {EXAMPLE[frequency.iloc[i]]})"
        ),
        ~np.array(ok, bool),
        "period",
    )


def _check_definitions(path: Path, definitions: pd.DataFrame) -> None:
    target, tolerance = definitions["target"], definitions["tolerance"]
    percent = definitions["unit"] == "%"
    _fail(
        path,
        lambda i: (
            f"{target.iloc[i]:g} is not a percentage: a % target must be between 0 and 100"
        ),
        percent & ((target < 0) | (target > 100)),
        "target",
    )
    _fail(
        path,
        lambda i: (
            f"{tolerance.iloc[i]:g}: a tolerance in percent of the target cannot exceed 100"
        ),
        (definitions["tolerance_basis"] == "percent of target") & (tolerance > 100),
        "tolerance",
    )


def _check_values(path: Path, values: pd.DataFrame, definitions: pd.DataFrame) -> None:
    kpi = _check_known_kpi(path, values, definitions)
    _check_periods(path, values, kpi["frequency"])
    value = values["value"].to_numpy()
    percent = (kpi["unit"] == "%").to_numpy()
    _fail(
        path,
        lambda i: (
            f"{value[i]:g} is not a percentage: a % value must be between 0 and 100"
        ),
        percent & ((value < 0) | (value > 100)),
        "value",
    )
    decimals = kpi["decimals"].to_numpy()
    scaled = value * 10.0**decimals
    _fail(
        path,
        lambda i: (
            f"{value[i]:g} has more decimal places than {kpi['kpi_id'].iloc[i]} is reported to "
            f"({decimals[i]}, the decimals column of {DEFINITIONS.name}.csv)"
        ),
        np.abs(scaled - np.round(scaled)) > 1e-6 * np.maximum(1.0, np.abs(scaled)),
        "value",
    )


def _check_exceptions(
    path: Path,
    exceptions: pd.DataFrame,
    definitions: pd.DataFrame,
    values: pd.DataFrame,
) -> None:
    kpi = _check_known_kpi(path, exceptions, definitions)
    _check_periods(path, exceptions, kpi["frequency"])
    reported = pd.MultiIndex.from_frame(values[["kpi_id", "period"]])
    keys = pd.MultiIndex.from_frame(exceptions[["kpi_id", "period"]])
    _fail(
        path,
        lambda i: (
            f"there is no value for {keys[i][0]} in {keys[i][1]} in {VALUES.name}.csv; "
            "an exception report explains a reported value"
        ),
        ~keys.isin(reported),
        "period",
    )


def _check_actions(
    path: Path, actions: pd.DataFrame, definitions: pd.DataFrame
) -> None:
    directorates = sorted(set(definitions["directorate"]))
    directorate, period, status = (
        actions["directorate"],
        actions["period"],
        actions["status"],
    )
    _fail(
        path,
        lambda i: (
            f"{directorate.iloc[i]!r} is not a directorate in {DEFINITIONS.name}.csv "
            f"(known: {directorates})"
        ),
        ~directorate.isin(directorates),
        "directorate",
    )
    _fail(
        path,
        lambda i: (
            f"{period.iloc[i]!r} is not a quarter; actions are reported quarterly "
            "(write quarters like '2022-23 Q2')"
        ),
        [quarter_parts(p) is None for p in period],
        "period",
    )
    _fail(
        path,
        lambda i: (
            f"progress is missing for an action whose status is {status.iloc[i]!r}; "
            "only a 'not updated' action may have no progress narrative"
        ),
        actions["progress"].isna() & (status != "not updated"),
        "progress",
    )


def load_kpis(folder: Path | str = DEFAULT_FOLDER, *, release_date: datetime.date | None = None) -> KPIData:
    """Read and validate the four KPI tables in ``folder``.

    Raises :class:`DataError` (file, row, column, problem) at the first problem:
    first each table against its schema, then across tables (values and exceptions for KPIs
    that are not defined, periods that do not match the KPI's frequency, exceptions for a period
    without a value, actions of an unknown directorate), and, given the release's date, a
    period ending after it. Returns nothing partial.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(folder, "KPI data folder not found")
    paths = {table.name: find_table_file(folder, table.name) for table in TABLES}
    frames = {table.name: read_table(paths[table.name], table) for table in TABLES}
    definitions = frames[DEFINITIONS.name]
    _check_definitions(paths[DEFINITIONS.name], definitions)
    _check_values(paths[VALUES.name], frames[VALUES.name], definitions)
    _check_exceptions(
        paths[EXCEPTIONS.name],
        frames[EXCEPTIONS.name],
        definitions,
        frames[VALUES.name],
    )
    _check_actions(paths[ACTIONS.name], frames[ACTIONS.name], definitions)
    if release_date is not None:
        for table in (VALUES, EXCEPTIONS, ACTIONS):
            _check_not_after(paths[table.name], frames[table.name], release_date)
    return KPIData(
        folder=folder,
        definitions=definitions,
        values=frames[VALUES.name],
        actions=frames[ACTIONS.name],
        exceptions=frames[EXCEPTIONS.name],
    )




def _check_not_after(path: Path, df: pd.DataFrame, release_date: datetime.date) -> None:
    """No period ends after the release's date (a month is its own end; a quarter its last month)."""
    latest = release_date.year * 12 + release_date.month - 1
    _fail(
        path,
        lambda i: f"{df['period'].iloc[i]!r} ends after the release's date ({release_date}, parameters/release.yml)",
        np.array([period_order(p)[0] > latest for p in df["period"]], bool),
        "period",
    )


# ---------------------------------------------------------------------------------------------
# Special-cause rules: parameters/spc.yml
# ---------------------------------------------------------------------------------------------
#: Settings ``parameters/spc.yml`` may hold (the fields of :class:`jsna.stats.SpcRules`).
RULE_SETTINGS = tuple(f.name for f in fields(SpcRules))
#: Settings that are run lengths; ``false`` or ``null`` turns the rule off.
RUN_LENGTHS = ("shift", "trend")
def load_rules(path: Path | str) -> SpcRules:
    """The special-cause rules in ``path`` (``parameters/spc.yml``); NHS England's defaults
    (:class:`~jsna.stats.SpcRules`) for anything it does not set, or when there is no file.

    Raises :class:`DataError` naming the file, the line and the setting when a setting is
    unknown or its value is not allowed.
    """
    document = read_yaml(path, missing_ok=True)
    settings = document.data
    if settings is None:
        return SpcRules()
    if not isinstance(settings, dict):
        raise document.error(f"expected a mapping of settings ({', '.join(RULE_SETTINGS)})")
    values = {}
    for key, value in settings.items():
        if key not in RULE_SETTINGS:
            raise document.error(f"unknown setting {key!r}; the settings are {', '.join(RULE_SETTINGS)}", key, field=str(key))
        if key in RUN_LENGTHS and value is False:
            value = None  # "shift: false" turns the rule off
        values[key] = value
        try:
            SpcRules(**{key: value})
        except (TypeError, ValueError) as error:
            raise document.error(str(error), key, field=key) from None
    return SpcRules(**values)
