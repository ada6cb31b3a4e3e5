"""Conventions shared by every method in :mod:`jsna.stats`.

Every public method:

* takes a DataFrame and column names, and works on many groups at once (no Python loop over
  rows or groups);
* validates its arguments first and raises ``ValueError`` naming the column and the group
  that are wrong;
* returns one row per group with the group columns, the summed inputs, ``value``, one pair of
  limit columns per confidence level (``lower_95_0``/``upper_95_0``, ``lower_99_8``/
  ``upper_99_8``; ``lower_99_0``/``upper_99_0`` for 99%, ``lower_99_99``/``upper_99_99`` for
  99.99%), and ``statistic`` and ``method`` columns that describe the result.

Confidence levels: 0.95 and 0.998 (Fingertips' two) by default. The methods that follow
PHEindicatormethods (proportions, crude rates, DSRs, ISRs, life expectancy, SII) accept any level
strictly between 0 and 1 (:func:`confidence_levels` with ``any_level=True``); funnel plots and
excess winter deaths keep to 0.95 and 0.998 (their significance labels and published figures
are tied to those two). A level is a fraction (0.95), never a percentage (95), and may be given
once only. PHEindicatormethods v2 itself takes 0.9 to 1 (or 90 to 100) and, for two levels,
only 0.95 with 0.998; the wider range here changes nothing at those levels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtri

#: The confidence levels Fingertips publishes.
DEFAULT_CONFIDENCE: tuple[float, ...] = (0.95, 0.998)


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile: Phi^-1(1 - (1 - c) / 2).

    1.959964 for 95%, 3.090232 for 99.8%.
    """
    return float(ndtri(1.0 - (1.0 - confidence) / 2.0))


def confidence_levels(confidence: float | Sequence[float], *, any_level: bool = False) -> tuple[float, ...]:
    """Normalise ``confidence`` to a tuple of levels.

    With ``any_level=False`` each level must be 0.95 or 0.998 (the two Fingertips publishes).
    With ``any_level=True`` each must be a number strictly between 0 and 1. Either way at least
    one level is needed, and no two may give the same limit columns (``ValueError`` naming the
    level otherwise).
    """
    levels = (confidence,) if np.isscalar(confidence) else tuple(confidence)
    if not levels:
        wanted = "a number strictly between 0 and 1" if any_level else "0.95 and/or 0.998"
        raise ValueError(f"confidence: give at least one level ({wanted})")
    out = []
    for level in levels:
        if any_level:
            numeric = isinstance(level, (int, float, np.integer, np.floating)) and not isinstance(level, (bool, np.bool_))
            if not numeric or not 0.0 < float(level) < 1.0:
                hint = f" (a fraction: {float(level) / 100:g} for {float(level):g}%)" if numeric and 1.0 < float(level) < 100.0 else ""
                raise ValueError(f"confidence: {level!r} is not a level strictly between 0 and 1{hint}")
        elif not any(np.isclose(level, allowed) for allowed in DEFAULT_CONFIDENCE):
            raise ValueError(f"confidence: {level!r} is not supported; use 0.95, 0.998 or both")
        out.append(float(level))
    suffixes = [level_suffix(level) for level in out]
    for i, suffix in enumerate(suffixes):
        if suffix in suffixes[:i]:
            raise ValueError(f"confidence: {levels[i]!r} is given more than once (both give the columns *_{suffix})")
    return tuple(out)


def _percent_text(confidence: float) -> str:
    """The level as a percentage: one decimal place ("95.0", "99.8"), or as many as it needs
    (up to eight) when one would round it ("99.99" for 0.9999)."""
    percent = confidence * 100.0
    text = f"{percent:.1f}"
    if abs(float(text) - percent) > 1e-9 * max(1.0, percent):
        text = np.format_float_positional(percent, precision=8, unique=True, trim="-")
    return text


def level_suffix(confidence: float) -> str:
    """Column suffix for a confidence level: 0.95 -> "95_0", 0.998 -> "99_8", 0.99 -> "99_0",
    0.9999 -> "99_99"."""
    return _percent_text(confidence).replace(".", "_")


def confidence_label(levels: Sequence[float]) -> str:
    """Text of the ``confidence`` column: "95% and 99.8%", "99%", "99.99%"."""
    return " and ".join(f"{_percent_text(level).removesuffix('.0')}%" for level in levels)


def limit_columns(confidence: float, prefix: str = "") -> tuple[str, str]:
    """Names of the lower and upper limit columns, e.g. ("lower_95_0", "upper_95_0")."""
    suffix = level_suffix(confidence)
    return f"{prefix}lower_{suffix}", f"{prefix}upper_{suffix}"


