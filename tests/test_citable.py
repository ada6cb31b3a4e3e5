"""Citable figures (issue 14): each chart's data once as a CSV file with what its numbers are,
linked once from its page; the indicator definitions in plain words; no Vega warning on any page.

The unit tests run on hand-made stores (the views' store of tests/test_views.py, the hostile
store of tests/test_escaping.py) and on notebooks written here; the site tests read the smoke
build (tests/conftest.py, shared with tests/test_site.py) and open its pages in chromium.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape as html_unescape
from html.parser import HTMLParser
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from jsna.book import publish
from jsna.book.source import definitions_page
from jsna.compute.indicators import POLARITY_WORDS, catalogue_table
from jsna.compute.methods import METHODS
from jsna.errors import BuildError
from jsna.inputs.release import Release, load_release
from jsna.pages import charts
from jsna.pages import indicators as views
from jsna.store import FORMULA_STARTS, TABLES, Store
from tests.conftest import ROOT, default_policy, load_test_catalogue, wait_for_charts

RELEASE = Release("2026.1-test", "A test book", pd.Timestamp("2026-01-15").date(), "=Synthetic events, 2013 to 2022")


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def assert_formula_safe(rows: list[list[str]]) -> None:
    """No cell would be read by a spreadsheet as a formula (a number written as text is inert)."""
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                float(cell.replace(",", ""))  # raises unless a plain number


def a_figure(name: str = "trend-x", values=(1.0, 2.0), **context) -> charts.Figure:
    table = pd.DataFrame({"Period": ["2021", "2022"], "Value": list(values)})
    chart = alt.Chart(table).mark_line().encode(x="Period:O", y="Value:Q")
    return charts.show(chart, alt_text="A line.", table=table, name=name, **context)


def write_notebook(path: Path, figures: list[charts.Figure]) -> None:
    """A notebook as papermill leaves it: each figure displayed (its HTML, its CSV as metadata)."""
    outputs = []
    for figure in figures:
        data, metadata = figure._repr_mimebundle_()
        outputs.append({"output_type": "display_data", "data": data, "metadata": metadata})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "", "outputs": outputs, "metadata": {}}], "metadata": {}}))


# --------------------------------------------------------------------------------------------
# The chart files: from the notebooks to downloads/charts/, with the release; links checked
# --------------------------------------------------------------------------------------------
def test_chart_csvs_are_published_as_files_with_the_release(tmp_path: Path) -> None:
    book, html = tmp_path / "book", tmp_path / "html"
    entry = {"indicator_id": "smoking", "title": "Smoking (%)", "unit": "%", "source": "A survey"}
    first, second = a_figure("trend-smoking", indicator=entry, area_code="E08000027"), a_figure("funnel-x-2021/22", values=(3.0, 4.0))
    write_notebook(book / "borough" / "dudley" / "live_well.ipynb", [first, second])
    write_notebook(book / "borough" / "dudley" / "inequalities.ipynb", [second])  # the same chart on two pages: one file
    page = html / "borough" / "dudley" / "live_well.html"
    page.parent.mkdir(parents=True)
    page.write_text(first._repr_html_() + second._repr_html_())
    stale = html / "downloads" / "charts" / "gone-00000000.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    settings = type("S", (), {"book": book, "html": html})()

    assert publish.publish_chart_downloads(settings, RELEASE) == 2
    assert sorted(p.name for p in (html / "downloads" / "charts").iterdir()) == sorted([first.file_name, second.file_name])
    rows = read_csv((html / "downloads" / "charts" / first.file_name).read_text())
    assert rows[0] == [*charts.CSV_CONTEXT, "Period", "Value", *charts.CSV_PROVENANCE]
    header = {name: i for i, name in enumerate(rows[0])}
    assert [row[header["release"]] for row in rows[1:]] == ["2026.1-test"] * 2
    assert rows[1][header["data_vintage"]] == "'=Synthetic events, 2013 to 2022"  # the release's words are text too
    assert (rows[1][header["indicator_id"]], rows[1][header["area_code"]], rows[1][header["source"]], rows[1][header["Value"]]) == (
        "smoking", "E08000027", "A survey", "1")  # a whole number as the table shows it
    assert_formula_safe(rows)
    # Every link on the page leads to its file, relative to the page (a server or the file system).
    assert publish.check_chart_links(html) == 2
    (html / "downloads" / "charts" / second.file_name).unlink()
    with pytest.raises(BuildError, match=f"live_well.html links to ../../downloads/charts/{re.escape(second.file_name)}"):
        publish.check_chart_links(html)


def test_two_different_csvs_under_one_file_name_stop_the_build(tmp_path: Path) -> None:
    figure = a_figure()
    write_notebook(tmp_path / "a.ipynb", [figure])
    notebook = json.loads((tmp_path / "a.ipynb").read_text())
    notebook["cells"][0]["outputs"][0]["metadata"][charts.CHART_CSV]["csv"] += "x\n"
    (tmp_path / "b.ipynb").write_text(json.dumps(notebook))
    with pytest.raises(BuildError, match="both called"):
        publish.chart_files(tmp_path)
    notebook["cells"][0]["outputs"][0]["metadata"][charts.CHART_CSV]["file"] = "../escape.csv"
    (tmp_path / "b.ipynb").write_text(json.dumps(notebook))
    with pytest.raises(BuildError, match="not a plain file name"):
        publish.chart_files(tmp_path)


# --------------------------------------------------------------------------------------------
# What the views' CSVs hold: no suppressed number, no formula
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def views_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.test_views import views_store

    return views_store(tmp_path_factory.mktemp("views"))


def test_no_chart_csv_holds_a_suppressed_number(views_folder: Path) -> None:
    from tests.test_views import LEAK_TEXT, every_output

    figures = [output for output in every_output(Store(views_folder)) if isinstance(output, charts.Figure)]
    assert len(figures) > 20
    for figure in figures:
        text = figure.csv()
        assert not LEAK_TEXT.search(text), f"{figure.name}: suppressed number {LEAK_TEXT.search(text)} in its CSV"
        assert read_csv(text)[0][: len(charts.CSV_CONTEXT)] == list(charts.CSV_CONTEXT)
        page = figure._repr_html_()
        assert page.count('class="jsna-download"') == 1 and figure.href in page and "data:text/csv" not in page


def test_hostile_names_reach_the_chart_csvs_as_inert_text(tmp_path: Path) -> None:
    from tests.test_escaping import FORMULA, T1, W2, hostile_store

    store = Store(hostile_store(tmp_path / "hostile"))
    for figure in (views.compare_areas_figure(store, T1, "admissions"), views.trend_figure(store, W2, "admissions"),
                   views.tartan_rug(store, T1, "live_well"), views.funnel_figure(store, "admissions")):  # fmt: skip
        rows = read_csv(figure.csv())
        assert_formula_safe(rows)
        assert re.fullmatch(r"[A-Za-z0-9._-]+\.csv", figure.file_name)
    assert any(f"'{FORMULA} ward" in cell for row in read_csv(views.trend_figure(store, W2, "admissions").csv()) for cell in row)


# --------------------------------------------------------------------------------------------
# The store's downloads: each row with its source and release
# --------------------------------------------------------------------------------------------
def indicator_rows() -> pd.DataFrame:
    rows = [("life_expectancy_birth", 1, end, str(end), 80.0) for end in range(2013, 2023)]
    rows += [("life_expectancy_birth", 3, end, f"{end - 2} - {str(end)[2:]}", 80.0) for end in range(2015, 2023)]
    rows += [("infant_mortality", 3, 2022, "2020 - 22", 4.0), ("infant_mortality", 3, 2021, "2019 - 21", float("nan"))]
    return pd.DataFrame(rows, columns=["indicator_id", "years", "period_end", "period", "value"])


def test_downloads_carry_source_release_and_periods() -> None:
    catalogue = catalogue_table(load_test_catalogue(), default_policy())["catalogue"]
    indicators = indicator_rows().assign(source="ignored").drop(columns="source")
    tables = {"catalogue": catalogue, "indicators": indicators}
    out = publish.download_table("indicators", tables, RELEASE)
    assert list(out.columns) == [*indicators.columns, "source", "release"]
    assert set(out.loc[out["indicator_id"] == "infant_mortality", "source"]) == set(catalogue.loc[catalogue["indicator_id"] == "infant_mortality", "source"])
    assert set(out["release"]) == {"2026.1-test"}
    definitions = publish.download_table("catalogue", tables, RELEASE).set_index("indicator_id")
    assert definitions.loc["life_expectancy_birth", ["first_period", "last_period"]].tolist() == ["2013", "2022"]
    assert definitions.loc["life_expectancy_birth", "periods"] == "2013 to 2022 (single years); 2013 - 15 to 2020 - 22 (3 years pooled)"
    assert definitions.loc["infant_mortality", "periods"] == "2020 - 22 (3 years pooled)"  # a period without a value is not available
    assert definitions.loc["population", "periods"] == "" and set(definitions["data_vintage"]) == {RELEASE.data_vintage}
    # Every declared download gains the release; the catalogue keeps its declared columns first.
    assert list(definitions.reset_index().columns[: len(TABLES["catalogue"].columns)]) == TABLES["catalogue"].column_names


# --------------------------------------------------------------------------------------------
# The definitions page in plain words
# --------------------------------------------------------------------------------------------
class VisibleText(HTMLParser):
    """The text a reader sees: everything outside scripts, styles and tags' attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        self.hidden += tag in ("script", "style")
        self.links += [value for name, value in attrs if name in ("href", "src") and value]

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)

    @classmethod
    def of(cls, page: str) -> VisibleText:
        parser = cls()
        parser.feed(page)
        return parser

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.parts))


