"""Slope and relative index of inequality, as PHEindicatormethods v2 ``phe_sii`` computes them.

Method (Low and Low, J Public Health 2004;26:388-395; PHEindicatormethods ``R/SII_function.R``)
------------------------------------------------------------------------------------------------
Within each group the quantiles are ordered by their label, **1 = most deprived**. Quantile
``k`` holds a share ``a_k = pop_k / sum(pop)`` of the population and gets the relative rank
``b_k`` = the midpoint of its slice of the cumulative population share (``a_1 / 2``,
``a_1 + a_2 / 2``, ...). The value ``y`` is regressed on ``b`` by least squares **weighted by
the population shares** ``a`` (R fits ``y sqrt(a) ~ sqrt(a) + b sqrt(a) - 1``). The standard
errors are *not* regression weights in R: they are only used for the confidence limits.

* ``intercept`` = fitted value at ``b = 0`` (the most deprived end);
* ``sii`` = slope = fitted value at ``b = 1`` (least deprived) minus fitted value at ``b = 0``
  (most deprived). So the SII is **positive when the indicator is higher in less deprived
  areas** (e.g. life expectancy) and negative when it is higher in more deprived areas (e.g.
  mortality rates); multiply by a negative ``multiplier`` to flip it, as R allows;
* ``rii`` = fitted(1) / fitted(0) = (intercept + sii) / intercept, **as R computes it**. (The
  brief asked for "SII / mean value", the other RII in the literature; PHEindicatormethods and
  Fingertips use the ratio of the fitted ends, so that is what is returned.)

``multiplier`` scales ``sii``, its limits and the intercept; when it is negative the RII and its
limits are inverted and the limits swapped, as in R.

Confidence limits by simulation: for each of ``repetitions`` draws every quantile's value is
sampled from a normal distribution with its value and standard error (on the log scale for
rates and the logit scale for proportions, then transformed back unless ``transform``), the
weighted regression is refitted, and the limits are the order statistics at positions
``round(R (1 - c) / 2)`` and ``round(R (1 + c) / 2)`` of the sorted simulated SIIs (and RIIs),
as R does.

Transformations (R's ``value_type`` 1/2 and ``transform``)
-----------------------------------------------------------
* ``value_type="rate"``/``"proportion"``: the value and its limits are log / logit transformed
  before the standard error is worked out (``se = (upper - lower) / (2 * 1.959964)`` on that
  scale). A standard error supplied in ``se`` is used **as it is, as the standard error of
  the log (rate) or logit (proportion) value**, exactly as R does.
* ``transform=True`` (rates and proportions only): the regression is fitted to the log/logit
  values; ``sii`` = back-transformed fitted(1) - back-transformed fitted(0), ``rii`` their
  ratio, ``intercept`` the back-transformed fitted(0). The limits: the simulated slopes (on the
  transformed scale) give lower and upper slopes, each pivoted about the fitted midpoint
  ``intercept + slope / 2`` and back-transformed, as R does. As in R, ``se`` may not be
  supplied with ``transform=True``.

Where this differs from R (deliberately)
----------------------------------------
* Invalid data make **that group** not calculated (NaN, reason in ``statistic``) instead of
  stopping the whole call: missing quantiles (every group must have every quantile label present
  anywhere in the data, as R requires), population missing or <= 0, value or standard error
  missing, negative standard error, missing limits or upper < lower, rates <= 0 and
  proportions outside (0, 1) (their log/logit is undefined; R only rejects outside [0, 1]),
  counts missing, negative or zero where a log/logit of the count is needed, and counts above
  the population for proportions.
* ``count`` may give the value (rate = count / population, proportion = count / population;
  ``multiplier`` then scales the output, so e.g. ``multiplier=100_000`` gives an SII per
  100,000) and, when neither ``se`` nor limits are given, the standard error: for rates the
  Poisson standard error of log(rate), ``1 / sqrt(count)``; for proportions the binomial
  standard error of logit(p), ``sqrt(1 / count + 1 / (population - count))``. R has no count
  route for rates nor count-based standard errors.
* The intercept is scaled by ``|multiplier|`` also when ``transform=False`` (R leaves it unscaled
  then, but scales it when ``transform=True``).
* With ``transform=True`` R swaps the rate limits when ``multiplier < 1`` (a slip for ``< 0``:
  with 0 < multiplier < 1 its lower limit exceeds its upper); here they swap when
  ``multiplier < 0``.
* Confidence levels: any level strictly between 0 and 1. PHEindicatormethods v2 ``phe_sii``
  takes 0.9 to 1 (or 90 to 100; earlier versions 0.5 to 0.9999); here a level is always a
  fraction, so 95 is an error, not 95%. The limits are the order statistics at R's positions
  for every level (see above).
* Random numbers: numpy's SFC64 generator (R uses Mersenne Twister). Each group has its own
  stream, derived from ``seed`` and the group's key, so an area's limits are reproducible and
  do not change when other areas are added or removed. Where the refit is linear in the draws
  (``value_type="other"`` or ``transform=True``) the normal deviates are drawn in single
  precision, which halves the cost; the Monte Carlo error of a percentile from 100,000 draws
  (~1e-2 of the slope's standard deviation) is five orders of magnitude above that rounding.
  Limits agree with R's only to Monte Carlo accuracy.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from jsna.stats._common import (
    DEFAULT_CONFIDENCE,
    confidence_label,
    confidence_levels,
    describe_group,
    group_list,
    limit_columns,
    numeric_column,
    require_columns,
    z_value,
)

VALUE_TYPES = ("other", "rate", "proportion")
MIN_REPETITIONS = 1000
#: Normal draws generated at once per group (bounds the memory of a worker). Each block of
#: draws is filled quantile by quantile, so a change to this changes which draw goes to which
#: quantile and repetition, and so the limits.
_CHUNK_DRAWS = 2_000_000
#: Most groups one thread simulates in one task (a group takes some milliseconds).
_GROUPS_PER_TASK = 8


def _key_tuples(keys: pd.DataFrame, groups: list[str]) -> np.ndarray:
    """Each group's key as a tuple of plain Python values (object array)."""
    out = np.empty(len(keys), dtype=object)
    if not groups:
        out[0] = ()
        return out
    for i, key in enumerate(zip(*(keys[g].tolist() for g in groups))):
        out[i] = key
    return out


