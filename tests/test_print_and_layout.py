"""The smoke build on paper, on a laptop and on a phone, in headless chromium.

- Printed (``page.pdf()``, as "Save as PDF" does), every page of a chapter and of a profile
  carries the release, the data vintage and the warning that the local figures are synthetic.
- At 1366 x 900 no table, figure or chart is wider than the article's column, and the verdict
  columns ("Compared with ...", "Recent trend") are on screen.
- At 390 x 844 no page scrolls sideways, the population pyramid shows both sexes, and a chart too
  wide to scale (the every-indicator grid) scrolls in its own focusable, named area.
- No request leaves the site, no Font Awesome file is loaded, and no page logs an error or a
  warning.
- Every page (not one of each kind, as tests/test_accessibility.py does) passes axe-core's WCAG
  2.2 A and AA rules, with its data tables open.

The PDF's text is read by :func:`pdf_page_texts`, a small reader of what Chromium writes, so that
the check needs no PDF library (it reads the same characters as pypdf, in the same order; only
its spacing differs, so the checks compare text without spaces).
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest

from tests.conftest import CHART_NAME, ROOT, township_folder, wait_for_charts

pytestmark = [pytest.mark.smoke, pytest.mark.browser]

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def site_pages(site: Path) -> list[str]:
    html = site / "html"
    return sorted(p.relative_to(html).as_posix() for p in html.rglob("*.html") if "_static" not in p.relative_to(html).parts)


def open_page(browser, server: str, path: str, viewport: dict) -> tuple:
    """The page, drawn (every chart), with what it requested and what it logged."""
    page = browser.new_page(viewport=viewport)
    requests: list[str] = []
    logged: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: logged.append(f"{message.type}: {message.text}") if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: logged.append(f"page error: {error}"))
    page.goto(f"{server}/{path}", wait_until="load")
    charts = page.locator(".jsna-chart").count()
    if charts:
        wait_for_charts(page, charts)
    page.wait_for_load_state("networkidle")
    return page, requests, logged


#: Every table, figure and chart of the article wider than the article's column (data tables
#: opened first); and every verdict cell of a table that is not wholly on screen.
MEASURE = """() => {
  const article = document.querySelector("article.bd-article");
  const style = getComputedStyle(article);
  const box = article.getBoundingClientRect();
  const left = box.left + parseFloat(style.paddingLeft), right = box.right - parseFloat(style.paddingRight);
  const name = el => `${el.tagName.toLowerCase()}.${String(el.className.baseVal ?? el.className).trim().replace(/\\s+/g, ".")}` +
    ` in #${(el.closest("section[id]") || {}).id}`;
  const wide = [];
  for (const el of article.querySelectorAll("table, figure, .vega-embed, svg")) {
    if (!el.checkVisibility()) continue;
    const r = el.getBoundingClientRect();
    if (r.width > right - left + 1) wide.push(`${name(el)}: ${Math.round(r.width)} px in a column of ${Math.round(right - left)} px`);
  }
  const hidden = [];
  for (const table of article.querySelectorAll("table")) {
    if (!table.tHead || !table.checkVisibility()) continue;
    const heads = [...table.tHead.rows[0].cells].map(c => c.textContent.trim());
    const columns = heads.map((h, i) => [h, i]).filter(([h]) => /^(Compared with|Recent trend)/.test(h));
    for (const row of table.tBodies.length ? [...table.tBodies].flatMap(b => [...b.rows]) : []) {
      if (row.cells.length !== heads.length) continue;
      for (const [head, i] of columns) {
        const r = row.cells[i].getBoundingClientRect();
        if (!row.cells[i].checkVisibility() || r.width < 1 || r.left < left - 1 || r.right > right + 1)
          hidden.push(`"${head}" of "${row.cells[0].textContent.trim().slice(0, 40)}" in ${name(table)}`);
      }
    }
  }
  const stacked = [...article.querySelectorAll("table.jsna-spine.jsna-stacked")].map(name);
  const chartName = """ + CHART_NAME + """;
  const unnamed = [...article.querySelectorAll(".jsna-chart")].filter(c => !chartName(c).trim() ||
    c.getAttribute("aria-label") === "Vega visualization").map(name);
  return {wide, hidden, stacked, unnamed};
}"""


@pytest.fixture(scope="module")
def laptop(site: Path, server: str, browser) -> dict[str, dict]:
    """Every page of the site at 1366 x 900, its data tables open: what is wider than the
    column, which verdicts are off screen, what axe-core finds, what it requested and logged."""
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `make test`, which installs the npm packages")
    seen = {}
    for path in site_pages(site):
        page, requests, logged = open_page(browser, server, path, LAPTOP)
        page.evaluate("document.querySelectorAll('article details').forEach(d => d.open = true)")
        page.wait_for_function("[...document.querySelectorAll('article details[data-csv]')].every(d => d.dataset.table === 'loaded')")
        page.wait_for_timeout(100)  # the data tables are made from their files and fitted when opened
        measured = page.evaluate(MEASURE) if page.locator("article.bd-article").count() else {"wide": [], "hidden": [], "stacked": [], "unnamed": []}
        page.add_script_tag(path=str(AXE))
        axe = page.evaluate(
            """async (tags) => (await axe.run(document, {runOnly: {type: "tag", values: tags}})).violations
                 .map(v => `${v.id} (${v.nodes.length}): ${v.help}; first: ${v.nodes[0].html.slice(0, 160)}`)""",
            AXE_TAGS,
        )
        seen[path] = {**measured, "axe": axe, "requests": requests, "logged": logged}
        page.close()
    return seen


def test_every_page_passes_axe_with_its_data_tables_open(laptop: dict[str, dict]) -> None:
    failing = {path: seen["axe"] for path, seen in laptop.items() if seen["axe"]}
    assert not failing, "\n".join(f"{p}: {v}" for p, v in failing.items())


def test_every_page_fits_a_laptop_column(laptop: dict[str, dict]) -> None:
    wide = {path: seen["wide"] for path, seen in laptop.items() if seen["wide"]}
    assert not wide, "wider than the article's column at 1366 px:\n" + "\n".join(f"{p}: {w[:3]}" for p, w in wide.items())


def test_verdict_columns_are_on_screen_on_a_laptop(laptop: dict[str, dict]) -> None:
    assert any("summary" in path or "profile" in path for path in laptop)
    hidden = {path: seen["hidden"] for path, seen in laptop.items() if seen["hidden"]}
    assert not hidden, "verdicts off screen at 1366 px:\n" + "\n".join(f"{p}: {h[:3]}" for p, h in hidden.items())


def test_summary_tables_keep_their_columns_on_a_laptop(laptop: dict[str, dict]) -> None:
    """At 1366 px a spine table (a chapter's summary, a profile's every indicator) fits as a
    table; only a table with more columns than the column can hold (the every-indicator grid's
    data) is shown as labelled blocks."""
    stacked = {path: seen["stacked"] for path, seen in laptop.items() if seen["stacked"]}
    assert not stacked, "stacked at 1366 px:\n" + "\n".join(f"{p}: {s[:3]}" for p, s in stacked.items())


def test_every_chart_is_named_by_its_alt_text(laptop: dict[str, dict]) -> None:
    """Vega names the element it draws in "Vega visualization" when the specification has no
    description; the chart's alt text must stay its name."""
    unnamed = {path: seen["unnamed"] for path, seen in laptop.items() if seen["unnamed"]}
    assert not unnamed, "\n".join(f"{p}: {u[:3]}" for p, u in unnamed.items())


