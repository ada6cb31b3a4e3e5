"""Statistical process control: XmR charts as NHS England's "Making Data Count" draws them.

:func:`xmr` takes one or many time series (a DataFrame, the value and period columns, and
the columns that name each series), and returns a per-point table and a per-series summary
with the Making Data Count variation and assurance icons.

Method
------
For each series, in period order, with ``x_1 .. x_n`` its values:

* the limits come from the first ``b`` points, the *baseline* (``b = min(baseline, n)``, or
  ``b = n`` when no baseline is given);
* centre line ``mean = (x_1 + ... + x_b) / b``;
* moving ranges ``MR_t = |x_t - x_(t-1)|`` (t = 2..n; the first point has none) and their mean
  over the baseline ``MR-bar = (MR_2 + ... + MR_b) / (b - 1)``;
* process limits ``mean +/- 2.66 x MR-bar``. 2.66 = 3 / 1.128, where 1.128 (d2 for ranges of
  two) turns the mean moving range into an estimate of sigma, so the limits are 3 sigma;
* two-sigma lines ("near the process limits") ``mean +/- (2/3) x 2.66 x MR-bar``.

Moving-range outliers are not screened out (NHS England's Excel and SQL tools do not by
default; NHSRplotthedots does, with ``screen_outliers = TRUE``).

Special cause rules (each can be turned off or given another run length with
:class:`SpcRules`). A point is flagged:

1. *outside the limits*: above the upper or below the lower process limit (strictly; a point
   exactly on a limit is not outside it);
2. *shift*: in a run of ``shift`` (default 6) or more consecutive points all above, or all
   below, the mean. A point exactly on the mean is neither above nor below it, so it breaks
   the run;
3. *trend*: in a run of ``trend`` (default 6) or more consecutive points each higher than the
   one before (or each lower), counting both end points: 6 points, 5 rises. Two equal
   consecutive values are neither a rise nor a fall, so they break the trend;
4. *two of three*: beyond a two-sigma line and one of two or three out of three consecutive
   points beyond that line, all three points on the same side of the mean. Points beyond the
   process limit count as beyond the two-sigma line; the third point of the three is not
   itself flagged unless it too is beyond the line.

Rules 1, 2 and 4 use the baseline mean and limits for every point, baseline or not; the runs of
rules 2 to 4 may cross the end of the baseline (NHSRplotthedots ``fix_after_n_points`` does the
same; NHS England's SQL tool restarts the shift and two-of-three counts there).

Each flagged point is "higher" (rules above the mean, above a limit, rising) or "lower". With a
polarity this becomes "improvement" or "concern" ("high": higher is better; "low": lower is
better); with polarity "neither" it is "neither" (no judgement), still higher or lower. A point
can be flagged both ways (a rising trend below the mean); the ``conflict`` setting decides
which is shown: "improvement" by default, as NHS England's Single Chart Excel tool does (its
SQL tool asks for a choice per metric). With polarity "neither" a point flagged both ways is
shown as higher, the order of NHS England's SQL tool icons.

Icons, judged on the latest point:

* variation: ``common_cause``; ``improvement_high``/``improvement_low`` (special cause of an
  improving nature, higher/lower); ``concern_high``/``concern_low``; ``neither_high``/
  ``neither_low`` (polarity "neither");
* assurance (only with a target and polarity "high" or "low"; the latest point's target is
  used): with higher better, ``consistently_passing`` when target <= lower process limit,
  ``consistently_failing`` when target >= upper process limit, ``hit_and_miss`` otherwise
  (mirrored when lower is better). A target exactly on a limit counts as pass/fail, as in NHS
  England's SQL tool (v2.1 onwards).

A series whose limits would come from fewer than ``minimum_points`` (default 13) points gets
no mean, limits, flags or icons, and the reason is given in ``note``.

Sources and defaults
--------------------
* NHS England, Making Data Count: "Making data count" (2018) and "Making data count:
  strengthening your decisions" (2019) for the XmR chart, the rules and the icons.
* NHS England Making Data Count team, "SPC charts SQL query" v2.6 (10 January 2024; copy in
  NHSDigital/fdp-react-design-system, ``NHSE SPC Charts SQL Query v2.6.sql``): limits
  ``mean +/- 2.66 MR-bar``, two-sigma ``x (2/3)``; shift and trend defaults changed from 7 to
  **6** points in v2.6 (the tool warns outside 6-8); minimum points for an SPC chart changed
  to **13**; strict ``>``/``<`` comparisons with the mean and the previous point (so ties
  break runs and trends); two-of-three counting points beyond three sigma (v2.6); icons on the
  latest point; assurance with the target on a limit as pass/fail.
* NHSRplotthedots (NHS-R Community), ``ptd_spc``: the same limits; its rules still use 7 points
  for shift and trend (its issue #202 asks for 6). Pass ``SpcRules(shift=7, trend=7)`` to
  reproduce it and the pre-2024 NHS England tools.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from jsna.stats._common import (
    check_values,
    group_list,
    numeric_column,
    require_columns,
)

#: Process limits: mean +/- LIMIT_FACTOR x mean moving range (3 / 1.128, rounded as NHS England).
LIMIT_FACTOR = 2.66
#: Two-sigma ("near the limit") lines: mean +/- TWO_SIGMA_FACTOR x mean moving range.
TWO_SIGMA_FACTOR = LIMIT_FACTOR * 2.0 / 3.0

#: Polarity names accepted (case-insensitive) -> "high", "low" or "neither".
POLARITIES: dict[str, str] = {
    "high": "high",
    "high is good": "high",
    "up": "high",
    "increase": "high",
    "rag - high is good": "high",
    "low": "low",
    "low is good": "low",
    "down": "low",
    "decrease": "low",
    "rag - low is good": "low",
    "neither": "neither",
    "neutral": "neither",
    "bob - blue orange blue": "neither",
    "not applicable": "neither",
}

CONFLICTS = ("improvement", "concern")

#: Variation icon codes -> plain words (after Making Data Count's icon key).
VARIATION_ICONS: dict[str, str] = {
    "common_cause": "Common cause variation: no significant change",
    "improvement_high": "Special cause variation of an improving nature where the measure is significantly higher",
    "improvement_low": "Special cause variation of an improving nature where the measure is significantly lower",
    "concern_high": "Special cause variation of a concerning nature where the measure is significantly higher",
    "concern_low": "Special cause variation of a concerning nature where the measure is significantly lower",
    "neither_high": "Special cause variation where the measure is significantly higher (neither improving nor concerning)",
    "neither_low": "Special cause variation where the measure is significantly lower (neither improving nor concerning)",
}

#: Assurance icon codes -> plain words.
ASSURANCE_ICONS: dict[str, str] = {
    "consistently_passing": "Consistently passing: the target lies beyond the process limit on the failing side, so the process will reliably meet it",
    "consistently_failing": "Consistently failing: the target lies beyond the process limit on the passing side, so the process will not meet it without change",
    "hit_and_miss": "Hit and miss: the target lies between the process limits, so the process will sometimes meet it and sometimes not",
}

#: Per-point flag columns: (rule, side) -> column name.
FLAG_COLUMNS: dict[tuple[str, str], str] = {
    ("outside_limits", "high"): "above_upper_limit",
    ("outside_limits", "low"): "below_lower_limit",
    ("shift", "high"): "shift_above",
    ("shift", "low"): "shift_below",
    ("trend", "high"): "trend_up",
    ("trend", "low"): "trend_down",
    ("two_of_three", "high"): "two_of_three_above",
    ("two_of_three", "low"): "two_of_three_below",
}

METHOD = "XmR chart (NHS England Making Data Count): mean +/- 2.66 x mean moving range"


@dataclass(frozen=True)
class SpcRules:
    """Which special cause rules apply, their run lengths, and the minimum number of points.

    Defaults are those of NHS England's Making Data Count tools (SQL tool v2.6, January 2024).

    outside_limits
        Flag single points beyond a process limit.
    shift
        Run length for a shift (points all above or all below the mean); ``None`` turns the
        rule off. NHS England allows 6 to 8; 7 reproduces NHSRplotthedots and the pre-2024 tools.
    trend
        Run length for a trend (points each higher, or each lower, than the one before, both
        ends counted); ``None`` turns the rule off.
    two_of_three
        Flag two or three out of three consecutive points beyond a two-sigma line, all on the
        same side of the mean.
    minimum_points
        Fewest points the limits may be computed from (the baseline, or the whole series);
        shorter series get no limits, flags or icons.
    conflict
        "improvement" or "concern": which to show when a point triggers both.
    """

    outside_limits: bool = True
    shift: int | None = 6
    trend: int | None = 6
    two_of_three: bool = True
    minimum_points: int = 13
    conflict: str = "improvement"

    def __post_init__(self) -> None:
        for name in ("outside_limits", "two_of_three"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(  # noqa: TRY004 - jsna.stats raises ValueError for bad arguments
                    f"SpcRules.{name} must be True or False, got {getattr(self, name)!r}"
                )
        for name in ("shift", "trend"):
            length = getattr(self, name)
            if length is not None and (not _is_int(length) or length < 2):
                raise ValueError(
                    f"SpcRules.{name} must be a whole number of at least 2 points, or None to turn it off, got {length!r}"
                )
        if not _is_int(self.minimum_points) or self.minimum_points < 2:
            raise ValueError(
                f"SpcRules.minimum_points must be a whole number of at least 2, got {self.minimum_points!r}"
            )
        if self.conflict not in CONFLICTS:
            raise ValueError(
                f"SpcRules.conflict must be one of {CONFLICTS}, got {self.conflict!r}"
            )


class XmrResult(NamedTuple):
    """What :func:`xmr` returns: ``points, summary = xmr(...)``."""

    points: pd.DataFrame
    summary: pd.DataFrame


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )


def _normalise_polarity(name: object) -> str | None:
    if not isinstance(name, str):
        return None
    return POLARITIES.get(name.strip().lower())


def _polarity_codes(df: pd.DataFrame, polarity: str, groups: list[str]) -> np.ndarray:
    """Each row's polarity as "high", "low" or "neither" (from a column or one name for all)."""
    if isinstance(polarity, str) and polarity in df.columns:
        raw = df[polarity].astype("object")
        text = raw.where(raw.notna(), "").astype(str).str.strip().str.lower()
        mapped = text.map(POLARITIES)
        unknown = mapped.isna().to_numpy()
        if unknown.any():
            first = raw.iloc[int(np.flatnonzero(unknown)[0])]
            check_values(
                df,
                polarity,
                groups,
                unknown,
                f"has an unknown polarity {first!r} (expected one of {sorted(set(POLARITIES))}, any case)",
            )
        return mapped.to_numpy(dtype=object)
    code = _normalise_polarity(polarity)
    if code is None:
        raise ValueError(
            f"polarity {polarity!r} is neither a column of the data nor one of {sorted(set(POLARITIES))}"
        )
    return np.full(len(df), code, dtype=object)


