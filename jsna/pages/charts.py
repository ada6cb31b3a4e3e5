"""Charts for the book: Altair specs shown with their alt text, data table and CSV download.

Every chart goes through :func:`show`, which emits one HTML block: a ``<div>`` that the
vendored vega-embed renders (no CDN: the scripts are listed in ``_config.yml``), the alt text,
a collapsible data table with the same numbers and a CSV download of them. The block's id is a
hash of its content, so the same data always gives the same page.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
import urllib.parse

import altair as alt
import pandas as pd

from jsna.pages.escape import html_attr, html_text, script_json
from jsna.store import csv_safe

#: Comparison labels -> (colour, shape), so colour is never the only signal (Fingertips colours).
COMPARISON_STYLE = {
    "Better": ("#92D050", "triangle-up"),
    "Similar": ("#FFC000", "circle"),
    "Worse": ("#C00000", "triangle-down"),
    "Higher": ("#BED2FF", "triangle-up"),
    "Lower": ("#5555E6", "triangle-down"),
    "Not compared": ("#C9C9C9", "square"),
}
#: A glyph for each comparison, for text cells (tables, the tartan rug).
COMPARISON_GLYPH = {"Better": "▲", "Similar": "●", "Worse": "▼", "Higher": "▲", "Lower": "▼", "Not compared": ""}
#: Funnel-plot significance (PHEindicatormethods wording) -> (words, colour, shape), high to low.
SIGNIFICANCE_STYLE = {
    "High (0.001)": ("Above the 99.8% limit", "#08519c", "triangle-up"),
    "High (0.025)": ("Above the 95% limit", "#6baed6", "triangle-up"),
    "Not significant": ("Within the 95% limits", "#bdbdbd", "circle"),
    "Low (0.025)": ("Below the 95% limit", "#fdae6b", "triangle-down"),
    "Low (0.001)": ("Below the 99.8% limit", "#d94801", "triangle-down"),
    "Not applicable for events less than 10 for DSRs": ("Not tested (fewer than 10 events)", "#ffffff", "square"),
}
PLACE_COLOUR = "#1f5f8b"
COMPARATOR_COLOUR = "#000000"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


def _theme() -> dict:
    return {
        "config": {
            "font": FONT,
            "view": {"stroke": None},
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "labelColor": "#222", "titleColor": "#222"},
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
            "title": {"fontSize": 15, "anchor": "start", "color": "#111", "subtitleColor": "#333"},
        }
    }


alt.theme.register("jsna", enable=True)(lambda: alt.theme.ThemeConfig(_theme()))


def chart_title(text: str, subtitle: str = "", width: int = 68) -> alt.Title:
    """A chart title that states the finding, wrapped so that it is never clipped."""
    return alt.Title(textwrap.wrap(text, width), subtitle=textwrap.wrap(subtitle, width + 14) if subtitle else alt.Undefined)


def _block_id(spec: str, name: str) -> str:
    return "jsna-" + hashlib.sha256((name + spec).encode("utf-8")).hexdigest()[:12]


def embed_html(chart: alt.TopLevelMixin, element_id: str, alt_text: str) -> str:
    """The ``<div>`` and the ``vegaEmbed`` call for one chart. The ``<div>`` is focusable: a chart
    wider than the text column (the tartan rug) scrolls, and the keyboard must reach it. Once
    drawn, ``jsnaDescribed`` (chapters/_static/jsna-a11y.js) leaves the chart one image named by
    its alt text: Vega's SVG marks are hidden from assistive technology rather than read one by
    one, often without names; the data table beside the chart holds every number.

    The specification holds data and titles (area names...), so it is written with
    :func:`~jsna.pages.escape.script_json`: no string in it can close the ``<script>``."""
    spec = script_json(chart.to_dict())
    options = script_json({"renderer": "svg", "actions": False})
    return (
        f'<div id="{html_attr(element_id)}" class="jsna-chart" role="img" tabindex="0" aria-label="{html_attr(alt_text)}"></div>\n'
        f'<script>vegaEmbed({script_json("#" + element_id)}, {spec}, {options}).then(window.jsnaDescribed || (r => r)).catch(console.error);</script>'
    )


def _renderer(spec: dict, **kwargs) -> dict:
    """Altair renderer for a chart displayed on its own: the same embed, with no CDN."""
    chart = alt.Chart.from_dict(spec)
    text = json.dumps(spec, sort_keys=True)
    description = spec.get("description", "Chart")
    return {"text/html": embed_html(chart, _block_id(text, "chart"), description)}


alt.renderers.register("jsna", _renderer)
alt.renderers.enable("jsna")


def csv_link(table: pd.DataFrame, name: str) -> str:
    """A link that downloads ``table`` as CSV, its text cells safe to open in a spreadsheet
    (:func:`jsna.store.csv_safe`: a cell that would be read as a formula gets a leading ')."""
    data = urllib.parse.quote(csv_safe(table).to_csv(index=False, lineterminator="\n"))
    return f'<a class="jsna-download" download="{html_attr(name)}.csv" href="data:text/csv;charset=utf-8,{data}">Download the data (CSV)</a>'


class Html(str):
    """An HTML fragment (a table, a list) that a notebook displays as HTML and code can use as a string."""

    def _repr_html_(self) -> str:
        return str(self)


class Figure:
    """A chart with its alt text, data table and download, displayable in a notebook."""

    def __init__(self, chart: alt.TopLevelMixin, *, alt_text: str, table: pd.DataFrame, name: str, note: str = ""):
        self.chart = chart.properties(description=alt_text)
        self.alt_text = alt_text
        self.table = table
        self.name = name
        self.note = note

    def _repr_html_(self) -> str:
        spec = json.dumps(self.chart.to_dict(), sort_keys=True)
        element_id = _block_id(spec, self.name)
        title = self.chart.to_dict().get("title", {})
        title_text = title.get("text", "") if isinstance(title, dict) else str(title)
        if isinstance(title_text, list):
            title_text = " ".join(title_text)
        table_html = self.table.to_html(index=False, border=0, classes="jsna-data", na_rep="[x]", escape=True)
        note = f'<p class="jsna-note">{html_text(self.note)}</p>' if self.note else ""
        return (
            f'<figure class="jsna-figure">\n{embed_html(self.chart, element_id, self.alt_text)}\n'
            f'<figcaption class="jsna-alt">{html_text(self.alt_text)}</figcaption>\n{note}'
            f'<details class="jsna-table"><summary>Data table: {html_text(title_text or self.name)}</summary>\n'
            f"{table_html}\n</details>\n<p>{csv_link(self.table, self.name)}</p>\n</figure>"
        )


def show(chart: alt.TopLevelMixin, *, alt_text: str, table: pd.DataFrame, name: str, note: str = "") -> Figure:
    """Return a displayable figure: chart, alt text, data table, CSV download."""
    if not alt_text.strip():
        raise ValueError("every chart needs alt text")
    if table.empty:
        raise ValueError(f"chart {name!r} has an empty data table")
    return Figure(chart, alt_text=alt_text, table=table, name=name, note=note)


# --------------------------------------------------------------------------------------------
# Chart builders
# --------------------------------------------------------------------------------------------
def pyramid(
    place: pd.DataFrame, comparator: pd.DataFrame, *, title: str, subtitle: str, place_label: str, comparator_label: str, people: str = "residents"
) -> alt.LayerChart:
    """Age-sex pyramid: the place as bars, the comparator as a line, both as % of all ages.

    Both frames have ``sex``, ``age_band`` and ``share`` columns (percent of the whole population).
    """
    bands = list(dict.fromkeys(place["age_band"]))[::-1]
    data = pd.concat([place.assign(series=place_label), comparator.assign(series=comparator_label)], ignore_index=True)
    data = data.assign(signed=lambda d: d["share"].where(d["sex"] == "Female", -d["share"]))
    limit = float(data["share"].max()) * 1.1
    base = alt.Chart(data).encode(
        y=alt.Y("age_band:N", sort=bands, title="Age band"),
        x=alt.X("signed:Q", title=f"% of all {people} (men left, women right)", scale=alt.Scale(domain=[-limit, limit]),
                axis=alt.Axis(labelExpr="abs(datum.value) + '%'")),
        tooltip=[alt.Tooltip("series:N", title="Population"), "sex:N", "age_band:N", alt.Tooltip("share:Q", format=".1f", title="%")],
    )  # fmt: skip
    bars = base.transform_filter(alt.datum.series == place_label).mark_bar(opacity=0.85).encode(
        color=alt.Color("sex:N", scale=alt.Scale(domain=["Male", "Female"], range=["#1f5f8b", "#b04a1f"]), title="Sex")
    )
    line = base.transform_filter(alt.datum.series == comparator_label).mark_line(
        color=COMPARATOR_COLOUR, strokeDash=[4, 2], point=alt.OverlayMarkDef(shape="diamond", size=30, color=COMPARATOR_COLOUR)
    ).encode(detail="sex:N")
    return alt.layer(bars, line).properties(title=chart_title(title, subtitle), width=520, height=380)


def comparison_key(label: str) -> str:
    """"Better 99.8%" -> "Better"; anything unknown -> "Not compared"."""
    key = str(label).split(" ")[0]
    return key if key in COMPARISON_STYLE and key != "Not" else "Not compared"


def _comparison_scales(labels, title: str) -> tuple[alt.Color, alt.Shape]:
    """Colour and shape encodings of a ``comparison`` field: one legend, two signals."""
    domain = [label for label in COMPARISON_STYLE if label in set(labels)]
    colour = alt.Color("comparison:N", title=title, scale=alt.Scale(domain=domain, range=[COMPARISON_STYLE[d][0] for d in domain]))
    shape = alt.Shape("comparison:N", title=title, scale=alt.Scale(domain=domain, range=[COMPARISON_STYLE[d][1] for d in domain]))
    return colour, shape


def _reference_lines(references: list[tuple[str, float]], height: int) -> list[alt.Chart]:
    """Labelled vertical reference lines (the place's value, England's), labels stacked above the plot."""
    layers = []
    for i, (label, value) in enumerate((label, value) for label, value in references if pd.notna(value)):
        reference = pd.DataFrame({"value": [float(value)], "label": [label]})
        dash = [5, 3] if i == 0 else [2, 2]
        layers.append(alt.Chart(reference).mark_rule(strokeDash=dash, color=COMPARATOR_COLOUR, strokeWidth=1.5).encode(x="value:Q"))
        layers.append(
            alt.Chart(reference).mark_text(align="left", dx=4, dy=-6 - 15 * i, baseline="bottom", fontSize=11, fontWeight="bold").encode(
                x="value:Q", y=alt.value(0), text="label:N"
            )
        )
    return layers


def ranked_bars(
    data: pd.DataFrame, *, title: str, subtitle: str, unit: str, references: list[tuple[str, float]], legend_title: str
) -> alt.LayerChart:
    """Areas ranked by value with 95% limits, coloured and shaped by their comparison.

    ``data`` has ``area_name``, ``value``, ``lower_95_0``, ``upper_95_0`` and ``comparison``;
    ``references`` are (label, value) pairs drawn as labelled vertical lines.
    """
    colour, shape = _comparison_scales(data["comparison"], legend_title)
    order = data.sort_values(["value", "area_name"], ascending=[False, True])["area_name"].tolist()
    y = alt.Y("area_name:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    height = max(120, 28 * len(data))
    values = pd.concat([data["lower_95_0"], data["upper_95_0"], pd.Series([v for _, v in references], dtype="float64")]).dropna()
    pad = 0.05 * (float(values.max() - values.min()) or 1.0)
    x = alt.X("value:Q", title=unit, scale=alt.Scale(zero=False, domain=[float(values.min()) - pad, float(values.max()) + pad], nice=True))
    points = alt.Chart(data).mark_point(filled=True, size=130, stroke="#222", strokeWidth=0.6, opacity=1).encode(
        y=y, x=x, color=colour, shape=shape,
        tooltip=["area_name:N", alt.Tooltip("value:Q", format=".1f"), alt.Tooltip("lower_95_0:Q", format=".1f"),
                 alt.Tooltip("upper_95_0:Q", format=".1f"), "comparison:N"],
    )  # fmt: skip
    rules = alt.Chart(data).mark_rule(color="#444", strokeWidth=1.5).encode(y=y, x="lower_95_0:Q", x2="upper_95_0:Q")
    layers = [rules, *_reference_lines(references, height), points]
    return alt.layer(*layers).properties(title=chart_title(title, subtitle), width=400, height=height)  # fits the text column with long names


def interval_trend(data: pd.DataFrame, *, title: str, subtitle: str, unit: str, order: list[str]) -> alt.LayerChart:
    """One place's values over time with a 95% interval band, and England where it exists.

    ``data`` has ``period``, ``series`` (the place's name or "England"), ``value``,
    ``lower_95_0`` and ``upper_95_0`` (missing for England); ``order`` is the periods in order.
    """
    series = list(dict.fromkeys(data["series"]))
    x = alt.X("period:O", sort=order, title="Period", axis=alt.Axis(labelAngle=-40 if len(order[0]) > 4 else 0))
    y = alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False))
    colour = alt.Color("series:N", title=None, scale=alt.Scale(domain=series, range=[PLACE_COLOUR, COMPARATOR_COLOUR][: len(series)]))
    dash = alt.StrokeDash("series:N", title=None, scale=alt.Scale(domain=series, range=[[1, 0], [5, 3]][: len(series)]))
    shape = alt.Shape("series:N", title=None, scale=alt.Scale(domain=series, range=["circle", "diamond"][: len(series)]))
    band = alt.Chart(data).transform_filter(alt.datum.lower_95_0 != None).mark_area(opacity=0.2, color=PLACE_COLOUR).encode(
        x=x, y=alt.Y("lower_95_0:Q", title=unit), y2="upper_95_0:Q"
    )
    line = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(filled=True, size=45)).encode(
        x=x, y=y, color=colour, strokeDash=dash, shape=shape,
        tooltip=["series:N", "period:N", alt.Tooltip("value:Q", format=".1f"), alt.Tooltip("lower_95_0:Q", format=".1f", title="95% lower"),
                 alt.Tooltip("upper_95_0:Q", format=".1f", title="95% upper")],
    )  # fmt: skip
    return alt.layer(band, line).properties(title=chart_title(title, subtitle), width=460, height=260)


