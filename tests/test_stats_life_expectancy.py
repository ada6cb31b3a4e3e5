"""Tests for jsna.stats.life_expectancy (Chiang II abridged life table, Silcocks variance).

Expected values come from three independent places, never from the function under test:

* ``reference_life_table`` below: a plain loop over the bands written from the published
  formulas (Chiang 1984; Silcocks, Jenner and Reza, JECH 2001;55:38-43; PHE Life Expectancy
  Calculator / Fingertips technical guidance), compared to 1e-9 relative;
* the PHEindicatormethods test suite (tests/testthat/testLifeExpectancy.R): ``answer1`` (the PHE
  calculator's figures for its example area, 8 decimal places, limits made with z = 1.96) and
  ``answer_widecis`` (R's own output, 8 decimal places, z = qnorm(0.975));
* hand-built edge cases whose outcome follows from the rules (missing band, zero deaths, ...).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jsna.stats.life_expectancy import AGE_BANDS, life_expectancy

Z95 = 1.959963984540054  # qnorm(0.975)
Z998 = 3.090232306167813  # qnorm(0.999)

# --- an independent, loop-based Chiang II life table ---------------------------------------

BAND_STARTS = [0, 1] + list(range(5, 95, 5))


def reference_life_table(deaths, pops):
    """Life expectancy and standard error at each of the 20 start ages, one band at a time.

    Written from the formulas, not from the module: band widths n = 1, 4, 5, ..., 5 and an open
    90+ band; a = 0.1 below age 1 and 0.5 otherwise.
    """
    k = len(deaths)
    assert k == 20
    rates = [deaths[i] / pops[i] for i in range(k)]
    widths = [BAND_STARTS[i + 1] - BAND_STARTS[i] for i in range(k - 1)]
    a = [0.1] + [0.5] * (k - 2)

    # probability of dying in each closed band (capped at 1 when deaths exceed what the band
    # can hold, as PHEindicatormethods does); everyone dies in the open band
    q = []
    for i in range(k - 1):
        if deaths[i] > pops[i] / (widths[i] * a[i]):
            q.append(1.0)
        else:
            q.append(widths[i] * rates[i] / (1 + widths[i] * (1 - a[i]) * rates[i]))
    q.append(1.0)

    survivors = [100000.0]
    for i in range(1, k):
        survivors.append(survivors[i - 1] * (1 - q[i - 1]))
    dying = [survivors[i] - survivors[i + 1] for i in range(k - 1)] + [survivors[k - 1]]

    years_lived = []
    for i in range(k - 1):
        years_lived.append(widths[i] * (survivors[i + 1] + a[i] * dying[i]))
    years_lived.append(survivors[k - 1] / rates[k - 1])  # open band: l / M

    expectancy = []
    for i in range(k):
        total = sum(years_lived[i:])
        expectancy.append(total / survivors[i] if survivors[i] > 0 else 0.0)

    # Chiang's variance of q for closed bands; Silcocks' term for the open band:
    # var(e_omega) = var(1 / M_omega) ~ 1 / (D M^2), weighted by l_omega^2.
    weighted = []
    for i in range(k - 1):
        var_q = q[i] ** 2 * (1 - q[i]) / deaths[i] if dying[i] != 0 else 0.0
        weighted.append(survivors[i] ** 2 * ((1 - a[i]) * widths[i] + expectancy[i + 1]) ** 2 * var_q)
    weighted.append(survivors[k - 1] ** 2 / (deaths[k - 1] * rates[k - 1] ** 2))

    se = []
    for i in range(k):
        se.append(math.sqrt(sum(weighted[i:])) / survivors[i] if survivors[i] > 0 else math.nan)
    return expectancy, se


def frame(deaths, pops, **keys):
    data = {"age_band": list(AGE_BANDS), "deaths": deaths, "pops": pops}
    data.update({k: [v] * 20 for k, v in keys.items()})
    return pd.DataFrame(data)


def assert_matches_reference(result, deaths, pops, rtol=1e-9):
    e, se = reference_life_table(deaths, pops)
    e, se = np.array(e), np.array(se)
    np.testing.assert_allclose(result["value"], e, rtol=rtol, atol=0)
    np.testing.assert_allclose(result["se"], se, rtol=rtol, atol=0)
    np.testing.assert_allclose(result["lower_95_0"], e - Z95 * se, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(result["upper_99_8"], e + Z998 * se, rtol=rtol, atol=1e-12)


# --- published example: PHEindicatormethods test data (PHE calculator) --------------------

PHE_POPS = [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601, 50209, 56416,
            46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936]
PHE_DEATHS = [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872, 1390, 1605, 1936, 1937]
# answer1 in testLifeExpectancy.R: 8 decimal places; its limits were made with z = 1.96
# (R's test compares them to 4 dp, where 1.96 and qnorm(0.975) agree).
PHE_VALUE = [80.16960813, 79.36245674, 75.44193645, 70.47299936, 65.52909542, 60.67510088,
             55.78835987, 50.92752727, 46.06740425, 41.24505636, 36.49322717, 31.83343842,
             27.26027992, 22.9719144, 18.76856852, 14.95858336, 11.51684445, 8.618849241,
             6.163942934, 6.16210635]
PHE_LOWER = [79.88268548, 79.0898816, 75.17407307, 70.20675732, 65.26548673, 60.41876577,
             55.53801579, 50.68279939, 45.82666794, 41.00842831, 36.26223216, 31.60996318,
             27.04337271, 22.76653134, 18.57570352, 14.77985004, 11.34831778, 8.451134045,
             5.978358351, 5.887683386]
PHE_UPPER = [80.45653078, 79.63503188, 75.70979983, 70.7392414, 65.79270412, 60.931436,
             56.03870395, 51.17225516, 46.30814055, 41.48168441, 36.72422219, 32.05691365,
             27.47718713, 23.17729746, 18.96143352, 15.13731667, 11.68537112, 8.786564437,
             6.349527517, 6.436529314]


def test_published_phe_calculator_example():
    """PHE calculator example: values to the 8 dp published; se recovered from the limits."""
    result = life_expectancy(frame(PHE_DEATHS, PHE_POPS), "deaths", "pops")
    assert list(result["start_age"]) == BAND_STARTS
    np.testing.assert_allclose(result["value"], PHE_VALUE, rtol=0, atol=1e-8)
    # The published limits use z = 1.96, so compare the standard error they imply
    # (rounding to 8 dp moves it by at most 1e-8 / 1.96).
    published_se = (np.array(PHE_UPPER) - np.array(PHE_LOWER)) / (2 * 1.96)
    np.testing.assert_allclose(result["se"], published_se, rtol=0, atol=1e-8)
    assert result["statistic"].tolist()[0] == "Life expectancy at age 0"
    assert result["statistic"].tolist()[-1] == "Life expectancy at age 90"
    # deaths and population used from each start age (df1_cum in the R tests)
    assert result["pops"].iloc[0] == 787954 and result["deaths"].iloc[0] == 9357
    assert result["pops"].iloc[-1] == 11936 and result["deaths"].iloc[-1] == 1937


def test_published_example_in_shuffled_order_and_r_label_style():
    """R's df2/df3: the same data, bands out of order and labelled "10 – 14", "90 +"."""
    labels = ["0", "1-4", "5-9"] + [f"{s} \u2013 {s + 4}" for s in range(10, 90, 5)] + ["90 +"]
    df = pd.DataFrame({"band": labels, "deaths": PHE_DEATHS, "pops": PHE_POPS}).sample(frac=1, random_state=7)
    result = life_expectancy(df, "deaths", "pops", age_band="band")
    np.testing.assert_allclose(result["value"], PHE_VALUE, rtol=0, atol=1e-8)


