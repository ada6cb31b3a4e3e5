"""Charts for the book: Altair specs shown with their alt text, data table and CSV download.

Every chart goes through :func:`show`, which emits one HTML block: a ``<div>`` that the
vendored Vega and Vega-Lite draw (no CDN: jsna-a11y.js loads them), the alt text,
a collapsible data table with the same numbers and one link to the chart's CSV file. The
block's id is a hash of its content, so the same data always gives the same page.

A chart's numbers are on its page once, in the specification (which the chart is drawn from).
Its data table (the numbers as text) is made from its CSV file when a reader opens it
(:data:`TABLE_FROM_CSV`): the same numbers, not a second copy in the page. The CSV is a file of
its own, under ``downloads/charts/`` in the site: the figure hands it to the notebook as output metadata
(:data:`CHART_CSV`, beside the HTML, which the page never shows) and the build's publish step
(:func:`jsna.book.publish.publish_chart_downloads`) writes every notebook's chart files, with
the release, and checks that every link on every page has its file. Each CSV carries what its
numbers are (:data:`CSV_CONTEXT`, :data:`CSV_PROVENANCE`: indicator, area, period, sex, unit,
source, release) on every row.

:func:`mark_words` reads a chart's specification and says what each of its series and
reference marks looks like ("a dashed line with diamonds"), so that alt text and subtitles
that describe the marks are derived from the chart itself and cannot drift from it.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import re
import textwrap
import urllib.parse
from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from jsna.pages.escape import html_attr, html_text, script_json
from jsna.store import csv_cell, csv_safe

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


#: The charts' look, declared once: Altair applies it to every chart (the briefs and the review
#: draw them with it); a page's charts leave it out (:func:`lean_spec`) and get it from
#: ``_static/jsna-chart-config.js`` (:func:`config_script`, written by the build), once a page.
THEME_CONFIG = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {"labelFontSize": 12, "titleFontSize": 12, "labelColor": "#222", "titleColor": "#222"},
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
    "title": {"fontSize": 15, "anchor": "start", "color": "#111", "subtitleColor": "#333"},
}
#: The generated script that gives the pages :data:`THEME_CONFIG`; jsna-a11y.js loads it with the
#: chart libraries.
CONFIG_SCRIPT = "jsna-chart-config.js"


def _theme() -> dict:
    return {"config": copy.deepcopy(THEME_CONFIG)}


def config_script() -> str:
    """``_static/jsna-chart-config.js``: :data:`THEME_CONFIG` for the pages' charts."""
    return f"/* Written by the build from jsna/pages/charts.py THEME_CONFIG. */\nwindow.jsnaChartConfig = {script_json(THEME_CONFIG)};\n"


alt.theme.register("jsna", enable=True)(lambda: alt.theme.ThemeConfig(_theme()))


def chart_title(text: str, subtitle: str = "", width: int = 68) -> alt.Title:
    """A chart title that states the finding, wrapped so that it is never clipped."""
    return alt.Title(textwrap.wrap(text, width), subtitle=textwrap.wrap(subtitle, width + 14) if subtitle else alt.Undefined)


def _block_id(spec: str, name: str) -> str:
    return "jsna-" + hashlib.sha256((name + spec).encode("utf-8")).hexdigest()[:12]


def embed_html(chart: alt.TopLevelMixin | dict, element_id: str, alt_text: str, *, caption_id: str | None = None) -> str:
    """The ``<div>`` and the ``jsnaChart`` call (chapters/_static/jsna-a11y.js: Vega-Lite with the
    book's theme) for one chart. The ``<div>`` is focusable: a chart wider than the text column
    (the tartan rug) scrolls, and the keyboard must reach it. Once drawn, the chart is one image
    named by its alt text: Vega's SVG marks are hidden from assistive technology rather than read
    one by one, often without names; the data table beside the chart holds every number. The
    name is the alt text itself, or, when the alt text is shown as a caption (``caption_id``),
    that caption (``aria-labelledby``): the words are on the page once.

    The specification holds data and titles (area names...), so it is written with
    :func:`~jsna.pages.escape.script_json`: no string in it can close the ``<script>``. It is
    written lean (:func:`lean_spec`)."""
    spec = script_json(lean_spec(chart if isinstance(chart, dict) else chart.to_dict()))
    name = f'aria-labelledby="{html_attr(caption_id)}"' if caption_id else f'aria-label="{html_attr(alt_text)}"'
    return (
        f'<div id="{html_attr(element_id)}" class="jsna-chart" role="img" tabindex="0" {name}></div>\n'
        f"<script>jsnaChart({script_json('#' + element_id)}, {spec});</script>"
    )


#: Significant digits of a number in a chart's data: far finer than a chart can draw, or its
#: tooltips (one decimal place) and data table (two) show.
SPEC_DIGITS = 6


