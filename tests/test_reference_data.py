"""The comparators the book uses agree with the verbatim copies of the published sources."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import ROOT

REFERENCE = ROOT / "data" / "reference"
#: comparators.csv indicator (and sex) -> the indicator's name in the published table.
PUBLISHED_NAMES = {
    ("life_expectancy_birth", "Male"): "Life Expectancy at birth – male (years)",
    ("life_expectancy_birth", "Female"): "Life Expectancy at birth – female (years)",
    ("life_expectancy_65", "Male"): "Life Expectancy at 65yrs – male (years)",
    ("life_expectancy_65", "Female"): "Life Expectancy at 65yrs – female (years)",
    ("infant_mortality", "Persons"): "Infant Mortality Rate (per 1,000 live births)",
    ("under_75_cancer_preventable", "Persons"): "Under 75yr mortality rate from cancer considered preventable (rate per 100,000)",
    ("copd_admissions", "Persons"): "Emergency admissions for COPD (rate per 100,000)",
    ("year6_excess_weight", "Persons"): "Overweight and obese children in Year 6 (%)",
    ("diabetes_prevalence", "Persons"): "Prevalence of Diabetes (QOF Prevalence) (%)",
    ("adult_smoking", "Persons"): "Prevalence of smoking in adults (%)",
}
COLUMN = {"E92000001": "england", "E12000005": "west_midlands", "E08000027": "dudley"}


def test_every_fingertips_comparator_matches_the_published_table() -> None:
    comparators = pd.read_csv(REFERENCE / "comparators.csv")
    published = pd.read_csv(REFERENCE / "published_indicators_2022.csv").set_index("indicator")
    fingertips = comparators.loc[comparators["source"].str.startswith("OHID Fingertips")]
    assert len(fingertips) == 3 * len(PUBLISHED_NAMES)
    for row in fingertips.itertuples():
        source = published.loc[PUBLISHED_NAMES[(row.indicator_id, row.sex)]]
        assert row.value == pytest.approx(float(source[COLUMN[row.area_code]]), abs=1e-9), row
        assert row.period.replace(" ", "") == str(source["period"]).replace(" ", ""), row


def test_england_population_is_census_2021() -> None:
    england = pd.read_csv(REFERENCE / "england_population.csv")
    assert len(england) == 38 and set(england["sex"]) == {"Male", "Female"}
    # ONS Census 2021 usual residents of England: 56,490,048 (published headline).
    assert england["population"].sum() == pytest.approx(56_490_048, abs=100)
