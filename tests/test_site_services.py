"""The services and performance pages in the smoke build (borough and first township, built once
per session by tests/conftest.py), read as files and in headless chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import chart_name, township_folder, wait_for_charts

pytestmark = pytest.mark.smoke

SERVICES = "borough/dudley/services.html"
EXCEPTIONS = "borough/dudley/exceptions.html"
EIGHT = ["PI 2133", "PI 2132", "PI 501", "PI 2134", "PI 1441", "PI 2257", "PI 2074", "PI 2260"]


def words(page: str) -> str:
    """A page's text: tags removed, entities of spaces resolved, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page.replace("&nbsp;", " ").replace("&#160;", " ")).split())


def test_the_borough_has_the_services_and_exception_pages(site: Path) -> None:
    html = site / "html"
    services = (html / SERVICES).read_text()
    text = words(services)
    assert "Services and performance: Dudley" in text
    for kpi_id in EIGHT:
        assert kpi_id in text, kpi_id
    row = re.search(r'<th scope="row"><a [^>]*>PI 2257</a></th>(.*?)</tr>', services, re.DOTALL)
    assert row, "PI 2257 has no scorecard row"
    assert "▼ Below target" in words(row.group(1)) and "↓ Worsening" in words(row.group(1))
    assert 'href="exceptions.html#pi-2257"' in row.group(1)
    assert services.count('class="jsna-chart"') == 8  # a control chart for every KPI
    assert "Download the data (CSV)" in services
    assert "synthetic demonstration data" in services  # the banner
    exceptions = words((html / EXCEPTIONS).read_text())
    assert "Exception report: Dudley" in exceptions
    assert "Performance: what is the data telling us?" in exceptions and "Scams Team" in exceptions and "call blockers" in exceptions
    assert "below target, after being in tolerance in 2022-23 Q1" in exceptions
    assert 'id="pi-2257"' in (html / EXCEPTIONS).read_text()
    # Borough only: the township built beside it has neither page.
    assert not (html / township_folder() / "services.html").exists()
    assert "Services and performance" in (html / "borough" / "dudley" / "index.html").read_text()


@pytest.mark.browser
@pytest.mark.parametrize(("path", "expected"), [(SERVICES, 8), (EXCEPTIONS, 1)])
def test_every_chart_renders_as_svg_with_no_errors(site: Path, server: str, browser, path: str, expected: int) -> None:
    page = browser.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{server}/{path}", wait_until="load")
    charts = page.locator(".jsna-chart")
    assert charts.count() == expected
    wait_for_charts(page, expected)
    for i in range(expected):
        chart = charts.nth(i)
        assert chart.locator("svg").count() == 1, f"chart {i} did not render"
        assert chart.locator("svg path").count() > 20, f"chart {i} has too few marks"
        assert chart_name(chart).startswith("XmR control chart of PI ")
    assert not errors, errors
    outside = [url for url in requests if not url.startswith(server) and not url.startswith("data:")]
    assert not outside, f"requests left the site: {outside}"
    page.close()


@pytest.mark.browser
def test_the_scorecard_links_pi_2257_to_its_exception_report(site: Path, server: str, browser) -> None:
    page = browser.new_page()
    page.goto(f"{server}/{SERVICES}", wait_until="load")
    row = page.locator(".jsna-scorecard tr", has=page.locator('th[scope="row"]', has_text="PI 2257"))
    assert "Below target" in row.inner_text()
    row.locator("a", has_text="Exception report").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("exceptions.html#pi-2257")
    heading = page.locator("#pi-2257")
    assert heading.is_visible() and "Value of savings made by prevention" in heading.inner_text()
    body = page.locator("article").inner_text()
    assert "What is the data telling us?".lower() in body.lower() and "Scams Team" in body
    page.close()
