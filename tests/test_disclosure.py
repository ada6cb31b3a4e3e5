"""Disclosure control: the rule, secondary suppression across every published relation, and the
audit. Each relation gets constructed data where subtracting published figures narrows a
withheld count: the audit must fail with secondary suppression off and pass with it on."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from jsna.compute import disclosure as d
from jsna.compute.methods import METHODS
from jsna.errors import BuildError, DataError
from jsna.inputs.disclosure import Cover, Policy, load_policy
from jsna.stats.rates import byars_limits
from tests.conftest import ROOT, area_types, load_test_catalogue

QUINTILE = "Local deprivation quintile"
GEOGRAPHY = pd.DataFrame(
    [
        ("E92000001", "England", "country", None), ("E12000005", "Region", "region", "E92000001"),
        ("B", "Borough", "borough", "E12000005"), ("T", "Township", "township", "B"), ("T2", "Other township", "township", "B"),
        ("W1", "Ward one", "ward", "T"), ("W2", "Ward two", "ward", "T"), ("W3", "Ward three", "ward", "T"), ("W4", "Ward four", "ward", "T2"),
        ("N", "Network", "pcn", "B"), ("P1", "Practice one", "practice", "N"), ("P2", "Practice two", "practice", "N"),
        ("P3", "Practice three", "practice", "N"),
    ],
    columns=["area_code", "area_name", "area_type", "parent_code"],
)  # fmt: skip
KIND = GEOGRAPHY.set_index("area_code")["area_type"]


def rows(cells: list[tuple], *, breakdown: bool = False) -> pd.DataFrame:
    """Table rows of indicator "x" from (area, sex, years, period_end, count[, quintile]) tuples."""
    records = []
    for cell in cells:
        area, sex, years, end, count = cell[:5]
        record = {"indicator_id": "x", "area_code": area, "area_type": KIND[area], "years": years, "period_end": end, "sex": sex,
                  "count": float(count), "denominator": 10_000.0, "value": 1e5 * count / 10_000, "lower_95_0": np.nan, "upper_95_0": np.nan,
                  "lower_99_8": np.nan, "upper_99_8": np.nan, "statistic": "Crude rate per 100,000", "method": "Byar", "note": ""}  # fmt: skip
        if breakdown:
            record.update(category_type=QUINTILE, category=cell[5])
        records.append(record)
    out = pd.DataFrame(records)
    if not breakdown:
        return out
    return out.drop(columns="method")


NO_BREAKDOWNS = rows([(  "B", "Persons", 1, 2020, 0, 1)], breakdown=True).iloc[:0]


def protected(indicators: pd.DataFrame, breakdowns: pd.DataFrame = NO_BREAKDOWNS, *, below_authority: bool = False,
              secondary: bool) -> tuple[d.Cells, d.Audit]:  # fmt: skip
    policy = Policy()
    found = d.cells(indicators, breakdowns, {"x": below_authority}, {"x": "crude_rate"}, policy, "B", published=False)
    cells = d.relations(found, GEOGRAPHY, area_types())
    d.check_relations(cells)
    result, checked, _ = d.protect(cells, policy, secondary=secondary)
    return result, checked


def failing(checked: d.Audit) -> set[tuple]:
    return {(r.area_code, r.sex, r.category) for r in checked.failing.itertuples()}


def withheld(cells: d.Cells) -> set[tuple]:
    frame = cells.frame.loc[cells.frame["status"] == d.SUPPRESSED]
    return {(r.area_code, r.sex, r.category) for r in frame.itertuples()}


# --------------------------------------------------------------------------------------------
# Each relation, on constructed data
# --------------------------------------------------------------------------------------------
def test_a_ward_that_is_the_only_small_count_in_its_township() -> None:
    """Deaths covered below the borough: the borough's exact 63 minus the other township's 60
    (rounded, 58 to 62) leaves the township, and so its one ward with deaths, 1 to 5."""
    table = rows([("B", "Persons", 1, 2020, 63), ("T", "Persons", 1, 2020, 3), ("T2", "Persons", 1, 2020, 60),
                  ("W1", "Persons", 1, 2020, 3), ("W2", "Persons", 1, 2020, 0), ("W3", "Persons", 1, 2020, 0),
                  ("W4", "Persons", 1, 2020, 60)])  # fmt: skip
    _, checked = protected(table, below_authority=True, secondary=False)
    assert failing(checked) == {("T", "Persons", 0), ("W1", "Persons", 0)}
    narrowest = checked.ranges.set_index("area_code").loc["W1"]
    assert (narrowest["lowest"], narrowest["highest"]) == (1, 5)  # worked by hand above
    cells, checked = protected(table, below_authority=True, secondary=True)
    assert checked.failing.empty and checked.narrowest >= 7
    assert {("T2", "Persons", 0), ("W4", "Persons", 0)} <= withheld(cells)  # the other township, and its ward that equals it


def test_persons_men_and_women() -> None:
    """Persons 12 (8 to 12) minus women 9 (8 to 12) leaves men, withheld at 3, 0 to 4."""
    table = rows([("T", "Persons", 1, 2020, 12), ("T", "Male", 1, 2020, 3), ("T", "Female", 1, 2020, 9)])
    _, checked = protected(table, secondary=False)
    assert failing(checked) == {("T", "Male", 0)}
    assert checked.ranges.iloc[0][["lowest", "highest"]].tolist() == [0, 4]
    cells, checked = protected(table, secondary=True)
    assert checked.failing.empty and len(withheld(cells)) == 2


def test_two_relations_each_safe_alone_narrow_a_count_together() -> None:
    """Ward one's men (7): persons 45 minus women 38 (rounded 45 and 40) give 1 to 9; the
    township's men 19 minus ward two's men 12 (rounded 20 and 10) give 6 to 14; together 6 to 9.
    Every relation alone hides it well enough: only the audit finds this."""
    table = rows([
        ("W1", "Persons", 1, 2020, 45), ("W1", "Male", 1, 2020, 7), ("W1", "Female", 1, 2020, 38),
        ("W2", "Persons", 1, 2020, 42), ("W2", "Male", 1, 2020, 12), ("W2", "Female", 1, 2020, 30),
        ("W3", "Persons", 1, 2020, 0), ("W3", "Male", 1, 2020, 0), ("W3", "Female", 1, 2020, 0),
        ("T", "Persons", 1, 2020, 87), ("T", "Male", 1, 2020, 19), ("T", "Female", 1, 2020, 68),
    ])  # fmt: skip
    policy = Policy()
    found = d.relations(d.cells(table, NO_BREAKDOWNS, {"x": False}, {"x": "crude_rate"}, policy, "B", published=False), GEOGRAPHY, area_types())
    assert d._unprotected(found, found.frame["status"].to_numpy(), policy, d._member_of(found)) == []  # each relation alone: fine
    _, checked = protected(table, secondary=False)
    assert ("W1", "Male", 0) in failing(checked)
    row = checked.ranges.set_index(["area_code", "sex"]).loc[("W1", "Male")]
    assert 6 <= row["lowest"] and row["highest"] <= 9
    _, checked = protected(table, secondary=True)
    assert checked.failing.empty


def test_a_pooled_period_and_its_years() -> None:
    """Deaths covered below the borough: the township's 3-year count is its withheld 2018 (4)
    plus two empty years, so it is withheld too; the borough's exact years minus the other
    township's (40: 38 to 42) leave 2018 at 2 to 6, and the exact 3-year counts say the same."""
    table = rows([
        ("B", "Persons", 1, 2018, 44), ("B", "Persons", 1, 2019, 40), ("B", "Persons", 1, 2020, 40), ("B", "Persons", 3, 2020, 124),
        ("T", "Persons", 1, 2018, 4), ("T", "Persons", 1, 2019, 0), ("T", "Persons", 1, 2020, 0), ("T", "Persons", 3, 2020, 4),
        ("T2", "Persons", 1, 2018, 40), ("T2", "Persons", 1, 2019, 40), ("T2", "Persons", 1, 2020, 40), ("T2", "Persons", 3, 2020, 120),
    ])  # fmt: skip
    _, checked = protected(table, below_authority=True, secondary=False)
    # T 2018 = B 2018 (exact 44) - T2 2018 (38 to 42): 2 to 6.
    assert ("T", "Persons", 0) in failing(checked)
    _, checked = protected(table, below_authority=True, secondary=True)
    assert checked.failing.empty


