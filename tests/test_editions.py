"""Editions (``python -m jsna release``): publishing, immutability, atomicity, the comparison of two
stores ("What changed"), and the switcher.

The comparison engine is checked on two stores made by hand with exactly known differences. The
publishing logic is checked on small fake builds (an ``html/`` and a ``store/`` folder), which
take milliseconds; one real build of two places (the borough and one ward) checks the command
end to end, a rebuild that must come out identical, a second edition made from it, and a
failing build. The switcher is checked in chromium, from the file system and over http.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import http.server
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jsna.book import editions
from jsna.book.changes import DETAIL_COLUMNS, KINDS, compare_stores
from jsna.book.editions import Edition, ReleaseError, check_version, publish, read_site
from jsna.store import Store
from tests.conftest import ROOT, declared, write_store

BOROUGH, WARD = "E08000027", "E05001236"


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (and every folder, as "dir"), with its sha256: a snapshot to
    compare a site before and after."""
    if not folder.exists():
        return {}
    out = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        out[key] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def row(indicator: str, area: str, end: int, value: float, **extra) -> dict:
    """One indicators-table row (the rest of the declared columns are filled in by ``declared``)."""
    names = {BOROUGH: ("Dudley", "borough", "E12000005"), WARD: ("Amblecote", "ward", "XT0000005"), "E05001237": ("Belle Vale", "ward", "XT0000003")}
    area_name, area_type, parent = names[area]
    lower, upper = extra.pop("limits", (value - 1, value + 1) if not np.isnan(value) else (np.nan, np.nan))
    return {
        "indicator_id": indicator, "indicator_name": indicator.replace("_", " ").capitalize(), "area_code": area, "area_name": area_name,
        "area_type": area_type, "parent_code": parent, "period": str(end), "period_start": end, "period_end": end, "years": 1,
        "sex": "Persons", "unit": "%", "value": value, "lower_95_0": lower, "upper_95_0": upper, "statistic": "value",
        "compared_to_england": "Similar", "compared_to_parent": "Not compared", "recent_trend": "", "note": "", **extra,
    }  # fmt: skip


def catalogue(entries: dict[str, dict]) -> pd.DataFrame:
    rows = [{"indicator_id": i, "title": i.replace("_", " ").capitalize(), "definition": "d", "method": "proportion", "unit": "%",
             "polarity": "RAG - Low is good", "chapter": "live_well", "sex": "Persons", **e} for i, e in entries.items()]  # fmt: skip
    return declared("catalogue", pd.DataFrame(rows))


WITHHELD = "[c] not published: it is, or would reveal, a count of fewer than 8"


def old_tables() -> dict[str, pd.DataFrame]:
    return {
        "catalogue": catalogue({"smoking": {}, "obesity": {"chapter": "start_well"}, "gone": {"chapter": "age_well"}}),
        "indicators": declared("indicators", pd.DataFrame([
            row("smoking", BOROUGH, 2020, 15.0, limits=(13.0, 17.0)),
            row("smoking", BOROUGH, 2021, 16.0, limits=(14.0, 18.0), recent_trend="Increasing"),
            row("smoking", WARD, 2021, 20.0, compared_to_parent="Similar"),
            row("obesity", WARD, 2021, 10.0),
            row("obesity", "E05001237", 2021, np.nan, note=WITHHELD, compared_to_england="Not compared"),
            row("gone", BOROUGH, 2021, 3.0),
        ])),
    }  # fmt: skip


def new_tables() -> dict[str, pd.DataFrame]:
    """The old tables with exactly one change of each kind (see test_the_comparison_finds_exactly_the_changes_made)."""
    return {
        "catalogue": catalogue({"smoking": {}, "obesity": {"chapter": "start_well", "polarity": "RAG - High is good"},
                                "fresh": {"chapter": "age_well"}}),
        "indicators": declared("indicators", pd.DataFrame([
            row("smoking", BOROUGH, 2020, 15.0, limits=(13.0, 17.0), compared_to_england="Worse"),
            row("smoking", BOROUGH, 2021, 19.5, limits=(17.0, 22.0)),
            row("smoking", BOROUGH, 2022, 17.0, recent_trend="No significant change"),
            row("smoking", WARD, 2021, 20.0, compared_to_parent="Worse"),
            row("obesity", WARD, 2021, np.nan, note=WITHHELD, compared_to_england="Not compared"),
            row("obesity", "E05001237", 2021, 12.0),
            row("fresh", BOROUGH, 2021, 5.0),
        ])),
    }


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8" /><title>{title}</title></head>
<body data-default-mode="light">
  <div id="pst-skip-link" class="skip-link"><a href="#main-content">Skip to main content</a></div>
