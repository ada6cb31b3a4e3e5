"""What the services and performance pages show: the council's KPI scorecards, the dashboard,
the directorate actions, Making Data Count control charts and the exception report.

Like :mod:`jsna.pages.indicators`, these functions only select from the store (the ``kpi_*``
tables of :mod:`jsna.compute.performance`) and turn the rows into tables, figures and sentences. Every score, trend
and icon is said in words with a shape beside it; colour is added by CSS but never carries the
meaning alone. The quarter is a parameter: every function takes the quarter it shows.
"""

from __future__ import annotations

import re

import pandas as pd

from jsna.compute.performance import ACTION_SYMBOLS, SCORE_SYMBOLS, TREND_SYMBOLS
from jsna.inputs.kpis import ACTION_STATUSES, SYNTHETIC
from jsna.inputs.periods import previous_quarter, quarter_index, same_quarter_last_year
from jsna.pages import charts
from jsna.pages.escape import html_attr, html_text
from jsna.pages.html import MISSING, html_table
from jsna.stats.spc import ASSURANCE_ICONS, VARIATION_ICONS, SpcRules
from jsna.stats.targets import SCORES, TRENDS
from jsna.store import Store

#: The two pages, in the same folder of the book (the place's folder).
SERVICES_PAGE = "services.html"
EXCEPTIONS_PAGE = "exceptions.html"
#: Marks a synthetic demonstration value in a table.
SYNTHETIC_MARK = "[s]"
SYNTHETIC_NOTE = f"{SYNTHETIC_MARK} synthetic demonstration value, not one of the council's published figures."

SCORE_WORDS = {"on target": "On target", "tolerance": "Tolerance", "below target": "Below target", "missing": "Missing"}
#: The score as a sentence says it ("was in tolerance").
SCORE_PHRASES = {"on target": "on target", "tolerance": "in tolerance", "below target": "below target", "missing": "not reported"}
TREND_WORDS = {"improving": "Improving", "consistent": "Consistent", "worsening": "Worsening", "not compared": "Not compared"}
ACTION_WORDS = {"complete": "Complete", "ahead": "Ahead", "on target": "On target", "behind": "Behind", "not updated": "Not updated"}
UNIT_TITLES = {"%": "Per cent", "GBP": "Pounds (£)", "number": "Number"}

#: Variation icons: short words for badges, the letter in the icon and its kind (for colour).
VARIATION_BADGES = {
    "common_cause": ("Common cause", "~", "common"),
    "improvement_high": ("Improvement, higher", "H", "improvement"),
    "improvement_low": ("Improvement, lower", "L", "improvement"),
    "concern_high": ("Concern, higher", "H", "concern"),
    "concern_low": ("Concern, lower", "L", "concern"),
    "neither_high": ("Special cause, higher", "H", "neither"),
    "neither_low": ("Special cause, lower", "L", "neither"),
}
ASSURANCE_BADGES = {
    "consistently_passing": ("Consistently passing", "P", "improvement"),
    "consistently_failing": ("Consistently failing", "F", "concern"),
    "hit_and_miss": ("Hit and miss", "?", "common"),
}
ICON_COLOURS = {"common": "#595959", "improvement": "#1f6fb5", "concern": "#b34d0e", "neither": "#7030a0", "none": "#8c8c8c"}
#: Rule flags of the XmR points -> words (run lengths filled in from the rules used).
RULE_WORDS = {
    "above_upper_limit": "above the upper process limit",
    "below_lower_limit": "below the lower process limit",
    "shift_above": "in a run of {shift} or more points above the mean",
    "shift_below": "in a run of {shift} or more points below the mean",
    "trend_up": "in a run of {trend} or more points each higher than the one before",
    "trend_down": "in a run of {trend} or more points each lower than the one before",
    "two_of_three_above": "2 of 3 points running beyond the upper two-sigma line",
    "two_of_three_below": "2 of 3 points running beyond the lower two-sigma line",
}
ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth", 9: "ninth", 10: "tenth",
            11: "eleventh", 12: "twelfth"}  # fmt: skip
#: Quarters of history in an exception's table (the report shows six; two years here).
EXCEPTION_HISTORY = 8


# --------------------------------------------------------------------------------------------
# Reading the store
# --------------------------------------------------------------------------------------------
def quarters(store: Store) -> list[str]:
    """Quarters with at least one reported KPI value, oldest first."""
    cards = store.table("kpi_scorecards")
    reported = cards.loc[cards["score"] != "missing", "quarter"]
    return sorted(set(reported), key=quarter_index)


def resolve_quarter(store: Store, quarter: str | None = "") -> str:
    """The quarter a page shows: ``quarter`` if given, else the latest with reported values."""
    known = quarters(store)
    if not known:
        raise KeyError("the store has no KPI values")
    if not quarter:
        return known[-1]
    if quarter not in known:
        raise KeyError(f"no KPI values for quarter {quarter!r}; quarters with values: {known[0]} to {known[-1]}")
    return quarter


def scorecard(store: Store, quarter: str) -> pd.DataFrame:
    cards = store.table("kpi_scorecards")
    return cards.loc[cards["quarter"] == quarter].reset_index(drop=True)


def xmr_summary(store: Store, quarter: str) -> pd.DataFrame:
    summary = store.table("kpi_xmr_summary")
    return summary.loc[summary["quarter"] == quarter].set_index("kpi_id")


def xmr_points(store: Store, quarter: str, kpi_id: str) -> pd.DataFrame:
    points = store.table("kpi_xmr_points")
    return points.loc[(points["quarter"] == quarter) & (points["kpi_id"] == kpi_id)].reset_index(drop=True)


def exception_rows(store: Store, quarter: str) -> pd.DataFrame:
    rows = store.table("kpi_exceptions")
    return rows.loc[rows["quarter"] == quarter].reset_index(drop=True)


