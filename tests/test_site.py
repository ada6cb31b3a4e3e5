"""Smoke build of the real pipeline for the borough and one township, then real-browser checks.

The build runs exactly as `make book` does (validation, store, papermill, Jupyter Book), on the
committed demonstration data, into a temporary folder. The browser tests open the pages in
headless Debian chromium (installed by `make test`) through Playwright and check that every
chart has rendered and that no request leaves the machine.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from jsna.store import TABLES
from tests.conftest import (
    ROOT,
    chart_name,
    first_township,
    smoke_jobs,
    township_folder,
    wait_for_charts,
)

pytestmark = pytest.mark.smoke
def test_site_has_start_page_place_pages_and_chapters(site: Path) -> None:
    html = site / "html"
    index = (html / "index.html").read_text()
    assert "Joint Strategic Needs Assessment" in index
    assert "synthetic" in index.lower()
    township = first_township()
    folder = township_folder()
    pages = ["borough/dudley/index.html", "borough/dudley/population.html", f"{folder}/population.html", f"{folder}/profile.html",
             "borough/dudley/live_well.html", "about/definitions.html"]
    for page in pages:
        assert (html / page).exists(), page
    page = (html / f"{folder}/population.html").read_text()
    assert f"Population: {township.name}" in page
    assert page.count('class="jsna-chart"') == 4  # pyramid, age trend, deprivation deciles and their map
    assert page.count("<details") >= 3 and "Download the data (CSV)" in page
    assert "synthetic demonstration data" in page  # the banner is on every page


def test_inequalities_chapter_for_the_borough_and_the_township(site: Path) -> None:
    """The borough's chapter in full (deciles, the SII over time, the scarf charts); the
    township's short version (its quintiles and wards, no decomposition)."""
    borough = (site / "html" / "borough" / "dudley" / "inequalities.html").read_text()
    for words in ("Inequalities: Dudley", "The slope index of inequality in life expectancy at birth for men in Dudley was",
                  "Inequality in life expectancy across the local deprivation deciles of Dudley", "Which causes make up the gap",
                  "Which ages make up the gap", "Key indicators by local deprivation quintile, Dudley", "Marmot policy objective",
                  "Priorities for Dudley", "primary care networks"):
        assert words in borough, words
    assert borough.count('class="jsna-chart"') >= 20
    township = first_township()
    page = (site / "html" / township_folder() / "inequalities.html").read_text()
    assert f"Inequalities: {township.name}" in page and "Local deprivation quintile" in page
    assert "Which causes make up the gap" not in page and "Inequality in life expectancy across the local deprivation deciles" not in page
    assert "in each ward of " in page


def test_no_page_references_anything_outside_the_site(site: Path) -> None:
    pattern = re.compile(r'(?:src|href)="(https?:)?//[^"]+\.(?:js|css|woff2?|ttf)', re.IGNORECASE)
    for page in (site / "html").rglob("*.html"):
        assert not pattern.search(page.read_text()), f"{page} loads a third-party file"
    assert (site / "html" / "_static" / "vendor" / "vega-lite.min.js").exists()


def test_every_chart_on_the_site_is_valid_vega_lite(site: Path) -> None:
    """The build writes chart specifications without validating them (for speed): every one the
    smoke build published must hold to the Vega-Lite schema."""
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema import load_schema

    from jsna.book.pagediff import read_page, site_pages

    schema, checked = load_schema(), 0
    for name, path in site_pages(site / "html").items():
        for chart, spec in read_page(path).charts.items():
            validate_jsonschema(spec, schema)  # raises, naming the fault, if a chart is invalid
            checked += 1
    assert checked > 100


def test_downloads_hold_the_store(site: Path) -> None:
    published = pd.read_csv(site / "html" / "downloads" / "indicators.csv", low_memory=False)
    store = pd.read_parquet(site / "store" / "indicators.parquet")
    assert len(published) == len(store) > 0
    assert {"indicator_id", "area_code", "value", "lower_95_0", "upper_99_8", "compared_to_england"} <= set(published.columns)
    for name, file in ((name, t.download) for name, t in TABLES.items() if t.download):
        downloaded = pd.read_csv(site / "html" / "downloads" / file, low_memory=False)
        assert len(downloaded) == len(pd.read_parquet(site / "store" / f"{name}.parquet")) > 0, file
    definitions = (site / "html" / "about" / "definitions.html").read_text()
    assert "Marmot objective" in definitions and "Give every child the best start in life" in definitions


