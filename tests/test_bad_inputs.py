"""A corpus of bad inputs, as an analyst under deadline makes them: every one is a clear
rejection (the file, the line, what is wrong; exit status 1; no traceback) and the book built
before it is byte-identical afterwards. Acceptable variations of a file (a byte-order mark,
Windows line endings, spaces around cells) give the same store as the clean file.

The good project is the tiny data with the borough's population chapter, built once (a real
build, in-process); each case copies its inputs, breaks one thing and builds into the same
folder. Most cases stop at validation in well under a second.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from jsna.__main__ import main
from tests.conftest import ROOT, tiny_tables, write_parameters, write_tables

pytestmark = pytest.mark.smoke  # the fixture runs a real build


def place_types(**chapters: list[str]) -> dict:
    types = yaml.safe_load((ROOT / "parameters" / "place_types.yml").read_text())
    for type_id, entry in types["area_types"].items():
        entry.pop("chapters", None)
        if type_id in chapters:
            entry["chapters"] = chapters[type_id]
    return types


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The good inputs (data, parameters, KPI data, catalogue) and a book built from them."""
    root = tmp_path_factory.mktemp("good")
    paths = {
        "data": write_tables(root / "data", tiny_tables()),
        "parameters": write_parameters(root / "parameters", [{"all": "borough"}], place_types=place_types(borough=["population"])),
        "kpis": root / "kpi",
        "catalogue": root / "indicators.yml",
        "out": root / "out",
    }
    shutil.copytree(ROOT / "data" / "kpi", paths["kpis"])
    shutil.copy(ROOT / "data" / "indicators.yml", paths["catalogue"])
    assert run(paths) == 0
    return paths


def run(paths: dict[str, Path]) -> int:
    return main(["build", "--data", str(paths["data"]), "--parameters", str(paths["parameters"]), "--kpis", str(paths["kpis"]),
                 "--catalogue", str(paths["catalogue"]), "--out", str(paths["out"]), "--no-progress"])  # fmt: skip


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file of the last good book: its store, site and downloads, and its notebooks."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file() and p.parts[len(out.parts)] != "failed"}