def rules(store: Store) -> SpcRules:
    """The :class:`SpcRules` a ``kpi_spc_rules`` table holds (for the pages' explanations)."""
    row = store.table("kpi_spc_rules").iloc[0]
    return SpcRules(
        outside_limits=bool(row["outside_limits"]),
        shift=None if pd.isna(row["shift"]) else int(row["shift"]),
        trend=None if pd.isna(row["trend"]) else int(row["trend"]),
        two_of_three=bool(row["two_of_three"]),
        minimum_points=int(row["minimum_points"]),
        conflict=str(row["conflict"]),
    )


def real_values(store: Store) -> dict[tuple[str, str], bool]:
    """(kpi_id, period) -> whether the value is real (False: synthetic demonstration history)."""
    history = store.table("kpi_history")
    return dict(zip(zip(history["kpi_id"], history["period"], strict=True), history["real"].astype(bool), strict=True))


# --------------------------------------------------------------------------------------------
# Words, numbers and badges
# --------------------------------------------------------------------------------------------
def anchor(kpi_id: str) -> str:
    """A KPI's stable anchor: "PI 2257" -> "pi-2257" (its exception report)."""
    return re.sub(r"[^a-z0-9]+", "-", str(kpi_id).lower()).strip("-")


def chart_anchor(kpi_id: str) -> str:
    """The anchor of a KPI's control chart on the services page."""
    return anchor(kpi_id) + "-control-chart"


def exception_link(kpi_id: str, words: str = "Exception report") -> str:
    return f'<a class="jsna-exception-link" href="{EXCEPTIONS_PAGE}#{anchor(kpi_id)}">{html_text(words)}</a>'


def value_text(value: float, unit: str, decimals: int) -> str:
    """A KPI value as the report prints it: "73.0%", "£6,000", "1,234"; "[x]" when missing."""
    if value is None or pd.isna(value):
        return MISSING
    decimals = int(decimals)
    if unit == "%":
        return f"{value:,.{decimals}f}%"
    if unit == "GBP":
        return f"{'−' if value < 0 else ''}£{abs(value):,.{decimals}f}"
    return f"{value:,.{decimals}f}"


def kpi_label(row) -> str:
    """"PI 2257, value of savings made ...": the id and the name, for sentences."""
    name = str(row["kpi_name"])
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        name = name[0].lower() + name[1:]
    return f"{row['kpi_id']}, {name},"


def _badge(css: str, symbol: str, words: str) -> str:
    return f'<span class="jsna-kpi {html_attr(css)}"><span aria-hidden="true">{symbol}</span>&nbsp;{html_text(words)}</span>'


def score_badge(score: str) -> str:
    """"▼ Below target": the score in words with its shape (SCORE_SYMBOLS)."""
    return _badge("score-" + score.replace(" ", "-"), SCORE_SYMBOLS[score], SCORE_WORDS[score])


def trend_badge(trend: str) -> str:
    """"↓ Worsening": the direction of performance (judged with the KPI's polarity)."""
    return _badge("trend-" + trend.replace(" ", "-"), TREND_SYMBOLS[trend], TREND_WORDS[trend])


def action_badge(status: str) -> str:
    return _badge("action-" + status.replace(" ", "-"), ACTION_SYMBOLS[status], ACTION_WORDS[status])


def icon_svg(letter: str, kind: str, *, passing: bool | None = None) -> str:
    """A small Making Data Count style icon drawn inline (no image file, no request): a ring with
    a letter, H/L for special cause higher/lower, P/F/? for assurance, a flat run of dots for
    common cause. Hidden from screen readers: the words beside it say the same."""
    colour = ICON_COLOURS[kind]
    if letter == "~":
        inner = "".join(f'<circle cx="{x}" cy="15" r="1.9" fill="{colour}"/>' for x in (7, 11, 15, 19, 23))
    else:
        inner = (f'<text x="15" y="20" text-anchor="middle" font-size="14" font-weight="700" '
                 f'font-family="system-ui, sans-serif" fill="{colour}">{html_text(letter)}</text>')  # fmt: skip
    return (
        f'<svg class="jsna-spc-icon" aria-hidden="true" focusable="false" width="26" height="26" viewBox="0 0 30 30">'
        f'<circle cx="15" cy="15" r="13" fill="#fff" stroke="{colour}" stroke-width="2.5"/>{inner}</svg>'
    )


def variation_badge(code) -> str:
    """The variation icon and its words; "Not assessed" when there were too few points."""
    if code is None or pd.isna(code):
        return f'<span class="jsna-spc none">{icon_svg("–", "none")} Not assessed (too few points)</span>'
    words, letter, kind = VARIATION_BADGES[code]
    return f'<span class="jsna-spc {kind}" title="{html_attr(VARIATION_ICONS[code])}">{icon_svg(letter, kind)} {html_text(words)}</span>'


def assurance_badge(code) -> str:
    if code is None or pd.isna(code):
        return f'<span class="jsna-spc none">{icon_svg("–", "none")} Not assessed</span>'
    words, letter, kind = ASSURANCE_BADGES[code]
    return f'<span class="jsna-spc {kind}" title="{html_attr(ASSURANCE_ICONS[code])}">{icon_svg(letter, kind)} {html_text(words)}</span>'


def _ordinal_run(n: int) -> str:
    return f"for the {ORDINALS[n]} quarter running" if n in ORDINALS else f"for {n} quarters running"


def score_run_words(row) -> str:
    """"below target for the second quarter running", or "below target, after being in tolerance
    in 2022-23 Q1"."""
    phrase = SCORE_PHRASES[row["score"]]
    run = int(row["score_run"])
    if run >= 2:
        return f"{phrase} {_ordinal_run(run)}"
    before = row["score_before_run"]
    if before is None or pd.isna(before):
        return phrase
    return f"{phrase}, after being {SCORE_PHRASES[before]} in {row['quarter_before_run']}"


