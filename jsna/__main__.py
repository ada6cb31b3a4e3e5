"""Command line: ``python -m jsna build``, ``python -m jsna plan --json`` and
``python -m jsna store describe``."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import traceback
from pathlib import Path

from jsna.book.build import build, describe_store, load_parameters, plan_for
from jsna.config import ROOT, Settings
from jsna.errors import BuildError, DataError


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
    build_parser.add_argument("--out", type=Path, default=ROOT / "_build", help="build folder (site in OUT/html)")
    build_parser.add_argument("--workers", type=int, default=None, help="notebooks executed at once (default: cores)")
    build_parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    store_parser = sub.add_parser("store", help="what the store holds")
    store_parser.add_argument("action", choices=["describe"], help="describe: print every declared table, its key and columns")
    args = parser.parse_args(argv)
    try:
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
        settings = Settings(
            data=args.data.resolve(), kpis=args.kpis.resolve(), catalogue=args.catalogue.resolve(), parameters=args.parameters.resolve(),
            out=args.out.resolve(), only=tuple(args.places), progress=not args.no_progress, **({"workers": args.workers} if args.workers else {}),
        )  # fmt: skip
        figures = build(settings)
        print(
            f"Built {figures['html']} in {figures['seconds']} s: {figures['jobs']} notebooks "
            f"({figures['executed']} executed, {figures['reused']} reused)."
        )
        print(figures["disclosure"])
        print("Seconds by stage: " + ", ".join(f"{name} {seconds}" for name, seconds in figures["stages"].items()))
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


def _previous(args: argparse.Namespace) -> str:
    """What a failed build left: the last good book, untouched."""
    out = getattr(args, "out", None)
    if args.command == "build" and out is not None and (out / "html" / "index.html").exists():
        return f"\nThe previous book in {out} is unchanged."
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
