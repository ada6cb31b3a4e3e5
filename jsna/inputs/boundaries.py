"""Area boundaries for the maps (optional): ``boundaries/wards.geojson`` and
``boundaries/small_areas.geojson`` in the data folder.

Each is a GeoJSON FeatureCollection in longitude/latitude (WGS84, as ONS publishes its
boundaries) whose features carry the area's code in the property ``area_code``;
``scripts/make_demo_data.py`` writes them from a geography kit. A book without the folder has
no maps. With it, the shapes must match the geography exactly: every ward (or small area) of
``geography.csv`` has a shape and every shape is an area of the data, or the build stops naming
the file and the code (a map with a missing or a foreign area would mislead).

:func:`for_maps` gives the shapes as the maps draw them (d3's winding order, coordinates to
five decimal places, about a metre): one file per kind, written once into the book.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from jsna.errors import DataError
from jsna.inputs.encoding import read_text
from jsna.inputs.places import AreaTypes

FOLDER = "boundaries"
#: Kind of boundary file -> the role of the area type its features are.
KINDS = {"wards": "ward", "small_areas": "small_area"}


def load_boundaries(folder: Path | str, geography: pd.DataFrame, area_types: AreaTypes) -> dict[str, dict]:
    """The data folder's boundary files, by kind, checked against the geography; {} without any."""
    found = {}
    for kind, role in KINDS.items():
        path = Path(folder) / FOLDER / f"{kind}.geojson"
        if not path.is_file():
            continue
        type_id = area_types.playing(role)
        expected = set(geography.loc[geography["area_type"] == type_id, "area_code"]) if type_id else set()
        found[kind] = _checked(path, expected, area_types[type_id].plural if type_id else kind)
    return found


def _checked(path: Path, expected: set[str], plural: str) -> dict:
    try:
        document = json.loads(read_text(path))
        features = document["features"]
        codes = [str(f["properties"]["area_code"]) for f in features]
        for feature in features:
            if feature["geometry"]["type"] not in ("Polygon", "MultiPolygon"):
                raise ValueError(f"{feature['properties']['area_code']} is a {feature['geometry']['type']}, not a polygon")
    except DataError:
        raise
    except (ValueError, KeyError, TypeError) as error:
        raise DataError(path, f"not GeoJSON polygons with an 'area_code' property ({error})") from None
    if len(set(codes)) != len(codes):
        raise DataError(path, f"area {next(c for c in codes if codes.count(c) > 1)} has more than one shape")
    missing, foreign = sorted(expected - set(codes)), sorted(set(codes) - expected)
    if missing:
        raise DataError(path, f"no shape for {missing[0]} ({len(missing)} of the {plural} in geography.csv have none); every one needs a shape")
    if foreign:
        raise DataError(path, f"{foreign[0]} has a shape but is not one of the {plural} in geography.csv ({len(foreign)} such)")
    return document


def for_maps(document: dict) -> str:
    """The shapes as the maps read them (JSON text): each feature's ``area_code`` only, exterior
    rings clockwise and holes anticlockwise (d3-geo's spherical winding; GeoJSON's RFC 7946
    order is the reverse, and would fill the whole globe), coordinates rounded to 1e-5 degrees."""
    features = []
    for feature in sorted(document["features"], key=lambda f: str(f["properties"]["area_code"])):
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        wound = [[_wound(ring, exterior=i == 0) for i, ring in enumerate(polygon)] for polygon in polygons]
        features.append({"type": "Feature", "properties": {"area_code": str(feature["properties"]["area_code"])},
                         "geometry": {"type": "MultiPolygon", "coordinates": wound}})  # fmt: skip
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))


def _wound(ring: list, *, exterior: bool) -> list:
    points = [[round(float(x), 5), round(float(y), 5)] for x, y, *_ in ring]
    area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1]))
    clockwise = area < 0
    return points if clockwise == exterior else points[::-1]
