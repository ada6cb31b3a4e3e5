"""The inequality tables (issue 5): breakdowns by local deprivation quantile, their slope index,
the decomposition of the life-expectancy gap, and the priority list.

Every figure is re-derived here independently from the input tables (plain sums, the Wilson
interval, a weighted least-squares fit written out), not by calling the code under test. The
demonstration tables are computed once for the module (about ten seconds).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from jsna.compute import inequalities, methods
from jsna.compute.disclosure import covered_ids
from jsna.compute.engine import Context, area_lookup
from jsna.compute.indicators import catalogue_table
from jsna.errors import DataError
from jsna.inputs.tables import load_inputs
from jsna.pages import inequalities as iv
from jsna.pages import text
from jsna.store import Store
from tests.conftest import (
    ROOT,
    computed,
    default_policy,
    load_test_catalogue,
    write_store,
)

CATALOGUE = ROOT / "data" / "indicators.yml"
BOROUGH = "E08000027"
Z95 = 1.959963984540054
KEYS = ["indicator_id", "area_code", "category_type", "years", "period_end", "sex"]


@pytest.fixture(scope="module")
def inputs():
    return load_inputs(ROOT / "data" / "demo", ROOT / "data" / "reference")


@pytest.fixture(scope="module")
def catalogue() -> list[dict]:
    return load_test_catalogue(CATALOGUE)


@pytest.fixture(scope="module")
def tables(inputs, catalogue) -> dict[str, pd.DataFrame]:
    return computed(inputs, catalogue)


def quintile_of(inputs, area: str = BOROUGH) -> pd.Series:
    """Each small area's local quintile within ``area``, derived here: rank by IMD score, most
    deprived first (ties by code), five groups of as near as possible equal numbers of areas."""
    geography = inputs.geography.set_index("area_code")
    small = geography.index[geography["area_type"] == "small_area"]
    if area != BOROUGH:
        wards = geography.index[geography["parent_code"] == area]
        small = [c for c in small if geography.loc[c, "parent_code"] in set(wards)]
    score = inputs["deprivation"].set_index("area_code").loc[list(small), "imd_score"]
    ordered = sorted(score.index, key=lambda c: (-score[c], c))
    return pd.Series({code: position * 5 // len(ordered) + 1 for position, code in enumerate(ordered)})


def gap_row(gaps: pd.DataFrame, indicator_id: str, *, category_type: str, period_end: int, years: int, sex: str = "Persons",
            area: str = BOROUGH) -> pd.Series:  # fmt: skip
    rows = gaps.loc[(gaps["indicator_id"] == indicator_id) & (gaps["area_code"] == area) & (gaps["category_type"] == category_type)
                    & (gaps["period_end"] == period_end) & (gaps["years"] == years) & (gaps["sex"] == sex)]  # fmt: skip
    assert len(rows) == 1
    return rows.iloc[0]


# --------------------------------------------------------------------------------------------
# Local quantiles and the breakdowns
# --------------------------------------------------------------------------------------------
def test_local_quintiles_are_equal_groups_most_deprived_first(inputs) -> None:
    quintiles = inequalities.local_quantiles(inputs, area_lookup(inputs), ["borough", "township"], 5)
    borough = quintiles.loc[quintiles["area_code"] == BOROUGH].set_index("base_code")["quantile"]
    expected = quintile_of(inputs)
    assert borough.sort_index().equals(expected.sort_index().astype(borough.dtype))
    sizes = borough.value_counts()
    assert sizes.max() - sizes.min() <= 1 and sorted(sizes.index) == [1, 2, 3, 4, 5]
    township = "XT0000001"
    own = quintiles.loc[quintiles["area_code"] == township].set_index("base_code")["quantile"]
    assert own.sort_index().equals(quintile_of(inputs, township).sort_index().astype(own.dtype))


@pytest.mark.slow
def test_a_quintile_is_computed_from_its_small_areas_like_an_area(inputs, tables) -> None:
    """Smoking at delivery in the most deprived fifth, 2020: a plain sum and the Wilson interval."""
    births = inputs["births"]
    q1 = quintile_of(inputs)
    q1 = q1.index[q1 == 1]
    rows = births.loc[births["area_code"].isin(q1) & (births["year"] == 2020)]
    r, n = float(rows["smoking_at_delivery"].sum()), float(rows["maternities"].sum())
    p = r / n
    centre, half = (2 * r + Z95**2) / (2 * (n + Z95**2)), Z95 * np.sqrt(Z95**2 + 4 * r * (1 - p)) / (2 * (n + Z95**2))
    b = tables["breakdowns"]
    got = b.loc[(b["indicator_id"] == "smoking_at_delivery") & (b["area_code"] == BOROUGH) & (b["category"] == 1)
                & (b["years"] == 1) & (b["period_end"] == 2020)].iloc[0]  # fmt: skip
    assert got["category_type"] == "Local deprivation quintile" and got["period"] == "2019/20"
    assert (got["count"], got["denominator"]) == (r, n)
    assert got["value"] == pytest.approx(100 * p, rel=1e-12)
    assert got["lower_95_0"] == pytest.approx(100 * (centre - half), rel=1e-9)
    assert got["upper_95_0"] == pytest.approx(100 * (centre + half), rel=1e-9)


@pytest.mark.slow
def test_every_breakdown_indicator_has_all_five_quintiles_for_the_borough_and_each_township(tables, catalogue) -> None:
    flagged = {e["id"] for e in catalogue if e.get("deprivation_breakdown")}
    assert {"smoking_at_delivery", "reception_excess_weight", "year6_excess_weight", "under_75_cancer_preventable",
            "copd_admissions", "life_expectancy_birth"} <= flagged  # fmt: skip
    b = tables["breakdowns"]
    quintile = b.loc[b["category_type"] == "Local deprivation quintile"]
    assert set(quintile["indicator_id"]) == flagged
    assert set(quintile["area_type"]) == {"borough", "township"} and quintile["area_code"].nunique() == 6
    assert (quintile.groupby(KEYS)["category"].nunique() == 5).all()
    decile = b.loc[b["category_type"] == "Local deprivation decile"]
    assert set(decile["indicator_id"]) == {"life_expectancy_birth_sii", "life_expectancy_65_sii"} and set(decile["area_code"]) == {BOROUGH}


@pytest.mark.slow
def test_hospital_counts_in_the_breakdowns_are_rounded_or_suppressed(tables, catalogue) -> None:
    hospital = {i for i, below in covered_ids(catalogue, default_policy()).items() if not below}
    rows = tables["breakdowns"].loc[tables["breakdowns"]["indicator_id"].isin(hospital)]
    assert len(rows) and (rows["count"].dropna() % 5 == 0).all()
    suppressed = rows.loc[rows["count"].isna()]
    assert suppressed["note"].str.startswith("[c]").all() and suppressed["value"].isna().all()


# --------------------------------------------------------------------------------------------
# The slope and relative indices, and the gap
# --------------------------------------------------------------------------------------------
def weighted_fit(values: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Intercept and slope of values on cumulative population midpoints, weighted by the shares."""
    share = weights / weights.sum()
    rank = np.cumsum(share) - share / 2
    mean_rank, mean_value = np.sum(share * rank), np.sum(share * values)
    slope = np.sum(share * (rank - mean_rank) * (values - mean_value)) / np.sum(share * (rank - mean_rank) ** 2)
    return mean_value - slope * mean_rank, slope


