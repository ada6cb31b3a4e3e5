"""The indicator engine's sums (jsna.compute.engine): summed on a dense grid, they must be exactly
the rows and numbers of the definition, written out here the slow way: every input row pooled
into each complete window that holds its year, joined to every area its base area counts
towards, and summed by a sorted ``groupby``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jsna.compute import engine
from jsna.compute.inequalities import _quantile_lookup
from jsna.inputs.periods import pool_years
from jsna.inputs.tables import AGE_START, SCHEMAS, load_inputs
from tests.conftest import ROOT, load_test_catalogue


def selected(inputs, spec: dict, by_age: bool, esp: bool) -> pd.DataFrame:
    """The rows of a table a source selects, with the column it counts as ``x``."""
    df = inputs[spec["table"]]
    where = dict(spec.get("where", {}))
    mask = np.ones(len(df), dtype=bool)
    if "age" in where:
        start, limits = df["age_band"].map(AGE_START), where.pop("age")
        if "min" in limits:
            mask &= (start >= limits["min"]).to_numpy()
        if "max" in limits:
            mask &= (start <= limits["max"]).to_numpy()
    if "imd_decile" in where:
        decile = df["area_code"].map(inputs["deprivation"].set_index("area_code")["imd_decile"])
        mask &= decile.isin(where.pop("imd_decile")).to_numpy()
    for column, allowed in where.items():
        mask &= df[column].isin(allowed).to_numpy()
    out = df.loc[mask, ["area_code", "year"] + [c for c in ("sex",) if c in df.columns]].copy()
    if by_age:
        band = df.loc[mask, "age_band"]
        out["age_band"] = band.replace({"0": "0-4", "1-4": "0-4"}) if esp else band
    out["x"] = df.loc[mask, spec["column"]].astype("float64")
    return out


def pooled_and_grouped(inputs, lookup: pd.DataFrame, indicator: dict, spec: dict, by_age: bool, esp: bool) -> pd.DataFrame:
    """The definition of an indicator's numerator or denominator by area, period and sex."""
    df = selected(inputs, spec, by_age, esp)
    if "sex" not in df.columns:
        df = df.assign(sex="Persons")
    else:
        persons = [df.assign(sex="Persons")] if "Persons" in indicator["sex"] else []
        df = pd.concat([df.loc[df["sex"].isin(indicator["sex"])]] + persons, ignore_index=True)
    years = inputs[spec["table"]]["year"]
    df = pool_years(df, indicator["windows"], int(years.min()), int(years.max()))
    wanted = lookup.loc[lookup["area_type"].isin(indicator["areas"]), ["base_code", "area_code"]]
    df = df.rename(columns={"area_code": "base_code"}).merge(wanted, on="base_code").drop(columns="base_code")
    keys = ["area_code", "years", "period_end", "sex"] + (["age_band"] if by_age else [])
    return df.groupby(keys, sort=True, observed=True)["x"].sum().reset_index().assign(indicator_id=indicator["id"])


def reference_inputs(inputs, lookup: pd.DataFrame, indicator: dict, by_age: bool, esp: bool) -> pd.DataFrame:
    """The definition of an indicator's numerator ``count`` and denominator ``denominator``: the
    denominator's rows, with the numerator's sum where it has one and zero where not."""
    def summed(role: str, name: str) -> pd.DataFrame:
        return pooled_and_grouped(inputs, lookup, indicator, indicator[role], by_age, esp).rename(columns={"x": name})

    numerator = summed("numerator", "count")
    if "denominator" not in indicator:
        return numerator
    keys = ["indicator_id", "area_code", "years", "period_end", "sex"] + (["age_band"] if by_age else [])
    return summed("denominator", "denominator").merge(numerator, on=keys, how="left").fillna({"count": 0.0})


def entries_to_check(catalogue: list[dict], inputs):
    """(entry, by age, ESP bands) for every distinct set of sources, sexes, windows and areas in
    the catalogue that sum tables of counts holding rows, by age band as well (in the tables'
    bands and in the ESP's) wherever they have one."""
    seen = set()
    for entry in catalogue:
        tables = [entry[role]["table"] for role in ("numerator", "denominator") if role in entry]
        if not tables or not all(t in SCHEMAS and t != "survey" and len(inputs[t]) for t in tables):
            continue
        by_age = all("age_band" in SCHEMAS[t].column_names for t in tables)
        for variant in [(False, False)] + ([(True, False), (True, True)] if by_age else []):
            key = repr(([entry.get(r) for r in ("numerator", "denominator")], entry["sex"], entry["windows"], entry["areas"], variant))
            if key not in seen:
                seen.add(key)
                yield (entry, *variant)


@pytest.mark.parametrize("quantiles", [False, True], ids=["areas", "deprivation quintiles"])
def test_sums_are_those_of_the_pooled_rows_grouped(tiny_data: Path, quantiles: bool) -> None:
    inputs = load_inputs(tiny_data, ROOT / "data" / "reference")
    lookup = engine.area_lookup(inputs)
    if quantiles:
        types = [t.id for t in inputs.area_types if t.deprivation_quintiles]
        lookup = _quantile_lookup(inputs, lookup, types, 5)
    context = engine.Context(inputs, lookup, {})
    checked = 0
    for entry, by_age, esp in entries_to_check(load_test_catalogue(), inputs):
        found = engine.indicator_inputs(context, entry, by_age=by_age, esp_bands=esp)
        pd.testing.assert_frame_equal(found, reference_inputs(inputs, lookup, entry, by_age, esp), check_exact=True)
        checked += len(found)
    assert checked > 1000
