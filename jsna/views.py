"""What the chapters show: selections from the store turned into figures, tables and sentences.

Notebooks call these named functions and display the result; no statistic is computed here or
in a notebook. Every function takes the :class:`Store` and a place code.
"""

from __future__ import annotations

import html
from functools import cached_property
from pathlib import Path

import pandas as pd

from jsna import charts, text

ENGLAND_NAME = "England"
SUPPRESSED = "[c]"
MISSING = "[x]"
#: Columns disclosure control blanks; a view never publishes them for a "[c]" row.
DISCLOSED = ["value", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8", "count"]
#: Which children a place is broken down into, in order of preference.
CHILD_TYPES = {"borough": ("township", "pcn"), "township": ("ward",), "pcn": ("practice",)}
#: Area types shown with pooled (multi-year) windows; other places use single years.
POOLED_TYPES = ("ward",)
#: Chapter pages sit two folders deep (places/<code>/<chapter>).
DEFINITIONS = "../../about/definitions.html"
MISSING_NOTE = "[x] not available: no figure for this place, period or comparator."
SUPPRESSED_NOTE = "[c] confidential: not published because it is based on a small number of events."


class Store:
    """Read-only access to the indicator store folder written by the build.

    Disclosure control is applied again on reading: every row whose note starts with "[c]" has
    its value, limits, count and comparisons blanked, and so has the parent value of the areas
    within it, so no view can publish them whatever the file holds.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if not (self.folder / "indicators.parquet").exists():
            raise FileNotFoundError(f"no indicator store in {self.folder}: run the build first")

    def table(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.folder / f"{name}.parquet")

    @cached_property
    def indicators(self) -> pd.DataFrame:
        # Disclosure control happened in the data layer (jsna.indicators): a suppressed row has
        # no value, limits, count or comparison, and no child carries it as parent_value.
        df = self.table("indicators")
        df["note"] = df["note"].fillna("").astype(str)
        df["recent_trend"] = df["recent_trend"].fillna("").astype(str)
        return df

    @cached_property
    def _by_indicator(self) -> dict[str, pd.DataFrame]:
        return {key: rows for key, rows in self.indicators.groupby("indicator_id", sort=True)}

    @cached_property
    def breakdowns(self) -> pd.DataFrame:
        """Indicators by local deprivation quantile (see :mod:`jsna.inequalities`)."""
        return self.table("breakdowns")

    @cached_property
    def gaps(self) -> pd.DataFrame:
        """Slope and relative indices of inequality and the gap, per breakdown series."""
        return self.table("inequality_gaps")

    def of(self, indicator_id: str) -> pd.DataFrame:
        """Every row of one indicator."""
        return self._by_indicator.get(indicator_id, self.indicators.iloc[:0])

    @cached_property
    def catalogue(self) -> pd.DataFrame:
        return self.table("catalogue")

    def entry(self, indicator_id: str) -> pd.Series:
        """One indicator's catalogue entry."""
        found = self.catalogue.loc[self.catalogue["indicator_id"] == indicator_id]
        if found.empty:
            raise KeyError(f"indicator {indicator_id!r} is not in the store's catalogue")
        return found.iloc[0]

    @cached_property
    def geography(self) -> pd.DataFrame:
        return self.table("geography").set_index("area_code")

    def place(self, code: str) -> pd.Series:
        if code not in self.geography.index:
            raise KeyError(f"place {code!r} is not in the store's geography")
        return self.geography.loc[code]

    def name(self, code: str) -> str:
        """The place's name as the book writes it ("Dudley township" is not "Dudley")."""
        place = self.place(code)
        return text.place_name(str(place["area_name"]), str(place["area_type"]))

    def area_type(self, code: str) -> str:
        return str(self.place(code)["area_type"])

    def parent(self, code: str) -> str | None:
        parent = self.place(code)["parent_code"]
        return None if pd.isna(parent) or parent not in self.geography.index else str(parent)

    def borough(self, code: str) -> str:
        """The borough a place lies in (the place itself for the borough)."""
        while self.area_type(code) != "borough":
            parent = self.parent(code)
            if parent is None:
                raise KeyError(f"place {code!r} is not within a borough")
            code = parent
        return code

    def within(self, code: str, area_type: str) -> list[str]:
        """Codes of every place of ``area_type`` inside ``code`` (at any depth), by name."""
        geography = self.geography
        found, frontier = [], [code]
        while frontier:
            below = geography.loc[geography["parent_code"].isin(frontier)]
            found += below.index[below["area_type"] == area_type].tolist()
            frontier = below.index.tolist()
        return sorted(found, key=lambda c: (str(geography.loc[c, "area_name"]), c))

    def children(self, code: str, indicator_id: str | None = None) -> tuple[list[str], str | None]:
        """The places a place breaks down into (townships of the borough, wards of a township,
        practices of a network), by name, and their type; only those with the indicator if given."""
        have = set(self.of(indicator_id)["area_code"]) if indicator_id else None
        for area_type in CHILD_TYPES.get(self.area_type(code), ()):
            codes = [c for c in self.within(code, area_type) if self.parent(c) == code and (have is None or c in have)]
            if codes:
                return codes, area_type
        return [], None

    def rows(self, indicator_id: str, code: str, *, sex: str = "Persons", years: int | None = None) -> pd.DataFrame:
        """All periods of one indicator for one place, oldest first (shortest window if not given)."""
        df = self.of(indicator_id)
        df = df.loc[(df["area_code"] == code) & (df["sex"] == sex)]
        if df.empty:
            return df
        window = years if years is not None else int(df["years"].min())
        return df.loc[df["years"] == window].sort_values("period_end")

    def latest(self, indicator_id: str, code: str, *, sex: str = "Persons", years: int | None = None) -> pd.Series | None:
        """The period a summary shows: the latest with a published England value, so that it can be
        compared with England as Fingertips does, or the latest of all when England has none.

        England's value depends only on indicator, period and sex, so every place in a table or
        chart is shown for the same period; the period label always says which.
        """
        rows = self.rows(indicator_id, code, sex=sex, years=years)
        if rows.empty:
            return None
        comparable = rows.loc[rows["england_value"].notna()]
        return (comparable if len(comparable) else rows).iloc[-1]

    def at(self, indicator_id: str, codes: list[str], *, sex: str, years: int, period: str) -> pd.DataFrame:
        """One period of one indicator for several places, in the order of ``codes``."""
        df = self.of(indicator_id)
        df = df.loc[df["area_code"].isin(codes) & (df["sex"] == sex) & (df["years"] == years) & (df["period"] == period)]
        return df.set_index("area_code").reindex([c for c in codes if c in set(df["area_code"])]).reset_index()


def _parent_or_england(store: Store, code: str) -> tuple[str, str | None]:
    """The comparator a place is drawn against: its parent borough/township, or England."""
    place = store.place(code)
    if place["area_type"] == "borough":
        return ENGLAND_NAME, None
    return store.name(place["parent_code"]), place["parent_code"]


# --------------------------------------------------------------------------------------------
# Headlines
# --------------------------------------------------------------------------------------------
def headline(store: Store, code: str) -> str:
    """Markdown bullets: how many people, how old, how deprived, how long they live."""
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
            lines.append(text.finding(row))
    return "\n".join(f"- {line}" for line in lines)


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
    people = "registered patients" if store.area_type(code) in ("pcn", "practice") else "residents"
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
def badge(label: str) -> str:
    """A comparison label in words with a shape, and a colour that is never the only signal."""
    shapes = {"Better": "▲", "Similar": "●", "Worse": "▼", "Higher": "▲", "Lower": "▼", "Not compared": "■"}
    label = str(label)
    key = "Not compared" if label.startswith("Not") else label.split(" ")[0]  # "Better 99.8%" -> "Better"
    css = key.lower().replace(" ", "-")
    return f'<span class="jsna-badge {css}">{shapes.get(key, "")} {html.escape(str(label))}</span>'


def summary_table(store: Store, code: str, *, chapter: str | None = None) -> charts.Html:
    """HTML table of the place's latest value of every indicator, compared with England."""
    catalogue = store.table("catalogue")
    if chapter is not None:
        catalogue = catalogue.loc[catalogue["chapter"] == chapter]
    rows = []
    for indicator in catalogue.itertuples():
        for sex in indicator.sex.split(", "):
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
                f"<td>{html.escape(indicator.title)}{'' if sex == 'Persons' else ' – ' + text.SEX_WORDS[sex]}</td>"
                f"<td>{html.escape(row['period'])}</td><td>{value}</td><td>{interval}</td>"
                f"<td>{text.number(row['england_value'], '', 1)}</td><td>{badge(row['compared_to_england'])}</td>"
                "</tr>"
            )
    head = "<tr><th>Indicator</th><th>Period</th><th>Value</th><th>95% interval</th><th>England</th><th>Compared with England</th></tr>"
    return charts.Html(f'<table class="jsna-data"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>')


