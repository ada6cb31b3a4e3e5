"""What the indicator chapters and profiles show: selections from the store turned into figures,
tables and sentences.

Notebooks call these named functions and display the result; no statistic is computed here or
in a notebook. Every function takes the :class:`~jsna.store.Store` and a place code.
"""

from __future__ import annotations

import pandas as pd

from jsna.pages import charts, text
from jsna.pages.escape import html_attr, html_text, markdown_text
from jsna.pages.html import (
    MISSING,
    SUPPRESSED,
    badge,
    decimals,
    definition_link,
    footnotes,
    html_table,
    label,
    published_table,
    shown,
    suppressed,
    trend_cell,
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
# Headlines
# --------------------------------------------------------------------------------------------
def headline(store: Store, code: str) -> str:
    """Markdown bullets: how many people, how old, how deprived, how long they live (each
    sentence escaped as Markdown text: names come from the data)."""
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
    return "\n".join(f"- {markdown_text(line)}" for line in lines)


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
    """HTML table of the place's latest value of every indicator, compared with England."""
    catalogue = store.catalogue
    if chapter is not None:
        catalogue = catalogue.loc[catalogue["chapter"] == chapter]
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
            rows.append(
                "<tr>"
                f"<td>{html_text(indicator.title)}{'' if sex == 'Persons' else ' – ' + text.SEX_WORDS[sex]}</td>"
                f"<td>{html_text(row['period'])}</td><td>{value}</td><td>{interval}</td>"
                f"<td>{text.number(row['england_value'], '', 1)}</td><td>{badge(row['compared_to_england'])}</td>"
                "</tr>"
            )
    head = "<tr><th>Indicator</th><th>Period</th><th>Value</th><th>95% interval</th><th>England</th><th>Compared with England</th></tr>"
    return charts.Html(f'<table class="jsna-data"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>')


# --------------------------------------------------------------------------------------------
# Shared helpers for the Fingertips-style views
# --------------------------------------------------------------------------------------------
def window(store: Store, entry: pd.Series, area_type: str | None) -> int:
    """The period window shown for a type of place: pooled for types that pool years (wards),
    single years otherwise."""
    return max(entry["windows"]) if store.pooled(area_type) else min(entry["windows"])


def indicator_list(store: Store, area_type: str, chapter: str | None = None) -> list[tuple[pd.Series, str]]:
    """(catalogue entry, sex) for every indicator published for this type of place, in catalogue order."""
    catalogue = store.catalogue
    if chapter is not None:
        catalogue = catalogue.loc[catalogue["chapter"] == chapter]
    entries = [entry for _, entry in catalogue.iterrows() if area_type in entry["areas"]]
    return [(entry, sex) for entry in entries for sex in entry["sex"]]


def region_name(store: Store, code: str) -> str:
    parent = store.parent(store.authority(code))
    return store.name(parent) if parent else "Region"


def latest_rows(store: Store, code: str, entries: list[tuple[pd.Series, str]]) -> list[tuple[pd.Series, str, pd.Series | None]]:
    """Each (entry, sex) with the place's latest row in the window shown for its type of place."""
    area_type = store.area_type(code)
    return [(entry, sex, store.latest(entry["indicator_id"], code, sex=sex, years=window(store, entry, area_type))) for entry, sex in entries]


def ward_range(store: Store, row: pd.Series | None, wards: list[str]) -> tuple[float, float]:
    """Lowest and highest published value among ``wards`` (places of the type small areas lie
    in) for the row's indicator, period, sex and window."""
    if row is None or not wards:
        return float("nan"), float("nan")
    values = store.at(row["indicator_id"], wards, sex=row["sex"], years=int(row["years"]), period=row["period"])["value"].dropna()
    return (float(values.min()), float(values.max())) if len(values) else (float("nan"), float("nan"))


# --------------------------------------------------------------------------------------------
# 1. Spine table and spine chart
# --------------------------------------------------------------------------------------------
def spine_table(store: Store, code: str, chapter: str) -> charts.Html:
    """Fingertips spine-chart summary: every indicator of a chapter for one place.

    Columns: indicator (linked to its definition), period, count, value, England, the region,
    the range across the place's wards, the comparison with England (colour, shape and words)
    and the recent trend in words.
    """
    wards = store.within(code, store.neighbourhood_type)
    region = region_name(store, code)
    body, cells, notes = [], [], []
    for entry, sex, row in latest_rows(store, code, indicator_list(store, store.area_type(code), chapter)):
        digits = decimals(entry["unit"])
        low, high = ward_range(store, row, wards)
        spread = f"{text.number(low, '', digits)} – {text.number(high, '', digits)}" if pd.notna(low) else MISSING
        values = [
            MISSING if row is None else html_text(row["period"]), shown(row, "count", 0), shown(row, "value", digits),
            shown(row, "england_value", digits), shown(row, "region_value", digits), spread,
        ]  # fmt: skip
        compared = MISSING if row is None else badge(row["compared_to_england"])
        body.append([definition_link(entry, sex), *values, compared, trend_cell("" if row is None else row["recent_trend"])])
        cells += values + [compared]
        notes += [] if row is None else [row["note"]]
    across = f"Range across {store.words(store.neighbourhood_type)[1]}"
    head = ["Indicator", "Period", "Count", "Value", "England", html_text(region), html_text(across), "Compared with England", "Recent trend"]
    caption = f"{store.name(code)}: latest value of each indicator, compared with England"
    return html_table(head, body, caption=caption, notes=footnotes(notes, cells))


def spine_figure(store: Store, code: str, chapter: str) -> charts.Figure | charts.Html:
    """Fingertips spine chart: the place's value (shape and colour by comparison) on a bar
    spanning its wards' range, each indicator scaled so England sits at the centre and better
    is to the right. Indicators without an England value for the period are listed, not drawn."""
    name = store.name(code)
    wards = store.within(code, store.neighbourhood_type)
    plural = store.words(store.neighbourhood_type)[1]
    records, left_out = [], []
    for entry, sex, row in latest_rows(store, code, indicator_list(store, store.area_type(code), chapter)):
        if row is None or pd.isna(row["value"]) or pd.isna(row["england_value"]):
            left_out.append(label(entry["title"], sex))
            continue
        low, high = ward_range(store, row, wards)
        records.append({"indicator": f"{label(entry['title'], sex)} ({row['period']})", "entry": entry, "row": row, "low": low, "high": high})
    if not records:
        return charts.Html(f'<p class="jsna-note">No indicator in this chapter has an England value for its latest period in {html_text(name)}, so there is no spine chart.</p>')
    data = pd.DataFrame([spine_point(r["indicator"], r["row"], r["low"], r["high"]) for r in records])
    labels = data["comparison"].tolist()
    title = text.tally_title(name, labels, ENGLAND_NAME)
    subtitle = f"The line is England; the grey bar spans the {plural}' values; the marker is " + name
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


def spine_point(indicator: str, row: pd.Series, low: float, high: float) -> dict:
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
        "range_text": f"{text.number(low, '', digits)} – {text.number(high, '', digits)}" if pd.notna(low) else MISSING,
        "comparison": charts.comparison_key(row["compared_to_england"]),
    }  # fmt: skip


