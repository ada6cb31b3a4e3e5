"""What two built sites say differently, page by page: the review's "Pages" section.

A page is read as its reader sees it: the article only (not the navigation, which changes on every
page when one page is added), as a sequence of text blocks (headings, paragraphs, list items), the
tables outside charts (caption and rows of cell text) and the charts (their Vega-Lite
specifications, named by title). Pages whose files are byte-identical are not read at all.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from jsna.pages.charts import embedded_records, embedded_specs

#: Folders and pages of the site that are not pages a reader reads (assets, Sphinx's own pages).
NOT_PAGES = ("_static/", "_sources/", "_images/", "downloads/", "genindex.html", "search.html", "py-modindex.html")
#: Text blocks: what a reader reads as a sentence or a line.
BLOCKS = ("h1", "h2", "h3", "h4", "p", "li", "dt", "dd")


@dataclass
class Page:
    """What one page says."""

    title: str
    blocks: list[str]
    #: Caption (or "Table N") -> rows of cell text, header first.
    tables: dict[str, list[list[str]]]
    #: Chart ("Section: chart", "Section: chart (2)"...) -> its Vega-Lite specification.
    charts: dict[str, dict]


@dataclass
class PageChange:
    """How one page differs: ``status`` is "added", "removed" or "changed"."""

    path: str
    title: str
    status: str
    #: (before, after) text blocks; one side is "" for a block added or removed.
    text: list[tuple[str, str]] = field(default_factory=list)
    #: (table, before row, after row); a side is [] for a row added or removed.
    rows: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    #: (chart, before spec or None, after spec or None); :func:`chart_title` gives its title.
    charts: list[tuple[str, dict | None, dict | None]] = field(default_factory=list)

    def numbers_changed(self) -> list[tuple[str, str]]:
        """Sentences and table rows that say the same thing with different numbers: (before, after).

        A sentence is paired with the one that replaced it; a table row with the row of the same
        table that has the same first cell."""
        found = [(a, b) for a, b in self.text if a and b and _numbers(a) != _numbers(b) and _words(a) == _words(b)]
        for table, a, b in self.rows:
            if a and b and a[0] == b[0] and _numbers(" ".join(a)) != _numbers(" ".join(b)):
                found.append((f"{table}: " + " · ".join(a), f"{table}: " + " · ".join(b)))
        return found

    @property
    def summary(self) -> str:
        if self.status != "changed":
            return f"page {self.status}"
        parts = []
        if self.text:
            parts.append(_count(len(self.text), "sentence or heading", "sentences or headings"))
        if self.rows:
            parts.append(_count(len(self.rows), "table row", "table rows"))
        added = sum(1 for _, old, new in self.charts if old is None)
        removed = sum(1 for _, old, new in self.charts if new is None)
        changed = len(self.charts) - added - removed
        for n, what in ((changed, "changed"), (added, "added"), (removed, "removed")):
            if n:
                parts.append(f"{_count(n, 'chart', 'charts')} {what}")
        return ", ".join(parts) or "layout only"


def site_pages(html: Path) -> dict[str, Path]:
    """Every reader's page of a built site, by its path in the site."""
    found = {}
    for path in sorted(html.rglob("*.html")):
        name = path.relative_to(html).as_posix()
        if not any(name.startswith(skip) or name == skip for skip in NOT_PAGES):
            found[name] = path
    return found


