"""Views over a small synthetic indicator store: spine table, compare areas, trend, tartan rug,
practice funnel and place profile.

The store is written here, table by table, in the shape the build writes (see jsna/build.py).
Its comparison labels and trend markers are inputs to the views, so they are set by simple rules
below (the statistics themselves are tested in tests/test_stats_*.py). Suppressed rows keep a
store as the data layer writes it (jsna.indicators applies disclosure before comparisons): no
value, limits, count or comparison, and no child carries the suppressed value as its benchmark.
The views must not publish any number for them either (the test looks for the tell-tale 987.654
the rows held before suppression).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jsna.pages import charts, text
from jsna.pages import indicators as views
from jsna.store import Store
from tests.conftest import write_store

BOROUGH, T1, T2 = "E08000027", "XT0000001", "XT0000002"
W1, W2, W4, W3 = "XW0000001", "XW0000002", "XW0000004", "XW0000003"
NETWORK = "XN0000001"
PRACTICES = [f"XP0000{i}" for i in range(1, 7)]
LEAK = 987.654  # a suppressed value left in the file: must never be published
LEAK_NUMBERS = (LEAK, 955.555, 1011.111)
#: The leaked numbers as any page might print them (whole numbers only: not inside 11.987...).
LEAK_TEXT = re.compile(r"(?<![\d.])(987\.[67]|955\.[56]|1,?011\.1)")
SUPPRESSED_NOTE = "[c] value not published: fewer than 8 events"
YEARS = range(2013, 2023)

GEOGRAPHY = [
    ("E92000001", "England", "country", None),
    ("E12000005", "West Midlands", "region", "E92000001"),
    (BOROUGH, "Borough", "borough", "E12000005"),
    (T1, "North", "township", BOROUGH),
    (T2, "South", "township", BOROUGH),
    (W1, "Ash", "ward", T1),
    (W2, "Birch", "ward", T1),
    (W4, "Cedar", "ward", T1),
    (W3, "Damson", "ward", T2),
    (NETWORK, "Network One", "pcn", BOROUGH),
    *[(code, f"Practice {i}", "practice", NETWORK) for i, code in enumerate(PRACTICES, start=1)],
]

#: Latest value by indicator, sex and area; earlier years step back by the slope.
LATEST = {
    ("admissions", "Persons"): {BOROUGH: 100.0, T1: 130.0, T2: 80.0, W1: 140.0, W2: 120.0, W4: 131.0, W3: 70.0},
    ("life_exp", "Male"): {BOROUGH: 78.0, T1: 75.0, T2: 78.5, W1: 74.0, W2: 76.0, W4: 75.2, W3: 78.6},
    ("life_exp", "Female"): {BOROUGH: 82.0, T1: 79.0, T2: 82.5, W1: 79.0, W2: 81.6, W4: 80.2, W3: 82.6},
}
SLOPE = {"admissions": -3.0, "life_exp": 0.1}
ENGLAND = {("admissions", "Persons"): 110.0, ("life_exp", "Male"): 81.0, ("life_exp", "Female"): 83.0}
POLARITY = {"admissions": "RAG - Low is good", "life_exp": "RAG - High is good"}
#: The recent-trend marker on the latest row of each borough series (other places: no change).
TRENDS = {("admissions", "Persons"): "Decreasing and getting better", ("life_exp", "Male"): "Decreasing and getting worse",
          ("life_exp", "Female"): "No significant change"}  # fmt: skip
#: Suppressed cells: (indicator, area, years, period_end).
SUPPRESSED_ROWS = {("admissions", W3, 1, 2022), ("admissions", W3, 3, 2022), ("admissions", T2, 1, 2018)}

CATALOGUE = [
    {"indicator_id": "admissions", "title": "Emergency admissions for falls (per 100,000)", "definition": "Admissions.",
     "method": "dsr", "unit": "per 100,000", "age": "All ages", "sex": "Persons", "polarity": POLARITY["admissions"],
     "areas": "borough, township, ward, practice", "windows": "1, 3", "year_type": "calendar", "source": "Synthetic",
     "chapter": "age_well", "disclosure": "hospital", "funnel": True},
    {"indicator_id": "life_exp", "title": "Life expectancy at birth (years)", "definition": "Life expectancy.",
     "method": "life_expectancy", "unit": "years", "age": "All ages", "sex": "Male, Female", "polarity": POLARITY["life_exp"],
     "areas": "borough, township, ward", "windows": "1, 3", "year_type": "calendar", "source": "Synthetic",
     "chapter": "live_well", "disclosure": "", "funnel": False},
]  # fmt: skip


def label(value: float, low: float, high: float, benchmark: float, polarity: str) -> str:
    """The Fingertips label by the simple interval rule (enough for a fixture)."""
    if np.isnan(value) or np.isnan(benchmark):
        return "Not compared"
    if low <= benchmark <= high:
        return "Similar"
    higher = low > benchmark
    return "Better" if higher == (polarity == "RAG - High is good") else "Worse"


def indicator_rows() -> pd.DataFrame:
    names = {code: (name, kind, parent) for code, name, kind, parent in GEOGRAPHY}
    records = []
    for (indicator, sex), latest in LATEST.items():
        for code, value_2022 in latest.items():
            for years in (1, 3):
                half = 2.0 if years == 1 else 1.0
                for end in YEARS:
                    if end - years + 1 < YEARS[0]:
                        continue
                    value = value_2022 + SLOPE[indicator] * (end - 2022)
                    records.append({
                        "indicator_id": indicator, "area_code": code, "sex": sex, "years": years, "period_end": end,
                        "period_start": end - years + 1, "period": str(end) if years == 1 else f"{end - 2} - {end % 100:02d}",
                        "value": value, "lower_95_0": value - half, "upper_95_0": value + half,
                        "lower_99_8": value - 1.6 * half, "upper_99_8": value + 1.6 * half,
                        "count": 500.0 + end - 2000, "denominator": 100000.0, "england_value": ENGLAND[(indicator, sex)],
                        "region_value": ENGLAND[(indicator, sex)] + 1.5, "note": "", "recent_trend": "",
                    })  # fmt: skip
    df = pd.DataFrame(records)
    df["area_name"] = df["area_code"].map(lambda c: names[c][0])
    df["area_type"] = df["area_code"].map(lambda c: names[c][1])
    df["parent_code"] = df["area_code"].map(lambda c: names[c][2])
    df["parent_name"] = df["parent_code"].map(lambda c: names[c][0] if c in names else "")
    titles = {entry["indicator_id"]: entry for entry in CATALOGUE}
    df["indicator_name"] = df["indicator_id"].map(lambda i: titles[i]["title"])
    df["unit"] = df["indicator_id"].map(lambda i: titles[i]["unit"])
    df["polarity"] = df["indicator_id"].map(POLARITY)
    df["age"], df["statistic"], df["method"] = "All ages", "Synthetic", "Synthetic"
    for indicator, code, years, end in SUPPRESSED_ROWS:
        rows = (df["indicator_id"] == indicator) & (df["area_code"] == code) & (df["years"] == years) & (df["period_end"] == end)
        # As the data layer writes a suppressed row: nothing but the note.
        df.loc[rows, ["value", "count", "lower_95_0", "upper_95_0"]] = np.nan
        df.loc[rows, "note"] = SUPPRESSED_NOTE
    parents = df.set_index(["indicator_id", "area_code", "sex", "years", "period_end"])["value"]
    df["parent_value"] = [
        parents.get((i, p, s, y, e), np.nan)
        for i, p, s, y, e in df[["indicator_id", "parent_code", "sex", "years", "period_end"]].itertuples(index=False)
    ]
    df.loc[df["area_type"] == "borough", "parent_value"] = df["region_value"]
    df["authority_value"] = [
        parents.get((i, BOROUGH, s, y, e), np.nan) for i, s, y, e in df[["indicator_id", "sex", "years", "period_end"]].itertuples(index=False)
    ]
    for column, benchmark in (("compared_to_england", "england_value"), ("compared_to_parent", "parent_value"),
                              ("compared_to_authority", "authority_value")):  # fmt: skip
        df[column] = [
            label(v, lo, hi, b, p) for v, lo, hi, b, p in df[["value", "lower_95_0", "upper_95_0", benchmark, "polarity"]].itertuples(index=False)
        ]
    latest = df["period_end"] == 2022
    df.loc[latest, "recent_trend"] = "No significant change"
    for (indicator, sex), trend in TRENDS.items():
        df.loc[latest & (df["indicator_id"] == indicator) & (df["sex"] == sex) & (df["area_code"] == BOROUGH), "recent_trend"] = trend
    return df


def funnel_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Six practices around a borough value of 10%; Practice 3 is above the 99.8% limit."""
    denominators = np.array([1000.0, 2000.0, 3000.0, 4000.0, 5000.0, 6000.0])
    values = np.array([10.5, 9.0, 16.0, 10.9, 11.0, 9.6])  # Practice 5: above 95% (10.83), below 99.8% (11.31)
    significance = ["Not significant", "Not significant", "High (0.001)", "Not significant", "High (0.025)", "Not significant"]
    spread = 100 * np.sqrt(0.1 * 0.9 / denominators)
    points = pd.DataFrame({
        "indicator_id": "admissions", "period": "2022", "years": 1, "area_code": PRACTICES,
        "area_name": [f"Practice {i}" for i in range(1, 7)], "parent_code": NETWORK, "count": values * denominators / 100,
        "denominator": denominators, "value": values, "baseline": 10.0,
        "lower_95_0": 10 - 1.96 * spread, "upper_95_0": 10 + 1.96 * spread, "lower_99_8": 10 - 3.09 * spread,
        "upper_99_8": 10 + 3.09 * spread, "significance": significance,
    })  # fmt: skip
    grid = np.linspace(500, 7000, 20)
    wide = 100 * np.sqrt(0.1 * 0.9 / grid)
    lines = pd.DataFrame({
        "indicator_id": "admissions", "period": "2022", "denominator": grid, "lower_95_0": 10 - 1.96 * wide,
        "upper_95_0": 10 + 1.96 * wide, "lower_99_8": 10 - 3.09 * wide, "upper_99_8": 10 + 3.09 * wide,
    })  # fmt: skip
    return points, lines