def test_published_example_with_integer_start_ages():
    df = pd.DataFrame({"startage": BAND_STARTS, "deaths": PHE_DEATHS, "pops": PHE_POPS})
    result = life_expectancy(df, "deaths", "pops", age_band="startage")
    np.testing.assert_allclose(result["value"], PHE_VALUE, rtol=0, atol=1e-8)


def test_published_example_against_reference():
    result = life_expectancy(frame(PHE_DEATHS, PHE_POPS), "deaths", "pops")
    assert_matches_reference(result, PHE_DEATHS, PHE_POPS)


# --- published example: R's wide confidence interval case (answer_widecis) ---------------

WIDE_POPS = [270, 235, 246, 248, 243, 238, 246, 257, 261, 355, 350, 356, 346, 339, 337, 337, 333, 323, 311, 311]
WIDE_DEATHS = [17, 9, 4, 8, 20, 15, 24, 33, 50, 51, 10, 16, 26, 30, 36, 22, 13, 5, 6, 1]
WIDE_VALUE = [19.22914685, 19.44120610, 18.33467808, 14.67659995, 11.81284556, 11.63815414,
              10.05641628, 9.93152356, 11.95846561] + [math.nan] * 11
WIDE_LOWER = [16.43900644, 16.53437505, 15.62922550, 12.08108630, 9.21823373, 8.68414661,
              6.54020385, 4.71570153, 2.37762283, -1.60695210, -10.33328815, -17.16409724,
              -26.91715103, -45.04820928, -76.27067271, -137.12203187, -195.39453664,
              -242.37480291, -266.74198466, -298.54880400]
