"""The committed demonstration data (data/demo): made by the generator, valid, and Dudley-shaped.

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
    generator.write(demo.tables, out)
    return demo, out


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    """The committed tables, read plainly with pandas."""
    names = ["geography", "deprivation", "population", "deaths", "births", "admissions", "child_weight",
             "practice_population", "registers", "practice_admissions", "survey"]
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
def test_committed_demo_data_is_exactly_what_the_generator_makes(regenerated):
    _, out = regenerated
    committed = sorted(p.name for p in DEMO.iterdir() if p.is_file())
    made = sorted(p.name for p in out.iterdir())
    assert committed == made
    for name in made:
        assert _content(DEMO / name) == _content(out / name), f"data/demo/{name} differs from the generator's output"


def test_gzip_files_carry_no_timestamp():
    for path in DEMO.glob("*.gz"):
        header = path.read_bytes()[:10]
        assert header[:2] == b"\x1f\x8b", path.name
        assert header[4:8] == b"\x00\x00\x00\x00", f"{path.name}: gzip mtime is set, so bytes change on every run"


def test_demo_data_passes_the_input_schema(demo):
    from jsna.data import load_inputs

    inputs = load_inputs(DEMO)  # raises DataError naming file, row and column on any problem
    assert {name: len(t) for name, t in inputs.tables.items()} == {name: len(t) for name, t in demo.items()}


# ---------------------------------------------------------------------------------------------
# Shape of the borough
# ---------------------------------------------------------------------------------------------
def test_geography_is_dudley_shaped(demo):
    geography = demo["geography"].set_index("area_code")
    kinds = geography["area_type"]
    assert geography.loc["E08000027", "parent_code"] == "E12000005"
    assert geography.loc["E12000005", "parent_code"] == "E92000001"
    assert geography.loc["E92000001", "parent_code"] == ""
    townships = kinds[kinds == "township"].index
    wards = geography[kinds == "ward"]
    assert len(townships) == 5 and len(wards) == 24
    assert set(wards["parent_code"]) == set(townships)
    practices = geography[kinds == "practice"]
    networks = kinds[kinds == "pcn"].index
    assert len(practices) == 43 and len(networks) == 6
    assert set(practices["parent_code"]) == set(networks)
    assert all(code.startswith("X") for code in geography.index[~kinds.isin(["country", "region", "borough"])])


def test_small_areas_are_lsoa_sized(demo):
    population = demo["population"]
    per_area = population.groupby(["area_code", "year"])["population"].sum()
    n_areas = per_area.index.get_level_values("area_code").nunique()
    assert 170 <= n_areas <= 210
    assert per_area.between(1000, 3000).all(), per_area[~per_area.between(1000, 3000)]


def test_population_2021_matches_census(demo):
    p = demo["population"].query("year == 2021")
    total = p["population"].sum()
    assert total == pytest.approx(323_500, rel=0.01)
    assert p.loc[p["age_band"].isin(YOUNG), "population"].sum() / total == pytest.approx(0.18, abs=0.01)
    assert p.loc[p["age_band"].isin(OLD), "population"].sum() / total == pytest.approx(0.20, abs=0.01)


def test_about_a_quarter_live_in_the_most_deprived_fifth(demo):
    people = demo["population"].query("year == 2021").groupby("area_code")["population"].sum()
    decile = demo["deprivation"].set_index("area_code")["imd_decile"].reindex(people.index)
    share = people[decile <= 2].sum() / people.sum()
    assert 0.22 <= share <= 0.28


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
    admissions = demo["admissions"]
    assert set(admissions.loc[admissions["condition"].isin(["falls", "hip_fracture"]), "age_band"]) <= set(OLD)
    assert set(admissions.loc[admissions["condition"] == "child_injury", "age_band"]) <= set(YOUNG)


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