def age_structure() -> tuple[pd.DataFrame, pd.DataFrame]:
    bands = ["0-4", "5-14", "15-44", "45-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+"]
    older = {BOROUGH: 1.0, T1: 1.6, T2: 0.6, NETWORK: 1.0}
    records = []
    for code, weight in older.items():
        shares = np.array([6, 12, 40, 22] + [5 * weight, 4 * weight, 3 * weight, 2 * weight, 1 * weight, 0.5 * weight])
        shares = 100 * shares / shares.sum() / 2
        for sex in ("Male", "Female"):
            records += [(code, 2022, sex, band, 1000, share) for band, share in zip(bands, shares)]
    structure = pd.DataFrame(records, columns=["area_code", "year", "sex", "age_band", "population", "share"])
    england = structure.loc[structure["area_code"] == BOROUGH].drop(columns=["area_code", "year"]).assign(area_code="E92000001", period="2021")
    return structure, england


def views_store(folder: Path) -> Path:
    points, lines = funnel_tables()
    structure, england = age_structure()
    tables = {
        "indicators": indicator_rows(), "catalogue": pd.DataFrame(CATALOGUE), "funnels": points, "funnel_lines": lines,
        "age_structure": structure, "england_age_structure": england,
        "geography": pd.DataFrame(GEOGRAPHY, columns=["area_code", "area_name", "area_type", "parent_code"]),
    }  # fmt: skip
    return write_store(folder, tables)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return views_store(tmp_path_factory.mktemp("store"))


