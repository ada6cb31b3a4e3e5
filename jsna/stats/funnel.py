"""Funnel-plot control limits and significance, following PHEindicatormethods v2.

Funnel plots compare many units (GP practices, wards, ...) with the average of them all (or a
given baseline), with control limits at 95% (2 sigma, p = 0.025 each side) and 99.8% (3 sigma,
p = 0.001 each side) that narrow as the denominator grows. The methods are those of
PHEindicatormethods v2 ``phe_funnels`` / ``calculate_funnel_limits`` /
``assign_funnel_significance`` / ``calculate_funnel_points`` and of the Fingertips technical
guidance.

Statistics
----------
``"proportion"``
    Baseline ``av = sum(numerator) / sum(denominator)``. The limit at denominator ``n`` is the
    proportion whose Wilson score interval (one-sided probability ``P`` = 0.975 or 0.999) just
    reaches ``av`` (PHEindicatormethods ``sigma_adjustment``, a closed form), clipped to
    ``[0, multiplier]``.
``"rate"``
    Crude rates (``rate_type="crude"``; denominator = population, person-years) or DSRs
    (``rate_type="dsr"``; the denominator is derived as ``multiplier * count / rate`` and is
    missing for 0 events). Baseline ``av = sum(count) / sum(derived denominator)``. The limit at
    denominator ``n`` comes from the exact Poisson distribution with mean ``mu = av * n``: the
    lower limit is the (continuous) count ``e`` whose exact upper confidence limit equals
    ``mu``, ``chi2.ppf(P, 2e + 2) / 2 = mu``; the upper limit is the ``e`` whose exact lower
    limit equals ``mu``, ``chi2.ppf(1 - P, 2e) / 2 = mu``; the rate limit is ``e / n * multiplier``.
    PHEindicatormethods draws the same curves parameterised by events (``poisson_funnel``,
    found by bisection to about 1e-7); here they are solved directly for the denominator with
    ``scipy.special.chdtriv``, so they agree with it to the bisection's precision.
``"ratio"``
    Indirectly standardised ratios: the denominator is the expected count and the baseline is 1
    (times ``multiplier``, 100 by default), with limits ``e / expected`` as for rates.

Significance labels (PHEindicatormethods' wording, kept so results can be checked against it):
"High (0.001)" (above the 99.8% limit), "High (0.025)" (above the 95% limit only),
"Low (0.001)", "Low (0.025)", "Not significant", and for DSRs from fewer than 10 events
"Not applicable for events less than 10 for DSRs". As in PHEindicatormethods, proportions are
judged against the Wilson-based limits, and rates and ratios by whether the baseline lies
outside the unit's own Poisson interval (exact below 10 events, Byar's from 10), so for rates a
point within a hair of a drawn (exact) line can be judged slightly differently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy.special import chdtriv, ndtri

from jsna.stats._common import (
    DEFAULT_CONFIDENCE,
    check_values,
    confidence_levels,
    finish,
    group_list,
    limit_columns,
    require_columns,
)
from jsna.stats.proportions import check_multiplier, format_multiplier
from jsna.stats.rates import SMALL_COUNT, poisson_limits

STATISTICS = ("proportion", "rate", "ratio")
RATE_TYPES = ("crude", "dsr")
GRID_POINTS = 100
DSR_NOT_APPLICABLE = "Not applicable for events less than 10 for DSRs"
NOT_SIGNIFICANT = "Not significant"


def _one_sided(confidence: float) -> float:
    """Funnel probability for a two-sided level: 0.95 -> 0.975, 0.998 -> 0.999."""
    return 1.0 - (1.0 - confidence) / 2.0


def _default_multiplier(statistic: str, multiplier: float | None) -> float:
    if multiplier is None:
        return {"proportion": 100.0, "rate": 100_000.0, "ratio": 100.0}[statistic]
    return check_multiplier(multiplier)


def wilson_funnel(p: float, population: np.ndarray, average: np.ndarray, side: str) -> np.ndarray:
    """Proportion (0-1) at which the Wilson interval's bound meets ``average`` (sigma adjustment).

    Solving ``wilson_bound(x, n) = average`` for the proportion ``x`` gives a quadratic whose
    roots are the low and high funnel points at denominator ``n``.
    """
    z2 = ndtri(p) ** 2
    n = np.asarray(population, dtype=float)
    a = np.asarray(average, dtype=float)
    first = a * (n / z2 + 1.0)
    last = 1.0 / z2 + 1.0 / n
    discriminant = (8.0 * a * (n / z2 + 1.0)) ** 2 - 64.0 * last * a * (n * (a * (n / z2 + 2.0) - 1.0) + z2 * (a - 1.0))
    root = np.sqrt(np.clip(discriminant, 0.0, None))
    sign = -1.0 if side == "low" else 1.0
    return (first + sign * root / 8.0) / last / n


def poisson_funnel_counts(p: float, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Continuous event counts on the low and high funnel lines for Poisson ``mean``.

    low: ``e`` with ``chi2.ppf(p, 2e + 2) / 2 = mean`` (its exact upper limit is the mean);
    high: ``e`` with ``chi2.ppf(1 - p, 2e) / 2 = mean`` (its exact lower limit is the mean).
    """
    mu = np.asarray(mean, dtype=float)
    positive = mu > 0
    safe = np.where(positive, mu, 1.0)
    with np.errstate(invalid="ignore"):
        low = chdtriv(p, 2.0 * safe) / 2.0 - 1.0
        high = chdtriv(1.0 - p, 2.0 * safe) / 2.0
    low = np.where(positive, np.clip(np.nan_to_num(low, nan=0.0), 0.0, None), 0.0)
    high = np.where(positive, high, 0.0)
    return low, high