#: The Fingertips indicators the catalogue links to (data/indicators.yml).
FINGERTIPS_IDS = {"infant_mortality": 92196, "low_birth_weight_term": 20101, "reception_excess_weight": 20601, "year6_excess_weight": 20602,
                  "under_18_conceptions": 20401, "self_harm_admissions": 21001, "suicide_rate": 41001, "falls_admissions_65": 22401,
                  "hip_fracture_admissions_65": 41401}  # fmt: skip


def code_words(text: str) -> list[str]:
    """Words of the data's own code in ``text``: indicator ids with an underscore, method names,
    Fingertips polarity labels."""
    ids = [entry["id"] for entry in load_test_catalogue() if "_" in entry["id"]]
    found = [word for word in re.findall(r"\b\w+_\w+\b", text)]
    # (a method named by an ordinary word, "count" or "survey", is not a code word)
    found += [name for name in METHODS if ("_" in name or name == "dsr") and re.search(rf"\b{re.escape(name)}\b", text, re.IGNORECASE)]
    found += [polarity for polarity in POLARITY_WORDS if polarity in text and polarity != "Not applicable"]
    return found + [i for i in ids if i in text]


def assert_definitions_in_plain_words(page: str) -> None:
    parsed = VisibleText.of(page)
    text = parsed.text
    assert not code_words(text), code_words(text)
    for words in ("Directly standardised rate (2013 European Standard Population), 95% limits by Dobson's method", "Higher is better",
                  "Lower is better", "No judgement of better or worse", "Why it matters", "Periods available", "Source"):  # fmt: skip
        assert words in text, words
    for number in FINGERTIPS_IDS.values():
        assert f"Indicator {number} on OHID Fingertips (fingertips.phe.org.uk)" in text
    assert text.count("on OHID Fingertips (fingertips.phe.org.uk)") == len(FINGERTIPS_IDS)
    assert not [link for link in parsed.links if re.match(r"(https?:)?//", link)], "a link leaves the site"


