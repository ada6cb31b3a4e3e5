"""A second authority's book from its geography kit alone: the generator makes its data, one
command its parameters, and the build its site, with no code change and no word of Dudley."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from jsna.__main__ import main
from jsna.book.build import load_parameters, plan_for
from jsna.config import Settings
from jsna.inputs.kit import load_kit

ROOT = Path(__file__).resolve().parent.parent
EXAMPLETON = ROOT / "tests" / "kits" / "exampleton"
#: Words of the demonstration borough that another authority's pages must not carry.
DUDLEY_WORDS = re.compile(r"dudley|west midlands|township|borough|brierley|stourbridge|halesowen|sedgley", re.IGNORECASE)


@pytest.fixture(scope="module")
def exampleton(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("exampleton")
    done = subprocess.run([sys.executable, "scripts/make_demo_data.py", "--geography", str(EXAMPLETON), "--out", str(folder / "data")],
                          cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert main(["parameters", "--kit", str(EXAMPLETON), "--out", str(folder / "parameters")]) == 0
    return folder


@pytest.mark.slow
def test_the_generator_makes_a_complete_folder_on_the_kits_geography(exampleton) -> None:
    kit = load_kit(EXAMPLETON)
    geography = pd.read_csv(exampleton / "data" / "geography.csv", dtype=str, keep_default_na=False)
    by_type = geography.groupby("area_type")["area_code"].apply(set)
    assert by_type["district"] == {"E06000999"} and by_type["region"] == {"E12000009"}
    assert by_type["ward"] == set(kit.wards["code"]) and by_type["small_area"] == set(kit.small_areas["code"])
    assert by_type["practice"] == set(kit.practices["code"]) and by_type["pcn"] == set(kit.networks["code"])
    assert "locality" not in by_type
    population = pd.read_csv(exampleton / "data" / "population.csv.gz")
    published = kit.population.groupby("year")["population"].sum()
    assert population.groupby("year")["population"].sum()[published.index].to_numpy() == pytest.approx(published.to_numpy(), abs=len(kit.small_areas) * 40)


@pytest.mark.slow
def test_the_second_authority_plans_its_own_places(exampleton) -> None:
    settings = Settings(data=exampleton / "data", parameters=exampleton / "parameters")
    plan = plan_for(settings, load_parameters(settings))
    assert {job.place for job in plan.jobs} == {"E06000999"} | set(load_kit(EXAMPLETON).wards["code"]) | {"U99001", "U99002", "U99003"}
    assert [job.chapter for job in plan.jobs if job.place == "E06000999"] == ["profile", "population", "start_well", "live_well", "age_well", "inequalities"]


@pytest.mark.smoke
def test_the_second_authority_builds_with_no_word_of_dudley(exampleton, tmp_path) -> None:
    out = tmp_path / "build"
    argv = ["build", "--data", str(exampleton / "data"), "--parameters", str(exampleton / "parameters"), "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    html = out / "html"
    pages = [p for p in html.rglob("*") if p.is_file() and "_static" not in p.parts and p.suffix in (".html", ".js", ".csv", ".txt", ".md")]
    assert len([p for p in pages if p.suffix == ".html"]) >= 30
    found = {str(p.relative_to(html)): sorted(set(DUDLEY_WORDS.findall(p.read_text(encoding="utf-8")))) for p in pages}
    assert {page: words for page, words in found.items() if words} == {}
    start = (html / "index.html").read_text(encoding="utf-8")
    assert "the district of Exampleton" in start and "each of its 18 wards" in start
    assert "Castle Hill ward" in (html / "ward" / "castle-hill" / "profile.html").read_text(encoding="utf-8")
