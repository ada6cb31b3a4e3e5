"""Where the build reads from and writes to: the one settings object every command builds."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from jsna.errors import BuildError

#: The project folder (templates, parameters, the demonstration data, node_modules).
ROOT = Path(__file__).resolve().parent.parent


#: The executors ``--executor`` accepts.
EXECUTORS = ("local", "dask")


@dataclass(frozen=True)
class Executor:
    """Where the plan's jobs run (jsna.book.executors): ``local`` (a process pool) or ``dask``,
    with a ``scheduler``: an address, or ``local:N`` for a LocalCluster of N workers."""

    kind: str = "local"
    scheduler: str | None = None

    def __post_init__(self):
        if self.kind not in EXECUTORS:
            raise BuildError(f"--executor {self.kind}: the executors are {', '.join(EXECUTORS)}")
        if self.kind == "dask" and not self.scheduler:
            raise BuildError("--executor dask needs --scheduler: a scheduler's address (tcp://host:8786) or local:N for N local workers")
        if self.kind == "local" and self.scheduler:
            raise BuildError("--scheduler is for --executor dask")
        if self.scheduler and self.scheduler.startswith("local:") and not self.scheduler[6:].isdigit():
            raise BuildError(f"--scheduler {self.scheduler}: write local:N, N a number of workers")


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
    #: Where jobs run: a local process pool (default) or a Dask cluster (jsna.book.executors).
    executor: Executor = Executor()
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
