"""The indicator explorer (issue 15, item 3): the data files the build writes
(:mod:`jsna.book.explore`), checked against the store and the chapters; and the page
(chapters/explore.md, chapters/_static/jsna-explorer.js) in headless Chromium: it draws, no
request leaves the site, nothing is logged, the controls work from the keyboard, and a view
is restored from its address.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import pytest

from jsna.book.explore import FOLDER, explorer_files, write_explorer
from jsna.config import Settings
from jsna.pages import charts
from jsna.pages.charts import SPEC_DIGITS
from jsna.pages.indicators import window
from jsna.store import Store
from tests.conftest import ROOT, area_types, declared, first_township, township_folder

NUMBERS = ["value", "lower_95_0", "upper_95_0", "count", "authority_value", "england_value"]
TEXTS = ["compared_to_authority", "compared_to_england", "note"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def read_indicator(folder: Path, indicator_id: str) -> pd.DataFrame:
    """One indicator's explorer file as a table with the store's column names."""
    doc = json.loads((folder / f"{indicator_id}.json").read_text(encoding="utf-8"))
    rows = pd.DataFrame(doc["rows"], columns=doc["fields"])
    for field, words in doc.get("values", {}).items():
        rows[field] = [words[i] for i in rows[field]]
    if "comparators" in doc:
        pairs = [doc["comparators"][p][s] for p, s in zip(rows["period"], rows["sex"])]
        rows["authority_value"] = [a for a, _ in pairs]
        rows["england_value"] = [e for _, e in pairs]
    rows["area_name"] = [doc["areas"][c][0] for c in rows["area_code"]]
    rows["area_type"] = [doc["areas"][c][1] for c in rows["area_code"]]
    for column in NUMBERS:
        rows[column] = pd.to_numeric(rows[column], errors="coerce").astype("float64")
    return rows


def as_charts_embed(values: pd.Series) -> pd.Series:
    """Numbers as the chapters' charts embed them (:func:`jsna.pages.charts.lean_spec`)."""
    return values.map(lambda v: float(f"{v:.{SPEC_DIGITS}g}") if pd.notna(v) else np.nan)


# --------------------------------------------------------------------------------------------
# The files, on a small store made by hand
# --------------------------------------------------------------------------------------------
def small_tables(authority_values=(50.0, 50.0)) -> dict[str, pd.DataFrame]:
    geography = pd.DataFrame(
        [("E92000001", "England", "country", ""), ("E12000005", "West Midlands", "region", "E92000001"),
         ("E08000027", "Dudley", "borough", "E12000005"), ("XT0000001", "Dudley", "township", "E08000027"),
         ("XW0000001", "Ward A", "ward", "XT0000001"), ("XW0000002", "Ward B", "ward", "XT0000001")],
        columns=["area_code", "area_name", "area_type", "parent_code"],
    )  # fmt: skip
    base = {"indicator_id": "rate", "indicator_name": "A rate", "period_start": 2018, "period_end": 2020, "years": 3, "period": "2018 - 20",
            "sex": "Persons", "unit": "%", "england_value": 40.0, "authority_value": 50.0, "compared_to_england": "Worse", "note": ""}  # fmt: skip
    rows = [
        {**base, "area_code": "E08000027", "area_name": "Dudley", "area_type": "borough", "value": 50.0, "lower_95_0": 48.0, "upper_95_0": 52.0, "count": 500.0,
         "compared_to_authority": "Not compared"},
        {**base, "area_code": "XT0000001", "area_name": "Dudley", "area_type": "township", "value": 1 / 3 * 100, "lower_95_0": 30.0, "upper_95_0": 37.0,
         "count": 100.0, "compared_to_authority": "Better", "authority_value": authority_values[0]},
        {**base, "area_code": "XW0000001", "area_name": "Ward A", "area_type": "ward", "value": 61.123456789, "lower_95_0": 55.0, "upper_95_0": 66.0,
         "count": 60.0, "compared_to_authority": "Worse", "authority_value": authority_values[1]},
        {**base, "area_code": "XW0000002", "area_name": "Ward B", "area_type": "ward", "value": np.nan, "lower_95_0": np.nan, "upper_95_0": np.nan,
         "count": np.nan, "compared_to_authority": "Not compared", "statistic": "Proportion", "note": "[c] not published: a count of fewer than 8"},
    ]  # fmt: skip
    catalogue = pd.DataFrame([{"indicator_id": "rate", "title": "A rate", "unit": "%", "polarity": "RAG - Low is good", "chapter": "live_well",
                               "sex": ["Persons"], "areas": ["borough", "township", "ward"], "windows": [3]}])  # fmt: skip
    boundaries = pd.DataFrame([("wards", "XW0000001", -2.1, 52.5, np.nan), ("wards", "XW0000002", -2.0, 52.4, np.nan)],
                              columns=["kind", "area_code", "longitude", "latitude", "imd_decile"])  # fmt: skip
    return {"indicators": declared("indicators", pd.DataFrame(rows)), "catalogue": declared("catalogue", catalogue),
            "area_types": area_types().table(), "geography": declared("geography", geography), "boundaries": declared("boundaries", boundaries)}  # fmt: skip


