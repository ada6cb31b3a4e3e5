"""Council KPI scorecards: definitions, values, directorate actions and exception reports.

The council's quarterly performance report scores each key performance indicator (KPI) against
its target and says which way it is going. This module holds that logic as pure functions over
four validated tables (``data/kpi/``, described in ``data/kpi/README.md``):

``kpi_definitions``  one row per KPI: name, directorate, priority, unit, polarity, target, tolerance
``kpi_values``       one row per KPI and period, each with its source (real or synthetic)
``directorate_actions``  one row per action and quarter: status and progress narrative
``kpi_exceptions``   one row per KPI and period: the exception report's three narratives

Conventions (the same words are in ``data/kpi/README.md``):

* **Score.** The *margin* is how far the value is on the good side of the target
  (``value - target`` when high is good, ``target - value`` when low is good). A margin of zero
  or more is ``on target``; a shortfall no larger than the KPI's tolerance is ``tolerance``; a
  larger shortfall is ``below target``; no value is ``missing``. The tolerance is a band on the
  failing side of the target, either ``absolute`` (in the KPI's unit: 3 means 3 percentage
  points for a % KPI) or ``percent of target`` (10 means 10% of the target). Both ends of the
  tolerance band count as ``tolerance``. Values are compared at the precision the KPI is
  reported at (its ``decimals``).
* **Trend.** The short-term trend compares the value with the previous quarter, the annual trend
  with the same quarter a year earlier. Both values are rounded to the KPI's ``decimals``; equal
  rounded values are ``consistent``; otherwise the change is ``improving`` or ``worsening``
  judged with the polarity. Without both values the trend is ``not compared``.
* **Periods.** Quarters are financial-year quarters written ``2022-23 Q2`` (Q1 = April to June).
  Months are calendar months written ``2022-09``. A monthly KPI enters a quarter's scorecard with
  the value of the quarter's last month (``2022-23 Q2`` uses ``2022-09``; its previous quarter
  ``2022-06``, the same quarter a year earlier ``2021-09``).
* **Targets** are one per KPI (the current target) and apply to every period.

Words always come with a shape, so nothing depends on colour: :data:`SCORE_SYMBOLS`,
:data:`TREND_SYMBOLS`, :data:`ACTION_SYMBOLS`. The trend arrow shows the direction of
*performance*, not of the value: a falling value of a low-is-good KPI is ``improving`` (↑).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from jsna.data import Column, DataError, Table, find_table_file, read_table

DEFAULT_FOLDER = Path(__file__).resolve().parent.parent / "data" / "kpi"

HIGH_IS_GOOD = "RAG - High is good"
LOW_IS_GOOD = "RAG - Low is good"
POLARITIES = (HIGH_IS_GOOD, LOW_IS_GOOD)
FREQUENCIES = ("quarterly", "monthly")
UNITS = ("%", "GBP", "number")
TOLERANCE_BASES = ("absolute", "percent of target")
ACTION_STATUSES = ("complete", "ahead", "on target", "behind", "not updated")
#: The ``source`` of every invented value row.
SYNTHETIC = "synthetic demonstration history"

SCORES = ("on target", "tolerance", "below target", "missing")
TRENDS = ("improving", "consistent", "worsening", "not compared")
SCORE_SYMBOLS = {
    "on target": "★",
    "tolerance": "▲",
    "below target": "▼",
    "missing": "○",
}
TREND_SYMBOLS = {
    "improving": "↑",
    "consistent": "→",
    "worsening": "↓",
    "not compared": "–",
}
ACTION_SYMBOLS = {
    "complete": "✓",
    "ahead": "»",
    "on target": "●",
    "behind": "!",
    "not updated": "?",
}

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


# ---------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------
_QUARTER = re.compile(r"^(\d{4})-(\d{2}) Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_EXAMPLE = {"quarterly": "'2022-23 Q2'", "monthly": "'2022-09'"}


def _quarter_parts(period: str) -> tuple[int, int] | None:
    """(financial year start, quarter) of ``'2022-23 Q2'``, or None if it is not a quarter."""
    match = _QUARTER.match(str(period))
    if not match:
        return None
    start, end, quarter = int(match[1]), int(match[2]), int(match[3])
    if end != (start + 1) % 100:
        return None
    return start, quarter


def _month_parts(period: str) -> tuple[int, int] | None:
    match = _MONTH.match(str(period))
    if not match or not 1 <= int(match[2]) <= 12:
        return None
    return int(match[1]), int(match[2])


def is_period(period: str, frequency: str) -> bool:
    """Whether ``period`` is written as a period of ``frequency`` ("quarterly" or "monthly")."""
    if frequency == "quarterly":
        return _quarter_parts(period) is not None
    if frequency == "monthly":
        return _month_parts(period) is not None
    raise ValueError(f"unknown frequency {frequency!r}; expected one of {FREQUENCIES}")


def quarter(start_year: int, number: int) -> str:
    """The label of quarter ``number`` (1-4) of the financial year starting in ``start_year``."""
    return f"{start_year}-{(start_year + 1) % 100:02d} Q{number}"


def _check_quarter(period: str) -> tuple[int, int]:
    parts = _quarter_parts(period)
    if parts is None:
        raise ValueError(
            f"{period!r} is not a quarter; write quarters like '2022-23 Q2'"
        )
    return parts


def quarter_index(period: str) -> int:
    """A running number of quarters, for ordering and arithmetic."""
    start, number = _check_quarter(period)
    return start * 4 + number - 1


def quarter_from_index(index: int) -> str:
    return quarter(index // 4, index % 4 + 1)


def previous_quarter(period: str) -> str:
    return quarter_from_index(quarter_index(period) - 1)


def same_quarter_last_year(period: str) -> str:
    return quarter_from_index(quarter_index(period) - 4)


def quarters(first: str, last: str) -> list[str]:
    """Every quarter from ``first`` to ``last``, both included."""
    return [
        quarter_from_index(i)
        for i in range(quarter_index(first), quarter_index(last) + 1)
    ]


def quarter_end_month(period: str) -> str:
    """The calendar month a quarter ends in: '2022-23 Q2' -> '2022-09', Q4 -> March next year."""
    start, number = _check_quarter(period)
    month = 3 * number + 3
    return f"{start + 1}-03" if month == 15 else f"{start}-{month:02d}"


def reporting_period(period: str, frequency: str) -> str:
    """The period whose value a KPI of ``frequency`` reports in quarter ``period``."""
    _check_quarter(period)
    return period if frequency == "quarterly" else quarter_end_month(period)


def period_order(period: str) -> tuple[int, int]:
    """A sort key putting quarters and months in time order (by the month a period ends)."""
    parts = _quarter_parts(period)
    if parts is not None:
        month = quarter_end_month(period)
        return int(month[:4]) * 12 + int(month[5:]) - 1, 0
    parts = _month_parts(period)
    if parts is None:
        raise ValueError(
            f"{period!r} is neither a quarter ('2022-23 Q2') nor a month ('2022-09')"
        )
    return parts[0] * 12 + parts[1] - 1, 1


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------
def _good_sign(polarity) -> np.ndarray:
    polarity = np.asarray(polarity, dtype=object)
    unknown = ~np.isin(polarity, POLARITIES)
    if unknown.any():
        raise ValueError(
            f"unknown polarity {polarity[unknown][0]!r}; expected one of {POLARITIES}"
        )
    return np.where(polarity == LOW_IS_GOOD, -1.0, 1.0)


def tolerance_amount(target, tolerance, basis) -> np.ndarray:
    """The width of the tolerance band in the KPI's unit."""
    target, tolerance = np.asarray(target, float), np.asarray(tolerance, float)
    basis = np.asarray(basis, dtype=object)
    unknown = ~np.isin(basis, TOLERANCE_BASES)
    if unknown.any():
        raise ValueError(
            f"unknown tolerance basis {basis[unknown][0]!r}; expected {TOLERANCE_BASES}"
        )
    return np.where(
        basis == "percent of target", np.abs(target) * tolerance / 100.0, tolerance
    )