def lean_spec(spec: dict) -> dict:
    """``spec`` as a page embeds it, with nothing a reader or the drawing needs left out:

    - no ``description``: the alt text is the chart's name on the page already (a copy in the
      specification is read by no one, as the drawn SVG is hidden from assistive technology);
    - no ``$schema`` (``jsnaChart`` says the mode) and none of :data:`THEME_CONFIG` (the page
      loads it once, :func:`config_script`);
    - every number in its data to :data:`SPEC_DIGITS` significant digits;
    - none of the columns of its data that nothing in it names (a chart is often drawn from a
      wider table; the data table and the CSV keep every column). A column is kept when its name
      appears anywhere else in the specification as a word (a field, a tooltip, ``datum.name``
      in an expression);
    - each table of records written as CSV text, with the type of each column declared where
      the chart reads it (:func:`_as_csv`): the column names once rather than on every row,
      half the bytes. :func:`embedded_records` reads them back."""

    def rounded(value):
        if isinstance(value, float) and np.isfinite(value):
            return float(f"{value:.{SPEC_DIGITS}g}")
        return value

    out = {key: value for key, value in spec.items() if key not in ("description", "$schema")}
    if "config" in out:
        out["config"] = _beyond(out["config"], THEME_CONFIG)
        if not out["config"]:
            del out["config"]
    if "datasets" in out:
        rest = json.dumps({key: value for key, value in out.items() if key != "datasets"})
        columns = {k for rows in out["datasets"].values() for row in rows if isinstance(row, dict) for k in row}
        named = {c for c in columns if re.search(r"(?<![\w])" + re.escape(c) + r"(?![\w])", rest)}
        datasets = {
            name: [{k: rounded(v) for k, v in row.items() if k in named} if isinstance(row, dict) else row for row in rows]
            for name, rows in out["datasets"].items()
        }
        out = _as_csv(out, datasets)
    return _shared_encodings(out)


def _shared_encodings(node):
    """``node`` with each encoding channel that every layer of a layered view defines alike
    written once, on the layered view (Vega-Lite gives each layer its parent's encoding: the same
    chart); the trend charts' period axis was written once a layer."""
    if isinstance(node, list):
        return [_shared_encodings(value) for value in node]
    if not isinstance(node, dict):
        return node
    out = {key: _shared_encodings(value) for key, value in node.items()}
    layers = out.get("layer")
    if isinstance(layers, list) and len(layers) > 1 and all(isinstance(layer, dict) and isinstance(layer.get("encoding"), dict) for layer in layers):
        shared = dict(out.get("encoding", {}))
        for channel, definition in layers[0]["encoding"].items():
            if channel not in shared and all(layer["encoding"].get(channel) == definition for layer in layers[1:]):
                shared[channel] = definition
        moved = set(shared) - set(out.get("encoding", {}))
        if moved:
            out["encoding"] = shared
            out["layer"] = [{**layer, "encoding": {c: d for c, d in layer["encoding"].items() if c not in moved}} for layer in layers]
    return out


def _beyond(config: dict, theme: dict) -> dict:
    """What ``config`` sets that ``theme`` does not (the page adds the theme back)."""
    out = {}
    for key, value in config.items():
        if isinstance(value, dict) and isinstance(theme.get(key), dict):
            rest = _beyond(value, theme[key])
            if rest:
                out[key] = rest
        elif key not in theme or theme[key] != value:
            out[key] = value
    return out


#: A column's Vega parse type -> the Python types its values may have (besides None).
_PARSE_TYPES = {"boolean": (bool,), "number": (int, float), "string": (str,)}


def _parse_type(values: list) -> str | None:
    """The one parse type every value of a column fits, or None (mixed: the table stays JSON)."""
    present = [v for v in values if v is not None]
    for kind, types in _PARSE_TYPES.items():
        if all(isinstance(v, types) and (kind != "number" or not isinstance(v, bool)) for v in present):
            return kind
    return None


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    text = repr(value)
    return text[:-2] if isinstance(value, float) and text.endswith(".0") else text  # 2.0 as 2: the same number


def _as_csv(spec: dict, datasets: dict[str, list]) -> dict:
    """``spec`` with each dataset of records as CSV text, and ``format`` (``csv`` and the type of
    every column but those of text without gaps, so that numbers are numbers and an empty cell
    reads as null) on each place the specification names it. A dataset that is not records, or
    has a column of mixed types, stays as JSON."""
    formats = {}
    for name, rows in datasets.items():
        if not rows or not all(isinstance(row, dict) for row in rows):
            continue
        columns = list(dict.fromkeys(k for row in rows for k in row))
        parse = {c: _parse_type([row.get(c) for row in rows]) for c in columns}
        if None in parse.values():
            continue
        # Text is text in CSV already: a text column is declared only when it has a gap (null).
        parse = {c: kind for c, kind in parse.items() if kind != "string" or any(row.get(c) is None for row in rows)}
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)
        datasets[name] = buffer.getvalue()
        formats[name] = {"type": "csv", "parse": parse}

    def with_format(node):
        if isinstance(node, dict):
            out = {k: with_format(v) for k, v in node.items()}
            data = out.get("data")
            if isinstance(data, dict) and data.get("name") in formats:
                out["data"] = {**data, "format": {**formats[data["name"]], **data.get("format", {})}}
            return out
        if isinstance(node, list):
            return [with_format(v) for v in node]
        return node

    return {**with_format({k: v for k, v in spec.items() if k != "datasets"}), "datasets": datasets}


