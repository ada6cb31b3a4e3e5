"""Tests for jsna.stats.decomposition (Arriaga's decomposition by age band and cause).

Expected values never come from the module under test: they come from

* ``reference_life_table`` and ``reference_arriaga`` below, plain loops over the bands written
  from the published formulas (the Chiang II table of the PHE Life Expectancy Calculator;
  Arriaga 1984 in Preston, Heuveline and Guillot's notation, as the R package LEdecomp's
  ``arriaga()``; the proportional cause split of Preston et al. 2001, as
  herts-phei/decompositionLE's ``decomp_disease()``);
* :func:`jsna.stats.life_expectancy`, for the life expectancies whose difference is the gap;
* identities that must hold whatever the data (sums, symmetry, identical populations).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jsna.stats.decomposition import _life_table_columns, arriaga
from jsna.stats.life_expectancy import AGE_BANDS, life_expectancy

BAND_STARTS = [0, 1] + list(range(5, 95, 5))
RADIX = 100000.0

# --- independent, loop-based life table and decomposition ----------------------------------


def reference_life_table(deaths, pops):
    """l, L and T of the Chiang II abridged life table, one band at a time.

    Band widths 1, 4, 5, ..., 5 and an open 90+ band; a = 0.1 below age 1 and 0.5 otherwise;
    q = n M / (1 + n (1 - a) M); final band L = l / M; radix 100,000.
    """
    k = len(deaths)
    assert k == 20
    widths = [BAND_STARTS[i + 1] - BAND_STARTS[i] for i in range(k - 1)]
    a = [0.1] + [0.5] * (k - 2)
    rates = [deaths[i] / pops[i] for i in range(k)]
    q = []
    for i in range(k - 1):
        q.append(widths[i] * rates[i] / (1 + widths[i] * (1 - a[i]) * rates[i]))
    survivors = [RADIX]
    for i in range(k - 1):
        survivors.append(survivors[i] * (1 - q[i]))
    years = []
    for i in range(k - 1):
        dying = survivors[i] - survivors[i + 1]
        years.append(widths[i] * (survivors[i + 1] + a[i] * dying))
    years.append(survivors[k - 1] / rates[k - 1])
    total = []
    for i in range(k):
        total.append(sum(years[i:]))
    return survivors, years, total


def reference_arriaga(table1, table2):
    """Arriaga's age contributions, population 1 the reference, one band at a time."""
    l1, L1, T1 = table1
    l2, L2, T2 = table2
    n = len(l1)
    out = []
    for i in range(n - 1):
        direct = l1[i] / RADIX * (L2[i] / l2[i] - L1[i] / l1[i])
        indirect = T2[i + 1] / RADIX * (l1[i] / l2[i] - l1[i + 1] / l2[i + 1])
        out.append(direct + indirect)
    out.append(l1[n - 1] / RADIX * (T2[n - 1] / l2[n - 1] - T1[n - 1] / l1[n - 1]))
    return out


def reference_sensitivity(deaths1, pops1, deaths2, pops2):
    """d(contribution) / d(rate) for each band, written from the life-table algebra:
    closed band -(l1/l0) n (n (1 - a) + e2_{i+1}) / ((1 + n (1 - a) m1)(1 + n (1 - a) m2)),
    open band -(l1/l0) / (m1 m2)."""
    l1, _, _ = reference_life_table(deaths1, pops1)
    l2, _, T2 = reference_life_table(deaths2, pops2)
    out = []
    for i in range(20):
        m1, m2 = deaths1[i] / pops1[i], deaths2[i] / pops2[i]
        if i == 19:
            out.append(-(l1[i] / RADIX) / (m1 * m2))
            continue
        n = BAND_STARTS[i + 1] - BAND_STARTS[i]
        a = 0.1 if i == 0 else 0.5
        e_next = T2[i + 1] / l2[i + 1]
        denominator = (1 + n * (1 - a) * m1) * (1 + n * (1 - a) * m2)
        out.append(-(l1[i] / RADIX) * n * (n * (1 - a) + e_next) / denominator)
    return out


