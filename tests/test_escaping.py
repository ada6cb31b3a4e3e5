"""Strings from the data and the parameters (area names, indicator titles, KPI names, chapter titles)
are written through one escaping helper per context: HTML text and attributes, MyST Markdown,
JSON inside ``<script>``, and CSV cells a spreadsheet would read as formulas.

First each helper against hostile strings, then the views and the book's generated pages end to
end over a small store whose names and titles are hostile. Fast: no build, no notebook.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.myst_blocks import myst_block_plugin
from mdit_py_plugins.myst_role import myst_role_plugin
from mdit_py_plugins.substitution import substitution_plugin

from jsna import store as store_module
from jsna.book.plan import make_plan
from jsna.book.source import chapter_page, definitions_page, place_page
from jsna.inputs.places import Chapter, Place, load_chapters
from jsna.pages import charts
from jsna.pages import indicators as views
from jsna.pages.escape import html_attr, html_text, markdown_text, script_json
from jsna.store import Store, csv_cell, csv_safe
from tests.conftest import ROOT, area_types, write_store
from tests.test_views import (
    BOROUGH,
    CATALOGUE,
    GEOGRAPHY,
    PRACTICES,
    T1,
    W1,
    W2,
    age_structure,
    funnel_tables,
    indicator_rows,
)

SCRIPT = "<script>alert(1)</script>"
CLOSE = "</script><script>x</script>"
ATTRIBUTE = '"onmouseover="x'
LINK = "[a](javascript:alert(1))"
FORMULA = "=cmd|' /C calc'!A0"
HOSTILE = [SCRIPT, CLOSE, ATTRIBUTE, LINK, '=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "line\u2028break", FORMULA,
           "![i](x.png) {role}`x` $m$ *e* _u_ `c` # h | t", "- item", "1. item", ":::{note}", "(target)=", "{{ release }}",
           "a\n\n# heading", "% comment", "> quote", "a\\b", "A&E", "&amp;"]  # fmt: skip
#: Names that must look exactly as they are (in Markdown source too: none is syntax).
NORMAL = ["St James's", "Netherton, Woodside and St Andrews", "Dudley township", "per 100,000", "2018 - 20", "Life expectancy at birth (years)"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --------------------------------------------------------------------------------------------
# Checkers
# --------------------------------------------------------------------------------------------
def markdown() -> MarkdownIt:
    """A parser with the MyST syntax the book enables (colon fences, definition lists,
    substitutions) and the roles, targets, comments and maths MyST adds."""
    parser = MarkdownIt("commonmark")
    for plugin in (colon_fence_plugin, deflist_plugin, dollarmath_plugin, myst_role_plugin, myst_block_plugin, substitution_plugin):
        parser = parser.use(plugin)
    return parser


#: Tokens plain text may produce: paragraphs, headings, list items and text.
PLAIN = {"paragraph_open", "paragraph_close", "heading_open", "heading_close", "bullet_list_open", "bullet_list_close", "list_item_open",
         "list_item_close", "inline", "text", "softbreak"}  # fmt: skip


def syntax_in(source: str) -> list[str]:
    """Every Markdown construct in ``source`` that plain text would not produce."""
    found = []
    for token in markdown().parse(source):
        found += [token.type] if token.type not in PLAIN else []
        found += [child.type for child in token.children or [] if child.type not in PLAIN]
    return found


def rendered_text(source: str) -> str:
    """The text a reader sees of one line of Markdown."""
    return "".join(child.content for token in markdown().parse(source) if token.type == "inline" for child in token.children)


def one_line(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def assert_safe_markdown(source: str) -> None:
    assert "<" not in source, source
    assert syntax_in(source) == [], (syntax_in(source), source)
    assert "<script" not in markdown().render(source)


def script_blocks(page: str) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", page, flags=re.S)


def assert_safe_html(page: str) -> None:
    """No injected element: every ``<script>`` is one of the page's own chart embeds, and nothing in
    one can end it early or open another tag."""
    blocks = script_blocks(page)
    assert page.lower().count("<script") == len(blocks) == page.lower().count("</script"), "a script element opened or closed by data"
    for block in blocks:
        assert block.startswith("jsnaChart(") and "<" not in block and ">" not in block, block[:200]
    for raw in ("<script>alert", "<script>x", 'onmouseover="'):
        assert raw not in page


def embedded_specs(page: str) -> list[dict]:
    """The chart specifications a page embeds, one a script block, as vega-embed reads them."""
    specs = [spec for block in script_blocks(page) for spec in charts.embedded_specs(block)]
    assert len(specs) == len(script_blocks(page))
    return specs


def csv_in(page: str) -> list[str]:
    """The CSV downloads of a page, decoded."""
    return [urllib.parse.unquote(href) for href in re.findall(r'href="data:text/csv;charset=utf-8,([^"]*)"', page)]


def is_plain_number(cell: str) -> bool:
    try:
        float(cell.replace(",", ""))
    except ValueError:
        return False
    return cell.lstrip("+-")[:1].isdigit() or cell.lstrip("+-")[:1] == "."


def assert_safe_csv(text: str) -> list[list[str]]:
    """No cell of ``text`` would be read by a spreadsheet as a formula."""
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS) or is_plain_number(cell), f"formula cell {cell!r}"
    return rows


class Elements(HTMLParser):
    """Start tags with their attributes, and the text of script elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def elements(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    parser.close()
    return parser


# --------------------------------------------------------------------------------------------
# The helpers
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", HOSTILE)
def test_html_text_and_attributes_hold_the_string_and_nothing_else(value: str) -> None:
    page = f'<p title="{html_attr(value)}" class=\'{html_attr(value)}\'>{html_text(value)}</p>'
    found = elements(page)
    assert found.tags == [("p", {"title": value, "class": value})]
    assert not set("<>\"'") & set(html_text(value))


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("where", ["{}", "# Profile: {}", "- {}", "Text {} more", "- [{}](./page.ipynb): words", "{}\n==="])
def test_markdown_text_is_only_text_wherever_it_is_placed(value: str, where: str) -> None:
    source = where.format(markdown_text(value))
    assert "<" not in source and "\n\n" not in source
    allowed = {"link_open", "link_close"} if "](./page.ipynb)" in where else set()
    assert set(syntax_in(source)) <= allowed, syntax_in(source)
    if where in ("{}", "Text {} more"):
        assert rendered_text(source) == where.format(one_line(value))


@pytest.mark.parametrize("value", NORMAL)
def test_markdown_text_leaves_ordinary_names_as_they_are(value: str) -> None:
    assert markdown_text(value) == value


@pytest.mark.parametrize("value", HOSTILE)
def test_script_json_cannot_close_the_script(value: str) -> None:
    data = {"title": value, "values": [{"name": value, "n": 1}], value: [value]}
    text = script_json(data)
    assert json.loads(text) == data
    assert not {"<", ">", "&", "\u2028", "\u2029"} & set(text)
    found = elements(f"<script>var spec = {text};</script><p>after</p>")
    assert [tag for tag, _ in found.tags] == ["script", "p"]
    assert found.scripts == [f"var spec = {text};"]


def test_script_json_is_deterministic_and_compact() -> None:
    assert script_json({"b": 1, "a": [1, 2]}) == '{"a":[1,2],"b":1}'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'), ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"), (FORMULA, "'" + FORMULA), ("-", "'-"), ("-inf", "'-inf"),
        # Plain numbers written as text are inert: left as they are (a "-2.5" must stay -2.5).
        ("-5", "-5"), ("-2.5", "-2.5"), ("+1,234.5", "+1,234.5"), ("-1e3", "-1e3"),
        # Anything else is text as it was.
        (SCRIPT, SCRIPT), ("2018 - 20", "2018 - 20"), ("St James's", "St James's"), ("", ""), ("line\u2028break", "line\u2028break"),
    ],
)  # fmt: skip
def test_csv_cell_prefixes_what_a_spreadsheet_would_read_as_a_formula(value: str, written: str) -> None:
    assert csv_cell(value) == written


