"""Build the book: inputs -> store -> executed notebooks -> Jupyter Book -> site.

Folders under ``out`` (default ``_build``):

* ``store/``   the store (parquet, declared in :mod:`jsna.store`), the only thing notebooks read;
* ``book/``    the Jupyter Book source: configuration, generated table of contents, static
  pages and the executed notebooks;
* ``html/``    the site (``html/index.html``), with ``html/downloads/``;
* ``doctrees/`` Sphinx's cache; ``failed/`` a notebook that failed, kept for inspection.

Every file is written only when its content changes, so an unchanged rebuild executes no
notebook and Sphinx rebuilds no page.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from jsna import store
from jsna.book.briefs import BriefStage
from jsna.book.execute import execute_plan
from jsna.book.explore import write_explorer
from jsna.book.geometry import stage_boundaries
from jsna.book.plan import Plan, make_plan
from jsna.book.publish import (
    audit_store,
    check_downloads,
    disclosure_line,
    publish_downloads,
    remove_unlisted_pages,
    run_sphinx,
    toc_documents,
)
from jsna.book.source import stage_book
from jsna.compute.methods import METHODS
from jsna.compute.pipeline import compute_store
from jsna.config import Settings
from jsna.files import code_digest, digest
from jsna.inputs import fingertips
from jsna.inputs.catalogue import load_catalogue
from jsna.inputs.disclosure import Policy, load_policy
from jsna.inputs.kpis import load_kpis, load_rules
from jsna.inputs.places import (
    AreaTypes,
    Chapter,
    Place,
    load_area_types,
    load_chapters,
    load_places,
    named_geography,
)
from jsna.inputs.release import load_release
from jsna.inputs.tables import (
    SCHEMAS,
    check_geography,
    find_table_file,
    load_inputs,
    read_table,
)


@dataclass(frozen=True)
class Parameters:
    """What ``parameters/`` says the book covers, checked against the data's geography."""

    chapters: dict[str, Chapter]
    area_types: AreaTypes
    places: list[Place]


def load_disclosure(settings: Settings, parameters: Parameters) -> Policy:
    """The disclosure policy, checked against the catalogue and the methods."""
    catalogue = load_catalogue(settings.catalogue, methods=METHODS, area_types=parameters.area_types, chapters=parameters.chapters)
    return load_policy(settings.disclosure, catalogue, METHODS)


def load_parameters(settings: Settings, geography: pd.DataFrame | None = None) -> Parameters:
    """Chapters, area types and places; the geography is read from the data unless given."""
    chapters = load_chapters(settings.chapters, settings.root)
    area_types = load_area_types(settings.area_types, chapters)
    if geography is None:
        path = find_table_file(settings.data, "geography")
        geography = read_table(path, SCHEMAS["geography"])
        check_geography(path, geography, area_types)
    return Parameters(chapters, area_types, load_places(settings.places, geography, area_types))


def plan_for(settings: Settings, parameters: Parameters) -> Plan:
    only = list(settings.only) or None
    return make_plan(parameters.places, parameters.chapters, parameters.area_types, only=only, places_file=settings.places)


def inputs_key(settings: Settings) -> str:
    """Everything the store is computed from: the input files, the catalogue, the KPI data, the
    parameters the computation reads (area types, places, chapters, control-chart rules) and the
    package."""
    folders = (settings.data, settings.reference, settings.kpis, settings.fingertips)
    files = [p for folder in folders if folder.is_dir() for p in sorted(folder.rglob("*")) if p.is_file()]
    files += [settings.catalogue, settings.area_types, settings.places, settings.chapters, settings.disclosure, settings.release]
    if settings.spc_rules.exists():
        files.append(settings.spc_rules)
    return digest(code_digest(), *(f"{p.name}:{digest(p.read_bytes())}" for p in files))