def two_group_frame(deaths1, pops1, deaths2, pops2, **keys):
    """Rows for quintile 1 (reference) and quintile 5 (comparison), 20 bands each."""
    data = {
        "quintile": [1] * 20 + [5] * 20,
        "age_band": list(AGE_BANDS) * 2,
        "deaths": list(deaths1) + list(deaths2),
        "pops": list(pops1) + list(pops2),
    }
    data.update({k: [v] * 40 for k, v in keys.items()})
    return pd.DataFrame(data)


def decompose(df, **kwargs):
    options = {"group": "quintile", "reference": 1, "comparison": 5}
    options.update(kwargs)
    return arriaga(df, "deaths", "pops", **options)


# --- a worked example ----------------------------------------------------------------------

# Most deprived (quintile 1, the reference) and least deprived (quintile 5, the comparison).
REF_POPS = [1200, 4900, 6100, 6000, 5800, 6500, 6900, 6700, 6300, 6100,
            6200, 6000, 5600, 5000, 4300, 3600, 2700, 1800, 1000, 520]  # fmt: skip
REF_DEATHS = [
    7,
    2,
    1,
    1,
    3,
    6,
    8,
    11,
    15,
    22,
    35,
    52,
    75,
    98,
    128,
    165,
    198,
    210,
    185,
    160,
]
CMP_POPS = [1000, 4300, 5800, 5900, 5400, 5100, 5600, 6200, 6800, 7000,
            7300, 7100, 6800, 6300, 5600, 4800, 3700, 2600, 1500, 900]  # fmt: skip
CMP_DEATHS = [
    3,
    1,
    0,
    1,
    2,
    3,
    3,
    5,
    8,
    12,
    19,
    28,
    42,
    60,
    84,
    115,
    150,
    175,
    170,
    230,
]

# The same deaths by cause (other = all causes - cancer - circulatory).
REF_CAUSES = {
    "cancer": [0, 0, 0, 0, 0, 1, 1, 2, 4, 7, 12, 18, 27, 33, 40, 45, 42, 33, 20, 12],
    "circulatory": [
        0,
        0,
        0,
        0,
        0,
        1,
        2,
        2,
        3,
        5,
        9,
        14,
        22,
        30,
        42,
        58,
        75,
        85,
        80,
        70,
    ],
}
CMP_CAUSES = {
    "cancer": [0, 0, 0, 0, 0, 0, 1, 1, 3, 4, 7, 11, 17, 23, 30, 36, 38, 35, 25, 20],
    "circulatory": [0, 0, 0, 0, 0, 1, 0, 1, 2, 3, 5, 8, 12, 18, 27, 40, 55, 65, 68, 95],
}
for _causes, _total in ((REF_CAUSES, REF_DEATHS), (CMP_CAUSES, CMP_DEATHS)):
    _causes["other"] = [
        t - c - v for t, c, v in zip(_total, _causes["cancer"], _causes["circulatory"])
    ]
    assert min(_causes["other"]) >= 0


def test_worked_example_matches_plain_python_arriaga():
    table1 = reference_life_table(REF_DEATHS, REF_POPS)
    table2 = reference_life_table(CMP_DEATHS, CMP_POPS)
    expected = reference_arriaga(table1, table2)
    e0_ref = table1[2][0] / table1[0][0]
    e0_cmp = table2[2][0] / table2[0][0]

    result = decompose(two_group_frame(REF_DEATHS, REF_POPS, CMP_DEATHS, CMP_POPS))

    assert list(result.columns) == [
        "age_band",
        "contribution",
        "e0_reference",
        "e0_comparison",
        "gap",
    ]
    assert list(result["age_band"].astype(str)) == list(AGE_BANDS)
    np.testing.assert_allclose(result["contribution"], expected, rtol=0, atol=1e-9)
    assert result["e0_reference"].iloc[0] == pytest.approx(e0_ref, abs=1e-9)
    assert result["e0_comparison"].iloc[0] == pytest.approx(e0_cmp, abs=1e-9)
    # The least deprived live longer here: a positive gap, mostly from ages 45 and over.
    assert result["gap"].iloc[0] > 0
    assert sum(expected) == pytest.approx(e0_cmp - e0_ref, abs=1e-9)


