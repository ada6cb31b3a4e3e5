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


class Store:
    """Read-only access to the indicator store folder written by the build."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if not (self.folder / "indicators.parquet").exists():
            raise FileNotFoundError(f"no indicator store in {self.folder}: run the build first")

    def table(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.folder / f"{name}.parquet")

    @cached_property
    def indicators(self) -> pd.DataFrame:
        return self.table("indicators")

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

    def rows(self, indicator_id: str, code: str, *, sex: str = "Persons", years: int | None = None) -> pd.DataFrame:
        """All periods of one indicator for one place, oldest first (longest window if not given)."""
        df = self.indicators
        df = df.loc[(df["indicator_id"] == indicator_id) & (df["area_code"] == code) & (df["sex"] == sex)]
        if df.empty:
            return df
        window = years if years is not None else int(df["years"].min())
        return df.loc[df["years"] == window].sort_values("period_end")

    def latest(self, indicator_id: str, code: str, *, sex: str = "Persons", years: int | None = None) -> pd.Series | None:
        rows = self.rows(indicator_id, code, sex=sex, years=years)
        return None if rows.empty else rows.iloc[-1]


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
    year = int(structure["year"].max())
    place = structure.loc[(structure["area_code"] == code) & (structure["year"] == year)]
    england = store.table("england_age_structure")
    name = store.name(code)
    older_place = place.loc[place["age_band"].isin(OLDER_BANDS), "share"].sum()
    older_england = england.loc[england["age_band"].isin(OLDER_BANDS), "share"].sum()
    comparison = "an older" if older_place > older_england + 0.5 else "a younger" if older_place < older_england - 0.5 else "a similar"
    title = f"{name} has {comparison} population than England"
    subtitle = f"Aged 65 and over: {older_place:.1f}% in {name} ({year}), {older_england:.1f}% in England (Census 2021)"
    chart = charts.pyramid(
        place[["sex", "age_band", "share"]], england[["sex", "age_band", "share"]], title=title, subtitle=subtitle,
        place_label=f"{name} {year}", comparator_label="England 2021",
    )  # fmt: skip
    table = place.pivot(index="age_band", columns="sex", values="share").reindex(list(dict.fromkeys(place["age_band"])))
    england_table = england.pivot(index="age_band", columns="sex", values="share")
    table = pd.DataFrame(
        {
            "Age band": table.index,
            f"Men, {name} (%)": table["Male"].round(2).to_numpy(),
            f"Women, {name} (%)": table["Female"].round(2).to_numpy(),
            "Men, England (%)": england_table.reindex(table.index)["Male"].round(2).to_numpy(),
            "Women, England (%)": england_table.reindex(table.index)["Female"].round(2).to_numpy(),
        }
    )
    alt_text = (
        f"Population pyramid of {name} in {year}: bars show the percentage of all residents who are men (left) "
        f"and women (right) in each five-year age band; a dashed line shows England in 2021. {subtitle}."
    )
    return charts.show(chart, alt_text=alt_text, table=table, name=f"population-pyramid-{code}")


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


def summary_table(store: Store, code: str, *, chapter: str | None = None) -> str:
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
    return f'<table class="jsna-data"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
