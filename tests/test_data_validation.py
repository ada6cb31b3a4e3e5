"""Each kind of bad input gives its own clear error naming file, row, column and problem."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from jsna.errors import DataError
from jsna.inputs.tables import load_inputs
from tests.conftest import tiny_tables, write_tables


def test_tiny_data_is_valid(tiny_data: Path, reference: Path) -> None:
    inputs = load_inputs(tiny_data, reference)
    assert set(inputs.tables) >= {"geography", "population", "deaths", "survey"}
    assert inputs["population"]["population"].dtype == "int64"
    assert inputs["deaths"]["preventable"].dtype == bool
    assert len(inputs.comparators) > 0


def load_with(tmp_path: Path, reference: Path, table: str, change) -> DataError:
    """Write the tiny tables with one table changed and return the error loading raises."""
    tables = tiny_tables()
    tables[table] = change(tables[table].copy())
    folder = write_tables(tmp_path / "bad", tables)
    with pytest.raises(DataError) as caught:
        load_inputs(folder, reference)
    return caught.value


def set_cell(row: int, column: str, value):
    def change(df: pd.DataFrame) -> pd.DataFrame:
        df[column] = df[column].astype(object)
        df.loc[row, column] = value
        return df

    return change


CASES = [
    # (label, table, change, row (1-based data row), column, words in the message)
    ("negative count", "population", set_cell(4, "population", -3), 5, "population", "negative"),
    ("not a number", "population", set_cell(2, "population", "many"), 3, "population", "not a number"),
    ("not whole", "births", set_cell(0, "live_births", 30.5), 1, "live_births", "whole number"),
    ("unknown sex", "population", set_cell(7, "sex", "M"), 8, "sex", "not allowed"),
    ("unknown age band", "deaths", set_cell(0, "age_band", "80-85"), 1, "age_band", "not allowed"),
    ("unknown cause", "deaths", set_cell(0, "cause", "covid"), 1, "cause", "not allowed"),
    ("bad boolean", "deaths", set_cell(0, "preventable", "yes"), 1, "preventable", "not true or false"),
    ("missing value", "registers", set_cell(0, "list_size", ""), 1, "list_size", "missing"),
    ("numerator above denominator", "births", set_cell(0, "term_live_births", 31), 1, "term_live_births", "greater than live_births"),
    ("register above list", "registers", set_cell(0, "register", 5000), 1, "register", "greater than list_size"),
    ("unknown area code", "births", set_cell(0, "area_code", "XS9999999"), 1, "area_code", "not in geography"),
    ("wrong area type", "births", set_cell(0, "area_code", "XW0000001"), 1, "area_code", "is a ward"),
    ("practice where small area expected", "registers", set_cell(0, "area_code", "XS0000001"), 1, "area_code", "is a small_area"),
    ("decile out of range", "deprivation", set_cell(1, "imd_decile", 11), 2, "imd_decile", "above 10"),
    ("percentage out of range", "survey", set_cell(0, "value", 140), 1, "value", "above 100"),
    ("unknown parent", "geography", set_cell(4, "parent_code", "XT0000009"), 5, "parent_code", "not an area_code"),
    ("parent of wrong type", "geography", set_cell(4, "parent_code", "E08000027"), 5, "parent_code", "must be a township"),
    ("unknown area type", "geography", set_cell(4, "area_type", "county"), 5, "area_type", "is not an area type of parameters/place_types.yml"),
]


@pytest.mark.parametrize("label,table,change,row,column,words", CASES, ids=[c[0] for c in CASES])
def test_bad_cell_names_file_row_column(tmp_path, reference, label, table, change, row, column, words) -> None:
    error = load_with(tmp_path, reference, table, change)
    assert error.path.endswith(f"{table}.csv")
    assert error.row == row
    assert error.column == column
    assert words in error.problem
    assert f"row {row}" in str(error) and f"'{column}'" in str(error)


def test_duplicate_key_names_both_rows(tmp_path, reference) -> None:
    error = load_with(tmp_path, reference, "population", lambda df: pd.concat([df, df.iloc[[3]]], ignore_index=True))
    assert error.row == len(tiny_tables()["population"]) + 1
    assert "duplicate key" in error.problem and "row 4" in error.problem


def test_missing_column(tmp_path, reference) -> None:
    error = load_with(tmp_path, reference, "births", lambda df: df.drop(columns="maternities"))
    assert error.column == "maternities" and "missing column" in error.problem


def test_unexpected_column(tmp_path, reference) -> None:
    error = load_with(tmp_path, reference, "births", lambda df: df.assign(stillbirths=0))
    assert error.column == "stillbirths" and "unexpected column" in error.problem


def test_missing_file(tmp_path, reference) -> None:
    folder = write_tables(tmp_path / "bad", {k: v for k, v in tiny_tables().items() if k != "survey"})
    with pytest.raises(DataError, match="survey.csv: file not found"):
        load_inputs(folder, reference)


def test_small_area_without_deprivation(tmp_path, reference) -> None:
    error = load_with(tmp_path, reference, "deprivation", lambda df: df.iloc[:1])
    assert "XS0000002" in error.problem and error.column == "area_code"


def test_two_boroughs(tmp_path, reference) -> None:
    extra = pd.DataFrame([("E08000028", "Sandwell", "borough", "E12000005")], columns=["area_code", "area_name", "area_type", "parent_code"])
    error = load_with(tmp_path, reference, "geography", lambda df: pd.concat([df, extra], ignore_index=True))
    assert "exactly one area of type 'borough'" in error.problem


def test_gzipped_table_is_read(tmp_path, reference) -> None:
    tables = tiny_tables()
    folder = write_tables(tmp_path / "gz", {k: v for k, v in tables.items() if k != "population"})
    tables["population"].to_csv(folder / "population.csv.gz", index=False)
    assert load_inputs(folder, reference)["population"]["population"].sum() == tables["population"]["population"].sum()


def test_bad_comparator_is_caught(tiny_data, copy_reference) -> None:
    path = copy_reference / "comparators.csv"
    df = pd.read_csv(path, dtype=str)
    df.loc[2, "value"] = "n/a"
    df.to_csv(path, index=False)
    with pytest.raises(DataError) as caught:
        load_inputs(tiny_data, copy_reference)
    assert caught.value.row == 3 and caught.value.column == "value"
