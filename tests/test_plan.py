"""The plan: which notebook runs for which place, and the table of contents made from it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from jsna.build import Settings, make_toc
from jsna.data import DataError, load_inputs
from jsna.plan import load_places, make_plan, slug
from tests.conftest import ROOT

CHAPTERS = {
    "chapters": {
        "population": {"title": "Population", "template": "chapters/population.md"},
        "start_well": {"title": "Start well", "template": "chapters/population.md"},
    },
    "place_types": {"borough": ["population", "start_well"], "township": ["population"], "ward": [], "pcn": []},
}
PLACES = {
    "places": [
        {"code": "E08000027", "name": "Dudley", "type": "borough", "parent": "E12000005"},
        {"code": "XT0000001", "name": "Township A", "type": "township", "parent": "E08000027"},
        {"code": "XW0000001", "name": "Ward A", "type": "ward", "parent": "XT0000001"},
    ]
}


def write_parameters(folder: Path, places=PLACES, chapters=CHAPTERS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "places.yml").write_text(yaml.safe_dump(places))
    (folder / "chapters.yml").write_text(yaml.safe_dump(chapters))
    return folder


def test_jobs_are_places_times_their_chapters(tmp_path: Path) -> None:
    plan = make_plan(write_parameters(tmp_path / "p"), root=ROOT)
    assert [(j.place, j.chapter) for j in plan.jobs] == [
        ("E08000027", "population"),
        ("E08000027", "start_well"),
        ("XT0000001", "population"),
    ]
    assert plan.jobs[0].output == "borough/dudley/population.ipynb"
    assert plan.jobs[2].output == "township/township-a/population.ipynb"
    assert plan.jobs[0].parameters["place_code"] == "E08000027"
    # A ward type with no chapters gets no jobs and no page.
    assert [p.code for p in plan.places_with_pages()] == ["E08000027", "XT0000001"]


def test_only_restricts_and_rejects_unknown(tmp_path: Path) -> None:
    params = write_parameters(tmp_path / "p")
    assert {j.place for j in make_plan(params, root=ROOT, only=["XT0000001"]).jobs} == {"XT0000001"}
    with pytest.raises(DataError, match="XX"):
        make_plan(params, root=ROOT, only=["XX"])


def test_toc_covers_exactly_the_jobs(tmp_path: Path) -> None:
    plan = make_plan(write_parameters(tmp_path / "p"), root=ROOT)
    toc = make_toc(Settings(root=ROOT), plan)
    files = []

    def walk(entries):
        for entry in entries:
            files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc["parts"]:
        walk(part["chapters"])
    notebooks = {f for f in files if not f.endswith("/index") and not f.startswith(("about/", "by-chapter/"))}
    assert notebooks == {job.output.removesuffix(".ipynb") for job in plan.jobs}
    assert "borough/dudley/index" in files and "by-chapter/population" in files
    assert not any("generated" in part for part in toc["parts"])


def test_places_checked_against_geography(tmp_path: Path, tiny_data: Path, reference: Path) -> None:
    geography = load_inputs(tiny_data, reference).geography
    bad = {"places": [dict(PLACES["places"][1], name="Township B")]}
    with pytest.raises(DataError) as caught:
        load_places(write_parameters(tmp_path / "p", places=bad) / "places.yml", geography)
    assert caught.value.row == 1 and caught.value.column == "name" and "Township A" in str(caught.value)


@pytest.mark.parametrize(
    "entry,column",
    [
        ({"code": "X1", "name": "A", "type": "county"}, "type"),
        ({"code": "X1", "type": "ward"}, "name"),
    ],
    ids=["unknown type", "no name"],
)
def test_bad_place_entry(tmp_path: Path, entry: dict, column: str) -> None:
    with pytest.raises(DataError) as caught:
        load_places(write_parameters(tmp_path / "p", places={"places": [entry]}) / "places.yml")
    assert caught.value.column == column and caught.value.row == 1


def test_unknown_chapter_for_place_type(tmp_path: Path) -> None:
    chapters = {"chapters": CHAPTERS["chapters"], "place_types": {"borough": ["age_well"]}}
    with pytest.raises(DataError, match="unknown chapter 'age_well'"):
        make_plan(write_parameters(tmp_path / "p", chapters=chapters), root=ROOT)


def test_slug() -> None:
    assert slug("St James's") == "st-jamess"
    assert slug("Netherton, Woodside and St Andrews") == "netherton-woodside-and-st-andrews"


def test_plan_json_command_lists_every_default_job() -> None:
    result = subprocess.run([sys.executable, "-m", "jsna", "plan", "--json"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    jobs = json.loads(result.stdout)
    places = yaml.safe_load((ROOT / "parameters" / "places.yml").read_text())["places"]
    chapters = yaml.safe_load((ROOT / "parameters" / "chapters.yml").read_text())["place_types"]
    expected = sum(len(chapters.get(p["type"]) or []) for p in places)
    assert len(jobs) == expected > 0
    assert all(set(job) >= {"template", "output", "parameters"} for job in jobs)
    assert len({job["output"] for job in jobs}) == len(jobs)


def test_default_places_match_demo_geography() -> None:
    geography = pd.read_csv(ROOT / "data" / "demo" / "geography.csv", dtype=str)
    places = load_places(ROOT / "parameters" / "places.yml")
    by_type = pd.Series([p.type for p in places]).value_counts().to_dict()
    assert by_type == {"borough": 1, "township": 5, "ward": 24, "pcn": 6}
    assert {p.code for p in places} <= set(geography["area_code"])
