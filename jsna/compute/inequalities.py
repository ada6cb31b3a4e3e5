"""Inequality tables: indicators by local deprivation quintile and decile, and the gap between them.

Three tables are computed from the validated inputs, beside the indicator store:

* ``breakdowns``: every indicator the catalogue marks ``deprivation_breakdown: true`` (and the
  life expectancy behind each ``le_sii`` indicator) for each **local** deprivation quintile of
  each place whose area type splits by deprivation (``deprivation_quintiles`` in
  ``parameters/place_types.yml``: the borough and the townships), and each local decile of the
  areas of an ``le_sii`` indicator, every period and sex.
  Local quantiles rank an area's own small areas by IMD score, most deprived first, into groups
  of (as near as possible) equal numbers of small areas, as Fingertips does for the inequality in
  life expectancy; 1 is the most deprived. A quantile of an area is computed exactly as an area
  is, by its method in :data:`jsna.compute.methods.METHODS`: its small areas are its base areas.
* ``inequality_gaps``: for each indicator, area, quantile type, period and sex, the slope index
  of inequality and the relative index (PHE method, :func:`jsna.stats.sii`, simulated limits
  with a fixed seed), and the plain gap and ratio between the most and least deprived quantiles.
  The ``le_sii`` indicators of the store are the decile rows of this table (one computation:
  :func:`jsna.compute.methods.life_expectancy_sii`).
* ``le_decomposition`` (see :func:`le_decomposition`): the gap in life expectancy between the
  most and least deprived quintiles by age and cause (Arriaga).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jsna import stats
from jsna.compute.engine import NUMERIC, Context, area_lookup, describe
from jsna.compute.methods import DECILE_LABEL, METHODS
from jsna.inputs.periods import period_label, pool_years
from jsna.inputs.tables import AGE_START, SCHEMAS, Inputs
from jsna.store import TABLES

#: Quantile types: number of groups, and the label the book uses.
QUANTILES = {"quintile": (5, "Local deprivation quintile"), "decile": (10, DECILE_LABEL)}
#: Simulations and seed of the SII confidence limits (fixed: the store must be reproducible).
SII_REPETITIONS, SII_SEED = 100_000, 20230125
GAP_KEYS = list(TABLES["inequality_gaps"].key)
SEPARATOR = "~"


def local_quantiles(inputs: Inputs, lookup: pd.DataFrame, area_types: list[str] | tuple[str, ...], n: int) -> pd.DataFrame:
    """Each small area's local deprivation quantile (of ``n``) within each area of ``area_types``.

    The area's small areas are ranked by IMD score, most deprived first (ties by code), and cut
    into ``n`` groups of as near as possible equal numbers of small areas; 1 = most deprived.
    Columns: base_code, area_code, quantile.
    """
    score = inputs["deprivation"].set_index("area_code")["imd_score"]
    pairs = lookup.loc[lookup["area_type"].isin(area_types) & lookup["base_code"].isin(score.index), ["base_code", "area_code"]]
    pairs = pairs.assign(score=pairs["base_code"].map(score).to_numpy())
    pairs = pairs.sort_values(["area_code", "score", "base_code"], ascending=[True, False, True], kind="mergesort")
    position = pairs.groupby("area_code", sort=False).cumcount().to_numpy()
    size = pairs.groupby("area_code", sort=False)["base_code"].transform("size").to_numpy()
    return pairs.assign(quantile=position * n // size + 1).drop(columns="score").reset_index(drop=True)


def _quantile_lookup(inputs: Inputs, lookup: pd.DataFrame, area_types: list[str], n: int) -> pd.DataFrame:
    """An area lookup in which each quantile of each area is an area of its own ("CODE~3")."""
    quantiles = local_quantiles(inputs, lookup, area_types, n)
    kind = lookup.drop_duplicates("area_code").set_index("area_code")["area_type"]
    return pd.DataFrame(
        {
            "base_code": quantiles["base_code"].to_numpy(),
            "area_code": (quantiles["area_code"] + SEPARATOR + quantiles["quantile"].astype(str)).to_numpy(),
            "area_type": quantiles["area_code"].map(kind).to_numpy(),
        }
    )


def breakdown_entries(catalogue: list[dict], quintile_types: list[str]) -> list[tuple[dict, str, list[str]]]:
    """(entry as computed, quantile type, area types) for every breakdown the catalogue asks for.

    An entry marked ``deprivation_breakdown`` is broken down by quintile for its area types among
    ``quintile_types`` (the borough and the townships), for men and women as well as persons
    wherever its tables record sex (the store keeps the catalogue's sexes); an entry whose method
    is a slope index across deciles (``le_sii``) by decile for its areas, as the method it
    summarises (life expectancy).
    """
    out = []
    for entry in catalogue:
        deciles_of = METHODS[entry["method"]].deciles_of
        if deciles_of:
            out.append(({**entry, "method": deciles_of}, "decile", list(entry["areas"])))
        elif entry.get("deprivation_breakdown"):
            areas = [a for a in quintile_types if a in entry["areas"]]
            tables = [SCHEMAS[entry[role]["table"]] for role in ("numerator", "denominator") if role in entry]
            by_sex = "Persons" in entry["sex"] and all("sex" in table.column_names for table in tables)
            if areas:
                out.append(({**entry, "sex": ["Persons", "Male", "Female"]} if by_sex else entry, "quintile", areas))
    return out


def deprivation_breakdowns(inputs: Inputs, catalogue: list[dict]) -> pd.DataFrame:
    """Values by local deprivation quantile (the ``breakdowns`` table) from the exact counts:
    disclosure control is applied to it and the indicator rows together
    (:mod:`jsna.compute.disclosure`, run by :mod:`jsna.compute.pipeline`)."""
    lookup = area_lookup(inputs)
    quintile_types = [t.id for t in inputs.area_types if t.deprivation_quintiles]
    results = []
    for kind, (n, label) in QUANTILES.items():
        wanted = [(entry, areas) for entry, k, areas in breakdown_entries(catalogue, quintile_types) if k == kind]
        if not wanted:
            continue
        quantile_lookup = _quantile_lookup(inputs, lookup, sorted({a for _, areas in wanted for a in areas}), n)
        computed = {entry["id"]: {**entry, "areas": areas} for entry, areas in wanted}
        context = Context(inputs, quantile_lookup, computed)
        for method in sorted({entry["method"] for entry in computed.values()}):
            entries = [entry for entry in computed.values() if entry["method"] == method]
            result = METHODS[method].compute(context, entries)
            if result.empty:
                continue
            parts = result["area_code"].str.split(SEPARATOR, n=1, expand=True)
            results.append(result.assign(area_code=parts[0], category=parts[1].astype(int), category_type=label))
    declared = TABLES["breakdowns"]
    if not results:
        return declared.empty()
    table = pd.concat(results, ignore_index=True)
    table[NUMERIC] = table[NUMERIC].astype("float64")
    by_id = {entry["id"]: entry for entry in catalogue}
    table = describe(table, inputs, by_id).assign(note="")
    table = declared.select(table).sort_values(list(declared.key), kind="mergesort")
    return table.reset_index(drop=True)


def inequality_gaps(breakdowns: pd.DataFrame, catalogue: list[dict]) -> pd.DataFrame:
    """SII and RII (with 95% and 99.8% limits) and the plain gap for every breakdown series.

    A series needs a value for every quantile; otherwise ``statistic`` says why there is none.
    The SII is in the indicator's unit, from the most to the least deprived end (so positive when
    the least deprived have the higher value); the RII is the ratio of the fitted ends, least
    over most deprived (R's ``phe_sii``); ``gap`` is least minus most deprived quantile and
    ``ratio`` most over least deprived, as observed.
    """
    by_id = {entry["id"]: entry for entry in catalogue}
    # An le_sii indicator's breakdown is its life expectancy by decile.
    method = {entry["id"]: METHODS[entry["method"]].deciles_of or entry["method"] for entry in catalogue}
    sampled = {name: m.sii_value_type for name, m in METHODS.items()}
    frames = []
    for (category_type, value_type), rows in breakdowns.groupby(
        [breakdowns["category_type"], breakdowns["indicator_id"].map(method).map(sampled)], sort=True
    ):
        n = next(n for n, label in QUANTILES.values() if label == category_type)
        frames.append(_gaps(rows, n, value_type, by_id))
    declared = TABLES["inequality_gaps"]
    if not frames:
        return declared.empty()
    out = pd.concat(frames, ignore_index=True)
    return declared.select(out).sort_values(GAP_KEYS, kind="mergesort").reset_index(drop=True)


def _gaps(rows: pd.DataFrame, n: int, value_type: str, by_id: dict[str, dict]) -> pd.DataFrame:
    keys = rows[GAP_KEYS + ["period"]].drop_duplicates()
    usable = rows["value"].notna() & rows["lower_95_0"].notna() & (rows["denominator"] > 0)
    complete = usable.groupby([rows[k] for k in GAP_KEYS], sort=False).transform("sum").to_numpy() == n
    scale = rows["indicator_id"].map(lambda i: by_id[i].get("multiplier", 1)).to_numpy(dtype=float)
    if value_type == "other":
        scale = np.ones(len(rows))
    # stats.sii wants rates per person and proportions 0-1; multiplier puts the SII back in the unit.
    sample = rows.assign(
        v=rows["value"] / scale, lo=rows["lower_95_0"] / scale, hi=rows["upper_95_0"] / scale, scale=scale
    ).loc[complete]
    found = []
    for multiplier, group in sample.groupby("scale", sort=True):
        if value_type == "proportion":
            # the logit is undefined at 0% and 100%: such a series is reported as not calculated
            group = group.loc[group.groupby(GAP_KEYS, sort=False)["v"].transform(lambda v: ((v > 0) & (v < 1)).all())]
        if group.empty:
            continue
        options = {"group_by": GAP_KEYS, "value_type": value_type, "multiplier": multiplier, "repetitions": SII_REPETITIONS, "seed": SII_SEED}
        found.append(stats.sii(group, "category", "denominator", "v", lower="lo", upper="hi", **options))
    computed = [c for c in TABLES["inequality_gaps"].column_names if c.startswith(("sii", "rii")) or c in ("intercept", "statistic", "method")]
    result = pd.concat(found, ignore_index=True) if found else TABLES["inequality_gaps"].empty()[GAP_KEYS + computed]
    out = keys.merge(result, on=GAP_KEYS, how="left")
    ends = rows.loc[rows["category"].isin([1, n])].pivot_table(index=GAP_KEYS, columns="category", values="value", aggfunc="first")
    ends = ends.reindex(columns=[1, n]).set_axis(["most_deprived", "least_deprived"], axis=1).reset_index()
    out = out.merge(ends, on=GAP_KEYS, how="left")
    out["gap"] = out["least_deprived"] - out["most_deprived"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = out["most_deprived"] / out["least_deprived"]
    out["quantiles"] = n
    out["statistic"] = out["statistic"].fillna(f"Not calculated: a value is needed for all {n} quantiles")
    out["method"] = "Slope index of inequality (PHE): " + out["method"].fillna("").astype(str)
    return out


#: Causes of death as the book names them (the ``cause`` values of the deaths table).
CAUSE_NAMES = {
    "circulatory": "Circulatory diseases", "cancer": "Cancer", "respiratory": "Respiratory diseases",
    "digestive": "Digestive diseases", "external": "Injuries (other external causes)", "suicide": "Suicide",
    "drug_misuse": "Drug misuse", "mental_behavioural": "Mental and behavioural disorders, including dementia",
    "other": "Other causes",
}  # fmt: skip
#: The decomposition: life expectancy at birth, three years pooled, most against least deprived fifth.
DECOMPOSITION_INDICATOR, DECOMPOSITION_YEARS = "life_expectancy_birth", 3
SEXES_DECOMPOSED = ("Male", "Female")


def le_decomposition(inputs: Inputs, catalogue: list[dict]) -> pd.DataFrame:
    """The gap in life expectancy at birth between the authority's most and least deprived local
    quintiles, by age band and cause of death (Arriaga, :func:`jsna.stats.arriaga`).

    For every three-year period and each sex: deaths by cause and age band, and population by
    age band, summed over each quintile's small areas (the same deaths and populations as the
    life expectancy indicator). The gap is least minus most deprived; the contributions of every
    age band and cause add up to it. Periods where a quintile has no deaths at 90+ (so no life
    table) are left out.
    """
    declared = TABLES["le_decomposition"]
    entry = next((e for e in catalogue if e["id"] == DECOMPOSITION_INDICATOR), None)
    if entry is None:
        return declared.empty()
    lookup = area_lookup(inputs)
    quintiles = local_quantiles(inputs, lookup, [inputs.area_types.with_role("authority")], 5)
    quintiles = quintiles.loc[quintiles["quantile"].isin([1, 5])]
    deaths = inputs[entry["numerator"]["table"]]
    population = inputs[entry["denominator"]["table"]]
    first, last = int(population["year"].min()), int(population["year"].max())

    def pooled(df: pd.DataFrame, column: str, keys: list[str]) -> pd.DataFrame:
        df = df.loc[df["sex"].isin(SEXES_DECOMPOSED), ["area_code", "year", *keys, column]]
        df = pool_years(df, [DECOMPOSITION_YEARS], first, last)
        df = df.rename(columns={"area_code": "base_code"}).merge(quintiles, on="base_code")
        return df.groupby(["area_code", "period_end", "quantile", *keys], sort=True, observed=True)[column].sum().reset_index()

    people = pooled(population, entry["denominator"]["column"], ["sex", "age_band"]).rename(columns={entry["denominator"]["column"]: "population"})
    died = pooled(deaths, entry["numerator"]["column"], ["sex", "age_band", "cause"]).rename(columns={entry["numerator"]["column"]: "deaths"})
    causes = pd.DataFrame({"cause": sorted(deaths["cause"].unique())})
    table = people.merge(causes, how="cross").merge(died, on=["area_code", "period_end", "quantile", "sex", "age_band", "cause"], how="left")
    table["deaths"] = table["deaths"].fillna(0.0)
    # A life table needs deaths at 90+ in both quintiles; periods without them are not decomposed.
    oldest = table.loc[table["age_band"] == "90+"].groupby(["area_code", "period_end", "sex", "quantile"])["deaths"].sum()
    usable = oldest.gt(0).groupby(["area_code", "period_end", "sex"]).all()
    usable = usable[usable].reset_index()[["area_code", "period_end", "sex"]]
    table = table.merge(usable, on=["area_code", "period_end", "sex"])
    if table.empty:
        return declared.empty()
    out = stats.arriaga(table, "deaths", "population", group="quantile", reference=1, comparison=5, cause="cause",
                        group_by=["area_code", "period_end", "sex"])  # fmt: skip
    out = out.rename(columns={"e0_reference": "e0_most_deprived", "e0_comparison": "e0_least_deprived"})
    out["age_band"] = out["age_band"].astype(str)
    out["start_age"] = out["age_band"].map(AGE_START)
    out["cause_name"] = out["cause"].map(CAUSE_NAMES).fillna(out["cause"])
    out["years"] = DECOMPOSITION_YEARS
    start = out["period_end"] - DECOMPOSITION_YEARS + 1
    out["period"] = period_label(start, out["period_end"], entry["year_type"])
    return declared.select(out).sort_values(["area_code", "period_end", "sex", "start_age", "cause"], kind="mergesort").reset_index(drop=True)


def inequality_tables(inputs: Inputs, catalogue: list[dict], breakdowns: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The producer of the inequality tables: ``breakdowns`` (as published, disclosure control
    applied), the ``inequality_gaps`` computed from them and ``le_decomposition``."""
    return {
        "breakdowns": breakdowns,
        "inequality_gaps": inequality_gaps(breakdowns, catalogue),
        "le_decomposition": le_decomposition(inputs, catalogue),
    }
