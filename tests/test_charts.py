"""Chart builders and the figure block: alt text, data table, CSV, no CDN, two signals per comparison."""

from __future__ import annotations

import csv
import functools
import html
import io
import json
import re

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


def records(spec: dict) -> list[dict]:
    """Every record of a specification as a page embeds it."""
    return [row for rows in charts.embedded_records(spec).values() for row in rows]


def test_show_needs_alt_text_and_a_table() -> None:
    chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")
    with pytest.raises(ValueError, match="alt text"):
        charts.show(chart, alt_text=" ", table=pd.DataFrame({"x": [1]}), name="x")
    with pytest.raises(ValueError, match="empty data table"):
        charts.show(chart, alt_text="A point.", table=pd.DataFrame(), name="x")


def test_figure_block_has_chart_alt_text_table_and_one_csv_link_and_no_cdn() -> None:
    chart = charts.ranked_bars(compared(), title="Ash is worse", subtitle="2022", unit="years",
                               references=[("Borough: 77.0", 77.0), ("England: 78.0", 78.0)], legend_title="Compared with Borough")  # fmt: skip
    table = compared().rename(columns={"area_name": "Area"})
    figure = charts.show(chart, alt_text="Three wards ranked.", table=table, name="wards", note="[c] a note")
    page = figure._repr_html_()
    [caption] = re.findall(r'<figcaption id="([^"]+)" class="jsna-alt">Three wards ranked.</figcaption>', page)
    assert f'role="img" tabindex="0" aria-labelledby="{caption}"' in page and page.count("jsnaChart(") == 1
    # The data table is made from the CSV file when opened: its columns, in order, not a copy of its rows.
    [(table_csv, columns)] = re.findall(r'<details class="jsna-table" data-csv="([^"]+)" data-columns="([^"]+)">', page)
    assert json.loads(html.unescape(columns)) == list(table.columns) and "<table" not in page and "[c] a note" in page
    # One link to the chart's CSV file, beside the chapter pages' folders; no copy of the data in it.
    links = re.findall(r'<a class="jsna-download" href="([^"]+)"', page)
    assert links == [f"../../downloads/charts/{figure.file_name}"] == [table_csv] and re.fullmatch(r"wards-[0-9a-f]{8}\.csv", figure.file_name)
    assert "data:text/csv" not in page and page.count("Download the data (CSV)") == 1
    csv = figure.csv()
    assert csv.splitlines()[0] == ",".join([*charts.CSV_CONTEXT, "Area", "value", "lower_95_0", "upper_95_0", "comparison", *charts.CSV_PROVENANCE])
    # The notebook keeps the CSV as output metadata, which no page shows.
    data, metadata = figure._repr_mimebundle_()
    assert data == {"text/html": page} and metadata == {charts.CHART_CSV: {"file": figure.file_name, "csv": csv}}
    # Nothing is fetched from elsewhere: no script source, data embedded rather than loaded by URL.
    assert "<script src" not in page and '"url":' not in page and "http" not in page
    assert page == charts.show(chart, alt_text="Three wards ranked.", table=table, name="wards", note="[c] a note")._repr_html_()


def test_the_embedded_spec_is_lean_the_alt_text_once_and_numbers_to_six_digits() -> None:
    data = pd.DataFrame({"x": [1.0, 2.0], "y": [8.204984173011379, 1e-9]})
    chart = alt.Chart(data).mark_point().encode(x="x:Q", y="y:Q")
    figure = charts.show(chart, alt_text="Two points, the first at 8.2.", table=data, name="points")
    page = figure._repr_html_()
    [spec] = charts.embedded_specs(page)
    assert "description" not in spec and page.count("Two points, the first at 8.2.") == 1  # the caption, which names the chart
    assert [row["y"] for row in records(spec)] == [8.20498, 1e-9]
    assert figure.chart.to_dict()["description"] == "Two points, the first at 8.2."


