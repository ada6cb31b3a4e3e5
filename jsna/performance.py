"""Services and performance: the council's KPI tables and their control charts, for the store.

:func:`kpi_tables` turns the validated KPI data (:func:`jsna.kpi.load_kpis`) into the tables the
services and exception-report pages read. Every quarter is computed, not only the latest, so a
page can take the quarter as a parameter:

``kpi_definitions``  the definitions as loaded (one row per KPI, in the report's order)
``kpi_history``      every value, scored against the target (:func:`jsna.kpi.history`), with the
                     quarter it reports in and a time order
``kpi_scorecards``   :func:`jsna.kpi.scorecard` for every quarter, plus how many quarters running
                     the KPI has had its score (``score_run``) and the score before that run
``kpi_summary``      :func:`jsna.kpi.summary` (the dashboard counts) for every quarter
``kpi_actions``      every directorate plan action with its status symbol
``kpi_exceptions``   :func:`jsna.kpi.exceptions` (below target, with the narrative) for every quarter
``kpi_xmr_points``   Making Data Count XmR points of each KPI *as at* each quarter: the series
                     up to and including that quarter (:func:`jsna.stats.xmr`)
``kpi_xmr_summary``  the per-series summary of the same: mean, limits, icons, description
``kpi_spc_rules``    the special-cause rules used (one row)

The control charts use the KPI's polarity and target from its definition and the rules of
``parameters/spc.yml`` (:func:`load_rules`), NHS England's defaults when there is no such file.
"""

from __future__ import annotations

import re
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from jsna import kpi
from jsna.data import DataError
from jsna.stats import SpcRules, xmr

#: Settings ``parameters/spc.yml`` may hold (the fields of :class:`jsna.stats.SpcRules`).
RULE_SETTINGS = tuple(f.name for f in fields(SpcRules))
#: Settings that are run lengths; ``false`` or ``null`` turns the rule off.
RUN_LENGTHS = ("shift", "trend")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# --------------------------------------------------------------------------------------------
# Special-cause rules: parameters/spc.yml
# --------------------------------------------------------------------------------------------
def load_rules(path: Path | str) -> SpcRules:
    """The special-cause rules in ``path`` (``parameters/spc.yml``); NHS England's defaults
    (:class:`~jsna.stats.SpcRules`) for anything it does not set, or when there is no file.

    Raises :class:`jsna.data.DataError` naming the file and the setting when a setting is
    unknown or its value is not allowed.
    """
    path = Path(path)
    if not path.exists():
        return SpcRules()
    try:
        settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise DataError(path, f"cannot be read as YAML: {error}") from error
    if settings is None:
        return SpcRules()
    if not isinstance(settings, dict):
        raise DataError(path, f"expected a mapping of settings ({', '.join(RULE_SETTINGS)})")
    values = {}
    for key, value in settings.items():
        if key not in RULE_SETTINGS:
            raise DataError(path, f"unknown setting {key!r}; the settings are {', '.join(RULE_SETTINGS)}", column=str(key))
        if key in RUN_LENGTHS and value is False:
            value = None  # "shift: false" turns the rule off
        values[key] = value
        try:
            SpcRules(**{key: value})
        except (TypeError, ValueError) as error:
            raise DataError(path, str(error), column=key) from error
    return SpcRules(**values)


def rules_table(rules: SpcRules) -> pd.DataFrame:
    """The rules as a one-row table (run lengths turned off are missing)."""
    row = asdict(rules)
    return pd.DataFrame([{key: (np.nan if value is None else value) for key, value in row.items()}]).astype(
        {"shift": "float64", "trend": "float64"}
    )


def rules_from_table(table: pd.DataFrame) -> SpcRules:
    """The :class:`SpcRules` a ``kpi_spc_rules`` table holds (for the pages' explanations)."""
    row = table.iloc[0]
    return SpcRules(
        outside_limits=bool(row["outside_limits"]),
        shift=None if pd.isna(row["shift"]) else int(row["shift"]),
        trend=None if pd.isna(row["trend"]) else int(row["trend"]),
        two_of_three=bool(row["two_of_three"]),
        minimum_points=int(row["minimum_points"]),
        conflict=str(row["conflict"]),
    )


# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------
def quarter_of(period: str) -> str:
    """The financial-year quarter a period falls in: a quarter is itself, '2022-09' -> '2022-23 Q2'."""
    if kpi.is_period(period, "quarterly"):
        return period
    match = _MONTH.match(str(period))
    if not match:
        raise ValueError(f"{period!r} is neither a quarter ('2022-23 Q2') nor a month ('2022-09')")
    year, month = int(match[1]), int(match[2])
    start = year if month >= 4 else year - 1
    return kpi.quarter(start, (month - 4) % 12 // 3 + 1)


def time_index(period: str) -> int:
    """Months since year 0 of the month a period ends in: orders quarters and months together."""
    return kpi.period_order(period)[0]


def all_quarters(kpis: kpi.KPIData) -> list[str]:
    """Every quarter from the first with a value to the last with a value."""
    found = sorted({quarter_of(p) for p in kpis.values["period"]}, key=kpi.quarter_index)
    return kpi.quarters(found[0], found[-1]) if found else []


# --------------------------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------------------------
def scorecards(kpis: kpi.KPIData, quarters: list[str]) -> pd.DataFrame:
    """Every quarter's scorecard, with ``score_run`` (quarters running with this score, this one
    included) and ``score_before_run`` / ``period_before_run`` (the score that came before)."""
    card = pd.concat([kpi.scorecard(kpis, q) for q in quarters], ignore_index=True)
    card["quarter_index"] = card["quarter"].map(kpi.quarter_index)
    card = card.sort_values(["kpi_id", "quarter_index"], kind="stable")
    changed = card["score"].ne(card.groupby("kpi_id")["score"].shift())
    run_id = changed.cumsum()
    card["score_run"] = card.groupby(run_id).cumcount() + 1
    first_of_run = card.groupby(run_id)["quarter_index"].transform("min")
    before = card.set_index(["kpi_id", "quarter_index"])["score"]
    keys = pd.MultiIndex.from_arrays([card["kpi_id"], first_of_run - 1])
    card["score_before_run"] = before.reindex(keys).to_numpy()
    card["quarter_before_run"] = [kpi.quarter_from_index(i) if pd.notna(s) else None
                                  for i, s in zip(first_of_run - 1, card["score_before_run"], strict=True)]  # fmt: skip
    order = {k: i for i, k in enumerate(kpis.definitions["kpi_id"])}
    card = card.assign(_kpi=card["kpi_id"].map(order)).sort_values(["quarter_index", "_kpi"], kind="stable")
    return card.drop(columns=["_kpi"]).reset_index(drop=True)


def history_table(kpis: kpi.KPIData) -> pd.DataFrame:
    """Every value scored against the target, with its quarter and time order."""
    out = kpi.history(kpis)
    out.insert(out.columns.get_loc("period") + 1, "quarter", out["period"].map(quarter_of))
    out.insert(out.columns.get_loc("quarter") + 1, "time", out["period"].map(time_index).astype("int64"))
    return out.reset_index(drop=True)


def xmr_tables(history: pd.DataFrame, quarters: list[str], rules: SpcRules) -> tuple[pd.DataFrame, pd.DataFrame]:
    """XmR points and summaries of each KPI as at each quarter: its values up to that quarter's end.

    One call of :func:`jsna.stats.xmr` over every (quarter, KPI) series; each point keeps its
    period label and whether it is real or synthetic.
    """
    ends = pd.DataFrame({"as_at": quarters, "as_at_time": [time_index(q) for q in quarters]})
    series = history.merge(ends, how="cross")
    series = series.loc[series["time"] <= series["as_at_time"]]
    points, summary = xmr(
        series.drop(columns="quarter").rename(columns={"as_at": "quarter"}), "value", period="time", group_by=["quarter", "kpi_id"],
        polarity="polarity", target="target", rules=rules,
    )  # fmt: skip
    labels = history[["kpi_id", "time", "period", "real", "source"]]
    points = points.merge(labels, on=["kpi_id", "time"], how="left", validate="many_to_one")
    summary = summary.merge(labels[["kpi_id", "time", "period"]], on=["kpi_id", "time"], how="left", validate="many_to_one")
    first = points.groupby(["quarter", "kpi_id"], sort=False)["period"].first().rename("first_period")
    summary = summary.merge(first, on=["quarter", "kpi_id"], how="left")
    order = {k: i for i, k in enumerate(dict.fromkeys(history["kpi_id"]))}
    for frame in (points, summary):
        frame["quarter_index"] = frame["quarter"].map(kpi.quarter_index)
    points = points.assign(_kpi=points["kpi_id"].map(order)).sort_values(["quarter_index", "_kpi", "time"], kind="stable")
    summary = summary.assign(_kpi=summary["kpi_id"].map(order)).sort_values(["quarter_index", "_kpi"], kind="stable")
    return points.drop(columns="_kpi").reset_index(drop=True), summary.drop(columns="_kpi").reset_index(drop=True)


def kpi_tables(kpis: kpi.KPIData, rules: SpcRules | None = None) -> dict[str, pd.DataFrame]:
    """Every table the services and exception-report pages read (see the module docstring)."""
    rules = SpcRules() if rules is None else rules
    quarters = all_quarters(kpis)
    history = history_table(kpis)
    points, summary = xmr_tables(history, quarters, rules)
    actions = kpis.actions.assign(status_symbol=kpis.actions["status"].map(kpi.ACTION_SYMBOLS))
    actions = actions.assign(_q=actions["period"].map(kpi.quarter_index)).sort_values("_q", kind="stable").drop(columns="_q")
    return {
        "kpi_definitions": kpis.definitions.reset_index(drop=True),
        "kpi_history": history,
        "kpi_scorecards": scorecards(kpis, quarters),
        "kpi_summary": pd.concat([kpi.summary(kpis, q).assign(quarter=q) for q in quarters], ignore_index=True),
        "kpi_actions": actions.reset_index(drop=True),
        "kpi_exceptions": pd.concat([kpi.exceptions(kpis, q) for q in quarters], ignore_index=True),
        "kpi_xmr_points": points,
        "kpi_xmr_summary": summary,
        "kpi_spc_rules": rules_table(rules),
    }