@pytest.fixture
def store(folder: Path) -> Store:
    return Store(folder)


def raw(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "indicators.parquet")


def row_of(table: str, title: str) -> list[str]:
    """The cells (text only) of the table row whose header cell contains ``title``."""
    for tr in re.findall(r"<tr>(.*?)</tr>", table):
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr)]
        if cells and cells[0] == title:
            return cells
    raise AssertionError(f"no row {title!r} in the table")


def datasets(figure: charts.Figure) -> list[dict]:
    """Every record a chart embeds in the page."""
    spec = figure.chart.to_dict()
    return [record for rows in spec.get("datasets", {}).values() for record in rows]


# --------------------------------------------------------------------------------------------
# Spine table
# --------------------------------------------------------------------------------------------
def test_spine_table_rows_equal_the_store(store: Store, folder: Path) -> None:
    table = views.spine_table(store, BOROUGH, "live_well")
    df = raw(folder)
    for sex, words in (("Male", "men"), ("Female", "women")):
        row = df.loc[(df["indicator_id"] == "life_exp") & (df["area_code"] == BOROUGH) & (df["sex"] == sex) & (df["years"] == 1)
                     & (df["period_end"] == 2022)].iloc[0]  # fmt: skip
        cells = row_of(table, f"Life expectancy at birth (years) – {words}")
        # The ward range: the wards' pooled (three-year) figures, labelled with their period.
        wards = df.loc[(df["indicator_id"] == "life_exp") & (df["area_type"] == "ward") & (df["sex"] == sex) & (df["years"] == 3)
                       & (df["period_end"] == 2022), "value"]  # fmt: skip
        assert cells[:7] == [
            f"Life expectancy at birth (years) – {words}", "2022", f"{row['count']:,.0f}",
            f"{row['value']:.1f}({row['lower_95_0']:.1f} to {row['upper_95_0']:.1f})",  # the 95% interval beneath the value
            f"{row['england_value']:.1f}", f"{row['region_value']:.1f}", f"{wards.min():.1f} – {wards.max():.1f} (2020 - 22)",
        ]  # fmt: skip
        assert row["compared_to_england"] in cells[7]
        assert cells[8].endswith(row["recent_trend"])
    assert "Worse" in row_of(table, "Life expectancy at birth (years) – men")[7]  # 78 ± 2 against England's 81
    assert 'href="../../about/definitions.html#life_exp"' in table
    assert "Emergency admissions" not in table  # another chapter


def test_spine_table_ward_ranges(store: Store) -> None:
    # The borough: Damson's pooled value is suppressed, so 3 of its 4 wards have one: no range.
    cells = row_of(views.spine_table(store, BOROUGH, "age_well"), "Emergency admissions for falls (per 100,000)")
    assert cells[6] == "not shown: too few wards with a value (3 of 4)"
    # A township: its own wards only, from their pooled period. (A township's table has the
    # borough's value and England's before the range: cells 4 and 5.)
    cells = row_of(views.spine_table(store, T1, "live_well"), "Life expectancy at birth (years) – women")
    assert cells[6] == "79.0 – 81.6 (2020 - 22)"
    cells = row_of(views.spine_table(store, T2, "live_well"), "Life expectancy at birth (years) – women")
    assert cells[6] == "82.6 – 82.6 (2020 - 22)"
    # A ward has no wards within it.
    cells = row_of(views.spine_table(store, W1, "live_well"), "Life expectancy at birth (years) – women")
    assert cells[6] == "[x]"


