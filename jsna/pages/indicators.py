"""What the indicator chapters and profiles show: selections from the store turned into figures,
tables and sentences.

Notebooks call these named functions and display the result; no statistic is computed here or
in a notebook. Every function takes the :class:`~jsna.store.Store` and a place code.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from jsna.pages import charts, maps, text
from jsna.pages.escape import html_attr, html_text, markdown_text
from jsna.pages.html import (
    MISSING,
    SUPPRESSED,
    badge,
    decimals,
    definition_link,
    footnotes,
    html_table,
    interval,
    label,
    published_table,
    shown,
    suppressed,
    trend_cell,
    window,
    with_interval,
)
from jsna.store import Store

ENGLAND_NAME = "England"


def _parent_or_england(store: Store, code: str) -> tuple[str, str | None]:
    """The comparator a place is drawn against: its parent (the borough, a township), or England
    for the authority."""
    place = store.place(code)
    if store.is_authority(code):
        return ENGLAND_NAME, None
    return store.name(place["parent_code"]), place["parent_code"]


# --------------------------------------------------------------------------------------------
# The comparison story: one set of comparators per page, stated once at its top
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparator:
    """A benchmark a page compares with: its name and the store columns holding its value and
    the comparison with it."""

    name: str
    value: str
    compared: str

    def label(self, row: pd.Series | None) -> str:
        """The comparison with this benchmark ("Better", "Similar", "Worse", "Higher", "Lower",
        "Not compared")."""
        return "Not compared" if row is None else charts.comparison_key(row[self.compared])

    def reason(self, row: pd.Series | None) -> str:
        """Why ``row`` could not be compared with it (:func:`jsna.pages.text.not_compared_reason`),
        "" when it was."""
        if row is not None and self.label(row) != "Not compared":
            return ""
        return text.not_compared_reason(row, self.value) or "no_interval"


ENGLAND = Comparator(ENGLAND_NAME, "england_value", "compared_to_england")


@dataclass(frozen=True)
class Story:
    """The comparisons of one page: the place's own figures against ``comparators`` (in this
    order, each at the period :meth:`jsna.store.Store.latest` gives), and the areas within it
    (a chapter's townships or wards) against ``areas_against``."""

    name: str
    comparators: tuple[Comparator, ...]
    areas_against: Comparator

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.comparators]

    def words(self) -> str:
        """"Stourbridge township and England"."""
        return text.listing(self.names)

    def comparisons(self, row: pd.Series) -> list[tuple[str, float, str]]:
        """(name, value, label) of each comparator, for :func:`jsna.pages.text.story_sentence`."""
        return [(c.name, row[c.value], c.label(row)) for c in self.comparators]


def profile_story(store: Store, code: str) -> Story:
    """A place's profile compares it with the area it lies in (a ward with its township, a
    township or a network with the authority, the authority with its region) and with England."""
    parent = store.parent(code)
    if parent is None:
        return Story(store.name(code), (ENGLAND,), ENGLAND)
    own = Comparator(store.name(parent), "parent_value", "compared_to_parent")
    return Story(store.name(code), (own, ENGLAND), own)


def chapter_story(store: Store, code: str) -> Story:
    """A chapter compares the authority, and the areas within it, with England; any other place
    (a township) with the authority and England, and the areas within it (its wards, whose
    figures pool years England does not publish) with the authority."""
    authority = Comparator(store.name(store.authority(code)), "authority_value", "compared_to_authority")
    if store.is_authority(code):
        # Areas whose figures pool years (an authority with wards and no localities) cannot be
        # compared with England, which publishes single years: they are compared with the authority.
        _, child_type = store.children(code)
        return Story(store.name(code), (ENGLAND,), authority if store.pooled(child_type) else ENGLAND)
    return Story(store.name(code), (authority, ENGLAND), authority)


def place_comparator(store: Store, code: str, codes: list[str]) -> Comparator:
    """The place itself as the benchmark of the areas ``codes`` within it (the inequalities
    chapter compares wards and networks with the place they make up)."""
    if all(store.parent(c) == code for c in codes):
        return Comparator(store.name(code), "parent_value", "compared_to_parent")
    if store.is_authority(code):
        return Comparator(store.name(code), "authority_value", "compared_to_authority")
    raise KeyError(f"the areas are not within {code!r}: no column compares them with it")


def story_intro(store: Store, code: str, *, chapter: bool) -> str:
    """The page's comparison story in one Markdown paragraph, for its top (names escaped)."""
    return markdown_text(" ".join(story_lines(store, code, chapter=chapter)))


def story_lines(store: Store, code: str, *, chapter: bool, what: str = "page") -> list[str]:
    """The sentences of the page's comparison story (text): what it (``what``: a page, a brief)
    compares the place with, which period each indicator is shown for, and what "Not compared"
    means."""
    story = chapter_story(store, code) if chapter else profile_story(store, code)
    name = store.name(code)
    lines = [f"This {what} compares {name} with {' and with '.join(story.names)}."]
    children, child_type = store.children(code)
    if chapter and children:
        plural = store.words(child_type)[1]
        lines.append(f"The {plural} within it are compared with {story.areas_against.name}"
                     + (", because their figures pool years for which England publishes no value." if story.areas_against != ENGLAND and store.pooled(child_type) else "."))
    lines.append("Each indicator is shown for the latest period England publishes a value for (or its latest period when England "
                 "has none), and the same period is used in the findings, the tables and the charts; the period is given beside every value.")
    lines.append('"Not compared" means there is no benchmark value for that period, no confidence interval, or that higher is '
                 "neither better nor worse: it is never counted as similar or as not worse.")
    return lines


# --------------------------------------------------------------------------------------------
# Headlines
# --------------------------------------------------------------------------------------------
def headline(store: Store, code: str) -> str:
    """Markdown bullets: how many people, how old, how deprived, how long they live (each
    sentence escaped as Markdown text: names come from the data)."""
    return "\n".join(f"- {markdown_text(line)}" for line in headline_lines(store, code))


def headline_lines(store: Store, code: str) -> list[str]:
    """The sentences of :func:`headline` (text)."""
    name = store.name(code)
    lines = []
    population = store.latest("population", code)
    if population is not None:
        lines.append(f"{text.number(population['value'], 'people')} people lived in {name} in {population['period']}.")
    for indicator_id, words in (
        ("aged_under_15", "were aged under 15"),
        ("aged_65_plus", "were aged 65 and over"),
        ("most_deprived_20pc", "lived in the 20% most deprived neighbourhoods of England"),
    ):
        row = store.latest(indicator_id, code)
        if row is not None:
            lines.append(text.share_sentence(words, row["value"], name, row["period"]))
    for sex in ("Male", "Female"):
        row = store.latest("life_expectancy_birth", code, sex=sex, years=1)
        if row is not None:
            lines.append(text.finding(row, name))
    return lines


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------
def pyramid_figure(store: Store, code: str) -> charts.Figure:
    """The place's age-sex structure (latest year) against England's (Census 2021)."""
    structure = store.table("age_structure")
    england = store.table("england_age_structure")
    return pyramid_against(store, code, structure, england, comparator_name=ENGLAND_NAME, comparator_label="England 2021", comparator_year="Census 2021")