def embedded_records(spec: dict) -> dict[str, list]:
    """The datasets of a specification as a page embeds it (:func:`lean_spec`), as records: CSV
    text read back with the column types it declares, as Vega reads it."""
    formats: dict[str, dict] = {}

    def find(node) -> None:
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, dict) and isinstance(data.get("format"), dict) and "name" in data:
                formats.setdefault(data["name"], data["format"])
            for value in node.values():
                find(value)
        elif isinstance(node, list):
            for value in node:
                find(value)

    find(spec)
    readers = {"boolean": lambda t: t == "true", "number": lambda t: float(t) if re.search(r"[.eEn]", t) else int(t), "string": str}
    out = {}
    for name, values in (spec.get("datasets") or {}).items():
        if not isinstance(values, str):
            out[name] = values
            continue
        parse = formats.get(name, {}).get("parse", {})
        rows = csv.DictReader(io.StringIO(values))
        out[name] = [{k: (None if t == "" else readers[parse.get(k, "string")](t)) for k, t in row.items()} for row in rows]
    return out


_SPACE = re.compile(r"\s*")


def embedded_specs(page: str) -> list[dict]:
    """The specifications a page's ``jsnaChart("#id", SPEC)`` calls embed, as written."""
    decoder, specs = json.JSONDecoder(), []
    for call in re.finditer(r"jsnaChart\(", page):
        try:
            _, end = decoder.raw_decode(page, call.end())  # the element's id
            spec, _ = decoder.raw_decode(page, _SPACE.match(page, page.index(",", end) + 1).end())
        except ValueError:
            continue
        if isinstance(spec, dict):
            specs.append(spec)
    return specs


def _renderer(spec: dict, **kwargs) -> dict:
    """Altair renderer for a chart displayed on its own: the same embed, with no CDN."""
    chart = alt.Chart.from_dict(spec)
    text = json.dumps(spec, sort_keys=True)
    description = spec.get("description", "Chart")
    return {"text/html": embed_html(chart, _block_id(text, "chart"), description)}


alt.renderers.register("jsna", _renderer)
alt.renderers.enable("jsna")

# Altair validates every schema object as it is made (each encoding, scale, tooltip: a
# deep copy and a JSON Schema check apiece), which was a fifth of the time a chapter page took.
# Charts are not validated while the book is built: tests/test_site.py validates every chart of
# the smoke build against the Vega-Lite schema, and the browser tests draw them.
alt.utils.schemapi.disable_debug_mode()


def _shared_converters(original: classmethod) -> classmethod:
    """Altair's ``SchemaBase.from_dict``, with its converter built once per set of classes.

    Altair (6.3) turns every shorthand a chart is written with (``x="value:Q"``, a tooltip's
    field name, ``alt.value(0)``, a condition) into its channel class through ``from_dict``, which
    builds a new converter each time: a hash of every schema class's schema, about 6 ms, a
    quarter of the time a chapter page takes to draw its 30 charts. The converter depends only on
    the classes, so one per set of classes gives the same objects (tests/test_charts.py checks
    that every kind of chart's specification is unchanged)."""
    from altair.utils.schemapi import _FromDict

    converters: dict[frozenset, _FromDict] = {}

    def cached(cls, dct, validate=True):
        if validate:
            cls.validate(dct)
        classes = frozenset(cls._default_wrapper_classes())
        if classes not in converters:
            converters[classes] = _FromDict(classes)
        return converters[classes].from_dict(dct, cls)

    cached.altair_from_dict = original  # Altair's own, for the test that compares the two
    return classmethod(cached)


if not hasattr(alt.SchemaBase.from_dict, "altair_from_dict"):
    alt.SchemaBase.from_dict = _shared_converters(alt.SchemaBase.__dict__["from_dict"])


def _without_params_no_copies(api) -> None:
    """Altair's LayerChart deep-copies every layer each time a layered chart is made or copied
    (``alt.layer``, ``properties``, ``to_dict``), in case one of them carries a selection
    parameter it must lift or de-duplicate; every Undefined property of every encoding is copied,
    a sixth of a chapter page's time. The book's charts carry no parameters: with none on the
    chart or any layer, the layers are kept as they are (Altair copies a layer before it changes
    it: its data or its width lifted to the chart). tests/test_charts.py checks that layered
    charts, with and without a parameter, give the same specification as Altair's own."""
    remove, combine = api._remove_duplicate_params, api._combine_subchart_params

    def has_params(chart) -> bool:
        return not alt.utils.is_undefined(getattr(chart, "params", alt.Undefined))

    def remove_duplicate_params(layer):
        return list(layer) if not any(has_params(chart) for chart in layer) else remove(layer)

    def combine_subchart_params(params, subcharts):
        # Altair also renames the named layers of a layered layer: those go through it.
        if (alt.utils.is_undefined(params) or not params) and not any(has_params(chart) or isinstance(chart, api.LayerChart) for chart in subcharts):
            return alt.Undefined, list(subcharts)
        return combine(params, subcharts)

    remove_duplicate_params.altair = remove
    combine_subchart_params.altair = combine
    api._remove_duplicate_params, api._combine_subchart_params = remove_duplicate_params, combine_subchart_params


