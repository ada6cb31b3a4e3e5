"""What one place's printable brief says: its profile on two to four A4 pages, as one source in
Pandoc's Markdown with its charts, from which the build renders PDF (through Typst) and Word
(:mod:`jsna.book.briefs`).

Every sentence, number and chart comes from the helpers the site's profile page uses
(:mod:`jsna.pages.indicators`, :mod:`jsna.pages.inequalities`), so a brief and its page never
disagree: the headline findings (:func:`~jsna.pages.indicators.headline_finding_lines`, or the
authority's "at a glance" and what to act on first), the population pyramid, every indicator
against the area the place lies in and England (:func:`~jsna.pages.indicators.profile_table`),
and for the authority the gap in life expectancy and its slope index. Words from the data and
the parameters are written through :func:`~jsna.pages.escape.pandoc_text`; comparisons are
words with a shape (``▼ Worse``), never colour alone.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass

from jsna.pages import charts
from jsna.pages import indicators as views
from jsna.pages.escape import html_attr, pandoc_attribute, pandoc_text
from jsna.pages.html import (
    MISSING,
    MISSING_NOTE,
    SUPPRESSED_NOTE,
    badge_text,
    trend_arrow,
    trend_text,
)
from jsna.pages.inequalities import life_expectancy_gap_lines
from jsna.store import Store

#: Where the briefs are published, under the site's root: ``<code>.pdf``, ``<code>.docx`` and
#: :data:`ALL_BRIEFS`.
BRIEF_DOWNLOADS = "downloads/briefs"
#: The formats of a brief: file suffix -> what a reader calls it, and its media type.
FORMATS = {"pdf": "PDF", "docx": "Word"}
MEDIA_TYPES = {"pdf": "application/pdf", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
#: Every brief in one file.
ALL_BRIEFS = "briefs-all.zip"
#: A place code as a file name: letters, digits, ``.``, ``_`` and ``-`` (ONS and NHS codes are).
SAFE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
#: The font charts are drawn in for a brief (the brief's own, :mod:`jsna.book.briefs`).
CHART_FONT = "Liberation Sans, DejaVu Sans, Arial, Helvetica, sans-serif"


def brief_file(code: str, fmt: str) -> str:
    """The file name of a place's brief in one format ("E08000027.pdf")."""
    if not SAFE_CODE.fullmatch(code) or fmt not in FORMATS:
        raise ValueError(f"no brief file for place code {code!r} in format {fmt!r}")
    return f"{code}.{fmt}"


def brief_href(code: str, fmt: str, site_root: str = charts.SITE_ROOT) -> str:
    """The link to a place's brief from a page (place pages sit two folders deep)."""
    return f"{site_root}{BRIEF_DOWNLOADS}/{brief_file(code, fmt)}"


def brief_links(store: Store, code: str) -> charts.Html:
    """"Download this place as PDF / Word": the links to the place's brief, for its profile page;
    the authority's also links the zip of every place's brief."""
    name = store.name(code)
    links = " / ".join(
        f'<a href="{html_attr(brief_href(code, fmt))}" type="{MEDIA_TYPES[fmt]}" download="{html_attr(brief_file(code, fmt))}" '
        f'aria-label="{html_attr(f"Download {name} as a {words} brief")}">{words}</a>'
        for fmt, words in FORMATS.items()
    )
    out = (f'<p class="jsna-brief">Download this place as {links}: a printable brief of two to four A4 pages with the headline '
           "findings and every indicator (the PDF is tagged for screen readers).")  # fmt: skip
    if store.is_authority(code):
        out += (f' Every place\'s brief in one file: <a href="{charts.SITE_ROOT}{BRIEF_DOWNLOADS}/{ALL_BRIEFS}" type="application/zip" '
                f'download="{ALL_BRIEFS}">all briefs (zip)</a>.')  # fmt: skip
    return charts.Html(out + "</p>")


# --------------------------------------------------------------------------------------------
# The words a brief takes from the book, and what one brief is
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BriefWords:
    """What every brief of a book says about the book (the book layer's words for it,
    :class:`jsna.book.source.BookWords`): its title, the edition and its data vintage, the
    warning while the local figures are synthetic ("" when they are real), and the sources."""

    book: str
    edition: str
    data_vintage: str
    warning: str
    sources: tuple[str, ...]
    date: datetime.date
    lang: str = "en-GB"


@dataclass(frozen=True)
class BriefChart:
    """A chart of a brief: its Vega-Lite specification (drawn by vl-convert), its alt text and
    the caption printed under it (the finding the chart's title states on the site)."""

    name: str
    spec: dict
    alt_text: str
    caption: str