def test_the_files_hold_the_rows_and_what_the_menus_need() -> None:
    files = explorer_files(small_tables())
    assert sorted(files) == ["index.json", "rate.json"]
    index, doc = json.loads(files["index.json"]), json.loads(files["rate.json"])
    assert index["authority"] == {"code": "E08000027", "name": "Dudley", "kind": "borough"} and index["country"] == "England"
    assert [k["id"] for k in index["kinds"]] == ["borough", "township", "ward"]
    ward = index["kinds"][2]
    assert ward["shapes"] == "_static/boundaries/wards.json" and ward["points"] == {"XW0000001": [-2.1, 52.5], "XW0000002": [-2.0, 52.4]}
    assert "Office for National Statistics" in ward["attribution"]
    assert index["comparisons"]["Worse"] == ["#C00000", "▼"]
    [entry] = index["indicators"]
    assert entry["kinds"]["ward"] == {"sexes": ["Persons"], "period": "2018 - 20", "places": 2, "compared": True}
    assert entry["periods"] == ["2018 - 20"] and index["periods"] == {"2018 - 20": [3, 2020]} and index["first"] == "rate"
    # A township named as the authority is told apart by its type's title; a withheld value stays empty, with its note
    assert doc["areas"]["XT0000001"] == ["Dudley township", "township"] and doc["areas"]["E08000027"] == ["Dudley", "borough"]
    words = doc["values"]
    rows = {r[0]: {f: words[f][v] if f in words else v for f, v in zip(doc["fields"], r)} for r in doc["rows"]}
    assert words["period"] == ["2018 - 20"] and words["sex"] == ["Persons"] and isinstance(doc["rows"][0][1], int)
    assert rows["XW0000002"]["value"] is None and rows["XW0000002"]["count"] is None and rows["XW0000002"]["note"].startswith("[c]")
    assert rows["XW0000002"]["statistic"] == ""  # a [c] row's reason is its note
    assert rows["XW0000001"]["value"] == 61.1235 and rows["XT0000001"]["value"] == 33.3333 and rows["E08000027"]["count"] == 500
    assert doc["comparators"] == {"2018 - 20": {"Persons": [50, 40]}} and "authority_value" not in doc["fields"]


def test_comparators_that_differ_within_a_period_are_written_on_every_row() -> None:
    doc = json.loads(explorer_files(small_tables(authority_values=(50.0, 51.0)))["rate.json"])
    assert "comparators" not in doc and doc["fields"][-2:] == ["authority_value", "england_value"]
    assert sorted({r[-2] for r in doc["rows"]}) == [50, 51]  # numbers are never coded


def test_no_shapes_file_no_map(tmp_path: Path) -> None:
    index = json.loads(explorer_files(small_tables(), shapes_written=set())["index.json"])
    assert not any("shapes" in k for k in index["kinds"])


def test_write_explorer_writes_once_and_removes_a_file_the_store_no_longer_has(tmp_path: Path) -> None:
    settings = Settings(out=tmp_path)
    folder = settings.book / FOLDER
    folder.mkdir(parents=True)
    (folder / "gone.json").write_text("{}")
    sizes = write_explorer(settings, small_tables())
    assert sorted(p.name for p in folder.iterdir()) == ["index.json", "rate.json"] == sorted(sizes)
    written = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    write_explorer(settings, small_tables())
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == written  # unchanged: not rewritten


# --------------------------------------------------------------------------------------------
# The files of the smoke build, against its store and its chapters
# --------------------------------------------------------------------------------------------
smoke = pytest.mark.smoke


@pytest.fixture(scope="module")
def explore(site: Path) -> Path:
    return site / "html" / "_static" / "explore"


@pytest.fixture(scope="module")
def store(site: Path) -> Store:
    return Store(site / "store")