def trend_words(row) -> str:
    """How the quarter compares with the previous quarter and a year earlier, judged with the polarity."""
    unit, decimals = row["unit"], row["decimals"]
    judged = {"improving": "better than", "worsening": "worse than", "consistent": "the same as"}
    short, annual = row["short_term_trend"], row["annual_trend"]
    previous = f"the previous quarter ({value_text(row['previous_value'], unit, decimals)})"
    year_ago = f"the same quarter a year earlier ({value_text(row['last_year_value'], unit, decimals)})"
    if short == annual and short in judged:
        return f"It was {judged[short]} both {previous} and {year_ago}."
    parts = []
    for trend, words in ((short, previous), (annual, year_ago)):
        parts.append(f"{judged[trend]} {words}" if trend in judged else f"could not be compared with {words.split(' (')[0]}")
    return f"It was {parts[0]}, and {parts[1]}."


def variation_words(summary_row, store: Store) -> str:
    """What the control chart says of the latest value, in a sentence."""
    code = summary_row["variation_icon"]
    if code is None or pd.isna(code):
        return f"There are too few quarters ({int(summary_row['points'])}) to work out process limits, so variation is not assessed."
    unit, decimals = summary_row["unit"], int(summary_row["decimals"]) + (1 if summary_row["unit"] != "GBP" else 0)
    limits = (f"the process limits of {value_text(summary_row['lower_process_limit'], unit, decimals)} to "
              f"{value_text(summary_row['upper_process_limit'], unit, decimals)}")  # fmt: skip
    if code == "common_cause":
        sentence = (f"The latest value is common cause variation: it lies within {limits}, worked out from "
                    f"{int(summary_row['baseline_points'])} quarters, and is part of no special-cause pattern, so it is not a significant change.")  # fmt: skip
    else:
        nature = {"improvement": "of an improving nature", "concern": "of a concerning nature"}.get(code.split("_")[0], "")
        reasons = rule_reasons(summary_row, store)
        sentence = f"The latest value is special-cause variation {nature}".replace("  ", " ").strip() + (f": it is {reasons}." if reasons else ".")
    assurance = summary_row["assurance_icon"]
    if assurance == "consistently_passing":
        sentence += f" The target lies outside {limits} on the failing side, so the process can be relied on to meet it."
    elif assurance == "consistently_failing":
        sentence += f" The target lies outside {limits} on the passing side, so the process will not meet it without a change."
    elif assurance == "hit_and_miss":
        sentence += " The target lies between the process limits, so the process will meet it in some quarters and miss it in others."
    return sentence


def rule_reasons(summary_row, store: Store) -> str:
    """The rules the latest point breaks on the side its icon shows, in words."""
    used = rules(store)
    code = str(summary_row["variation_icon"])
    side = ("above", "upper", "_up") if code.endswith("_high") else ("below", "lower", "_down")
    flags = [f.strip() for f in str(summary_row["latest_rules"] or "").split(",") if f.strip()]
    words = [RULE_WORDS[f].format(shift=used.shift, trend=used.trend) for f in flags if any(s in f for s in side)]
    return " and ".join(words)


def kpi_sentence(store: Store, quarter: str, kpi_id: str) -> str:
    """A KPI's quarter in plain words: its value against the target, how long it has had its
    score, the trends, and what the control chart says. E.g. "PI 2257, value of savings ..., was
    £6,000 in 2022-23 Q2 against a target of £150,000: below target, after being in tolerance in
    2022-23 Q1. It was worse than both ... The latest value is common cause variation ..."."""
    card = scorecard(store, quarter).set_index("kpi_id")
    row = card.loc[kpi_id].copy()
    row["kpi_id"] = kpi_id
    unit, decimals = row["unit"], row["decimals"]
    if row["score"] == "missing":
        first = f"{kpi_label(row)} was not reported for {quarter}."
    else:
        first = (f"{kpi_label(row)} was {value_text(row['value'], unit, decimals)} in {quarter} against a target of "
                 f"{value_text(row['target'], unit, decimals)}: {score_run_words(row)}.")  # fmt: skip
    sentence = f"{first} {trend_words(row)}"
    summary = xmr_summary(store, quarter)
    if kpi_id in summary.index:
        spc = summary.loc[kpi_id].copy()
        spc["unit"], spc["decimals"] = unit, decimals
        sentence += " " + variation_words(spc, store)
    return sentence


# --------------------------------------------------------------------------------------------
# The services page
# --------------------------------------------------------------------------------------------
def intro(store: Store, quarter: str) -> charts.Html:
    """Which quarter the page shows and where its figures come from."""
    card = scorecard(store, quarter)
    real = int(card["value_source"].fillna("").ne(SYNTHETIC).mul(card["value"].notna()).sum())
    history = store.table("kpi_history")
    shown = history.loc[history["time"] <= history.loc[history["quarter"] == quarter, "time"].max()]
    synthetic = int((~shown["real"].astype(bool)).sum())
    return charts.Html(
        f"<p>This page shows <strong>{html_text(quarter)}</strong> (financial-year quarters: Q1 is April to June). "
        f"{real} of the {len(card)} values for the quarter are the council's published figures. The control charts use every "
        f"quarter up to this one; {synthetic} of their {len(shown)} values are <strong>synthetic demonstration history</strong>, "
        f"marked {SYNTHETIC_MARK} in the tables, not the council's figures.</p>"
    )


