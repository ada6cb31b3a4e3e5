"""Tests for jsna.stats.inequality.sii (slope and relative index of inequality).

Expected values never come from the function under test. They come from:

* a closed-form population-weighted regression written here (weighted means and weighted
  covariance: a different algebra from the module's normal equations), compared to 1e-9;
* the normal-theory distribution of the fitted slope in the linear cases (the simulated limits
  must converge to it within a stated Monte Carlo tolerance), and a brute-force simulation
  written here for the non-linear (log-normal) case;
* PHEindicatormethods' published worked examples (vignette "Worked examples for phe_sii",
  data from its tests/testthat/*.csv): SII and RII to the published precision, limits to
  Monte Carlo accuracy as stated per test.

Monte Carlo tolerances: with R repetitions the p-quantile of a normal with standard deviation
sd has standard error ~ sqrt(p (1 - p) / R) / phi(z_p) * sd, i.e. 0.0085 sd (p = 0.025) and
0.030 sd (p = 0.001) at R = 100,000; tolerances below are about five of those.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from jsna.stats.inequality import _order_statistics, sii

Z95 = 1.959963984540054
Z998 = 3.090232306167813
Z99 = 2.5758293035489004  # qnorm(0.995)
Z90 = 1.6448536269514722  # qnorm(0.95)


# --- an independent closed-form weighted regression ------------------------------------------


def ranks_and_shares(pops):
    """Population shares and cumulative-midpoint ranks, quantile 1 first, one at a time."""
    total = float(sum(pops))
    shares, ranks, below = [], [], 0.0
    for p in pops:
        share = p / total
        shares.append(share)
        ranks.append(below + share / 2)
        below += share
    return np.array(shares), np.array(ranks)


def weighted_fit(values, pops):
    """Intercept (at rank 0) and slope of the population-weighted least-squares line, with the
    weight each value carries in each (for the sampling variance)."""
    a, b = ranks_and_shares(pops)
    y = np.asarray(values, dtype=float)
    xbar = np.sum(a * b) / np.sum(a)
    ybar = np.sum(a * y) / np.sum(a)
    sxx = np.sum(a * (b - xbar) ** 2)
    slope = np.sum(a * (b - xbar) * (y - ybar)) / sxx
    intercept = ybar - slope * xbar
    slope_weights = a * (b - xbar) / sxx / np.sum(a)
    intercept_weights = a / np.sum(a) - xbar * slope_weights
    return intercept, slope, intercept_weights, slope_weights


def lm_fit(values, pops):
    """R's formulation, lm(y sqrt(a) ~ sqrt(a) + b sqrt(a) - 1), by numpy least squares."""
    a, b = ranks_and_shares(pops)
    design = np.column_stack([np.sqrt(a), b * np.sqrt(a)])
    coef, *_ = np.linalg.lstsq(design, np.asarray(values) * np.sqrt(a), rcond=None)
    return coef


def deciles(n_areas, seed=0, trend=0.8):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_areas):
        pops = rng.integers(4_000, 30_000, 10)
        base = rng.uniform(70, 80)
        values = base + trend * np.arange(10) + rng.normal(0, 0.8, 10)
        for q in range(10):
            rows.append({"area": f"E{i:03d}", "decile": q + 1, "pop": pops[q], "le": values[q],
                         "se": rng.uniform(0.4, 1.6)})
    return pd.DataFrame(rows)


# --- SII, RII and intercept against the closed form -------------------------------------------


def test_point_estimates_match_closed_form_weighted_regression():
    df = deciles(15, seed=3)
    out = sii(df, "decile", "pop", "le", se="se", group_by="area", repetitions=1000, seed=1)
    for _, row in out.iterrows():
        src = df[df["area"] == row["area"]].sort_values("decile")
        c0, c1, _, _ = weighted_fit(src["le"], src["pop"])
        assert row["sii"] == pytest.approx(c1, rel=1e-9)
        assert row["intercept"] == pytest.approx(c0, rel=1e-9)
        assert row["rii"] == pytest.approx((c0 + c1) / c0, rel=1e-9)
        lm0, lm1 = lm_fit(src["le"], src["pop"])
        assert row["sii"] == pytest.approx(lm1, rel=1e-9)


def test_sign_convention_least_minus_most_deprived_and_row_order():
    """Quantile 1 = most deprived: a value rising towards the least deprived gives SII > 0."""
    df = deciles(3, seed=4, trend=1.0)
    out = sii(df, "decile", "pop", "le", se="se", group_by="area", repetitions=1000, seed=2)
    assert (out["sii"] > 0).all() and (out["rii"] > 1).all()
    flipped = df.assign(le=-df["le"] + 200)
    assert (sii(flipped, "decile", "pop", "le", se="se", group_by="area", repetitions=1000, seed=2)["sii"] < 0).all()
    shuffled = sii(df.sample(frac=1, random_state=5), "decile", "pop", "le", se="se", group_by="area",
                   repetitions=1000, seed=2)
    pd.testing.assert_frame_equal(out, shuffled)


def test_output_columns():
    df = deciles(2)
    out = sii(df, "decile", "pop", "le", se="se", group_by="area", repetitions=1000, seed=1)
    assert list(out.columns) == [
        "area", "sii", "sii_lower_95_0", "sii_upper_95_0", "sii_lower_99_8", "sii_upper_99_8",
        "rii", "rii_lower_95_0", "rii_upper_95_0", "rii_lower_99_8", "rii_upper_99_8",
        "intercept", "confidence", "statistic", "method",
    ]
    one = sii(df[df["area"] == "E000"], "decile", "pop", "le", se="se", confidence=0.998, repetitions=1000, seed=1)
    assert list(one.columns) == ["sii", "sii_lower_99_8", "sii_upper_99_8", "rii", "rii_lower_99_8",
                                 "rii_upper_99_8", "intercept", "confidence", "statistic", "method"]
    assert one["statistic"].iloc[0] == "Slope index of inequality"


