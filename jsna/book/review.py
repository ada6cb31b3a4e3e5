"""Review of a change: what a pull request does to the published book.

``python -m jsna review --base REF`` builds the book twice, at the git reference ``REF`` (checked
out in a separate worktree, ``<out>/base-source``) and at the working tree, each with its own
code, and writes a report (``<out>/review.md`` for a pull-request comment, ``review.html`` for a
browser, ``changes.csv`` with every figure that changed):

1. the result of the checks, and why it failed if it did;
2. the consequences for readers: figures (the editions' comparison, :func:`compare_stores`),
   then pages (:func:`jsna.book.pagediff.compare_sites`), with before and after images of a few
   changed charts;
3. the source change that caused them (:func:`jsna.book.sourcediff.source_changes`).

Both builds keep their folders (``<out>/base``, ``<out>/head``), so a second review reuses the
stores and notebooks whose inputs did not change; the working tree's build starts from a copy of
the base's, so a change to one indicator re-executes only the pages that read it.

The checks (the exit status): the working tree's build fails (an input, a notebook, Sphinx, the
downloads) or its disclosure audit fails; or a published figure changed although only words
changed (templates, documentation, view code, the words of catalogue entries).
"""

from __future__ import annotations

import html
import math
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from jsna.book.changes import KINDS, Changes, _many, compare_stores
from jsna.book.pagediff import PageChange, chart_rows, chart_title, compare_sites
from jsna.book.sourcediff import GROUPS, FileChange, GitError, git, source_changes
from jsna.errors import BuildError
from jsna.pages.charts import THEME_CONFIG

#: Kinds of figure change that words-only changes must not cause (all but definitions).
FIGURE_KINDS = [kind for kind in KINDS if kind != "indicator_redefined"]
#: How many rows each list shows in the Markdown report (GitHub comments hold 65,536 characters);
#: the HTML report and changes.csv have every row.
SHOWN_MD = 25
#: How many changed charts are drawn before and after.
DRAWN = 6


@dataclass
class Built:
    """One side's build: where, whether it succeeded, and its figures."""

    name: str
    ref: str
    out: Path
    ok: bool
    seconds: float
    message: str = ""
    executed: int | None = None
    reused: int | None = None

    @property
    def store(self) -> Path:
        return self.out / "store"

    @property
    def html(self) -> Path:
        return self.out / "html"


@dataclass
class Review:
    base: Built
    head: Built
    source: list[FileChange]
    changes: Changes | None = None
    pages: list[PageChange] = field(default_factory=list)
    #: Why the review fails (empty: it passes).
    failures: list[str] = field(default_factory=list)
    #: What the reviewer should know that is not a failure.
    warnings: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def review(root: Path, ref: str, out: Path, *, places: tuple[str, ...] = (), workers: int | None = None, log=print) -> Review:
    """Build ``ref`` and the working tree of the checkout ``root``; compare; check; return the review."""
    try:
        sha = git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except GitError:
        raise BuildError(f"--base {ref}: not a commit, branch or tag of the repository at {root}") from None
    out.mkdir(parents=True, exist_ok=True)
    tree = checkout(root, sha, out / "base-source")
    extra = [*(["--places", *places] if places else []), *(["--workers", str(workers)] if workers else [])]
    log(f"Building the base, {ref} ({sha[:10]}), in {out / 'base'} ...")
    base = run_build("base", f"{ref} ({sha[:10]})", tree, out / "base", extra)
    log(f"  {_outcome(base)}")
    head_out = out / "head"
    if base.ok and not (head_out / "store").exists():  # start from the base: unchanged pages are reused
        shutil.rmtree(head_out, ignore_errors=True)
        shutil.copytree(base.out, head_out, symlinks=True, ignore=shutil.ignore_patterns(".staging", ".previous", "failed"))
    log(f"Building the working tree in {head_out} ...")
    head = run_build("head", "the working tree", root, head_out, extra)
    log(f"  {_outcome(head)}")
    result = Review(base=base, head=head, source=source_changes(root, sha))
    if not head.ok:
        kind = "disclosure audit" if "disclosure" in head.message else "build"
        result.failures.append(f"The {kind} of the working tree fails: {head.message}")
    if not base.ok:
        result.warnings.append(f"The base {base.ref} does not build, so figures and pages cannot be compared: {base.message}")
    if base.ok and head.ok:
        result.changes = compare_stores(base.store, head.store)
        result.pages = compare_sites(base.html, head.html)
        moved = _figures_moved(result.changes, result.pages)
        if moved and not any(change.figures for change in result.source):
            result.failures.append(
                f"Only words changed (templates, documentation, view code or the words of catalogue entries), "
                f"yet {moved}. Such a change should not move any figure."
            )  # fmt: skip
    return result