@pytest.mark.parametrize("value", [-5, -2.5, 0, np.nan, None, True, np.int64(-3), np.float64(-1.5)])
def test_csv_cell_never_changes_a_number(value) -> None:
    assert csv_cell(value) is value


def test_csv_safe_neutralises_text_columns_and_headers_and_leaves_numbers() -> None:
    df = pd.DataFrame({"name": [FORMULA, "Ash", "-2+3"], FORMULA: [-1.5, 2.0, np.nan], "count": [-1, 2, 3], "mixed": [-2.5, "[c]", "=1+1"]})
    out = csv_safe(df)
    assert list(out.columns) == ["name", "'" + FORMULA, "count", "mixed"]
    assert out["name"].tolist() == ["'" + FORMULA, "Ash", "'-2+3"]
    pd.testing.assert_series_equal(out["'" + FORMULA], df[FORMULA].rename("'" + FORMULA))
    pd.testing.assert_series_equal(out["count"], df["count"])
    assert out["mixed"].tolist() == [-2.5, "[c]", "'=1+1"]
    assert df["name"].iloc[0] == FORMULA  # the caller's frame is not changed


def test_embed_html_keeps_a_hostile_title_inside_the_spec() -> None:
    chart = alt.Chart(pd.DataFrame({"name": [CLOSE, SCRIPT], "n": [1, 2]})).mark_bar().encode(x="n:Q", y="name:N").properties(title=CLOSE)
    page = charts.embed_html(chart, "jsna-abc", SCRIPT + ATTRIBUTE)
    assert_safe_html(page)
    spec = embedded_specs(page)[0]
    assert spec["title"] == CLOSE and {row["name"] for rows in charts.embedded_records(spec).values() for row in rows} == {CLOSE, SCRIPT}
    assert elements(page).tags[0] == ("div", {"id": "jsna-abc", "class": "jsna-chart", "role": "img", "tabindex": "0", "aria-label": SCRIPT + ATTRIBUTE})