@pytest.mark.parametrize("value_type, forward, back", [
    ("rate", np.log, np.exp),
    ("proportion", lambda p: np.log(p / (1 - p)), lambda x: 1 / (1 + np.exp(-x))),
])
def test_transform_point_estimates_match_closed_form(value_type, forward, back):
    rng = np.random.default_rng(8)
    pops = rng.integers(5_000, 50_000, 7)
    values = (np.linspace(180, 110, 7) if value_type == "rate" else np.linspace(0.31, 0.12, 7)) * rng.uniform(0.95, 1.05, 7)
    df = pd.DataFrame({"q": range(1, 8), "pop": pops, "v": values, "lo": values * 0.9, "hi": values * 1.08})
    out = sii(df, "q", "pop", "v", lower="lo", upper="hi", value_type=value_type, transform=True,
              multiplier=100, repetitions=1000, seed=1).iloc[0]
    c0, c1, _, _ = weighted_fit(forward(values), pops)
    assert out["sii"] == pytest.approx((back(c0 + c1) - back(c0)) * 100, rel=1e-9)
    assert out["rii"] == pytest.approx(back(c0 + c1) / back(c0), rel=1e-9)
    assert out["intercept"] == pytest.approx(back(c0) * 100, rel=1e-9)
    # without transform the fit is on the original scale
    plain = sii(df, "q", "pop", "v", lower="lo", upper="hi", value_type=value_type, repetitions=1000, seed=1).iloc[0]
    p0, p1, _, _ = weighted_fit(values, pops)
    assert plain["sii"] == pytest.approx(p1, rel=1e-9)
    assert plain["rii"] == pytest.approx((p0 + p1) / p0, rel=1e-9)


# --- published examples: PHEindicatormethods vignette -----------------------------------------

# LE_data (tests/testthat/LE_testdata.csv), Sex 1; value_type 0, se supplied, 1,000 repetitions.
LE_EXAMPLE = {
    "E06000001": dict(
        pop=[13837, 14519, 14940, 14599, 12311, 13196, 13335, 13388, 13685, 11779],
        le=[70.56313911, 72.61347473, 75.06710359, 75.20662276, 76.23469045, 75.21801932, 77.09240397,
            79.84156222, 80.81329918, 82.73763832],
        se=[1.133868862, 1.020288759, 1.108685178, 1.485618539, 1.311653285, 1.169033147, 1.306645801,
            1.090905616, 0.979426096, 1.319452272],
        published=(11.68886, 9.215442, 14.07460)),
    "E06000002": dict(
        pop=[21675, 20065, 19750, 24713, 20112, 19618, 22408, 19752, 18939, 19312],
        le=[70.54853186, 71.57155734, 72.48698671, 73.51985519, 73.14605425, 76.15898712, 78.65444871,
            80.56476961, 80.85486627, 79.9711253],
        se=[0.947488056, 1.043688022, 0.969320245, 1.023567868, 1.006757968, 0.906037647, 0.724013864,
            1.118131371, 0.848327099, 0.94159082],
        published=(12.54785, 10.579679, 14.57307)),
    "E06000003": dict(
        pop=[20524, 18615, 23212, 20883, 17002, 20117, 19031, 19365, 18554, 19820],
        le=[72.76836448, 75.49551789, 76.04600799, 75.47369917, 78.06618358, 77.02857403, 79.82679432,
            80.35857167, 80.15630823, 83.7271982],
        se=[1.022722819, 1.214913372, 0.967057029, 0.972293965, 0.989564113, 0.88291958, 0.916181115,
            1.09344987, 1.141181722, 0.86306322],
        published=(10.05084, 7.820256, 12.30021)),
}


def test_published_life_expectancy_example():
    """SII to the 5 dp published. R's limits came from only 1,000 repetitions (Monte Carlo
    standard error ~0.1 year for the 95% limits), so ours (100,000) must lie within 0.4."""
    df = pd.concat([pd.DataFrame({"GeoCode": code, "Decile": range(1, 11), "Pop": d["pop"], "LifeExp": d["le"],
                                  "SE": d["se"]}) for code, d in LE_EXAMPLE.items()])
    out = sii(df, "Decile", "Pop", "LifeExp", se="SE", group_by="GeoCode", seed=11).set_index("GeoCode")
    for code, d in LE_EXAMPLE.items():
        value, lower, upper = d["published"]
        assert out.loc[code, "sii"] == pytest.approx(value, abs=5e-6)
        assert out.loc[code, "sii_lower_95_0"] == pytest.approx(lower, abs=0.4)
        assert out.loc[code, "sii_upper_95_0"] == pytest.approx(upper, abs=0.4)