def pyramid_against(
    store: Store, code: str, structure: pd.DataFrame, comparator: pd.DataFrame, *, comparator_name: str, comparator_label: str,
    comparator_year: str | None = None,
) -> charts.Figure:
    """An age-sex pyramid of the place's latest year against a comparator's shares."""
    if not (structure["area_code"] == code).any():
        raise KeyError(f"the store has no age structure for {code!r}")
    year = int(structure.loc[structure["area_code"] == code, "year"].max())
    place = structure.loc[(structure["area_code"] == code) & (structure["year"] == year)]
    name = store.name(code)
    people = "registered patients" if store.registered(code) else "residents"
    older_place = place.loc[place["age_band"].isin(OLDER_BANDS), "share"].sum()
    older_comparator = comparator.loc[comparator["age_band"].isin(OLDER_BANDS), "share"].sum()
    if abs(older_place - older_comparator) <= 0.5:
        title = f"{name} has a population of similar age to {comparator_name}"
    else:
        title = f"{name} has {'an older' if older_place > older_comparator else 'a younger'} population than {comparator_name}"
    subtitle = (
        f"Aged 65 and over: {older_place:.1f}% in {name} ({year}), {older_comparator:.1f}% in {comparator_name} "
        f"({comparator_year or year}). Bars: {name}; dashed line: {comparator_name}"
    )
    chart = charts.pyramid(
        place[["sex", "age_band", "share"]], comparator[["sex", "age_band", "share"]], title=title, subtitle=subtitle,
        place_label=f"{name} {year}", comparator_label=comparator_label, people=people,
    )  # fmt: skip
    bands = list(dict.fromkeys(place["age_band"]))
    ours = place.pivot(index="age_band", columns="sex", values="share").reindex(bands)
    theirs = comparator.pivot(index="age_band", columns="sex", values="share").reindex(bands)
    table = pd.DataFrame(
        {
            "Age band": bands,
            f"Men, {name} (%)": ours["Male"].round(2).to_numpy(),
            f"Women, {name} (%)": ours["Female"].round(2).to_numpy(),
            f"Men, {comparator_name} (%)": theirs["Male"].round(2).to_numpy(),
            f"Women, {comparator_name} (%)": theirs["Female"].round(2).to_numpy(),
        }
    )
    alt_text = (
        f"Population pyramid of {name} in {year}: bars show the percentage of all {people} who are men (left) "
        f"and women (right) in each five-year age band; a dashed line shows {comparator_label}. {subtitle}."
    )
    return charts.show(chart, alt_text=alt_text, table=table, name=f"population-pyramid-{code}" + ("" if comparator_name == ENGLAND_NAME else "-profile"))


OLDER_BANDS = ("65-69", "70-74", "75-79", "80-84", "85-89", "90+")


def age_trend_figure(store: Store, code: str) -> charts.Figure:
    """Share of residents aged under 15 and aged 65 and over, every year."""
    name = store.name(code)
    series = {"aged_under_15": "Aged under 15", "aged_65_plus": "Aged 65 and over"}
    frames = [store.rows(i, code).assign(series=label) for i, label in series.items()]
    data = pd.concat(frames)[["period", "series", "value"]]
    first, last = data["period"].min(), data["period"].max()
    old = data.loc[data["series"] == "Aged 65 and over"].set_index("period")["value"]
    young = data.loc[data["series"] == "Aged under 15"].set_index("period")["value"]
    direction = "grown" if old[last] > old[first] else "fallen"
    title = f"The share of {name}'s residents aged 65 and over has {direction} since {first}"
    subtitle = f"65 and over: {old[first]:.1f}% in {first}, {old[last]:.1f}% in {last}; under 15: {young[first]:.1f}% and {young[last]:.1f}%"
    chart = charts.trend(data, title=title, subtitle=subtitle, unit="% of all residents")
    table = data.pivot(index="period", columns="series", values="value").round(2).reset_index()
    table = table.rename(columns={"period": "Year", "Aged under 15": "Aged under 15 (%)", "Aged 65 and over": "Aged 65 and over (%)"})
    alt_text = f"Line chart of the percentage of {name}'s residents aged under 15 and aged 65 and over, each year from {first} to {last}. {subtitle}."
    return charts.show(chart, alt_text=alt_text, table=table, name=f"age-structure-{code}")


def deprivation_figure(store: Store, code: str) -> charts.Figure:
    """Residents by national deprivation decile: the place against its parent (or England's 10% each)."""
    profile = store.table("deprivation_profile")
    year = int(profile["year"].max())
    name = store.name(code)
    comparator_name, comparator_code = _parent_or_england(store, code)
    place = profile.loc[(profile["area_code"] == code) & (profile["year"] == year)].assign(series=name)
    if comparator_code is None:
        # By construction a tenth of England's small areas is in each national decile.
        comparator = pd.DataFrame({"imd_decile": range(1, 11), "share": 10.0, "series": "England (10% in each decile)"})
    else:
        comparator = profile.loc[(profile["area_code"] == comparator_code) & (profile["year"] == year)].assign(series=comparator_name)
    data = pd.concat([place, comparator], ignore_index=True)[["series", "imd_decile", "share"]]
    most = place.loc[place["imd_decile"] <= 2, "share"].sum()
    least = place.loc[place["imd_decile"] >= 9, "share"].sum()
    title = f"{most:.0f}% of {name}'s residents live in the 20% most deprived neighbourhoods of England"
    subtitle = f"and {least:.0f}% in the 20% least deprived ({year}); compared with {comparator['series'].iloc[0]}"
    chart = charts.deprivation_bars(data, title=title, subtitle=subtitle)
    table = data.pivot(index="imd_decile", columns="series", values="share").round(2).reset_index()
    table = table.rename(columns={"imd_decile": "National deprivation decile (1 = most deprived)"})
    alt_text = (
        f"Bar chart of the percentage of residents living in each national deprivation decile, from 1 (most deprived "
        f"10% of England) to 10 (least deprived), for {name} beside {comparator['series'].iloc[0]}. {title} {subtitle}."
    )
    return charts.show(chart, alt_text=alt_text, table=table, name=f"deprivation-profile-{code}")


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------
def summary_table(store: Store, code: str, *, chapter: str | None = None) -> charts.Html:
    """HTML table of the place's latest value of every indicator, compared as the chapter's story
    says (the authority with England; another place with the authority and England)."""
    story = chapter_story(store, code)
    catalogue = store.entries(chapter)
    rows = []
    for indicator in catalogue.itertuples():
        for sex in indicator.sex:
            row = store.latest(indicator.indicator_id, code, sex=sex)
            if row is None or indicator.method == "count":
                continue
            interval = (
                f"{text.number(row['lower_95_0'], '', 1)} to {text.number(row['upper_95_0'], '', 1)}"
                if pd.notna(row["lower_95_0"]) else "[x]"
            )  # fmt: skip
            value = "[c]" if str(row["note"]).startswith("[c]") else text.number(row["value"], "", 1)
            benchmarks = "".join(f"<td>{text.number(row[c.value], '', 1)}</td>" for c in story.comparators)
            compared = "".join(f"<td>{badge(row[c.compared])}</td>" for c in story.comparators)
            rows.append(
                f'<tr id="{html_attr(f"{indicator.indicator_id}-{sex.lower()}")}">'  # the authority's profile links here
                f"<td>{html_text(indicator.title)}{'' if sex == 'Persons' else ' – ' + text.SEX_WORDS[sex]}</td>"
                f"<td>{html_text(row['period'])}</td><td>{value}</td><td>{interval}</td>{benchmarks}{compared}"
                "</tr>"
            )
    head = ("<tr><th>Indicator</th><th>Period</th><th>Value</th><th>95% interval</th>"
            + "".join(f"<th>{html_text(c.name)}</th>" for c in story.comparators)
            + "".join(f"<th>Compared with {html_text(c.name)}</th>" for c in story.comparators) + "</tr>")  # fmt: skip
    return charts.Html(f'<table class="jsna-data"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>')


# --------------------------------------------------------------------------------------------
# Shared helpers for the Fingertips-style views
# --------------------------------------------------------------------------------------------
def indicator_list(store: Store, area_type: str, chapter: str | None = None) -> list[tuple[pd.Series, str]]:
    """(catalogue entry, sex) for every indicator published for this type of place, in catalogue order."""
    entries = [entry for _, entry in store.entries(chapter, area_type=area_type).iterrows()]
    return [(entry, sex) for entry in entries for sex in entry["sex"]]


def region_name(store: Store, code: str) -> str:
    parent = store.parent(store.authority(code))
    return store.name(parent) if parent else "Region"


def latest_rows(store: Store, code: str, entries: list[tuple[pd.Series, str]]) -> list[tuple[pd.Series, str, pd.Series | None]]:
    """Each (entry, sex) with the place's latest row in the window shown for its type of place."""
    area_type = store.area_type(code)
    return [(entry, sex, store.latest(entry["indicator_id"], code, sex=sex, years=window(store, entry, area_type))) for entry, sex in entries]


