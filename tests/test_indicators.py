"""The indicator store: areas, periods, methods, comparisons and small-number rules."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from jsna.compute import indicators
from jsna.errors import DataError
from jsna.inputs import periods
from jsna.inputs.disclosure import Policy
from jsna.inputs.tables import load_inputs
from jsna.store import TABLES, parquet_bytes
from tests.conftest import (
    ROOT,
    area_types,
    compute_indicators,
    load_test_catalogue,
    tiny_tables,
    write_tables,
)

CATALOGUE = ROOT / "data" / "indicators.yml"
Z95 = 1.959963984540054


def wilson(n: float, d: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval written out from the formula (Newcombe 1998), as proportions."""
    p = n / d
    centre = 2 * n + z * z
    spread = z * math.sqrt(z * z + 4 * n * (1 - p))
    return (centre - spread) / (2 * (d + z * z)), (centre + spread) / (2 * (d + z * z))


def store_for(folder: Path, catalogue: list[dict] | None = None, policy: Policy | None = None) -> pd.DataFrame:
    inputs = load_inputs(folder, ROOT / "data" / "reference")
    catalogue = catalogue or load_test_catalogue(CATALOGUE)
    return compute_indicators(inputs, catalogue, policy)


def row(store: pd.DataFrame, indicator: str, area: str, *, sex: str = "Persons", years: int = 1, end: int = 2020) -> pd.Series:
    match = store.loc[
        (store["indicator_id"] == indicator) & (store["area_code"] == area) & (store["sex"] == sex)
        & (store["years"] == years) & (store["period_end"] == end)
    ]  # fmt: skip
    assert len(match) == 1, f"{indicator} {area} {sex} {years} {end}: {len(match)} rows"
    return match.iloc[0]


def test_proportion_counts_every_small_area_towards_its_ward_township_and_borough(tiny_data: Path) -> None:
    store = store_for(tiny_data)
    # 6 bands aged 65+ x 100 people x 2 sexes x 2 small areas out of 20 bands x 100 x 2 x 2.
    for area in ("XW0000001", "XT0000001", "E08000027"):
        r = row(store, "aged_65_plus", area)
        assert (r["count"], r["denominator"]) == (2400, 8000)
        assert r["value"] == pytest.approx(30.0, rel=1e-12)
        low, high = wilson(2400, 8000)
        assert r["lower_95_0"] == pytest.approx(100 * low, rel=1e-9)
        assert r["upper_95_0"] == pytest.approx(100 * high, rel=1e-9)
    # imd_decile filter: only the decile-1 small area counts.
    assert row(store, "most_deprived_20pc", "E08000027")["count"] == 4000


def test_practice_indicators_go_to_practice_network_and_borough(tiny_data: Path) -> None:
    store = store_for(tiny_data)
    diabetes = store.loc[store["indicator_id"] == "diabetes_prevalence"]
    assert set(diabetes["area_type"]) == {"practice", "pcn", "borough"}
    assert row(store, "diabetes_prevalence", "XN0000001", end=2020)["value"] == pytest.approx(100 * 300 / 3800, rel=1e-12)
    assert row(store, "diabetes_prevalence", "XN0000001")["period"] == "2019/20"


def test_store_columns_and_determinism(tiny_data: Path) -> None:
    first, second = store_for(tiny_data), store_for(tiny_data)
    assert list(first.columns) == TABLES["indicators"].column_names
    assert parquet_bytes(first) == parquet_bytes(second)


@pytest.mark.parametrize(
    "start,end,year_type,label",
    [
        (2020, 2020, "calendar", "2020"),
        (2018, 2020, "calendar", "2018 - 20"),
        (2020, 2020, "financial", "2019/20"),
        (2018, 2020, "academic", "2017/18 - 19/20"),
        (2008, 2010, "calendar", "2008 - 10"),
    ],
)
def test_period_labels(start: int, end: int, year_type: str, label: str) -> None:
    assert periods.period_label(pd.Series([start]), pd.Series([end]), year_type).iloc[0] == label


def test_pooling_keeps_only_complete_windows() -> None:
    df = pd.DataFrame({"year": [2013, 2014, 2015, 2016], "x": [1.0, 2.0, 3.0, 4.0]})
    pooled = periods.pool_years(df, [1, 3], 2013, 2016)
    three = pooled.loc[pooled["years"] == 3].groupby("period_end")["x"].sum()
    assert three.to_dict() == {2015: 6.0, 2016: 9.0}
    assert pooled.loc[pooled["years"] == 1].groupby("period_end")["x"].sum().to_dict() == {2013: 1, 2014: 2, 2015: 3, 2016: 4}


