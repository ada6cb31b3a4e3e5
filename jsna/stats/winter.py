"""Excess winter deaths and the excess winter mortality (EWM) index, the ONS standard method.

Definition (ONS, "Excess winter mortality in England and Wales", and OHID Fingertips indicator
90360, which publishes the ONS figures): the winter period is December to March; it is compared
with the average of the two four-month non-winter periods around it, the preceding August to
November and the following April to July::

    average non-winter deaths  M = (deaths Aug-Nov + deaths Apr-Jul) / 2
    excess winter deaths       E = deaths Dec-Mar - M
    EWM index                  I = E / M x 100

Fingertips publishes ``E`` as the indicator's count and ``M`` as its denominator; so does
:func:`excess_winter_deaths`. Pooled periods (e.g. three winters) sum the deaths of every
period first, then apply the same formulas.

Confidence limits
-----------------
ONS and Fingertips attach 95% limits to the index, treating the death counts as Poisson
variates; the text of their formula could not be consulted when this module was written (the
public pages found state the definition above but not the variance). The limits here are the
first-order (delta-method) normal approximation for a ratio of independent Poisson counts:
with ``W`` winter deaths and ``N = 2M`` non-winter deaths, ``var(W) = W`` and
``var(M) = N / 4 = M / 2``, so::

    var(I) = 100^2 x (W / M^2 + W^2 / (2 M^3))
    limits = I -/+ z sqrt(var(I))

The interval is symmetric, can extend below -100 only for tiny counts, and is missing with the
value when there are no non-winter deaths (the index is undefined). The method never
suppresses; small-number rules belong to :mod:`jsna.disclosure`. If the published ONS formula
turns out to differ, change it here and record the change in the method string.
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

METHOD = "ONS excess winter mortality index; delta-method Poisson limits"


def excess_winter_deaths(
    df: pd.DataFrame,
    winter: str,
    non_winter: str,
    *,
    group_by: str | Iterable[str] | None = None,
    confidence: float | Sequence[float] = DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """Excess winter deaths and the EWM index per group, with confidence limits.

    Parameters
    ----------
    df
        Rows of death counts; rows of the same group are summed (e.g. small areas into a ward,
        or several winters into a pooled period).
    winter
        Column of deaths in the winter period (December to March).
    non_winter
        Column of deaths in *both* non-winter periods together (the preceding August to
        November plus the following April to July, eight months); the average of the two
        periods is half of it.
    group_by, confidence
        As for every method in :mod:`jsna.stats`.

    Both counts must be finite and >= 0. A group with no non-winter deaths has no index: its
    value and limits are missing and ``statistic`` says why.

    Returns the group columns, the summed ``winter`` and ``non_winter``, ``value`` (the EWM
    index, %), ``excess_deaths`` (E), ``average_non_winter`` (M), the limits, ``confidence``,
    ``statistic`` and ``method``.
    """
    groups = group_list(group_by)
    levels = confidence_levels(confidence)
    require_columns(df, groups + [winter, non_winter])
    check_numeric(df, [winter, non_winter], groups)
    for column in (winter, non_winter):
        values = df[column].to_numpy(dtype=float)
        check_values(df, column, groups, ~np.isfinite(values), "must be finite")
        check_values(df, column, groups, values < 0, "must be greater than or equal to zero")

    out = sum_by_group(df, groups, [winter, non_winter])
    w = out[winter].to_numpy(dtype=float)
    average = out[non_winter].to_numpy(dtype=float) / 2.0
    defined = average > 0
    safe = np.where(defined, average, 1.0)
    excess = w - average
    out["value"] = np.where(defined, 100.0 * excess / safe, np.nan)
    out["excess_deaths"] = excess
    out["average_non_winter"] = average
    se = 100.0 * np.sqrt(w / safe**2 + w**2 / (2.0 * safe**3))
    for level in levels:
        z = z_value(level)
        low_name, up_name = limit_columns(level)
        out[low_name] = np.where(defined, out["value"] - z * se, np.nan)
        out[up_name] = np.where(defined, out["value"] + z * se, np.nan)
    statistic = np.where(defined, "Excess winter mortality index (%)", "Index not calculated: no non-winter deaths")
    return finish(out, groups, [winter, non_winter], levels, statistic, METHOD, extra=["excess_deaths", "average_non_winter"])
