"""Time a cold build and a no-change rebuild of the default book; print the figures.

Run on demand (not a test: these machines are shared and noisy):

    .venv/bin/python benchmarks/build_bench.py [--out DIR] [--keep]

Environment set-up (.venv, npm, chromium) is excluded: run `make book` once first. Reports wall
time, notebooks executed and reused, the peak resident memory of the largest process (the build
or one of its workers and kernels), and the size of the site. Targets on the 2-core machines:
cold build under 90 s, no-change rebuild under 10 s.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"cold": 90.0, "no-change": 10.0}


def run_build(out: Path) -> dict:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "jsna", "build", "--out", str(out), "--no-progress"], capture_output=True, text=True, cwd=ROOT
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"build failed:\n{result.stderr}")
    match = re.search(r"(\d+) notebooks \((\d+) executed, (\d+) reused\)", result.stdout)
    jobs, executed, reused = (int(g) for g in match.groups())
    return {"seconds": seconds, "jobs": jobs, "executed": executed, "reused": reused}


def size_of(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="build folder (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the build folder")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="jsna-bench-"))
    if out.exists():
        shutil.rmtree(out)
    try:
        cold = run_build(out)
        again = run_build(out)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        site_bytes, site_files = size_of(out / "html")
        print(f"{'run':<10} {'seconds':>8} {'target':>7} {'met':>4} {'notebooks':>9} {'executed':>8} {'reused':>6}")
        for name, figures in (("cold", cold), ("no-change", again)):
            met = "yes" if figures["seconds"] < TARGETS[name] else "NO"
            print(
                f"{name:<10} {figures['seconds']:>8.1f} {TARGETS[name]:>7.0f} {met:>4} {figures['jobs']:>9} "
                f"{figures['executed']:>8} {figures['reused']:>6}"
            )
        print(f"peak memory of the largest process: {peak_mb:.0f} MB")
        print(f"site: {site_bytes / 1e6:.1f} MB in {site_files} files ({out / 'html'})")
    finally:
        if not args.keep and args.out is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