<aside class="bd-header-announcement" aria-label="Announcement"><div>Release</div></aside>
<main id="main-content"><h1>{title}</h1><p>{body}</p></main>
</body></html>
"""


def fake_build(folder: Path, tables: dict[str, pd.DataFrame], body: str = "first", pages: tuple[str, ...] = ()) -> Path:
    """What a build leaves in its out folder, in small: ``html/`` (pages, _sources, _static,
    downloads) and ``store/``."""
    html = folder / "html"
    for page in ("index.html", "borough/dudley/population.html", "about/definitions.html", *pages):
        (html / page).parent.mkdir(parents=True, exist_ok=True)
        (html / page).write_text(PAGE.format(title=page, body=body), encoding="utf-8")
    for name, text in (("_sources/borough/dudley/population.ipynb", "{}"), ("_static/jsna.css", "body {}"), ("downloads/indicators.csv", "a,b\n1,2\n")):
        (html / name).parent.mkdir(parents=True, exist_ok=True)
        (html / name).write_text(text, encoding="utf-8")
    write_store(folder / "store", tables)
    return folder


def edition(version: str, day: int = 15, **extra) -> Edition:
    return Edition(version, "Test JSNA", datetime.date(2026, 1, day), "Synthetic data to 2022", True,
                   place_folders={BOROUGH: "borough/dudley"}, **extra)  # fmt: skip


@pytest.fixture
def two_builds(tmp_path: Path) -> tuple[Path, Path]:
    return fake_build(tmp_path / "b1", old_tables()), fake_build(tmp_path / "b2", new_tables(), body="second", pages=("only/in-two.html",))


# --------------------------------------------------------------------------------------------
# The comparison of two stores
# --------------------------------------------------------------------------------------------
def test_the_comparison_finds_exactly_the_changes_made(tmp_path: Path) -> None:
    old, new = write_store(tmp_path / "old", old_tables()), write_store(tmp_path / "new", new_tables())
    changes = compare_stores(Store(old), new)  # a Store or a folder
    found = sorted((r.kind, r.indicator_id, r.area_code, r.period, r.field, r.old, r.new) for r in changes.details.itertuples())
    assert found == sorted([
        ("indicator_added", "fresh", "", "", "", "", ""),
        ("indicator_removed", "gone", "", "", "", "", ""),
        ("indicator_redefined", "obesity", "", "", "polarity", "RAG - Low is good", "RAG - High is good"),
        ("period_added", "smoking", BOROUGH, "2022", "value", "", "17"),
        ("value_revised", "smoking", BOROUGH, "2021", "value", "16", "19.5"),
        ("england_category", "smoking", BOROUGH, "2020", "compared_to_england", "Similar", "Worse"),
        ("parent_category", "smoking", WARD, "2021", "compared_to_parent", "Similar", "Worse"),
        ("trend", "smoking", BOROUGH, "2022", "recent_trend", "Increasing (2021)", "No significant change (2022)"),
        ("suppressed", "obesity", WARD, "2021", "value", "10", "[c]"),
        ("released", "obesity", "E05001237", "2021", "value", "[c]", "12"),
    ])  # fmt: skip
    assert changes.counts == {k: (0 if k in ("period_removed", "value_published", "value_withdrawn") else 1) for k in KINDS}
    assert changes.of("value_revised")["beyond_old_interval"].tolist() == [True]  # 19.5 is outside the old 14 to 18
    assert list(changes.details.columns) == DETAIL_COLUMNS
    tables = changes.tables.set_index("table")
    assert tables.loc["indicators", ["rows_old", "rows_new", "added", "removed", "changed"]].tolist() == [6, 7, 2, 1, 5]
    assert tables.loc["catalogue", ["added", "removed", "changed"]].tolist() == [1, 1, 1]
    assert tables.drop(index=["indicators", "catalogue"])[["added", "removed", "changed"]].to_numpy().sum() == 0
    words = " ".join(changes.summary())
    assert "1 indicator was added: Fresh." in words and "1 indicator was removed: Gone." in words
    assert "Smoking, Dudley, 2020: Similar → Worse" in words and "1 value was revised" in words
    assert "by more than the old 95% confidence interval" in words
    by = changes.by_indicator().set_index("indicator_id")
    assert by.loc["smoking", ["period_added", "value_revised", "england_category", "parent_category", "trend"]].tolist() == [1, 1, 1, 1, 1]
    csv = pd.read_csv(pd.io.common.StringIO(changes.to_csv()))
    assert len(csv) == 10 and list(csv.columns) == DETAIL_COLUMNS
    assert json.loads(changes.to_json())["counts"]["suppressed"] == 1


def test_a_store_compared_with_itself_has_no_changes(tmp_path: Path) -> None:
    old = write_store(tmp_path / "old", old_tables())
    changes = compare_stores(old, old)
    assert changes.empty and changes.details.empty
    assert changes.summary() == ["No published figure changed."] and changes.one_line() == "no published figure changed"


def test_a_store_from_an_older_package_is_compared_table_by_table(tmp_path: Path) -> None:
    """An edition published before a table was declared: the table is "only in the new store",
    and the indicators are still compared."""
    old, new = write_store(tmp_path / "old", old_tables()), write_store(tmp_path / "new", new_tables())
    (old / "funnels.parquet").unlink()
    changes = compare_stores(old, new)
    funnels = changes.tables.set_index("table").loc["funnels"]
    assert funnels["note"] == "only in the new store" and funnels["added"] == 1
    assert changes.counts["value_revised"] == 1


# --------------------------------------------------------------------------------------------
# Versions
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", ["../x", "x/../y", "a b", "", ".hidden", "x.", "-x", "latest", "LATEST", "index.html",
                                     "editions.json", "a" * 65, "2026/1", "café", "x..y", "a\\b", "v1\n"])  # fmt: skip
def test_unsafe_versions_are_refused(version: str) -> None:
    with pytest.raises(ReleaseError, match="cannot name an edition|uses itself"):
        check_version(version)


@pytest.mark.parametrize("version", ["2026.1", "2026.1-demo", "v2_rc1", "7"])
def test_safe_versions_are_accepted(version: str) -> None:
    assert check_version(version) == version


def test_the_command_refuses_an_unsafe_version_before_building(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "jsna", "release", "--version", "../x", "--site", str(site)], check=False, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1 and result.stderr.startswith("error: version '../x' cannot name an edition")
    assert "Nothing in the site folder" in result.stderr and not site.exists()


def test_a_version_other_than_the_release_every_page_shows_is_refused(tmp_path: Path) -> None:
    from jsna.config import Settings

    with pytest.raises(ReleaseError, match="is not the release"):
        editions.edition_of(Settings(), "1999.9")


# --------------------------------------------------------------------------------------------
# Publishing (fake builds)
# --------------------------------------------------------------------------------------------
def test_two_editions_side_by_side(tmp_path: Path, two_builds: tuple[Path, Path]) -> None:
    site = tmp_path / "site"
    first = publish(two_builds[0], site, edition("2026.1", notes="# Our notes\n\nWe added <b>things</b>."))
    assert first.status == "published" and first.previous is None and "first edition" in first.message()
    v1 = tree(site / "2026.1")
    second = publish(two_builds[1], site, edition("2026.2", day=20))
    assert second.status == "published" and second.previous == "2026.1"
    assert tree(site / "2026.1") == v1  # the first edition is byte-identical after the second
    assert sorted(p.name for p in site.iterdir()) == ["2026.1", "2026.2", "editions.js", "editions.json", "index.html", "latest"]
    # latest is the newest edition, file for file
    assert tree(site / "latest") == tree(site / "2026.2")
    listing = json.loads((site / "editions.json").read_text())
    assert listing["latest"] == "2026.2" and [e["version"] for e in listing["editions"]] == ["2026.2", "2026.1"]
    newest = listing["editions"][0]
    assert newest["date"] == "2026-01-20" and newest["date_text"] == "20 January 2026" and newest["data_vintage"] == "Synthetic data to 2022"
    assert "only/in-two.html" in newest["pages"] and "only/in-two.html" not in listing["editions"][1]["pages"]
    assert newest["summary"].startswith("1 indicator added; 1 indicator removed; 1 definition changed; 1 indicator with a new period; 1 value revised")
    assert (site / "editions.js").read_text().startswith("/*") and json.dumps(listing, indent=1) in (site / "editions.js").read_text()
    index = (site / "index.html").read_text()
    assert index.count('<th scope="row">') == 2 and 'href="2026.1/index.html"' in index and 'href="2026.2/changes.html"' in index
    assert 'href="latest/index.html"' in index and "<script" not in index
    # each edition: manifest, store snapshot, downloads, no _sources
    for version in ("2026.1", "2026.2"):
        folder = site / version
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["version"] == version and set(manifest["tables"]) >= {"indicators", "catalogue"}
        files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
        assert set(manifest["files"]) == files
        assert all(hashlib.sha256((folder / f).read_bytes()).hexdigest() == h for f, h in manifest["files"].items())
        assert (folder / "store" / "indicators.parquet").exists() and not (folder / "_sources").exists()
        assert (folder / "_static" / "jsna-editions.js").read_bytes() == (ROOT / "chapters" / "editions" / "jsna-editions.js").read_bytes()
    assert json.loads((site / "2026.2" / "manifest.json").read_text())["previous"] == "2026.1"


def test_every_page_carries_the_edition_bar_with_addresses_from_its_depth(tmp_path: Path, two_builds) -> None:
    site = tmp_path / "site"
    publish(two_builds[0], site, edition("2026.1"))
    page = (site / "2026.1" / "borough" / "dudley" / "population.html").read_text()
    assert page.count('id="jsna-editions"') == 1
    assert 'data-edition="2026.1" data-root="../../" data-page="borough/dudley/population.html"' in page
    assert '<script defer src="../../_static/jsna-editions.js"></script>' in page
    assert 'href="../../changes.html"' in page and 'href="../../../index.html">all editions' in page
    assert '<link rel="stylesheet" href="../../_static/jsna-editions.css" />\n</head>' in page
    # after the announcement, before the page's main content
    assert page.index("bd-header-announcement") < page.index('id="jsna-editions"') < page.index("<main")
    top = (site / "2026.1" / "index.html").read_text()
    assert 'data-root="" data-page="index.html"' in top and 'href="../index.html">all editions' in top


def test_a_page_that_loads_the_script_already_gets_the_bar_without_a_second_copy() -> None:
    """As Jupyter Book would, had the files been put in chapters/_static (it lists every .js and .css file there in every page's head)."""
    head = '<script src="../_static/jsna-editions.js?v=1"></script><link rel="stylesheet" href="../_static/jsna-editions.css?v=1" />'
    page = PAGE.format(title="t", body="b").replace("</head>", head + "</head>")
    out = editions.with_edition_bar(page, edition("2026.1"), "about/t.html")
    assert out.count('id="jsna-editions"') == 1 and out.count("jsna-editions.js") == 1 and out.count("jsna-editions.css") == 1
    assert editions.with_edition_bar(out, edition("2026.1"), "about/t.html") == out  # never twice
    assert editions.with_edition_bar("<p>not a page</p>", edition("2026.1"), "x.html") == "<p>not a page</p>"


def test_the_what_changed_page_and_changelog(tmp_path: Path, two_builds) -> None:
    site = tmp_path / "site"
    publish(two_builds[0], site, edition("2026.1"))
    publish(two_builds[1], site, edition("2026.2", notes="## Highlights\n\nSmoking <script>x</script> rose."))
    first = (site / "2026.1" / "changes.html").read_text()
    assert "This is the first edition" in first
    assert (site / "2026.1" / "downloads" / "changes.csv").read_text() == ",".join(DETAIL_COLUMNS) + "\n"
    page = (site / "2026.2" / "changes.html").read_text()
    assert "<h1>What changed in edition 2026.2</h1>" in page and 'href="../2026.1/index.html">edition 2026.1</a>' in page
    assert "<h4>Highlights</h4>" in page and "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page  # notes: no raw HTML
    assert "1 indicator was added: Fresh." in page and "Similar → Worse" in page
    assert '<a href="about/definitions.html#smoking">Smoking</a>' in page
    assert '<a href="borough/dudley/live_well.html">' not in page  # no such page in this build: the place is not linked to it
    csv = pd.read_csv(site / "2026.2" / "downloads" / "changes.csv")
    assert len(csv) == 10 and sorted(csv["kind"]) == sorted(KINDS.keys() - {"period_removed", "value_published", "value_withdrawn"})
    data = json.loads((site / "2026.2" / "downloads" / "changes.json").read_text())
    assert data["previous"] == "2026.1" and data["counts"]["england_category"] == 1 and len(data["changes"]) == 10


def test_republishing_an_identical_build_changes_nothing_and_says_so(tmp_path: Path, two_builds) -> None:
    site = tmp_path / "site"
    publish(two_builds[0], site, edition("2026.1"))
    publish(two_builds[1], site, edition("2026.2"))
    before = tree(site)
    again = publish(two_builds[0], site, edition("2026.1"))
    assert again.status == "identical" and "already published" in again.message() and "identical" in again.message()
    assert tree(site) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b1", "b2", "site"]  # no staging folder left beside it


def test_republishing_a_different_build_is_refused_and_changes_nothing(tmp_path: Path, two_builds) -> None:
    site = tmp_path / "site"
    publish(two_builds[0], site, edition("2026.1"))
    before = tree(site)
    with pytest.raises(ReleaseError, match=r"already published .* not identical to it: .*files? differ"):
        publish(two_builds[1], site, edition("2026.1"))
    assert tree(site) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b1", "b2", "site"]


def test_a_failure_while_putting_the_edition_in_place_is_undone(tmp_path: Path, two_builds, monkeypatch) -> None:
    site = tmp_path / "site"
    publish(two_builds[0], site, edition("2026.1"))
    before = tree(site)
    replace = editions.os.replace

    def failing(src, dst):
        if Path(dst).name == "editions.json":
            raise OSError("disk full")
        return replace(src, dst)

    monkeypatch.setattr(editions.os, "replace", failing)
    with pytest.raises(OSError, match="disk full"):
        publish(two_builds[1], site, edition("2026.2"))
    monkeypatch.undo()
    assert tree(site) == before  # the new edition, latest/ and the lists are all put back
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b1", "b2", "site"]


def test_a_folder_that_is_not_a_site_is_refused(tmp_path: Path, two_builds) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "notes.txt").write_text("mine")
    with pytest.raises(ReleaseError, match="not a site of editions"):
        publish(two_builds[0], site, edition("2026.1"))
    assert tree(site) == {"notes.txt": hashlib.sha256(b"mine").hexdigest()}
    assert read_site(tmp_path / "nothing-here") == []


