"""Periods as the inputs write them and the book labels them.

* Indicator periods: Fingertips-style labels of one or more years (:func:`period_label`,
  :func:`parse_period_label`) and the pooling of yearly rows into windows (:func:`pool_years`).
* KPI periods: financial-year quarters written ``2022-23 Q2`` (Q1 = April to June) and
  calendar months written ``2022-09``; a monthly KPI reports in a quarter the value of the
  quarter's last month.
"""

from __future__ import annotations

import re

import pandas as pd

# --------------------------------------------------------------------------------------------
# Indicator periods
# --------------------------------------------------------------------------------------------
YEAR_TYPES = ("calendar", "financial", "academic")


def period_label(start: pd.Series, end: pd.Series, year_type: str) -> pd.Series:
    """Fingertips-style period labels: "2020", "2018 - 20", "2019/20", "2017/18 - 19/20"."""
    start, end = start.astype(int), end.astype(int)
    if year_type == "calendar":
        single = end.astype(str)
        pooled = start.astype(str) + " - " + (end % 100).map("{:02d}".format)
    else:
        single = (end - 1).astype(str) + "/" + (end % 100).map("{:02d}".format)
        pooled = (
            (start - 1).astype(str) + "/" + (start % 100).map("{:02d}".format)
            + " - " + ((end - 1) % 100).map("{:02d}".format) + "/" + (end % 100).map("{:02d}".format)
        )  # fmt: skip
    return single.where(start == end, pooled)


def parse_period_label(labels: pd.Series, year_type: str) -> tuple[pd.Series, pd.Series]:
    """Start and end years of Fingertips-style period labels (the inverse of :func:`period_label`).

    "2020" -> (2020, 2020); "2018 - 20" -> (2018, 2020); "2019/20" -> (2020, 2020);
    "2017/18 - 19/20" -> (2018, 2020). Raises ValueError on any other form.
    """
    labels = labels.astype(str).str.strip()
    pattern = r"^(\d{4})$|^(\d{4}) - (\d{2})$" if year_type == "calendar" else r"^(\d{4})/(\d{2})(?: - (\d{2})/(\d{2}))?$"
    parts = labels.str.extract(pattern)
    if parts.isna().all(axis=1).any():
        bad = labels[parts.isna().all(axis=1)].iloc[0]
        example = period_label(pd.Series([2018]), pd.Series([2020]), year_type).iloc[0]
        raise ValueError(f"period {bad!r} is not a {year_type} period label like {example!r}")
    if year_type == "calendar":
        single = parts[0].notna()
        start = parts[0].where(single, parts[1]).astype(int)
        end = start.where(single, (start // 100) * 100 + parts[2].fillna("0").astype(int))
    else:
        first = parts[0].astype(int)
        start = first + 1
        pooled = parts[2].notna()
        end = start.where(~pooled, (first // 100) * 100 + parts[3].fillna("0").astype(int))
    end = end.where(end >= start, end + 100)  # a window crossing a century
    return start, end


def pool_years(df: pd.DataFrame, windows: list[int], first: int, last: int) -> pd.DataFrame:
    """Replicate each row into every period window of ``windows`` years that contains its year.

    Adds ``years`` (window length) and ``period_end``; keeps only complete windows.
    """
    frames = []
    for years in windows:
        for offset in range(years):
            end = df["year"] + offset
            keep = (end <= last) & (end - years + 1 >= first)
            frames.append(df.loc[keep].assign(years=years, period_end=end[keep]))
    return pd.concat(frames, ignore_index=True).drop(columns="year")


# --------------------------------------------------------------------------------------------
# KPI periods: quarters and months
# --------------------------------------------------------------------------------------------
FREQUENCIES = ("quarterly", "monthly")
_QUARTER = re.compile(r"^(\d{4})-(\d{2}) Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
EXAMPLE = {"quarterly": "'2022-23 Q2'", "monthly": "'2022-09'"}


def quarter_parts(period: str) -> tuple[int, int] | None:
    """(financial year start, quarter) of ``'2022-23 Q2'``, or None if it is not a quarter."""
    match = _QUARTER.match(str(period))
    if not match:
        return None
    start, end, quarter = int(match[1]), int(match[2]), int(match[3])
    if end != (start + 1) % 100:
        return None
    return start, quarter


def month_parts(period: str) -> tuple[int, int] | None:
    match = _MONTH.match(str(period))
    if not match or not 1 <= int(match[2]) <= 12:
        return None
    return int(match[1]), int(match[2])


def is_period(period: str, frequency: str) -> bool:
    """Whether ``period`` is written as a period of ``frequency`` ("quarterly" or "monthly")."""
    if frequency == "quarterly":
        return quarter_parts(period) is not None
    if frequency == "monthly":
        return month_parts(period) is not None
    raise ValueError(f"unknown frequency {frequency!r}; expected one of {FREQUENCIES}")


def quarter(start_year: int, number: int) -> str:
    """The label of quarter ``number`` (1-4) of the financial year starting in ``start_year``."""
    return f"{start_year}-{(start_year + 1) % 100:02d} Q{number}"


def check_quarter(period: str) -> tuple[int, int]:
    parts = quarter_parts(period)
    if parts is None:
        raise ValueError(f"{period!r} is not a quarter; write quarters like '2022-23 Q2'")
    return parts


def quarter_index(period: str) -> int:
    """A running number of quarters, for ordering and arithmetic."""
    start, number = check_quarter(period)
    return start * 4 + number - 1


def quarter_from_index(index: int) -> str:
    return quarter(index // 4, index % 4 + 1)


def previous_quarter(period: str) -> str:
    return quarter_from_index(quarter_index(period) - 1)


def same_quarter_last_year(period: str) -> str:
    return quarter_from_index(quarter_index(period) - 4)


def quarters(first: str, last: str) -> list[str]:
    """Every quarter from ``first`` to ``last``, both included."""
    return [quarter_from_index(i) for i in range(quarter_index(first), quarter_index(last) + 1)]


def quarter_end_month(period: str) -> str:
    """The calendar month a quarter ends in: '2022-23 Q2' -> '2022-09', Q4 -> March next year."""
    start, number = check_quarter(period)
    month = 3 * number + 3
    return f"{start + 1}-03" if month == 15 else f"{start}-{month:02d}"


def reporting_period(period: str, frequency: str) -> str:
    """The period whose value a KPI of ``frequency`` reports in quarter ``period``."""
    check_quarter(period)
    return period if frequency == "quarterly" else quarter_end_month(period)


def period_order(period: str) -> tuple[int, int]:
    """A sort key putting quarters and months in time order (by the month a period ends)."""
    parts = quarter_parts(period)
    if parts is not None:
        month = quarter_end_month(period)
        return int(month[:4]) * 12 + int(month[5:]) - 1, 0
    parts = month_parts(period)
    if parts is None:
        raise ValueError(f"{period!r} is neither a quarter ('2022-23 Q2') nor a month ('2022-09')")
    return parts[0] * 12 + parts[1] - 1, 1


def quarter_of(period: str) -> str:
    """The financial-year quarter a period falls in: a quarter is itself, '2022-09' -> '2022-23 Q2'."""
    if quarter_parts(period) is not None:
        return period
    parts = month_parts(period)
    if parts is None:
        raise ValueError(f"{period!r} is neither a quarter ('2022-23 Q2') nor a month ('2022-09')")
    year, month = parts
    start = year if month >= 4 else year - 1
    return quarter(start, (month - 4) % 12 // 3 + 1)


def time_index(period: str) -> int:
    """Months since year 0 of the month a period ends in: orders quarters and months together."""
    return period_order(period)[0]
