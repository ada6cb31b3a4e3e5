"""Council KPI scorecards (jsna.kpi) and their data (data/kpi, scripts/make_kpi_data.py).

1. The committed data reproduce the Q2 2022/23 performance report: every score and trend of its
   eight KPIs, its dashboard counts and its PI 2257 exception report.
2. The scoring rules, on constructed data: tolerance bands, missing values, polarity, trends,
   monthly KPIs, summary counts.
3. Every kind of bad input gives a DataError naming the file, the row, the column and the problem.
4. The generator is deterministic, made the committed files, and copied the real rows from the
   seed files in data/reference/ exactly.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jsna.compute import performance
from jsna.errors import DataError
from jsna.inputs import kpis, periods
from jsna.stats import targets

ROOT = Path(__file__).resolve().parent.parent
KPI_DATA = ROOT / "data" / "kpi"
REFERENCE = ROOT / "data" / "reference"
SCRIPT = ROOT / "scripts" / "make_kpi_data.py"
REPORT_QUARTER = "2022-23 Q2"
HIGH, LOW = targets.HIGH_IS_GOOD, targets.LOW_IS_GOOD
ASC, PH = "Adult Social Care", "Public Health and Wellbeing"


@pytest.fixture(scope="module")
def committed() -> kpis.KPIData:
    return kpis.load_kpis(KPI_DATA)


@pytest.fixture(scope="module")
def report() -> pd.DataFrame:
    """The report's scorecard as transcribed (data/reference/kpi_scorecard_2022_q2.csv)."""
    return pd.read_csv(REFERENCE / "kpi_scorecard_2022_q2.csv", keep_default_na=False)


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("make_kpi_data", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------
# 1. The real report
# ---------------------------------------------------------------------------------------------
def test_scores_and_trends_of_the_eight_kpis_reproduce_the_report(committed, report):
    card = performance.scorecard(committed, REPORT_QUARTER).set_index("kpi_id")
    expected = report.set_index("kpi_id")
    assert list(card.index) == list(expected.index)
    for column in ("score", "short_term_trend", "annual_trend"):
        assert card[column].to_dict() == expected[column].to_dict(), column


def test_scorecard_carries_the_report_columns(committed, report):
    card = performance.scorecard(committed, REPORT_QUARTER).set_index("kpi_id")
    expected = report.set_index("kpi_id")
    assert (
        card["last_year_value"].tolist()
        == expected["q2_2021_22"].astype(float).tolist()
    )
    assert (
        card["previous_value"].tolist() == expected["q1_2022_23"].astype(float).tolist()
    )
    assert card["value"].tolist() == expected["q2_2022_23"].astype(float).tolist()
    assert card["target"].tolist() == expected["target"].astype(float).tolist()
    assert card["benchmark"].fillna("").tolist() == expected["benchmark"].tolist()
    assert card["directorate"].tolist() == expected["directorate"].tolist()
    assert card["council_priority"].tolist() == expected["council_priority"].tolist()
    assert set(card["last_year_period"]) == {"2021-22 Q2"}
    assert set(card["previous_period"]) == {"2022-23 Q1"}
    assert (
        tuple(performance.scorecard(committed, REPORT_QUARTER).columns) == performance.SCORECARD_COLUMNS
    )


def test_pi2257_is_below_target_and_worsening_on_both_trends(committed):
    row = performance.scorecard(committed, REPORT_QUARTER).set_index("kpi_id").loc["PI 2257"]
    assert (row["score"], row["score_symbol"]) == ("below target", "▼")
    assert (row["short_term_trend"], row["short_term_symbol"]) == ("worsening", "↓")
    assert (row["annual_trend"], row["annual_symbol"]) == ("worsening", "↓")
    assert (row["last_year_value"], row["previous_value"], row["value"]) == (
        410400,
        135000,
        6000,
    )


def test_dashboard_counts_of_each_directorate(committed):
    table = performance.summary(committed, REPORT_QUARTER).set_index("directorate")
    assert list(table.index) == [ASC, PH, "All directorates"]
    ph = table.loc[PH]
    # "3 KPIS are on target with one being below target"; short term 3 improved, 0 consistent,
    # 1 worsening; annual 1 improved, 0 consistent, 3 worsening; 17 actions, all updated.
    assert (ph.kpis_due, ph.kpis_reported, ph.kpis_missing) == (4, 4, 0)
    assert (
        ph.score_on_target,
        ph.score_tolerance,
        ph.score_below_target,
        ph.score_missing,
    ) == (3, 0, 1, 0)
    assert (
        ph.short_term_improving,
        ph.short_term_consistent,
        ph.short_term_worsening,
    ) == (3, 0, 1)
    assert (ph.annual_improving, ph.annual_consistent, ph.annual_worsening) == (1, 0, 3)
    assert (ph.actions_due, ph.actions_updated, ph.actions_not_updated) == (17, 17, 0)
    assert (
        ph.actions_complete,
        ph.actions_on_target,
        ph.actions_behind,
        ph.actions_ahead,
    ) == (1, 15, 1, 0)
    asc = table.loc[ASC]
    # "4 KPI's due, 4 reported, 0 missing", all on target; 23 actions on or exceeding target.
    assert (asc.kpis_due, asc.kpis_reported, asc.kpis_missing, asc.score_on_target) == (
        4,
        4,
        0,
        4,
    )
    assert (asc.short_term_improving, asc.short_term_worsening, asc.annual_improving, asc.annual_worsening) == (
        3, 1, 3, 1,
    )  # fmt: skip
    assert (asc.actions_due, asc.actions_behind, asc.actions_not_updated) == (23, 0, 0)
    total = table.loc["All directorates"]
    numeric = table.drop(index="All directorates")
    assert (total == numeric.sum()).all()


def test_exception_report_of_the_quarter_is_pi2257_with_its_narrative(committed):
    found = performance.exceptions(committed, REPORT_QUARTER)
    assert found["kpi_id"].tolist() == ["PI 2257"]
    row = found.iloc[0]
    assert row["has_narrative"]
    assert row["performance"].startswith(
        "The intervention figure is significantly below target"
    )
    assert "Commonwealth Games" in row["performance"]
    assert row["impact"].startswith("Failure to support scam victims")
    assert "£191,000" in row["assurance"]
    assert "synthetic" not in row["narrative_source"]
    assert tuple(found.columns) == performance.SCORECARD_COLUMNS + performance.EXCEPTION_COLUMNS


def test_the_synthetic_exceptions_explain_designed_dips(committed):
    for kpi_id in ("PI 501", "PI 1441"):
        found = performance.exceptions(committed, "2020-21 Q1").set_index("kpi_id")
        assert found.loc[kpi_id, "has_narrative"]
        assert (
            found.loc[kpi_id, "narrative_source"] == "synthetic demonstration narrative"
        )
        assert found.loc[kpi_id, "performance"].startswith(
            "Synthetic demonstration narrative"
        )


def test_real_actions_are_the_public_health_list(committed):
    listed = performance.actions(committed, REPORT_QUARTER, PH)
    assert listed["reference"].tolist() == [f"A.{n}" for n in range(4149, 4166)]
    statuses = listed.set_index("reference")["status"]
    assert statuses["A.4163"] == "complete" and statuses["A.4165"] == "behind"
    assert set(listed["status_symbol"]) == {"●", "✓", "!"}
    synthetic = performance.actions(committed, REPORT_QUARTER, ASC)
    assert (
        len(synthetic) == 23
        and (synthetic["source"] == "synthetic demonstration action").all()
    )


def test_every_kpi_has_a_long_enough_history_in_time_order(committed):
    history = performance.history(committed)
    counts = history.groupby("kpi_id").size()
    assert (counts >= 20).all() and len(counts) == 8
    pi2257 = performance.history(committed, "PI 2257")
    assert (
        pi2257["period"].iloc[0] == "2016-17 Q1"
        and pi2257["period"].iloc[-1] == REPORT_QUARTER
    )
    assert pi2257["real"].sum() == 6 and pi2257["real"].iloc[-6:].all()
    assert (history.loc[~history["real"], "source"] == kpis.SYNTHETIC).all()


# ---------------------------------------------------------------------------------------------
# 2. Scoring rules on constructed data
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, expected",
    [(50.0, "on target"), (61.0, "on target"), (49.9, "tolerance"), (45.0, "tolerance"), (44.9, "below target"),
     (0.0, "below target"), (np.nan, "missing")],
)  # fmt: skip
def test_score_with_an_absolute_tolerance(value, expected):
    assert targets.score(value, 50.0, 5.0, "absolute", HIGH, 1) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        (150000, "on target"),
        (149999, "tolerance"),
        (135000, "tolerance"),
        (134999, "below target"),
    ],
)
def test_score_with_a_tolerance_in_percent_of_target(value, expected):
    assert targets.score(value, 150000.0, 10.0, "percent of target", HIGH, 0) == expected