def test_an_edition_listed_but_missing_is_not_rebuilt_in_its_place(tmp_path: Path, two_builds) -> None:
    site = tmp_path / "site"
    publish(two_builds[0], site, edition("2026.1"))
    shutil.rmtree(site / "2026.1")
    before = tree(site)
    with pytest.raises(ReleaseError, match="lists edition 2026.1 but .* is missing"):
        publish(two_builds[0], site, edition("2026.1"))
    assert tree(site) == before


# --------------------------------------------------------------------------------------------
# The switcher, in chromium: from the file system and over http
# --------------------------------------------------------------------------------------------
@pytest.mark.browser
def test_the_switcher_and_the_newer_edition_banner_in_chromium(tmp_path: Path, two_builds, browser) -> None:
    site = tmp_path / "site"
    publish(two_builds[0], site, edition("2026.1"))
    publish(two_builds[1], site, edition("2026.2", day=20))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        for base in (site.as_uri(), f"http://127.0.0.1:{httpd.server_address[1]}"):
            page = browser.new_page()
            page.goto(f"{base}/2026.1/borough/dudley/population.html")
            page.locator(".jsna-switcher summary").click(timeout=15_000)  # the switcher is a disclosure: open it
            items = page.locator(".jsna-switcher li").all_inner_texts()
            assert items == ["Edition 2026.2, 20 January 2026 (newest)", "Edition 2026.1, 15 January 2026 (this edition)"], base
            banner = page.locator(".jsna-newer")
            assert "A newer edition exists: edition 2026.2, published 20 January 2026." in banner.inner_text()
            page.locator(".jsna-newer-link").click()
            page.wait_for_load_state()
            assert page.url == f"{base}/2026.2/borough/dudley/population.html"
            assert page.locator("h1").inner_text() == "borough/dudley/population.html"
            page.wait_for_selector(".jsna-switcher li", state="attached")
            assert page.locator(".jsna-newer").count() == 0  # the newest edition has no banner
            # a page the older edition has and the newest does not: the switcher leads to its start page
            page.goto(f"{base}/2026.2/only/in-two.html")
            page.wait_for_selector(".jsna-switcher li", state="attached")
            assert page.locator(".jsna-switcher a", has_text="Edition 2026.1").get_attribute("href") == "../../2026.1/index.html"
            # latest/ is the newest edition: no banner, and its links lead back into the site
            page.goto(f"{base}/latest/index.html")
            page.wait_for_selector(".jsna-switcher li", state="attached")
            assert page.locator(".jsna-newer").count() == 0
            page.close()
    finally:
        httpd.shutdown()