def tartan(cells: pd.DataFrame, *, title: str, subtitle: str, rows: list[str], columns: list[str]) -> alt.LayerChart:
    """Indicators (rows) by places (columns), each cell's value as text, coloured by comparison.

    ``cells`` has ``indicator``, ``place``, ``text`` (the value with a glyph for its comparison,
    or "[c]"/"[x]") and ``comparison``.
    """
    styles = {**COMPARISON_STYLE, "Benchmark": ("#ffffff", "")}
    domain = [label for label in styles if label in set(cells["comparison"])]
    dark = [label for label in domain if label in ("Worse", "Lower")]
    shown = [label for label in domain if label != "Benchmark"]
    x = alt.X("place:N", sort=columns, title=None, axis=alt.Axis(orient="top", labelAngle=-35, labelLimit=280, labelAlign="left", domain=False, ticks=False))
    y = alt.Y("indicator:N", sort=rows, title=None, axis=alt.Axis(labelLimit=460, domain=False, ticks=False))
    base = alt.Chart(cells).encode(x=x, y=y, tooltip=["indicator:N", "place:N", "text:N", "comparison:N"])
    rect = base.mark_rect(stroke="#fff", strokeWidth=2).encode(
        color=alt.Color("comparison:N", title="Compared with England", legend=alt.Legend(values=shown),
                        scale=alt.Scale(domain=domain, range=[styles[d][0] for d in domain]))
    )  # fmt: skip
    label = base.mark_text(fontSize=11).encode(
        text="text:N",
        color=alt.condition(alt.FieldOneOfPredicate(field="comparison", oneOf=dark or ["-"]), alt.value("#fff"), alt.value("#111")),
    )
    return alt.layer(rect, label).properties(title=chart_title(title, subtitle, width=80), width=max(240, 78 * len(columns)), height=30 * len(rows))


