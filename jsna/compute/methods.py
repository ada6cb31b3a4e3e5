"""The method registry: one entry per statistical method a catalogue entry can name.

An entry says everything the rest of the book needs to know of a method: how its values are
computed (``compute``, from a :class:`~jsna.compute.engine.Context` and the catalogue entries of
that method, returning one row per indicator, area, window, period end and sex with the value,
limits, count, denominator, statistic and method), which catalogue fields it needs or refuses,
how its recent trend is tested, how its values are sampled for the slope index of inequality
(and so whether it can be broken down by deprivation), and which funnel-plot statistic it has.
Adding a method is adding one entry to :data:`METHODS`; the catalogue loader, the indicator
store, the inequality tables and the funnel plots all read it from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jsna import stats
from jsna.compute.engine import GROUP, Context, indicator_inputs
from jsna.inputs.periods import parse_period_label
from jsna.stats.rates import SMALL_COUNT, byars_limits


@dataclass(frozen=True)
class Method:
    name: str
    #: (context, catalogue entries of this method) -> one row per indicator, area, window, period and sex.
    compute: Callable[[Context, list[dict]], pd.DataFrame]
    #: One line for the README and ``python -m jsna store describe``.
    description: str
    #: The method in plain words, for readers (the indicator definitions page and its download).
    words: str = ""
    requires: tuple[str, ...] = ("numerator",)
    forbids: tuple[str, ...] = ()
    #: How the recent trend is tested (:func:`jsna.stats.recent_trend` kinds); None: no trend.
    trend: str | None = None
    #: How values are sampled for the slope index of inequality; None: no deprivation breakdown.
    sii_value_type: str | None = None
    #: The funnel-plot statistic; None: no funnel plot.
    funnel: str | None = None
    #: A slope index across local deprivation deciles of this other method's values (``le_sii``:
    #: of ``life_expectancy``); its areas must be types split by deprivation.
    deciles_of: str | None = None
    #: (rows, multipliers, smallest count) -> the rows' value and limits recomputed from their
    #: rounded ``count`` (``exact_count`` beside it), for disclosure control; None: the method's
    #: values cannot be published under the small-number rule.
    from_rounded: Callable[[pd.DataFrame, np.ndarray, int], pd.DataFrame] | None = None


def _inputs(context: Context, entries: list[dict], *, by_age: bool = False, esp_bands: bool = False) -> pd.DataFrame:
    frames = [indicator_inputs(context, entry, by_age=by_age, esp_bands=esp_bands) for entry in entries]
    return pd.concat(frames, ignore_index=True)


def _scaled(out: pd.DataFrame, context: Context) -> pd.DataFrame:
    """Values computed per unit, scaled by each indicator's multiplier (they differ)."""
    scale = out["indicator_id"].map(lambda i: context.catalogue[i]["multiplier"]).to_numpy()
    for column in ("value", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8"):
        out[column] = out[column] * scale
    return out


def count(context: Context, entries: list[dict]) -> pd.DataFrame:
    out = _inputs(context, entries).groupby(GROUP, sort=True)["count"].sum().reset_index()
    return out.assign(value=out["count"], statistic="Count", method="Sum")


def proportion(context: Context, entries: list[dict]) -> pd.DataFrame:
    return _scaled(stats.proportion(_inputs(context, entries), "count", "denominator", group_by=GROUP, multiplier=1), context)


def crude_rate(context: Context, entries: list[dict]) -> pd.DataFrame:
    return _scaled(stats.crude_rate(_inputs(context, entries), "count", "denominator", group_by=GROUP, multiplier=1), context)


def dsr(context: Context, entries: list[dict]) -> pd.DataFrame:
    frame = _inputs(context, entries, by_age=True, esp_bands=True)
    return _scaled(stats.dsr(frame, "count", "denominator", age_band="age_band", group_by=GROUP, multiplier=1), context)


def life_expectancy(context: Context, entries: list[dict]) -> pd.DataFrame:
    frame = _inputs(context, entries, by_age=True)
    out = stats.life_expectancy(frame.rename(columns={"count": "deaths", "denominator": "population"}), "deaths", "population", group_by=GROUP)
    start = out["indicator_id"].map(lambda i: context.catalogue[i]["start_age"])
    out = out.loc[out["start_age"] == start].drop(columns=["start_age"])
    totals = frame.groupby(GROUP, sort=True)[["count", "denominator"]].sum().reset_index()
    return out.drop(columns=[c for c in ("deaths", "population") if c in out.columns]).merge(totals, on=GROUP, how="left")


def excess_winter_deaths(context: Context, entries: list[dict]) -> pd.DataFrame:
    # count = winter deaths, denominator = both non-winter periods' deaths; the store keeps
    # Fingertips' count (excess winter deaths) and denominator (average non-winter deaths).
    out = stats.excess_winter_deaths(_inputs(context, entries), "count", "denominator", group_by=GROUP)
    return out.assign(count=out["excess_deaths"], denominator=out["average_non_winter"])


def survey(context: Context, entries: list[dict]) -> pd.DataFrame:
    """Published survey estimates with their published 95% limits, for the areas in the table."""
    frames = []
    for entry in entries:
        spec = entry["numerator"]
        table = context.inputs[spec["table"]]
        mask = np.ones(len(table), dtype=bool)
        for column, allowed in spec.get("where", {}).items():
            mask &= table[column].isin(allowed).to_numpy()
        rows = table.loc[mask]
        frames.append(pd.DataFrame({
            "indicator_id": entry["id"], "area_code": rows["area_code"].to_numpy(), "years": 1, "period_end": rows["year"].to_numpy(),
            "sex": "Persons", "value": rows["value"].to_numpy(), "count": np.nan, "denominator": rows["respondents"].astype("float64").to_numpy(),
            "lower_95_0": rows["lower_95_0"].to_numpy(), "upper_95_0": rows["upper_95_0"].to_numpy(), "lower_99_8": np.nan, "upper_99_8": np.nan,
            "statistic": "Survey estimate", "method": "Published survey estimate and 95% limits",
        }))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def published(context: Context, entries: list[dict]) -> pd.DataFrame:
    """The authority's real published values from the comparators table.

    Nothing is computed: each comparators row for the authority and one of these indicators
    becomes a row, its period label read back into window length and end year with the
    indicator's year type. Published limits are not in the comparators, so there are none.
    """
    comparators, authority = context.inputs.comparators, context.inputs.code_of("authority")
    frames = []
    for entry in entries:
        rows = comparators.loc[
            (comparators["indicator_id"] == entry["id"]) & (comparators["area_code"] == authority) & comparators["sex"].isin(entry["sex"])
        ]
        start, end = parse_period_label(rows["period"], entry["year_type"])
        frames.append(pd.DataFrame({
            "indicator_id": entry["id"], "area_code": authority, "years": (end - start + 1).to_numpy(), "period_end": end.to_numpy(),
            "sex": rows["sex"].to_numpy(), "value": rows["value"].to_numpy(dtype=float), "count": np.nan, "denominator": np.nan,
            "lower_95_0": np.nan, "upper_95_0": np.nan, "lower_99_8": np.nan, "upper_99_8": np.nan,
            "statistic": "Published value", "method": "Real published value: " + rows["source"].to_numpy(dtype=object),
        }))  # fmt: skip
    out = pd.concat(frames, ignore_index=True)
    return out.loc[out["years"].isin([w for e in entries for w in e["windows"]])].reset_index(drop=True)


def fingertips(context: Context, entries: list[dict]) -> pd.DataFrame:
    """The authority's figures from OHID Fingertips extracts (``fingertips_id``): value, 95% and
    99.8% limits, count and denominator as Fingertips publishes them, for each period of the
    entry's windows. Nothing is computed; Fingertips' own comparison with England and recent
    trend replace the book's (:func:`jsna.compute.indicators.add_fingertips_verdicts`)."""
    rows, authority = context.inputs.fingertips, context.inputs.code_of("authority")
    ids = {entry["id"]: entry for entry in entries}
    mine = rows.loc[rows["indicator_id"].isin(ids) & (rows["area_code"] == authority)]
    mine = mine.loc[[int(years) in ids[i]["windows"] for i, years in zip(mine["indicator_id"], mine["years"])]]
    return pd.DataFrame({
        "indicator_id": mine["indicator_id"], "area_code": authority, "years": mine["years"].astype(int), "period_end": mine["period_end"].astype(int),
        "sex": mine["sex"], "value": mine["value"], "count": mine["count"], "denominator": mine["denominator"],
        "lower_95_0": mine["lower_95_0"], "upper_95_0": mine["upper_95_0"], "lower_99_8": mine["lower_99_8"], "upper_99_8": mine["upper_99_8"],
        "statistic": "Published value", "method": mine["source"],
    }).reset_index(drop=True)  # fmt: skip


#: The decile breakdown whose slope index an ``le_sii`` indicator is.
DECILE_LABEL = "Local deprivation decile"


def life_expectancy_sii(context: Context, entries: list[dict]) -> pd.DataFrame:
    """The slope index of inequality in life expectancy: the local-decile rows of the
    ``inequality_gaps`` table (computed first, :mod:`jsna.compute.inequalities`) for these
    entries, as indicator rows. The value is the SII in years, the count and denominator the
    deaths and population behind it."""
    ids = [entry["id"] for entry in entries]
    gaps, breakdowns = context.tables["inequality_gaps"], context.tables["breakdowns"]
    gaps = gaps.loc[gaps["indicator_id"].isin(ids) & (gaps["category_type"] == DECILE_LABEL)]
    breakdowns = breakdowns.loc[breakdowns["indicator_id"].isin(ids) & (breakdowns["category_type"] == DECILE_LABEL)]
    keys = GROUP
    totals = breakdowns.groupby(keys, sort=True)[["count", "denominator"]].sum().reset_index()
    out = gaps.merge(totals, on=keys, how="left").rename(columns={"sii": "value"})
    out = out.rename(columns={f"sii_{c}": c for c in ("lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8")})
    out["statistic"] = out["statistic"].str.replace(
        "Not calculated: a value is needed for all 10 quantiles", "SII not calculated: a life expectancy is needed for all ten local deprivation deciles"
    )
    out["method"] = out["method"].str.replace("Slope index of inequality (PHE): ", "Slope index of inequality (PHE), life expectancy by local deprivation decile: ")
    columns = GROUP + ["value", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8", "count", "denominator", "statistic", "method"]
    return out[columns].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Values from a rounded count (disclosure control, NHS Digital's rule: "calculated using the
# rounded numerator"): the published value and limits give back nothing finer than the
# published count.
# --------------------------------------------------------------------------------------------
LIMITS = ["lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8"]
ROUNDED = ", from the count rounded for disclosure control"


def _recomputed(rows: pd.DataFrame, out: pd.DataFrame, multipliers: np.ndarray) -> pd.DataFrame:
    result = rows.copy()
    for column in ["value", *LIMITS]:
        result[column] = out[column].to_numpy() * multipliers
    return _said(result)


def _said(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows' ``method`` (where the table has one) says the count was rounded."""
    if "method" in rows:
        rows["method"] = rows["method"].astype(str) + ROUNDED
    return rows


def proportion_from_rounded(rows: pd.DataFrame, multipliers: np.ndarray, smallest: int) -> pd.DataFrame:
    """Wilson limits of the rounded count over the denominator (a count rounded up past its
    denominator counts as the denominator)."""
    work = pd.DataFrame({"row": np.arange(len(rows)), "count": np.minimum(rows["count"], rows["denominator"]).to_numpy(),
                         "denominator": rows["denominator"].to_numpy()})  # fmt: skip
    return _recomputed(rows, stats.proportion(work, "count", "denominator", group_by="row", multiplier=1), multipliers)


def crude_rate_from_rounded(rows: pd.DataFrame, multipliers: np.ndarray, smallest: int) -> pd.DataFrame:
    """Byar's (or exact Poisson) limits of the rounded count over the denominator."""
    work = pd.DataFrame({"row": np.arange(len(rows)), "count": rows["count"].to_numpy(), "denominator": rows["denominator"].to_numpy()})
    return _recomputed(rows, stats.crude_rate(work, "count", "denominator", group_by="row", multiplier=1), multipliers)


def count_from_rounded(rows: pd.DataFrame, multipliers: np.ndarray, smallest: int) -> pd.DataFrame:
    return rows.assign(value=rows["count"])


def dsr_from_rounded(rows: pd.DataFrame, multipliers: np.ndarray, smallest: int) -> pd.DataFrame:
    """Dobson limits on Byar's limits of the rounded total.

    The exact limits are ``value + sqrt(var / O) * (byars(O) - O)`` (PHEindicatormethods), so the
    ratio of the two limits' distances from the value gives ``O`` back. Here ``O`` is the
    rounded count: ``sqrt(var / O)`` is recovered from the exact lower limit and rescaled by
    ``sqrt(O / rounded)``. A DSR is not calculated below 10 events; with a rounded count that
    is decided on the smallest count the published one could stand for (``smallest``), so a
    rate shown or withheld says nothing the rounded count does not.
    """
    exact, rounded = rows["exact_count"].to_numpy(float), rows["count"].to_numpy(float)
    value = rows["value"].to_numpy(float)
    shown = (smallest >= SMALL_COUNT) & (exact >= SMALL_COUNT) & np.isfinite(value)
    safe_exact, safe_rounded = np.where(shown, exact, SMALL_COUNT), np.where(shown, rounded, SMALL_COUNT)
    result = rows.copy()
    for level, (low, high) in ((0.95, LIMITS[:2]), (0.998, LIMITS[2:])):
        exact_lower, _ = byars_limits(safe_exact, level)
        spread = (rows[low].to_numpy(float) - value) / (exact_lower - safe_exact) * np.sqrt(safe_exact / safe_rounded)
        lower, upper = byars_limits(safe_rounded, level)
        result[low] = np.where(shown, value + spread * (lower - safe_rounded), np.nan)
        result[high] = np.where(shown, value + spread * (upper - safe_rounded), np.nan)
    result["value"] = np.where(shown, value, np.nan)
    result["statistic"] = np.where(shown, result["statistic"], f"DSR not calculated: total count below {SMALL_COUNT}")
    return _said(result)


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("count", count, "a sum of the numerator (no interval)",
               words="Count: the number of people or events, with no confidence interval", from_rounded=count_from_rounded),
        Method("proportion", proportion, "numerator over denominator x multiplier, Wilson score limits",
               words="Proportion, 95% limits by Wilson's score method",
               requires=("numerator", "denominator", "multiplier"), trend="proportion", sii_value_type="proportion", funnel="proportion",
               from_rounded=proportion_from_rounded),
        Method("crude_rate", crude_rate, "numerator over denominator x multiplier, exact Poisson (under 10) or Byar's limits",
               words="Crude rate, 95% limits by the exact Poisson method (fewer than 10 events) or Byar's method",
               requires=("numerator", "denominator", "multiplier"), trend="rate", sii_value_type="rate", funnel="rate",
               from_rounded=crude_rate_from_rounded),
        Method("dsr", dsr, "directly age-standardised rate (ESP2013, 19 bands), Dobson limits, not published under 10 events",
               words="Directly standardised rate (2013 European Standard Population), 95% limits by Dobson's method; not published when there are fewer than 10 events",
               requires=("numerator", "denominator", "multiplier"), trend="rate", sii_value_type="rate", from_rounded=dsr_from_rounded),
        Method("life_expectancy", life_expectancy, "Chiang II abridged life table (20 bands) at start_age, Silcocks variance",
               words="Life expectancy from an abridged life table (Chiang's method), with 95% limits; not calculated for a population of 5,000 or fewer",
               requires=("numerator", "denominator", "start_age"), trend="other", sii_value_type="other"),
        Method("ewd_index", excess_winter_deaths, "ONS excess winter mortality index: winter deaths against the two non-winter periods",
               words="Excess winter deaths index (Office for National Statistics method): deaths in December to March against the average of the four months before and the four months after",
               requires=("numerator", "denominator"), trend="other"),
        Method("survey", survey, "a published survey estimate with its published 95% limits",
               words="Survey estimate, with the 95% limits the survey publishes", trend="other"),
        Method("published", published, "the authority's real published value, read from data/reference/comparators.csv",
               words="The value officially published for the authority; not calculated here",
               requires=(), forbids=("numerator", "denominator")),
        Method("fingertips", fingertips, "the authority's figures, comparison with England and recent trend, read from OHID Fingertips extracts",
               words="As published by OHID Fingertips: the value, its 95% limits, the comparison with England and the recent trend",
               requires=("fingertips_id",), forbids=("numerator", "denominator")),
        Method("le_sii", life_expectancy_sii, "slope index of inequality in life expectancy at start_age across local deprivation deciles (PHE)",
               words="Slope index of inequality: the gap in life expectancy across the local deprivation deciles, from a weighted regression (Public Health England method), 95% limits by simulation",
               requires=("numerator", "denominator", "start_age"), deciles_of="life_expectancy"),
    )
}  # fmt: skip