def test_an_area_and_its_deprivation_quantiles() -> None:
    """Covered below the borough: the borough's exact 43 minus its second quintile's 40 (38 to
    42) and three empty quintiles leaves the first quintile, withheld at 3, 1 to 5."""
    table = rows([("B", "Persons", 1, 2020, 43)])
    quintiles = rows([("B", "Persons", 1, 2020, count, q) for q, count in enumerate([3, 40, 0, 0, 0], start=1)], breakdown=True)
    _, checked = protected(table, quintiles, below_authority=True, secondary=False)
    assert failing(checked) == {("B", "Persons", 1)}
    assert checked.ranges.iloc[0][["lowest", "highest"]].tolist() == [1, 5]
    cells, checked = protected(table, quintiles, below_authority=True, secondary=True)
    assert checked.failing.empty and ("B", "Persons", 2) in withheld(cells)


def test_practices_in_a_network() -> None:
    """Covered below the borough: the borough's exact 44 is its one network's count; minus
    practice two's 40 (38 to 42) and practice three's exact 0 it leaves practice one, 2 to 6."""
    table = rows([("B", "Persons", 1, 2020, 44), ("N", "Persons", 1, 2020, 44), ("P1", "Persons", 1, 2020, 4),
                  ("P2", "Persons", 1, 2020, 40), ("P3", "Persons", 1, 2020, 0)])  # fmt: skip
    _, checked = protected(table, below_authority=True, secondary=False)
    assert failing(checked) == {("P1", "Persons", 0)}
    assert checked.ranges.iloc[0][["lowest", "highest"]].tolist() == [2, 6]
    cells, checked = protected(table, below_authority=True, secondary=True)
    assert checked.failing.empty and ("P1", "Persons", 0) in withheld(cells) and len(withheld(cells) & {("P2", "Persons", 0), ("P3", "Persons", 0)}) == 1


