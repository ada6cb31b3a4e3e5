"""Tests for jsna.stats.compare: benchmark comparison and the Fingertips recent-trend marker.

Recent-trend references, written out here independently of jsna.stats:

* proportions: the chi-squared test for trend in the textbook form (Altman, *Practical
  statistics for medical research*, 1991, pp 261-5), ``chi2 = (sum r t - R tbar)^2 /
  (p (1 - p) sum n (t - tbar)^2)`` with ``tbar = sum n t / N``, ``p = R / N`` -- algebraically
  the formula in the Fingertips guidance, computed a different way; the direction from
  ``numpy.polyfit`` of the logits;
* other types: weighted least squares by matrix algebra, ``cov = (X' W X)^-1`` with
  ``W = diag(1 / se^2)``, ``chi2 = beta^2 / cov[1, 1]``.

Source choices pinned here: the critical value is chi-squared(1) at 0.002 = 9.5495 (99.8%
two-sided, 99.9% in each direction), as in the Fingertips TrendMarkerCalculator
(``CHIINV(0.002, 1)``) and PHEindicatormethods ``assign_trend_markers`` (9.5495); a slope that
changes sign (including to exactly 0, as R's ``sign()``) when any one point is left out makes
the marker "No significant change".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2 as chi2_dist

from jsna.stats import compare, recent_trend

HIGH, LOW, BOB, NA = "RAG - High is good", "RAG - Low is good", "BOB - Blue orange blue", "Not applicable"


# ---------------------------------------------------------------------------------------------
# compare
# ---------------------------------------------------------------------------------------------


def one(value, lower, upper, benchmark, polarity, method="95", lower998=None, upper998=None):
    row = {"value": value, "lower_95_0": lower, "upper_95_0": upper, "benchmark": benchmark, "polarity": polarity}
    if method == "95_99_8":
        row["lower_99_8"] = lower998
        row["upper_99_8"] = upper998
    return compare(pd.DataFrame([row]), method=method).loc[0, "comparison"]


# area interval 10-20 around 15: benchmark 5 is below (area higher), 25 above (area lower)
@pytest.mark.parametrize(
    "benchmark, polarity, expected",
    [
        pytest.param(5, HIGH, "Better", id="higher-high-good"),
        pytest.param(5, LOW, "Worse", id="higher-low-good"),
        pytest.param(5, BOB, "Higher", id="higher-bob"),
        pytest.param(5, NA, "Not compared", id="higher-not-applicable"),
        pytest.param(5, None, "Not compared", id="higher-no-polarity"),
        pytest.param(25, HIGH, "Worse", id="lower-high-good"),
        pytest.param(25, LOW, "Better", id="lower-low-good"),
        pytest.param(25, BOB, "Lower", id="lower-bob"),
        pytest.param(25, NA, "Not compared", id="lower-not-applicable"),
        pytest.param(15, HIGH, "Similar", id="inside-high-good"),
        pytest.param(15, LOW, "Similar", id="inside-low-good"),
        pytest.param(15, BOB, "Similar", id="inside-bob"),
        pytest.param(15, NA, "Not compared", id="inside-not-applicable"),
        pytest.param(10, HIGH, "Similar", id="at-lower-end-inclusive"),
        pytest.param(20, LOW, "Similar", id="at-upper-end-inclusive"),
        pytest.param(9.999999, HIGH, "Better", id="just-below-lower-end"),
        pytest.param(20.000001, BOB, "Lower", id="just-above-upper-end"),
    ],
)
def test_compare_95_labels(benchmark, polarity, expected):
    assert one(15, 10, 20, benchmark, polarity) == expected


# 95% interval 10-20, 99.8% interval 8-22
@pytest.mark.parametrize(
    "benchmark, polarity, expected",
    [
        pytest.param(5, HIGH, "Better 99.8%", id="outside-998-high-good"),
        pytest.param(9, HIGH, "Better 95%", id="outside-95-only-high-good"),
        pytest.param(25, HIGH, "Worse 99.8%", id="below-998-high-good"),
        pytest.param(21, HIGH, "Worse 95%", id="below-95-only-high-good"),
        pytest.param(5, LOW, "Worse 99.8%", id="outside-998-low-good"),
        pytest.param(9, LOW, "Worse 95%", id="outside-95-only-low-good"),
        pytest.param(25, LOW, "Better 99.8%", id="below-998-low-good"),
        pytest.param(21, LOW, "Better 95%", id="below-95-only-low-good"),
        pytest.param(5, BOB, "Higher 99.8%", id="higher-998-bob"),
        pytest.param(9, BOB, "Higher 95%", id="higher-95-bob"),
        pytest.param(25, BOB, "Lower 99.8%", id="lower-998-bob"),
        pytest.param(21, BOB, "Lower 95%", id="lower-95-bob"),
        pytest.param(15, HIGH, "Similar", id="inside-both"),
        pytest.param(8, HIGH, "Better 95%", id="at-998-end-inclusive"),
        pytest.param(10, LOW, "Similar", id="at-95-end-inclusive"),
        pytest.param(5, NA, "Not compared", id="not-applicable"),
        pytest.param(5, None, "Not compared", id="missing-polarity"),
    ],
)
def test_compare_95_99_8_labels(benchmark, polarity, expected):
    assert one(15, 10, 20, benchmark, polarity, "95_99_8", 8, 22) == expected


@pytest.mark.parametrize(
    "value, lower, upper, benchmark, lower998, upper998",
    [
        pytest.param(np.nan, 10, 20, 5, 8, 22, id="missing-value"),
        pytest.param(15, np.nan, 20, 5, 8, 22, id="missing-lower"),
        pytest.param(15, 10, np.nan, 25, 8, 22, id="missing-upper"),
        pytest.param(15, 10, 20, np.nan, 8, 22, id="missing-benchmark"),
        pytest.param(15, 10, 20, 5, np.nan, 22, id="missing-998-limit"),
    ],
)
def test_compare_missing_inputs_not_compared(value, lower, upper, benchmark, lower998, upper998):
    assert one(value, lower, upper, benchmark, HIGH, "95_99_8", lower998, upper998) == "Not compared"
    if not np.isnan(lower998):
        assert one(value, lower, upper, benchmark, HIGH) == "Not compared"


def test_compare_vectorised_copy_and_scalar_arguments():
    df = pd.DataFrame({
        "value": [15, 15, 15, 15], "lower_95_0": [10, 10, 10, 10], "upper_95_0": [20, 20, 20, 20],
        "benchmark": [5, 15, 25, np.nan],
        "polarity": [HIGH, LOW, BOB, HIGH],
    })
    out = compare(df)
    assert list(out["comparison"]) == ["Better", "Similar", "Lower", "Not compared"]
    assert "comparison" not in df.columns
    assert list(out.columns[:-1]) == list(df.columns)
    scalar = compare(df.drop(columns=["benchmark", "polarity"]), benchmark=25.0, polarity=LOW)
    assert list(scalar["comparison"]) == ["Better"] * 4


def test_compare_errors():
    df = pd.DataFrame({"value": [1.0], "lower_95_0": [0.5], "upper_95_0": [2.0], "benchmark": [1.0], "polarity": ["Up is good"]})
    with pytest.raises(ValueError, match="polarity has an unknown polarity 'Up is good'"):
        compare(df)
    with pytest.raises(ValueError, match="method"):
        compare(df.assign(polarity=HIGH), method="99")
    with pytest.raises(ValueError, match=r"lower_99_8"):
        compare(df.assign(polarity=HIGH), method="95_99_8")
    with pytest.raises(ValueError, match="neither a column"):
        compare(df.drop(columns="polarity"), polarity="High")


# ---------------------------------------------------------------------------------------------
# recent_trend: independent references
# ---------------------------------------------------------------------------------------------


def ref_chi2_proportion(r, n, t):
    r, n, t = (np.asarray(a, dtype=float) for a in (r, n, t))
    big_n, big_r = n.sum(), r.sum()
    tbar = (n * t).sum() / big_n
    p = big_r / big_n
    return ((r * t).sum() - big_r * tbar) ** 2 / (p * (1 - p) * (n * (t - tbar) ** 2).sum())


def ref_logit_slope(r, n, t):
    r, n = np.asarray(r, dtype=float), np.asarray(n, dtype=float)
    return np.polyfit(np.asarray(t, dtype=float), np.log(r / (n - r)), 1)[0]


def ref_weighted(x, lower, upper, t):
    se = (np.asarray(upper, dtype=float) - np.asarray(lower, dtype=float)) / (2 * 1.959963984540054)
    design = np.column_stack([np.ones(len(t)), np.asarray(t, dtype=float)])
    weight = np.diag(1 / se**2)
    cov = np.linalg.inv(design.T @ weight @ design)
    beta = cov @ design.T @ weight @ np.asarray(x, dtype=float)
    return beta[1] ** 2 / cov[1, 1], beta[1]


def ref_marker(slope, chi2, leave_one_out_slopes, polarity):
    if not chi2 > 9.549535706:
        return "No significant change"
    if any(np.sign(s) != np.sign(slope) for s in leave_one_out_slopes):
        return "No significant change"
    word = "Increasing" if slope > 0 else "Decreasing"
    if polarity == HIGH:
        return word + (" and getting better" if slope > 0 else " and getting worse")
    if polarity == LOW:
        return word + (" and getting worse" if slope > 0 else " and getting better")
    return word


def proportion_series(r, n, years=None, polarity=HIGH, area="A"):
    years = list(range(2015, 2015 + len(r))) if years is None else years
    return pd.DataFrame({"area": area, "year": years, "r": r, "n": n, "polarity": polarity})


# PHEindicatormethods assign_trend_markers documentation example (value_type "other")
R_EXAMPLE = pd.DataFrame({
    "Year": [1, 2, 3, 4, 5],
    "Count": [1367, 1332, 1199, 1023, 994],
    "Denominator": [44701, 44064, 42811, 41527, 40299],
    "value": [30.6, 30.2, 28, 24.6, 24.67],
    "lower_95_0": [28.98, 28.63, 26.44, 23.15, 23.16],
    "upper_95_0": [32.25, 31.9, 29.64, 26.19, 26.25],
})


def test_trend_critical_value_is_chi_squared_998():
    from jsna.stats.compare import TREND_CRITICAL_CHI_SQUARED

    assert TREND_CRITICAL_CHI_SQUARED == pytest.approx(9.54953570608324, rel=1e-12)
    assert TREND_CRITICAL_CHI_SQUARED == pytest.approx(chi2_dist.ppf(0.998, 1), rel=1e-12)


def test_trend_documented_example_both_methods():
    d = R_EXAMPLE
    prop = recent_trend(d, period="Year", count="Count", denominator="Denominator", polarity=LOW).iloc[0]
    assert prop["chi_squared"] == pytest.approx(ref_chi2_proportion(d.Count, d.Denominator, d.Year), rel=1e-9)
    assert prop["slope"] == pytest.approx(ref_logit_slope(d.Count, d.Denominator, d.Year), rel=1e-9)
    assert prop["trend"] == "Decreasing and getting better"
    other = recent_trend(d, period="Year", kind="rate", polarity=None).iloc[0]
    chi2, slope = ref_weighted(d.value, d.lower_95_0, d.upper_95_0, d.Year)
    assert other["chi_squared"] == pytest.approx(chi2, rel=1e-9)
    assert other["slope"] == pytest.approx(slope, rel=1e-9)
    assert other["trend"] == "Decreasing"  # as the PHEindicatormethods example reports
    assert other["points"] == 5 and other["Year"] == 5


RISING = ([100, 120, 140, 160, 180], [1000] * 5)
FALLING = ([180, 160, 140, 120, 100], [1000] * 5)
FLAT = ([150, 151, 149, 150, 150], [1000] * 5)


@pytest.mark.parametrize(
    "series, polarity, expected",
    [
        pytest.param(RISING, HIGH, "Increasing and getting better", id="rising-high-good"),
        pytest.param(RISING, LOW, "Increasing and getting worse", id="rising-low-good"),
        pytest.param(RISING, BOB, "Increasing", id="rising-bob"),
        pytest.param(RISING, NA, "Increasing", id="rising-not-applicable"),
        pytest.param(RISING, None, "Increasing", id="rising-missing-polarity"),
        pytest.param(FALLING, HIGH, "Decreasing and getting worse", id="falling-high-good"),
        pytest.param(FALLING, LOW, "Decreasing and getting better", id="falling-low-good"),
        pytest.param(FALLING, BOB, "Decreasing", id="falling-bob"),
        pytest.param(FLAT, HIGH, "No significant change", id="flat"),
    ],
)
def test_trend_labels_by_polarity(series, polarity, expected):
    r, n = series
    df = proportion_series(r, n, polarity=polarity)
    out = recent_trend(df, period="year", count="r", denominator="n").iloc[0]
    t = np.arange(2015, 2020)
    loo = [ref_logit_slope(np.delete(r, j), np.delete(n, j), np.delete(t, j)) for j in range(5)]
    assert out["trend"] == expected == ref_marker(ref_logit_slope(r, n, t), ref_chi2_proportion(r, n, t), loo, polarity)


def test_trend_threshold_boundary():
    # Fixed proportions with equal denominators: chi-squared is proportional to n.
    p = np.array([0.20, 0.21, 0.22, 0.23, 0.24])
    t = np.arange(1, 6)
    per_unit = ref_chi2_proportion(p * 1000, [1000] * 5, t) / 1000
    below = int(9.5 / per_unit) // 100 * 100
    above = below + 200
    assert ref_chi2_proportion(p * below, [below] * 5, t) < 9.5495 < ref_chi2_proportion(p * above, [above] * 5, t)
    for n, expected in [(below, "No significant change"), (above, "Increasing")]:
        df = proportion_series(list(p * n), [n] * 5, polarity=BOB)
        out = recent_trend(df, period="year", count="r", denominator="n").iloc[0]
        assert out["trend"] == expected
        assert out["chi_squared"] == pytest.approx(ref_chi2_proportion(p * n, [n] * 5, t), rel=1e-9)


def test_trend_outlier_check():
    # The last point alone drives a significant rise; leaving it out the slope is negative.
    r, n = [1200, 1000, 900, 800, 3000], [10000] * 5
    t = np.arange(2015, 2020)
    assert ref_chi2_proportion(r, n, t) > 9.5495
    assert ref_logit_slope(r, n, t) > 0 > ref_logit_slope(r[:4], n[:4], t[:4])
    out = recent_trend(proportion_series(r, n), period="year", count="r", denominator="n").iloc[0]
    assert out["trend"] == "No significant change"
    assert "outlier" in out["reason"]


def test_trend_uses_only_the_last_five_points_and_sorts_periods():
    r = [500, 10, 100, 120, 140, 160, 180]
    n = [1000] * 7
    df = proportion_series(r, n).sample(frac=1, random_state=3)  # shuffled rows
    out = recent_trend(df, period="year", count="r", denominator="n").iloc[0]
    last5 = recent_trend(proportion_series(r[2:], n[2:], years=list(range(2017, 2022))), period="year",
                         count="r", denominator="n").iloc[0]
    assert out["year"] == 2021 and out["points"] == 5
    assert out["chi_squared"] == pytest.approx(last5["chi_squared"], rel=1e-12)
    assert out["trend"] == last5["trend"] == "Increasing and getting better"
    # a missing value six points back does not matter; one in the last five does
    gap = proportion_series([np.nan] + r[1:], n)
    assert recent_trend(gap, period="year", count="r", denominator="n").loc[0, "trend"] == "Increasing and getting better"
    gap = proportion_series(r[:4] + [np.nan] + r[5:], n)
    assert recent_trend(gap, period="year", count="r", denominator="n").loc[0, "trend"] == "Could not be calculated"


def test_trend_fewer_than_five_points():
    df = proportion_series([1, 2, 3, 4], [10] * 4)
    out = recent_trend(df, period="year", count="r", denominator="n").iloc[0]
    assert out["trend"] == "Could not be calculated"
    assert out["points"] == 4
    assert np.isnan(out["chi_squared"])


def test_trend_text_periods_in_order():
    periods = ["2016/17", "2017/18", "2018/19", "2019/20", "2020/21"]
    df = proportion_series(RISING[0][::-1], RISING[1], years=periods[::-1], polarity=LOW)
    out = recent_trend(df, period="year", count="r", denominator="n").iloc[0]
    assert out["year"] == "2020/21"
    assert out["trend"] == "Increasing and getting worse"


def test_trend_zero_events():
    # one point with no events: the logit is infinite, the direction comes from the trend test
    df = proportion_series([0, 40, 80, 120, 160], [1000] * 5)
    out = recent_trend(df, period="year", count="r", denominator="n").iloc[0]
    assert out["chi_squared"] == pytest.approx(ref_chi2_proportion([0, 40, 80, 120, 160], [1000] * 5, range(5)), rel=1e-9)
    assert out["trend"] == "Increasing and getting better"
    none = recent_trend(proportion_series([0] * 5, [1000] * 5), period="year", count="r", denominator="n").iloc[0]
    assert none["trend"] == "No significant change"


def test_trend_groups_equal_one_at_a_time():
    frames = [
        proportion_series(*RISING, area="a"),
        proportion_series(*FALLING, polarity=LOW, area="b"),
        proportion_series([5, 6], [50, 50], area="c"),
        proportion_series(*FLAT, polarity=BOB, area="d"),
        proportion_series([1200, 1000, 900, 800, 3000], [10000] * 5, area="e"),
    ]
    together = recent_trend(pd.concat(frames), period="year", count="r", denominator="n", group_by="area")
    assert list(together["area"]) == list("abcde")
    for frame, (_, row) in zip(frames, together.iterrows()):
        alone = recent_trend(frame, period="year", count="r", denominator="n").iloc[0]
        assert row["trend"] == alone["trend"]
        assert row["reason"] == alone["reason"]
        assert (np.isnan(row["chi_squared"]) and np.isnan(alone["chi_squared"])) or row["chi_squared"] == pytest.approx(alone["chi_squared"], rel=1e-12)


def test_trend_rates_by_weighted_regression():
    rng = np.random.default_rng(2)
    years = np.arange(2010, 2015)
    value = np.array([50.0, 48.0, 45.0, 44.0, 40.0])
    half = rng.uniform(1.0, 3.0, 5)
    df = pd.DataFrame({"year": years, "value": value, "lower_95_0": value - half, "upper_95_0": value + half * 1.2,
                       "polarity": LOW})
    out = recent_trend(df, period="year", kind="rate").iloc[0]
    chi2, slope = ref_weighted(value, value - half, value + half * 1.2, years)
    assert out["chi_squared"] == pytest.approx(chi2, rel=1e-9)
    assert out["slope"] == pytest.approx(slope, rel=1e-9)
    loo = [ref_weighted(np.delete(value, j), np.delete(value - half, j), np.delete(value + half * 1.2, j),
                        np.delete(years, j))[1] for j in range(5)]
    assert out["trend"] == ref_marker(slope, chi2, loo, LOW)
    zero_width = df.assign(upper_95_0=df["lower_95_0"])
    assert recent_trend(zero_width, period="year", kind="rate").loc[0, "trend"] == "Could not be calculated"
    missing = df.assign(lower_95_0=[1, 2, np.nan, 4, 5])
    assert recent_trend(missing, period="year", kind="other").loc[0, "trend"] == "Could not be calculated"


def test_trend_errors():
    df = proportion_series(*RISING)
    with pytest.raises(ValueError, match="same period more than once"):
        recent_trend(pd.concat([df, df.iloc[[0]]]), period="year", count="r", denominator="n", group_by="area")
    with pytest.raises(ValueError, match=r"^r must be less than or equal to n.*area='A'"):
        recent_trend(df.assign(r=[1, 2, 3, 4, 5000]), period="year", count="r", denominator="n", group_by="area")
    with pytest.raises(ValueError, match="count= and denominator="):
        recent_trend(df, period="year")
    with pytest.raises(ValueError, match="kind"):
        recent_trend(df, period="year", kind="poisson")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 999), min_size=5, max_size=5),
    st.sampled_from([HIGH, LOW, BOB]),
)
def test_trend_matches_reference_on_random_series(r, polarity):
    n = [1000] * 5
    t = np.arange(5)
    df = proportion_series(r, n, years=list(t), polarity=polarity)
    out = recent_trend(df, period="year", count="r", denominator="n").iloc[0]
    chi2 = ref_chi2_proportion(r, n, t)
    if not np.isfinite(chi2):
        return
    loo = [ref_logit_slope(np.delete(r, j), np.delete(n, j), np.delete(t, j)) for j in range(5)]
    assert out["chi_squared"] == pytest.approx(chi2, rel=1e-9)
    # away from knife edges the label must agree with the reference
    if abs(chi2 - 9.5495) > 1e-6 and all(abs(s) > 1e-12 for s in loo):
        assert out["trend"] == ref_marker(ref_logit_slope(r, n, t), chi2, loo, polarity)