def test_polarity_reverses_scores_and_trends():
    values = np.array([8.4, 9.0, 9.5, 10.0, 10.1, 12.0])
    assert list(targets.score(values, 9.0, 1.0, "absolute", LOW, 1)) == [
        "on target", "on target", "tolerance", "tolerance", "below target", "below target",
    ]  # fmt: skip
    assert list(targets.score(values, 9.0, 1.0, "absolute", HIGH, 1)) == [
        "tolerance", "on target", "on target", "on target", "on target", "on target",
    ]  # fmt: skip
    assert targets.trend(8.4, 11.5, LOW, 1) == "improving"
    assert targets.trend(8.4, 11.5, HIGH, 1) == "worsening"
    assert targets.trend(11.5, 8.4, LOW, 1) == "worsening"


def test_trend_is_consistent_only_when_equal_at_the_reported_precision():
    assert targets.trend(98.9, 98.9, HIGH, 1) == "consistent"
    assert targets.trend(98.94, 98.91, HIGH, 1) == "consistent"  # both 98.9 as reported
    assert targets.trend(99.0, 98.9, HIGH, 1) == "improving"
    assert targets.trend(0.1 + 0.2, 0.3, HIGH, 6) == "consistent"  # no floating-point noise
    assert targets.trend(5.0, np.nan, HIGH, 1) == "not compared"
    assert targets.trend(np.nan, 5.0, LOW, 1) == "not compared"


