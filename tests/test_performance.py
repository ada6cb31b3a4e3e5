"""Services and performance: the KPI tables the build writes to the store, the views of the
services and exception-report pages, the control-chart rules of parameters/spc.yml, and a bad
KPI file stopping the build.

The store tables are computed from the committed KPI data (data/kpi): the real Q2 2022/23
report's eight KPIs with a labelled synthetic history.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from jsna.__main__ import main
from jsna.book import build
from jsna.compute import performance
from jsna.config import Settings
from jsna.errors import DataError
from jsna.inputs import kpis
from jsna.pages import performance as pv
from jsna.stats import SpcRules, xmr
from jsna.store import Store
from tests.conftest import (
    ROOT,
    tiny_tables,
    write_parameters,
    write_store,
    write_tables,
)

QUARTER = "2022-23 Q2"
KPI_DATA = ROOT / "data" / "kpi"
EIGHT = ["PI 2133", "PI 2132", "PI 501", "PI 2134", "PI 1441", "PI 2257", "PI 2074", "PI 2260"]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return performance.kpi_tables(kpis.load_kpis(KPI_DATA))


@pytest.fixture(scope="module")
def store(tables, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store folder holding the KPI tables (every other table empty)."""
    return Store(write_store(tmp_path_factory.mktemp("store"), tables))


