"""Crude rates, directly standardised rates (DSR) and indirectly standardised ratios and rates.

The methods are those of the R package PHEindicatormethods v2 (``calculate_rate``,
``calculate_dsr``, ``calculate_ISRatio``, ``calculate_ISRate``) and of the Fingertips technical
guidance ("Confidence intervals for rates", "Directly standardised rates", "Indirect
standardisation").

Confidence limits for a count ``O`` (Poisson)
---------------------------------------------
* ``O < 10``: exact limits from the chi-squared distribution (Armitage and Berry, *Statistical
  methods in medical research*, 4th edn, 2002)::

      lower = chi2.ppf(alpha / 2, 2 O) / 2        (0 when O = 0)
      upper = chi2.ppf(1 - alpha / 2, 2 O + 2) / 2

* ``O >= 10``: Byar's approximation (Breslow and Day, *Statistical methods in cancer research*,
  vol II, 1987)::

      lower = O (1 - 1 / (9 O) - z / (3 sqrt(O)))^3
      upper = (O + 1) (1 - 1 / (9 (O + 1)) + z / (3 sqrt(O + 1)))^3

DSR limits use Dobson's method (Dobson et al., Stat Med 1991;10:457-62) on Byar's limits of the
total count, as PHEindicatormethods v2 does::

      limit = DSR + sqrt(var(DSR) / O) * (byars_limit(O) - O) * multiplier
      var(DSR) = sum(w_i^2 O_i / n_i^2) / (sum w_i)^2

and are not calculated (value and limits missing) when the total count is below 10.

Missing values
--------------
A group with a missing (NaN, None, pd.NA) count or population in any of its rows (and, for ISRs,
a missing reference count or reference population) is not calculated: ``value`` and every limit
are missing, each summed column that had a missing value is missing (R's ``sum``), and
``statistic`` says why, e.g. "DSR not calculated: count or population missing" (with the
caller's column names). Every other group is computed exactly as it would be with valid values
in that group's rows. Negative, zero (where not allowed), infinite and non-numeric values still
raise ``ValueError``. ``method`` is "Poisson" for a crude rate or ISR that is not calculated
(neither exact nor Byar's limits were worked out).

For crude rates this is what PHEindicatormethods' ``phe_rate`` gives (its ``sum`` of a group
with an ``NA`` is ``NA``). For DSRs and ISRs it deliberately is not: ``calculate_dsr`` counts a
missing count as zero events (``na.zero``, ``sum(na.rm = TRUE)``) and stops on a missing
population; ``calculate_ISRatio``/``calculate_ISRate`` count a missing count, population or
reference count as zero (a missing reference population gives ``NA``). Treating an unknown count
as zero understates the rate without saying so, so here the group is reported as not calculated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy.special import chdtri

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
from jsna.stats.proportions import check_multiplier, format_multiplier, missing_reason

#: The 2013 European Standard Population in the 19 five-year bands Fingertips uses (90+ last).
ESP2013: pd.Series = pd.Series(
    [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000],
    index=pd.Index(
        [f"{lower}-{lower + 4}" for lower in range(0, 90, 5)] + ["90+"],
        name="age_band",
    ),
    name="esp2013",
    dtype="int64",
)

#: Counts below this use exact Poisson limits; DSRs below it are not calculated.
SMALL_COUNT = 10


def exact_limits(count: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson limits for ``count`` events (chi-squared method)."""
    o = np.asarray(count, dtype=float)
    alpha = 1.0 - confidence
    # chdtri(k, q) is the chi-squared quantile with upper-tail probability q.
    with np.errstate(invalid="ignore"):
        lower = np.where(o > 0, chdtri(2.0 * np.where(o > 0, o, 1.0), 1.0 - alpha / 2.0) / 2.0, 0.0)
    upper = chdtri(2.0 * o + 2.0, alpha / 2.0) / 2.0
    return lower, upper