@pytest.mark.slow
@pytest.mark.parametrize(("indicator_id", "years", "end"), [("copd_admissions", 5, 2021), ("reception_excess_weight", 3, 2022),
                                                            ("life_expectancy_birth", 3, 2020)])  # fmt: skip
def test_quintile_sii_and_rii_are_the_weighted_slope_and_the_ratio_of_its_ends(tables, indicator_id, years, end) -> None:
    b = tables["breakdowns"]
    sex = "Male" if indicator_id.startswith("life") else "Persons"
    rows = b.loc[(b["indicator_id"] == indicator_id) & (b["area_code"] == BOROUGH) & (b["years"] == years) & (b["period_end"] == end)
                 & (b["sex"] == sex) & (b["category_type"] == "Local deprivation quintile")].sort_values("category")  # fmt: skip
    intercept, slope = weighted_fit(rows["value"].to_numpy(), rows["denominator"].to_numpy())
    gap = gap_row(tables["inequality_gaps"], indicator_id, category_type="Local deprivation quintile", period_end=end, years=years, sex=sex)
    assert gap["sii"] == pytest.approx(slope, rel=1e-9)
    assert gap["intercept"] == pytest.approx(intercept, rel=1e-9)
    assert gap["rii"] == pytest.approx((intercept + slope) / intercept, rel=1e-9)
    assert gap["sii_lower_95_0"] < gap["sii"] < gap["sii_upper_95_0"]
    assert gap["sii_lower_99_8"] < gap["sii_lower_95_0"] and gap["sii_upper_99_8"] > gap["sii_upper_95_0"]
    assert gap["most_deprived"] == rows["value"].iloc[0] and gap["least_deprived"] == rows["value"].iloc[-1]
    assert gap["gap"] == pytest.approx(rows["value"].iloc[-1] - rows["value"].iloc[0], rel=1e-12)
    assert gap["statistic"] == "Slope index of inequality"


