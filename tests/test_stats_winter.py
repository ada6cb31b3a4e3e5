"""Tests for jsna.stats.excess_winter_deaths (ONS excess winter mortality index).

Reference values are worked by hand from the definition (ONS; OHID Fingertips indicator 90360):
M = (Aug-Nov + Apr-Jul) / 2, E = Dec-Mar - M, index = 100 E / M, and the delta-method variance
var(index) = 100^2 (W / M^2 + W^2 / (2 M^3)) documented in jsna/stats/winter.py. Each case shows
its working; tolerance 1e-9 relative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jsna.stats import excess_winter_deaths

REL = 1e-9


def test_worked_example_index_20() -> None:
    # W = 1,200 winter deaths; 1,000 in Aug-Nov and 1,000 in Apr-Jul, so N = 2,000 and M = 1,000.
    # E = 1,200 - 1,000 = 200; index = 100 x 200 / 1,000 = 20.
    # var = 10^4 x (1,200 / 1,000^2 + 1,200^2 / (2 x 1,000^3)) = 10^4 x (0.0012 + 0.00072) = 19.2
    # se = sqrt(19.2) = 4.381780460041329; 95%: 20 -/+ 1.959963984540054 x se.
    df = pd.DataFrame({"winter": [1200], "non_winter": [2000]})
    r = excess_winter_deaths(df, "winter", "non_winter").iloc[0]
    assert r["value"] == pytest.approx(20.0, rel=REL)
    assert r["excess_deaths"] == pytest.approx(200.0, rel=REL)
    assert r["average_non_winter"] == pytest.approx(1000.0, rel=REL)
    assert r["lower_95_0"] == pytest.approx(11.411868110157647, rel=REL)
    assert r["upper_95_0"] == pytest.approx(28.58813188984235, rel=REL)
    # 99.8%: z = 3.090232306167813.
    assert r["lower_99_8"] == pytest.approx(6.459280463845424, rel=REL)
    assert r["upper_99_8"] == pytest.approx(33.540719536154576, rel=REL)
    assert r["statistic"] == "Excess winter mortality index (%)"
    assert "ONS" in r["method"] and r["confidence"] == "95% and 99.8%"


def test_dudley_sized_example_index_20_2() -> None:
    # W = 1,202, N = 2,000: M = 1,000, E = 202, index 20.2 (Dudley's published 2019-20 value).
    # var = 10^4 x (1,202 / 10^6 + 1,202^2 / (2 x 10^9)) = 19.24402; se = 4.38680065651495.
    df = pd.DataFrame({"winter": [1202.0], "non_winter": [2000.0]})
    r = excess_winter_deaths(df, "winter", "non_winter", confidence=0.95).iloc[0]
    assert r["value"] == pytest.approx(20.2, rel=REL)
    assert r["lower_95_0"] == pytest.approx(11.602028705874034, rel=REL)
    assert r["upper_95_0"] == pytest.approx(28.797971294125965, rel=REL)
    assert "lower_99_8" not in r.index


def test_groups_are_summed_before_the_index_small_area_example() -> None:
    # Two small areas of one ward: winters 50 + 40 = 90; non-winter (30 + 25) + (28 + 27) = 110.
    # M = 55, E = 35, index = 100 x 35 / 55 = 63.63636...; var = 10^4 x (90/3025 + 8100/(2 x 166375))
    # = 540.946656649136; se = 23.258259966066593. A second ward is computed separately.
    df = pd.DataFrame(
        {
            "ward": ["A", "A", "B"],
            "winter": [50, 40, 1200],
            "non_winter": [55, 55, 2000],
        }
    )
    out = excess_winter_deaths(df, "winter", "non_winter", group_by="ward").set_index("ward")
    assert list(out.index) == ["A", "B"]
    a = out.loc["A"]
    assert (a["winter"], a["non_winter"]) == (90, 110)
    assert a["value"] == pytest.approx(100 * 35 / 55, rel=REL)
    assert a["lower_95_0"] == pytest.approx(18.05101175980333, rel=REL)
    assert a["upper_95_0"] == pytest.approx(109.22171551292394, rel=REL)
    # The 99.8% interval of a small area can go below zero: no truncation.
    assert a["lower_99_8"] == pytest.approx(-8.237062696024857, rel=REL)
    assert out.loc["B", "value"] == pytest.approx(20.0, rel=REL)


def test_fewer_winter_deaths_than_average_gives_a_negative_index() -> None:
    # W = 900, N = 2,000: E = -100, index -10.
    r = excess_winter_deaths(pd.DataFrame({"w": [900], "n": [2000]}), "w", "n").iloc[0]
    assert r["value"] == pytest.approx(-10.0, rel=REL) and r["excess_deaths"] == -100
    assert r["lower_95_0"] < -10 < r["upper_95_0"]


def test_no_non_winter_deaths_means_no_index_and_says_why() -> None:
    out = excess_winter_deaths(pd.DataFrame({"g": [1, 2], "w": [3, 0], "n": [0, 0]}), "w", "n", group_by="g")
    assert out["value"].isna().all() and out["lower_95_0"].isna().all() and out["upper_99_8"].isna().all()
    assert (out["statistic"] == "Index not calculated: no non-winter deaths").all()
    assert out["excess_deaths"].tolist() == [3.0, 0.0]


def test_vectorised_over_many_groups_matches_one_at_a_time() -> None:
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"g": np.repeat(np.arange(200), 3), "w": rng.poisson(40, 600), "n": rng.poisson(66, 600)})
    together = excess_winter_deaths(df, "w", "n", group_by="g").set_index("g")
    for g in (0, 57, 199):
        alone = excess_winter_deaths(df.loc[df["g"] == g], "w", "n").iloc[0]
        assert together.loc[g, "value"] == pytest.approx(alone["value"], rel=REL)
        assert together.loc[g, "upper_99_8"] == pytest.approx(alone["upper_99_8"], rel=REL)


@pytest.mark.parametrize(
    "frame,message",
    [
        (pd.DataFrame({"w": [-1], "n": [10]}), "w must be greater than or equal to zero"),
        (pd.DataFrame({"w": [1], "n": [-10]}), "n must be greater than or equal to zero"),
        (pd.DataFrame({"w": [np.inf], "n": [10]}), "w must be finite"),
        (pd.DataFrame({"w": [np.nan], "n": [10]}), "w must not be missing"),
        (pd.DataFrame({"w": ["many"], "n": [10]}), "w must be numeric"),
        (pd.DataFrame({"winter": [1], "n": [10]}), r"column\(s\) \['w'\] not found"),
    ],
)
def test_arguments_are_validated_with_clear_messages(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        excess_winter_deaths(frame, "w", "n")


def test_unsupported_confidence_level_is_refused() -> None:
    with pytest.raises(ValueError, match="confidence"):
        excess_winter_deaths(pd.DataFrame({"w": [1], "n": [2]}), "w", "n", confidence=0.9)