@pytest.mark.browser
def test_the_site_index_and_the_what_changed_page_pass_axe(tmp_path: Path, two_builds, browser) -> None:
    axe = ROOT / "node_modules" / "axe-core" / "axe.min.js"
    if not axe.exists():
        pytest.fail("axe-core is not installed: run `make test`, which installs the npm packages")
    site = tmp_path / "site"
    publish(two_builds[0], site, edition("2026.1"))
    publish(two_builds[1], site, edition("2026.2", notes="Notes."))
    for path in ("index.html", "2026.2/changes.html", "2026.1/changes.html"):
        page = browser.new_page()
        page.goto((site / path).as_uri())
        page.add_script_tag(path=str(axe))
        violations = page.evaluate(
            """async () => (await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}}))
                 .violations.map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", "))"""
        )
        page.close()
        assert violations == [], f"{path}: {violations}"


# --------------------------------------------------------------------------------------------
# One real build, end to end
# --------------------------------------------------------------------------------------------
def release(site: Path, work: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "jsna", "release", "--site", str(site), "--work", str(work), "--no-progress", "--places", BOROUGH, WARD, *args]
    return subprocess.run(command, check=False, capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The demonstration book for the borough and one ward, released into a new site."""
    folder = tmp_path_factory.mktemp("release")
    site, work = folder / "site", folder / "work"
    result = release(site, work)
    assert result.returncode == 0, f"release failed:\n{result.stdout}\n{result.stderr}"
    listing = json.loads((site / "editions.json").read_text())
    return {"site": site, "work": work, "stdout": result.stdout, "version": listing["latest"]}


@pytest.mark.smoke
def test_release_publishes_a_complete_edition(real: dict) -> None:
    from jsna.inputs.release import load_release

    site, version = real["site"], real["version"]
    declared_release = load_release(ROOT / "parameters" / "release.yml")
    assert version == declared_release.release
    assert f"Published edition {version} in {site / version}" in real["stdout"] and "This is the site's first edition." in real["stdout"]
    folder = site / version
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["date"] == declared_release.date.isoformat() and manifest["data_vintage"] == declared_release.data_vintage
    assert len(manifest["inputs_digest"]) == 64 and "parameters/release.yml" in manifest["inputs"] and "data/geography.csv" in manifest["inputs"]
    assert manifest["packages"]["jupyter-book"].startswith("1.") and manifest["previous"] is None
    assert set(manifest["tables"]) == {p.stem for p in (folder / "store").glob("*.parquet")}
    assert "inputs_key" not in json.loads((folder / "store" / "manifest.json").read_text())  # in the edition's manifest instead
    assert all(hashlib.sha256((folder / f).read_bytes()).hexdigest() == h for f, h in manifest["files"].items())
    for page in ("index.html", "borough/dudley/population.html", "ward/amblecote/profile.html", "about/definitions.html", "changes.html"):
        assert (folder / page).exists(), page
    assert (folder / "downloads" / "indicators.csv").exists() and (folder / "store" / "indicators.parquet").exists()
    assert not (folder / "_sources").exists()
    pages = [p for p in folder.rglob("*.html") if p.relative_to(folder).parts[0] not in ("_static", "store")]
    assert len(pages) > 10
    for page in pages:
        assert page.read_text().count('id="jsna-editions"') == 1, page
    assert tree(site / "latest") == tree(folder)
    assert json.loads((site / "editions.json").read_text())["editions"][0]["summary"] == "first edition"


@pytest.mark.smoke
def test_rebuilding_the_same_inputs_is_identical_and_changes_nothing(real: dict) -> None:
    before = tree(real["site"])
    result = release(real["site"], real["work"])
    assert result.returncode == 0, result.stderr
    assert f"Edition {real['version']} is already published" in result.stdout and "identical to it" in result.stdout
    assert tree(real["site"]) == before


@pytest.mark.smoke
def test_a_failing_build_leaves_the_site_unchanged(real: dict, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "demo", data)
    births = pd.read_csv(data / "births.csv")
    births.loc[0, "live_births"] = -5
    births.to_csv(data / "births.csv", index=False)
    before = tree(real["site"])
    result = release(real["site"], tmp_path / "work", "--data", str(data))
    assert result.returncode == 1 and result.stderr.startswith("error: ") and "births.csv" in result.stderr
    assert "Nothing in the site folder" in result.stderr
    assert tree(real["site"]) == before


@pytest.mark.smoke
def test_a_second_edition_from_a_changed_store(real: dict, tmp_path: Path) -> None:
    """The real build with one value of the borough changed, published as a second edition."""
    site, work = real["site"], tmp_path / "work2"
    shutil.copytree(real["work"], work)
    indicators = pd.read_parquet(work / "store" / "indicators.parquet")
    target = indicators.loc[(indicators["area_code"] == BOROUGH) & indicators["value"].notna() & (indicators["note"].fillna("") == "")
                            & indicators["upper_95_0"].notna()].index[0]  # fmt: skip
    old_value = float(indicators.at[target, "value"])
    indicators.at[target, "value"] = float(indicators.at[target, "upper_95_0"]) + abs(old_value) + 1
    indicators.to_parquet(work / "store" / "indicators.parquet", index=False)
    first = tree(site / real["version"])
    published = publish(work, site, Edition("2099.1-test", "Test", datetime.date(2099, 1, 1), "Changed", True))
    assert published.status == "published" and published.previous == real["version"]
    assert tree(site / real["version"]) == first
    assert json.loads((site / "latest" / "manifest.json").read_text())["version"] == "2099.1-test"
    changes = pd.read_csv(site / "2099.1-test" / "downloads" / "changes.csv", dtype=str, keep_default_na=False)
    assert changes["kind"].tolist() == ["value_revised"]
    assert changes.loc[0, "indicator_id"] == indicators.at[target, "indicator_id"] and changes.loc[0, "beyond_old_interval"] == "True"
    assert "1 value was revised" in (site / "2099.1-test" / "changes.html").read_text()


@pytest.mark.smoke
@pytest.mark.browser
def test_the_switcher_on_the_real_pages(real: dict, browser) -> None:
    """On the theme's pages: the list of every edition, and
    on an older one the banner; axe finds nothing wrong with the bar, the banner or the list."""
    axe = ROOT / "node_modules" / "axe-core" / "axe.min.js"
    site = real["site"]
    listing = json.loads((site / "editions.json").read_text())["editions"]
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((site / real["version"] / "borough" / "dudley" / "population.html").as_uri())
    page.locator(".jsna-switcher summary").click(timeout=20_000)
    items = page.locator(".jsna-switcher li").all_inner_texts()
    assert len(items) == len(listing) and f"Edition {real['version']}, " in items[-1] and items[-1].endswith("(this edition)")
    assert page.locator(".jsna-newer").count() == (1 if len(listing) > 1 else 0)
    if axe.exists():
        page.add_script_tag(path=str(axe))
        violations = page.evaluate(
            """async () => (await axe.run("#jsna-editions", {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}}))
                 .violations.map(v => v.id)"""
        )
        assert violations == []
    assert errors == []
    page.close()


def test_each_edition_carries_its_citation(tmp_path: Path, two_builds) -> None:
    import yaml

    publish(two_builds[0], tmp_path / "site", edition("2026.1", commit="abc123"))
    cited = yaml.safe_load((tmp_path / "site" / "2026.1" / "CITATION.cff").read_text(encoding="utf-8"))
    assert cited["cff-version"] == "1.2.0" and cited["version"] == "2026.1" and cited["title"] == "Test JSNA"
    assert str(cited["date-released"]) == "2026-01-15" and cited["commit"] == "abc123" and cited["abstract"] == "Data: Synthetic data to 2022"


def test_the_diff_command_compares_two_stores(tmp_path: Path, two_builds, capsys) -> None:
    from jsna.__main__ import main

    old, new = (build / "store" for build in two_builds)
    assert main(["diff", str(old), str(new), "--csv", str(tmp_path / "changes.csv")]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[: len(compare_stores(old, new).summary())] == compare_stores(old, new).summary()
    assert (tmp_path / "changes.csv").read_text(encoding="utf-8") == compare_stores(old, new).to_csv()
    assert main(["diff", str(tmp_path), str(new)]) == 1
    assert "not a store (no manifest.json)" in capsys.readouterr().err
