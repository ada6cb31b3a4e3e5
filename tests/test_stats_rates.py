"""Tests for jsna.stats proportions, crude rates, DSRs and ISRs.

Reference values come from two independent places:

* the published formulas, written out again here as plain scalar Python (``ref_*`` below; they
  share no code with jsna.stats), plus a few values printed in the source texts;
* PHStatsMethods 0.1.16 (DHSC's Python port of PHEindicatormethods), where it covers the method.

Tolerance: 1e-9 relative for closed forms; published tables are checked to the digits printed.

Discrepancies found with PHStatsMethods (we follow PHEindicatormethods and the published
convention; each is pinned by a test below):

* a count of 0 makes PHStatsMethods' ``byars_upper`` raise ("'Value' must be a positive number"),
  so ``ph_rate``, ``ph_ISRatio`` and ``ph_ISRate`` fail for any group with no events. The exact
  Poisson upper limit of 0 events is well defined (chi2.ppf(0.975, 2) / 2 = 3.689 at 95%,
  Armitage and Berry; PHEindicatormethods returns it), so jsna.stats returns it too.
* ``ph_dsr(euro_standard_pops=True)`` insists on exactly 19 rows per group and assigns the ESP
  weights by sorting on the first number in each label, not by the label; jsna.stats matches on
  the label and lets a group leave bands out (under-75 rates). For the comparison with a band
  left out, PHStatsMethods is given the weights as a column instead.
"""

from __future__ import annotations

import math
import warnings
from statistics import NormalDist

import numpy as np
import pandas as pd
import PHStatsMethods as phsm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2

from jsna.stats import ESP2013, crude_rate, dsr, isr, proportion

REL = 1e-9
LEVELS = (0.95, 0.998)
Z = {0.95: NormalDist().inv_cdf(0.975), 0.998: NormalDist().inv_cdf(0.999)}
SUFFIX = {0.95: "95_0", 0.998: "99_8", 0.9: "90_0", 0.99: "99_0"}


def zval(confidence: float) -> float:
    """Two-sided normal quantile; any level (0.95 and 0.998 as tabulated in Z)."""
    return Z.get(confidence, NormalDist().inv_cdf(0.5 + confidence / 2))
PHSM_SUFFIX = {0.95: "95", 0.998: "99_8"}

ESP_BANDS = [
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49",
    "50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+",
]
ESP_WEIGHTS = [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500, 5000, 4000,
               2500, 1500, 1000]


# ---------------------------------------------------------------------------------------------
# Published formulas, written out independently of jsna.stats
# ---------------------------------------------------------------------------------------------


def ref_wilson(o: float, n: float, confidence: float) -> tuple[float, float]:
    """Wilson score interval (Newcombe and Altman 2000, pp 46-48), as a proportion."""
    z = zval(confidence)
    a = 2 * o + z**2
    b = z * math.sqrt(z**2 + 4 * o * (1 - o / n))
    c = 2 * (n + z**2)
    return (a - b) / c, (a + b) / c


def ref_exact(o: float, confidence: float) -> tuple[float, float]:
    """Exact Poisson limits from the chi-squared distribution (Armitage and Berry 2002)."""
    alpha = 1 - confidence
    lower = 0.0 if o == 0 else chi2.ppf(alpha / 2, 2 * o) / 2
    return lower, chi2.ppf(1 - alpha / 2, 2 * o + 2) / 2


def ref_byars(o: float, confidence: float) -> tuple[float, float]:
    """Byar's approximation (Breslow and Day 1987)."""
    z = zval(confidence)
    lower = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    return lower, upper


def ref_poisson(o: float, confidence: float) -> tuple[float, float]:
    return ref_exact(o, confidence) if o < 10 else ref_byars(o, confidence)


def ref_dsr(counts, pops, weights, confidence, multiplier=100_000):
    """DSR with Dobson limits on Byar's limits of the total (PHEindicatormethods v2)."""
    total_w = sum(weights)
    total = sum(counts)
    value = sum(w * o / n for o, n, w in zip(counts, pops, weights)) / total_w * multiplier
    var = sum(w * w * o / (n * n) for o, n, w in zip(counts, pops, weights)) / total_w**2
    if total < 10:
        return math.nan, math.nan, math.nan
    lo, up = ref_byars(total, confidence)
    lower = value + math.sqrt(var / total) * (lo - total) * multiplier
    upper = value + math.sqrt(var / total) * (up - total) * multiplier
    return value, lower, upper


def assert_rel(actual, expected, rel=REL):
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape
    both_nan = np.isnan(actual) & np.isnan(expected)
    assert not (np.isnan(actual) ^ np.isnan(expected)).any(), f"{actual} vs {expected}"
    ok = both_nan | np.isclose(actual, expected, rtol=rel, atol=0.0) | (actual == expected)
    assert ok.all(), f"{actual} vs {expected}"


def quiet(fn, *args, **kwargs):
    """Call a PHStatsMethods function without its warnings and prints."""
    import contextlib
    import io

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# ---------------------------------------------------------------------------------------------
# Proportions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "o, n, lower, upper",
    [
        pytest.param(81, 263, 0.2553, 0.3662, id="newcombe-81-of-263"),
        pytest.param(15, 148, 0.0624, 0.1605, id="newcombe-15-of-148"),
        pytest.param(0, 20, 0.0, 0.1611, id="newcombe-0-of-20"),
        pytest.param(1, 29, 0.0061, 0.1718, id="newcombe-1-of-29"),
    ],
)
def test_wilson_matches_published_examples(o, n, lower, upper):
    # Newcombe RG, Two-sided confidence intervals for the single proportion, Stat Med 1998;
    # 17:857-72, table II (method 3, Wilson score), printed to 4 decimal places.
    out = proportion(pd.DataFrame({"x": [o], "n": [n]}), "x", "n", confidence=0.95, multiplier=1)
    assert out.loc[0, "lower_95_0"] == pytest.approx(lower, abs=5e-5)
    assert out.loc[0, "upper_95_0"] == pytest.approx(upper, abs=5e-5)


