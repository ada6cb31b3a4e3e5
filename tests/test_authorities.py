"""Many authorities in one run (``python -m jsna build --authorities DIR``), on the local pool and
on a Dask LocalCluster: one book per authority from its own kit, one site with an index, and the
same bytes whichever executor ran the jobs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jsna.__main__ import main
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "kits"))
from make_exampleton import synthetic_kit  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def authorities(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two invented authorities of eight wards each (fewer leave too few small areas for deciles), made with the kit generator."""
    folder = tmp_path_factory.mktemp("authorities")
    for k in (7, 8):
        kit = synthetic_kit(folder.parent / f"kit{k}", k, wards=8)
        made = subprocess.run([sys.executable, "scripts/make_demo_data.py", "--geography", str(kit), "--out", str(folder / f"t{k}" / "data")],
                              cwd=ROOT, capture_output=True, text=True)  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert main(["parameters", "--kit", str(kit), "--out", str(folder / f"t{k}" / "parameters")]) == 0
    return folder


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(authorities: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The two authorities built on the local pool and on a Dask LocalCluster of two workers."""
    local, dask = tmp_path_factory.mktemp("local"), tmp_path_factory.mktemp("dask")
    assert main(["build", "--authorities", str(authorities), "--out", str(local), "--no-progress"]) == 0
    assert main(["build", "--authorities", str(authorities), "--out", str(dask), "--no-progress", "--executor", "dask", "--scheduler", "local:2"]) == 0
    return local, dask


def test_each_authority_gets_its_book_and_dask_builds_the_same_bytes(built: tuple[Path, Path]) -> None:
    local, dask = built
    site = local / "html"
    index = (site / "index.html").read_text(encoding="utf-8")
    for k in (7, 8):
        assert f'href="t{k}/index.html"' in index
        start = (site / f"t{k}" / "index.html").read_text(encoding="utf-8")
        assert f"Testshire {k}" in start and f"Testshire {15 - k}" not in start  # its own book, not the other's
    pages = files(site)
    assert pages == files(dask / "html")  # every page, chart, download and brief, byte for byte
    assert len([name for name in pages if name.endswith(".html")]) > 20


def test_a_failure_in_one_authority_names_it_and_leaves_the_last_site(authorities: Path, built: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    out = built[1]
    before = files(out / "html")
    broken = tmp_path / "broken"
    subprocess.run(["cp", "-r", str(authorities), str(broken)], check=True)
    births = broken / "t8" / "data" / "births.csv"
    births.write_text(births.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    assert main(["build", "--authorities", str(broken), "--out", str(out), "--no-progress", "--executor", "dask", "--scheduler", "local:2"]) == 1
    error = capsys.readouterr().err
    assert "authority t8" in error and "births.csv, line 1" in error and "Traceback" not in error
    assert files(out / "html") == before