def findings(store: Store, quarter: str) -> charts.Html:
    """What stands out, as a list of sentences: the counts, every KPI below target or in
    tolerance, special-cause variation in the latest quarter, and the actions."""
    summary = store.table("kpi_summary")
    total = summary.loc[(summary["quarter"] == quarter) & (summary["directorate"] == "All directorates")].iloc[0]
    previous, year_ago = previous_quarter(quarter), same_quarter_last_year(quarter)
    this_quarter, previous, year_ago = html_text(quarter), html_text(previous), html_text(year_ago)  # the items are HTML
    items = [
        f"{total['kpis_reported']} of the {total['kpis_due']} KPIs due were reported for {this_quarter}: {total['score_on_target']} on target, "
        f"{total['score_tolerance']} in tolerance and {total['score_below_target']} below target"
        + (f"; {total['kpis_missing']} had no data." if total["kpis_missing"] else "."),
        f"Compared with the previous quarter ({previous}), {total['short_term_improving']} improved, {total['short_term_consistent']} stayed the "
        f"same and {total['short_term_worsening']} worsened; compared with the same quarter a year earlier ({year_ago}), "
        f"{total['annual_improving']} improved, {total['annual_consistent']} stayed the same and {total['annual_worsening']} worsened"
        + (f" ({total['annual_not_compared']} could not be compared)." if total["annual_not_compared"] else "."),
    ]
    card = scorecard(store, quarter)
    for row in card.loc[card["score"].isin(["below target", "tolerance"])].itertuples():
        link = f" {exception_link(row.kpi_id)}." if row.score == "below target" else ""
        items.append(html_text(kpi_sentence(store, quarter, row.kpi_id)) + link)
    spc = xmr_summary(store, quarter)
    for kind, words in (("improvement", "special-cause variation of an improving nature"), ("concern", "special-cause variation of a concerning nature")):
        ids = [k for k in card["kpi_id"] if k in spc.index and str(spc.loc[k, "variation_icon"]).startswith(kind)]
        if ids:
            items.append(f"In the latest quarter {_listing([html_text(k) for k in ids])} {'shows' if len(ids) == 1 else 'show'} {words} (see the control charts below).")
    failing = [k for k in card["kpi_id"] if k in spc.index and spc.loc[k, "assurance_icon"] == "consistently_failing"]
    if failing:
        items.append(f"{_listing([html_text(k) for k in failing])}: the target lies beyond the process limits on the passing side, so on past performance the "
                     f"target will not be met reliably without a change to the process.")  # fmt: skip
    if total["actions_due"]:
        items.append(
            f"{total['actions_due']} directorate plan actions were due an update: {total['actions_complete']} complete, {total['actions_ahead']} ahead, "
            f"{total['actions_on_target']} on target and {total['actions_behind']} behind"
            + (f"; {total['actions_not_updated']} not updated." if total["actions_not_updated"] else ".")
        )
    return charts.Html('<ul class="jsna-findings">' + "".join(f"<li>{item}</li>" for item in items) + "</ul>")