@pytest.mark.parametrize(
    "o, n",
    [
        pytest.param(0, 50, id="zero"),
        pytest.param(9, 10, id="nine-of-ten"),
        pytest.param(10, 10, id="all"),
        pytest.param(1, 1_000_000, id="rare"),
        pytest.param(1, 1, id="tiny-denominator"),
        pytest.param(4321, 9876, id="large"),
    ],
)
@pytest.mark.parametrize("multiplier, statistic", [(100, "Percentage"), (1, "Proportion"), (1000, "Proportion per 1,000")])
def test_proportion_matches_wilson_formula(o, n, multiplier, statistic):
    out = proportion(pd.DataFrame({"x": [o], "n": [n]}), "x", "n", multiplier=multiplier)
    assert_rel(out["value"], [o / n * multiplier])
    for level in LEVELS:
        lo, up = ref_wilson(o, n, level)
        assert_rel(out[f"lower_{SUFFIX[level]}"], [lo * multiplier])
        assert_rel(out[f"upper_{SUFFIX[level]}"], [up * multiplier])
    assert out.loc[0, "statistic"] == statistic
    assert out.loc[0, "method"] == "Wilson"
    assert out.loc[0, "confidence"] == "95% and 99.8%"


def test_proportion_sums_rows_and_matches_phstatsmethods():
    rng = np.random.default_rng(7)
    den = rng.integers(1, 3000, 90)
    num = rng.binomial(den, rng.uniform(0, 1, 90))
    num[:3] = 0
    num[3:6] = den[3:6]
    df = pd.DataFrame({"area": np.repeat([f"A{i:02d}" for i in range(30)], 3), "num": num, "den": den})
    ours = proportion(df, "num", "den", group_by="area")
    theirs = quiet(phsm.ph_proportion, df.copy(), "num", "den", "area", confidence=list(LEVELS), multiplier=100)
    assert list(ours["area"]) == list(theirs["area"])
    assert_rel(ours["num"], theirs["num"])
    assert_rel(ours["value"], theirs["Value"])
    for level in LEVELS:
        assert_rel(ours[f"lower_{SUFFIX[level]}"], theirs[f"lower_{PHSM_SUFFIX[level]}_ci"])
        assert_rel(ours[f"upper_{SUFFIX[level]}"], theirs[f"upper_{PHSM_SUFFIX[level]}_ci"])
    # and the summed group agrees with the formula on the sums
    first = df[df.area == "A05"]
    lo, up = ref_wilson(first.num.sum(), first.den.sum(), 0.95)
    row = ours[ours.area == "A05"].iloc[0]
    assert row["lower_95_0"] == pytest.approx(lo * 100, rel=REL)
    assert row["upper_95_0"] == pytest.approx(up * 100, rel=REL)


def test_proportion_multiple_groups_equal_one_at_a_time():
    df = pd.DataFrame({
        "area": ["a", "a", "b", "c", "c"], "sex": ["F", "M", "F", "F", "F"],
        "x": [3, 5, 0, 7, 2], "n": [10, 12, 4, 20, 5],
    })
    together = proportion(df, "x", "n", group_by=["area", "sex"])
    for _, row in together.iterrows():
        part = df[(df.area == row["area"]) & (df.sex == row["sex"])]
        alone = proportion(part, "x", "n")
        for col in ["value", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8"]:
            assert row[col] == pytest.approx(alone.loc[0, col], rel=REL)


@pytest.mark.parametrize(
    "x, n, column, problem, group",
    [
        pytest.param([-1, 2], [10, 10], "x", "greater than or equal to zero", "first", id="negative-numerator"),
        pytest.param([1, 2], [10, 0], "n", "greater than zero", "second", id="zero-denominator"),
        pytest.param([1, 11], [10, 10], "x", "less than or equal to n", "second", id="numerator-above-denominator"),
        pytest.param([1, 2], [10, np.inf], "n", "finite", "second", id="infinite-denominator"),
    ],
)
def test_proportion_errors_name_column_and_group(x, n, column, problem, group):
    df = pd.DataFrame({"area": ["first", "second"], "x": x, "n": n})
    with pytest.raises(ValueError, match=rf"^{column} .*{problem}.*area='{group}'"):
        proportion(df, "x", "n", group_by="area")


def test_proportion_rejects_text_and_invalid_confidence():
    df = pd.DataFrame({"x": ["1"], "n": [2]})
    with pytest.raises(ValueError, match="x must be numeric"):
        proportion(df, "x", "n")
    ok = pd.DataFrame({"x": [1], "n": [2]})
    with pytest.raises(ValueError, match=r"confidence: 95 is not a level strictly between 0 and 1 \(a fraction: 0.95"):
        proportion(ok, "x", "n", confidence=95)
    for level in (0, 1, 1.0, -0.5, float("nan"), True, "0.95"):
        with pytest.raises(ValueError, match=r"confidence: .* is not a level strictly between 0 and 1"):
            proportion(ok, "x", "n", confidence=level)
    with pytest.raises(ValueError, match=r"confidence: 0.95 is given more than once"):
        proportion(ok, "x", "n", confidence=(0.95, 0.998, 0.95))
    with pytest.raises(ValueError, match="at least one level"):
        proportion(ok, "x", "n", confidence=())


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 10**7).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_proportion_limits_bracket_value_and_widen(case):
    o, n = case
    out = proportion(pd.DataFrame({"x": [o], "n": [n]}), "x", "n").iloc[0]
    tol = 1e-9 * 100
    assert out["lower_99_8"] - tol <= out["lower_95_0"] <= out["value"] + tol
    assert out["value"] - tol <= out["upper_95_0"] <= out["upper_99_8"] + tol
    assert 0 <= out["lower_99_8"] + tol and out["upper_99_8"] <= 100 + tol


