"""Fine-grained rebuilds are sound: after a change to one catalogue entry, the rebuild re-executes
only the pages that read that indicator, and the site it makes is byte for byte the site a build
from nothing makes of the changed inputs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from jsna.__main__ import main
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

PLACES = ["E08000027", "E05001236"]  # the borough and one ward: a chapter page and profiles of two kinds


def flip(catalogue: Path, indicator: str) -> None:
    text = catalogue.read_text(encoding="utf-8")
    entry = re.search(rf"- id: {indicator}\n(?:  .*\n)+", text).group(0)
    flipped = entry.replace("Low is good", "@").replace("High is good", "Low is good").replace("@", "High is good")
    assert flipped != entry
    catalogue.write_text(text.replace(entry, flipped), encoding="utf-8")


def files(folder: Path) -> dict[str, bytes]:
    """Every file's bytes, but for two things an incremental Sphinx run does that a fresh one does
    not, neither of which a reader sees: a cache-busting ``?v=`` on a stylesheet's link, and
    search terms no page has any more, kept with an empty list of pages."""
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".html":
            data = re.sub(rb"\?v=[0-9a-f]{8}", b"", data)
        if path.name == "searchindex.js":
            index = json.loads(data[len(b"Search.setIndex(") : -1])
            index["terms"] = {term: pages for term, pages in index["terms"].items() if pages != []}
            data = json.dumps(index, sort_keys=True).encode()
        found[path.relative_to(folder).as_posix()] = data
    return found


def build(out: Path, catalogue: Path, capsys) -> str:
    argv = ["build", "--out", str(out), "--no-progress", "--catalogue", str(catalogue), "--places", *PLACES]
    assert main(argv) == 0
    return capsys.readouterr().out


def test_a_one_entry_change_re_executes_only_its_readers_and_matches_a_build_from_nothing(tmp_path: Path, capsys) -> None:
    catalogue = tmp_path / "indicators.yml"
    shutil.copy(ROOT / "data" / "indicators.yml", catalogue)
    incremental = tmp_path / "incremental"
    first = build(incremental, catalogue, capsys)
    jobs = int(re.search(r"(\d+) notebooks", first).group(1))
    ward_profile = incremental / "book" / "ward" / "amblecote" / "profile.ipynb"
    borough_page = incremental / "book" / "borough" / "dudley" / "live_well.ipynb"
    stamps = {path: path.stat().st_mtime_ns for path in (ward_profile, borough_page)}
    flip(catalogue, "physical_inactivity")  # published for the borough only: the ward's pages do not read it
    again = build(incremental, catalogue, capsys)
    executed = int(re.search(r"\((\d+) executed", again).group(1))
    assert 0 < executed < jobs
    assert ward_profile.stat().st_mtime_ns == stamps[ward_profile]  # reused
    assert borough_page.stat().st_mtime_ns != stamps[borough_page]  # executed again: it shows the indicator
    fresh = tmp_path / "fresh"
    build(fresh, catalogue, capsys)
    assert files(incremental / "html") == files(fresh / "html")
    assert files(incremental / "store") == files(fresh / "store")