# DSR_data (tests/testthat/DSR_testdata.csv): rates, log transform, limits supplied, RII,
# 100,000 repetitions, 95%. Published: sii, rii, sii_lower, sii_upper, rii_lower, rii_upper.
DSR_ROWS = """\
2010,1,1434002,150.2200205,147.3194185,153.1498241
2010,2,1450590,131.0221747,128.3676972,133.7051129
2010,3,1453827,127.4954973,125.0421198,129.975513
2010,4,1440980,130.494241,128.2469515,132.7657553
2010,5,1457780,135.4664241,133.2469515,137.8657553
2011,1,1445258,148.4061234,145.5359227,151.3052827
2011,2,1467772,131.7211691,129.0779928,134.3924424
2011,3,1470806,125.0341288,122.6267941,127.4677057
2011,4,1454888,130.3084574,128.0909634,132.549757
2011,5,1457780,135.4664241,133.2469515,137.8657553
2012,1,1456919,146.3620464,143.5339285,149.218782
2012,2,1482837,130.836935,128.2283616,133.4731892
2012,3,1486250,123.9613632,121.5935782,126.3549356
2012,4,1467811,129.1611122,126.9843883,131.361204
2012,5,1457780,135.4664241,133.2469515,137.8657553
2013,1,1471562,144.6298219,141.8398707,147.4480316
2013,2,1499928,130.2174816,127.6418787,132.8203233
2013,3,1502931,123.4222104,121.0885952,125.781154
2013,4,1481042,127.5460197,125.4162627,129.6986819
2013,5,1457780,135.4664241,133.2469515,137.8657553
2014,1,1490242,144.7302585,141.9631164,147.5252412
2014,2,1519238,128.7774474,126.2475781,131.3340493
2014,3,1521454,123.0128932,120.7189438,125.3316289
2014,4,1495993,126.4499704,124.3638326,128.5585283
2014,5,1457780,135.4664241,133.2469515,137.8657553
2015,1,1508923,143.8177637,141.0941843,146.568661
2015,2,1538008,127.2058426,124.7351196,129.7026732
2015,3,1538564,122.4106945,120.1654081,124.6801651
2015,4,1509602,126.3922397,124.3450367,128.4613495
2015,5,1457780,135.4664241,133.2469515,137.8657553
"""
DSR_PUBLISHED = {
    2010: (-14.03684, 0.9010655, -17.95990, -10.126662, 0.8752420, 0.9275826),
    2011: (-12.83196, 0.9086641, -16.72001, -8.917710, 0.8827020, 0.9355915),
    2012: (-11.09234, 0.9199455, -14.91251, -7.257354, 0.8939089, 0.9468622),
    2013: (-10.06041, 0.9266342, -13.85842, -6.255091, 0.9003791, 0.9537227),
    2014: (-10.06085, 0.9263086, -13.84260, -6.302576, 0.9000559, 0.9531717),
    2015: (-8.53077, 0.9368534, -12.23824, -4.816133, 0.9106841, 0.9638401),
}


def test_published_rate_example_with_log_transform():
    """SII and RII to the 7 significant figures published; limits within Monte Carlo accuracy
    (R's own run-to-run mean absolute difference was 0.01-0.03 for these SII limits): 0.1 for
    SII limits, 0.001 for RII limits."""
    rows = [line.split(",") for line in DSR_ROWS.strip().splitlines()]
    df = pd.DataFrame(rows, columns=["Period", "Quintile", "total_pop", "value", "lowercl", "uppercl"]).astype(float)
    df["Period"] = df["Period"].astype(int)
    out = sii(df, "Quintile", "total_pop", "value", group_by="Period", lower="lowercl", upper="uppercl",
              value_type="rate", transform=True, confidence=0.95, seed=2).set_index("Period")
    for period, (s, r, s_lo, s_hi, r_lo, r_hi) in DSR_PUBLISHED.items():
        row = out.loc[period]
        assert row["sii"] == pytest.approx(s, abs=6e-6)
        assert row["rii"] == pytest.approx(r, abs=6e-8)
        assert row["sii_lower_95_0"] == pytest.approx(s_lo, abs=0.1)
        assert row["sii_upper_95_0"] == pytest.approx(s_hi, abs=0.1)
        assert row["rii_lower_95_0"] == pytest.approx(r_lo, abs=1e-3)
        assert row["rii_upper_95_0"] == pytest.approx(r_hi, abs=1e-3)


# prevalence_data (tests/testthat/NCMP_testdata.csv), England, periods 607 and 708: proportions
# (Rate / 100), logit transform, multiplier -100, 100,000 repetitions, 95%.
NCMP = {
    ("607", "6"): dict(
        measured=[34353, 32112, 27715, 25372, 23889, 23260, 23180, 24193, 23609, 24488],
        rate=[21.2121212121212, 21.4281265570503, 20.4077214504781, 19.1865048084503, 17.4808489262841,
              16.6638005159071, 15.6039689387403, 14.6571322283305, 14.0370197805921, 12.0875530872264],
        lcl=[20.7830499225555, 20.9827711465288, 19.9373517258999, 18.7066648694241, 17.0044640703038,
             16.190410576997, 15.1425075468518, 14.2170753783533, 13.5997670936376, 11.6852009907382],
        ucl=[21.6476300812899, 21.8803170788612, 20.8862933590925, 19.675673996565, 17.9676905527535,
             17.148199783417, 16.0768288675927, 15.1084110529924, 14.4859737537153, 12.5017980504761],
        published=(10.964626, 10.442276, 11.487365)),
    ("607", "R"): dict(
        measured=[36111, 31803, 26681, 24184, 23023, 21506, 22197, 23679, 23271, 23464],
        rate=[12.0794217828363, 11.7410307203723, 11.3638919080994, 10.5896460469732, 10.0073839204274,
              9.41132707151493, 8.730909582376, 8.36606275602855, 7.97559193846418, 6.96812137742925],
        lcl=[11.7473271937339, 11.3918517825361, 10.9886239767609, 10.2080757108839, 9.62638859468932,
             9.02830437346462, 8.36665612937408, 8.02012076260088, 7.63441201710209, 6.64933849950753],
        ucl=[12.4195834343315, 12.0994510822713, 11.7502836842961, 10.9837345114021, 10.4017228033421,
             9.80884729303046, 9.10944479237356, 8.72551115710111, 8.33064392278473, 7.30099206057122],
        published=(5.970062, 5.549097, 6.393890)),
    ("708", "R"): dict(
        measured=[65479, 55395, 48288, 44317, 41798, 40991, 40083, 42979, 44983, 46830],
        rate=[11.8755631576536, 11.5876884195324, 10.940606361829, 10.4181239704854, 9.92870472271401,
              8.99953648361836, 8.50485243120525, 8.00623560343423, 7.37834292955116, 6.80546658125134],
        lcl=[11.6300133640293, 11.3238047471831, 10.6652944438108, 10.1371213306232, 9.64568845714237,
             8.72632912807722, 8.23572637220237, 7.75339828662826, 7.14038610331397, 6.58089930268601],
        ucl=[12.1255859842413, 11.8568992543011, 11.222132375135, 10.7059880390483, 10.2190858423364,
             9.28042781044089, 8.78193131935821, 8.26657904646083, 7.62357874383004, 7.03711976249894],
        published=(6.200092, 5.891670, 6.511572)),
}


