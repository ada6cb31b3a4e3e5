"""Tests for jsna.stats.funnel: funnel-plot limits and significance (PHEindicatormethods v2).

References:

* the defining property of each limit, checked with formulas written out here: a proportion
  funnel point is the proportion whose Wilson interval just reaches the baseline; a Poisson
  funnel point at mean ``mu`` is the event count whose exact chi-squared limit equals ``mu``
  (closed forms: 1e-9 relative);
* PHStatsMethods 0.1.16 ``calculate_funnel_limits`` and ``assign_funnel_significance``.

Discrepancies with PHStatsMethods (and PHEindicatormethods, which it ports):

* its Poisson funnel lines are found by bisection stopping at a step of 1e-7 on a transformed
  scale, so they are accurate to about 1e-5 relative; ours are solved in closed form
  (``chdtriv``), and the comparison below uses 1e-5, with the exact property checked at 1e-9;
* proportion limits are capped at 100 whatever the multiplier, so with ``multiplier=1`` an upper
  limit above 1 (a proportion above 100%) comes out at small denominators; ours are clipped to
  ``[0, multiplier]``.
"""

from __future__ import annotations

import contextlib
import io
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

from jsna.stats import funnel_limits, funnel_significance

REL = 1e-9
Z = {0.95: NormalDist().inv_cdf(0.975), 0.998: NormalDist().inv_cdf(0.999)}
SUFFIX = {0.95: "95_0", 0.998: "99_8"}
PHSM_LIMIT = {("lower", 0.95): "lower_2s_limit", ("upper", 0.95): "upper_2s_limit",
              ("lower", 0.998): "lower_3s_limit", ("upper", 0.998): "upper_3s_limit"}


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def wilson(o, n, z):
    a, b, c = 2 * o + z * z, z * math.sqrt(max(z * z + 4 * o * (1 - o / n), 0.0)), 2 * (n + z * z)
    return (a - b) / c, (a + b) / c


def practices(seed=1, k=60):
    rng = np.random.default_rng(seed)
    den = rng.integers(50, 5000, k)
    num = rng.binomial(den, rng.uniform(0.1, 0.3, k))
    return pd.DataFrame({"practice": [f"P{i:03d}" for i in range(k)], "num": num, "den": den})


def rate_practices(seed=2, k=60):
    rng = np.random.default_rng(seed)
    pop = rng.integers(2000, 90000, k)
    cnt = rng.poisson(pop * 0.004 * rng.uniform(0.5, 1.6, k))
    cnt[:3] = [0, 3, 9]
    df = pd.DataFrame({"practice": [f"P{i:03d}" for i in range(k)], "cnt": cnt, "pop": pop})
    df["rate"] = df["cnt"] / df["pop"] * 100_000
    return df


# ---------------------------------------------------------------------------------------------
# Proportions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", [0.95, 0.998], ids=["95", "99.8"])
def test_proportion_limits_are_where_the_wilson_interval_meets_the_baseline(level):
    df = practices()
    out = funnel_limits(df, "num", "den", multiplier=1)
    av = df.num.sum() / df.den.sum()
    assert out["baseline"].iloc[0] == pytest.approx(av, rel=REL)
    for _, row in out.iterrows():
        n = row["den"]
        lower, upper = row[f"lower_{SUFFIX[level]}"], row[f"upper_{SUFFIX[level]}"]
        # at the upper funnel point the Wilson lower bound is the average, and vice versa
        assert wilson(upper * n, n, Z[level])[0] == pytest.approx(av, rel=REL)
        if lower > 0:
            assert wilson(lower * n, n, Z[level])[1] == pytest.approx(av, rel=REL)
        assert row["value"] == pytest.approx(row["num"] / n, rel=REL)
    assert list(out["practice"]) == list(df["practice"])  # input order kept
    assert set(out["method"]) == {"Wilson"}


def test_proportion_grid_matches_phstatsmethods():
    df = practices()
    ours = funnel_limits(df, "num", "den", at="grid")
    theirs = quiet(phsm.calculate_funnel_limits, df.copy(), "num", "proportion", 100, denom_col="den")
    assert len(ours) == 100
    np.testing.assert_array_equal(ours["denominator"].to_numpy(), theirs["Population"].to_numpy(dtype=float))
    for (side, level), column in PHSM_LIMIT.items():
        np.testing.assert_allclose(ours[f"{side}_{SUFFIX[level]}"], theirs[column], rtol=REL, atol=1e-12)
    np.testing.assert_allclose(ours["baseline"], theirs["baseline"], rtol=REL)


@pytest.mark.parametrize("low, high", [(50, 5000), (900, 1500), (12_345, 20_000), (3, 7)],
                         ids=["wide-axis-from-0", "narrow-axis", "narrow-large", "tiny"])
