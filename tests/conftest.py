"""Shared fixtures: a tiny valid input folder, the path of the real project, and the smoke build of
the real pipeline (borough and first township) with a local server and headless chromium."""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
import yaml

from jsna.inputs.tables import AGE_BANDS

ROOT = Path(__file__).resolve().parent.parent


def tiny_tables() -> dict[str, pd.DataFrame]:
    """A minimal but complete and valid set of input tables: one borough, one township, one ward,
    two small areas, one network with one practice, one year."""
    geography = pd.DataFrame(
        [
            ("E92000001", "England", "country", ""),
            ("E12000005", "West Midlands", "region", "E92000001"),
            ("E08000027", "Dudley", "borough", "E12000005"),
            ("XT0000001", "Township A", "township", "E08000027"),
            ("XW0000001", "Ward A", "ward", "XT0000001"),
            ("XS0000001", "Ward A 001", "small_area", "XW0000001"),
            ("XS0000002", "Ward A 002", "small_area", "XW0000001"),
            ("XN0000001", "Network A", "pcn", "E08000027"),
            ("XP00001", "Practice 01 (demo)", "practice", "XN0000001"),
        ],
        columns=["area_code", "area_name", "area_type", "parent_code"],
    )
    small = ["XS0000001", "XS0000002"]
    population = pd.DataFrame(
        [(a, 2020, s, b, 100) for a in small for s in ("Male", "Female") for b in AGE_BANDS],
        columns=["area_code", "year", "sex", "age_band", "population"],
    )
    return {
        "geography": geography,
        "deprivation": pd.DataFrame({"area_code": small, "imd_score": [45.2, 10.1], "imd_decile": [1, 8]}),
        "population": population,
        "deaths": pd.DataFrame(
            [("XS0000001", 2020, "Male", "80-84", "circulatory", "false", 3)],
            columns=["area_code", "year", "sex", "age_band", "cause", "preventable", "deaths"],
        ),
        "births": pd.DataFrame(
            [("XS0000001", 2020, 30, 28, 1, 30, 4, 5, 22)],
            columns=["area_code", "year", "live_births", "term_live_births", "term_low_birth_weight", "maternities", "smoking_at_delivery",
                     "smoking_early_pregnancy", "early_booking"],
        ),
        "admissions": pd.DataFrame(
            [("XS0000002", 2020, "Female", "70-74", "copd", 2)],
            columns=["area_code", "year", "sex", "age_band", "condition", "admissions"],
        ),
        "child_weight": pd.DataFrame(
            [("XS0000001", 2020, "Year 6", 20, 8, 4), ("XS0000001", 2020, "Reception", 22, 5, 2)],
            columns=["area_code", "year", "school_year", "measured", "excess_weight", "obese"],
        ),
        "practice_population": pd.DataFrame(
            [("XP00001", 2020, s, b, 120) for s in ("Male", "Female") for b in AGE_BANDS],
            columns=["area_code", "year", "sex", "age_band", "registered"],
        ),
        "registers": pd.DataFrame(
            [("XP00001", 2020, "diabetes", 300, 3800), ("XP00001", 2020, "dementia", 26, 700), ("XP00001", 2020, "chd", 120, 3800)],
            columns=["area_code", "year", "condition", "register", "list_size"],
        ),
        "practice_admissions": pd.DataFrame(
            [("XP00001", 2020, "emergency_cancer", 12)], columns=["area_code", "year", "condition", "admissions"]
        ),
        "survey": pd.DataFrame(
            [("E08000027", 2020, "smoking", 500, 16.9, 13.9, 20.4)],
            columns=["area_code", "year", "measure", "respondents", "value", "lower_95_0", "upper_95_0"],
        ),
        "deaths_by_season": pd.DataFrame(
            [("XS0000001", 2020, "Female", "aug_nov", 2), ("XS0000001", 2020, "Female", "dec_mar", 3),
             ("XS0000002", 2020, "Male", "apr_jul", 2)],
            columns=["area_code", "year", "sex", "season", "deaths"],
        ),  # fmt: skip
        "child_development": pd.DataFrame(
            [("XS0000001", 2020, 25, 17), ("XS0000002", 2020, 20, 15)], columns=["area_code", "year", "eligible", "good_level_development"]
        ),
        "immunisations": pd.DataFrame(
            [("XS0000001", 2020, "mmr1_age2", 25, 23)], columns=["area_code", "year", "vaccine", "eligible", "vaccinated"]
        ),
        "conceptions": pd.DataFrame(
            [("XS0000001", 2020, 30, 1)], columns=["area_code", "year", "females_15_17", "conceptions_under_18"]
        ),
        "low_income_children": pd.DataFrame(
            [("XS0000001", 2020, 400, 100), ("XS0000002", 2020, 300, 30)],
            columns=["area_code", "year", "children_under_16", "in_low_income"],
        ),
        "screening": pd.DataFrame(
            [("XP00001", 2020, "cervical", 900, 630)], columns=["area_code", "year", "programme", "eligible", "screened"]
        ),
        "health_checks": pd.DataFrame([("XP00001", 2020, 1200, 90)], columns=["area_code", "year", "eligible", "received"]),
        "flu_vaccination": pd.DataFrame(
            [("XP00001", 2020, 700, 560)], columns=["area_code", "year", "eligible_65_plus", "vaccinated"]
        ),
        "expected_dementia": pd.DataFrame([("XP00001", 2020, 40)], columns=["area_code", "year", "estimated_prevalence_count"]),
        "reablement": pd.DataFrame(
            [("E08000027", 2020, 100, 88)], columns=["area_code", "year", "discharged_65_plus", "at_home_91_days"]
        ),
    }