def test_a_relation_the_data_do_not_keep_stops_the_build() -> None:
    table = rows([("T", "Persons", 1, 2020, 30), ("T", "Male", 1, 2020, 20), ("T", "Female", 1, 2020, 20)])
    found = d.relations(d.cells(table, NO_BREAKDOWNS, {"x": False}, {"x": "crude_rate"}, Policy(), "B", published=False), GEOGRAPHY, area_types())
    with pytest.raises(BuildError, match="is not the sum of"):
        d.check_relations(found)


# --------------------------------------------------------------------------------------------
# What is published
# --------------------------------------------------------------------------------------------
def test_rates_and_their_limits_are_calculated_from_the_rounded_count() -> None:
    """A crude rate times its denominator, and its limits, give back 25 (published), never 23."""
    table = rows([("T", "Persons", 1, 2020, 23), ("T", "Male", 1, 2020, 11), ("T", "Female", 1, 2020, 12)])
    cells, _ = protected(table, secondary=True)
    catalogue = [{"id": "x", "method": "crude_rate", "multiplier": 100_000}]
    published = d.publish(table, "indicators", cells, catalogue, Policy()).set_index("sex")
    persons = published.loc["Persons"]
    assert persons["count"] == 25
    assert persons["value"] * persons["denominator"] / 1e5 == pytest.approx(25, abs=0.05)  # published to 1 decimal place
    lower, upper = byars_limits(np.array([25.0]), 0.95)
    assert persons["lower_95_0"] == round(1e5 * lower[0] / 10_000, 1) and persons["upper_95_0"] == round(1e5 * upper[0] / 10_000, 1)
    assert "rounded for disclosure control" in persons["method"]