def spine(data: pd.DataFrame, *, title: str, subtitle: str, rows: list[str], range_title: str) -> alt.LayerChart:
    """Fingertips-style spine chart: each indicator on its own scale, England at the centre.

    ``data`` has ``indicator``, ``position`` (the place's value scaled to 0-1, better to the
    right), ``range_from``/``range_to`` (the ward range, scaled; may be missing), ``value_text``,
    ``range_text`` and ``comparison``.
    """
    colour, shape = _comparison_scales(data["comparison"], "Compared with England")
    y = alt.Y("indicator:N", sort=rows, title=None, axis=alt.Axis(labelLimit=330, domain=False, ticks=False))
    x_axis = alt.Axis(values=[0, 0.5, 1], labelExpr="datum.value == 0.5 ? 'England' : datum.value < 0.5 ? '← worse' : 'better →'", grid=False)
    x = alt.X("position:Q", scale=alt.Scale(domain=[0, 1]), axis=x_axis, title="Each indicator on its own scale, England at the centre")
    base = alt.Chart(data).encode(y=y)
    track = base.mark_bar(color="#eeeeee", height=16).encode(x=alt.datum(0), x2=alt.datum(1))
    ranges = base.transform_filter(alt.datum.range_from != None).mark_bar(color="#9a9a9a", height=16).encode(
        x=alt.X("range_from:Q", scale=alt.Scale(domain=[0, 1])), x2="range_to:Q", tooltip=["indicator:N", alt.Tooltip("range_text:N", title=range_title)]
    )
    centre = alt.Chart(pd.DataFrame({"position": [0.5]})).mark_rule(color=COMPARATOR_COLOUR, strokeWidth=2).encode(x=x)
    points = base.mark_point(filled=True, size=150, stroke="#222", strokeWidth=0.7, opacity=1).encode(
        x=x, color=colour, shape=shape, tooltip=["indicator:N", alt.Tooltip("value_text:N", title="Value"), "comparison:N"]
    )
    return alt.layer(track, ranges, centre, points).properties(title=chart_title(title, subtitle, width=80), width=360, height=30 * len(rows))