def test_published_proportion_example_with_logit_transform_and_negative_multiplier():
    """SII to the 6 dp published; limits within 0.02 (Monte Carlo standard error ~0.003)."""
    frames = []
    for (period, year), d in NCMP.items():
        frames.append(pd.DataFrame({"Period": period, "SchoolYear": year, "Decile": range(1, 11),
                                    "Measured": d["measured"], "Rate": np.array(d["rate"]) / 100,
                                    "LCL": np.array(d["lcl"]) / 100, "UCL": np.array(d["ucl"]) / 100}))
    df = pd.concat(frames)
    out = sii(df, "Decile", "Measured", "Rate", group_by=["Period", "SchoolYear"], lower="LCL", upper="UCL",
              value_type="proportion", transform=True, multiplier=-100, confidence=0.95, seed=4)
    out = out.set_index(["Period", "SchoolYear"])
    for key, d in NCMP.items():
        value, lower, upper = d["published"]
        assert out.loc[key, "sii"] == pytest.approx(value, abs=1e-6)
        assert out.loc[key, "sii_lower_95_0"] == pytest.approx(lower, abs=0.02)
        assert out.loc[key, "sii_upper_95_0"] == pytest.approx(upper, abs=0.02)
        assert out.loc[key, "rii"] > 1  # inverted for the negative multiplier


# --- simulation: reproducibility and convergence ----------------------------------------------


def test_limits_reproducible_with_seed_and_vary_without():
    df = deciles(4, seed=6)
    kwargs = dict(se="se", group_by="area", repetitions=5000)
    first = sii(df, "decile", "pop", "le", seed=123, **kwargs)
    pd.testing.assert_frame_equal(first, sii(df, "decile", "pop", "le", seed=123, **kwargs))
    other = sii(df, "decile", "pop", "le", seed=124, **kwargs)
    assert not np.allclose(first["sii_lower_95_0"], other["sii_lower_95_0"], rtol=0, atol=1e-12)
    pd.testing.assert_series_equal(first["sii"], other["sii"])


def test_group_limits_do_not_depend_on_other_groups():
    """Each group's random stream depends on the seed and its key only."""
    df = deciles(6, seed=7)
    kwargs = dict(se="se", group_by="area", repetitions=5000, seed=99)
    together = sii(df, "decile", "pop", "le", **kwargs)
    apart = pd.concat([sii(df[df["area"] == a], "decile", "pop", "le", **kwargs) for a in sorted(df["area"].unique())],
                      ignore_index=True)
    pd.testing.assert_frame_equal(together, apart)


def test_simulated_limits_converge_to_normal_theory_in_the_linear_case():
    """value_type "other": the fitted slope is exactly normal with variance sum(w_q^2 se_q^2),
    so the simulated limits must approach sii -/+ z sd within Monte Carlo error (5 standard
    errors: 0.043 sd at 95%, 0.15 sd at 99.8%, for 100,000 repetitions)."""
    df = deciles(4, seed=12)
    out = sii(df, "decile", "pop", "le", se="se", group_by="area", repetitions=100_000, seed=5).set_index("area")
    for area, src in df.groupby("area"):
        src = src.sort_values("decile")
        _, c1, _, w1 = weighted_fit(src["le"], src["pop"])
        sd = np.sqrt(np.sum(w1**2 * src["se"].to_numpy() ** 2))
        row = out.loc[area]
        assert row["sii_lower_95_0"] == pytest.approx(c1 - Z95 * sd, abs=0.043 * sd)
        assert row["sii_upper_95_0"] == pytest.approx(c1 + Z95 * sd, abs=0.043 * sd)
        assert row["sii_lower_99_8"] == pytest.approx(c1 - Z998 * sd, abs=0.15 * sd)
        assert row["sii_upper_99_8"] == pytest.approx(c1 + Z998 * sd, abs=0.15 * sd)


def test_rii_limits_against_an_independent_simulation():
    """RII = fitted(1) / fitted(0) is not normal: compare with (intercept, slope) drawn here
    from their exact bivariate normal distribution (400,000 draws)."""
    df = deciles(1, seed=13)
    src = df.sort_values("decile")
    out = sii(src, "decile", "pop", "le", se="se", repetitions=100_000, seed=8).iloc[0]
    c0, c1, w0, w1 = weighted_fit(src["le"], src["pop"])
    s2 = src["se"].to_numpy() ** 2
    cov = np.array([[np.sum(w0 * w0 * s2), np.sum(w0 * w1 * s2)], [np.sum(w0 * w1 * s2), np.sum(w1 * w1 * s2)]])
    draws = np.random.default_rng(2024).multivariate_normal([c0, c1], cov, size=400_000)
    ratio = (draws[:, 0] + draws[:, 1]) / draws[:, 0]
    sd = ratio.std()
    for level, name in [(0.95, "95_0"), (0.998, "99_8")]:
        tol = (0.05 if level == 0.95 else 0.17) * sd
        assert out[f"rii_lower_{name}"] == pytest.approx(np.quantile(ratio, (1 - level) / 2), abs=tol)
        assert out[f"rii_upper_{name}"] == pytest.approx(np.quantile(ratio, (1 + level) / 2), abs=tol)


