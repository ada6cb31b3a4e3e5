"""Escaping, one helper per context a data or parameter string can land in.

Area names (geography.csv), place display names, indicator titles, definitions and sources
(the catalogue), KPI names and narratives, chapter titles (parameters) are all text typed by
someone else: every view writes them through the helper of the context they land in, never raw.

* :func:`html_text` / :func:`html_attr`: HTML text and (double-quoted) attribute values;
* :func:`markdown_text`: text placed in MyST Markdown (which renders raw HTML, roles,
  directives and substitutions), e.g. the headline bullets and the generated hub pages;
* :func:`script_json`: JSON placed inside a ``<script>`` element (the chart specifications);
* :func:`pandoc_text` / :func:`pandoc_attribute`: text and attribute values placed in Pandoc's
  Markdown (the source of each place's printable brief, :mod:`jsna.pages.brief`, which Pandoc
  turns into Typst and Word);
* CSV cells (spreadsheet formulas) are neutralised by :func:`jsna.store.csv_cell`, in the store
  layer so that the published downloads can use it too.

Each helper leaves ordinary words as they render: "St James's", "Netherton, Woodside and St
Andrews", "per 100,000" and "2018 - 20" look the same on the page.
"""

from __future__ import annotations

import html
import json
import re

__all__ = ["html_attr", "html_text", "markdown_text", "pandoc_attribute", "pandoc_text", "script_json"]


def html_text(value: object) -> str:
    """``value`` as HTML text: ``& < > " '`` as character references."""
    return html.escape(str(value), quote=True)


def html_attr(value: object) -> str:
    """``value`` inside a double- (or single-) quoted HTML attribute value."""
    return html.escape(str(value), quote=True)


#: Markdown (CommonMark + MyST) punctuation that can start syntax anywhere in a line: the escape
#: itself, code, emphasis, links and images, roles and substitutions ``{...}``, headings, table
#: cells, dollar maths and tilde fences / strikethrough.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]{}#|!$~])")
#: Characters that are syntax only at the start of a line: list items (+ -), MyST targets
#: "(label)=", definition lists and colon fences (:), MyST comments (%), setext underlines (=).
_LINE_START = tuple("+-(:%=")
#: An ordered-list marker at the start of a line: "1. " or "1) ".
_ORDERED = re.compile(r"^(\d{1,9})([.)])(?= |$)")
#: Line breaks and tabs (not the no-break space, which changes how a line wraps).
_BREAKS = re.compile(r"[ \t\r\n\f\v\x85\u2028\u2029]+")


def markdown_text(value: object) -> str:
    """``value`` as literal text in MyST Markdown, on one line.

    Line breaks become spaces (a blank line would end the paragraph or an HTML block, and a new
    line could start a heading or a directive); ``& < >`` become character references (MyST
    passes raw HTML through); the punctuation of :data:`_MARKDOWN_PUNCTUATION` is
    backslash-escaped wherever it is; a leading list marker, target, definition, comment or
    setext character is backslash-escaped. ``(`` and ``)`` are escaped only at the start: elsewhere
    they are syntax only as a link's destination right after ``]``, which is always escaped.
    Apostrophes, commas, hyphens and full stops inside a line are left as they are.
    """
    text = _BREAKS.sub(" ", str(value)).strip()
    text = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if text.startswith(_LINE_START):
        text = "\\" + text
    return _ORDERED.sub(r"\1\\\2", text)


#: ASCII punctuation that is syntax somewhere in a line of Pandoc's Markdown: escapes, code,
#: emphasis and strikeout, links, images, spans and attributes, raw HTML and entities, maths,
#: footnotes, citations, super- and subscripts, table cells.
_PANDOC_PUNCTUATION = re.compile(r"([\\`*_\[\]{}<>#|!$^~@&])")
#: A line that starts a list item however it is numbered or lettered: "1.", "a)", "iv.", "#.".
_PANDOC_ORDERED = re.compile(r"^([0-9A-Za-z]{1,9}|#)([.)])(?= |$)")


def pandoc_text(value: object) -> str:
    """``value`` as literal text in Pandoc's Markdown (read with ``-smart``), on one line.

    Line breaks become spaces; the punctuation of :data:`_PANDOC_PUNCTUATION` is backslash-escaped
    wherever it is (Pandoc's Markdown lets any ASCII punctuation be escaped); punctuation at the
    start (a list marker, a fence, a quote, a definition, a line block, a title) is escaped, and
    so is the delimiter of a leading list number or letter. Words, apostrophes, commas,
    hyphens, parentheses and full stops inside a line are left as they are."""
    text = _BREAKS.sub(" ", str(value)).strip()
    text = _PANDOC_PUNCTUATION.sub(r"\\\1", text)
    if text and text[0] in "+-*:=%>(\"'./;?,)":
        text = "\\" + text
    return _PANDOC_ORDERED.sub(r"\1\\\2", text)


def pandoc_attribute(value: object) -> str:
    """``value`` as a double-quoted attribute value in Pandoc's Markdown (``{alt="..."}``), on
    one line: Pandoc reads backslash escapes and character references there, so ``\\``, ``"``
    and ``&`` are backslash-escaped."""
    text = _BREAKS.sub(" ", str(value)).strip()
    return '"' + re.sub(r'([\\"&])', r"\\\1", text) + '"'


def script_json(value: object) -> str:
    """``value`` as JSON to write inside ``<script>...</script>``: no string in it can close the
    element, open a comment or end a JavaScript line. Keys are sorted and separators compact, so
    the same value always gives the same page."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    for character, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(character, escaped)
    return text