# --------------------------------------------------------------------------------------------
# The views, over a store whose names and titles are hostile
# --------------------------------------------------------------------------------------------
#: Area names: a ward that is a script, a ward that is a formula, a township that closes a script,
#: a practice of each.
NAMES = {W1: SCRIPT, W2: FORMULA, T1: CLOSE, PRACTICES[0]: SCRIPT, PRACTICES[2]: FORMULA}
TITLES = {"admissions": f"{SCRIPT} admissions for falls (per 100,000)", "life_exp": f"{FORMULA} life expectancy at birth (years)"}


def hostile_store(folder: Path) -> Path:
    geography = pd.DataFrame(GEOGRAPHY, columns=["area_code", "area_name", "area_type", "parent_code"])
    geography["area_name"] = [NAMES.get(code, name) for code, name in zip(geography["area_code"], geography["area_name"])]
    catalogue = pd.DataFrame(CATALOGUE)
    catalogue["title"] = catalogue["indicator_id"].map(TITLES)
    catalogue["definition"] = [SCRIPT + "\n\n# not a heading", LINK]
    catalogue["source"] = FORMULA
    rows = indicator_rows()
    names = dict(zip(geography["area_code"], geography["area_name"]))
    rows["area_name"] = rows["area_code"].map(names)
    rows["parent_name"] = rows["parent_code"].map(lambda code: names.get(code, ""))
    rows["indicator_name"] = rows["indicator_id"].map(TITLES)
    points, lines = funnel_tables()
    points["area_name"] = points["area_code"].map(names)
    structure, england = age_structure()
    tables = {
        "indicators": rows, "catalogue": catalogue, "funnels": points, "funnel_lines": lines, "age_structure": structure,
        "england_age_structure": england, "geography": geography,
    }  # fmt: skip
    return write_store(folder, tables)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile_store(tmp_path_factory.mktemp("hostile"))


@pytest.fixture
def store(folder: Path) -> Store:
    return Store(folder)


def test_the_fixture_is_hostile(store: Store) -> None:
    assert store.name(W1) == f"{SCRIPT} ward" and store.name(W2) == f"{FORMULA} ward" and store.name(T1) == f"{CLOSE} township"
    assert store.entry("admissions")["title"].startswith(SCRIPT)


