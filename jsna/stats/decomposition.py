"""Arriaga's decomposition of a life-expectancy gap by age band and cause of death.

What it answers
---------------
Two populations (typically the most and least deprived quintile of an area) have life
expectancies at birth ``e0(reference)`` and ``e0(comparison)``. The gap
``e0(comparison) - e0(reference)`` is split into the years that each age band contributes
(because its death rates differ between the two populations) and, within each band, each cause
of death. This is the breakdown OHID's (formerly PHE's) Segment Tool publishes, where the
reference ("base area") is the most deprived quintile and the comparison ("comparator") the
least deprived, so that a positive gap is the number of years by which the least deprived live
longer. A positive contribution adds to ``e0(comparison) - e0(reference)`` (the band's or
cause's death rates are lower in the comparison population); a negative one takes from it.

Life tables
-----------
Both populations get exactly the abridged life table of :mod:`jsna.stats.life_expectancy`
(Chiang II on the 20 bands "0", "1-4", "5-9", ..., "85-89", "90+"; ``a = 0.1`` in the first
year of life and 0.5 otherwise; final band ``L = l / M``; radix ``l_0 = 100,000``), so
``e0_reference`` and ``e0_comparison`` equal :func:`jsna.stats.life_expectancy` at age 0.
The publication rules of that function (total population over 5,000, confidence interval no
wider than 20 years) are **not** applied here: every table that can be built is decomposed;
check the life expectancies with :func:`~jsna.stats.life_expectancy` if reliability matters.

Age contributions (Arriaga 1984, in Preston, Heuveline and Guillot's notation)
------------------------------------------------------------------------------
With ``l``, ``L`` and ``T`` of population 1 (reference) and 2 (comparison) and radix ``l_0``,
the contribution of closed band ``i`` is::

    Delta_i = (l1_i / l_0) (L2_i / l2_i - L1_i / l1_i)
              + (T2_{i+1} / l_0) (l1_i / l2_i - l1_{i+1} / l2_{i+1})

(the direct effect of the band's different mortality on the years lived in it, plus the
indirect effect on the years lived by the extra or fewer survivors after it), and of the open
final band ``n``::

    Delta_n = (l1_n / l_0) (T2_n / l2_n - T1_n / l1_n).

The terms telescope, so ``sum_i Delta_i = e0(comparison) - e0(reference)`` exactly (up to
floating-point rounding, about 1e-13 years).

Cause contributions
-------------------
Each band's contribution is shared between causes in proportion to the difference in their
death rates ``m = deaths / population`` (Preston, Heuveline and Guillot 2001)::

    Delta_{i,c} = Delta_i (m2_{i,c} - m1_{i,c}) / (m2_i - m1_i).

``Delta_i / (m2_i - m1_i)`` is the band's *sensitivity*: years of life expectancy per unit of
death rate. For this life table it has a closed form (from ``q = n M / (1 + n (1 - a) M)``)::

    S_i = -(l1_i / l_0) n_i (n_i (1 - a_i) + e2_{i+1}) / ((1 + n_i (1 - a_i) m1_i)(1 + n_i (1 - a_i) m2_i))
    S_n = -(l1_n / l_0) / (m1_n m2_n)                              (open final band)

where ``e2_{i+1} = T2_{i+1} / l2_{i+1}``; algebraically ``Delta_i = S_i (m2_i - m1_i)``. The cause
contributions are computed as ``S_i (m2_{i,c} - m1_{i,c})``, which is the formula above
whenever the rates differ and stays defined when they do not.

**Rule for equal rates.** When a band's all-cause rates are equal (``m2_i = m1_i``) its age
contribution is zero and the formula above is 0/0. The cause contributions are then
``S_i (m2_{i,c} - m1_{i,c})``, the limit of the proportional rule as the two all-cause rates
approach each other: causes whose rates differ get equal and opposite contributions (a cause
with higher mortality in the comparison population gets a negative one), summing to the band's
zero, and causes with equal rates get zero. Cause contributions therefore always sum to the
age contribution, and over all bands to the gap (to rounding, about 1e-13 years); nothing is
lumped into an "unallocated" cause. Using ``S_i`` rather than ``Delta_i / (m2_i - m1_i)`` also
avoids dividing a rounding error by a tiny rate difference.

Conventions
-----------
* Input: one row per (``group_by``..., ``group``, [``cause``], age band) with deaths and
  population; the population is that of the band (repeated on each cause's row, and it must
  be the same on each). Causes must be mutually exclusive and exhaustive: the all-cause deaths
  are their sum. Every ``group_by`` group needs both compared groups, every cause and all 20
  bands (give a cause with no deaths a row with 0 deaths). Rows of other ``group`` values (e.g.
  quintiles 2 to 4) are ignored.
* Invalid input raises ``ValueError`` naming the column and the group: missing columns,
  non-numeric, missing or infinite values, negative deaths, population of zero or less,
  unknown age bands, duplicate rows, missing compared group, cause or band, populations that
  differ between causes, more deaths than population, a closed band with so many deaths that
  nobody survives it (``n a D >= P``, where the life table has ``q = 1``), and no deaths in the
  90+ band (its life expectancy would be infinite).
* Output is tidy: one row per group, age band (and cause), in sorted group order, bands
  youngest first, causes sorted.

References
----------
Arriaga EE. Measuring and explaining the change in life expectancies. Demography
1984;21(1):83-96. Preston SH, Heuveline P, Guillot M. *Demography: Measuring and Modeling
Population Processes*. Blackwell, 2001 (age and cause decomposition). Public Health England /
OHID, *Segment Tool* and its technical document (the gap between the most deprived quintile,
the "base area", and the least deprived, the "comparator", broken down by age and cause). The
formulas were checked against the R packages LEdecomp (Riffe et al., ``arriaga()``: the age
formula above, with ``T2_{n+1} = 0`` closing the open band) and herts-phei/decompositionLE
(``decomp_disease()``: the proportional cause split), which implement the same equations.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import pandas as pd

from jsna.stats._common import (
    check_values,
    group_list,
    numeric_column,
    plain,
    require_columns,
)
from jsna.stats.life_expectancy import (
    _A,
    _RADIX,
    _WIDTH,
    AGE_BANDS,
    N_BANDS,
    _band_codes,
    _group_codes,
    life_table_columns,
)


def _life_table_columns(deaths: np.ndarray, population: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``l``, ``L`` and ``T`` of the life table of :func:`jsna.stats.life_expectancy.life_table`
    (the same function computes them), for (groups x 20) arrays of valid data."""
    table = life_table_columns(deaths, population)
    return table["l"], table["L"], table["T"]