def test_no_request_leaves_the_site_and_no_font_awesome(laptop: dict[str, dict], server: str) -> None:
    for path, seen in laptop.items():
        outside = [url for url in seen["requests"] if not url.startswith(server) and not url.startswith("data:")]
        assert not outside, f"{path}: requests left the site: {outside[:3]}"
        icons = [url for url in seen["requests"] if "fontawesome" in url.lower() or "/webfonts/" in url]
        assert not icons, f"{path}: loads Font Awesome: {icons}"


def test_no_page_logs_an_error_or_a_warning(laptop: dict[str, dict]) -> None:
    logged = {path: seen["logged"] for path, seen in laptop.items() if seen["logged"]}
    assert not logged, "\n".join(f"{p}: {m[:3]}" for p, m in logged.items())


def test_no_page_scrolls_sideways_on_a_phone(site: Path, server: str, browser) -> None:
    """At 390 px: no page wider than the screen; what does not fit scrolls in its own focusable,
    named area (the every-indicator grid), and tables too wide for the screen are stacked."""
    for path in site_pages(site):
        page, _, _ = open_page(browser, server, path, PHONE)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{path}: the page is {width[0]} px wide on a {width[1]} px screen"
        unnamed = page.evaluate("""() => [...document.querySelectorAll('article *')].filter(el =>
            el.scrollWidth > el.clientWidth + 1 && ['auto', 'scroll'].includes(getComputedStyle(el).overflowX) && el.checkVisibility()
            && !(el.tabIndex >= 0 && (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'))))
            .map(el => el.tagName + '.' + el.className)""")
        assert not unnamed, f"{path}: a scrolling area the keyboard cannot reach or that has no name: {unnamed[:3]}"
        page.close()