def _check_arguments(value, count, se, lower, upper, value_type, transform, multiplier, repetitions):
    if value_type not in VALUE_TYPES:
        raise ValueError(f"value_type must be one of {VALUE_TYPES}, got {value_type!r}")
    if value is None and count is None:
        raise ValueError("give value, or count (with population) for a rate or proportion")
    if count is not None and value_type == "other":
        raise ValueError('count applies to value_type="rate" or "proportion" only; give value (and se or limits)')
    if (lower is None) != (upper is None):
        raise ValueError("give both lower and upper (the 95% limits), or neither")
    if se is not None and lower is not None:
        raise ValueError("give se, or lower and upper, not both")
    if se is None and lower is None and (count is None or value_type == "other"):
        raise ValueError("give se, or lower and upper (95% limits), or count for a rate or proportion")
    if not isinstance(transform, (bool, np.bool_)):
        raise ValueError(f"transform must be True or False, got {transform!r}")
    if transform and value_type == "other":
        raise ValueError('transform=True needs value_type="rate" or "proportion"')
    if transform and se is not None:
        raise ValueError("se cannot be supplied with transform=True (as in PHEindicatormethods); give lower and upper")
    if isinstance(multiplier, (bool, np.bool_)) or not np.isscalar(multiplier):
        raise ValueError(f"multiplier must be a non-zero number, got {multiplier!r}")
    if not np.isfinite(float(multiplier)) or float(multiplier) == 0:
        raise ValueError(f"multiplier must be a non-zero number, got {multiplier!r}")
    if isinstance(repetitions, (bool, np.bool_)) or not isinstance(repetitions, (int, np.integer)):
        raise ValueError(f"repetitions must be a whole number of at least {MIN_REPETITIONS}, got {repetitions!r}")
    if repetitions < MIN_REPETITIONS:
        raise ValueError(f"repetitions must be at least {MIN_REPETITIONS:,} (as in PHEindicatormethods), got {repetitions}")