# --------------------------------------------------------------------------------------------
# Shared helpers for the Fingertips-style views
# --------------------------------------------------------------------------------------------
def window(entry: pd.Series, area_type: str | None) -> int:
    """The period window shown for a type of place: pooled for wards, single years otherwise."""
    windows = [int(w) for w in str(entry["windows"]).split(",")]
    return max(windows) if area_type in POOLED_TYPES else min(windows)


def indicator_list(store: Store, area_type: str, chapter: str | None = None) -> list[tuple[pd.Series, str]]:
    """(catalogue entry, sex) for every indicator published for this type of place, in catalogue order."""
    catalogue = store.catalogue
    if chapter is not None:
        catalogue = catalogue.loc[catalogue["chapter"] == chapter]
    entries = [entry for _, entry in catalogue.iterrows() if area_type in str(entry["areas"]).split(", ")]
    return [(entry, sex) for entry in entries for sex in str(entry["sex"]).split(", ")]


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


def html_table(head: list[str], body: list[list[str] | str], *, caption: str, notes: list[str], wrap: bool = False) -> charts.Html:
    """A data table; cells are HTML already. A ``str`` in ``body`` is a section heading row.
    With ``wrap``, cells may wrap (for tables with long words in many columns)."""
    heads = "".join(f'<th scope="col">{cell}</th>' for cell in head)
    rows = []
    for row in body:
        if isinstance(row, str):
            rows.append(f'<tr class="jsna-section"><th scope="colgroup" colspan="{len(head)}">{html.escape(row)}</th></tr>')
        else:
            rows.append(f'<tr><th scope="row">{row[0]}</th>{"".join(f"<td>{cell}</td>" for cell in row[1:])}</tr>')
    foot = "".join(f'<p class="jsna-note">{html.escape(note)}</p>' for note in notes)
    # A table wider than the text column scrolls inside its own region, which the keyboard can
    # reach and a screen reader names, instead of pushing the page sideways.
    return charts.Html(
        f'<div class="jsna-scroll" role="region" tabindex="0" aria-label="{html.escape(caption, quote=True)}">'
        f'<table class="jsna-data jsna-spine{" jsna-wrap" if wrap else ""}"><caption>{html.escape(caption)}</caption><thead><tr>{heads}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></div>{foot}'
    )