def _limits_at(
    statistic: str, denominator: np.ndarray, baseline: np.ndarray, level: float, multiplier: float
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper control limits (in output units) at each denominator."""
    p = _one_sided(level)
    n = np.asarray(denominator, dtype=float)
    if statistic == "proportion":
        lower = np.clip(wilson_funnel(p, n, baseline, "low"), 0.0, 1.0) * multiplier
        upper = np.clip(wilson_funnel(p, n, baseline, "high"), 0.0, 1.0) * multiplier
        return lower, upper
    low_events, high_events = poisson_funnel_counts(p, baseline * n)
    return low_events / n * multiplier, high_events / n * multiplier


def _prepare(
    df: pd.DataFrame,
    numerator: str,
    denominator: str | None,
    statistic: str,
    rate: str | None,
    rate_type: str | None,
    groups: list[str],
    multiplier: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate and return numerator, the (derived) denominator and each row's value."""
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {STATISTICS}, got {statistic!r}")
    columns = groups + [numerator] + ([denominator] if denominator else []) + ([rate] if rate else [])
    require_columns(df, columns)
    for column in [numerator] + ([denominator] if denominator else []) + ([rate] if rate else []):
        if not pd.api.types.is_numeric_dtype(df[column]):
            raise ValueError(f"{column} must be numeric, found dtype {df[column].dtype}")
    o = df[numerator].to_numpy(dtype=float, na_value=np.nan)
    check_values(df, numerator, groups, ~np.isfinite(o), "must be given (and finite) for every row, even when 0")
    check_values(df, numerator, groups, o < 0, "must be greater than or equal to zero")
    d = None
    if denominator is not None:
        d = df[denominator].to_numpy(dtype=float, na_value=np.nan)
        check_values(df, denominator, groups, ~np.isfinite(d), "must be given (and finite) for every row")
        check_values(df, denominator, groups, d <= 0, "must be greater than zero")

    if statistic in ("proportion", "ratio"):
        if d is None:
            raise ValueError(f"statistic={statistic!r} needs a denominator column")
        if statistic == "proportion":
            check_values(df, numerator, groups, o > d, f"must be less than or equal to {denominator} for a proportion")
        return o, d, o / d * multiplier

    if rate_type not in RATE_TYPES:
        raise ValueError(f"rate_type must be one of {RATE_TYPES} for rates, got {rate_type!r}")
    r = None
    if rate is not None:
        r = df[rate].to_numpy(dtype=float, na_value=np.nan)
    if rate_type == "dsr":
        if r is None:
            raise ValueError("rate_type='dsr' needs the rate= column of DSRs")
        check_values(df, rate, groups, (o > 0) & ~(r > 0), "must be greater than zero where there are events")
        with np.errstate(divide="ignore", invalid="ignore"):
            derived = np.where(o > 0, multiplier * o / r, np.nan)
        return o, derived, r
    if d is None:
        if r is None:
            raise ValueError("crude rates need a denominator column or a rate= column")
        check_values(df, rate, groups, ~(r > 0), "must be greater than zero (give a denominator for 0 events)")
        return o, multiplier * o / r, r
    return o, d, o / d * multiplier


def _baselines(
    df: pd.DataFrame, groups: list[str], numerator: np.ndarray, denominator: np.ndarray, baseline: float | None,
    statistic: str, multiplier: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row group id and the group's average (0-1 scale; 1 for ratios) broadcast to rows."""
    if groups:
        gid = df.groupby(groups, sort=True, dropna=False, observed=True).ngroup().to_numpy()
    else:
        gid = np.zeros(len(df), dtype=int)
    if baseline is not None:
        value = float(baseline) / multiplier
        return gid, np.full(len(df), value)
    if statistic == "ratio":
        return gid, np.ones(len(df))
    usable = np.isfinite(denominator)
    size = gid.max() + 1 if len(gid) else 0
    num = np.bincount(gid, weights=numerator, minlength=size)
    den = np.bincount(gid[usable], weights=denominator[usable], minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        average = num / den
    return gid, average[gid]


def _statistic_name(statistic: str, rate_type: str | None, multiplier: float) -> str:
    if statistic == "proportion":
        return "Proportion funnel" if multiplier == 1 else f"Proportion funnel per {format_multiplier(multiplier)}"
    if statistic == "ratio":
        return f"Ratio funnel x {format_multiplier(multiplier)}"
    kind = "DSR" if rate_type == "dsr" else "Crude rate"
    return f"{kind} funnel per {format_multiplier(multiplier)}"


def _signif_floor(x: np.ndarray) -> np.ndarray:
    """Round 95% of x down to one significant figure (PHEindicatormethods signif.floor)."""
    v = np.floor(np.asarray(x, dtype=float) * 0.95)
    digits = np.maximum(np.searchsorted(10.0 ** np.arange(0, 300), v, side="right"), 1)
    scale = 10.0 ** (digits - 1)
    return np.where(x == 0, 0.0, np.floor(np.asarray(x, dtype=float) * 0.95 / scale) * scale)


def _signif_ceiling(x: np.ndarray) -> np.ndarray:
    """Round 105% of x up to two significant figures (PHEindicatormethods signif.ceiling)."""
    v = np.ceil(np.asarray(x, dtype=float) * 1.05)
    digits = np.maximum(np.searchsorted(10.0 ** np.arange(0, 300), v, side="right"), 1)
    scale = 10.0 ** (digits - 2.0)
    return np.where(x == 0, 0.0, np.ceil(np.asarray(x, dtype=float) * 1.05 / scale) * scale)


def funnel_grid(min_denominator: np.ndarray, max_denominator: np.ndarray, years_of_data: float = 1) -> np.ndarray:
    """Denominators at which to draw each funnel: (groups x 100), as PHEindicatormethods.

    The axis runs from 0 (or, when the largest denominator is at most twice the smallest, the
    smallest rounded down to one significant figure) to the largest rounded up to two
    significant figures, in 100 roughly geometric steps of at least 1. Denominators are per
    year (divided by ``years_of_data``) while rounding.
    """
    lo = np.asarray(min_denominator, dtype=float) / years_of_data
    hi = np.asarray(max_denominator, dtype=float) / years_of_data
    axis_min = np.where(hi > 2 * lo, 0.0, _signif_floor(lo)) * years_of_data
    axis_max = _signif_ceiling(hi) * years_of_data
    grid = np.empty((len(lo), GRID_POINTS))
    grid[:, 0] = np.maximum(1.0, axis_min)
    for j in range(2, GRID_POINTS + 1):
        previous = grid[:, j - 2]
        step = np.round((axis_max / previous) ** (1.0 / (101 - j)) * previous)
        grid[:, j - 1] = np.maximum(step, previous + 1.0)
    return grid


def funnel_limits(
    df: pd.DataFrame,
    numerator: str,
    denominator: str | None = None,
    *,
    statistic: str = "proportion",
    rate: str | None = None,
    rate_type: str | None = "crude",
    group_by: str | Iterable[str] | None = None,
    baseline: float | None = None,
    confidence: float | Sequence[float] = DEFAULT_CONFIDENCE,
    multiplier: float | None = None,
    at: str = "rows",
    years_of_data: float = 1,
) -> pd.DataFrame:
    """Funnel-plot control limits at each row's denominator, or on a grid for drawing.

    Parameters
    ----------
    df
        One row per unit (e.g. GP practice); ``group_by`` separates funnels (e.g. indicator and
        period), each with its own baseline.
    numerator
        Events (>= 0, given for every row, even when 0).
    denominator
        Proportions: the denominator (> 0, >= numerator). Crude rates: the population
        (person-years), or ``None`` with ``rate=`` given. Ratios: the expected count. DSRs: not
        used (derived from ``rate``).
    statistic
        "proportion", "rate" or "ratio".
    rate, rate_type
        For rates: ``rate_type`` "crude" or "dsr", and the column of rates (needed for DSRs).
    baseline
        The funnel's centre in output units (e.g. England's percentage); default: the group's
        average (sum of numerators over sum of denominators), 1 x multiplier for ratios.
    confidence
        0.95 and/or 0.998 (2 and 3 sigma).
    multiplier
        Output scale: default 100 (proportion, as a percentage), 100,000 (rate), 100 (ratio).
    at
        "rows": one row per input row (all its columns kept) with ``value``, ``baseline`` and
        the limits at the row's denominator. "grid": 100 rows per group, from the PHEindicatormethods
        axis (see :func:`funnel_grid`), with ``denominator`` and the limits, to draw the funnel.
    years_of_data
        Years the data cover (rates): the grid's axis is rounded on per-year denominators.

    Returns
    -------
    ``at="rows"``: the input columns, ``value``, ``baseline``, the limit columns
    (``lower_95_0``... as everywhere in :mod:`jsna.stats`), ``confidence``, ``statistic`` and
    ``method`` ("Wilson" for proportions, "Poisson" otherwise); rows in input order.
    ``at="grid"``: the group columns, ``denominator``, ``baseline``, the limits, ``confidence``,
    ``statistic``, ``method``.
    """
    if at not in ("rows", "grid"):
        raise ValueError(f"at must be 'rows' or 'grid', got {at!r}")
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {STATISTICS}, got {statistic!r}")
    if not (np.isscalar(years_of_data) and float(years_of_data) > 0):
        raise ValueError(f"years_of_data must be a number greater than zero, got {years_of_data!r}")
    groups = group_list(group_by)
    levels = confidence_levels(confidence)
    multiplier = _default_multiplier(statistic, multiplier)
    o, d, values = _prepare(df, numerator, denominator, statistic, rate, rate_type, groups, multiplier)
    gid, average = _baselines(df, groups, o, d, baseline, statistic, multiplier)
    method = "Wilson" if statistic == "proportion" else "Poisson"
    name = _statistic_name(statistic, rate_type, multiplier)

    if at == "rows":
        created = {"value", "baseline", "confidence", "statistic", "method"} | {
            c for level in levels for c in limit_columns(level)
        }
        keep = [c for c in df.columns if c not in created and c not in groups]
        out = df.reset_index(drop=True).copy()
        out["value"] = values
        out["baseline"] = average * multiplier
        for level in levels:
            lower, upper = _limits_at(statistic, d, average, level, multiplier)
            low_name, up_name = limit_columns(level)
            out[low_name] = np.where(np.isfinite(d), lower, np.nan)
            out[up_name] = np.where(np.isfinite(d), upper, np.nan)
        return finish(out, groups, keep, levels, name, method, extra=["baseline"])

    usable = np.isfinite(d)
    size = gid.max() + 1 if len(gid) else 0
    lo = np.full(size, np.inf)
    hi = np.full(size, -np.inf)
    np.minimum.at(lo, gid[usable], d[usable])
    np.maximum.at(hi, gid[usable], d[usable])
    grid = funnel_grid(lo, hi, float(years_of_data) if statistic == "rate" else 1.0)
    first_row = pd.Series(np.arange(len(df))).groupby(gid).first().to_numpy()
    centre = average[first_row]
    out = df.iloc[np.repeat(first_row, GRID_POINTS)][groups].reset_index(drop=True)
    out["denominator"] = grid.ravel()
    row_centre = np.repeat(centre, GRID_POINTS)
    out["value"] = row_centre * multiplier
    out["baseline"] = row_centre * multiplier
    for level in levels:
        lower, upper = _limits_at(statistic, out["denominator"].to_numpy(), row_centre, level, multiplier)
        low_name, up_name = limit_columns(level)
        out[low_name] = lower
        out[up_name] = upper
    result = finish(out, groups, ["denominator"], levels, name, method, extra=["baseline"])
    return result.drop(columns="value")


def funnel_significance(
    df: pd.DataFrame,
    numerator: str,
    denominator: str | None = None,
    *,
    statistic: str = "proportion",
    rate: str | None = None,
    rate_type: str | None = "crude",
    group_by: str | Iterable[str] | None = None,
    baseline: float | None = None,
    multiplier: float | None = None,
) -> pd.DataFrame:
    """Label each row by where it falls against its funnel's 95% and 99.8% limits.

    Arguments as :func:`funnel_limits`. Returns a copy of ``df`` with ``baseline`` and
    ``significance``: "High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)",
    "Not significant" or, for DSRs with fewer than 10 events, "Not applicable for events less
    than 10 for DSRs" (the PHEindicatormethods labels; 0.025 and 0.001 are the one-sided
    probabilities of the 95% and 99.8% limits).
    """
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {STATISTICS}, got {statistic!r}")
    groups = group_list(group_by)
    multiplier = _default_multiplier(statistic, multiplier)
    o, d, values = _prepare(df, numerator, denominator, statistic, rate, rate_type, groups, multiplier)
    _, average = _baselines(df, groups, o, d, baseline, statistic, multiplier)

    outer, inner = 0.998, 0.95
    if statistic == "proportion":
        x = o / d
        low_outer = x < wilson_funnel(_one_sided(outer), d, average, "low")
        low_inner = x < wilson_funnel(_one_sided(inner), d, average, "low")
        high_outer = x > wilson_funnel(_one_sided(outer), d, average, "high")
        high_inner = x > wilson_funnel(_one_sided(inner), d, average, "high")
    else:
        # The baseline outside the unit's own Poisson interval (exact < 10, Byar's >= 10).
        with np.errstate(divide="ignore", invalid="ignore"):
            lo_out, up_out = (limit / d for limit in poisson_limits(o, outer))
            lo_in, up_in = (limit / d for limit in poisson_limits(o, inner))
        high_outer = average < lo_out
        high_inner = average < lo_in
        low_outer = average > up_out
        low_inner = average > up_in
    labels = np.select(
        [low_outer, low_inner, high_outer, high_inner],
        ["Low (0.001)", "Low (0.025)", "High (0.001)", "High (0.025)"],
        default=NOT_SIGNIFICANT,
    ).astype(object)
    if statistic == "rate" and rate_type == "dsr":
        labels = np.where(o < SMALL_COUNT, DSR_NOT_APPLICABLE, labels)
    out = df.copy()
    out["baseline"] = average * multiplier
    out["significance"] = labels
    return out