def _to_scale(x: np.ndarray, value_type: str) -> np.ndarray:
    """The scale on which values are sampled: log for rates, logit for proportions."""
    if value_type == "rate":
        return np.log(x)
    if value_type == "proportion":
        return logit(x)
    return x


def _from_scale(x: np.ndarray, value_type: str) -> np.ndarray:
    if value_type == "rate":
        return np.exp(x)
    if value_type == "proportion":
        return expit(x)
    return x


def _order_positions(repetitions: int, levels: tuple[float, ...]) -> list[tuple[int, int]]:
    """0-based positions of the lower and upper limits in the sorted simulations (R's rule)."""
    positions = []
    for level in levels:
        upper_p = level + (1.0 - level) / 2.0
        lo = int(round(repetitions * (1.0 - upper_p)))
        hi = int(round(repetitions * upper_p))
        positions.append((max(lo, 1) - 1, min(hi, repetitions) - 1))
    return positions


def _order_statistics(values: np.ndarray, kth: list[int]) -> np.ndarray:
    """``values[kth]`` after ``values.partition(kth)`` (``kth`` ascending and distinct): the
    values at those sorted positions; ``values`` is reordered in place.

    Positions are selected one at a time, each within the slice the previous ones bound: numpy
    selects a single position by a vectorised quickselect, about ten times faster than its
    introselect for several at once, and an order statistic is the same value however it is
    found. Only the sign of a zero can depend on the algorithm (-0.0 and 0.0 tie), so values
    holding a zero are partitioned as before, all positions at once.
    """
    if (values == 0).any():
        values.partition(kth)
        return values[kth]
    return _select_each(values, kth)


def _select_each(values: np.ndarray, kth: list[int]) -> np.ndarray:
    """:func:`_order_statistics` of values without zeros, by single-position partitions."""
    if not kth:
        return np.empty(0, dtype=values.dtype)
    middle = len(kth) // 2
    k = kth[middle]
    values.partition(k)
    below = _select_each(values[:k], kth[:middle])
    above = _select_each(values[k + 1 :], [j - k - 1 for j in kth[middle + 1 :]])
    return np.concatenate([below, values[k : k + 1], above])


def _group_stream(entropy: int, key: tuple) -> np.random.Generator:
    """The random stream of one group: a function of the seed and the group's key only."""
    digest = hashlib.blake2b(repr(key).encode("utf-8"), digest_size=8).digest()
    child = np.random.SeedSequence(entropy, spawn_key=(int.from_bytes(digest, "little"),))
    return np.random.Generator(np.random.SFC64(child))