def test_definitions_page_says_everything_in_plain_words() -> None:
    catalogue = catalogue_table(load_test_catalogue(), default_policy())["catalogue"]
    assert (catalogue["rationale"] != "").all(), "every indicator has a rationale"
    assert dict(zip(catalogue.loc[catalogue["fingertips_id"] != "", "indicator_id"], catalogue.loc[catalogue["fingertips_id"] != "", "fingertips_id"].astype(int))) == FINGERTIPS_IDS
    page = definitions_page(catalogue, indicator_rows(), RELEASE)
    assert_definitions_in_plain_words(page)
    text = VisibleText.of(page).text
    assert "release 2026.1-test" in text and RELEASE.data_vintage in text
    assert "Periods available 2013 to 2022 (single years); 2013 - 15 to 2020 - 22 (3 years pooled)" in text
    assert "Aged 65 and over" in text and "Everyone (persons), men and women" in text
    # The words come from the registry and the catalogue: code words there would show.
    bad = catalogue.assign(method_words=catalogue["method"])
    assert code_words(VisibleText.of(definitions_page(bad, indicator_rows(), RELEASE)).text)


def test_every_method_and_polarity_has_words() -> None:
    assert all(method.words and "_" not in method.words for method in METHODS.values())
    schema = json.loads((ROOT / "jsna" / "inputs" / "catalogue_schema.json").read_text())
    assert set(POLARITY_WORDS) == set(schema["items"]["properties"]["polarity"]["enum"])