# ---------------------------------------------------------------------------------------------
# Crude rates
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "count, method",
    [
        pytest.param(0, "Exact", id="0-exact"),
        pytest.param(9, "Exact", id="9-exact"),
        pytest.param(10, "Byars", id="10-byars"),
        pytest.param(11, "Byars", id="11-byars"),
        pytest.param(12345, "Byars", id="large-byars"),
    ],
)
def test_crude_rate_switches_method_at_ten(count, method):
    pop = 54_321
    out = crude_rate(pd.DataFrame({"c": [count], "p": [pop]}), "c", "p")
    assert out.loc[0, "method"] == method
    assert out.loc[0, "statistic"] == "Crude rate per 100,000"
    assert_rel(out["value"], [count / pop * 100_000])
    for level in LEVELS:
        lo, up = ref_poisson(count, level)
        assert_rel(out[f"lower_{SUFFIX[level]}"], [lo / pop * 100_000])
        assert_rel(out[f"upper_{SUFFIX[level]}"], [up / pop * 100_000])


@pytest.mark.parametrize(
    "count, lower, upper",
    [
        pytest.param(0, 0.0, 3.689, id="0"),
        pytest.param(1, 0.0253, 5.572, id="1"),
        pytest.param(9, 4.115, 17.08, id="9"),
    ],
)
def test_exact_poisson_limits_match_published_table(count, lower, upper):
    # Exact 95% Poisson limits as tabulated (e.g. Armitage and Berry; Geigy tables), to 4 s.f.
    out = crude_rate(pd.DataFrame({"c": [count], "p": [1]}), "c", "p", confidence=0.95, multiplier=1)
    assert out.loc[0, "lower_95_0"] == pytest.approx(lower, abs=5e-4 if lower < 1 else 5e-3)
    assert out.loc[0, "upper_95_0"] == pytest.approx(upper, rel=5e-4)


def test_crude_rate_matches_phstatsmethods_around_the_switch():
    counts = [1, 2, 8, 9, 10, 11, 25, 999, 100_000]
    df = pd.DataFrame({"area": [f"A{i}" for i in range(len(counts))], "c": counts, "p": [5_000] * len(counts)})
    ours = crude_rate(df, "c", "p", group_by="area")
    theirs = quiet(phsm.ph_rate, df.copy(), "c", "p", "area", confidence=list(LEVELS), multiplier=100_000)
    assert list(ours["area"]) == list(theirs["area"])
    assert_rel(ours["value"], theirs["Value"])
    for level in LEVELS:
        assert_rel(ours[f"lower_{SUFFIX[level]}"], theirs[f"lower_{PHSM_SUFFIX[level]}_ci"])
        assert_rel(ours[f"upper_{SUFFIX[level]}"], theirs[f"upper_{PHSM_SUFFIX[level]}_ci"])
    assert list(ours["method"]) == list(theirs["Method"])


def test_phstatsmethods_fails_on_zero_events_where_the_convention_is_defined():
    """Discrepancy: PHStatsMethods cannot give a rate for 0 events; the exact limits can."""
    df = pd.DataFrame({"c": [0], "p": [1000]})
    with pytest.raises(ValueError, match="positive"):
        quiet(phsm.ph_rate, df.copy(), "c", "p", confidence=0.95)
    out = crude_rate(df, "c", "p", confidence=0.95)
    assert out.loc[0, "lower_95_0"] == 0.0
    assert out.loc[0, "upper_95_0"] == pytest.approx(chi2.ppf(0.975, 2) / 2 / 1000 * 100_000, rel=REL)


@pytest.mark.parametrize(
    "count, pop",
    [pytest.param(30, 10, id="count-above-population"), pytest.param(3, 0.5, id="tiny-population")],
)
def test_crude_rate_allows_count_above_population(count, pop):
    out = crude_rate(pd.DataFrame({"c": [count], "p": [pop]}), "c", "p", multiplier=1)
    assert out.loc[0, "value"] == pytest.approx(count / pop, rel=REL)
    lo, up = ref_poisson(count, 0.998)
    assert out.loc[0, "lower_99_8"] == pytest.approx(lo / pop, rel=REL)
    assert out.loc[0, "upper_99_8"] == pytest.approx(up / pop, rel=REL)


@pytest.mark.parametrize(
    "c, p, column, problem",
    [
        pytest.param([-1], [100], "c", "greater than or equal to zero", id="negative-count"),
        pytest.param([1], [0], "p", "greater than zero", id="zero-population"),
        pytest.param([np.inf], [100], "c", "finite", id="infinite-count"),
        pytest.param([1.0], [-np.inf], "p", "finite", id="infinite-population"),
    ],
)
def test_crude_rate_errors(c, p, column, problem):
    df = pd.DataFrame({"g": ["only"], "c": c, "p": p})
    with pytest.raises(ValueError, match=rf"^{column} .*{problem}.*g='only'"):
        crude_rate(df, "c", "p", group_by="g")


def test_crude_rate_groups_equal_one_at_a_time():
    df = pd.DataFrame({"g": list("aabbbc"), "c": [0, 4, 3, 3, 4, 500], "p": [100, 900, 50, 50, 50, 10**6]})
    together = crude_rate(df, "c", "p", group_by="g")
    assert list(together["method"]) == ["Exact", "Byars", "Byars"]
    for _, row in together.iterrows():
        alone = crude_rate(df[df.g == row["g"]], "c", "p").iloc[0]
        for col in ["c", "p", "value", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8"]:
            assert row[col] == pytest.approx(alone[col], rel=REL)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.floats(0.01, 1e8))
def test_crude_rate_limits_bracket_value_and_widen(count, pop):
    out = crude_rate(pd.DataFrame({"c": [count], "p": [pop]}), "c", "p").iloc[0]
    tol = 1e-9 * max(out["value"], 1e-300)
    assert out["lower_99_8"] <= out["lower_95_0"] + tol
    assert out["lower_95_0"] <= out["value"] + tol
    assert out["value"] <= out["upper_95_0"] + tol
    assert out["upper_95_0"] <= out["upper_99_8"] + tol
    assert out["lower_99_8"] >= 0