def test_rate_without_transform_matches_a_brute_force_log_normal_simulation():
    """Rates, transform=False (R's default): each quantile sampled as exp(N(log rate, se_log)),
    the line refitted on the original scale. Brute force here with 200,000 draws."""
    rng = np.random.default_rng(21)
    pops = rng.integers(20_000, 60_000, 10)
    rates = np.linspace(900, 500, 10) * rng.uniform(0.9, 1.1, 10)
    lo, hi = rates * 0.85, rates * 1.17
    df = pd.DataFrame({"q": range(1, 11), "pop": pops, "r": rates, "lo": lo, "hi": hi})
    out = sii(df, "q", "pop", "r", lower="lo", upper="hi", value_type="rate", repetitions=100_000, seed=3).iloc[0]
    se_log = (np.log(hi) - np.log(lo)) / (2 * Z95)
    _, _, w0, w1 = weighted_fit(rates, pops)
    samples = np.exp(np.log(rates) + se_log * rng.standard_normal((200_000, 10)))
    slopes = samples @ w1
    riis = (samples @ w0 + slopes) / (samples @ w0)
    for level, name, k in [(0.95, "95_0", 0.045), (0.998, "99_8", 0.16)]:
        assert out[f"sii_lower_{name}"] == pytest.approx(np.quantile(slopes, (1 - level) / 2), abs=k * slopes.std())
        assert out[f"sii_upper_{name}"] == pytest.approx(np.quantile(slopes, (1 + level) / 2), abs=k * slopes.std())
        assert out[f"rii_lower_{name}"] == pytest.approx(np.quantile(riis, (1 - level) / 2), abs=k * riis.std())
        assert out[f"rii_upper_{name}"] == pytest.approx(np.quantile(riis, (1 + level) / 2), abs=k * riis.std())


def test_transformed_rate_limits_follow_the_pivot_rule():
    """transform=True: the log-scale slope is normal; its limits s are pivoted about the fitted
    midpoint m and back-transformed, sii = exp(m + s/2) - exp(m - s/2) (R's rule)."""
    rng = np.random.default_rng(31)
    pops = rng.integers(20_000, 60_000, 10)
    rates = np.linspace(900, 500, 10) * rng.uniform(0.9, 1.1, 10)
    lo, hi = rates * 0.85, rates * 1.17
    df = pd.DataFrame({"q": range(1, 11), "pop": pops, "r": rates, "lo": lo, "hi": hi})
    out = sii(df, "q", "pop", "r", lower="lo", upper="hi", value_type="rate", transform=True,
              repetitions=100_000, seed=6).iloc[0]
    c0, c1, _, w1 = weighted_fit(np.log(rates), pops)
    sd = np.sqrt(np.sum(w1**2 * ((np.log(hi) - np.log(lo)) / (2 * Z95)) ** 2))
    mid = c0 + c1 / 2
    for z, name in [(Z95, "95_0"), (Z998, "99_8")]:
        for s, side in [(c1 - z * sd, "lower"), (c1 + z * sd, "upper")]:
            expected_sii = np.exp(mid + s / 2) - np.exp(mid - s / 2)
            expected_rii = np.exp(s)
            # d sii / d s ~ exp(mid); 0.15 sd of the slope covers 5 Monte Carlo standard errors at 99.8%
            assert out[f"sii_{side}_{name}"] == pytest.approx(expected_sii, abs=0.15 * sd * np.exp(mid) * 1.1)
            assert out[f"rii_{side}_{name}"] == pytest.approx(expected_rii, abs=0.15 * sd * np.exp(s) * 1.1)


def test_negative_multiplier_flips_sii_swaps_limits_and_inverts_rii():
    df = deciles(2, seed=14)
    kwargs = dict(se="se", group_by="area", repetitions=5000, seed=77)
    pos = sii(df, "decile", "pop", "le", multiplier=1, **kwargs)
    neg = sii(df, "decile", "pop", "le", multiplier=-1, **kwargs)
    np.testing.assert_allclose(neg["sii"], -pos["sii"], rtol=1e-12)
    np.testing.assert_allclose(neg["sii_lower_95_0"], -pos["sii_upper_95_0"], rtol=1e-12)
    np.testing.assert_allclose(neg["sii_upper_99_8"], -pos["sii_lower_99_8"], rtol=1e-12)
    np.testing.assert_allclose(neg["rii"], 1 / pos["rii"], rtol=1e-12)
    np.testing.assert_allclose(neg["rii_lower_95_0"], 1 / pos["rii_upper_95_0"], rtol=1e-12)
    np.testing.assert_allclose(neg["intercept"], pos["intercept"], rtol=1e-12)
    scaled = sii(df, "decile", "pop", "le", multiplier=100, **kwargs)
    np.testing.assert_allclose(scaled["sii_upper_95_0"], 100 * pos["sii_upper_95_0"], rtol=1e-12)


# --- standard errors: from limits, supplied, or from counts -----------------------------------


def test_se_from_limits_equals_supplied_se():
    """R's documentation: supplying the SE instead of the 95% limits gives the same result."""
    df = deciles(3, seed=15)
    df["lower"] = df["le"] - Z95 * df["se"]
    df["upper"] = df["le"] + Z95 * df["se"]
    kwargs = dict(group_by="area", repetitions=5000, seed=8)
    from_se = sii(df, "decile", "pop", "le", se="se", **kwargs)
    from_limits = sii(df, "decile", "pop", "le", lower="lower", upper="upper", **kwargs)
    pd.testing.assert_frame_equal(from_se, from_limits, rtol=1e-9)