# --------------------------------------------------------------------------------------------
# 2. Compare areas
# --------------------------------------------------------------------------------------------
def compare_areas_figure(store: Store, code: str, indicator_id: str, sex: str = "Persons", *, area_type: str | None = None) -> charts.Figure:
    """The place's children (or, with ``area_type``, every place of that type within it: the
    borough's wards) ranked with 95% limits, by comparison with the place itself."""
    entry = store.entry(indicator_id)
    if area_type is None:
        codes, child_type = store.children(code, indicator_id)
    else:
        have = set(store.of(indicator_id)["area_code"])
        codes, child_type = [c for c in store.within(code, area_type) if c in have], area_type
    if not codes:
        raise KeyError(f"{indicator_id!r} has no values for the places within {code!r}")
    # A ward's parent is its township: ranked within the borough, it is compared with the borough.
    compared = "compared_to_parent" if all(store.parent(c) == code for c in codes) else "compared_to_authority"
    years = window(store, entry, child_type)
    place_row = store.latest(indicator_id, code, sex=sex, years=years)
    if place_row is None:
        raise KeyError(f"{indicator_id!r} has no {years}-year values for {code!r}, sex {sex!r}")
    name, period, unit = store.name(code), place_row["period"], entry["unit"]
    rows = store.at(indicator_id, codes, sex=sex, years=years, period=period)
    rows = rows.assign(area_name=[store.name(c) for c in rows["area_code"]], comparison=rows[compared].map(charts.comparison_key))
    drawn = rows.loc[rows["value"].notna(), ["area_name", "value", "lower_95_0", "upper_95_0", "comparison"]]
    words = text.indicator_subject(entry["title"], sex)
    ranked = drawn.sort_values(["value", "area_name"], ascending=[False, True])
    if len(drawn) > 1 and set(drawn["comparison"]) == {"Not compared"}:
        lowest, highest = ranked.iloc[-1], ranked.iloc[0]
        title = text.range_title(words, (lowest["area_name"], lowest["value"]), (highest["area_name"], highest["value"]), unit, period)
    else:
        title = text.compare_areas_title(words, text.is_plural(entry["title"]), drawn["comparison"].tolist(), name, store.words(child_type))
    place_text, england_text = text.value_text(place_row["value"], unit), text.value_text(place_row["england_value"], unit)
    england_part = f"; England: {england_text}" if pd.notna(place_row["england_value"]) else ""
    subtitle = f"{period}. {name}: {place_text}{england_part}. Lines show 95% confidence intervals."
    hidden = len(rows) - len(drawn)
    if hidden:
        subtitle += f" {text.area_count(hidden, store.words(child_type))} not shown ([c] or [x])."
    references = [(f"{name}: {text.number(place_row['value'], '', decimals(unit))}", place_row["value"]),
                  (f"England: {text.number(place_row['england_value'], '', decimals(unit))}", place_row["england_value"])]  # fmt: skip
    chart = charts.ranked_bars(drawn, title=title, subtitle=subtitle, unit=unit, references=references, legend_title=f"Compared with {name}")
    table = published_table(
        rows, {"area_name": "Area", "count": "Count", "value": "Value", "lower_95_0": "Lower 95% limit", "upper_95_0": "Upper 95% limit", "comparison": f"Compared with {name}"}
    )
    alt_text = (
        f"Chart ranking the {text.area_count(len(drawn), store.words(child_type))} of {name} by {text.lower_first(words)} in {period}, each with its 95% "
        f"confidence interval, coloured and shaped by comparison with {name} ({place_text}){england_part}. "
        + (f"Highest: {ranked['area_name'].iloc[0]} ({text.value_text(ranked['value'].iloc[0], unit)}); lowest: "
           f"{ranked['area_name'].iloc[-1]} ({text.value_text(ranked['value'].iloc[-1], unit)}). " if len(ranked) else "")
        + f"{title}."
    )  # fmt: skip
    return charts.show(chart, alt_text=alt_text, table=table, name=f"compare-{indicator_id}-{sex.lower()}-{code}", note=figure_note(rows))


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
    townships, pooled years for wards)."""
    entry = store.entry(indicator_id)
    rows = store.rows(indicator_id, code, sex=sex, years=window(store, entry, store.area_type(code))).tail(TREND_PERIODS)
    if rows.empty:
        raise KeyError(f"{indicator_id!r} has no values for {code!r}, sex {sex!r}")
    name, unit, latest = store.name(code), entry["unit"], rows.iloc[-1]
    place = rows.loc[rows["value"].notna()].assign(series=name)
    england = rows.loc[rows["england_value"].notna()].assign(series=ENGLAND_NAME, value=lambda d: d["england_value"], lower_95_0=float("nan"), upper_95_0=float("nan"))
    data = pd.concat([place, england], ignore_index=True)[["period", "series", "value", "lower_95_0", "upper_95_0"]]
    words = text.indicator_subject(entry["title"], sex)
    latest_text = f"{shown(latest, 'value', decimals(unit))} in {latest['period']}" if suppressed(latest) else f"{text.value_text(latest['value'], unit)} in {latest['period']}"
    title = text.trend_title(words, text.is_plural(entry["title"]), name, latest["recent_trend"], latest_text)
    trend = latest["recent_trend"] or "Could not be calculated"
    subtitle = f"Recent trend (last five periods): {trend}. Latest: {latest_text}. The band is the 95% confidence interval."
    chart = charts.interval_trend(data, title=title, subtitle=subtitle, unit=unit, order=rows["period"].tolist())
    table = published_table(rows, {"period": "Period", "count": "Count", "value": name, "lower_95_0": "Lower 95% limit",
                                   "upper_95_0": "Upper 95% limit", "england_value": ENGLAND_NAME, "compared_to_england": "Compared with England"})  # fmt: skip
    alt_text = (
        f"Line chart of {text.lower_first(words)} in {name} for each period from {rows['period'].iloc[0]} to {latest['period']}, "
        f"with a shaded 95% confidence interval" + (" and England's value as a dashed line" if len(england) else "")
        + f". {subtitle}"
    )
    return charts.show(chart, alt_text=alt_text, table=table, name=f"trend-{indicator_id}-{sex.lower()}-{code}", note=figure_note(rows))


# --------------------------------------------------------------------------------------------
# 4. Tartan rug
# --------------------------------------------------------------------------------------------
def tartan_cells(store: Store, code: str, chapter: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """One cell per indicator x place (England, the place, its children): text, comparison, note."""
    children, child_type = store.children(code)
    places = [code, *children]
    columns = [ENGLAND_NAME] + [store.name(c) for c in places]
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
        for place, column in zip(places, columns[1:]):
            row = found.loc[place] if place in found.index else None
            comparison = "Not compared" if row is None else charts.comparison_key(row["compared_to_england"])
            records.append({"indicator": row_label, "place": column, "value": shown(row, "value", digits), "comparison": comparison, "note": "" if row is None else row["note"]})
    cells = pd.DataFrame(records, columns=["indicator", "place", "value", "comparison", "note"])
    glyphs = cells["comparison"].map(lambda c: charts.COMPARISON_GLYPH.get(c, ""))
    cells["text"] = (glyphs + " " + cells["value"]).str.strip()
    cells["unit"] = cells["indicator"].map(units)
    return cells, rows, columns


def tartan_rug(store: Store, code: str, chapter: str) -> charts.Figure:
    """Overview grid: every indicator of a chapter (rows) for England, the place and its
    children (columns), each cell's value as text with a shape, coloured by comparison with England."""
    cells, rows, columns = tartan_cells(store, code, chapter)
    if cells.empty:
        raise KeyError(f"no indicator of chapter {chapter!r} has values for {code!r}")
    name = store.name(code)
    own = cells.loc[cells["place"] == name, "comparison"].tolist()
    title = text.tally_title(name, own, ENGLAND_NAME)
    others = cells.loc[~cells["place"].isin([ENGLAND_NAME, name]), "comparison"]
    subtitle = (
        f"Across the {len(columns) - 2} areas within it: {int((others == 'Worse').sum())} values significantly worse than England, "
        f"{int((others == 'Better').sum())} better. ▲ better or higher, ▼ worse or lower, ● similar; no shape: not compared."
    )
    chart = charts.tartan(cells[["indicator", "place", "text", "comparison"]], title=title, subtitle=subtitle, rows=rows, columns=columns)
    table = tartan_grid(cells, rows, columns)
    alt_text = (
        f"Grid of {len(rows)} indicators (rows) by {len(columns)} areas (columns: England, {name} and the areas within it). "
        f"Each cell shows the value with a shape for its comparison with England and is coloured by it. {title}. {subtitle}"
    )
    note = " ".join(footnotes(cells["note"].tolist(), cells["value"].tolist()))
    return charts.show(chart, alt_text=alt_text, table=table, name=f"tartan-{chapter}-{code}", note=note)


