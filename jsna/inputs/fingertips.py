"""Reading OHID Fingertips CSV exports into one normalised table.

Fingertips (fingertips.phe.org.uk) exports an indicator's published values as CSV in two
layouts, both read here: the web export (26 columns, with ``Compared to Region value or
percentiles``) and the API export (``all_data_csv``, as fingertipsR and fingertips_py fetch it:
27 columns, with ``Compared to percentiles`` and ``Time period range`` instead). Headers are
matched whatever their case, spacing, underscores or hyphens, and with the dots R puts between
words (``IndicatorID``, ``indicator_id``, ``Lower_CI_95.0_limit``, ``Lower.CI.95.0.limit`` are all
recognised); the dot in ``95.0`` is kept.

:func:`read_exports` reads one or more exports and returns an :class:`Export`: the rows with the
columns renamed as :data:`COLUMNS` declares, plus where each row came from (file, physical line,
extraction date) and its period read as years. What it does with what real exports hold:

* quoted cells with line breaks, ``\\r\\n``, ``\\n`` and ``\\r`` line endings (mixed), UTF-8 with or
  without a byte-order mark (anything else is refused: :func:`jsna.inputs.encoding.read_text`);
  every line number is the physical line of the file where the record starts;
* blank cells and words in numeric columns ("Cannot be calculated", "*", "x", "..") are missing
  values; a word is also written in the row's ``note`` (the row is kept); "1,234" is 1234;
* rows with a ``Category Type`` (deprivation deciles, ethnic groups...) are breakdowns: kept, with
  ``breakdown`` true, for callers to leave out;
* periods: "2017", "2015 - 17" (also "2015-17", "2015 -17"), "2017/18", "2013/14 - 15/16" are
  annual (``annual`` true, with start and end years); anything else ("2019/20 Q3", "Mar 2020") is
  kept as written with ``annual`` false: the book cannot use it;
* a row without an indicator id (or with one that is not a whole number), an area code or a
  period cannot be used: it is left out and listed in :attr:`Export.skipped` (file, line, reason);
* the same row twice (same indicator, area, sex, age, category and period with the same figures,
  e.g. in two overlapping exports) is kept once; the same key with different figures is an error
  naming both lines.

Failure policy, as for the other inputs: a file that cannot be read as a Fingertips export (not
UTF-8, not CSV, a record with the wrong number of cells, an unknown or missing column) raises
:class:`DataError` with the file and line, and nothing is returned.
"""

from __future__ import annotations

import csv
import datetime
import difflib
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from jsna.errors import DataError
from jsna.inputs.encoding import read_text
from jsna.inputs.periods import parse_period_label, period_label

#: Every column a Fingertips export may have (the web export's 26 and the API export's 27), as
#: Fingertips writes it, and its name in :attr:`Export.rows`.
COLUMNS: dict[str, str] = {
    "Indicator ID": "indicator_id",
    "Indicator Name": "indicator_name",
    "Parent Code": "parent_code",
    "Parent Name": "parent_name",
    "Area Code": "area_code",
    "Area Name": "area_name",
    "Area Type": "area_type",
    "Sex": "sex",
    "Age": "age",
    "Category Type": "category_type",
    "Category": "category",
    "Time period": "period",
    "Value": "value",
    "Lower CI 95.0 limit": "lower_95",
    "Upper CI 95.0 limit": "upper_95",
    "Lower CI 99.8 limit": "lower_998",
    "Upper CI 99.8 limit": "upper_998",
    "Count": "count",
    "Denominator": "denominator",
    "Value note": "value_note",
    "Recent Trend": "recent_trend",
    "Compared to England value or percentiles": "compared_to_england",
    "Compared to Region value or percentiles": "compared_to_region",
    "Compared to percentiles": "compared_to_percentiles",
    "Time period Sortable": "period_sortable",
    "Time period range": "period_range",
    "New data": "new_data",
    "Compared to goal": "compared_to_goal",
}
#: Columns read as numbers (float; missing when blank or a word). ``indicator_id`` is an int;
#: every other column is text, ``""`` when blank.
NUMERIC: tuple[str, ...] = ("value", "lower_95", "upper_95", "lower_998", "upper_998", "count", "denominator")
#: Columns every export must have.
REQUIRED: tuple[str, ...] = ("indicator_id", "area_code", "area_type", "sex", "age", "period", "value")
#: What makes a row one figure: two rows with the same key must have the same figures (:data:`NUMERIC`).
KEY: tuple[str, ...] = ("indicator_id", "area_code", "sex", "age", "category_type", "category", "period")
#: Columns :attr:`Export.rows` adds after those of :data:`COLUMNS`.
ADDED: tuple[str, ...] = ("file", "line", "extracted", "annual", "start_year", "end_year", "year_type", "breakdown", "note")


