"""Comparisons with a benchmark and recent-trend markers, as Fingertips shows them.

* :func:`compare` labels each area against a benchmark (England, region, ...) by whether the
  benchmark lies inside the area's confidence interval (Fingertips' "compared with benchmark"
  colours for the confidence-interval method).
* :func:`recent_trend` gives the Fingertips recent-trend marker over the last five points of a
  time series.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy.special import chdtri

from jsna.stats._common import (
    check_values,
    group_list,
    limit_columns,
    numeric_column,
    require_columns,
    z_value,
)

#: Fingertips polarity names -> the direction that is good ("high", "low"), "bob" (blue orange
#: blue: higher/lower without judgement) or None (not compared).
POLARITIES: dict[str, str | None] = {
    "RAG - High is good": "high",
    "RAG - Low is good": "low",
    "BOB - Blue orange blue": "bob",
    "Not applicable": None,
}

COMPARE_METHODS = ("95", "95_99_8")

NOT_COMPARED = "Not compared"
SIMILAR = "Similar"

#: Points used by the recent-trend marker.
TREND_POINTS = 5
#: Chi-squared (1 df) critical value for the trend marker: 0.2% two-sided (0.1% in each
#: direction), Excel CHIINV(0.002, 1) = 9.54953570608324 in the Fingertips source.
TREND_CRITICAL_CHI_SQUARED = float(chdtri(1, 0.002))

TREND_KINDS = ("proportion", "rate", "other")
CANNOT_CALCULATE = "Could not be calculated"
NO_CHANGE = "No significant change"


def _polarity_codes(df: pd.DataFrame, polarity: str | None, groups: list[str]) -> np.ndarray:
    """Each row's polarity as "high", "low", "bob" or None.

    ``polarity`` is a column name, a polarity name applied to every row, or None (no polarity).
    """
    if polarity is None:
        return np.full(len(df), None, dtype=object)
    if polarity in df.columns:
        names = df[polarity].astype("object")
        missing = names.isna().to_numpy()
        text = names.where(~missing, "").astype(str).str.strip()
        known = text.isin(POLARITIES.keys()).to_numpy() | missing
        if not known.all():
            first = df[polarity].iloc[int(np.flatnonzero(~known)[0])]
            check_values(
                df, polarity, groups, ~known,
                f"has an unknown polarity {first!r} (expected one of {list(POLARITIES)} or missing)",
            )
        mapped = text.map(POLARITIES)
        codes = np.where(missing | mapped.isna().to_numpy(), None, mapped.to_numpy(dtype=object))
        return codes.astype(object)
    if polarity in POLARITIES:
        return np.full(len(df), POLARITIES[polarity], dtype=object)
    raise ValueError(
        f"polarity {polarity!r} is neither a column of the data nor one of {list(POLARITIES)}"
    )


def _judge(direction: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """"Higher"/"Lower" -> "Better"/"Worse" by polarity; unchanged for blue-orange-blue."""
    high_good = codes == "high"
    low_good = codes == "low"
    higher = direction == "Higher"
    lower = direction == "Lower"
    out = direction.astype(object).copy()
    out[(higher & high_good) | (lower & low_good)] = "Better"
    out[(higher & low_good) | (lower & high_good)] = "Worse"
    return out


def compare(
    df: pd.DataFrame,
    *,
    value: str = "value",
    benchmark: str | float = "benchmark",
    polarity: str | None = "polarity",
    method: str = "95",
) -> pd.DataFrame:
    """Compare each row's value with a benchmark using the row's confidence interval.

    Parameters
    ----------
    df
        Rows with ``value``, the limit columns (``lower_95_0``/``upper_95_0``, and
        ``lower_99_8``/``upper_99_8`` for ``method="95_99_8"``), the benchmark and the polarity.
    value
        Column of indicator values (only used to decide whether there is anything to compare).
    benchmark
        Column of benchmark values (e.g. England's value for the same indicator and period), or
        one number for every row. The benchmark's own confidence interval is not used.
    polarity
        Column of Fingertips polarity names, or one polarity name for every row:
        "RAG - High is good", "RAG - Low is good", "BOB - Blue orange blue" or "Not applicable".
    method
        "95": one interval; "95_99_8": both intervals.

    Returns
    -------
    A copy of ``df`` with a ``comparison`` column:

    * "Similar" when the benchmark lies inside the interval, ends included;
    * otherwise "Better"/"Worse" for RAG polarities ("Higher"/"Lower" for blue-orange-blue),
      suffixed " 95%" or " 99.8%" with ``method="95_99_8"`` (99.8% when the benchmark lies
      outside the 99.8% interval, 95% when it lies outside the 95% interval only);
    * "Not compared" when the polarity is "Not applicable" or missing, or the value, a limit or
      the benchmark is missing.
    """
    if method not in COMPARE_METHODS:
        raise ValueError(f"method must be one of {COMPARE_METHODS}, got {method!r}")
    levels = (0.95,) if method == "95" else (0.95, 0.998)
    limits = [name for level in levels for name in limit_columns(level)]
    needed = [value] + limits + ([benchmark] if isinstance(benchmark, str) else [])
    require_columns(df, needed)
    codes = _polarity_codes(df, polarity, [])

    values = numeric_column(df, value)
    if isinstance(benchmark, str):
        bench = numeric_column(df, benchmark)
    else:
        if isinstance(benchmark, bool) or not np.isscalar(benchmark):
            raise ValueError(f"benchmark must be a column name or a number, got {benchmark!r}")
        bench = np.full(len(df), float(benchmark))

    missing = np.isnan(values) | np.isnan(bench) | np.array([c is None for c in codes], dtype=bool)
    direction = np.full(len(df), SIMILAR, dtype=object)
    suffix = np.full(len(df), "", dtype=object)
    # Walk from the narrowest interval to the widest so the widest one outside wins.
    for level in levels:
        low_name, up_name = limit_columns(level)
        low = numeric_column(df, low_name)
        up = numeric_column(df, up_name)
        missing |= np.isnan(low) | np.isnan(up)
        above = low > bench
        below = up < bench
        outside = above | below
        direction = np.where(above, "Higher", np.where(below, "Lower", direction))
        if len(levels) > 1:
            label = f" {level * 100:g}%"
            suffix = np.where(outside, label, suffix)

    labels = _judge(direction, codes)
    labels = np.where(labels == SIMILAR, SIMILAR, labels + suffix.astype(object))
    labels = np.where(missing, NOT_COMPARED, labels)
    out = df.copy()
    out["comparison"] = labels.astype(object)
    return out


# --------------------------------------------------------------------------------------------
# Recent trend
# --------------------------------------------------------------------------------------------


def _ols_slope(y: np.ndarray, t: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least-squares slope of y on t per row of the (groups x points) arrays.

    ``w`` is the weight of each point (0 drops it). Unweighted regression is ``w`` in {0, 1}.
    """
    s1 = w.sum(axis=1)
    st = (w * t).sum(axis=1)
    sy = (w * y).sum(axis=1)
    sty = (w * t * y).sum(axis=1)
    stt = (w * t * t).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (s1 * sty - st * sy) / (s1 * stt - st * st)


def _proportion_trend(r: np.ndarray, n: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Chi-squared test for trend in proportions and the direction of the trend.

    Returns chi-squared, the full slope and the leave-one-out slopes (one per point).
    """
    big_n = n.sum(axis=1)
    big_r = r.sum(axis=1)
    u = big_n * (r * t).sum(axis=1) - big_r * (n * t).sum(axis=1)
    v = big_r * (big_n - big_r) * (big_n * (n * t * t).sum(axis=1) - (n * t).sum(axis=1) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = big_n * u * u / v

    # Direction: ordinary least-squares slope of logit(r / n) on t, as Fingertips. A logit is
    # infinite when a point has 0 events or events == denominator; for such a series the
    # direction is taken from the trend test's own score U (same sign as its slope).
    finite = ((r > 0) & (r < n)).all(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        logit = np.where(finite[:, None], np.log(r / (n - r)), 0.0)
    ones = np.ones_like(t)
    slope = np.where(finite, _ols_slope(logit, t, ones), u)
    leave_one_out = []
    for j in range(t.shape[1]):
        keep = np.ones_like(t)
        keep[:, j] = 0.0
        nj, rj = n * keep, r * keep
        uj = nj.sum(axis=1) * (rj * t).sum(axis=1) - rj.sum(axis=1) * (nj * t).sum(axis=1)
        leave_one_out.append(np.where(finite, _ols_slope(logit, t, keep), uj))
    return chi2, slope, leave_one_out


def _weighted_trend(x: np.ndarray, se: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Inverse-variance weighted regression of the values on time (Fingertips, other types)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        w = 1.0 / (se * se)
    s1 = w.sum(axis=1)
    st = (w * t).sum(axis=1)
    stt = (w * t * t).sum(axis=1)
    slope = _ols_slope(x, t, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = s1 / (s1 * stt - st * st)
        chi2 = slope * slope / variance
    leave_one_out = []
    for j in range(t.shape[1]):
        wj = w.copy()
        wj[:, j] = 0.0
        leave_one_out.append(_ols_slope(x, t, wj))
    return chi2, slope, leave_one_out


def recent_trend(
    df: pd.DataFrame,
    *,
    period: str,
    value: str = "value",
    count: str | None = None,
    denominator: str | None = None,
    lower: str = "lower_95_0",
    upper: str = "upper_95_0",
    polarity: str | None = "polarity",
    group_by: str | Iterable[str] | None = None,
    kind: str = "proportion",
) -> pd.DataFrame:
    """Fingertips recent-trend marker over the last five points of each group's time series.

    Method (Fingertips technical guidance, "Fingertips trend markers", Office for Health
    Improvement and Disparities; the same method as PHEindicatormethods ``assign_trend_markers``
    and the Fingertips ``TrendMarkerCalculator``):

    * The five most recent points of each group (sorted by ``period``) are used, with time
      ``t`` the period itself when ``period`` is numeric (years) and 1..5 otherwise.
    * ``kind="proportion"``: chi-squared test for trend in proportions (Cochran-Armitage) on
      the counts ``r_t`` and denominators ``n_t``, with ``N = sum n_t`` and ``R = sum r_t``::

          chi2 = N (N sum(r_t t) - R sum(n_t t))^2 / (R (N - R) (N sum(n_t t^2) - (sum n_t t)^2))

      and the direction from the least-squares slope of ``logit(r_t / n_t)`` on ``t``.
    * ``kind="rate"`` (or ``"other"``; any value with 95% confidence limits: rates, DSRs, ratios,
      life expectancy, ...): inverse-variance weighted regression of the value on ``t``, with
      ``se_t = (upper_t - lower_t) / (2 x 1.959964)``, weights ``w_t = 1 / se_t^2``::

          beta = (S_w S_wtx - S_wt S_wx) / (S_w S_wtt - S_wt^2)
          var(beta) = S_w / (S_w S_wtt - S_wt^2),  chi2 = beta^2 / var(beta)

    * The trend is significant when ``chi2 > 9.5495`` (chi-squared on 1 df at 0.2%: 99.8%
      two-sided, that is 99.9% in each direction), and the direction is confirmed only if
      the slope keeps its sign when each of the five points is left out in turn (otherwise an
      outlier drives it and the marker is "No significant change").

    Labels: "Increasing and getting better", "Increasing and getting worse", "Decreasing and
    getting better", "Decreasing and getting worse" (RAG polarities); "Increasing",
    "Decreasing" (blue-orange-blue, "Not applicable" or no polarity); "No significant change";
    "Could not be calculated" (fewer than five points, or a missing or unusable input among
    the last five, e.g. a zero-width confidence interval).

    Deliberate choices where the sources are silent or disagree (see tests/test_stats_compare.py):
    a proportion series with a point of 0 events (or events == denominator) has an infinite
    logit, so its direction is taken from the sign of the trend test's score instead; a series
    with no events at all (R = 0 or R = N) is "No significant change". PHEindicatormethods
    divides the value, but not its limits, by ``multiplier`` for "other" types, which changes
    chi-squared; here value and limits are used on the same scale, as Fingertips does.

    Parameters
    ----------
    df
        One row per group and period.
    period
        Column of periods; numeric (years) or sortable labels. Duplicate periods within a group
        raise ``ValueError``.
    value, lower, upper
        Value and 95% limit columns (``kind="rate"``/``"other"``).
    count, denominator
        Event and denominator columns (``kind="proportion"``); negative counts, denominators
        <= 0 and counts above denominators raise ``ValueError``; missing ones give "Could not be
        calculated".
    polarity
        Polarity column, one polarity name for all rows, or ``None``; the latest row's
        polarity is used.
    group_by
        Column name(s) defining the series.
    kind
        "proportion", "rate" or "other" (the last two are the same method).

    Returns
    -------
    One row per group: the group columns, ``period`` (the latest period of the group, under the
    ``period`` column's name), ``points`` (points available, at most 5), ``chi_squared``,
    ``slope`` (logit slope for proportions, value units per period otherwise), ``trend`` and
    ``reason``.
    """
    if kind not in TREND_KINDS:
        raise ValueError(f"kind must be one of {TREND_KINDS}, got {kind!r}")
    groups = group_list(group_by)
    if kind == "proportion":
        if count is None or denominator is None:
            raise ValueError("recent_trend with kind='proportion' needs count= and denominator= columns")
        inputs = [count, denominator]
    else:
        inputs = [value, lower, upper]
    require_columns(df, groups + [period] + inputs + ([polarity] if polarity in df.columns else []))
    for column in inputs:
        numeric_column(df, column)
    check_values(df, period, groups, df[period].isna().to_numpy(), "must not be missing")
    duplicated = df.duplicated(subset=groups + [period], keep="first").to_numpy()
    check_values(df, period, groups, duplicated, "has the same period more than once in a group")
    codes_all = _polarity_codes(df, polarity, groups)
    if kind == "proportion":
        r_all = numeric_column(df, count)
        n_all = numeric_column(df, denominator)
        check_values(df, count, groups, r_all < 0, "must be greater than or equal to zero")
        check_values(df, denominator, groups, n_all <= 0, "must be greater than zero")
        check_values(df, count, groups, r_all > n_all, f"must be less than or equal to {denominator}")

    # Order each series and keep its last five points, oldest first, in a (groups x 5) grid.
    work = pd.DataFrame({"_row": np.arange(len(df))}, index=df.index)
    for g in groups:
        work[g] = df[g]
    work["_period"] = df[period]
    if groups:
        work["_gid"] = work.groupby(groups, sort=True, dropna=False, observed=True).ngroup().to_numpy()
    else:
        work["_gid"] = 0
    work = work.sort_values(["_gid", "_period"], kind="stable")
    work["_from_end"] = work.groupby("_gid").cumcount(ascending=False).to_numpy()
    sizes = work.groupby("_gid").size().to_numpy()
    n_groups = len(sizes)
    keys = work[work["_from_end"] == 0]
    recent = work[work["_from_end"] < TREND_POINTS]
    gid = recent["_gid"].to_numpy()
    col = TREND_POINTS - 1 - recent["_from_end"].to_numpy()
    rows = recent["_row"].to_numpy()

    def grid(values: np.ndarray) -> np.ndarray:
        out = np.full((n_groups, TREND_POINTS), np.nan)
        out[gid, col] = values[rows]
        return out

    if pd.api.types.is_numeric_dtype(df[period]) and not pd.api.types.is_bool_dtype(df[period]):
        t = grid(df[period].to_numpy(dtype=float))
    else:
        t = np.tile(np.arange(1.0, TREND_POINTS + 1.0), (n_groups, 1))

    enough = sizes >= TREND_POINTS
    reason = np.where(enough, "", f"fewer than {TREND_POINTS} points").astype(object)
    if kind == "proportion":
        r, n = grid(r_all), grid(n_all)
        usable = ~(np.isnan(r) | np.isnan(n)).any(axis=1)
        reason = np.where(enough & ~usable, "missing count or denominator", reason)
        ok = enough & usable
        r = np.where(ok[:, None], r, 0.0)
        n = np.where(ok[:, None], n, 1.0)
        t_ok = np.where(ok[:, None], t, np.arange(1.0, TREND_POINTS + 1.0))
        chi2, slope, leave_one_out = _proportion_trend(r, n, t_ok)
        no_events = ok & ~np.isfinite(chi2)
        reason = np.where(no_events, "no variation: no events or all events", reason)
    else:
        x, lo, up = grid(numeric_column(df, value)), grid(numeric_column(df, lower)), grid(numeric_column(df, upper))
        usable = ~(np.isnan(x) | np.isnan(lo) | np.isnan(up)).any(axis=1)
        reason = np.where(enough & ~usable, "missing value or confidence limit", reason)
        se = (up - lo) / (2.0 * z_value(0.95))
        positive = (se > 0).all(axis=1) & np.isfinite(se).all(axis=1)
        reason = np.where(enough & usable & ~positive, "confidence interval of zero or negative width", reason)
        ok = enough & usable & positive
        x = np.where(ok[:, None], x, 0.0)
        se = np.where(ok[:, None], se, 1.0)
        t_ok = np.where(ok[:, None], t, np.arange(1.0, TREND_POINTS + 1.0))
        chi2, slope, leave_one_out = _weighted_trend(x, se, t_ok)
        no_events = np.zeros(n_groups, dtype=bool)

    direction = np.sign(slope)
    stable = np.ones(n_groups, dtype=bool)
    for slope_j in leave_one_out:
        stable &= np.sign(slope_j) == direction
    computed = ok & ~no_events
    significant = computed & (chi2 > TREND_CRITICAL_CHI_SQUARED) & (direction != 0)
    confirmed = significant & stable
    reason = np.where(computed & ~significant, "no significant trend", reason)
    reason = np.where(significant & ~stable, "outlier: the slope changes sign when a point is left out", reason)
    reason = np.where(confirmed, "significant trend, no outliers", reason)

    codes = codes_all[keys["_row"].to_numpy()]
    rising = np.where(direction > 0, "Increasing", "Decreasing").astype(object)
    better = ((direction > 0) & (codes == "high")) | ((direction < 0) & (codes == "low"))
    worse = ((direction > 0) & (codes == "low")) | ((direction < 0) & (codes == "high"))
    marker = rising.copy()
    marker[better] = marker[better] + " and getting better"
    marker[worse] = marker[worse] + " and getting worse"
    trend = np.where(confirmed, marker, np.where(computed | no_events, NO_CHANGE, CANNOT_CALCULATE))

    out = keys[groups].reset_index(drop=True) if groups else pd.DataFrame(index=range(n_groups))
    out[period] = df[period].to_numpy()[keys["_row"].to_numpy()]
    out["points"] = np.minimum(sizes, TREND_POINTS)
    out["chi_squared"] = np.where(computed, chi2, np.nan)
    out["slope"] = np.where(computed, slope, np.nan)
    out["trend"] = trend.astype(object)
    out["reason"] = reason.astype(object)
    return out