def test_a_dsrs_limits_give_back_only_the_rounded_count() -> None:
    """Dobson limits: (upper - value) / (value - lower) = (byars_upper(O) - O) / (O - byars_lower(O)),
    which gives O back; published, the ratio is that of the rounded count."""
    exact, rounded = 23.0, 25.0
    value, spread = 150.0, 3.0  # sqrt(var/O) x multiplier
    lower, upper = byars_limits(np.array([exact]), 0.95)
    row = pd.DataFrame({"count": [rounded], "exact_count": [exact], "value": [value],
                        "lower_95_0": [value + spread * (lower[0] - exact)], "upper_95_0": [value + spread * (upper[0] - exact)],
                        "lower_99_8": [np.nan], "upper_99_8": [np.nan], "statistic": ["DSR per 100,000"], "method": ["Dobson"]})  # fmt: skip
    low99, up99 = byars_limits(np.array([exact]), 0.998)
    row["lower_99_8"], row["upper_99_8"] = value + spread * (low99[0] - exact), value + spread * (up99[0] - exact)
    out = METHODS["dsr"].from_rounded(row, np.ones(1), np.array([23.0])).iloc[0]
    ratio = (out["upper_95_0"] - value) / (value - out["lower_95_0"])
    r_lower, r_upper = byars_limits(np.array([rounded]), 0.95)
    assert ratio == pytest.approx((r_upper[0] - rounded) / (rounded - r_lower[0]), rel=1e-12)
    assert ratio != pytest.approx((upper[0] - exact) / (exact - lower[0]), rel=1e-6)
    # A rounded 10 could stand for 8 or 9 events: the rate is not published at all.
    out = METHODS["dsr"].from_rounded(row.assign(count=10.0, exact_count=12.0), np.ones(1), np.array([8.0])).iloc[0]
    assert math.isnan(out["value"]) and out["statistic"].startswith("DSR not calculated")


def test_withheld_cells_are_blank_everywhere_with_one_note_and_the_audit_reads_them_back() -> None:
    table = rows([("T", "Persons", 1, 2020, 12), ("T", "Male", 1, 2020, 3), ("T", "Female", 1, 2020, 9)])
    cells, checked = protected(table, secondary=True)
    catalogue = [{"id": "x", "method": "crude_rate", "multiplier": 100_000}]
    published = d.publish(table, "indicators", cells, catalogue, Policy())
    hidden = published.loc[published["note"] != ""]
    assert len(hidden) == 2 and set(hidden["note"]) == {Policy().footnote}  # the rule's and the protecting cell's notes are one
    assert hidden[["count", "value", "lower_95_0", "upper_95_0"]].isna().all().all()
    again = d.audit(d.relations(d.cells(published, NO_BREAKDOWNS, {"x": False}, {"x": "crude_rate"}, Policy(), "B", published=True),
                                GEOGRAPHY, area_types()), Policy())  # fmt: skip
    assert again.failing.empty and len(again.ranges) == 2


