"""Compute every indicator for every area and every period into one tidy table.

The catalogue (``data/indicators.yml``) declares each indicator; :func:`compute_store` turns the
validated inputs into the indicator store in one vectorised pass per statistical method: each
indicator's numerator and denominator are filtered, mapped to every area they count towards
(a small area counts towards its ward, township and borough; a practice towards its network and
the borough), pooled into periods of one or more years, and handed to :mod:`jsna.stats` with
all indicators, areas, periods and sexes of that method at once.

The store has Fingertips-like columns (:data:`STORE_COLUMNS`), sorted, so that the same inputs
give a byte-identical table.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from jsna import disclosure, stats
from jsna.data import AGE_START, SCHEMAS, DataError, Inputs

#: Columns of the indicator store, in order.
STORE_COLUMNS: list[str] = [
    "indicator_id", "indicator_name", "area_code", "area_name", "area_type", "parent_code", "parent_name",
    "period", "period_start", "period_end", "years", "sex", "age", "unit",
    "value", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8", "count", "denominator",
    "statistic", "method", "polarity",
    "england_value", "compared_to_england", "parent_value", "compared_to_parent", "borough_value",
    "compared_to_borough", "region_value",
    "recent_trend", "note",
]  # fmt: skip

KEYS = ["indicator_id", "area_code", "years", "period_end", "sex"]
BOROUGH_AREA_TYPES = ("small_area", "ward", "township", "borough")
PRACTICE_AREA_TYPES = ("practice", "pcn", "borough")
ENGLAND = "E92000001"
REGION = "E12000005"
SERIES = ["indicator_id", "area_code", "sex", "years"]


# --------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------
def load_catalogue(path: Path | str) -> list[dict]:
    """Read the indicator catalogue and check it against its JSON Schema and the input schemas.

    Raises :class:`DataError` naming the file, the entry and the field that is wrong.
    """
    import jsonschema

    path = Path(path)
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise DataError(path, f"cannot be read as YAML: {error}") from error
    schema = json.loads(resources.files("jsna").joinpath("catalogue_schema.json").read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(entries), key=lambda e: list(e.path))
    if errors:
        error = errors[0]
        where = list(error.path)
        entry = where[0] if where and isinstance(where[0], int) else None
        name = entries[entry].get("id", f"entry {entry + 1}") if entry is not None and isinstance(entries[entry], dict) else ""
        field = ".".join(str(p) for p in where[1:]) or None
        raise DataError(path, f"indicator {name!r}: {error.message}", row=None if entry is None else entry + 1, column=field)
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        if entry["id"] in seen:
            raise DataError(path, f"indicator id {entry['id']!r} is used twice", row=number, column="id")
        seen.add(entry["id"])
        for role in ("numerator", "denominator"):
            if role in entry:
                _check_source(path, number, entry, role)
    return entries


def _check_source(path: Path, number: int, entry: dict, role: str) -> None:
    spec = entry[role]
    table = SCHEMAS.get(spec["table"])
    if table is None:
        raise DataError(path, f"indicator {entry['id']!r}: unknown table {spec['table']!r}", row=number, column=f"{role}.table")
    if spec["column"] not in table.column_names:
        raise DataError(
            path, f"indicator {entry['id']!r}: table {table.name} has no column {spec['column']!r}", row=number, column=f"{role}.column"
        )
    for key in spec.get("where", {}):
        if key == "age" and "age_band" not in table.column_names:
            raise DataError(path, f"indicator {entry['id']!r}: table {table.name} has no ages", row=number, column=f"{role}.where.age")
        if key not in ("age", "imd_decile") and key not in table.column_names:
            raise DataError(
                path, f"indicator {entry['id']!r}: table {table.name} has no column {key!r}", row=number, column=f"{role}.where.{key}"
            )
    if {"Male", "Female"} & set(entry["sex"]) and "sex" not in table.column_names:
        raise DataError(path, f"indicator {entry['id']!r}: table {table.name} has no sex, so only Persons", row=number, column="sex")


# --------------------------------------------------------------------------------------------
# Geography and periods
# --------------------------------------------------------------------------------------------
def area_lookup(geography: pd.DataFrame) -> pd.DataFrame:
    """Every (base area, area it counts towards) pair, with the latter's type.

    Base areas are small areas and practices; each counts towards itself and all its ancestors
    up to the borough. The borough is a base area too (it counts towards itself only), for the
    tables that hold borough totals (e.g. reablement).
    """
    parent = geography.set_index("area_code")["parent_code"]
    kind = geography.set_index("area_code")["area_type"]
    base = geography.loc[geography["area_type"].isin(["small_area", "practice", "borough"]), ["area_code"]]
    frames = []
    current = pd.DataFrame({"base_code": base["area_code"].to_numpy(), "area_code": base["area_code"].to_numpy()})
    while len(current):
        current = current.assign(area_type=current["area_code"].map(kind).to_numpy())
        frames.append(current)
        current = current.loc[current["area_type"] != "borough"]
        current = current.assign(area_code=current["area_code"].map(parent).to_numpy()).drop(columns="area_type")
        current = current.dropna(subset=["area_code"])
    return pd.concat(frames, ignore_index=True)


def period_label(start: pd.Series, end: pd.Series, year_type: str) -> pd.Series:
    """Fingertips-style period labels: "2020", "2018 - 20", "2019/20", "2017/18 - 19/20"."""
    start, end = start.astype(int), end.astype(int)
    if year_type == "calendar":
        single = end.astype(str)
        pooled = start.astype(str) + " - " + (end % 100).map("{:02d}".format)
    else:
        single = (end - 1).astype(str) + "/" + (end % 100).map("{:02d}".format)
        pooled = (
            (start - 1).astype(str) + "/" + (start % 100).map("{:02d}".format)
            + " - " + ((end - 1) % 100).map("{:02d}".format) + "/" + (end % 100).map("{:02d}".format)
        )  # fmt: skip
    return single.where(start == end, pooled)


def pool_years(df: pd.DataFrame, windows: list[int], first: int, last: int) -> pd.DataFrame:
    """Replicate each row into every period window of ``windows`` years that contains its year.

    Adds ``years`` (window length) and ``period_end``; keeps only complete windows.
    """
    frames = []
    for years in windows:
        for offset in range(years):
            end = df["year"] + offset
            keep = (end <= last) & (end - years + 1 >= first)
            frames.append(df.loc[keep].assign(years=years, period_end=end[keep]))
    return pd.concat(frames, ignore_index=True).drop(columns="year")


# --------------------------------------------------------------------------------------------
# Numerators and denominators
# --------------------------------------------------------------------------------------------
def _select(inputs: Inputs, spec: dict, by_age: bool, esp_bands: bool) -> pd.DataFrame:
    """Filter a table as ``spec`` says and keep the columns an indicator is grouped by."""
    df = inputs[spec["table"]]
    where = dict(spec.get("where", {}))
    mask = np.ones(len(df), dtype=bool)
    if "age" in where:
        start = df["age_band"].map(AGE_START)
        limits = where.pop("age")
        if "min" in limits:
            mask &= (start >= limits["min"]).to_numpy()
        if "max" in limits:
            mask &= (start <= limits["max"]).to_numpy()
    if "imd_decile" in where:
        decile = df["area_code"].map(inputs["deprivation"].set_index("area_code")["imd_decile"])
        mask &= decile.isin(where.pop("imd_decile")).to_numpy()
    for column, allowed in where.items():
        mask &= df[column].isin(allowed).to_numpy()
    keep = ["area_code", "year"] + [c for c in ("sex",) if c in df.columns]
    out = df.loc[mask, keep].copy()
    if by_age:
        band = df.loc[mask, "age_band"]
        out["age_band"] = band.replace({"0": "0-4", "1-4": "0-4"}) if esp_bands else band
    out["x"] = df.loc[mask, spec["column"]].astype("float64")
    return out


def _with_persons(df: pd.DataFrame, sexes: list[str]) -> pd.DataFrame:
    """Keep the requested sexes, adding "Persons" rows (all sexes) where asked."""
    if "sex" not in df.columns:
        return df.assign(sex="Persons")
    parts = [df.loc[df["sex"].isin(sexes)]]
    if "Persons" in sexes:
        parts.append(df.assign(sex="Persons"))
    return pd.concat(parts, ignore_index=True)


def _aggregate(inputs: Inputs, lookup: pd.DataFrame, indicator: dict, spec: dict, by_age: bool, esp: bool) -> pd.DataFrame:
    """One indicator's numerator or denominator summed by area, period, sex (and age band)."""
    df = _with_persons(_select(inputs, spec, by_age, esp), indicator["sex"])
    years = inputs[spec["table"]]["year"]
    df = pool_years(df, indicator["windows"], int(years.min()), int(years.max()))
    wanted = lookup.loc[lookup["area_type"].isin(indicator["areas"]), ["base_code", "area_code"]]
    df = df.rename(columns={"area_code": "base_code"}).merge(wanted, on="base_code").drop(columns="base_code")
    keys = ["area_code", "years", "period_end", "sex"] + (["age_band"] if by_age else [])
    out = df.groupby(keys, sort=True, observed=True)["x"].sum().reset_index()
    return out.assign(indicator_id=indicator["id"])


