"""Publishing: Jupyter Book's Sphinx build of the staged source into ``<out>/html``, with
warnings as errors, and the downloads the store declares."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from jsna import store
from jsna.compute import disclosure
from jsna.config import Settings
from jsna.errors import BuildError
from jsna.files import write_if_changed
from jsna.inputs.disclosure import Policy
from jsna.inputs.places import AreaTypes
from jsna.store import TABLES, download_csv

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


def publish_downloads(settings: Settings, tables: dict[str, pd.DataFrame]) -> None:
    """Every store table declared with a download, as CSV under ``html/downloads/``."""
    downloads = settings.html / "downloads"
    for name, declared in TABLES.items():
        if declared.download:
            write_if_changed(downloads / declared.download, download_csv(name, tables[name]))


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
    """Each audited table's download says exactly what the store says, cell for cell."""
    for name in AUDITED:
        published = pd.read_csv(settings.html / "downloads" / TABLES[name].download, keep_default_na=False, na_values=[""])
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
