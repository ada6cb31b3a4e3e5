"""Fingertips extracts in the book: England's and the region's values for every period they hold,
the method ``fingertips`` taking the authority's figures, comparison and trend from them, the
citation, and the errors at the catalogue entry's line.

The extracts are written here by hand in the web export's layout (their figures are invented
for the test; the reader's own tests read the real export).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import yaml

from jsna.__main__ import main
from jsna.compute.methods import METHODS
from jsna.errors import DataError
from jsna.inputs import fingertips
from jsna.inputs.catalogue import load_catalogue
from jsna.inputs.places import load_chapters
from jsna.inputs.tables import load_inputs
from tests.conftest import ROOT, area_types, compute_indicators

WEB = ["Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type", "Sex", "Age", "Category Type",
       "Category", "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count",
       "Denominator", "Value note", "Recent Trend", "Compared to England value or percentiles", "Compared to Region value or percentiles",
       "Time period Sortable", "New data", "Compared to goal"]  # fmt: skip
AGE = "All ages"
SOURCE = "OHID Fingertips, indicator 20101, extracted 5 March 2024"


def figure(area: str, kind: str, period: str, value: float, *, age: str = AGE, count="", denominator="", compared="", trend="",
           category_type="", category="") -> dict:  # fmt: skip
    return {"Indicator ID": "20101", "Indicator Name": "Low birth weight of term babies", "Area Code": area, "Area Name": area, "Area Type": kind,
            "Sex": "Persons", "Age": age, "Category Type": category_type, "Category": category, "Time period": period, "Value": value,
            "Lower CI 95.0 limit": round(value * 0.9, 3), "Upper CI 95.0 limit": round(value * 1.1, 3), "Count": count, "Denominator": denominator,
            "Recent Trend": trend, "Compared to England value or percentiles": compared}  # fmt: skip


FIGURES = [
    figure("E92000001", "England", "2018", 2.9), figure("E92000001", "England", "2019", 2.9), figure("E92000001", "England", "2020", 2.8),
    figure("E12000005", "Region", "2020", 3.2),
    figure("E08000027", "County & UA", "2019", 3.4, count=104, denominator=3059, compared="Worse"),
    figure("E08000027", "County & UA", "2020", 3.6, count=110, denominator=3050, compared="Worse", trend="No significant change"),
    # A breakdown (deprivation decile) of England: not England's figure.
    figure("E92000001", "England", "2020", 4.1, category_type="England deprivation deciles (IMD2019)", category="Most deprived decile"),
]  # fmt: skip


def write_extract(folder: Path, figures: list[dict], name: str = "fingertips_2024-03-05.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=WEB, restval="", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(figures)
    return folder


def raw_entry(indicator_id: str) -> dict:
    entries = yaml.safe_load((ROOT / "data" / "indicators.yml").read_text(encoding="utf-8"))
    return next(e for e in entries if e["id"] == indicator_id)


def computed_entry(**extra) -> dict:
    return {**raw_entry("low_birth_weight_term"), "fingertips_id": 20101, **extra}


def fingertips_entry(**extra) -> dict:
    entry = {k: v for k, v in raw_entry("low_birth_weight_term").items() if k not in ("numerator", "denominator", "multiplier")}
    return {**entry, "id": "low_birth_weight_fingertips", "method": "fingertips", "fingertips_id": 20101, "areas": ["authority"], "windows": [1], **extra}


def load(tmp_path: Path, tiny_data: Path, reference: Path, entries: list[dict], figures=FIGURES):
    """Inputs, catalogue and linked figures, as the build makes them."""
    path = tmp_path / "indicators.yml"
    path.write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")
    inputs = load_inputs(tiny_data, reference)
    export = fingertips.read_exports(fingertips.find_exports(write_extract(tmp_path / "fingertips", figures)))
    chapters = load_chapters(ROOT / "parameters" / "chapters.yml", ROOT)
    catalogue = load_catalogue(path, methods=METHODS, area_types=area_types(), chapters=chapters, inputs=inputs, fingertips=export)
    rows = fingertips.linked(export, catalogue, [inputs.code_of(r) for r in ("country", "region", "authority")])
    return inputs, catalogue, rows


def test_england_and_the_region_come_from_the_extract_for_every_period(tmp_path, tiny_data, reference) -> None:
    inputs, catalogue, rows = load(tmp_path, tiny_data, reference, [computed_entry()])
    assert inputs.comparators.query("indicator_id == 'low_birth_weight_term'").empty  # nothing hand-copied for it
    comparators = inputs.with_fingertips(rows).comparators.query("indicator_id == 'low_birth_weight_term'")
    england = comparators.loc[comparators["area_code"] == "E92000001"].set_index("period")["value"].to_dict()
    assert england == {"2018": 2.9, "2019": 2.9, "2020": 2.8}  # the decile breakdown (4.1) is not England's value
    assert comparators.loc[comparators["area_code"] == "E12000005", "value"].tolist() == [3.2]
    assert "E08000027" not in set(comparators["area_code"])  # the authority's own figures are not comparators
    assert set(comparators["source"]) == {SOURCE}


def test_an_extract_replaces_a_hand_copied_comparator_for_the_same_period(tmp_path, tiny_data, reference) -> None:
    entry = {**raw_entry("infant_mortality"), "fingertips_id": 20101}
    hand = load_inputs(tiny_data, reference).comparators.query("indicator_id == 'infant_mortality' and area_code == 'E92000001'")
    period = hand["period"].iloc[0]
    figures = [dict(f, **{"Time period": period}) for f in FIGURES[:1]]
    inputs, _, rows = load(tmp_path, tiny_data, reference, [entry], figures)
    merged = inputs.with_fingertips(rows).comparators.query("indicator_id == 'infant_mortality' and area_code == 'E92000001'")
    assert len(merged) == len(hand)
    assert merged.set_index("period").loc[period, "value"] == 2.9 != hand.set_index("period").loc[period, "value"]


def test_not_compared_rows_fall_when_the_extract_gives_england_values(tmp_path, tiny_data, reference) -> None:
    inputs, catalogue, rows = load(tmp_path, tiny_data, reference, [computed_entry()])
    before = compute_indicators(inputs, catalogue)
    after = compute_indicators(inputs.with_fingertips(rows), catalogue)
    assert (before["compared_to_england"] == "Not compared").sum() > (after["compared_to_england"] == "Not compared").sum()
    row = after.loc[(after["area_code"] == "E08000027") & (after["years"] == 1) & (after["period"] == "2020")].iloc[0]
    assert row["england_value"] == 2.8 and row["region_value"] == 3.2 and row["compared_to_england"] != "Not compared"
    assert row["value"] == pytest.approx(100 / 28)  # still computed from the local data


def test_method_fingertips_takes_the_authoritys_figures_comparison_and_trend(tmp_path, tiny_data, reference) -> None:
    inputs, catalogue, rows = load(tmp_path, tiny_data, reference, [fingertips_entry()])
    table = compute_indicators(inputs.with_fingertips(rows), catalogue).set_index("period")
    assert table["area_code"].unique().tolist() == ["E08000027"] and sorted(table.index) == ["2019", "2020"]
    latest = table.loc["2020"]
    assert (latest["value"], latest["lower_95_0"], latest["upper_95_0"], latest["count"], latest["denominator"]) == (3.6, 3.24, 3.96, 110, 3050)
    assert latest["england_value"] == 2.8 and latest["compared_to_england"] == "Worse"  # Fingertips' verdict, as published
    assert latest["recent_trend"] == "No significant change"
    assert latest["method"] == SOURCE and latest["statistic"] == "Published value"
    assert np.isnan(table.loc["2019", "england_value"]) or table.loc["2019", "england_value"] == 2.9


def test_the_citation_is_added_to_the_definition(tmp_path, tiny_data, reference) -> None:
    _, catalogue, rows = load(tmp_path, tiny_data, reference, [computed_entry(), fingertips_entry()])
    cited = {e["id"]: e["source"] for e in fingertips.cited(catalogue, rows)}
    assert cited["low_birth_weight_term"].endswith(f"; England and region values: {SOURCE}")
    assert cited["low_birth_weight_fingertips"].endswith(f"; {SOURCE}")


def test_several_ages_need_fingertips_age(tmp_path, tiny_data, reference) -> None:
    figures = FIGURES + [figure("E92000001", "England", "2020", 1.9, age="<1 yr")]
    with pytest.raises(DataError) as raised:
        load(tmp_path, tiny_data, reference, [computed_entry()], figures)
    lines = (tmp_path / "indicators.yml").read_text(encoding="utf-8").splitlines()
    assert raised.value.line == lines.index("  fingertips_id: 20101") + 1 and raised.value.field == "fingertips_id"
    assert "for several ages ('<1 yr', 'All ages'); say which with fingertips_age" in str(raised.value)
    _, _, rows = load(tmp_path, tiny_data, reference, [computed_entry(fingertips_age="<1 yr")], figures)
    assert rows["value"].tolist() == [1.9]
    with pytest.raises(DataError, match="fingertips_age '16\\+ yrs' is not an age of Fingertips indicator 20101"):
        load(tmp_path, tiny_data, reference, [computed_entry(fingertips_age="16+ yrs")], figures)


def test_periods_of_another_kind_of_year_are_refused(tmp_path, tiny_data, reference) -> None:
    figures = [dict(f, **{"Time period": "2019/20"}) for f in FIGURES[:1]]
    with pytest.raises(DataError, match=r"published for financial years \('2019/20', fingertips_2024-03-05.csv line 2\) but the entry's year_type is calendar"):
        load(tmp_path, tiny_data, reference, [computed_entry()], figures)


def test_method_fingertips_without_the_authoritys_figures_is_refused(tmp_path, tiny_data, reference) -> None:
    with pytest.raises(DataError, match=r"method fingertips takes the authority's figures of Fingertips indicator 20101 \(E08000027, Persons\)"):
        load(tmp_path, tiny_data, reference, [fingertips_entry()], FIGURES[:4])


def test_a_named_fingertips_folder_must_exist(tmp_path, capsys) -> None:
    assert main(["build", "--fingertips", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 1
    assert "nowhere: folder not found" in capsys.readouterr().err