def tartan_grid(cells: pd.DataFrame, rows: list[str], columns: list[str]) -> pd.DataFrame:
    """The tartan rug as a table of words: "77.6 (Worse)"."""
    words = cells["value"] + cells["comparison"].map(lambda c: "" if c in ("Benchmark", "Not compared") else f" ({c})")
    grid = cells.assign(cell=words).pivot(index="indicator", columns="place", values="cell").reindex(index=rows, columns=columns)
    grid.insert(0, "Unit", cells.drop_duplicates("indicator").set_index("indicator")["unit"].reindex(rows))
    return grid.rename_axis(index="Indicator (period)", columns=None).reset_index()


def tartan_table(store: Store, code: str, chapter: str) -> charts.Html:
    """The tartan rug as an HTML table: every cell with its value, shape, colour and words."""
    cells, rows, columns = tartan_cells(store, code, chapter)
    by_cell = cells.set_index(["indicator", "place"])
    body = []
    units = cells.drop_duplicates("indicator").set_index("indicator")["unit"]
    for row in rows:
        line = [html_text(row), html_text(str(units[row]))]
        for column in columns:
            cell = by_cell.loc[(row, column)]
            line.append(cell["value"] if cell["comparison"] in ("Benchmark", "Not compared") else f"{cell['value']} {badge(cell['comparison'])}")
        body.append(line)
    notes = footnotes(cells["note"].tolist(), cells["value"].tolist())
    caption = f"{store.name(code)} and the areas within it: latest values, compared with England"
    return html_table(["Indicator (period)", "Unit", *map(html_text, columns)], body, caption=caption, notes=notes)


