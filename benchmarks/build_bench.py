"""Time a cold build, a no-change rebuild and a one-entry catalogue change of the default book,
and (with --naive) the same plan's notebooks executed by plain serial papermill; print the figures.

Run on demand (not a test: these machines are shared and noisy):

    .venv/bin/python benchmarks/build_bench.py [--out DIR] [--keep] [--naive]

Environment set-up (.venv, npm, chromium) is excluded: run `make book` once first. Reports wall
time and seconds by stage, notebooks executed and reused, the peak resident memory of the largest
process (the build or one of its workers and kernels), and the size of the site. The naive
baseline runs ``papermill.execute_notebook`` on every job of the plan one after another, a fresh
kernel each, against the cold build's store: what executing the plan costs without this
project's pool, kernel reuse and caches. Targets (issue 19) on the 2-core machines: cold build
30 s, no-change rebuild 3 s, and the cold build at least 4 times faster than the naive baseline.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"cold": 30.0, "no-change": 3.0, "one entry": 30.0}


def run_build(out: Path, *options: str) -> dict:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "jsna", "build", "--out", str(out), "--no-progress", *options], capture_output=True, text=True, cwd=ROOT
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"build failed:\n{result.stderr}")
    match = re.search(r"(\d+) notebooks \((\d+) executed, (\d+) reused\)", result.stdout)
    jobs, executed, reused = (int(g) for g in match.groups())
    stages = result.stdout.split("Seconds by stage: ")[1].splitlines()[0]
    return {"seconds": seconds, "jobs": jobs, "executed": executed, "reused": reused, "stages": stages}


def flipped_catalogue(folder: Path, indicator: str = "physical_inactivity") -> Path:
    """A copy of the catalogue with one entry's polarity flipped."""
    text = (ROOT / "data" / "indicators.yml").read_text(encoding="utf-8")
    entry = re.search(rf"- id: {indicator}\n(?:  .*\n)+", text).group(0)
    flipped = entry.replace("Low is good", "@").replace("High is good", "Low is good").replace("@", "High is good")
    path = folder / "indicators.yml"
    path.write_text(text.replace(entry, flipped), encoding="utf-8")
    return path


def naive(out: Path) -> float:
    """Every job of the cold build's plan through papermill, one after another, a fresh kernel each."""
    import jupytext
    import papermill

    plan = json.loads(subprocess.run([sys.executable, "-m", "jsna", "plan", "--json"], capture_output=True, text=True, cwd=ROOT, check=True).stdout)
    book = out / "book"
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="naive-") as scratch:
        for n, job in enumerate(plan):
            notebook = jupytext.read(ROOT / job["template"])
            words = {k: v for k, v in job.items() if k not in ("place", "chapter", "template", "output", "parameters")}
            for cell in notebook.cells:
                if cell.cell_type == "markdown":
                    for name, text in words.items():
                        cell.source = cell.source.replace("{" + name + "}", str(text))
            papermill.execute_notebook(notebook, str(Path(scratch) / f"{n}.ipynb"), parameters=job["parameters"], cwd=str(book),
                                       progress_bar=False, kernel_name="python3")  # fmt: skip  (the store is ../store from book/)
    return time.perf_counter() - started


def size_of(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="build folder (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the build folder")
    parser.add_argument("--naive", action="store_true", help="also time the plan's notebooks through serial papermill (minutes)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="jsna-bench-"))
    if out.exists():
        shutil.rmtree(out)
    try:
        cold = run_build(out)
        again = run_build(out)
        with tempfile.TemporaryDirectory(prefix="catalogue-") as folder:
            one = run_build(out, "--catalogue", str(flipped_catalogue(Path(folder))))
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        site_bytes, site_files = size_of(out / "html")
        print(f"{'run':<10} {'seconds':>8} {'target':>7} {'met':>4} {'notebooks':>9} {'executed':>8} {'reused':>6}  stages")
        for name, figures in (("cold", cold), ("no-change", again), ("one entry", one)):
            met = "yes" if figures["seconds"] < TARGETS[name] else "NO"
            print(
                f"{name:<10} {figures['seconds']:>8.1f} {TARGETS[name]:>7.0f} {met:>4} {figures['jobs']:>9} "
                f"{figures['executed']:>8} {figures['reused']:>6}  {figures['stages']}"
            )
        print(f"peak memory of the largest process: {peak_mb:.0f} MB")
        print(f"site: {site_bytes / 1e6:.1f} MB in {site_files} files ({out / 'html'})")
        if args.naive:
            seconds = naive(out)
            stage = float(re.search(r"notebooks ([\d.]+)", cold["stages"]).group(1))
            print(f"naive serial papermill, {cold['jobs']} notebooks, a fresh kernel each: {seconds:.1f} s; "
                  f"the cold build (every stage) is {seconds / cold['seconds']:.1f}x faster, "
                  f"its notebook stage (the same jobs, with the briefs beside them) {seconds / stage:.1f}x")
    finally:
        if not args.keep and args.out is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