@dataclass(frozen=True)
class WardRange:
    """The lowest and highest value among the wards (places of the type small areas lie in) of
    a place, for the period their figures are published for."""

    low: float
    high: float
    #: The period of the wards' values (pooled years where the ward type pools them).
    period: str
    #: Wards with a published value for it, and wards in all.
    have: int
    total: int
    plural: str

    @property
    def shown(self) -> bool:
        """A range is shown only when every ward has a value: a range of some of them says nothing
        about the others (the missing ones are the smallest counts)."""
        return self.total > 0 and self.have == self.total

    def text(self, digits: int) -> str:
        """"37.3 – 71.6 (2018 - 22)", or why it is not shown."""
        if self.shown:
            return f"{text.number(self.low, '', digits)} – {text.number(self.high, '', digits)} ({self.period})"
        if not self.total or not self.period:
            return MISSING
        return f"not shown: too few {self.plural} with a value ({self.have} of {self.total})"


def ward_range(store: Store, code: str, entry: pd.Series, sex: str) -> WardRange | None:
    """The range of an indicator across the place's wards, from the periods wards are published
    for (pooled windows when the ward type pools years: single years exist for a few wards only),
    at the place's own latest period of that window (the period the ward profiles show); None
    when the place has no wards or wards have no figures for the indicator."""
    ward_type = store.neighbourhood_type
    wards = store.within(code, ward_type)
    if not wards or ward_type not in entry["areas"]:
        return None
    plural = store.words(ward_type)[1]
    years = window(store, entry, ward_type)
    place = store.latest(entry["indicator_id"], code, sex=sex, years=years)
    if place is None:
        return WardRange(float("nan"), float("nan"), "", 0, len(wards), plural)
    values = store.at(entry["indicator_id"], wards, sex=sex, years=years, period=place["period"])["value"].dropna()
    if values.empty:
        return WardRange(float("nan"), float("nan"), str(place["period"]), 0, len(wards), plural)
    return WardRange(float(values.min()), float(values.max()), str(place["period"]), len(values), len(wards), plural)


RANGE_NOTE = ("Range across {plural}: the lowest and highest {singular} value, for the period in brackets ({plural}' figures "
              "pool years, so it may differ from the place's period); shown only when every {singular} has a value.")


# --------------------------------------------------------------------------------------------
# 1. Spine table and spine chart
# --------------------------------------------------------------------------------------------
def spine_table(store: Store, code: str, chapter: str) -> charts.Html:
    """Fingertips spine-chart summary: every indicator of a chapter for one place.

    Columns: indicator (linked to its definition), period, count, value, each comparator of the
    chapter's story (:func:`chapter_story`: England for the authority, with the region's value
    beside it; the authority and England for a township), the range across the place's wards
    (:func:`ward_range`), the comparison with each comparator (colour, shape and words) and the
    recent trend in words.
    """
    story = chapter_story(store, code)
    authority = store.is_authority(code)
    region = region_name(store, code)
    singular, plural = store.words(store.neighbourhood_type)
    body, cells, notes, ranges = [], [], [], False
    for entry, sex, row in latest_rows(store, code, indicator_list(store, store.area_type(code), chapter)):
        digits = decimals(entry["unit"])
        spread = ward_range(store, code, entry, sex)
        ranges |= spread is not None
        values = [
            MISSING if row is None else html_text(row["period"]), shown(row, "count", 0), with_interval(shown(row, "value", digits), interval(row, digits)),
            *(shown(row, c.value, digits) for c in story.comparators), *([shown(row, "region_value", digits)] if authority else []),
            MISSING if spread is None else html_text(spread.text(digits)),
        ]  # fmt: skip
        compared = [MISSING if row is None else badge(row[c.compared]) for c in story.comparators]
        body.append([definition_link(entry, sex), *values, *compared, trend_cell("" if row is None else row["recent_trend"])])
        cells += values + compared
        notes += [] if row is None else [row["note"]]
    head = ["Indicator", "Period", "Count", "Value (95% interval)", *(html_text(n) for n in story.names), *([html_text(region)] if authority else []),
            html_text(f"Range across {plural}"), *(f"Compared with {html_text(n)}" for n in story.names), "Recent trend"]  # fmt: skip
    caption = f"{store.name(code)}: latest value of each indicator, compared with {story.words()}"
    range_note = [RANGE_NOTE.format(plural=plural, singular=singular)] if ranges else []
    return html_table(head, body, caption=caption, notes=[*range_note, *footnotes(notes, cells)])


def spine_figure(store: Store, code: str, chapter: str) -> charts.Figure | charts.Html:
    """Fingertips spine chart: the place's value (shape and colour by comparison) on a bar
    spanning its wards' range, each indicator scaled so England sits at the centre and better
    is to the right. Indicators without an England value for the period are listed, not drawn."""
    name = store.name(code)
    plural = store.words(store.neighbourhood_type)[1]
    records, left_out = [], []
    for entry, sex, row in latest_rows(store, code, indicator_list(store, store.area_type(code), chapter)):
        if row is None or pd.isna(row["value"]) or pd.isna(row["england_value"]):
            left_out.append(label(entry["title"], sex))
            continue
        spread = ward_range(store, code, entry, sex)
        low, high = (spread.low, spread.high) if spread is not None and spread.shown else (float("nan"), float("nan"))
        records.append({"indicator": f"{label(entry['title'], sex)} ({row['period']})", "entry": entry, "row": row, "low": low, "high": high,
                        "range_period": spread.period if spread is not None and spread.shown else ""})
    if not records:
        return charts.Html(f'<p class="jsna-note">No indicator in this chapter has an England value for its latest period in {html_text(name)}, so there is no spine chart.</p>')
    data = pd.DataFrame([spine_point(r["indicator"], r["row"], r["low"], r["high"], r["range_period"]) for r in records])
    labels = data["comparison"].tolist()
    title = text.tally_title(name, labels, ENGLAND_NAME)
    subtitle = f"The line is England; the grey bar spans the {plural}' values (for the period in the table, shown when every one has a value); the marker is " + name
    if left_out:
        subtitle += f". Not drawn (no England value for the period): {'; '.join(left_out)}"
    chart = charts.spine(data, title=title, subtitle=subtitle, rows=data["indicator"].tolist(), range_title=f"Range across {plural}")
    table = data[["indicator", "value_text", "england_text", "range_text", "comparison"]].rename(
        columns={"indicator": "Indicator (period)", "value_text": name, "england_text": "England", "range_text": f"Range across {plural}", "comparison": "Compared with England"}
    )
    alt_text = (
        f"Spine chart of {len(data)} indicators for {name}. Each row is scaled so that England's value is at the centre "
        f"and better values are to the right. {title}. " + "; ".join(f"{i}: {v} ({c})" for i, v, c in zip(data["indicator"], data["value_text"], labels))
    )
    return charts.show(chart, alt_text=alt_text, table=table, name=f"spine-{chapter}-{code}")


def spine_point(indicator: str, row: pd.Series, low: float, high: float, range_period: str = "") -> dict:
    """One spine row: the value and ward range scaled so England is 0.5, better to the right."""
    england, value = float(row["england_value"]), float(row["value"])
    spread = max(abs(v - england) for v in (value, low, high) if pd.notna(v)) or 1.0
    sign = -1.0 if row["polarity"] == "RAG - Low is good" else 1.0

    def scaled(v: float) -> float:
        return 0.5 + sign * (v - england) / (2 * spread)

    ends = sorted([scaled(low), scaled(high)]) if pd.notna(low) else [None, None]
    digits = decimals(row["unit"])
    return {
        "indicator": indicator, "position": scaled(value), "range_from": ends[0], "range_to": ends[1],
        "value_text": text.number(value, "", digits), "england_text": text.number(england, "", digits),
        "range_text": (f"{text.number(low, '', digits)} – {text.number(high, '', digits)}" + (f" ({range_period})" if range_period else "")) if pd.notna(low) else MISSING,
        "comparison": charts.comparison_key(row["compared_to_england"]),
    }  # fmt: skip