@dataclass(frozen=True)
class Brief:
    """One place's brief: the Markdown source (its charts named without a file extension: the
    PDF takes them as SVG, the Word file as PNG) and the charts it names."""

    code: str
    title: str
    markdown: str
    charts: tuple[BriefChart, ...]


#: Tables set each column's share of the width by the dashes under its heading (Pandoc's pipe
#: tables): indicator, period, value, each comparator, each comparison, recent trend.
WIDTHS = {"indicator": 21, "period": 12, "value": 7, "comparator": 9, "compared": 12, "trend": 13}


def how_to_read() -> str:
    """The box above the tables: what a row, a comparison, a trend, "[c]" and "[x]" mean, with
    the shapes and arrows the tables use."""
    shapes = {label: badge_text(label) for label in ("Better", "Similar", "Worse", "Higher", "Lower", "Not compared")}
    arrows = [trend_arrow(t).strip() for t in ("Increasing", "Decreasing", "No significant change")]
    return (
        "Each row gives the place's latest value of an indicator, for the period shown, beside the values of the areas it is "
        f"compared with. The comparison columns say whether the value is significantly better ({shapes['Better']}), not "
        f"significantly different ({shapes['Similar']}) or significantly worse ({shapes['Worse']}) than each, judged by its 95% "
        f"confidence interval; {shapes['Higher']} or {shapes['Lower']} where higher is neither better nor worse; "
        f"{shapes['Not compared']} when there is no benchmark value for the period, no interval or no direction: never read as "
        f"similar. The recent trend ({arrows[0]} increasing, {arrows[1]} decreasing, {arrows[2]} no significant change) is over "
        f"the last five periods. {SUPPRESSED_NOTE} {MISSING_NOTE}"
    )


OGL = ("Contains public sector information licensed under the Open Government Licence v3.0 "
       "(www.nationalarchives.gov.uk/doc/open-government-licence/version/3).")  # fmt: skip


def brief(store: Store, code: str, words: BriefWords) -> Brief:
    """The brief of one place: title block, the page's comparison story, the headline findings
    (for the authority: at a glance, the gap in life expectancy and what to act on first), who
    lives here (the pyramid), every indicator chapter by chapter, how to read it, and sources."""
    name = store.name(code)
    pyramid = pyramid_chart(store, code)
    blocks = [front_matter(store, code, words), title_block(store, code, words), section("What this brief compares", paragraph(views.story_lines(store, code, chapter=False, what="brief")))]
    if store.is_authority(code):
        blocks += [section("At a glance", bullets(views.headline_lines(store, code)))]
        gaps = life_expectancy_gap_lines(store, code)
        if gaps:
            blocks += [section("The gap in life expectancy", bullets(gaps))]
        blocks += [section("What to act on first", act_on_first(store, code))]
    else:
        blocks += [section("Headline findings", bullets(views.headline_finding_lines(store, code)))]
    blocks += [
        section("Who lives here", figure(pyramid)),
        section("Every indicator", every_indicator(store, code)),
        section("Sources", bullets([*words.sources, "Each indicator's definition, method and source: the indicator definitions page of the book, "
                                    "and its download indicator-definitions.csv.", OGL])),
    ]  # fmt: skip
    return Brief(code, name, "\n\n".join(blocks) + "\n", (pyramid,))


def front_matter(store: Store, code: str, words: BriefWords) -> str:
    """The YAML metadata block: the title (the document's title in the PDF and the Word file),
    the language, the date and the words the PDF's running header and footer repeat on every
    page. Values are JSON strings (valid YAML) of Markdown text."""
    name = store.name(code)
    fields = {
        "title": name, "subtitle": f"{words.book}: brief", "pdf-title": f"{name}: brief, {words.book}", "lang": words.lang,
        "edition": words.edition, "warning": words.warning, "place": name,
    }  # fmt: skip
    lines = [f"{key}: {json.dumps(value if key == 'lang' else pandoc_text(value), ensure_ascii=False)}" for key, value in fields.items() if value]
    return "---\n" + "\n".join(lines) + "\n---"


def title_block(store: Store, code: str, words: BriefWords) -> str:
    """What the place is, the edition and its data vintage; the warning while data are synthetic."""
    place = store.place(code)
    described = str(store.area_types.loc[store.area_type(code), "described_as"] or "") if store.area_type(code) in store.area_types.index else ""
    about = f"{place['area_name']} is {described or 'a ' + store.words(store.area_type(code))[0]} ({code})"
    parent = store.parent(code)
    if parent is not None and not store.is_authority(code):
        about += f", in {store.name(parent)}"
    lines = [f"{about}.", f"{words.edition}. Data: {words.data_vintage}"]
    block = '::: {.meta custom-style="Edition"}\n' + "\n\n".join(pandoc_text(line) for line in lines) + "\n:::"
    if words.warning:
        block = f'::: {{.warning custom-style="Warning"}}\n**Demonstration data.** {pandoc_text(words.warning)}\n:::\n\n' + block
    return block


