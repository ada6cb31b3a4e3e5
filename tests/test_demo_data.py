"""The committed demonstration data (data/demo): made by the generator, valid, on Dudley's real geography.

1. Regenerating with ``scripts/make_demo_data.py`` gives exactly the committed files, so the
   generator is deterministic and nobody has edited the data by hand.
2. The committed data meets the contract of ``data/README.md`` (checked by ``jsna.data``).
3. The committed data is calibrated to the published Dudley figures, within stated tolerances
   (targets: ONS Census 2021 and OHID Fingertips, see data/reference/).
"""

from __future__ import annotations

import gzip
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
SCRIPT = ROOT / "scripts" / "make_demo_data.py"
YOUNG = ("0", "1-4", "5-9", "10-14")
OLD = ("65-69", "70-74", "75-79", "80-84", "85-89", "90+")


@pytest.fixture(scope="module")
def generator():
    """The generator script, imported as a module."""
    spec = importlib.util.spec_from_file_location("make_demo_data", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def regenerated(generator, tmp_path_factory):
    """A fresh run of the generator with its default seed: (in-memory result, output folder)."""
    out = tmp_path_factory.mktemp("demo")
    demo = generator.generate(generator.SEED)
    generator.write(demo.tables, out, demo)
    return demo, out


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    """The committed tables, read plainly with pandas."""
    names = ["geography", "deprivation", "population", "deaths", "births", "admissions", "child_weight",
             "practice_population", "registers", "practice_admissions", "survey", "deaths_by_season",
             "child_development", "immunisations", "conceptions", "low_income_children", "screening",
             "health_checks", "flu_vaccination", "expected_dementia", "reablement"]
    tables = {}
    for name in names:
        path = DEMO / f"{name}.csv.gz" if (DEMO / f"{name}.csv.gz").exists() else DEMO / f"{name}.csv"
        tables[name] = pd.read_csv(path, dtype={"preventable": str, "parent_code": str}, keep_default_na=False)
    return tables


def _content(path: Path) -> bytes:
    """File content; gzip files decompressed (their compressed bytes depend on the zlib build)."""
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


# ---------------------------------------------------------------------------------------------
# Made by the generator
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_committed_demo_data_is_exactly_what_the_generator_makes(regenerated):
    _, out = regenerated
    committed = sorted(str(p.relative_to(DEMO)) for p in DEMO.rglob("*") if p.is_file())
    made = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert committed == made and "boundaries/wards.geojson" in made
    for name in made:
        assert _content(DEMO / name) == _content(out / name), f"data/demo/{name} differs from the generator's output"


def test_gzip_files_carry_no_timestamp():
    for path in DEMO.glob("*.gz"):
        header = path.read_bytes()[:10]
        assert header[:2] == b"\x1f\x8b", path.name
        assert header[4:8] == b"\x00\x00\x00\x00", f"{path.name}: gzip mtime is set, so bytes change on every run"


def test_demo_data_passes_the_input_schema(demo):
    from jsna.inputs.tables import load_inputs

    inputs = load_inputs(DEMO)  # raises DataError naming file, row and column on any problem
    assert {name: len(t) for name, t in inputs.tables.items()} == {name: len(t) for name, t in demo.items()}


# ---------------------------------------------------------------------------------------------
# The borough: real geography, deprivation and population
# ---------------------------------------------------------------------------------------------
KIT = ROOT / "data" / "kits" / "dudley"


def test_geography_is_dudleys_real_geography(demo):
    """Real ONS codes and names for the wards (2017 to May 2024) and the LSOAs (2011), the real
    practices and networks; the townships are the council's groupings with local codes."""
    geography = demo["geography"].set_index("area_code")
    kinds = geography["area_type"]
    assert geography.loc["E08000027", "parent_code"] == "E12000005"
    assert geography.loc["E12000005", "parent_code"] == "E92000001"
    assert geography.loc["E92000001", "parent_code"] == ""
    lookup = pd.read_csv(KIT / "dudley_lsoa11_msoa11_ward_lookup.csv", dtype=str)
    wards = geography[kinds == "ward"]
    assert sorted(wards.index) == [f"E0500{n}" for n in range(1236, 1260)]
    assert wards.loc["E05001250", "area_name"] == "Netherton, Woodside and St Andrews"
    small = geography[kinds == "small_area"]
    assert sorted(small.index) == sorted(lookup["lsoa11_code"]) and len(small) == 201
    assert (small["parent_code"] == lookup.set_index("lsoa11_code")["ward17_code"].reindex(small.index)).all()
    townships = kinds[kinds == "township"].index
    assert list(townships) == [f"XT000000{n}" for n in range(1, 6)] and set(wards["parent_code"]) == set(townships)
    practices = geography[kinds == "practice"]
    networks = geography[kinds == "pcn"]
    mapping = pd.read_csv(KIT / "dudley_gp_practice_pcn_map_2022-01.csv", dtype=str).set_index("PRACTICE_CODE")
    assert sorted(practices.index) == sorted(mapping.index) and len(networks) == 6
    allocated = mapping.loc[mapping["PCN_CODE"] != "U", "PCN_CODE"]
    assert (practices.loc[allocated.index, "parent_code"] == allocated).all()
    # The two practices the January 2022 map leaves unallocated, placed by postcode district (B63, DY2).
    assert practices.loc["M87001", "parent_code"] == "U55441" and practices.loc["M87605", "parent_code"] == "U06610"
    assert networks.loc["U55441", "area_name"] == "Halesowen PCN"


def test_deprivation_and_population_are_the_published_figures(demo):
    imd = pd.read_csv(KIT / "dudley_imd2019_lsoa11.csv").set_index("lsoa11_code")
    deprivation = demo["deprivation"].set_index("area_code")
    assert np.allclose(deprivation["imd_score"], imd.loc[deprivation.index, "imd2019_score"])
    assert (deprivation["imd_decile"] == imd.loc[deprivation.index, "IMD_decile"]).all()
    published = pd.read_csv(KIT / "dudley_population_lsoa11_persons_syoa_mid2017_2019_2020.csv").set_index(["lsoa11_code", "year"])
    persons = demo["population"].groupby(["area_code", "year"])["population"].sum()
    for year in (2017, 2019, 2020):
        ours = persons.xs(year, level="year")
        assert (ours == published.xs(year, level="year")["total_population"].reindex(ours.index)).all(), year
    over_90 = demo["population"].query("year == 2020 and age_band == '90+'")["population"].sum()
    assert over_90 == published.xs(2020, level="year")["90+"].sum()


def test_small_areas_are_lsoas(demo):
    per_area = demo["population"].groupby(["area_code", "year"])["population"].sum()
    assert per_area.index.get_level_values("area_code").nunique() == 201
    assert per_area.between(1000, 4000).all(), per_area[~per_area.between(1000, 4000)]


def test_population_2021_matches_census(demo):
    p = demo["population"].query("year == 2021")
    total = p["population"].sum()
    assert total == pytest.approx(323_500, rel=0.01)
    assert p.loc[p["age_band"].isin(YOUNG), "population"].sum() / total == pytest.approx(0.18, abs=0.01)
    assert p.loc[p["age_band"].isin(OLD), "population"].sum() / total == pytest.approx(0.20, abs=0.01)


def test_every_practice_draws_patients_from_more_than_one_ward(regenerated):
    """Practice populations do not nest in wards (the registration matrix is internal to the
    generator: the input tables hold practice lists, not where the patients live)."""
    result, _ = regenerated
    shares = result.practices.shares.mean(axis=2)  # [small area, practice]
    by_ward = np.zeros((result.areas.ward.max() + 1, shares.shape[1]))
    np.add.at(by_ward, result.areas.ward, shares)
    by_ward /= by_ward.sum(axis=0)
    wards_with_5pc = (by_ward >= 0.05).sum(axis=0)
    assert (wards_with_5pc >= 2).all(), wards_with_5pc


def test_events_tables_store_only_non_zero_rows_of_the_right_ages(demo):
    assert (demo["deaths"]["deaths"] > 0).all()
    assert (demo["admissions"]["admissions"] > 0).all()
    assert (demo["practice_admissions"]["admissions"] > 0).all()
    assert (demo["deaths_by_season"]["deaths"] > 0).all()
    admissions = demo["admissions"]
    assert set(admissions.loc[admissions["condition"].isin(["falls", "hip_fracture"]), "age_band"]) <= set(OLD)
    assert set(admissions.loc[admissions["condition"] == "child_injury", "age_band"]) <= set(YOUNG)
    deaths = demo["deaths"]
    assert not set(deaths.loc[deaths["cause"] == "suicide", "age_band"]) & {"0", "1-4", "5-9"}


# ---------------------------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------------------------
def test_year6_excess_weight_2017_18_to_2019_20(demo):
    y6 = demo["child_weight"].query("school_year == 'Year 6' and 2018 <= year <= 2020")
    assert 100 * y6["excess_weight"].sum() / y6["measured"].sum() == pytest.approx(40.4, abs=2.0)


def test_life_expectancy_at_birth_2020(demo):
    from jsna.stats.life_expectancy import life_expectancy

    population = demo["population"].query("year == 2020").groupby(["sex", "age_band"], as_index=False)["population"].sum()
    deaths = demo["deaths"].query("year == 2020").groupby(["sex", "age_band"], as_index=False)["deaths"].sum()
    table = population.merge(deaths, how="left", on=["sex", "age_band"]).fillna({"deaths": 0})
    result = life_expectancy(table, "deaths", "population", group_by="sex").query("start_age == 0")
    at_birth = result.set_index("sex")["value"]
    assert at_birth["Male"] == pytest.approx(77.8, abs=0.6)
    assert at_birth["Female"] == pytest.approx(81.8, abs=0.6)


# ---------------------------------------------------------------------------------------------
# Calibration of the tables added for the full indicator set (issue 4). Tolerances allow for
# the sampling noise of the synthetic draws (stated per test); published targets are the
# Fingertips extract of 29/09/2022 quoted in data/reference/published_indicators_2022.csv.
# ---------------------------------------------------------------------------------------------
ESP = dict(zip(["0-4"] + list(YOUNG[2:]) + [f"{a}-{a + 4}" for a in range(15, 90, 5)] + ["90+"],
               [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000]))


def borough_dsr(deaths: pd.DataFrame, population: pd.DataFrame, years: list[int], min_age: int = 0) -> float:
    """ESP2013 DSR per 100,000, written out independently of jsna.stats."""
    band = {"0": "0-4", "1-4": "0-4"}
    d = deaths.loc[deaths["year"].isin(years)].assign(b=lambda x: x["age_band"].replace(band)).groupby("b")["deaths"].sum()
    p = population.loc[population["year"].isin(years)].assign(b=lambda x: x["age_band"].replace(band)).groupby("b")["population"].sum()
    bands = [b for b in ESP if int(b.split("-")[0].rstrip("+")) >= min_age]
    weights = np.array([ESP[b] for b in bands], dtype=float)
    return float(1e5 * np.sum(weights * np.array([d.get(b, 0) / p[b] for b in bands])) / weights.sum())


def share(table: pd.DataFrame, numerator: str, denominator: str, year: int) -> float:
    rows = table.loc[table["year"] == year]
    return 100 * rows[numerator].sum() / rows[denominator].sum()


def test_suicide_and_drug_misuse_rates_match_dudley(demo):
    deaths, population = demo["deaths"], demo["population"]
    # Published: suicide 10.31 (2019-21, aged 10+), drug misuse 4.19 (2018-20). About 80 and 40
    # deaths pooled: tolerances are about two standard errors.
    assert borough_dsr(deaths.query("cause == 'suicide'"), population, [2019, 2020, 2021], 10) == pytest.approx(10.31, abs=2.2)
    assert borough_dsr(deaths.query("cause == 'drug_misuse'"), population, [2018, 2019, 2020]) == pytest.approx(4.19, abs=1.3)


def test_carving_out_suicide_and_drug_misuse_kept_every_total(generator):
    """The new causes come out of the external and mental/behavioural deaths already drawn, and
    only the preventable flag of circulatory deaths changes: every cell keeps its total."""
    rng = generator.streams(generator.SEED)
    kit = generator.load_kit(generator.DEFAULT_KIT)
    _, areas = generator.make_geography(rng["geography"], kit)
    population = generator.make_population(rng["population"], kit, areas)
    _, live = generator.make_births(rng["births"], population, areas)
    before, expected = generator.make_mortality(rng["mortality"], population, live, areas)
    after = generator.refine_causes(rng["causes"], before, expected, population, areas)
    assert (after.sum(axis=(4, 5)) == before.sum(axis=(4, 5))).all()
    causes = list(generator.DEATH_CAUSES)
    kept = [causes.index(c) for c in ("cancer", "respiratory", "digestive", "other")]
    assert (after[..., kept, :] == before[..., kept, :]).all()
    source = [causes.index(c) for c in ("external", "mental_behavioural")]
    carved = [causes.index(c) for c in ("suicide", "drug_misuse")]
    assert (after[..., source + carved, :].sum(axis=4) == before[..., source, :].sum(axis=4)).all()
    circulatory = causes.index("circulatory")
    assert (after[..., circulatory, :].sum(axis=-1) == before[..., circulatory, :].sum(axis=-1)).all()
    assert after[..., circulatory, 1].sum() < before[..., circulatory, 1].sum()


def test_excess_winter_deaths_index_2019_20(demo):
    seasons = demo["deaths_by_season"].query("year == 2020").groupby("season")["deaths"].sum()
    average = (seasons["aug_nov"] + seasons["apr_jul"]) / 2
    # Published 20.2; about 1,250 winter deaths give a standard error of about 4.3 points.
    assert 100 * (seasons["dec_mar"] - average) / average == pytest.approx(20.2, abs=8.6)
    # The seasons hold the same deaths as the deaths table: Aug 2019 - Jul 2020 lies in 2019-20.
    assert demo["deaths_by_season"]["year"].min() == 2014


def test_maternity_2018_19(demo):
    births = demo["births"]
    assert share(births, "smoking_early_pregnancy", "maternities", 2019) == pytest.approx(15.65, abs=1.5)
    assert share(births, "early_booking", "maternities", 2019) == pytest.approx(74.81, abs=2.0)
    assert (births["smoking_at_delivery"] <= births["smoking_early_pregnancy"]).all()


def test_children_in_low_income_families_2020_21(demo):
    rows = demo["low_income_children"].query("year == 2021")
    assert rows["in_low_income"].sum() == pytest.approx(15_464, rel=0.03)  # DWP, published
    assert share(demo["low_income_children"], "in_low_income", "children_under_16", 2021) == pytest.approx(25.0, abs=1.5)


def test_typical_levels_of_the_other_new_measures(demo):
    """Levels not published in the source papers: plausible ranges (the brief's)."""
    assert 65 <= share(demo["child_development"], "good_level_development", "eligible", 2019) <= 72
    assert share(demo["immunisations"], "vaccinated", "eligible", 2021) == pytest.approx(90, abs=2)
    conceptions = demo["conceptions"].query("year == 2020")
    assert 1000 * conceptions["conceptions_under_18"].sum() / conceptions["females_15_17"].sum() == pytest.approx(20, abs=5)
    assert share(demo["screening"], "screened", "eligible", 2021) == pytest.approx(70, abs=2)
    assert share(demo["flu_vaccination"], "vaccinated", "eligible_65_plus", 2021) == pytest.approx(80, abs=2)
    # Health checks: a year of checks, four times the published Q1 2018/19 rate (3.16%).
    assert share(demo["health_checks"], "received", "eligible", 2019) == pytest.approx(4 * 3.16, abs=1.0)
    registers = demo["registers"].query("condition == 'dementia'").merge(demo["expected_dementia"], on=["area_code", "year"])
    rate = share(registers, "register", "estimated_prevalence_count", 2021)
    assert 60 <= rate <= 68
    reablement = demo["reablement"].query("year >= 2019")
    assert (100 * reablement["at_home_91_days"] / reablement["discharged_65_plus"]).between(83, 95).all()


def test_adult_excess_weight_2020_21_is_the_published_estimate(demo):
    survey = demo["survey"].set_index(["year", "measure"])
    assert survey.loc[(2021, "excess_weight"), "value"] == 66.80
    assert survey.loc[(2021, "inactivity"), "value"] == 29.61
