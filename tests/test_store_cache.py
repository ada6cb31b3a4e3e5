"""The store is recomputed only when an input, the catalogue or the package changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from jsna.book import build
from jsna.config import Settings
from jsna.errors import DataError
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # each computes the whole demonstration store


def test_unchanged_inputs_reuse_the_store_and_a_changed_file_recomputes_it(tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "demo", data)
    settings = Settings(data=data, out=tmp_path / "out")
    first, parameters = build.build_store(settings)
    assert parameters.places

    calls = []
    real_load = build.load_inputs
    monkeypatch.setattr(build, "load_inputs", lambda *a, **k: calls.append(a) or real_load(*a, **k))
    again, _ = build.build_store(settings)
    assert calls == []  # read back, not recomputed
    assert set(again) == set(first)
    for name in first:  # what is published from them is the same
        assert again[name].to_csv(index=False) == first[name].to_csv(index=False), name

    survey = pd.read_csv(data / "survey.csv")
    survey.loc[0, "value"] += 1.0
    survey.to_csv(data / "survey.csv", index=False)
    changed, _ = build.build_store(settings)
    assert len(calls) == 1  # the changed file made it recompute
    smoking = changed["indicators"].query("indicator_id == 'adult_smoking' and area_type == 'borough'")
    assert not smoking["value"].equals(first["indicators"].query("indicator_id == 'adult_smoking' and area_type == 'borough'")["value"])


def test_a_bad_input_is_reported_even_after_a_good_build(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "demo", data)
    settings = Settings(data=data, out=tmp_path / "out")
    build.build_store(settings)
    before = (settings.store / "indicators.parquet").read_bytes()
    births = pd.read_csv(data / "births.csv")
    births.loc[3, "live_births"] = -1
    births.to_csv(data / "births.csv", index=False)
    with pytest.raises(DataError, match="births.csv, row 4"):
        build.build_store(settings)
    assert (settings.store / "indicators.parquet").read_bytes() == before  # nothing half-overwritten
