"""WCAG 2.2 AA checks with axe-core in chromium, on one page of every kind in the smoke build.

UK public-sector sites must meet WCAG 2.2 AA. axe-core (Deque's engine, vendored from the npm
registry by `make test`) finds the failures a machine can find: names, contrast, table headers,
landmarks, scrollable regions. It cannot judge everything (alt text that is present but poor,
reading order), so this is the floor, not the whole audit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, township_folder, wait_for_charts

pytestmark = [pytest.mark.smoke, pytest.mark.browser]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


PAGES = [
    "index.html", "about/how-to-read.html", "about/definitions.html", "about/accessibility.html", "borough/dudley/population.html",
    "borough/dudley/live_well.html", "borough/dudley/inequalities.html", "borough/dudley/services.html",
    "borough/dudley/exceptions.html", "TOWNSHIP/profile.html", "TOWNSHIP/inequalities.html",
]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_wcag_a_or_aa_violations(site: Path, server: str, browser, path: str) -> None:
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `make test`, which installs the npm packages")
    path = path.replace("TOWNSHIP", township_folder())
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/{path}", wait_until="load")
    wait_for_charts(page, page.locator(".jsna-chart").count())  # judge the page as a reader sees it: every chart drawn
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map(v => `${v.id} (${v.impact}, ${v.nodes.length}): ${v.help}; first: ${v.nodes[0].html.slice(0, 160)}`);
        }""",
        TAGS,
    )
    page.close()
    assert not violations, f"{path}:\n" + "\n".join(violations)


def test_the_theme_fixes_are_loaded_on_every_page(site: Path) -> None:
    """The three theme widgets axe flags are fixed by chapters/_static/jsna-a11y.js: it must be on every page."""
    pages = [p for p in (site / "html").rglob("*.html") if "_static" not in p.parts]
    missing = [p for p in pages if "_static/jsna-a11y.js" not in p.read_text() and "genindex" not in p.name and "search" not in p.name]
    assert pages and not missing, missing[:5]