def _age_contributions(
    l1: np.ndarray,
    L1: np.ndarray,
    T1: np.ndarray,
    l2: np.ndarray,
    L2: np.ndarray,
    T2: np.ndarray,
) -> np.ndarray:
    """Arriaga's contribution of each band, (groups x 20); population 1 is the reference."""
    closed = (l1[:, :-1] / _RADIX) * (L2[:, :-1] / l2[:, :-1] - L1[:, :-1] / l1[:, :-1])
    closed = closed + (T2[:, 1:] / _RADIX) * (
        l1[:, :-1] / l2[:, :-1] - l1[:, 1:] / l2[:, 1:]
    )
    final = (l1[:, -1] / _RADIX) * (T2[:, -1] / l2[:, -1] - T1[:, -1] / l1[:, -1])
    return np.concatenate([closed, final[:, None]], axis=1)


def _sensitivity(
    l1: np.ndarray,
    m1: np.ndarray,
    l2: np.ndarray,
    T2: np.ndarray,
    m2: np.ndarray,
) -> np.ndarray:
    """Arriaga contribution per unit of rate difference, ``Delta_i / (m2_i - m1_i)``, in closed
    form (defined also when the rates are equal); (groups x 20)."""
    nb = _WIDTH * (1.0 - _A)
    e2_next = T2[:, 1:] / l2[:, 1:]
    closed = -(l1[:, :-1] / _RADIX) * _WIDTH * (nb + e2_next)
    closed = closed / ((1.0 + nb * m1[:, :-1]) * (1.0 + nb * m2[:, :-1]))
    final = -(l1[:, -1] / _RADIX) / (m1[:, -1] * m2[:, -1])
    return np.concatenate([closed, final[:, None]], axis=1)


