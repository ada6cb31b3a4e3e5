"""The store declared once: producers make exactly the declared tables, saving checks them,
readers and downloads follow the same declarations, and ``python -m jsna store describe`` lists
them."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from jsna import store
from jsna.book import build
from jsna.compute import pipeline
from jsna.config import Settings
from jsna.errors import BuildError
from jsna.store import TABLES, Store
from tests.conftest import ROOT, declared, write_parameters, write_store


@pytest.fixture
def project(tmp_path: Path, tiny_data: Path) -> Settings:
    """The tiny inputs with the project's parameters, KPI data and catalogue."""
    parameters = write_parameters(tmp_path / "parameters", [{"all": "borough"}, {"all": "township"}])
    return Settings(data=tiny_data, parameters=parameters, out=tmp_path / "out", progress=False)


def test_every_declared_producer_exists_and_the_pipeline_makes_exactly_the_declared_tables(project: Settings) -> None:
    for producer, names in store.producers().items():
        module, function = producer.split(":")
        assert callable(getattr(importlib.import_module(module), function)), producer
        assert names, producer
    tables, _ = build.build_store(project)
    assert list(tables) == list(TABLES) or set(tables) == set(TABLES)
    for name, df in tables.items():
        store.check(name, df)  # the build checked them too; each is what it declares
    assert (project.store / "manifest.json").exists()


def test_a_producer_returning_an_undeclared_column_stops_the_build_and_writes_nothing(project: Settings, monkeypatch) -> None:
    real = pipeline.profile_tables

    def with_extra(inputs):
        tables = real(inputs)
        tables["age_structure"] = tables["age_structure"].assign(median_age=40.0)
        return tables

    monkeypatch.setattr(pipeline, "profile_tables", with_extra)
    with pytest.raises(BuildError, match="store table 'age_structure': column 'median_age' is not declared"):
        build.build_store(project)
    assert not project.store.exists() or not any(project.store.iterdir())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.drop(columns="share"), "declared column 'share' is missing"),
        (lambda df: df.assign(year=df["year"].astype(float)), "column 'year' should hold int values, not float64"),
        (lambda df: df.assign(area_code=1), "column 'area_code' should hold str values"),
        (lambda df: pd.concat([df, df.iloc[:1]]), "rows share a key"),
        (lambda df: df[list(reversed(df.columns))], "not in the declared order"),
    ],
    ids=["missing column", "wrong int", "wrong str", "duplicate key", "order"],
)
def test_saving_checks_each_table_against_its_declaration(tmp_path: Path, change, message: str) -> None:
    structure = declared("age_structure", pd.DataFrame(
        {"area_code": ["A", "A"], "year": [2020, 2020], "sex": ["Male", "Female"], "age_band": ["0-4", "0-4"], "population": [5, 6],
         "share": [45.5, 54.5]}
    ))  # fmt: skip
    store.check("age_structure", structure)
    folder = write_store(tmp_path / "store", {"age_structure": structure})  # valid: saved
    tables = {name: store.read_table(folder, name) for name in TABLES}
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(BuildError, match=message):
        store.save(folder, {**tables, "age_structure": change(structure)}, "another key")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # nothing written


def test_an_undeclared_or_missing_table_is_refused(tmp_path: Path) -> None:
    folder = write_store(tmp_path / "store", {})
    tables = {name: store.read_table(folder, name) for name in TABLES}
    with pytest.raises(BuildError, match="'ward_maps' is not declared"):
        store.save(tmp_path, {**tables, "ward_maps": pd.DataFrame()}, "key")
    del tables["funnels"]
    with pytest.raises(BuildError, match="'funnels' was not produced"):
        store.save(tmp_path, tables, "key")


def test_the_reader_reads_only_declared_tables_and_gives_lists_back(tmp_path: Path) -> None:
    catalogue = pd.DataFrame([{"indicator_id": "a", "title": "A (%)", "sex": ["Persons", "Male"], "areas": ["borough"], "windows": [1, 3]}])
    reader = Store(write_store(tmp_path / "store", {"catalogue": catalogue}))
    entry = reader.entry("a")
    assert entry["sex"] == ["Persons", "Male"] and entry["windows"] == [1, 3] and isinstance(entry["windows"][0], int)
    with pytest.raises(KeyError, match="not declared"):
        reader.table("secret_counts")
    csv = store.download_csv("catalogue", reader.catalogue)
    assert '"Persons, Male"' in csv and '"1, 3"' in csv  # lists are words in the download


def test_a_store_that_no_longer_matches_its_declaration_fails_on_reading(tmp_path: Path) -> None:
    folder = write_store(tmp_path / "store", {})
    pd.read_parquet(folder / "funnels.parquet").drop(columns="significance").to_parquet(folder / "funnels.parquet")
    with pytest.raises(BuildError, match="store table 'funnels': declared column 'significance' is missing"):
        Store(folder).table("funnels")


def test_store_describe_lists_every_table_and_column() -> None:
    result = subprocess.run([sys.executable, "-m", "jsna", "store", "describe"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    described = result.stdout
    for table in TABLES.values():
        assert f"## `{table.name}`" in described, table.name
        assert f"Producer: `{table.producer}`" in described
        for column in table.columns:
            assert f"| `{column.name}` | {column.kind} | " in described, (table.name, column.name)
        if table.download:
            assert f"downloads/{table.download}" in described
    assert "`le_sii`" in described  # and the methods an indicator can name