def checkout(root: Path, sha: str, folder: Path) -> Path:
    """A worktree of ``root`` at commit ``sha`` in ``folder`` (replacing any there), sharing the
    checkout's vendored browser libraries."""
    if folder.exists():
        git(root, "worktree", "remove", "--force", str(folder), check=False)
        shutil.rmtree(folder, ignore_errors=True)
    git(root, "worktree", "prune")
    git(root, "worktree", "add", "--detach", "--force", str(folder), sha)
    modules = root / "node_modules"
    if modules.is_dir() and not (folder / "node_modules").exists():
        (folder / "node_modules").symlink_to(modules.resolve(), target_is_directory=True)
    return folder


def run_build(name: str, ref: str, tree: Path, out: Path, extra: list[str]) -> Built:
    """``python -m jsna build`` of the checkout ``tree`` with its own code, into ``out``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, "-m", "jsna", "build", "--out", str(out), "--no-progress", *extra]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    seconds = round(time.perf_counter() - started, 1)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        start = next((i for i, line in enumerate(lines) if line.startswith("error:")), max(0, len(lines) - 5))
        message = "\n".join(lines[start:]).removeprefix("error: ")
        message = message.split("\nThe previous book")[0]
        return Built(name, ref, out, False, seconds, message or f"exit status {result.returncode}")
    found = re.search(r"(\d+) executed, (\d+) reused", result.stdout)
    return Built(name, ref, out, True, seconds, result.stdout.strip(), *(map(int, found.groups()) if found else (None, None)))


def _outcome(built: Built) -> str:
    if not built.ok:
        return f"failed after {built.seconds} s: {built.message.splitlines()[0] if built.message else ''}"
    notebooks = f" ({built.executed} notebooks executed, {built.reused} reused)" if built.executed is not None else ""
    return f"built in {built.seconds} s{notebooks}"


def _figures_moved(changes: Changes, pages: list[PageChange]) -> str:
    """Words for the figures that moved ("" when none), in the store or on a page (a sentence or
    table row saying the same with other numbers): what a words-only change must not do."""
    counts = {kind: n for kind, n in changes.counts.items() if kind in FIGURE_KINDS and n}
    tables = changes.tables.loc[(changes.tables[["added", "removed", "changed"]].sum(axis=1) > 0) & (changes.tables["table"] != "catalogue")]
    parts = [f"{n} {KINDS[kind][0 if n == 1 else 1]}" for kind, n in counts.items()]
    if not parts and len(tables):
        parts = [f"the store table{'s' if len(tables) > 1 else ''} {', '.join(tables['table'])} changed"]
    shown = [(page, pair) for page in pages for pair in page.numbers_changed()]
    if shown:
        page, (before, after) = shown[0]
        parts.append(f"{_many(len(shown), 'sentence or table row')} on the pages now give{'s' if len(shown) == 1 else ''} "
                     f"other numbers (first: {page.path}, {before!r} became {after!r})")  # fmt: skip
    return "; ".join(parts)


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------
def consequences(result: Review) -> list[str]:
    """The consequences for readers, in plain words, most important first."""
    c = result.changes
    if c is None:
        return []
    out = []
    values = c.details.loc[c.details["kind"].isin(["value_revised", "value_published", "value_withdrawn", "period_added", "period_removed"])]
    if len(values):
        out.append(f"{_many(values['indicator_id'].nunique(), 'indicator')} and {_many(values['area_code'].nunique(), 'place')} "
                   f"change value ({_many(len(values), 'figure')}).")  # fmt: skip
    else:
        out.append("No published value changes.")
    out += [line for line in c.summary() if line != "No published figure changed."]
    pages = {status: [p for p in result.pages if p.status == status] for status in ("added", "removed", "changed")}
    words = [f"{len(v)} {k}" for k, v in pages.items() if v]
    out.append(f"Pages: {', '.join(words)}." if words else "No page says anything different.")
    charts = sum(len(p.charts) for p in result.pages)
    if charts:
        out.append(f"{_many(charts, 'chart')} on {_many(sum(1 for p in result.pages if p.charts), 'page')} changed, were added or were removed.")
    return out


def write_report(result: Review, out: Path) -> tuple[Path, Path]:
    """``review.md``, ``review.html`` (with chart images in ``images/``) and ``changes.csv`` in ``out``."""
    images = out / "images"
    shutil.rmtree(images, ignore_errors=True)
    drawn = draw_charts(result.pages, images)
    if result.changes is not None:
        (out / "changes.csv").write_text(result.changes.to_csv(), encoding="utf-8")
    markdown, page = out / "review.md", out / "review.html"
    markdown.write_text(render(result, Markdown(SHOWN_MD), drawn), encoding="utf-8")
    page.write_text(render(result, Html(), drawn), encoding="utf-8")
    return markdown, page


def draw_charts(pages: list[PageChange], folder: Path, limit: int = DRAWN) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """Before and after images (SVG, drawn with vl-convert) of the first ``limit`` changed charts."""
    import vl_convert

    drawn: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    for page in pages:
        for chart, old, new in page.charts:
            if len(drawn) >= limit:
                return drawn
            folder.mkdir(parents=True, exist_ok=True)
            names = []
            for side, spec in (("before", old), ("after", new)):
                if spec is None:
                    names.append(None)
                    continue
                name = f"chart-{len(drawn) + 1}-{side}.svg"
                try:
                    (folder / name).write_text(vl_convert.vegalite_to_svg(spec, config=THEME_CONFIG), encoding="utf-8")
                except Exception:  # a chart vl-convert cannot draw is listed, not drawn  # noqa: BLE001
                    name = None
                names.append(name)
            drawn[(page.path, chart)] = (names[0], names[1])
    return drawn


class Markdown:
    """How the report is written for a pull-request comment (GitHub-flavoured Markdown)."""

    def __init__(self, shown: int | None):
        self.shown = shown

    def heading(self, level: int, text: str) -> str:
        return f"{'#' * level} {self.text(text)}\n"

    def text(self, text: str) -> str:
        return re.sub(r"([\\`*_{}\[\]<>|#])", r"\\\1", str(text))

    def para(self, text: str) -> str:
        return self.text(text) + "\n"

    def bullets(self, items: list[str | tuple[str, int]]) -> str:
        """A list; an item ``(text, 1)`` is nested under the item before it."""
        return "".join(f"{'  ' * level}- {self.text(text)}\n" for text, level in map(_level, items))

    def table(self, head: list[str], rows: list[list[str]], total: int | None = None) -> str:
        if not rows:
            return ""
        lines = ["| " + " | ".join(self.text(h) for h in head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(self.text(c).replace("\n", " ") for c in row) + " |" for row in rows]
        more = (total or len(rows)) - len(rows)
        return "\n".join(lines) + "\n" + (f"\n…and {more} more (every row is in review.html and changes.csv).\n" if more > 0 else "")

    def details(self, summary: str, body: str) -> str:
        return f"<details><summary>{html.escape(summary)}</summary>\n\n{body}\n</details>\n"

    def image(self, name: str | None, alt: str) -> str:
        return ""  # a comment cannot hold local images: they are in the HTML report

    def page(self, title: str, body: str) -> str:
        return body


class Html(Markdown):
    """How the report is written for a browser (one self-contained page and its images)."""

    def __init__(self):
        super().__init__(None)

    def heading(self, level: int, text: str) -> str:
        return f"<h{level}>{html.escape(text)}</h{level}>\n"

    def text(self, text: str) -> str:
        return html.escape(str(text))

    def para(self, text: str) -> str:
        return f"<p>{self.text(text)}</p>\n"

    def bullets(self, items: list[str | tuple[str, int]]) -> str:
        tags = ("<li>", '<li class="detail">')
        out = [f"{tags[min(level, 1)]}{self.text(text)}</li>\n" for text, level in map(_level, items)]
        return "<ul>\n" + "".join(out) + "</ul>\n" if items else ""

    def table(self, head: list[str], rows: list[list[str]], total: int | None = None) -> str:
        if not rows:
            return ""
        cells = "".join(f"<th scope=\"col\">{self.text(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(f"<td>{self.text(c)}</td>" for c in row) + "</tr>\n" for row in rows)
        return f"<table><thead><tr>{cells}</tr></thead><tbody>\n{body}</tbody></table>\n"

    def details(self, summary: str, body: str) -> str:
        return f"<details><summary>{html.escape(summary)}</summary>\n{body}</details>\n"

    def image(self, name: str | None, alt: str) -> str:
        return f'<figure><img src="images/{html.escape(name)}" alt="{html.escape(alt)}"><figcaption>{html.escape(alt)}</figcaption></figure>\n' if name else ""

    def page(self, title: str, body: str) -> str:
        style = ("body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#111}"
                 "table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #bbb;padding:.2rem .45rem;text-align:left;"
                 "vertical-align:top}th{background:#eee}.fail{background:#fde2e1;border-left:6px solid #b3261e;padding:.5rem 1rem}"
                 ".pass{background:#e3f4e1;border-left:6px solid #1e6b2a;padding:.5rem 1rem}figure{display:inline-block;margin:.5rem;"
                 "vertical-align:top}img{max-width:34rem;border:1px solid #ddd}del{background:#fde2e1}ins{background:#e3f4e1;"
                 "text-decoration:none}li.detail{margin-left:2rem;list-style:circle}")  # fmt: skip
        return (f'<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
                f"<title>{html.escape(title)}</title><style>{style}</style></head><body>\n{body}</body></html>\n")  # fmt: skip


def render(result: Review, fmt: Markdown, drawn: dict) -> str:
    """The whole report in one format."""
    title = f"Review of the working tree against {result.base.ref}"
    parts = [fmt.heading(1, title)]
    verdict = ("FAILS: " + " ".join(result.failures)) if result.failures else "Passes the checks: the book builds, its disclosure audit passes."
    if isinstance(fmt, Html):
        parts.append(f'<p class="{"fail" if result.failures else "pass"}"><strong>{fmt.text(verdict)}</strong></p>\n')
    else:
        parts.append(f"**{'❌' if result.failures else '✅'} {fmt.text(verdict)}**\n")
    parts += [fmt.para("Note: " + w) for w in result.warnings]
    parts.append(fmt.heading(2, "What changes for readers"))
    parts.append(fmt.bullets(consequences(result)) or fmt.para("Nothing can be compared (see above)."))
    if result.changes is not None:
        parts.append(_figure_sections(result.changes, fmt))
    if result.pages:
        parts.append(_page_sections(result.pages, fmt, drawn))
    parts.append(_source_sections(result.source, fmt))
    parts.append(fmt.heading(2, "How this review was built"))
    parts.append(fmt.bullets([f"{b.ref}: {_outcome(b)}" for b in (result.base, result.head)]))
    return fmt.page(title, "\n".join(p for p in parts if p))


def _figure_sections(changes: Changes, fmt: Markdown) -> str:
    parts = []
    cut = (lambda rows: rows[: fmt.shown]) if fmt.shown else (lambda rows: rows)
    for kind, heading in (("england_category", "Comparisons with England that changed category"),
                          ("parent_category", "Comparisons with the parent area that changed category"),
                          ("trend", "Recent trends that changed"), ("suppressed", "Figures newly withheld by the disclosure rule"),
                          ("released", "Figures published again")):  # fmt: skip
        rows = changes.of(kind)
        if rows.empty:
            continue
        table = [[r.indicator_name, r.area_name, r.sex, r.period, _cell(r.old), _cell(r.new)] for r in rows.itertuples()]
        parts.append(fmt.heading(3, f"{heading} ({len(rows)})"))
        parts.append(fmt.table(["Indicator", "Place", "Sex", "Period", "Was", "Now"], cut(table), len(table)))
    values = changes.details.loc[changes.details["kind"] == "value_revised"]
    if len(values):
        by = values.groupby(["indicator_id", "indicator_name"], sort=False)
        table = [[name, str(len(rows)), str(rows["area_code"].nunique()), str(int(rows["beyond_old_interval"].astype(bool).sum()))]
                 for (_, name), rows in by]  # fmt: skip
        parts.append(fmt.heading(3, f"Values revised, by indicator ({len(values)})"))
        parts.append(fmt.table(["Indicator", "Values", "Places", "Beyond the old 95% interval"], cut(table), len(table)))
        rows = [[r.indicator_name, r.area_name, r.sex, r.period, _cell(r.old), _cell(r.new)] for r in values.itertuples()]
        parts.append(fmt.details(f"Every revised value ({len(rows)})", fmt.table(["Indicator", "Place", "Sex", "Period", "Was", "Now"], cut(rows), len(rows))))
    defined = changes.of("indicator_redefined")
    if len(defined):
        rows = [[r.indicator_name, r.field, _cell(r.old), _cell(r.new)] for r in defined.itertuples()]
        parts.append(fmt.heading(3, f"Definitions changed ({len(rows)})"))
        parts.append(fmt.table(["Indicator", "Field", "Was", "Now"], cut(rows), len(rows)))
    tables = changes.tables.loc[changes.tables[["added", "removed", "changed"]].sum(axis=1) > 0]
    if len(tables):
        rows = [[r.table, str(r.added), str(r.removed), str(r.changed)] for r in tables.itertuples()]
        parts.append(fmt.heading(3, "Store tables that changed"))
        parts.append(fmt.table(["Table", "Rows added", "Rows removed", "Rows changed"], rows))
    return "\n".join(parts)


def _page_sections(pages: list[PageChange], fmt: Markdown, drawn: dict) -> str:
    parts = [fmt.heading(2, f"Pages ({len(pages)})")]
    shown = pages[: fmt.shown] if fmt.shown else pages
    parts.append(fmt.table(["Page", "Title", "What changed"], [[p.path, p.title, p.summary] for p in shown], len(pages)))
    for page in shown:
        if page.status != "changed":
            continue
        body = []
        limit = 12 if fmt.shown else None
        if page.text:
            rows = [[before or "(none)", after or "(none)"] for before, after in page.text]
            body.append(fmt.table(["Before", "After"], rows[:limit], len(rows)))
        if page.rows:
            rows = [[table, " · ".join(before) or "(none)", " · ".join(after) or "(none)"] for table, before, after in page.rows]
            body.append(fmt.table(["Table", "Row before", "Row after"], rows[:limit], len(rows)))
        for chart, old, new in page.charts:
            state = "added" if old is None else "removed" if new is None else "changed"
            data = set(chart_rows(old)) ^ set(chart_rows(new))
            body.append(fmt.para(f"Chart {state}: {chart_title(new or old)} ({len(data)} data rows differ)"))
            before, after = drawn.get((page.path, chart), (None, None))
            body.append(fmt.image(before, f"Before: {chart_title(old)}" if old else ""))
            body.append(fmt.image(after, f"After: {chart_title(new)}" if new else ""))
        parts.append(fmt.details(f"{page.path}: {page.summary}", "\n".join(b for b in body if b)))  # a blank line between blocks
    return "\n".join(parts)


def _source_sections(source: list[FileChange], fmt: Markdown) -> str:
    parts = [fmt.heading(2, "The source change")]
    if not source:
        return "".join(parts) + fmt.para("No file differs from the base.")
    for group, words in GROUPS.items():
        files = [f for f in source if f.group == group]
        if not files:
            continue
        parts.append(fmt.heading(3, f"{words[0].upper()}{words[1:]} ({len(files)})"))
        items = []
        for f in files:
            items.append(f"{f.path}: {f.status}, +{f.lines_added} −{f.lines_removed} lines" + ("" if f.figures else " (words only)"))
            more = len(f.details) - len(f.details[: fmt.shown or None])
            items += [(d, 1) for d in f.details[: fmt.shown or None]] + ([(f"…and {more} more", 1)] if more > 0 else [])
        parts.append(fmt.bullets(items))
    return "\n".join(parts)


def _level(item: str | tuple[str, int]) -> tuple[str, int]:
    return item if isinstance(item, tuple) else (item, 0)


def _cell(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


