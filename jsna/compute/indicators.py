"""The indicator table: every indicator for every area and every period, in one vectorised pass
per method, with comparisons, disclosure control and recent trends.

The catalogue (``data/indicators.yml``) declares each indicator; each method of
:data:`jsna.compute.methods.METHODS` computes all the indicators, areas, periods and sexes that
use it at once. The table is sorted, so that the same inputs give a byte-identical table. The
practice funnel plots and the catalogue as a table are produced here too.
"""

from __future__ import annotations

import pandas as pd

from jsna import stats
from jsna.compute.disclosure import BELOW
from jsna.compute.engine import NUMERIC, Context, area_lookup, describe
from jsna.compute.methods import METHODS
from jsna.inputs.disclosure import Policy
from jsna.inputs.places import AreaTypes
from jsna.inputs.tables import Inputs
from jsna.store import TABLES

SERIES = ["indicator_id", "area_code", "sex", "years"]


def indicator_rows(inputs: Inputs, catalogue: list[dict], inequality: dict[str, pd.DataFrame], *, summaries: bool) -> pd.DataFrame:
    """Every indicator x area x period x sex from the exact counts, described: with
    ``summaries``, only the methods that summarise the inequality tables (``le_sii``, computed
    from ``inequality``); without, every other method."""
    by_id = {entry["id"]: entry for entry in catalogue}
    context = Context(inputs, area_lookup(inputs), by_id, inequality)
    results = []
    for method in sorted({entry["method"] for entry in catalogue}):
        if bool(METHODS[method].deciles_of) == summaries:
            results.append(METHODS[method].compute(context, [entry for entry in catalogue if entry["method"] == method]))
    if not results:
        return pd.DataFrame()
    table = pd.concat(results, ignore_index=True)
    table[NUMERIC] = table[NUMERIC].astype("float64")
    return describe(table, inputs, by_id).assign(note="")