def _rounded(values, decimals) -> np.ndarray:
    """Values rounded to ``decimals`` and held as whole numbers of the last decimal place."""
    scale = 10.0 ** np.asarray(decimals, float)
    return np.round(np.asarray(values, float) * scale)


def score(
    value, target, tolerance=0.0, basis="absolute", polarity=HIGH_IS_GOOD, decimals=6
):
    """Score each value against its target: "on target", "tolerance", "below target", "missing".

    Every argument may be a scalar or an array (broadcast together); returns a string or an
    array of strings. See the module docstring for the rule.
    """
    value, target = np.asarray(value, float), np.asarray(target, float)
    sign = _good_sign(polarity)
    scale = 10.0 ** np.asarray(decimals, float)
    margin = sign * (_rounded(value, decimals) - np.round(target * scale))
    band = np.round(tolerance_amount(target, tolerance, basis) * scale, 6)
    words = np.where(
        np.isnan(value),
        "missing",
        np.where(
            margin >= 0,
            "on target",
            np.where(-margin <= band, "tolerance", "below target"),
        ),
    ).astype(object)
    return words.item() if words.ndim == 0 else words


def trend(current, earlier, polarity=HIGH_IS_GOOD, decimals=6):
    """Direction of performance from ``earlier`` to ``current``: "improving", "consistent",
    "worsening", or "not compared" when either value is missing. Scalars or arrays."""
    current, earlier = np.asarray(current, float), np.asarray(earlier, float)
    change = _good_sign(polarity) * (
        _rounded(current, decimals) - _rounded(earlier, decimals)
    )
    words = np.where(
        np.isnan(current) | np.isnan(earlier),
        "not compared",
        np.where(
            change > 0, "improving", np.where(change < 0, "worsening", "consistent")
        ),
    ).astype(object)
    return words.item() if words.ndim == 0 else words