def indicator_inputs(inputs: Inputs, lookup: pd.DataFrame, indicator: dict) -> pd.DataFrame:
    """Numerator ``count`` and denominator ``denominator`` for one indicator, every area and period."""
    method = indicator["method"]
    by_age = method in ("dsr", "life_expectancy")
    esp = method == "dsr"
    numerator = _aggregate(inputs, lookup, indicator, indicator["numerator"], by_age, esp).rename(columns={"x": "count"})
    if "denominator" not in indicator:
        return numerator
    denominator = _aggregate(inputs, lookup, indicator, indicator["denominator"], by_age, esp).rename(columns={"x": "denominator"})
    keys = ["indicator_id", "area_code", "years", "period_end", "sex"] + (["age_band"] if by_age else [])
    # A denominator with no events is zero events; events with no denominator cannot be used.
    merged = denominator.merge(numerator, on=keys, how="left")
    return merged.fillna({"count": 0.0})


# --------------------------------------------------------------------------------------------
# The statistics, one call per method
# --------------------------------------------------------------------------------------------
def run_method(method: str, df: pd.DataFrame, catalogue: dict[str, dict]) -> pd.DataFrame:
    group = ["indicator_id", "area_code", "years", "period_end", "sex"]
    if method == "count":
        out = df.groupby(group, sort=True)["count"].sum().reset_index()
        return out.assign(value=out["count"], statistic="Count", method="Sum")
    if method in ("proportion", "crude_rate", "dsr"):
        # Multipliers differ between indicators: compute per unit and scale afterwards.
        function = {"proportion": stats.proportion, "crude_rate": stats.crude_rate, "dsr": stats.dsr}[method]
        args = ("count", "denominator")
        if method == "dsr":
            out = function(df, *args, age_band="age_band", group_by=group, multiplier=1)
        else:
            out = function(df, *args, group_by=group, multiplier=1)
        scale = out["indicator_id"].map(lambda i: catalogue[i]["multiplier"]).to_numpy()
        for column in ("value", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8"):
            out[column] = out[column] * scale
        return out
    if method == "life_expectancy":
        out = stats.life_expectancy(
            df.rename(columns={"count": "deaths", "denominator": "population"}), "deaths", "population", group_by=group
        )
        start = out["indicator_id"].map(lambda i: catalogue[i]["start_age"])
        out = out.loc[out["start_age"] == start].drop(columns=["start_age"])
        totals = df.groupby(group, sort=True)[["count", "denominator"]].sum().reset_index()
        out = out.drop(columns=[c for c in ("deaths", "population") if c in out.columns]).merge(totals, on=group, how="left")
        return out
    if method == "ewd_index":
        # count = winter deaths, denominator = both non-winter periods' deaths; the store keeps
        # Fingertips' count (excess winter deaths) and denominator (average non-winter deaths).
        out = stats.excess_winter_deaths(df, "count", "denominator", group_by=group)
        return out.assign(count=out["excess_deaths"], denominator=out["average_non_winter"])
    raise ValueError(f"unknown method {method!r}")  # the catalogue schema makes this unreachable


def _survey_inputs(inputs: Inputs, lookup: pd.DataFrame, indicator: dict) -> pd.DataFrame:
    spec = indicator["numerator"]
    survey = inputs[spec["table"]]
    mask = np.ones(len(survey), dtype=bool)
    for column, allowed in spec.get("where", {}).items():
        mask &= survey[column].isin(allowed).to_numpy()
    rows = survey.loc[mask]
    out = pd.DataFrame(
        {
            "indicator_id": indicator["id"], "area_code": rows["area_code"].to_numpy(), "years": 1,
            "period_end": rows["year"].to_numpy(), "sex": "Persons", "estimate": rows["value"].to_numpy(),
            "lower": rows["lower_95_0"].to_numpy(), "upper": rows["upper_95_0"].to_numpy(),
            "denominator": rows["respondents"].astype("float64").to_numpy(),
        }
    )  # fmt: skip
    return out


def _published_values(inputs: Inputs, entries: list[dict]) -> pd.DataFrame:
    """Method ``published``: the borough's real published values from the comparators table.

    Nothing is computed: each comparators row for the borough and one of these indicators
    becomes a store row, its period label read back into window length and end year with the
    indicator's year type. Published limits are not in the comparators, so there are none.
    """
    borough = inputs.geography.loc[inputs.geography["area_type"] == "borough", "area_code"].iloc[0]
    frames = []
    for entry in entries:
        rows = inputs.comparators.loc[
            (inputs.comparators["indicator_id"] == entry["id"]) & (inputs.comparators["area_code"] == borough)
            & inputs.comparators["sex"].isin(entry["sex"])
        ]  # fmt: skip
        start, end = parse_period_label(rows["period"], entry["year_type"])
        frames.append(pd.DataFrame({
            "indicator_id": entry["id"], "area_code": borough, "years": (end - start + 1).to_numpy(), "period_end": end.to_numpy(),
            "sex": rows["sex"].to_numpy(), "value": rows["value"].to_numpy(dtype=float), "count": np.nan, "denominator": np.nan,
            "lower_95_0": np.nan, "upper_95_0": np.nan, "lower_99_8": np.nan, "upper_99_8": np.nan,
            "statistic": "Published value", "method": "Real published value: " + rows["source"].to_numpy(dtype=object),
        }))  # fmt: skip
    out = pd.concat(frames, ignore_index=True)
    return out.loc[out["years"].isin([w for e in entries for w in e["windows"]])].reset_index(drop=True)


def parse_period_label(labels: pd.Series, year_type: str) -> tuple[pd.Series, pd.Series]:
    """Start and end years of Fingertips-style period labels (the inverse of :func:`period_label`).

    "2020" -> (2020, 2020); "2018 - 20" -> (2018, 2020); "2019/20" -> (2020, 2020);
    "2017/18 - 19/20" -> (2018, 2020). Raises ValueError on any other form.
    """
    labels = labels.astype(str).str.strip()
    pattern = r"^(\d{4})$|^(\d{4}) - (\d{2})$" if year_type == "calendar" else r"^(\d{4})/(\d{2})(?: - (\d{2})/(\d{2}))?$"
    parts = labels.str.extract(pattern)
    if parts.isna().all(axis=1).any():
        bad = labels[parts.isna().all(axis=1)].iloc[0]
        example = period_label(pd.Series([2018]), pd.Series([2020]), year_type).iloc[0]
        raise ValueError(f"period {bad!r} is not a {year_type} period label like {example!r}")
    if year_type == "calendar":
        single = parts[0].notna()
        start = parts[0].where(single, parts[1]).astype(int)
        end = start.where(single, (start // 100) * 100 + parts[2].fillna("0").astype(int))
    else:
        first = parts[0].astype(int)
        start = first + 1
        pooled = parts[2].notna()
        end = start.where(~pooled, (first // 100) * 100 + parts[3].fillna("0").astype(int))
    end = end.where(end >= start, end + 100)  # a window crossing a century
    return start, end


# --------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------
def compute_store(inputs: Inputs, catalogue: list[dict]) -> pd.DataFrame:
    """Every indicator x every area x every period, with comparisons, as one sorted table.

    Disclosure control (:func:`jsna.disclosure.apply`) is applied before the comparisons and
    trends, so a suppressed value can leak neither through its comparison label nor as a
    child's ``parent_value``.
    """
    by_id = {entry["id"]: entry for entry in catalogue}
    lookup = area_lookup(inputs.geography)
    results = []
    for method in sorted({entry["method"] for entry in catalogue}):
        entries = [entry for entry in catalogue if entry["method"] == method]
        if method == "survey":
            frame = pd.concat([_survey_inputs(inputs, lookup, e) for e in entries], ignore_index=True)
            result = frame.assign(value=frame["estimate"], count=np.nan, lower_95_0=frame["lower"], upper_95_0=frame["upper"],
                                  lower_99_8=np.nan, upper_99_8=np.nan, statistic="Survey estimate",
                                  method="Published survey estimate and 95% limits")  # fmt: skip
            result = result.drop(columns=["estimate", "lower", "upper"])
        elif method == "published":
            result = _published_values(inputs, entries)
        elif method == "le_sii":
            from jsna import inequalities  # it builds on this module's functions

            result = inequalities.life_expectancy_sii(inputs, entries)
        else:
            frame = pd.concat([indicator_inputs(inputs, lookup, e) for e in entries], ignore_index=True)
            result = run_method(method, frame, by_id)
        results.append(result)
    store = pd.concat(results, ignore_index=True)
    numeric = ["value", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8", "count", "denominator"]
    store[numeric] = store[numeric].astype("float64")
    store = describe(store, inputs, by_id)
    store = disclosure.apply(store, catalogue)
    store = add_comparisons(store, inputs.comparators)
    store = add_recent_trends(store, by_id)
    return finalise(store)


def describe(store: pd.DataFrame, inputs: Inputs, catalogue: dict[str, dict]) -> pd.DataFrame:
    geography = inputs.geography.set_index("area_code")
    meta = pd.DataFrame(
        [
            {"indicator_id": i, "indicator_name": e["title"], "unit": e["unit"], "age": e["age"],
             "polarity": e["polarity"], "year_type": e["year_type"]}
            for i, e in catalogue.items()
        ]
    )  # fmt: skip
    store = store.merge(meta, on="indicator_id", how="left")
    store["area_name"] = store["area_code"].map(geography["area_name"])
    store["area_type"] = store["area_code"].map(geography["area_type"])
    store["parent_code"] = store["area_code"].map(geography["parent_code"])
    names = geography["area_name"]
    store["parent_name"] = store["parent_code"].map(names)
    store["period_start"] = store["period_end"] - store["years"] + 1
    labels = []
    for year_type, rows in store.groupby("year_type", sort=False):
        labels.append(period_label(rows["period_start"], rows["period_end"], year_type))
    store["period"] = pd.concat(labels)
    return store.drop(columns="year_type")


def add_comparisons(store: pd.DataFrame, comparators: pd.DataFrame) -> pd.DataFrame:
    """Compare each value with England and with its parent area (Fingertips 95% method).

    Benchmark values come from the store itself (a ward's township, a township's borough) or,
    for areas outside it (England, the region), from the real published comparators.
    """
    published = comparators.rename(columns={"value": "benchmark"})[["indicator_id", "area_code", "period", "sex", "benchmark"]]
    computed = store[["indicator_id", "area_code", "period", "sex", "value"]].rename(columns={"value": "benchmark"})
    benchmarks = pd.concat([computed, published.loc[~published["area_code"].isin(computed["area_code"])]])
    keys = ["indicator_id", "period", "sex"]
    england = benchmarks.loc[benchmarks["area_code"] == ENGLAND].drop(columns="area_code").rename(columns={"benchmark": "england_value"})
    region = benchmarks.loc[benchmarks["area_code"] == REGION].drop(columns="area_code").rename(columns={"benchmark": "region_value"})
    parents = benchmarks.rename(columns={"area_code": "parent_code", "benchmark": "parent_value"})
    store = store.merge(england, on=keys, how="left").merge(region, on=keys, how="left")
    store = store.merge(parents, on=keys + ["parent_code"], how="left")
    # Profiles compare every place with the borough too (a ward's parent is its township).
    boroughs = store.loc[store["area_type"] == "borough", "area_code"].unique()
    borough = benchmarks.loc[benchmarks["area_code"].isin(boroughs)].drop(columns="area_code")
    store = store.merge(borough.rename(columns={"benchmark": "borough_value"}), on=keys, how="left")
    store["compared_to_england"] = stats.compare(store, benchmark="england_value")["comparison"].to_numpy()
    store["compared_to_parent"] = stats.compare(store, benchmark="parent_value")["comparison"].to_numpy()
    store["compared_to_borough"] = stats.compare(store, benchmark="borough_value")["comparison"].to_numpy()
    return store


#: How the recent-trend test treats each method: counts and denominators for proportions,
#: the value and its 95% limits for everything else; counts have no trend.
TREND_KIND = {"proportion": "proportion", "crude_rate": "rate", "dsr": "rate", "life_expectancy": "other", "survey": "other",
              "ewd_index": "other"}


def add_recent_trends(store: pd.DataFrame, catalogue: dict[str, dict]) -> pd.DataFrame:
    """The Fingertips recent-trend marker on the rows a summary can show, each for the five periods to it.

    A series is one indicator, area, sex and window length. Marked: its latest row (the
    Fingertips marker) and every row that England has a value for, because summaries show the
    latest period comparable with England (:meth:`jsna.views.Store.latest`) and a comparison and
    a trend are read together ("worse than England and getting worse"). Other rows get "".
    """
    store = store.assign(recent_trend="")
    method = store["indicator_id"].map(lambda i: catalogue[i]["method"])
    for kind in sorted(set(TREND_KIND.values())):
        rows = store.loc[method.map(TREND_KIND) == kind]
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


def funnel_tables(store: pd.DataFrame, catalogue: list[dict]) -> dict[str, pd.DataFrame]:
    """Practice funnel plots for the indicators marked ``funnel: true``.

    Each practice is compared with the borough's value for the same indicator and period, with
    95% and 99.8% limits at its own denominator; ``funnel_lines`` holds a grid to draw them.
    Practices whose counts were suppressed cannot be placed and are left out.
    """
    points, lines = [], []
    for entry in catalogue:
        if not entry.get("funnel"):
            continue
        statistic = {"proportion": "proportion", "crude_rate": "rate"}[entry["method"]]
        rows = store.loc[
            (store["indicator_id"] == entry["id"]) & (store["area_type"] == "practice")
            & (store["sex"] == "Persons") & (store["years"] == 1) & store["count"].notna()
        ]  # fmt: skip
        borough = store.loc[
            (store["indicator_id"] == entry["id"]) & (store["area_type"] == "borough")
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
    point_columns = ["indicator_id", "period", "years", "area_code", "area_name", "parent_code", "count", "denominator",
                     "value", "baseline", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8", "significance"]  # fmt: skip
    line_columns = ["indicator_id", "period", "denominator", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8"]
    funnels = pd.concat(points, ignore_index=True) if points else pd.DataFrame(columns=point_columns)
    funnel_lines = pd.concat(lines, ignore_index=True) if lines else pd.DataFrame(columns=line_columns)
    return {"funnels": funnels[point_columns].reset_index(drop=True), "funnel_lines": funnel_lines[line_columns].reset_index(drop=True)}


def finalise(store: pd.DataFrame) -> pd.DataFrame:
    """Fill the note column, order the columns, sort the rows: a deterministic table."""
    if "note" not in store.columns:
        store["note"] = ""
    store["note"] = store["note"].fillna("")
    store["recent_trend"] = store.get("recent_trend", pd.Series("", index=store.index)).fillna("")
    out = store.reindex(columns=STORE_COLUMNS)
    out = out.sort_values(["indicator_id", "area_type", "area_code", "years", "period_end", "sex"], kind="mergesort")
    for column in ("years", "period_start", "period_end"):
        out[column] = out[column].astype("int64")
    return out.reset_index(drop=True)