def test_rate_se_is_taken_on_the_log_scale_as_in_r():
    rng = np.random.default_rng(16)
    rates = np.linspace(300, 150, 10)
    df = pd.DataFrame({"q": range(1, 11), "pop": rng.integers(9000, 20000, 10), "r": rates,
                       "lo": rates * 0.9, "hi": rates * 1.12})
    df["se_log"] = (np.log(df["hi"]) - np.log(df["lo"])) / (2 * Z95)
    a = sii(df, "q", "pop", "r", lower="lo", upper="hi", value_type="rate", repetitions=5000, seed=1)
    b = sii(df, "q", "pop", "r", se="se_log", value_type="rate", repetitions=5000, seed=1)
    pd.testing.assert_frame_equal(a, b, rtol=1e-9)


def test_counts_give_value_and_standard_error():
    rng = np.random.default_rng(17)
    pops = rng.integers(9000, 20000, 10)
    counts = np.round(pops * np.linspace(0.3, 0.15, 10)).astype(int)
    df = pd.DataFrame({"q": range(1, 11), "pop": pops, "x": counts})
    df["p"] = df["x"] / df["pop"]
    df["se_logit"] = np.sqrt(1 / df["x"] + 1 / (df["pop"] - df["x"]))
    kw = dict(value_type="proportion", repetitions=5000, seed=2)
    from_counts = sii(df, "q", "pop", count="x", **kw)
    explicit = sii(df, "q", "pop", "p", se="se_logit", **kw)
    pd.testing.assert_frame_equal(from_counts, explicit, rtol=1e-9)
    # rates: count / population, scaled by the multiplier; se of log rate = 1 / sqrt(count)
    df["rate"] = df["x"] / df["pop"] * 100_000
    df["se_log"] = 1 / np.sqrt(df["x"])
    per_100k = sii(df, "q", "pop", count="x", value_type="rate", multiplier=100_000, repetitions=5000, seed=3)
    explicit = sii(df, "q", "pop", "rate", se="se_log", value_type="rate", repetitions=5000, seed=3)
    for column in ["sii", "sii_lower_95_0", "sii_upper_99_8", "rii", "rii_lower_95_0", "intercept"]:
        assert per_100k[column].iloc[0] == pytest.approx(explicit[column].iloc[0], rel=1e-9)


# --- invalid groups and argument errors -------------------------------------------------------


@pytest.mark.parametrize("spoil, reason", [
    (lambda d: d.drop(index=d.index[3]), "quantile 4 missing"),
    (lambda d: d.assign(pop=np.where(d["decile"] == 2, 0, d["pop"])), "population missing, or zero or less"),
    (lambda d: d.assign(se=np.where(d["decile"] == 5, -1.0, d["se"])), "negative standard error"),
    (lambda d: d.assign(le=np.where(d["decile"] == 6, np.nan, d["le"])), "value missing"),
], ids=["missing quantile", "zero population", "negative se", "missing value"])
def test_invalid_group_is_not_calculated_and_others_are_unaffected(spoil, reason):
    df = deciles(3, seed=18)
    bad = spoil(df[df["area"] == "E001"])
    mixed = pd.concat([df[df["area"] != "E001"], bad])
    kwargs = dict(se="se", group_by="area", repetitions=2000, seed=5)
    out = sii(mixed, "decile", "pop", "le", **kwargs)
    row = out[out["area"] == "E001"].iloc[0]
    numeric = [c for c in out.columns if c.startswith(("sii", "rii", "intercept"))]
    assert row[numeric].isna().all()
    assert row["statistic"].startswith("Slope index of inequality: not calculated, " + reason)
    good = sii(df[df["area"] != "E001"], "decile", "pop", "le", **kwargs)
    pd.testing.assert_frame_equal(out[out["area"] != "E001"].reset_index(drop=True), good)


def test_invalid_rates_and_proportions_are_not_calculated():
    base = pd.DataFrame({"q": range(1, 11), "pop": [1000] * 10, "v": np.linspace(0.4, 0.2, 10),
                         "lo": np.linspace(0.35, 0.15, 10), "hi": np.linspace(0.45, 0.25, 10)})
    prop = pd.concat([base.assign(g="ok"), base.assign(g="one", v=np.where(base["q"] == 3, 1.0, base["v"]))])
    out = sii(prop, "q", "pop", "v", lower="lo", upper="hi", group_by="g", value_type="proportion",
              repetitions=1000, seed=1).set_index("g")
    assert np.isfinite(out.loc["ok", "sii"]) and np.isnan(out.loc["one", "sii"])
    assert "proportion not strictly between 0 and 1" in out.loc["one", "statistic"]
    rate = pd.concat([base.assign(g="ok"), base.assign(g="zero", v=np.where(base["q"] == 3, 0.0, base["v"]))])
    out = sii(rate, "q", "pop", "v", lower="lo", upper="hi", group_by="g", value_type="rate",
              repetitions=1000, seed=1).set_index("g")
    assert "rate of zero or less" in out.loc["zero", "statistic"] and np.isfinite(out.loc["ok", "sii"])


