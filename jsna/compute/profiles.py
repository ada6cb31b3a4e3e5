"""Population profiles for the store: age structure and deprivation mix of every place.

These are counts and shares, not statistics with intervals; they feed the population pyramid
and the deprivation profile. Like the indicators, they are computed once here so that notebooks
only select rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jsna.compute.engine import area_lookup
from jsna.inputs.tables import Inputs
from jsna.store import TABLES

#: Five-year bands of the pyramid (0 and 1-4 merged), youngest first.
PYRAMID_BANDS: tuple[str, ...] = ("0-4",) + tuple(f"{a}-{a + 4}" for a in range(5, 90, 5)) + ("90+",)


def _residential(inputs: Inputs) -> tuple[str, ...]:
    """The place types residents are counted at: the authority down to the type small areas lie in."""
    return inputs.area_types.below_authority("small_area")[:-1]


def _registered(inputs: Inputs) -> tuple[str, ...]:
    """The place types registered patients are counted at, between the authority and the practices."""
    return inputs.area_types.below_authority("practice")[1:-1]


def _by_place(inputs: Inputs, df: pd.DataFrame, place_types: tuple[str, ...]) -> pd.DataFrame:
    lookup = area_lookup(inputs)
    lookup = lookup.loc[lookup["area_type"].isin(place_types), ["base_code", "area_code"]]
    return df.rename(columns={"area_code": "base_code"}).merge(lookup, on="base_code").drop(columns="base_code")


def age_structure(inputs: Inputs) -> pd.DataFrame:
    """Population by place, year, sex and five-year band, with each band's share of the place total.

    The authority and the places residents are counted at (townships, wards) from residents;
    the places between the authority and the practices (primary care networks) from registered
    patients.
    """
    merged = {"0": "0-4", "1-4": "0-4"}
    residents = _by_place(inputs, inputs["population"].assign(age_band=lambda d: d["age_band"].replace(merged)), _residential(inputs))
    patients = inputs["practice_population"].rename(columns={"registered": "population"})
    patients = _by_place(inputs, patients.assign(age_band=lambda d: d["age_band"].replace(merged)), _registered(inputs))
    df = pd.concat([residents, patients], ignore_index=True)
    out = df.groupby(["area_code", "year", "sex", "age_band"], sort=True)["population"].sum().reset_index()
    totals = out.groupby(["area_code", "year"])["population"].transform("sum")
    out["share"] = 100 * out["population"] / totals
    out["age_band"] = pd.Categorical(out["age_band"], categories=PYRAMID_BANDS, ordered=True)
    out = out.sort_values(["area_code", "year", "sex", "age_band"]).reset_index(drop=True)
    out["age_band"] = out["age_band"].astype(str)
    return out


def deprivation_profile(inputs: Inputs) -> pd.DataFrame:
    """Residents of each place by national deprivation decile of their small area, every year."""
    population = inputs["population"].groupby(["area_code", "year"], sort=True)["population"].sum().reset_index()
    population["imd_decile"] = population["area_code"].map(inputs["deprivation"].set_index("area_code")["imd_decile"])
    df = _by_place(inputs, population, _residential(inputs))
    out = df.groupby(["area_code", "year", "imd_decile"], sort=True)["population"].sum().reset_index()
    full = pd.MultiIndex.from_product(
        [out["area_code"].unique(), out["year"].unique(), range(1, 11)], names=["area_code", "year", "imd_decile"]
    )
    out = out.set_index(["area_code", "year", "imd_decile"]).reindex(full, fill_value=0).reset_index()
    out["share"] = 100 * out["population"] / out.groupby(["area_code", "year"])["population"].transform("sum")
    return out.sort_values(["area_code", "year", "imd_decile"]).reset_index(drop=True)


def england_age_structure(inputs: Inputs) -> pd.DataFrame:
    """England's population by sex and five-year band (real ONS figures), with each band's share."""
    out = inputs.reference["england_population"].copy()
    out["share"] = 100 * out["population"] / out["population"].sum()
    return out.reset_index(drop=True)


def profile_tables(inputs: Inputs) -> dict[str, pd.DataFrame]:
    """The producer of the population profiles, the geography and the area type registry."""
    return {
        "age_structure": TABLES["age_structure"].select(age_structure(inputs)),
        "deprivation_profile": TABLES["deprivation_profile"].select(deprivation_profile(inputs)),
        "england_age_structure": TABLES["england_age_structure"].select(england_age_structure(inputs)),
        "geography": inputs.geography.sort_values("area_code").reset_index(drop=True),
        "area_types": TABLES["area_types"].select(inputs.area_types.table()),
        "boundaries": TABLES["boundaries"].select(boundary_codes(inputs)),
    }


def boundary_codes(inputs: Inputs) -> pd.DataFrame:
    """Which areas the maps can draw, and where each is labelled: one row per shape of each
    boundary file."""
    rows = [(kind, str(f["properties"]["area_code"]), *label_point(f["geometry"]))
            for kind, document in inputs.boundaries.items() for f in document["features"]]  # fmt: skip
    table = pd.DataFrame(rows, columns=["kind", "area_code", "longitude", "latitude"]).astype({"longitude": float, "latitude": float})
    deciles = inputs["deprivation"].set_index("area_code")["imd_decile"]
    table["imd_decile"] = table["area_code"].map(deciles).where(table["kind"] == "small_areas").astype(float)
    return table.sort_values(["kind", "area_code"], ignore_index=True)


def label_point(geometry: dict) -> tuple[float, float]:
    """The centroid of a (multi)polygon's largest exterior ring (planar, in degrees: areas this
    small are flat enough), rounded to 1e-5 degrees."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    best = (0.0, 0.0, 0.0)
    for polygon in polygons:
        ring = np.asarray(polygon[0], dtype=float)[:, :2]
        x, y = ring[:, 0], ring[:, 1]
        cross = x * np.roll(y, -1) - np.roll(x, -1) * y
        area = cross.sum() / 2
        if area and abs(area) > abs(best[0]):
            best = (area, float(((x + np.roll(x, -1)) * cross).sum() / (6 * area)), float(((y + np.roll(y, -1)) * cross).sum() / (6 * area)))
    return round(best[1], 5), round(best[2], 5)