def test_every_word_has_its_own_shape():
    assert (
        set(performance.SCORE_SYMBOLS) == set(targets.SCORES)
        and len(set(performance.SCORE_SYMBOLS.values())) == 4
    )
    assert (
        set(performance.TREND_SYMBOLS) == set(targets.TRENDS)
        and len(set(performance.TREND_SYMBOLS.values())) == 4
    )
    assert (
        set(performance.ACTION_SYMBOLS) == set(kpis.ACTION_STATUSES)
        and len(set(performance.ACTION_SYMBOLS.values())) == 5
    )


def test_quarter_arithmetic():
    assert periods.previous_quarter("2022-23 Q1") == "2021-22 Q4"
    assert periods.same_quarter_last_year("2022-23 Q2") == "2021-22 Q2"
    assert periods.quarter_end_month("2022-23 Q2") == "2022-09"
    assert periods.quarter_end_month("2022-23 Q4") == "2023-03"
    assert periods.quarter_end_month("2099-00 Q3") == "2099-12"
    assert len(periods.quarters("2016-17 Q1", "2022-23 Q2")) == 26
    assert periods.is_period("2022-23 Q2", "quarterly") and not periods.is_period(
        "2022-24 Q2", "quarterly"
    )
    assert periods.is_period("2022-09", "monthly") and not periods.is_period(
        "2022-13", "monthly"
    )
    assert not periods.is_period("2022-23 Q2", "monthly") and not periods.is_period(
        "2022-09", "quarterly"
    )
    with pytest.raises(ValueError, match="not a quarter"):
        performance.scorecard(None, "2022-09")


