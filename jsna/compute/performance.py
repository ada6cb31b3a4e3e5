"""Services and performance: the council's KPI tables and their control charts, for the store.

:func:`kpi_tables` turns the validated KPI data (:func:`jsna.inputs.kpis.load_kpis`) into the tables the
services and exception-report pages read. Every quarter is computed, not only the latest, so a
page can take the quarter as a parameter:

``kpi_definitions``  the definitions as loaded (one row per KPI, in the report's order)
``kpi_history``      every value, scored against the target (:func:`history`), with the
                     quarter it reports in and a time order
``kpi_scorecards``   :func:`scorecard` for every quarter, plus how many quarters running
                     the KPI has had its score (``score_run``) and the score before that run
``kpi_summary``      :func:`summary` (the dashboard counts) for every quarter
``kpi_actions``      every directorate plan action with its status symbol
``kpi_exceptions``   :func:`exceptions` (below target, with the narrative) for every quarter
``kpi_xmr_points``   Making Data Count XmR points of each KPI *as at* each quarter: the series
                     up to and including that quarter (:func:`jsna.stats.xmr`)
``kpi_xmr_summary``  the per-series summary of the same: mean, limits, icons, description
``kpi_spc_rules``    the special-cause rules used (one row)

The control charts use the KPI's polarity and target from its definition and the rules of
``parameters/spc.yml`` (:func:`jsna.inputs.kpis.load_rules`), NHS England's defaults when there
is no such file. Scores and trends follow :mod:`jsna.stats.targets`; words always come with a
shape (:data:`SCORE_SYMBOLS`, :data:`TREND_SYMBOLS`, :data:`ACTION_SYMBOLS`), so nothing depends
on colour. The trend arrow shows the direction of *performance*, not of the value: a falling
value of a low-is-good KPI is ``improving`` (↑).
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from jsna.inputs.kpis import ACTION_STATUSES, SYNTHETIC, KPIData
from jsna.inputs.periods import (
    check_quarter,
    period_order,
    previous_quarter,
    quarter_from_index,
    quarter_index,
    quarter_of,
    reporting_period,
    same_quarter_last_year,
    time_index,
)
from jsna.inputs.periods import quarters as quarters_between
from jsna.stats import SpcRules, xmr
from jsna.stats.targets import SCORES, TRENDS, good_sign, score, tolerance_amount, trend
from jsna.store import TABLES

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


# ---------------------------------------------------------------------------------------------
# Scorecard, summary, exceptions
# ---------------------------------------------------------------------------------------------
#: Columns :func:`exceptions` adds to the scorecard's.
EXCEPTION_COLUMNS = ("has_narrative", "performance", "impact", "assurance", "narrative_source")
#: Columns of :func:`scorecard`, in order: those the store declares for ``kpi_exceptions``, before the narrative.
SCORECARD_COLUMNS = tuple(c for c in TABLES["kpi_exceptions"].column_names if c not in EXCEPTION_COLUMNS)


def _select(definitions: pd.DataFrame, directorate: str | None) -> pd.DataFrame:
    if directorate is None:
        return definitions
    chosen = definitions[definitions["directorate"] == directorate]
    if chosen.empty:
        raise ValueError(
            f"no KPIs for directorate {directorate!r}; known: {sorted(set(definitions['directorate']))}"
        )
    return chosen


def _lookup(values: pd.DataFrame, kpi_ids: pd.Series, periods: list[str], column: str = "value") -> np.ndarray:
    """``column`` of each (KPI, period) pair; ``values`` is indexed by KPI and period."""
    keys = pd.MultiIndex.from_arrays([kpi_ids.to_numpy(), periods])
    return values[column].reindex(keys).to_numpy()


def scorecard(
    kpis: KPIData, period: str, directorate: str | None = None
) -> pd.DataFrame:
    """One row per KPI (in the order of the definitions) for quarter ``period``: the values of
    the same quarter last year, the previous quarter and this quarter, the target, the score,
    the short-term and annual trends (each a word and a symbol), and the benchmark text.

    Columns: :data:`SCORECARD_COLUMNS`. ``tolerance_limit`` is the far edge of the tolerance band
    (target minus the band when high is good, plus it when low is good).
    """
    check_quarter(period)
    d = _select(kpis.definitions, directorate).reset_index(drop=True)
    freq = d["frequency"]
    current = [reporting_period(period, f) for f in freq]
    previous = [reporting_period(previous_quarter(period), f) for f in freq]
    last_year = [reporting_period(same_quarter_last_year(period), f) for f in freq]
    values = kpis.values.set_index(["kpi_id", "period"])
    value = _lookup(values, d["kpi_id"], current).astype(float)
    prev = _lookup(values, d["kpi_id"], previous).astype(float)
    year_ago = _lookup(values, d["kpi_id"], last_year).astype(float)
    band = tolerance_amount(d["target"], d["tolerance"], d["tolerance_basis"])
    sign = good_sign(d["polarity"])
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
            "value_source": _lookup(values, d["kpi_id"], current, "source"),
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
    check_quarter(period)
    chosen = kpis.actions[kpis.actions["period"] == period]
    if directorate is not None:
        chosen = chosen[chosen["directorate"] == directorate]
    return chosen.assign(
        status_symbol=chosen["status"].map(ACTION_SYMBOLS)
    ).reset_index(drop=True)


def summary(kpis: KPIData, period: str, *, card: pd.DataFrame | None = None) -> pd.DataFrame:
    """The dashboard counts for quarter ``period``: one row per directorate (in the order of the
    definitions) and a last row ``All directorates``. ``card`` is the quarter's
    :func:`scorecard` when it has been computed already.

    Columns: ``directorate``; ``kpis_due`` (every defined KPI is due each quarter),
    ``kpis_reported``, ``kpis_missing``; ``score_`` + each of :data:`SCORES`; ``short_term_`` and
    ``annual_`` + each of :data:`TRENDS`; ``actions_due`` (actions listed for the quarter),
    ``actions_updated``, ``actions_not_updated``, ``actions_`` + each of
    :data:`ACTION_STATUSES` (spaces as underscores).
    """
    card = scorecard(kpis, period) if card is None else card
    listed = actions(kpis, period)
    # each test once for every row; a directorate's count is of its rows that pass
    kpi_tests = {"kpis_reported": _is(card, "score", "missing", False), "kpis_missing": _is(card, "score", "missing")}
    kpi_tests.update({_name("score", s): _is(card, "score", s) for s in SCORES})
    for prefix, column in (("short_term", "short_term_trend"), ("annual", "annual_trend")):
        kpi_tests.update({_name(prefix, t): _is(card, column, t) for t in TRENDS})
    action_tests = {"actions_updated": _is(listed, "status", "not updated", False), "actions_not_updated": _is(listed, "status", "not updated")}
    action_tests.update({_name("actions", s): _is(listed, "status", s) for s in ACTION_STATUSES})
    rows = []
    for name in list(dict.fromkeys(kpis.definitions["directorate"])) + ["All directorates"]:
        everyone = name == "All directorates"
        kpis_of = np.ones(len(card), dtype=bool) if everyone else _is(card, "directorate", name)
        actions_of = np.ones(len(listed), dtype=bool) if everyone else _is(listed, "directorate", name)
        row: dict[str, object] = {"directorate": name, "kpis_due": int(kpis_of.sum())}
        row.update({column: int((kpis_of & passed).sum()) for column, passed in kpi_tests.items()})
        row["actions_due"] = int(actions_of.sum())
        row.update({column: int((actions_of & passed).sum()) for column, passed in action_tests.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def _is(frame: pd.DataFrame, column: str, word: str, equal: bool = True) -> np.ndarray:
    """Which rows' ``column`` is (or, ``equal`` False, is not) ``word``; a missing value's test
    counts as not passed where pandas makes it missing."""
    test = frame[column] == word if equal else frame[column] != word
    return test.to_numpy(dtype=bool, na_value=False)


def _name(prefix: str, word: str) -> str:
    return f"{prefix}_{word.replace(' ', '_')}"


def exceptions(
    kpis: KPIData,
    period: str,
    directorate: str | None = None,
    *,
    include_tolerance: bool = False,
    card: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The KPIs below target in quarter ``period`` (and in tolerance too, if asked), each with its
    exception report: the scorecard's columns plus :data:`EXCEPTION_COLUMNS`. A KPI below target
    without a report has ``has_narrative`` False and empty narrative fields. ``card`` is the
    quarter's :func:`scorecard` for ``directorate`` when it has been computed already."""
    card = scorecard(kpis, period, directorate) if card is None else card
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


