"""Life expectancy from an abridged life table, as Fingertips and PHEindicatormethods compute it.

Method
------
Chiang's method II abridged life table (Chiang 1968/1984; Newell 1994) on 20 age bands
"0", "1-4", "5-9", ..., "85-89", "90+", with the Silcocks et al (2001) variance for the
final open band, exactly as PHEindicatormethods v2 ``phe_life_expectancy`` (and the PHE Life
Expectancy Calculator it reproduces). For band ``i`` with deaths ``D``, population ``P``,
width ``n`` (1, 4, 5, ..., 5) and fraction of the interval lived by those who die ``a``
(0.1 in the first year of life, otherwise 0.5):

* ``M = D / P``;
* ``q = n M / (1 + n M (1 - a))``, or 1 when ``D > P / (n a)`` (more deaths than the band can
  hold); ``q = 1`` in the final band; ``p = 1 - q``;
* ``l_0 = 100,000``, ``l_{i+1} = l_i p_i``; ``d_i = l_i - l_{i+1}`` (``d = l`` in the final band);
* ``L_i = n (l_{i+1} + a d_i)``; final band ``L = l / M``;
* ``T_i = sum_{j >= i} L_j`` and life expectancy ``e_i = T_i / l_i`` (0 where ``l_i = 0``);
* variance: ``S2p_i = q^2 (1 - q) / D`` (0 where ``d_i = 0``), final band
  ``S2p = 4 / (D M^2)`` (Silcocks); weighted ``W_i = l_i^2 S2p_i ((1 - a) n + e_{i+1})^2``,
  final band ``W = (l / 2)^2 S2p``; ``se_i = sqrt(sum_{j >= i} W_j) / l_i``;
* limits ``e -/+ z se``.

Rules (PHEindicatormethods v2 ``phe_life_expectancy``; not in the published technical guide)
---------------------------------------------------------------------------------------------
A group is not calculated (``value``, ``se`` and limits missing, the reason in ``statistic``)
when, checked in this order:

1. a deaths or population value is missing or not finite (not an R rule: R would propagate NA);
2. any band has negative deaths;
3. any band has a population of zero or less;
4. any of the 20 bands is missing;
5. any band has more deaths than population;
6. the group's total population is 5,000 or less (R: ``total_pop <= 5000``).

Zero deaths in any band are not a reason to leave a group out. Where the 95% confidence
interval of a life expectancy is wider than 20 years (``1.959964 * se > 10``) the **value** is
withheld (NaN) but ``se`` and the limits are still given, as R does; ``statistic`` says so.

No deaths in the 90+ band
-------------------------
The R documentation says "there must be at least one death in the 90+ interval", but R does
not stop: it computes the table in IEEE arithmetic and publishes what comes out, and so does
this module. With ``D = 0`` in 90+, ``M = 0`` there, ``L = l / M = +inf``, so ``T`` and every
life expectancy are ``+inf``; Silcocks' term ``S2p = 4 / (D M^2) = +inf``, so ``se = +inf``.
Hence, at every start age:

* ``value``: withheld (NaN); R blanks the infinite value to NA (and its 95% interval is
  infinitely wide anyway); ``statistic`` reads "...: value withheld, no deaths in the 90+ band
  (life expectancy infinite)";
* ``se`` and every **upper** limit: ``+inf`` (``e + z se``);
* every **lower** limit: NaN (``e - z se = inf - inf``);
* except that at start ages at or below a closed band with no deaths, R's weighted variance
  term for that band is ``0 x inf = NaN`` (its ``S2p`` is 0, the ``e`` after it infinite), so
  ``se`` and the upper limits there are NaN, as in R.

Duplicate age bands within a group are **rejected** with ``ValueError`` (naming the group and
the band) rather than summed: a duplicate almost always means two extracts were stacked (two
years, two sexes) and summing would silently give a wrong table. Sum beforehand if that is
what you mean.

References: Chiang CL, *The Life Table and its Applications*, 1984; Silcocks PBS, Jenner DA,
Reza R, J Epidemiol Community Health 2001;55:38-43; Eayres DP, Williams ES, JECH
2004;58:243-249; PHEindicatormethods ``R/LifeExpectancy.R``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from jsna.stats._common import (
    DEFAULT_CONFIDENCE,
    confidence_levels,
    describe_group,
    finish,
    group_list,
    limit_columns,
    numeric_column,
    plain,
    require_columns,
    z_value,
)

#: The 20 age bands, youngest first.
AGE_BANDS: tuple[str, ...] = ("0", "1-4") + tuple(f"{s}-{s + 4}" for s in range(5, 90, 5)) + ("90+",)
#: Start age of each band.
START_AGES: np.ndarray = np.array([0, 1] + list(range(5, 95, 5)), dtype=np.int64)
N_BANDS = len(AGE_BANDS)

_WIDTH = np.array([1.0, 4.0] + [5.0] * 17)  # n for the 19 closed bands
_A = np.array([0.1] + [0.5] * 18)  # a for the 19 closed bands
_BAND_INDEX = {label: i for i, label in enumerate(AGE_BANDS)}
_START_INDEX = {int(age): i for i, age in enumerate(START_AGES)}
_MINIMUM_TOTAL_POPULATION = 5000.0
_RADIX = 1e5

METHOD = "Chiang II abridged life table (a0 = 0.1), Silcocks et al variance for 90+"


def _normalise_label(label: object) -> int:
    """Index of an age band label, or -1. Accepts "10-14", "10 - 14", "10–14", "90 +" or a start age."""
    if isinstance(label, (bool, np.bool_)):
        return -1
    if isinstance(label, (int, np.integer)):
        return _START_INDEX.get(int(label), -1)
    if isinstance(label, (float, np.floating)):
        if np.isfinite(label) and float(label).is_integer():
            return _START_INDEX.get(int(label), -1)
        return -1
    if not isinstance(label, str):
        return -1
    text = label.strip().replace("\u2013", "-").replace("\u2014", "-").replace(" ", "")
    return _BAND_INDEX.get(text, -1)


def _band_codes(df: pd.DataFrame, column: str, groups: list[str]) -> np.ndarray:
    """Band index 0..19 of every row; ValueError naming the first unknown label and its group."""
    codes, uniques = pd.factorize(df[column], use_na_sentinel=True)
    lookup = np.array([_normalise_label(u) for u in uniques] + [-1], dtype=np.int64)
    bands = lookup[codes]  # code -1 (missing label) indexes the trailing -1
    bad = bands < 0
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{column} has an unknown age band {plain(df[column].iloc[first])!r} (group "
            f"{describe_group(df, groups, bad)}); expected one of {list(AGE_BANDS)}"
        )
    return bands




def _group_codes(df: pd.DataFrame, groups: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Group number of every row (groups sorted) and the frame of group keys."""
    if not groups:
        return np.zeros(len(df), dtype=np.int64), pd.DataFrame(index=range(1))
    grouped = df.groupby(groups, sort=True, observed=True, dropna=False)
    codes = grouped.ngroup().to_numpy(dtype=np.int64)
    keys = grouped.size().index.to_frame(index=False)
    return codes, keys