# --------------------------------------------------------------------------------------------
# 2. Compare areas
# --------------------------------------------------------------------------------------------
def compare_areas_figure(
    store: Store, code: str, indicator_id: str, sex: str = "Persons", *, area_type: str | None = None, against: Comparator | None = None,
) -> charts.Figure:
    """The place's children (or, with ``area_type``, every place of that type within it: the
    borough's wards) ranked with 95% limits, coloured by their comparison with ``against``: by
    default the benchmark the chapter's story compares the areas within a place with
    (:func:`chapter_story`: England for the authority's townships, the authority for a township's
    wards)."""
    entry = store.entry(indicator_id)
    if area_type is None:
        codes, child_type = store.children(code, indicator_id)
    else:
        have = set(store.of(indicator_id)["area_code"])
        codes, child_type = [c for c in store.within(code, area_type) if c in have], area_type
    if not codes:
        raise KeyError(f"{indicator_id!r} has no values for the places within {code!r}")
    against = against or chapter_story(store, code).areas_against
    years = window(store, entry, child_type)
    place_row = store.latest(indicator_id, code, sex=sex, years=years)
    if place_row is None:
        raise KeyError(f"{indicator_id!r} has no {years}-year values for {code!r}, sex {sex!r}")
    name, period, unit = store.name(code), place_row["period"], entry["unit"]
    rows = store.at(indicator_id, codes, sex=sex, years=years, period=period)
    rows = rows.assign(area_name=[store.name(c) for c in rows["area_code"]], comparison=[against.label(r) for _, r in rows.iterrows()])
    drawn = rows.loc[rows["value"].notna(), ["area_name", "value", "lower_95_0", "upper_95_0", "comparison"]]
    words = text.indicator_subject(entry["title"], sex)
    ranked = drawn.sort_values(["value", "area_name"], ascending=[False, True])
    if len(drawn) > 1 and set(drawn["comparison"]) == {"Not compared"}:
        lowest, highest = ranked.iloc[-1], ranked.iloc[0]
        title = text.range_title(words, (lowest["area_name"], lowest["value"]), (highest["area_name"], highest["value"]), unit, period)
    else:
        title = text.compare_areas_title(words, text.is_plural(entry["title"]), drawn["comparison"].tolist(), against.name, store.words(child_type))
    place_text, england_text = text.value_text(place_row["value"], unit), text.value_text(place_row["england_value"], unit)
    england_part = f"; England: {england_text}" if pd.notna(place_row["england_value"]) else "; England: no value for this period"
    # The benchmark's value for the period: the place's own, England's, or the authority's.
    benchmark = place_row["value"] if against.name == name else place_row[against.value] if against == ENGLAND else place_row["authority_value"]
    against_part = "" if against.name in (name, ENGLAND_NAME) else f"; {against.name}: {text.value_text(benchmark, unit)}"
    subtitle = f"{period}. {name}: {place_text}{against_part}{england_part}. Coloured by comparison with {against.name}. Lines show 95% confidence intervals."
    summary = store.latest(indicator_id, code, sex=sex, years=window(store, entry, store.area_type(code)))
    if summary is not None and summary["period"] != period:
        subtitle += (f" {store.words(child_type)[1].capitalize()}' figures are for {period}; the summary table above gives {name} for "
                     f"{summary['period']} ({text.value_text(summary['value'], unit)}).")
    hidden = len(rows) - len(drawn)
    if hidden:
        subtitle += f" {text.area_count(hidden, store.words(child_type))} not shown ([c] or [x])."
    digits = decimals(unit)
    references = [(f"{name}: {text.number(place_row['value'], '', digits)}", place_row["value"])]
    if against.name not in (name, ENGLAND_NAME):
        references.append((f"{against.name}: {text.number(benchmark, '', digits)}", benchmark))
    references.append((f"England: {text.number(place_row['england_value'], '', digits)}", place_row["england_value"]))
    chart = charts.ranked_bars(drawn, title=title, subtitle=subtitle, unit=unit, references=references, legend_title=f"Compared with {against.name}")
    table = published_table(
        rows, {"area_name": "Area", "count": "Count", "value": "Value", "lower_95_0": "Lower 95% limit", "upper_95_0": "Upper 95% limit",
               "comparison": f"Compared with {against.name}"}
    )  # fmt: skip
    alt_text = (
        f"Chart ranking the {text.area_count(len(drawn), store.words(child_type))} of {name} by {text.lower_first(words)} in {period}, each with its 95% "
        f"confidence interval, coloured and shaped by comparison with {against.name} ({name}: {place_text}{against_part}{england_part}). "
        + (f"Highest: {ranked['area_name'].iloc[0]} ({text.value_text(ranked['value'].iloc[0], unit)}); lowest: "
           f"{ranked['area_name'].iloc[-1]} ({text.value_text(ranked['value'].iloc[-1], unit)}). " if len(ranked) else "")
        + f"{title}."
    )  # fmt: skip
    return charts.show(chart, alt_text=alt_text, table=table, name=f"compare-{indicator_id}-{sex.lower()}-{code}", note=figure_note(rows),
                       indicator=entry, area_code=code, area_name=name, period=period, sex=sex)


def figure_note(rows: pd.DataFrame) -> str:
    """The "[c]" footnote for a figure whose table holds suppressed rows ("" when none)."""
    notes = rows["note"].astype(str).tolist()
    return " ".join(footnotes(notes, [SUPPRESSED] if any(n.startswith(SUPPRESSED) for n in notes) else []))


# --------------------------------------------------------------------------------------------
# 3. Trend
# --------------------------------------------------------------------------------------------
TREND_PERIODS = 10


def trend_figure(store: Store, code: str, indicator_id: str, sex: str = "Persons") -> charts.Figure:
    """Up to ten periods of one indicator for one place with its 95% interval, England where
    published, and the Fingertips recent-trend marker in the title (single years for boroughs and
    townships, pooled years for wards).

    The title and the headline value are those of the period the page's summary shows
    (:meth:`jsna.store.Store.latest`: the latest England has a value for); a later period is
    named beside it in the subtitle, so the summary and the chart under it never disagree."""
    entry = store.entry(indicator_id)
    years = window(store, entry, store.area_type(code))
    rows = store.rows(indicator_id, code, sex=sex, years=years).tail(TREND_PERIODS)
    if rows.empty:
        raise KeyError(f"{indicator_id!r} has no values for {code!r}, sex {sex!r}")
    name, unit, latest = store.name(code), entry["unit"], rows.iloc[-1]
    summary = store.latest(indicator_id, code, sex=sex, years=years)
    if summary is None or summary["period"] not in set(rows["period"]):
        summary = latest
    place = rows.loc[rows["value"].notna()].assign(series=name)
    england = rows.loc[rows["england_value"].notna()].assign(series=ENGLAND_NAME, value=lambda d: d["england_value"], lower_95_0=float("nan"), upper_95_0=float("nan"))
    data = pd.concat([place, england], ignore_index=True)[["period", "series", "value", "lower_95_0", "upper_95_0"]]
    words = text.indicator_subject(entry["title"], sex)

    def value_in(row: pd.Series) -> str:
        shown_value = shown(row, "value", decimals(unit)) if suppressed(row) else text.value_text(row["value"], unit)
        return f"{shown_value} in {row['period']}"

    later = summary["period"] != latest["period"]
    title = text.trend_title(words, text.is_plural(entry["title"]), name, summary["recent_trend"], value_in(summary), to=summary["period"] if later else "")
    trend = summary["recent_trend"] or "Could not be calculated"
    england_then = f", England {text.value_text(summary['england_value'], unit)}" if pd.notna(summary["england_value"]) else ""
    if later:
        subtitle = (f"Recent trend (five periods to {summary['period']}, the period the summary shows{england_then}): {trend}. "
                    f"{summary['period']}: {value_in(summary).rsplit(' in ', 1)[0]}. Latest: {value_in(latest)}"
                    f"{'' if pd.notna(latest['england_value']) else ' (no England value for it yet)'}.")  # fmt: skip
    else:
        subtitle = f"Recent trend (last five periods): {trend}. Latest: {value_in(latest)}{england_then}."
    # What the marks look like is read from the chart itself (the band is drawn only with limits).
    chart = charts.interval_trend(data, title=title, subtitle=subtitle, unit=unit, order=rows["period"].tolist())
    marks = charts.mark_words(chart)
    band = marks.get("95% confidence interval")
    if band:
        subtitle += f" The {band} is the 95% confidence interval."
        chart = chart.properties(title=charts.chart_title(title, subtitle))
    table = published_table(rows, {"period": "Period", "count": "Count", "value": name, "lower_95_0": "Lower 95% limit",
                                   "upper_95_0": "Upper 95% limit", "england_value": ENGLAND_NAME, "compared_to_england": "Compared with England"})  # fmt: skip
    shown_marks = ([f"the 95% confidence interval as a {band}"] if band else []) + (
        [f"England's value as a {marks[ENGLAND_NAME]}"] if len(england) and ENGLAND_NAME in marks else [])
    alt_text = (f"Line chart of {text.lower_first(words)} in {name} for each period from {rows['period'].iloc[0]} to {latest['period']}"
                + (f", with {text.listing(shown_marks)}" if shown_marks else "") + f". {subtitle}")
    return charts.show(chart, alt_text=alt_text, table=table, name=f"trend-{indicator_id}-{sex.lower()}-{code}", note=figure_note(rows),
                       indicator=entry, area_code=code, area_name=name, period=rows["period"].tolist(), sex=sex)