def test_three_year_windows_of_a_crude_rate(tmp_path: Path) -> None:
    tables = tiny_tables()
    births, deaths, pop = [], [], []
    for year, (b, d) in zip([2018, 2019, 2020], [(40, 1), (50, 0), (60, 2)]):
        births.append(tables["births"].assign(year=year, live_births=b, term_live_births=b - 2, maternities=b))
        deaths.append(pd.DataFrame([("XS0000002", year, "Male", "0", "other", "false", d)], columns=tables["deaths"].columns))
        pop.append(tables["population"].assign(year=year))
    tables.update(births=pd.concat(births), deaths=pd.concat(deaths).query("deaths > 0"), population=pd.concat(pop))
    # The method, not disclosure control: the tiny borough's one township would have its deaths withheld.
    store = store_for(write_tables(tmp_path / "d", tables), policy=Policy())
    r = row(store, "infant_mortality", "E08000027", years=3, end=2020)
    assert (r["count"], r["denominator"], r["period"]) == (3, 150, "2018 - 20")
    assert r["value"] == pytest.approx(1000 * 3 / 150, rel=1e-12)
    # Fewer than 10 events: exact Poisson limits (chi-squared), written out independently.
    from scipy.stats import chi2

    assert r["lower_95_0"] == pytest.approx(1000 * chi2.ppf(0.025, 6) / 2 / 150, rel=1e-9)
    assert r["upper_95_0"] == pytest.approx(1000 * chi2.ppf(0.975, 8) / 2 / 150, rel=1e-9)


def test_comparisons_with_england_and_parent(tiny_data: Path, copy_reference: Path) -> None:
    comparators = pd.read_csv(copy_reference / "comparators.csv", dtype=str)
    extra = pd.DataFrame(
        [("aged_65_plus", "E92000001", "2020", "Persons", "18.4", "test"), ("aged_65_plus", "E12000005", "2020", "Persons", "30.5", "test")],
        columns=comparators.columns,
    )
    pd.concat([comparators, extra]).to_csv(copy_reference / "comparators.csv", index=False)
    inputs = load_inputs(tiny_data, copy_reference)
    catalogue = [dict(e, polarity="RAG - Low is good") for e in load_test_catalogue(CATALOGUE) if e["id"] == "aged_65_plus"]
    store = compute_indicators(inputs, catalogue)
    borough = store.loc[store["area_code"] == "E08000027"].iloc[0]
    # 30% (29.0 to 31.0) against England's 18.4: significantly higher, and low is good -> Worse.
    assert (borough["england_value"], borough["compared_to_england"]) == (18.4, "Worse")
    # The parent of the borough is the region (30.5, inside the interval): Similar.
    assert (borough["parent_value"], borough["compared_to_parent"]) == (30.5, "Similar")
    ward = store.loc[store["area_code"] == "XW0000001"].iloc[0]
    assert ward["parent_code"] == "XT0000001" and ward["parent_value"] == pytest.approx(30.0)


def test_suppressed_values_never_reach_the_store(tiny_data: Path) -> None:
    store = store_for(tiny_data)
    copd = store.loc[store["indicator_id"] == "copd_admissions"]
    assert copd["note"].str.startswith("[c]").all() and copd["count"].isna().all() and copd["value"].isna().all()


def test_catalogue_is_valid_and_bad_entries_are_named(tmp_path: Path) -> None:
    entries = load_test_catalogue(CATALOGUE)
    assert len(entries) >= 10
    broken = yaml.safe_load(CATALOGUE.read_text())
    broken[2]["method"] = "median"
    path = tmp_path / "indicators.yml"
    path.write_text(yaml.safe_dump(broken))
    with pytest.raises(DataError) as caught:
        load_test_catalogue(path)
    # The line of the field at fault, in the file as written (yaml.safe_dump sorts the keys).
    assert path.read_text().splitlines()[caught.value.line - 1] == "  method: median"
    assert caught.value.field == "method" and broken[2]["id"] in str(caught.value)
    broken = yaml.safe_load(CATALOGUE.read_text())
    broken[0]["numerator"]["column"] = "people"
    path.write_text(yaml.safe_dump(broken))
    with pytest.raises(DataError, match="no column 'people'"):
        load_test_catalogue(path)


def test_recent_trend_marks_only_the_latest_row_of_each_series(tmp_path: Path) -> None:
    tables = tiny_tables()
    weights = []
    for year, excess in zip(range(2016, 2023), [760, 800, 840, 880, 920, 960, 1000]):
        weights.append(tables["child_weight"].assign(year=year, measured=2000, excess_weight=excess, obese=200))
    tables["child_weight"] = pd.concat(weights)
    tables["population"] = pd.concat([tables["population"].assign(year=y) for y in range(2016, 2023)])
    catalogue = [e for e in load_test_catalogue(CATALOGUE) if e["id"] == "year6_excess_weight"]
    store = store_for(write_tables(tmp_path / "d", tables), catalogue)
    borough = store.loc[(store["area_code"] == "E08000027") & (store["years"] == 1)].sort_values("period_end")
    assert (borough["recent_trend"].iloc[:-1] == "").all()
    # 42% -> 50% over the last five years of 2,000 children: a significant increase, and low is good.
    assert borough["recent_trend"].iloc[-1] == "Increasing and getting worse"