def test_spine_table_marks_suppressed_values_with_a_footnote(store: Store) -> None:
    table = views.spine_table(store, W3, "age_well")
    cells = row_of(table, "Emergency admissions for falls (per 100,000)")
    assert cells[1:4] == ["2020 - 22", "[c]", "[c]"]  # wards show pooled periods; no interval to give the value away
    assert "Not compared" in cells[7]
    assert "[c] confidential" in table and SUPPRESSED_NOTE[4:] in table
    assert "[c] confidential" not in views.spine_table(store, W1, "age_well")


def test_spine_figure_scales_england_to_the_centre(store: Store) -> None:
    figure = views.spine_figure(store, BOROUGH, "live_well")
    points = {r["indicator"]: r for r in datasets(figure) if "position" in r and "indicator" in r}
    men = points["Life expectancy at birth (years) – men (2022)"]
    # 78.0 against England's 81.0; the furthest of value and ward range is 81 - 74 = 7 away.
    assert men["position"] == pytest.approx(0.5 + (78.0 - 81.0) / 14)
    assert men["comparison"] == "Worse"
    assert figure.alt_text and not figure.table.empty
    assert "1 of 2 indicators compared is significantly worse than England" in figure.alt_text
    # Low is good: a value below England's is drawn to the right.
    falls = views.spine_figure(store, BOROUGH, "age_well")
    point = next(r for r in datasets(falls) if "position" in r)
    assert point["position"] > 0.5


# --------------------------------------------------------------------------------------------
# Compare areas
# --------------------------------------------------------------------------------------------
def test_compare_areas_title_counts(store: Store) -> None:
    # The borough's chapter compares the areas within it with England, as its story says.
    title = " ".join(views.compare_areas_figure(store, BOROUGH, "admissions").chart.to_dict()["title"]["text"])
    assert title == "Emergency admissions for falls are significantly worse than England's in 1 of 2 townships and better in 1"
    # A township's wards (pooled years) are compared with the borough: Ash, Birch and Cedar (140, 120, 131 +- 1) against 100.
    title = " ".join(views.compare_areas_figure(store, T1, "admissions").chart.to_dict()["title"]["text"])
    assert title == "Emergency admissions for falls are significantly worse than Borough's in 3 of 3 wards"
    title = " ".join(views.compare_areas_figure(store, T1, "life_exp", sex="Male").chart.to_dict()["title"]["text"])
    assert title == "Life expectancy at birth for men is significantly worse than Borough's in 3 of 3 wards"
    # The inequalities chapter compares a place's wards with the place itself, and says so.
    against = views.place_comparator(store, T1, [W1, W2, W4])
    title = " ".join(views.compare_areas_figure(store, T1, "admissions", against=against).chart.to_dict()["title"]["text"])
    assert title == "Emergency admissions for falls are significantly worse than North township's in 1 of 3 wards and better in 1"


def test_compare_areas_counts_follow_the_store(store: Store, folder: Path) -> None:
    df = raw(folder)
    kids = df.loc[(df["indicator_id"] == "life_exp") & (df["sex"] == "Female") & (df["parent_code"] == BOROUGH)
                  & (df["years"] == 1) & (df["period_end"] == 2022)]  # fmt: skip
    figure = views.compare_areas_figure(store, BOROUGH, "life_exp", sex="Female")
    title = " ".join(figure.chart.to_dict()["title"]["text"])
    worse = int((kids["compared_to_england"] == "Worse").sum())
    assert f"worse than England's in {worse} of {len(kids)} townships" in title
    table = figure.table.set_index("Area")
    assert table.loc["North township", "Value"] == pytest.approx(kids.set_index("area_code").loc[T1, "value"])
    labels = {r["area_name"]: r["comparison"] for r in datasets(figure) if "comparison" in r and "area_name" in r}
    assert labels == {f"{name} township": label for name, label in zip(kids["area_name"], kids["compared_to_england"])}
    assert labels == {"North township": "Worse", "South township": "Similar"}
    assert "England: 83.0" in json.dumps(figure.chart.to_dict())  # labelled reference line


def test_compare_areas_leaves_out_suppressed_children(store: Store) -> None:
    figure = views.compare_areas_figure(store, T2, "admissions")
    assert figure.table["Value"].tolist() == ["[c]"]
    assert "[c]" in figure.note
    assert not [r for r in datasets(figure) if r.get("area_name") == "Damson ward"]
    assert "could not be compared" in " ".join(figure.chart.to_dict()["title"]["text"])


# --------------------------------------------------------------------------------------------
# Trend
# --------------------------------------------------------------------------------------------
def test_trend_title_states_the_recent_trend(store: Store) -> None:
    figure = views.trend_figure(store, BOROUGH, "admissions")
    title = " ".join(figure.chart.to_dict()["title"]["text"])
    assert title == "Emergency admissions for falls in Borough are decreasing and getting better"
    assert list(figure.table["Period"]) == [str(y) for y in YEARS]  # single years, ten of them
    men = " ".join(views.trend_figure(store, BOROUGH, "life_exp", sex="Male").chart.to_dict()["title"]["text"])
    assert men == "Life expectancy at birth for men in Borough is decreasing and getting worse"
    women = " ".join(views.trend_figure(store, BOROUGH, "life_exp", sex="Female").chart.to_dict()["title"]["text"])
    assert women == "There has been no significant recent change in life expectancy at birth for women in Borough"