def test_the_embedded_spec_leaves_out_columns_nothing_in_it_names() -> None:
    data = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0], "unused_note": ["a", "b"], "flag": [True, False], "x_label": ["p", "q"]})
    chart = alt.Chart(data).mark_point().encode(x="x:Q", y="y:Q").transform_filter("datum.flag")
    figure = charts.show(chart, alt_text="Two points.", table=data, name="points")
    [spec] = charts.embedded_specs(figure._repr_html_())
    assert [sorted(row) for row in records(spec)] == [["flag", "x", "y"]] * 2
    assert "unused_note" in figure.csv() and "unused_note" in figure._repr_html_()  # the data table and the CSV keep it


def test_figure_csv_carries_its_context_on_every_row() -> None:
    entry = pd.Series({"indicator_id": "smoking", "title": "Smoking prevalence (%)", "unit": "%", "source": "A survey"})
    table = pd.DataFrame({"Period": ["2021", "2022"], "Value": [14.2, 13.9]})
    chart = alt.Chart(table).mark_line().encode(x="Period:O", y="Value:Q")
    figure = charts.show(chart, alt_text="A line.", table=table, name="trend-smoking", indicator=entry, area_code="E08000027",
                         area_name="Dudley", period=table["Period"], sex="Persons")  # fmt: skip
    rows = pd.read_csv(io.StringIO(figure.csv()), dtype=str, keep_default_na=False)
    assert rows[list(charts.CSV_CONTEXT)].to_dict("records")[0] == {
        "indicator_id": "smoking", "indicator_name": "Smoking prevalence (%)", "area_code": "E08000027", "area_name": "Dudley",
        "period": "2021", "sex": "Persons", "unit": "%"}  # fmt: skip
    assert rows["period"].tolist() == ["2021", "2022"] and set(rows["source"]) == {"A survey"}
    assert set(rows["release"]) == set(rows["data_vintage"]) == {""}  # the publish step fills them in
    # A keyword overrides the entry; a per-row value must have one value per row.
    assert set(pd.read_csv(io.StringIO(charts.show(chart, alt_text="A line.", table=table, name="t", indicator=entry, unit="percent").csv()))["unit"]) == {"percent"}
    rows = pd.read_csv(io.StringIO(charts.show(chart, alt_text="A line.", table=table, name="t", indicator_id=["a", "b"], indicator_name=("A", "B")).csv()))
    assert rows["indicator_id"].tolist() == ["a", "b"] and rows["indicator_name"].tolist() == ["A", "B"]
    with pytest.raises(ValueError, match="3 values for 2 rows"):
        charts.show(chart, alt_text="A line.", table=table, name="t", period=["a", "b", "c"]).csv()
    # Callers that pass no context still get every column, empty.
    plain = pd.read_csv(io.StringIO(charts.show(chart, alt_text="A line.", table=table, name="t").csv()), dtype=str, keep_default_na=False)
    assert list(plain.columns) == [*charts.CSV_CONTEXT, "Period", "Value", *charts.CSV_PROVENANCE]


def test_figure_csv_is_formula_safe_and_its_file_name_is_a_plain_name() -> None:
    table = pd.DataFrame({"Area": ["=HYPERLINK(\"x\")", "-2+3", "Ash"], "Value": [-2.5, 1.0, 3.0], "=SUM(A1)": ["a", "b", "c"]})
    chart = alt.Chart(table).mark_point().encode(x="Value:Q")
    figure = charts.show(chart, alt_text="Points.", table=table, name="funnel-x-2021/22", area_name="+cmd")
    rows = list(csv.reader(io.StringIO(figure.csv())))
    assert "'=SUM(A1)" in rows[0]
    assert [row[rows[0].index("Area")] for row in rows[1:]] == ["'=HYPERLINK(\"x\")", "'-2+3", "Ash"]
    assert [row[rows[0].index("Value")] for row in rows[1:]] == ["-2.5", "1.0", "3.0"]  # numbers untouched
    assert {row[rows[0].index("area_name")] for row in rows[1:]} == {"'+cmd"}
    assert re.fullmatch(r"funnel-x-2021-22-[0-9a-f]{8}\.csv", figure.file_name)
    # Two figures given one name but different numbers get different files; the same numbers, the same file.
    other = charts.show(chart, alt_text="Points.", table=table.assign(Value=[1.0, 2.0, 3.0]), name="funnel-x-2021/22", area_name="+cmd")
    same = charts.show(chart, alt_text="Other words.", table=table, name="funnel-x-2021/22", area_name="+cmd")
    assert other.file_name != figure.file_name and same.file_name == figure.file_name


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


