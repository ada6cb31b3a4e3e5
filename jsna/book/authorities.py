"""Many authorities in one run: ``python -m jsna build --authorities DIR``.

``DIR`` holds one folder per authority, named by a short id (letters, digits, ``.``, ``_``,
``-``), each with that authority's ``data/`` and ``parameters/`` (what ``make_demo_data.py
--geography KIT`` and ``python -m jsna parameters --kit KIT`` write), and optionally ``kpi/`` and
``fingertips/``. Each authority gets its own book from its own data and parameters, in
``<out>/authorities/<id>/``; the site is ``<out>/html/``: an index of the authorities and each
authority's book in ``<out>/html/<id>/``.

The work runs as jobs on the executor (:mod:`jsna.book.executors`): first each authority's store,
audit and staged source (one job each), then every notebook of every authority (one set of jobs),
then each authority's site, downloads and briefs (one job each). As for one book, everything is
built in ``<out>/.staging`` and swapped in only when every authority succeeded.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from jsna import store
from jsna.book.build import Laps, Prepared, atomically, finish_book, prepare_book
from jsna.book.execute import execute_plans
from jsna.book.executors import progress, run_jobs
from jsna.book.plan import Plan
from jsna.book.publish import check_downloads
from jsna.config import Settings
from jsna.errors import BuildError, DataError
from jsna.inputs.release import load_release

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class Authority:
    id: str
    folder: Path

    def settings(self, run: Settings, out: Path) -> Settings:
        """The build settings of this authority's book, in ``out``."""
        kpis = self.folder / "kpi"
        return replace(run, data=self.folder / "data", parameters=self.folder / "parameters", out=out, fingertips=self.folder / "fingertips",
                       kpis=kpis if kpis.is_dir() else run.kpis, kept_failures=run.out / "failed" / self.id, progress=False)  # fmt: skip


def find_authorities(folder: Path) -> list[Authority]:
    """Every authority folder in ``folder``, by id; an error names what is missing."""
    if not folder.is_dir():
        raise DataError(folder, "folder not found (--authorities needs a folder with one folder per authority)")
    found = []
    for path in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not SAFE_ID.fullmatch(path.name):
            raise DataError(path, "an authority's folder name is its id in the site's addresses: letters, digits, '.', '_' and '-'")
        for needed in ("data", "parameters"):
            if not (path / needed).is_dir():
                raise DataError(path, f"has no {needed}/ folder (an authority's folder holds data/ and parameters/)")
        found.append(Authority(path.name, path.resolve()))
    if not found:
        raise DataError(folder, "holds no authority folder (each with data/ and parameters/)")
    return found


def build_authorities(run: Settings, folder: Path) -> dict:
    """Build every authority's book and the index of them, atomically; figures for the log."""
    authorities = find_authorities(folder)
    figures = atomically(run.out, lambda staging: _build_all(run, authorities, staging))
    figures["html"] = str(run.html / "index.html")
    return figures


def _build_all(run: Settings, authorities: list[Authority], staging: Path) -> dict:
    laps = Laps()
    books = [a.settings(run, staging / "authorities" / a.id) for a in authorities]
    bar = progress(len(books), "Stores", run.progress)
    prepared = run_jobs(run.executor, run.workers, prepare_job, [(s,) for s in books], done=lambda _: bar.update(1))
    bar.close()
    laps.lap("stores")
    counts = execute_plans([(s, plan) for s, (plan, _) in zip(books, prepared)], run)
    laps.lap("notebooks")
    bar = progress(len(books), "Sites", run.progress)
    run_jobs(run.executor, run.workers, finish_job, [(s, plan, line) for s, (plan, line) in zip(books, prepared)], done=lambda _: bar.update(1))
    bar.close()
    laps.lap("sites")
    site = staging / "html"
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    for authority, settings in zip(authorities, books):
        shutil.copytree(settings.html, site / authority.id, copy_function=_link)
    (site / "index.html").write_text(index_page(authorities, books), encoding="utf-8")
    (staging / ".complete").touch()
    return {**counts, "authorities": len(authorities), "seconds": laps.seconds, "stages": laps.stages,
            "disclosure": f"{len(authorities)} authorities, each audited: " + "; ".join(f"{a.id}: {line.split(';')[0]}" for a, (_, line) in zip(authorities, prepared))}  # fmt: skip


def prepare_job(settings: Settings) -> tuple[Plan, str]:
    """One authority's store, disclosure audit and staged book source (a job on a worker)."""
    try:
        prepared = prepare_book(settings)
    except (BuildError, DataError) as error:
        raise BuildError(f"authority {settings.out.name}: {error}") from None
    return prepared.plan, prepared.disclosure


def finish_job(settings: Settings, plan: Plan, disclosure: str) -> str:
    """One authority's site, downloads and briefs, checked (a job on a worker)."""
    from jsna.book.briefs import BriefStage

    tables = {name: store.read_table(settings.store, name) for name in store.TABLES}  # as the first job wrote it
    prepared = Prepared(plan, tables, disclosure)
    try:
        with BriefStage(settings, plan, tables) as briefs:
            finish_book(settings, prepared)
            briefs.publish()
        check_downloads(settings)
    except (BuildError, DataError) as error:
        raise BuildError(f"authority {settings.out.name}: {error}") from None
    return settings.out.name


def index_page(authorities: list[Authority], books: list[Settings]) -> str:
    """The site's front page: every authority, its book's title, release and number of pages."""
    rows = []
    for authority, settings in zip(authorities, books):
        release = load_release(settings.release)
        pages = sum(1 for _ in settings.html.rglob("*.html"))
        rows.append(f'<tr><td><a href="{html.escape(authority.id)}/index.html">{html.escape(release.title)}</a></td>'
                    f"<td>{html.escape(release.release)}</td><td>{html.escape(release.data_vintage)}</td><td>{pages}</td></tr>")  # fmt: skip
    synthetic = any(load_release(s.release).synthetic for s in books)
    warning = '<p class="warning"><strong>Synthetic data:</strong> some of these books are built from invented figures.</p>' if synthetic else ""
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Joint Strategic Needs Assessments: {len(authorities)} authorities</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111;line-height:1.5}}
table{{border-collapse:collapse;width:100%}}th,td{{border-bottom:1px solid #ccc;padding:.4rem;text-align:left}}
.warning{{background:#fff4ce;border-left:6px solid #8a6d00;padding:.5rem 1rem}}a{{color:#005ea5}}</style></head>
<body><main><h1>Joint Strategic Needs Assessments</h1>{warning}
<p>One book for each of {len(authorities)} authorities, each built from its own data and parameters.</p>
<table><caption>The authorities' books</caption><thead><tr><th scope="col">Book</th><th scope="col">Release</th>
<th scope="col">Data</th><th scope="col">Pages</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table></main></body></html>
"""


def _link(source: str, target: str) -> None:
    """Hard-link a file of an authority's site into the combined site (copy across devices)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
