"""Publishing: Jupyter Book's Sphinx build of the staged source into ``<out>/html``, with
warnings as errors, and the downloads the store declares."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from jsna.config import Settings
from jsna.errors import BuildError
from jsna.files import write_if_changed
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