if not hasattr(alt.vegalite.v6.api._remove_duplicate_params, "altair"):
    _without_params_no_copies(alt.vegalite.v6.api)


def csv_link(table: pd.DataFrame, name: str) -> str:
    """A link that downloads ``table`` as CSV, its text cells safe to open in a spreadsheet
    (:func:`jsna.store.csv_safe`: a cell that would be read as a formula gets a leading ')."""
    data = urllib.parse.quote(csv_safe(table).to_csv(index=False, lineterminator="\n"))
    return f'<a class="jsna-download" download="{html_attr(name)}.csv" href="data:text/csv;charset=utf-8,{data}">Download the data (CSV)</a>'


class Html(str):
    """An HTML fragment (a table, a list) that a notebook displays as HTML and code can use as a string."""

    def _repr_html_(self) -> str:
        return str(self)


#: Chapter pages sit two folders deep (``<type>/<place>/<chapter>.html``): the site's root from a page.
SITE_ROOT = "../../"
#: Where the per-chart CSV files are published, under the site's root.
CHART_DOWNLOADS = "downloads/charts"
#: The key of a figure's output metadata that carries its CSV file to the publish step.
CHART_CSV = "jsna_chart_csv"
#: What a chart's numbers are, first on every row of its CSV: the indicator, the place the figure
#: is about, the period, the sex and the unit (empty where a figure has none of them).
CSV_CONTEXT = ("indicator_id", "indicator_name", "area_code", "area_name", "period", "sex", "unit")
#: Where they come from, last on every row: the source (the view's), and the release and its
#: data vintage, which the publish step fills in (a notebook does not know the release).
CSV_PROVENANCE = ("source", "release", "data_vintage")

Context = str | float | int | Sequence | pd.Series | None