def test_the_start_page_ward_map_shrinks_to_a_phone_column(browser) -> None:
    """The whole book's start page has a ward map drawn 370 px wide, as Vega draws it (width,
    height and viewBox); the smoke build has no ward pages and so no map. With the book's own
    stylesheet, at 390 px the map keeps its shape inside the column and the page does not scroll
    sideways (it did: 394 px)."""
    css = (ROOT / "chapters" / "_static" / "jsna.css").read_text(encoding="utf-8")
    page = browser.new_page(viewport=PHONE)
    page.set_content(f"<style>{css}</style><main style='padding: 0 16px'><figure class='jsna-find-map' style='margin: 0 8px'>"
                     "<div id='jsna-find-map'><svg width='370' height='334' viewBox='0 0 370 334'><path d='M0 0h370v334H0z'/></svg></div>"
                     "</figure></main>")  # fmt: skip
    width, inner, box = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth, "
                                      "(r => [r.x, r.width, r.height])(document.querySelector('#jsna-find-map svg').getBoundingClientRect())]")
    page.close()
    assert width <= inner
    assert box[0] + box[1] <= inner - 16 and box[2] == pytest.approx(box[1] * 334 / 370, abs=1)


def test_the_pyramid_shows_both_sexes_on_a_phone(site: Path, server: str, browser) -> None:
    page, _, _ = open_page(browser, server, f"{township_folder()}/population.html", PHONE)
    pyramid = page.locator("figure.jsna-figure", has_text="Population pyramid").locator(".jsna-chart").first
    chart, column = pyramid.locator("svg").bounding_box(), page.locator("article.bd-article").bounding_box()
    assert chart["x"] >= column["x"] - 1 and chart["x"] + chart["width"] <= column["x"] + column["width"] + 1, (chart, column)
    labels = pyramid.locator("svg text").all_text_contents()
    assert "Male" in labels and "Female" in labels  # the legend: both halves are drawn on screen
    stacked = page.evaluate("[...document.querySelectorAll('article table.jsna-data')].filter(t => t.checkVisibility()).map(t => [t.classList.contains('jsna-stacked'), t.getBoundingClientRect().width])")
    assert all(fits <= column["width"] + 1 for _, fits in stacked), stacked
    page.close()


@pytest.mark.parametrize("path", ["borough/dudley/live_well.html", "TOWNSHIP/profile.html"])
def test_every_printed_page_says_release_vintage_and_synthetic(site: Path, server: str, browser, path: str) -> None:
    path = path.replace("TOWNSHIP", township_folder())
    page, _, _ = open_page(browser, server, path, LAPTOP)
    pages = pdf_page_texts(page.pdf(format="A4"))
    page.close()
    assert len(pages) >= 2
    for number, text in enumerate(pages, 1):
        letters = "".join(text.split())  # Chromium places some glyphs one by one: compare without spaces
        for needed in ("Release", "synthetic", "Data:"):
            assert needed in letters, f"{path}, printed page {number} of {len(pages)} lacks {needed!r}: {letters[:200]}"


