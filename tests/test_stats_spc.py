"""Tests for jsna.stats.spc: XmR charts with NHS England's Making Data Count rules and icons.

Most series are built on a "quiet" baseline of 14 points alternating 12, 10, 12, 10, ...:

* mean = (7 x 12 + 7 x 10) / 14 = 154 / 14 = 11 exactly;
* 13 moving ranges, each |12 - 10| = 2, so MR-bar = 26 / 13 = 2 exactly;
* process limits 11 +/- 2.66 x 2 = 11 +/- 5.32: 5.68 and 16.32;
* two-sigma lines 11 +/- (2/3) x 2.66 x 2 = 11 +/- 3.5467: 7.4533 and 14.5467.

It alternates above and below the mean, so it has no shift (runs of 1), no trend (rises and
falls of 1) and nothing near a limit; points are appended after it (with ``baseline=14`` so
the limits stay those above) to trigger exactly one rule at a time. NHS England's defaults
(SQL tool v2.6, January 2024): shift 6, trend 6, minimum 13 points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jsna.stats.spc import FLAG_COLUMNS, SpcRules, xmr

QUIET = [12.0, 10.0] * 7  # ends with 10 (below the mean)
QUIET_HIGH_END = [10.0, 12.0] * 7  # ends with 12 (above the mean)
MEAN, MR_BAR = 11.0, 2.0
UPL, LPL = 11 + 2.66 * 2, 11 - 2.66 * 2
U2, L2 = 11 + 2.66 * 2 * 2 / 3, 11 - 2.66 * 2 * 2 / 3
RULE_COLUMNS = list(FLAG_COLUMNS.values())


def frame(values, **columns):
    data = {"period": np.arange(1, len(values) + 1), "value": values}
    data.update(columns)
    return pd.DataFrame(data)


def run(values, **kwargs):
    kwargs.setdefault("period", "period")
    return xmr(frame(values), **kwargs)


def flagged(points, column):
    """Positions (0-based) where a rule column is set."""
    return list(np.flatnonzero(points[column].to_numpy()))


def only_flags(points, expected):
    """Every rule column is empty except those in ``expected`` (column -> positions)."""
    for column in RULE_COLUMNS:
        assert flagged(points, column) == expected.get(column, []), column


# ---------------------------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------------------------


def test_limits_by_hand():
    values = [3, 5, 4, 8, 6, 7, 5, 9, 6, 4, 5, 7, 6]
    # sum = 3+5+4+8+6+7+5+9+6+4+5+7+6 = 75, n = 13
    mean = 75 / 13
    # moving ranges: 2,1,4,2,1,2,4,3,2,1,2,1 -> sum 25 over 12 ranges
    mr_bar = 25 / 12
    points, summary = run(values)
    row = summary.iloc[0]
    assert row["mean"] == pytest.approx(mean, abs=1e-12)
    assert row["moving_range_mean"] == pytest.approx(mr_bar, abs=1e-12)
    assert row["upper_process_limit"] == pytest.approx(mean + 2.66 * mr_bar, abs=1e-12)
    assert row["lower_process_limit"] == pytest.approx(mean - 2.66 * mr_bar, abs=1e-12)
    # two-sigma: sigma = MR-bar / 1.128 ~ 2.66 / 3 x MR-bar; 2 sigma = (2/3) x 2.66 x MR-bar
    assert row["upper_two_sigma"] == pytest.approx(
        mean + 2 / 3 * 2.66 * mr_bar, abs=1e-12
    )
    assert row["lower_two_sigma"] == pytest.approx(
        mean - 2 / 3 * 2.66 * mr_bar, abs=1e-12
    )
    expected_mr = [np.nan, 2, 1, 4, 2, 1, 2, 4, 3, 2, 1, 2, 1]
    np.testing.assert_allclose(points["moving_range"], expected_mr, atol=1e-12)
    assert (points["mean"] == row["mean"]).all()
    assert row["points"] == 13 and row["baseline_points"] == 13 and row["note"] == ""
    only_flags(points, {})
    assert row["variation_icon"] == "common_cause"


def test_quiet_series_limits():
    points, summary = run(QUIET)
    row = summary.iloc[0]
    assert row["mean"] == MEAN and row["moving_range_mean"] == MR_BAR
    assert row["upper_process_limit"] == pytest.approx(16.32, abs=1e-12)
    assert row["lower_process_limit"] == pytest.approx(5.68, abs=1e-12)
    assert row["upper_two_sigma"] == pytest.approx(11 + 3.546666666666667, abs=1e-12)
    only_flags(points, {})


def test_baseline_uses_first_points_only():
    # 14 quiet points then 6 points of 30: the limits come from the first 14 only.
    values = QUIET + [30.0] * 6
    points, summary = run(values, baseline=14)
    row = summary.iloc[0]
    assert row["mean"] == pytest.approx(11.0, abs=1e-12)  # 154 / 14
    assert row["moving_range_mean"] == pytest.approx(2.0, abs=1e-12)  # 13 ranges of 2
    assert row["upper_process_limit"] == pytest.approx(UPL, abs=1e-12)
    assert row["baseline_points"] == 14 and row["points"] == 20
    assert points["baseline"].tolist() == [True] * 14 + [False] * 6
    # the moving range into the first 30 (|30 - 10| = 20) is reported but not in MR-bar
    assert points["moving_range"].iloc[14] == 20.0
    assert flagged(points, "above_upper_limit") == list(range(14, 20))
    # without the baseline every point counts: mean = (154 + 180) / 20 = 16.7,
    # MR-bar = (13 x 2 + 20 + 5 x 0) / 19 = 46 / 19
    _, whole = run(values)
    assert whole["mean"].iloc[0] == pytest.approx(334 / 20, abs=1e-12)
    assert whole["moving_range_mean"].iloc[0] == pytest.approx(46 / 19, abs=1e-12)


def test_baseline_longer_than_series_uses_all_points():
    _, summary = run(QUIET, baseline=100)
    assert summary["baseline_points"].iloc[0] == 14
    assert summary["mean"].iloc[0] == MEAN


# ---------------------------------------------------------------------------------------------
# Rule 1: a point outside the process limits
# ---------------------------------------------------------------------------------------------


def test_single_point_above_upper_limit():
    points, summary = run(QUIET + [17.0], baseline=14)
    # 17 > 16.32; one point beyond two sigma only, so no two-of-three; 10 -> 17 is one rise
    only_flags(points, {"above_upper_limit": [14]})
    assert points["special_cause"].tolist() == [""] * 14 + ["neither"]
    assert points["special_cause_direction"].iloc[14] == "higher"
    assert summary["latest_rules"].iloc[0] == "above_upper_limit"


def test_single_point_below_lower_limit():
    points, _ = run(QUIET_HIGH_END + [5.0], baseline=14)
    only_flags(points, {"below_lower_limit": [14]})


def test_point_exactly_on_a_limit_is_not_outside():
    points, _ = run(QUIET + [UPL], baseline=14)
    assert points["upper_process_limit"].iloc[0] == UPL
    assert flagged(points, "above_upper_limit") == []


def test_outside_limits_rule_can_be_turned_off():
    points, summary = run(
        QUIET + [17.0], baseline=14, rules=SpcRules(outside_limits=False)
    )
    only_flags(points, {})
    assert summary["variation_icon"].iloc[0] == "common_cause"


# ---------------------------------------------------------------------------------------------
# Rule 2: a shift
# ---------------------------------------------------------------------------------------------


def test_shift_of_six_flagged_by_default_five_not():
    # QUIET ends below the mean, so the run of 11.5s (above 11, inside two sigma) stands alone;
    # equal values neither rise nor fall, so there is no trend.
    points, _ = run(QUIET + [11.5] * 6, baseline=14)
    only_flags(points, {"shift_above": list(range(14, 20))})
    points, _ = run(QUIET + [11.5] * 5, baseline=14)
    only_flags(points, {})


def test_shift_of_seven_with_seven_point_rule():
    rules = SpcRules(shift=7)
    points, _ = run(QUIET + [11.5] * 7, baseline=14, rules=rules)
    only_flags(points, {"shift_above": list(range(14, 21))})
    points, _ = run(QUIET + [11.5] * 6, baseline=14, rules=rules)
    only_flags(points, {})


def test_shift_below():
    points, _ = run(QUIET_HIGH_END + [10.5] * 6, baseline=14)
    only_flags(points, {"shift_below": list(range(14, 20))})


def test_point_on_the_mean_breaks_a_shift():
    # 11.5 x3, 11 (exactly the mean), 11.5 x3: runs of 3, not 7
    points, _ = run(QUIET + [11.5] * 3 + [11.0] + [11.5] * 3, baseline=14)
    assert points["mean"].iloc[17] == points["value"].iloc[17]
    assert flagged(points, "shift_above") == []
    # the same with 11.5 instead of 11 is a run of 7
    points, _ = run(QUIET + [11.5] * 7, baseline=14)
    assert flagged(points, "shift_above") == list(range(14, 21))


def test_shift_rule_can_be_turned_off():
    points, _ = run(QUIET + [11.5] * 8, baseline=14, rules=SpcRules(shift=None))
    only_flags(points, {})


# ---------------------------------------------------------------------------------------------
# Rule 3: a trend
# ---------------------------------------------------------------------------------------------


def test_trend_of_six_rising_flagged_five_not():
    # QUIET ends ..., 12, 10; then 10.5, 11, 11.5, 12, 12.5: the six points 10 .. 12.5 rise
    # five times. Only 11.5, 12, 12.5 are above the mean (3 < 6) and all stay inside two sigma.
    points, _ = run(QUIET + [10.5, 11.0, 11.5, 12.0, 12.5], baseline=14)
    only_flags(points, {"trend_up": list(range(13, 19))})
    # five points 10 .. 12 (four rises): not a trend
    points, _ = run(QUIET + [10.5, 11.0, 11.5, 12.0], baseline=14)
    only_flags(points, {})


def test_trend_of_six_falling():
    # QUIET_HIGH_END ends ..., 10, 12; then 11.5 .. 9.5: six points falling, 12 .. 9.5
    points, _ = run(QUIET_HIGH_END + [11.5, 11.0, 10.5, 10.0, 9.5], baseline=14)
    only_flags(points, {"trend_down": list(range(13, 19))})


def test_trend_length_is_configurable():
    six = QUIET + [10.5, 11.0, 11.5, 12.0, 12.5]
    points, _ = run(six, baseline=14, rules=SpcRules(trend=7))
    only_flags(points, {})
    points, _ = run(six + [13.0], baseline=14, rules=SpcRules(trend=7))
    only_flags(points, {"trend_up": list(range(13, 20))})


def test_equal_consecutive_values_break_a_trend():
    # 10, 10.5, 11, 11, 11.5, 12, 12.5: seven points but a tie in the middle; rises of 2 and 3
    points, _ = run(QUIET + [10.5, 11.0, 11.0, 11.5, 12.0, 12.5], baseline=14)
    assert flagged(points, "trend_up") == []


def test_trend_rule_can_be_turned_off():
    points, _ = run(
        QUIET + [10.5, 11.0, 11.5, 12.0, 12.5, 13.0],
        baseline=14,
        rules=SpcRules(trend=None),
    )
    assert flagged(points, "trend_up") == []


# ---------------------------------------------------------------------------------------------
# Rule 4: two out of three beyond two sigma
# ---------------------------------------------------------------------------------------------


def test_two_of_three_above_flagged():
    # 15 > 14.5467 (two sigma) and < 16.32; 13 is above the mean but inside two sigma.
    points, _ = run(QUIET + [15.0, 13.0, 15.0], baseline=14)
    only_flags(points, {"two_of_three_above": [14, 16]})


def test_two_of_three_consecutive_beyond():
    points, _ = run(QUIET + [15.0, 15.0, 12.0], baseline=14)
    only_flags(points, {"two_of_three_above": [14, 15]})


def test_two_of_three_on_opposite_sides_not_flagged():
    # 15 beyond the upper two-sigma line, 7 beyond the lower one (7 < 7.4533, > 5.68)
    points, _ = run(QUIET + [15.0, 7.0, 12.0], baseline=14)
    only_flags(points, {})


def test_two_of_three_needs_the_third_point_on_the_same_side():
    # 15, 10, 15: two beyond, but the middle point is below the mean
    points, _ = run(QUIET + [15.0, 10.0, 15.0, 10.0], baseline=14)
    only_flags(points, {})
    # the last two points beyond, the one before below the mean: no complete window of three
    points, _ = run(QUIET + [15.0, 15.0], baseline=14)
    only_flags(points, {})


def test_two_of_three_counts_points_beyond_the_process_limit():
    # 17 is beyond the process limit and, so, beyond two sigma too (NHS England SQL v2.6)
    points, _ = run(QUIET + [17.0, 15.0, 12.0], baseline=14)
    only_flags(points, {"above_upper_limit": [14], "two_of_three_above": [14, 15]})


def test_two_of_three_below():
    points, _ = run(QUIET_HIGH_END + [7.0, 9.0, 7.0], baseline=14)
    only_flags(points, {"two_of_three_below": [14, 16]})


def test_two_of_three_can_be_turned_off():
    points, _ = run(
        QUIET + [15.0, 13.0, 15.0], baseline=14, rules=SpcRules(two_of_three=False)
    )
    only_flags(points, {})


# ---------------------------------------------------------------------------------------------
# Polarity, variation icon, assurance icon
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, polarity, special_cause, direction, icon",
    [
        pytest.param(
            QUIET + [17.0],
            "high",
            "improvement",
            "higher",
            "improvement_high",
            id="high-up-good",
        ),
        pytest.param(
            QUIET + [17.0],
            "low",
            "concern",
            "higher",
            "concern_high",
            id="high-down-good",
        ),
        pytest.param(
            QUIET + [17.0],
            "neither",
            "neither",
            "higher",
            "neither_high",
            id="high-neither",
        ),
        pytest.param(
            QUIET_HIGH_END + [5.0],
            "high",
            "concern",
            "lower",
            "concern_low",
            id="low-up-good",
        ),
        pytest.param(
            QUIET_HIGH_END + [5.0],
            "low",
            "improvement",
            "lower",
            "improvement_low",
            id="low-down-good",
        ),
        pytest.param(
            QUIET_HIGH_END + [5.0],
            "neither",
            "neither",
            "lower",
            "neither_low",
            id="low-neither",
        ),
        pytest.param(QUIET + [11.5], "high", "", "", "common_cause", id="common-cause"),
        pytest.param(
            QUIET + [17.0],
            "RAG - High is good",
            "improvement",
            "higher",
            "improvement_high",
            id="fingertips-name",
        ),
        pytest.param(
            QUIET + [17.0],
            "Low is good",
            "concern",
            "higher",
            "concern_high",
            id="words-any-case",
        ),
    ],
)
def test_polarity_and_variation_icon(values, polarity, special_cause, direction, icon):
    points, summary = run(values, baseline=14, polarity=polarity)
    assert points["special_cause"].iloc[-1] == special_cause
    assert points["special_cause_direction"].iloc[-1] == direction
    assert summary["variation_icon"].iloc[0] == icon


def test_variation_words_and_description():
    _, summary = run(QUIET_HIGH_END + [5.0], baseline=14, polarity="high")
    row = summary.iloc[0]
    assert (
        row["variation"]
        == "Special cause variation of a concerning nature where the measure is significantly lower"
    )
    assert row["description"] == (
        "Special cause variation of a concerning nature where the measure is significantly lower: "
        "the latest point is below the lower process limit"
    )
    _, summary = run(QUIET, polarity="high")
    assert (
        summary["description"].iloc[0]
        == "Common cause variation: no significant change"
    )
    _, summary = run(QUIET + [11.5] * 6, baseline=14, polarity="low")
    assert (
        summary["description"]
        .iloc[0]
        .endswith("the latest point is in a run of 6 or more points above the mean")
    )


def test_variation_icon_judged_on_the_latest_point():
    # a point above the limit earlier, then quiet again: common cause at the latest point
    points, summary = run(
        QUIET + [17.0, 10.0, 12.0, 10.0], baseline=14, polarity="high"
    )
    assert points["special_cause"].iloc[14] == "improvement"
    assert summary["variation_icon"].iloc[0] == "common_cause"


def test_conflict_shown_as_improvement_by_default_or_concern():
    # after 12 (above the mean), 6, 7, 8, 9, 10, 10.5: six points rising (trend up) and six below the mean (shift below);
    # 6 and 7 are also below the lower two-sigma line (7.4533) within 6, 7, 8.
    values = QUIET_HIGH_END + [6.0, 7.0, 8.0, 9.0, 10.0, 10.5]
    points, summary = run(values, baseline=14, polarity="high")
    only_flags(
        points,
        {
            "shift_below": list(range(14, 20)),
            "trend_up": list(range(14, 20)),
            "two_of_three_below": [14, 15],
        },
    )
    assert points["special_cause"].iloc[14:].tolist() == ["improvement"] * 6
    assert summary["variation_icon"].iloc[0] == "improvement_high"
    assert summary["latest_rules"].iloc[0] == "shift_below, trend_up"
    assert (
        summary["description"]
        .iloc[0]
        .endswith("in a run of 6 or more points each higher than the one before")
    )
    points, summary = run(
        values, baseline=14, polarity="high", rules=SpcRules(conflict="concern")
    )
    assert points["special_cause"].iloc[14:].tolist() == ["concern"] * 6
    assert summary["variation_icon"].iloc[0] == "concern_low"


@pytest.mark.parametrize(
    "polarity, target, icon",
    [
        # limits 5.68 .. 16.32
        pytest.param("high", 5.0, "consistently_passing", id="high-target-below-lpl"),
        pytest.param("high", 20.0, "consistently_failing", id="high-target-above-upl"),
        pytest.param("high", 11.0, "hit_and_miss", id="high-target-inside"),
        pytest.param("low", 20.0, "consistently_passing", id="low-target-above-upl"),
        pytest.param("low", 5.0, "consistently_failing", id="low-target-below-lpl"),
        pytest.param("low", 11.0, "hit_and_miss", id="low-target-inside"),
        pytest.param("high", LPL, "consistently_passing", id="high-target-on-lpl"),
        pytest.param("high", UPL, "consistently_failing", id="high-target-on-upl"),
        pytest.param("neither", 11.0, None, id="no-polarity"),
        pytest.param("high", None, None, id="no-target"),
    ],
)
def test_assurance_icon(polarity, target, icon):
    _, summary = run(QUIET, polarity=polarity, target=target)
    assert summary["assurance_icon"].iloc[0] == icon
    if icon is None:
        assert summary["assurance"].iloc[0] is None
    else:
        assert (
            summary["assurance"]
            .iloc[0]
            .startswith(
                {
                    "consistently_passing": "Consistently passing",
                    "consistently_failing": "Consistently failing",
                    "hit_and_miss": "Hit and miss",
                }[icon]
            )
        )


def test_assurance_uses_the_latest_target_from_a_column():
    df = frame(QUIET, goal=[20.0] * 13 + [5.0])
    _, summary = xmr(df, period="period", polarity="high", target="goal")
    assert summary["target"].iloc[0] == 5.0
    assert summary["assurance_icon"].iloc[0] == "consistently_passing"
    df = frame(QUIET, goal=[20.0] * 13 + [np.nan])
    _, summary = xmr(df, period="period", polarity="high", target="goal")
    assert summary["assurance_icon"].iloc[0] is None


def test_polarity_from_a_column():
    df = pd.concat(
        [
            frame(QUIET + [17.0], area="A", pol="high"),
            frame(QUIET + [17.0], area="B", pol="Low is good"),
        ]
    )
    _, summary = xmr(df, period="period", group_by="area", polarity="pol", baseline=14)
    assert summary["variation_icon"].tolist() == ["improvement_high", "concern_high"]
    assert summary["polarity"].tolist() == ["high", "low"]


# ---------------------------------------------------------------------------------------------
# Minimum points
# ---------------------------------------------------------------------------------------------


def test_fewer_points_than_the_minimum_gives_no_limits():
    points, summary = run(QUIET[:12] + [], polarity="high", target=5.0)
    row = summary.iloc[0]
    assert np.isnan(row["mean"]) and np.isnan(row["upper_process_limit"])
    assert row["variation_icon"] is None and row["assurance_icon"] is None
    assert row["note"] == "fewer than 13 points to compute the limits from (12)"
    assert (
        row["description"]
        == "Not computed: fewer than 13 points to compute the limits from (12)"
    )
    assert points["mean"].isna().all() and not points[RULE_COLUMNS].to_numpy().any()
    assert (points["special_cause"] == "").all() and not points["baseline"].any()
    # 13 points is enough: 12, 10, ..., 12 is 7 x 12 + 6 x 10 = 144
    _, summary = run(QUIET[:13])
    assert summary["note"].iloc[0] == "" and summary["mean"].iloc[0] == pytest.approx(
        144 / 13, abs=1e-12
    )


def test_minimum_applies_to_the_baseline_and_is_configurable():
    _, summary = run(QUIET + [11.0] * 6, baseline=12)
    assert (
        summary["note"].iloc[0]
        == "fewer than 13 points to compute the limits from (12)"
    )
    _, summary = run(QUIET + [11.0] * 6, baseline=12, rules=SpcRules(minimum_points=12))
    assert summary["note"].iloc[0] == "" and summary["mean"].iloc[0] == 11.0


# ---------------------------------------------------------------------------------------------
# Many series at once
# ---------------------------------------------------------------------------------------------


def test_many_series_at_once_equal_one_at_a_time():
    rng = np.random.default_rng(7)
    specs = {
        ("North", "Male"): (list(rng.normal(50, 5, 30)), "high", 45.0),
        ("North", "Female"): (QUIET + [17.0, 15.0, 12.0], "low", 20.0),
        ("South", "Male"): (
            list(rng.integers(0, 5, 20).astype(float)),
            "neither",
            None,
        ),
        ("South", "Female"): (list(rng.normal(0, 1, 8)), "high", 0.0),  # too short
        ("West", "Male"): (
            QUIET_HIGH_END + [6.0, 7.0, 8.0, 9.0, 10.0, 10.5],
            "high",
            11.0,
        ),
    }
    parts = []
    for (area, sex), (values, pol, target) in specs.items():
        part = frame(
            values,
            area=area,
            sex=sex,
            pol=pol,
            goal=np.nan if target is None else target,
        )
        parts.append(part)
    df = pd.concat(parts).sample(frac=1, random_state=3).reset_index(drop=True)
    kwargs = {"period": "period", "polarity": "pol", "target": "goal", "baseline": 20}
    points, summary = xmr(df, group_by=["area", "sex"], **kwargs)
    assert summary[["area", "sex"]].apply(tuple, axis=1).tolist() == sorted(specs)
    for (area, sex), (values, pol, target) in specs.items():
        one = df[(df["area"] == area) & (df["sex"] == sex)]
        p1, s1 = xmr(one, group_by=["area", "sex"], **kwargs)
        pm = points[(points["area"] == area) & (points["sex"] == sex)].reset_index(
            drop=True
        )
        sm = summary[(summary["area"] == area) & (summary["sex"] == sex)].reset_index(
            drop=True
        )
        pd.testing.assert_frame_equal(pm, p1, check_exact=True)
        pd.testing.assert_frame_equal(sm, s1, check_exact=True)
        assert pm["period"].tolist() == list(range(1, len(values) + 1))


@pytest.mark.parametrize(
    "a_values, b_values",
    [
        # A ends with two points beyond two sigma after one below the mean; B starts above its mean
        pytest.param(QUIET + [15.0, 15.0], QUIET, id="two-of-three"),
        # three above the mean at the end of A, three above the mean at the start of B
        pytest.param(QUIET + [11.5] * 3, [11.5] * 3 + QUIET[3:], id="shift"),
        # 10, 10.5, 11 rising at the end of A; 11.5, 12, 12.5 rising at the start of B
        pytest.param(QUIET + [10.5, 11.0], [11.5, 12.0, 12.5] + QUIET[3:], id="trend"),
        # A ends with 10.5; B starts 11 .. 13, five points (not a trend), higher than 10.5
        pytest.param(
            QUIET + [10.5],
            [11.0, 11.5, 12.0, 12.5, 13.0] + QUIET[5:],
            id="trend-first-step",
        ),
    ],
)
def test_runs_never_cross_from_one_series_to_the_next(a_values, b_values):
    # baseline 14 keeps A's limits those of the quiet series (two sigma at 14.5467)
    df = pd.concat([frame(a_values, area="A"), frame(b_values, area="B")])
    points, _ = xmr(df, period="period", group_by="area", baseline=14)
    assert not points[RULE_COLUMNS].to_numpy().any()
    for area, values in (("A", a_values), ("B", b_values)):
        alone, _ = xmr(
            frame(values, area=area), period="period", group_by="area", baseline=14
        )
        together = points[points["area"] == area].reset_index(drop=True)
        pd.testing.assert_frame_equal(together, alone, check_exact=True)


def test_no_group_by_is_one_series_and_rows_are_sorted_by_period():
    df = frame(QUIET + [17.0]).iloc[::-1]
    points, summary = xmr(df, period="period", baseline=14)
    assert points["period"].tolist() == list(range(1, 16))
    assert (
        len(summary) == 1
        and summary["period"].iloc[0] == 15
        and summary["value"].iloc[0] == 17.0
    )


def test_empty_frame():
    points, summary = xmr(frame([]), period="period")
    assert len(points) == 0 and len(summary) == 0
    assert "special_cause" in points.columns and "variation_icon" in summary.columns


# ---------------------------------------------------------------------------------------------
# Rules against a plain reference written from the definitions (hypothesis)
# ---------------------------------------------------------------------------------------------


def reference_flags(x, shift, trend):
    """Each rule straight from its definition, point by point, windows and all."""
    n = len(x)
    mean = sum(x) / n
    mr_bar = sum(abs(x[i] - x[i - 1]) for i in range(1, n)) / (n - 1)
    upl, lpl = mean + 2.66 * mr_bar, mean - 2.66 * mr_bar
    u2, l2 = mean + 2.66 * 2.0 / 3.0 * mr_bar, mean - 2.66 * 2.0 / 3.0 * mr_bar
    out = {c: [False] * n for c in RULE_COLUMNS}

    def windows(length):
        return [range(s, s + length) for s in range(n - length + 1)]

    for i in range(n):
        out["above_upper_limit"][i] = x[i] > upl
        out["below_lower_limit"][i] = x[i] < lpl
    for w in windows(shift):
        for column, test in (
            ("shift_above", lambda v: v > mean),
            ("shift_below", lambda v: v < mean),
        ):
            if all(test(x[j]) for j in w):
                for j in w:
                    out[column][j] = True
    for w in windows(trend):
        pairs = list(zip(list(w)[:-1], list(w)[1:], strict=True))
        for column, test in (
            ("trend_up", lambda a, b: x[b] > x[a]),
            ("trend_down", lambda a, b: x[b] < x[a]),
        ):
            if all(test(a, b) for a, b in pairs):
                for j in w:
                    out[column][j] = True
    for w in windows(3):
        for column, side, beyond in (
            ("two_of_three_above", lambda v: v > mean, lambda v: v > u2),
            ("two_of_three_below", lambda v: v < mean, lambda v: v < l2),
        ):
            if all(side(x[j]) for j in w) and sum(beyond(x[j]) for j in w) >= 2:
                for j in w:
                    if beyond(x[j]):
                        out[column][j] = True
    return out


@settings(max_examples=300, deadline=None)
@given(
    x=st.lists(st.integers(0, 6), min_size=13, max_size=30),
    shift=st.integers(2, 8),
    trend=st.integers(2, 8),
)
def test_rules_match_reference(x, shift, trend):
    # small integers: many ties with the mean and between neighbours, and sums are exact
    values = [float(v) for v in x]
    points, _ = run(values, rules=SpcRules(shift=shift, trend=trend))
    expected = reference_flags(values, shift, trend)
    for column in RULE_COLUMNS:
        assert points[column].tolist() == expected[column], column


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def two_areas(column=None, new=None):
    """Two quiet series, areas A and B; optionally one cell of area B changed."""
    df = pd.concat(
        [frame(QUIET, area="A", pol="high"), frame(QUIET, area="B", pol="high")]
    )
    df = df.reset_index(drop=True)
    if column is not None:
        if not isinstance(new, float):
            df[column] = df[column].astype(object)
        df.loc[B_ROW, column] = new
    return df


B_ROW = 20  # a row of area B


def test_missing_column():
    with pytest.raises(ValueError, match=r"column\(s\) \['rate'\] not found"):
        xmr(frame(QUIET), "rate", period="period")
    with pytest.raises(ValueError, match=r"column\(s\) \['area'\] not found"):
        xmr(frame(QUIET), period="period", group_by="area")
    with pytest.raises(ValueError, match=r"column\(s\) \['goal'\] not found"):
        xmr(frame(QUIET), period="period", target="goal")


def test_non_numeric_value_names_column_and_series():
    df = two_areas("value", "n/a")
    with pytest.raises(ValueError, match=r"value must be numeric.*group area='B'"):
        xmr(df, period="period", group_by="area")


def test_missing_value_names_column_and_series():
    df = two_areas("value", np.nan)
    with pytest.raises(
        ValueError, match=r"value must not be missing within a series \(group area='B'"
    ):
        xmr(df, period="period", group_by="area")


def test_infinite_value():
    df = two_areas("value", np.inf)
    with pytest.raises(ValueError, match=r"value must be finite \(group area='B'"):
        xmr(df, period="period", group_by="area")


def test_duplicate_period_names_column_and_series():
    df = two_areas()
    df.loc[B_ROW, "period"] = df.loc[B_ROW - 1, "period"]
    with pytest.raises(
        ValueError,
        match=r"period has the same period more than once in a series \(group area='B'",
    ):
        xmr(df, period="period", group_by="area")


def test_missing_period():
    df = two_areas()
    df["period"] = df["period"].astype(float)
    df.loc[B_ROW, "period"] = np.nan
    with pytest.raises(
        ValueError, match=r"period must not be missing \(group area='B'"
    ):
        xmr(df, period="period", group_by="area")


def test_unknown_polarity():
    with pytest.raises(
        ValueError,
        match=r"polarity 'sideways' is neither a column of the data nor one of",
    ):
        xmr(frame(QUIET), period="period", polarity="sideways")
    df = two_areas("pol", "sideways")
    with pytest.raises(
        ValueError, match=r"pol has an unknown polarity 'sideways'.*group area='B'"
    ):
        xmr(df, period="period", group_by="area", polarity="pol")
    df = two_areas("pol", None)
    with pytest.raises(
        ValueError, match=r"pol has an unknown polarity None.*group area='B'"
    ):
        xmr(df, period="period", group_by="area", polarity="pol")


def test_polarity_must_be_constant_within_a_series():
    df = two_areas("pol", "low")
    with pytest.raises(
        ValueError,
        match=r"pol must be the same for every point of a series \(group area='B'",
    ):
        xmr(df, period="period", group_by="area", polarity="pol")


def test_non_numeric_target_column():
    df = two_areas("pol", "high")
    df["goal"] = "high"
    with pytest.raises(ValueError, match=r"goal must be numeric"):
        xmr(df, period="period", group_by="area", target="goal")


@pytest.mark.parametrize("target", [[1.0], True, np.inf])
def test_bad_target(target):
    with pytest.raises(
        ValueError, match=r"target must be a column name, a finite number or None"
    ):
        xmr(frame(QUIET), period="period", target=target)


@pytest.mark.parametrize("baseline", [1, 0, 2.5, True])
def test_bad_baseline(baseline):
    with pytest.raises(
        ValueError, match=r"baseline must be a whole number of at least 2"
    ):
        xmr(frame(QUIET), period="period", baseline=baseline)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"shift": 1}, r"SpcRules.shift must be a whole number of at least 2"),
        ({"trend": 6.0}, r"SpcRules.trend must be a whole number of at least 2"),
        (
            {"minimum_points": 1},
            r"SpcRules.minimum_points must be a whole number of at least 2",
        ),
        ({"conflict": "both"}, r"SpcRules.conflict must be one of"),
        ({"two_of_three": "yes"}, r"SpcRules.two_of_three must be True or False"),
    ],
)
def test_bad_rules(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SpcRules(**kwargs)


def test_rules_must_be_spc_rules():
    with pytest.raises(ValueError, match=r"rules must be an SpcRules"):
        xmr(frame(QUIET), period="period", rules={"shift": 7})


def test_defaults_are_nhs_england_v2_6():
    rules = SpcRules()
    assert (rules.shift, rules.trend, rules.minimum_points) == (6, 6, 13)
    assert (
        rules.outside_limits and rules.two_of_three and rules.conflict == "improvement"
    )