def file_slug(name: str) -> str:
    """A figure's name as a file name: anything but letters, digits, ``.``, ``_`` and ``-`` as "-"
    ("funnel-diabetes-2021/22" -> "funnel-diabetes-2021-22")."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "chart"


#: What a chart's closed data table holds until a reader opens it (and, without JavaScript,
#: after): the table is made from the chart's CSV file then (jsnaLoadTable in jsna-a11y.js).
TABLE_FROM_CSV = "The table is made from the chart's CSV file (below) when opened."


class Figure:
    """A chart with its alt text, data table and download, displayable in a notebook."""

    def __init__(self, chart: alt.TopLevelMixin, *, alt_text: str, table: pd.DataFrame, name: str, note: str = "",
                 context: Mapping[str, Context] | None = None):  # fmt: skip
        self.chart = chart.copy(deep=False)  # not a deep copy of every layer: only the description is set
        self.chart.description = alt_text
        self.alt_text = alt_text
        self.table = table
        self.name = name
        self.note = note
        self.context = dict(context or {})
        self._csv: str | None = None

    def download_table(self) -> pd.DataFrame:
        """The CSV's table: the context columns, the data table's columns, the provenance columns
        (``release`` and ``data_vintage`` empty: the publish step fills them)."""
        n, table = len(self.table), whole_numbers(self.table)
        out = {}
        for column in (*CSV_CONTEXT, *self.table.columns, *CSV_PROVENANCE):
            if column in out:
                continue
            if column in self.table.columns:
                out[column] = table[column].to_numpy()
            else:
                value = self.context.get(column)
                if not isinstance(value, (list, tuple, pd.Series, pd.Index, np.ndarray)):
                    out[column] = [("" if value is None or (isinstance(value, float) and np.isnan(value)) else value)] * n
                else:
                    values = list(value)
                    if len(values) != n:
                        raise ValueError(f"chart {self.name!r}: {column} has {len(values)} values for {n} rows")
                    out[column] = values
        return pd.DataFrame(out)

    def csv(self) -> str:
        """The figure's CSV file as the notebook hands it on: every text cell safe to open in a
        spreadsheet (:func:`jsna.store.csv_safe`). Made once (the page, its link and its file
        name all need it)."""
        if self._csv is None:
            self._csv = csv_safe(self.download_table()).to_csv(index=False, lineterminator="\n")
        return self._csv

    @property
    def file_name(self) -> str:
        """The CSV's file name under ``downloads/charts/``: the figure's name and a short hash of
        its CSV, so that a file name always holds the same numbers (two figures given one name
        never share a file) and a citation of it cannot change under the reader."""
        return f"{file_slug(self.name)}-{hashlib.sha256(self.csv().encode('utf-8')).hexdigest()[:8]}.csv"

    @property
    def href(self) -> str:
        """The link to the CSV from a chapter page."""
        return f"{SITE_ROOT}{CHART_DOWNLOADS}/{self.file_name}"

    def _repr_html_(self) -> str:
        # Not validated here (2 s a chapter page): tests/test_site.py validates every chart of the
        # smoke build against the Vega-Lite schema, and the browser tests draw them.
        spec = self.chart.to_dict(validate=False)
        element_id = _block_id(json.dumps(spec, sort_keys=True), self.name)
        title = spec.get("title", {})
        title_text = title.get("text", "") if isinstance(title, dict) else str(title)
        if isinstance(title_text, list):
            title_text = " ".join(title_text)
        note = f'<p class="jsna-note">{html_text(self.note)}</p>' if self.note else ""
        link = (f'<a class="jsna-download" href="{html_attr(self.href)}" download="{html_attr(file_slug(self.name))}.csv" '
                f'type="text/csv">Download the data (CSV)</a>')  # fmt: skip
        columns = json.dumps([csv_cell(str(column)) for column in self.table.columns])
        return (
            f'<figure class="jsna-figure">\n{embed_html(spec, element_id, self.alt_text, caption_id=element_id + "-alt")}\n'
            f'<figcaption id="{html_attr(element_id)}-alt" class="jsna-alt">{html_text(self.alt_text)}</figcaption>\n{note}'
            f'<details class="jsna-table" data-csv="{html_attr(self.href)}" data-columns="{html_attr(columns)}">'
            f"<summary>Data table: {html_text(title_text or self.name)}</summary>\n"
            f'<div class="jsna-table-body">{TABLE_FROM_CSV}</div>\n</details>\n<p>{link}</p>\n</figure>'
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> tuple[dict, dict]:
        """The page's HTML, and the CSV as output metadata: the notebook keeps it, no page shows it,
        and the publish step writes it as ``downloads/charts/<file_name>``."""
        return {"text/html": self._repr_html_()}, {CHART_CSV: {"file": self.file_name, "csv": self.csv()}}


def whole_numbers(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with each column of floats that are all whole numbers (counts, which a gap turns
    into floats) as integers: a reader sees "428", not "428.0"."""
    out = table.copy()
    for column in out.columns:
        values = out[column]
        numbers = values.dropna().to_numpy(dtype=float) if pd.api.types.is_float_dtype(values) else None
        if numbers is not None and len(numbers) and bool(np.all(np.floor(numbers) == numbers)):
            out[column] = pd.Series([np.nan if pd.isna(v) else int(v) for v in values], index=values.index, dtype=object)
    return out


def show(
    chart: alt.TopLevelMixin, *, alt_text: str, table: pd.DataFrame, name: str, note: str = "",
    indicator: Mapping | pd.Series | None = None, indicator_id: Context = None, indicator_name: Context = None, area_code: Context = None,
    area_name: Context = None, period: Context = None, sex: Context = None, unit: Context = None, source: Context = None,
) -> Figure:  # fmt: skip
    """Return a displayable figure: chart, alt text, data table, CSV download.

    The keyword arguments after ``note`` say what the numbers are; they head (and end) every row
    of the CSV (:data:`CSV_CONTEXT`, :data:`CSV_PROVENANCE`). ``indicator`` is a catalogue entry
    (``indicator_id``, ``title``, ``unit``, ``source``); the others override it or stand alone
    (a population pyramid has no indicator). Each is one value for every row, or one value per
    row of ``table`` (a list, Series or array: a spine chart's rows are different indicators,
    given by ``indicator_id`` and ``indicator_name``). ``area_code`` and
    ``area_name`` are the place the figure is about; areas that differ by row (ranked wards)
    are in the table itself.
    """
    if not alt_text.strip():
        raise ValueError("every chart needs alt text")
    if table.empty:
        raise ValueError(f"chart {name!r} has an empty data table")
    context: dict[str, Context] = {}
    if indicator is not None:
        context = {"indicator_id": indicator.get("indicator_id"), "indicator_name": indicator.get("title", indicator.get("indicator_name")),
                   "unit": indicator.get("unit"), "source": indicator.get("source")}  # fmt: skip
    given = {"indicator_id": indicator_id, "indicator_name": indicator_name, "area_code": area_code, "area_name": area_name, "period": period,
             "sex": sex, "unit": unit, "source": source}  # fmt: skip
    context.update({key: value for key, value in given.items() if value is not None})
    return Figure(chart, alt_text=alt_text, table=table, name=name, note=note, context=context)


# --------------------------------------------------------------------------------------------
# What the marks look like, in words, read from the specification
# --------------------------------------------------------------------------------------------
#: Point shapes in words (plural: a series has several points).
SHAPE_WORD = {"circle": "circle", "square": "square", "diamond": "diamond", "triangle-up": "upward triangle",
              "triangle-down": "downward triangle", "triangle": "triangle", "cross": "cross", "stroke": "short line"}  # fmt: skip