def build_store(settings: Settings) -> tuple[dict[str, pd.DataFrame], Parameters]:
    """Validate every input, compute the store and write it; nothing is written if any input is bad.

    When the inputs, parameters and package are exactly those the store was last computed from
    (``store/manifest.json``), the store is read back instead of recomputed.
    """
    key = inputs_key(settings)
    tables = store.read_all(settings.store, key)
    if tables is not None:
        return tables, load_parameters(settings, tables["geography"])
    # Load inputs
    release = load_release(settings.release)
    chapters = load_chapters(settings.chapters, settings.root)
    area_types = load_area_types(settings.area_types, chapters)
    inputs = load_inputs(settings.data, settings.reference, area_types, latest_year=release.date.year)
    places = load_places(settings.places, inputs.geography, area_types)
    inputs = inputs.with_geography(named_geography(inputs.geography, places))
    folder = settings.fingertips
    extracts = fingertips.read_exports(fingertips.find_exports(folder), release.fingertips_extracted) if folder.is_dir() else None
    catalogue = load_catalogue(settings.catalogue, methods=METHODS, area_types=area_types, chapters=chapters, inputs=inputs, fingertips=extracts)
    linked = fingertips.linked(extracts, catalogue, [inputs.code_of(role) for role in ("country", "region", "authority")])
    inputs, catalogue = inputs.with_fingertips(linked), fingertips.cited(catalogue, linked)
    kpis = load_kpis(settings.kpis, release_date=release.date)
    rules = load_rules(settings.spc_rules)
    policy = load_policy(settings.disclosure, catalogue, METHODS)
    # Compute, check against the declarations, and save
    tables = compute_store(inputs, catalogue, kpis, rules, policy)
    store.save(settings.store, tables, key)
    return tables, Parameters(chapters, area_types, places)


#: What a build writes under ``out``: staged together, swapped in together.
STAGE = ".staging"


def build(settings: Settings) -> dict:
    """The whole build, atomically; returns figures for the log and the benchmark.

    Everything is built in ``<out>/.staging``, a copy of the last build (so unchanged
    notebooks and pages are reused), and swapped in only when every stage has succeeded:
    whatever fails (an input, the store, the disclosure audit, a notebook, Sphinx, the
    downloads), the last good store, site and downloads are left exactly as they were.
    """
    figures = atomically(settings.out, lambda staging: _build(replace(settings, out=staging, kept_failures=settings.out / "failed")))
    figures["html"] = str(settings.html / "index.html")
    return figures


def atomically(out: Path, work) -> dict:
    """``work(staging)`` in a staging copy of ``out``, swapped in only if it completed (it touches
    ``staging/.complete`` last); whatever fails, ``out`` is left as it was."""
    staging = out / STAGE
    _stage(out, staging)
    try:
        figures = work(staging)
    finally:
        if not (staging / ".complete").exists():
            shutil.rmtree(staging, ignore_errors=True)
    _swap(staging, out)
    return figures


def _stage(out: Path, staging: Path) -> None:
    """A fresh staging folder holding a copy of the last build."""
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if out.is_dir():
        for path in sorted(out.iterdir()):
            if path.is_dir() and not path.name.startswith(".") and path.name != "failed":
                shutil.copytree(path, staging / path.name, symlinks=True)


def _swap(staging: Path, out: Path) -> None:
    """Put every staged folder in place of the last build's (renames), then drop the old ones."""
    previous = out / ".previous"
    shutil.rmtree(previous, ignore_errors=True)
    previous.mkdir()
    for path in sorted(staging.iterdir()):
        if not path.is_dir():
            continue
        if (out / path.name).exists():
            os.replace(out / path.name, previous / path.name)
        os.replace(path, out / path.name)
    shutil.rmtree(previous, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)


class Laps:
    """Seconds spent in each stage, for the log and the benchmarks."""

    def __init__(self):
        self.started = self.mark = time.perf_counter()
        self.stages: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.stages[name] = round(now - self.mark, 2)
        self.mark = now

    @property
    def seconds(self) -> float:
        return round(time.perf_counter() - self.started, 2)


@dataclass
class Prepared:
    """A book ready for its notebooks: the store computed and audited, the source staged."""

    plan: Plan
    tables: dict[str, pd.DataFrame]
    disclosure: str


