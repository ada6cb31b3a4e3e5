"""The plan: which notebook runs for which place, and the table of contents made from it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from jsna.book.build import load_parameters, plan_for
from jsna.book.plan import make_plan
from jsna.book.source import make_toc
from jsna.config import Settings
from jsna.errors import DataError
from jsna.inputs.places import load_area_types, load_chapters, load_places, slug
from jsna.inputs.tables import load_inputs
from tests.conftest import ROOT, area_types, write_parameters

CHAPTERS = {
    "chapters": {
        "population": {"title": "Population", "template": "chapters/population.md"},
        "start_well": {"title": "Start well", "template": "chapters/population.md"},
    }
}


def place_types_with(**chapters: list[str]) -> dict:
    """The project's place types with these chapters per type (others get none)."""
    types = yaml.safe_load((ROOT / "parameters" / "place_types.yml").read_text())
    for type_id, entry in types["area_types"].items():
        entry.pop("chapters", None)
        if type_id in chapters:
            entry["chapters"] = chapters[type_id]
    return types


def plan_of(parameters: Path, data: Path):
    settings = Settings(root=ROOT, data=data, parameters=parameters)
    return plan_for(settings, load_parameters(settings))


@pytest.fixture
def parameters(tmp_path: Path) -> Path:
    return write_parameters(
        tmp_path / "p", [{"all": "borough"}, {"all": "township"}, {"all": "ward"}],
        place_types=place_types_with(borough=["population", "start_well"], township=["population"]), chapters=CHAPTERS,
    )  # fmt: skip


def test_jobs_are_places_times_their_chapters(parameters: Path, tiny_data: Path) -> None:
    plan = plan_of(parameters, tiny_data)
    assert [(j.place, j.chapter) for j in plan.jobs] == [
        ("E08000027", "population"),
        ("E08000027", "start_well"),
        ("XT0000001", "population"),
    ]
    assert plan.jobs[0].output == "borough/dudley/population.ipynb"
    assert plan.jobs[2].output == "township/township-a/population.ipynb"
    assert plan.jobs[2].place_name == "Township A township"  # titled as place_types.yml says
    assert plan.jobs[0].parameters["place_code"] == "E08000027"
    # A ward type with no chapters gets no jobs and no page.
    assert [p.code for p in plan.places_with_pages()] == ["E08000027", "XT0000001"]


def test_only_restricts_and_rejects_unknown(parameters: Path, tiny_data: Path) -> None:
    settings = Settings(root=ROOT, data=tiny_data, parameters=parameters)
    loaded = load_parameters(settings)
    assert {j.place for j in make_plan(loaded.places, loaded.chapters, loaded.area_types, only=["XT0000001"]).jobs} == {"XT0000001"}
    with pytest.raises(DataError, match="XX"):
        make_plan(loaded.places, loaded.chapters, loaded.area_types, only=["XX"])


def test_toc_covers_exactly_the_jobs(parameters: Path, tiny_data: Path) -> None:
    plan = plan_of(parameters, tiny_data)
    toc = make_toc(Settings(root=ROOT), plan)
    files = []

    def walk(entries):
        for entry in entries:
            files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc["parts"]:
        walk(part["chapters"])
    notebooks = {f for f in files if not f.endswith("/index") and not f.startswith(("about/", "by-chapter/")) and f != "explore"}
    assert notebooks == {job.output.removesuffix(".ipynb") for job in plan.jobs}
    assert "borough/dudley/index" in files and "by-chapter/population" in files and "about/store" in files
    assert not any("generated" in part for part in toc["parts"])
    # Parts are captioned with the type's words: one borough, several... (one township here).
    assert [part["caption"] for part in toc["parts"] if part["caption"] in ("Borough", "Township", "Townships")] == ["Borough", "Township"]


# --------------------------------------------------------------------------------------------
# places.yml: codes, sets and display names, checked against the data's geography
# --------------------------------------------------------------------------------------------
def places_from(tmp_path: Path, tiny_data: Path, entries: list[dict]):
    path = write_parameters(tmp_path / "p", entries) / "places.yml"
    return load_places(path, load_inputs(tiny_data).geography, area_types())