def test_covered_indicators_publish_only_the_periods_the_pages_show() -> None:
    catalogue = [{"id": "x", "method": "crude_rate", "windows": [1, 3, 5], "numerator": {"table": "admissions"}}]
    policy = Policy(covers=(Cover("hospital", source="admissions"),))
    table = rows([(area, "Persons", years, 2020, 50) for area in ("B", "T", "W1") for years in (1, 3, 5)])
    kept = d.shown_periods(table, catalogue, policy, area_types(), "B", breakdown=False)
    assert sorted(zip(kept["area_code"], kept["years"])) == [("B", 1), ("B", 5), ("T", 1), ("T", 5), ("W1", 5)]
    quintiles = rows([("T", "Persons", years, 2020, 50, 1) for years in (1, 3, 5)], breakdown=True)
    assert d.shown_periods(quintiles, catalogue, policy, area_types(), "B", breakdown=True)["years"].tolist() == [5]
    assert len(d.shown_periods(table, catalogue, Policy(covers=policy.covers, periods="all"), area_types(), "B", breakdown=False)) == 9
    # Under a rule for areas below the borough, the borough's own figures keep every period.
    below = Policy(covers=(Cover("deaths", source="admissions", below_authority=True),))
    kept = d.shown_periods(table, catalogue, below, area_types(), "B", breakdown=False)
    assert sorted(zip(kept["area_code"], kept["years"])) == [("B", 1), ("B", 3), ("B", 5), ("T", 1), ("T", 5), ("W1", 5)]


# --------------------------------------------------------------------------------------------
# The policy file
# --------------------------------------------------------------------------------------------
def test_the_shipped_policy_covers_hospital_data_and_deaths_and_conceptions_below_the_borough() -> None:
    catalogue = load_test_catalogue()
    policy = load_policy(ROOT / "parameters" / "disclosure.yml", catalogue, METHODS)
    covered = d.covered_ids(catalogue, policy)
    hospital = {e["id"] for e in catalogue if e.get("numerator", {}).get("table") in ("admissions", "practice_admissions")}
    assert hospital <= set(covered) and not any(covered[i] for i in hospital)
    assert covered["suicide_rate"] and covered["drug_misuse_deaths"] and covered["infant_mortality"] and covered["under_18_conceptions"]
    assert "under_75_cvd_preventable" not in covered and "life_expectancy_birth" not in covered
    assert (policy.suppress_from, policy.suppress_to, policy.round_to, policy.protection) == (1, 7, 5, 7)


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (lambda p: p["rule"].update(round_to=9), None, "round_to must be from 1 to 8"),
        (lambda p: p["covers"].append({"name": "x", "source": "hospital_episodes"}), None, "'hospital_episodes' is not an input table"),
        (lambda p: p["covers"].append({"name": "x", "indicators": ["life_expectancy_birth"]}), None, "cannot be published under the rule"),
        (lambda p: p["covers"].append({"name": "x", "indicators": ["no_such_indicator"]}), None, "'no_such_indicator' is not in the catalogue"),
        (lambda p: p["rule"].update(sharpness=3), None, "unknown setting 'sharpness'"),
    ],
    ids=["rounding that reveals", "unknown source", "method without rounding", "unknown indicator", "unknown setting"],
)
def test_a_bad_policy_is_named_at_its_line(tmp_path: Path, change, line, message: str) -> None:
    policy = yaml.safe_load((ROOT / "parameters" / "disclosure.yml").read_text())
    change(policy)
    path = tmp_path / "disclosure.yml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    with pytest.raises(DataError, match=message) as caught:
        load_policy(path, load_test_catalogue(), METHODS)
    assert caught.value.line is not None and "disclosure.yml, line" in str(caught.value)


