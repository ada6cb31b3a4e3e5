"""One comparison story per page (issue 14).

A page states its comparators once at the top, and its findings, tables and charts all use them,
at the same period: a place's profile compares it with the area it lies in and England; the
authority's chapters compare it with England, a township's with the authority and England.
"Not compared" (no benchmark for the period, no interval, no polarity) is its own category,
never counted as similar or as not worse. The range across wards is taken from the periods
wards are published for (pooled years), labelled with its period, and shown only when every
ward has a value. A summary and the chart under it state the same period.

The stores are made by hand in the declared shape: the small one of tests/test_views.py
(a borough, two townships, four wards, a network), edited where a test needs it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jsna.pages import indicators as views
from jsna.pages import inequalities as iv
from jsna.pages import text
from jsna.store import Store
from tests.test_views import BOROUGH, T1, T2, W1, W2, W3, W4, row_of, views_store


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return views_store(tmp_path_factory.mktemp("story"))


@pytest.fixture
def store(folder: Path) -> Store:
    return Store(folder)


def edited(tmp_path: Path, edit) -> Store:
    """A fresh copy of the small store with its indicator rows changed by ``edit(df) -> df``."""
    copy = views_store(tmp_path / "store")
    df = pd.read_parquet(copy / "indicators.parquet")
    edit(df).to_parquet(copy / "indicators.parquet", index=False)
    return Store(copy)


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", str(html)))


def title_of(figure) -> str:
    return " ".join(figure.chart.to_dict()["title"]["text"])


def subtitle_of(figure) -> str:
    return " ".join(figure.chart.to_dict()["title"]["subtitle"])


def rows_of(df: pd.DataFrame, indicator: str, code: str, sex: str, years: int) -> pd.Series:
    return (df["indicator_id"] == indicator) & (df["area_code"] == code) & (df["sex"] == sex) & (df["years"] == years)


# --------------------------------------------------------------------------------------------
# "Not compared" is its own category
# --------------------------------------------------------------------------------------------
def test_sentences_never_count_not_compared_as_similar() -> None:
    assert text.tally_title("X", ["Similar", "Not compared", "Not compared"], "England") == (
        "In X, none of the 1 indicators compared is significantly better or worse than England; 2 could not be compared"
    )
    words = ("ward", "wards")
    title = text.compare_areas_title("Admissions", True, ["Similar", "Not compared", "Similar"], "Dudley", words)
    assert title == "Admissions are not significantly different from Dudley's in any of the 2 wards compared (1 of 3 could not be compared)"
    assert "in any of the 3 wards" not in title
    title = text.compare_areas_title("Admissions", True, ["Worse", "Not compared", "Similar"], "Dudley", words)
    assert title == "Admissions are significantly worse than Dudley's in 1 of 3 wards; 1 could not be compared"
    assert text.not_compared_sentence(["no_benchmark", "no_benchmark", "no_polarity"], 9, "England") == (
        "3 of 9 indicators could not be compared with England (2: no England value for that period; 1: higher is neither better nor worse)."
    )
    assert text.not_compared_sentence([], 9, "England") == ""


def not_compared_with_england(tmp_path: Path) -> Store:
    """The small store with England's value gone from the borough's falls admissions (every
    period), whose recent trend is "getting worse": worsening, and not comparable with England."""

    def edit(df: pd.DataFrame) -> pd.DataFrame:
        falls = df["indicator_id"] == "admissions"
        df.loc[falls, "england_value"] = np.nan
        df.loc[falls, "compared_to_england"] = "Not compared"
        latest = rows_of(df, "admissions", BOROUGH, "Persons", 1) & (df["period_end"] == 2022)
        df.loc[latest, "recent_trend"] = "Increasing and getting worse"
        return df

    return edited(tmp_path, edit)


def test_not_compared_is_never_listed_as_not_worse(tmp_path: Path) -> None:
    store = not_compared_with_england(tmp_path)
    found = views.priorities(store, BOROUGH, watch=True)
    falls = found.set_index("indicator_id").loc["admissions"]
    assert falls["tier"] == 4 and falls["reason"] == "no England value for that period"
    assert 3 not in set(found["tier"])  # nothing else is getting worse
    table = plain(iv.priority_table(store, BOROUGH))
    assert "1 indicator is significantly worse than England and getting worse in Borough." in table  # life expectancy for men
    assert "1 of 3 indicators could not be compared with England (1: no England value for that period)." in table
    assert "1 of them is getting worse and could be worse than England" in table
    assert views.TIERS[3] not in table and views.TIERS[4] in table
    findings = iv.findings(store, BOROUGH)
    assert "1 of 3 indicators could not be compared with England" in findings
    marmot = iv.marmot_summary(store, BOROUGH)
    assert "<th>Not compared</th>" in marmot.replace(' scope="col"', "")
    # The authority's profile says the same, in its list of what to act on first.
    act = plain(views.act_on_first(store, BOROUGH))
    assert f"{views.TIERS[4]} (1)" in act and "no England value for that period" in act


def test_findings_count_what_could_not_be_compared_and_why(tmp_path: Path) -> None:
    store = not_compared_with_england(tmp_path)
    lines = views.headline_findings(store, BOROUGH, chapter="age_well").splitlines()
    # Getting worse, and said so; never "not significantly different from England".
    assert lines[0] == "- Emergency admissions for falls in Borough (100.0 per 100,000 in 2022) are increasing and getting worse."
    assert lines[-1] == "- 1 of 1 indicators could not be compared with England (1: no England value for that period)."
    assert not any("not significantly different from England" in line for line in lines)
    # With nothing to report, the page does not claim the indicator is similar.
    quiet = edited(tmp_path / "quiet", lambda df: df.assign(
        england_value=np.nan, compared_to_england="Not compared", compared_to_parent="Similar", recent_trend=""))  # fmt: skip
    lines = views.headline_findings(quiet, BOROUGH, chapter="age_well").splitlines()
    assert lines == ["- No indicator in this chapter for Borough is significantly different from England or changing significantly.",
                     "- 1 of 1 indicators could not be compared with England (1: no England value for that period)."]  # fmt: skip


def test_tartan_counts_areas_not_compared(store: Store) -> None:
    figure = views.tartan_rug(store, T2, "age_well")
    # Damson ward's pooled value is suppressed: not compared, and counted as such.
    assert "1 not compared" in subtitle_of(figure)
    assert "(Not compared)" in figure.table.to_string()


# --------------------------------------------------------------------------------------------
# One story per page: profiles
# --------------------------------------------------------------------------------------------
def test_a_ward_profile_uses_its_township_in_its_findings_table_and_intro(store: Store) -> None:
    township = store.name(T1)  # "North township"
    intro = views.story_intro(store, W1, chapter=False)
    assert "compares Ash ward with North township and with England" in intro
    findings = views.headline_findings(store, W1)
    spine = views.profile_spine(store, W1)
    assert township in findings and township in spine
    for page in (findings, spine, intro):
        assert "Borough" not in page  # the authority is not this page's comparator
    assert f">Compared with {township}<" in spine and ">Compared with England<" in spine
    # Each finding quotes the township's value that the table shows, at the table's period.
    line = next(line for line in findings.splitlines() if "Emergency admissions" in line)
    cells = row_of(spine, "Emergency admissions for falls (per 100,000)")
    period, value, township_value = cells[1], cells[3].split("(")[0], cells[4]
    assert f"({value} per 100,000 in {period})" in line and f"{township} ({township_value})" in line
    assert "Worse" in cells[6] and "significantly worse than North township" in line
    # The pyramid too compares the ward with its township where the store has its ages.
    assert store.parent(W1) == T1


def test_a_township_profile_and_chapter_compare_with_the_borough_and_england(store: Store) -> None:
    assert views.profile_story(store, T1).names == ["Borough", "England"]
    assert views.chapter_story(store, T1).names == ["Borough", "England"]
    assert views.chapter_story(store, BOROUGH).names == ["England"]
    assert views.profile_story(store, BOROUGH).names == ["West Midlands", "England"]
    spine = views.spine_table(store, T1, "age_well")
    assert ">Compared with Borough<" in spine and ">Compared with England<" in spine
    cells = row_of(spine, "Emergency admissions for falls (per 100,000)")
    assert cells[3:6] == ["130.0(128.0 to 132.0)", "100.0", "110.0"]  # the township with its interval, the borough, England
    findings = views.headline_findings(store, T1, chapter="age_well")
    assert findings.splitlines()[0] == ("- Emergency admissions for falls in North township (130.0 per 100,000 in 2022) are significantly "
                                        "worse than Borough (100.0) and England (110.0).")
    # The areas within it (wards, pooled years) are compared with the borough in the rug and the charts.
    rug = views.tartan_rug(store, T1, "age_well")
    assert "Borough" in title_of(rug) and "Compared with Borough" in str(rug.chart.to_dict())
    compare = views.compare_areas_figure(store, T1, "admissions")
    assert "than Borough's" in title_of(compare) and "Coloured by comparison with Borough" in subtitle_of(compare)
    # The borough's chapter: England throughout, nothing compared with the region.
    spine = views.spine_table(store, BOROUGH, "age_well")
    assert ">Compared with England<" in spine and "Compared with West Midlands" not in spine
    assert "West Midlands" not in views.headline_findings(store, BOROUGH, chapter="age_well")


def test_the_authority_profile_links_its_findings_into_each_chapter(store: Store) -> None:
    highlights = views.chapter_highlights(store, BOROUGH)
    chapters = [c for c in store.area_types.loc["borough", "chapters"] if c != "profile"]
    assert 'href="live_well.html"' in highlights and 'href="age_well.html"' in highlights
    assert 'href="age_well.html#admissions-persons"' in highlights
    assert set(re.findall(r'href="(\w+)\.html', highlights)) <= set(chapters)
    for section in highlights.split("<h3>")[1:]:
        assert section.count("<li>") <= views.CHAPTER_SHOWN + 1
    act = views.act_on_first(store, BOROUGH)
    # Life expectancy for men: worse than England (78 against 81) and getting worse.
    assert f"{views.TIERS[1]} (1)" in plain(act) and 'href="live_well.html#life_exp-male"' in act


def test_what_stands_out_is_short(store: Store) -> None:
    lines = views.headline_findings(store, W1, limit=1).splitlines()
    found = views.findings(store, W1, views.profile_story(store, W1)).found
    assert len(found) > 1
    assert lines[1] == f"- {len(found) - 1} more indicator{'s differ' if len(found) > 2 else ' differs'} significantly or " \
                       f"{'are' if len(found) > 2 else 'is'} changing significantly: the table below gives every indicator."


# --------------------------------------------------------------------------------------------
# The range across wards
# --------------------------------------------------------------------------------------------
def test_range_across_wards_uses_the_pooled_periods_and_says_which(tmp_path: Path) -> None:
    """Single-year ward values exist for one ward only (as for rare events): the range must come
    from the wards' pooled figures, which every ward has, and carry their period."""

    def edit(df: pd.DataFrame) -> pd.DataFrame:
        single = (df["indicator_id"] == "life_exp") & (df["area_type"] == "ward") & (df["years"] == 1) & (df["area_code"] != W1)
        df.loc[single, ["value", "lower_95_0", "upper_95_0"]] = np.nan
        return df

    store = edited(tmp_path, edit)
    cells = row_of(views.spine_table(store, BOROUGH, "live_well"), "Life expectancy at birth (years) – women")
    pooled = store.at("life_exp", [W1, W2, W4, W3], sex="Female", years=3, period="2020 - 22")["value"]
    assert cells[6] == f"{pooled.min():.1f} – {pooled.max():.1f} (2020 - 22)"
    assert cells[6] != "79.0 – 79.0"  # Ash ward's single year alone
    spread = views.ward_range(store, BOROUGH, store.entry("life_exp"), "Female")
    assert (spread.period, spread.have, spread.total, spread.shown) == ("2020 - 22", 4, 4, True)