@smoke
def test_the_build_writes_the_files_and_the_page(site: Path, explore: Path, store: Store) -> None:
    index = json.loads((explore / "index.json").read_text())
    published = store.indicators["indicator_id"].unique()
    assert sorted(e["id"] for e in index["indicators"]) == sorted(published)
    assert sorted(p.name for p in explore.glob("*.json")) == sorted(["index.json", *(f"{i}.json" for i in published)])
    tables = {name: store.table(name) for name in ("indicators", "catalogue", "area_types", "geography", "boundaries")}
    files = explorer_files(tables)
    assert all((explore / name).read_text(encoding="utf-8") == text for name, text in files.items())  # what the build wrote
    page = (site / "html" / "explore.html").read_text()
    assert '<script src="_static/jsna-explorer.js" defer></script>' in page and "<noscript>" in page
    for control in ("indicator", "kind", "period", "sex", "place"):
        assert f'<label for="jsna-x-{control}">' in page and f'<select id="jsna-x-{control}"' in page
    assert 'role="status"' in page and 'aria-live="polite"' in page
    assert 'href="explore.html"' in (site / "html" / "index.html").read_text()  # in the table of contents
    assert (site / "html" / "_static" / "jsna-explorer.js").exists()
    # No other page embeds the explorer's figures
    assert not [p for p in (site / "html").rglob("*.html") if "_static/explore/" in p.read_text() and p.name != "explore.html"]


@smoke
def test_every_number_is_the_stores(explore: Path, store: Store) -> None:
    """Every row of every indicator, as the store holds it (to the digits the chapters' charts
    embed), and no row the store does not have; a withheld value is empty with its [c] note."""
    for indicator_id, expected in store.indicators.groupby("indicator_id"):
        found = read_indicator(explore, indicator_id)
        assert len(found) == len(expected), indicator_id
        merged = expected.merge(found, on=["area_code", "period", "sex"], suffixes=("", "_explorer"), validate="one_to_one")
        assert len(merged) == len(expected), indicator_id
        for column in NUMBERS:
            pd.testing.assert_series_equal(as_charts_embed(merged[column]), merged[f"{column}_explorer"], check_names=False, obj=f"{indicator_id} {column}")
        for column in TEXTS:
            assert merged[column].fillna("").astype(str).tolist() == merged[f"{column}_explorer"].tolist(), f"{indicator_id} {column}"
        assert (merged["area_type"] == merged["area_type_explorer"]).all()
        withheld = merged["note"].str.startswith("[c]")
        assert merged.loc[withheld, ["value_explorer", "count_explorer"]].isna().all().all(), indicator_id


@smoke
def test_a_sample_of_places_shows_what_their_chapters_show(explore: Path, store: Store) -> None:
    """For a sample of indicators and places, the period the chapters show (the window of the
    place's type, its latest period with an England value) is the one the explorer shows
    first, and its row is the same."""
    township, index = first_township().code, json.loads((explore / "index.json").read_text())
    entries = {e["id"]: e for e in index["indicators"]}
    checked = 0
    for indicator_id in ("life_expectancy_birth", "under_75_cvd_preventable", "low_birth_weight_term", "smoking_at_delivery", "diabetes_prevalence"):
        if indicator_id not in entries:
            continue
        entry = store.entry(indicator_id)
        found = read_indicator(explore, indicator_id)
        places = [township, *store.within(township, store.neighbourhood_type)[:3], *store.within("E08000027", "practice")[:2]]
        for code in places:
            kind = store.area_type(code)
            if kind not in entries[indicator_id]["kinds"]:
                continue
            sex = entries[indicator_id]["kinds"][kind]["sexes"][0]
            latest = store.latest(indicator_id, code, sex=sex, years=window(store, entry, kind))
            if latest is None:
                continue
            assert entries[indicator_id]["kinds"][kind]["period"] == latest["period"], (indicator_id, kind)
            row = found.loc[(found["area_code"] == code) & (found["period"] == latest["period"]) & (found["sex"] == sex)].iloc[0]
            for column in NUMBERS:
                assert as_charts_embed(pd.Series([latest[column]]))[0] == row[column] or (pd.isna(latest[column]) and pd.isna(row[column])), column
            assert row["compared_to_authority"] == latest["compared_to_authority"]
            checked += 1
    assert checked >= 8


