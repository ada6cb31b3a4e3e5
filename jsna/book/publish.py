"""Publishing: Jupyter Book's Sphinx build of the staged source into ``<out>/html``, with
warnings as errors, the downloads the store declares (each row with its source and release) and
each chart's CSV file (``downloads/charts/``, from the executed notebooks)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from jsna import store
from jsna.book.stylesheets import prune_stylesheets
from jsna.compute import disclosure
from jsna.config import Settings
from jsna.errors import BuildError
from jsna.files import write_if_changed
from jsna.inputs.disclosure import Policy
from jsna.inputs.places import AreaTypes
from jsna.inputs.release import Release, load_release
from jsna.pages import charts
from jsna.store import TABLES, csv_cell, download_csv

#: Appended to Jupyter Book's generated conf.py. sphinx-thebe (live code, which this book does
#: not offer) writes a CDN address into every page and declares it twice, a script error.
DROP_EXTENSIONS = '\n# Added by jsna.book.publish: no live-code extension.\nextensions = [e for e in extensions if e != "sphinx_thebe"]\n'


def run_sphinx(settings: Settings) -> None:
    """Jupyter Book's Sphinx configuration, then sphinx-build with warnings as errors."""
    bin_dir = Path(sys.executable).parent
    jb = shutil.which("jupyter-book", path=str(bin_dir)) or "jupyter-book"
    generated = subprocess.run([jb, "config", "sphinx", str(settings.book)], capture_output=True, text=True)
    if generated.returncode != 0:
        raise BuildError(f"jupyter-book config sphinx failed:\n{generated.stderr or generated.stdout}")
    conf = settings.book / "conf.py"
    conf.write_text(conf.read_text(encoding="utf-8") + DROP_EXTENSIONS, encoding="utf-8")
    command = [
        sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
        "-d", str(settings.out / "doctrees"), str(settings.book), str(settings.html),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"Jupyter Book (Sphinx) failed with warnings treated as errors:\n{result.stderr[-6000:]}")
    prune_stylesheets(settings.html)  # Sphinx copies the themes' full stylesheets on every run


def publish_downloads(settings: Settings, tables: dict[str, pd.DataFrame]) -> None:
    """Every store table declared with a download, as CSV under ``html/downloads/``, each row with
    its source and release (:func:`download_table`); then every chart's CSV file
    (:func:`publish_chart_downloads`)."""
    release = load_release(settings.release)
    downloads = settings.html / "downloads"
    for name, declared in TABLES.items():
        if declared.download:
            write_if_changed(downloads / declared.download, download_csv(name, download_table(name, tables, release)))
    publish_chart_downloads(settings, release)


#: Columns a chart's CSV ends with: which release of the book it is, and its data vintage.
RELEASE_COLUMNS = charts.CSV_PROVENANCE[1:]


def download_table(name: str, tables: dict[str, pd.DataFrame], release: Release) -> pd.DataFrame:
    """Store table ``name`` as it is downloaded: the declared columns, then the indicator's
    ``source`` (from the catalogue) where the table names indicators and has no source of its
    own, then the ``release`` on every row. The definitions (``catalogue``) also say the periods
    each indicator has (:func:`periods_available`) and the release's ``data_vintage``, which
    the large tables leave to them (a sentence on each of thousands of rows)."""
    out = tables[name].copy()
    catalogue = tables["catalogue"].set_index("indicator_id")
    if name == "catalogue":
        periods = periods_available(tables["indicators"])
        for column in ("first_period", "last_period", "periods"):
            out[column] = [periods[column].get(i, "") for i in out["indicator_id"]]
    elif "indicator_id" in out.columns and "source" not in out.columns:
        sources = catalogue["source"].to_dict()
        out["source"] = [sources.get(i, "") for i in out["indicator_id"]]
    out["release"] = release.release
    if name == "catalogue":
        out["data_vintage"] = release.data_vintage
    return out