def definition(kpi_id: str, directorate: str = "Dir A", **changes) -> dict:
    row = {
        "kpi_id": kpi_id, "kpi_name": f"Measure {kpi_id}", "directorate": directorate,
        "council_priority": "Priority", "unit": "%", "decimals": 1, "polarity": HIGH, "target": 50,
        "tolerance": 5, "tolerance_basis": "absolute", "benchmark": "", "frequency": "quarterly",
        "source": "test",
    }  # fmt: skip
    row.update(changes)
    return row


def constructed_tables() -> dict[str, pd.DataFrame]:
    """Four KPIs in two directorates for 2022-23 Q2: one on target and improving, one in tolerance
    and consistent, one missing (new: nothing to compare), one monthly and low-is-good."""
    definitions = pd.DataFrame(
        [
            definition("K1"),
            definition("K2"),
            definition("K3", "Dir B"),
            definition(
                "K4", "Dir B", polarity=LOW, target=9, tolerance=1, frequency="monthly"
            ),
        ]
    )
    values = pd.DataFrame(
        [
            ("K1", "2021-22 Q2", 40.0), ("K1", "2022-23 Q1", 48.0), ("K1", "2022-23 Q2", 55.0),
            ("K2", "2021-22 Q2", 47.0), ("K2", "2022-23 Q1", 47.0), ("K2", "2022-23 Q2", 47.0),
            ("K3", "2022-23 Q1", 60.0),
            ("K4", "2021-09", 12.0), ("K4", "2022-06", 8.0), ("K4", "2022-08", 3.0), ("K4", "2022-09", 9.5),
        ],
        columns=["kpi_id", "period", "value"],
    ).assign(source="test")  # fmt: skip
    actions = pd.DataFrame(
        [
            ("X1", "Action 1", "Dir A", "2022-23 Q2", "complete", "Done."),
            ("X2", "Action 2", "Dir A", "2022-23 Q2", "not updated", ""),
            ("X3", "Action 3", "Dir B", "2022-23 Q2", "behind", "Late."),
            ("X4", "Action 4", "Dir B", "2022-23 Q2", "ahead", "Early."),
            ("X1", "Action 1", "Dir A", "2022-23 Q1", "on target", "Going."),
        ],
        columns=["reference", "title", "directorate", "period", "status", "progress"],
    ).assign(source="test")
    exceptions = pd.DataFrame(
        [("K3", "2022-23 Q1", "Low.", "Some.", "Plan.", "test")],
        columns=["kpi_id", "period", "performance", "impact", "assurance", "source"],
    )
    return {
        "kpi_definitions": definitions,
        "kpi_values": values,
        "directorate_actions": actions,
        "kpi_exceptions": exceptions,
    }


def write_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.fixture()
def constructed(tmp_path: Path) -> kpis.KPIData:
    return kpis.load_kpis(write_tables(tmp_path / "ok", constructed_tables()))


def test_scorecard_on_constructed_data(constructed):
    card = performance.scorecard(constructed, "2022-23 Q2").set_index("kpi_id")
    assert card["score"].to_dict() == {
        "K1": "on target",
        "K2": "tolerance",
        "K3": "missing",
        "K4": "tolerance",
    }
    assert card["short_term_trend"].to_dict() == {
        "K1": "improving", "K2": "consistent", "K3": "not compared", "K4": "worsening",
    }  # fmt: skip
    assert card["annual_trend"].to_dict() == {
        "K1": "improving", "K2": "consistent", "K3": "not compared", "K4": "improving",
    }  # fmt: skip
    # A monthly KPI reports the quarter's last month and compares with the same month of the
    # previous quarter and of last year.
    k4 = card.loc["K4"]
    assert (k4["period"], k4["previous_period"], k4["last_year_period"]) == (
        "2022-09",
        "2022-06",
        "2021-09",
    )
    assert (k4["value"], k4["previous_value"], k4["last_year_value"]) == (
        9.5,
        8.0,
        12.0,
    )
    assert card.loc["K1", "tolerance_limit"] == 45.0 and k4["tolerance_limit"] == 10.0
    assert (
        card.loc["K3", "score_symbol"] == "○"
        and card.loc["K3", "short_term_symbol"] == "–"
    )
    assert list(performance.scorecard(constructed, "2022-23 Q2", "Dir B")["kpi_id"]) == [
        "K3",
        "K4",
    ]
    with pytest.raises(ValueError, match="no KPIs for directorate"):
        performance.scorecard(constructed, "2022-23 Q2", "Dir C")