# --------------------------------------------------------------------------------------------
# The smoke build
# --------------------------------------------------------------------------------------------
FIGURE = re.compile(r'<figure class="jsna-figure">.*?</figure>', re.DOTALL)


@pytest.mark.smoke
def test_each_chart_has_one_link_to_its_csv_file_and_its_data_once(site: Path) -> None:
    html = site / "html"
    page_path = html / "borough" / "dudley" / "live_well.html"
    page = page_path.read_text()
    figures = FIGURE.findall(page)
    assert len(figures) >= 10 and "data:text/csv" not in page
    for block in figures:
        # The data: once in the specification; the table is made from the file it links to.
        assert block.count("jsnaChart(") == 1 and "<table" not in block
        [href] = re.findall(r'<a class="jsna-download" href="([^"]+)"', block)
        [(table_csv, columns)] = re.findall(r'<details class="jsna-table" data-csv="([^"]+)" data-columns="([^"]+)">', block)
        assert href.startswith("../../downloads/charts/") and table_csv == href
        rows = read_csv((page_path.parent / href).read_text())
        assert rows[0][: len(charts.CSV_CONTEXT)] == list(charts.CSV_CONTEXT) and rows[0][-3:] == list(charts.CSV_PROVENANCE)
        assert set(json.loads(html_unescape(columns))) <= set(rows[0])  # every column the table shows is in the file
        assert {row[-2] for row in rows[1:]} == {load_release(ROOT / "parameters" / "release.yml").release}
        assert_formula_safe(rows)
    assert publish.check_chart_links(html) >= len(figures)
    # No chart file is left over from a chart that is gone.
    linked = {Path(h).name for p in html.rglob("*.html") for h in publish.CHART_LINK.findall(p.read_text())}
    assert linked == {p.name for p in (html / "downloads" / "charts").iterdir()}


def shown_cell(text: str) -> str:
    """A CSV cell as a chart's data table shows it: a gap as [x], text without the quote that keeps
    a spreadsheet from reading it as a formula."""
    return "[x]" if text == "" else text[1:] if text[:1] == "'" and text[1:2] in FORMULA_STARTS else text


def shown_column(cells: list[str]) -> list[str]:
    """A column as the table shows it: numbers all to the most decimal places any has."""
    numbers = [c for c in cells if c != "[x]"]
    if not numbers or not all(re.fullmatch(r"-?\d+(\.\d+)?", c) for c in numbers):
        return cells
    places = max(len(c.partition(".")[2]) for c in numbers)
    return [c if c == "[x]" else f"{float(c):.{places}f}" for c in cells]