def test_tables_escape_names_titles_and_headings(store: Store) -> None:
    pages = [views.spine_table(store, T1, "live_well"), views.profile_spine(store, W1), views.tartan_table(store, T1, "live_well"),
             views.summary_table(store, W1), *[html for section in views.indicator_sections(store, T1, "age_well") for html in
                                               (item._repr_html_() for item in section)]]  # fmt: skip
    for page in pages:
        assert_safe_html(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[1]  # the name is shown, as text
    assert "&lt;/script&gt;&lt;script&gt;x&lt;/script&gt; township" in pages[0]


@pytest.mark.parametrize(
    "figure",
    [
        lambda s: views.compare_areas_figure(s, T1, "admissions"),
        lambda s: views.compare_areas_figure(s, T1, "life_exp", sex="Male"),
        lambda s: views.trend_figure(s, W1, "admissions"),
        lambda s: views.trend_figure(s, W2, "life_exp", sex="Female"),
        lambda s: views.tartan_rug(s, T1, "live_well"),
        lambda s: views.tartan_rug(s, BOROUGH, "age_well"),
        lambda s: views.spine_figure(s, T1, "live_well"),
        lambda s: views.funnel_figure(s, "admissions"),
        lambda s: views.pyramid_figure(s, T1),
    ],
)
def test_figures_keep_data_inside_their_script_and_their_csv_inert(store: Store, figure) -> None:
    made = figure(store)
    page = made._repr_html_()
    assert_safe_html(page)
    spec = json.dumps(embedded_specs(page))
    assert SCRIPT in spec or CLOSE in spec or FORMULA in spec  # the names reach the chart intact
    for text in [*csv_in(page), made.csv()]:
        assert_safe_csv(text)


def test_compare_areas_csv_prefixes_the_formula_and_keeps_the_numbers(store: Store, folder: Path) -> None:
    figure = views.compare_areas_figure(store, T1, "admissions")
    text = figure.csv()
    table = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert table["Area"].tolist() == [f"{SCRIPT} ward", f"'{FORMULA} ward", "Cedar ward"]  # CSV is data: only the formula changes
    rows = pd.read_parquet(folder / "indicators.parquet")
    latest = rows.loc[(rows["indicator_id"] == "admissions") & (rows["years"] == 1) & (rows["period_end"] == 2022)]
    values = {store.name(code): value for code, value in zip(latest["area_code"], latest["value"])}
    for name, value in zip(table["Area"], table["Value"]):
        assert float(value) == round(values[name.removeprefix("'")], 2)


def test_a_place_named_as_a_formula_heads_its_trend_table_safely(store: Store) -> None:
    text = views.trend_figure(store, W2, "admissions").csv()
    header = next(csv.reader(io.StringIO(text)))
    assert f"'{FORMULA} ward" in header and f"{FORMULA} ward" not in header


def test_markdown_findings_are_text(store: Store) -> None:
    for code in (T1, W1, W2, BOROUGH):
        findings = views.headline_findings(store, code)
        assert findings.startswith("- ")
        for line in findings.splitlines():
            assert_safe_markdown(line)
    shown = rendered_text(views.headline_findings(store, W1).splitlines()[0])
    assert SCRIPT in shown  # the reader sees the name as it is


def test_the_published_downloads_prefix_formulas_and_keep_numbers(store: Store, folder: Path) -> None:
    raw = pd.read_parquet(folder / "indicators.parquet")
    text = store_module.download_csv("indicators", store.table("indicators"))
    assert_safe_csv(text)
    table = pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])
    names = table.loc[table["area_code"] == W2, "area_name"].unique().tolist()
    assert names == ["'" + FORMULA]
    assert set(table.loc[table["area_code"] == W1, "area_name"]) == {SCRIPT}  # CSV is data, not HTML
    assert set(table["indicator_name"]) == {TITLES["admissions"], "'" + TITLES["life_exp"]}
    # Numeric columns are untouched, value for value.
    for column in ("value", "lower_95_0", "count", "period_end", "years"):
        np.testing.assert_allclose(table[column].to_numpy(dtype=float), raw[column].to_numpy(dtype=float), equal_nan=True)
    definitions = store_module.download_csv("catalogue", store.table("catalogue"))
    assert_safe_csv(definitions)
    assert "'" + FORMULA in pd.read_csv(io.StringIO(definitions))["source"].tolist()


# --------------------------------------------------------------------------------------------
# The book's generated pages and the template substitutions
# --------------------------------------------------------------------------------------------
def hostile_plan(name: str = SCRIPT, chapter_title: str = LINK, description: str = CLOSE + " {{ release }}"):
    places = [Place(BOROUGH, "Dudley", "borough", None, title="Dudley"), Place(T1, name, "township", BOROUGH, title=f"{name} township")]
    chapters = load_chapters(ROOT / "parameters" / "chapters.yml")
    chapters["population"] = Chapter("population", chapter_title, "chapters/population.md", description)
    return make_plan(places, chapters, area_types()), places