# --------------------------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------------------------
def rules_table(rules: SpcRules) -> pd.DataFrame:
    """The rules as a one-row table (run lengths turned off are missing)."""
    row = asdict(rules)
    return pd.DataFrame([{key: (np.nan if value is None else value) for key, value in row.items()}]).astype(
        {"shift": "float64", "trend": "float64"}
    )


def all_quarters(kpis: KPIData) -> list[str]:
    """Every quarter from the first with a value to the last with a value."""
    found = sorted({quarter_of(p) for p in kpis.values["period"]}, key=quarter_index)
    return quarters_between(found[0], found[-1]) if found else []


# --------------------------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------------------------
def scorecards(kpis: KPIData, cards: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every quarter's scorecard (``cards``, by quarter, in time order), with ``score_run``
    (quarters running with this score, this one included) and ``score_before_run`` /
    ``quarter_before_run`` (the score that came before, and its quarter)."""
    card = pd.concat(list(cards.values()), ignore_index=True)
    card["quarter_index"] = card["quarter"].map(quarter_index)
    card = card.sort_values(["kpi_id", "quarter_index"], kind="stable")
    changed = card["score"].ne(card.groupby("kpi_id")["score"].shift())
    run_id = changed.cumsum()
    card["score_run"] = card.groupby(run_id).cumcount() + 1
    first_of_run = card.groupby(run_id)["quarter_index"].transform("min")
    before = card.set_index(["kpi_id", "quarter_index"])["score"]
    keys = pd.MultiIndex.from_arrays([card["kpi_id"], first_of_run - 1])
    card["score_before_run"] = before.reindex(keys).to_numpy()
    card["quarter_before_run"] = [quarter_from_index(i) if pd.notna(s) else None
                                  for i, s in zip(first_of_run - 1, card["score_before_run"], strict=True)]  # fmt: skip
    order = {k: i for i, k in enumerate(kpis.definitions["kpi_id"])}
    card = card.assign(_kpi=card["kpi_id"].map(order)).sort_values(["quarter_index", "_kpi"], kind="stable")
    return card.drop(columns=["_kpi"]).reset_index(drop=True)


def history_table(kpis: KPIData) -> pd.DataFrame:
    """Every value scored against the target, with its quarter and time order."""
    out = history(kpis)
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
        frame["quarter_index"] = frame["quarter"].map(quarter_index)
    points = points.assign(_kpi=points["kpi_id"].map(order)).sort_values(["quarter_index", "_kpi", "time"], kind="stable")
    summary = summary.assign(_kpi=summary["kpi_id"].map(order)).sort_values(["quarter_index", "_kpi"], kind="stable")
    return points.drop(columns="_kpi").reset_index(drop=True), summary.drop(columns="_kpi").reset_index(drop=True)


def kpi_tables(kpis: KPIData, rules: SpcRules | None = None) -> dict[str, pd.DataFrame]:
    """The producer of every table the services and exception-report pages read (see the module docstring)."""
    rules = SpcRules() if rules is None else rules
    every_quarter = all_quarters(kpis)
    cards = {q: scorecard(kpis, q) for q in every_quarter}  # one per quarter, read by three tables
    scored = history_table(kpis)
    points, charts = xmr_tables(scored, every_quarter, rules)
    listed = kpis.actions.assign(status_symbol=kpis.actions["status"].map(ACTION_SYMBOLS))
    listed = listed.assign(_q=listed["period"].map(quarter_index)).sort_values("_q", kind="stable").drop(columns="_q")
    tables = {
        "kpi_definitions": kpis.definitions.reset_index(drop=True),
        "kpi_history": scored,
        "kpi_scorecards": scorecards(kpis, cards),
        "kpi_summary": pd.concat([summary(kpis, q, card=cards[q]).assign(quarter=q) for q in every_quarter], ignore_index=True),
        "kpi_actions": listed.reset_index(drop=True),
        "kpi_exceptions": pd.concat([exceptions(kpis, q, card=cards[q]) for q in every_quarter], ignore_index=True),
        "kpi_xmr_points": points,
        "kpi_xmr_summary": charts,
        "kpi_spc_rules": rules_table(rules),
    }
    return {name: TABLES[name].select(table) for name, table in tables.items()}