def test_trend_uses_pooled_years_for_wards_and_shows_suppression(store: Store) -> None:
    ward = views.trend_figure(store, W1, "life_exp", sex="Male")
    assert all(" - " in period for period in ward.table["Period"])
    township = views.trend_figure(store, T2, "admissions")
    assert township.table.set_index("Period").loc["2018", "South township"] == "[c]"
    assert "[c]" in township.note
    assert "2018" not in {r.get("period") for r in datasets(township) if r.get("series") == "South township"}
    england = [r for r in datasets(township) if r.get("series") == "England"]
    assert {r["value"] for r in england} == {110.0}


# --------------------------------------------------------------------------------------------
# Tartan rug
# --------------------------------------------------------------------------------------------
def test_tartan_has_one_cell_per_indicator_and_place(store: Store) -> None:
    figure = views.tartan_rug(store, BOROUGH, "live_well")
    cells = [r for r in datasets(figure) if "text" in r]
    places = ["England", "Borough", "North township", "South township"]
    assert len(cells) == 2 * len(places)
    assert {(r["indicator"], r["place"]) for r in cells} == {
        (f"Life expectancy at birth – {who} (2022)", place) for who in ("men", "women") for place in places
    }
    assert list(figure.table.columns) == ["Indicator (period)", "Unit", *places]
    assert figure.table.shape == (2, 6) and set(figure.table["Unit"]) == {"years"}
    north = next(r for r in cells if r["place"] == "North township" and "men (" in r["indicator"])
    assert north["comparison"] == "Worse" and north["text"] == "▼ 75.0"  # shape as well as colour
    html_table = views.tartan_table(store, BOROUGH, "live_well")
    assert html_table.count("<tr>") == 1 + 2 and "75.0" in html_table and "Worse" in html_table
    assert row_of(html_table, "Life expectancy at birth – men (2022)")[1:4] == ["years", "81.0", "78.0 ▼ Worse"]


def test_tartan_for_a_township_uses_its_wards_and_marks_suppression(store: Store) -> None:
    figure = views.tartan_rug(store, T2, "age_well")
    cells = {r["place"]: r for r in datasets(figure) if "text" in r}
    # The borough is a column: a township's rug compares it and its wards with the borough.
    assert set(cells) == {"England", "Borough", "South township", "Damson ward"}
    assert cells["Borough"]["comparison"] == "Benchmark" and cells["South township"]["comparison"] == "Better"
    assert cells["Damson ward"]["text"] == "[c]"
    assert "[c] confidential" in figure.note


# --------------------------------------------------------------------------------------------
# Funnel
# --------------------------------------------------------------------------------------------
def test_funnel_title_names_exactly_the_outlying_practice(store: Store) -> None:
    figure = views.funnel_figure(store, "admissions")
    title = " ".join(figure.chart.to_dict()["title"]["text"])
    assert "Practice 3" in title and "1 of 6 GP practices is outside the 99.8% limits" in title
    assert "Practice 5" not in title  # outside the 95% limits only
    labelled = [r["area_name"] for r in datasets(figure) if r.get("outlier")]
    assert labelled == ["Practice 3"]
    assert len(figure.table) == 6 and "Above the 99.8% limit" in figure.table["Compared with the limits"].tolist()


def test_funnel_without_outliers_says_so(folder: Path, tmp_path: Path) -> None:
    copy = views_store(tmp_path / "store")
    points = pd.read_parquet(copy / "funnels.parquet").assign(significance="Not significant")
    points.to_parquet(copy / "funnels.parquet", index=False)
    title = " ".join(views.funnel_figure(Store(copy), "admissions").chart.to_dict()["title"]["text"])
    assert title.startswith("No GP practice is outside the 99.8% limits")


# --------------------------------------------------------------------------------------------
# Place profile
# --------------------------------------------------------------------------------------------
def test_profile_pyramid_compares_with_the_borough(store: Store) -> None:
    north = views.profile_pyramid(store, T1)
    assert " ".join(north.chart.to_dict()["title"]["text"]) == "North township has an older population than Borough"
    assert "Men, Borough (%)" in north.table.columns
    south = views.profile_pyramid(store, T2)
    assert "a younger population than Borough" in " ".join(south.chart.to_dict()["title"]["text"])
    network = views.profile_pyramid(store, NETWORK)
    assert "registered patients" in network.alt_text
    borough = views.profile_pyramid(store, BOROUGH)
    assert " ".join(borough.chart.to_dict()["title"]["text"]) == "Borough has a population of similar age to England"


