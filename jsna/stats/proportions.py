"""Proportions with Wilson score confidence limits, as Fingertips and PHEindicatormethods compute them.

Method
------
The numerator and denominator are summed within each group; the value is
``numerator / denominator * multiplier``. The limits are the Wilson score interval
(Wilson 1927; Newcombe and Altman, *Statistics with confidence*, 2nd edn, 2000, pp 46-48),
the method of PHEindicatormethods ``calculate_proportion`` and of the Fingertips technical
guidance "Confidence intervals for proportions":

    p_lower, p_upper = (2O + z^2 -/+ z * sqrt(z^2 + 4 O (1 - O / n))) / (2 (n + z^2))

with ``z`` the two-sided standard normal quantile of the confidence level.

Missing values: as in PHEindicatormethods (where R's ``sum`` gives ``NA``), a group with a
missing numerator or denominator in any row is not calculated: its value and limits are missing,
the summed column that had the missing value is missing, and ``statistic`` says why. The other
groups are computed exactly (to the last bit) as they would be with valid values in that group's
rows, and so, to rounding, as without that group.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from jsna.stats._common import (
    DEFAULT_CONFIDENCE,
    as_float,
    check_numeric,
    check_values,
    confidence_levels,
    finish,
    group_list,
    limit_columns,
    require_columns,
    sum_by_group,
    z_value,
)


def format_multiplier(multiplier: float) -> str:
    """100000 -> "100,000"; 2.5 -> "2.5"."""
    if float(multiplier).is_integer():
        return f"{int(multiplier):,}"
    return f"{multiplier:g}"


def check_multiplier(multiplier: float, name: str = "multiplier") -> float:
    """A multiplier must be a finite number greater than zero."""
    if isinstance(multiplier, bool) or not np.isscalar(multiplier):
        raise ValueError(f"{name} must be a number greater than zero, got {multiplier!r}")
    value = float(multiplier)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a number greater than zero, got {multiplier!r}")
    return value


def wilson_limits(numerator: np.ndarray, denominator: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score limits for ``numerator`` successes out of ``denominator`` (as proportions, 0-1)."""
    z = z_value(confidence)
    o = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    # 4 O (1 - O/n) can be a hair below zero through rounding when O == n; clip it.
    root = z * np.sqrt(np.clip(z * z + 4.0 * o * (1.0 - o / n), 0.0, None))
    scale = 2.0 * (n + z * z)
    return (2.0 * o + z * z - root) / scale, (2.0 * o + z * z + root) / scale


def missing_reason(columns: Sequence[str]) -> str:
    """The end of the ``statistic`` text of a group not calculated because of missing values,
    e.g. "not calculated: count or denominator missing"."""
    names = list(dict.fromkeys(columns))
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"not calculated: {listed} missing"


def proportion_statistic(multiplier: float) -> str:
    """"Percentage" (100), "Proportion" (1) or "Proportion per N"."""
    if multiplier == 100:
        return "Percentage"
    if multiplier == 1:
        return "Proportion"
    return f"Proportion per {format_multiplier(multiplier)}"


def proportion(
    df: pd.DataFrame,
    numerator: str,
    denominator: str,
    *,
    group_by: str | Iterable[str] | None = None,
    confidence: float | Sequence[float] = DEFAULT_CONFIDENCE,
    multiplier: float = 100,
) -> pd.DataFrame:
    """Proportion of ``numerator`` in ``denominator`` per group, with Wilson score limits.

    Parameters
    ----------
    df
        One row per record; rows of the same group are summed.
    numerator, denominator
        Column names. Every row must have ``0 <= numerator <= denominator`` and
        ``denominator > 0``; the error names the column and the first offending group. A
        missing (NaN) numerator or denominator is not an error: that group is not calculated
        (``value`` and limits missing, ``statistic`` "Percentage not calculated: numerator or
        denominator missing") and the other groups are unaffected.
    group_by
        Column name(s) defining the groups; ``None`` for a single overall group.
    confidence
        Any level(s) strictly between 0 and 1, default 0.95 and 0.998, giving ``lower_95_0``/
        ``upper_95_0`` and ``lower_99_8``/``upper_99_8`` (0.99 gives ``lower_99_0``/``upper_99_0``).
    multiplier
        100 (percentage, default), 1 (proportion) or any other positive number.

    Returns
    -------
    DataFrame with the group columns, the summed numerator and denominator, ``value``, the
    limits, ``confidence``, ``statistic`` ("Percentage", "Proportion" or "Proportion per N")
    and ``method`` ("Wilson").
    """
    groups = group_list(group_by)
    levels = confidence_levels(confidence, any_level=True)
    multiplier = check_multiplier(multiplier)
    require_columns(df, groups + [numerator, denominator])
    check_numeric(df, [numerator, denominator], groups, allow_missing=True)
    num = as_float(df[numerator])
    den = as_float(df[denominator])
    check_values(df, numerator, groups, np.isinf(num), "must be finite")
    check_values(df, denominator, groups, np.isinf(den), "must be finite")
    check_values(df, numerator, groups, num < 0, "must be greater than or equal to zero")
    check_values(df, denominator, groups, den <= 0, "must be greater than zero")
    check_values(
        df, numerator, groups, num > den, f"must be less than or equal to {denominator} for a proportion"
    )

    # A missing value makes its group's sum missing (R's sum), and so the group's value.
    out = sum_by_group(df, groups, [numerator, denominator], skipna=False)
    o = as_float(out[numerator])
    n = as_float(out[denominator])
    missing = np.isnan(o) | np.isnan(n)
    out["value"] = o / n * multiplier
    for level in levels:
        lower, upper = wilson_limits(o, n, level)
        low_name, up_name = limit_columns(level)
        out[low_name] = lower * multiplier
        out[up_name] = upper * multiplier
    statistic = proportion_statistic(multiplier)
    if missing.any():
        statistic = np.where(missing, f"{statistic} {missing_reason([numerator, denominator])}", statistic)
    return finish(out, groups, [numerator, denominator], levels, statistic, "Wilson")