@smoke
def test_the_chapters_charts_show_the_explorers_numbers(site: Path, explore: Path) -> None:
    """Every area's value in the chapters' compare-areas charts (and maps) is one of the
    explorer's values for that area: the same numbers, to the digit."""
    values: dict[str, set[float]] = {}
    for path in explore.glob("*.json"):
        if path.name == "index.json":
            continue
        rows = read_indicator(explore, path.stem)
        for name, value in zip(rows["area_name"], rows["value"]):
            if pd.notna(value):
                values.setdefault(name, set()).add(value)
    compared = 0
    pages = sorted((site / "html" / "borough").rglob("*.html")) + sorted((site / "html" / township_folder()).glob("*.html"))
    for page in pages:
        text = page.read_text()
        for spec in charts.embedded_specs(text):
            for rows in charts.embedded_records(spec).values():
                if not rows or not isinstance(rows[0], dict) or not {"area_name", "value", "lower_95_0"} <= set(rows[0]):
                    continue
                if len({r["area_name"] for r in rows}) < 3 or not all(r["area_name"] in values for r in rows):
                    continue  # not a chart of places side by side (a breakdown, a spine)
                for row in rows:
                    if row["value"] is not None:
                        assert row["value"] in values[row["area_name"]], f"{page.name}: {row['area_name']} {row['value']}"
                        compared += 1
    assert compared >= 100, compared