def test_profile_spine_covers_every_chapter_against_the_parent(store: Store) -> None:
    table = views.profile_spine(store, T1)
    assert "Live well" in table and "Age well" in table
    cells = row_of(table, "Life expectancy at birth (years) – men")
    assert cells[3:5] == ["75.0(73.0 to 77.0)", "78.0"] and "Worse" in cells[6] and "Worse" in cells[7]
    assert ">Compared with Borough<" in table
    # The authority's profile: against its region and England.
    borough = views.profile_spine(store, BOROUGH)
    assert ">Compared with West Midlands<" in borough and ">Compared with England<" in borough


def test_headline_findings_follow_the_flags_worst_first(store: Store) -> None:
    lines = views.headline_findings(store, BOROUGH).splitlines()
    # The borough's profile compares it with its region and England, and says both every time.
    assert lines == [
        ("- Life expectancy at birth for men in Borough (78.0 years in 2022) is significantly worse than West Midlands (82.5 years) and "
         "England (81.0 years), and getting worse."),
        ("- Life expectancy at birth for women in Borough (82.0 years in 2022) is significantly worse than West Midlands (84.5 years) and "
         "not significantly different from England (83.0 years)."),
        ("- Emergency admissions for falls in Borough (100.0 per 100,000 in 2022) are significantly better than West Midlands (111.5) and "
         "England (110.0), and getting better."),
    ]
    # A township's profile: against the borough it lies in and England, both said.
    north = views.headline_findings(store, T1)
    assert north.splitlines()[0] == ("- Emergency admissions for falls in North township (130.0 per 100,000 in 2022) are significantly worse "
                                     "than Borough (100.0) and England (110.0).")


# --------------------------------------------------------------------------------------------
# Every output: alt text, tables, no suppressed number, deterministic
# --------------------------------------------------------------------------------------------
def every_output(store: Store) -> list:
    outputs = [views.funnel_figure(store, "admissions")]
    for code in (BOROUGH, T1, T2, W3, NETWORK):
        outputs += [views.profile_spine(store, code), views.headline_findings(store, code)]
    outputs += [views.profile_pyramid(store, code) for code in (BOROUGH, T1, T2, NETWORK)]
    for code in (BOROUGH, T1, T2, W3):
        for chapter in ("live_well", "age_well"):
            outputs += [views.spine_table(store, code, chapter), views.spine_figure(store, code, chapter)]
        outputs += [views.trend_figure(store, code, "admissions"), views.trend_figure(store, code, "life_exp", sex="Female")]
    for code in (BOROUGH, T1, T2):
        for chapter in ("live_well", "age_well"):
            outputs += [views.tartan_rug(store, code, chapter), views.tartan_table(store, code, chapter)]
        outputs += [views.compare_areas_figure(store, code, "admissions"), views.compare_areas_figure(store, code, "life_exp", sex="Male")]
    return outputs


@pytest.fixture(scope="module")
def outputs(folder: Path) -> list:
    return every_output(Store(folder))


def rendered(output) -> str:
    return output._repr_html_() if hasattr(output, "_repr_html_") else str(output)


def test_no_suppressed_number_is_published(outputs: list, folder: Path) -> None:
    assert raw(folder)["note"].str.startswith("[c]").sum() == len(SUPPRESSED_ROWS)
    for output in outputs:
        page = rendered(output)
        assert not LEAK_TEXT.search(page), f"suppressed number {LEAK_TEXT.search(page)} published in {page[:200]}"
        if isinstance(output, charts.Figure):
            for number in numbers(output.chart.to_dict()):
                assert not any(abs(number - leak) < 0.06 for leak in LEAK_NUMBERS), f"{number} embedded in {output.name}"


def numbers(spec) -> list[float]:
    """Every number anywhere in a chart specification."""
    if isinstance(spec, dict):
        return [n for value in spec.values() for n in numbers(value)]
    if isinstance(spec, list):
        return [n for value in spec for n in numbers(value)]
    return [float(spec)] if isinstance(spec, (int, float)) and not isinstance(spec, bool) else []


def test_every_figure_has_alt_text_a_title_and_a_table(outputs: list) -> None:
    figures = [output for output in outputs if isinstance(output, charts.Figure)]
    assert len(figures) > 20
    for figure in figures:
        assert len(figure.alt_text) > 80
        assert not figure.table.empty
        assert figure.chart.to_dict()["title"]["text"]
        page = figure._repr_html_()
        assert 'aria-labelledby="' in page and 'data-csv="' in page and ("data:text/csv" in page or 'type="text/csv"' in page)


def test_figures_state_comparison_by_shape_as_well_as_colour(store: Store) -> None:
    for figure in (views.compare_areas_figure(store, BOROUGH, "admissions"), views.spine_figure(store, BOROUGH, "live_well")):
        encodings = [layer.get("encoding", {}) for layer in figure.chart.to_dict()["layer"]]
        points = [e for e in encodings if "shape" in e]
        assert points and points[0]["shape"]["field"] == points[0]["color"]["field"] == "comparison"


@pytest.mark.slow
def test_output_is_deterministic(outputs: list, folder: Path) -> None:
    again = every_output(Store(folder))
    assert [rendered(o) for o in outputs] == [rendered(o) for o in again]


