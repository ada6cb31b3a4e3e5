"""Command line: ``python -m jsna build``, ``python -m jsna plan --json``,
``python -m jsna store describe``, ``python -m jsna parameters --kit KIT --out DIR``,
``python -m jsna fingertips FILE...``, ``python -m jsna release --version V --site DIR``,
``python -m jsna review --base REF`` and ``python -m jsna briefs --out DIR``."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tempfile
import traceback
from pathlib import Path

from jsna.book.build import build, describe_store, load_parameters, plan_for
from jsna.book.changes import compare_stores
from jsna.config import EXECUTORS, ROOT, Executor, Settings
from jsna.errors import BuildError, DataError
from jsna.inputs.fingertips import find_exports, read_exports
from jsna.inputs.kit import load_kit, write_kit_parameters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jsna", description="Build the JSNA book.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("plan", "print every notebook job"), ("build", "build the book")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--data", type=Path, default=ROOT / "data" / "demo", help="folder of input tables (default: the demo data)")
        p.add_argument("--parameters", type=Path, default=ROOT / "parameters", help="place types, places, chapters and release")
        p.add_argument("--places", nargs="*", default=[], metavar="CODE", help="build only these places")
    sub.choices["plan"].add_argument("--json", action="store_true", help="print the jobs as JSON")
    build_parser = sub.choices["build"]
    build_parser.add_argument("--kpis", type=Path, default=ROOT / "data" / "kpi", help="folder of KPI tables (default: data/kpi)")
    build_parser.add_argument("--catalogue", type=Path, default=ROOT / "data" / "indicators.yml", help="indicator catalogue (default: data/indicators.yml)")
    build_parser.add_argument("--fingertips", type=Path, default=None, metavar="DIR",
                              help="folder of OHID Fingertips extracts (default: data/fingertips)")  # fmt: skip
    build_parser.add_argument("--out", type=Path, default=ROOT / "_build", help="build folder (site in OUT/html)")
    build_parser.add_argument("--workers", type=int, default=None, help="notebooks executed at once (default: cores)")
    build_parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    build_parser.add_argument("--authorities", type=Path, default=None, metavar="DIR",
                              help="build one book per authority folder in DIR (each with data/ and parameters/) into one site")  # fmt: skip
    build_parser.add_argument("--executor", choices=EXECUTORS, default="local", help="where jobs run: a local process pool (default) or Dask")
    build_parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                              help="with --executor dask: a scheduler's address (tcp://host:8786), or local:N for a LocalCluster of N workers")  # fmt: skip
    briefs_parser = sub.add_parser("briefs", help="build only the places' printable briefs (PDF and Word), from the store of the build in --out")
    briefs_parser.add_argument("--out", type=Path, default=ROOT / "_build", help="the build folder whose store the briefs read (briefs in OUT/html/downloads/briefs)")
    briefs_parser.add_argument("--data", type=Path, default=ROOT / "data" / "demo", help="folder of input tables the book was built from (default: the demo data)")
    briefs_parser.add_argument("--parameters", type=Path, default=ROOT / "parameters", help="place types, places, chapters and release")
    briefs_parser.add_argument("--places", nargs="*", default=[], metavar="CODE", help="only these places (as the build was given)")
    briefs_parser.add_argument("--workers", type=int, default=None, help="briefs rendered at once (default: cores)")
    store_parser = sub.add_parser("store", help="what the store holds")
    store_parser.add_argument("action", choices=["describe"], help="describe: print every declared table, its key and columns")
    kit_parser = sub.add_parser("parameters", help="write the parameters of a book for a geography kit")
    kit_parser.add_argument("--kit", type=Path, required=True, help="a geography kit folder (data/README.md, Geography kits)")
    kit_parser.add_argument("--out", type=Path, required=True, help="the folder to write place_types.yml, places.yml, release.yml... into")
    kit_parser.add_argument("--real", action="store_true", help="the data are real, not the generator's synthetic events")
    diff_parser = sub.add_parser("diff", help="what changed between two stores (two builds' _build/store, or two editions' store)")
    diff_parser.add_argument("old", type=Path, help="the older store folder")
    diff_parser.add_argument("new", type=Path, help="the newer store folder")
    diff_parser.add_argument("--csv", type=Path, default=None, help="also write every change, one per row, to this CSV file")
    review_parser = sub.add_parser("review", help="what the working tree's change does to the book, against a git reference")
    review_parser.add_argument("--base", required=True, metavar="REF", help="the git reference to compare with (a branch, tag or commit)")
    review_parser.add_argument("--out", type=Path, default=None, help="review folder: both builds and the report (default: _build/review)")
    review_parser.add_argument("--places", nargs="*", default=[], metavar="CODE", help="build only these places")
    review_parser.add_argument("--workers", type=int, default=None, help="notebooks executed at once (default: cores)")
    fingertips_parser = sub.add_parser("fingertips", help="check and summarise Fingertips CSV exports (builds nothing)")
    fingertips_parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="Fingertips CSV exports, or folders of them")
    fingertips_parser.add_argument("--extracted", type=_date, default=None, metavar="YYYY-MM-DD",
                                   help="extraction date of files whose name has none")  # fmt: skip
    release_parser = sub.add_parser("release", help="build the book and publish it as an edition of a site folder")
    release_parser.add_argument("--site", type=Path, required=True, help="the site folder: DIR/VERSION, DIR/latest, DIR/index.html, DIR/editions.json")
    release_parser.add_argument("--version", default=None, help="the edition's version (default: release in parameters/release.yml, which it must match)")
    release_parser.add_argument("--work", type=Path, default=None, help="build folder to use and keep (default: a temporary folder)")
    release_parser.add_argument("--data", type=Path, default=ROOT / "data" / "demo", help="folder of input tables (default: the demo data)")
    release_parser.add_argument("--parameters", type=Path, default=ROOT / "parameters", help="place types, places, chapters, release (and release_notes.md)")
    release_parser.add_argument("--places", nargs="*", default=[], metavar="CODE", help="build only these places")
    release_parser.add_argument("--kpis", type=Path, default=ROOT / "data" / "kpi", help="folder of KPI tables (default: data/kpi)")
    release_parser.add_argument("--catalogue", type=Path, default=ROOT / "data" / "indicators.yml", help="indicator catalogue (default: data/indicators.yml)")
    release_parser.add_argument("--fingertips", type=Path, default=None, metavar="DIR", help="folder of OHID Fingertips extracts (default: data/fingertips)")
    release_parser.add_argument("--workers", type=int, default=None, help="notebooks executed at once (default: cores)")
    release_parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        if args.command == "fingertips":
            files = []
            for path in args.files:
                found = find_exports(path) if path.is_dir() else [path]
                if not found:
                    raise DataError(path, "no Fingertips exports (*.csv, *.csv.gz) in this folder")
                files += found
            print(read_exports(files, args.extracted).summary())
            return 0
        if args.command == "parameters":
            written = write_kit_parameters(load_kit(args.kit), args.out, synthetic=not args.real)
            print(f"Wrote {', '.join(written)} in {args.out}")
            return 0
        if args.command == "diff":
            for folder in (args.old, args.new):
                if not (folder / "manifest.json").is_file():
                    raise DataError(folder, "not a store (no manifest.json): give a build's _build/store or an edition's store folder")
            changes = compare_stores(args.old, args.new)
            print("\n".join(changes.summary()) or "No change.")
            if args.csv:
                args.csv.write_text(changes.to_csv(), encoding="utf-8")
                print(f"Every change: {args.csv}")
            return 0
        if args.command == "review":
            from jsna.book.review import review, write_report

            root = _checkout_root()
            out = (args.out or root / "_build" / "review").resolve()
            result = review(root, args.base, out, places=tuple(args.places), workers=args.workers)
            markdown, page = write_report(result, out)
            print("PASSES the checks." if result.passed else "FAILS: " + " ".join(result.failures))
            print(f"Report: {markdown} (for a pull-request comment) and {page}")
            return 0 if result.passed else 1
        if args.command == "briefs":
            from jsna.book.briefs import build_briefs
            from jsna.store import read_table

            settings = Settings(data=args.data.resolve(), parameters=args.parameters.resolve(), out=args.out.resolve(), only=tuple(args.places),
                                **({"workers": args.workers} if args.workers else {}))  # fmt: skip
            geography = read_table(settings.store, "geography") if (settings.store / "manifest.json").is_file() else None
            figures = build_briefs(settings, plan_for(settings, load_parameters(settings, geography)))
            print(f"Briefs of {figures['summary']} in {figures['seconds']} s: {settings.html / 'downloads' / 'briefs'}")
            return 0
        if args.command == "store":
            print(describe_store())
            return 0
        if args.command == "plan":
            settings = Settings(data=args.data.resolve(), parameters=args.parameters.resolve(), only=tuple(args.places))
            plan = plan_for(settings, load_parameters(settings))
            if args.json:
                print(json.dumps([job.to_dict() for job in plan.jobs], indent=2))
            else:
                for job in plan.jobs:
                    print(f"{job.template} -> {job.output}  {job.parameters}")
            return 0
        if args.command == "release":
            from jsna.book.editions import release

            settings = Settings(
                data=args.data.resolve(), kpis=args.kpis.resolve(), catalogue=args.catalogue.resolve(), parameters=args.parameters.resolve(),
                only=tuple(args.places), progress=not args.no_progress, **({"workers": args.workers} if args.workers else {}),
                **({"fingertips": _folder(args.fingertips)} if args.fingertips else {}),
            )  # fmt: skip
            published = release(settings, args.site, args.version, args.work)
            if published.build:
                figures = published.build
                print(f"Built in {figures['seconds']} s: {figures['jobs']} notebooks ({figures['executed']} executed, {figures['reused']} reused).")
                print(figures["disclosure"])
            print(published.message())
            return 0
        settings = Settings(
            data=args.data.resolve(), kpis=args.kpis.resolve(), catalogue=args.catalogue.resolve(), parameters=args.parameters.resolve(),
            out=args.out.resolve(), only=tuple(args.places), progress=not args.no_progress, **({"workers": args.workers} if args.workers else {}),
            **({"fingertips": _folder(args.fingertips)} if args.fingertips else {}), executor=Executor(args.executor, args.scheduler),
        )  # fmt: skip
        if args.authorities is not None:
            from jsna.book.authorities import build_authorities

            figures = build_authorities(settings, args.authorities.resolve())
        else:
            figures = build(settings)
        print(
            f"Built {figures['html']} in {figures['seconds']} s: {figures['jobs']} notebooks "
            f"({figures['executed']} executed, {figures['reused']} reused)."
        )
        print(figures["disclosure"])
        print("Seconds by stage: " + ", ".join(f"{name} {seconds}" for name, seconds in figures["stages"].items()))
        if "briefs" in figures:
            print(f"Briefs: {figures['briefs']['summary']}.")
        return 0
    except (DataError, BuildError) as error:
        print(f"error: {error}{_previous(args)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"error: interrupted{_previous(args)}", file=sys.stderr)
        return 1
    except Exception as error:  # a bug: say so, where, and keep the details out of the way
        where = traceback.extract_tb(error.__traceback__)[-1]
        report = _report(args, error)
        print(
            f"error: an internal error stopped the command; this is a bug, not a problem with your files "
            f"({type(error).__name__}: {error}, at {Path(where.filename).name}:{where.lineno}). "
            f"The details are in {report}.{_previous(args)}",
            file=sys.stderr,
        )
        return 1


def _checkout_root() -> Path:
    """The git checkout the command runs in (its top folder)."""
    import subprocess

    found = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    if found.returncode != 0:
        raise BuildError(f"review runs in a git checkout; {Path.cwd()} is not in one")
    return Path(found.stdout.strip()).resolve()


def _folder(path: Path) -> Path:
    """A folder named on the command line, which must exist (a default folder may not)."""
    if not path.is_dir():
        raise DataError(path, "folder not found")
    return path.resolve()


def _date(text: str) -> str:
    """An ISO date argument (``--extracted 2024-03-05``)."""
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


def _previous(args: argparse.Namespace) -> str:
    """What a failed build left: the last good book, untouched."""
    out = getattr(args, "out", None)
    if args.command == "build" and out is not None and (out / "html" / "index.html").exists():
        return f"\nThe previous book in {out} is unchanged."
    if args.command == "release":
        return f"\nNothing in the site folder {args.site} changed."
    return ""


def _report(args: argparse.Namespace, error: BaseException) -> Path:
    """Write the traceback of an internal error to a file; return its path."""
    folder = getattr(args, "out", None) or Path(tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "internal-error.txt"
    path.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
    return path


if __name__ == "__main__":
    sys.exit(main())