@pytest.mark.slow
def test_the_store_inequality_in_life_expectancy_is_the_decile_row_of_the_gap_table(inputs, catalogue, tables) -> None:
    entries = [e for e in catalogue if e["method"] == "le_sii"]
    store = methods.life_expectancy_sii(Context(inputs, area_lookup(inputs), {e["id"]: e for e in entries}, tables), entries)
    gaps = tables["inequality_gaps"].loc[tables["inequality_gaps"]["category_type"] == "Local deprivation decile"]
    merged = store.merge(gaps, on=["indicator_id", "area_code", "years", "period_end", "sex"], validate="one_to_one")
    assert len(merged) == len(store) == len(gaps) > 0
    for column in ("lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8"):
        assert (merged[column] == merged[f"sii_{column}"]).all()
    assert (merged["value"] == merged["sii"]).all()


@pytest.mark.slow
def test_the_borough_sii_in_life_expectancy_lands_near_the_published_2018_20_figures(tables) -> None:
    """Calibration: Dudley's published SII, 2018-20, is 9.2 years for men and 8.6 for women (the
    demonstration's mortality draw was chosen to land near them; see scripts/make_demo_data.py)."""
    gaps = tables["inequality_gaps"]
    for sex, published in (("Male", 9.2), ("Female", 8.6)):
        row = gap_row(gaps, "life_expectancy_birth_sii", category_type="Local deprivation decile", period_end=2020, years=3, sex=sex)
        assert row["period"] == "2018 - 20"
        assert row["sii"] == pytest.approx(published, abs=0.25)
        assert row["sii_lower_95_0"] < published < row["sii_upper_95_0"]
        assert 1.05 < row["rii"] < 1.2  # the least deprived end lives 5-20% longer than the most deprived


@pytest.mark.slow
def test_a_series_missing_a_quintile_gets_no_slope_index_and_says_why(tables) -> None:
    b = tables["breakdowns"]
    series = b.loc[(b["indicator_id"] == "copd_admissions") & (b["area_code"] == BOROUGH) & (b["years"] == 5) & (b["period_end"] == 2021)]
    damaged = pd.concat([b.drop(series.index), series.loc[series["category"] != 3]])
    gaps = inequalities.inequality_gaps(damaged, load_test_catalogue(CATALOGUE))
    row = gap_row(gaps, "copd_admissions", category_type="Local deprivation quintile", period_end=2021, years=5)
    assert np.isnan(row["sii"]) and row["statistic"] == "Not calculated: a value is needed for all 5 quantiles"