SHAPE_WORDS = {shape: word + ("es" if word.endswith("s") else "s") for shape, word in SHAPE_WORD.items()}
#: Layers that draw a field with a meaning of its own: the field -> what the layer shows.
ROLE_FIELDS = {"lower_95_0": "95% confidence interval", "upper_95_0": "95% confidence interval", "fitted": "slope index of inequality",
               "range_from": "range"}
_SERIES_FILTER = re.compile(r"^\(?datum\.(\w+) === (\"[^\"]*\"|'[^']*')\)?$")


def dash_words(dash) -> str:
    """A stroke dash pattern in words: none or [1, 0] "solid", a first dash of 2 pixels or less
    "dotted", longer "dashed"."""
    if not dash or (len(dash) >= 2 and dash[1] == 0):
        return "solid"
    return "dotted" if dash[0] <= 2 else "dashed"


def _mark_phrase(mark: dict, encoding: dict, dash, shape) -> str | None:
    """One mark in words ("dashed line with diamonds"), or None for a mark that is not a symbol
    (text labels)."""
    kind = mark.get("type")
    if kind == "line":
        point = mark.get("point")
        phrase = f"{dash_words(dash)} line"
        if point:
            overlay = point.get("shape") if isinstance(point, dict) else None
            phrase += f" with {SHAPE_WORDS.get(shape or overlay or 'circle', 'points')}"
        return phrase
    if kind == "rule":
        if "x2" in encoding or "y2" in encoding:
            orientation = "horizontal" if "x2" in encoding else "vertical"
            return f"{dash_words(dash)} {orientation} lines" if dash_words(dash) != "solid" else f"{orientation} lines"
        orientation = "vertical" if "x" in encoding and "y" not in encoding or encoding.get("y", {}).get("value") is not None else "horizontal"
        return f"{dash_words(dash)} {orientation} line"
    if kind == "area":
        return "shaded band"
    if kind == "bar":
        return "bars"
    if kind == "rect":
        return "coloured cells"
    if kind in ("point", "circle", "square", "tick"):
        return SHAPE_WORDS.get(shape or mark.get("shape") or ("square" if kind == "square" else "circle"), "points")
    return None


def _points(rows, field: str | None, value, y: str | None) -> int | None:
    """How many rows of a series (``field`` == ``value``) have a number to draw at ``y``; None
    when the rows are not to hand."""
    if not isinstance(rows, list) or field is None or y is None:
        return None
    return sum(1 for row in rows if isinstance(row, dict) and row.get(field) == value and isinstance(row.get(y), (int, float)) and row[y] == row[y])


def _unit_layers(spec: dict, data=None):
    """Every unit layer of a (layered) specification, with the data it draws."""
    data = spec.get("data", data)
    if "layer" in spec:
        for layer in spec["layer"]:
            yield from _unit_layers(layer, data)
    elif "mark" in spec:
        yield spec, data