# ---------------------------------------------------------------------------------------------
# Directly standardised rates
# ---------------------------------------------------------------------------------------------


def esp_frame(areas: dict[str, tuple[list[float], list[float]]]) -> pd.DataFrame:
    rows = []
    for area, (counts, pops) in areas.items():
        for band, o, n in zip(ESP_BANDS, counts, pops):
            rows.append({"area": area, "age_band": band, "deaths": o, "pop": n})
    return pd.DataFrame(rows)


def random_area(rng, scale=1.0):
    pops = rng.integers(500, 9000, 19).astype(float)
    rates = np.geomspace(1e-4, 0.12, 19) * scale
    return list(rng.poisson(pops * rates).astype(float)), list(pops)


def test_esp2013_weights():
    assert list(ESP2013.index) == ESP_BANDS
    assert list(ESP2013.to_numpy()) == ESP_WEIGHTS
    assert ESP2013.sum() == 100_000


def test_dsr_matches_formula_and_phstatsmethods_on_full_bands():
    rng = np.random.default_rng(11)
    areas = {f"E{i}": random_area(rng, scale) for i, scale in enumerate([1.0, 0.3, 0.02, 2.0, 0.001])}
    df = esp_frame(areas)
    ours = dsr(df, "deaths", "pop", group_by="area")
    assert list(ours["area"]) == sorted(areas)
    for _, row in ours.iterrows():
        counts, pops = areas[row["area"]]
        for level in LEVELS:
            value, lower, upper = ref_dsr(counts, pops, ESP_WEIGHTS, level)
            assert_rel([row["value"], row[f"lower_{SUFFIX[level]}"], row[f"upper_{SUFFIX[level]}"]], [value, lower, upper])
        assert row["deaths"] == sum(counts)
    theirs = quiet(phsm.ph_dsr, df.copy(), "deaths", "pop", "age_band", group_cols="area", confidence=list(LEVELS))
    assert list(theirs["area"]) == list(ours["area"])
    assert_rel(ours["value"], theirs["Value"])
    for level in LEVELS:
        assert_rel(ours[f"lower_{SUFFIX[level]}"], theirs[f"lower_{PHSM_SUFFIX[level]}_ci"])
        assert_rel(ours[f"upper_{SUFFIX[level]}"], theirs[f"upper_{PHSM_SUFFIX[level]}_ci"])


def test_dsr_missing_band_drops_weight_but_zero_events_keep_it():
    counts = [0, 0, 0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 0, 0, 0, 0]
    pops = [4000.0] * 19
    full = esp_frame({"A": (counts, pops)})
    # "zero" keeps the 75+ bands with zero events; "absent" leaves them out (an under-75 rate)
    zero = dsr(full, "deaths", "pop")
    absent = dsr(full[~full.age_band.isin(["75-79", "80-84", "85-89", "90+"])], "deaths", "pop")
    v_zero, *_ = ref_dsr(counts, pops, ESP_WEIGHTS, 0.95)
    v_absent, lo, up = ref_dsr(counts[:15], pops[:15], ESP_WEIGHTS[:15], 0.95)
    assert zero.loc[0, "value"] == pytest.approx(v_zero, rel=REL)
    assert absent.loc[0, "value"] == pytest.approx(v_absent, rel=REL)
    assert absent.loc[0, "lower_95_0"] == pytest.approx(lo, rel=REL)
    assert absent.loc[0, "upper_95_0"] == pytest.approx(up, rel=REL)
    # the weight totals differ: 100,000 versus 91,000, and nothing else does
    assert absent.loc[0, "value"] / zero.loc[0, "value"] == pytest.approx(100_000 / 91_000, rel=REL)
    # PHStatsMethods with the weights supplied as a column agrees on the under-75 rate
    under75 = full[~full.age_band.isin(["75-79", "80-84", "85-89", "90+"])].copy()
    under75["esp"] = ESP_WEIGHTS[:15]
    theirs = quiet(phsm.ph_dsr, under75, "deaths", "pop", "esp", confidence=[0.95, 0.998], euro_standard_pops=False)
    assert absent.loc[0, "value"] == pytest.approx(theirs.loc[0, "Value"], rel=REL)
    assert absent.loc[0, "upper_99_8"] == pytest.approx(theirs.loc[0, "upper_99_8_ci"], rel=REL)


@pytest.mark.parametrize(
    "total, calculated",
    [pytest.param(9, False, id="total-9-not-calculated"), pytest.param(10, True, id="total-10-calculated"),
     pytest.param(11, True, id="total-11-calculated"), pytest.param(0, False, id="total-0")],
)
def test_dsr_total_below_ten_is_not_calculated(total, calculated):
    counts = [0.0] * 19
    counts[-1] = total
    df = esp_frame({"A": (counts, [1000.0] * 19)})
    out = dsr(df, "deaths", "pop").iloc[0]
    if calculated:
        value, lower, upper = ref_dsr(counts, [1000.0] * 19, ESP_WEIGHTS, 0.95)
        assert_rel([out["value"], out["lower_95_0"], out["upper_95_0"]], [value, lower, upper])
        assert out["statistic"] == "DSR per 100,000"
    else:
        assert np.isnan([out["value"], out["lower_95_0"], out["upper_95_0"], out["lower_99_8"], out["upper_99_8"]]).all()
        assert out["statistic"] == "DSR not calculated: total count below 10"
    assert out["method"] == "Dobson"
    assert out["deaths"] == total


def test_dsr_unknown_age_band_is_named():
    df = esp_frame({"A": ([5.0] * 19, [1000.0] * 19)})
    df.loc[18, "age_band"] = "85+"
    with pytest.raises(ValueError, match=r"age_band has a label '85\+'.*group area='A'"):
        dsr(df, "deaths", "pop", group_by="area")