def test_contributions_sum_to_the_life_expectancy_gap_of_life_expectancy():
    df = two_group_frame(REF_DEATHS, REF_POPS, CMP_DEATHS, CMP_POPS)
    result = decompose(df)
    le = life_expectancy(df, "deaths", "pops", group_by="quintile")
    e0 = le[le["start_age"] == 0].set_index("quintile")["value"]
    assert result["contribution"].sum() == pytest.approx(e0[5] - e0[1], abs=1e-9)
    assert result["gap"].iloc[0] == pytest.approx(e0[5] - e0[1], abs=1e-9)
    assert result["e0_reference"].iloc[0] == pytest.approx(e0[1], abs=1e-9)
    assert result["e0_comparison"].iloc[0] == pytest.approx(e0[5], abs=1e-9)


def test_private_life_table_reproduces_life_expectancy():
    """l, L, T of the module's helper give life_expectancy's values at every age (1e-9) and
    agree with the loop-based table."""
    deaths = np.array([REF_DEATHS, CMP_DEATHS], dtype=float)
    pops = np.array([REF_POPS, CMP_POPS], dtype=float)
    l, L, T = _life_table_columns(deaths, pops)
    df = two_group_frame(REF_DEATHS, REF_POPS, CMP_DEATHS, CMP_POPS)
    le = life_expectancy(df, "deaths", "pops", group_by="quintile")
    for row, quintile in enumerate((1, 5)):
        value = le.loc[le["quintile"] == quintile, "value"].to_numpy()
        np.testing.assert_allclose(T[row] / l[row], value, rtol=0, atol=1e-9)
        ref_l, ref_L, ref_T = reference_life_table(deaths[row], pops[row])
        np.testing.assert_allclose(l[row], ref_l, rtol=1e-12)
        np.testing.assert_allclose(L[row], ref_L, rtol=1e-12)
        np.testing.assert_allclose(T[row], ref_T, rtol=1e-12)


# --- causes --------------------------------------------------------------------------------


def cause_frame(ref_causes, ref_pops, cmp_causes, cmp_pops, **keys):
    parts = []
    for quintile, causes, pops in (
        (1, ref_causes, ref_pops),
        (5, cmp_causes, cmp_pops),
    ):
        for name, deaths in causes.items():
            parts.append(
                pd.DataFrame(
                    {
                        "quintile": quintile,
                        "cause": name,
                        "age_band": list(AGE_BANDS),
                        "deaths": deaths,
                        "pops": pops,
                    }
                )
            )
    df = pd.concat(parts, ignore_index=True)
    for k, v in keys.items():
        df[k] = v
    return df


def causes_with_equal_rate_bands():
    """The worked example by cause, edited so that

    * in 1-4 both groups have the same population and the same deaths from every cause
      (every rate equal);
    * in 5-9 both groups have the same population and one death, from "other" in the
      reference and from "cancer" in the comparison (all-cause rates equal, cause rates not).
    """
    ref = {k: list(v) for k, v in REF_CAUSES.items()}
    cmp_ = {k: list(v) for k, v in CMP_CAUSES.items()}
    ref_pops, cmp_pops = list(REF_POPS), list(CMP_POPS)
    cmp_pops[1] = ref_pops[1]
    for k in ref:
        cmp_[k][1] = ref[k][1]
    cmp_pops[2] = ref_pops[2]
    ref["cancer"][2], ref["circulatory"][2], ref["other"][2] = 0, 0, 1
    cmp_["cancer"][2], cmp_["circulatory"][2], cmp_["other"][2] = 1, 0, 0
    return ref, ref_pops, cmp_, cmp_pops


