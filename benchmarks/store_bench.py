"""Time the store computation of the default book, cold and in-process; print seconds by producer.

Run on demand (not a test: these machines are shared and noisy):

    .venv/bin/python benchmarks/store_bench.py [--runs N] [--against REV]

The default inputs are loaded and validated once, as ``python -m jsna build`` loads them (by
:func:`jsna.book.build.build_store` itself, stopped before it computes), and then every table of
the store is computed ``--runs`` times by :func:`jsna.compute.pipeline.compute_store` with nothing
cached. Each producer the pipeline calls is timed, and the slope index of inequality
(:func:`jsna.stats.sii`, inside ``inequality_tables``) on its own; wall and CPU seconds (CPU: all
threads of the process) of the fastest run are printed, with the median of the totals.

``--against REV`` measures the code of git revision ``REV`` the same way (its ``jsna`` package,
in a subprocess, on the same data and parameters; one run of each in turn, so that both meet
the same load on a shared machine), prints the ratio, and compares the two stores file by file:
every table must be byte-identical (the store's manifest holds the inputs key, which includes
the code, so it is left out).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: What is timed: (module, attribute) of each producer as the pipeline looks it up, and a label.
#: A name the measured code does not have is left out (an older revision may lack it).
TIMED = (
    ("jsna.compute.pipeline", "indicator_rows", "indicator rows"),
    ("jsna.compute.pipeline", "deprivation_breakdowns", "deprivation breakdowns"),
    ("jsna.compute.disclosure", "disclosure_tables", "disclosure control"),
    ("jsna.compute.pipeline", "inequality_tables", "inequality tables"),
    ("jsna.stats", "sii", "  of which SII"),
    ("jsna.compute.pipeline", "indicator_tables", "indicator table"),
    ("jsna.compute.pipeline", "funnel_tables", "funnel plots"),
    ("jsna.compute.pipeline", "profile_tables", "profiles"),
    ("jsna.compute.pipeline", "catalogue_table", "catalogue"),
    ("jsna.compute.pipeline", "kpi_tables", "KPI tables"),
)
TOTAL = "compute_store"


def settings_for(out: Path):
    """The default book's settings, its data and parameters read from this working tree (whichever
    ``jsna`` package is imported), its store written under ``out``."""
    from jsna.config import Settings

    return Settings(
        root=ROOT, data=ROOT / "data" / "demo", reference=ROOT / "data" / "reference", catalogue=ROOT / "data" / "indicators.yml",
        kpis=ROOT / "data" / "kpi", fingertips=ROOT / "data" / "fingertips", parameters=ROOT / "parameters", out=out,
    )  # fmt: skip


class _Loaded(Exception):
    """Raised in place of the computation, carrying the arguments it would have been given."""

    def __init__(self, args: tuple, kwargs: dict):
        super().__init__("inputs loaded")
        self.args_, self.kwargs = args, kwargs


def load_arguments(out: Path) -> tuple[tuple, dict, float]:
    """The arguments of ``compute_store`` for the default book, loaded and validated by
    ``build_store`` itself, and the seconds that took."""
    build = importlib.import_module("jsna.book.build")

    def stop(*args, **kwargs):
        raise _Loaded(args, kwargs)

    started = time.perf_counter()
    with _patched(build, "compute_store", stop):
        try:
            build.build_store(settings_for(out))
        except _Loaded as loaded:
            return loaded.args_, loaded.kwargs, time.perf_counter() - started
    raise RuntimeError(f"build_store read a store from {out} instead of computing it")


@contextlib.contextmanager
def _patched(module, name: str, value) -> Iterator[None]:
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)


@contextlib.contextmanager
def timed_producers(wall: dict[str, float], cpu: dict[str, float]) -> Iterator[None]:
    """Add each producer's wall and CPU seconds to ``wall`` and ``cpu`` while inside."""
    with contextlib.ExitStack() as stack:
        for module_name, name, label in TIMED:
            module = importlib.import_module(module_name)
            if hasattr(module, name):
                stack.enter_context(_patched(module, name, _timer(getattr(module, name), label, wall, cpu)))
        yield


def _timer(function, label: str, wall: dict[str, float], cpu: dict[str, float]):
    def timed(*args, **kwargs):
        started, used = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            wall[label] = wall.get(label, 0.0) + time.perf_counter() - started
            cpu[label] = cpu.get(label, 0.0) + time.process_time() - used

    return timed


def loaded() -> dict:
    """The arguments of ``compute_store`` for the default book, which ``jsna`` computes it, and
    the seconds loading took."""
    with tempfile.TemporaryDirectory(prefix="jsna-store-bench-") as scratch:
        args, kwargs, loading = load_arguments(Path(scratch))
    return {"args": args, "kwargs": kwargs, "code": str(Path(importlib.import_module("jsna").__file__).parent), "loading": loading}