def test_range_across_wards_is_not_shown_when_a_ward_has_no_value(store: Store) -> None:
    # Damson ward's pooled falls figure is suppressed: 3 of the borough's 4 wards have one.
    spread = views.ward_range(store, BOROUGH, store.entry("admissions"), "Persons")
    assert (spread.have, spread.total, spread.shown) == (3, 4, False)
    assert spread.text(1) == "not shown: too few wards with a value (3 of 4)"
    cells = row_of(views.spine_table(store, BOROUGH, "age_well"), "Emergency admissions for falls (per 100,000)")
    assert cells[6] == "not shown: too few wards with a value (3 of 4)"
    figure = views.spine_figure(store, BOROUGH, "age_well")
    assert set(figure.table["Range across wards"]) == {"[x]"}  # not drawn either


# --------------------------------------------------------------------------------------------
# A summary and the chart under it state the same period
# --------------------------------------------------------------------------------------------
def later_than_england(tmp_path: Path) -> Store:
    """England publishes falls admissions up to 2020 only; the borough's trend markers differ at
    2020 (getting better) and 2022 (no significant change)."""

    def edit(df: pd.DataFrame) -> pd.DataFrame:
        falls = df["indicator_id"] == "admissions"
        late = falls & (df["period_end"] > 2020)
        df.loc[late, "england_value"] = np.nan
        df.loc[late, "compared_to_england"] = "Not compared"
        borough = rows_of(df, "admissions", BOROUGH, "Persons", 1)
        df.loc[borough & (df["period_end"] == 2020), "recent_trend"] = "Decreasing and getting better"
        df.loc[borough & (df["period_end"] == 2022), "recent_trend"] = "No significant change"
        return df

    return edited(tmp_path, edit)