@pytest.mark.parametrize(
    "column, value, problem",
    [pytest.param("pop", 0.0, "greater than zero", id="zero-population"),
     pytest.param("pop", -5.0, "greater than zero", id="negative-population"),
     pytest.param("deaths", -1.0, "greater than or equal to zero", id="negative-count"),
     pytest.param("deaths", np.inf, "finite", id="infinite-count")],
)
def test_dsr_band_errors(column, value, problem):
    df = esp_frame({"A": ([5.0] * 19, [1000.0] * 19), "B": ([5.0] * 19, [1000.0] * 19)})
    df.loc[df.index[25], column] = value
    with pytest.raises(ValueError, match=rf"^{column} .*{problem}.*area='B'"):
        dsr(df, "deaths", "pop", group_by="area")


def test_dsr_duplicate_band_is_an_error():
    df = esp_frame({"A": ([5.0] * 19, [1000.0] * 19)})
    df = pd.concat([df, df.iloc[[3]]])
    with pytest.raises(ValueError, match="more than once"):
        dsr(df, "deaths", "pop", group_by="area")


def test_dsr_standard_population_as_column_or_series():
    rng = np.random.default_rng(3)
    counts, pops = random_area(rng)
    df = esp_frame({"A": (counts, pops)})
    df["w"] = np.arange(1, 20) * 100.0
    by_column = dsr(df, "deaths", "pop", standard_population="w").iloc[0]
    value, lower, upper = ref_dsr(counts, pops, list(np.arange(1, 20) * 100.0), 0.998)
    assert_rel([by_column["value"], by_column["lower_99_8"], by_column["upper_99_8"]], [value, lower, upper])
    series = pd.Series(np.arange(1, 20) * 100.0, index=ESP_BANDS)
    by_series = dsr(df, "deaths", "pop", standard_population=series).iloc[0]
    assert by_series["value"] == pytest.approx(value, rel=REL)


def test_dsr_groups_equal_one_at_a_time():
    rng = np.random.default_rng(5)
    areas = {f"E{i}": random_area(rng, s) for i, s in enumerate([1.0, 0.01, 0.5])}
    df = esp_frame(areas)
    df["sex"] = np.where(np.arange(len(df)) % 2 == 0, "F", "F")
    together = dsr(df, "deaths", "pop", group_by=["area", "sex"])
    for _, row in together.iterrows():
        alone = dsr(df[df.area == row["area"]], "deaths", "pop").iloc[0]
        for col in ["deaths", "pop", "value", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8"]:
            assert (np.isnan(row[col]) and np.isnan(alone[col])) or row[col] == pytest.approx(alone[col], rel=REL)
        assert row["statistic"] == alone["statistic"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 400), min_size=19, max_size=19),
    st.lists(st.integers(1, 50_000), min_size=19, max_size=19),
)
def test_dsr_limits_bracket_value_and_widen(counts, pops):
    df = esp_frame({"A": ([float(c) for c in counts], [float(p) for p in pops])})
    out = dsr(df, "deaths", "pop").iloc[0]
    if sum(counts) < 10:
        assert np.isnan(out["value"])
        return
    tol = 1e-9 * out["value"]
    assert out["lower_99_8"] <= out["lower_95_0"] + tol <= out["value"] + 2 * tol
    assert out["value"] <= out["upper_95_0"] + tol <= out["upper_99_8"] + 2 * tol


# ---------------------------------------------------------------------------------------------
# Indirectly standardised ratios and rates
# ---------------------------------------------------------------------------------------------


def isr_frame():
    return pd.DataFrame({
        "area": ["A"] * 4 + ["B"] * 4 + ["C"] * 4,
        "band": ["0-39", "40-59", "60-79", "80+"] * 3,
        "obs": [2, 10, 40, 60, 0, 1, 3, 4, 0, 0, 0, 0],
        "pop": [9000, 4000, 2500, 600, 800, 300, 200, 90, 100, 50, 20, 5],
        "ref_obs": [9000, 30000, 120000, 250000] * 3,
        "ref_pop": [30e6, 14e6, 9e6, 2.5e6] * 3,
    })


@pytest.mark.parametrize("kind", ["ratio", "rate"])
def test_isr_matches_formula(kind):
    df = isr_frame()
    out = isr(df, "obs", "pop", "ref_obs", "ref_pop", group_by="area", kind=kind)
    for _, row in out.iterrows():
        part = df[df.area == row["area"]]
        observed = part.obs.sum()
        expected = sum(n * ro / rn for n, ro, rn in zip(part["pop"], part.ref_obs, part.ref_pop))
        scale = 100 if kind == "ratio" else part.ref_obs.sum() / part.ref_pop.sum() * 100_000
        assert row["observed"] == observed
        assert row["expected"] == pytest.approx(expected, rel=REL)
        assert row["value"] == pytest.approx(observed / expected * scale, rel=REL)
        for level in LEVELS:
            lo, up = ref_poisson(observed, level)
            assert row[f"lower_{SUFFIX[level]}"] == pytest.approx(lo / expected * scale, rel=REL, abs=0)
            assert row[f"upper_{SUFFIX[level]}"] == pytest.approx(up / expected * scale, rel=REL)
        assert row["method"] == ("Exact" if observed < 10 else "Byars")
    assert out["statistic"].iloc[0] == (
        "Indirectly standardised ratio x 100" if kind == "ratio" else "Indirectly standardised rate per 100,000"
    )