@pytest.fixture
def copy(project: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    """A fresh copy of the good inputs, building into the good book's folder."""
    paths = {name: tmp_path / name for name in ("data", "parameters", "kpis")}
    for name, path in paths.items():
        shutil.copytree(project[name], path)
    paths["catalogue"] = tmp_path / "indicators.yml"
    shutil.copy(project["catalogue"], paths["catalogue"])
    paths["out"] = project["out"]
    return paths


def rewrite(path: Path, change) -> None:
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def edit_csv(path: Path, change) -> None:
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(table)
    table.to_csv(path, index=False)


def line_of(text: str) -> int:
    """The line of the catalogue on which ``text`` first begins."""
    catalogue = (ROOT / "data" / "indicators.yml").read_text()
    return catalogue[: catalogue.index(text)].count("\n") + 1


# (what is broken, the file, how, the words the message must hold)
CASES = [
    ("header only", "data/births.csv", lambda p: rewrite(p, lambda s: s.splitlines()[0] + "\n"), ["births.csv", "line 2", "header but no rows"]),
    ("empty file", "data/births.csv", lambda p: p.write_text(""), ["births.csv", "empty"]),
    ("count of 1e300", "data/admissions.csv", lambda p: edit_csv(p, lambda t: t.__setitem__("admissions", "1e300")),
     ["admissions.csv", "line 2", "admissions", "above 1,000,000,000"]),
    ("count beyond 64 bits", "data/registers.csv", lambda p: edit_csv(p, lambda t: t.__setitem__("list_size", "99999999999999999999")),
     ["registers.csv", "line 2", "list_size", "above"]),
    ("deaths above the population", "data/deaths.csv", lambda p: edit_csv(p, lambda t: t.__setitem__("deaths", "150")),
     ["deaths.csv", "line 2", "more than the population", "population at risk"]),
    ("IMD score out of range", "data/deprivation.csv", lambda p: edit_csv(p, lambda t: t.__setitem__("imd_score", ["250.0", "10.1"])),
     ["deprivation.csv", "line 2", "imd_score", "above 100"]),
    ("a year after the release", "data/survey.csv", lambda p: edit_csv(p, lambda t: t.__setitem__("year", "2031")),
     ["survey.csv", "line 2", "after the release's year"]),
    ("Latin-1 text", "data/geography.csv", lambda p: p.write_bytes(p.read_bytes().replace(b"Ward A 002", "Ward \u00e9 002".encode("latin-1"))),
     ["geography.csv", "line 8", "not UTF-8", "save it again as UTF-8"]),
    ("semicolons", "data/births.csv", lambda p: rewrite(p, lambda s: s.replace(",", ";")), ["births.csv", "line 1", "separated by ';'"]),
    ("a duplicate row", "data/survey.csv", lambda p: rewrite(p, lambda s: s + s.splitlines()[1] + "\n"), ["survey.csv", "line 3", "duplicate key"]),
    ("an unknown area", "data/births.csv", lambda p: edit_csv(p, lambda t: t.__setitem__("area_code", "XS9999999")),
     ["births.csv", "line 2", "not in geography.csv"]),
    ("a renamed column", "data/births.csv", lambda p: rewrite(p, lambda s: s.replace("live_births", "livebirths", 1)),
     ["births.csv", "missing column", "live_births"]),
    ("an age band missing", "data/population.csv", lambda p: rewrite(p, lambda s: "\n".join(x for x in s.splitlines() if ",Male,85-89," not in x) + "\n"),
     ["population.csv", "no row for area_code=XS0000001, year=2020, sex=Male, age_band=85-89"]),
    ("a negative count", "data/births.csv", lambda p: edit_csv(p, lambda t: t.__setitem__("maternities", "-3")), ["births.csv", "line 2", "negative"]),
    ("text in a count", "data/births.csv", lambda p: edit_csv(p, lambda t: t.__setitem__("maternities", "thirty")), ["births.csv", "line 2", "not a number"]),
    ("infinity", "data/survey.csv", lambda p: edit_csv(p, lambda t: t.__setitem__("value", "inf")), ["survey.csv", "line 2", "not a number"]),
    ("a missing value", "data/births.csv", lambda p: edit_csv(p, lambda t: t.__setitem__("maternities", "")), ["births.csv", "line 2", "missing"]),
    ("an unknown sex", "data/deaths.csv", lambda p: edit_csv(p, lambda t: t.__setitem__("sex", "M")), ["deaths.csv", "line 2", "'M' is not allowed"]),
    ("a ragged row", "data/births.csv", lambda p: rewrite(p, lambda s: s.rstrip("\n") + ",9\n"), ["births.csv", "line 2", "cannot be read as CSV"]),
    # The catalogue (lines are found in the catalogue as it is, so that editing it keeps these true)
    ("a key set twice", "indicators.yml", lambda p: rewrite(p, lambda s: s.replace("  unit: people\n", "  unit: people\n  unit: persons\n", 1)),
     ["indicators.yml", f"line {line_of('  unit: people') + 1}", "'unit' is set twice", f"first on line {line_of('  unit: people')}"]),
    ("a filter with a typo", "indicators.yml", lambda p: rewrite(p, lambda s: s.replace("cause: [suicide]", "cause: [suicde]")),
     ["indicators.yml", f"line {line_of('cause: [suicide]')}", "'suicde' is not a value of deaths.cause"]),
    ("an empty age filter", "indicators.yml", lambda p: rewrite(p, lambda s: s.replace("where: {age: {min: 65}}}", "where: {age: {}}}", 1)),
     ["indicators.yml", f"line {line_of('where: {age: {min: 65}}}')}", "age"]),
    ("a denominator selecting nothing", "indicators.yml", lambda p: rewrite(p, lambda s: s.replace(
        "denominator: {table: population, column: population}\n  multiplier: 100\n  sex: [Persons]\n  age: 65+ yrs",
        "denominator: {table: population, column: population, where: {age: {min: 95}}}\n  multiplier: 100\n  sex: [Persons]\n  age: 65+ yrs", 1)),
     ["indicators.yml", f"line {line_of('where: {age: {min: 65}}}') + 1}", "aged_65_plus", "selects no row of population"]),
    ("an unknown method", "indicators.yml", lambda p: rewrite(p, lambda s: s.replace("\n  method: count\n", "\n  method: median\n", 1)),
     ["indicators.yml", f"line {line_of(chr(10) + '  method: count' + chr(10)) + 1}", "'median' is not one of"]),
    # The parameters
    ("an unknown place", "parameters/places.yml", lambda p: p.write_text("places:\n  - all: borough\n  - code: XW9999999\n"),
     ["places.yml", "line 3", "XW9999999 is not in the data's geography.csv"]),
    ("a parent loop", "parameters/place_types.yml", lambda p: rewrite(p, lambda s: s.replace("    parent: township\n", "    parent: ward\n", 1)),
     ["place_types.yml", "ward", "lies within itself"]),
    ("a release without a date", "parameters/release.yml", lambda p: rewrite(p, lambda s: s.replace("date: 2026-01-15", "date: soon")),
     ["release.yml", "line 4", "date must be"]),
    ("markup in the book's title", "parameters/release.yml", lambda p: rewrite(p, lambda s: s.replace("\ntitle: ", "\ntitle: <b>JSNA</b> ", 1)),
     ["release.yml", "line 5", "title is plain text"]),
    ("a rounding that reveals", "parameters/disclosure.yml", lambda p: rewrite(p, lambda s: s.replace("round_to: 5", "round_to: 10")),
     ["disclosure.yml", "round_to must be from 1 to 8"]),
    ("an unknown control-chart rule", "parameters/spc.yml", lambda p: rewrite(p, lambda s: s + "runs: 9\n"),
     ["spc.yml", "unknown setting 'runs'"]),
    # The KPI files
    ("a percentage above 100", "kpis/kpi_values.csv", lambda p: edit_csv(p, lambda t: t.__setitem__("value", t["value"].where(t.index != 0, "187.3"))),
     ["kpi_values.csv", "line 2", "not a percentage"]),
    ("a KPI period after the release", "kpis/kpi_values.csv", lambda p: rewrite(p, lambda s: s.rstrip("\n") + "\n" + s.splitlines()[1].replace(
        s.splitlines()[1].split(",")[1], "2031-32 Q1") + "\n"), ["kpi_values.csv", "ends after the release's date"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "file", "breaking", "words"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_input_is_rejected_clearly_and_the_last_book_stands(copy, capsys, case: str, file: str, breaking, words: list[str]) -> None:
    before = snapshot(copy["out"])
    folder, _, name = file.partition("/")
    target = copy["catalogue"] if file == "indicators.yml" else copy[folder] / name
    breaking(target)
    assert run(copy) == 1, case
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("error: "), err
    for word in words:
        assert word in err, f"{case}: {word!r} not in {err!r}"
    assert "The previous book in" in err and "is unchanged" in err
    assert snapshot(copy["out"]) == before, f"{case}: the previous book changed"
    assert not (copy["out"] / ".staging").exists()


def test_a_notebook_failing_late_leaves_the_last_book(copy, capsys) -> None:
    before = snapshot(copy["out"])
    template = copy["parameters"] / "broken.md"
    template.write_text((ROOT / "chapters" / "population.md").read_text().replace("views.headline(data, place_code)", "views.headline(data, 'nowhere')"))
    chapters = yaml.safe_load((copy["parameters"] / "chapters.yml").read_text())
    chapters["chapters"]["population"]["template"] = str(template)
    (copy["parameters"] / "chapters.yml").write_text(yaml.safe_dump(chapters))
    assert run(copy) == 1
    err = capsys.readouterr().err
    assert "notebook failed" in err and "chapter 'population'" in err and "unchanged" in err
    assert snapshot(copy["out"]) == before
    assert list((copy["out"] / "failed").rglob("population.ipynb"))  # kept for inspection beside the last good book


def test_an_internal_error_says_it_is_a_bug_and_leaves_the_last_book(copy, capsys, monkeypatch) -> None:
    from jsna.book import build

    before = snapshot(copy["out"])

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(build, "check_downloads", broken)  # a stage every build runs, even with no change
    assert run(copy) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "this is a bug" in err and "ZeroDivisionError" in err and "unchanged" in err
    assert (copy["out"] / "internal-error.txt").read_text().startswith("Traceback")
    (copy["out"] / "internal-error.txt").unlink()
    assert snapshot(copy["out"]) == before


def test_a_bom_windows_line_endings_and_spaces_give_the_same_store(copy, project) -> None:
    """The same tables saved by a spreadsheet on Windows, with spaces around cells and names."""
    from jsna.book.build import build_store
    from jsna.config import Settings

    for path in sorted(copy["data"].glob("*.csv")):
        lines = path.read_text(encoding="utf-8").splitlines()
        padded = [", ".join(f" {cell} " if cell else cell for cell in line.split(",")) for line in lines]
        path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(padded).encode("utf-8") + b"\r\n")
    settings = Settings(data=copy["data"], parameters=copy["parameters"], kpis=copy["kpis"], catalogue=copy["catalogue"],
                        out=copy["data"].parent / "out")  # fmt: skip
    build_store(settings)
    for table in sorted((project["out"] / "store").glob("*.parquet")):
        assert (settings.store / table.name).read_bytes() == table.read_bytes(), table.name


SCRIPT = "<script>alert(1)</script>"
FORMULA = "=cmd|' /C calc'!A0"


def test_a_script_or_a_formula_in_the_names_is_published_as_text(copy) -> None:
    """Names from the data, hostile in every channel, land as inert text: no page holds the
    script as markup (nor can a chart's script block be closed early), and no download cell
    starts as a formula, and the search index holds no title as markup. (Names and titles from the
    parameters go through the same helpers.)"""
    import csv
    from html.parser import HTMLParser

    rewrite(copy["data"] / "geography.csv", lambda s: s.replace("Township A", f"Township {SCRIPT}").replace("Ward A,", f"{FORMULA},"))
    (copy["parameters"] / "places.yml").write_text("places:\n  - all: borough\n  - all: township\n")
    (copy["parameters"] / "place_types.yml").write_text(yaml.safe_dump(place_types(borough=["population"], township=["population"])))
    copy["out"] = copy["data"].parent / "hostile"
    assert run(copy) == 0

    class Scripts(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.inside, self.blocks = False, []

        def handle_starttag(self, tag, attrs) -> None:
            self.inside = tag == "script"
            if self.inside:
                self.blocks.append("")

        def handle_endtag(self, tag) -> None:
            self.inside = False

        def handle_data(self, data) -> None:
            if self.inside:
                self.blocks[-1] += data

    pages = sorted((copy["out"] / "html").rglob("*.html"))
    assert pages
    seen = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert SCRIPT not in text, page
        parser = Scripts()
        parser.feed(text)
        assert not any("alert(1)" in block and "\\u003cscript" not in block for block in parser.blocks), page
        seen += text.count("alert(1)")
    assert seen > 0  # the name was published, as text
    index = (copy["out"] / "html" / "searchindex.js").read_text(encoding="utf-8")
    assert "alert(1)" in index and SCRIPT not in index  # the search page writes titles as HTML
    assert run(copy) == 0  # again, with nothing changed: the index is left as it was, or rebuilt
    assert (copy["out"] / "html" / "searchindex.js").read_text(encoding="utf-8").count("&amp;lt;script") == 0  # not escaped twice
    cells = [cell for path in sorted(copy["out"].rglob("*.csv")) for row in csv.reader(path.open(encoding="utf-8")) for cell in row]
    assert any("cmd|" in cell for cell in cells)
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r") or (cell[:1] == "-" and not _number(cell))]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
