"""The full indicator set (issue 4): catalogue entries, the new methods and the demonstration store.

The store on the demonstration data is computed once for the module (about five seconds); the
other tests use the tiny fixture data.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jsna.compute import inequalities
from jsna.compute.disclosure import covered_ids
from jsna.compute.engine import area_lookup
from jsna.errors import DataError
from jsna.inputs import periods
from jsna.inputs.disclosure import Policy
from jsna.inputs.tables import load_inputs
from tests.conftest import (
    ROOT,
    compute_indicators,
    default_policy,
    load_test_catalogue,
    tiny_tables,
    write_tables,
)

CATALOGUE = ROOT / "data" / "indicators.yml"
DEMO = ROOT / "data" / "demo"
BOROUGH = "E08000027"
Z95 = 1.959963984540054

CHAPTERS = {
    "population": ["population", "aged_under_15", "aged_65_plus", "most_deprived_20pc", "life_expectancy_birth",
                   "life_expectancy_birth_sii"],
    "start_well": ["infant_mortality", "low_birth_weight_term", "smoking_at_delivery", "smoking_early_pregnancy",
                   "early_access_maternity", "mmr_coverage_2", "school_readiness", "reception_excess_weight",
                   "year6_excess_weight", "under_18_conceptions", "child_injury_admissions", "children_low_income"],
    "live_well": ["adult_smoking", "physical_inactivity", "adult_excess_weight", "diabetes_prevalence", "chd_prevalence",
                  "cervical_screening", "under_75_cancer_preventable", "under_75_cvd_preventable", "copd_admissions",
                  "chd_admissions", "stroke_admissions", "self_harm_admissions", "alcohol_admissions_narrow", "suicide_rate",
                  "drug_misuse_deaths", "health_check_uptake", "emergency_cancer_admissions"],
    "age_well": ["life_expectancy_65", "life_expectancy_65_sii", "dfle_birth", "dfle_65", "falls_admissions_65", "uti_admissions_65",
                 "hip_fracture_admissions_65", "dementia_diagnosis_rate", "excess_winter_deaths", "flu_vaccination_65", "reablement_91_days"],
}  # fmt: skip
METHODS = {
    "crude_rate": {"infant_mortality", "under_18_conceptions", "child_injury_admissions", "emergency_cancer_admissions"},
    "dsr": {"under_75_cancer_preventable", "under_75_cvd_preventable", "suicide_rate", "drug_misuse_deaths", "copd_admissions",
            "chd_admissions", "stroke_admissions", "self_harm_admissions", "alcohol_admissions_narrow", "falls_admissions_65",
            "hip_fracture_admissions_65", "uti_admissions_65"},
    "survey": {"adult_smoking", "physical_inactivity", "adult_excess_weight"},
    "published": {"dfle_birth", "dfle_65"},
    "ewd_index": {"excess_winter_deaths"},
    "life_expectancy": {"life_expectancy_birth", "life_expectancy_65"},
    "le_sii": {"life_expectancy_birth_sii", "life_expectancy_65_sii"},
    "count": {"population"},
}  # fmt: skip
HOSPITAL = {"child_injury_admissions", "copd_admissions", "chd_admissions", "stroke_admissions", "self_harm_admissions",
            "alcohol_admissions_narrow", "falls_admissions_65", "hip_fracture_admissions_65", "uti_admissions_65", "emergency_cancer_admissions"}


@pytest.fixture(scope="module")
def catalogue() -> dict[str, dict]:
    return {entry["id"]: entry for entry in load_test_catalogue(CATALOGUE)}


@pytest.fixture(scope="module")
def demo_store(catalogue) -> pd.DataFrame:
    inputs = load_inputs(DEMO, ROOT / "data" / "reference")
    entries = list(catalogue.values())
    return compute_indicators(inputs, entries)


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    return load_inputs(DEMO, ROOT / "data" / "reference").tables


def one(store: pd.DataFrame, indicator: str, area: str = BOROUGH, *, period: str, sex: str = "Persons") -> pd.Series:
    rows = store.loc[(store["indicator_id"] == indicator) & (store["area_code"] == area) & (store["period"] == period)
                     & (store["sex"] == sex)]  # fmt: skip
    assert len(rows) == 1, f"{indicator} {area} {period} {sex}: {len(rows)} rows"
    return rows.iloc[0]


# --------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------
def test_every_indicator_of_the_issue_is_catalogued_in_its_chapter(catalogue) -> None:
    for chapter, ids in CHAPTERS.items():
        for indicator in ids:
            assert catalogue[indicator]["chapter"] == chapter, indicator
    assert set(catalogue) == {i for ids in CHAPTERS.values() for i in ids}


def test_methods_polarity_disclosure_and_areas(catalogue) -> None:
    for method, ids in METHODS.items():
        assert {i for i, e in catalogue.items() if e["method"] == method} == ids, method
    others = set(catalogue) - set().union(*METHODS.values())
    assert {catalogue[i]["method"] for i in others} == {"proportion"}
    covered = covered_ids(list(catalogue.values()), default_policy())
    assert {i for i, below in covered.items() if not below} == HOSPITAL
    assert {i for i, e in catalogue.items() if e.get("funnel")} == {"diabetes_prevalence", "chd_prevalence", "emergency_cancer_admissions"}
    fingertips = {"RAG - High is good", "RAG - Low is good", "BOB - Blue orange blue", "Not applicable"}
    for indicator, entry in catalogue.items():
        assert entry["polarity"] in fingertips
        practice_tables = {"registers", "screening", "health_checks", "flu_vaccination", "practice_admissions", "expected_dementia"}
        if entry.get("numerator", {}).get("table") in practice_tables:
            assert "practice" in entry["areas"] and "pcn" in entry["areas"], indicator
        if "ward" in entry["areas"] and entry["method"] in ("dsr", "crude_rate") and entry["numerator"]["table"] in ("deaths", "admissions"):
            assert 5 in entry["windows"] or entry["id"] == "child_injury_admissions", indicator
    multipliers = {"infant_mortality": 1000, "under_18_conceptions": 1000, "child_injury_admissions": 10000,
                   "emergency_cancer_admissions": 100000}
    for indicator, multiplier in multipliers.items():
        assert catalogue[indicator]["multiplier"] == multiplier


def test_published_entries_may_not_name_a_numerator(tmp_path: Path) -> None:
    import yaml

    entries = yaml.safe_load(CATALOGUE.read_text())
    dfle = next(e for e in entries if e["id"] == "dfle_birth")
    dfle["numerator"] = {"table": "deaths", "column": "deaths"}
    path = tmp_path / "indicators.yml"
    path.write_text(yaml.safe_dump(entries))
    with pytest.raises(DataError, match="dfle_birth"):
        load_test_catalogue(path)
    del dfle["numerator"]
    dfle["funnel"] = True  # funnels are for practice proportions and rates only
    path.write_text(yaml.safe_dump(entries))
    with pytest.raises(DataError, match="dfle_birth"):
        load_test_catalogue(path)


@pytest.mark.parametrize(
    "label,year_type,start,end",
    [
        ("2020", "calendar", 2020, 2020),
        ("2018 - 20", "calendar", 2018, 2020),
        ("2098 - 00", "calendar", 2098, 2100),
        ("2019/20", "financial", 2020, 2020),
        ("2017/18 - 19/20", "academic", 2018, 2020),
    ],
)
def test_period_labels_read_back(label: str, year_type: str, start: int, end: int) -> None:
    starts, ends = periods.parse_period_label(pd.Series([label]), year_type)
    assert (starts.iloc[0], ends.iloc[0]) == (start, end)
    assert periods.period_label(starts, ends, year_type).iloc[0] == label


def test_a_period_label_of_another_form_is_refused() -> None:
    with pytest.raises(ValueError, match="2018/19 Q1"):
        periods.parse_period_label(pd.Series(["2018/19 Q1"]), "financial")


# --------------------------------------------------------------------------------------------
# New methods and tables on the tiny data
# --------------------------------------------------------------------------------------------
def tiny_store(folder: Path, ids: list[str], reference: Path = ROOT / "data" / "reference", policy: Policy | None = None) -> pd.DataFrame:
    catalogue = [e for e in load_test_catalogue(CATALOGUE) if e["id"] in ids]
    inputs = load_inputs(folder, reference)
    return compute_indicators(inputs, catalogue, policy)


def test_excess_winter_deaths_index_by_sex_from_the_seasons_table(tiny_data: Path) -> None:
    store = tiny_store(tiny_data, ["excess_winter_deaths"])
    # Tiny seasons (year 2020 = Aug 2019 - Jul 2020): Female Aug-Nov 2, Dec-Mar 3; Male Apr-Jul 2.
    # Persons: W = 3, non-winter 2 + 2 = 4, M = 2, E = 1, index 50; var = 10^4 (3/4 + 9/16) = 13,125.
    persons = one(store, "excess_winter_deaths", period="2019/20")
    assert (persons["count"], persons["denominator"]) == (1.0, 2.0)
    assert persons["value"] == pytest.approx(50.0, rel=1e-12)
    assert persons["upper_95_0"] == pytest.approx(50 + Z95 * math.sqrt(13_125), rel=1e-9)
    assert persons["unit"] == "%" and persons["statistic"] == "Excess winter mortality index (%)"
    # Female: W = 3, M = 1: index 200. Male: W = 0, M = 1: index -100.
    assert one(store, "excess_winter_deaths", period="2019/20", sex="Female")["value"] == pytest.approx(200.0)
    assert one(store, "excess_winter_deaths", period="2019/20", sex="Male")["value"] == pytest.approx(-100.0)
    assert set(store["area_type"]) == {"borough", "township"}


def test_published_values_come_from_the_comparators_unchanged(tiny_data: Path) -> None:
    store = tiny_store(tiny_data, ["dfle_birth", "dfle_65"])
    assert set(store["area_code"]) == {BOROUGH}
    expected = {("dfle_birth", "Male"): 60.45, ("dfle_birth", "Female"): 60.07, ("dfle_65", "Male"): 9.74, ("dfle_65", "Female"): 8.58}
    assert len(store) == 4
    for (indicator, sex), value in expected.items():
        r = one(store, indicator, period="2018 - 20", sex=sex)
        assert r["value"] == value
        assert (r["years"], r["period_start"], r["period_end"]) == (3, 2018, 2020)
        assert np.isnan(r["lower_95_0"]) and np.isnan(r["count"])
        assert r["statistic"] == "Published value" and r["method"].startswith("Real published value: OHID Fingertips")
        assert r["compared_to_england"] == "Not compared"  # no interval to compare with
    assert one(store, "dfle_65", period="2018 - 20", sex="Female")["england_value"] == 9.87


def test_published_values_follow_the_comparators_file(tiny_data: Path, copy_reference: Path) -> None:
    path = copy_reference / "comparators.csv"
    comparators = pd.read_csv(path, dtype=str)
    extra = pd.DataFrame([("dfle_65", BOROUGH, "2017 - 19", "Male", "9.9", "test")], columns=comparators.columns)
    pd.concat([comparators, extra]).to_csv(path, index=False)
    store = tiny_store(tiny_data, ["dfle_65"], copy_reference)
    assert one(store, "dfle_65", period="2017 - 19", sex="Male")["value"] == 9.9


def test_borough_tables_and_practice_tables_reach_the_right_areas(tiny_data: Path) -> None:
    store = tiny_store(tiny_data, ["reablement_91_days", "dementia_diagnosis_rate", "cervical_screening", "health_check_uptake",
                                   "flu_vaccination_65"])
    reablement = one(store, "reablement_91_days", period="2019/20")
    assert (reablement["count"], reablement["denominator"], reablement["value"]) == (88, 100, 88.0)
    assert set(store.loc[store["indicator_id"] == "reablement_91_days", "area_type"]) == {"borough"}
    dementia = one(store, "dementia_diagnosis_rate", "XP00001", period="2019/20")
    assert (dementia["count"], dementia["denominator"]) == (26, 40)
    assert set(store.loc[store["indicator_id"] == "flu_vaccination_65", "area_type"]) == {"practice", "pcn", "borough"}
    assert one(store, "health_check_uptake", "XN0000001", period="2019/20")["value"] == pytest.approx(7.5)


def test_age_restricted_denominators(tiny_data: Path) -> None:
    # The method, not disclosure control: with one township, the tiny borough's counts would be withheld.
    store = tiny_store(tiny_data, ["suicide_rate", "falls_admissions_65", "child_injury_admissions", "under_18_conceptions"], policy=Policy())
    # 100 people in every band, two sexes, two small areas: bands 10+ are 17 of the 20.
    assert one(store, "suicide_rate", period="2020")["denominator"] == 17 * 100 * 2 * 2
    assert one(store, "falls_admissions_65", period="2019/20")["denominator"] == 6 * 100 * 2 * 2
    injuries = one(store, "child_injury_admissions", period="2019/20")
    assert (injuries["count"], injuries["denominator"], injuries["value"]) == (0, 4 * 100 * 2 * 2, 0)
    conceptions = one(store, "under_18_conceptions", period="2020")
    assert conceptions["value"] == pytest.approx(1000 / 30) and conceptions["unit"] == "per 1,000 females aged 15-17"


def test_five_year_ward_windows_are_labelled_as_pooled(tmp_path: Path) -> None:
    tables = tiny_tables()
    tables["population"] = pd.concat([tables["population"].assign(year=y) for y in range(2016, 2021)], ignore_index=True)
    tables["admissions"] = pd.concat([tables["admissions"].assign(year=y, admissions=3) for y in range(2016, 2021)], ignore_index=True)
    store = tiny_store(write_tables(tmp_path / "d", tables), ["copd_admissions"])
    ward = store.loc[(store["area_code"] == "XW0000001") & (store["years"] == 5)]
    assert ward["period"].tolist() == ["2015/16 - 19/20"]
    # 5 x 3 = 15 admissions: published (rounded to 15), one year of 3 is suppressed.
    assert ward["count"].iloc[0] == 15 and not np.isnan(ward["value"].iloc[0])
    single = store.loc[(store["area_code"] == "XW0000001") & (store["years"] == 1)]
    assert single["note"].str.startswith("[c]").all()


# --------------------------------------------------------------------------------------------
# The demonstration store: every indicator, every listed area type, checked against the inputs
# --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_every_indicator_reaches_every_area_type_it_lists(demo_store, catalogue) -> None:
    found = demo_store.groupby("indicator_id")["area_type"].agg(set)
    for indicator, entry in catalogue.items():
        assert set(found[indicator]) == set(entry["areas"]), indicator
        latest = demo_store.loc[(demo_store["indicator_id"] == indicator) & (demo_store["area_code"] == BOROUGH)]
        assert latest["value"].notna().any(), indicator


@pytest.mark.slow
def test_ward_values_need_pooled_years_for_deaths(demo_store) -> None:
    wards = demo_store.loc[(demo_store["indicator_id"] == "under_75_cvd_preventable") & (demo_store["area_type"] == "ward")]
    five = wards.loc[wards["years"] == 5]
    assert five["period"].eq("2018 - 22").sum() == 24
    assert five["value"].notna().mean() > 0.9  # at least 10 deaths in almost every ward over five years
    assert wards.loc[wards["years"] == 1, "value"].notna().mean() < 0.5  # single years mostly too small


@pytest.mark.slow
def test_store_values_match_the_inputs_worked_independently(demo_store, demo) -> None:
    """Catalogue definitions checked against the same quantity computed by hand from the tables."""
    # Suicide: DSR aged 10+ pooled 2019-21 (ESP2013 bands from 10-14).
    from tests.test_demo_data import borough_dsr

    deaths, population = demo["deaths"], demo["population"]
    suicide = borough_dsr(deaths.loc[deaths["cause"] == "suicide"], population, [2019, 2020, 2021], 10)
    assert one(demo_store, "suicide_rate", period="2019 - 21")["value"] == pytest.approx(suicide, rel=1e-9)
    # Falls 65+: DSR over the six bands from 65.
    # Hospital data: the value is published to one decimal place (parameters/disclosure.yml).
    falls = demo["admissions"].query("condition == 'falls' and year == 2020").rename(columns={"admissions": "deaths"})
    assert one(demo_store, "falls_admissions_65", period="2019/20")["value"] == round(borough_dsr(falls, population, [2020], 65), 1)
    # Excess winter deaths 2019/20 from the seasons table.
    seasons = demo["deaths_by_season"].query("year == 2020").groupby("season")["deaths"].sum()
    average = (seasons["aug_nov"] + seasons["apr_jul"]) / 2
    ewd = one(demo_store, "excess_winter_deaths", period="2019/20")
    assert ewd["value"] == pytest.approx(100 * (seasons["dec_mar"] - average) / average, rel=1e-12)
    # Emergency cancer admissions per 100,000 registered, 2020/21.
    # Hospital data: the rate of the count rounded to 5, to one decimal place (NHS Digital's rule).
    admissions = demo["practice_admissions"].query("year == 2021")["admissions"].sum()
    registered = demo["practice_population"].query("year == 2021")["registered"].sum()
    cancer = one(demo_store, "emergency_cancer_admissions", period="2020/21")
    assert cancer["count"] == 5 * round(admissions / 5) != admissions
    assert cancer["value"] == round(1e5 * cancer["count"] / registered, 1)
    # Dementia diagnosis rate: register over estimate.
    register = demo["registers"].query("condition == 'dementia' and year == 2021")["register"].sum()
    estimate = demo["expected_dementia"].query("year == 2021")["estimated_prevalence_count"].sum()
    assert one(demo_store, "dementia_diagnosis_rate", period="2020/21")["value"] == pytest.approx(100 * register / estimate)


@pytest.mark.slow
def test_borough_lands_near_the_published_dudley_figures(demo_store) -> None:
    """The store's borough values beside the real published ones (tolerances: sampling noise)."""
    checks = [  # indicator, period, published Dudley value, tolerance
        ("suicide_rate", "2019 - 21", 10.31, 2.2),
        ("drug_misuse_deaths", "2018 - 20", 4.19, 1.3),
        ("excess_winter_deaths", "2019/20", 20.20, 8.6),
        ("smoking_early_pregnancy", "2018/19", 15.65, 1.5),
        ("early_access_maternity", "2018/19", 74.81, 2.0),
        ("chd_prevalence", "2020/21", 4.03, 0.2),
        ("reception_excess_weight", "2017/18 - 19/20", 25.47, 1.5),
        ("physical_inactivity", "2020/21", 29.61, 1e-9),
        ("adult_excess_weight", "2020/21", 66.80, 1e-9),
        ("stroke_admissions", "2020/21", 137.07, 20),
        ("chd_admissions", "2020/21", 369.33, 40),
        ("self_harm_admissions", "2020/21", 151.97, 20),
        ("alcohol_admissions_narrow", "2020/21", 489.67, 40),
        ("children_low_income", "2020/21", 25.0, 1.5),
    ]
    for indicator, period, published, tolerance in checks:
        assert one(demo_store, indicator, period=period)["value"] == pytest.approx(published, abs=tolerance), indicator
    for sex, published in (("Male", 60.45), ("Female", 60.07)):
        assert one(demo_store, "dfle_birth", period="2018 - 20", sex=sex)["value"] == published