@pytest.mark.slow
def test_a_place_without_a_slope_index_says_why_instead_of_failing_its_page(inputs, catalogue, tables, tmp_path: Path) -> None:
    """A small authority (a few neighbourhoods) has no slope index of life expectancy: its
    inequalities page says so, and why, where the chart would be."""
    gaps = tables["inequality_gaps"]
    mine = (gaps["indicator_id"] == "life_expectancy_birth_sii") & (gaps["area_code"] == BOROUGH)
    reason = "Not calculated: a value is needed for all 10 quantiles"
    no_sii = gaps.assign(statistic=gaps["statistic"].where(~mine, reason), sii=gaps["sii"].where(~mine))

    def store_with(folder: str, inequality_gaps: pd.DataFrame) -> Store:
        return Store(write_store(tmp_path / folder, {**tables, "inequality_gaps": inequality_gaps, "geography": inputs.geography,
                                                     **catalogue_table(catalogue, default_policy())}))  # fmt: skip

    store = store_with("a", no_sii)
    said = iv.life_expectancy_by_deprivation_figure(store, BOROUGH, "life_expectancy_birth")
    assert isinstance(said, iv.charts.Html)
    assert "not shown for Dudley: no slope index of inequality could be calculated" in said
    assert "a value is needed for all 10 quantiles" in said and "Not calculated:" not in said
    assert isinstance(iv.life_expectancy_by_deprivation_figure(store, BOROUGH, "life_expectancy_65"), iv.charts.Figure)
    none = store_with("b", gaps.loc[~mine])
    assert "could not be grouped into deciles" in iv.life_expectancy_by_deprivation_figure(none, BOROUGH, "life_expectancy_birth")


# --------------------------------------------------------------------------------------------
# The decomposition of the gap
# --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_decomposition_adds_up_to_the_gap_between_the_quintile_life_expectancies(tables) -> None:
    d = tables["le_decomposition"]
    assert set(d["area_code"]) == {BOROUGH} and set(d["sex"]) == {"Male", "Female"} and (d["years"] == 3).all()
    assert d["cause"].nunique() == 9 and d["start_age"].nunique() == 20
    totals = d.groupby(["period_end", "sex"]).agg(total=("contribution", "sum"), gap=("gap", "first"),
                                                  most=("e0_most_deprived", "first"), least=("e0_least_deprived", "first"))  # fmt: skip
    assert np.allclose(totals["total"], totals["gap"], rtol=0, atol=1e-9)
    assert np.allclose(totals["gap"], totals["least"] - totals["most"], rtol=0, atol=1e-9)
    # The two ends are the quintile life expectancies of the breakdown table (same deaths, same people).
    b = tables["breakdowns"]
    le = b.loc[(b["indicator_id"] == "life_expectancy_birth") & (b["area_code"] == BOROUGH) & (b["years"] == 3)
               & (b["category_type"] == "Local deprivation quintile")].set_index(["period_end", "sex", "category"])["value"]  # fmt: skip
    for (end, sex), row in totals.iterrows():
        assert row["most"] == pytest.approx(le[(end, sex, 1)], rel=1e-12)
        assert row["least"] == pytest.approx(le[(end, sex, 5)], rel=1e-12)


# --------------------------------------------------------------------------------------------
# The catalogue: Marmot objectives and breakdown flags
# --------------------------------------------------------------------------------------------
def test_every_indicator_is_mapped_to_a_marmot_objective(catalogue, tmp_path: Path) -> None:
    assert all(entry["marmot"] in iv.MARMOT or entry["marmot"] == "context" for entry in catalogue)
    assert {e["id"] for e in catalogue if e["marmot"] == "context"} == {"population", "aged_under_15", "aged_65_plus"}
    broken = yaml.safe_load(CATALOGUE.read_text())
    del broken[5]["marmot"]
    path = tmp_path / "indicators.yml"
    path.write_text(yaml.safe_dump(broken))
    with pytest.raises(DataError, match="'marmot' is a required property") as caught:
        load_test_catalogue(path)
    lines = path.read_text().splitlines()
    assert lines[caught.value.line - 1].startswith("- ") and broken[5]["id"] in str(caught.value)  # the entry's first line
    broken = yaml.safe_load(CATALOGUE.read_text())
    broken[0]["deprivation_breakdown"] = True  # population is a count: no breakdown
    path.write_text(yaml.safe_dump(broken))
    with pytest.raises(DataError, match="deprivation_breakdown|method"):
        load_test_catalogue(path)


