"""The HTML kit every page shares: comparison badges, trend cells, data tables with captions and
footnotes, and how a published cell is written ("[c]" suppressed, "[x]" not available).

Words always come with a shape and colour is never the only signal (WCAG 1.4.1); the Government
Statistical Service shorthand "[c]" and "[x]" is used, never "*".
"""

from __future__ import annotations

import pandas as pd

from jsna.pages import text
from jsna.pages.charts import Html
from jsna.pages.escape import html_attr, html_text
from jsna.store import Store

SUPPRESSED = "[c]"
MISSING = "[x]"
#: Columns disclosure control blanks; a view never publishes them for a "[c]" row.
DISCLOSED = ["value", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8", "count"]
#: Chapter pages sit two folders deep (<type>/<place>/<chapter>).
DEFINITIONS = "../../about/definitions.html"
MISSING_NOTE = "[x] not available: no figure for this place, period or comparator."
SUPPRESSED_NOTE = "[c] confidential: not published because it is based on a small number of events."


#: The shape beside each comparison's words (colour is never the only signal).
SHAPES = {"Better": "▲", "Similar": "●", "Worse": "▼", "Higher": "▲", "Lower": "▼", "Not compared": "■"}


def _comparison(label: str) -> str:
    """The comparison a label names: "Better 99.8%" -> "Better"; any "Not ..." -> "Not compared"."""
    return "Not compared" if label.startswith("Not") else label.split(" ")[0]


def badge_text(label: str) -> str:
    """A comparison label with its shape, as plain text ("▼ Worse"): what :func:`badge` shows."""
    label = str(label)
    return f"{SHAPES.get(_comparison(label), '')} {label}"


def badge(label: str) -> str:
    """A comparison label in words with a shape, and a colour that is never the only signal."""
    label = str(label)
    css = _comparison(label).lower().replace(" ", "-")
    return f'<span class="jsna-badge {html_attr(css)}">{html_text(badge_text(label))}</span>'


def suppressed(row: pd.Series) -> bool:
    return str(row.get("note", "")).startswith(SUPPRESSED)


def label(title: str, sex: str) -> str:
    """An indicator's row label: its title, with the sex when not persons."""
    return title if sex == "Persons" else f"{title} – {text.SEX_WORDS[sex]}"


def shown(row: pd.Series | None, column: str, decimals: int = 1) -> str:
    """A cell as published: "[c]" when suppressed, "[x]" when missing, else the number."""
    if row is None:
        return MISSING
    if suppressed(row) and column in DISCLOSED:
        return SUPPRESSED
    return text.number(row[column], "", decimals)


def interval(row: pd.Series | None, decimals: int = 1) -> str:
    """A row's 95% confidence interval as published ("27.1 to 32.2"): "[c]" when the value is
    suppressed (its limits would give it away), "[x]" when it has none."""
    if row is None:
        return MISSING
    if suppressed(row):
        return SUPPRESSED
    if pd.isna(row.get("lower_95_0")) or pd.isna(row.get("upper_95_0")):
        return MISSING
    return f"{text.number(row['lower_95_0'], '', decimals)} to {text.number(row['upper_95_0'], '', decimals)}"


def with_interval(value: str, interval: str) -> str:
    """A table cell with the value and, beneath it, its 95% interval in brackets: in the value's
    column, so that the interval is beside every value without a column of its own (the tables
    keep their verdict columns on screen at 1366 px)."""
    if interval in (MISSING, SUPPRESSED):
        return value
    return f'{value}<br><span class="jsna-interval">({html_text(interval)})</span>'


def decimals(unit: str) -> int:
    return 0 if unit in ("people", "count") else 1


def footnotes(notes: list[str], cells: list[str]) -> list[str]:
    """The footnotes a table or chart needs: "[c]" with the reason(s) given in the store, "[x]"."""
    out = []
    if any(SUPPRESSED in cell for cell in cells):
        reasons = sorted({note for note in notes if note.startswith(SUPPRESSED)})
        out.append(SUPPRESSED_NOTE + "".join(f" ({note[len(SUPPRESSED):].strip()})" for note in reasons))
    if any(MISSING in cell for cell in cells):
        out.append(MISSING_NOTE)
    return out


def html_table(head: list[str], body: list[list[str] | str], *, caption: str, notes: list[str], wrap: bool = False) -> Html:
    """A data table; ``head`` and ``body`` cells are HTML already (the caller escapes any data in
    them with :func:`~jsna.pages.escape.html_text`); ``caption``, ``notes`` and a ``str`` in
    ``body`` (a section heading row) are text, escaped here.
    With ``wrap``, cells may wrap (for tables with long words in many columns)."""
    heads = "".join(f'<th scope="col">{cell}</th>' for cell in head)
    rows = []
    for row in body:
        if isinstance(row, str):
            rows.append(f'<tr class="jsna-section"><th scope="colgroup" colspan="{len(head)}">{html_text(row)}</th></tr>')
        else:
            rows.append(f'<tr><th scope="row">{row[0]}</th>{"".join(f"<td>{cell}</td>" for cell in row[1:])}</tr>')
    foot = "".join(f'<p class="jsna-note">{html_text(note)}</p>' for note in notes)
    # A table wider than the text column scrolls inside its own region, which the keyboard can
    # reach and a screen reader names, instead of pushing the page sideways.
    return Html(
        f'<div class="jsna-scroll" role="region" tabindex="0" aria-label="{html_attr(caption)}">'
        f'<table class="jsna-data jsna-spine{" jsna-wrap" if wrap else ""}"><caption>{html_text(caption)}</caption><thead><tr>{heads}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></div>{foot}'
    )


def definition_link(entry: pd.Series, sex: str) -> str:
    return f'<a href="{DEFINITIONS}#{html_attr(entry["indicator_id"])}">{html_text(label(entry["title"], sex))}</a>'


def trend_arrow(trend: str) -> str:
    """The arrow shown before a recent trend: "↑ " increasing, "↓ " decreasing, "→ " otherwise."""
    return "↑ " if trend.startswith("Increasing") else "↓ " if trend.startswith("Decreasing") else "→ "


def trend_text(trend: str) -> str:
    """The recent trend with its arrow, as plain text ("↑ Increasing and getting worse"); "[x]"
    when there is none: what :func:`trend_cell` shows."""
    if not trend or trend == "Could not be calculated":
        return MISSING if not trend else trend
    return trend_arrow(trend) + trend


def trend_cell(trend: str) -> str:
    """The recent trend in words, with an arrow; "[x]" when there is none."""
    if not trend or trend == "Could not be calculated":
        return MISSING if not trend else html_text(trend)
    css = "worse" if trend.endswith("getting worse") else "better" if trend.endswith("getting better") else "neutral"
    return f'<span class="jsna-trend {css}"><span aria-hidden="true">{trend_arrow(trend)}</span>{html_text(trend)}</span>'


def published_table(rows: pd.DataFrame, columns: dict[str, str], digits: int = 2) -> pd.DataFrame:
    """A figure's data table: chosen columns renamed, numbers rounded, "[c]" in suppressed cells."""
    out = pd.DataFrame(index=rows.index)
    mask = rows["note"].astype(str).str.startswith(SUPPRESSED) if "note" in rows else pd.Series(False, index=rows.index)
    for column, heading in columns.items():
        values = rows[column]
        if pd.api.types.is_numeric_dtype(values):
            values = values.round(digits).astype(object)
            values = values.where(~(mask & (column in DISCLOSED)), SUPPRESSED)
        out[heading] = values
    return out.reset_index(drop=True)


def window(store: Store, entry: pd.Series, area_type: str | None) -> int:
    """The period window shown for a type of place: pooled for types that pool years (wards),
    single years otherwise."""
    return max(entry["windows"]) if store.pooled(area_type) else min(entry["windows"])
