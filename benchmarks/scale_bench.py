"""Scale: many authorities' books in one run, on 1 and 2 local workers and on a Dask LocalCluster.

Invented authorities are made with the kit generator (``tests/kits/make_exampleton.py``,
``synthetic_kit``; about 20 wards each) and the demonstration data generator, once, in a cache
folder. Each configuration then builds them all cold (an empty build folder) with
``python -m jsna build --authorities DIR``, while the process tree is sampled for memory. It prints,
per configuration: seconds, seconds per authority, jobs per second (stores, notebooks and sites),
the peak memory of the largest worker process (a pool worker or its notebook kernel) and of the
whole tree, and the speed-up from 1 to 2 workers; then what 300 authorities would take on a
cluster, from the measured cost of one authority on one worker.

Run on a quiet machine: ``.venv/bin/python benchmarks/scale_bench.py [--sizes 1 10 50] [--wards 20]``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))
from make_exampleton import synthetic_kit  # noqa: E402

CONFIGURATIONS = {
    "local, 1 worker": ["--workers", "1"],
    "local, 2 workers": ["--workers", "2"],
    "Dask LocalCluster, 2 workers": ["--workers", "2", "--executor", "dask", "--scheduler", "local:2"],
}


def make_authorities(cache: Path, count: int, wards: int) -> Path:
    """``count`` invented authorities (made once, then reused) in ``cache/N``."""
    folder = cache / f"{count}x{wards}"
    for k in range(1, count + 1):
        target = folder / f"a{k:02d}"
        if (target / "parameters" / "places.yml").exists():
            continue
        kit = synthetic_kit(cache / "kits" / f"{k:02d}x{wards}", k, wards=wards)
        subprocess.run([sys.executable, "scripts/make_demo_data.py", "--geography", str(kit), "--out", str(target / "data")],
                       cwd=ROOT, check=True, capture_output=True)  # fmt: skip
        subprocess.run([sys.executable, "-m", "jsna", "parameters", "--kit", str(kit), "--out", str(target / "parameters")],
                       cwd=ROOT, check=True, capture_output=True)  # fmt: skip
    return folder


class Sampler:
    """Peak resident memory of the largest process and of the whole tree under ``pid``."""

    def __init__(self, pid: int):
        self.root, self.largest, self.tree, self.running = psutil.Process(pid), 0, 0, True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while self.running:
            try:
                processes = [self.root, *self.root.children(recursive=True)]
                sizes = []
                for process in processes:
                    try:
                        sizes.append(process.memory_info().rss)
                    except psutil.Error:
                        pass
                if sizes:
                    self.largest, self.tree = max(self.largest, max(sizes[1:] or sizes)), max(self.tree, sum(sizes))
            except psutil.Error:
                pass
            time.sleep(0.25)

    def stop(self) -> None:
        self.running = False
        self.thread.join()


def build(authorities: Path, out: Path, options: list[str]) -> tuple[float, dict, Sampler]:
    command = [sys.executable, "-m", "jsna", "build", "--authorities", str(authorities), "--out", str(out), "--no-progress", *options]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(process.pid)
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    sampler.stop()
    if process.returncode != 0:
        sys.exit(f"build failed ({' '.join(options)}):\n{stderr[-3000:]}")
    notebooks = int(re.search(r"(\d+) notebooks", stdout).group(1))
    stages = dict((name, float(value)) for name, value in re.findall(r"(\w+) ([\d.]+)", stdout.split("Seconds by stage:")[1]))
    return seconds, {"notebooks": notebooks, "stages": stages}, sampler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10], help="numbers of authorities (default 1 10; the issue's 50 takes long)")
    parser.add_argument("--wards", type=int, default=20, help="wards per authority (default 20)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "jsna-scale-bench", help="where the authorities are made once")
    args = parser.parse_args()
    per_authority = None
    for count in args.sizes:
        folder = make_authorities(args.cache, count, args.wards)
        print(f"\n{count} authorit{'y' if count == 1 else 'ies'} of {args.wards} wards")
        timings = {}
        for name, options in CONFIGURATIONS.items():
            with tempfile.TemporaryDirectory(prefix="scale-") as out:
                seconds, figures, sampler = build(folder, Path(out), options)
            jobs = figures["notebooks"] + 2 * count  # notebooks, a store job and a site job per authority
            timings[name] = seconds
            stages = ", ".join(f"{k} {v:.1f} s" for k, v in figures["stages"].items())
            print(f"  {name:30} {seconds:7.1f} s  {seconds / count:6.1f} s/authority  {jobs / seconds:5.2f} jobs/s  "
                  f"peak worker {sampler.largest / 2**20:6.0f} MiB, tree {sampler.tree / 2**20:6.0f} MiB  ({stages})")  # fmt: skip
        one, two = timings["local, 1 worker"], timings["local, 2 workers"]
        print(f"  speed-up from 1 to 2 local workers: {one / two:.2f}x; Dask LocalCluster against the local pool: {two / timings['Dask LocalCluster, 2 workers']:.2f}x")
        per_authority = one / count
    if per_authority is not None:
        print(f"\nOne authority costs {per_authority:.0f} worker-seconds (1 worker, {args.wards} wards). For 300 authorities:")
        for workers in (2, 16, 64, 256):
            print(f"  {workers:4} workers: about {300 * per_authority / workers / 60:6.1f} minutes (at perfect scaling; the jobs are independent)")


if __name__ == "__main__":
    main()