# ---------------------------------------------------------------------------------------------
# Loading and validation
# ---------------------------------------------------------------------------------------------
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
            f"({frequency.iloc[i]} periods are written like {_EXAMPLE[frequency.iloc[i]]})"
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
        [_quarter_parts(p) is None for p in period],
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


def load_kpis(folder: Path | str = DEFAULT_FOLDER) -> KPIData:
    """Read and validate the four KPI tables in ``folder``.

    Raises :class:`jsna.data.DataError` (file, row, column, problem) at the first problem:
    first each table against its schema, then across tables (values and exceptions for KPIs
    that are not defined, periods that do not match the KPI's frequency, exceptions for a period
    without a value, actions of an unknown directorate). Returns nothing partial.
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
    return KPIData(
        folder=folder,
        definitions=definitions,
        values=frames[VALUES.name],
        actions=frames[ACTIONS.name],
        exceptions=frames[EXCEPTIONS.name],
    )


# ---------------------------------------------------------------------------------------------
# Scorecard, summary, exceptions
# ---------------------------------------------------------------------------------------------
#: Columns of :func:`scorecard`, in order.
SCORECARD_COLUMNS = (
    "quarter", "kpi_id", "kpi_name", "directorate", "council_priority", "unit", "decimals", "polarity",
    "frequency", "last_year_period", "last_year_value", "previous_period", "previous_value", "period",
    "value", "value_source", "target", "tolerance_limit", "score", "score_symbol", "short_term_trend",
    "short_term_symbol", "annual_trend", "annual_symbol", "benchmark",
)  # fmt: skip


def _select(definitions: pd.DataFrame, directorate: str | None) -> pd.DataFrame:
    if directorate is None:
        return definitions
    chosen = definitions[definitions["directorate"] == directorate]
    if chosen.empty:
        raise ValueError(
            f"no KPIs for directorate {directorate!r}; known: {sorted(set(definitions['directorate']))}"
        )
    return chosen


def _lookup(
    values: pd.DataFrame, kpi_ids: pd.Series, periods: list[str], column: str = "value"
) -> np.ndarray:
    table = values.set_index(["kpi_id", "period"])[column]
    keys = pd.MultiIndex.from_arrays([kpi_ids.to_numpy(), periods])
    return table.reindex(keys).to_numpy()


def scorecard(
    kpis: KPIData, period: str, directorate: str | None = None
) -> pd.DataFrame:
    """One row per KPI (in the order of the definitions) for quarter ``period``: the values of
    the same quarter last year, the previous quarter and this quarter, the target, the score,
    the short-term and annual trends (each a word and a symbol), and the benchmark text.

    Columns: :data:`SCORECARD_COLUMNS`. ``tolerance_limit`` is the far edge of the tolerance band
    (target minus the band when high is good, plus it when low is good).
    """
    _check_quarter(period)
    d = _select(kpis.definitions, directorate).reset_index(drop=True)
    freq = d["frequency"]
    current = [reporting_period(period, f) for f in freq]
    previous = [reporting_period(previous_quarter(period), f) for f in freq]
    last_year = [reporting_period(same_quarter_last_year(period), f) for f in freq]
    value = _lookup(kpis.values, d["kpi_id"], current).astype(float)
    prev = _lookup(kpis.values, d["kpi_id"], previous).astype(float)
    year_ago = _lookup(kpis.values, d["kpi_id"], last_year).astype(float)
    band = tolerance_amount(d["target"], d["tolerance"], d["tolerance_basis"])
    sign = _good_sign(d["polarity"])
    out = pd.DataFrame(
        {
            "quarter": period,
            "kpi_id": d["kpi_id"],
            "kpi_name": d["kpi_name"],
            "directorate": d["directorate"],
            "council_priority": d["council_priority"],
            "unit": d["unit"],
            "decimals": d["decimals"],
            "polarity": d["polarity"],
            "frequency": freq,
            "last_year_period": last_year,
            "last_year_value": year_ago,
            "previous_period": previous,
            "previous_value": prev,
            "period": current,
            "value": value,
            "value_source": _lookup(kpis.values, d["kpi_id"], current, "source"),
            "target": d["target"],
            "tolerance_limit": d["target"].to_numpy() - sign * band,
            "score": score(
                value,
                d["target"],
                d["tolerance"],
                d["tolerance_basis"],
                d["polarity"],
                d["decimals"],
            ),
            "short_term_trend": trend(value, prev, d["polarity"], d["decimals"]),
            "annual_trend": trend(value, year_ago, d["polarity"], d["decimals"]),
            "benchmark": d["benchmark"],
        }
    )
    out["score_symbol"] = out["score"].map(SCORE_SYMBOLS)
    out["short_term_symbol"] = out["short_term_trend"].map(TREND_SYMBOLS)
    out["annual_symbol"] = out["annual_trend"].map(TREND_SYMBOLS)
    return out[list(SCORECARD_COLUMNS)]


def history(kpis: KPIData, kpi_id: str | None = None) -> pd.DataFrame:
    """Every value of one KPI (or all), in time order, scored against the target, with
    ``real`` = False for the synthetic demonstration history. Columns: kpi_id, kpi_name, unit,
    decimals, polarity, period, value, target, score, score_symbol, real, source."""
    values = kpis.values
    if kpi_id is not None:
        if kpi_id not in set(kpis.definitions["kpi_id"]):
            raise ValueError(f"{kpi_id!r} is not a KPI")
        values = values[values["kpi_id"] == kpi_id]
    out = values.merge(
        kpis.definitions,
        on="kpi_id",
        how="left",
        suffixes=("", "_definition"),
        validate="many_to_one",
    )
    out = out.assign(
        _kpi=out["kpi_id"].map(
            {k: i for i, k in enumerate(kpis.definitions["kpi_id"])}
        ),
        _when=[period_order(p) for p in out["period"]],
    ).sort_values(["_kpi", "_when"], kind="stable")
    out["score"] = score(
        out["value"],
        out["target"],
        out["tolerance"],
        out["tolerance_basis"],
        out["polarity"],
        out["decimals"],
    )
    out["score_symbol"] = out["score"].map(SCORE_SYMBOLS)
    out["real"] = (out["source"] != SYNTHETIC).to_numpy(bool)
    columns = ["kpi_id", "kpi_name", "unit", "decimals", "polarity", "period", "value", "target", "score",
               "score_symbol", "real", "source"]  # fmt: skip
    return out[columns].reset_index(drop=True)


def actions(kpis: KPIData, period: str, directorate: str | None = None) -> pd.DataFrame:
    """The directorate plan actions reported for quarter ``period``, with a status symbol."""
    _check_quarter(period)
    chosen = kpis.actions[kpis.actions["period"] == period]
    if directorate is not None:
        chosen = chosen[chosen["directorate"] == directorate]
    return chosen.assign(
        status_symbol=chosen["status"].map(ACTION_SYMBOLS)
    ).reset_index(drop=True)


def summary(kpis: KPIData, period: str) -> pd.DataFrame:
    """The dashboard counts for quarter ``period``: one row per directorate (in the order of the
    definitions) and a last row ``All directorates``.

    Columns: ``directorate``; ``kpis_due`` (every defined KPI is due each quarter),
    ``kpis_reported``, ``kpis_missing``; ``score_`` + each of :data:`SCORES`; ``short_term_`` and
    ``annual_`` + each of :data:`TRENDS`; ``actions_due`` (actions listed for the quarter),
    ``actions_updated``, ``actions_not_updated``, ``actions_`` + each of
    :data:`ACTION_STATUSES` (spaces as underscores).
    """
    card = scorecard(kpis, period)
    listed = actions(kpis, period)
    order = list(dict.fromkeys(kpis.definitions["directorate"]))
    rows = []
    for name in order + ["All directorates"]:
        c = card if name == "All directorates" else card[card["directorate"] == name]
        a = (
            listed
            if name == "All directorates"
            else listed[listed["directorate"] == name]
        )
        row: dict[str, object] = {
            "directorate": name,
            "kpis_due": len(c),
            "kpis_reported": int((c["score"] != "missing").sum()),
            "kpis_missing": int((c["score"] == "missing").sum()),
        }
        row.update({_name("score", s): int((c["score"] == s).sum()) for s in SCORES})
        row.update(
            {
                _name("short_term", t): int((c["short_term_trend"] == t).sum())
                for t in TRENDS
            }
        )
        row.update(
            {_name("annual", t): int((c["annual_trend"] == t).sum()) for t in TRENDS}
        )
        row["actions_due"] = len(a)
        row["actions_updated"] = int((a["status"] != "not updated").sum())
        row["actions_not_updated"] = int((a["status"] == "not updated").sum())
        row.update(
            {
                _name("actions", s): int((a["status"] == s).sum())
                for s in ACTION_STATUSES
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _name(prefix: str, word: str) -> str:
    return f"{prefix}_{word.replace(' ', '_')}"


#: Columns :func:`exceptions` adds to the scorecard's.
EXCEPTION_COLUMNS = (
    "has_narrative",
    "performance",
    "impact",
    "assurance",
    "narrative_source",
)


def exceptions(
    kpis: KPIData,
    period: str,
    directorate: str | None = None,
    *,
    include_tolerance: bool = False,
) -> pd.DataFrame:
    """The KPIs below target in quarter ``period`` (and in tolerance too, if asked), each with its
    exception report: the scorecard's columns plus :data:`EXCEPTION_COLUMNS`. A KPI below target
    without a report has ``has_narrative`` False and empty narrative fields."""
    card = scorecard(kpis, period, directorate)
    flagged = ("below target", "tolerance") if include_tolerance else ("below target",)
    card = card[card["score"].isin(flagged)]
    narratives = kpis.exceptions.rename(columns={"source": "narrative_source"})
    out = card.merge(
        narratives, on=["kpi_id", "period"], how="left", validate="one_to_one"
    )
    out.insert(
        len(card.columns), "has_narrative", out["performance"].notna().to_numpy(bool)
    )
    for column in ("performance", "impact", "assurance", "narrative_source"):
        out[column] = out[column].astype("string").fillna("")
    return out[list(SCORECARD_COLUMNS) + list(EXCEPTION_COLUMNS)].reset_index(drop=True)