def _reverse_cumsum(x: np.ndarray) -> np.ndarray:
    return np.cumsum(x[:, ::-1], axis=1)[:, ::-1]


def life_table_columns(deaths: np.ndarray, population: np.ndarray) -> dict[str, np.ndarray]:
    """The columns of the abridged life table for (groups x 20) arrays of valid data: ``M``,
    ``q`` (closed bands), ``l``, ``d``, ``L`` and ``T``, each (groups x 20) but ``q`` (x 19).

    Rows are independent. :func:`life_table` and the Arriaga decomposition both build on it.
    """
    D = np.asarray(deaths, dtype=float)
    P = np.asarray(population, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        M = D / P
        Dc, Pc, Mc = D[:, :-1], P[:, :-1], M[:, :-1]
        q_closed = np.where(
            Dc <= Pc / _WIDTH / _A,
            Mc * _WIDTH / (1.0 + Mc * _WIDTH * (1.0 - _A)),
            1.0,
        )
        # l_0 = 100,000; l_i = l_{i-1} p_{i-1}, multiplied in the same order as R's cumprod.
        factors = np.concatenate([np.full((D.shape[0], 1), _RADIX), 1.0 - q_closed], axis=1)
        l = np.cumprod(factors, axis=1)
        l_next = np.concatenate([l[:, 1:], np.zeros((D.shape[0], 1))], axis=1)
        d = l - l_next
        L = np.concatenate([_WIDTH * (l[:, 1:] + _A * d[:, :-1]), (l[:, -1] / M[:, -1])[:, None]], axis=1)
        T = _reverse_cumsum(L)
    return {"M": M, "q": q_closed, "l": l, "d": d, "L": L, "T": T}


def life_table(deaths: np.ndarray, population: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Life expectancy and its standard error at each start age, for (groups x 20) arrays.

    The arrays must hold valid data (see the module docstring); rows are independent.
    """
    D = np.asarray(deaths, dtype=float)
    table = life_table_columns(deaths, population)
    M, q_closed, l, d, T = table["M"], table["q"], table["l"], table["d"], table["T"]
    Dc = D[:, :-1]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        e = np.where(l == 0, 0.0, T / l)

        s2p_closed = np.where(d[:, :-1] == 0, 0.0, q_closed**2 * (1.0 - q_closed) / Dc)
        s2p_final = 4.0 / (D[:, -1] * M[:, -1] ** 2)
        W = np.concatenate(
            [
                s2p_closed * l[:, :-1] ** 2 * ((1.0 - _A) * _WIDTH + e[:, 1:]) ** 2,
                ((l[:, -1] / 2.0) ** 2 * s2p_final)[:, None],
            ],
            axis=1,
        )
        se = np.sqrt(_reverse_cumsum(W) / l**2)
    return e, se


def life_expectancy(
    df: pd.DataFrame,
    deaths: str,
    population: str,
    *,
    age_band: str = "age_band",
    group_by: str | Iterable[str] | None = None,
    confidence: float | Sequence[float] = DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """Life expectancy at each start age (0, 1, 5, ..., 90) for every group.

    Parameters
    ----------
    df
        One row per group and age band, in any order.
    deaths, population
        Column names: deaths and (mid-year) population, or person-years, in the band.
    age_band
        Column of band labels "0", "1-4", "5-9", ..., "85-89", "90+" (spaces and en dashes are
        tolerated, and integer start ages 0, 1, 5, ..., 90 are accepted). Any other label raises
        ``ValueError`` naming the column and the group.
    group_by
        Column name(s) defining the areas (and sexes, periods, ...); ``None`` for one table.
    confidence
        Any level(s) strictly between 0 and 1, default 0.95 and 0.998 (0.99 gives
        ``lower_99_0``/``upper_99_0``). The 20-year rule always uses the 95% interval.

    Returns
    -------
    DataFrame, 20 rows per group (groups sorted, start ages ascending): the group columns,
    ``start_age``, ``deaths`` and ``population`` (under the given column names: the totals over
    the bands from ``start_age`` upwards that the value uses, R's ``dths_used``/``pops_used``),
    ``value`` (years), ``se``, ``lower_95_0``/``upper_95_0`` and/or ``lower_99_8``/``upper_99_8``,
    ``confidence``, ``statistic`` ("Life expectancy at age 65", or why the value is withheld or
    not calculated) and ``method``.

    Invalid groups (see the module docstring) get missing values and a reason; they do not
    stop the other groups. Missing columns, non-numeric columns, unknown band labels and
    duplicate bands raise ``ValueError``.
    """
    groups = group_list(group_by)
    levels = confidence_levels(confidence, any_level=True)
    require_columns(df, groups + [age_band, deaths, population])
    D_rows = numeric_column(df, deaths, groups)
    P_rows = numeric_column(df, population, groups)
    bands = _band_codes(df, age_band, groups)
    gcodes, keys = _group_codes(df, groups)
    n_groups = len(keys)

    # Reshape to (groups x 20).
    flat = gcodes * N_BANDS + bands
    counts = np.bincount(flat, minlength=n_groups * N_BANDS).reshape(n_groups, N_BANDS)
    if (counts > 1).any():
        dup_flat = np.flatnonzero(counts.ravel() > 1)
        row_mask = np.isin(flat, dup_flat)
        first = int(np.flatnonzero(row_mask)[0])
        raise ValueError(
            f"{age_band} has duplicate age band {AGE_BANDS[bands[first]]!r} (group "
            f"{describe_group(df, groups, row_mask)}); give one row per group and band "
            "(sum duplicates first if that is intended)"
        )
    D = np.full(n_groups * N_BANDS, np.nan)
    P = np.full(n_groups * N_BANDS, np.nan)
    D[flat] = D_rows
    P[flat] = P_rows
    D = D.reshape(n_groups, N_BANDS)
    P = P.reshape(n_groups, N_BANDS)
    present = counts == 1

    reason, valid = _validate(D, P, present)

    value = np.full((n_groups, N_BANDS), np.nan)
    se = np.full((n_groups, N_BANDS), np.nan)
    if valid.any():
        e_valid, se_valid = life_table(D[valid], P[valid])
        value[valid] = e_valid
        se[valid] = se_valid
    z95 = z_value(0.95)
    with np.errstate(invalid="ignore"):
        wide = z95 * se > 10.0  # NaN compares False, as R's case_when treats NA
    limits = {}
    with np.errstate(invalid="ignore"):  # inf - inf = NaN: no deaths in 90+ (module docstring)
        for level in levels:
            z = z_value(level)
            limits[level] = (value - z * se, value + z * se)
    withheld = wide | np.isinf(value)
    value = np.where(withheld, np.nan, value)
    # No deaths in 90+: every value is infinite, limits +inf / NaN as R gives (module docstring).
    no_old_deaths = (valid & (D[:, -1] == 0))[:, None] & withheld

    # Statistic text: per start age, then overridden for withheld values and invalid groups.
    base = np.array([f"Life expectancy at age {age}" for age in START_AGES], dtype=object)
    statistic = np.tile(base, (n_groups, 1))
    statistic[wide] = (np.broadcast_to(base, wide.shape)[wide] + ": value withheld, 95% confidence interval wider than 20 years")
    statistic[no_old_deaths] = (
        np.broadcast_to(base, no_old_deaths.shape)[no_old_deaths]
        + ": value withheld, no deaths in the 90+ band (life expectancy infinite)"
    )
    if (~valid).any():
        bad_rows = np.flatnonzero(~valid)
        statistic[bad_rows] = base[None, :] + ": not calculated, " + reason[bad_rows][:, None]

    rows = n_groups * N_BANDS
    out = keys.iloc[np.repeat(np.arange(n_groups), N_BANDS)].reset_index(drop=True) if groups else pd.DataFrame(index=range(rows))
    out["start_age"] = np.tile(START_AGES, n_groups)
    out[deaths] = _reverse_cumsum(D).ravel()
    out[population] = _reverse_cumsum(P).ravel()
    out["value"] = value.ravel()
    out["se"] = se.ravel()
    for level in levels:
        low_name, up_name = limit_columns(level)
        out[low_name] = limits[level][0].ravel()
        out[up_name] = limits[level][1].ravel()
    return finish(
        out,
        groups + ["start_age"],
        [deaths, population],
        levels,
        pd.Series(statistic.ravel(), dtype=object),
        METHOD,
        extra=["se"],
    )


def _validate(D: np.ndarray, P: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reason each group cannot be calculated ("" if it can) and the mask of valid groups.

    Checks in PHEindicatormethods' order; the first that fails is reported, naming the first
    offending band.
    """
    n_groups = D.shape[0]
    labels = np.array(AGE_BANDS, dtype=object)
    with np.errstate(invalid="ignore"):
        checks = [
            (present & ~(np.isfinite(D) & np.isfinite(P)), "deaths or population missing or not finite in band "),
            (present & (D < 0), "negative deaths in band "),
            (present & (P <= 0), "population of zero or less in band "),
            (~present, "missing age band "),
            (present & (D > P), "more deaths than population in band "),
        ]
    reason = np.full(n_groups, "", dtype=object)
    undecided = np.ones(n_groups, dtype=bool)
    for mask, text in checks:
        failing = undecided & mask.any(axis=1)
        if failing.any():
            first_band = mask[failing].argmax(axis=1)
            count = mask[failing].sum(axis=1)
            more = np.where(count > 1, " (and " + (count - 1).astype(str).astype(object) + " more)", "")
            reason[failing] = text + labels[first_band] + more
            undecided &= ~failing
    with np.errstate(invalid="ignore"):
        total = P.sum(axis=1)
        small = undecided & (total <= _MINIMUM_TOTAL_POPULATION)
        reason[small] = "total population 5,000 or less"
        undecided &= ~small
    return reason, undecided
