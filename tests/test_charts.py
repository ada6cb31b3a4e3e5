"""Chart builders and the figure block: alt text, data table, CSV, no CDN, two signals per comparison."""

from __future__ import annotations

import json
import urllib.parse

import altair as alt
import pandas as pd
import pytest
import vl_convert

from jsna.pages import charts


def compared() -> pd.DataFrame:
    return pd.DataFrame({
        "area_name": ["Ash", "Birch", "Cedar"], "value": [74.0, 76.0, 78.5], "lower_95_0": [73.0, 75.0, 77.5],
        "upper_95_0": [75.0, 77.0, 79.5], "comparison": ["Worse", "Similar", "Better"],
    })  # fmt: skip


def layers(chart: alt.TopLevelMixin) -> list[dict]:
    return chart.to_dict()["layer"]


def test_show_needs_alt_text_and_a_table() -> None:
    chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")
    with pytest.raises(ValueError, match="alt text"):
        charts.show(chart, alt_text=" ", table=pd.DataFrame({"x": [1]}), name="x")
    with pytest.raises(ValueError, match="empty data table"):
        charts.show(chart, alt_text="A point.", table=pd.DataFrame(), name="x")


def test_figure_block_has_chart_alt_text_table_and_csv_and_no_cdn() -> None:
    chart = charts.ranked_bars(compared(), title="Ash is worse", subtitle="2022", unit="years",
                               references=[("Borough: 77.0", 77.0), ("England: 78.0", 78.0)], legend_title="Compared with Borough")  # fmt: skip
    table = compared().rename(columns={"area_name": "Area"})
    page = charts.show(chart, alt_text="Three wards ranked.", table=table, name="wards", note="[c] a note")._repr_html_()
    assert 'role="img" tabindex="0" aria-label="Three wards ranked."' in page and "vegaEmbed(" in page and "jsnaDescribed" in page
    assert "<table" in page and "<td>Ash</td>" in page and "[c] a note" in page
    csv = urllib.parse.unquote(page.split("data:text/csv;charset=utf-8,")[1].split('"')[0])
    assert csv.splitlines()[0] == "Area,value,lower_95_0,upper_95_0,comparison"
    # Nothing is fetched from elsewhere: no script source, data embedded rather than loaded by URL
    # (the "$schema" address is an identifier vega-embed does not fetch).
    assert "<script src" not in page and '"url":' not in page
    assert "http" not in page.replace('"$schema":"https://vega.github.io/schema/', "")
    assert page == charts.show(chart, alt_text="Three wards ranked.", table=table, name="wards", note="[c] a note")._repr_html_()


def test_ranked_bars_show_comparison_by_colour_and_shape_and_label_the_references() -> None:
    chart = charts.ranked_bars(compared(), title="t", subtitle="s", unit="years",
                               references=[("Borough: 77.0", 77.0), ("England: 78.0", 78.0)], legend_title="Compared")  # fmt: skip
    points = next(layer for layer in layers(chart) if "shape" in layer.get("encoding", {}))["encoding"]
    assert points["color"]["scale"]["domain"] == points["shape"]["scale"]["domain"] == ["Better", "Similar", "Worse"]
    assert points["shape"]["scale"]["range"] == ["triangle-up", "circle", "triangle-down"]
    spec = json.dumps(chart.to_dict())
    assert "Borough: 77.0" in spec and "England: 78.0" in spec
    # A missing England value draws no line and no label.
    chart = charts.ranked_bars(compared(), title="t", subtitle="s", unit="years",
                               references=[("Borough: 77.0", 77.0), ("England: [x]", float("nan"))], legend_title="Compared")  # fmt: skip
    assert "England" not in json.dumps(chart.to_dict())


def test_comparison_key() -> None:
    assert charts.comparison_key("Better 99.8%") == "Better"
    assert charts.comparison_key("Not compared") == "Not compared"
    assert charts.comparison_key("nonsense") == "Not compared"


