"""Charts for the book: Altair specs shown with their alt text, data table and CSV download.

Every chart goes through :func:`show`, which emits one HTML block: a ``<div>`` that the
vendored vega-embed renders (no CDN: the scripts are listed in ``_config.yml``), the alt text,
a collapsible data table with the same numbers and a CSV download of them. The block's id is a
hash of its content, so the same data always gives the same page.
"""

from __future__ import annotations

import hashlib
import html
import json
import textwrap
import urllib.parse

import altair as alt
import pandas as pd

#: Comparison labels -> (colour, shape), so colour is never the only signal (Fingertips colours).
COMPARISON_STYLE = {
    "Better": ("#92D050", "triangle-up"),
    "Similar": ("#FFC000", "circle"),
    "Worse": ("#C00000", "triangle-down"),
    "Higher": ("#BED2FF", "triangle-up"),
    "Lower": ("#5555E6", "triangle-down"),
    "Not compared": ("#C9C9C9", "square"),
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
    """The ``<div>`` and the ``vegaEmbed`` call for one chart."""
    spec = json.dumps(chart.to_dict(), sort_keys=True, separators=(",", ":"))
    options = json.dumps({"renderer": "svg", "actions": False})
    return (
        f'<div id="{element_id}" class="jsna-chart" role="img" aria-label="{html.escape(alt_text, quote=True)}"></div>\n'
        f'<script>vegaEmbed("#{element_id}", {spec}, {options}).catch(console.error);</script>'
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
    data = urllib.parse.quote(table.to_csv(index=False, lineterminator="\n"))
    return f'<a class="jsna-download" download="{html.escape(name)}.csv" href="data:text/csv;charset=utf-8,{data}">Download the data (CSV)</a>'


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
        note = f'<p class="jsna-note">{html.escape(self.note)}</p>' if self.note else ""
        return (
            f'<figure class="jsna-figure">\n{embed_html(self.chart, element_id, self.alt_text)}\n'
            f'<figcaption class="jsna-alt">{html.escape(self.alt_text)}</figcaption>\n{note}'
            f'<details class="jsna-table"><summary>Data table: {html.escape(title_text or self.name)}</summary>\n'
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
def pyramid(place: pd.DataFrame, comparator: pd.DataFrame, *, title: str, subtitle: str, place_label: str, comparator_label: str) -> alt.LayerChart:
    """Age-sex pyramid: the place as bars, the comparator as a line, both as % of all ages.

    Both frames have ``sex``, ``age_band`` and ``share`` columns (percent of the whole population).
    """
    bands = list(dict.fromkeys(place["age_band"]))[::-1]
    data = pd.concat([place.assign(series=place_label), comparator.assign(series=comparator_label)], ignore_index=True)
    data = data.assign(signed=lambda d: d["share"].where(d["sex"] == "Female", -d["share"]))
    limit = float(data["share"].max()) * 1.1
    base = alt.Chart(data).encode(
        y=alt.Y("age_band:N", sort=bands, title="Age band"),
        x=alt.X("signed:Q", title="% of all residents (men left, women right)", scale=alt.Scale(domain=[-limit, limit]),
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


def ranked_bars(data: pd.DataFrame, *, title: str, subtitle: str, unit: str, benchmark: float | None, benchmark_label: str) -> alt.LayerChart:
    """Areas ranked by value with 95% limits, coloured and shaped by their comparison.

    ``data`` has ``area_name``, ``value``, ``lower_95_0``, ``upper_95_0`` and ``comparison``.
    """
    domain = [label for label in COMPARISON_STYLE if label in set(data["comparison"])]
    colour = alt.Color("comparison:N", title="Compared with benchmark", scale=alt.Scale(domain=domain, range=[COMPARISON_STYLE[d][0] for d in domain]))
    shape = alt.Shape("comparison:N", title="Compared with benchmark", scale=alt.Scale(domain=domain, range=[COMPARISON_STYLE[d][1] for d in domain]))
    order = data.sort_values("value", ascending=False)["area_name"].tolist()
    y = alt.Y("area_name:N", sort=order, title=None)
    points = alt.Chart(data).mark_point(filled=True, size=120, stroke="#222", strokeWidth=0.6).encode(
        y=y, x=alt.X("value:Q", title=unit, scale=alt.Scale(zero=False)), color=colour, shape=shape,
        tooltip=["area_name:N", alt.Tooltip("value:Q", format=".1f"), alt.Tooltip("lower_95_0:Q", format=".1f"),
                 alt.Tooltip("upper_95_0:Q", format=".1f"), "comparison:N"],
    )  # fmt: skip
    rules = alt.Chart(data).mark_rule(color="#444").encode(y=y, x="lower_95_0:Q", x2="upper_95_0:Q")
    layers = [rules, points]
    if benchmark is not None and pd.notna(benchmark):
        reference = pd.DataFrame({"value": [benchmark], "label": [f"{benchmark_label}: {benchmark:.1f}"]})
        layers.append(alt.Chart(reference).mark_rule(strokeDash=[5, 3], color=COMPARATOR_COLOUR).encode(x="value:Q"))
        layers.append(
            alt.Chart(reference).mark_text(align="left", dx=4, dy=-6, fontSize=11).encode(x="value:Q", y=alt.value(0), text="label:N")
        )
    return alt.layer(*layers).properties(title=chart_title(title, subtitle), width=480, height=max(120, 28 * len(data)))


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