# --------------------------------------------------------------------------------------------
# 5. Practice funnel plot
# --------------------------------------------------------------------------------------------
OUTLYING = ("High (0.001)", "Low (0.001)")


def funnel_figure(store: Store, indicator_id: str, period: str | None = None) -> charts.Figure:
    """Practices' values against their size with 95% and 99.8% funnel limits around the
    borough's value; the title names the practices outside the 99.8% limits."""
    entry = store.entry(indicator_id)
    points = store.table("funnels")
    points = points.loc[points["indicator_id"] == indicator_id]
    if points.empty:
        raise KeyError(f"the store has no funnel plot for {indicator_id!r}")
    ends = store.of(indicator_id).drop_duplicates("period").set_index("period")["period_end"]
    period = period or max(points["period"].unique(), key=lambda p: (ends.get(p, 0), p))
    points = points.loc[points["period"] == period].sort_values(["value", "area_name"], ascending=[False, True])
    lines = store.table("funnel_lines")
    lines = lines.loc[(lines["indicator_id"] == indicator_id) & (lines["period"] == period)]
    long = lines.melt(id_vars="denominator", value_vars=["lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8"], var_name="line")
    long = long.assign(limit=long["line"].map(lambda c: "99.8% limits" if c.endswith("99_8") else "95% limits"), side=long["line"].str.split("_").str[0])
    outliers = points.loc[points["significance"].isin(OUTLYING)]
    authority = store.authority(str(points["parent_code"].iloc[0]))
    title, subtitle = text.funnel_title(outliers["area_name"].tolist(), outliers["significance"].str.startswith("High").tolist(),
                                        text.indicator_subject(entry["title"], "Persons"), period, len(points),
                                        f"the {store.words(store.area_type(authority))[0]}")  # fmt: skip
    baseline = float(points["baseline"].iloc[0])
    borough = store.name(authority)
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
    """The place's age-sex structure against the borough's (England's for the borough itself)."""
    borough = store.authority(code)
    if borough == code:
        return pyramid_figure(store, code)
    structure = store.table("age_structure")
    year = int(structure.loc[structure["area_code"] == code, "year"].max()) if (structure["area_code"] == code).any() else 0
    comparator = structure.loc[(structure["area_code"] == borough) & (structure["year"] == year)]
    return pyramid_against(store, code, structure, comparator, comparator_name=store.name(borough), comparator_label=f"{store.name(borough)} {year}")