def funnel(points: pd.DataFrame, lines: pd.DataFrame, *, baseline: float, baseline_label: str, title: str, subtitle: str, unit: str) -> alt.LayerChart:
    """Funnel plot: practices' values against their denominators, with 95% and 99.8% limits.

    ``points`` has ``area_name``, ``denominator``, ``value``, ``significance`` (one of
    :data:`SIGNIFICANCE_STYLE`) and ``outlier`` (label the point); ``lines`` has
    ``denominator``, ``limit`` ("95% limits", "99.8% limits"), ``side`` and ``value``.
    """
    present = [key for key in SIGNIFICANCE_STYLE if key in set(points["significance"])]
    words = [SIGNIFICANCE_STYLE[key][0] for key in present]
    points = points.assign(where=points["significance"].map(lambda key: SIGNIFICANCE_STYLE[key][0]))
    legend = "Compared with the limits"
    wrap = alt.Legend(columns=3)
    colour = alt.Color("where:N", title=legend, sort=words, legend=wrap, scale=alt.Scale(domain=words, range=[SIGNIFICANCE_STYLE[k][1] for k in present]))
    shape = alt.Shape("where:N", title=legend, sort=words, legend=wrap, scale=alt.Scale(domain=words, range=[SIGNIFICANCE_STYLE[k][2] for k in present]))
    # Draw the limits from a little below the smallest practice: at tiny denominators they span 0-100%.
    lines = lines.loc[lines["denominator"] >= 0.5 * float(points["denominator"].min())]
    values = pd.concat([points["value"], lines["value"], pd.Series([baseline])])
    x = alt.X("denominator:Q", title="Denominator (size of the practice's population)", scale=alt.Scale(zero=False))
    y = alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False, domain=[float(values.min()), float(values.max())], nice=True))
    limit_lines = alt.Chart(lines).mark_line(color="#555", strokeWidth=1.2, clip=True).encode(
        x=x, y=y, detail="side:N",
        strokeDash=alt.StrokeDash("limit:N", title="Control limits", scale=alt.Scale(domain=["95% limits", "99.8% limits"], range=[[4, 3], [1, 0]])),
    )  # fmt: skip
    centre = pd.DataFrame({"value": [baseline], "label": [baseline_label]})
    centre_rule = alt.Chart(centre).mark_rule(color=COMPARATOR_COLOUR, strokeWidth=1.5).encode(y="value:Q")
    centre_text = alt.Chart(centre).mark_text(align="right", dy=-6, fontSize=11, fontWeight="bold").encode(y="value:Q", x=alt.value(460), text="label:N")
    dots = alt.Chart(points).mark_point(filled=True, size=90, stroke="#222", strokeWidth=0.6, opacity=1).encode(
        x=x, y=y, color=colour, shape=shape,
        tooltip=["area_name:N", alt.Tooltip("denominator:Q", format=","), alt.Tooltip("value:Q", format=".1f"), alt.Tooltip("where:N", title="Compared with limits")],
    )  # fmt: skip
    names = alt.Chart(points).transform_filter(alt.datum.outlier).mark_text(align="left", dx=8, fontSize=11).encode(x=x, y=y, text="area_name:N")
    return alt.layer(limit_lines, centre_rule, centre_text, dots, names).properties(title=chart_title(title, subtitle), width=460, height=300)