def test_hub_and_chapter_pages_escape_names_titles_and_descriptions() -> None:
    plan, places = hostile_plan()
    assert any(job.place == T1 for job in plan.jobs)
    pages = [place_page(plan, place) for place in plan.places_with_pages()] + [chapter_page(plan, "population")]
    for page in pages:
        lines = [line for line in page.splitlines() if line and not line.startswith("```")]
        for line in lines:
            assert "<" not in line and "{{" not in line, line
        kinds = [token.type for token in markdown().parse(page)]
        assert "html_block" not in kinds and "html_inline" not in kinds and "substitution_block" not in kinds
    township = place_page(plan, places[1])
    assert rendered_text(township.splitlines()[0]) == f"{SCRIPT} township"
    links = [child.attrs.get("href") for token in markdown().parse(township) for child in token.children or [] if child.type == "link_open"]
    assert all(not href.startswith("javascript") for href in links) and len(links) == len([j for j in plan.jobs if j.place == T1])


def test_template_substitutions_are_markdown_text_and_ordinary_names_unchanged() -> None:
    plan, _ = hostile_plan()
    job = next(job for job in plan.jobs if job.place == T1 and job.chapter == "population")
    for template in sorted((ROOT / "chapters").glob("*.md")):
        source = template.read_text(encoding="utf-8")
        headings = [line for line in source.splitlines() if line.startswith("# ") and "{" in line]
        for line in headings + [line for line in source.splitlines() if "{place_name}" in line or "{chapter_description}" in line]:
            for name, words in job.substitutions.items():
                line = line.replace("{" + name + "}", words)
            assert "<" not in line and syntax_in(line) == [], (template.name, line)
    ordinary, _ = hostile_plan(name="St James's", chapter_title="Start well", description="Pregnancy, birth, childhood and school years.")
    job = next(job for job in ordinary.jobs if job.place == T1)
    assert job.substitutions["place_name"] == "St James's township" == job.place_name
    rendered = rendered_text("# Population: " + job.substitutions["place_name"])
    assert rendered == "Population: St James's township"


def test_definitions_page_escapes_titles_ids_and_keeps_html_blocks_whole(store: Store) -> None:
    page = definitions_page(store.catalogue)
    assert "<script" not in page
    tokens = markdown().parse(page)
    headings = [tokens[i + 1].content for i, token in enumerate(tokens) if token.type == "heading_open"]
    assert "not a heading" not in " ".join(headings)  # a blank line in a definition did not end its HTML block
    assert "&lt;script&gt;alert(1)&lt;/script&gt; admissions for falls (per 100,000)" in page


# --------------------------------------------------------------------------------------------
# The services and exception-report pages, over KPI tables whose words are hostile
# --------------------------------------------------------------------------------------------
QUARTER = "2022-23 Q2"