def indicator_tables(inputs: Inputs, catalogue: list[dict], rows: pd.DataFrame, inequality: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The producer of ``indicators``: every indicator x area x period x sex, with comparisons.

    ``rows`` are the indicator rows as published (disclosure control applied,
    :mod:`jsna.compute.disclosure`); the rows summarising the inequality tables are added from
    ``inequality``. Comparisons and trends come after disclosure control, so a withheld value
    can leak neither through its comparison label nor as a child's ``parent_value``.
    """
    by_id = {entry["id"]: entry for entry in catalogue}
    table = pd.concat([rows, indicator_rows(inputs, catalogue, inequality, summaries=True)], ignore_index=True)
    table = add_comparisons(table, inputs)
    table = add_recent_trends(table, by_id)
    table = add_fingertips_verdicts(table, inputs, by_id)
    return {"indicators": finalise(table)}


def add_fingertips_verdicts(store: pd.DataFrame, inputs: Inputs, catalogue: dict[str, dict]) -> pd.DataFrame:
    """For indicators of the method ``fingertips``, Fingertips' own comparison of the authority
    with England and its recent trend, in place of the book's: Fingertips compares some
    indicators by other means (quintiles, 99.8% limits) and its trend uses series the book does
    not hold, so the book repeats what Fingertips publishes."""
    ids = [i for i, entry in catalogue.items() if entry["method"] == "fingertips"]
    if not ids or inputs.fingertips is None:
        return store
    key = ["indicator_id", "area_code", "period", "sex"]
    verdicts = inputs.fingertips.loc[inputs.fingertips["indicator_id"].isin(ids), key + ["compared_to_england", "recent_trend"]]
    rows = store[key].reset_index().merge(verdicts, on=key)
    store.loc[rows["index"].to_numpy(), "compared_to_england"] = rows["compared_to_england"].to_numpy()
    store.loc[rows["index"].to_numpy(), "recent_trend"] = rows["recent_trend"].to_numpy()
    return store


def add_comparisons(store: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """Compare each value with England and with its parent area (Fingertips 95% method).

    Benchmark values come from the store itself (a ward's township, a township's borough) or,
    for areas outside it (England, the region), from the real published comparators.
    """
    england_code, region_code = inputs.code_of("country"), inputs.code_of("region")
    published = inputs.comparators.rename(columns={"value": "benchmark"})[["indicator_id", "area_code", "period", "sex", "benchmark"]]
    computed = store[["indicator_id", "area_code", "period", "sex", "value"]].rename(columns={"value": "benchmark"})
    benchmarks = pd.concat([computed, published.loc[~published["area_code"].isin(computed["area_code"])]])
    keys = ["indicator_id", "period", "sex"]
    england = benchmarks.loc[benchmarks["area_code"] == england_code].drop(columns="area_code").rename(columns={"benchmark": "england_value"})
    region = benchmarks.loc[benchmarks["area_code"] == region_code].drop(columns="area_code").rename(columns={"benchmark": "region_value"})
    parents = benchmarks.rename(columns={"area_code": "parent_code", "benchmark": "parent_value"})
    store = store.merge(england, on=keys, how="left").merge(region, on=keys, how="left")
    store = store.merge(parents, on=keys + ["parent_code"], how="left")
    # Profiles compare every place with the authority too (a ward's parent is its township).
    authority = benchmarks.loc[benchmarks["area_code"] == inputs.code_of("authority")].drop(columns="area_code")
    store = store.merge(authority.rename(columns={"benchmark": "authority_value"}), on=keys, how="left")
    store["compared_to_england"] = stats.compare(store, benchmark="england_value")["comparison"].to_numpy()
    store["compared_to_parent"] = stats.compare(store, benchmark="parent_value")["comparison"].to_numpy()
    store["compared_to_authority"] = stats.compare(store, benchmark="authority_value")["comparison"].to_numpy()
    return store


def add_recent_trends(store: pd.DataFrame, catalogue: dict[str, dict]) -> pd.DataFrame:
    """The Fingertips recent-trend marker on the rows a summary can show, each for the five periods to it.

    A series is one indicator, area, sex and window length. Marked: its latest row (the
    Fingertips marker) and every row that England has a value for, because summaries show the
    latest period comparable with England (:meth:`jsna.store.Store.latest`) and a comparison and
    a trend are read together ("worse than England and getting worse"). Other rows get "".
    """
    store = store.assign(recent_trend="")
    kinds = store["indicator_id"].map(lambda i: METHODS[catalogue[i]["method"]].trend)
    for kind in sorted({m.trend for m in METHODS.values() if m.trend}):
        rows = store.loc[kinds == kind]
        if rows.empty:
            continue
        latest = rows.groupby(SERIES, sort=False)["period_end"].transform("max")
        ends = rows.loc[(rows["period_end"] == latest) | rows["england_value"].notna(), SERIES + ["period_end"]]
        expanded = rows.merge(ends.rename(columns={"period_end": "trend_end"}), on=SERIES)
        expanded = expanded.loc[expanded["period_end"] <= expanded["trend_end"]]
        arguments = {"count": "count", "denominator": "denominator"} if kind == "proportion" else {}
        trends = stats.recent_trend(expanded, period="period_end", kind=kind, group_by=SERIES + ["trend_end"], **arguments)
        trends = trends[SERIES + ["trend_end", "trend"]].rename(columns={"trend_end": "period_end"})
        marked = store[SERIES + ["period_end"]].reset_index().merge(trends, on=SERIES + ["period_end"])
        store.loc[marked["index"].to_numpy(), "recent_trend"] = marked["trend"].to_numpy()
    return store


def funnel_tables(indicators: pd.DataFrame, catalogue: list[dict], area_types: AreaTypes) -> dict[str, pd.DataFrame]:
    """Practice funnel plots for the indicators marked ``funnel: true``.

    Each practice is compared with the authority's value for the same indicator and period, with
    95% and 99.8% limits at its own denominator; ``funnel_lines`` holds a grid to draw them.
    Practices whose counts were suppressed cannot be placed and are left out.
    """
    store = indicators
    practice, authority = area_types.with_role("practice"), area_types.with_role("authority")
    points, lines = [], []
    for entry in catalogue:
        if not entry.get("funnel"):
            continue
        statistic = METHODS[entry["method"]].funnel
        rows = store.loc[
            (store["indicator_id"] == entry["id"]) & (store["area_type"] == practice)
            & (store["sex"] == "Persons") & (store["years"] == 1) & store["count"].notna()
        ]  # fmt: skip
        borough = store.loc[
            (store["indicator_id"] == entry["id"]) & (store["area_type"] == authority)
            & (store["sex"] == "Persons") & (store["years"] == 1)
        ].set_index("period")["value"]  # fmt: skip
        for period, group in rows.groupby("period", sort=True):
            if period not in borough.index or pd.isna(borough[period]):
                continue
            base = group[["indicator_id", "period", "years", "area_code", "area_name", "parent_code", "count", "denominator"]]
            options = {"statistic": statistic, "baseline": float(borough[period]), "multiplier": entry["multiplier"]}
            limits = stats.funnel_limits(base, "count", "denominator", **options)
            flagged = stats.funnel_significance(base, "count", "denominator", **options)
            limits["significance"] = flagged["significance"].to_numpy()
            points.append(limits.drop(columns=["confidence", "statistic", "method"]))
            grid = stats.funnel_limits(base, "count", "denominator", at="grid", group_by=["indicator_id", "period"], **options)
            lines.append(grid[["indicator_id", "period", "denominator", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8"]])
    funnels, funnel_lines = TABLES["funnels"], TABLES["funnel_lines"]
    return {
        "funnels": funnels.select(pd.concat(points, ignore_index=True)) if points else funnels.empty(),
        "funnel_lines": funnel_lines.select(pd.concat(lines, ignore_index=True)) if lines else funnel_lines.empty(),
    }


def finalise(store: pd.DataFrame) -> pd.DataFrame:
    """Fill the note column, order the columns, sort the rows: a deterministic table."""
    if "note" not in store.columns:
        store["note"] = ""
    store["note"] = store["note"].fillna("")
    store["recent_trend"] = store.get("recent_trend", pd.Series("", index=store.index)).fillna("")
    out = TABLES["indicators"].select(store)
    out = out.sort_values(["indicator_id", "area_type", "area_code", "years", "period_end", "sex"], kind="mergesort")
    for column in ("years", "period_start", "period_end"):
        out[column] = out[column].astype("int64")
    return out.reset_index(drop=True)


#: Fingertips polarity in plain words, for readers.
POLARITY_WORDS = {
    "RAG - High is good": "Higher is better",
    "RAG - Low is good": "Lower is better",
    "BOB - Blue orange blue": "No judgement of better or worse (compared as higher or lower)",
    "Not applicable": "No judgement of better or worse",
}


def catalogue_table(catalogue: list[dict], policy: Policy) -> dict[str, pd.DataFrame]:
    """The producer of ``catalogue``: the catalogue as a table (definitions page and download),
    with the disclosure policy's cover of each indicator, and its method and polarity in plain
    words (:attr:`jsna.compute.methods.Method.words`, :data:`POLARITY_WORDS`)."""
    covers = {entry["id"]: cover.name + (BELOW if cover.below_authority else "") for entry in catalogue if (cover := policy.cover_of(entry)) is not None}
    rows = []
    for entry in catalogue:
        rows.append(
            {
                "indicator_id": entry["id"], "title": entry["title"], "definition": " ".join(entry["definition"].split()),
                "method": entry["method"], "method_words": METHODS[entry["method"]].words or entry["method"],
                "unit": entry["unit"], "age": entry["age"], "sex": list(entry["sex"]),
                "polarity": entry["polarity"], "polarity_words": POLARITY_WORDS.get(entry["polarity"], entry["polarity"]),
                "areas": list(entry["areas"]), "windows": [int(w) for w in entry["windows"]],
                "year_type": entry["year_type"], "source": entry["source"], "chapter": entry["chapter"],
                "disclosure": covers.get(entry["id"], ""), "funnel": bool(entry.get("funnel", False)),
                "marmot": entry["marmot"], "deprivation_breakdown": bool(entry.get("deprivation_breakdown", False)),
                "fingertips_id": str(entry["fingertips_id"]) if entry.get("fingertips_id") is not None else "",
                "rationale": " ".join(str(entry.get("rationale", "")).split()),
            }
        )  # fmt: skip
    return {"catalogue": TABLES["catalogue"].select(pd.DataFrame(rows))}