# --------------------------------------------------------------------------------------------
# In Chromium
# --------------------------------------------------------------------------------------------
def open_explorer(browser, server: str, address: str = ""):
    """The explorer page, drawn; and the requests it made and the console's errors and warnings."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("console", lambda message: problems.append(f"{message.type}: {message.text}") if message.type in ("error", "warning") else None)
    page.goto(f"{server}/explore.html{address}", wait_until="networkidle")
    page.wait_for_selector("#jsna-explorer[data-drawn]", timeout=60_000)
    return page, requests, problems


def redrawn(page, before: str) -> None:
    page.wait_for_function(f"document.getElementById('jsna-explorer').dataset.drawn !== {json.dumps(before)}", timeout=30_000)


def marks(page, chart: str) -> int:
    return page.locator(f"#jsna-x-{chart} svg path, #jsna-x-{chart} svg rect, #jsna-x-{chart} svg line").count()


def address(page) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in page.evaluate("decodeURIComponent(location.hash.slice(1).replace(/\\+/g, ' '))").split("&"))


@smoke
@pytest.mark.browser
def test_the_explorer_draws_in_chromium(site: Path, server: str, browser, explore: Path) -> None:
    page, requests, problems = open_explorer(browser, server)
    index = json.loads((explore / "index.json").read_text())
    chosen = address(page)
    assert chosen["indicator"] == index["first"] and chosen["kind"] == "ward"
    for chart in ("map", "bars", "trend"):
        assert page.locator(f"#jsna-x-{chart} svg").count() == 1, chart
        assert marks(page, chart) > 10, chart
        label = page.get_attribute(f"#jsna-x-{chart}", "aria-label")
        assert page.get_attribute(f"#jsna-x-{chart}", "role") == "img" and len(label) > 40 and "Vega" not in label, label
    places = index_places(index, chosen)
    assert page.locator("#jsna-x-table tbody tr").count() == places
    assert page.locator("#jsna-x-trend-table tbody tr").count() >= 3
    assert "Showing" in page.inner_text("#jsna-x-status") and f"{places} wards" in page.inner_text("#jsna-x-status")
    assert "Office for National Statistics" in page.inner_text("#jsna-x-map-section")
    assert not problems, problems
    outside = [url for url in requests if not url.startswith((server, "data:"))]
    assert not outside, f"requests left the site: {outside}"
    assert any(url.endswith(f"/_static/explore/{index['first']}.json") for url in requests)
    assert sum(url.split("?")[0].endswith(".json") and "/explore/" in url for url in requests) == 2  # the index and one indicator
    page.close()


def index_places(index: dict, chosen: dict) -> int:
    return next(e for e in index["indicators"] if e["id"] == chosen["indicator"])["kinds"][chosen["kind"]]["places"]


@smoke
@pytest.mark.browser
def test_the_controls_work_from_the_keyboard(site: Path, server: str, browser) -> None:
    page, requests, problems = open_explorer(browser, server)
    before, caption = page.get_attribute("#jsna-explorer", "data-drawn"), page.inner_text("#jsna-x-table caption")
    first = address(page)
    page.focus("#jsna-x-indicator")
    page.keyboard.press("ArrowDown")  # the next indicator, as a keyboard user chooses it
    redrawn(page, before)
    assert page.evaluate("document.activeElement.id") == "jsna-x-indicator"
    now = address(page)
    assert now["indicator"] != first["indicator"] and now["indicator"] == page.eval_on_selector("#jsna-x-indicator", "e => e.value")
    assert page.inner_text("#jsna-x-table caption") != caption and page.locator("#jsna-x-table tbody tr").count() >= 1
    before = page.get_attribute("#jsna-explorer", "data-drawn")
    page.keyboard.press("ArrowUp")  # and back
    redrawn(page, before)
    assert address(page)["indicator"] == first["indicator"] and page.inner_text("#jsna-x-table caption") == caption
    # Tab reaches the kind of place next; choosing townships with the keyboard hides the map (no township shapes)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "jsna-x-kind"
    kinds = page.eval_on_selector_all("#jsna-x-kind option", "options => options.map(o => o.value)")
    if "township" in kinds:
        while page.eval_on_selector("#jsna-x-kind", "e => e.value") != "township":
            before = page.get_attribute("#jsna-explorer", "data-drawn")
            page.keyboard.press("ArrowDown" if kinds.index("township") > kinds.index(page.eval_on_selector("#jsna-x-kind", "e => e.value")) else "ArrowUp")
            redrawn(page, before)
        assert address(page)["kind"] == "township" and page.is_hidden("#jsna-x-map-section")
        assert page.locator("#jsna-x-table tbody tr").count() == 5 and "townships" in page.inner_text("#jsna-x-status")
    # The place for the trend, from the keyboard
    page.focus("#jsna-x-place")
    before, place = page.get_attribute("#jsna-explorer", "data-drawn"), address(page)["place"]
    page.keyboard.press("ArrowDown")
    redrawn(page, before)
    assert address(page)["place"] != place
    assert page.eval_on_selector("#jsna-x-place", "e => e.selectedOptions[0].textContent") in page.inner_text("#jsna-x-trend-table caption")
    assert not problems, problems
    assert all(url.startswith((server, "data:")) for url in requests)
    page.close()


@smoke
@pytest.mark.browser
def test_an_address_restores_its_view_and_withheld_values_are_not_drawn(site: Path, server: str, browser, explore: Path, store: Store) -> None:
    rows = store.indicators
    withheld = rows.loc[rows["note"].str.startswith("[c]") & (rows["area_type"] == "ward")]
    assert len(withheld), "the demonstration store withholds no ward figure"
    view = withheld.groupby(["indicator_id", "period", "sex"]).size().idxmax()
    shown = rows.loc[(rows["indicator_id"] == view[0]) & (rows["period"] == view[1]) & (rows["sex"] == view[2]) & (rows["area_type"] == "ward")]
    place = str(shown.loc[shown["note"].str.startswith("[c]"), "area_code"].iloc[0])
    wanted = {"indicator": view[0], "kind": "ward", "period": view[1], "sex": view[2], "place": place}
    page, requests, problems = open_explorer(browser, server, "#" + urlencode(wanted))
    for control, value in wanted.items():
        assert page.eval_on_selector(f"#jsna-x-{control}", "e => e.value") == value, control
    assert address(page) == wanted
    cells = page.eval_on_selector_all("#jsna-x-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
    held = int(shown["note"].str.startswith("[c]").sum())
    assert len(cells) == len(shown) and sum(row[1] == "[c]" for row in cells) == held
    assert "[c] confidential" in page.inner_text("#jsna-x-notes") and f"{held} withheld" in page.inner_text("#jsna-x-status")
    # The withheld wards have no bar and no interval; the map marks them [c]
    bars = page.eval_on_selector_all("#jsna-x-bars svg g.mark-rect path", "paths => paths.length")
    assert bars == int(shown["value"].notna().sum())
    assert page.locator("#jsna-x-map svg text", has_text="[c]").count() == held
    # The chosen ward's trend: its name heads the trend table
    assert store.name(place) in page.inner_text("#jsna-x-trend-table caption")
    assert not problems, problems
    page.close()
    # An unknown part of an address falls back to the default, without an error
    page, requests, problems = open_explorer(browser, server, "#indicator=no_such_thing&kind=moon&period=1066&sex=Both")
    assert address(page)["indicator"] == json.loads((explore / "index.json").read_text())["first"] and address(page)["sex"] != "Both"
    assert not problems, problems
    assert all(url.startswith((server, "data:")) for url in requests)
    page.close()


@smoke
@pytest.mark.browser
def test_the_explorer_has_no_wcag_a_or_aa_violations(site: Path, server: str, browser) -> None:
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `make test`, which installs the npm packages")
    page, _, _ = open_explorer(browser, server)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}});
            return result.violations.map(v => `${v.id} (${v.impact}, ${v.nodes.length}): ${v.help}; first: ${v.nodes[0].html.slice(0, 160)}`);
        }"""
    )
    page.close()
    assert not violations, "\n".join(violations)
