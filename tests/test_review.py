"""``python -m jsna review --base REF``: in a temporary git repository made from the project, each
kind of change a pull request makes is reviewed as a reviewer would run it, and the report is
checked against the two stores read independently.

One repository and one review folder serve every case (the base's build is made once and reused,
as a second review reuses it); each case edits the working tree, reviews it, then restores it.
The books are the borough's pages only (``--places``); the stores are whole.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from jsna.book.pagediff import PageChange
from jsna.book.review import _figures_moved
from jsna.book.sourcediff import catalogue_changes, group_of, table_changes
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

BOROUGH = "E08000027"
KEY = ["indicator_id", "area_code", "years", "period_end", "sex"]


def git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.email=review@example.org", "-c", "user.name=Review test", "-C", str(repo), *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding the project's sources (what git would commit), one commit."""
    folder = tmp_path_factory.mktemp("review") / "repo"
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard", "-z"], capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    (folder / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "base")
    return folder


@pytest.fixture
def reviewed(repo: Path):
    """Run the review of the working tree against HEAD; restore the tree afterwards."""
    out = repo.parent / "review"

    def run() -> tuple[subprocess.CompletedProcess, Path]:
        env = {**os.environ, "PYTHONPATH": str(repo)}
        command = [sys.executable, "-m", "jsna", "review", "--base", "HEAD", "--out", str(out), "--places", BOROUGH]
        return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL), out

    yield run
    git(repo, "checkout", "--", ".")
    git(repo, "clean", "-fdq", "-e", "node_modules")


def store_rows(out: Path, side: str) -> pd.DataFrame:
    return pd.read_parquet(out / side / "store" / "indicators.parquet").set_index(KEY)


def test_polarity_flip_lists_every_comparison_that_changed_category(repo: Path, reviewed) -> None:
    catalogue = repo / "data" / "indicators.yml"
    text = catalogue.read_text(encoding="utf-8")
    entry = re.search(r"- id: physical_inactivity\n(?:  .*\n)+", text).group(0)
    assert "polarity: RAG - Low is good" in entry
    catalogue.write_text(text.replace(entry, entry.replace("RAG - Low is good", "RAG - High is good")), encoding="utf-8")

    result, out = reviewed()
    assert result.returncode == 0, result.stderr + result.stdout
    assert "PASSES" in result.stdout
    # Independently: every row whose comparison with England changed, read from the two stores.
    old, new = store_rows(out, "base"), store_rows(out, "head")
    both = old.index.intersection(new.index)
    column = "compared_to_england"
    moved = both[(old.loc[both, column].fillna("") != new.loc[both, column].fillna("")).to_numpy()]
    assert len(moved) > 0 and set(moved.get_level_values("indicator_id")) == {"physical_inactivity"}
    changes = pd.read_csv(out / "changes.csv", dtype=str, keep_default_na=False)
    listed = changes.loc[changes["kind"] == "england_category"]
    assert len(listed) == len(moved)
    assert all((listed["old"] != listed["new"]) & listed["indicator_id"].eq("physical_inactivity"))
    assert set(zip(listed["old"], listed["new"])) <= {("Worse", "Better"), ("Better", "Worse")}
    report = (out / "review.md").read_text(encoding="utf-8")
    page = (out / "review.html").read_text(encoding="utf-8")
    assert report.index("What changes for readers") < report.index("The source change")  # consequences first
    assert f"{len(moved)} comparison" in report and "changed category" in report
    for name in set(listed["area_name"]):
        assert name in page
    assert "entry physical\\_inactivity: polarity 'RAG - Low is good' -\\> 'RAG - High is good'" in report
    assert "borough/dudley/live\\_well.html" in report  # the page whose verdict changed
    assert "No published value changes" in report  # a polarity changes verdicts, not values
    # Only the pages that read the indicator were executed again.
    executed = int(re.search(r"the working tree: built in [\d.]+ s \((\d+) notebooks executed", report).group(1))
    assert 0 < executed < 8


def test_template_edit_that_drops_a_chart_changes_pages_but_no_figure(repo: Path, reviewed) -> None:
    template = repo / "chapters" / "life_course.md"
    text = template.read_text(encoding="utf-8")
    cell = "```{code-cell} ipython3\n:tags: [remove-input]\n\nviews.tartan_rug(data, place_code, chapter)\n```\n"
    assert cell in text
    template.write_text(text.replace(cell, ""), encoding="utf-8")

    result, out = reviewed()
    assert result.returncode == 0, result.stderr + result.stdout
    changes = pd.read_csv(out / "changes.csv", dtype=str, keep_default_na=False)
    assert changes.empty  # no figure changed
    report = (out / "review.md").read_text(encoding="utf-8")
    assert "No published value changes" in report
    for chapter in ("live\\_well", "start\\_well", "age\\_well"):
        assert f"borough/dudley/{chapter}.html" in report
    assert "1 chart removed" in report
    assert "chapters/life\\_course.md: changed" in report and "(words only)" in report