# --------------------------------------------------------------------------------------------
# The text of a PDF's pages, as Chromium (Skia) writes them: indirect objects, Flate-compressed
# streams, text in hex strings of glyph codes, and every font with a ToUnicode map.
# --------------------------------------------------------------------------------------------
def pdf_page_texts(pdf: bytes) -> list[str]:
    objects = _pdf_objects(pdf)
    root = _ref(_pdf_trailer(pdf), b"Root")
    pages: list[int] = []
    _collect_pages(objects, _ref(objects[root][0], b"Pages"), pages)
    return [_page_text(objects, number) for number in pages]


def _pdf_objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number -> (its dictionary or value, its decoded stream or None)."""
    objects = {}
    for match in re.finditer(rb"(?<![\d])(\d+) 0 obj\s*", pdf):
        start = match.end()
        end = pdf.find(b"endobj", start)
        at_stream = pdf.find(b"stream", start, end)
        if at_stream == -1:
            objects[int(match.group(1))] = (pdf[start:end], None)
            continue
        head = pdf[start:at_stream]
        length = re.search(rb"/Length (\d+)( 0 R)?", head)
        body_start = at_stream + len(b"stream") + (2 if pdf[at_stream + 6 : at_stream + 8] == b"\r\n" else 1)
        if length.group(2):  # an indirect length, written before or after
            value = re.search(rb"(?<![\d])" + length.group(1) + rb" 0 obj\s*(\d+)", pdf)
            size = int(value.group(1))
        else:
            size = int(length.group(1))
        data = pdf[body_start : body_start + size]
        objects[int(match.group(1))] = (head, zlib.decompress(data) if b"/FlateDecode" in head else data)
    return objects


def _pdf_trailer(pdf: bytes) -> bytes:
    return pdf[pdf.rfind(b"trailer") :]


def _ref(text: bytes, key: bytes) -> int | None:
    match = re.search(rb"/" + key + rb"\s+(\d+) 0 R", text)
    return int(match.group(1)) if match else None


def _collect_pages(objects, number: int, pages: list[int]) -> None:
    head = objects[number][0]
    if re.search(rb"/Type\s*/Pages\b", head):
        kids = re.search(rb"/Kids\s*\[([^\]]*)\]", head).group(1)
        for kid in re.findall(rb"(\d+) 0 R", kids):
            _collect_pages(objects, int(kid), pages)
    else:
        pages.append(number)


def _dict_entries(objects, text: bytes, key: bytes) -> dict[bytes, int]:
    """The name -> object entries of a sub-dictionary (``/Font << /F1 5 0 R >>``), inline or indirect."""
    match = re.search(rb"/" + key + rb"\s*(<<(.*?)>>|(\d+) 0 R)", text, re.DOTALL)
    if not match:
        return {}
    inner = match.group(2) if match.group(2) is not None else objects[int(match.group(3))][0]
    return {name: int(num) for name, num in re.findall(rb"/([^\s/<>\[\]()]+)\s+(\d+) 0 R", inner)}


def _resources(objects, head: bytes) -> bytes:
    match = re.search(rb"/Resources\s+(\d+) 0 R", head)
    return objects[int(match.group(1))][0] if match else head


def _to_unicode(objects, font: int) -> tuple[dict[bytes, str], int]:
    """A font's code -> text map, and its code length in bytes."""
    number = _ref(objects[font][0], b"ToUnicode")
    if number is None:
        return {}, 1
    cmap, width = {}, 1
    text = objects[number][1].decode("latin-1")
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.DOTALL):
        for source, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            cmap[bytes.fromhex(source)] = bytes.fromhex(target).decode("utf-16-be", "replace")
            width = len(source) // 2
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.DOTALL):
        for low, high, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])", block):
            width = len(low) // 2
            targets = re.findall(r"<([0-9A-Fa-f]+)>", target)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                key = code.to_bytes(width, "big")
                if target.startswith("["):
                    cmap[key] = bytes.fromhex(targets[offset]).decode("utf-16-be", "replace")
                else:
                    first = bytes.fromhex(targets[0])
                    cmap[key] = (int.from_bytes(first, "big") + offset).to_bytes(len(first), "big").decode("utf-16-be", "replace")
    return cmap, width