def group_list(group_by: str | Iterable[str] | None) -> list[str]:
    """Normalise ``group_by`` to a list of column names (empty for one overall group)."""
    if group_by is None:
        return []
    if isinstance(group_by, str):
        return [group_by]
    return list(group_by)


def require_columns(df: pd.DataFrame, columns: Iterable[str]) -> None:
    """Raise ``ValueError`` if any named column is absent from ``df``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not found; the data has {list(df.columns)}")


def plain(value: object) -> object:
    """numpy scalars as Python values, so messages read ``quintile=1``, not ``np.int64(1)``."""
    return value.item() if isinstance(value, np.generic) else value


def describe_group(df: pd.DataFrame, groups: list[str], mask: np.ndarray) -> str:
    """Human-readable description of the first group where ``mask`` is true, e.g. "area='X1', quintile=1"."""
    index = int(np.flatnonzero(np.asarray(mask))[0])
    if not groups:
        return f"row {index}"
    return ", ".join(f"{g}={plain(df[g].iloc[index])!r}" for g in groups)


def check_values(
    df: pd.DataFrame,
    column: str,
    groups: list[str],
    bad: np.ndarray | pd.Series,
    problem: str,
) -> None:
    """Raise ``ValueError`` naming ``column`` and the first group where ``bad`` holds.

    ``problem`` completes the sentence "<column> ...", e.g. "must be greater than or equal to zero".
    """
    bad = np.asarray(bad, dtype=bool)
    if bad.any():
        where = describe_group(df, groups, bad)
        raise ValueError(f"{column} {problem} (group {where}; {int(bad.sum())} row(s) affected)")


def check_numeric(df: pd.DataFrame, columns: Iterable[str], groups: list[str], *, allow_missing: bool = False) -> None:
    """Every named column must be numeric and, unless ``allow_missing``, not missing."""
    for column in columns:
        if not pd.api.types.is_numeric_dtype(df[column]):
            raise ValueError(f"{column} must be numeric, found dtype {df[column].dtype}")
        if not allow_missing:
            check_values(df, column, groups, df[column].isna().to_numpy(), "must not be missing")


def numeric_column(df: pd.DataFrame, column: str, groups: list[str] | None = None) -> np.ndarray:
    """Column as float (missing values as NaN); ValueError naming the column, and the first
    group holding a non-numeric value, if it is not numeric."""
    series = df[column]
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        coerced = pd.to_numeric(series, errors="coerce")
        bad = (coerced.isna() & series.notna()).to_numpy()
        where = f" (group {describe_group(df, groups or [], bad)})" if bad.any() else ""
        raise ValueError(f"{column} must be numeric, found dtype {series.dtype}{where}")
    return series.to_numpy(dtype=float, na_value=np.nan)


def as_float(series: pd.Series) -> np.ndarray:
    """A column already checked to be numeric, as float, missing values (NaN, None, pd.NA) as NaN."""
    return series.to_numpy(dtype=float, na_value=np.nan)


def sum_by_group(df: pd.DataFrame, groups: list[str], columns: list[str], *, skipna: bool = True) -> pd.DataFrame:
    """Sum ``columns`` within each group; one overall row when ``groups`` is empty.

    Groups keep their order of first appearance would be surprising for joins, so the result is
    sorted by the group columns (``sort=True``), deterministically. With ``skipna=False`` a
    group's sum of a column is missing when any of its values is (R's ``sum``); the sums of the
    other groups are the same, bit for bit, as with ``skipna=True``.
    """
    if groups:
        grouped = df.groupby(groups, sort=True, observed=True, dropna=False)[columns]
        return grouped.sum(skipna=skipna).reset_index()
    return df[columns].sum(skipna=skipna).to_frame().T.reset_index(drop=True)


def finish(
    out: pd.DataFrame,
    groups: list[str],
    inputs: list[str],
    levels: tuple[float, ...],
    statistic: str | pd.Series,
    method: str | pd.Series,
    extra: list[str] | None = None,
) -> pd.DataFrame:
    """Order the output columns the same way for every method.

    group columns, summed inputs, ``value``, ``extra`` columns (e.g. ``se``), the limit pairs in
    the order of ``levels``, then ``confidence``, ``statistic``, ``method``.
    """
    out = out.copy()
    out["confidence"] = confidence_label(levels)
    out["statistic"] = statistic
    out["method"] = method
    limits = [name for level in levels for name in limit_columns(level)]
    columns = groups + inputs + ["value"] + (extra or []) + limits + ["confidence", "statistic", "method"]
    return out[columns].reset_index(drop=True)