def test_isr_matches_phstatsmethods_where_it_can_compute():
    df = isr_frame()
    df = df[df.area != "C"]  # C has no events, which PHStatsMethods cannot handle (see module docstring)
    ratio = isr(df, "obs", "pop", "ref_obs", "ref_pop", group_by="area", kind="ratio")
    theirs = quiet(phsm.ph_ISRatio, df.copy(), "obs", "pop", "ref_obs", "ref_pop", group_cols="area",
                   confidence=list(LEVELS), refvalue=100)
    rate = isr(df, "obs", "pop", "ref_obs", "ref_pop", group_by="area", kind="rate")
    theirs_rate = quiet(phsm.ph_ISRate, df.copy(), "obs", "pop", "ref_obs", "ref_pop", group_cols="area",
                        confidence=list(LEVELS), multiplier=100_000)
    for ours, ph in [(ratio, theirs), (rate, theirs_rate)]:
        assert list(ours["area"]) == list(ph["area"])
        assert_rel(ours["expected"], ph["Expected"])
        assert_rel(ours["value"], ph["Value"])
        for level in LEVELS:
            assert_rel(ours[f"lower_{SUFFIX[level]}"], ph[f"lower_{PHSM_SUFFIX[level]}_ci"])
            assert_rel(ours[f"upper_{SUFFIX[level]}"], ph[f"upper_{PHSM_SUFFIX[level]}_ci"])


def test_isr_zero_observed_and_errors():
    df = isr_frame()
    out = isr(df, "obs", "pop", "ref_obs", "ref_pop", group_by="area").set_index("area")
    assert out.loc["C", "value"] == 0.0
    assert out.loc["C", "lower_95_0"] == 0.0
    assert out.loc["C", "upper_95_0"] == pytest.approx(chi2.ppf(0.975, 2) / 2 / out.loc["C", "expected"] * 100, rel=REL)
    with pytest.raises(ValueError, match="kind"):
        isr(df, "obs", "pop", "ref_obs", "ref_pop", kind="smr")
    bad = df.copy()
    bad.loc[5, "ref_pop"] = 0
    with pytest.raises(ValueError, match=r"^ref_pop .*greater than zero.*area='B'"):
        isr(bad, "obs", "pop", "ref_obs", "ref_pop", group_by="area")
    bad = df.copy()
    bad.loc[0, "obs"] = -3
    with pytest.raises(ValueError, match=r"^obs .*area='A'"):
        isr(bad, "obs", "pop", "ref_obs", "ref_pop", group_by="area")


# ---------------------------------------------------------------------------------------------
# Missing values: that group is not calculated, every other group is computed as before
# ---------------------------------------------------------------------------------------------

LIMITS = [f"{side}_{SUFFIX[level]}" for level in LEVELS for side in ("lower", "upper")]
ESP_WEIGHT = dict(zip(ESP_BANDS, ESP_WEIGHTS))


def areas_frame(seed=17, n_areas=6):
    """Several areas x 19 ESP bands, rows shuffled: counts <= populations, reference values."""
    rng = np.random.default_rng(seed)
    areas = {f"E{i}": random_area(rng, scale) for i, scale in enumerate(rng.uniform(0.3, 2.0, n_areas))}
    df = esp_frame(areas)
    df["ref_obs"] = rng.integers(1_000, 300_000, len(df)).astype(float)
    df["ref_pop"] = rng.integers(10**6, 10**7, len(df)).astype(float)
    return df.sample(frac=1, random_state=seed).reset_index(drop=True)


def reference(name, part):
    """Value and limits of one group from the published formulas (scalar, independent)."""
    o, n = float(part["deaths"].sum()), float(part["pop"].sum())
    out = {}
    for level in LEVELS:
        if name == "proportion":
            lo, up = ref_wilson(o, n, level)
            value, lo, up = o / n * 100, lo * 100, up * 100
        elif name == "crude_rate":
            lo, up = ref_poisson(o, level)
            value, lo, up = o / n * 1e5, lo / n * 1e5, up / n * 1e5
        elif name == "dsr":
            weights = [ESP_WEIGHT[b] for b in part["age_band"]]
            value, lo, up = ref_dsr(list(part["deaths"]), list(part["pop"]), weights, level)
        else:
            expected = float((part["pop"] * part["ref_obs"] / part["ref_pop"]).sum())
            scale = 100 if name == "isr_ratio" else part["ref_obs"].sum() / part["ref_pop"].sum() * 1e5
            lo, up = ref_poisson(o, level)
            value, lo, up = o / expected * scale, lo / expected * scale, up / expected * scale
        out[f"lower_{SUFFIX[level]}"], out[f"upper_{SUFFIX[level]}"] = lo, up
    out["value"] = value
    return out


METHODS = {
    "proportion": (lambda d: proportion(d, "deaths", "pop", group_by="area"),
                   "Percentage not calculated: deaths or pop missing", ["deaths", "pop"]),
    "crude_rate": (lambda d: crude_rate(d, "deaths", "pop", group_by="area"),
                   "Crude rate per 100,000 not calculated: deaths or pop missing", ["deaths", "pop"]),
    "dsr": (lambda d: dsr(d, "deaths", "pop", group_by="area"),
            "DSR not calculated: deaths or pop missing", ["deaths", "pop"]),
    "isr_ratio": (lambda d: isr(d, "deaths", "pop", "ref_obs", "ref_pop", group_by="area"),
                  "Indirectly standardised ratio x 100 not calculated: deaths, pop, ref_obs or ref_pop missing",
                  ["deaths", "pop", "ref_obs", "ref_pop"]),
    "isr_rate": (lambda d: isr(d, "deaths", "pop", "ref_obs", "ref_pop", group_by="area", kind="rate"),
                 "Indirectly standardised rate per 100,000 not calculated: deaths, pop, ref_obs or ref_pop missing",
                 ["deaths", "pop", "ref_obs", "ref_pop"]),
}
CASES = [(name, column) for name, (_, _, columns) in METHODS.items() for column in columns]


