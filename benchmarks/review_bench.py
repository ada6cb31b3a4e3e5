"""How long a review of a one-entry catalogue change takes, against a cold build (issue 17).

In a temporary git repository made from the project, one run measures:

1. a cold build of the default book (``python -m jsna build`` into an empty folder);
2. a review of a change to one catalogue entry (a polarity flipped) from nothing: the base's
   build, the working tree's (which starts from a copy of the base's and re-executes only the
   pages that read the indicator), the comparison and the report;
3. the same review again, as a reviewer re-running it after a push: the base's build reused.

It prints the seconds, the notebooks executed, and the review's time as a share of two cold
builds. Run it on a quiet machine: ``.venv/bin/python benchmarks/review_bench.py [--indicator ID]``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_repo(folder: Path) -> Path:
    """The project's sources (what git would commit) as a one-commit repository."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard", "-z"], capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        if (ROOT / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, folder / name)
    (folder / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", "-c", "user.email=bench@example.org", "-c", "user.name=bench", "-C", str(folder), *args], check=True)
    return folder


def run(repo: Path, *args: str) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "jsna", *args], cwd=repo, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"python -m jsna {' '.join(args)} failed:\n{done.stderr}")
    return seconds, done.stdout + done.stderr


def flip_polarity(repo: Path, indicator: str) -> None:
    catalogue = repo / "data" / "indicators.yml"
    text = catalogue.read_text(encoding="utf-8")
    entry = re.search(rf"- id: {re.escape(indicator)}\n(?:  .*\n)+", text).group(0)
    flipped = entry.replace("Low is good", "@").replace("High is good", "Low is good").replace("@", "High is good")
    catalogue.write_text(text.replace(entry, flipped), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indicator", default="physical_inactivity", help="the catalogue entry whose polarity is flipped")
    parser.add_argument("--keep", type=Path, default=None, help="copy the report (review.md, review.html, images) into this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="review-bench-") as tmp:
        repo = make_repo(Path(tmp) / "repo")
        cold, log = run(repo, "build", "--out", str(Path(tmp) / "cold"), "--no-progress")
        jobs = re.search(r"(\d+) notebooks", log).group(1)
        print(f"cold build of the default book: {cold:.1f} s ({jobs} notebooks)")
        flip_polarity(repo, args.indicator)
        out = Path(tmp) / "review"
        first, log = run(repo, "review", "--base", "HEAD", "--out", str(out))
        report = (out / "review.md").read_text(encoding="utf-8")
        built = re.findall(r"- (.*?): built in ([\d.]+) s \((\d+) notebooks executed, (\d+) reused\)", report)
        print(f"review of one flipped polarity ({args.indicator}), from nothing: {first:.1f} s")
        for side, seconds, executed, reused in built:
            print(f"    {side}: {seconds} s, {executed} notebooks executed, {reused} reused")
        print(f"    = {first / (2 * cold):.0%} of two cold builds ({2 * cold:.1f} s)")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for name in ("review.md", "review.html", "changes.csv", "images"):
                if (out / name).is_dir():
                    shutil.copytree(out / name, args.keep / name, dirs_exist_ok=True)
                elif (out / name).exists():
                    shutil.copy2(out / name, args.keep / name)
        again, _ = run(repo, "review", "--base", "HEAD", "--out", str(out))
        print(f"the same review again (base reused): {again:.1f} s = {again / cold:.0%} of one cold build")
        print(f"report: {len(report):,} characters of Markdown; first lines:")
        print("\n".join("    " + line for line in report.splitlines()[:14]))


if __name__ == "__main__":
    main()