# --------------------------------------------------------------------------------------------
# 4. Tartan rug
# --------------------------------------------------------------------------------------------
def tartan_cells(store: Store, code: str, chapter: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """One cell per indicator x place (England, the benchmark the areas are compared with when it
    is not England, the place, its children): text, comparison, note.

    Every place is coloured by its comparison with the chapter story's benchmark for the areas
    within the place (:func:`chapter_story`): England on the authority's page; the authority on a
    township's, whose wards' figures pool years England publishes no value for."""
    against = chapter_story(store, code).areas_against
    children, child_type = store.children(code)
    places = [code, *children]
    benchmarks = [ENGLAND_NAME] + ([] if against == ENGLAND or against.name == store.name(code) else [against.name])
    columns = benchmarks + [store.name(c) for c in places]
    records, rows, units = [], [], {}
    for entry, sex in indicator_list(store, store.area_type(code), chapter):
        years = window(store, entry, child_type or store.area_type(code))
        own = store.latest(entry["indicator_id"], code, sex=sex, years=years)
        if own is None:
            continue
        row_label = f"{label(text.subject(entry['title']), sex)} ({own['period']})"
        rows.append(row_label)
        found = store.at(entry["indicator_id"], places, sex=sex, years=years, period=own["period"]).set_index("area_code")
        digits = decimals(entry["unit"])
        units[row_label] = entry["unit"]
        records.append({"indicator": row_label, "place": ENGLAND_NAME, "value": text.number(own["england_value"], "", digits), "comparison": "Benchmark", "note": ""})
        if len(benchmarks) > 1:
            records.append({"indicator": row_label, "place": against.name, "value": text.number(own["authority_value"], "", digits), "comparison": "Benchmark", "note": ""})
        for place, column in zip(places, columns[len(benchmarks):]):
            row = found.loc[place] if place in found.index else None
            comparison = "Benchmark" if place == code and against.name == column else against.label(row)  # the place is the benchmark
            records.append({"indicator": row_label, "place": column, "value": shown(row, "value", digits), "comparison": comparison,
                            "note": "" if row is None else row["note"]})  # fmt: skip
    cells = pd.DataFrame(records, columns=["indicator", "place", "value", "comparison", "note"])
    glyphs = cells["comparison"].map(lambda c: charts.COMPARISON_GLYPH.get(c, ""))
    cells["text"] = (glyphs + " " + cells["value"]).str.strip()
    cells["unit"] = cells["indicator"].map(units)
    return cells, rows, columns


def pooled_rows(store: Store, code: str, chapter: str) -> bool:
    """Whether any row of the place's tartan rug is for another period than its summary table
    shows (the areas within it pool years)."""
    _, child_type = store.children(code)
    for entry, sex in indicator_list(store, store.area_type(code), chapter):
        shown_row = store.latest(entry["indicator_id"], code, sex=sex, years=window(store, entry, child_type or store.area_type(code)))
        summary = store.latest(entry["indicator_id"], code, sex=sex, years=window(store, entry, store.area_type(code)))
        if shown_row is not None and summary is not None and shown_row["period"] != summary["period"]:
            return True
    return False


def tartan_rug(store: Store, code: str, chapter: str) -> charts.Figure:
    """Overview grid: every indicator of a chapter (rows) for England, the place and its
    children (columns), each cell's value as text with a shape, coloured by comparison with the
    story's benchmark for the areas within the place (England, or the authority)."""
    cells, rows, columns = tartan_cells(store, code, chapter)
    if cells.empty:
        raise KeyError(f"no indicator of chapter {chapter!r} has values for {code!r}")
    against = chapter_story(store, code).areas_against
    name = store.name(code)
    own = cells.loc[cells["place"] == name, "comparison"].tolist()
    others = cells.loc[~cells["place"].isin([ENGLAND_NAME, against.name, name]), "comparison"]
    areas = len(columns) - columns.index(name) - 1
    if against.name == name:  # the areas within it are compared with the place itself
        title = (f"Across the {areas} areas within {name}, {int((others == 'Worse').sum())} values are significantly worse than {name}'s "
                 f"and {int((others == 'Better').sum())} better")  # fmt: skip
    else:
        title = text.tally_title(name, own, against.name)
    subtitle = (
        f"Across the {areas} areas within it: {int((others == 'Worse').sum())} values significantly worse than {against.name}, "
        f"{int((others == 'Better').sum())} better, {int((others == 'Not compared').sum())} not compared. "
        "▲ better or higher, ▼ worse or lower, ● similar; no shape: not compared."
    )
    if against != ENGLAND:
        subtitle += f" Coloured by comparison with {against.name}: the areas' figures pool years, for which England publishes no value."
    if pooled_rows(store, code, chapter):
        plural = store.words(store.children(code)[1] or "")[1]
        subtitle += f" Each row is for the period in brackets, the one its {plural} are published for; the summary table above gives {name}'s own latest period."
    chart = charts.tartan(cells[["indicator", "place", "text", "comparison"]], title=title, subtitle=subtitle, rows=rows, columns=columns)
    legend(chart, f"Compared with {against.name}")
    table = tartan_grid(cells, rows, columns)
    alt_text = (
        f"Grid of {len(rows)} indicators (rows) by {len(columns)} areas (columns: {text.listing(columns[: columns.index(name)])}, {name} and the areas within it). "
        f"Each cell shows the value with a shape for its comparison with {against.name} and is coloured by it. {title}. {subtitle}"
    )
    note = " ".join(footnotes(cells["note"].tolist(), cells["value"].tolist()))
    return charts.show(chart, alt_text=alt_text, table=table, name=f"tartan-{chapter}-{code}", note=note)


def legend(chart, title: str) -> None:
    """Name the colour legend of a tartan rug (``charts.tartan`` calls it "Compared with England")."""
    for layer in getattr(chart, "layer", []):
        colour = getattr(getattr(layer, "encoding", None), "color", None)
        if isinstance(colour, alt.Color) and colour.to_dict().get("field") == "comparison":
            colour.title = title


def tartan_grid(cells: pd.DataFrame, rows: list[str], columns: list[str]) -> pd.DataFrame:
    """The tartan rug as a table of words: "77.6 (Worse)"."""
    words = cells["value"] + cells["comparison"].map(lambda c: "" if c in ("Benchmark",) else f" ({c})")
    grid = cells.assign(cell=words).pivot(index="indicator", columns="place", values="cell").reindex(index=rows, columns=columns)
    grid.insert(0, "Unit", cells.drop_duplicates("indicator").set_index("indicator")["unit"].reindex(rows))
    return grid.rename_axis(index="Indicator (period)", columns=None).reset_index()


def tartan_table(store: Store, code: str, chapter: str) -> charts.Html:
    """The tartan rug as an HTML table: every cell with its value, shape, colour and words."""
    cells, rows, columns = tartan_cells(store, code, chapter)
    against = chapter_story(store, code).areas_against
    by_cell = cells.set_index(["indicator", "place"])
    body = []
    units = cells.drop_duplicates("indicator").set_index("indicator")["unit"]
    for row in rows:
        line = [html_text(row), html_text(str(units[row]))]
        for column in columns:
            cell = by_cell.loc[(row, column)]
            line.append(cell["value"] if cell["comparison"] == "Benchmark" else f"{cell['value']} {badge(cell['comparison'])}")
        body.append(line)
    notes = footnotes(cells["note"].tolist(), cells["value"].tolist())
    caption = f"{store.name(code)} and the areas within it: latest values, compared with {against.name}"
    return html_table(["Indicator (period)", "Unit", *map(html_text, columns)], body, caption=caption, notes=notes)


# --------------------------------------------------------------------------------------------
# 5. Practice funnel plot
# --------------------------------------------------------------------------------------------
OUTLYING = ("High (0.001)", "Low (0.001)")


def funnel_figure(store: Store, indicator_id: str, period: str | None = None) -> charts.Figure:
    """Practices' values against their size with 95% and 99.8% funnel limits around the
    borough's value; the title names the practices outside the 99.8% limits."""
    entry = store.entry(indicator_id)
    points = store.rows_of("funnels", indicator_id)
    if points.empty:
        raise KeyError(f"the store has no funnel plot for {indicator_id!r}")
    ends = store.of(indicator_id).drop_duplicates("period").set_index("period")["period_end"]
    period = period or max(points["period"].unique(), key=lambda p: (ends.get(p, 0), p))
    points = points.loc[points["period"] == period].sort_values(["value", "area_name"], ascending=[False, True])
    lines = store.rows_of("funnel_lines", indicator_id)
    lines = lines.loc[lines["period"] == period]
    long = lines.melt(id_vars="denominator", value_vars=["lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8"], var_name="line")
    long = long.assign(limit=long["line"].map(lambda c: "99.8% limits" if c.endswith("99_8") else "95% limits"), side=long["line"].str.split("_").str[0])
    outliers = points.loc[points["significance"].isin(OUTLYING)]
    authority = store.authority(str(points["parent_code"].iloc[0]))
    title, subtitle = text.funnel_title(outliers["area_name"].tolist(), outliers["significance"].str.startswith("High").tolist(),
                                        text.indicator_subject(entry["title"], "Persons"), period, len(points),
                                        f"the {store.words(store.area_type(authority))[0]}")  # fmt: skip
    baseline = float(points["baseline"].iloc[0])
    borough = store.name(authority)
    summary = store.latest(indicator_id, authority, years=int(points["years"].iloc[0]))
    if summary is not None and summary["period"] != period:
        # The summary table shows the latest period England has a value for; practices are
        # compared with the authority, so the plot shows the latest period, and says both.
        subtitle += (f" {borough}: {text.value_text(baseline, entry['unit'])} in {period}; the summary table above gives "
                     f"{text.value_text(summary['value'], entry['unit'])} for {summary['period']}, the latest period England has a value for.")
    # Outliers are labelled on the chart when few enough to read; otherwise the subtitle and table name them.
    labelled = points["significance"].isin(OUTLYING) & (len(outliers) <= text.TITLE_NAMES)
    drawn = points[["area_name", "denominator", "value", "significance"]].assign(outlier=labelled)
    chart = charts.funnel(drawn, long[["denominator", "limit", "side", "value"]], baseline=baseline, title=title, subtitle=subtitle,
                          baseline_label=f"{borough}: {text.number(baseline, '', 1)}", unit=entry["unit"])  # fmt: skip
    table = published_table(
        points.assign(network=[store.name(c) if c in store.geography.index else c for c in points["parent_code"]],
                      where=points["significance"].map(lambda s: charts.SIGNIFICANCE_STYLE.get(s, (s,))[0])),
        {"area_name": "Practice", "network": "Network", "count": "Count", "denominator": "Denominator", "value": "Value",
         "lower_99_8": "Lower 99.8% limit", "upper_99_8": "Upper 99.8% limit", "where": "Compared with the limits"},
    )  # fmt: skip
    alt_text = (
        f"Funnel plot of {text.lower_first(text.subject(entry['title']))} for {len(points)} GP practices in {period}: each practice's value "
        f"against the size of its population, with 95% (dashed) and 99.8% (solid) control limits around {borough}'s value of "
        f"{text.value_text(baseline, entry['unit'])}. {title}. {subtitle}"
    )
    return charts.show(chart, alt_text=alt_text, table=table, name=f"funnel-{indicator_id}-{period}")


# --------------------------------------------------------------------------------------------
# 6. Place profile
# --------------------------------------------------------------------------------------------
def profile_pyramid(store: Store, code: str) -> charts.Figure:
    """The place's age-sex structure against that of the area it lies in, as its profile compares
    it (:func:`profile_story`); England's (Census 2021) for the authority."""
    if store.is_authority(code):
        return pyramid_figure(store, code)
    structure = store.table("age_structure")
    year = int(structure.loc[structure["area_code"] == code, "year"].max()) if (structure["area_code"] == code).any() else 0
    parent = store.parent(code)
    if parent is None or not ((structure["area_code"] == parent) & (structure["year"] == year)).any():
        parent = store.authority(code)
    comparator = structure.loc[(structure["area_code"] == parent) & (structure["year"] == year)]
    return pyramid_against(store, code, structure, comparator, comparator_name=store.name(parent), comparator_label=f"{store.name(parent)} {year}")


def chapter_words(chapter: str) -> str:
    """A chapter id in words: "live_well" -> "Live well"."""
    return str(chapter).replace("_", " ").capitalize()


@dataclass(frozen=True)
class ProfileRow:
    """One indicator (and sex) of a place's profile table, as published (text)."""

    entry: pd.Series
    sex: str
    #: The place's latest row (:func:`latest_rows`), None when it has no figure.
    row: pd.Series | None
    #: Period, count, value and each comparator's value: "[c]" withheld, "[x]" not available.
    values: list[str]
    #: The comparison with each comparator ("Worse", "Not compared"...); "[x]" without a figure.
    compared: list[str]

    @property
    def label(self) -> str:
        return label(self.entry["title"], self.sex)

    @property
    def trend(self) -> str:
        """The recent trend ("" when there is none)."""
        return "" if self.row is None else str(self.row["recent_trend"])


@dataclass(frozen=True)
class ProfileTable:
    """Every indicator of a place against the comparators of its profile, chapter by chapter:
    what :func:`profile_spine` shows on the site and a brief prints (:mod:`jsna.pages.brief`)."""

    place: str
    story: Story
    #: Chapter id -> its rows, in catalogue order.
    chapters: dict[str, list[ProfileRow]]

    @property
    def head(self) -> list[str]:
        return ["Indicator", "Period", "Count", "Value (95% interval)", *self.story.names, *(f"Compared with {n}" for n in self.story.names), "Recent trend"]

    @property
    def caption(self) -> str:
        return f"{self.place}: every indicator, compared with {self.story.words()}"

    def notes(self) -> list[str]:
        """The footnotes of the table ("[c]" with its reasons, "[x]")."""
        rows = [r for rows in self.chapters.values() for r in rows]
        return footnotes([r.row["note"] for r in rows if r.row is not None], [cell for r in rows for cell in (*r.values, *r.compared)])


def profile_table(store: Store, code: str) -> ProfileTable:
    """Every indicator in every chapter for one place, at the period the summaries show, against
    the comparators of its profile (:func:`profile_story`: the area it lies in, and England)."""
    story = profile_story(store, code)
    entries = indicator_list(store, store.area_type(code))
    chapters = {}
    for chapter in dict.fromkeys(entry["chapter"] for entry, _ in entries):
        chosen = [(entry, sex) for entry, sex in entries if entry["chapter"] == chapter]
        chapters[chapter] = [
            ProfileRow(entry, sex, row, [MISSING if row is None else str(row["period"]), shown(row, "count", 0), shown(row, "value", decimals(entry["unit"])),
                                         interval(row, decimals(entry["unit"])), *(shown(row, c.value, decimals(entry["unit"])) for c in story.comparators)],
                       [MISSING if row is None else row[c.compared] for c in story.comparators])
            for entry, sex, row in latest_rows(store, code, chosen)
        ]  # fmt: skip
    return ProfileTable(store.name(code), story, chapters)


def profile_spine(store: Store, code: str) -> charts.Html:
    """Every indicator in every chapter for one place, against the comparators of its profile
    (:func:`profile_story`: the area it lies in, and England), grouped by chapter
    (:func:`profile_table`)."""
    table = profile_table(store, code)
    body = []
    for chapter, rows in table.chapters.items():
        body.append(chapter_words(chapter))
        for r in rows:
            compared = [MISSING if r.row is None else badge(c) for c in r.compared]
            period, count, value, spread, *benchmarks = r.values
            cells = [html_text(period), html_text(count), with_interval(html_text(value), spread), *(html_text(b) for b in benchmarks)]
            body.append([definition_link(r.entry, r.sex), *cells, *compared, trend_cell(r.trend)])
    return html_table([html_text(h) for h in table.head], body, caption=table.caption, notes=table.notes())


#: "What stands out" lists this many findings on a chapter and on a profile; the rest are
#: counted (the table under it gives every indicator).
CHAPTER_FINDINGS, PROFILE_FINDINGS = 3, 5


@dataclass(frozen=True)
class Findings:
    """What stands out for a place against its page's story, worst first."""

    place: str
    story: Story
    #: (sentence, catalogue entry, sex), worst first.
    found: list
    #: Per comparator name: the reason (:func:`jsna.pages.text.not_compared_reason`) of each
    #: indicator that could not be compared with it.
    not_compared: dict
    #: Indicators (and sexes) the place has a figure for.
    total: int

    def not_compared_lines(self) -> list[str]:
        """"4 of 30 indicators could not be compared with England (...)", one per comparator."""
        return [line for c in self.story.comparators if (line := text.not_compared_sentence(self.not_compared[c.name], self.total, c.name))]

    def none_found(self, where: str = "") -> str:
        return (f"No indicator{where} for {self.place} is significantly different from {' or '.join(self.story.names)} "
                "or changing significantly.")  # fmt: skip


def findings(store: Store, code: str, story: Story, chapter: str | None = None) -> Findings:
    """Every indicator (in one chapter, or all) that differs significantly from a comparator of
    the story or is changing significantly, each said against every comparator it could be
    compared with, worst first; and, per comparator, the indicators that could not be compared
    with it and why (never counted as similar)."""
    found, missing, total = [], {c.name: [] for c in story.comparators}, 0
    for order, (entry, sex, row) in enumerate(latest_rows(store, code, indicator_list(store, store.area_type(code), chapter))):
        if row is None:
            continue
        total += 1
        for c in story.comparators:
            if c.reason(row):
                missing[c.name].append(c.reason(row))
        if pd.isna(row["value"]):
            continue
        labels = [c.label(row) for c in story.comparators]
        trend = text.trend_words(row["recent_trend"]) not in ("", "no significant change")
        if not trend and all(label in ("Similar", "Not compared") for label in labels):
            continue
        score = sum(text.comparison_judgement(label) for label in labels) + text.trend_judgement(row["recent_trend"])
        found.append((-score, order, text.story_sentence(row, story.name, story.comparisons(row)), entry, sex))
    found.sort(key=lambda item: (item[0], item[1]))
    return Findings(story.name, story, [(sentence, entry, sex) for _, _, sentence, entry, sex in found], missing, total)


def headline_findings(store: Store, code: str, chapter: str | None = None, *, limit: int | None = None) -> str:
    """Markdown bullets of what stands out for a place, worst first: in one chapter against the
    chapter's story (:func:`chapter_story`), or across every chapter against its profile's
    (:func:`profile_story`). The first ``limit`` findings are listed and the rest counted; the
    indicators that could not be compared are counted with the reason, never as similar."""
    return "\n".join(f"- {markdown_text(line)}" for line in headline_finding_lines(store, code, chapter, limit=limit))


def headline_finding_lines(store: Store, code: str, chapter: str | None = None, *, limit: int | None = None) -> list[str]:
    """The sentences of :func:`headline_findings` (text)."""
    story = chapter_story(store, code) if chapter else profile_story(store, code)
    limit = limit if limit is not None else CHAPTER_FINDINGS if chapter else PROFILE_FINDINGS
    result = findings(store, code, story, chapter)
    lines = [sentence for sentence, _, _ in result.found]
    if not lines:
        lines = [result.none_found("" if chapter is None else " in this chapter")]
    elif len(lines) > limit:
        rest = len(lines) - limit
        more = (f"{rest} more indicator{'s differ' if rest > 1 else ' differs'} significantly or {'are' if rest > 1 else 'is'} "
                "changing significantly: the table below gives every indicator.")  # fmt: skip
        lines = [*lines[:limit], more]
    return lines + result.not_compared_lines()


# --------------------------------------------------------------------------------------------
# Chapter sections built from the views above
# --------------------------------------------------------------------------------------------
def indicator_sections(store: Store, code: str, chapter: str) -> list[list]:
    """For each indicator (and sex) of a chapter with values for the place: a heading linked to
    its definition, how the places within it compare (when there are any), and its trend."""
    sections = []
    for entry, sex in indicator_list(store, store.area_type(code), chapter):
        indicator_id = entry["indicator_id"]
        if store.rows(indicator_id, code, sex=sex, years=window(store, entry, store.area_type(code))).empty:
            continue
        anchor = f"{indicator_id}-{sex.lower()}"
        heading = charts.Html(f'<h3 class="jsna-indicator" id="{html_attr(anchor)}">{definition_link(entry, sex)}</h3>')
        section = [heading]
        children, child_type = store.children(code, indicator_id)
        if children and store.latest(indicator_id, code, sex=sex, years=window(store, entry, child_type)) is not None:
            section.append(compare_areas_figure(store, code, indicator_id, sex=sex))
        if store.neighbourhood_type in entry["areas"] and store.area_type(code) != store.neighbourhood_type:
            ward_map = maps.ward_map(store, code, indicator_id, sex=sex)
            section += [ward_map] if ward_map is not None else []
        section.append(trend_figure(store, code, indicator_id, sex=sex))
        sections.append(section)
    return sections


def funnel_figures(store: Store, code: str, chapter: str) -> list:
    """Practice funnel plots of the chapter's indicators. Practices are compared across the
    borough and do not nest in townships, so other places get a pointer to the borough's page."""
    catalogue = store.entries(chapter)
    ids = [i for i in catalogue.loc[catalogue["funnel"], "indicator_id"] if not store.rows_of("funnels", i).empty]
    if not ids:
        return [charts.Html('<p class="jsna-note">No indicator in this chapter is compared between GP practices.</p>')]
    if not store.is_authority(code):
        authority = store.authority(code)
        kinds = store.words(store.area_type(code))[1]
        return [charts.Html(f'<p class="jsna-note">GP practices serve patients across {html_text(kinds)}, so they are compared across the whole '
                            f"{html_text(store.words(store.area_type(authority))[0])}: see the funnel plots on "
                            f"{html_text(store.name(authority))}'s page for this chapter.</p>")]  # fmt: skip
    return [funnel_figure(store, indicator_id) for indicator_id in ids]


# --------------------------------------------------------------------------------------------
# 7. What to act on first, and the authority at a glance
# --------------------------------------------------------------------------------------------
#: The tiers of the priority list, in order: the list itself, then what to watch. An indicator
#: that could not be compared with England is its own tier: never read as "not worse".
TIERS = {
    1: "Significantly worse than England and getting worse",
    2: "Significantly worse than England, not getting worse",
    3: "Getting worse, compared with England and not significantly worse",
    4: "Getting worse, not compared with England",
}
PRIORITY_COLUMNS = ["tier", "indicator_id", "title", "sex", "chapter", "marmot", "period", "value", "england_value", "compared_to_england",
                    "recent_trend", "distance", "reason"]  # fmt: skip


def priorities(store: Store, code: str, *, watch: bool = False) -> pd.DataFrame:
    """Indicators significantly worse than England and getting worse, for one place (tier 1).

    Each indicator and sex published for the place's type is read at the period the summaries
    show (the latest comparable with England, :meth:`Store.latest`), with its comparison with
    England and the recent trend of the five periods to it. With ``watch``, also tier 2 (worse
    than England, trend not worse), tier 3 (getting worse, compared with England and not worse)
    and tier 4 (getting worse, not compared with England: ``reason`` says why). Within a tier,
    ordered by how far the value is from England's, relative to England's, largest first.
    """
    rows = []
    for entry, sex, row in latest_rows(store, code, indicator_list(store, store.area_type(code))):
        if row is None:
            continue
        label = ENGLAND.label(row)
        worse = label == "Worse"
        worsening = str(row["recent_trend"]).endswith("getting worse")
        tier = 1 if worse and worsening else 2 if worse else (3 if label != "Not compared" else 4) if worsening else 0
        if tier == 0 or (tier > 1 and not watch):
            continue
        england = row["england_value"]
        distance = abs(row["value"] - england) / abs(england) if pd.notna(england) and england != 0 else np.nan
        reason = ENGLAND.reason(row)
        rows.append({"tier": tier, "indicator_id": entry["indicator_id"], "title": entry["title"], "sex": sex, "chapter": entry["chapter"],
                     "marmot": entry["marmot"], "period": row["period"], "value": row["value"], "england_value": england,
                     "compared_to_england": row["compared_to_england"], "recent_trend": row["recent_trend"], "distance": distance,
                     "reason": text.NOT_COMPARED_WORDS[reason].format(benchmark=ENGLAND_NAME) if reason else ""})  # fmt: skip
    out = pd.DataFrame(rows, columns=PRIORITY_COLUMNS)
    return out.sort_values(["tier", "distance", "indicator_id", "sex"], ascending=[True, False, True, True], kind="mergesort", na_position="last").reset_index(drop=True)


def england_not_compared(store: Store, code: str) -> tuple[list[str], int]:
    """The reason of each indicator (and sex) the place has a figure for that could not be
    compared with England at the period the summaries show, and how many it has in all."""
    latest = [row for _, _, row in latest_rows(store, code, indicator_list(store, store.area_type(code))) if row is not None]
    return [reason for row in latest if (reason := ENGLAND.reason(row))], len(latest)


def priority_lead(store: Store, code: str, found: pd.DataFrame) -> list[str]:
    """The sentences above a priority list (text): how many indicators are priorities, how many
    could not be compared with England and why, and how many of those are getting worse."""
    name = store.name(code)
    first = int((found["tier"] == 1).sum())
    lines = [f"{first} indicator{'s are' if first != 1 else ' is'} significantly worse than England and getting worse in {name}."
             if first else f"No indicator for {name} that could be compared with England is both significantly worse than England and getting worse."]  # fmt: skip
    reasons, total = england_not_compared(store, code)
    if reasons:
        lines.append(text.not_compared_sentence(reasons, total, ENGLAND_NAME) + " They are neither counted as similar nor as not worse.")
        unknown = int((found["tier"] == 4).sum())
        if unknown:
            lines.append(f"{unknown} of them {'are' if unknown != 1 else 'is'} getting worse and could be worse than England: "
                         f"listed under “{TIERS[4]}”.")  # fmt: skip
    return lines


def chapter_link(store: Store, code: str, chapter: str, anchor: str = "") -> str | None:
    """The href of one of the place's chapters from a page beside it ("live_well.html#smoking-persons"),
    None when the place has no such chapter."""
    chapters = store.area_types.loc[store.area_type(code), "chapters"] if store.area_type(code) in store.area_types.index else []
    if chapter not in list(chapters):
        return None
    return f"{chapter}.html" + (f"#{anchor}" if anchor else "")


def _linked(store: Store, code: str, entry: pd.Series, sex: str) -> str:
    """An indicator's name linked to its section in the place's chapter (or to its definition)."""
    href = chapter_link(store, code, str(entry["chapter"]), f"{entry['indicator_id']}-{sex.lower()}")
    if href is None:
        return definition_link(entry, sex)
    return f'<a href="{html_attr(href)}">{html_text(label(entry["title"], sex))}</a>'


def _more(store: Store, code: str, entry: pd.Series, sex: str) -> str:
    """A "More" link to an indicator's section in the place's chapter ("" when it has none)."""
    href = chapter_link(store, code, str(entry["chapter"]), f"{entry['indicator_id']}-{sex.lower()}")
    return "" if href is None else f'<a href="{html_attr(href)}" aria-label="{html_attr("More on " + label(entry["title"], sex))}">More</a>'


#: At most this many indicators are named in each group of "What to act on first".
ACT_SHOWN = 8


def act_on_first(store: Store, code: str) -> charts.Html:
    """The indicators to act on first, as the data show them: worse than England and getting
    worse; then worse than England; then getting worse where England has no value to compare
    with; each linked into its chapter, with how many could not be compared and why."""
    lead, groups = what_to_act_on(store, code)
    out = "".join(f"<p>{html_text(line)}</p>" for line in lead)
    for group in groups:
        items = [f"<li>{_linked(store, code, entry, sex)}: {html_text(words)}</li>" for entry, sex, words in group.items]
        tail = f"<li>and {group.more} more: see the chapters and the profile table below.</li>" if group.more > 0 else ""
        out += f'<h3>{html_text(group.heading)} ({group.total})</h3><ul class="jsna-findings">{"".join(items)}{tail}</ul>'
    return charts.Html(out)


@dataclass(frozen=True)
class PriorityGroup:
    """One group of "What to act on first": a tier of :func:`priorities`, its first
    :data:`ACT_SHOWN` indicators in words, and how many more it has."""

    heading: str
    total: int
    #: (catalogue entry, sex, "77.6 in 2020, England 78.7; increasing and getting worse").
    items: list[tuple[pd.Series, str, str]]

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def what_to_act_on(store: Store, code: str) -> tuple[list[str], list[PriorityGroup]]:
    """The lead sentences of "What to act on first" (:func:`priority_lead`) and its groups: worse
    than England and getting worse; worse than England; getting worse where England has no value
    for the period (text: the site's profile and the brief show the same)."""
    found = priorities(store, code, watch=True)
    groups = []
    for tier in (1, 2, 4):
        rows = found.loc[found["tier"] == tier]
        if rows.empty:
            continue
        items = []
        for r in rows.head(ACT_SHOWN).itertuples():
            entry = store.entry(r.indicator_id)
            digits = decimals(entry["unit"])
            england = f", England {text.number(r.england_value, '', digits)}" if pd.notna(r.england_value) else f" ({r.reason})"
            items.append((entry, r.sex, f"{text.number(r.value, '', digits)} in {r.period}{england}; {text.trend_words(r.recent_trend) or 'no recent trend'}"))
        groups.append(PriorityGroup(TIERS[tier], len(rows), items))
    return priority_lead(store, code, found), groups


#: Findings shown for each chapter on the authority's profile.
CHAPTER_SHOWN = 3


def chapter_highlights(store: Store, code: str, gaps: list[str] = ()) -> charts.Html:
    """The few findings that stand out in each of the place's chapters, against its profile's
    story, each chapter linked, with the count of the rest: the summary a Board reads first.
    The inequalities chapter is summed up by ``gaps``, its gap in life expectancy
    (:func:`jsna.pages.inequalities.inequality_headlines`); chapters without indicators
    (services) are linked."""
    story = profile_story(store, code)
    chapters = store.area_types.loc[store.area_type(code), "chapters"] if store.area_type(code) in store.area_types.index else []
    out, others = [], []
    for chapter in chapters:
        href = chapter_link(store, code, chapter)
        if chapter == "profile" or href is None:
            continue
        heading = f'<h3><a href="{html_attr(href)}">{html_text(chapter_words(chapter))}</a></h3>'
        if chapter == "inequalities":
            if gaps:
                out.append(heading + f'<ul class="jsna-findings">{"".join(f"<li>{html_text(g)}</li>" for g in gaps)}</ul>')
                continue
        result = findings(store, code, story, chapter)
        if not result.total:
            others.append(f'<a href="{html_attr(href)}">{html_text(chapter_words(chapter))}</a>')
            continue
        items = [f"<li>{html_text(sentence)} {_more(store, code, entry, sex)}</li>" for sentence, entry, sex in result.found[:CHAPTER_SHOWN]]
        rest = len(result.found) - CHAPTER_SHOWN
        if rest > 0:
            items.append(f'<li>{rest} more finding{"s" if rest > 1 else ""} in <a href="{html_attr(href)}">the chapter</a>.</li>')
        if not result.found:
            items.append(f"<li>{html_text(result.none_found(' in this chapter'))}</li>")
        out.append(heading + f'<ul class="jsna-findings">{"".join(items)}</ul>')
    if others:
        out.append(f"<p>Also for {html_text(store.name(code))}: {', '.join(others)}.</p>")
    overall = findings(store, code, story)
    notes = "".join(f'<p class="jsna-note">{html_text(line)}</p>' for line in overall.not_compared_lines())
    return charts.Html("".join(out) + notes)