def periods_available(indicators: pd.DataFrame) -> pd.DataFrame:
    """For each indicator, the periods the store has a published value for: ``first_period`` and
    ``last_period`` of its shortest window, and ``periods`` in words for every window ("2013 to
    2022 (single years); 2011 - 13 to 2020 - 22 (3 years pooled)"). Indexed by indicator id."""
    shown = indicators.loc[indicators["value"].notna(), ["indicator_id", "years", "period_end", "period"]]
    rows = {}
    for indicator_id, group in shown.groupby("indicator_id", sort=True):
        spans = []
        for years, window in group.sort_values(["years", "period_end"]).groupby("years", sort=True):
            first, last = window["period"].iloc[0], window["period"].iloc[-1]
            span = first if first == last else f"{first} to {last}"
            spans.append((first, last, f"{span} ({'single years' if years == 1 else f'{years} years pooled'})"))
        rows[indicator_id] = {"first_period": spans[0][0], "last_period": spans[0][1], "periods": "; ".join(s[2] for s in spans)}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["first_period", "last_period", "periods"])


# --------------------------------------------------------------------------------------------
# Each chart's CSV file
# --------------------------------------------------------------------------------------------
CHART_FOLDER = Path(*charts.CHART_DOWNLOADS.split("/"))
#: A link to a chart's CSV in a page's HTML.
CHART_LINK = re.compile(r'href="([^"]*' + re.escape(charts.CHART_DOWNLOADS) + r'/[^"]+)"')


def chart_files(book: Path) -> dict[str, str]:
    """Every chart CSV the executed notebooks in ``book`` hold (file name -> CSV text), from the
    figures' output metadata (:data:`jsna.pages.charts.CHART_CSV`). Two figures with one file
    name hold the same CSV (the name ends with a hash of it); anything else stops the build."""
    files: dict[str, str] = {}
    for path in sorted(book.rglob("*.ipynb")):
        if path.name.endswith(".partial.ipynb"):
            continue
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook.get("cells", []):
            for output in cell.get("outputs", []):
                found = output.get("metadata", {}).get(charts.CHART_CSV)
                if not found:
                    continue
                name, text = found["file"], found["csv"]
                if not re.fullmatch(r"[A-Za-z0-9._-]+\.csv", name):
                    raise BuildError(f"{path.relative_to(book)}: a chart's CSV file name {name!r} is not a plain file name")
                if files.setdefault(name, text) != text:
                    raise BuildError(f"{path.relative_to(book)}: two charts' CSV files are both called {name!r} and differ")
    return files


def with_release(text: str, release: Release) -> str:
    """A chart's CSV with its ``release`` and ``data_vintage`` columns filled in (formula-safe)."""
    rows = list(csv.reader(io.StringIO(text)))
    where = [rows[0].index(column) for column in RELEASE_COLUMNS]
    for row in rows[1:]:
        for i, value in zip(where, (release.release, release.data_vintage)):
            row[i] = csv_cell(value)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def publish_chart_downloads(settings: Settings, release: Release) -> int:
    """Write every chart's CSV to ``html/downloads/charts/`` and remove the files no page links
    to any more (a copy of the last build is the starting point); returns how many there are."""
    folder = settings.html / CHART_FOLDER
    files = chart_files(settings.book)
    for name, text in files.items():
        write_if_changed(folder / name, with_release(text, release))
    if folder.is_dir():
        for path in folder.iterdir():
            if path.name not in files:
                path.unlink()
    return len(files)


def check_chart_links(html: Path) -> int:
    """Every link to a chart's CSV on every page of the site leads to its file; how many there are."""
    return check_links(html, CHART_LINK)


def check_links(html: Path, pattern: re.Pattern, advice: str = "") -> int:
    """Every link ``pattern`` finds on every page of the site leads to a file of the site (relative
    to the page, so it works on a server and from the file system); returns how many links there
    are. ``advice`` ends the error."""
    links = 0
    for page in sorted(html.rglob("*.html")) if html.is_dir() else []:
        for href in pattern.findall(page.read_text(encoding="utf-8")):
            links += 1
            target = (page.parent / href).resolve()
            if not target.is_file() or html.resolve() not in target.parents:
                raise BuildError(f"{page.relative_to(html)} links to {href}, which the site does not have{advice}")
    return links