def trend(data: pd.DataFrame, *, title: str, subtitle: str, unit: str) -> alt.LayerChart:
    """Values over time, one labelled line per series (``period``, ``value``, ``series``)."""
    line = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("period:O", title="Year"),
        y=alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False)),
        color=alt.Color("series:N", title=None, scale=alt.Scale(range=[PLACE_COLOUR, "#b04a1f", "#555555"])),
        strokeDash=alt.StrokeDash("series:N", title=None),
        tooltip=["series:N", "period:O", alt.Tooltip("value:Q", format=".1f")],
    )
    last = data.loc[data["period"] == data["period"].max()]
    labels = alt.Chart(last).mark_text(align="left", dx=6, fontSize=11).encode(
        x="period:O", y="value:Q", text="series:N", color=alt.Color("series:N", legend=None)
    )
    return alt.layer(line, labels).properties(title=chart_title(title, subtitle), width=430, height=260)


def deprivation_bars(data: pd.DataFrame, *, title: str, subtitle: str) -> alt.Chart:
    """Share of residents in each national deprivation decile, place beside comparator (``series``)."""
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("imd_decile:O", title="National deprivation decile (1 = most deprived 10% of England)"),
        xOffset="series:N",
        y=alt.Y("share:Q", title="% of residents"),
        color=alt.Color("series:N", title=None, scale=alt.Scale(range=[PLACE_COLOUR, "#9a9a9a"])),
        tooltip=["series:N", "imd_decile:O", alt.Tooltip("share:Q", format=".1f")],
    ).properties(title=chart_title(title, subtitle), width=480, height=260)  # fmt: skip