def byars_limits(count: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Byar's approximate Poisson limits for ``count`` events (meant for counts of 10 or more)."""
    z = z_value(confidence)
    o = np.asarray(count, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = o * (1.0 - 1.0 / (9.0 * o) - z / (3.0 * np.sqrt(o))) ** 3
    o1 = o + 1.0
    upper = o1 * (1.0 - 1.0 / (9.0 * o1) + z / (3.0 * np.sqrt(o1))) ** 3
    return lower, upper


def poisson_limits(count: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact limits below 10 events, Byar's from 10, as PHEindicatormethods."""
    o = np.asarray(count, dtype=float)
    small = o < SMALL_COUNT
    ex_lower, ex_upper = exact_limits(np.where(small, o, 0.0), confidence)
    by_lower, by_upper = byars_limits(np.where(small, SMALL_COUNT, o), confidence)
    return np.where(small, ex_lower, by_lower), np.where(small, ex_upper, by_upper)


def poisson_method(count: np.ndarray) -> np.ndarray:
    """"Exact" below 10 events, "Byars" from 10."""
    return np.where(np.asarray(count, dtype=float) < SMALL_COUNT, "Exact", "Byars")


def _validate_counts(df: pd.DataFrame, groups: list[str], count: str, population: str, *, zero_population: bool) -> None:
    """Numeric, finite where given, count >= 0 and population > 0 (>= 0 if ``zero_population``).

    Missing values pass: they make their group not calculated (see the module docstring).
    """
    check_numeric(df, [count, population], groups, allow_missing=True)
    o = as_float(df[count])
    n = as_float(df[population])
    check_values(df, count, groups, np.isinf(o), "must be finite")
    check_values(df, population, groups, np.isinf(n), "must be finite")
    check_values(df, count, groups, o < 0, "must be greater than or equal to zero")
    if zero_population:
        check_values(df, population, groups, n < 0, "must be greater than or equal to zero")
    else:
        check_values(df, population, groups, n <= 0, "must be greater than zero")


def _not_calculated(statistic: str, missing: np.ndarray, columns: list[str]) -> str | np.ndarray:
    """``statistic``, or per group the reason a group with missing values is not calculated."""
    if not missing.any():
        return statistic
    return np.where(missing, f"{statistic} {missing_reason(columns)}", statistic)


def crude_rate(
    df: pd.DataFrame,
    count: str,
    population: str,
    *,
    group_by: str | Iterable[str] | None = None,
    confidence: float | Sequence[float] = DEFAULT_CONFIDENCE,
    multiplier: float = 100_000,
) -> pd.DataFrame:
    """Crude rate ``count / population * multiplier`` per group, with Poisson limits.

    Limits are exact (chi-squared) when the summed count is below 10 and Byar's from 10
    (``method`` is "Exact" or "Byars" per row). Counts may exceed the population (rates of
    events, not people) and the result is never suppressed. ``count`` must be >= 0 and
    ``population`` > 0 in every row; a group with a missing count or population is not
    calculated (see the module docstring). ``confidence``: any level(s) strictly between 0 and
    1, default 0.95 and 0.998.

    Returns the group columns, summed ``count`` and ``population``, ``value``, the limits,
    ``confidence``, ``statistic`` ("Crude rate per 100,000") and ``method``.
    """
    groups = group_list(group_by)
    levels = confidence_levels(confidence, any_level=True)
    multiplier = check_multiplier(multiplier)
    require_columns(df, groups + [count, population])
    _validate_counts(df, groups, count, population, zero_population=False)

    out = sum_by_group(df, groups, [count, population], skipna=False)
    o = as_float(out[count])
    n = as_float(out[population])
    missing = np.isnan(o) | np.isnan(n)
    out["value"] = o / n * multiplier
    for level in levels:
        lower, upper = poisson_limits(o, level)
        low_name, up_name = limit_columns(level)
        out[low_name] = lower / n * multiplier
        out[up_name] = upper / n * multiplier
    statistic = _not_calculated(f"Crude rate per {format_multiplier(multiplier)}", missing, [count, population])
    method = np.where(missing, "Poisson", poisson_method(o)) if missing.any() else poisson_method(o)
    return finish(out, groups, [count, population], levels, statistic, method)


def _standard_weights(
    df: pd.DataFrame,
    groups: list[str],
    age_band: str,
    standard_population: str | pd.Series | None,
) -> np.ndarray:
    """The standard-population weight of every row."""
    if isinstance(standard_population, str):
        require_columns(df, [standard_population])
        check_numeric(df, [standard_population], groups)
        weights = df[standard_population].to_numpy(dtype=float)
        check_values(df, standard_population, groups, ~np.isfinite(weights), "must be finite")
        check_values(df, standard_population, groups, weights < 0, "must be greater than or equal to zero")
        return weights
    standard = ESP2013 if standard_population is None else standard_population
    if not isinstance(standard, pd.Series):
        raise ValueError(
            "standard_population must be None (ESP 2013), a column name, or a Series of weights indexed by age band"
        )
    require_columns(df, [age_band])
    # Look the labels up once per distinct label, not once per row.
    codes, uniques = pd.factorize(df[age_band], use_na_sentinel=True)
    labels = pd.Index(pd.Series(uniques, dtype="object").astype(str).str.strip())
    position = pd.Index(standard.index.astype(str)).get_indexer(labels)
    unique_weights = np.where(position >= 0, standard.to_numpy(dtype=float)[position], np.nan)
    weights = np.where(codes >= 0, unique_weights[np.maximum(codes, 0)] if len(uniques) else np.nan, np.nan)
    unknown = np.isnan(weights)
    if unknown.any():
        first = df[age_band].iloc[int(np.flatnonzero(unknown)[0])]
        known = ", ".join(str(label) for label in standard.index)
        check_values(
            df,
            age_band,
            groups,
            unknown,
            f"has a label {first!r} that is not in the standard population (expected one of {known})",
        )
    check_values(df, age_band, groups, weights < 0, "has a negative standard population weight")
    duplicated = df.duplicated(subset=groups + [age_band], keep="first").to_numpy()
    check_values(df, age_band, groups, duplicated, "appears more than once in the same group")
    return weights


def dsr(
    df: pd.DataFrame,
    count: str,
    population: str,
    *,
    age_band: str = "age_band",
    group_by: str | Iterable[str] | None = None,
    standard_population: str | pd.Series | None = None,
    confidence: float | Sequence[float] = DEFAULT_CONFIDENCE,
    multiplier: float = 100_000,
) -> pd.DataFrame:
    """Directly standardised rate per group with Dobson limits (PHEindicatormethods v2).

    Parameters
    ----------
    df
        One row per group and age band: events ``count`` (>= 0) and ``population`` (> 0).
    age_band
        Column of age-band labels, used to look up the standard population.
    standard_population
        ``None`` (default): the 2013 European Standard Population (:data:`ESP2013`), matched on
        the ``age_band`` labels "0-4", "5-9", ..., "85-89", "90+"; an unknown label raises
        ``ValueError`` naming it. A column name: the weight of each row. A Series: weights
        indexed by age-band label.

    Notes
    -----
    The weight total is over the bands present in each group: a band that is absent drops its
    weight (which is how under-75 rates are made, by passing only the bands below 75), while a
    band present with zero events keeps its weight. When a group's total count is below 10 its
    value and limits are missing and ``statistic`` reads "DSR not calculated: total count
    below 10". When any row of a group has a missing count or population the group is not
    calculated either ("DSR not calculated: count or population missing", with the column
    names given); the other groups are unaffected. ``confidence``: any level(s) strictly
    between 0 and 1, default 0.95 and 0.998.

    Returns the group columns, summed ``count`` and ``population``, ``value``, the limits,
    ``confidence``, ``statistic`` ("DSR per 100,000") and ``method`` ("Dobson").
    """
    groups = group_list(group_by)
    levels = confidence_levels(confidence, any_level=True)
    multiplier = check_multiplier(multiplier)
    require_columns(df, groups + [count, population])
    _validate_counts(df, groups, count, population, zero_population=False)
    weights = _standard_weights(df, groups, age_band, standard_population)

    o = as_float(df[count])
    n = as_float(df[population])
    work = pd.DataFrame(
        {
            count: o,
            population: n,
            "_weight": weights,
            "_weighted": weights * o / n,
            "_weighted_sq": weights * weights * o / (n * n),
        },
        index=df.index,
    )
    for g in groups:
        work[g] = df[g]
    # A missing count or population makes its group's sums missing (R's sum), and its value.
    out = sum_by_group(work, groups, [count, population, "_weight", "_weighted", "_weighted_sq"], skipna=False)
    check_values(out, "standard population weight", groups, out["_weight"].to_numpy() <= 0, "must total more than zero")

    total = out[count].to_numpy(dtype=float)
    missing = np.isnan(total) | np.isnan(out[population].to_numpy(dtype=float))
    weight = out["_weight"].to_numpy(dtype=float)
    value = out["_weighted"].to_numpy(dtype=float) / weight * multiplier
    variance = out["_weighted_sq"].to_numpy(dtype=float) / (weight * weight)
    small = total < SMALL_COUNT
    safe_total = np.where(small, SMALL_COUNT, total)
    out["value"] = np.where(small, np.nan, value)
    for level in levels:
        lower, upper = byars_limits(safe_total, level)
        spread = np.sqrt(variance / safe_total) * multiplier
        low_name, up_name = limit_columns(level)
        out[low_name] = np.where(small, np.nan, value + spread * (lower - safe_total))
        out[up_name] = np.where(small, np.nan, value + spread * (upper - safe_total))
    statistic = np.where(
        small,
        f"DSR not calculated: total count below {SMALL_COUNT}",
        f"DSR per {format_multiplier(multiplier)}",
    )
    if missing.any():
        statistic = np.where(missing, f"DSR {missing_reason([count, population])}", statistic)
    return finish(out, groups, [count, population], levels, statistic, "Dobson")


def isr(
    df: pd.DataFrame,
    count: str,
    population: str,
    reference_count: str,
    reference_population: str,
    *,
    group_by: str | Iterable[str] | None = None,
    kind: str = "ratio",
    confidence: float | Sequence[float] = DEFAULT_CONFIDENCE,
    multiplier: float | None = None,
) -> pd.DataFrame:
    """Indirectly standardised ratio or rate per group (PHEindicatormethods v2).

    ``expected = sum(population * reference_count / reference_population)`` over the rows
    (age bands) of each group, ``observed = sum(count)``.

    * ``kind="ratio"`` (``calculate_ISRatio``): ``observed / expected * multiplier``, multiplier
      100 by default (a standardised mortality ratio x 100).
    * ``kind="rate"`` (``calculate_ISRate``): ``observed / expected * reference rate``, where the
      reference rate is ``sum(reference_count) / sum(reference_population) * multiplier`` over
      the group's rows, multiplier 100,000 by default.

    Limits are the Poisson limits of the observed count (exact below 10, Byar's from 10) scaled
    the same way. ``count`` and ``reference_count`` must be >= 0, ``population`` >= 0,
    ``reference_population`` > 0 and every group's expected count > 0. A group with any of the
    four missing in any row is not calculated (value, limits and the sums the missing value
    enters are missing, ``statistic`` says why, ``method`` is "Poisson"); the other groups are
    unaffected. ``confidence``: any level(s) strictly between 0 and 1, default 0.95 and 0.998.

    Returns the group columns, ``observed``, summed ``population``, ``expected``, ``value``, the
    limits, ``confidence``, ``statistic`` and ``method`` ("Exact" or "Byars" per row).
    """
    if kind not in ("ratio", "rate"):
        raise ValueError(f"kind must be 'ratio' or 'rate', got {kind!r}")
    groups = group_list(group_by)
    levels = confidence_levels(confidence, any_level=True)
    multiplier = check_multiplier(100 if kind == "ratio" else 100_000) if multiplier is None else check_multiplier(multiplier)
    require_columns(df, groups + [count, population, reference_count, reference_population])
    _validate_counts(df, groups, count, population, zero_population=True)
    _validate_counts(df, groups, reference_count, reference_population, zero_population=False)
    ref_o = as_float(df[reference_count])
    ref_n = as_float(df[reference_population])

    work = pd.DataFrame(
        {
            "observed": as_float(df[count]),
            "_population": as_float(df[population]),
            "expected": as_float(df[population]) * ref_o / ref_n,
            "_ref_count": ref_o,
            "_ref_population": ref_n,
        },
        index=df.index,
    )
    for g in groups:
        work[g] = df[g]
    summed = ["observed", "_population", "expected", "_ref_count", "_ref_population"]
    # A missing value makes its group's sums missing (R's sum), and its value.
    out = sum_by_group(work, groups, summed, skipna=False)
    missing = out[summed].isna().any(axis=1).to_numpy()
    expected = out["expected"].to_numpy(dtype=float)
    check_values(out, "expected", groups, ~missing & ~(expected > 0), "must be greater than zero (no expected events)")
    observed = out["observed"].to_numpy(dtype=float)
    if kind == "ratio":
        scale = np.full(len(out), multiplier)
        statistic = f"Indirectly standardised ratio x {format_multiplier(multiplier)}"
    else:
        scale = out["_ref_count"].to_numpy(dtype=float) / out["_ref_population"].to_numpy(dtype=float) * multiplier
        statistic = f"Indirectly standardised rate per {format_multiplier(multiplier)}"
    out["value"] = observed / expected * scale
    for level in levels:
        lower, upper = poisson_limits(observed, level)
        low_name, up_name = limit_columns(level)
        out[low_name] = lower / expected * scale
        out[up_name] = upper / expected * scale
    out = out.rename(columns={"_population": population})
    statistic = _not_calculated(statistic, missing, [count, population, reference_count, reference_population])
    method = np.where(missing, "Poisson", poisson_method(observed)) if missing.any() else poisson_method(observed)
    return finish(out, groups, ["observed", population, "expected"], levels, statistic, method)