def test_local_deciles_split_the_small_areas_evenly_most_deprived_first(demo) -> None:
    inputs = load_inputs(DEMO, ROOT / "data" / "reference")
    lookup = area_lookup(inputs)
    deciles = inequalities.local_quantiles(inputs, lookup, ["borough", "township"], 10).rename(columns={"quantile": "decile"})
    borough = deciles.loc[deciles["area_code"] == BOROUGH]
    n = len(demo["deprivation"])  # 201 real LSOAs: one decile of 21, nine of 20
    assert len(borough) == n and sorted(borough["decile"].value_counts().tolist(), reverse=True) == [n // 10 + 1] * (n % 10) + [n // 10] * (10 - n % 10)
    score = borough["base_code"].map(demo["deprivation"].set_index("area_code")["imd_score"])
    assert score.groupby(borough["decile"]).min().is_monotonic_decreasing
    assert score.groupby(borough["decile"]).max().iloc[0] == demo["deprivation"]["imd_score"].max()
    assert deciles.loc[deciles["area_code"] != BOROUGH, "area_code"].nunique() == 5  # deciles within each township too


@pytest.mark.slow
def test_inequality_in_life_expectancy_is_the_slope_across_local_deciles(demo_store, demo) -> None:
    """The SII of life expectancy, re-derived: Chiang II by decile, then PHE's weighted slope."""
    from jsna import stats

    r = one(demo_store, "life_expectancy_birth_sii", period="2018 - 20", sex="Female")
    assert r["statistic"] == "Slope index of inequality" and r["compared_to_england"] == "Not compared"
    inputs = load_inputs(DEMO, ROOT / "data" / "reference")
    deciles = inequalities.local_quantiles(inputs, area_lookup(inputs), ["borough"], 10).set_index("base_code")["quantile"]
    pooled = lambda t, c: (t.loc[(t["sex"] == "Female") & t["year"].between(2018, 2020)]  # noqa: E731
                           .assign(decile=lambda x: x["area_code"].map(deciles)).groupby(["decile", "age_band"])[c].sum())
    table = pd.concat([pooled(demo["population"], "population"), pooled(demo["deaths"], "deaths")], axis=1).fillna(0).reset_index()
    le = stats.life_expectancy(table, "deaths", "population", group_by="decile").query("start_age == 0")
    weights = table.groupby("decile")["population"].sum()
    share = (weights / weights.sum()).to_numpy()
    rank = np.cumsum(share) - share / 2
    slope = np.polyfit(rank, le["value"].to_numpy(), 1, w=np.sqrt(share))[0]
    assert r["value"] == pytest.approx(slope, rel=1e-9)
    assert r["lower_95_0"] < r["value"] < r["upper_95_0"]
    assert r["value"] == pytest.approx(8.60, abs=1.5)  # published Dudley 2018-20, within sampling noise


@pytest.mark.slow
def test_hospital_counts_are_rounded_or_suppressed_everywhere(demo_store) -> None:
    hospital = demo_store.loc[demo_store["indicator_id"].isin(HOSPITAL)]
    counts = hospital["count"].dropna()
    assert (counts % 5 == 0).all()
    assert hospital.loc[hospital["count"].isna(), "note"].str.startswith("[c]").all()