def test_tartan_cells_have_text_and_dark_cells_white_text() -> None:
    cells = pd.DataFrame({"indicator": ["A", "A"], "place": ["England", "Here"], "text": ["81.0", "▼ 78.0"], "comparison": ["Benchmark", "Worse"]})
    chart = charts.tartan(cells, title="t", subtitle="s", rows=["A"], columns=["England", "Here"])
    rect, label = layers(chart)
    assert rect["mark"]["type"] == "rect" and label["mark"]["type"] == "text"
    assert label["encoding"]["text"]["field"] == "text"
    assert label["encoding"]["color"]["condition"]["test"]["oneOf"] == ["Worse"]


def test_funnel_limits_are_dashed_and_solid_and_points_shaped() -> None:
    points = pd.DataFrame({"area_name": ["P1", "P2"], "denominator": [1000, 2000], "value": [9.0, 16.0],
                           "significance": ["Not significant", "High (0.001)"], "outlier": [False, True]})  # fmt: skip
    lines = pd.DataFrame({"denominator": [1000, 1000], "limit": ["95% limits", "99.8% limits"], "side": ["upper", "upper"], "value": [12.0, 13.0]})
    chart = charts.funnel(points, lines, baseline=10.0, baseline_label="Borough: 10.0", title="t", subtitle="s", unit="%")
    spec = chart.to_dict()
    dots = next(layer for layer in spec["layer"] if "shape" in layer.get("encoding", {}))["encoding"]
    assert dots["shape"]["scale"]["domain"] == ["Above the 99.8% limit", "Within the 95% limits"]
    assert dots["shape"]["scale"]["range"] == ["triangle-up", "circle"]
    dash = next(layer for layer in spec["layer"] if "strokeDash" in layer.get("encoding", {}))["encoding"]["strokeDash"]
    assert dash["scale"]["range"] == [[4, 3], [1, 0]]


@pytest.mark.parametrize("builder", ["ranked", "trend", "tartan", "spine", "funnel", "pyramid"])
def test_every_builder_renders_offline(builder: str) -> None:
    """Each chart compiles and renders with vl-convert (no network), so the page will draw it."""
    if builder == "ranked":
        chart = charts.ranked_bars(compared(), title="t", subtitle="s", unit="years", references=[("B", 77.0)], legend_title="c")
    elif builder == "trend":
        data = pd.DataFrame({"period": ["2020", "2021", "2021"], "series": ["Here", "Here", "England"], "value": [1.0, 2.0, 1.5],
                             "lower_95_0": [0.5, 1.5, None], "upper_95_0": [1.5, 2.5, None]})  # fmt: skip
        chart = charts.interval_trend(data, title="t", subtitle="s", unit="%", order=["2020", "2021"])
    elif builder == "tartan":
        cells = pd.DataFrame({"indicator": ["A"], "place": ["Here"], "text": ["● 1.0"], "comparison": ["Similar"]})
        chart = charts.tartan(cells, title="t", subtitle="s", rows=["A"], columns=["Here"])
    elif builder == "spine":
        data = pd.DataFrame({"indicator": ["A"], "position": [0.3], "range_from": [0.1], "range_to": [0.8], "value_text": ["1"],
                             "range_text": ["0 – 2"], "comparison": ["Worse"]})  # fmt: skip
        chart = charts.spine(data, title="t", subtitle="s", rows=["A"], range_title="Range across wards")
    elif builder == "funnel":
        points = pd.DataFrame({"area_name": ["P1"], "denominator": [1000], "value": [9.0], "significance": ["Not significant"], "outlier": [False]})
        lines = pd.DataFrame({"denominator": [1000, 2000], "limit": ["95% limits"] * 2, "side": ["upper"] * 2, "value": [12.0, 11.0]})
        chart = charts.funnel(points, lines, baseline=10.0, baseline_label="B", title="t", subtitle="s", unit="%")
    else:
        shares = pd.DataFrame({"sex": ["Male", "Female"], "age_band": ["0-4", "0-4"], "share": [50.0, 50.0]})
        chart = charts.pyramid(shares, shares, title="t", subtitle="s", place_label="Here", comparator_label="There")
    assert vl_convert.vegalite_to_svg(chart.to_json()).startswith("<svg")


def test_html_fragment_displays_as_html() -> None:
    fragment = charts.Html("<p>x</p>")
    assert fragment._repr_html_() == "<p>x</p>" and fragment == "<p>x</p>"