TOKENS = re.compile(rb"<([0-9A-Fa-f\s]*)>|\((?:\\.|[^\\)])*\)|/([^\s/<>\[\]()]+)|(-?\d*\.?\d+)|([A-Za-z*'\"]+)|(\[|\])", re.DOTALL)


def _page_text(objects, number: int) -> str:
    head = objects[number][0]
    contents = re.search(rb"/Contents\s*(\[[^\]]*\]|\d+ 0 R)", head).group(1)
    data = b"\n".join(objects[int(n)][1] for n in re.findall(rb"(\d+) 0 R", contents))
    return _content_text(objects, data, _resources(objects, head), set())


def _content_text(objects, data: bytes, resources: bytes, seen: set[int]) -> str:
    fonts = _dict_entries(objects, resources, b"Font")
    xobjects = _dict_entries(objects, resources, b"XObject")
    out: list[str] = []
    cmap, width, operands = {}, 1, []
    for token in TOKENS.finditer(data):
        hexes, name, number, operator, bracket = token.group(1), token.group(2), token.group(3), token.group(4), token.group(5)
        if hexes is not None:
            raw = bytes.fromhex(re.sub(rb"\s", b"", hexes).decode())
            operands.append("".join(cmap.get(raw[i : i + width], "") for i in range(0, len(raw), width)))
        elif token.group(0).startswith(b"("):
            raw = token.group(0)[1:-1]
            operands.append("".join(cmap.get(bytes([b]), chr(b)) for b in raw))
        elif name is not None:
            operands.append(name)
        elif number is not None:
            operands.append(float(number))
        elif bracket is not None:
            continue
        elif operator is not None:
            op = operator.decode()
            if op == "Tf" and len(operands) >= 2 and isinstance(operands[-2], bytes) and operands[-2] in fonts:
                cmap, width = _to_unicode(objects, fonts[operands[-2]])
            elif op in ("Tj", "'", '"'):
                out.append("".join(o for o in operands if isinstance(o, str)))
            elif op == "TJ":
                out.append("".join(o if isinstance(o, str) else (" " if o < -200 else "") for o in operands if not isinstance(o, bytes)))
            elif op in ("T*", "ET"):
                out.append(" ")
            elif op == "Do" and operands and isinstance(operands[-1], bytes) and operands[-1] in xobjects:
                form = xobjects[operands[-1]]
                if form not in seen and b"/Form" in objects[form][0] and objects[form][1] is not None:
                    out.append(_content_text(objects, objects[form][1], _resources(objects, objects[form][0]) or resources, seen | {form}))
            operands = []
    return "".join(out)


def test_the_sidebar_buttons_a_reader_sees_open_and_hide_the_navigation(site: Path, server: str, browser) -> None:
    """The themes bind only their first, hidden, sidebar button: on a phone the visible one must
    open the navigation (a dialog), on a laptop hide and show the sidebar."""
    page, _, _ = open_page(browser, server, f"{township_folder()}/live_well.html", PHONE)
    page.locator(".primary-toggle:visible").first.click()
    page.wait_for_function("document.getElementById('pst-primary-sidebar-modal').open")
    assert page.locator("#pst-primary-sidebar-modal a", has_text="Live well").count() >= 1
    page.keyboard.press("Escape")
    page.wait_for_function("!document.getElementById('pst-primary-sidebar-modal').open")
    page.locator(".secondary-toggle:visible").first.click()
    page.wait_for_function("document.getElementById('pst-secondary-sidebar-modal').open")
    page.close()
    page, _, _ = open_page(browser, server, f"{township_folder()}/live_well.html", LAPTOP)
    page.locator(".primary-toggle:visible").first.click()
    page.wait_for_function("document.getElementById('pst-primary-sidebar').classList.contains('pst-sidebar-hidden')")
    page.locator(".primary-toggle:visible").first.click()
    page.wait_for_function("!document.getElementById('pst-primary-sidebar').classList.contains('pst-sidebar-hidden')")
    page.close()