def test_a_set_takes_every_area_of_the_type_with_names_from_the_geography(tmp_path: Path, tiny_data: Path) -> None:
    places = places_from(tmp_path, tiny_data, [{"all": "pcn"}, {"code": "E08000027"}, {"all": "ward", "within": "XT0000001"}])
    assert [(p.code, p.type, p.name, p.parent) for p in places] == [
        ("E08000027", "borough", "Dudley", "E12000005"),  # in the order of place_types.yml
        ("XW0000001", "ward", "Ward A", "XT0000001"),
        ("XN0000001", "pcn", "Network A", "E08000027"),
    ]
    assert places[1].title == "Ward A ward" and places[1].folder == "ward/ward-a"


def test_a_display_name_renames_the_place_everywhere_the_book_names_it(tmp_path: Path, tiny_data: Path) -> None:
    places = places_from(tmp_path, tiny_data, [{"all": "township"}, {"code": "XT0000001", "name": "Lye and Wollescote"}])
    assert places[0].name == "Lye and Wollescote" and places[0].title == "Lye and Wollescote township"
    assert places[0].folder == "township/lye-and-wollescote"


@pytest.mark.parametrize(
    ("entries", "line", "message"),
    [
        ([{"all": "borough"}, {"code": "XX0000009"}], 5, "XX0000009 is not in the data's geography.csv"),
        ([{"all": "borough"}, {"all": "county"}], 5, "'county' is not an area type"),
        ([{"code": "E08000027"}, {"code": "XT0000001"}, {"code": "E08000027"}], 6, r"listed twice \(first on line 4\)"),
        ([{"all": "borough"}, {"code": "XT0000001", "nmae": "Typo"}], 6, "unknown key 'nmae'"),
        ([{"all": "borough"}, {"name": "No code"}], 5, "needs either 'code'"),
        ([{"all": "small_area"}], 4, "the book has no pages for areas of type 'small_area'"),
    ],
    ids=["unknown code", "unknown type", "listed twice", "unknown key", "no code", "small areas"],
)
def test_a_bad_place_entry_is_reported_at_its_line(tmp_path: Path, tiny_data: Path, entries, line: int, message: str) -> None:
    path = write_parameters(tmp_path / "p", [])  # a header comment, then the entries one field a line
    text = "# Places.\n\nplaces:\n" + "".join(
        "  - " + "\n    ".join(f"{key}: {value}" for key, value in entry.items()) + "\n" for entry in entries
    )
    (path / "places.yml").write_text(text)
    with pytest.raises(DataError, match=message) as caught:
        load_places(path / "places.yml", load_inputs(tiny_data).geography, area_types())
    assert caught.value.line == line, str(caught.value)
    assert f"places.yml, line {line}" in str(caught.value)


def test_the_shipped_places_yml_reports_a_broken_entry_at_its_real_line(tmp_path: Path) -> None:
    """The issue's example: an entry below the comments and the first entries of places.yml is
    reported at its own line, not at its position in the list."""
    text = (ROOT / "parameters" / "places.yml").read_text()
    lines = text.splitlines()
    broken = len(lines) + 1
    path = tmp_path / "places.yml"
    path.write_text(text + "  - code: XW9999999\n")
    geography = pd.read_csv(ROOT / "data" / "demo" / "geography.csv", dtype=str, keep_default_na=False).replace("", None)
    with pytest.raises(DataError) as caught:
        load_places(path, geography, area_types())
    assert caught.value.line == broken and "XW9999999" in str(caught.value)


def test_slug() -> None:
    assert slug("St James's") == "st-jamess"
    assert slug("Netherton, Woodside and St Andrews") == "netherton-woodside-and-st-andrews"