@pytest.mark.smoke
@pytest.mark.browser
def test_a_chart_s_data_table_is_made_from_its_csv_file_when_opened(site: Path, server: str, browser) -> None:
    """The table a reader opens under a chart holds the CSV file's rows and the figure's columns,
    [x] for a gap, numbers to one number of decimal places a column, and no spreadsheet quote; opened from disk, where the file cannot be fetched,
    it says so."""
    page = browser.new_page()
    page.goto(f"{server}/borough/dudley/live_well.html", wait_until="load")
    details = page.locator("figure.jsna-figure details.jsna-table")
    assert details.count() >= 10 and not page.locator("figure.jsna-figure table").count()  # none made before opened
    for i in (0, details.count() - 1):
        one = details.nth(i)
        one.locator("summary").click()
        page.wait_for_function("d => d.dataset.table === 'loaded'", arg=one.element_handle())
        columns = json.loads(one.get_attribute("data-columns"))
        rows = read_csv((site / "html" / "borough" / "dudley" / one.get_attribute("data-csv")).resolve().read_text())
        at = [rows[0].index(c) for c in columns]
        shown = one.locator("table").evaluate("t => [...t.rows].map(r => [...r.cells].map(c => c.textContent))")
        expected = [list(row) for row in zip(*(shown_column([shown_cell(row[k]) for row in rows[1:]]) for k in at))]
        assert shown == [columns, *expected]
        assert one.locator("table.jsna-stack").count() == 1  # labelled for the phone layout like every table
    page.close()
    offline = browser.new_page()
    offline.goto((site / "html" / "borough" / "dudley" / "live_well.html").as_uri(), wait_until="load")
    first = offline.locator("figure.jsna-figure details.jsna-table").first
    first.locator("summary").click()
    offline.wait_for_function("d => d.dataset.table === 'failed'", arg=first.element_handle())
    assert "the CSV file below has every number" in first.inner_text()
    offline.close()


@pytest.mark.smoke
def test_the_downloads_say_their_source_and_release(site: Path) -> None:
    release = load_release(ROOT / "parameters" / "release.yml").release
    for table in TABLES.values():
        if table.download:
            published = pd.read_csv(site / "html" / "downloads" / table.download, keep_default_na=False, low_memory=False)
            assert set(published["release"]) == {release}, table.download
            assert "source" in published.columns or "indicator_id" not in published.columns, table.download
    indicators = pd.read_csv(site / "html" / "downloads" / "indicators.csv", keep_default_na=False, low_memory=False)
    assert (indicators["source"] != "").all()


@pytest.mark.smoke
def test_the_published_definitions_page_is_in_plain_words(site: Path) -> None:
    assert_definitions_in_plain_words((site / "html" / "about" / "definitions.html").read_text())


@pytest.mark.smoke
@pytest.mark.browser
def test_no_page_logs_a_warning_or_an_error(site: Path, server: str, browser) -> None:
    """Every page of the smoke build, loaded in chromium until its charts are drawn: the console
    has no warning (Vega's "Infinite extent"...) and no error."""
    html = site / "html"
    pages = sorted(p.relative_to(html).as_posix() for p in html.rglob("*.html") if not p.relative_to(html).parts[0].startswith("_"))
    assert len(pages) > 10
    logged: list[str] = []
    for path in pages:
        page = browser.new_page()
        page.on("console", lambda message, path=path: logged.append(f"{path}: {message.type}: {message.text}") if message.type in ("warning", "error") else None)
        page.on("pageerror", lambda error, path=path: logged.append(f"{path}: {error}"))
        page.goto(f"{server}/{path}", wait_until="load")
        expected = page.locator(".jsna-chart").count()
        if expected:
            assert wait_for_charts(page, expected) == expected, path
        page.close()
    assert not logged, "\n".join(logged)