def _numeric_rows(df: pd.DataFrame, column: str, where: list[str]) -> np.ndarray:
    """The column as float; ``ValueError`` naming it and the group of a non-numeric, missing or
    infinite value."""
    values = numeric_column(df, column, where)
    check_values(df, column, where, np.isnan(values), "must not be missing")
    check_values(df, column, where, np.isinf(values), "must be finite")
    return values


def _where(
    keys: pd.DataFrame,
    groups: list[str],
    k: int,
    extra: Iterable[tuple[str, object]] = (),
) -> str:
    """Description of group ``k`` (and e.g. the compared group, cause) for messages."""
    parts = [f"{g}={plain(keys.iloc[k][g])!r}" for g in groups]
    parts += [f"{name}={plain(value)!r}" for name, value in extra]
    return ", ".join(parts) if parts else "all rows"


def arriaga(
    df: pd.DataFrame,
    deaths: str,
    population: str,
    *,
    group: str,
    reference: Hashable,
    comparison: Hashable,
    cause: str | None = None,
    age_band: str = "age_band",
    group_by: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Decompose ``e0(comparison) - e0(reference)`` by age band (and cause) with Arriaga's method.

    Parameters
    ----------
    df
        One row per (``group_by``..., ``group``, [``cause``], age band), in any order. Rows whose
        ``group`` is neither ``reference`` nor ``comparison`` are ignored.
    deaths, population
        Column names: deaths and (mid-year) population, or person-years, in the band. With
        ``cause``, deaths are those from the cause and the population is the band's (the same
        on every cause's row).
    group
        Column holding the two populations compared, e.g. the deprivation quintile.
    reference, comparison
        The two values of ``group`` compared. The gap is ``e0(comparison) - e0(reference)``;
        for the usual "least deprived minus most deprived" gap (positive, in years) give
        ``reference=<most deprived>`` and ``comparison=<least deprived>``, e.g. ``reference=1,
        comparison=5`` with quintile 1 the most deprived.
    cause
        Optional column of causes of death (mutually exclusive and exhaustive). Without it the
        gap is split by age band only.
    age_band
        Column of band labels "0", "1-4", "5-9", ..., "85-89", "90+" (as accepted by
        :func:`jsna.stats.life_expectancy`, including integer start ages).
    group_by
        Column name(s) of the areas (sexes, periods, ...) each decomposed separately; ``None``
        for one decomposition.

    Returns
    -------
    DataFrame with 20 rows (20 x number of causes with ``cause``) per ``group_by`` group,
    groups sorted: the ``group_by`` columns; ``age_band`` (under the given column name, an
    ordered categorical of the 20 canonical labels, youngest first); the ``cause`` column (if
    given, causes sorted); ``contribution``, years of the gap due to the band's (and cause's)
    different death rates, which sum within a group to ``gap``; and the group's summary,
    repeated on each of its rows: ``e0_reference``, ``e0_comparison`` (life expectancy at
    birth, as :func:`jsna.stats.life_expectancy`) and ``gap = e0_comparison - e0_reference``.

    Raises
    ------
    ValueError
        For invalid input, naming the column and the group (see the module docstring).
    """
    groups = group_list(group_by)
    causes_given = cause is not None
    roles = (
        groups
        + [group, age_band, deaths, population]
        + ([cause] if causes_given else [])
    )
    if len(set(roles)) != len(roles):
        raise ValueError(
            f"the columns must all differ: group_by={groups}, group={group!r}, "
            f"cause={cause!r}, age_band={age_band!r}, deaths={deaths!r}, "
            f"population={population!r}"
        )
    require_columns(df, roles)
    if reference == comparison:
        raise ValueError(
            f"{group}: reference and comparison must differ, both are {reference!r}"
        )
    values = df[group]
    is_reference = (values == reference).to_numpy(dtype=bool)
    is_comparison = (values == comparison).to_numpy(dtype=bool)
    for role, value, found in (
        ("reference", reference, is_reference),
        ("comparison", comparison, is_comparison),
    ):
        if not found.any():
            present = [plain(v) for v in pd.unique(values.dropna())][:20]
            raise ValueError(
                f"{group} has no rows for the {role} value {value!r}; values found: "
                f"{present}"
            )
    keep = is_reference | is_comparison
    sub = df.loc[keep].reset_index(drop=True)
    side = is_comparison[keep].astype(np.int64)  # 0 = reference, 1 = comparison
    where = groups + [group] + ([cause] if causes_given else [])

    # ---- row-level checks -----------------------------------------------------------------
    if causes_given:
        missing_cause = sub[cause].isna().to_numpy()
        check_values(sub, cause, where, missing_cause, "must not be missing")
    D_rows = _numeric_rows(sub, deaths, where)
    P_rows = _numeric_rows(sub, population, where)
    check_values(sub, deaths, where, D_rows < 0, "must be greater than or equal to zero")
    check_values(sub, population, where, P_rows <= 0, "must be greater than zero")
    bands = _band_codes(sub, age_band, where)
    if causes_given:
        cause_codes, cause_values = pd.factorize(sub[cause], sort=True)
        cause_codes = cause_codes.astype(np.int64)
    else:
        cause_codes, cause_values = np.zeros(len(sub), dtype=np.int64), None
    n_causes = len(cause_values) if causes_given else 1
    gcodes, keys = _group_codes(sub, groups)
    n_groups = len(keys)

    # ---- reshape to (groups x 2 x causes x 20) ----------------------------------------------
    shape = (n_groups, 2, n_causes, N_BANDS)
    flat = ((gcodes * 2 + side) * n_causes + cause_codes) * N_BANDS + bands
    counts = np.bincount(flat, minlength=int(np.prod(shape)))
    if (counts > 1).any():
        row_mask = counts[flat] > 1
        first = int(np.flatnonzero(row_mask)[0])
        k = int(gcodes[first])
        extra = [(group, sub[group].iloc[first])]
        if causes_given:
            extra.append((cause, sub[cause].iloc[first]))
        raise ValueError(
            f"{age_band} has duplicate age band {AGE_BANDS[bands[first]]!r} (group "
            f"{_where(keys, groups, k, extra)}); give one row per group"
            f"{', cause' if causes_given else ''} and band (sum duplicates first if "
            "that is intended)"
        )
    present = counts.reshape(shape) == 1
    compared = (reference, comparison)
    side_present = present.any(axis=(2, 3))  # (groups x 2)
    if not side_present.all():
        k, s = (int(i[0]) for i in np.nonzero(~side_present))
        raise ValueError(
            f"{group} has no rows for {compared[s]!r} (group {_where(keys, groups, k)}); "
            f"every group needs both {reference!r} and {comparison!r}"
        )
    if causes_given:
        cause_present = present.any(axis=3)  # (groups x 2 x causes)
        if not cause_present.all():
            k, s, c = (int(i[0]) for i in np.nonzero(~cause_present))
            raise ValueError(
                f"{cause} {plain(cause_values[c])!r} has no rows (group "
                f"{_where(keys, groups, k, [(group, compared[s])])}); every group needs "
                "every cause in all 20 bands (give 0 deaths where there are none)"
            )
    if not present.all():
        k, s, c, b = (int(i[0]) for i in np.nonzero(~present))
        extra = [(group, compared[s])]
        if causes_given:
            extra.append((cause, cause_values[c]))
        raise ValueError(
            f"{age_band} is missing age band {AGE_BANDS[b]!r} (group "
            f"{_where(keys, groups, k, extra)}); all 20 bands are needed"
        )
    D = np.zeros(int(np.prod(shape)))
    P = np.zeros(int(np.prod(shape)))
    D[flat] = D_rows
    P[flat] = P_rows
    D = D.reshape(shape)
    P = P.reshape(shape)

    # ---- band-level checks on the all-cause table --------------------------------------------
    def grid_check(bad: np.ndarray, column: str, problem: str, hint: str = "") -> None:
        """ValueError naming the column, group, compared group and band of the first true
        cell of a (groups x 2 x 20) mask."""
        if bad.any():
            k, s, b = (int(i[0]) for i in np.nonzero(bad))
            raise ValueError(
                f"{column} {problem} in age band {AGE_BANDS[b]!r} (group "
                f"{_where(keys, groups, k, [(group, compared[s])])}; "
                f"{int(bad.sum())} band(s) affected){hint}"
            )

    P_band = P[:, :, 0, :]  # (groups x 2 x 20)
    if n_causes > 1:
        spread = P.max(axis=2) - P.min(axis=2)
        grid_check(
            spread > 1e-9 * P.max(axis=2),
            population,
            "differs between causes",
            "; give the band's population on every cause's row",
        )
    D_all = D.sum(axis=2)  # (groups x 2 x 20)
    grid_check(D_all > P_band, deaths, "(all causes) exceed the population")
    too_many = np.zeros_like(D_all, dtype=bool)
    too_many[:, :, :-1] = _WIDTH * _A * D_all[:, :, :-1] >= P_band[:, :, :-1]
    grid_check(
        too_many,
        deaths,
        "(all causes) are too many for the life table",
        "; nobody would survive the band (n a D >= P gives q = 1)",
    )
    no_old = np.zeros_like(D_all, dtype=bool)
    no_old[:, :, -1] = D_all[:, :, -1] == 0
    grid_check(
        no_old,
        deaths,
        "(all causes) are zero",
        "; the life expectancy of the open band would be infinite",
    )

    # ---- life tables and contributions -------------------------------------------------------
    l, L, T = _life_table_columns(
        D_all.reshape(n_groups * 2, N_BANDS), P_band.reshape(n_groups * 2, N_BANDS)
    )
    l, L, T = (x.reshape(n_groups, 2, N_BANDS) for x in (l, L, T))
    grid_check(
        ~(np.isfinite(l) & (l > 0)),
        deaths,
        "(all causes) leave no survivors in the life table (l underflows to 0)",
    )
    e0 = T[:, :, 0] / l[:, :, 0]
    age = _age_contributions(l[:, 0], L[:, 0], T[:, 0], l[:, 1], L[:, 1], T[:, 1])
    if causes_given:
        m = D / P_band[:, :, None, :]  # cause-specific rates (groups x 2 x causes x 20)
        m_all = D_all / P_band
        sens = _sensitivity(l[:, 0], m_all[:, 0], l[:, 1], T[:, 1], m_all[:, 1])
        by_cause = sens[:, None, :] * (m[:, 1] - m[:, 0])  # (groups x causes x 20)
        contribution = by_cause.transpose(0, 2, 1)  # (groups x 20 x causes)
    else:
        contribution = age[:, :, None]

    # ---- tidy output ------------------------------------------------------------------------
    per_group = N_BANDS * n_causes
    rows = n_groups * per_group
    if groups:
        out = keys.iloc[np.repeat(np.arange(n_groups), per_group)].reset_index(
            drop=True
        )
    else:
        out = pd.DataFrame(index=range(rows))
    out[age_band] = pd.Categorical.from_codes(
        np.tile(np.repeat(np.arange(N_BANDS), n_causes), n_groups),
        categories=list(AGE_BANDS),
        ordered=True,
    )
    if causes_given:
        out[cause] = cause_values[np.tile(np.arange(n_causes), n_groups * N_BANDS)]
    out["contribution"] = contribution.ravel() + 0.0  # + 0.0 turns -0.0 into 0.0
    out["e0_reference"] = np.repeat(e0[:, 0], per_group)
    out["e0_comparison"] = np.repeat(e0[:, 1], per_group)
    out["gap"] = out["e0_comparison"] - out["e0_reference"]
    return out