# --------------------------------------------------------------------------------------------
# Sparse data: the generator's --sparse option, built and audited
# --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_store_built_on_sparse_data_passes_the_audit(tmp_path: Path) -> None:
    data = tmp_path / "sparse"
    result = subprocess.run([sys.executable, "scripts/make_demo_data.py", "--sparse", "--out", str(data)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    from jsna.book.build import build_store, load_disclosure
    from jsna.book.publish import audit_store
    from jsna.config import Settings

    settings = Settings(data=data, out=tmp_path / "out")
    tables, parameters = build_store(settings)
    summary = tables["disclosure_summary"]
    assert summary["withheld_by_rule"].sum() > 1000 and summary["withheld_to_protect"].sum() > 0  # small counts are common here
    found = audit_store(settings, load_disclosure(settings, parameters), parameters.area_types)
    assert found.failing.empty and found.narrowest >= 7 and len(found.ranges) == summary[["withheld_by_rule", "withheld_to_protect"]].sum().sum()


def test_the_audits_ranges_are_those_of_an_independent_linear_programme() -> None:
    """On random tables (wards, townships, the borough; persons, men, women; 1- and 3-year
    periods), every withheld cell's range from the audit (small programmes first, the whole one
    when undecided) equals its range from scipy's linprog over the whole system."""
    from scipy.optimize import linprog

    rng = np.random.default_rng(20261130)
    policy = Policy(periods="all")
    wards = {"T": ["W1", "W2", "W3"], "T2": ["W4"]}
    for trial in range(6):
        cells = []
        for end in (2019, 2020, 2021):
            for sex in ("Male", "Female"):
                for ward in ("W1", "W2", "W3", "W4"):
                    cells.append((ward, sex, 1, end, int(rng.choice([0, 2, 5, 9, 14, 30]))))
        table = rows(cells)
        counts = table.groupby(["area_code", "years", "period_end", "sex"])["count"].sum()
        extra = [(w, "Persons", 1, e, counts[(w, 1, e, "Male")] + counts[(w, 1, e, "Female")]) for w in ("W1", "W2", "W3", "W4") for e in (2019, 2020, 2021)]
        table = rows(cells + extra)
        for parent, children in wards.items():
            for sex in ("Persons", "Male", "Female"):
                for end in (2019, 2020, 2021):
                    total = table.loc[table["area_code"].isin(children) & (table["sex"] == sex) & (table["period_end"] == end), "count"].sum()
                    table = pd.concat([table, rows([(parent, sex, 1, end, total)])], ignore_index=True)
        for area in ("W1", "W2", "W3", "W4", "T", "T2"):
            for sex in ("Persons", "Male", "Female"):
                total = table.loc[(table["area_code"] == area) & (table["sex"] == sex) & (table["years"] == 1), "count"].sum()
                table = pd.concat([table, rows([(area, sex, 3, 2021, total)])], ignore_index=True)
        found = d.relations(d.cells(table, NO_BREAKDOWNS, {"x": False}, {"x": "crude_rate"}, policy, "B", published=False), GEOGRAPHY, area_types())
        d.check_relations(found)
        checked = d.audit(found, policy)
        lower, upper = d.bounds(found.frame, policy)
        n = len(found.frame)
        a_eq = np.zeros((len(found.relations), n))
        for r, members in enumerate(found.relations):
            a_eq[r, members[0]] += 1
            a_eq[r, members[1:]] -= 1
        box = [(lo, None if np.isinf(up) else up) for lo, up in zip(lower, upper)]
        positions = d._positions(found, checked.ranges)
        assert len(positions) == int((found.frame["status"] == d.SUPPRESSED).sum()) > 0
        for position, row in zip(positions, checked.ranges.itertuples()):
            objective = np.zeros(n)
            objective[position] = 1.0
            low = linprog(objective, A_eq=a_eq, b_eq=np.zeros(len(a_eq)), bounds=box, method="highs").fun
            high = linprog(-objective, A_eq=a_eq, b_eq=np.zeros(len(a_eq)), bounds=box, method="highs")
            high = math.inf if high.status == 3 else -high.fun
            expected = math.ceil(low - 1e-6), (math.floor(high + 1e-6) if math.isfinite(high) else math.inf)
            if expected[1] - expected[0] + 1 < policy.protection:  # a failing cell: its exact range
                assert (row.lowest, row.highest) == expected, (trial, found.of(position))
            else:  # a safe cell: shown safe (the audit may stop once the range is wide enough)
                assert row.possible >= policy.protection and expected[0] <= row.lowest and row.highest <= expected[1], (trial, found.of(position))