def test_the_trend_chart_headlines_the_period_the_summary_shows(tmp_path: Path) -> None:
    store = later_than_england(tmp_path)
    summary = row_of(views.spine_table(store, BOROUGH, "age_well"), "Emergency admissions for falls (per 100,000)")
    assert summary[1:4] == ["2020", "520", "106.0(104.0 to 108.0)"]  # 100 + 3 x 2 years back, ± 2; England 110 in 2020
    finding = views.headline_findings(store, BOROUGH, chapter="age_well").splitlines()[0]
    assert "(106.0 per 100,000 in 2020)" in finding and "getting better" in finding
    figure = views.trend_figure(store, BOROUGH, "admissions")
    title, subtitle = title_of(figure), subtitle_of(figure)
    # The title: the summary's trend marker, to the summary's period; the subtitle: both periods.
    assert title == "Emergency admissions for falls in Borough are decreasing and getting better (five periods to 2020)"
    assert "2020: 106.0 per 100,000" in subtitle and "Latest: 100.0 per 100,000 in 2022 (no England value for it yet)" in subtitle
    assert "the period the summary shows" in subtitle
    # When the latest period is the summary's, nothing more is said.
    plain_figure = views.trend_figure(Store(views_store(tmp_path / "plain")), BOROUGH, "admissions")
    assert "(five periods to" not in title_of(plain_figure) and "the period the summary shows" not in subtitle_of(plain_figure)


