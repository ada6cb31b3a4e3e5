"""A Sphinx extension: titles that Sphinx 7.4 and sphinx-book-theme publish unescaped, escaped.

- The theme sets ``pagetitle`` (the printed page's heading) and ``root_title`` (the sidebar's
  heading) to a title's plain text and its templates write them raw, so a place named
  ``<script>…</script>`` would become markup on its own pages. :func:`escape_theme_titles` runs
  after the theme's handler and escapes both.
- The search index's ``alltitles`` holds every section title as plain text, and Sphinx's search
  page writes a matching title into the results with ``innerHTML``. :func:`escape_search_titles`
  rewrites the index once the build has finished so those titles are HTML text too (``titles``,
  the page titles, are escaped by Sphinx already). A title that is itself an HTML character
  reference ("&lt;") is shown as the character it stands for.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from jsna.pages.escape import html_text

THEME_TEXT = ("pagetitle", "root_title")
SEARCH_INDEX = ("Search.setIndex(", ")")


def escape_theme_titles(app, pagename, templatename, context, doctree) -> None:
    for key in THEME_TEXT:
        if isinstance(context.get(key), str):
            context[key] = html_text(context[key])


def escape_search_titles(app, exception) -> None:
    path = Path(app.outdir) / "searchindex.js"
    if exception is not None or app.builder.format != "html" or not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    start, end = SEARCH_INDEX
    if not (text.startswith(start) and text.rstrip().endswith(end)):
        raise RuntimeError(f"{path} is not in the form {start}…{end}; Sphinx's search index format has changed")
    index = json.loads(text[len(start) : text.rstrip().rindex(end)])
    # Unescaped first: an incremental build reloads the last index, whose titles are escaped already.
    index["alltitles"] = {html_text(html.unescape(title)): found for title, found in index.get("alltitles", {}).items()}
    path.write_text(start + json.dumps(index, ensure_ascii=False) + end, encoding="utf-8")


def setup(app) -> dict:
    app.connect("html-page-context", escape_theme_titles, priority=900)  # the theme's handlers run at 500
    app.connect("build-finished", escape_search_titles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