def _listing(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def summary_table(store: Store, quarter: str) -> charts.Html:
    """The dashboard: KPIs due, reported and missing; scores; short-term and annual trends;
    action statuses; one column per directorate and one for all."""
    summary = store.table("kpi_summary")
    rows = summary.loc[summary["quarter"] == quarter].set_index("directorate")
    columns = list(rows.index)

    def line(label: str, column: str) -> list[str]:
        return [label, *(str(int(rows.loc[c, column])) for c in columns)]

    def symbol(symbol_: str, words: str) -> str:
        return f'<span aria-hidden="true">{symbol_}</span> {html_text(words)}'

    body: list = ["KPIs", line("Due to be reported", "kpis_due"), line("Reported", "kpis_reported"), line("Missing data", "kpis_missing"), "Score"]
    body += [line(symbol(SCORE_SYMBOLS[s], SCORE_WORDS[s]), f"score_{s.replace(' ', '_')}") for s in SCORES]
    for prefix, heading in (("short_term", f"Short-term trend: {quarter} compared with {previous_quarter(quarter)}"),
                            ("annual", f"Annual trend: {quarter} compared with {same_quarter_last_year(quarter)}")):  # fmt: skip
        body.append(heading)
        body += [line(symbol(TREND_SYMBOLS[t], TREND_WORDS[t]), f"{prefix}_{t.replace(' ', '_')}") for t in TRENDS]
    body += ["Directorate plan actions", line("Due to be updated", "actions_due"), line("Updated", "actions_updated"), line("Not updated", "actions_not_updated")]
    body += [line(symbol(ACTION_SYMBOLS[s], ACTION_WORDS[s]), f"actions_{s.replace(' ', '_')}") for s in ACTION_STATUSES if s != "not updated"]
    head = ["", *(html_text(c) for c in columns)]
    out = html_table(head, body, caption=f"Performance dashboard, {quarter}: number of KPIs and actions", notes=[])
    download = rows.reset_index().drop(columns=["quarter"])
    return charts.Html(f'<div class="jsna-kpi-table jsna-dashboard">{out}<p>{charts.csv_link(download, f"kpi-dashboard-{quarter}")}</p></div>')


SCORECARD_KEY = ("Score: ★ on target, ▲ within tolerance of the target, ▼ below target, ○ missing. Trends compare performance, judged by "
                 "which way is good for each KPI: ↑ improving, → consistent, ↓ worsening. Each KPI links to its control chart below.")


def scorecard_tables(store: Store, quarter: str) -> list[charts.Html]:
    """One scorecard per council priority, as the report lays it out: the same quarter last year,
    the previous quarter, this quarter, the target, the score, the two trends and the benchmark.

    Each KPI is a group of two rows, so that the table fits the text column: its name and
    benchmark across the table, then its figures under the column headings. KPIs below target
    link to their exception report; every KPI links to its control chart."""
    card = scorecard(store, quarter)
    real = real_values(store)
    previous, year_ago = previous_quarter(quarter), same_quarter_last_year(quarter)
    head = ["KPI", f"{html_text(year_ago)}<br>a year earlier", f"{html_text(previous)}<br>previous quarter", f"{html_text(quarter)}<br>this quarter", "Target", "Score",
            "Short-term trend", "Annual trend"]  # fmt: skip
    tables = []
    for priority, rows in card.groupby("council_priority", sort=False):
        groups, synthetic = [], False
        for row in rows.itertuples():
            cells = []
            for period, value in ((row.last_year_period, row.last_year_value), (row.previous_period, row.previous_value), (row.period, row.value)):
                text = value_text(value, row.unit, row.decimals)
                if pd.notna(value) and not real.get((row.kpi_id, period), True):
                    text += f" {SYNTHETIC_MARK}"
                    synthetic = True
                cells.append(text)
            score = score_badge(row.score) + (f"<br>{exception_link(row.kpi_id)}" if row.score == "below target" else "")
            benchmark = html_text(row.benchmark) if isinstance(row.benchmark, str) and row.benchmark else "none given"
            title = (f'<th scope="rowgroup" colspan="{len(head)}"><strong>{html_text(row.kpi_id)}</strong> {html_text(row.kpi_name)}'
                     f'<span class="jsna-benchmark">Benchmark: {benchmark}</span></th>')  # fmt: skip
            figures = [*cells, value_text(row.target, row.unit, row.decimals), score, trend_badge(row.short_term_trend), trend_badge(row.annual_trend)]
            link = f'<th scope="row"><a href="#{chart_anchor(row.kpi_id)}" title="Control chart of {html_attr(row.kpi_id)}">{html_text(row.kpi_id)}</a></th>'
            groups.append(f'<tbody><tr class="jsna-kpi-name">{title}</tr><tr>{link}{"".join(f"<td>{c}</td>" for c in figures)}</tr></tbody>')
        notes = [SCORECARD_KEY]
        if synthetic:
            notes.append(SYNTHETIC_NOTE)
        heads = "".join(f'<th scope="col">{cell}</th>' for cell in head)
        foot = "".join(f'<p class="jsna-note">{html_text(note)}</p>' for note in notes)
        out = (f'<table class="jsna-data jsna-spine jsna-wrap jsna-scorecard-table"><caption>{html_text(f"{priority}: KPI scorecard, {quarter}")}'
               f'</caption><thead><tr>{heads}</tr></thead>{"".join(groups)}</table>{foot}')  # fmt: skip
        download = rows[["kpi_id", "kpi_name", "directorate", "council_priority", "unit", "polarity", "last_year_period", "last_year_value",
                         "previous_period", "previous_value", "period", "value", "target", "tolerance_limit", "score", "short_term_trend",
                         "annual_trend", "benchmark", "value_source"]]  # fmt: skip
        slug = anchor(priority)
        tables.append(charts.Html(f'<div class="jsna-kpi-table jsna-scorecard">{out}<p>{charts.csv_link(download, f"kpi-scorecard-{slug}-{quarter}")}</p></div>'))
    return tables


def exception_links(store: Store, quarter: str) -> charts.Html:
    """For the services page: each KPI below target, linked to its exception report."""
    rows = exception_rows(store, quarter)
    if rows.empty:
        return charts.Html(f"<p>No KPI was below target in {html_text(quarter)}, so there is no exception report this quarter.</p>")
    items = []
    for row in rows.itertuples():
        value = value_text(row.value, row.unit, row.decimals)
        target = value_text(row.target, row.unit, row.decimals)
        items.append(f"<li>{exception_link(row.kpi_id, f'{row.kpi_id} {row.kpi_name}')}: {score_badge(row.score)}, {value} against a target of {target}</li>")
    return charts.Html(f'<ul class="jsna-exception-list">{"".join(items)}</ul>')


def actions_table(store: Store, quarter: str) -> charts.Html:
    """Every directorate plan action due an update this quarter: its status in words and a shape,
    and its progress narrative (folded away)."""
    actions = store.table("kpi_actions")
    rows = actions.loc[actions["period"] == quarter]
    if rows.empty:
        return charts.Html(f"<p>No directorate plan actions were reported for {html_text(quarter)}.</p>")
    body, synthetic = [], False
    order = list(dict.fromkeys(store.table("kpi_definitions")["directorate"]))
    rows = rows.assign(_d=rows["directorate"].map({d: i for i, d in enumerate(order)})).sort_values("_d", kind="stable").drop(columns="_d")
    for directorate, group in rows.groupby("directorate", sort=False):
        body.append(f"{directorate}: {len(group)} actions")
        for row in group.itertuples():
            mark = ""
            if row.source.startswith("synthetic"):
                mark, synthetic = f" {SYNTHETIC_MARK}", True
            progress = (f'<details class="jsna-progress"><summary>Progress<span class="visually-hidden"> on {html_text(row.reference)}</span>'
                        f"</summary>{html_text(row.progress)}</details>"
                        if isinstance(row.progress, str) and row.progress else "")  # fmt: skip
            body.append([html_text(row.reference) + mark, f"{html_text(row.title)}{progress}", action_badge(row.status)])
    notes = ["Status: ✓ complete, » ahead, ● on target, ! behind, ? not updated."] + ([SYNTHETIC_NOTE.replace("value", "action")] if synthetic else [])
    out = html_table(["Reference", "Action", "Status"], body, caption=f"Directorate plan actions, {quarter}", notes=notes, wrap=True)
    download = rows[["reference", "title", "directorate", "period", "status", "progress", "source"]]
    return charts.Html(f'<div class="jsna-kpi-table jsna-actions">{out}<p>{charts.csv_link(download, f"directorate-actions-{quarter}")}</p></div>')


# --------------------------------------------------------------------------------------------
# Making Data Count
# --------------------------------------------------------------------------------------------
def spc_method(store: Store) -> charts.Html:
    """How the control charts are drawn and read: the rules in force and the icons."""
    used = rules(store)
    tests = []
    if used.outside_limits:
        tests.append("a single point outside the process limits")
    if used.shift:
        tests.append(f"a run of {used.shift} or more points all above, or all below, the mean")
    if used.trend:
        tests.append(f"a run of {used.trend} or more points each higher, or each lower, than the one before")
    if used.two_of_three:
        tests.append("two out of three points running beyond the same two-sigma line (two thirds of the way to a process limit)")
    listed = "".join(f"<li>{html_text(t)}</li>" for t in tests) or "<li>none: every special-cause rule is turned off</li>"
    def key(code: str, badges: dict, words: dict) -> str:
        text, letter, kind = badges[code]
        return f'<li>{icon_svg(letter, kind)} <span><strong>{html_text(text)}</strong>: {html_text(words[code].split(": ", 1)[-1])}.</span></li>'

    variation = "".join(key(code, VARIATION_BADGES, VARIATION_ICONS) for code in VARIATION_BADGES if not code.startswith("neither"))
    assurance = "".join(key(code, ASSURANCE_BADGES, ASSURANCE_ICONS) for code in ASSURANCE_BADGES)
    return charts.Html(
        "<p>Each chart is an XmR chart as NHS England's <em>Making Data Count</em> draws it: the values in time order, their mean, "
        "and process limits at the mean plus or minus 2.66 times the average change from one quarter to the next (three sigma). "
        f"Limits are worked out from every quarter up to the one shown, when there are at least {used.minimum_points}. "
        "A point is <strong>special-cause variation</strong> (a signal, not noise) when it is part of:</p>"
        f'<ul class="jsna-spc-rules">{listed}</ul>'
        "<p>The icons judge the latest quarter. Variation:</p>"
        f'<ul class="jsna-spc-key">{variation}</ul><p>Assurance, whether the process can be relied on to meet the target:</p>'
        f'<ul class="jsna-spc-key">{assurance}</ul>'
    )


def spc_summary_table(store: Store, quarter: str) -> charts.Html:
    """Every KPI's latest value, mean, process limits and the two icons, in one table."""
    card = scorecard(store, quarter).set_index("kpi_id")
    summary = xmr_summary(store, quarter)
    body = []
    for kpi_id in card.index:
        row = card.loc[kpi_id]
        unit, digits = row["unit"], int(row["decimals"]) + (0 if row["unit"] == "GBP" else 1)
        name = f'<a href="#{chart_anchor(kpi_id)}"><strong>{html_text(kpi_id)}</strong></a>'
        if kpi_id not in summary.index:
            body.append([name, MISSING, MISSING, MISSING, variation_badge(None), assurance_badge(None)])
            continue
        spc = summary.loc[kpi_id]
        latest = value_text(spc["value"], unit, row["decimals"]) + ("" if spc["period"] == row["period"] else f" ({html_text(spc['period'])})")
        limits = (f"{value_text(spc['lower_process_limit'], unit, digits)} to {value_text(spc['upper_process_limit'], unit, digits)}"
                  if pd.notna(spc["mean"]) else MISSING)  # fmt: skip
        body.append([name, latest, value_text(spc["mean"], unit, digits), limits, variation_badge(spc["variation_icon"]), assurance_badge(spc["assurance_icon"])])
    out = html_table(["KPI", "Latest value", "Mean", "Process limits", "Variation", "Assurance"], body,
                     caption=f"Making Data Count summary, {quarter}", notes=[], wrap=True)  # fmt: skip
    download = summary.reset_index()[["kpi_id", "period", "value", "points", "mean", "lower_process_limit", "upper_process_limit", "target",
                                      "variation_icon", "variation", "assurance_icon", "assurance", "description"]]  # fmt: skip
    return charts.Html(f'<div class="jsna-kpi-table jsna-spc-summary">{out}<p>{charts.csv_link(download, f"kpi-control-chart-summary-{quarter}")}</p></div>')


def point_category(points: pd.DataFrame) -> pd.Series:
    """Each point's variation in the words of the chart's legend."""
    words = points["special_cause"].map({"improvement": "Special cause: improvement", "concern": "Special cause: concern",
                                         "neither": "Special cause: neither"}).fillna("Common cause")  # fmt: skip
    return words.where(points["mean"].notna(), "Not assessed (too few points)")


def point_rules(points: pd.DataFrame, store: Store) -> pd.Series:
    """The rules each point breaks, in words ("" for none)."""
    used = rules(store)
    flags = [column for column in RULE_WORDS if column in points]
    return points[flags].apply(
        lambda row: "; ".join(RULE_WORDS[c].format(shift=used.shift, trend=used.trend) for c in flags if bool(row[c])), axis=1
    ).astype(str) if len(points) else pd.Series(dtype=str)


def xmr_title(kpi_id: str, spc) -> str:
    """The finding, for the chart's title."""
    code = spc["variation_icon"]
    period = spc["period"]
    if code is None or pd.isna(code):
        return f"{kpi_id}: too few quarters ({int(spc['points'])}) to work out process limits"
    if code == "common_cause":
        return f"{kpi_id} shows common cause variation in {period}: no significant change"
    direction = "higher" if code.endswith("_high") else "lower"
    nature = {"improvement": ": an improvement", "concern": ": a concern"}.get(code.split("_")[0], "")
    return f"{kpi_id} is significantly {direction} in {period}{nature}"


#: Vega expressions for the y-axis labels of a unit: pounds, per cent.
AXIS_LABELS = {"GBP": "(datum.value < 0 ? '−£' : '£') + format(abs(datum.value), '~s')", "%": "format(datum.value, '~g') + '%'"}


def axis_periods(order: list[str]) -> list[str]:
    """The periods labelled on a long time axis: each Q1, and the latest when it is not crowded."""
    labelled = [p for p in order if p.endswith("Q1")] or order[::4]
    if order.index(order[-1]) - order.index(labelled[-1]) >= 3:
        labelled.append(order[-1])
    return labelled


def xmr_figure(store: Store, kpi_id: str, quarter: str) -> charts.Figure:
    """A KPI's XmR chart as at ``quarter``: values, mean, process limits, target, special-cause
    points marked by shape and colour; the title says what the latest point shows."""
    points = xmr_points(store, quarter, kpi_id)
    if points.empty:
        raise KeyError(f"the store has no values of {kpi_id!r} up to {quarter}")
    spc = xmr_summary(store, quarter).loc[kpi_id]
    definition = store.table("kpi_definitions").set_index("kpi_id").loc[kpi_id]
    unit, decimals = definition["unit"], int(definition["decimals"])
    digits = decimals + (0 if unit == "GBP" else 1)
    target = float(definition["target"])
    data = points.assign(target=target, point=point_category(points), rules=point_rules(points, store))
    order = data["period"].tolist()
    labelled = order if len(order) <= 12 else axis_periods(order)
    title = xmr_title(kpi_id, spc)
    first, last, n = order[0], order[-1], len(order)
    if pd.notna(spc["mean"]):
        assurance = f" Assurance: {ASSURANCE_BADGES[spc['assurance_icon']][0].lower()}." if pd.notna(spc["assurance_icon"]) else ""
        subtitle = (f"Mean {value_text(spc['mean'], unit, digits)}; process limits {value_text(spc['lower_process_limit'], unit, digits)} to "
                    f"{value_text(spc['upper_process_limit'], unit, digits)}; target {value_text(target, unit, decimals)}.{assurance}")  # fmt: skip
    else:
        subtitle = f"Target {value_text(target, unit, decimals)}. Process limits need at least {rules(store).minimum_points} quarters."
    subtitle += f" {n} quarters, {first} to {last}."
    axis_label = AXIS_LABELS.get(unit)
    chart = charts.xmr_chart(
        data[["period", "value", "mean", "lower_process_limit", "upper_process_limit", "target", "point", "rules"]],
        title=title, subtitle=subtitle, unit=UNIT_TITLES.get(unit, unit), order=order, labelled=labelled,
        value_format=f",.{decimals}f", axis_label=axis_label,
    )  # fmt: skip
    special = data.loc[data["point"].str.startswith("Special")]
    if special.empty:
        specials = "No point is special-cause variation."
    else:
        groups = [f"{words.split(': ')[1]} in {_listing(rows['period'].tolist())}" for words, rows in special.groupby("point", sort=False)]
        specials = f"{len(special)} of the {n} points are special-cause variation: {'; '.join(groups)}."
    alt_text = (
        f"XmR control chart of {kpi_id}, {definition['kpi_name']}: {n} quarterly values from {first} to {last}, each a point joined by a line, "
        + (f"with the mean ({value_text(spc['mean'], unit, digits)}) as a solid line, the process limits ({value_text(spc['lower_process_limit'], unit, digits)} "
           f"and {value_text(spc['upper_process_limit'], unit, digits)}) as dashed lines " if pd.notna(spc["mean"]) else "with ")
        + f"and the target ({value_text(target, unit, decimals)}) as a dotted line. {specials} {title}. {subtitle}"
    )  # fmt: skip
    table_ = pd.DataFrame({
        "Quarter": data["period"], "Value": data["value"], "Mean": data["mean"].round(digits),
        "Lower process limit": data["lower_process_limit"].round(digits), "Upper process limit": data["upper_process_limit"].round(digits),
        "Variation": data["point"], "Special-cause rules": data["rules"],
        "Source": data["real"].map({True: "Council report", False: "Synthetic"}),
    })  # fmt: skip
    synthetic = int((~data["real"].astype(bool)).sum())
    note = ""
    if synthetic:
        real = data.loc[data["real"].astype(bool), "period"].tolist()
        note = (f"{synthetic} of the {n} values are synthetic demonstration history" +
                (f"; the values for {_listing(real)} are the council's published figures." if real else "."))  # fmt: skip
    return charts.show(chart, alt_text=alt_text, table=table_, name=f"control-chart-{anchor(kpi_id)}-{quarter.replace(' ', '-')}", note=note)


def spc_sections(store: Store, quarter: str) -> list[list]:
    """For every KPI: a heading (the anchor the scorecards link to), its two icons, a sentence
    on what the chart shows, and the XmR chart."""
    card = scorecard(store, quarter)
    summary = xmr_summary(store, quarter)
    sections = []
    for row in card.itertuples():
        heading = charts.Html(f'<h3 class="jsna-indicator" id="{chart_anchor(row.kpi_id)}">{html_text(row.kpi_id)} {html_text(row.kpi_name)}</h3>')
        if row.kpi_id not in summary.index:
            sections.append([heading, charts.Html(f"<p>{html_text(row.kpi_id)} has no values up to {html_text(quarter)}.</p>")])
            continue
        spc = summary.loc[row.kpi_id].copy()
        spc["unit"], spc["decimals"] = row.unit, row.decimals
        icons = charts.Html(f'<p class="jsna-spc-icons">Variation: {variation_badge(spc["variation_icon"])} Assurance: {assurance_badge(spc["assurance_icon"])}</p>'
                            f"<p>{html_text(variation_words(spc, store))}</p>")  # fmt: skip
        sections.append([heading, icons, xmr_figure(store, row.kpi_id, quarter)])
    return sections


# --------------------------------------------------------------------------------------------
# The exception report
# --------------------------------------------------------------------------------------------
def exception_intro(store: Store, quarter: str) -> charts.Html:
    rows = exception_rows(store, quarter)
    if rows.empty:
        return charts.Html(f"<p>No KPI was below target in {html_text(quarter)}.</p>")
    listed = _listing([f'<a href="#{anchor(k)}">{html_text(k)}</a>' for k in rows["kpi_id"]])
    return charts.Html(
        f"<p>{len(rows)} KPI{' was' if len(rows) == 1 else 's were'} below target in <strong>{html_text(quarter)}</strong>: {listed}. "
        f'The <a href="{SERVICES_PAGE}">services and performance</a> page has every scorecard and control chart.</p>'
    )


def history_table(store: Store, kpi_id: str, quarter: str) -> charts.Html:
    """The KPI's last quarters up to ``quarter``: value, target and score (the report's table)."""
    history = store.table("kpi_history")
    end = history.loc[history["quarter"] == quarter, "time"].max()
    rows = history.loc[(history["kpi_id"] == kpi_id) & (history["time"] <= end)].tail(EXCEPTION_HISTORY)
    body, synthetic = [], False
    for row in rows.itertuples():
        value = value_text(row.value, row.unit, row.decimals)
        if not row.real:
            value, synthetic = value + f" {SYNTHETIC_MARK}", True
        body.append([html_text(row.period), value, value_text(row.target, row.unit, row.decimals), score_badge(row.score)])
    notes = [SYNTHETIC_NOTE] if synthetic else []
    out = html_table(["Quarter", "Value", "Target", "Score"], body, caption=f"{kpi_id}: the last {len(rows)} quarters to {quarter}", notes=notes)
    download = rows[["kpi_id", "period", "value", "target", "score", "source"]]
    return charts.Html(f'<div class="jsna-kpi-table jsna-history">{out}<p>{charts.csv_link(download, f"{anchor(kpi_id)}-history-{quarter}")}</p></div>')


NARRATIVES = (
    ("performance", "Performance: what is the data telling us?"),
    ("impact", "Impact: what are the issues and risks for service delivery?"),
    ("assurance", "Assurance: evidence that actions are in place and having an impact"),
)


def narrative(row) -> charts.Html:
    """The exception report's three narratives, with where they come from."""
    if not row["has_narrative"]:
        return charts.Html(f'<p class="jsna-note">No exception report narrative was submitted for {html_text(row["kpi_id"])} in {html_text(row["quarter"])}.</p>')
    parts = [f'<h3 class="jsna-narrative">{html_text(heading)}</h3><p>{html_text(str(row[field]))}</p>' for field, heading in NARRATIVES]
    source = f'<p class="jsna-note">Source: {html_text(str(row["narrative_source"]))}.</p>'
    return charts.Html('<div class="jsna-exception-narrative">' + "".join(parts) + source + "</div>")


def exception_sections(store: Store, quarter: str) -> list[list]:
    """For every KPI below target: a heading with a stable anchor, the finding in words, the
    history table, the control chart and the narratives."""
    sections = []
    for _, row in exception_rows(store, quarter).iterrows():
        kpi_id = row["kpi_id"]
        heading = charts.Html(f'<h2 class="jsna-exception" id="{anchor(kpi_id)}">{html_text(kpi_id)} {html_text(row["kpi_name"])}</h2>')
        summary = charts.Html(
            f'<p class="jsna-spc-icons">{score_badge(row["score"])} {trend_badge(row["short_term_trend"])} (short term) '
            f'{trend_badge(row["annual_trend"])} (annual)</p><p>{html_text(kpi_sentence(store, quarter, kpi_id))}</p>'
        )
        sections.append([heading, summary, history_table(store, kpi_id, quarter), narrative(row), xmr_figure(store, kpi_id, quarter)])
    return sections


def earlier_exceptions(store: Store, quarter: str) -> charts.Html:
    """Every KPI's earlier quarters below target: how many, the latest, and any narrative."""
    rows = store.table("kpi_exceptions")
    rows = rows.loc[rows["quarter"].map(quarter_index) < quarter_index(quarter)]
    if rows.empty:
        return charts.Html(f"<p>No KPI was below target before {html_text(quarter)}.</p>")
    real = real_values(store)
    body = []
    order = list(store.table("kpi_definitions")["kpi_id"])
    for kpi_id in [k for k in order if k in set(rows["kpi_id"])]:
        own = rows.loc[rows["kpi_id"] == kpi_id]
        synthetic = sum(not real.get((k, p), True) for k, p in zip(own["kpi_id"], own["period"], strict=True))
        reports = []
        for r in own.loc[own["has_narrative"].astype(bool)].itertuples():
            text = " ".join(html_text(str(getattr(r, field))) for field, _ in NARRATIVES)
            reports.append(f'<details class="jsna-progress" id="{anchor(kpi_id)}-{anchor(r.quarter)}"><summary>{html_text(r.quarter)}: '
                           f"{value_text(r.value, r.unit, r.decimals)}</summary>{text} <em>({html_text(r.narrative_source)})</em></details>")  # fmt: skip
        body.append([f"<strong>{html_text(kpi_id)}</strong> {html_text(own['kpi_name'].iloc[0])}", str(len(own)) + (f", {'all' if synthetic == len(own) else synthetic} synthetic {SYNTHETIC_MARK}" if synthetic else ""),
                     html_text(own["quarter"].iloc[-1]), "".join(reports) or "None submitted"])  # fmt: skip
    notes = [SYNTHETIC_NOTE.replace("value", "quarter")] if any(SYNTHETIC_MARK in row[1] for row in body) else []
    out = html_table(["KPI", "Quarters below target", "Latest", "Exception reports"], body, caption=f"Earlier quarters below target, before {quarter}",
                     notes=notes, wrap=True)  # fmt: skip
    download = rows[["quarter", "kpi_id", "kpi_name", "value", "target", "score", "has_narrative", "performance", "impact", "assurance", "narrative_source"]]
    return charts.Html(f'<div class="jsna-kpi-table jsna-earlier">{out}<p>{charts.csv_link(download, f"kpi-exceptions-before-{quarter}")}</p></div>')