def mark_words(chart: alt.TopLevelMixin | dict) -> dict[str, str]:
    """What each series and reference mark of ``chart`` looks like, in words, read from its
    specification, so that a description of the marks follows the chart when the chart changes.

    Keys are what the mark stands for: a series or category (a value of the field a dash, shape
    or colour scale is keyed by: "England", "95% limits", "Better"), a layer filtered to one
    series (the pyramid's comparator), a labelled reference line (its ``label``: "England:
    78.0"), or the meaning of the field a layer draws (:data:`ROLE_FIELDS`: "95% confidence
    interval", "slope index of inequality"). Values are phrases without an article: "dashed
    line with diamonds", "solid vertical line", "shaded band", "upward triangles". Text marks
    are not described. Two layers for one key are joined with "and".
    """
    spec = chart.to_dict(validate=False) if hasattr(chart, "to_dict") else chart  # the page's copy is validated
    datasets = spec.get("datasets", {})
    found: dict[str, list[str]] = {}

    def add(key: str, phrase: str | None) -> None:
        if phrase and phrase not in found.setdefault(str(key), []):
            found[str(key)].append(phrase)

    for layer, data in _unit_layers(spec):
        mark = layer["mark"] if isinstance(layer["mark"], dict) else {"type": layer["mark"]}
        encoding = layer.get("encoding", {})
        if _mark_phrase(mark, encoding, None, None) is None or any("datum" in encoding.get(c, {}) for c in ("x", "x2", "y", "y2")):
            continue  # a text label, or a background drawn at constant positions (the spine's track)
        dash, shape = mark.get("strokeDash"), mark.get("shape")
        fields = [encoding.get(channel, {}).get("field") for channel in ("y", "x", "y2", "x2")]
        role = next((ROLE_FIELDS[f] for f in fields if f in ROLE_FIELDS), None)
        series = [t["filter"] for t in layer.get("transform", []) if isinstance(t.get("filter"), str) and _SERIES_FILTER.match(t["filter"])]
        scaled = {channel: encoding[channel] for channel in ("strokeDash", "shape", "color")
                  if isinstance(encoding.get(channel), dict) and "domain" in encoding[channel].get("scale", {})
                  and "range" in encoding[channel].get("scale", {})}  # fmt: skip
        rows = datasets.get((data or {}).get("name"), (data or {}).get("values")) if isinstance(data, dict) else None
        if role:
            add(role, _mark_phrase(mark, encoding, dash, shape))
        elif series:
            value = _SERIES_FILTER.match(series[0]).group(2)
            add(json.loads(value) if value.startswith('"') else value[1:-1], _mark_phrase(mark, encoding, dash, shape))
        elif "strokeDash" in scaled or "shape" in scaled:
            keyed = scaled.get("strokeDash") or scaled["shape"]
            for i, value in enumerate(keyed["scale"]["domain"]):
                pattern = scaled["strokeDash"]["scale"]["range"][i] if "strokeDash" in scaled else dash
                symbol = scaled["shape"]["scale"]["range"][i] if "shape" in scaled else shape
                if mark.get("type") == "line" and mark.get("point") and _points(rows, keyed.get("field"), value, fields[0]) == 1:
                    add(value, SHAPE_WORD.get(symbol or "circle", "point"))  # one point draws no line: England's one value
                else:
                    add(value, _mark_phrase(mark, encoding, pattern, symbol))
        elif isinstance(rows, list) and len(rows) == 1 and "label" in rows[0]:
            add(rows[0]["label"], _mark_phrase(mark, encoding, dash, shape))
        elif "color" in scaled:
            for value in scaled["color"]["scale"]["domain"]:
                add(value, _mark_phrase(mark, encoding, dash, shape))
        else:
            add(next((f for f in fields if f), mark["type"]), _mark_phrase(mark, encoding, dash, shape))
    return {key: " and ".join(phrases) for key, phrases in found.items()}


def key_sentence(chart: alt.TopLevelMixin | dict, names: Mapping[str, str] | None = None, *, only: Sequence[str] | None = None) -> str:
    """The chart's key in a sentence, from :func:`mark_words`: "England: dashed line with
    diamonds; 95% confidence interval: shaded band." ``names`` renames keys ("Dudley: 77.0" ->
    "Dudley"); ``only`` keeps those keys, in that order."""
    words = mark_words(chart)
    keys = [k for k in only if k in words] if only is not None else list(words)
    parts = [f"{(names or {}).get(k, k)}: {words[k]}" for k in keys]
    return ("; ".join(parts) + ".") if parts else ""


# --------------------------------------------------------------------------------------------
# Chart builders
# --------------------------------------------------------------------------------------------
def valid(*fields: str) -> str:
    """A Vega filter keeping the rows where every field is a number (not missing). An interval
    layer is drawn through it, and only when :func:`any_valid` finds a row: a layer left with no
    row makes Vega warn of an "Infinite extent" and draws nothing."""
    return " && ".join(f"isValid(datum[{json.dumps(f)}]) && isFinite(datum[{json.dumps(f)}])" for f in fields)


def any_valid(data: pd.DataFrame, *fields: str) -> bool:
    """Whether some row of ``data`` has a number in every one of ``fields``."""
    return bool(len(data)) and bool(np.isfinite(data[list(fields)].to_numpy(dtype="float64")).all(axis=1).any())


def _span(*columns: pd.Series) -> tuple[float, float] | None:
    """The smallest and largest finite number in ``columns``; None when there is none."""
    values = pd.concat([pd.Series(c, dtype="float64") for c in columns], ignore_index=True)
    values = values[np.isfinite(values)]
    return (float(values.min()), float(values.max())) if len(values) else None


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


def comparison_colour(labels, title: str) -> alt.Color:
    """The Fingertips colours of a ``comparison`` field, for the categories ``labels`` holds."""
    domain = [label for label in COMPARISON_STYLE if label in set(labels)]
    return alt.Color("comparison:N", title=title, scale=alt.Scale(domain=domain, range=[COMPARISON_STYLE[d][0] for d in domain]))


def _comparison_scales(labels, title: str) -> tuple[alt.Color, alt.Shape]:
    """Colour and shape encodings of a ``comparison`` field: one legend, two signals."""
    colour = comparison_colour(labels, title)
    domain = [label for label in COMPARISON_STYLE if label in set(labels)]
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
    low, high = _span(data["value"], data["lower_95_0"], data["upper_95_0"], pd.Series([v for _, v in references], dtype="float64")) or (0.0, 1.0)
    pad = 0.05 * ((high - low) or 1.0)
    x = alt.X("value:Q", title=unit, scale=alt.Scale(zero=False, domain=[low - pad, high + pad], nice=True))
    points = alt.Chart(data).mark_point(filled=True, size=130, stroke="#222", strokeWidth=0.6, opacity=1).encode(
        y=y, x=x, color=colour, shape=shape,
        tooltip=["area_name:N", alt.Tooltip("value:Q", format=".1f"), alt.Tooltip("lower_95_0:Q", format=".1f"),
                 alt.Tooltip("upper_95_0:Q", format=".1f"), "comparison:N"],
    )  # fmt: skip
    rules = alt.Chart(data).transform_filter(valid("lower_95_0", "upper_95_0")).mark_rule(color="#444", strokeWidth=1.5).encode(
        y=y, x="lower_95_0:Q", x2="upper_95_0:Q"
    )
    layers = [*([rules] if any_valid(data, "lower_95_0", "upper_95_0") else []), *_reference_lines(references, height), points]
    return alt.layer(*layers).properties(title=chart_title(title, subtitle), width=400, height=height)  # fits the text column with long names