def test_summary_counts_on_constructed_data(constructed):
    table = performance.summary(constructed, "2022-23 Q2").set_index("directorate")
    a, b, total = table.loc["Dir A"], table.loc["Dir B"], table.loc["All directorates"]
    assert (a.kpis_due, a.kpis_reported, a.kpis_missing) == (2, 2, 0)
    assert (b.kpis_due, b.kpis_reported, b.kpis_missing) == (2, 1, 1)
    assert (
        a.score_on_target,
        a.score_tolerance,
        b.score_tolerance,
        b.score_missing,
    ) == (1, 1, 1, 1)
    assert (a.short_term_improving, a.short_term_consistent) == (1, 1)
    assert (b.short_term_worsening, b.short_term_not_compared, b.annual_improving) == (
        1,
        1,
        1,
    )
    assert (
        a.actions_due,
        a.actions_updated,
        a.actions_not_updated,
        a.actions_complete,
    ) == (2, 1, 1, 1)
    assert (b.actions_due, b.actions_behind, b.actions_ahead) == (2, 1, 1)
    assert (
        total.kpis_due,
        total.kpis_missing,
        total.actions_due,
        total.actions_not_updated,
    ) == (4, 1, 4, 1)
    previous = performance.summary(constructed, "2022-23 Q1").set_index("directorate")
    assert (
        previous.loc["Dir A", "actions_on_target"] == 1
        and previous.loc["Dir B", "actions_due"] == 0
    )


def test_exceptions_list_kpis_below_target_with_or_without_a_narrative(constructed):
    q1 = performance.exceptions(constructed, "2022-23 Q1", include_tolerance=True).set_index(
        "kpi_id"
    )
    # K1 48 and K2 47 are in tolerance; K3's 60 is on target, so its narrative is not listed;
    # K4 (monthly, 8.0 in June) is on target.
    assert list(q1.index) == ["K1", "K2"] and not q1["has_narrative"].any()
    assert (q1["performance"] == "").all()
    assert performance.exceptions(constructed, "2022-23 Q1").empty
    tables = constructed_tables()
    tables["kpi_values"].loc[6, "value"] = 30.0  # K3 2022-23 Q1 now below target
    data = kpis.load_kpis(
        write_tables(Path(constructed.folder).parent / "below", tables)
    )
    found = performance.exceptions(data, "2022-23 Q1").set_index("kpi_id")
    assert list(found.index) == ["K3"] and found.loc["K3", "has_narrative"]
    assert found.loc["K3", "performance"] == "Low."


# ---------------------------------------------------------------------------------------------
# 3. Validation errors
# ---------------------------------------------------------------------------------------------
def set_cell(row: int, column: str, value):
    def change(df: pd.DataFrame) -> pd.DataFrame:
        df[column] = df[column].astype(object)
        df.loc[row, column] = value
        return df

    return change