@pytest.mark.parametrize("name, column", CASES, ids=[f"{n}-{c}" for n, c in CASES])
def test_missing_value_makes_only_its_group_not_calculated(name, column):
    call, reason, _ = METHODS[name]
    df = areas_frame()
    rows_e3 = df.index[df["area"] == "E3"]
    spoiled = df.copy()
    spoiled.loc[rows_e3[4], column] = np.nan
    out = call(spoiled).set_index("area")

    # the group with the missing value: value and every limit missing, the reason given
    assert out.loc["E3", ["value"] + LIMITS].isna().all()
    assert out.loc["E3", "statistic"] == reason
    summed = {"deaths": "observed" if name.startswith("isr") else "deaths", "pop": "pop",
              "ref_obs": "expected", "ref_pop": "expected"}[column]
    assert np.isnan(out.loc["E3", summed])  # R's sum: the missing value makes the sum missing
    if name in ("crude_rate", "isr_ratio", "isr_rate"):
        assert out.loc["E3", "method"] == "Poisson"

    # every other group: the published formulas on that group's own rows
    others = out.drop(index="E3")
    for area, row in others.iterrows():
        expected = reference(name, df[df["area"] == area])
        assert_rel([row[c] for c in expected], list(expected.values()))
        assert "not calculated" not in row["statistic"]
    # ... bit for bit what the same call gives when that value is present (the previous
    # behaviour, when a missing value raised) ...
    before = call(df).set_index("area").drop(index="E3")
    pd.testing.assert_frame_equal(others, before, check_exact=True)
    # ... and, to rounding, what it gives without the spoiled group at all
    without = call(df[df["area"] != "E3"]).set_index("area")
    pd.testing.assert_frame_equal(others, without, check_exact=False, rtol=1e-12)


def test_missing_values_match_phstatsmethods_for_proportions_and_rates():
    """PHStatsMethods (like R's phe_proportion/phe_rate) sums with NaN to NaN: the group's
    value and limits are NaN and the others are computed."""
    df = areas_frame(seed=23)
    df.loc[df.index[df["area"] == "E1"][0], "deaths"] = np.nan
    df.loc[df.index[df["area"] == "E4"][2], "pop"] = np.nan
    for ours, theirs, multiplier in [
        (proportion(df, "deaths", "pop", group_by="area"), phsm.ph_proportion, 100),
        (crude_rate(df, "deaths", "pop", group_by="area"), phsm.ph_rate, 100_000),
    ]:
        ph = quiet(theirs, df.copy(), "deaths", "pop", "area", confidence=list(LEVELS), multiplier=multiplier)
        assert list(ours["area"]) == list(ph["area"])
        assert ours["value"].isna().tolist() == [a in ("E1", "E4") for a in ours["area"]]
        assert_rel(ours["value"], ph["Value"])
        assert_rel(ours["deaths"], ph["deaths"])
        for level in LEVELS:
            assert_rel(ours[f"lower_{SUFFIX[level]}"], ph[f"lower_{PHSM_SUFFIX[level]}_ci"])
            assert_rel(ours[f"upper_{SUFFIX[level]}"], ph[f"upper_{PHSM_SUFFIX[level]}_ci"])


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA], ids=["None", "nan", "pd.NA"])
def test_missing_value_without_groups_and_in_nullable_columns(missing):
    df = pd.DataFrame({"x": pd.array([3, 4, 5], dtype="Int64"), "n": pd.array([10, 20, 30], dtype="Int64")})
    df.loc[1, "x"] = missing
    for out in (proportion(df, "x", "n"), crude_rate(df, "x", "n")):
        assert len(out) == 1 and out[["value"] + LIMITS].isna().all(axis=None)
        assert out.loc[0, "statistic"].endswith("not calculated: x or n missing")
        assert pd.isna(out.loc[0, "x"]) and out.loc[0, "n"] == 60
    grouped = proportion(df.assign(g=["a", "a", "b"]), "x", "n", group_by="g").set_index("g")
    assert np.isnan(grouped.loc["a", "value"]) and grouped.loc["b", "value"] == pytest.approx(100 * 5 / 30, rel=REL)


def test_dsr_missing_value_outranks_small_count():
    counts = [0.0] * 19
    counts[-1] = 5.0  # total below 10
    df = esp_frame({"A": (counts, [1000.0] * 19), "B": ([np.nan] + counts[1:], [1000.0] * 19)})
    out = dsr(df, "deaths", "pop", group_by="area").set_index("area")
    assert out.loc["A", "statistic"] == "DSR not calculated: total count below 10"
    assert out.loc["B", "statistic"] == "DSR not calculated: deaths or pop missing"
    assert out[["value"] + LIMITS].isna().all(axis=None)
    assert np.isnan(out.loc["B", "deaths"]) and out.loc["B", "pop"] == 19_000


@pytest.mark.parametrize(
    "spoil, call, message",
    [
        pytest.param(lambda d: d.assign(deaths=d["deaths"].where(d.index != 7, -1.0)),
                     lambda d: dsr(d, "deaths", "pop", group_by="area"), r"^deaths .*greater than or equal to zero",
                     id="dsr-negative"),
        pytest.param(lambda d: d.assign(pop=d["pop"].where(d.index != 7, 0.0)),
                     lambda d: crude_rate(d, "deaths", "pop", group_by="area"), r"^pop .*greater than zero",
                     id="crude-zero-population"),
        pytest.param(lambda d: d.assign(deaths=d["deaths"].where(d.index != 7, d["pop"] + 1)),
                     lambda d: proportion(d, "deaths", "pop", group_by="area"), r"^deaths .*less than or equal to pop",
                     id="proportion-above-denominator"),
        pytest.param(lambda d: d.assign(ref_pop=d["ref_pop"].where(d.index != 7, np.inf)),
                     lambda d: isr(d, "deaths", "pop", "ref_obs", "ref_pop", group_by="area"), r"^ref_pop .*finite",
                     id="isr-infinite"),
        pytest.param(lambda d: d.assign(pop=d["pop"].astype(str)),
                     lambda d: crude_rate(d, "deaths", "pop", group_by="area"), r"^pop must be numeric",
                     id="crude-text"),
    ],
)
def test_other_invalid_values_still_raise_alongside_missing_ones(spoil, call, message):
    df = areas_frame(seed=29)
    df.loc[3, "deaths"] = np.nan  # a missing value elsewhere does not hide the error
    bad = spoil(df)
    area = bad.loc[7, "area"]
    with pytest.raises(ValueError, match=message + (rf".*area='{area}'" if "numeric" not in message else "")):
        call(bad)