def test_argument_and_structural_errors():
    df = deciles(2, seed=19)
    with pytest.raises(ValueError, match="se cannot be supplied with transform=True"):
        sii(df, "decile", "pop", "le", se="se", value_type="rate", transform=True)
    with pytest.raises(ValueError, match='transform=True needs value_type="rate" or "proportion"'):
        sii(df, "decile", "pop", "le", lower="se", upper="se", transform=True)
    with pytest.raises(ValueError, match="repetitions must be at least 1,000"):
        sii(df, "decile", "pop", "le", se="se", repetitions=999)
    with pytest.raises(ValueError, match="value_type must be one of"):
        sii(df, "decile", "pop", "le", se="se", value_type="ratio")
    with pytest.raises(ValueError, match="give both lower and upper"):
        sii(df, "decile", "pop", "le", lower="se")
    with pytest.raises(ValueError, match="give se, or lower and upper"):
        sii(df, "decile", "pop", "le")
    with pytest.raises(ValueError, match='count applies to value_type="rate" or "proportion" only'):
        sii(df, "decile", "pop", count="pop")
    with pytest.raises(ValueError, match=r"\['sd'\] not found"):
        sii(df, "decile", "pop", "le", se="sd")
    with pytest.raises(ValueError, match="between 5 and 100 distinct quantiles"):
        sii(df[df["decile"] <= 4], "decile", "pop", "le", se="se", group_by="area")
    with pytest.raises(ValueError, match=r"duplicate quantile 3 \(group area='E000'\)"):
        sii(pd.concat([df, df.iloc[[2]]]), "decile", "pop", "le", se="se", group_by="area")
    text = df.assign(pop=df["pop"].astype(str))
    text.loc[text.index[12], "pop"] = "unknown"
    with pytest.raises(ValueError, match=r"pop must be numeric.*area='E001'"):
        sii(text, "decile", "pop", "le", se="se", group_by="area")


# --- any confidence level strictly between 0 and 1 ------------------------------------------


def test_any_level_names_its_columns_with_the_shared_rule():
    df = deciles(2, seed=40)
    out = sii(df, "decile", "pop", "le", se="se", group_by="area", confidence=(0.9, 0.99), repetitions=1000, seed=1)
    assert list(out.columns) == [
        "area", "sii", "sii_lower_90_0", "sii_upper_90_0", "sii_lower_99_0", "sii_upper_99_0",
        "rii", "rii_lower_90_0", "rii_upper_90_0", "rii_lower_99_0", "rii_upper_99_0",
        "intercept", "confidence", "statistic", "method",
    ]
    assert (out["confidence"] == "90% and 99%").all()
    one = sii(df, "decile", "pop", "le", se="se", group_by="area", confidence=0.9999, repetitions=1000, seed=1)
    assert "sii_upper_99_99" in one.columns and (one["confidence"] == "99.99%").all()


@pytest.mark.parametrize("level", [0, 1, 1.0, -0.2, 95, 99.8, float("nan"), True, "0.99"])
def test_level_outside_zero_one_is_an_error_naming_it(level):
    df = deciles(1, seed=41)
    with pytest.raises(ValueError, match=rf"confidence: {re.escape(repr(level))} is not a level strictly between 0 and 1"):
        sii(df, "decile", "pop", "le", se="se", confidence=level, repetitions=1000)


def test_a_level_given_twice_is_an_error():
    df = deciles(1, seed=41)
    with pytest.raises(ValueError, match=r"confidence: 0.99 is given more than once"):
        sii(df, "decile", "pop", "le", se="se", confidence=(0.99, 0.95, 0.99), repetitions=1000)


def test_99_and_90_percent_limits_converge_to_normal_theory_in_the_linear_case():
    """As for 95%/99.8% above: the fitted slope is exactly normal, so the simulated 99% and 90%
    limits approach sii -/+ z sd. Monte Carlo standard error of the p-quantile at R = 100,000:
    0.0154 sd (p = 0.005) and 0.0067 sd (p = 0.05); tolerances are five of those."""
    df = deciles(4, seed=42)
    out = sii(df, "decile", "pop", "le", se="se", group_by="area", confidence=(0.99, 0.9), repetitions=100_000,
              seed=9).set_index("area")
    for area, src in df.groupby("area"):
        src = src.sort_values("decile")
        _, c1, _, w1 = weighted_fit(src["le"], src["pop"])
        sd = np.sqrt(np.sum(w1**2 * src["se"].to_numpy() ** 2))
        row = out.loc[area]
        assert row["sii_lower_99_0"] == pytest.approx(c1 - Z99 * sd, abs=0.077 * sd)
        assert row["sii_upper_99_0"] == pytest.approx(c1 + Z99 * sd, abs=0.077 * sd)
        assert row["sii_lower_90_0"] == pytest.approx(c1 - Z90 * sd, abs=0.034 * sd)
        assert row["sii_upper_90_0"] == pytest.approx(c1 + Z90 * sd, abs=0.034 * sd)


def test_99_percent_limits_against_a_brute_force_log_normal_simulation():
    """Rates, transform=False: independent simulation here (200,000 draws), 99% limits of the SII
    and RII. Tolerance 0.1 sd: five Monte Carlo standard errors of the two simulations together."""
    rng = np.random.default_rng(43)
    pops = rng.integers(20_000, 60_000, 10)
    rates = np.linspace(900, 500, 10) * rng.uniform(0.9, 1.1, 10)
    lo, hi = rates * 0.85, rates * 1.17
    df = pd.DataFrame({"q": range(1, 11), "pop": pops, "r": rates, "lo": lo, "hi": hi})
    out = sii(df, "q", "pop", "r", lower="lo", upper="hi", value_type="rate", confidence=0.99, repetitions=100_000,
              seed=4).iloc[0]
    se_log = (np.log(hi) - np.log(lo)) / (2 * Z95)
    _, _, w0, w1 = weighted_fit(rates, pops)
    samples = np.exp(np.log(rates) + se_log * rng.standard_normal((200_000, 10)))
    slopes = samples @ w1
    riis = (samples @ w0 + slopes) / (samples @ w0)
    for column, sims, p in [("sii_lower_99_0", slopes, 0.005), ("sii_upper_99_0", slopes, 0.995),
                            ("rii_lower_99_0", riis, 0.005), ("rii_upper_99_0", riis, 0.995)]:
        assert out[column] == pytest.approx(np.quantile(sims, p), abs=0.1 * sims.std())