def test_unknown_indicator_or_place_is_a_clear_error(store: Store) -> None:
    with pytest.raises(KeyError, match="not in the store's catalogue"):
        views.trend_figure(store, BOROUGH, "no_such_indicator")
    with pytest.raises(KeyError, match="no values for the places within"):
        views.compare_areas_figure(store, W1, "admissions")


# --------------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "title, plural",
    [
        ("Emergency hospital admissions for COPD (per 100,000)", True),
        ("Life expectancy at birth (years)", False),
        ("Residents aged under 15 (%)", True),
        ("Diabetes recorded prevalence, aged 17+ (%)", False),
        ("Smoking status at time of delivery (%)", False),
        ("Children in low income families (%)", True),
        ("Excess winter deaths index", False),
        ("Under 18 conceptions (per 1,000)", True),
        ("NHS Health Checks received by the eligible population aged 40-74 in the year (%)", True),
        ("Admission episodes for alcohol-related conditions (per 100,000)", True),
    ],
)
def test_plural_indicator_titles(title: str, plural: bool) -> None:
    assert text.is_plural(title) is plural


def test_sentence_helpers() -> None:
    assert text.tally_title("Dudley", ["Worse", "Similar", "Better", "Not compared"], "England") == (
        "In Dudley, 1 of 3 indicators compared is significantly worse than England and 1 is better; 1 could not be compared"
    )
    assert text.tally_title("Dudley", ["Not compared"], "England").startswith("No indicator for Dudley")
    assert text.funnel_title(["A", "B"], [True, False], "Diabetes prevalence", "2022", 9, "the borough")[0] == (
        "2 of 9 GP practices are outside the 99.8% limits for diabetes prevalence in 2022: A above; B below"
    )
    many = text.funnel_title(list("ABCDE"), [True, True, True, False, False], "Diabetes prevalence", "2022", 40, "the county")
    assert many[0] == "5 of 40 GP practices are outside the 99.8% limits for diabetes prevalence in 2022: 3 above, 2 below"
    assert many[1] == "A, B and C above; D and E below. Outside the 99.8% limits: very unlikely to be chance variation around the county's value."
    assert text.value_text(415.12, "per 100,000") == "415.1 per 100,000"
    assert text.lower_first("COPD admissions") == "COPD admissions"


# --------------------------------------------------------------------------------------------
# Chapter sections (chapters/life_course.md)
# --------------------------------------------------------------------------------------------
def test_indicator_sections_give_heading_comparison_and_trend(store: Store) -> None:
    sections = views.indicator_sections(store, BOROUGH, "live_well")
    assert [len(section) for section in sections] == [3, 3]  # men, women
    heading, compare, trend = sections[0]
    assert 'id="life_exp-male"' in heading and "definitions.html#life_exp" in heading
    assert compare.name == f"compare-life_exp-male-{BOROUGH}" and trend.name == f"trend-life_exp-male-{BOROUGH}"
    # A ward has no places within it: heading and trend only.
    assert [len(section) for section in views.indicator_sections(store, W1, "live_well")] == [2, 2]


def test_funnel_figures_for_the_borough_only(store: Store) -> None:
    (figure,) = views.funnel_figures(store, BOROUGH, "age_well")
    assert figure.name == "funnel-admissions-2022"
    (note,) = views.funnel_figures(store, T1, "age_well")
    assert "Borough's page" in note
    (none,) = views.funnel_figures(store, BOROUGH, "live_well")
    assert "No indicator in this chapter" in none


def test_headline_findings_of_one_chapter(store: Store) -> None:
    lines = views.headline_findings(store, BOROUGH, chapter="age_well").splitlines()
    assert len(lines) == 1 and lines[0].startswith("- Emergency admissions for falls")


def test_compare_areas_without_polarity_states_the_range(folder: Path, tmp_path: Path) -> None:
    copy = views_store(tmp_path / "store")
    df = pd.read_parquet(copy / "indicators.parquet")
    df.loc[df["indicator_id"] == "admissions", ["compared_to_england", "compared_to_parent", "compared_to_authority"]] = "Not compared"
    df.to_parquet(copy / "indicators.parquet", index=False)
    figure = views.compare_areas_figure(Store(copy), T1, "admissions")
    title = " ".join(figure.chart.to_dict()["title"]["text"])
    assert title == "Emergency admissions for falls ranged from 120.0 per 100,000 in Birch ward to 140.0 per 100,000 in Ash ward in 2020 - 22"


def test_summaries_show_the_latest_period_england_can_be_compared_with(tmp_path: Path) -> None:
    rows = pd.DataFrame({"period_end": [2020, 2021, 2022], "value": [10.0, 11.0, 12.0], "england_value": [9.0, np.nan, np.nan]})
    rows = rows.assign(indicator_id="a", area_code="B", sex="Persons", years=1, period=rows["period_end"].astype(str), note="", recent_trend="")
    no_england = rows.assign(indicator_id="b", england_value=np.nan)
    write_store(tmp_path, {"indicators": pd.concat([rows, no_england])})
    store = Store(tmp_path)
    assert store.latest("a", "B")["period"] == "2020"  # 2021 and 2022 have no England value
    assert store.latest("b", "B")["period"] == "2022"  # England never published: the latest