def test_cause_split_matches_the_proportional_formula_and_sums_exactly():
    ref, ref_pops, cmp_, cmp_pops = causes_with_equal_rate_bands()
    ref_all = [sum(v[i] for v in ref.values()) for i in range(20)]
    cmp_all = [sum(v[i] for v in cmp_.values()) for i in range(20)]
    table1 = reference_life_table(ref_all, ref_pops)
    table2 = reference_life_table(cmp_all, cmp_pops)
    age = reference_arriaga(table1, table2)
    sensitivity = reference_sensitivity(ref_all, ref_pops, cmp_all, cmp_pops)

    result = decompose(cause_frame(ref, ref_pops, cmp_, cmp_pops), cause="cause")
    assert list(result.columns) == [
        "age_band",
        "cause",
        "contribution",
        "e0_reference",
        "e0_comparison",
        "gap",
    ]
    assert len(result) == 60
    by_band = result.groupby("age_band", observed=True)["contribution"].sum().to_numpy()

    for i in range(20):
        dm = cmp_all[i] / cmp_pops[i] - ref_all[i] / ref_pops[i]
        for name in ref:
            dm_c = cmp_[name][i] / cmp_pops[i] - ref[name][i] / ref_pops[i]
            if dm != 0:
                expected = age[i] * dm_c / dm  # Preston et al.'s proportional split
            else:
                expected = sensitivity[i] * dm_c  # the documented rule for equal rates
            got = result.loc[
                (result["age_band"] == AGE_BANDS[i]) & (result["cause"] == name),
                "contribution",
            ]
            assert got.item() == pytest.approx(expected, abs=1e-9), (AGE_BANDS[i], name)
    # Causes sum to the band's Arriaga contribution and, over the bands, to the gap.
    np.testing.assert_allclose(by_band, age, rtol=0, atol=1e-9)
    gap = table2[2][0] / table2[0][0] - table1[2][0] / table1[0][0]
    assert result["contribution"].sum() == pytest.approx(gap, abs=1e-9)
    assert result["gap"].iloc[0] == pytest.approx(gap, abs=1e-9)

    # Every rate equal in 1-4: nothing to share out.
    band_1_4 = result[result["age_band"] == "1-4"]["contribution"]
    assert (band_1_4 == 0).all()
    # All-cause rates equal in 5-9: the band contributes nothing, but cancer (higher in the
    # comparison) and other (higher in the reference) offset each other.
    band_5_9 = result[result["age_band"] == "5-9"].set_index("cause")["contribution"]
    assert abs(age[2]) < 1e-12
    assert band_5_9["cancer"] < 0 < band_5_9["other"]
    assert band_5_9["cancer"] == pytest.approx(-band_5_9["other"], abs=1e-12)
    assert band_5_9["circulatory"] == 0
    assert band_5_9.sum() == pytest.approx(0, abs=1e-12)


