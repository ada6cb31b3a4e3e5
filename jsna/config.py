"""Where the build reads from and writes to: the one settings object every command builds."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: The project folder (templates, parameters, the demonstration data, node_modules).
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    root: Path = ROOT
    data: Path = ROOT / "data" / "demo"
    reference: Path = ROOT / "data" / "reference"
    catalogue: Path = ROOT / "data" / "indicators.yml"
    kpis: Path = ROOT / "data" / "kpi"
    #: OHID Fingertips extracts (CSV exports) the catalogue's ``fingertips_id`` entries read; a
    #: folder that does not exist holds none.
    fingertips: Path = ROOT / "data" / "fingertips"
    parameters: Path = ROOT / "parameters"
    out: Path = ROOT / "_build"
    only: tuple[str, ...] = ()
    workers: int = max(1, os.cpu_count() or 1)
    progress: bool = True
    #: Where a failed notebook is kept (a staged build keeps it beside the last good book).
    kept_failures: Path | None = None

    @property
    def store(self) -> Path:
        return self.out / "store"

    @property
    def book(self) -> Path:
        return self.out / "book"

    @property
    def html(self) -> Path:
        return self.out / "html"

    @property
    def failed(self) -> Path:
        """Where a notebook that failed is kept for inspection."""
        return self.kept_failures or self.out / "failed"

    @property
    def area_types(self) -> Path:
        """The kinds of area and what the book does with each (``parameters/place_types.yml``)."""
        return self.parameters / "place_types.yml"

    @property
    def places(self) -> Path:
        return self.parameters / "places.yml"

    @property
    def chapters(self) -> Path:
        return self.parameters / "chapters.yml"

    @property
    def release(self) -> Path:
        return self.parameters / "release.yml"

    @property
    def disclosure(self) -> Path:
        """The disclosure policy: the small-number rule and the indicators it covers."""
        return self.parameters / "disclosure.yml"

    @property
    def spc_rules(self) -> Path:
        """Optional special-cause rules of the KPI control charts (``parameters/spc.yml``)."""
        return self.parameters / "spc.yml"