WIDE_UPPER = [22.01928726, 22.34803716, 21.04013066, 17.27211361, 14.40745738, 14.59216167,
              13.57262872, 15.14734559, 21.53930839, 50.29765396, 97.99598549, 107.54413263,
              128.91238524, 181.91668353, 278.06441642, 472.32822039, 649.40455756,
              783.50845564, 841.04259816, 920.54880400]


def test_published_wide_interval_example():
    """R test expectations: value withheld where the 95% CI is wider than 20 years, limits still
    given; "Area 1" has more deaths than population in 90+ and is not calculated.

    The published limits (8 dp) were made with z = 1.959964 (six decimals; R's test compares
    them to 4 dp only), so the standard error they imply is compared, to 8 dp.
    """
    area1_deaths = WIDE_DEATHS[:-1] + [312]
    df = pd.concat([frame(area1_deaths, WIDE_POPS, area="Area 1"), frame(WIDE_DEATHS, WIDE_POPS, area="Area 2")])
    result = life_expectancy(df, "deaths", "pops", group_by="area")
    area2 = result[result["area"] == "Area 2"]
    np.testing.assert_allclose(area2["value"], WIDE_VALUE, rtol=0, atol=1e-8)
    published_se = (np.array(WIDE_UPPER) - np.array(WIDE_LOWER)) / (2 * 1.959964)
    np.testing.assert_allclose(area2["se"], published_se, rtol=0, atol=1e-8)
    published_mid = (np.array(WIDE_UPPER) + np.array(WIDE_LOWER)) / 2  # the value, even where withheld
    np.testing.assert_allclose((area2["upper_95_0"] + area2["lower_95_0"]) / 2, published_mid, rtol=0, atol=1e-8)
    np.testing.assert_allclose(area2["lower_95_0"], WIDE_LOWER, rtol=0, atol=1e-5)  # z to 6 dp only
    withheld = area2["statistic"].str.contains("value withheld, 95% confidence interval wider than 20 years")
    assert withheld.tolist() == [False] * 9 + [True] * 11
    assert area2["se"].notna().all()
    area1 = result[result["area"] == "Area 1"]
    assert area1[["value", "se", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8"]].isna().all().all()
    assert area1["statistic"].str.contains("more deaths than population in band 90\\+").all()


# --- many realistic areas against the reference ---------------------------------------------


def synthetic_areas(n_areas, seed=1):
    """Realistic areas: populations 20k-300k, deaths Poisson around an England-like curve."""
    rng = np.random.default_rng(seed)
    base_rate = np.array([4e-3, 1.5e-4, 8e-5, 1e-4, 2.5e-4, 4e-4, 5e-4, 6.5e-4, 9e-4, 1.4e-3,
                          2.2e-3, 3.4e-3, 5.3e-3, 8.2e-3, 1.3e-2, 2.1e-2, 3.5e-2, 6.2e-2, 0.11, 0.24])
    shares = np.array([0.011, 0.045, 0.06, 0.058, 0.056, 0.062, 0.068, 0.067, 0.064, 0.062,
                       0.068, 0.07, 0.066, 0.058, 0.055, 0.052, 0.036, 0.027, 0.017, 0.008])
    frames = []
    for i in range(n_areas):
        total = rng.uniform(20_000, 300_000)
        pops = np.maximum(1, np.round(total * shares * rng.uniform(0.8, 1.2, 20)))
        deaths = rng.poisson(pops * base_rate * rng.uniform(0.7, 1.4))
        deaths[-1] = max(deaths[-1], 1)
        frames.append(pd.DataFrame({"area": f"A{i:04d}", "age_band": AGE_BANDS, "deaths": deaths, "pops": pops}))
    return pd.concat(frames, ignore_index=True)


def test_many_areas_against_reference():
    df = synthetic_areas(40)
    result = life_expectancy(df, "deaths", "pops", group_by="area")
    assert len(result) == 40 * 20
    for area, rows in result.groupby("area"):
        src = df[df["area"] == area]
        assert_matches_reference(rows, src["deaths"].tolist(), src["pops"].tolist())


def test_many_areas_at_once_equal_one_at_a_time():
    df = synthetic_areas(12, seed=5).sample(frac=1, random_state=3)  # rows shuffled too
    together = life_expectancy(df, "deaths", "pops", group_by="area")
    apart = pd.concat(
        [life_expectancy(df[df["area"] == a], "deaths", "pops", group_by="area") for a in sorted(df["area"].unique())],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(together, apart)


def test_shuffled_rows_give_the_same_result():
    df = synthetic_areas(5, seed=9)
    ordered = life_expectancy(df, "deaths", "pops", group_by="area")
    shuffled = life_expectancy(df.sample(frac=1, random_state=11), "deaths", "pops", group_by="area")
    pd.testing.assert_frame_equal(ordered, shuffled)


def test_two_group_columns_and_output_columns():
    df = synthetic_areas(3, seed=2)
    df["sex"] = "Female"
    result = life_expectancy(df, "deaths", "pops", group_by=["area", "sex"], confidence=0.95)
    assert list(result.columns) == [
        "area", "sex", "start_age", "deaths", "pops", "value", "se", "lower_95_0", "upper_95_0",
        "confidence", "statistic", "method",
    ]
    assert (result["confidence"] == "95%").all()


# --- edge cases -------------------------------------------------------------------------------


def good_area():
    return list(PHE_DEATHS), list(PHE_POPS)


def test_missing_age_band_is_not_calculated_and_does_not_affect_others():
    deaths, pops = good_area()
    good = frame(deaths, pops, area="good")
    missing = frame(deaths, pops, area="missing").drop(index=7)  # no 30-34 row
    result = life_expectancy(pd.concat([good, missing]), "deaths", "pops", group_by="area")
    bad = result[result["area"] == "missing"]
    assert bad[["value", "se", "lower_95_0", "upper_95_0"]].isna().all().all()
    assert bad["statistic"].str.endswith("not calculated, missing age band 30-34").all()
    alone = life_expectancy(good, "deaths", "pops", group_by="area")
    pd.testing.assert_frame_equal(result[result["area"] == "good"].reset_index(drop=True), alone)


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda d, p: d.__setitem__(2, -2), "negative deaths in band 5-9"),
        (lambda d, p: p.__setitem__(3, -10), "population of zero or less in band 10-14"),
        (lambda d, p: p.__setitem__(5, 0), "population of zero or less in band 20-24"),
        (lambda d, p: d.__setitem__(5, 50000), "more deaths than population in band 20-24"),
        (lambda d, p: d.__setitem__(4, math.nan), "deaths or population missing or not finite in band 15-19"),
    ],
    ids=["negative deaths", "negative population", "zero population", "deaths > population", "missing deaths"],
)
def test_invalid_area_gets_missing_values_with_reason(change, reason):
    deaths, pops = good_area()
    bad_deaths, bad_pops = list(deaths), list(pops)
    change(bad_deaths, bad_pops)
    df = pd.concat([frame(deaths, pops, area="a good"), frame(bad_deaths, bad_pops, area="b bad")])
    result = life_expectancy(df, "deaths", "pops", group_by="area")
    bad = result[result["area"] == "b bad"]
    assert bad[["value", "se", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8"]].isna().all().all()
    assert bad["statistic"].str.endswith("not calculated, " + reason).all()
    good = result[result["area"] == "a good"]
    np.testing.assert_allclose(good["value"], PHE_VALUE, atol=1e-8)


def test_total_population_threshold_is_5000_inclusive():
    """R: total_pop <= 5000 is not calculated; 5001 is."""
    pops = [250] * 20
    deaths = [1] * 19 + [100]
    at_limit = life_expectancy(frame(deaths, pops), "deaths", "pops")
    assert at_limit["value"].isna().all()
    assert at_limit["statistic"].str.endswith("not calculated, total population 5,000 or less").all()
    pops_above = pops[:-1] + [251]
    above = life_expectancy(frame(deaths, pops_above), "deaths", "pops")
    assert above["se"].notna().all()
    assert_matches_reference(above, deaths, pops_above)


def test_r_low_population_example():
    """df_low_pops in the R tests (total 2,883): suppressed."""
    pops = [128, 152, 120, 176, 194, 180, 145, 149, 107, 185, 165, 109, 100, 122, 133, 189, 123, 121, 147, 138]
    deaths = [58, 93, 78, 94, 59, 71, 80, 73, 69, 72, 91, 69, 78, 71, 54, 91, 82, 53, 50, 84]
    result = life_expectancy(frame(deaths, pops), "deaths", "pops")
    assert result[["value", "lower_95_0", "upper_95_0"]].isna().all().all()


def test_zero_deaths_in_closed_bands_are_fine():
    deaths, pops = good_area()
    deaths = [0, 0, 0, 0] + deaths[4:]
    result = life_expectancy(frame(deaths, pops), "deaths", "pops")
    assert result["value"].notna().all()
    assert_matches_reference(result, deaths, pops)


def test_band_that_cannot_hold_its_deaths_follows_r():
    """More deaths than population / (n a) in a band: q = 1, nobody survives it, e = 0 after
    (and the standard error is undefined there), as in R."""
    deaths, pops = good_area()
    deaths[17] = 12000  # 80-84: population 23,306, 12,000 > 23,306 / 2.5
    result = life_expectancy(frame(deaths, pops), "deaths", "pops")
    e, se = reference_life_table(deaths, pops)
    np.testing.assert_allclose(result["value"], e, rtol=1e-9)
    np.testing.assert_allclose(result["se"], se, rtol=1e-9)  # NaN where nobody is left
    assert result["value"].iloc[18] == 0 and np.isnan(result["se"].iloc[18])


def test_structural_errors_raise_naming_column_and_group():
    deaths, pops = good_area()
    df = frame(deaths, pops, area="X1")
    with pytest.raises(ValueError, match=r"\['popz'\] not found"):
        life_expectancy(df, "deaths", "popz", group_by="area")
    odd = df.copy()
    odd.loc[3, "age_band"] = "10-15"
    with pytest.raises(ValueError, match=r"age_band has an unknown age band '10-15' \(group area='X1'\)"):
        life_expectancy(odd, "deaths", "pops", group_by="area")
    text = df.copy()
    text["deaths"] = text["deaths"].astype(str)
    text.loc[2, "deaths"] = "n/a"
    with pytest.raises(ValueError, match=r"deaths must be numeric.*area='X1'"):
        life_expectancy(text, "deaths", "pops", group_by="area")
    dup = pd.concat([df, df.iloc[[4]]])
    with pytest.raises(ValueError, match=r"duplicate age band '15-19' \(group area='X1'"):
        life_expectancy(dup, "deaths", "pops", group_by="area")
    for level in (1.0, 0, 95, (0.95, 0.95)):
        with pytest.raises(ValueError, match="confidence"):
            life_expectancy(df, "deaths", "pops", confidence=level)


# --- no deaths in the 90+ band: R's IEEE arithmetic, infinite upper limits ---------------------


def r_life_table(deaths, pops, z):
    """Value, se, lower and upper at each start age exactly as PHEindicatormethods v2
    ``phe_life_expectancy`` computes them, transcribed line by line in IEEE float64 (numpy
    scalars, so x / 0 is inf and 0 * inf is NaN, as in R), then R's blanking of the value:
    ``value[value == Inf] <- NA`` and NA where ``qnorm(0.975) * se > 10``. Limits are left as
    computed (R does not blank them)."""
    f = np.float64
    k = 20
    starts = BAND_STARTS
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        M = [f(deaths[i]) / f(pops[i]) for i in range(k)]
        n = [f(starts[i + 1] - starts[i]) for i in range(k - 1)] + [f(2) / M[k - 1]]  # ni: 2 / M in 90+
        a = [f(0.1)] + [f(0.5)] * (k - 1)
        q = []
        for i in range(k):
            if i < k - 1 and deaths[i] > pops[i] / n[i] / a[i]:
                q.append(f(1))
            elif i < k - 1:
                q.append(M[i] * n[i] / (1 + M[i] * n[i] * (1 - a[i])))
            else:
                q.append(f(1))  # unused: the final band's q enters nothing below
        l = [f(1e5)]
        for i in range(1, k):
            l.append(l[i - 1] * (1 - q[i - 1]))
        d = [l[i] - (l[i + 1] if i < k - 1 else f(0)) for i in range(k)]
        L = [n[i] * (l[i + 1] + a[i] * d[i]) for i in range(k - 1)] + [l[k - 1] / M[k - 1]]
        T = [sum(L[i:], f(0)) for i in range(k)]
        e = [f(0) if l[i] == 0 else T[i] / l[i] for i in range(k)]
        spi = [f(0) if d[i] == 0 else q[i] ** 2 * (1 - q[i]) / f(deaths[i]) for i in range(k - 1)]
        spi.append(f(4) / (f(deaths[k - 1]) * M[k - 1] ** 2))
        W = [spi[i] * l[i] ** 2 * ((1 - a[i]) * n[i] + e[i + 1]) ** 2 for i in range(k - 1)]
        W.append((l[k - 1] / 2) ** 2 * spi[k - 1])
        ST = [sum(W[i:], f(0)) for i in range(k)]
        se = np.array([np.sqrt(ST[i] / l[i] ** 2) for i in range(k)])
        e = np.array(e)
        lower, upper = e - z * se, e + z * se
        value = np.where(np.isinf(e) | (Z95 * se > 10), np.nan, e)
    return value, se, lower, upper


def test_r_transcription_agrees_with_the_reference_on_ordinary_data():
    value, se, _, _ = r_life_table(PHE_DEATHS, PHE_POPS, Z95)
    e, ref_se = reference_life_table(PHE_DEATHS, PHE_POPS)
    np.testing.assert_allclose(value, e, rtol=1e-9)
    np.testing.assert_allclose(se, ref_se, rtol=1e-9)


def test_no_deaths_in_90_plus_gives_infinite_upper_limits_as_r():
    """R: M = 0 in 90+, so every e and se is +inf; the value is blanked (NA), the upper limits are
    +inf and the lower limits NaN (inf - inf). Previously the whole group was "not calculated"
    and the upper limits missing."""
    deaths = PHE_DEATHS[:-1] + [0]
    df = pd.concat([frame(PHE_DEATHS, PHE_POPS, area="a good"), frame(deaths, PHE_POPS, area="b none over 90")])
    result = life_expectancy(df, "deaths", "pops", group_by="area")
    bad = result[result["area"] == "b none over 90"].reset_index(drop=True)
    for z, name in [(Z95, "95_0"), (Z998, "99_8")]:
        value, se, lower, upper = r_life_table(deaths, PHE_POPS, z)
        np.testing.assert_array_equal(bad["value"], value)  # all NaN
        np.testing.assert_array_equal(bad["se"], se)  # all +inf
        np.testing.assert_array_equal(bad[f"lower_{name}"], lower)  # all NaN
        np.testing.assert_array_equal(bad[f"upper_{name}"], upper)  # all +inf
    assert bad["value"].isna().all() and bad["lower_95_0"].isna().all()
    assert (bad["upper_95_0"] == np.inf).all() and (bad["upper_99_8"] == np.inf).all() and (bad["se"] == np.inf).all()
    at65 = bad[bad["start_age"] == 65].iloc[0]
    assert at65["upper_99_8"] == np.inf and np.isnan(at65["value"])
    assert at65["statistic"] == "Life expectancy at age 65: value withheld, no deaths in the 90+ band (life expectancy infinite)"
    assert bad["deaths"].iloc[-1] == 0 and bad["pops"].iloc[-1] == PHE_POPS[-1]
    # the other group is untouched
    good = result[result["area"] == "a good"]
    alone = life_expectancy(frame(PHE_DEATHS, PHE_POPS, area="a good"), "deaths", "pops", group_by="area")
    pd.testing.assert_frame_equal(good.reset_index(drop=True), alone)


def test_no_deaths_in_90_plus_and_in_a_closed_band_follow_r_nan_below_that_band():
    """A closed band with no deaths has S2p = 0, and 0 x inf (the e after it) is NaN in R: the se
    and upper limits are NaN from the start ages at or below that band, +inf above it."""
    deaths = [0, 3, 4] + PHE_DEATHS[3:10] + [0] + PHE_DEATHS[11:19] + [0]  # none at 0, 45-49, 90+
    assert len(deaths) == 20 and deaths[10] == 0
    result = life_expectancy(frame(deaths, PHE_POPS), "deaths", "pops", confidence=(0.95, 0.99))
    _, se, lower, upper = r_life_table(deaths, PHE_POPS, Z95)
    np.testing.assert_array_equal(result["se"], se)
    np.testing.assert_array_equal(result["upper_95_0"], upper)
    np.testing.assert_array_equal(result["lower_95_0"], lower)
    _, _, lower99, upper99 = r_life_table(deaths, PHE_POPS, 2.5758293035489004)
    np.testing.assert_array_equal(result["upper_99_0"], upper99)
    np.testing.assert_array_equal(result["lower_99_0"], lower99)
    ages = result["start_age"]
    assert result.loc[ages <= 45, "upper_95_0"].isna().all()
    assert (result.loc[ages >= 50, "upper_95_0"] == np.inf).all()
    assert result["value"].isna().all() and result["statistic"].str.contains("no deaths in the 90\\+ band").all()


def test_no_deaths_in_90_plus_keeps_the_population_rule():
    """The documented rule stands: a total population of 5,000 or less is not calculated."""
    pops = [250] * 20
    deaths = [1] * 19 + [0]
    result = life_expectancy(frame(deaths, pops), "deaths", "pops")
    assert result[["value", "se", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8"]].isna().all().all()
    assert result["statistic"].str.endswith("not calculated, total population 5,000 or less").all()


def test_any_confidence_level():
    result = life_expectancy(frame(PHE_DEATHS, PHE_POPS), "deaths", "pops", confidence=(0.9, 0.99))
    assert [c for c in result.columns if c.startswith(("lower", "upper"))] == [
        "lower_90_0", "upper_90_0", "lower_99_0", "upper_99_0"]
    assert (result["confidence"] == "90% and 99%").all()
    e, se = map(np.array, reference_life_table(PHE_DEATHS, PHE_POPS))
    for level, name in [(0.9, "90_0"), (0.99, "99_0")]:
        z = NormalDist().inv_cdf(0.5 + level / 2)
        np.testing.assert_allclose(result[f"lower_{name}"], e - z * se, rtol=1e-9)
        np.testing.assert_allclose(result[f"upper_{name}"], e + z * se, rtol=1e-9)


# --- properties -------------------------------------------------------------------------------


@st.composite
def valid_tables(draw):
    pops = draw(st.lists(st.integers(300, 60_000), min_size=20, max_size=20))
    fractions = draw(st.lists(st.floats(0.0, 0.35), min_size=20, max_size=20))
    deaths = [int(p * f) for p, f in zip(pops, fractions)]
    deaths[-1] = max(deaths[-1], 1)
    return deaths, pops


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_tables())
def test_limits_bracket_value_and_wider_level_is_wider(table):
    deaths, pops = table
    result = life_expectancy(frame(deaths, pops), "deaths", "pops")
    shown = result[result["value"].notna() & result["se"].notna()]
    assert (shown["lower_95_0"] <= shown["value"]).all() and (shown["value"] <= shown["upper_95_0"]).all()
    assert (shown["lower_99_8"] <= shown["value"]).all() and (shown["value"] <= shown["upper_99_8"]).all()
    limited = result[result["se"].notna()]
    width95 = limited["upper_95_0"] - limited["lower_95_0"]
    width998 = limited["upper_99_8"] - limited["lower_99_8"]
    assert (width998 >= width95).all()
    if sum(pops) > 5000:
        e, _ = reference_life_table(deaths, pops)
        calculated = result["value"].notna()
        np.testing.assert_allclose(result.loc[calculated, "value"], np.array(e)[calculated.to_numpy()], rtol=1e-9)