# --------------------------------------------------------------------------------------------
# A new place type is a parameters change only
# --------------------------------------------------------------------------------------------
def test_a_new_place_type_plans_its_pages_with_no_code_change(tmp_path: Path, tiny_data: Path) -> None:
    """Another authority groups wards into "localities" instead of townships."""
    geography = pd.read_csv(tiny_data / "geography.csv", dtype=str, keep_default_na=False)
    geography["area_type"] = geography["area_type"].replace({"township": "locality"})
    geography.to_csv(tiny_data / "geography.csv", index=False)
    types = place_types_with(borough=["population"], township=["profile", "population"], ward=["profile"])
    entries = types["area_types"]
    entries = {("locality" if k == "township" else k): v for k, v in entries.items()}
    entries["locality"].update(singular="locality", plural="localities", title="{name} locality", described_as="a locality")
    entries["ward"]["parent"] = "locality"
    parameters = write_parameters(tmp_path / "p", [{"all": "borough"}, {"all": "locality"}, {"all": "ward"}], place_types={"area_types": entries})
    plan = plan_of(parameters, tiny_data)
    assert [(j.output, j.place_name) for j in plan.jobs] == [
        ("borough/dudley/population.ipynb", "Dudley"),
        ("locality/township-a/profile.ipynb", "Township A locality"),
        ("locality/township-a/population.ipynb", "Township A locality"),
        ("ward/ward-a/profile.ipynb", "Ward A ward"),
    ]
    toc = make_toc(Settings(root=ROOT), plan)
    assert "Locality" in [part["caption"] for part in toc["parts"]]


# --------------------------------------------------------------------------------------------
# The command line and the shipped parameters
# --------------------------------------------------------------------------------------------
def test_plan_json_command_lists_every_default_job() -> None:
    result = subprocess.run([sys.executable, "-m", "jsna", "plan", "--json"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    jobs = json.loads(result.stdout)
    chapters = load_chapters(ROOT / "parameters" / "chapters.yml")
    registry = load_area_types(ROOT / "parameters" / "place_types.yml", chapters)
    geography = pd.read_csv(ROOT / "data" / "demo" / "geography.csv", dtype=str)
    expected = sum(len(registry[t].chapters) for t in geography["area_type"] if t in registry)
    assert len(jobs) == expected > 0
    assert all(set(job) >= {"template", "output", "parameters"} for job in jobs)
    assert len({job["output"] for job in jobs}) == len(jobs)


def test_default_places_match_demo_geography() -> None:
    geography = pd.read_csv(ROOT / "data" / "demo" / "geography.csv", dtype=str)
    places = load_parameters(Settings()).places
    by_type = pd.Series([p.type for p in places]).value_counts().to_dict()
    assert by_type == {"borough": 1, "township": 5, "ward": 24, "pcn": 6}
    assert {p.code for p in places} <= set(geography["area_code"])


@pytest.mark.smoke
def test_a_new_place_type_builds_its_pages_with_no_code_change(tmp_path: Path, tiny_data: Path) -> None:
    """The same "locality" authority, built for real: store, papermill and Jupyter Book."""
    from jsna.book.build import build

    geography = pd.read_csv(tiny_data / "geography.csv", dtype=str, keep_default_na=False)
    geography["area_type"] = geography["area_type"].replace({"township": "locality"})
    geography.to_csv(tiny_data / "geography.csv", index=False)
    entries = {("locality" if k == "township" else k): v for k, v in place_types_with(borough=["profile"], township=["profile"])["area_types"].items()}
    entries["locality"].update(singular="locality", plural="localities", title="{name} locality", described_as="a locality")
    entries["ward"]["parent"] = "locality"
    parameters = write_parameters(tmp_path / "p", [{"all": "borough"}, {"all": "locality"}], place_types={"area_types": entries})
    # Its indicator catalogue names the kinds of place its figures are published for: its own.
    catalogue = tmp_path / "indicators.yml"
    catalogue.write_text((ROOT / "data" / "indicators.yml").read_text().replace("township", "locality"))
    settings = Settings(data=tiny_data, parameters=parameters, catalogue=catalogue, out=tmp_path / "out", progress=False, workers=2)
    figures = build(settings)
    assert figures["executed"] == 2
    page = (settings.html / "locality" / "township-a" / "profile.html").read_text()
    assert "Profile: Township A locality" in page
    hub = (settings.html / "locality" / "township-a" / "index.html").read_text()
    assert "Township A is a locality (XT0000001)." in hub
    assert ">Locality<" in (settings.html / "index.html").read_text()  # its part of the table of contents