class StageKeys:
    """Stages whose output depends only on a key (the store, the package, the release...) are
    skipped when the key is the one they last ran with and their output is there: a rebuild with
    no change runs none of them. Keys live in ``<out>/keys/``, staged and swapped with the rest."""

    def __init__(self, settings: Settings):
        self.folder = settings.out / "keys"
        self.base = digest(code_digest(), store.store_digest(settings.store), *(p.read_bytes() for p in (settings.release, settings.disclosure)))

    def key(self, *parts: str) -> str:
        return digest(self.base, *parts)

    def recorded(self, stage: str, key: str) -> str | None:
        """What the stage recorded when it last ran with ``key`` (None: it must run)."""
        try:
            recorded, _, payload = (self.folder / stage).read_text(encoding="utf-8").partition("\n")
        except OSError:
            return None
        return payload if recorded == key else None

    def record(self, stage: str, key: str, payload: str = "") -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / stage).write_text(f"{key}\n{payload}", encoding="utf-8")


def tree_digest(folder: Path) -> str:
    """A digest of every file's path, size and modification time under ``folder`` (the staged
    copy keeps times, and files are written only when they change)."""
    listing = [f"{p.relative_to(folder)}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in sorted(folder.rglob("*")) if p.is_file()]
    return digest(*listing)


def prepare_book(settings: Settings, laps: Laps | None = None) -> Prepared:
    """The store (computed, checked and audited) and the book's source, in ``settings.out``."""
    laps = laps or Laps()
    tables, parameters = build_store(settings)
    laps.lap("store")
    keys = StageKeys(settings)
    line = keys.recorded("audit", keys.key())
    if line is None:
        policy = load_disclosure(settings, parameters)
        found = audit_store(settings, policy, parameters.area_types)
        keys.record("audit", keys.key(), line := disclosure_line(tables, found, policy))
    laps.lap("audit")
    plan = plan_for(settings, parameters)
    stage_book(settings, plan, tables)
    stage_boundaries(settings, tables["geography"], parameters.area_types)
    if keys.recorded("explorer", keys.key()) is None:
        write_explorer(settings, tables)
        keys.record("explorer", keys.key())
    return Prepared(plan, tables, line)


def finish_book(settings: Settings, prepared: Prepared, laps: Laps | None = None) -> None:
    """After the notebooks: the site (Sphinx) and its downloads, unless neither the book's source
    nor the store changed since they were last made."""
    laps = laps or Laps()
    keys = StageKeys(settings)
    key = keys.key(tree_digest(settings.book))
    if keys.recorded("site", key) is not None and (settings.html / "index.html").is_file():
        return
    run_sphinx(settings)  # writes the book's conf.py: the key is of the book as Sphinx left it
    remove_unlisted_pages(settings.html, toc_documents(settings.book))
    laps.lap("sphinx")
    publish_downloads(settings, prepared.tables)
    keys.record("site", keys.key(tree_digest(settings.book)))


def _build(settings: Settings) -> dict:
    """Every stage, in ``settings.out`` (the staging folder)."""
    laps = Laps()
    prepared = prepare_book(settings, laps)
    with BriefStage(settings, prepared.plan, prepared.tables) as briefs:  # rendered beside the notebooks, in a pool of their own
        counts = execute_plan(settings, prepared.plan)
        laps.lap("notebooks")
        finish_book(settings, prepared, laps)
        counts["briefs"] = briefs.publish()
        laps.lap("briefs")
    check_downloads(settings)
    counts["disclosure"] = prepared.disclosure
    counts["seconds"] = laps.seconds
    counts["stages"] = laps.stages
    (settings.out / ".complete").touch()
    return counts


def describe_store() -> str:
    """``python -m jsna store describe``: the store's tables, then the methods an indicator can use."""
    methods = ["", "## Methods", "", "An indicator's `method` in data/indicators.yml is one of:", ""]
    methods += [f"- `{m.name}`: {m.description} (needs {', '.join(m.requires) or 'nothing more'})" for m in METHODS.values()]
    return store.describe() + "\n".join(methods) + "\n"