def profile_spine(store: Store, code: str) -> charts.Html:
    """Every indicator in every chapter for one place, against the borough and England, grouped
    by chapter."""
    parent_name = store.name(store.authority(code))
    body, cells, notes = [], [], []
    entries = indicator_list(store, store.area_type(code))
    for chapter in dict.fromkeys(entry["chapter"] for entry, _ in entries):
        body.append(str(chapter).replace("_", " ").capitalize())
        chosen = [(entry, sex) for entry, sex in entries if entry["chapter"] == chapter]
        for entry, sex, row in latest_rows(store, code, chosen):
            digits = decimals(entry["unit"])
            values = [MISSING if row is None else html_text(row["period"]), shown(row, "count", 0), shown(row, "value", digits),
                      shown(row, "authority_value", digits), shown(row, "england_value", digits)]  # fmt: skip
            compared = [MISSING, MISSING] if row is None else [badge(row["compared_to_authority"]), badge(row["compared_to_england"])]
            body.append([definition_link(entry, sex), *values, *compared, trend_cell("" if row is None else row["recent_trend"])])
            cells += values + compared
            notes += [] if row is None else [row["note"]]
    head = ["Indicator", "Period", "Count", "Value", html_text(parent_name), "England",
            f"Compared with {html_text(parent_name)}", "Compared with England", "Recent trend"]  # fmt: skip
    caption = f"{store.name(code)}: every indicator, compared with {parent_name} and England"
    return html_table(head, body, caption=caption, notes=footnotes(notes, cells))


