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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from jsna.stats._common import (
    DEFAULT_CONFIDENCE,
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
        ``denominator > 0``; the error names the column and the first offending group.
    group_by
        Column name(s) defining the groups; ``None`` for a single overall group.
    confidence
        0.95, 0.998 or both (default both), giving ``lower_95_0``/``upper_95_0`` and
        ``lower_99_8``/``upper_99_8``.
    multiplier
        100 (percentage, default), 1 (proportion) or any other positive number.

    Returns
    -------
    DataFrame with the group columns, the summed numerator and denominator, ``value``, the
    limits, ``confidence``, ``statistic`` ("Percentage", "Proportion" or "Proportion per N")
    and ``method`` ("Wilson").
    """
    groups = group_list(group_by)
    levels = confidence_levels(confidence)
    multiplier = check_multiplier(multiplier)
    require_columns(df, groups + [numerator, denominator])
    check_numeric(df, [numerator, denominator], groups)
    num = df[numerator].to_numpy(dtype=float)
    den = df[denominator].to_numpy(dtype=float)
    check_values(df, numerator, groups, ~np.isfinite(num), "must be finite")
    check_values(df, denominator, groups, ~np.isfinite(den), "must be finite")
    check_values(df, numerator, groups, num < 0, "must be greater than or equal to zero")
    check_values(df, denominator, groups, den <= 0, "must be greater than zero")
    check_values(
        df, numerator, groups, num > den, f"must be less than or equal to {denominator} for a proportion"
    )

    out = sum_by_group(df, groups, [numerator, denominator])
    o = out[numerator].to_numpy(dtype=float)
    n = out[denominator].to_numpy(dtype=float)
    out["value"] = o / n * multiplier
    for level in levels:
        lower, upper = wilson_limits(o, n, level)
        low_name, up_name = limit_columns(level)
        out[low_name] = lower * multiplier
        out[up_name] = upper * multiplier
    return finish(out, groups, [numerator, denominator], levels, proportion_statistic(multiplier), "Wilson")