def interval_trend(data: pd.DataFrame, *, title: str, subtitle: str, unit: str, order: list[str]) -> alt.LayerChart:
    """One place's values over time with a 95% interval band, and England where it exists.

    ``data`` has ``period``, ``series`` (the place's name or "England"), ``value``,
    ``lower_95_0`` and ``upper_95_0`` (missing for England); ``order`` is the periods in order.
    """
    series = list(dict.fromkeys(data["series"]))
    # Every period on the axis, even one without a value; an explicit scale when nothing has a
    # value (every period [c] or [x]), so that an empty chart still draws without a warning.
    x = alt.X("period:O", sort=order, title="Period", scale=alt.Scale(domain=order), axis=alt.Axis(labelAngle=-40 if len(order[0]) > 4 else 0))
    span = _span(data["value"], data["lower_95_0"], data["upper_95_0"])
    y = alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False) if span else alt.Scale(domain=[0, 1]), axis=alt.Axis() if span else alt.Axis(labels=False, ticks=False))
    colour = alt.Color("series:N", title=None, scale=alt.Scale(domain=series, range=[PLACE_COLOUR, COMPARATOR_COLOUR][: len(series)]))
    dash = alt.StrokeDash("series:N", title=None, scale=alt.Scale(domain=series, range=[[1, 0], [5, 3]][: len(series)]))
    shape = alt.Shape("series:N", title=None, scale=alt.Scale(domain=series, range=["circle", "diamond"][: len(series)]))
    band = alt.Chart(data).transform_filter(valid("lower_95_0", "upper_95_0")).mark_area(opacity=0.2, color=PLACE_COLOUR).encode(
        x=x, y=alt.Y("lower_95_0:Q", title=unit), y2="upper_95_0:Q"
    )
    line = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(filled=True, size=45)).encode(
        x=x, y=y, color=colour, strokeDash=dash, shape=shape,
        tooltip=["series:N", "period:N", alt.Tooltip("value:Q", format=".1f"), alt.Tooltip("lower_95_0:Q", format=".1f", title="95% lower"),
                 alt.Tooltip("upper_95_0:Q", format=".1f", title="95% upper")],
    )  # fmt: skip
    layers = [band, line] if any_valid(data, "lower_95_0", "upper_95_0") else [line]
    return alt.layer(*layers).properties(title=chart_title(title, subtitle), width=460, height=260)


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
    ranges = base.transform_filter(valid("range_from", "range_to")).mark_bar(color="#9a9a9a", height=16).encode(
        x=alt.X("range_from:Q", scale=alt.Scale(domain=[0, 1])), x2="range_to:Q", tooltip=["indicator:N", alt.Tooltip("range_text:N", title=range_title)]
    )
    centre = alt.Chart(pd.DataFrame({"position": [0.5], "label": ["England"]})).mark_rule(color=COMPARATOR_COLOUR, strokeWidth=2).encode(x=x)
    points = base.mark_point(filled=True, size=150, stroke="#222", strokeWidth=0.7, opacity=1).encode(
        x=x, color=colour, shape=shape, tooltip=["indicator:N", alt.Tooltip("value_text:N", title="Value"), "comparison:N"]
    )
    layers = [track, ranges, centre, points] if any_valid(data, "range_from", "range_to") else [track, centre, points]
    return alt.layer(*layers).properties(title=chart_title(title, subtitle, width=80), width=360, height=30 * len(rows))


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
    layers = [limit_lines, centre_rule, centre_text, dots, *([names] if points["outlier"].astype(bool).any() else [])]
    return alt.layer(*layers).properties(title=chart_title(title, subtitle), width=460, height=300)


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
    rules = alt.Chart(data).transform_filter(valid("lower_95_0", "upper_95_0")).mark_rule(strokeWidth=1.5).encode(
        x=x, y="lower_95_0:Q", y2="upper_95_0:Q", color=colour
    )
    points = alt.Chart(data).mark_point(filled=True, size=90, opacity=1, stroke="#222", strokeWidth=0.5).encode(
        x=x, y=y, color=colour, shape=shape, tooltip=tooltip
    )
    layers = [rules, points] if any_valid(data, "lower_95_0", "upper_95_0") else [points]
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