# --------------------------------------------------------------------------------------------
# The priority list, on constructed data
# --------------------------------------------------------------------------------------------
def constructed_store(folder: Path, rows: list[tuple]) -> Store:
    """A store for one borough: (indicator, period_end, value, England, comparison, trend) rows."""
    geography = pd.DataFrame({"area_code": ["E92000001", "E12000005", BOROUGH], "area_name": ["England", "West Midlands", "Dudley"],
                              "area_type": ["country", "region", "borough"], "parent_code": [None, "E92000001", "E12000005"]})  # fmt: skip
    ids = sorted({r[0] for r in rows})
    entries = [{"id": i, "title": f"Indicator {i} (%)", "definition": "Made up.", "method": "proportion", "sex": ["Persons"],
                "age": "All ages", "unit": "%", "polarity": "RAG - Low is good", "areas": ["borough"], "windows": [1],
                "year_type": "calendar", "source": "Test", "chapter": "live_well", "marmot": "prevention"}
               for i in ids]  # fmt: skip
    store = pd.DataFrame(
        [{"indicator_id": i, "indicator_name": f"Indicator {i} (%)", "area_code": BOROUGH, "area_name": "Dudley", "area_type": "borough",
          "period": str(end), "period_start": end, "period_end": end, "years": 1, "sex": "Persons", "unit": "%", "value": value,
          "lower_95_0": value - 1, "upper_95_0": value + 1, "england_value": england, "compared_to_england": comparison,
          "recent_trend": trend, "note": ""} for i, end, value, england, comparison, trend in rows]  # fmt: skip
    )
    write_store(folder, {"indicators": store, "geography": geography, **catalogue_table(entries, default_policy())})
    return Store(folder)


def test_priority_list_is_worse_than_england_and_getting_worse_at_the_same_period(tmp_path: Path) -> None:
    nan = float("nan")
    store = constructed_store(tmp_path / "store", [
        ("a", 2020, 22.0, 20.0, "Worse", "Increasing and getting worse"),      # priority, 10% from England
        ("b", 2020, 30.0, 20.0, "Worse", "Increasing and getting worse"),      # priority, 50% from England: first
        ("c", 2020, 25.0, 20.0, "Worse", "No significant change"),             # watch: worse, not getting worse
        ("d", 2020, 20.5, 20.0, "Similar", "Increasing and getting worse"),    # watch: getting worse, not worse
        ("e", 2020, 15.0, 20.0, "Better", "Decreasing and getting better"),    # nothing to report
        # f: worse and getting worse in 2018, but the latest comparable period (2020) is similar
        ("f", 2018, 30.0, 20.0, "Worse", "Increasing and getting worse"),
        ("f", 2020, 20.0, 20.0, "Similar", "No significant change"),
        # g: no England value at all: read at its latest period, getting worse, not compared
        ("g", 2021, 12.0, nan, "Not compared", "Increasing and getting worse"),
    ])  # fmt: skip
    first = iv.priorities(store, BOROUGH)
    assert first["indicator_id"].tolist() == ["b", "a"] and (first["tier"] == 1).all()
    assert first["distance"].tolist() == pytest.approx([0.5, 0.1])
    watch = iv.priorities(store, BOROUGH, watch=True)
    # g could not be compared with England: its own tier, never "not significantly worse".
    assert list(zip(watch["tier"], watch["indicator_id"])) == [(1, "b"), (1, "a"), (2, "c"), (3, "d"), (4, "g")]
    assert watch.set_index("indicator_id").loc["g", "reason"] == "no England value for that period"
    table = str(iv.priority_table(store, BOROUGH))
    assert "2 indicators are significantly worse than England and getting worse" in table
    assert "1 of 7 indicators could not be compared with England (1: no England value for that period)" in table
    assert "1 of them is getting worse and could be worse than England" in table
    position = [table.index(f"Indicator {i} (%)") for i in "bacdg"]
    assert position == sorted(position)
    assert position[-1] > table.index(f">{iv.TIERS[4]}</th>") > position[-2]  # g sits under its own heading
    assert "Indicator e (%)" not in table and "Indicator f (%)" not in table
    marmot = str(iv.marmot_summary(store, BOROUGH))
    # indicators, better, similar, worse, not compared, getting worse
    assert "Strengthen the role and impact of ill-health prevention</th><td>7</td><td>1</td><td>2</td><td>3</td><td>1</td><td>4</td>" in marmot
    assert "No indicator in this book measures it yet" in marmot  # e.g. good work