def hostile_kpis(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The KPI tables with every word a council officer types made hostile, consistently across
    tables (ids and names stay keys): KPI ids break out of attributes, names are scripts or (the
    one below target) a formula, directorates close scripts, narratives and actions are links."""
    def word(column: str, value):
        if not isinstance(value, str) or not value:
            return value
        if column == "kpi_id":
            return f"{value} {ATTRIBUTE}"
        if column == "kpi_name":
            return f"{FORMULA} {value}" if "saving" in value.lower() else f"{SCRIPT} {value}"
        if column == "directorate":
            return value if value == "All directorates" else f"{CLOSE} {value}"
        return f"{SCRIPT} {LINK} {value}"

    hostile = {"kpi_id", "kpi_name", "directorate", "council_priority", "benchmark", "performance", "impact", "assurance",
               "narrative_source", "reference", "title", "progress"}  # fmt: skip
    out = {}
    for name, df in tables.items():
        df = df.copy()
        for column in hostile & set(df.columns):
            df[column] = df[column].map(lambda value, column=column: word(column, value)).astype(df[column].dtype)
        out[name] = df
    return out


@pytest.fixture(scope="module")
def kpi_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    from jsna.compute import performance
    from jsna.inputs import kpis

    tables = hostile_kpis(performance.kpi_tables(kpis.load_kpis(ROOT / "data" / "kpi")))
    return Store(write_store(tmp_path_factory.mktemp("kpis"), tables))


def test_services_and_exception_pages_escape_every_kpi_word(kpi_store: Store) -> None:
    from jsna.pages import performance as pv

    assert any(name.startswith(FORMULA) for name in kpi_store.table("kpi_definitions")["kpi_name"])
    fragments = [pv.intro(kpi_store, QUARTER), pv.findings(kpi_store, QUARTER), pv.summary_table(kpi_store, QUARTER),
                 *pv.scorecard_tables(kpi_store, QUARTER), pv.exception_links(kpi_store, QUARTER), pv.actions_table(kpi_store, QUARTER),
                 pv.spc_summary_table(kpi_store, QUARTER), pv.exception_intro(kpi_store, QUARTER), pv.earlier_exceptions(kpi_store, QUARTER),
                 *[part for section in pv.spc_sections(kpi_store, QUARTER) + pv.exception_sections(kpi_store, QUARTER) for part in section]]  # fmt: skip
    pages = [fragment._repr_html_() for fragment in fragments]
    downloads = 0
    for page in pages:
        assert_safe_html(page)
        for tag, attributes in elements(page).tags:
            assert not any(name.startswith("on") for name in attributes), (tag, attributes)
            assert not str(attributes.get("href", "")).startswith("javascript")
        for text in csv_in(page):
            assert_safe_csv(text)
            downloads += 1
    assert downloads > 5
    joined = "".join(pages)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in joined and "&lt;/script&gt;&lt;script&gt;x&lt;/script&gt;" in joined


# --------------------------------------------------------------------------------------------
# The inequalities chapter's priority list and findings
# --------------------------------------------------------------------------------------------
def priority_store(folder: Path) -> Store:
    """A borough named as a script with two indicators worse than England and getting worse, one
    titled as a script and one as a formula (as tests/test_inequalities.py builds its store)."""
    from jsna.compute.indicators import catalogue_table
    from tests.conftest import default_policy

    geography = pd.DataFrame({"area_code": ["E92000001", "E12000005", BOROUGH], "area_name": ["England", "West Midlands", SCRIPT],
                              "area_type": ["country", "region", "borough"], "parent_code": [None, "E92000001", "E12000005"]})  # fmt: skip
    titles = {"a": f"{SCRIPT} smoking (%)", "b": f"{FORMULA} obesity (%)"}
    entries = [{"id": i, "title": title, "definition": LINK, "method": "proportion", "sex": ["Persons"], "age": "All ages", "unit": "%",
                "polarity": "RAG - Low is good", "areas": ["borough"], "windows": [1], "year_type": "calendar", "source": FORMULA,
                "chapter": "live_well", "marmot": "prevention"} for i, title in titles.items()]  # fmt: skip
    rows = pd.DataFrame(
        [{"indicator_id": i, "indicator_name": title, "area_code": BOROUGH, "area_name": SCRIPT, "area_type": "borough", "period": "2020",
          "period_start": 2020, "period_end": 2020, "years": 1, "sex": "Persons", "unit": "%", "value": 30.0, "lower_95_0": 29.0,
          "upper_95_0": 31.0, "england_value": 20.0, "compared_to_england": "Worse", "recent_trend": "Increasing and getting worse",
          "note": ""} for i, title in titles.items()]  # fmt: skip
    )
    write_store(folder, {"indicators": rows, "geography": geography, **catalogue_table(entries, default_policy())})
    return Store(folder)


def test_priorities_and_findings_escape_the_place_and_the_titles(tmp_path: Path) -> None:
    from jsna.pages import inequalities as iv

    store = priority_store(tmp_path / "store")
    for page in (iv.priority_table(store, BOROUGH), iv.marmot_summary(store, BOROUGH)):
        assert_safe_html(page)
        assert "&lt;script&gt;alert(1)&lt;/script&gt; smoking (%)" in page
    findings = iv.findings(store, BOROUGH)
    for line in findings.splitlines():
        assert_safe_markdown(line)
    assert "significantly worse than England and getting worse" in rendered_text(findings)