def add_row(values: dict):
    def change(df: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([df, pd.DataFrame([values])], ignore_index=True)

    return change


CASES = [
    # (label, table, change, row (1-based data row), column, words in the message)
    ("unknown polarity", "kpi_definitions", set_cell(1, "polarity", "High"), 2, "polarity", "not allowed"),
    ("negative tolerance", "kpi_definitions", set_cell(0, "tolerance", -1), 1, "tolerance", "negative"),
    ("unknown basis", "kpi_definitions", set_cell(0, "tolerance_basis", "%"), 1, "tolerance_basis", "not allowed"),
    ("unknown frequency", "kpi_definitions", set_cell(2, "frequency", "weekly"), 3, "frequency", "not allowed"),
    ("target not a number", "kpi_definitions", set_cell(0, "target", "tbc"), 1, "target", "not a number"),
    ("duplicate KPI", "kpi_definitions", set_cell(1, "kpi_id", "K1"), 2, "kpi_id", "duplicate key"),
    ("% target above 100", "kpi_definitions", set_cell(3, "target", 120), 4, "target", "between 0 and 100"),
    ("relative tolerance above 100", "kpi_definitions",
     lambda df: set_cell(2, "tolerance", 150)(set_cell(2, "tolerance_basis", "percent of target")(df)),
     3, "tolerance", "cannot exceed 100"),
    ("missing name", "kpi_definitions", set_cell(0, "kpi_name", ""), 1, "kpi_name", "missing"),
    ("value for an unknown KPI", "kpi_values", set_cell(4, "kpi_id", "K9"), 5, "kpi_id", "'K9' is not a KPI"),
    ("month for a quarterly KPI", "kpi_values", set_cell(1, "period", "2022-06"), 2, "period",
     "not a quarterly period for K1"),
    ("quarter for a monthly KPI", "kpi_values", set_cell(8, "period", "2022-23 Q1"), 9, "period",
     "not a monthly period for K4"),
    ("malformed quarter", "kpi_values", set_cell(0, "period", "2021-23 Q2"), 1, "period", "not a quarterly period"),
    ("% value above 100", "kpi_values", set_cell(2, "value", 100.5), 3, "value", "between 0 and 100"),
    ("value too precise", "kpi_values", set_cell(3, "value", 47.25), 4, "value", "more decimal places"),
    ("value missing", "kpi_values", set_cell(3, "value", ""), 4, "value", "missing"),
    ("duplicate value", "kpi_values", set_cell(1, "period", "2021-22 Q2"), 2, "kpi_id", "duplicate key"),
    ("exception for an unknown KPI", "kpi_exceptions", set_cell(0, "kpi_id", "K7"), 1, "kpi_id", "not a KPI"),
    ("exception in a month for a quarterly KPI", "kpi_exceptions", set_cell(0, "period", "2022-06"), 1, "period",
     "not a quarterly period"),
    ("exception without a value", "kpi_exceptions", set_cell(0, "period", "2021-22 Q2"), 1, "period",
     "no value for K3 in 2021-22 Q2"),
    ("exception without a narrative", "kpi_exceptions", set_cell(0, "impact", ""), 1, "impact", "missing"),
    ("unknown action status", "directorate_actions", set_cell(2, "status", "late"), 3, "status", "not allowed"),
    ("action of an unknown directorate", "directorate_actions", set_cell(1, "directorate", "Dir Z"), 2,
     "directorate", "not a directorate"),
    ("action in a month", "directorate_actions", set_cell(3, "period", "2022-09"), 4, "period", "not a quarter"),
    ("action without progress", "directorate_actions", set_cell(2, "progress", ""), 3, "progress",
     "progress is missing"),
    ("duplicate action", "directorate_actions", set_cell(4, "period", "2022-23 Q2"), 5, "reference", "duplicate key"),
    ("extra column", "kpi_values", lambda df: df.assign(note="x"), None, "note", "unexpected column"),
    ("unknown KPI on an added row", "kpi_values", add_row({"kpi_id": "K8", "period": "2022-23 Q2", "value": 1,
     "source": "test"}), 12, "kpi_id", "is not a KPI"),
    ("first of two bad rows, the other counted", "kpi_values",
     lambda df: set_cell(9, "period", "2022-23 Q1")(set_cell(7, "period", "2021-22 Q2")(df)), 8, "period",
     "(1 more row(s) with the same problem)"),
]  # fmt: skip


@pytest.mark.parametrize(
    "label, table, change, row, column, words", CASES, ids=[c[0] for c in CASES]
)
def test_bad_input_names_file_row_column_and_problem(
    tmp_path, label, table, change, row, column, words
):
    tables = constructed_tables()
    tables[table] = change(tables[table].copy())
    folder = write_tables(tmp_path / "bad", tables)
    where = f"{table}.csv" + (
        f", row {row} \\(line {row + 1}\\)" if row is not None else ""
    )
    with pytest.raises(DataError, match=where + f", column '{column}'") as caught:
        kpis.load_kpis(folder)
    error = caught.value
    assert Path(error.path).name == f"{table}.csv"
    assert (error.row, error.column) == (row, column)
    assert words in error.problem, error.problem


def test_missing_file_and_folder(tmp_path):
    folder = write_tables(tmp_path / "partial", constructed_tables())
    (folder / "kpi_exceptions.csv").unlink()
    with pytest.raises(DataError, match="kpi_exceptions.csv: file not found"):
        kpis.load_kpis(folder)
    with pytest.raises(DataError, match="KPI data folder not found"):
        kpis.load_kpis(tmp_path / "nowhere")


# ---------------------------------------------------------------------------------------------
# 4. The generator and the seed files
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_generator_is_deterministic_and_made_the_committed_files(generator, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    generator.write(generator.generate(generator.SEED), first)
    generator.write(generator.generate(generator.SEED), second)
    made = sorted(p.name for p in first.iterdir())
    assert made == sorted(p.name for p in KPI_DATA.glob("*.csv"))
    for name in made:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
        assert (first / name).read_bytes() == (KPI_DATA / name).read_bytes(), (
            f"data/kpi/{name} differs"
        )


@pytest.mark.slow
def test_another_seed_changes_only_the_synthetic_rows(generator):
    one = generator.generate(generator.SEED)["kpi_values"]
    two = generator.generate(generator.SEED + 1)["kpi_values"]
    real = one["source"] != kpis.SYNTHETIC
    assert (one.loc[real, "value"] == two.loc[real, "value"]).all()
    assert (one.loc[~real, "value"] != two.loc[~real, "value"]).mean() > 0.5


def test_real_values_are_exactly_the_seed_files(committed, report):
    values = committed.values.set_index(["kpi_id", "period"])
    real = committed.values[committed.values["source"] != kpis.SYNTHETIC]
    expected = {}
    history = pd.read_csv(REFERENCE / "pi2257_history.csv")
    for _, row in history.iterrows():
        expected[(row["kpi_id"], f"{row['year']} {row['quarter']}")] = float(
            row["value_gbp"]
        )
    for column, period in {
        "q2_2021_22": "2021-22 Q2",
        "q1_2022_23": "2022-23 Q1",
        "q2_2022_23": "2022-23 Q2",
    }.items():
        for _, row in report.iterrows():
            expected[(row["kpi_id"], period)] = float(row[column])  # the scorecard wins
    assert len(real) == len(expected) == 27
    for key, value in expected.items():
        assert values.loc[key, "value"] == value, key
        assert values.loc[key, "source"] != kpis.SYNTHETIC, key
    assert (
        values.loc[("PI 2257", "2021-22 Q2"), "value"] == 410400
    )  # the history says 410000
    assert values.loc[("PI 2257", "2021-22 Q1"), "source"].endswith(
        "PI 2257 exception report"
    )


def test_definitions_come_from_the_scorecard(committed, report):
    d = committed.definitions
    for column in ("kpi_id", "kpi_name", "directorate", "council_priority", "unit"):
        assert d[column].tolist() == report[column].tolist(), column
    assert d["target"].tolist() == report["target"].astype(float).tolist()
    polarity = d.set_index("kpi_id")["polarity"]
    assert set(polarity[polarity == LOW].index) == {"PI 2134", "PI 2260"}


@pytest.mark.slow
def test_the_generator_refuses_an_unexplained_seed_disagreement(generator, report):
    history = pd.read_csv(
        REFERENCE / "pi2257_history.csv", dtype=str, keep_default_na=False
    )
    history.loc[
        history["quarter"].eq("Q1") & history["year"].eq("2022-23"), "value_gbp"
    ] = "136000"
    with pytest.raises(ValueError, match="disagree"):
        generator.real_values(report.astype(str), history)