# ---------------------------------------------------------------------------------------------
# Any confidence level strictly between 0 and 1 (PHEindicatormethods takes 0.9 to 1)
# ---------------------------------------------------------------------------------------------

OTHER_LEVELS = (0.9, 0.99)


@pytest.mark.parametrize("name", list(METHODS))
def test_any_confidence_level_matches_the_formulas(name):
    df = areas_frame(seed=31)
    call = {
        "proportion": lambda d, c: proportion(d, "deaths", "pop", group_by="area", confidence=c),
        "crude_rate": lambda d, c: crude_rate(d, "deaths", "pop", group_by="area", confidence=c),
        "dsr": lambda d, c: dsr(d, "deaths", "pop", group_by="area", confidence=c),
        "isr_ratio": lambda d, c: isr(d, "deaths", "pop", "ref_obs", "ref_pop", group_by="area", confidence=c),
        "isr_rate": lambda d, c: isr(d, "deaths", "pop", "ref_obs", "ref_pop", group_by="area", kind="rate",
                                     confidence=c),
    }[name]
    out = call(df, OTHER_LEVELS)
    assert [c for c in out.columns if c.startswith(("lower", "upper"))] == [
        "lower_90_0", "upper_90_0", "lower_99_0", "upper_99_0"]
    assert (out["confidence"] == "90% and 99%").all()
    for _, row in out.iterrows():
        part = df[df["area"] == row["area"]]
        for level in OTHER_LEVELS:
            expected = reference_at(name, part, level)
            assert_rel([row["value"], row[f"lower_{SUFFIX[level]}"], row[f"upper_{SUFFIX[level]}"]], expected)
    # the default levels come out exactly as before, whatever else is asked for
    default = call(df, (0.95, 0.998))
    pd.testing.assert_frame_equal(default, call(df, LEVELS))
    mixed = call(df, (0.95, 0.99, 0.998))
    assert (mixed["confidence"] == "95% and 99% and 99.8%").all()
    pd.testing.assert_frame_equal(mixed[list(default.columns.drop("confidence"))], default.drop(columns="confidence"),
                                  check_exact=True)


def reference_at(name, part, level):
    """(value, lower, upper) from the published formulas at any level."""
    o, n = float(part["deaths"].sum()), float(part["pop"].sum())
    if name == "proportion":
        lo, up = ref_wilson(o, n, level)
        return o / n * 100, lo * 100, up * 100
    if name == "crude_rate":
        lo, up = ref_poisson(o, level)
        return o / n * 1e5, lo / n * 1e5, up / n * 1e5
    if name == "dsr":
        return ref_dsr(list(part["deaths"]), list(part["pop"]), [ESP_WEIGHT[b] for b in part["age_band"]], level)
    expected = float((part["pop"] * part["ref_obs"] / part["ref_pop"]).sum())
    scale = 100 if name == "isr_ratio" else part["ref_obs"].sum() / part["ref_pop"].sum() * 1e5
    lo, up = ref_poisson(o, level)
    return o / expected * scale, lo / expected * scale, up / expected * scale


def test_any_confidence_level_matches_phstatsmethods():
    """PHStatsMethods takes any level from 0.9 to 1: the 90% and 99% limits agree."""
    df = areas_frame(seed=37)
    levels = list(OTHER_LEVELS)
    pairs = [
        (proportion(df, "deaths", "pop", group_by="area", confidence=OTHER_LEVELS),
         quiet(phsm.ph_proportion, df.copy(), "deaths", "pop", "area", confidence=levels, multiplier=100)),
        (crude_rate(df, "deaths", "pop", group_by="area", confidence=OTHER_LEVELS),
         quiet(phsm.ph_rate, df.copy(), "deaths", "pop", "area", confidence=levels, multiplier=100_000)),
        (dsr(df, "deaths", "pop", group_by="area", confidence=OTHER_LEVELS),
         quiet(phsm.ph_dsr, df.copy(), "deaths", "pop", "age_band", group_cols="area", confidence=levels)),
        (isr(df, "deaths", "pop", "ref_obs", "ref_pop", group_by="area", confidence=OTHER_LEVELS),
         quiet(phsm.ph_ISRatio, df.copy(), "deaths", "pop", "ref_obs", "ref_pop", group_cols="area",
               confidence=levels, refvalue=100)),
    ]
    for ours, theirs in pairs:
        assert list(ours["area"]) == list(theirs["area"])
        assert_rel(ours["value"], theirs["Value"])
        for level in OTHER_LEVELS:
            assert_rel(ours[f"lower_{SUFFIX[level]}"], theirs[f"lower_{int(level * 100)}_ci"])
            assert_rel(ours[f"upper_{SUFFIX[level]}"], theirs[f"upper_{int(level * 100)}_ci"])


def test_unusual_levels_name_their_columns_without_clashing():
    df = pd.DataFrame({"x": [30], "n": [200]})
    out = proportion(df, "x", "n", confidence=(0.9999, 0.5, 0.999))
    assert [c for c in out.columns if c.startswith(("lower", "upper"))] == [
        "lower_99_99", "upper_99_99", "lower_50_0", "upper_50_0", "lower_99_9", "upper_99_9"]
    assert out.loc[0, "confidence"] == "99.99% and 50% and 99.9%"
    lo, up = ref_wilson(30, 200, 0.9999)
    assert out.loc[0, "lower_99_99"] == pytest.approx(lo * 100, rel=REL)
    assert out.loc[0, "upper_99_99"] == pytest.approx(up * 100, rel=REL)