def compute_once(inputs: dict) -> tuple[dict, dict]:
    """Compute the store once, cold: the seconds (wall and CPU, by producer), and the tables."""
    from jsna.compute.pipeline import compute_store

    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    started, used = time.perf_counter(), time.process_time()
    with timed_producers(wall, cpu):
        tables = compute_store(*inputs["args"], **inputs["kwargs"])
    wall[TOTAL], cpu[TOTAL] = time.perf_counter() - started, time.process_time() - used
    return {"wall": wall, "cpu": cpu}, tables


def save_store(tables: dict, folder: Path) -> None:
    from jsna import store

    folder.mkdir(parents=True, exist_ok=True)
    store.save(folder, tables, "store_bench")


def revision_code(revision: str, folder: Path) -> Path:
    """The ``jsna`` package of git revision ``revision``, extracted under ``folder``."""
    code = folder / "code"
    code.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", revision, "jsna"], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(code, filter="data")
    return code


def measure_elsewhere(code: Path, folder: Path) -> dict:
    """One cold computation by the ``jsna`` package in ``code``, in a subprocess (its store saved
    in ``folder / "store"``)."""
    result = folder / "result.json"
    command = [sys.executable, __file__, "--runs", "1", "--code", str(code), "--json", str(result), "--store", str(folder / "store")]
    subprocess.run(command, cwd=ROOT, check=True)
    return json.loads(result.read_text(encoding="utf-8"))


def compare_stores(ours: Path, theirs: Path) -> tuple[int, list[str]]:
    """How many tables were compared, and those not byte-identical (or missing from either)."""
    names = sorted({p.name for p in ours.glob("*.parquet")} | {p.name for p in theirs.glob("*.parquet")})
    differ = [n for n in names if not ((ours / n).is_file() and (theirs / n).is_file() and (ours / n).read_bytes() == (theirs / n).read_bytes())]
    return len(names), differ


def best_run(result: dict) -> dict:
    return min(result["runs"], key=lambda run: run["wall"][TOTAL])


def report(result: dict, reference: dict | None, revision: str | None) -> None:
    best = best_run(result)
    labels = [label for _, _, label in TIMED if label in best["wall"]] + [TOTAL]
    header = f"{'producer':<24} {'wall s':>7} {'cpu s':>7}"
    if reference is not None:
        old = best_run(reference)
        header += f" {revision[:12] + ' wall':>18} {'cpu':>7} {'speed-up':>8}"
    print(header)
    for label in labels:
        line = f"{label:<24} {best['wall'][label]:7.2f} {best['cpu'][label]:7.2f}"
        if reference is not None:
            if label in old["wall"]:
                line += f" {old['wall'][label]:18.2f} {old['cpu'][label]:7.2f} {old['wall'][label] / best['wall'][label]:7.1f}x"
            else:
                line += f" {'-':>18} {'-':>7} {'-':>8}"
        print(line)
    totals = [run["wall"][TOTAL] for run in result["runs"]]
    print(f"\nmeasured: {result['code']}" + (f"; {revision}: {reference['code']}" if reference is not None else ""))
    print(f"{len(totals)} runs: fastest {min(totals):.2f} s, median {statistics.median(totals):.2f} s (inputs loaded in {result['loading']:.2f} s)")
    if reference is not None:
        old_totals = [run["wall"][TOTAL] for run in reference["runs"]]
        print(f"{revision}: fastest {min(old_totals):.2f} s, median {statistics.median(old_totals):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold computations of the store (default 3)")
    parser.add_argument("--against", metavar="REV", help="also measure git revision REV (a run of each in turn) and compare the stores")
    # for the subprocess measuring --against: whose jsna, and where its figures and store go
    parser.add_argument("--code", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(args.code))
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="jsna-store-bench-") as scratch:
        inputs = loaded()
        ours = {"code": inputs["code"], "loading": inputs["loading"], "runs": []}
        reference = {"runs": []} if args.against else None
        folder = Path(scratch) / "reference"
        code = revision_code(args.against, folder) if args.against else None
        for run in range(args.runs):
            seconds, tables = compute_once(inputs)
            ours["runs"].append(seconds)
            if run == 0:
                save_store(tables, args.store or Path(scratch) / "store")
            if code is not None:
                theirs = measure_elsewhere(code, folder)
                reference.update(code=theirs["code"], loading=theirs["loading"])
                reference["runs"] += theirs["runs"]
        if args.json:
            args.json.write_text(json.dumps(ours), encoding="utf-8")
            return
        report(ours, reference, args.against)
        print(f"load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs")
        if reference is not None:
            compared, differ = compare_stores(Path(scratch) / "store", folder / "store")
            print(f"stores: {compared} tables compared, {compared - len(differ)} byte-identical" + (f"; DIFFERENT: {', '.join(differ)}" if differ else ""))
            if differ:
                sys.exit(1)


if __name__ == "__main__":
    main()