def headline_findings(store: Store, code: str, chapter: str | None = None) -> str:
    """Markdown bullets of what stands out for a place (in one chapter, or all), worst first,
    generated from the flags: significant differences from England (or else from the parent
    area) and significant trends."""
    parent = store.parent(code)
    found = []
    for order, (entry, sex, row) in enumerate(latest_rows(store, code, indicator_list(store, store.area_type(code), chapter))):
        if row is None or pd.isna(row["value"]):
            continue
        benchmark, value, comparison = chosen_comparison(store, row, parent)
        trend = text.trend_words(row["recent_trend"]) not in ("", "no significant change")
        if text.comparison_judgement(comparison) == 0 and comparison not in ("Higher", "Lower") and not trend:
            continue
        score = text.comparison_judgement(comparison) + text.trend_judgement(row["recent_trend"])
        found.append((-score, order, text.headline_sentence(row, store.name(code), benchmark, value, comparison)))
    if not found:
        where = "" if chapter is None else " in this chapter"
        return f"- No indicator{where} for {markdown_text(store.name(code))} is significantly different from England or changing significantly."
    return "\n".join(f"- {markdown_text(sentence)}" for _, _, sentence in sorted(found))


def chosen_comparison(store: Store, row: pd.Series, parent: str | None) -> tuple[str, float, str]:
    """(benchmark name, its value, label): England when significant, else the parent area when
    significant, else whichever could be compared ("Similar"), else "Not compared"."""
    options = [(ENGLAND_NAME, row["england_value"], charts.comparison_key(row["compared_to_england"]))]
    if parent:
        options.append((store.name(parent), row["parent_value"], charts.comparison_key(row["compared_to_parent"])))
    for wanted in (("Better", "Worse", "Higher", "Lower"), ("Similar",)):
        for option in options:
            if option[2] in wanted:
                return option
    return options[0]


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
        section.append(trend_figure(store, code, indicator_id, sex=sex))
        sections.append(section)
    return sections


def funnel_figures(store: Store, code: str, chapter: str) -> list:
    """Practice funnel plots of the chapter's indicators. Practices are compared across the
    borough and do not nest in townships, so other places get a pointer to the borough's page."""
    catalogue = store.catalogue
    published = set(store.table("funnels")["indicator_id"])
    ids = [i for i in catalogue.loc[(catalogue["chapter"] == chapter) & catalogue["funnel"], "indicator_id"] if i in published]
    if not ids:
        return [charts.Html('<p class="jsna-note">No indicator in this chapter is compared between GP practices.</p>')]
    if not store.is_authority(code):
        authority = store.authority(code)
        kinds = store.words(store.area_type(code))[1]
        return [charts.Html(f'<p class="jsna-note">GP practices serve patients across {html_text(kinds)}, so they are compared across the whole '
                            f"{html_text(store.words(store.area_type(authority))[0])}: see the funnel plots on "
                            f"{html_text(store.name(authority))}'s page for this chapter.</p>")]  # fmt: skip
    return [funnel_figure(store, indicator_id) for indicator_id in ids]