#: Series colours and shapes for men, women and persons (distinct in greyscale too).
SEX_STYLE = {"Persons": ("#333333", "square"), "Men": ("#1f5f8b", "circle"), "Women": ("#b3541e", "diamond")}


def quantile_values(data: pd.DataFrame, *, title: str, subtitle: str, unit: str, n: int, kind: str, fitted: pd.DataFrame | None = None) -> alt.LayerChart:
    """Values of each deprivation quantile with 95% limits, one series per sex.

    ``data`` has ``category`` (1 = most deprived .. ``n``; ``kind`` is "decile" or "quintile"),
    ``series``, ``value``, ``lower_95_0`` and ``upper_95_0``. ``fitted`` (optional) has
    ``category``, ``series`` and ``fitted``: the slope-index line, drawn dashed. Series sit side
    by side within each quantile, their lines through their own points.
    """
    series = list(dict.fromkeys(data["series"]))
    nudge = {s: (i - (len(series) - 1) / 2) * 0.18 for i, s in enumerate(series)}
    data = data.assign(position=data["category"] + data["series"].map(nudge))
    legend = alt.Legend() if len(series) > 1 else None
    colour = alt.Color("series:N", title=None, legend=legend, sort=series, scale=alt.Scale(domain=series, range=[SEX_STYLE.get(s, (PLACE_COLOUR,))[0] for s in series]))
    shape = alt.Shape("series:N", title=None, legend=legend, sort=series, scale=alt.Scale(domain=series, range=[SEX_STYLE.get(s, (None, "circle"))[1] for s in series]))
    axis = alt.Axis(values=list(range(1, n + 1)), format="d", labelAngle=0, grid=False)
    x = alt.X("position:Q", title=f"Local deprivation {kind} (1 = most deprived, {n} = least deprived)", axis=axis, scale=alt.Scale(domain=[0.5, n + 0.5], nice=False))
    y = alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False))
    tooltip = ["series:N", alt.Tooltip("category:Q", title=kind), alt.Tooltip("value:Q", format=".1f"),
               alt.Tooltip("lower_95_0:Q", format=".1f", title="95% lower"), alt.Tooltip("upper_95_0:Q", format=".1f", title="95% upper")]  # fmt: skip
    rules = alt.Chart(data).mark_rule(strokeWidth=1.5).encode(x=x, y="lower_95_0:Q", y2="upper_95_0:Q", color=colour)
    points = alt.Chart(data).mark_point(filled=True, size=90, opacity=1, stroke="#222", strokeWidth=0.5).encode(
        x=x, y=y, color=colour, shape=shape, tooltip=tooltip
    )
    layers = [rules, points]
    if fitted is not None and len(fitted):
        fitted = fitted.assign(position=fitted["category"] + fitted["series"].map(nudge))
        layers.insert(0, alt.Chart(fitted).mark_line(strokeDash=[5, 3], strokeWidth=1.5).encode(x=x, y="fitted:Q", color=colour, detail="series:N"))
    return alt.layer(*layers).properties(title=chart_title(title, subtitle), width=460, height=260)