def test_a_row_england_is_published_for_carries_the_trend_to_that_period(tmp_path: Path) -> None:
    """Summaries show the latest period comparable with England, so that row needs its own trend:
    the five periods up to it, not the series' latest five."""
    from jsna import stats

    tables = tiny_tables()
    excess = [700, 740, 780, 820, 860, 900, 940, 860, 780, 700, 620]  # rising to 2018, then falling
    tables["child_weight"] = pd.concat(
        [tables["child_weight"].assign(year=y, measured=2000, excess_weight=e, obese=200) for y, e in zip(range(2012, 2023), excess)]
    )
    tables["population"] = pd.concat([tables["population"].assign(year=y) for y in range(2012, 2023)])
    catalogue = [e for e in load_test_catalogue(CATALOGUE) if e["id"] == "year6_excess_weight"]
    store = store_for(write_tables(tmp_path / "d", tables), catalogue)
    pooled = store.loc[(store["area_code"] == "E08000027") & (store["years"] == 3)].sort_values("period_end").set_index("period_end")
    assert pooled.loc[2020, "period"] == "2017/18 - 19/20" and pooled["england_value"].notna().tolist().count(True) == 1
    to_2020 = stats.recent_trend(pooled.loc[:2020].reset_index(), period="period_end", count="count", denominator="denominator",
                                 polarity="RAG - Low is good")  # fmt: skip
    assert pooled.loc[2020, "recent_trend"] == to_2020["trend"].iloc[0]
    to_2022 = stats.recent_trend(pooled.reset_index(), period="period_end", count="count", denominator="denominator", polarity="RAG - Low is good")
    assert pooled.loc[2022, "recent_trend"] == to_2022["trend"].iloc[0]
    assert pooled.loc[2020, "recent_trend"] != pooled.loc[2022, "recent_trend"]  # the two windows tell different stories
    assert (pooled.drop(index=[2020, 2022])["recent_trend"] == "").all()


def test_region_value_comes_from_the_published_comparators(tiny_data: Path) -> None:
    store = store_for(tiny_data)
    smoking = row(store, "adult_smoking", "E08000027", end=2020)
    assert np.isnan(smoking["region_value"])  # no published value for 2019/20
    published = pd.read_csv(ROOT / "data" / "reference" / "comparators.csv")
    assert published.loc[(published["indicator_id"] == "adult_smoking") & (published["area_code"] == "E12000005"), "period"].tolist() == ["2020/21"]


def test_funnel_tables_flag_an_outlying_practice() -> None:
    practices = pd.DataFrame(
        {
            "indicator_id": "diabetes_prevalence", "area_type": "practice", "sex": "Persons", "years": 1, "period": "2020/21",
            "area_code": ["P1", "P2", "P3"], "area_name": ["One", "Two", "Three"], "parent_code": "N1",
            "count": [80.0, 100.0, 300.0], "denominator": [1000.0, 1000.0, 1000.0],
        }
    )  # fmt: skip
    borough = practices.iloc[[0]].assign(area_type="borough", area_code="B", count=480.0, denominator=3000.0)
    store = pd.concat([practices, borough], ignore_index=True).assign(value=lambda d: 100 * d["count"] / d["denominator"])
    catalogue = [{"id": "diabetes_prevalence", "method": "proportion", "multiplier": 100, "funnel": True}]
    tables = indicators.funnel_tables(store, catalogue, area_types())
    funnel = tables["funnels"].set_index("area_code")
    # Baseline 16%: 30% at n = 1,000 is far above the 99.8% limit, 10% far below, 8% too.
    assert funnel.loc["P3", "significance"] == "High (0.001)"
    assert funnel.loc["P2", "significance"] == "Low (0.001)"
    assert (funnel["baseline"] == 16.0).all()
    assert len(tables["funnel_lines"]) > 0


def test_suppressed_values_leak_through_no_comparison_or_parent_value(tiny_data: Path) -> None:
    inputs = load_inputs(tiny_data, ROOT / "data" / "reference")
    # As a crude rate, 2 admissions give 25 per 100,000 (3 to 90), far below England's 415:
    # "Better" if the comparison were made before suppression.
    catalogue = [dict(e, windows=[1], method="crude_rate") for e in load_test_catalogue(CATALOGUE) if e["id"] == "copd_admissions"]
    store = compute_indicators(inputs, catalogue)
    assert store["note"].str.startswith("[c]").all()
    assert (store["compared_to_england"] == "Not compared").all() and (store["compared_to_parent"] == "Not compared").all()
    inside = store["parent_code"].isin(store["area_code"])  # the borough's parent is the region's published value
    assert inside.any() and store.loc[inside, "parent_value"].isna().all()


def test_every_place_is_also_compared_with_the_borough(tiny_data: Path) -> None:
    store = store_for(tiny_data)
    ward = row(store, "aged_65_plus", "XW0000001")
    borough = row(store, "aged_65_plus", "E08000027")
    assert ward["parent_code"] == "XT0000001"  # its parent is the township...
    assert ward["authority_value"] == borough["value"]  # ...and it is compared with the borough too
    assert ward["compared_to_authority"] == "Not compared"  # no polarity for an age share