def test_grid_axis_matches_phstatsmethods(low, high):
    df = pd.DataFrame({"num": [1, 2, 1], "den": [low, (low + high) // 2, high]})
    ours = funnel_limits(df, "num", "den", at="grid")
    theirs = quiet(phsm.calculate_funnel_limits, df.copy(), "num", "proportion", 100, denom_col="den")
    np.testing.assert_array_equal(ours["denominator"].to_numpy(), theirs["Population"].to_numpy(dtype=float))


def test_proportion_significance_matches_phstatsmethods():
    df = practices(seed=4, k=200)
    ours = funnel_significance(df, "num", "den")
    theirs = quiet(phsm.assign_funnel_significance, df.copy(), "num", "proportion", denom_col="den")
    assert list(ours["significance"]) == list(theirs["significance"])
    assert set(ours["significance"]) == {"High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)", "Not significant"}


def test_proportion_significance_agrees_with_row_limits():
    df = practices(seed=5, k=200)
    sig = funnel_significance(df, "num", "den")
    lim = funnel_limits(df, "num", "den")
    v = lim["value"]
    expected = np.select(
        [v < lim.lower_99_8, v < lim.lower_95_0, v > lim.upper_99_8, v > lim.upper_95_0],
        ["Low (0.001)", "Low (0.025)", "High (0.001)", "High (0.025)"], "Not significant")
    assert list(sig["significance"]) == list(expected)


def test_proportion_upper_limit_capped_at_the_multiplier():
    """Discrepancy: PHStatsMethods caps at 100 even for multiplier 1, so proportions exceed 1."""
    df = pd.DataFrame({"num": [1, 100, 200], "den": [2, 500, 900]})
    theirs = quiet(phsm.calculate_funnel_limits, df.copy(), "num", "proportion", 1, denom_col="den")
    assert theirs["upper_3s_limit"].max() > 1
    ours = funnel_limits(df, "num", "den", multiplier=1, at="grid")
    assert ours["upper_99_8"].max() <= 1
    assert ours["lower_99_8"].min() >= 0


# ---------------------------------------------------------------------------------------------
# Rates and ratios
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", [0.95, 0.998], ids=["95", "99.8"])
def test_rate_limits_are_exact_poisson(level):
    df = rate_practices()
    out = funnel_limits(df, "cnt", "pop", statistic="rate", rate="rate")
    av = df.cnt.sum() / df["pop"].sum()
    p = 1 - (1 - level) / 2
    for _, row in out.iterrows():
        mu = av * row["pop"]
        e_low = row[f"lower_{SUFFIX[level]}"] * row["pop"] / 100_000
        e_high = row[f"upper_{SUFFIX[level]}"] * row["pop"] / 100_000
        # the lower line: e events whose exact upper limit is the expected count
        if e_low > 0:
            assert chi2.ppf(p, 2 * e_low + 2) / 2 == pytest.approx(mu, rel=REL)
        else:
            assert chi2.ppf(p, 2) / 2 >= mu * (1 - REL)
        # the upper line: e events whose exact lower limit is the expected count
        assert chi2.ppf(1 - p, 2 * e_high) / 2 == pytest.approx(mu, rel=REL)
    assert out["baseline"].iloc[0] == pytest.approx(av * 100_000, rel=REL)


def test_rate_lines_match_phstatsmethods_to_its_bisection_precision():
    df = rate_practices()
    theirs = quiet(phsm.calculate_funnel_limits, df.copy(), "cnt", "rate", 100_000, denom_col="pop", rate="rate",
                   rate_type="crude", years_of_data=1)
    av = df.cnt.sum() / df["pop"].sum() * 100_000
    for (side, level), column in PHSM_LIMIT.items():
        population = theirs[column.replace("limit", "population_1_year")].to_numpy()
        at = pd.DataFrame({"cnt": 0, "pop": population})
        ours = funnel_limits(at, "cnt", "pop", statistic="rate", baseline=av)
        np.testing.assert_allclose(ours[f"{side}_{SUFFIX[level]}"], theirs[column], rtol=1e-5)


def test_rate_significance_matches_phstatsmethods():
    df = rate_practices(seed=8, k=300)
    ours = funnel_significance(df, "cnt", "pop", statistic="rate", rate="rate")
    theirs = quiet(phsm.assign_funnel_significance, df.copy(), "cnt", "rate", denom_col="pop", rate="rate",
                   rate_type="crude", multiplier=100_000)
    assert list(ours["significance"]) == list(theirs["significance"])
    assert ours["significance"].nunique() >= 4


def test_dsr_funnel_derives_denominators_and_skips_small_counts():
    df = rate_practices(seed=9)
    df["dsr"] = df["rate"] * np.linspace(0.8, 1.2, len(df))
    ours = funnel_significance(df, "cnt", statistic="rate", rate="dsr", rate_type="dsr")
    theirs = quiet(phsm.assign_funnel_significance, df.copy(), "cnt", "rate", rate="dsr", rate_type="dsr",
                   multiplier=100_000, denom_col="pop")
    assert list(ours["significance"]) == list(theirs["significance"])
    assert (ours.loc[df.cnt < 10, "significance"] == "Not applicable for events less than 10 for DSRs").all()
    limits = funnel_limits(df, "cnt", statistic="rate", rate="dsr", rate_type="dsr")
    derived = 100_000 * df.cnt / df.dsr
    av = df.cnt.sum() / derived[df.cnt > 0].sum()
    assert limits["baseline"].iloc[0] == pytest.approx(av * 100_000, rel=REL)
    assert np.isnan(limits.loc[df.cnt == 0, "lower_95_0"]).all()
    row = limits.iloc[10]
    e_high = row["upper_95_0"] * derived.iloc[10] / 100_000
    assert chi2.ppf(0.025, 2 * e_high) / 2 == pytest.approx(av * derived.iloc[10], rel=REL)


def test_ratio_funnel():
    df = pd.DataFrame({"obs": [0, 5, 9, 10, 11, 40, 300], "exp": [2.0, 8.0, 9.5, 6.0, 11.0, 55.0, 240.0]})
    out = funnel_limits(df, "obs", "exp", statistic="ratio")
    assert (out["baseline"] == 100).all()
    for _, row in out.iterrows():
        assert row["value"] == pytest.approx(row["obs"] / row["exp"] * 100, rel=REL)
        e_high = row["upper_95_0"] * row["exp"] / 100
        assert chi2.ppf(0.025, 2 * e_high) / 2 == pytest.approx(row["exp"], rel=REL)
    ours = funnel_significance(df, "obs", "exp", statistic="ratio")
    theirs = quiet(phsm.assign_funnel_significance, df.copy(), "obs", "ratio", denom_col="exp")
    assert list(ours["significance"]) == list(theirs["significance"])


# ---------------------------------------------------------------------------------------------
# Groups, errors, properties
# ---------------------------------------------------------------------------------------------


def test_funnels_per_group_equal_one_at_a_time():
    a, b = practices(seed=1, k=20), practices(seed=2, k=30)
    both = pd.concat([a.assign(indicator="x"), b.assign(indicator="y")], ignore_index=True)
    lim = funnel_limits(both, "num", "den", group_by="indicator")
    sig = funnel_significance(both, "num", "den", group_by="indicator")
    grid = funnel_limits(both, "num", "den", group_by="indicator", at="grid")
    for name, part in [("x", a), ("y", b)]:
        alone = funnel_limits(part, "num", "den")
        mine = lim[lim.indicator == name].reset_index(drop=True)
        np.testing.assert_allclose(mine[["baseline", "lower_95_0", "upper_99_8"]], alone[["baseline", "lower_95_0", "upper_99_8"]], rtol=REL)
        assert list(sig[both.indicator == name]["significance"]) == list(funnel_significance(part, "num", "den")["significance"])
        g = grid[grid.indicator == name].reset_index(drop=True)
        alone_grid = funnel_limits(part, "num", "den", at="grid")
        np.testing.assert_allclose(g[["denominator", "upper_95_0"]], alone_grid[["denominator", "upper_95_0"]], rtol=REL)


@pytest.mark.parametrize(
    "num, den, kwargs, message",
    [
        pytest.param([5, 11], [10, 10], {}, r"^num must be less than or equal to den.*indicator='x'", id="numerator-above"),
        pytest.param([-1, 1], [10, 10], {}, r"^num must be greater than or equal to zero", id="negative"),
        pytest.param([1, 1], [10, 0], {}, r"^den must be greater than zero", id="denominator-0"),
        pytest.param([1, np.nan], [10, 10], {}, r"^num must be given", id="missing-numerator"),
        pytest.param([1, 1], [10, 10], {"statistic": "mean"}, "statistic", id="unknown-statistic"),
        pytest.param([1, 1], [10, 10], {"statistic": "rate", "rate_type": "dsr"}, "rate=", id="dsr-without-rate"),
        pytest.param([1, 1], [10, 10], {"confidence": 0.9}, "confidence", id="bad-confidence"),
    ],
)
def test_funnel_errors(num, den, kwargs, message):
    df = pd.DataFrame({"indicator": ["x", "x"], "num": num, "den": den})
    with pytest.raises(ValueError, match=message):
        funnel_limits(df, "num", "den", group_by="indicator", **kwargs)


@settings(max_examples=50, deadline=None)
@given(st.floats(0.001, 0.999), st.integers(1, 10**6), st.sampled_from(["proportion", "rate"]))
def test_funnel_limits_bracket_baseline_and_widen(av, n, statistic):
    df = pd.DataFrame({"num": [0], "den": [n]})
    baseline = av * (100 if statistic == "proportion" else 100_000)
    out = funnel_limits(df, "num", "den", statistic=statistic, baseline=baseline).iloc[0]
    tol = 1e-9 * baseline
    assert out["lower_99_8"] <= out["lower_95_0"] + tol
    assert out["lower_95_0"] <= baseline + tol
    assert baseline <= out["upper_95_0"] + tol
    assert out["upper_95_0"] <= out["upper_99_8"] + tol
    assert out["lower_99_8"] >= 0