def test_a_ward_profile_compares_with_its_township_and_england(store: Store) -> None:
    spine = views.profile_spine(store, W1)
    assert f"compared with {store.name(T1)} and England" in spine
    assert f"Compared with {store.name(BOROUGH)}" not in spine


def test_indexed_lookups_equal_a_plain_filter_and_are_not_changed_by_callers(folder: Path) -> None:
    """Store.rows and Store.latest answer from an index of row positions and keep their answers;
    for every indicator, place and sex they equal a plain filter of the parquet file (oldest
    first, the shortest window; latest: the last with an England value, else the last), and a
    caller that changes a returned frame does not change the next caller's."""
    store, every = Store(folder), raw(folder)
    every["note"], every["recent_trend"] = every["note"].fillna("").astype(str), every["recent_trend"].fillna("").astype(str)
    checked = 0
    for (indicator, code, sex), group in every.groupby(["indicator_id", "area_code", "sex"]):
        expected = group.loc[group["years"] == group["years"].min()].sort_values("period_end", kind="stable")
        got = store.rows(indicator, code, sex=sex)
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False)
        comparable = expected.loc[expected["england_value"].notna()]
        last = (comparable if len(comparable) else expected).iloc[-1]
        assert store.latest(indicator, code, sex=sex)["period"] == last["period"]
        checked += 1
    assert checked > 10
    assert store.rows("no_such_indicator", BOROUGH).empty and store.latest("no_such_indicator", BOROUGH) is None
    indicator, code, sex = every.iloc[0][["indicator_id", "area_code", "sex"]]
    changed = store.rows(indicator, code, sex=sex)
    changed["value"] = -1.0
    assert (store.rows(indicator, code, sex=sex)["value"] != -1.0).all()
    latest = store.latest(indicator, code, sex=sex)
    latest["value"] = -1.0
    assert store.latest(indicator, code, sex=sex)["value"] != -1.0


def page_lookups(folder: Path) -> list:
    """What pages ask a store for, one lookup at a time."""
    every = raw(folder)
    one, other = (every.loc[every["indicator_id"] == i].iloc[0] for i in sorted(set(every["indicator_id"]))[:2])
    return [
        lambda s: s.latest(one["indicator_id"], one["area_code"], sex=one["sex"]),
        lambda s: s.rows(other["indicator_id"], other["area_code"], sex=other["sex"]),
        lambda s: s.of(other["indicator_id"]), lambda s: s.within(BOROUGH, "ward"), lambda s: s.name(W1),
        lambda s: s.children(T1), lambda s: s.published_types, lambda s: s.table("catalogue"),
        lambda s: s.rows_of("funnels", "admissions"), lambda s: s.area_types,
    ]  # fmt: skip


def reads_of_each(folder: Path) -> list[set]:
    """The reads each lookup records, each on a reader of its own."""
    found = []
    for lookup in page_lookups(folder):
        store = Store(folder)
        lookup(store)
        found.append(set(store.reads.items))
    return found


def test_readers_of_one_store_share_what_is_read_but_record_their_own_reads(folder: Path, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """A worker's kernel opens the store afresh for every page: a later reader of the folder
    answers from what earlier ones read and worked out (no file is read again), yet each lookup
    records the reads it records on a reader with nothing kept (a lost read would let a page be
    reused when what it read changed); a change a reader makes to what it was given does not
    reach the next reader; and a store written again is read again."""
    import jsna.store as store_module

    alone = []
    for lookup in page_lookups(folder):
        monkeypatch.setattr(store_module, "_KEPT", {})
        store = Store(folder)
        lookup(store)
        alone.append(set(store.reads.items))
    assert all(alone) and ("geography", "", "") in alone[3] and ("indicators", "area_type", "") in alone[6]
    monkeypatch.setattr(store_module, "_KEPT", {})
    assert reads_of_each(folder) == alone  # the first time, each lookup works its answer out
    monkeypatch.setattr(store_module, "read_table", lambda *_: pytest.fail("a later reader read a file again"))
    assert reads_of_each(folder) == alone  # now every answer is kept
    first = Store(folder)
    first.geography.loc[W1, "area_name"] = "Changed"
    catalogue, indicators = first.table("catalogue"), first.indicators
    catalogue["title"], indicators["value"] = "Changed", -1.0
    assert Store(folder).name(W1) != "Changed" and "Changed" not in set(Store(folder).table("catalogue")["title"])
    assert (Store(folder).indicators["value"] != -1.0).any()
    monkeypatch.undo()

    copy = tmp_path / "store"
    copy.mkdir()
    for path in folder.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    indicator, code, sex = raw(copy).iloc[0][["indicator_id", "area_code", "sex"]]
    before = Store(copy).latest(indicator, code, sex=sex)["value"]
    df = raw(copy)
    df["value"] = df["value"] + 1.0
    df.to_parquet(copy / "indicators.parquet", index=False)
    assert Store(copy).latest(indicator, code, sex=sex)["value"] == pytest.approx(before + 1.0)
