"""Maps: the boundaries the data bring (checked against the geography), the shapes file the book
writes once, the map views on the store, the long-term-care risk count and the postcode lookup."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from jsna.errors import DataError
from jsna.inputs.boundaries import for_maps, load_boundaries
from jsna.inputs.postcodes import load_postcodes
from jsna.inputs.tables import load_inputs
from tests.conftest import ROOT, area_types

DEMO = ROOT / "data" / "demo"


@pytest.fixture(scope="module")
def demo_geography() -> pd.DataFrame:
    return pd.read_csv(DEMO / "geography.csv", dtype=str, keep_default_na=False)


def boundaries_with(tmp_path: Path, change) -> Path:
    folder = tmp_path / "data"
    (folder / "boundaries").mkdir(parents=True)
    document = json.loads((DEMO / "boundaries" / "wards.geojson").read_text(encoding="utf-8"))
    change(document["features"])
    (folder / "boundaries" / "wards.geojson").write_text(json.dumps(document), encoding="utf-8")
    return folder


def test_the_demo_shapes_are_every_ward_and_small_area_and_no_other(demo_geography) -> None:
    shapes = load_boundaries(DEMO, demo_geography, area_types())
    for kind, type_id in (("wards", "ward"), ("small_areas", "small_area")):
        codes = {f["properties"]["area_code"] for f in shapes[kind]["features"]}
        assert codes == set(demo_geography.loc[demo_geography["area_type"] == type_id, "area_code"])
    assert len(shapes["wards"]["features"]) == 24 and len(shapes["small_areas"]["features"]) == 201


def test_a_ward_without_a_shape_is_refused(tmp_path, demo_geography) -> None:
    folder = boundaries_with(tmp_path, lambda features: features.pop(3))
    with pytest.raises(DataError, match=r"wards.geojson: no shape for E05001239 \(1 of the wards in geography.csv have none\)"):
        load_boundaries(folder, demo_geography, area_types())


def test_a_shape_without_a_ward_is_refused(tmp_path, demo_geography) -> None:
    def foreign(features):
        features.append({**features[0], "properties": {"area_code": "E05999999"}})

    with pytest.raises(DataError, match=r"E05999999 has a shape but is not one of the wards in geography.csv"):
        load_boundaries(boundaries_with(tmp_path, foreign), demo_geography, area_types())


def test_a_shape_twice_or_not_a_polygon_is_refused(tmp_path, demo_geography) -> None:
    with pytest.raises(DataError, match="has more than one shape"):
        load_boundaries(boundaries_with(tmp_path, lambda f: f.append(f[0])), demo_geography, area_types())

    def point(features):
        features[0]["geometry"] = {"type": "Point", "coordinates": [-2.1, 52.5]}

    with pytest.raises(DataError, match="is a Point, not a polygon"):
        load_boundaries(boundaries_with(tmp_path / "b", point), demo_geography, area_types())


def test_a_data_folder_without_boundaries_has_no_maps(tiny_data, reference) -> None:
    assert load_inputs(tiny_data, reference).boundaries == {}


def signed_area(ring) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1])) / 2


def test_shapes_for_the_maps_are_wound_as_d3_needs_and_rounded() -> None:
    square = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]  # anticlockwise: RFC 7946's exterior
    hole = [[0.2, 0.2], [0.2, 0.8], [0.8, 0.8], [0.8, 0.2], [0.2, 0.2]]  # clockwise: RFC 7946's hole
    document = {"features": [{"properties": {"area_code": "X1", "name": "dropped"},
                              "geometry": {"type": "Polygon", "coordinates": [square, hole]}}]}  # fmt: skip
    written = json.loads(for_maps(document))["features"][0]
    exterior, inner = written["geometry"]["coordinates"][0]
    assert written["properties"] == {"area_code": "X1"} and written["geometry"]["type"] == "MultiPolygon"
    assert signed_area(exterior) < 0 < signed_area(inner)  # d3-geo: exterior clockwise, holes anticlockwise
    real = json.loads(for_maps(json.loads((DEMO / "boundaries" / "wards.geojson").read_text())))
    for feature in real["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            assert signed_area(polygon[0]) < 0
            assert all(round(x, 5) == x for x, _ in polygon[0])


# --------------------------------------------------------------------------------------------
# The views, on the smoke build's store
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def store(site):
    from jsna.store import Store

    return Store(site / "store")


@pytest.mark.smoke
def test_the_book_holds_one_shapes_file_per_kind_with_every_ward(site, store) -> None:
    wards = json.loads((site / "html" / "_static" / "boundaries" / "wards.json").read_text())
    codes = [f["properties"]["area_code"] for f in wards["features"]]
    geography = store.geography
    assert sorted(codes) == sorted(geography.index[geography["area_type"] == store.neighbourhood_type])
    assert set(store.table("boundaries").query("kind == 'wards'")["area_code"]) == set(codes)


@pytest.mark.smoke
def test_a_ward_map_shows_the_compare_chart_s_period_and_comparisons(store) -> None:
    from jsna.pages import maps

    figure = maps.ward_map(store, "E08000027", "falls_admissions_65")
    spec = figure.chart.to_dict()
    lookup = next(layer for layer in spec["layer"] if "transform" in layer)["transform"][0]
    data = lookup["from"]["data"]
    values = pd.DataFrame(data["values"] if "values" in data else spec["datasets"][data["name"]])
    rows = store.of("falls_admissions_65")
    for row in values.itertuples():
        stored = rows.loc[(rows["area_code"] == row.area_code) & (rows["years"] == 5) & (rows["sex"] == "Persons")].sort_values("period_end").iloc[-1]
        assert row.comparison == stored["compared_to_authority"].split(" ")[0]
    assert len(values) == 24 and "Office for National Statistics" in figure.note
    assert spec["projection"]["type"] == "transverseMercator"
    assert figure.table.shape[0] == 24


@pytest.mark.smoke
def test_the_care_risk_count_is_the_number_of_worse_comparisons(store) -> None:
    from jsna.pages import maps

    table = maps.care_risk_table(store, "E08000027")
    risks = [c for c in table.columns if c not in ("area_code", "Ward", "Worse on")]
    assert len(risks) == 3 and len(table) == 24
    assert (table["Worse on"] == (table[risks] == "Worse").sum(axis=1)).all()
    sentence, figure = maps.care_risk_figure(store, "E08000027")
    assert "no ward figures for dementia" in sentence and figure is not None


# --------------------------------------------------------------------------------------------
# Postcodes
# --------------------------------------------------------------------------------------------
def test_postcodes_are_read_from_an_nspl_subset(tmp_path) -> None:
    (tmp_path / "postcodes.csv").write_text(
        "pcd,pcd2,pcds,dointr,doterm,osward,lat,long\n"
        "DY1 1AA,DY1  1AA,DY1 1AA,199801,,E05001245,52.5,-2.08\n"
        "DY11AB,DY1  1AB,dy11ab,199801,202001,E05001245,52.5,-2.08\n"
        "B63 3BL,B63  3BL,B63 3BL,199801,,E05001236,52.45,-2.05\n"
        "B1 1AA,B1   1AA,B1 1AA,199801,,E05011111,52.48,-1.9\n", encoding="utf-8")  # fmt: skip
    found = load_postcodes(tmp_path, {"E05001245", "E05001236"})
    assert found == {"B63 3BL": "E05001236", "DY1 1AA": "E05001245"}  # terminated and other authorities' left out
    assert load_postcodes(tmp_path / "none", set()) is None


def test_a_bad_postcode_names_its_row(tmp_path) -> None:
    (tmp_path / "postcodes.csv").write_text("pcds,osward\nDY1 1AA,E05001245\nNOT A CODE,E05001245\n", encoding="utf-8")
    with pytest.raises(DataError) as raised:
        load_postcodes(tmp_path, {"E05001245"})
    assert raised.value.row == 2 and "'NOT A CODE' is not a postcode" in str(raised.value)


def test_a_lookup_for_another_authority_is_refused(tmp_path) -> None:
    (tmp_path / "postcodes.csv").write_text("pcds,osward\nB1 1AA,E05011111\n", encoding="utf-8")
    with pytest.raises(DataError, match="none of its wards is a ward of geography.csv"):
        load_postcodes(tmp_path, {"E05001245"})
    shutil.rmtree(tmp_path)


# --------------------------------------------------------------------------------------------
# Find my area
# --------------------------------------------------------------------------------------------
def test_find_my_area_lists_every_place_and_maps_every_ward(demo_geography) -> None:
    from jsna.book.build import plan_for
    from jsna.book.find import find_my_area
    from jsna.config import Settings
    from jsna.pages.escape import markdown_text
    from tests.conftest import default_parameters

    plan = plan_for(Settings(), default_parameters())
    wards = set(demo_geography.loc[demo_geography["area_type"] == "ward", "area_code"])
    block = find_my_area(plan, demo_geography, wards, postcodes=False)
    spec = json.loads(block.split('id="jsna-find-spec">')[1].split("</script>")[0])
    values = spec["transform"][0]["from"]["data"]["values"]
    assert {v["area_code"] for v in values} == wards and all(v["href"].endswith("/profile.html") for v in values)
    for place in plan.places_with_pages():
        if place.type != "borough":
            assert f"[{markdown_text(place.title)}](/{place.folder}/" in block
    assert "**Stourbridge township: wards**" in block and "**Dudley: primary care networks**" in block
    assert "jsna-postcode" not in block
    assert 'id="jsna-postcode"' in find_my_area(plan, demo_geography, wards, postcodes=True)
    assert "jsna-find-spec" not in find_my_area(plan, demo_geography, set(), postcodes=False)  # no shapes: lists only