def _run_lengths(flag: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Length of the run of consecutive True values that contains each point (0 where False).

    Runs never cross from one series to the next (``first``/``last`` mark each series' ends).
    """
    n = len(flag)
    idx = np.arange(n)
    before = np.r_[False, flag[:-1]]
    after = np.r_[flag[1:], False]
    begins = flag & (first | ~before)
    ends = flag & (last | ~after)
    begin = np.maximum.accumulate(np.where(begins, idx, -1)) if n else idx
    end = np.minimum.accumulate(np.where(ends, idx, n)[::-1])[::-1] if n else idx
    return np.where(flag, end - begin + 1, 0)


def _shift_back(a: np.ndarray, k: int) -> np.ndarray:
    """a[i + k] at position i (False past the end)."""
    return np.r_[a[k:], np.zeros(min(k, len(a)), dtype=a.dtype)]


def _shift_forward(a: np.ndarray, k: int) -> np.ndarray:
    """a[i - k] at position i (False before the start)."""
    return np.r_[np.zeros(min(k, len(a)), dtype=a.dtype), a[: len(a) - k]]


def _objects(values) -> pd.Series:
    """Values as an object column (strings or None), whatever pandas would infer."""
    return pd.Series(np.asarray(values, dtype=object), dtype=object)


def _words(codes: np.ndarray, words: dict[str, str]) -> pd.Series:
    """Plain words for icon codes (None stays None)."""
    mapped = pd.Series(np.asarray(codes, dtype=object), dtype=object).map(words)
    return mapped.astype(object).where(mapped.notna(), None)


def _join(parts: list[np.ndarray], n: int, sep: str) -> np.ndarray:
    """Join, per position, the non-empty strings of several object arrays with ``sep``."""
    out = np.full(n, "", dtype=object)
    for part in parts:
        both = (out != "") & (part != "")
        out = np.where(both, out + sep + part, np.where(part != "", part, out))
    return out


def xmr(
    df: pd.DataFrame,
    value: str = "value",
    *,
    period: str,
    group_by: str | Iterable[str] | None = None,
    polarity: str = "neither",
    target: str | float | None = None,
    baseline: int | None = None,
    rules: SpcRules | None = None,
) -> XmrResult:
    """XmR (individuals) charts with Making Data Count special cause rules and icons.

    See the module docstring for the method, the rules and their sources.

    Parameters
    ----------
    df
        One row per series and period.
    value
        Numeric column of values; none may be missing or infinite.
    period
        Column giving the order of points within a series (years, dates, or labels that sort
        in time order). Missing or duplicated periods within a series raise ``ValueError``.
    group_by
        Column name(s) defining the series (``None``: the whole frame is one series).
    polarity
        "high" (higher is better; also "high is good", "up", "increase", "RAG - High is
        good"), "low" (also "low is good", "down", "decrease", "RAG - Low is good") or
        "neither" (also "neutral", "BOB - Blue orange blue", "Not applicable"), any case; or
        the name of a column holding one of these, the same for every row of a series.
    target
        A number, or a numeric column (the latest point's target is used; missing means no
        target); ``None`` for no assurance icon.
    baseline
        Compute the mean and limits from the first ``baseline`` points of each series (at
        least 2); ``None`` uses every point.
    rules
        :class:`SpcRules`; ``None`` uses NHS England's defaults.

    Returns
    -------
    :class:`XmrResult` ``(points, summary)``.

    ``points``: one row per input row, sorted by series then period: the group columns,
    ``period`` and ``value`` (under their own names), ``baseline`` (True for points the limits
    come from), ``moving_range``, ``mean``, ``lower_process_limit``, ``upper_process_limit``,
    ``lower_two_sigma``, ``upper_two_sigma``, one True/False column per rule and side
    (``above_upper_limit``, ``below_lower_limit``, ``shift_above``, ``shift_below``,
    ``trend_up``, ``trend_down``, ``two_of_three_above``, ``two_of_three_below``),
    ``special_cause`` ("improvement", "concern", "neither" or "") and
    ``special_cause_direction`` ("higher", "lower" or "").

    ``summary``: one row per series, sorted by the group columns: the group columns, ``period``
    (latest, under its own name), ``value`` (latest, under its own name), ``points``,
    ``baseline_points``, ``mean``, ``moving_range_mean``, the four limit columns,
    ``polarity`` ("high"/"low"/"neither"), ``target``, ``latest_rules`` (the rule columns set
    at the latest point, comma-separated), ``variation_icon`` and ``variation`` (code and
    words), ``assurance_icon`` and ``assurance`` (code and words, ``None`` without a target or
    with polarity "neither"), ``description`` (a sentence on the latest point), ``note``
    (why nothing was computed, "" otherwise) and ``method``.
    """
    rules = SpcRules() if rules is None else rules
    if not isinstance(rules, SpcRules):
        raise ValueError(  # noqa: TRY004 - jsna.stats raises ValueError for bad arguments
            f"rules must be an SpcRules, got {type(rules).__name__}"
        )
    if baseline is not None and (not _is_int(baseline) or baseline < 2):
        raise ValueError(
            f"baseline must be a whole number of at least 2 points, or None, got {baseline!r}"
        )
    groups = group_list(group_by)
    polarity_column = isinstance(polarity, str) and polarity in df.columns
    target_column = isinstance(target, str)
    if (
        target is not None
        and not target_column
        and (
            isinstance(target, bool)
            or not np.isscalar(target)
            or not np.isfinite(target)
        )
    ):
        raise ValueError(
            f"target must be a column name, a finite number or None, got {target!r}"
        )
    require_columns(
        df,
        groups
        + [period, value]
        + ([polarity] if polarity_column else [])
        + ([target] if target_column else []),
    )

    # ---- validate values, periods, polarity and target ----------------------------------
    x_all = numeric_column(df, value, groups)
    check_values(
        df, value, groups, np.isnan(x_all), "must not be missing within a series"
    )
    check_values(df, value, groups, np.isinf(x_all), "must be finite")
    check_values(
        df, period, groups, df[period].isna().to_numpy(), "must not be missing"
    )
    duplicated = df.duplicated(subset=groups + [period], keep="first").to_numpy()
    check_values(
        df, period, groups, duplicated, "has the same period more than once in a series"
    )
    codes_all = _polarity_codes(df, polarity, groups)
    if target_column:
        target_all = numeric_column(df, target, groups)
        check_values(
            df,
            target,
            groups,
            np.isinf(target_all),
            "must be finite (or missing for no target)",
        )
    else:
        target_all = np.full(len(df), np.nan if target is None else float(target))

    # ---- order each series by period ----------------------------------------------------
    work = pd.DataFrame({"_row": np.arange(len(df))}, index=df.index)
    if groups:
        work["_gid"] = (
            df.groupby(groups, sort=True, dropna=False, observed=True)
            .ngroup()
            .to_numpy()
        )
    else:
        work["_gid"] = 0
    work["_period"] = df[period].to_numpy()
    work = work.sort_values(["_gid", "_period"], kind="stable")
    order = work["_row"].to_numpy()
    gid = work["_gid"].to_numpy()
    n = len(order)
    n_groups = int(gid.max()) + 1 if n else 0
    x = x_all[order]
    first = np.r_[True, gid[1:] != gid[:-1]] if n else np.zeros(0, dtype=bool)
    last = np.r_[gid[1:] != gid[:-1], True] if n else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(first)
    ends = np.flatnonzero(last)
    sizes = np.bincount(gid, minlength=n_groups)
    pos = np.arange(n) - starts[gid] if n else np.zeros(0, dtype=int)

    codes = codes_all[order]
    changed = codes != codes[starts[gid]] if n else np.zeros(0, dtype=bool)
    if changed.any():
        bad = np.zeros(len(df), dtype=bool)
        bad[order[changed]] = True
        check_values(
            df, polarity, groups, bad, "must be the same for every point of a series"
        )
    group_code = codes[ends] if n else np.array([], dtype=object)

    # ---- mean, moving ranges and limits from the baseline -------------------------------
    used = np.minimum(sizes, baseline) if baseline is not None else sizes
    ok = used >= rules.minimum_points
    in_base = pos < used[gid]
    moving_range = (
        np.where(first, np.nan, np.abs(x - np.r_[np.nan, x[:-1]])) if n else x
    )
    mr_in_base = in_base & ~first
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_g = (
            np.bincount(gid, weights=np.where(in_base, x, 0.0), minlength=n_groups)
            / used
        )
        mr_bar_g = np.bincount(
            gid, weights=np.where(mr_in_base, moving_range, 0.0), minlength=n_groups
        ) / (used - 1)
    mean_g = np.where(ok, mean_g, np.nan)
    mr_bar_g = np.where(ok, mr_bar_g, np.nan)
    upl_g = mean_g + LIMIT_FACTOR * mr_bar_g
    lpl_g = mean_g - LIMIT_FACTOR * mr_bar_g
    u2_g = mean_g + TWO_SIGMA_FACTOR * mr_bar_g
    l2_g = mean_g - TWO_SIGMA_FACTOR * mr_bar_g
    mean, upl, lpl, u2, l2 = (a[gid] for a in (mean_g, upl_g, lpl_g, u2_g, l2_g))
    ok_pt = ok[gid] if n else np.zeros(0, dtype=bool)

    # ---- special cause rules (NaN limits compare False, so short series flag nothing) ----
    flags: dict[str, np.ndarray] = {}
    off = np.zeros(n, dtype=bool)
    above = x > mean
    below = x < mean
    flags["above_upper_limit"] = (x > upl) if rules.outside_limits else off
    flags["below_lower_limit"] = (x < lpl) if rules.outside_limits else off
    if rules.shift is not None:
        flags["shift_above"] = above & (_run_lengths(above, first, last) >= rules.shift)
        flags["shift_below"] = below & (_run_lengths(below, first, last) >= rules.shift)
    else:
        flags["shift_above"] = flags["shift_below"] = off
    if rules.trend is not None:
        previous = np.r_[np.nan, x[:-1]] if n else x
        for name, step in (
            ("trend_up", ok_pt & ~first & (x > previous)),
            ("trend_down", ok_pt & ~first & (x < previous)),
        ):
            # A trend of k points is k - 1 consecutive rises (or falls); flag both ends.
            in_trend = step & (_run_lengths(step, first, last) >= rules.trend - 1)
            flags[name] = in_trend | _shift_back(in_trend, 1)
    else:
        flags["trend_up"] = flags["trend_down"] = off
    if rules.two_of_three:
        # Windows of three points starting at each position, inside one series.
        whole = pos + 2 < sizes[gid] if n else off
        for name, side, beyond in (
            ("two_of_three_above", above, x > u2),
            ("two_of_three_below", below, x < l2),
        ):
            count = beyond.astype(int) + _shift_back(beyond, 1) + _shift_back(beyond, 2)
            window = (
                whole
                & side
                & _shift_back(side, 1)
                & _shift_back(side, 2)
                & (count >= 2)
            )
            member = window | _shift_forward(window, 1) | _shift_forward(window, 2)
            flags[name] = beyond & member
    else:
        flags["two_of_three_above"] = flags["two_of_three_below"] = off

    high = (
        flags["above_upper_limit"]
        | flags["shift_above"]
        | flags["trend_up"]
        | flags["two_of_three_above"]
    )
    low = (
        flags["below_lower_limit"]
        | flags["shift_below"]
        | flags["trend_down"]
        | flags["two_of_three_below"]
    )
    pol_high, pol_low, pol_neither = codes == "high", codes == "low", codes == "neither"
    improvement = (pol_high & high) | (pol_low & low)
    concern = (pol_high & low) | (pol_low & high)
    both = improvement & concern
    if rules.conflict == "improvement":
        concern = concern & ~both
    else:
        improvement = improvement & ~both
    neither = pol_neither & (high | low)
    special_cause = np.select(
        [improvement, concern, neither], ["improvement", "concern", "neither"], ""
    ).astype(object)
    # Direction shown: the side that won; for "neither", higher first (as NHS England's icons).
    shown_high = (pol_high & improvement) | (pol_low & concern) | (pol_neither & high)
    shown_low = ~shown_high & (
        (pol_high & concern) | (pol_low & improvement) | (pol_neither & low)
    )
    direction = np.select([shown_high, shown_low], ["higher", "lower"], "").astype(
        object
    )

    # ---- per-point table ----------------------------------------------------------------
    points = df.iloc[order][groups + [period, value]].reset_index(drop=True)
    points["baseline"] = in_base & ok_pt
    points["moving_range"] = moving_range
    points["mean"] = mean
    points["lower_process_limit"] = lpl
    points["upper_process_limit"] = upl
    points["lower_two_sigma"] = l2
    points["upper_two_sigma"] = u2
    for column in FLAG_COLUMNS.values():
        points[column] = flags[column]
    points["special_cause"] = special_cause
    points["special_cause_direction"] = direction

    # ---- per-series summary -------------------------------------------------------------
    latest_rows = order[ends] if n else np.zeros(0, dtype=int)
    summary = df.iloc[latest_rows][groups + [period, value]].reset_index(drop=True)
    summary["points"] = sizes
    summary["baseline_points"] = used
    summary["mean"] = mean_g
    summary["moving_range_mean"] = mr_bar_g
    summary["lower_process_limit"] = lpl_g
    summary["upper_process_limit"] = upl_g
    summary["lower_two_sigma"] = l2_g
    summary["upper_two_sigma"] = u2_g
    summary["polarity"] = group_code
    target_g = target_all[latest_rows]
    summary["target"] = target_g

    latest_flags = {column: flags[column][ends] for column in FLAG_COLUMNS.values()}
    summary["latest_rules"] = _join(
        [
            np.where(latest_flags[c], c, "").astype(object)
            for c in FLAG_COLUMNS.values()
        ],
        n_groups,
        ", ",
    )
    sc_last, dir_last = special_cause[ends], direction[ends]
    side_code = np.where(dir_last == "higher", "high", "low").astype(object)
    icon = np.where(sc_last == "", "common_cause", sc_last + "_" + side_code)
    icon = np.where(ok, icon, None).astype(object)
    summary["variation_icon"] = _objects(icon)
    summary["variation"] = _words(icon, VARIATION_ICONS)

    judged = ok & np.isin(group_code, ["high", "low"]) & ~np.isnan(target_g)
    up = group_code == "high"
    with np.errstate(invalid="ignore"):
        passing = np.where(up, target_g <= lpl_g, target_g >= upl_g)
        failing = np.where(up, target_g >= upl_g, target_g <= lpl_g)
    assurance = np.select(
        [passing, failing],
        ["consistently_passing", "consistently_failing"],
        "hit_and_miss",
    )
    assurance = np.where(judged, assurance, None).astype(object)
    summary["assurance_icon"] = _objects(assurance)
    summary["assurance"] = _words(assurance, ASSURANCE_ICONS)

    # Description of the latest point: the words of the icon and the rules on the side shown.
    shift_len, trend_len = rules.shift, rules.trend
    phrases = {
        "above_upper_limit": "above the upper process limit",
        "below_lower_limit": "below the lower process limit",
        "shift_above": f"in a run of {shift_len} or more points above the mean",
        "shift_below": f"in a run of {shift_len} or more points below the mean",
        "trend_up": f"in a run of {trend_len} or more points each higher than the one before",
        "trend_down": f"in a run of {trend_len} or more points each lower than the one before",
        "two_of_three_above": "one of 2 or 3 out of 3 consecutive points above the upper two-sigma line",
        "two_of_three_below": "one of 2 or 3 out of 3 consecutive points below the lower two-sigma line",
    }
    side_high = dir_last == "higher"
    side_low = dir_last == "lower"
    parts = []
    for (_, side), column in FLAG_COLUMNS.items():
        shown = side_high if side == "high" else side_low
        parts.append(
            np.where(latest_flags[column] & shown, phrases[column], "").astype(object)
        )
    reasons = _join(parts, n_groups, " and ")
    words = summary["variation"].to_numpy(dtype=object)
    note = np.where(
        ok,
        "",
        f"fewer than {rules.minimum_points} points to compute the limits from ("
        + used.astype(str).astype(object)
        + ")",
    ).astype(object)
    description = np.where(
        reasons != "",
        np.where(ok, words, "").astype(object) + ": the latest point is " + reasons,
        words,
    )
    description = np.where(ok, description, "Not computed: " + note).astype(object)
    summary["description"] = description
    summary["note"] = note
    summary["method"] = METHOD
    return XmrResult(points=points, summary=summary)