def test_no_priorities_is_said_in_words(tmp_path: Path) -> None:
    store = constructed_store(tmp_path / "store", [("a", 2020, 20.0, 20.0, "Similar", "No significant change")])
    assert iv.priorities(store, BOROUGH, watch=True).empty
    table = str(iv.priority_table(store, BOROUGH))
    assert "No indicator for Dudley that could be compared with England is both significantly worse than England and getting worse" in table
    assert "could not be compared" not in table  # every indicator was compared


# --------------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("title", "sex", "unit", "most", "least", "n", "expected"),
    [
        ("Life expectancy at birth (years)", "Male", "years", 73.1, 81.4, 10,
         "Life expectancy at birth for men is 8.3 years lower in the most deprived tenth of Dudley than in the least deprived tenth "
         "(73.1 years against 81.4 years, 2018 - 20)."),
        ("Smoking status at time of delivery (%)", "Persons", "%", 19.8, 3.2, 5,
         "Smoking status at time of delivery is 16.6 percentage points higher in the most deprived fifth of Dudley than in the least "
         "deprived fifth (19.8% against 3.2%, 2018 - 20)."),
        ("Emergency hospital admissions for COPD (per 100,000)", "Persons", "per 100,000", 823.5, 228.2, 5,
         "Emergency hospital admissions for COPD are 3.6 times as high in the most deprived fifth of Dudley as in the least deprived "
         "fifth (823.5 per 100,000 against 228.2 per 100,000, 2018 - 20)."),
        ("Cervical screening coverage (per 1,000)", "Persons", "per 1,000", 400.0, 800.0, 5,
         "Cervical screening coverage is 2.0 times as high in the least deprived fifth of Dudley as in the most deprived fifth "
         "(400.0 per 1,000 against 800.0 per 1,000, 2018 - 20)."),
        ("Emergency admissions (per 1,000)", "Persons", "per 1,000", 100.0, 98.0, 5,
         "Emergency admissions are about the same in the most and least deprived fifths of Dudley (100.0 per 1,000 against 98.0 per 1,000, 2018 - 20)."),
    ],
)  # fmt: skip
def test_gap_sentence(title, sex, unit, most, least, n, expected) -> None:
    assert text.gap_sentence(title, sex, unit, most, least, n, "Dudley", "2018 - 20") == expected


def test_sii_sentence_says_which_end_is_higher_and_whether_it_is_significant() -> None:
    le = text.sii_sentence("Life expectancy at birth (years)", "Female", "years", 8.5, 7.3, 9.7, 10, "Dudley", "2018 - 20")
    assert le == ("The slope index of inequality in life expectancy at birth for women in Dudley was 8.5 years in 2018 - 20 (95% interval "
                  "7.3 to 9.7), a significant gradient: the modelled gap across the 10 local deprivation tenths, higher at the least deprived end.")  # fmt: skip
    flat = text.sii_sentence("Emergency admissions (per 100,000)", "Persons", "per 100,000", -20.0, -50.0, 10.0, 5, "Dudley", "2021")
    assert "a significant gradient" not in flat and "higher at the most deprived end" in flat