def test_levels_are_order_statistics_of_the_same_draws():
    """With one seed every level reads the same simulated slopes: adding a level changes no other
    column, and the intervals nest (90% inside 95% inside 99% inside 99.8%)."""
    df = deciles(3, seed=44)
    kwargs = {"se": "se", "group_by": "area", "repetitions": 20_000, "seed": 11}
    default = sii(df, "decile", "pop", "le", **kwargs)
    four = sii(df, "decile", "pop", "le", confidence=(0.9, 0.95, 0.99, 0.998), **kwargs)
    alone = sii(df, "decile", "pop", "le", confidence=0.99, **kwargs)
    same = [c for c in default.columns if c != "confidence"]
    pd.testing.assert_frame_equal(four[same], default[same], check_exact=True)
    for column in ["sii_lower_99_0", "sii_upper_99_0", "rii_lower_99_0", "rii_upper_99_0"]:
        pd.testing.assert_series_equal(four[column], alone[column], check_exact=True)
    for kind in ("sii", "rii"):
        chain = [f"{kind}_lower_99_8", f"{kind}_lower_99_0", f"{kind}_lower_95_0", f"{kind}_lower_90_0", kind,
                 f"{kind}_upper_90_0", f"{kind}_upper_95_0", f"{kind}_upper_99_0", f"{kind}_upper_99_8"]
        values = four[chain].to_numpy()
        assert (np.diff(values, axis=1) >= 0).all()


# --- The simulation: the same draws and the same limits, however they are computed ---------------


def test_order_statistics_are_those_of_a_full_partition():
    """The limits are read by selecting one sorted position at a time; they must be the values
    (to the bit: signed zeros, infinities and NaN included) that partitioning at every position
    at once puts there."""
    rng = np.random.default_rng(50)
    for trial in range(400):
        n = int(rng.integers(1, 5_000))
        values = rng.standard_normal(n)
        for special in (np.nan, np.inf, -np.inf, 0.0, -0.0):
            if rng.random() < 0.3:
                values[rng.integers(0, n, size=int(rng.integers(1, 20)))] = special
        if trial % 5 == 0:
            values = np.round(values)  # ties, and zeros of both signs
        kth = sorted(set(rng.integers(0, n, size=int(rng.integers(1, 6))).tolist()))
        expected = values.copy()
        expected.partition(kth)
        found = _order_statistics(values.copy(), kth)
        assert np.array_equal(found.view(np.int64), expected[kth].view(np.int64)), (n, kth)


def test_simulated_limits_are_pinned_for_a_seed():
    """The limits for a seed are a fixed function of the random stream: a change to how groups
    are drawn, in what order or at what precision, or to the arithmetic after, changes these
    numbers. (Computed by the unvectorised implementation; every path: normal, log-normal and
    logit-normal sampling, and the log-scale fit.)"""
    le = deciles(3, seed=21)
    rng = np.random.default_rng(22)
    counts = pd.DataFrame([{"area": f"A{i}", "q": q + 1, "pop": int(rng.integers(5000, 9000)), "x": int(rng.integers(50, 900))}
                           for i in range(3) for q in range(5)])  # fmt: skip
    counts["rate"] = counts["x"] / counts["pop"]
    counts["lo"], counts["hi"] = counts["rate"] * 0.8, counts["rate"] * 1.25
    options = {"group_by": "area", "repetitions": 2000}
    found = {
        "other": sii(le, "decile", "pop", "le", se="se", seed=31, **options),
        "rate": sii(counts, "q", "pop", count="x", value_type="rate", multiplier=100_000, seed=32, **options),
        "proportion": sii(counts, "q", "pop", count="x", value_type="proportion", multiplier=-100, seed=33, **options),
        "transformed rate": sii(counts, "q", "pop", "rate", lower="lo", upper="hi", value_type="rate", transform=True, seed=34, **options),
    }
    first_lower = {"other": 7.187136819455741, "rate": 5644.507572083807, "proportion": -7.466991553520848,
                   "transformed rate": 0.02362623894887131}  # fmt: skip
    # Relative 1e-10, not bit-equality: a digest of these bits, pinned on one machine, differed on
    # another processor (numerical kernels are chosen by processor and round differently in the
    # last bits); a change to the draws or the fit moves these numbers by far more.
    first = {name: out["sii_lower_95_0"].iloc[0] for name, out in found.items()}
    np.testing.assert_allclose([first[name] for name in first_lower], list(first_lower.values()), rtol=1e-10)
    column_means = {  # per output, the mean of each sii/rii/intercept column, in column order
        'other': [9.071072929087885, 6.499784256850166, 11.569255672051193, 5.158385490229359, 12.930554153008595, 1.1249912772832322, 1.0878736052080622, 1.162689282061468, 1.0689983809971146, 1.1834816910520582, 72.80685087088197],
        'rate': [-3228.5643175252894, -4278.263536071995, -2154.1837759959853, -4912.120244824762, -1707.388935169188, 1.8900547908942062, 1.4195014541121915, 2.6682081775130295, 1.1848598987478638, 3.2673969760423365, 8329.52843176986],
        'proportion': [3.2285643175252887, 2.254738730653535, 4.2557118167951105, 1.8355887662864558, 4.96969307066517, 2.1648998374872783, 1.8128911417662341, 2.652416622704688, 1.6640824244968366, 2.984676457405339, 8.32952843176986],
        'transformed rate': [-0.03706910693927907, -0.06080941668262748, -0.01514342899329306, -0.07479297989342187, -0.0033417743905158567, 1.1906157608052417, 0.841334546457391, 1.6714740608706382, 0.6867360291923164, 2.0393595444518477, 0.08287746353484281],
    }  # fmt: skip
    for name, out in found.items():
        columns = [c for c in out.columns if c.startswith(("sii", "rii", "intercept"))]
        np.testing.assert_allclose(out[columns].mean().to_numpy(), column_means[name], rtol=1e-10, err_msg=name)