def read_page(path: Path) -> Page:
    """The article of one built page: its title, text blocks, tables and charts."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    article = soup.find("article") or soup.body or soup
    for link in article.select("a.headerlink"):
        link.decompose()
    charts = {}
    for script in article.find_all("script"):
        specs = embedded_specs(script.string or "")
        if specs:
            spec = specs[0]  # named by the section it is in, which a change of its data keeps
            heading = script.find_previous(["h1", "h2", "h3", "h4"])
            charts[_unique(f"{_text(heading) if heading else 'Chart'}: chart", charts)] = spec
        script.decompose()
    tables = {}
    for number, table in enumerate(article.find_all("table"), start=1):
        if table.find_parent("figure") is not None:  # a chart's data table: the chart says it
            continue
        caption, heading = table.find("caption"), table.find_previous(["h1", "h2", "h3", "h4"])
        name = _text(caption) if caption else f"{_text(heading)}: table" if heading else f"Table {number}"
        tables[_unique(name, tables)] = [[_text(cell) for cell in row.find_all(["th", "td"])] for row in table.find_all("tr")]
    for table in article.find_all(["table", "figure"]):
        table.decompose()
    blocks = [_text(tag) for tag in article.find_all(BLOCKS) if not tag.find(BLOCKS)]
    heading = article.find("h1")
    return Page(title=_text(heading) if heading else path.stem, blocks=[b for b in blocks if b], tables=tables, charts=charts)


def compare_sites(old: Path, new: Path) -> list[PageChange]:
    """Every page added, removed or saying something different, in site order."""
    before, after = site_pages(old), site_pages(new)
    changes = []
    for name in sorted(set(before) | set(after)):
        if name not in after:
            changes.append(PageChange(name, read_page(before[name]).title, "removed"))
        elif name not in before:
            changes.append(PageChange(name, read_page(after[name]).title, "added"))
        elif _sha(before[name]) != _sha(after[name]):
            change = compare_pages(name, read_page(before[name]), read_page(after[name]))
            if change is not None:
                changes.append(change)
    return changes


def compare_pages(name: str, old: Page, new: Page) -> PageChange | None:
    """How one page's text, tables and charts differ; None when a reader would see no difference."""
    change = PageChange(name, new.title, "changed")
    change.text = _paired(old.blocks, new.blocks)
    for table in dict.fromkeys([*old.tables, *new.tables]):
        a, b = old.tables.get(table, []), new.tables.get(table, [])
        change.rows += [(table, x, y) for x, y in _paired([_row_key(r) for r in a], [_row_key(r) for r in b], decode=True)]
    for chart in dict.fromkeys([*old.charts, *new.charts]):
        a, b = old.charts.get(chart), new.charts.get(chart)
        if _canonical(a) != _canonical(b):
            change.charts.append((chart, a, b))
    return change if (change.text or change.rows or change.charts) else None


def chart_title(spec: dict) -> str:
    """A chart's title as one line (its first line of title text), or its description."""
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return " ".join(str(title or spec.get("description") or "Untitled chart").split())


def chart_rows(spec: dict | None) -> list[str]:
    """The chart's data rows as text (every inline dataset), to count what changed."""
    if spec is None:
        return []
    rows = []
    for name, values in sorted(embedded_records(spec).items()):
        rows += [json.dumps(v, sort_keys=True) for v in values]
    return rows


def _paired(a: list, b: list, *, decode: bool = False) -> list[tuple]:
    """The blocks (or rows) that differ, paired before/after where one replaced the other."""
    out: list[tuple] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        old, new = a[i1:i2], b[j1:j2]
        for k in range(max(len(old), len(new))):
            x = old[k] if k < len(old) else None
            y = new[k] if k < len(new) else None
            if decode:
                out.append((json.loads(x) if x else [], json.loads(y) if y else []))
            else:
                out.append((x or "", y or ""))
    return out


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:[.,]\d+)*", text)


def _words(text: str) -> str:
    return re.sub(r"\d+(?:[.,]\d+)*", "#", text)


def _row_key(row: list[str]) -> str:
    return json.dumps(row, ensure_ascii=False)


def _canonical(spec: dict | None) -> str:
    return "" if spec is None else json.dumps(spec, sort_keys=True)


def _unique(name: str, taken: dict) -> str:
    if name not in taken:
        return name
    n = 2
    while f"{name} ({n})" in taken:
        n += 1
    return f"{name} ({n})"


def _text(tag) -> str:
    return " ".join(tag.get_text(" ").split())


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