def test_pooled_charts_and_funnels_name_the_summary_period_when_it_differs(tmp_path: Path, store: Store) -> None:
    # A township's summary is for single years; its wards' chart for pooled years: both named.
    compare = views.compare_areas_figure(store, T1, "admissions")
    assert subtitle_of(compare).startswith("2020 - 22.")
    assert "the summary table above gives North township for 2022 (130.0 per 100,000)" in subtitle_of(compare)
    # The practices' funnel (2022) under a summary that shows 2020: both periods said.
    later = later_than_england(tmp_path)
    funnel = views.funnel_figure(later, "admissions")
    assert "the summary table above gives 106.0 per 100,000 for 2020" in subtitle_of(funnel)
    assert "the summary table above" not in subtitle_of(views.funnel_figure(store, "admissions"))


def test_every_comparison_in_a_township_page_is_with_the_borough_or_england(store: Store) -> None:
    """No comparison on a township's chapter page is with anything but its story's comparators."""
    story = views.chapter_story(store, T2)
    pages = [views.spine_table(store, T2, "age_well"), views.tartan_table(store, T2, "age_well"),
             *[item._repr_html_() if hasattr(item, "_repr_html_") else str(item) for section in views.indicator_sections(store, T2, "age_well")
               for item in section]]  # fmt: skip
    named = set()
    for page in pages:
        named |= set(re.findall(r"[Cc]ompared with ([A-Z][\w ]+?)(?:[<\".,:;)]| and)", page))
    assert named <= set(story.names) | {"the limits"}, named


def test_an_authority_without_localities_compares_its_wards_with_itself(tmp_path: Path) -> None:
    """Wards directly within the authority pool years England publishes no value for: the
    authority's chapter compares them with the authority, says so, and never with itself."""
    copy = views_store(tmp_path / "store")
    geography = pd.read_parquet(copy / "geography.parquet")
    geography = geography.loc[~geography["area_code"].isin([T1, T2])]
    geography.loc[geography["area_type"] == "ward", "parent_code"] = BOROUGH
    geography.to_parquet(copy / "geography.parquet", index=False)
    df = pd.read_parquet(copy / "indicators.parquet")
    df = df.loc[~df["area_code"].isin([T1, T2])]
    df.loc[df["area_type"] == "ward", "parent_code"] = BOROUGH
    df.to_parquet(copy / "indicators.parquet", index=False)
    types = pd.read_parquet(copy / "area_types.parquet")
    types.loc[types["id"] == "ward", "parent"] = "borough"  # as a kit without localities declares it
    types.to_parquet(copy / "area_types.parquet", index=False)
    store = Store(copy)
    story = views.chapter_story(store, BOROUGH)
    assert story.names == ["England"] and story.areas_against.name == "Borough"
    assert "The wards within it are compared with Borough, because their figures pool years" in views.story_intro(store, BOROUGH, chapter=True)
    rug = views.tartan_rug(store, BOROUGH, "age_well")
    assert list(rug.table.columns) == ["Indicator (period)", "Unit", "England", "Borough", "Ash ward", "Birch ward", "Cedar ward", "Damson ward"]
    assert title_of(rug) == "Across the 4 areas within Borough, 3 values are significantly worse than Borough's and 0 better"
    compare = views.compare_areas_figure(store, BOROUGH, "admissions")
    assert "than Borough's in 3 of 3 wards" in title_of(compare) and "1 ward not shown" in subtitle_of(compare)