def _simulate_chunk(args) -> tuple[np.ndarray, np.ndarray | None]:
    """Order statistics of the simulated slopes (and RIIs) for a chunk of groups.

    ``mu`` and ``sd`` (g x q) are the sampling means and standard deviations on the sampling
    scale; ``h`` (g x 2 x q) maps a quantile's values to the fitted (intercept, slope). Every
    repetition draws one value per quantile and refits. Returns the values at the sorted
    positions ``kth`` (g x len(kth)).
    """
    entropy, keys, mu, sd, h, linear, value_type, repetitions, kth, need_rii = args
    g, q = mu.shape
    block = max(1, min(repetitions, _CHUNK_DRAWS // q))
    slope_k = np.empty((g, len(kth)))
    rii_k = np.empty((g, len(kth))) if need_rii else None
    fits = np.empty((2, repetitions))  # intercept and slope of every repetition
    if linear:
        buffer = np.empty(q * block, dtype=np.float32)
    else:
        buffer = np.empty(q * block)
    for i in range(g):
        rng = _group_stream(entropy, keys[i])
        if linear:
            # Refit = h (mu + sd z) = h mu + (h sd) z: the same draws, without forming the values.
            centre = (h[i] * mu[i]).sum(axis=1)
            weights = (h[i] * sd[i]).astype(np.float32)
        for start in range(0, repetitions, block):
            n = min(repetitions, start + block) - start
            draws = buffer[: q * n].reshape(q, n)  # reused, contiguous
            rng.standard_normal(out=draws, dtype=draws.dtype)
            # einsum, not matmul: BLAS would start its own threads inside these workers.
            if linear:
                np.einsum("kq,qn->kn", weights, draws, out=fits[:, start : start + n])
                fits[:, start : start + n] += centre[:, None]
            else:
                draws *= sd[i][:, None]
                draws += mu[i][:, None]
                if value_type == "rate":
                    np.exp(draws, out=draws)
                else:
                    expit(draws, out=draws)
                np.einsum("kq,qn->kn", h[i], draws, out=fits[:, start : start + n])
        if need_rii:
            with np.errstate(divide="ignore", invalid="ignore"):
                rii = (fits[0] + fits[1]) / fits[0]
            rii_k[i] = _order_statistics(rii, kth)
        slope_k[i] = _order_statistics(fits[1], kth)
    return slope_k, rii_k


def _simulate(mu, sd, h, keys, linear, value_type, repetitions, levels, seed, need_rii):
    """Lower and upper order statistics of the simulated slopes and (if asked) RIIs per level.

    Each group has its own random stream, a function of ``seed`` and its group key only, so
    an area's limits do not depend on which other areas are in the call nor on the thread
    schedule. Chunks of groups run on up to ``os.cpu_count()`` threads (numpy releases the
    GIL in the generator and the array loops); chunks are small (at most
    :data:`_GROUPS_PER_TASK` groups), so that no thread is left with a long last chunk while
    the others wait.
    """
    n_valid, q = mu.shape
    positions = _order_positions(repetitions, levels)
    kth = sorted({p for pair in positions for p in pair})
    entropy = np.random.SeedSequence(seed).entropy
    workers = max(1, min(n_valid, os.cpu_count() or 1))
    per_chunk = max(1, min(_GROUPS_PER_TASK, -(-n_valid // (4 * workers))))
    tasks = [
        (entropy, keys[s : s + per_chunk], mu[s : s + per_chunk], sd[s : s + per_chunk],
         h[s : s + per_chunk], linear, value_type, repetitions, kth, need_rii)
        for s in range(0, n_valid, per_chunk)
    ]
    if workers > 1 and len(tasks) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_simulate_chunk, tasks))
    else:
        results = [_simulate_chunk(t) for t in tasks]
    slope_k = np.concatenate([r[0] for r in results], axis=0)
    index = {p: i for i, p in enumerate(kth)}
    slope_lim = [(slope_k[:, index[lo]], slope_k[:, index[hi]]) for lo, hi in positions]
    rii_lim = None
    if need_rii:
        rii_k = np.concatenate([r[1] for r in results], axis=0)
        rii_lim = [(rii_k[:, index[lo]], rii_k[:, index[hi]]) for lo, hi in positions]
    return slope_lim, rii_lim


def sii(
    df: pd.DataFrame,
    quantile: str,
    population: str,
    value: str | None = None,
    *,
    count: str | None = None,
    group_by: str | Iterable[str] | None = None,
    se: str | None = None,
    lower: str | None = None,
    upper: str | None = None,
    value_type: str = "other",
    transform: bool = False,
    multiplier: float = 1,
    confidence: float | Sequence[float] = DEFAULT_CONFIDENCE,
    repetitions: int = 100_000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Slope index of inequality (SII) and relative index of inequality (RII) per group.

    Parameters
    ----------
    df
        One row per group and quantile (e.g. deprivation decile).
    quantile
        Numeric column of quantile labels, **1 = most deprived**; 5 to 100 distinct labels in
        the data. Every group needs every label.
    population
        Column of quantile populations (the regression weights).
    value
        Column of indicator values (rates per person/per 100,000 or proportions 0-1 for the
        rate/proportion types). If omitted, ``count / population``.
    count
        Column of counts: gives the value when ``value`` is omitted and, when neither ``se`` nor
        ``lower``/``upper`` is given, the standard error (see the module docstring).
    group_by
        Column name(s) defining the groups; ``None`` for one overall SII.
    se
        Column of standard errors (for rates/proportions: of the log/logit value, as R).
    lower, upper
        Columns of the 95% limits of the value; ``se = (upper - lower) / (2 * 1.959964)`` after
        the log/logit transformation for rates/proportions.
    value_type
        "other" (normal), "rate" (log-normal sampling) or "proportion" (logit-normal sampling).
    transform
        Fit on the log (rates) / logit (proportions) scale and back-transform, as R.
    multiplier
        Scales the SII, its limits and the intercept (e.g. 100 for percentage points); negative
        flips the SII and inverts the RII.
    confidence
        Any level(s) strictly between 0 and 1 (default 0.95 and 0.998); each gives its own limit
        columns, named by :func:`~jsna.stats._common.limit_columns` (0.99: ``sii_lower_99_0``,
        ``sii_upper_99_0``, ...; 0.9: ``..._90_0``). A level outside (0, 1), or given twice,
        raises ``ValueError`` naming it.
    repetitions
        Simulations for the limits (at least 1,000; default 100,000).
    seed
        Seed for reproducible limits; ``None`` draws fresh entropy.

    Returns
    -------
    DataFrame, one row per group (sorted): the group columns, ``sii``, ``sii_lower_95_0``,
    ``sii_upper_95_0``, ``sii_lower_99_8``, ``sii_upper_99_8`` (for the levels asked), ``rii``
    and its limits likewise, ``intercept``, ``confidence``, ``statistic`` ("Slope index of
    inequality", or why not calculated) and ``method``.
    """
    groups = group_list(group_by)
    levels = confidence_levels(confidence, any_level=True)
    _check_arguments(value, count, se, lower, upper, value_type, transform, multiplier, repetitions)
    multiplier = float(multiplier)
    inputs = [c for c in (population, value, count, se, lower, upper) if c is not None]
    require_columns(df, groups + [quantile] + inputs)
    quant = numeric_column(df, quantile, groups)
    bad_q = ~np.isfinite(quant)
    if bad_q.any():
        raise ValueError(f"{quantile} must not be missing (group {describe_group(df, groups, bad_q)})")
    columns = {c: numeric_column(df, c, groups) for c in dict.fromkeys(inputs)}

    labels = np.unique(quant)
    n_q = len(labels)
    if not 5 <= n_q <= 100:
        raise ValueError(f"{quantile} must have between 5 and 100 distinct quantiles in the data, found {n_q}")
    q_index = np.searchsorted(labels, quant)

    if groups:
        grouped = df.groupby(groups, sort=True, observed=True, dropna=False)
        gcodes = grouped.ngroup().to_numpy(dtype=np.int64)
        keys = grouped.size().index.to_frame(index=False)
    else:
        gcodes = np.zeros(len(df), dtype=np.int64)
        keys = pd.DataFrame(index=range(1))
    n_groups = len(keys)

    flat = gcodes * n_q + q_index
    counts = np.bincount(flat, minlength=n_groups * n_q).reshape(n_groups, n_q)
    if (counts > 1).any():
        row_mask = np.isin(flat, np.flatnonzero(counts.ravel() > 1))
        first = int(np.flatnonzero(row_mask)[0])
        raise ValueError(
            f"{quantile} has duplicate quantile {quant[first]:g} (group {describe_group(df, groups, row_mask)}); "
            "give one row per group and quantile"
        )

    def grid(col: str) -> np.ndarray:
        out = np.full(n_groups * n_q, np.nan)
        out[flat] = columns[col]
        return out.reshape(n_groups, n_q)

    present = counts == 1
    pop = grid(population)
    cnt = grid(count) if count is not None else None
    val = grid(value) if value is not None else None
    with np.errstate(divide="ignore", invalid="ignore"):
        if val is None:
            val = cnt / pop

    reason = np.full(n_groups, "", dtype=object)
    undecided = np.ones(n_groups, dtype=bool)

    def flag(mask: np.ndarray, text: str) -> None:
        nonlocal undecided
        failing = undecided & mask
        reason[failing] = text
        undecided &= ~failing

    missing_q = ~present
    if missing_q.any():
        first = missing_q.argmax(axis=1)
        n_missing = missing_q.sum(axis=1)
        label_text = np.array([f"{x:g}" for x in labels], dtype=object)
        more = np.where(n_missing > 1, " (and " + (n_missing - 1).astype(str).astype(object) + " more)", "")
        text = "quantile " + label_text[first] + " missing" + more
        failing = undecided & missing_q.any(axis=1)
        reason[failing] = text[failing]
        undecided &= ~failing

    with np.errstate(invalid="ignore", divide="ignore"):
        flag(~np.isfinite(pop).all(axis=1) | (pop <= 0).any(axis=1), "population missing, or zero or less, in a quantile")
        if cnt is not None:
            flag(~np.isfinite(cnt).all(axis=1) | (cnt < 0).any(axis=1), "count missing or negative in a quantile")
            if value_type == "proportion":
                flag((cnt > pop).any(axis=1), "count greater than population in a quantile")
        flag(~np.isfinite(val).all(axis=1), "value missing in a quantile")
        if value_type == "rate":
            flag((val <= 0).any(axis=1), "rate of zero or less in a quantile (log undefined)")
        elif value_type == "proportion":
            flag(((val <= 0) | (val >= 1)).any(axis=1), "proportion not strictly between 0 and 1 in a quantile (logit undefined)")

        mu = _to_scale(val, value_type)
        if se is not None:
            sd = grid(se)
            flag(~np.isfinite(sd).all(axis=1), "standard error missing in a quantile")
            flag((sd < 0).any(axis=1), "negative standard error in a quantile")
        elif lower is not None:
            lo, hi = grid(lower), grid(upper)
            flag(~(np.isfinite(lo) & np.isfinite(hi)).all(axis=1), "lower or upper limit missing in a quantile")
            flag((hi < lo).any(axis=1), "upper limit below lower limit in a quantile")
            if value_type == "rate":
                flag((lo <= 0).any(axis=1), "lower limit of zero or less in a quantile (log undefined)")
            elif value_type == "proportion":
                flag(((lo <= 0) | (hi >= 1)).any(axis=1), "limits not strictly between 0 and 1 in a quantile (logit undefined)")
            sd = (_to_scale(hi, value_type) - _to_scale(lo, value_type)) / (2.0 * z_value(0.95))
        else:
            flag((cnt == 0).any(axis=1), "zero count in a quantile (no standard error on the log/logit scale)")
            if value_type == "rate":
                sd = 1.0 / np.sqrt(cnt)
            else:
                flag((cnt >= pop).any(axis=1), "count equal to population in a quantile (no standard error on the logit scale)")
                sd = np.sqrt(1.0 / cnt + 1.0 / (pop - cnt))
    valid = undecided

    out = keys.copy() if groups else pd.DataFrame(index=range(1))
    sii_v = np.full(n_groups, np.nan)
    rii_v = np.full(n_groups, np.nan)
    icept_v = np.full(n_groups, np.nan)
    limits = {level: [np.full(n_groups, np.nan) for _ in range(4)] for level in levels}

    if valid.any():
        P, Y, MU, SD = pop[valid], val[valid], mu[valid], sd[valid]
        a = P / P.sum(axis=1, keepdims=True)
        cum = np.cumsum(a, axis=1)
        b = np.concatenate([np.zeros((len(a), 1)), cum[:, :-1]], axis=1) + a / 2.0
        # Weighted least squares by closed form: h (g x 2 x q) maps values to (intercept, slope).
        s_a = a.sum(axis=1)
        s_ab = (a * b).sum(axis=1)
        s_abb = (a * b * b).sum(axis=1)
        det = s_a * s_abb - s_ab**2
        h0 = a * (s_abb[:, None] - s_ab[:, None] * b) / det[:, None]
        h1 = a * (s_a[:, None] * b - s_ab[:, None]) / det[:, None]
        h = np.stack([h0, h1], axis=1)
        y_fit = MU if transform else Y
        c0 = (h0 * y_fit).sum(axis=1)
        c1 = (h1 * y_fit).sum(axis=1)

        linear = transform or value_type == "other"
        group_keys = _key_tuples(keys, groups)[valid]
        slope_lim, rii_lim = _simulate(
            MU, SD, h, group_keys, linear, value_type, repetitions, levels, seed, not transform
        )

        negative = multiplier < 0
        if transform:
            top = _from_scale(c0 + c1, value_type)
            bottom = _from_scale(c0, value_type)
            s = (top - bottom) * multiplier
            r = top / bottom
            half = c0 + c1 / 2.0
            for level, (s_lo, s_hi) in zip(levels, slope_lim):
                ends = []
                for slope_end in (s_lo, s_hi):
                    t = _from_scale(half + slope_end / 2.0, value_type)
                    o = _from_scale(half - slope_end / 2.0, value_type)
                    ends.append(((t - o) * multiplier, t / o))
                (sii_a, rii_a), (sii_b, rii_b) = ends
                if negative:
                    values = (sii_b, sii_a, 1.0 / rii_b, 1.0 / rii_a)
                else:
                    values = (sii_a, sii_b, rii_a, rii_b)
                for target, v in zip(limits[level], values):
                    target[valid] = v
            icept = bottom * abs(multiplier)
        else:
            s = c1 * multiplier
            r = (c0 + c1) / c0
            for level, (s_lo, s_hi), (r_lo, r_hi) in zip(levels, slope_lim, rii_lim):
                if negative:
                    values = (s_hi * multiplier, s_lo * multiplier, 1.0 / r_hi, 1.0 / r_lo)
                else:
                    values = (s_lo * multiplier, s_hi * multiplier, r_lo, r_hi)
                for target, v in zip(limits[level], values):
                    target[valid] = v
            icept = c0 * abs(multiplier)
        if negative:
            r = 1.0 / r
        sii_v[valid], rii_v[valid], icept_v[valid] = s, r, icept

    out["sii"] = sii_v
    for level in levels:
        lo_name, hi_name = limit_columns(level, "sii_")
        out[lo_name], out[hi_name] = limits[level][0], limits[level][1]
    out["rii"] = rii_v
    for level in levels:
        lo_name, hi_name = limit_columns(level, "rii_")
        out[lo_name], out[hi_name] = limits[level][2], limits[level][3]
    out["intercept"] = icept_v
    out["confidence"] = confidence_label(levels)
    statistic = np.where(valid, "Slope index of inequality", "Slope index of inequality: not calculated, " + reason)
    out["statistic"] = pd.Series(statistic, dtype=object)
    out["method"] = _method_text(value_type, transform, repetitions, multiplier)
    return out.reset_index(drop=True)


def _method_text(value_type: str, transform: bool, repetitions: int, multiplier: float) -> str:
    scale = {"other": "normal", "rate": "log-normal", "proportion": "logit-normal"}[value_type]
    fit = {"rate": "log", "proportion": "logit"}.get(value_type, "") + " scale" if transform else "original scale"
    text = (
        f"Population-weighted regression on cumulative population midpoints (1 = most deprived), "
        f"fitted on the {fit}; limits by simulation ({repetitions:,} repetitions, {scale} sampling)"
    )
    if multiplier != 1:
        text += f"; multiplier {multiplier:g}"
    return text