def definition_link(entry: pd.Series, sex: str) -> str:
    return f'<a href="{DEFINITIONS}#{html.escape(str(entry["indicator_id"]))}">{html.escape(label(entry["title"], sex))}</a>'


def trend_cell(trend: str) -> str:
    """The recent trend in words, with an arrow; "[x]" when there is none."""
    if not trend or trend == "Could not be calculated":
        return MISSING if not trend else html.escape(trend)
    arrow = "↑ " if trend.startswith("Increasing") else "↓ " if trend.startswith("Decreasing") else "→ "
    css = "worse" if trend.endswith("getting worse") else "better" if trend.endswith("getting better") else "neutral"
    return f'<span class="jsna-trend {css}"><span aria-hidden="true">{arrow}</span>{html.escape(trend)}</span>'


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


def region_name(store: Store, code: str) -> str:
    parent = store.parent(store.borough(code))
    return store.name(parent) if parent else "Region"


def latest_rows(store: Store, code: str, entries: list[tuple[pd.Series, str]]) -> list[tuple[pd.Series, str, pd.Series | None]]:
    """Each (entry, sex) with the place's latest row in the window shown for its type of place."""
    area_type = store.area_type(code)
    return [(entry, sex, store.latest(entry["indicator_id"], code, sex=sex, years=window(entry, area_type))) for entry, sex in entries]


def ward_range(store: Store, row: pd.Series | None, wards: list[str]) -> tuple[float, float]:
    """Lowest and highest published value among ``wards`` for the row's indicator, period, sex and window."""
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
    wards = store.within(code, "ward")
    region = region_name(store, code)
    body, cells, notes = [], [], []
    for entry, sex, row in latest_rows(store, code, indicator_list(store, store.area_type(code), chapter)):
        digits = decimals(entry["unit"])
        low, high = ward_range(store, row, wards)
        spread = f"{text.number(low, '', digits)} – {text.number(high, '', digits)}" if pd.notna(low) else MISSING
        values = [
            MISSING if row is None else html.escape(row["period"]), shown(row, "count", 0), shown(row, "value", digits),
            shown(row, "england_value", digits), shown(row, "region_value", digits), spread,
        ]  # fmt: skip
        compared = MISSING if row is None else badge(row["compared_to_england"])
        body.append([definition_link(entry, sex), *values, compared, trend_cell("" if row is None else row["recent_trend"])])
        cells += values + [compared]
        notes += [] if row is None else [row["note"]]
    head = ["Indicator", "Period", "Count", "Value", "England", html.escape(region), "Range across wards", "Compared with England", "Recent trend"]
    caption = f"{store.name(code)}: latest value of each indicator, compared with England"
    return html_table(head, body, caption=caption, notes=footnotes(notes, cells))