def write_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    return folder


# --------------------------------------------------------------------------------------------
# The project's registries, and stores made by hand in the declared shape
# --------------------------------------------------------------------------------------------
@functools.cache
def area_types():
    from jsna.inputs.places import load_area_types

    return load_area_types(ROOT / "parameters" / "place_types.yml")


def load_test_catalogue(path: Path = ROOT / "data" / "indicators.yml") -> list[dict]:
    """A catalogue read against the project's methods, area types and chapters."""
    from jsna.compute.methods import METHODS
    from jsna.inputs.catalogue import load_catalogue
    from jsna.inputs.places import load_chapters

    return load_catalogue(path, methods=METHODS, area_types=area_types(), chapters=load_chapters(ROOT / "parameters" / "chapters.yml"))


@functools.cache
def default_policy():
    """The shipped disclosure policy (read against the whole catalogue; it applies to any part of it)."""
    from jsna.compute.methods import METHODS
    from jsna.inputs.disclosure import load_policy

    return load_policy(ROOT / "parameters" / "disclosure.yml", load_test_catalogue(), METHODS)


def computed(inputs, catalogue: list[dict], policy=None) -> dict[str, pd.DataFrame]:
    """The tables the pipeline computes from indicator inputs, as the build does: indicator rows
    and breakdowns through disclosure control, then the inequality tables and the indicators."""
    from jsna.compute import disclosure
    from jsna.compute.indicators import indicator_rows, indicator_tables
    from jsna.compute.inequalities import deprivation_breakdowns, inequality_tables

    policy = default_policy() if policy is None else policy
    rows = indicator_rows(inputs, catalogue, {}, summaries=False)
    protected = disclosure.disclosure_tables(rows, deprivation_breakdowns(inputs, catalogue), inputs, catalogue, policy)
    inequality = inequality_tables(inputs, catalogue, protected["breakdowns"])
    return {**inequality, **indicator_tables(inputs, catalogue, protected["rows"], inequality), "disclosure_summary": protected["disclosure_summary"]}


def compute_indicators(inputs, catalogue: list[dict], policy=None) -> pd.DataFrame:
    """The ``indicators`` table for these catalogue entries."""
    return computed(inputs, catalogue, policy)["indicators"]


def declared(name: str, df: pd.DataFrame | None = None) -> pd.DataFrame:
    """``df`` completed to store table ``name``'s declaration: absent columns added empty (NaN,
    "", False), comma-separated lists split, columns in declared order."""
    from jsna.store import TABLES

    table = TABLES[name]
    out = table.empty() if df is None else df.copy()
    blank = {"str": "", "int": 0, "float": float("nan"), "bool": False, "list[str]": None, "list[int]": None}
    for column in table.columns:
        if column.kind.startswith("list"):
            cast = int if column.kind == "list[int]" else str
            values = out[column.name] if column.name in out else [[] for _ in range(len(out))]
            split = [[cast(x.strip()) for x in str(v).split(",")] if isinstance(v, str) else list(v) for v in values]
            out[column.name] = pd.Series(split, index=out.index, dtype=object)
        elif column.name not in out:
            out[column.name] = blank[column.kind]
        elif column.kind == "str":
            out[column.name] = out[column.name].astype(object).where(out[column.name].notna(), None)
        elif column.kind == "int":
            out[column.name] = out[column.name].astype("int64")
        elif column.kind == "float":
            out[column.name] = out[column.name].astype("float64")
    return out[table.column_names]


