"""Time every brief of the default book (36 places, PDF and Word) cold, and a no-change rebuild;
print the figures.

Run on demand (not a test: these machines are shared and noisy):

    .venv/bin/python benchmarks/briefs_bench.py [--out DIR] [--keep] [--workers N]

The store is computed first and not timed (``make briefs`` reads the store of the last build);
then ``python -m jsna briefs`` runs twice: cold (no brief cached) and again with nothing changed.
Reports wall time, briefs rendered and reused, the pages of the briefs, their sizes and the peak
resident memory of the largest process. Targets on the 2-core machines: cold within 60 s, and a
no-change rebuild that renders no brief.
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
TARGET_COLD = 60.0


def make_store(out: Path) -> float:
    """Compute the default book's store into ``out/store`` (untimed by the figures); seconds."""
    from jsna.book.build import build_store
    from jsna.config import Settings

    started = time.perf_counter()
    build_store(Settings(out=out))
    return time.perf_counter() - started


def run_briefs(out: Path, workers: int | None) -> dict:
    command = [sys.executable, "-m", "jsna", "briefs", "--out", str(out), *(["--workers", str(workers)] if workers else [])]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"briefs failed:\n{result.stderr}")
    briefs, rendered, reused = (int(g) for g in re.search(r"Briefs of (\d+) places?, PDF and Word \((\d+) rendered, (\d+) reused\)", result.stdout).groups())
    return {"seconds": seconds, "briefs": briefs, "rendered": rendered, "reused": reused}


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="build folder (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the build folder")
    parser.add_argument("--workers", type=int, default=None, help="briefs rendered at once (default: cores)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="jsna-briefs-bench-"))
    if out.exists():
        shutil.rmtree(out)
    try:
        store_seconds = make_store(out)
        cold = run_briefs(out, args.workers)
        again = run_briefs(out, args.workers)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        folder = out / "html" / "downloads" / "briefs"
        pdfs, words = sorted(folder.glob("*.pdf")), sorted(folder.glob("*.docx"))
        counts = [pages(p) for p in pdfs]
        print(f"store computed first (not timed): {store_seconds:.1f} s")
        print(f"{'run':<10} {'seconds':>8} {'target':>7} {'met':>4} {'briefs':>6} {'rendered':>8} {'reused':>6}")
        for name, run, target, met in (("cold", cold, f"{TARGET_COLD:.0f}", cold["seconds"] <= TARGET_COLD),
                                       ("no-change", again, "0 new", again["rendered"] == 0)):  # fmt: skip
            print(f"{name:<10} {run['seconds']:>8.1f} {target:>7} {'yes' if met else 'NO':>4} {run['briefs']:>6} {run['rendered']:>8} {run['reused']:>6}")
        print(f"per brief, cold: {cold['seconds'] / max(cold['briefs'], 1):.2f} s (PDF and Word)")
        print(f"pages per PDF: {min(counts)} to {max(counts)}; {len(pdfs)} PDFs {sum(p.stat().st_size for p in pdfs) / 1e6:.1f} MB, "
              f"{len(words)} Word files {sum(p.stat().st_size for p in words) / 1e6:.1f} MB, "
              f"briefs-all.zip {(folder / 'briefs-all.zip').stat().st_size / 1e6:.1f} MB")  # fmt: skip
        print(f"peak memory of the largest process: {peak_mb:.0f} MB")
    finally:
        if not args.keep and args.out is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