def spine_figure(store: Store, code: str, chapter: str) -> charts.Figure | charts.Html:
    """Fingertips spine chart: the place's value (shape and colour by comparison) on a bar
    spanning its wards' range, each indicator scaled so England sits at the centre and better
    is to the right. Indicators without an England value for the period are listed, not drawn."""
    name = store.name(code)
    wards = store.within(code, "ward")
    records, left_out = [], []
    for entry, sex, row in latest_rows(store, code, indicator_list(store, store.area_type(code), chapter)):
        if row is None or pd.isna(row["value"]) or pd.isna(row["england_value"]):
            left_out.append(label(entry["title"], sex))
            continue
        low, high = ward_range(store, row, wards)
        records.append({"indicator": f"{label(entry['title'], sex)} ({row['period']})", "entry": entry, "row": row, "low": low, "high": high})
    if not records:
        return charts.Html(f'<p class="jsna-note">No indicator in this chapter has an England value for its latest period in {html.escape(name)}, so there is no spine chart.</p>')
    data = pd.DataFrame([spine_point(r["indicator"], r["row"], r["low"], r["high"]) for r in records])
    labels = data["comparison"].tolist()
    title = text.tally_title(name, labels, ENGLAND_NAME)
    subtitle = "The line is England; the grey bar spans the wards' values; the marker is " + name
    if left_out:
        subtitle += f". Not drawn (no England value for the period): {'; '.join(left_out)}"
    chart = charts.spine(data, title=title, subtitle=subtitle, rows=data["indicator"].tolist())
    table = data[["indicator", "value_text", "england_text", "range_text", "comparison"]].rename(
        columns={"indicator": "Indicator (period)", "value_text": name, "england_text": "England", "range_text": "Range across wards", "comparison": "Compared with England"}
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
    compared = "compared_to_parent" if all(store.parent(c) == code for c in codes) else "compared_to_borough"
    years = window(entry, child_type)
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
        title = text.compare_areas_title(words, text.is_plural(entry["title"]), drawn["comparison"].tolist(), name, child_type)
    place_text, england_text = text.value_text(place_row["value"], unit), text.value_text(place_row["england_value"], unit)
    england_part = f"; England: {england_text}" if pd.notna(place_row["england_value"]) else ""
    subtitle = f"{period}. {name}: {place_text}{england_part}. Lines show 95% confidence intervals."
    hidden = len(rows) - len(drawn)
    if hidden:
        subtitle += f" {text.area_count(hidden, child_type)} not shown ([c] or [x])."
    references = [(f"{name}: {text.number(place_row['value'], '', decimals(unit))}", place_row["value"]),
                  (f"England: {text.number(place_row['england_value'], '', decimals(unit))}", place_row["england_value"])]  # fmt: skip
    chart = charts.ranked_bars(drawn, title=title, subtitle=subtitle, unit=unit, references=references, legend_title=f"Compared with {name}")
    table = published_table(
        rows, {"area_name": "Area", "count": "Count", "value": "Value", "lower_95_0": "Lower 95% limit", "upper_95_0": "Upper 95% limit", "comparison": f"Compared with {name}"}
    )
    alt_text = (
        f"Chart ranking the {text.area_count(len(drawn), child_type)} of {name} by {text.lower_first(words)} in {period}, each with its 95% "
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
    rows = store.rows(indicator_id, code, sex=sex, years=window(entry, store.area_type(code))).tail(TREND_PERIODS)
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
        years = window(entry, child_type or store.area_type(code))
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
        line = [html.escape(row), html.escape(str(units[row]))]
        for column in columns:
            cell = by_cell.loc[(row, column)]
            line.append(cell["value"] if cell["comparison"] in ("Benchmark", "Not compared") else f"{cell['value']} {badge(cell['comparison'])}")
        body.append(line)
    notes = footnotes(cells["note"].tolist(), cells["value"].tolist())
    caption = f"{store.name(code)} and the areas within it: latest values, compared with England"
    return html_table(["Indicator (period)", "Unit", *map(html.escape, columns)], body, caption=caption, notes=notes)


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
    title, subtitle = text.funnel_title(outliers["area_name"].tolist(), outliers["significance"].str.startswith("High").tolist(),
                                        text.indicator_subject(entry["title"], "Persons"), period, len(points))  # fmt: skip
    baseline = float(points["baseline"].iloc[0])
    borough = store.name(store.borough(str(points["parent_code"].iloc[0])))
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
    borough = store.borough(code)
    if borough == code:
        return pyramid_figure(store, code)
    structure = store.table("age_structure")
    year = int(structure.loc[structure["area_code"] == code, "year"].max()) if (structure["area_code"] == code).any() else 0
    comparator = structure.loc[(structure["area_code"] == borough) & (structure["year"] == year)]
    return pyramid_against(store, code, structure, comparator, comparator_name=store.name(borough), comparator_label=f"{store.name(borough)} {year}")


def profile_spine(store: Store, code: str) -> charts.Html:
    """Every indicator in every chapter for one place, against the borough and England, grouped
    by chapter."""
    borough = store.geography.index[store.geography["area_type"] == "borough"]
    parent_name = store.name(borough[0]) if len(borough) else "Borough"
    body, cells, notes = [], [], []
    entries = indicator_list(store, store.area_type(code))
    for chapter in dict.fromkeys(entry["chapter"] for entry, _ in entries):
        body.append(str(chapter).replace("_", " ").capitalize())
        chosen = [(entry, sex) for entry, sex in entries if entry["chapter"] == chapter]
        for entry, sex, row in latest_rows(store, code, chosen):
            digits = decimals(entry["unit"])
            values = [MISSING if row is None else html.escape(row["period"]), shown(row, "count", 0), shown(row, "value", digits),
                      shown(row, "borough_value", digits), shown(row, "england_value", digits)]  # fmt: skip
            compared = [MISSING, MISSING] if row is None else [badge(row["compared_to_borough"]), badge(row["compared_to_england"])]
            body.append([definition_link(entry, sex), *values, *compared, trend_cell("" if row is None else row["recent_trend"])])
            cells += values + compared
            notes += [] if row is None else [row["note"]]
    head = ["Indicator", "Period", "Count", "Value", html.escape(parent_name), "England",
            f"Compared with {html.escape(parent_name)}", "Compared with England", "Recent trend"]  # fmt: skip
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
        found.append((-score, order, text.headline_sentence(row, benchmark, value, comparison)))
    if not found:
        where = "" if chapter is None else " in this chapter"
        return f"- No indicator{where} for {store.name(code)} is significantly different from England or changing significantly."
    return "\n".join(f"- {sentence}" for _, _, sentence in sorted(found))


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
        if store.rows(indicator_id, code, sex=sex, years=window(entry, store.area_type(code))).empty:
            continue
        anchor = f"{indicator_id}-{sex.lower()}"
        heading = charts.Html(f'<h3 class="jsna-indicator" id="{html.escape(anchor)}">{definition_link(entry, sex)}</h3>')
        section = [heading]
        children, child_type = store.children(code, indicator_id)
        if children and store.latest(indicator_id, code, sex=sex, years=window(entry, child_type)) is not None:
            section.append(compare_areas_figure(store, code, indicator_id, sex=sex))
        section.append(trend_figure(store, code, indicator_id, sex=sex))
        sections.append(section)
    return sections


def funnel_figures(store: Store, code: str, chapter: str) -> list:
    """Practice funnel plots of the chapter's indicators. Practices are compared across the
    borough and do not nest in townships, so other places get a pointer to the borough's page."""
    catalogue = store.catalogue
    flagged = catalogue["funnel"].fillna(False).astype(bool) if "funnel" in catalogue else False
    published = set(store.table("funnels")["indicator_id"]) if (store.folder / "funnels.parquet").exists() else set()
    ids = [i for i in catalogue.loc[(catalogue["chapter"] == chapter) & flagged, "indicator_id"] if i in published]
    if not ids:
        return [charts.Html('<p class="jsna-note">No indicator in this chapter is compared between GP practices.</p>')]
    if store.area_type(code) != "borough":
        borough = store.name(store.borough(code))
        return [charts.Html(f'<p class="jsna-note">GP practices serve patients across townships, so they are compared across the whole '
                            f"borough: see the funnel plots on {html.escape(borough)}'s page for this chapter.</p>")]  # fmt: skip
    return [funnel_figure(store, indicator_id) for indicator_id in ids]