def test_rebuild_without_changes_executes_nothing(site: Path) -> None:
    township = first_township().code
    command = [sys.executable, "-m", "jsna", "build", "--out", str(site), "--no-progress", "--places", "E08000027", township]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert f"(0 executed, {smoke_jobs()} reused)" in result.stdout


# --------------------------------------------------------------------------------------------
# In a real browser
# --------------------------------------------------------------------------------------------
@pytest.mark.browser
def test_charts_render_in_chromium(site: Path, server: str, browser) -> None:
    page = browser.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{server}/borough/dudley/population.html", wait_until="networkidle")
    page.wait_for_selector(".jsna-chart svg", timeout=20_000)
    charts = page.locator(".jsna-chart")
    assert charts.count() == 4
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.locator("svg").count() == 1, f"chart {i} did not render"
        marks = chart.locator("svg path, svg rect, svg line").count()
        assert marks > 10, f"chart {i} has only {marks} marks"
        assert len(chart_name(chart)) > 40, f"chart {i} has no name"
    assert not errors, errors
    outside = [url for url in requests if not url.startswith(server) and not url.startswith("data:")]
    assert not outside, f"requests left the site: {outside}"
    page.close()


@pytest.mark.browser
def test_start_page_navigates_to_township_chapter(site: Path, server: str, browser) -> None:
    township = first_township()
    page = browser.new_page()
    page.goto(f"{server}/index.html", wait_until="networkidle")
    assert "demonstration" in page.locator("body").inner_text().lower()
    page.locator("nav.bd-links a", has_text=township.name).first.click()
    page.wait_for_load_state("networkidle")
    page.locator("article a", has_text="Population").first.click()
    page.wait_for_selector(".jsna-chart svg", timeout=20_000)
    assert township.name in page.locator("h1").first.inner_text()
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize(("path", "least"), [("borough/dudley/live_well.html", 10), ("borough/dudley/inequalities.html", 20), ("township", 4)])
def test_every_chart_renders(site: Path, server: str, browser, path: str, least: int) -> None:
    if path == "township":
        path = f"{township_folder()}/inequalities.html"
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server}/{path}", wait_until="load")
    charts = page.locator(".jsna-chart")
    expected = charts.count()
    assert expected >= least, f"only {expected} charts on {path}"
    assert wait_for_charts(page, expected) == expected
    assert not errors, errors
    page.close()


def test_no_rate_or_limit_in_the_download_gives_back_more_than_the_published_count(site: Path) -> None:
    """What an adversary tries first, on the published CSV: a crude rate times its denominator,
    and the ratio of a DSR's limits (Dobson on Byar's limits of the count), for every counted
    row of an indicator under the disclosure rule. Both give back the published (rounded)
    count, never a different one; withheld rows publish nothing to try."""
    from jsna.stats.rates import byars_limits

    published = pd.read_csv(site / "html" / "downloads" / "indicators.csv", low_memory=False)
    catalogue = pd.read_csv(site / "html" / "downloads" / "indicator-definitions.csv", keep_default_na=False)
    covered = catalogue.loc[catalogue["disclosure"] != ""].set_index("indicator_id")
    rows = published.loc[published["indicator_id"].isin(covered.index) & (published["area_type"] != "borough")]
    withheld = rows["note"].fillna("").str.startswith("[c]")
    assert withheld.any() and rows.loc[withheld, ["count", "value", "lower_95_0", "upper_95_0"]].isna().all().all()
    shown = rows.loc[~withheld & (rows["count"] > 0)]
    assert (shown["count"] % 5 == 0).all()
    multiplier = {"per 100,000": 1e5, "per 10,000": 1e4, "per 1,000": 1e3}
    crude = shown.loc[shown["indicator_id"].map(covered["method"]) == "crude_rate"]
    scale = crude["unit"].map(lambda u: next(v for k, v in multiplier.items() if u.startswith(k)))
    implied = crude["value"] * crude["denominator"] / scale
    assert len(crude) > 0 and (abs(implied - crude["count"]) <= 0.05 * crude["denominator"] / scale + 1e-9).all()
    dsr = shown.loc[(shown["indicator_id"].map(covered["method"]) == "dsr") & shown["value"].notna()]
    above, below = dsr["upper_95_0"] - dsr["value"], dsr["value"] - dsr["lower_95_0"]
    lower, upper = byars_limits(dsr["count"].to_numpy(float), 0.95)
    expected = (upper - dsr["count"]) / (dsr["count"] - lower)
    # The value and limits are given to one decimal place: the ratio is known to within that.
    assert len(dsr) > 0 and ((above - 0.1) / (below + 0.1) <= expected + 1e-9).all() and (expected <= (above + 0.1) / (below - 0.1) + 1e-9).all()