# --------------------------------------------------------------------------------------------
# The disclosure audit of what is published
# --------------------------------------------------------------------------------------------
#: The store tables whose counts the disclosure audit reads, and the columns a download must match.
AUDITED = ("indicators", "breakdowns")
MATCHED = ["count", "denominator", "value", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8", "note"]


def audit_store(settings: Settings, policy: Policy, area_types: AreaTypes) -> disclosure.Audit:
    """The disclosure audit of the store as the pages read it (the parquet files, read back);
    a withheld count that can be narrowed too far stops the build, naming it."""
    tables = {name: store.read_table(settings.store, name) for name in (*AUDITED, "catalogue", "geography")}
    found = disclosure.audit_published(tables["indicators"], tables["breakdowns"], tables["catalogue"], tables["geography"], area_types, policy)
    if not found.failing.empty:
        raise BuildError(f"disclosure audit of the store: {disclosure.describe_failure(found)}")
    return found


def check_downloads(settings: Settings) -> None:
    """Each audited table's download says exactly what the store says, cell for cell, and every
    chart's CSV link leads to its file (:func:`check_chart_links`)."""
    check_chart_links(settings.html)
    for name in AUDITED:
        published = pd.read_csv(settings.html / "downloads" / TABLES[name].download, keep_default_na=False, na_values=[""], low_memory=False)
        stored = store.read_table(settings.store, name)
        for column in MATCHED:
            left, right = published[column], stored[column]
            if column == "note":  # an empty note reads back from CSV as missing
                same = np.array([_text(x) for x in left]) == np.array([_text(x) for x in right])
            else:
                a, b = left.to_numpy(float), right.to_numpy(float)
                same = (np.isnan(a) & np.isnan(b)) | np.isclose(a, b, rtol=1e-12, atol=0)
            if len(published) != len(stored) or not same.all():
                row = int(np.flatnonzero(~same)[0]) if len(published) == len(stored) else 0
                raise BuildError(f"downloads/{TABLES[name].download}, row {row + 1}, column '{column}' differs from the store the pages read")


def disclosure_line(tables: dict[str, pd.DataFrame], found: disclosure.Audit, policy: Policy) -> str:
    """The build's one line on disclosure control."""
    summary = tables["disclosure_summary"]
    rule, protect, cells = (int(summary[c].sum()) for c in ("withheld_by_rule", "withheld_to_protect", "cells"))
    if not len(found.ranges):
        narrowest = "no count withheld"
    elif np.isinf(found.narrowest):
        narrowest = "no withheld count has an upper bound"
    else:
        narrowest = f"the narrowest range is {found.narrowest:g} values"
    share = 100 * (rule + protect) / cells if cells else 0.0
    return (f"Disclosure: {rule} counts withheld by the rule, {protect} to protect them ({share:.1f}% of {cells:,} covered counts); "
            f"audit of the published store: {narrowest} (the policy needs {policy.protection}).")


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


#: Pages Sphinx writes that no source document has.
SPHINX_PAGES = {"search.html", "genindex.html", "py-modindex.html"}


def toc_documents(book: Path) -> set[str]:
    """The documents the book's ``_toc.yml`` lists ("borough/dudley/live_well"): the pages the
    site has (Jupyter Book builds only those)."""
    found: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    found.add(str(Path(node[key]).with_suffix("")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load((book / "_toc.yml").read_text(encoding="utf-8")))
    return found


def remove_unlisted_pages(html: Path, documents: set[str]) -> list[str]:
    """Delete every page of the site that no document of this build made: Sphinx leaves a page
    of a removed place (or chapter) from an earlier build in place, where a reader could still
    reach and cite it. Returns the pages removed."""
    wanted = {f"{doc}.html" for doc in documents} | SPHINX_PAGES
    removed = []
    for path in sorted(html.rglob("*.html")):
        relative = path.relative_to(html).as_posix()
        if relative.split("/")[0].startswith("_") or relative in wanted:
            continue
        path.unlink()
        removed.append(relative)
    for folder in sorted({p.parent for p in map(html.joinpath, removed)}, key=lambda p: -len(p.parts)):
        if folder != html and not any(folder.iterdir()):
            folder.rmdir()
    return removed