def write_store(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Save ``tables`` as a store (every other declared table empty, the project's area types)."""
    from jsna import store
    from jsna.compute.performance import rules_table
    from jsna.stats import SpcRules
    from jsna.store import TABLES

    given = {"area_types": area_types().table(), "kpi_spc_rules": rules_table(SpcRules()), **tables}
    store.save(folder, {name: declared(name, given.get(name)) for name in TABLES}, inputs_key="test")
    return folder


def write_parameters(folder: Path, places: list[dict], *, place_types: dict | None = None, chapters: dict | None = None) -> Path:
    """A parameters folder: the project's release, place types and chapters (or those given), and ``places``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("release.yml", "spc.yml", "disclosure.yml"):
        shutil.copy(ROOT / "parameters" / name, folder)
    for name, given in (("place_types.yml", place_types), ("chapters.yml", chapters)):
        if given is None:
            shutil.copy(ROOT / "parameters" / name, folder)
        else:
            (folder / name).write_text(yaml.safe_dump(given, sort_keys=False))
    (folder / "places.yml").write_text(yaml.safe_dump({"places": places}, sort_keys=False))
    return folder


@pytest.fixture
def tiny_data(tmp_path: Path) -> Path:
    """A folder of valid tiny input tables (a fresh copy for each test)."""
    return write_tables(tmp_path / "data", tiny_tables())


@pytest.fixture
def reference() -> Path:
    return ROOT / "data" / "reference"


@pytest.fixture
def copy_reference(tmp_path: Path) -> Path:
    target = tmp_path / "reference"
    shutil.copytree(ROOT / "data" / "reference", target)
    return target


# --------------------------------------------------------------------------------------------
# The smoke build and the browser (used by the site tests)
# --------------------------------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@functools.cache
def default_parameters():
    """The project's own parameters, read against the demonstration data's geography."""
    from jsna.book.build import load_parameters
    from jsna.config import Settings

    return load_parameters(Settings())


def smoke_jobs() -> int:
    from jsna.book.build import plan_for
    from jsna.config import Settings

    return len(plan_for(Settings(only=("E08000027", first_township().code)), default_parameters()).jobs)


def first_township():
    """The first township of the book (a :class:`jsna.inputs.places.Place`)."""
    return next(p for p in default_parameters().places if p.type == "township")


def township_folder() -> str:
    """The first township's folder in the site, e.g. "township/brierley-hill"."""
    return first_township().folder


#: How many of a page's charts vega-embed has drawn.
RENDERED_CHARTS = "[...document.querySelectorAll('.jsna-chart')].filter(c => c.querySelector('svg')).length"


#: A chart's name as assistive technology reads it: its aria-label, or the text of the caption its
#: aria-labelledby names (a figure's chart is named by its visible caption).
CHART_NAME = "c => c.getAttribute('aria-label') || (document.getElementById(c.getAttribute('aria-labelledby')) || {}).textContent || ''"


def chart_name(locator) -> str:
    """The accessible name of one chart (a Playwright locator of a ``.jsna-chart``)."""
    return locator.evaluate(CHART_NAME)


def wait_for_charts(page, expected: int) -> int:
    """Wait until ``expected`` charts on the page are drawn as SVG; return how many are."""
    page.wait_for_function(f"{RENDERED_CHARTS} >= {expected}", timeout=60_000)
    return page.evaluate(RENDERED_CHARTS)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    township = first_township().code
    command = [sys.executable, "-m", "jsna", "build", "--out", str(out), "--no-progress", "--places", "E08000027", township]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, f"build failed:\n{result.stdout}\n{result.stderr}"
    jobs = smoke_jobs()
    assert f"{jobs} notebooks ({jobs} executed, 0 reused)" in result.stdout
    return out


@pytest.fixture(scope="session")
def server(site: Path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site / "html"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make test`, which installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