def scarf(data: pd.DataFrame, *, title: str, subtitle: str, order: list[str], colours: list[str]) -> alt.Chart:
    """The "scarf" chart: one stacked bar per row (men, women) whose segments add up to the gap.

    ``data`` has ``row``, ``segment`` (in ``order``), ``contribution`` (years) and ``share``
    (% of the gap). Segments that narrow the gap are negative and stack left of zero.
    """
    colour = alt.Color("segment:N", title=None, sort=order, scale=alt.Scale(domain=order, range=colours), legend=alt.Legend(columns=2, labelLimit=340))
    bars = alt.Chart(data).mark_bar(stroke="#fff", strokeWidth=0.8).encode(
        y=alt.Y("row:N", title=None, axis=alt.Axis(labelLimit=200)),
        x=alt.X("sum(contribution):Q", title="Contribution to the gap in life expectancy (years)"),
        color=colour,
        order=alt.Order("position:Q"),
        tooltip=["row:N", "segment:N", alt.Tooltip("contribution:Q", format=".2f", title="years"), alt.Tooltip("share:Q", format=".0f", title="% of gap")],
    )  # fmt: skip
    return bars.properties(title=chart_title(title, subtitle), width=460, height=40 * data["row"].nunique() + 20)


# --------------------------------------------------------------------------------------------
# Making Data Count XmR (statistical process control) charts: services and performance
# --------------------------------------------------------------------------------------------
#: XmR point categories -> (colour, shape): the shape tells them apart without the colour.
SPC_POINT_STYLE = {
    "Common cause": ("#8c8c8c", "circle"),
    "Special cause: improvement": ("#1f6fb5", "diamond"),
    "Special cause: concern": ("#c55a11", "square"),
    "Special cause: neither": ("#7030a0", "triangle-up"),
    "Not assessed (too few points)": ("#d9d9d9", "circle"),
}
#: XmR lines -> (colour, dash pattern): the dash tells them apart without the colour.
SPC_LINE_STYLE = {"Mean": ("#333333", [1, 0]), "Process limits": ("#7a7a7a", [7, 4]), "Target": ("#b00020", [2, 3])}


