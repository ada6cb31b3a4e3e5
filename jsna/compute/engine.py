"""The indicator engine's shared steps: which areas a row counts towards, and an indicator's
numerator and denominator summed by area, period, sex (and age band).

A small area counts towards its ward, its township and the authority; a practice towards its
network and the authority (:func:`area_lookup`). An indicator's numerator and denominator are
filtered as the catalogue says, pooled into periods of one or more years and summed for every
area they count towards (:func:`indicator_inputs`); a method of :mod:`jsna.compute.methods`
then turns them into values. A deprivation quantile of an area is computed exactly as an area
is, with a lookup whose "areas" are the quantiles (:mod:`jsna.compute.inequalities`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from jsna.inputs.periods import period_label, pool_years
from jsna.inputs.tables import AGE_START, Inputs

#: Every value column a method returns; the store keeps them as floats.
NUMERIC = ["value", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8", "count", "denominator"]
#: The columns that identify one computed value.
GROUP = ["indicator_id", "area_code", "years", "period_end", "sex"]


@dataclass(frozen=True)
class Context:
    """What a method computes from: the inputs, the area lookup, the catalogue by id, and the
    inequality tables already computed (for methods that summarise them)."""

    inputs: Inputs
    lookup: pd.DataFrame
    catalogue: dict[str, dict]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def area_lookup(inputs: Inputs) -> pd.DataFrame:
    """Every (base area, area it counts towards) pair, with the latter's type.

    Base areas are small areas and practices; each counts towards itself and all its ancestors
    up to the authority. The authority is a base area too (it counts towards itself only), for
    the tables that hold authority totals (e.g. reablement).
    """
    geography, types = inputs.geography, inputs.area_types
    parent = geography.set_index("area_code")["parent_code"]
    kind = geography.set_index("area_code")["area_type"]
    authority = types.with_role("authority")
    base_types = [types.with_role("small_area"), types.with_role("practice"), authority]
    base = geography.loc[geography["area_type"].isin(base_types), ["area_code"]]
    frames = []
    current = pd.DataFrame({"base_code": base["area_code"].to_numpy(), "area_code": base["area_code"].to_numpy()})
    while len(current):
        current = current.assign(area_type=current["area_code"].map(kind).to_numpy())
        frames.append(current)
        current = current.loc[current["area_type"] != authority]
        current = current.assign(area_code=current["area_code"].map(parent).to_numpy()).drop(columns="area_type")
        current = current.dropna(subset=["area_code"])
    return pd.concat(frames, ignore_index=True)


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


def indicator_inputs(inputs: Inputs, lookup: pd.DataFrame, indicator: dict, *, by_age: bool = False, esp_bands: bool = False) -> pd.DataFrame:
    """Numerator ``count`` and denominator ``denominator`` for one indicator, every area and period
    (by age band too with ``by_age``; in the 19 ESP2013 bands with ``esp_bands``)."""
    numerator = _aggregate(inputs, lookup, indicator, indicator["numerator"], by_age, esp_bands).rename(columns={"x": "count"})
    if "denominator" not in indicator:
        return numerator
    denominator = _aggregate(inputs, lookup, indicator, indicator["denominator"], by_age, esp_bands).rename(columns={"x": "denominator"})
    keys = GROUP + (["age_band"] if by_age else [])
    # A denominator with no events is zero events; events with no denominator cannot be used.
    merged = denominator.merge(numerator, on=keys, how="left")
    return merged.fillna({"count": 0.0})


def describe(table: pd.DataFrame, inputs: Inputs, catalogue: dict[str, dict]) -> pd.DataFrame:
    """Add what each computed row is: indicator name, unit, age and polarity, the area's name,
    type and parent, and the period's first year and label."""
    geography = inputs.geography.set_index("area_code")
    meta = pd.DataFrame(
        [
            {"indicator_id": i, "indicator_name": e["title"], "unit": e["unit"], "age": e["age"],
             "polarity": e["polarity"], "year_type": e["year_type"]}
            for i, e in catalogue.items()
        ]
    )  # fmt: skip
    table = table.merge(meta, on="indicator_id", how="left")
    table["area_name"] = table["area_code"].map(geography["area_name"])
    table["area_type"] = table["area_code"].map(geography["area_type"])
    table["parent_code"] = table["area_code"].map(geography["parent_code"])
    table["parent_name"] = table["parent_code"].map(geography["area_name"])
    table["period_start"] = table["period_end"] - table["years"] + 1
    labels = [period_label(rows["period_start"], rows["period_end"], year_type) for year_type, rows in table.groupby("year_type", sort=False)]
    table["period"] = pd.concat(labels) if labels else pd.Series(dtype=object)
    return table.drop(columns="year_type")