def text_of(fragment: str) -> str:
    """An HTML fragment's words, tags removed and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", str(fragment).replace("&nbsp;", " ")).split())


# --------------------------------------------------------------------------------------------
# The store tables
# --------------------------------------------------------------------------------------------
def test_pi_2257_is_below_target_and_worsening_on_both_trends(tables) -> None:
    card = tables["kpi_scorecards"].query("quarter == @QUARTER").set_index("kpi_id")
    row = card.loc["PI 2257"]
    assert (row["value"], row["target"], row["score"], row["score_symbol"]) == (6000, 150000, "below target", "▼")
    assert (row["short_term_trend"], row["annual_trend"]) == ("worsening", "worsening")
    assert (row["previous_value"], row["last_year_value"]) == (135000, 410400)
    # 135,000 in Q1 is exactly on the edge of the 10% tolerance band: in tolerance, so this is
    # the first quarter below target.
    assert (row["score_run"], row["score_before_run"], row["quarter_before_run"]) == (1, "tolerance", "2022-23 Q1")
    assert card.loc["PI 2134", "score_run"] == 26  # on target in every quarter of its history


def test_every_quarter_has_a_scorecard_of_all_eight_kpis_in_the_report_order(tables) -> None:
    cards = tables["kpi_scorecards"]
    assert list(cards.query("quarter == @QUARTER")["kpi_id"]) == EIGHT
    assert cards.groupby("quarter")["kpi_id"].apply(list).map(lambda ids: ids == EIGHT).all()
    assert cards["quarter"].nunique() == 26  # 2016-17 Q1 to 2022-23 Q2
    summary = tables["kpi_summary"].query("quarter == @QUARTER and directorate == 'All directorates'").iloc[0]
    assert (summary["kpis_due"], summary["score_on_target"], summary["score_below_target"]) == (8, 7, 1)
    assert (summary["short_term_improving"], summary["short_term_worsening"], summary["annual_worsening"]) == (6, 2, 4)
    assert (summary["actions_due"], summary["actions_behind"]) == (40, 1)


def test_the_exception_report_has_pi_2257_with_its_narrative(tables) -> None:
    exceptions = tables["kpi_exceptions"].query("quarter == @QUARTER")
    assert list(exceptions["kpi_id"]) == ["PI 2257"]
    row = exceptions.iloc[0]
    assert row["has_narrative"]
    assert "Scams Team" in row["performance"] and "financial abuse" in row["impact"] and "call blockers" in row["assurance"]
    # every quarter's exceptions are kept, with the designed synthetic ones
    earlier = tables["kpi_exceptions"].query("has_narrative and quarter != @QUARTER")
    assert sorted(earlier["kpi_id"]) == ["PI 1441", "PI 501"]


def test_control_charts_have_icons_when_there_are_enough_points(tables) -> None:
    summary = tables["kpi_xmr_summary"]
    latest = summary.query("quarter == @QUARTER").set_index("kpi_id")
    assert list(latest.index) == EIGHT
    assert (latest["points"] == 26).all()
    assert latest["variation_icon"].notna().all() and latest["assurance_icon"].notna().all()
    assert latest.loc["PI 2257", ["variation_icon", "assurance_icon"]].tolist() == ["common_cause", "hit_and_miss"]
    assert latest.loc["PI 2134", ["polarity", "variation_icon", "assurance_icon"]].tolist() == ["low", "improvement_low", "consistently_passing"]
    assert latest.loc["PI 2074", "assurance_icon"] == "consistently_failing"
    # As at 2018-19 Q4 each series has 12 points: no limits and no icons, and the note says why.
    early = summary.query("quarter == '2018-19 Q4'")
    assert (early["points"] == 12).all() and early["variation_icon"].isna().all() and early["mean"].isna().all()
    assert early["note"].str.startswith("fewer than 13 points").all()
    # The first quarter with 13 points has icons.
    assert summary.query("quarter == '2019-20 Q1'")["variation_icon"].notna().all()


def test_each_control_chart_uses_only_the_quarters_up_to_its_own(tables) -> None:
    points = tables["kpi_xmr_points"]
    history = tables["kpi_history"]
    as_at = points.query("quarter == '2020-21 Q1' and kpi_id == 'PI 501'")
    assert as_at["period"].iloc[-1] == "2020-21 Q1" and len(as_at) == 17
    # The same numbers as jsna.stats.xmr on that series, with the KPI's polarity and target.
    series = history.query("kpi_id == 'PI 501' and time <= @as_at.time.max()")
    expected, summary = xmr(series, "value", period="time", polarity="high", target=83.0)
    assert as_at["mean"].tolist() == pytest.approx(expected["mean"].tolist())
    assert as_at["upper_process_limit"].tolist() == pytest.approx(expected["upper_process_limit"].tolist())
    assert as_at["special_cause"].tolist() == expected["special_cause"].tolist()
    assert as_at["special_cause"].iloc[-1] == "concern"  # the designed COVID-19 fall
    assert tables["kpi_xmr_summary"].query("quarter == '2020-21 Q1' and kpi_id == 'PI 501'")["variation_icon"].item() == summary["variation_icon"].item()


# --------------------------------------------------------------------------------------------
# parameters/spc.yml
# --------------------------------------------------------------------------------------------
def test_spc_yml_sets_the_rules_and_the_defaults_are_nhs_englands(tmp_path: Path) -> None:
    assert kpis.load_rules(tmp_path / "missing.yml") == SpcRules()
    assert kpis.load_rules(ROOT / "parameters" / "spc.yml") == SpcRules()  # the shipped file states the defaults
    path = tmp_path / "spc.yml"
    path.write_text("shift: 8\ntrend: false\nminimum_points: 20\n")
    assert kpis.load_rules(path) == SpcRules(shift=8, trend=None, minimum_points=20)
    for text, column in (("shift: 1\n", "shift"), ("runs: 7\n", "runs"), ("two_of_three: maybe\n", "two_of_three")):
        path.write_text(text)
        with pytest.raises(DataError, match=f"spc.yml, line 1, field '{column}'"):
            kpis.load_rules(path)


def test_the_rules_change_the_charts_and_the_page(tables, tmp_path: Path) -> None:
    changed = performance.kpi_tables(kpis.load_kpis(KPI_DATA), SpcRules(shift=8, minimum_points=20))
    before = tables["kpi_xmr_summary"].query("quarter == @QUARTER").set_index("kpi_id")
    after = changed["kpi_xmr_summary"].query("quarter == @QUARTER").set_index("kpi_id")
    # PI 501's latest point is in a run of 6 above the mean, not of 8.
    assert before.loc["PI 501", "variation_icon"] == "improvement_high" and after.loc["PI 501", "variation_icon"] == "common_cause"
    assert changed["kpi_xmr_summary"].query("quarter == '2020-21 Q3'")["variation_icon"].isna().all()  # 19 points < 20
    assert changed["kpi_spc_rules"].iloc[0]["shift"] == 8
    method = text_of(pv.spc_method(Store(write_store(tmp_path, changed))))
    assert "a run of 8 or more points all above, or all below, the mean" in method and "at least 20" in method


# --------------------------------------------------------------------------------------------
# The views
# --------------------------------------------------------------------------------------------
def test_scorecards_show_every_kpi_by_priority_with_words_and_shapes(store) -> None:
    scorecards = pv.scorecard_tables(store, QUARTER)
    assert len(scorecards) == 2
    assert "Dudley the borough of opportunity" in scorecards[0] and "Dudley the safe and healthy borough" in scorecards[1]
    words = text_of("".join(scorecards))
    for kpi_id in EIGHT:
        assert kpi_id in words
    row = text_of(re.search(r'<th scope="row"><a [^>]*>PI 2257</a></th>.*?</tr>', scorecards[1]).group(0))
    assert row == "PI 2257 £410,400 £135,000 £6,000 £150,000 ▼ Below target Exception report ↓ Worsening ↓ Worsening"
    assert 'href="exceptions.html#pi-2257"' in scorecards[1]
    assert scorecards[1].count("exceptions.html#") == 1  # only the KPI below target links to an exception
    assert '<th scope="col">' in scorecards[0] and 'scope="rowgroup"' in scorecards[0]
    assert "Download the data (CSV)" in scorecards[0]


def test_summary_findings_and_actions(store) -> None:
    dashboard = text_of(pv.summary_table(store, QUARTER))
    assert "▼ Below target 0 1 1" in dashboard and "↓ Worsening 1 3 4" in dashboard and "! Behind 0 1 1" in dashboard
    findings = text_of(pv.findings(store, QUARTER))
    assert "8 of the 8 KPIs due were reported for 2022-23 Q2: 7 on target, 0 in tolerance and 1 below target" in findings
    sentence = pv.kpi_sentence(store, QUARTER, "PI 2257")
    assert sentence.startswith("PI 2257, value of savings made by prevention (intervention) to the people of Dudley (Scams Team), was £6,000 "
                               "in 2022-23 Q2 against a target of £150,000: below target, after being in tolerance in 2022-23 Q1.")
    assert "worse than both the previous quarter (£135,000) and the same quarter a year earlier (£410,400)" in sentence
    assert "common cause variation" in sentence and sentence in findings
    actions = pv.actions_table(store, QUARTER)
    assert actions.count('<tr><th scope="row">') == 40 and "A.4165" in actions and "! Behind" in text_of(actions)


def test_sentences_say_how_long_a_score_has_lasted(store) -> None:
    assert "below target for the second quarter running" in pv.kpi_sentence(store, "2016-17 Q2", "PI 2133")
    assert "on target for 26 quarters running" in pv.kpi_sentence(store, QUARTER, "PI 2134")
    concern = pv.kpi_sentence(store, "2020-21 Q1", "PI 501")
    assert "below target" in concern and "special-cause variation of a concerning nature: it is below the lower process limit" in concern


def test_control_chart_sections_have_icons_words_and_a_figure_each(store) -> None:
    sections = pv.spc_sections(store, QUARTER)
    assert len(sections) == 8
    for (heading, icons, figure), kpi_id in zip(sections, EIGHT, strict=True):
        assert f'id="{pv.chart_anchor(kpi_id)}"' in heading
        assert "<svg" in icons and "Variation:" in icons and "Assurance:" in icons
        assert figure.alt_text and not figure.table.empty and figure.name.startswith("control-chart-")
        html = figure._repr_html_()
        assert "Download the data (CSV)" in html and "<details" in html
    heading, icons, figure = sections[EIGHT.index("PI 2257")]
    assert "Common cause" in text_of(icons) and "Hit and miss" in text_of(icons)
    assert " ".join(figure.chart.to_dict()["title"]["text"]) == "PI 2257 shows common cause variation in 2022-23 Q2: no significant change"
    assert list(figure.table.columns) == ["Quarter", "Value", "Mean", "Lower process limit", "Upper process limit", "Variation",
                                          "Special-cause rules", "Source"]  # fmt: skip
    assert (figure.table["Source"] == "Council report").sum() == 6
    spec = figure.chart.to_dict()
    shapes = [layer["encoding"]["shape"]["scale"]["range"] for layer in spec["layer"] if "shape" in layer.get("encoding", {})]
    assert shapes == [["circle", "diamond"]]  # special cause is marked by shape, not colour alone


def test_the_exception_section_of_pi_2257(store) -> None:
    sections = pv.exception_sections(store, QUARTER)
    assert len(sections) == 1
    heading, summary, history, narrative, figure = sections[0]
    assert 'id="pi-2257"' in heading
    assert "▼ Below target" in text_of(summary) and "↓ Worsening" in text_of(summary)
    for words in ("Performance: what is the data telling us?", "Impact: what are the issues and risks for service delivery?",
                  "Assurance: evidence that actions are in place and having an impact", "Scams Team", "call blockers"):  # fmt: skip
        assert words in narrative
    rows = text_of(history)
    assert "2022-23 Q2 £6,000 £150,000 ▼ Below target" in rows and "2022-23 Q1 £135,000 £150,000 ▲ Tolerance" in rows
    assert "2020-21 Q4 £925,000 [s]" in rows  # the synthetic history is marked
    assert figure.name == "control-chart-pi-2257-2022-23-Q2"
    assert "PI 2133" in pv.earlier_exceptions(store, QUARTER) and "2020-21 Q1: 76.0%" in pv.earlier_exceptions(store, QUARTER)


def test_the_quarter_is_a_parameter(store) -> None:
    assert pv.resolve_quarter(store, "") == QUARTER
    assert pv.resolve_quarter(store, "2020-21 Q1") == "2020-21 Q1"
    with pytest.raises(KeyError, match="2030-31 Q1"):
        pv.resolve_quarter(store, "2030-31 Q1")
    earlier = pv.exception_sections(store, "2020-21 Q1")
    assert [s[0] for s in earlier] and {re.search(r'id="([^"]+)"', s[0]).group(1) for s in earlier} >= {"pi-501", "pi-1441"}
    figure = pv.xmr_figure(store, "PI 2074", "2018-19 Q2")  # 10 points: drawn without limits, and said so
    assert "too few quarters (10)" in " ".join(figure.chart.to_dict()["title"]["text"])
    assert figure.table["Mean"].isna().all()


# --------------------------------------------------------------------------------------------
# The build
# --------------------------------------------------------------------------------------------
@pytest.fixture
def tiny_project(tmp_path: Path) -> Settings:
    """Tiny indicator inputs (fast), the real KPI data copied, and parameters for the borough."""
    data = write_tables(tmp_path / "data", tiny_tables())
    kpis = tmp_path / "kpi"
    shutil.copytree(KPI_DATA, kpis)
    parameters = write_parameters(tmp_path / "parameters", [{"code": "E08000027"}])
    return Settings(data=data, kpis=kpis, parameters=parameters, out=tmp_path / "out", progress=False)


@pytest.mark.slow
def test_the_build_stores_the_kpi_tables_and_plans_the_two_pages(tiny_project: Settings, tables) -> None:
    _, parameters = build.build_store(tiny_project)
    plan = build.plan_for(tiny_project, parameters)
    for name in tables:
        assert (tiny_project.store / f"{name}.parquet").exists(), name
        assert pd.read_parquet(tiny_project.store / f"{name}.parquet").to_csv(index=False) == tables[name].to_csv(index=False), name
    jobs = {job.chapter: job for job in plan.jobs}
    assert jobs["services"].output == "borough/dudley/services.ipynb" and jobs["exceptions"].template == "chapters/exceptions.md"


@pytest.mark.slow
def test_a_changed_spc_yml_recomputes_the_store(tiny_project: Settings) -> None:
    build.build_store(tiny_project)
    key = build.inputs_key(tiny_project)
    (tiny_project.parameters / "spc.yml").write_text("shift: 8\n")
    assert build.inputs_key(tiny_project) != key
    stored, _ = build.build_store(tiny_project)
    assert stored["kpi_spc_rules"].iloc[0]["shift"] == 8
    latest = stored["kpi_xmr_summary"].query("quarter == @QUARTER").set_index("kpi_id")
    assert latest.loc["PI 501", "variation_icon"] == "common_cause"
    assert pd.read_parquet(tiny_project.store / "kpi_spc_rules.parquet").iloc[0]["shift"] == 8


@pytest.mark.slow
def test_a_bad_kpi_file_stops_the_build_and_leaves_the_store_untouched(tiny_project: Settings, capsys) -> None:
    build.build_store(tiny_project)
    before = {p.name: p.read_bytes() for p in sorted(tiny_project.store.iterdir())}
    # A good change to the indicator inputs beside the bad KPI file: were anything written before
    # the KPI data are checked, the indicator store would change.
    survey = pd.read_csv(tiny_project.data / "survey.csv")
    survey.loc[0, "value"] += 1.0
    survey.to_csv(tiny_project.data / "survey.csv", index=False)
    values = pd.read_csv(tiny_project.kpis / "kpi_values.csv")
    row = int(values.index[(values["kpi_id"] == "PI 2074") & (values["period"] == "2019-20 Q3")][0])
    values.loc[row, "value"] = 187.3
    values.to_csv(tiny_project.kpis / "kpi_values.csv", index=False)
    message = f"kpi_values.csv, row {row + 1} (line {row + 2}), column 'value': 187.3 is not a percentage"
    with pytest.raises(DataError, match=re.escape(message)):
        build.build_store(tiny_project)
    after = {p.name: p.read_bytes() for p in sorted(tiny_project.store.iterdir())}
    assert after == before  # byte for byte: nothing half-written
    # The command line says the same, in one line, and fails.
    code = main(["build", "--data", str(tiny_project.data), "--kpis", str(tiny_project.kpis), "--parameters", str(tiny_project.parameters),
                 "--out", str(tiny_project.out), "--no-progress"])  # fmt: skip
    assert code == 1
    assert message in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in sorted(tiny_project.store.iterdir())} == before