def normalise_header(name: str) -> str:
    """The form headers are compared in: lower case, without spaces, underscores, hyphens, or dots
    other than one between two digits ("Lower_CI_95.0_limit" -> "lowerci95.0limit")."""
    name = re.sub(r"[\s_\-]+", "", str(name).lower())
    return re.sub(r"(?<!\d)\.|\.(?!\d)", "", name)


_KNOWN: dict[str, str] = {normalise_header(header): header for header in COLUMNS}


@dataclass(frozen=True)
class Skipped:
    """A row that could not be used: where it is and why."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class Export:
    """One or more Fingertips exports, read.

    ``rows`` has the columns of :data:`COLUMNS` (every one, whichever layout the file had;
    ``indicator_id`` int, :data:`NUMERIC` float, the rest text with ``""`` for blank), then:

    * ``file`` (the file's name) and ``line`` (the physical line its record starts on);
    * ``extracted``: the extraction date, ``YYYY-MM-DD``, or None when not known;
    * ``annual``: whether ``period`` is a label of whole years the book uses ("2017",
      "2015 - 17", "2017/18", "2013/14 - 15/16"; spacing normalised to these forms);
    * ``start_year``, ``end_year`` (nullable ints) and ``year_type`` ("calendar" or "financial";
      ``""`` and missing years when not annual). Years are numbered as the book numbers them
      (:func:`jsna.inputs.periods.parse_period_label`): a financial year by the calendar year it
      ends in, so "2017/18" is 2018 to 2018 and "2013/14 - 15/16" is 2014 to 2016. Fingertips
      writes academic years as it writes financial ones ("2017/18"), so the label does not say
      which: ``year_type`` is "financial" for both, and the catalogue knows which it is;
    * ``breakdown``: the row is one category of a breakdown (``category_type`` not blank, e.g.
      deprivation deciles); the whole-area figure is the row without one;
    * ``note``: what the reader did to the row ("value 'Cannot be calculated' read as missing"),
      ``""`` when nothing (Fingertips' own note is ``value_note``).

    ``skipped`` lists the rows left out (no indicator id, area code or period); ``files`` the
    files read, in order, each with its extraction date.
    """

    rows: pd.DataFrame
    skipped: list[Skipped] = field(default_factory=list)
    files: list[tuple[str, str | None]] = field(default_factory=list)

    def summary(self) -> str:
        """What the exports hold: per file and overall, their indicators (periods from and to,
        rows), area types and areas, sexes, ages, breakdown rows, and the rows the book cannot
        use and why."""
        lines: list[str] = []
        for name, extracted in self.files:
            rows = self.rows[self.rows["file"] == name]
            when = f"extracted {_long_date(extracted)}" if extracted else "extraction date not recorded"
            lines.append(f"{name} ({when}): {_plural(len(rows), 'row')}")
            lines += ["  " + line for line in _describe(rows)]
            lines.append("")
        rows = self.rows
        lines.append(
            f"Overall: {_plural(len(self.files), 'file')}, {_plural(len(rows), 'row')}, "
            f"{_plural(rows['indicator_id'].nunique(), 'indicator')}"
        )
        if len(self.files) > 1:
            lines += ["  " + line for line in _describe(rows)]
        unusable = rows[~rows["annual"]]
        if len(unusable):
            lines.append(f"Rows the book cannot use ({len(unusable)}): their period is not whole years (quarters, months)")
            for period, n in Counter(unusable["period"]).most_common():
                lines.append(f"  {period!r}: {_plural(n, 'row')}")
        noted = rows.loc[rows["note"] != "", "note"]
        if len(noted):
            lines.append(f"Rows with cells read as missing ({len(noted)}): words in place of numbers")
            pieces = Counter(piece for note in noted for piece in note.split("; "))
            for piece, n in pieces.most_common(10):
                lines.append(f"  {piece}: {_plural(n, 'row')}")
            if len(pieces) > 10:
                lines.append(f"  ... and {len(pieces) - 10} other kinds")
        if self.skipped:
            lines.append(f"Rows not read ({len(self.skipped)}):")
            lines += [f"  {skipped}" for skipped in self.skipped[:20]]
            if len(self.skipped) > 20:
                lines.append(f"  ... and {len(self.skipped) - 20} more")
        else:
            lines.append("Rows not read: none")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Dates and sources
# --------------------------------------------------------------------------------------------
_NAME_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)-?(\d\d)-?(\d\d)(?!\d)")


def extraction_date(path: Path | str, default: str | datetime.date | None = None) -> str | None:
    """The extraction date (``YYYY-MM-DD``) written in the file's name, ``2024-03-05`` or
    ``20240305`` (the convention: ``fingertips_2024-03-05.csv``); else ``default``."""
    for match in _NAME_DATE.finditer(Path(path).name):
        if "-" in match[0] and match[0].count("-") != 2:
            continue  # "2015-1703": not a date
        try:
            return datetime.date(int(match[1]), int(match[2]), int(match[3])).isoformat()
        except ValueError:
            continue
    return _iso_date(default)


def _iso_date(value: str | datetime.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return datetime.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ValueError(f"extraction date {value!r} is not a date written YYYY-MM-DD") from None


def source_text(indicator_id: int, extracted: str | datetime.date | None) -> str:
    """How the book cites a Fingertips figure: "OHID Fingertips, indicator 90402, extracted 5 March 2024"."""
    date = _iso_date(extracted)
    when = f"extracted {_long_date(date)}" if date else "extraction date not recorded"
    return f"OHID Fingertips, indicator {int(indicator_id)}, {when}"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
           "December")  # fmt: skip


def _long_date(iso: str) -> str:
    """"2024-03-05" -> "5 March 2024" (in English whatever the locale)."""
    day = datetime.date.fromisoformat(iso)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------
def find_exports(folder: Path | str) -> list[Path]:
    """The exports in a folder: its ``*.csv`` and ``*.csv.gz`` files, by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(folder, "folder not found")
    return sorted(p for p in folder.iterdir() if p.is_file() and (p.name.endswith(".csv") or p.name.endswith(".csv.gz")))


def read_export(path: Path | str, extracted: str | datetime.date | None = None) -> Export:
    """Read one export; ``extracted`` is its extraction date when the file name has none."""
    return read_exports([path], extracted)


def read_exports(paths: list[Path | str] | tuple[Path | str, ...], extracted: str | datetime.date | None = None) -> Export:
    """Read exports, in either layout, into one :class:`Export`; rows in the order of the files
    and their lines. A file's extraction date is the date in its name (:func:`extraction_date`),
    else ``extracted``. Raises :class:`DataError` for the first file that cannot be read, and for
    the same row with different figures in two places; then nothing is returned."""
    paths, extracted = [Path(p) for p in paths], _iso_date(extracted)
    frames, skipped, files = [], [], []
    for number, path in enumerate(paths):
        date = extraction_date(path, extracted)
        rows, left_out = _read_one(path, date)
        frames.append(rows.assign(_source=number))
        skipped += left_out
        files.append((path.name, date))
    rows = pd.concat(frames, ignore_index=True) if frames else _empty().assign(_source=0)
    rows = _drop_duplicates(rows, paths)
    return Export(rows.drop(columns="_source").reset_index(drop=True), skipped, files)


def _read_one(path: Path, extracted: str | None) -> tuple[pd.DataFrame, list[Skipped]]:
    records = _records(path)
    if not records:
        raise DataError(path, "the file is empty; a Fingertips export starts with a header line (Indicator ID, ...)", line=1)
    header_line, header = records[0]
    names = _columns(path, header_line, header)
    body = records[1:]
    for line, cells in body:
        if len(cells) != len(header):
            raise DataError(
                path, f"cannot be read as CSV: the record has {len(cells)} cells where the header has {len(header)}", line=line
            )
    if not body:
        return _empty(), []
    raw = pd.DataFrame([cells for _, cells in body], columns=range(len(names)), dtype=str)
    raw = raw.apply(lambda cells: cells.str.strip())
    lines = pd.Series([line for line, _ in body], dtype="int64")
    for number in (number for number, name in enumerate(names) if not name):  # a column with no name may only be empty
        filled = np.flatnonzero(raw[number] != "")
        if len(filled):
            raise DataError(path, f"column {number + 1} has no name in the header line but holds {raw[number].iloc[filled[0]]!r}",
                            line=int(lines[filled[0]]))  # fmt: skip
    raw = raw[[number for number, name in enumerate(names) if name]].set_axis([name for name in names if name], axis=1)

    reasons = _unusable(raw)
    skipped = [Skipped(path.name, int(lines[i]), reasons[i]) for i in np.flatnonzero(reasons != "")]
    keep = (reasons == "").to_numpy()
    raw, lines = raw[keep].reset_index(drop=True), lines[keep].reset_index(drop=True)
    if raw.empty:
        return _empty(), skipped

    out = pd.DataFrame(index=raw.index)
    notes = pd.Series("", index=raw.index)
    for name in COLUMNS.values():
        cells = raw[name] if name in raw else pd.Series("", index=raw.index)
        if name == "indicator_id":
            out[name] = pd.to_numeric(cells).astype("int64")
        elif name in NUMERIC:
            out[name], words = _numbers(cells)
            noted = f"{name} " + cells[words].map(repr) + " read as missing"
            notes[words] = np.where(notes[words] == "", noted, notes[words] + "; " + noted)
        else:
            out[name] = cells
    out["file"] = path.name
    out["line"] = lines
    out["extracted"] = extracted
    periods = _periods(out["period"])
    out["period"] = periods["period"]
    for name in ("annual", "start_year", "end_year", "year_type"):
        out[name] = periods[name]
    out["breakdown"] = out["category_type"] != ""
    out["note"] = notes
    return out[[*COLUMNS.values(), *ADDED]], skipped


def _records(path: Path) -> list[tuple[int, list[str]]]:
    """Every non-blank record of the file with the physical line it starts on."""
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records, start = [], 1
    try:
        for cells in reader:
            if len(cells) > 1 or (cells and cells[0].strip()):  # a blank line is no record
                records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            problem = 'cannot be read as CSV: a quoted cell in this record is never closed (a " is missing)'
            raise DataError(path, problem, line=start) from None
        raise DataError(path, f"cannot be read as CSV: {error}", line=reader.line_num) from None
    return records


def _columns(path: Path, line: int, header: list[str]) -> list[str]:
    """The normalised names of the header's columns (``""`` for a column with no name, as a
    spreadsheet may add at the end); DataError for an unknown, repeated or missing column."""
    names: list[str] = []
    for cell in header:
        key = normalise_header(cell)
        if not key:
            names.append("")
            continue
        if key not in _KNOWN:
            close = difflib.get_close_matches(key, list(_KNOWN), n=3, cutoff=0.6)
            hint = (
                f"did you mean {' or '.join(repr(_KNOWN[c]) for c in close)}?"
                if close
                else f"the columns of a Fingertips export are {', '.join(COLUMNS)}"
            )
            raise DataError(path, f"unknown column {cell.strip()!r}, not a column of a Fingertips export; {hint}", line=line,
                            column=cell.strip())  # fmt: skip
        name = COLUMNS[_KNOWN[key]]
        if name in names:
            raise DataError(path, f"the column {_KNOWN[key]!r} is in the header twice", line=line, column=cell.strip())
        names.append(name)
    missing = [header_name for header_name, name in COLUMNS.items() if name in REQUIRED and name not in names]
    if missing:
        raise DataError(
            path,
            f"missing column(s) {', '.join(repr(m) for m in missing)}: every Fingertips export has them; "
            f"is this a Fingertips export? Its header is {', '.join(cell.strip() for cell in header)}",
            line=line,
        )
    return names


def _unusable(raw: pd.DataFrame) -> pd.Series:
    """Why each row cannot be used ("" when it can)."""
    ids = raw["indicator_id"]
    reasons = (
        pd.Series(np.where(ids == "", "no indicator id", ""), index=raw.index)
        .mask((ids != "") & ~ids.str.fullmatch(r"\d+(?:\.0+)?"), "indicator id " + ids.map(repr) + " is not a whole number")
        + np.where(raw["area_code"] == "", "; no area code", "")
        + np.where(raw["period"] == "", "; no time period", "")
    )
    return reasons.str.removeprefix("; ")


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")


def _numbers(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers of a numeric column and which cells held a word (read as missing)."""
    text = cells.where(~cells.str.fullmatch(_THOUSANDS.pattern), cells.str.replace(",", "", regex=False))
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    numbers = numbers.where(np.isfinite(numbers))
    return numbers, (cells != "") & numbers.isna()


# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------
_CALENDAR = re.compile(r"^(\d{4})(?:\s*-\s*(\d{2}))?$")
_FINANCIAL = re.compile(r"^(\d{4})\s*/\s*(\d{2})(?:\s*-\s*(\d{2})\s*/\s*(\d{2}))?$")


def normalise_period(label: str) -> tuple[str, str]:
    """A Fingertips period label in its usual spacing and its year type, ("2015 - 17",
    "calendar") or ("2013/14 - 15/16", "financial"); (the label, "") when it is not whole years."""
    label = label.strip()
    text = " ".join(label.split())
    if match := _CALENDAR.match(text):
        return (match[1], "calendar") if match[2] is None else (f"{match[1]} - {match[2]}", "calendar")
    if match := _FINANCIAL.match(text):
        first = int(match[1])
        if int(match[2]) != (first + 1) % 100:
            return label, ""
        if match[3] is None:
            return f"{match[1]}/{match[2]}", "financial"
        if int(match[4]) != (int(match[3]) + 1) % 100:
            return label, ""
        return f"{match[1]}/{match[2]} - {match[3]}/{match[4]}", "financial"
    return label, ""


def _periods(labels: pd.Series) -> pd.DataFrame:
    """Normalised label, annual, start and end years and year type of each period label."""
    unique = pd.Series(labels.unique())
    table = pd.DataFrame([normalise_period(label) for label in unique], columns=["period", "year_type"], index=unique)
    table["start_year"] = pd.array([pd.NA] * len(table), dtype="Int64")
    table["end_year"] = pd.array([pd.NA] * len(table), dtype="Int64")
    for year_type in ("calendar", "financial"):
        chosen = table["year_type"] == year_type
        if chosen.any():
            start, end = parse_period_label(table.loc[chosen, "period"], year_type)
            table.loc[chosen, "start_year"], table.loc[chosen, "end_year"] = start.to_numpy(), end.to_numpy()
    pooled = table["period"].str.contains(" - ", regex=False) & (table["year_type"] != "")
    span = table["end_year"] - table["start_year"]
    odd = pooled & ~((span >= 1) & (span <= 9)).fillna(False)  # "2015 - 15", "2015 - 14": not a window of years
    table.loc[odd, "period"] = table.index[odd]
    table.loc[odd, ["start_year", "end_year"]] = pd.NA
    table.loc[odd, "year_type"] = ""
    table["annual"] = table["year_type"] != ""
    return table.loc[labels.to_numpy()].reset_index(drop=True).set_axis(labels.index)


# --------------------------------------------------------------------------------------------
# Duplicates and the empty table
# --------------------------------------------------------------------------------------------
def _drop_duplicates(rows: pd.DataFrame, paths: list[Path]) -> pd.DataFrame:
    """Keep the first of rows with the same key and figures; DataError for the same key with
    different figures, naming both lines."""
    kept = rows.drop_duplicates(subset=[*KEY, *NUMERIC], keep="first")
    clash = kept.duplicated(subset=list(KEY), keep=False)
    if clash.any():
        first = kept[clash].iloc[0]
        same = kept[clash & (kept[list(KEY)] == first[list(KEY)]).all(axis=1)]
        second = same.iloc[1]
        differ = [c for c in NUMERIC if not (first[c] == second[c] or (pd.isna(first[c]) and pd.isna(second[c])))]
        there = f"line {first['line']}" + ("" if first["_source"] == second["_source"] else f" of {paths[first['_source']]}")
        what = ", ".join(f"{c} {_shown(second[c])} here, {_shown(first[c])} there" for c in differ)
        described = ", ".join(str(first[c]) for c in KEY if first[c] != "")
        raise DataError(
            paths[second["_source"]],
            f"the same figure ({described}) is also at {there}, with different figures: {what}",
            line=int(second["line"]),
        )
    return kept


def _shown(value: float) -> str:
    return "blank" if pd.isna(value) else f"{value:g}"


def _empty() -> pd.DataFrame:
    """The rows table with no rows and its columns' types."""
    types = {name: ("int64" if name == "indicator_id" else "float64" if name in NUMERIC else "str") for name in COLUMNS.values()}
    types.update(file="str", line="int64", extracted=object, annual=bool, start_year="Int64", end_year="Int64",
                 year_type="str", breakdown=bool, note="str")  # fmt: skip
    return pd.DataFrame({name: pd.Series(dtype=types[name]) for name in (*COLUMNS.values(), *ADDED)})


# --------------------------------------------------------------------------------------------
# The summary
# --------------------------------------------------------------------------------------------
def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _describe(rows: pd.DataFrame) -> list[str]:
    """Indicators, area types, sexes, ages and breakdowns of some rows, a line each."""
    if rows.empty:
        return ["no rows"]
    lines = ["indicators:"]
    for indicator, group in rows.groupby("indicator_id", sort=True):
        names = [n for n in dict.fromkeys(group["indicator_name"]) if n]
        name = " ".join(names[0].split()) if names else "(no name)"
        lines.append(f"  {indicator} {name}: {_span(group)}, {_plural(len(group), 'row')}")
    areas = rows.groupby("area_type", sort=True)["area_code"].nunique()
    lines.append("area types: " + "; ".join(f"{kind or '(blank)'} ({_plural(n, 'area')})" for kind, n in areas.items()))
    lines.append("sexes: " + ", ".join(_counted(rows["sex"])))
    lines.append("ages: " + ", ".join(_counted(rows["age"])))
    breakdown = rows[rows["breakdown"]]
    if len(breakdown):
        kinds = ", ".join(_counted(breakdown["category_type"]))
        lines.append(f"category breakdown rows: {len(breakdown)} ({kinds})")
    else:
        lines.append("category breakdown rows: none")
    return lines


def _counted(values: pd.Series) -> list[str]:
    return [f"{value or '(blank)'} ({n})" for value, n in Counter(values).most_common()]


def _span(group: pd.DataFrame) -> str:
    """The periods of an indicator's rows, first to last ("2015 - 17 to 2018 - 20")."""
    annual = group[group["annual"]]
    if len(annual):
        ordered = annual.sort_values(["end_year", "start_year"])["period"]
    else:
        ordered = group.sort_values(["period_sortable", "period"])["period"]
    first, last = ordered.iloc[0], ordered.iloc[-1]
    text = f"period {first}" if first == last else f"periods {first} to {last}"
    others = group.loc[~group["annual"], "period"].nunique()
    return text + (f" ({_plural(others, 'period')} not whole years)" if len(annual) and others else "")


# --------------------------------------------------------------------------------------------
# Linking the extracts to the catalogue
# --------------------------------------------------------------------------------------------
#: The columns of :func:`linked`: a Fingertips figure keyed as the book keys an indicator.
LINKED = ("indicator_id", "area_code", "period", "years", "period_end", "sex", "value", "lower_95_0", "upper_95_0", "lower_99_8",
          "upper_99_8", "count", "denominator", "compared_to_england", "recent_trend", "source")  # fmt: skip
#: The comparison words Fingertips and the book share; any other ("Not compared", blank) is "Not compared".
COMPARISONS = ("Better", "Similar", "Worse", "Higher", "Lower")
#: Fingertips' recent-trend wording where it differs from the book's (:mod:`jsna.stats.compare`).
TRENDS = {"Cannot be calculated": "Could not be calculated"}


def for_entry(rows: pd.DataFrame, entry: dict, codes: list[str]) -> pd.DataFrame:
    """The extract rows of a catalogue entry's ``fingertips_id`` for the areas ``codes``, in
    :data:`LINKED` form: whole-area rows (no breakdown) of whole years, of the entry's sexes and
    age (``fingertips_age``, needed when the extracts hold the indicator for several ages), each
    period labelled as the book labels the entry's periods.

    Raises ValueError, in words for the catalogue's error, when the rows cannot be the entry's:
    several ages and none chosen, an age chosen that the extracts do not have, or periods of
    another kind of year than the entry's (financial years for a calendar indicator).
    """
    number = int(entry["fingertips_id"])
    mine = rows.loc[(rows["indicator_id"] == number) & rows["annual"] & ~rows["breakdown"] & rows["area_code"].isin(codes)
                    & rows["sex"].isin(entry["sex"])]  # fmt: skip
    ages = sorted(mine["age"].unique())
    if "fingertips_age" in entry:
        if mine.empty:
            return _linked_empty()
        if entry["fingertips_age"] not in ages:
            raise ValueError(f"fingertips_age {entry['fingertips_age']!r} is not an age of Fingertips indicator {number} in the extracts ({', '.join(map(repr, ages))})")
        mine = mine.loc[mine["age"] == entry["fingertips_age"]]
    elif len(ages) > 1:
        raise ValueError(f"the extracts hold Fingertips indicator {number} for several ages ({', '.join(map(repr, ages))}); say which with fingertips_age")
    if mine.empty:
        return _linked_empty()
    wanted = "calendar" if entry["year_type"] == "calendar" else "financial"
    other = mine.loc[mine["year_type"] != wanted]
    if len(other):
        first = other.iloc[0]
        raise ValueError(f"Fingertips indicator {number} is published for {first['year_type']} years ({first['period']!r}, "
                         f"{first['file']} line {first['line']}) but the entry's year_type is {entry['year_type']}")  # fmt: skip
    start, end = mine["start_year"].astype(int), mine["end_year"].astype(int)
    comparison = mine["compared_to_england"].map(lambda text: (text.split() or [""])[0])  # "Worse 95%": "Worse"
    return pd.DataFrame({
        "indicator_id": entry["id"], "area_code": mine["area_code"], "period": period_label(start, end, entry["year_type"]),
        "years": end - start + 1, "period_end": end, "sex": mine["sex"], "value": mine["value"],
        "lower_95_0": mine["lower_95"], "upper_95_0": mine["upper_95"], "lower_99_8": mine["lower_998"], "upper_99_8": mine["upper_998"],
        "count": mine["count"], "denominator": mine["denominator"],
        "compared_to_england": comparison.where(comparison.isin(COMPARISONS), "Not compared"),
        "recent_trend": mine["recent_trend"].replace(TRENDS),
        "source": [source_text(number, date) for date in mine["extracted"]],
    }).reset_index(drop=True)  # fmt: skip


def linked(export: Export | None, entries: list[dict], codes: list[str]) -> pd.DataFrame:
    """Every figure the extracts hold for the catalogue's entries with a ``fingertips_id``, for
    the areas ``codes`` (the country, the region and the authority), in :data:`LINKED` form."""
    frames = [for_entry(export.rows, entry, codes) for entry in entries if export is not None and "fingertips_id" in entry]
    frames = [frame for frame in frames if len(frame)]
    return pd.concat(frames, ignore_index=True) if frames else _linked_empty()


def _linked_empty() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=float if name in NUMERIC or name.startswith(("lower", "upper")) else object) for name in LINKED})


def cited(entries: list[dict], rows: pd.DataFrame) -> list[dict]:
    """The catalogue entries, each whose figures come from the extracts (:func:`linked` rows)
    with its citation added to its ``source`` (the definitions page and its download)."""
    out = []
    for entry in entries:
        sources = sorted(set(rows.loc[rows["indicator_id"] == entry["id"], "source"]))
        if not sources:
            out.append(entry)
            continue
        what = "" if entry["method"] == "fingertips" else "England and region values: "
        out.append({**entry, "source": f"{entry['source']}; {what}{'; '.join(sources)}"})
    return out