def test_data_edit_to_one_ward_lists_that_ward_and_its_parents_only(repo: Path, reviewed) -> None:
    geography = pd.read_csv(repo / "data" / "demo" / "geography.csv", dtype=str)
    admissions_file = repo / "data" / "demo" / "admissions.csv.gz"
    admissions = pd.read_csv(admissions_file, dtype=str)
    parent = geography.set_index("area_code")["parent_code"]
    small = geography.loc[geography["area_type"] == "small_area", "area_code"]
    busiest = admissions.assign(n=admissions["admissions"].astype(int)).loc[lambda d: d["area_code"].isin(small)]
    area = busiest.groupby("area_code")["n"].sum().idxmax()  # large counts: no figure crosses the rule
    ward = parent[area]
    chain, code = set(), ward  # the ward and every area it lies in
    while isinstance(code, str) and code:
        chain.add(code)
        code = parent.get(code)
    rows = (admissions["area_code"] == area) & (admissions["admissions"].astype(int) >= 5)
    admissions.loc[rows, "admissions"] = (admissions.loc[rows, "admissions"].astype(int) + 5).astype(str)
    admissions.to_csv(admissions_file, index=False, lineterminator="\n", compression="gzip")

    result, out = reviewed()
    assert result.returncode == 0, result.stderr + result.stdout
    changes = pd.read_csv(out / "changes.csv", dtype=str, keep_default_na=False)
    values = changes.loc[changes["kind"] == "value_revised"]
    assert ward in set(values["area_code"]) and len(chain & set(values["area_code"])) >= 3  # the ward, its township, the borough
    own = changes.loc[changes["kind"] != "parent_category"]
    assert set(own["area_code"]) <= chain, set(own["area_code"]) - chain  # no other place's figures
    # A place beside the ward may now compare differently with the parent whose value moved: listed, rightly.
    against = changes.loc[changes["kind"] == "parent_category", "area_code"]
    assert all(code in chain or parent[code] in chain for code in against)
    report = (out / "review.md").read_text(encoding="utf-8")
    assert "data/demo/admissions.csv.gz: changed" in report
    assert re.search(r"rows: 0 added, 0 removed, [1-9]\d* changed", report)


def test_a_change_that_breaks_the_disclosure_audit_fails_with_the_reason(repo: Path, reviewed) -> None:
    code = repo / "jsna" / "compute" / "disclosure.py"
    text = code.read_text(encoding="utf-8")
    assert "secondary: bool = True" in text
    code.write_text(text.replace("secondary: bool = True", "secondary: bool = False"), encoding="utf-8")  # no secondary suppression

    result, out = reviewed()
    assert result.returncode == 1
    assert "FAILS" in result.stdout and "disclosure audit" in result.stdout
    report = (out / "review.md").read_text(encoding="utf-8")
    top = report.split("## What changes for readers")[0]
    assert "❌" in top and "disclosure audit" in top and "narrow" in top
    assert "Traceback" not in result.stderr


# The check on words-only changes, without a build ------------------------------------------------
def page_with(text=(), rows=()) -> PageChange:
    return PageChange("borough/x.html", "X", "changed", text=list(text), rows=list(rows))


def test_a_words_only_change_that_moves_a_number_on_a_page_is_caught() -> None:
    from jsna.book.changes import Changes

    nothing = Changes(details=pd.DataFrame(columns=["kind"]), tables=pd.DataFrame(columns=["table", "added", "removed", "changed"]))
    moved = page_with(text=[("Smoking in Dudley (16.9% in 2020/21) is similar.", "Smoking in Dudley (15.5% in 2021/22) is similar.")])
    reworded = page_with(text=[("Smoking in Dudley (16.9%) is similar.", "Smoking among adults in Dudley (16.9%) is similar.")])
    row = page_with(rows=[("Summary", ["Smoking", "16.9", "Similar"], ["Smoking", "15.5", "Similar"])])
    assert "16.9" in _figures_moved(nothing, [moved])
    assert _figures_moved(nothing, [reworded]) == ""
    assert "1 sentence or table row" in _figures_moved(nothing, [row])


def test_source_changes_are_grouped_and_words_told_from_figures() -> None:
    assert [group_of(p) for p in ("chapters/life_course.md", "data/indicators.yml", "data/demo/deaths.csv", "parameters/places.yml",
                                  "jsna/store.py", "requirements.txt", "README.md")] == [
        "templates", "catalogue", "data", "parameters", "code", "code", "other"]  # fmt: skip
    old = b"- id: a\n  title: A\n  polarity: RAG - Low is good\n- id: b\n  title: B\n"
    details, figures = catalogue_changes(old, old.replace(b"title: A", b"title: Alpha"))
    assert details == ["entry a: title 'A' -> 'Alpha'"] and not figures
    details, figures = catalogue_changes(old, old.replace(b"Low is good", b"High is good"))
    assert figures and "polarity" in details[0]
    before = b"area_code,year,condition,admissions\nX1,2020,copd,10\nX2,2020,copd,20\n"
    after = b"area_code,year,condition,admissions\nX1,2020,copd,12\nX3,2020,copd,5\n"
    lines = table_changes("data/demo/admissions.csv", before, after)
    assert lines[0] == "rows: 1 added, 1 removed, 1 changed (of 2 -> 2)"
    assert "changed area_code=X1, year=2020, condition=copd: admissions 10 -> 12" in lines