BUILDERS = ["ranked", "trend", "tartan", "spine", "funnel", "pyramid"]


def built(builder: str) -> alt.TopLevelMixin:
    """A small chart from each builder."""
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
    return chart


@pytest.mark.parametrize("builder", BUILDERS)
def test_every_builder_renders_offline(builder: str) -> None:
    """Each chart compiles and renders with vl-convert (no network), so the page will draw it."""
    assert vl_convert.vegalite_to_svg(built(builder).to_json()).startswith("<svg")


@pytest.mark.parametrize("builder", BUILDERS)
def test_the_shared_altair_converter_gives_the_same_specification(builder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """charts.py builds Altair's shorthand converter once instead of once a shorthand; the charts
    are the same objects as with Altair's own ``from_dict`` (and the spec a page embeds equal)."""
    shared = built(builder)
    assert hasattr(alt.SchemaBase.from_dict, "altair_from_dict")
    monkeypatch.setattr(alt.SchemaBase, "from_dict", alt.SchemaBase.from_dict.altair_from_dict)
    assert not hasattr(alt.SchemaBase.from_dict, "altair_from_dict")
    own = built(builder)
    assert shared.to_dict() == own.to_dict() and repr(shared) == repr(own)


@pytest.mark.parametrize("builder", BUILDERS)
def test_layers_kept_uncopied_give_the_same_specification(builder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """charts.py keeps a layered chart's layers uncopied when no layer has a parameter; the
    specification and the Figure's page are the same as with Altair's own copying helpers."""
    api = alt.vegalite.v6.api
    mine = built(builder)
    page = charts.Figure(mine, alt_text="a", table=pd.DataFrame({"x": [1]}), name="n")._repr_html_()
    monkeypatch.setattr(api, "_remove_duplicate_params", api._remove_duplicate_params.altair)
    monkeypatch.setattr(api, "_combine_subchart_params", api._combine_subchart_params.altair)
    own = built(builder)
    assert mine.to_dict() == own.to_dict()
    assert page == charts.Figure(own, alt_text="a", table=pd.DataFrame({"x": [1]}), name="n")._repr_html_()


def test_layers_with_a_parameter_are_still_lifted_and_deduplicated() -> None:
    """A selection on two layers is still lifted to the chart once (Altair's own path)."""
    data = pd.DataFrame({"x": [1, 2], "y": [3, 4]})
    pick = alt.selection_point(name="pick", fields=["x"])
    layered = alt.layer(alt.Chart(data).mark_point().encode(x="x:Q", y="y:Q").add_params(pick),
                        alt.Chart(data).mark_line().encode(x="x:Q", y="y:Q").add_params(pick))  # fmt: skip
    spec = layered.to_dict()
    assert [param["name"] for param in spec["params"]] == ["pick"]
    assert all("params" not in layer for layer in spec["layer"])
    plain = alt.layer(alt.Chart(data).mark_point().encode(x="x:Q"), alt.Chart(data).mark_line().encode(x="x:Q")).to_dict()
    assert "params" not in plain


def test_html_fragment_displays_as_html() -> None:
    fragment = charts.Html("<p>x</p>")
    assert fragment._repr_html_() == "<p>x</p>" and fragment == "<p>x</p>"


# --------------------------------------------------------------------------------------------
# Descriptions of the marks come from the specification
# --------------------------------------------------------------------------------------------
def trend_data(england_limits: bool = False) -> pd.DataFrame:
    return pd.DataFrame({"period": ["2020", "2021", "2020", "2021"], "series": ["Here", "Here", "England", "England"], "value": [1.0, 2.0, 1.5, 1.6],
                         "lower_95_0": [0.5, 1.5, None, None], "upper_95_0": [1.5, 2.5, None, None]})  # fmt: skip


def test_mark_words_follow_the_specification() -> None:
    trend = charts.interval_trend(trend_data(), title="t", subtitle="s", unit="%", order=["2020", "2021"])
    assert charts.mark_words(trend) == {"95% confidence interval": "shaded band", "Here": "solid line with circles", "England": "dashed line with diamonds"}
    # Change how England is drawn and the words change with it.
    spec = trend.to_dict()
    line = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    line["encoding"]["strokeDash"]["scale"]["range"] = [[1, 0], [2, 2]]
    line["encoding"]["shape"]["scale"]["range"] = ["circle", "square"]
    assert charts.mark_words(spec)["England"] == "dotted line with squares"
    line["encoding"].pop("strokeDash")
    assert charts.mark_words(spec)["England"] == "solid line with squares"
    # England with one value (a later period has none yet) is one diamond: no line is drawn.
    one = trend_data().assign(value=[1.0, 2.0, 1.5, None])
    assert charts.mark_words(charts.interval_trend(one, title="t", subtitle="s", unit="%", order=["2020", "2021"]))["England"] == "diamond"

    shares = pd.DataFrame({"sex": ["Male", "Female"], "age_band": ["0-4", "0-4"], "share": [50.0, 50.0]})
    pyramid = charts.pyramid(shares, shares, title="t", subtitle="s", place_label="Here 2022", comparator_label="England 2021")
    assert charts.mark_words(pyramid) == {"Here 2022": "bars", "England 2021": "dashed line with diamonds"}
    spec = pyramid.to_dict()
    comparator = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    comparator["mark"]["strokeDash"], comparator["mark"]["point"]["shape"] = [1, 0], "triangle-up"
    assert charts.mark_words(spec)["England 2021"] == "solid line with upward triangles"

    ranked = charts.ranked_bars(compared(), title="t", subtitle="s", unit="years", references=[("Borough: 77.0", 77.0), ("England: 78.0", 78.0)],
                                legend_title="c")  # fmt: skip
    assert charts.mark_words(ranked) == {"95% confidence interval": "horizontal lines", "Borough: 77.0": "dashed vertical line",
                                         "England: 78.0": "dotted vertical line", "Better": "upward triangles", "Similar": "circles",
                                         "Worse": "downward triangles"}  # fmt: skip
    assert charts.key_sentence(ranked, {"England: 78.0": "England"}, only=["England: 78.0", "95% confidence interval"]) == (
        "England: dotted vertical line; 95% confidence interval: horizontal lines.")


def test_mark_words_of_funnel_quantiles_spine_and_control_chart() -> None:
    points = pd.DataFrame({"area_name": ["P1", "P2"], "denominator": [1000, 2000], "value": [9.0, 16.0],
                           "significance": ["Not significant", "High (0.001)"], "outlier": [False, True]})  # fmt: skip
    lines = pd.DataFrame({"denominator": [1000, 1000], "limit": ["95% limits", "99.8% limits"], "side": ["upper", "upper"], "value": [12.0, 13.0]})
    funnel = charts.mark_words(charts.funnel(points, lines, baseline=10.0, baseline_label="Borough: 10.0", title="t", subtitle="s", unit="%"))
    assert funnel["95% limits"] == "dashed line" and funnel["99.8% limits"] == "solid line" and funnel["Borough: 10.0"] == "solid horizontal line"
    data = pd.DataFrame({"category": [1, 2], "series": ["Men", "Men"], "value": [1.0, 2.0], "lower_95_0": [0.5, 1.5], "upper_95_0": [1.5, 2.5]})
    fitted = pd.DataFrame({"category": [1, 2], "series": ["Men", "Men"], "fitted": [1.0, 2.0]})
    quantiles = charts.mark_words(charts.quantile_values(data, title="t", subtitle="s", unit="years", n=2, kind="quintile", fitted=fitted))
    assert quantiles == {"slope index of inequality": "dashed line", "95% confidence interval": "vertical lines", "Men": "circles"}
    spine = pd.DataFrame({"indicator": ["A"], "position": [0.3], "range_from": [0.1], "range_to": [0.8], "value_text": ["1"],
                          "range_text": ["0 – 2"], "comparison": ["Worse"]})  # fmt: skip
    assert charts.mark_words(charts.spine(spine, title="t", subtitle="s", rows=["A"], range_title="r")) == {
        "range": "bars", "England": "solid vertical line", "Worse": "downward triangles"}
    xmr = pd.DataFrame({"period": ["Q1", "Q2"], "value": [1.0, 2.0], "mean": [1.5, 1.5], "lower_process_limit": [0.0, 0.0],
                        "upper_process_limit": [3.0, 3.0], "target": [2.0, 2.0], "point": ["Common cause", "Special cause: concern"], "rules": ["", ""]})  # fmt: skip
    words = charts.mark_words(charts.xmr_chart(xmr, title="t", subtitle="s", unit="%", order=["Q1", "Q2"]))
    assert (words["Mean"], words["Process limits"], words["Target"], words["Special cause: concern"]) == ("solid line", "dashed line", "dotted line", "squares")


# --------------------------------------------------------------------------------------------
# No layer is left without a number to scale: Vega's "Infinite extent" warnings
# --------------------------------------------------------------------------------------------
VALID_FIELD = re.compile(r'isValid\(datum\["(\w+)"\]\)')


def reaching(spec: dict, layer: dict) -> list[dict]:
    """The rows of ``spec``'s data that a layer's filters let through (the filters the builders
    write: :func:`charts.valid`, a series, a flag); any other filter fails the test."""
    name = layer.get("data", spec.get("data", {})).get("name")
    rows = spec["datasets"][name]
    for transform in layer.get("transform", []):
        test = transform["filter"]
        if VALID_FIELD.search(test):
            fields = VALID_FIELD.findall(test)
            rows = [r for r in rows if all(isinstance(r.get(f), (int, float)) and r[f] == r[f] for f in fields)]
        elif (series := re.fullmatch(r"\(datum\.(\w+) === '([^']*)'\)", test)) is not None:
            rows = [r for r in rows if r.get(series.group(1)) == series.group(2)]
        elif (flag := re.fullmatch(r"datum\.(\w+)", test)) is not None:
            rows = [r for r in rows if r.get(flag.group(1))]
        else:
            raise AssertionError(f"unknown filter {test!r}")
    return rows


def assert_no_infinite_extent(chart: alt.TopLevelMixin) -> None:
    """Every quantitative field a layer scales has a number in some row that reaches the layer
    (unless its scale has a domain of its own), and an interval layer (x2 or y2) is reached by
    no row without both ends."""
    spec = chart.to_dict()
    for layer in spec.get("layer", [spec]):
        rows = reaching(spec, layer)
        encoding = layer.get("encoding", {})
        for channel in ("x", "y", "x2", "y2"):
            field = encoding.get(channel, {}).get("field")
            main = encoding.get(channel.rstrip("2"), {})
            if not field or (channel in ("x", "y") and main.get("type") != "quantitative") or "domain" in main.get("scale", {}):
                continue
            assert any(isinstance(r.get(field), (int, float)) for r in rows), f"{layer['mark']} has no number for {field}"
        interval = [encoding[c]["field"] for end in ("x2", "y2") if end in encoding for c in (end[0], end) if "field" in encoding[c]]
        for row in rows:
            assert all(isinstance(row.get(f), (int, float)) for f in interval), f"an interval row without both ends: {row}"


def test_interval_layers_leave_out_rows_without_limits_and_empty_layers_are_not_drawn() -> None:
    gaps = compared().assign(lower_95_0=[73.0, None, None], upper_95_0=[75.0, None, None])
    ranked = charts.ranked_bars(gaps, title="t", subtitle="s", unit="years", references=[("B", 77.0)], legend_title="c")
    assert_no_infinite_extent(ranked)
    unlimited = compared().assign(lower_95_0=None, upper_95_0=None)
    chart = charts.ranked_bars(unlimited, title="t", subtitle="s", unit="years", references=[("B", float("nan"))], legend_title="c")
    assert_no_infinite_extent(chart)
    assert not any("x2" in layer.get("encoding", {}) for layer in layers(chart))  # no interval layer at all
    # A trend with no limits anywhere (published values), and one with no value at all ([x] every year).
    no_limits = trend_data().assign(lower_95_0=None, upper_95_0=None)
    assert_no_infinite_extent(charts.interval_trend(no_limits, title="t", subtitle="s", unit="%", order=["2020", "2021"]))
    assert "95% confidence interval" not in charts.mark_words(charts.interval_trend(no_limits, title="t", subtitle="s", unit="%", order=["2020", "2021"]))
    nothing = trend_data().iloc[:0]
    assert_no_infinite_extent(charts.interval_trend(nothing, title="t", subtitle="s", unit="%", order=["2020", "2021"]))
    assert_no_infinite_extent(charts.interval_trend(trend_data(), title="t", subtitle="s", unit="%", order=["2020", "2021"]))
    # A funnel with no outlier to name; quantiles and a spine without limits or ranges.
    points = pd.DataFrame({"area_name": ["P1"], "denominator": [1000], "value": [9.0], "significance": ["Not significant"], "outlier": [False]})
    lines = pd.DataFrame({"denominator": [1000, 2000], "limit": ["95% limits"] * 2, "side": ["upper"] * 2, "value": [12.0, 11.0]})
    assert_no_infinite_extent(charts.funnel(points, lines, baseline=10.0, baseline_label="B", title="t", subtitle="s", unit="%"))
    data = pd.DataFrame({"category": [1, 2], "series": ["Men", "Men"], "value": [1.0, 2.0], "lower_95_0": [None, 1.5], "upper_95_0": [None, 2.5]})
    assert_no_infinite_extent(charts.quantile_values(data, title="t", subtitle="s", unit="years", n=2, kind="quintile"))
    assert_no_infinite_extent(charts.quantile_values(data.assign(lower_95_0=None, upper_95_0=None), title="t", subtitle="s", unit="years", n=2, kind="quintile"))
    spine = pd.DataFrame({"indicator": ["A"], "position": [0.3], "range_from": [None], "range_to": [None], "value_text": ["1"],
                          "range_text": ["[x]"], "comparison": ["Worse"]})  # fmt: skip
    assert_no_infinite_extent(charts.spine(spine, title="t", subtitle="s", rows=["A"], range_title="r"))


def test_a_data_table_shows_whole_counts_without_a_decimal_point_whatever_their_dtype() -> None:
    table = pd.DataFrame({"Count": pd.array([428.0, None], dtype="double[pyarrow]"), "Value": [1.5, 2.0], "Rate": [3.0, None]})
    html = charts.whole_numbers(table).to_html(index=False, na_rep="[x]")
    cells = re.findall(r"<td>([^<]*)</td>", html)
    assert cells == ["428", "1.5", "3", "[x]", "2.0", "[x]"]
    assert table["Count"].dtype == "double[pyarrow]"  # the caller's table is not changed


def test_the_lean_specification_draws_the_same_chart_as_altair_s() -> None:
    """Data as CSV text with its column types, the theme left to the page, shared encodings
    written once: vl-convert draws the page's specification exactly as Altair's own (ids of clip
    paths aside), with text gaps, booleans, whole and tiny numbers and numeric-looking text."""
    data = pd.DataFrame({"period": ["2020", "2021", "2022", "2023"], "series": ["Here", "Here", "England", None],
                         "value": [1.0, 2.5, 1e-9, 4.0], "flag": [True, False, True, False], "note": ["a, b", "", "c", "d"]})  # fmt: skip
    base = alt.Chart(data).encode(x=alt.X("period:O"), y="value:Q", tooltip=["series", "note", "value"])
    chart = alt.layer(base.mark_line(point=True), base.mark_text(dy=-8).encode(text="note:N").transform_filter("datum.flag"))
    full = chart.to_dict()
    lean = charts.lean_spec(full)
    assert isinstance(next(iter(lean["datasets"].values())), str) and "config" not in lean and "x" in lean["encoding"]
    unclip = functools.partial(re.sub, r"clip\d+", "clip")
    assert unclip(vl_convert.vegalite_to_svg(lean, config=charts.THEME_CONFIG)) == unclip(vl_convert.vegalite_to_svg(full))