def test_cause_split_sums_to_the_age_only_decomposition():
    ref, ref_pops, cmp_, cmp_pops = causes_with_equal_rate_bands()
    by_cause = decompose(cause_frame(ref, ref_pops, cmp_, cmp_pops), cause="cause")
    all_cause = (
        cause_frame(ref, ref_pops, cmp_, cmp_pops)
        .groupby(["quintile", "age_band"], as_index=False)
        .agg(deaths=("deaths", "sum"), pops=("pops", "first"))
    )
    by_age = decompose(all_cause)
    summed = by_cause.groupby("age_band", observed=True)["contribution"].sum()
    np.testing.assert_allclose(
        summed.to_numpy(), by_age["contribution"].to_numpy(), rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(
        by_cause["gap"].iloc[0], by_age["gap"].iloc[0], rtol=0, atol=1e-12
    )


# --- properties of the decomposition -------------------------------------------------------


@pytest.mark.parametrize("by_cause", [False, True])
def test_swapping_reference_and_comparison_flips_the_gap(by_cause):
    if by_cause:
        df, options = (
            cause_frame(REF_CAUSES, REF_POPS, CMP_CAUSES, CMP_POPS),
            {"cause": "cause"},
        )
    else:
        df, options = two_group_frame(REF_DEATHS, REF_POPS, CMP_DEATHS, CMP_POPS), {}
    forward = decompose(df, **options)
    backward = decompose(df, reference=5, comparison=1, **options)
    total = forward["contribution"].sum()
    assert abs(total) > 1
    assert backward["contribution"].sum() == pytest.approx(-total, abs=1e-9)
    assert backward["gap"].iloc[0] == pytest.approx(-forward["gap"].iloc[0], abs=1e-12)
    assert backward["e0_reference"].iloc[0] == forward["e0_comparison"].iloc[0]
    # Arriaga's method is directional: the age pattern is not an exact mirror image.
    assert not np.allclose(
        backward["contribution"], -forward["contribution"], rtol=0, atol=1e-9
    )


def test_identical_populations_give_zero_everywhere():
    df = cause_frame(REF_CAUSES, REF_POPS, REF_CAUSES, REF_POPS)
    result = decompose(df, cause="cause")
    assert (result["contribution"] == 0).all()
    assert (result["gap"] == 0).all()
    by_age = decompose(two_group_frame(REF_DEATHS, REF_POPS, REF_DEATHS, REF_POPS))
    assert (by_age["contribution"] == 0).all()


def random_areas(
    seed, areas=("A", "B", "C"), sexes=("Female", "Male"), quintiles=(1, 2, 3, 4, 5)
):
    rng = np.random.default_rng(seed)
    starts = np.array(BAND_STARTS, dtype=float)
    base = 0.00004 * np.exp(0.085 * starts)
    base[0] = 0.004
    parts = []
    for area in areas:
        for sex in sexes:
            for quintile in quintiles:
                pops = rng.integers(800, 9000, size=20)
                for cause, share in (
                    ("cancer", 0.3),
                    ("circulatory", 0.3),
                    ("other", 0.4),
                ):
                    rate = (
                        base
                        * share
                        * (1.6 - 0.15 * quintile)
                        * rng.uniform(0.6, 1.4, size=20)
                    )
                    deaths = rng.poisson(rate * pops)
                    deaths[-1] += 1
                    parts.append(
                        pd.DataFrame(
                            {
                                "area": area,
                                "sex": sex,
                                "quintile": quintile,
                                "cause": cause,
                                "age_band": list(AGE_BANDS),
                                "deaths": deaths,
                                "pops": pops,
                            }
                        )
                    )
    return pd.concat(parts, ignore_index=True)


def test_many_groups_at_once_equal_one_at_a_time():
    df = random_areas(11)
    shuffled = df.sample(frac=1, random_state=3)
    together = decompose(shuffled, cause="cause", group_by=["area", "sex"])
    assert list(together.columns[:4]) == ["area", "sex", "age_band", "cause"]
    assert len(together) == 3 * 2 * 20 * 3
    singles = []
    for (area, sex), part in df.groupby(["area", "sex"]):
        single = decompose(part.drop(columns=["area", "sex"]), cause="cause")
        single.insert(0, "sex", sex)
        single.insert(0, "area", area)
        singles.append(single)
    expected = pd.concat(singles, ignore_index=True)
    pd.testing.assert_frame_equal(
        together, expected, check_exact=False, rtol=0, atol=1e-12
    )
    # Quintiles 2 to 4 are ignored.
    only_compared = decompose(
        df[df["quintile"].isin([1, 5])], cause="cause", group_by=["area", "sex"]
    )
    pd.testing.assert_frame_equal(
        together, only_compared, check_exact=False, rtol=0, atol=1e-12
    )
    sums = together.groupby(["area", "sex"])[["contribution"]].sum()
    gaps = together.groupby(["area", "sex"])["gap"].first()
    np.testing.assert_allclose(sums["contribution"], gaps, rtol=0, atol=1e-9)


def test_integer_start_ages_and_string_groups_are_accepted():
    df = two_group_frame(REF_DEATHS, REF_POPS, CMP_DEATHS, CMP_POPS)
    plain = decompose(df)
    other = df.assign(
        age_band=BAND_STARTS * 2,
        quintile=df["quintile"].map({1: "Q1 most", 5: "Q5 least"}),
    )
    result = arriaga(
        other,
        "deaths",
        "pops",
        group="quintile",
        reference="Q1 most",
        comparison="Q5 least",
    )
    np.testing.assert_allclose(
        result["contribution"], plain["contribution"], rtol=0, atol=0
    )


# --- validation ----------------------------------------------------------------------------


def base_frame():
    return cause_frame(REF_CAUSES, REF_POPS, CMP_CAUSES, CMP_POPS, area="X1")


def set_cell(df, quintile, cause, band, column, value):
    df = df.copy()
    mask = (
        (df["quintile"] == quintile) & (df["cause"] == cause) & (df["age_band"] == band)
    )
    assert mask.sum() == 1
    df.loc[mask, column] = value
    return df


def run(df, **kwargs):
    options = {"cause": "cause", "group_by": "area"}
    options.update(kwargs)
    return decompose(df, **options)


def test_base_frame_is_valid():
    assert len(run(base_frame())) == 60


def test_missing_column():
    with pytest.raises(ValueError, match=r"\['popz'\] not found"):
        arriaga(
            base_frame(), "deaths", "popz", group="quintile", reference=1, comparison=5
        )
    with pytest.raises(ValueError, match=r"\['sex'\] not found"):
        run(base_frame(), group_by=["area", "sex"])


def test_reference_and_comparison_must_exist_and_differ():
    with pytest.raises(
        ValueError, match=r"quintile has no rows for the comparison value 3"
    ):
        run(base_frame(), comparison=3)
    with pytest.raises(
        ValueError, match=r"quintile: reference and comparison must differ"
    ):
        run(base_frame(), comparison=1)
    with pytest.raises(ValueError, match=r"columns must all differ"):
        run(base_frame(), group_by="quintile")


def test_non_numeric_and_missing_values():
    text = base_frame()
    text["deaths"] = text["deaths"].astype(object)
    text.loc[5, "deaths"] = "n/a"
    with pytest.raises(
        ValueError,
        match=r"deaths must be numeric.*area='X1', quintile=1, cause='cancer'",
    ):
        run(text)
    missing = set_cell(
        base_frame().astype({"pops": float}), 5, "other", "30-34", "pops", np.nan
    )
    with pytest.raises(
        ValueError,
        match=r"pops must not be missing \(group area='X1', quintile=5, cause='other'",
    ):
        run(missing)
    infinite = set_cell(
        base_frame().astype({"deaths": float}), 1, "cancer", "0", "deaths", np.inf
    )
    with pytest.raises(
        ValueError,
        match=r"deaths must be finite \(group area='X1', quintile=1, cause='cancer'",
    ):
        run(infinite)


def test_negative_deaths_and_non_positive_population():
    negative = set_cell(base_frame(), 5, "circulatory", "40-44", "deaths", -1)
    with pytest.raises(
        ValueError,
        match=r"deaths must be greater than or equal to zero \(group area='X1', quintile=5, cause='circulatory'",
    ):
        run(negative)
    zero = set_cell(base_frame(), 1, "other", "10-14", "pops", 0)
    with pytest.raises(
        ValueError,
        match=r"pops must be greater than zero \(group area='X1', quintile=1, cause='other'",
    ):
        run(zero)


def test_unknown_age_band():
    odd = set_cell(base_frame(), 1, "cancer", "10-14", "age_band", "10-15")
    with pytest.raises(
        ValueError,
        match=r"age_band has an unknown age band '10-15' \(group area='X1', quintile=1",
    ):
        run(odd)


def test_duplicate_rows():
    df = base_frame()
    dup = pd.concat([df, df.iloc[[4]]])
    with pytest.raises(
        ValueError,
        match=r"age_band has duplicate age band '15-19' \(group area='X1', quintile=1, cause='cancer'\)",
    ):
        run(dup)


def test_group_lacking_a_compared_group_band_or_cause():
    df = pd.concat([base_frame(), base_frame().assign(area="X2")], ignore_index=True)
    no_cmp = df[~((df["area"] == "X2") & (df["quintile"] == 5))]
    with pytest.raises(
        ValueError, match=r"quintile has no rows for 5 \(group area='X2'\)"
    ):
        run(no_cmp)
    no_band = df[
        ~((df["area"] == "X2") & (df["quintile"] == 1) & (df["age_band"] == "60-64"))
    ]
    with pytest.raises(
        ValueError,
        match=r"age_band is missing age band '60-64' \(group area='X2', quintile=1, cause=",
    ):
        run(no_band)
    one_cause_band = df[
        ~(
            (df["area"] == "X1")
            & (df["quintile"] == 5)
            & (df["age_band"] == "0")
            & (df["cause"] == "other")
        )
    ]
    with pytest.raises(
        ValueError,
        match=r"age_band is missing age band '0' \(group area='X1', quintile=5, cause='other'\)",
    ):
        run(one_cause_band)
    no_cause = df[~((df["area"] == "X2") & (df["cause"] == "circulatory"))]
    with pytest.raises(
        ValueError,
        match=r"cause 'circulatory' has no rows \(group area='X2', quintile=1\)",
    ):
        run(no_cause)


def test_population_must_agree_between_causes():
    df = set_cell(base_frame(), 5, "cancer", "50-54", "pops", 7001)
    with pytest.raises(
        ValueError,
        match=r"pops differs between causes in age band '50-54' \(group area='X1', quintile=5",
    ):
        run(df)


def test_impossible_life_tables():
    too_many = set_cell(base_frame(), 1, "other", "0", "deaths", 1500)
    with pytest.raises(
        ValueError,
        match=r"deaths \(all causes\) exceed the population in age band '0' \(group area='X1', quintile=1",
    ):
        run(too_many)
    no_survivors = set_cell(
        base_frame(), 5, "other", "20-24", "deaths", 2200
    )  # 2.5 * 2,200 >= 5,400
    with pytest.raises(
        ValueError,
        match=r"deaths \(all causes\) are too many.*'20-24' \(group area='X1', quintile=5",
    ):
        run(no_survivors)
    df = base_frame()
    for cause in ("cancer", "circulatory", "other"):
        df = set_cell(df, 5, cause, "90+", "deaths", 0)
    with pytest.raises(
        ValueError,
        match=r"deaths \(all causes\) are zero in age band '90\+' \(group area='X1', quintile=5",
    ):
        run(df)


def test_missing_cause_value():
    df = base_frame()
    df.loc[7, "cause"] = None
    with pytest.raises(
        ValueError, match=r"cause must not be missing \(group area='X1', quintile=1"
    ):
        run(df)


# --- property test -------------------------------------------------------------------------


@st.composite
def valid_pairs(draw):
    """Two random valid tables, each split into 1 to 4 causes."""
    n_causes = draw(st.integers(1, 4))
    tables = []
    for _ in range(2):
        pops = draw(st.lists(st.integers(50, 80_000), min_size=20, max_size=20))
        # n a M < 1 in every closed band: M < 0.4 (5-year bands), 0.5 (1-4), 10 (under 1).
        fractions = draw(st.lists(st.floats(0.0, 0.38), min_size=20, max_size=20))
        totals = [int(p * f) for p, f in zip(pops, fractions)]
        totals[-1] = max(totals[-1], 1)
        causes = []
        remaining = list(totals)
        for c in range(n_causes - 1):
            part = [draw(st.integers(0, r)) for r in remaining]
            causes.append(part)
            remaining = [r - p for r, p in zip(remaining, part)]
        causes.append(remaining)
        tables.append((causes, pops, totals))
    return tables


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_pairs())
def test_contributions_always_sum_to_the_gap(tables):
    (causes1, pops1, totals1), (causes2, pops2, totals2) = tables
    names = [f"cause {c}" for c in range(len(causes1))]
    df = cause_frame(dict(zip(names, causes1)), pops1, dict(zip(names, causes2)), pops2)
    result = decompose(df, cause="cause")
    table1 = reference_life_table(totals1, pops1)
    table2 = reference_life_table(totals2, pops2)
    gap = table2[2][0] / table2[0][0] - table1[2][0] / table1[0][0]
    tolerance = 1e-9 * max(1.0, abs(gap))
    assert result["contribution"].sum() == pytest.approx(gap, abs=tolerance)
    assert result["gap"].iloc[0] == pytest.approx(gap, abs=tolerance)
    by_band = result.groupby("age_band", observed=True)["contribution"].sum().to_numpy()
    expected = reference_arriaga(table1, table2)
    np.testing.assert_allclose(by_band, expected, rtol=0, atol=tolerance)
    assert np.isfinite(result["contribution"]).all()
    # The same tables without causes: Arriaga's formula itself.
    by_age = decompose(two_group_frame(totals1, pops1, totals2, pops2))
    assert by_age["contribution"].sum() == pytest.approx(gap, abs=tolerance)
    np.testing.assert_allclose(by_age["contribution"], expected, rtol=0, atol=tolerance)
