"""Scoring a value against a target, as a council's performance report does.

* **Score.** The *margin* is how far the value is on the good side of the target
  (``value - target`` when high is good, ``target - value`` when low is good). A margin of zero
  or more is ``on target``; a shortfall no larger than the tolerance is ``tolerance``; a larger
  shortfall is ``below target``; no value is ``missing``. The tolerance is a band on the failing
  side of the target, either ``absolute`` (in the value's unit: 3 means 3 percentage points for
  a percentage) or ``percent of target`` (10 means 10% of the target). Both ends of the
  tolerance band count as ``tolerance``. Values are compared at the precision they are reported
  at (``decimals``).
* **Trend.** Two values rounded to ``decimals``: equal rounded values are ``consistent``;
  otherwise the change is ``improving`` or ``worsening`` judged with the polarity. Without both
  values the trend is ``not compared``.
"""

from __future__ import annotations

import numpy as np

HIGH_IS_GOOD = "RAG - High is good"
LOW_IS_GOOD = "RAG - Low is good"
POLARITIES = (HIGH_IS_GOOD, LOW_IS_GOOD)
TOLERANCE_BASES = ("absolute", "percent of target")
SCORES = ("on target", "tolerance", "below target", "missing")
TRENDS = ("improving", "consistent", "worsening", "not compared")


def good_sign(polarity) -> np.ndarray:
    polarity = np.asarray(polarity, dtype=object)
    unknown = ~np.isin(polarity, POLARITIES)
    if unknown.any():
        raise ValueError(
            f"unknown polarity {polarity[unknown][0]!r}; expected one of {POLARITIES}"
        )
    return np.where(polarity == LOW_IS_GOOD, -1.0, 1.0)


def tolerance_amount(target, tolerance, basis) -> np.ndarray:
    """The width of the tolerance band in the KPI's unit."""
    target, tolerance = np.asarray(target, float), np.asarray(tolerance, float)
    basis = np.asarray(basis, dtype=object)
    unknown = ~np.isin(basis, TOLERANCE_BASES)
    if unknown.any():
        raise ValueError(
            f"unknown tolerance basis {basis[unknown][0]!r}; expected {TOLERANCE_BASES}"
        )
    return np.where(
        basis == "percent of target", np.abs(target) * tolerance / 100.0, tolerance
    )


def _rounded(values, decimals) -> np.ndarray:
    """Values rounded to ``decimals`` and held as whole numbers of the last decimal place."""
    scale = 10.0 ** np.asarray(decimals, float)
    return np.round(np.asarray(values, float) * scale)


def score(
    value, target, tolerance=0.0, basis="absolute", polarity=HIGH_IS_GOOD, decimals=6
):
    """Score each value against its target: "on target", "tolerance", "below target", "missing".

    Every argument may be a scalar or an array (broadcast together); returns a string or an
    array of strings. See the module docstring for the rule.
    """
    value, target = np.asarray(value, float), np.asarray(target, float)
    sign = good_sign(polarity)
    scale = 10.0 ** np.asarray(decimals, float)
    margin = sign * (_rounded(value, decimals) - np.round(target * scale))
    band = np.round(tolerance_amount(target, tolerance, basis) * scale, 6)
    words = np.where(
        np.isnan(value),
        "missing",
        np.where(
            margin >= 0,
            "on target",
            np.where(-margin <= band, "tolerance", "below target"),
        ),
    ).astype(object)
    return words.item() if words.ndim == 0 else words


def trend(current, earlier, polarity=HIGH_IS_GOOD, decimals=6):
    """Direction of performance from ``earlier`` to ``current``: "improving", "consistent",
    "worsening", or "not compared" when either value is missing. Scalars or arrays."""
    current, earlier = np.asarray(current, float), np.asarray(earlier, float)
    change = good_sign(polarity) * (
        _rounded(current, decimals) - _rounded(earlier, decimals)
    )
    words = np.where(
        np.isnan(current) | np.isnan(earlier),
        "not compared",
        np.where(
            change > 0, "improving", np.where(change < 0, "worsening", "consistent")
        ),
    ).astype(object)
    return words.item() if words.ndim == 0 else words