def xmr_chart(
    points: pd.DataFrame, *, title: str, subtitle: str, unit: str, order: list[str], labelled: list[str] | None = None,
    value_format: str = ",.1f", axis_label: str | None = None,
) -> alt.LayerChart:
    """An XmR chart: each value as a point joined by a line, the mean, the process limits and the
    target as lines told apart by their dash, special-cause points by their shape and colour.

    ``points`` has ``period`` (in ``order``), ``value``, ``mean``, ``lower_process_limit``,
    ``upper_process_limit``, ``target`` (any may be missing: a short series has no limits),
    ``point`` (a key of :data:`SPC_POINT_STYLE`) and ``rules`` (words for the tooltip).
    ``labelled`` are the periods labelled on the x axis (all when None); ``axis_label`` a Vega
    expression for the y-axis labels (e.g. pounds).
    """
    x = alt.X("period:O", sort=order, title="Quarter (financial year)",
              axis=alt.Axis(values=labelled if labelled is not None else alt.Undefined, labelAngle=-40, labelOverlap=False))  # fmt: skip
    y_axis = alt.Axis(labelExpr=axis_label) if axis_label else alt.Axis()
    y = alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False), axis=y_axis)
    names = {"mean": "Mean", "lower_process_limit": "Process limits", "upper_process_limit": "Process limits", "target": "Target"}
    lines = points.melt(id_vars=["period"], value_vars=list(names), var_name="edge", value_name="level").dropna(subset=["level"])
    lines = lines.rename(columns={"level": "value"})
    lines = lines.assign(line=lines["edge"].map(names))
    line_domain = [name for name in SPC_LINE_STYLE if name in set(lines["line"])]
    line_legend = alt.Legend(title="Lines", orient="bottom", direction="vertical", symbolStrokeWidth=2, symbolSize=400)
    reference = alt.Chart(lines).mark_line(strokeWidth=1.6).encode(
        x=x, y=y, detail="edge:N",
        color=alt.Color("line:N", legend=line_legend, scale=alt.Scale(domain=line_domain, range=[SPC_LINE_STYLE[n][0] for n in line_domain])),
        strokeDash=alt.StrokeDash("line:N", legend=line_legend, scale=alt.Scale(domain=line_domain, range=[SPC_LINE_STYLE[n][1] for n in line_domain])),
        tooltip=[alt.Tooltip("line:N", title="Line"), alt.Tooltip("value:Q", format=value_format)],
    )  # fmt: skip
    path = alt.Chart(points).mark_line(color="#4d4d4d", strokeWidth=1).encode(x=x, y=y)
    point_domain = [name for name in SPC_POINT_STYLE if name in set(points["point"])]
    point_legend = alt.Legend(title="Points", orient="bottom", direction="vertical", labelLimit=320)
    dots = alt.Chart(points).mark_point(filled=True, opacity=1, stroke="#1a1a1a", strokeWidth=0.6).encode(
        x=x, y=y,
        color=alt.Color("point:N", legend=point_legend, scale=alt.Scale(domain=point_domain, range=[SPC_POINT_STYLE[n][0] for n in point_domain])),
        shape=alt.Shape("point:N", legend=point_legend, scale=alt.Scale(domain=point_domain, range=[SPC_POINT_STYLE[n][1] for n in point_domain])),
        size=alt.condition(alt.datum.point == "Common cause", alt.value(40), alt.value(110)),
        tooltip=[alt.Tooltip("period:N", title="Quarter"), alt.Tooltip("value:Q", format=value_format), alt.Tooltip("point:N", title="Variation"),
                 alt.Tooltip("rules:N", title="Rules")],
    )  # fmt: skip
    return (
        alt.layer(reference, path, dots)
        .resolve_scale(color="independent", shape="independent", strokeDash="independent")
        .resolve_legend(color="independent", shape="independent", strokeDash="independent")
        .properties(title=chart_title(title, subtitle), width=480, height=250)
    )