def section(heading: str, body: str, level: int = 1) -> str:
    """A heading (text) and its body (Markdown)."""
    return f"{'#' * level} {pandoc_text(heading)}\n\n{body}"


def paragraph(lines: list[str]) -> str:
    return pandoc_text(" ".join(lines))


def bullets(lines: list[str]) -> str:
    return "\n".join(f"- {pandoc_text(line)}" for line in lines)


def act_on_first(store: Store, code: str) -> str:
    """What to act on first, as the authority's profile gives it (:func:`~jsna.pages.indicators.what_to_act_on`)."""
    lead, groups = views.what_to_act_on(store, code)
    out = [paragraph(lead)]
    for group in groups:
        items = [f"**{pandoc_text(views.label(entry['title'], sex))}**: {pandoc_text(words)}" for entry, sex, words in group.items]
        if group.more > 0:
            items.append(pandoc_text(f"and {group.more} more: see every indicator below."))
        out.append(section(f"{group.heading} ({group.total})", "\n".join(f"- {item}" for item in items), level=2))
    return "\n\n".join(out)


def every_indicator(store: Store, code: str) -> str:
    """How to read the tables, then one table per chapter of every indicator against the
    profile's comparators (:func:`~jsna.pages.indicators.profile_table`), and their footnotes.
    The count is left to the site's table: the brief's columns are those a reader compares."""
    table = views.profile_table(store, code)
    names = table.story.names
    head = ["Indicator", "Period", "Value", *names, *(f"Compared with {n}" for n in names), "Recent trend"]
    widths = [WIDTHS["indicator"], WIDTHS["period"], WIDTHS["value"], *[WIDTHS["comparator"]] * len(names), *[WIDTHS["compared"]] * len(names), WIDTHS["trend"]]
    right = {2, *range(3, 3 + len(names))}
    rule = "|" + "|".join(("-" * (w - 1) + ":") if i in right else (":" + "-" * (w - 1)) for i, w in enumerate(widths)) + "|"
    out = ['::: {.howto custom-style="How to read"}\n**How to read the tables.** ' + pandoc_text(how_to_read()) + "\n:::"]
    for chapter, rows in table.chapters.items():
        body = []
        for r in rows:
            period, _count, value, _interval, *benchmarks = r.values  # the site's table gives the interval
            compared = [MISSING if r.row is None else badge_text(c) for c in r.compared]
            cells = [r.label, period, value, *benchmarks, *compared, trend_text(r.trend)]
            body.append("| " + " | ".join(pandoc_text(cell) for cell in cells) + " |")
        caption = f"{views.chapter_words(chapter)}: {table.place} compared with {table.story.words()}"
        out.append(section(views.chapter_words(chapter), "\n".join(["| " + " | ".join(pandoc_text(h) for h in head) + " |", rule, *body, "", f": {pandoc_text(caption)}"]), level=2))
    notes = table.notes()
    if notes:
        out.append('::: {.notes custom-style="Notes"}\n' + "\n\n".join(pandoc_text(note) for note in notes) + "\n:::")
    return "\n\n".join(out)


def figure(chart: BriefChart, width: str = "78%") -> str:
    """A chart in the source: its caption, its file (named without an extension: SVG for the PDF,
    PNG for Word) and its alternative text, which both formats keep."""
    return f"![{pandoc_text(chart.caption)}]({chart.name}){{alt={pandoc_attribute(chart.alt_text)} width={width}}}"


def pyramid_chart(store: Store, code: str) -> BriefChart:
    """The place's population pyramid as its profile page draws it
    (:func:`~jsna.pages.indicators.profile_pyramid`); its title and subtitle become the caption."""
    figure = views.profile_pyramid(store, code)
    spec = figure.chart.to_dict()
    title = spec.pop("title", {})
    spec.pop("description", None)
    spec.setdefault("config", {})["font"] = CHART_FONT
    caption = " ".join(_lines(title.get("text", "")) if isinstance(title, dict) else _lines(title))
    subtitle = " ".join(_lines(title.get("subtitle", ""))) if isinstance(title, dict) else ""
    return BriefChart("population-pyramid", spec, figure.alt_text, f"{caption}. {subtitle}." if subtitle else f"{caption}.")


def _lines(value) -> list[str]:
    """A chart title's lines (Altair wraps long titles into a list)."""
    return [str(v) for v in value] if isinstance(value, list) else [str(value)] if value else []


