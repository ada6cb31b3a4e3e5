"""Load and validate the input tables.

Every table is declared once below (:data:`SCHEMAS`): its columns with type, allowed values and
bounds, its unique key, the role of area its codes must have (small areas, practices, the
authority: see :mod:`jsna.inputs.places`), and pairs of columns where the numerator may not
exceed the denominator. :func:`load_inputs` reads every table, checks it and
returns them all, or raises :class:`DataError` naming the file, the row, the column and the
problem. Failure policy: a loud failure beats a silently wrong book; nothing is returned (and so
nothing can be written) unless every table is valid.
"""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from jsna.config import ROOT
from jsna.errors import DataError
from jsna.inputs.boundaries import load_boundaries
from jsna.inputs.encoding import read_text
from jsna.inputs.places import AreaTypes, load_area_types

#: The 20 life-table age bands, youngest first.
AGE_BANDS: tuple[str, ...] = ("0", "1-4") + tuple(f"{a}-{a + 4}" for a in range(5, 90, 5)) + ("90+",)
#: Lower bound of each age band, in the same order.
AGE_START: dict[str, int] = {band: int(band.split("-")[0].rstrip("+")) for band in AGE_BANDS}
SEXES: tuple[str, ...] = ("Male", "Female")
#: Seasons of the excess winter deaths table: winter (December to March) and the two non-winter
#: four-month periods around it.
SEASONS: tuple[str, ...] = ("aug_nov", "dec_mar", "apr_jul")
@dataclass(frozen=True)
class Column:
    """One column of a table: its kind ("code", "str", "int", "float", "bool") and its rules."""

    name: str
    kind: str = "str"
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False
    #: For "code" columns: the roles (:data:`jsna.inputs.places.ROLES`) the code's area type must play.
    roles: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Table:
    """A declared input table."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    #: (numerator, denominator) pairs: numerator must not exceed denominator on any row.
    not_above: tuple[tuple[str, str], ...] = ()
    #: (table, column, key): this table's counts, summed by ``key``, cannot exceed that table's
    #: ``column`` at the same key (events within the population at risk).
    within: tuple[str, str, tuple[str, ...]] | None = None
    #: Columns whose every combination must be present (the table is a full grid over them;
    #: ``area_code`` takes every area of the role the column names).
    grid: tuple[str, ...] = ()
    description: str = ""
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(c.name for c in self.columns))


#: The largest count any table may hold: far above any local count, far below where whole
#: numbers stop being exact in the statistics.
MAXIMUM_COUNT = 1_000_000_000


def _count(name: str) -> Column:
    return Column(name, "int", minimum=0, maximum=MAXIMUM_COUNT)


def _small_area() -> Column:
    return Column("area_code", "code", roles=("small_area",))


def _practice() -> Column:
    return Column("area_code", "code", roles=("practice",))


_YEAR = Column("year", "int", minimum=1900, maximum=2100)
_SEX = Column("sex", "str", allowed=SEXES)
_AGE = Column("age_band", "str", allowed=AGE_BANDS)

SCHEMAS: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "geography",
            (
                Column("area_code", "str"),
                Column("area_name", "str"),
                Column("area_type", "str"),
                Column("parent_code", "str", nullable=True),
            ),
            key=("area_code",),
            description="every area, with its type and parent",
        ),
        Table(
            "deprivation",
            (_small_area(), Column("imd_score", "float", minimum=0, maximum=100), Column("imd_decile", "int", minimum=1, maximum=10)),
            key=("area_code",),
            description="Index of Multiple Deprivation score and national decile of each small area",
        ),
        Table(
            "population",
            (_small_area(), _YEAR, _SEX, _AGE, _count("population")),
            key=("area_code", "year", "sex", "age_band"),
            grid=("area_code", "year", "sex", "age_band"),
            description="resident population",
        ),
        Table(
            "deaths",
            (
                _small_area(),
                _YEAR,
                _SEX,
                _AGE,
                Column(
                    "cause",
                    "str",
                    allowed=(
                        "circulatory", "cancer", "respiratory", "digestive", "external", "mental_behavioural", "other",
                        "suicide", "drug_misuse",
                    ),  # fmt: skip
                ),
                Column("preventable", "bool"),
                _count("deaths"),
            ),
            key=("area_code", "year", "sex", "age_band", "cause", "preventable"),
            within=("population", "population", ("area_code", "year", "sex", "age_band")),
            description="registered deaths by broad cause",
        ),
        Table(
            "births",
            (
                _small_area(),
                _YEAR,
                _count("live_births"),
                _count("term_live_births"),
                _count("term_low_birth_weight"),
                _count("maternities"),
                _count("smoking_at_delivery"),
                _count("smoking_early_pregnancy"),
                _count("early_booking"),
            ),
            key=("area_code", "year"),
            not_above=(
                ("term_live_births", "live_births"),
                ("term_low_birth_weight", "term_live_births"),
                ("smoking_at_delivery", "maternities"),
                ("smoking_early_pregnancy", "maternities"),
                ("early_booking", "maternities"),
            ),
            description="live births, low birth weight, smoking in pregnancy and early booking",
        ),
        Table(
            "admissions",
            (
                _small_area(),
                _YEAR,
                _SEX,
                _AGE,
                Column(
                    "condition",
                    "str",
                    allowed=("copd", "chd", "stroke", "self_harm", "alcohol_narrow", "falls", "hip_fracture", "child_injury", "uti"),
                ),
                _count("admissions"),
            ),
            key=("area_code", "year", "sex", "age_band", "condition"),
            description="emergency hospital admissions",
        ),
        Table(
            "child_weight",
            (
                _small_area(),
                _YEAR,
                Column("school_year", "str", allowed=("Reception", "Year 6")),
                _count("measured"),
                _count("excess_weight"),
                _count("obese"),
            ),
            key=("area_code", "year", "school_year"),
            not_above=(("excess_weight", "measured"), ("obese", "excess_weight")),
            description="National Child Measurement Programme",
        ),
        Table(
            "practice_population",
            (_practice(), _YEAR, _SEX, _AGE, _count("registered")),
            key=("area_code", "year", "sex", "age_band"),
            grid=("area_code", "year", "sex", "age_band"),
            description="registered patients of each GP practice",
        ),
        Table(
            "registers",
            (
                _practice(),
                _YEAR,
                Column("condition", "str", allowed=("diabetes", "chd", "hypertension", "copd", "depression", "dementia")),
                _count("register"),
                _count("list_size"),
            ),
            key=("area_code", "year", "condition"),
            not_above=(("register", "list_size"),),
            description="disease registers of each GP practice",
        ),
        Table(
            "practice_admissions",
            (_practice(), _YEAR, Column("condition", "str", allowed=("emergency_cancer",)), _count("admissions")),
            key=("area_code", "year", "condition"),
            description="emergency admissions by registered practice",
        ),
        Table(
            "survey",
            (
                Column("area_code", "code", roles=("authority",)),
                _YEAR,
                Column("measure", "str", allowed=("smoking", "inactivity", "excess_weight")),
                _count("respondents"),
                Column("value", "float", minimum=0, maximum=100),
                Column("lower_95_0", "float", minimum=0, maximum=100),
                Column("upper_95_0", "float", minimum=0, maximum=100),
            ),
            key=("area_code", "year", "measure"),
            not_above=(("lower_95_0", "value"), ("value", "upper_95_0")),
            description="survey prevalence estimates with their published 95% limits",
        ),
        Table(
            "deaths_by_season",
            (_small_area(), _YEAR, _SEX, Column("season", "str", allowed=SEASONS), _count("deaths")),
            key=("area_code", "year", "sex", "season"),
            description="deaths by season of the August-to-July year ending in `year` (excess winter deaths)",
        ),
        Table(
            "child_development",
            (_small_area(), _YEAR, _count("eligible"), _count("good_level_development")),
            key=("area_code", "year"),
            not_above=(("good_level_development", "eligible"),),
            description="children at the end of Reception assessed, and those with a good level of development",
        ),
        Table(
            "immunisations",
            (_small_area(), _YEAR, Column("vaccine", "str", allowed=("mmr1_age2",)), _count("eligible"), _count("vaccinated")),
            key=("area_code", "year", "vaccine"),
            not_above=(("vaccinated", "eligible"),),
            description="childhood immunisation coverage",
        ),
        Table(
            "conceptions",
            (_small_area(), _YEAR, _count("females_15_17"), _count("conceptions_under_18")),
            key=("area_code", "year"),
            description="conceptions in women aged under 18, with the female population aged 15-17",
        ),
        Table(
            "low_income_children",
            (_small_area(), _YEAR, _count("children_under_16"), _count("in_low_income")),
            key=("area_code", "year"),
            not_above=(("in_low_income", "children_under_16"),),
            description="children under 16 in relative low-income families",
        ),
        Table(
            "screening",
            (_practice(), _YEAR, Column("programme", "str", allowed=("cervical",)), _count("eligible"), _count("screened")),
            key=("area_code", "year", "programme"),
            not_above=(("screened", "eligible"),),
            description="screening coverage of each GP practice",
        ),
        Table(
            "health_checks",
            (_practice(), _YEAR, _count("eligible"), _count("received")),
            key=("area_code", "year"),
            not_above=(("received", "eligible"),),
            description="NHS Health Checks received by the eligible population aged 40-74",
        ),
        Table(
            "flu_vaccination",
            (_practice(), _YEAR, _count("eligible_65_plus"), _count("vaccinated")),
            key=("area_code", "year"),
            not_above=(("vaccinated", "eligible_65_plus"),),
            description="flu vaccination of registered patients aged 65 and over",
        ),
        Table(
            "expected_dementia",
            (_practice(), _YEAR, _count("estimated_prevalence_count")),
            key=("area_code", "year"),
            description="estimated number of registered patients aged 65+ living with dementia",
        ),
        Table(
            "reablement",
            (Column("area_code", "code", roles=("authority",)), _YEAR, _count("discharged_65_plus"), _count("at_home_91_days")),
            key=("area_code", "year"),
            not_above=(("at_home_91_days", "discharged_65_plus"),),
            description="people aged 65+ discharged into reablement and still at home 91 days later",
        ),
    )
}

#: Real published comparator values (data/reference/comparators.csv): England, the region and the authority.
COMPARATORS = Table(
    "comparators",
    (
        Column("indicator_id", "str"),
        Column("area_code", "code", roles=("country", "region", "authority")),
        Column("period", "str"),
        Column("sex", "str", allowed=("Persons",) + SEXES),
        Column("value", "float"),
        Column("source", "str"),
    ),
    key=("indicator_id", "area_code", "period", "sex"),
    description="real published values for England and the region",
)


#: England's population by sex and five-year band (ONS Census 2021), the pyramid's comparator.
ENGLAND_POPULATION = Table(
    "england_population",
    (
        Column("area_code", "code", roles=("country",)),
        Column("area_name", "str"),
        Column("period", "str"),
        Column("sex", "str", allowed=SEXES),
        Column("age_band", "str", allowed=("0-4",) + AGE_BANDS[2:]),
        _count("population"),
        Column("source", "str"),
    ),
    key=("sex", "age_band"),
    description="England population by sex and five-year age band",
)
REFERENCE_TABLES = (COMPARATORS, ENGLAND_POPULATION)


def find_table_file(folder: Path, name: str) -> Path:
    """The file holding table ``name`` in ``folder``: ``name.csv`` or ``name.csv.gz``."""
    for suffix in (".csv", ".csv.gz"):
        path = folder / f"{name}{suffix}"
        if path.exists():
            return path
    raise DataError(folder / f"{name}.csv", "file not found (expected name.csv or name.csv.gz)")


def read_table(path: Path, table: Table) -> pd.DataFrame:
    """Read one CSV file and check it against ``table`` (everything except area codes).

    UTF-8 with or without a byte-order mark, Windows line endings and spaces around cells and
    column names are all read as the plain file would be.
    """
    text = read_text(path).rstrip() + "\n"  # blank lines at the end are not rows
    if not text.strip():
        raise DataError(path, f"the file is empty; it needs a header row ({', '.join(table.column_names)}) and rows")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # more cells in a row than in the header
            raw = pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, na_values=[], index_col=False, skip_blank_lines=False
            )
    except pd.errors.ParserWarning:
        raise _ragged_row(path, text) from None
    except pd.errors.ParserError as error:
        raise DataError(path, f"cannot be read as CSV: {error}", line=_parser_line(str(error))) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    if len(raw.columns) == 1 and len(table.columns) > 1:
        delimiter = next((d for d in (";", "\t", "|") if d in raw.columns[0]), None)
        if delimiter is not None:
            shown = "a tab" if delimiter == "\t" else repr(delimiter)
            raise DataError(path, f"the columns are separated by {shown}; the tables are comma-separated (CSV)", line=1)
    missing = [c for c in table.column_names if c not in raw.columns]
    if missing:
        raise DataError(path, f"missing column(s) {missing}; the file has {list(raw.columns)}", column=missing[0])
    extra = [c for c in raw.columns if c not in table.column_names]
    if extra:
        raise DataError(path, f"unexpected column(s) {extra}; the table has {list(table.column_names)}", column=extra[0])
    if raw.empty:
        raise DataError(path, "the file has a header but no rows", line=2)
    blank = raw.apply(lambda cells: cells.str.strip() == "").all(axis=1).to_numpy()
    if blank.any():  # read as rows so that every later message names the right line
        raise DataError(path, "the line is empty; remove it" + _others(blank), row=_first(blank) + 1)
    out = pd.DataFrame(index=raw.index)
    for column in table.columns:
        out[column.name] = _convert(path, raw[column.name].str.strip(), column)
    _check_key(path, out, table.key)
    for numerator, denominator in table.not_above:
        bad = (out[numerator] > out[denominator]).to_numpy()
        if bad.any():
            i = _first(bad)
            raise DataError(
                path,
                f"{out[numerator].iloc[i]} is greater than {denominator} ({out[denominator].iloc[i]})"
                + _others(bad),
                row=i + 1,
                column=numerator,
            )
    return out


def _ragged_row(path: Path, text: str) -> DataError:
    """The error for the first row with more cells than the header."""
    rows = csv.reader(io.StringIO(text))
    expected = len(next(rows))
    for row in rows:
        if len(row) > expected:
            return DataError(path, f"cannot be read as CSV: the row has {len(row)} cells where the header has {expected}", line=rows.line_num)
    return DataError(path, f"cannot be read as CSV: a row has more cells than the header's {expected}")


def _parser_line(message: str) -> int | None:
    """The line pandas' parser names in its message ("Expected 4 fields in line 12, saw 5")."""
    import re

    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None


def _first(bad: np.ndarray) -> int:
    return int(np.flatnonzero(bad)[0])


def _others(bad: np.ndarray) -> str:
    n = int(np.count_nonzero(bad))
    return f" ({n - 1} more row(s) with the same problem)" if n > 1 else ""


def _convert(path: Path, values: pd.Series, column: Column) -> pd.Series:
    """Convert a column of strings to its kind, raising DataError at the first bad cell."""
    empty = (values == "").to_numpy()
    if empty.any() and not column.nullable:
        raise DataError(path, "value is missing" + _others(empty), row=_first(empty) + 1, column=column.name)
    if column.kind in ("str", "code"):
        converted = values.where(~empty, None)
        if column.allowed is not None:
            bad = (~empty) & ~values.isin(column.allowed).to_numpy()
            if bad.any():
                raise DataError(
                    path,
                    f"{values.iloc[_first(bad)]!r} is not allowed; expected one of {list(column.allowed)}" + _others(bad),
                    row=_first(bad) + 1,
                    column=column.name,
                )
        return converted.astype("string")
    if column.kind == "bool":
        lowered = values.str.lower()
        bad = ~lowered.isin(["true", "false"]).to_numpy()
        if bad.any():
            raise DataError(
                path, f"{values.iloc[_first(bad)]!r} is not true or false" + _others(bad), row=_first(bad) + 1, column=column.name
            )
        return lowered == "true"
    numbers = pd.to_numeric(values, errors="coerce")
    bad = (~empty) & ~np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        raise DataError(
            path, f"{values.iloc[_first(bad)]!r} is not a number" + _others(bad), row=_first(bad) + 1, column=column.name
        )
    if column.kind == "int":
        bad = (~empty) & (numbers % 1 != 0).to_numpy()
        if bad.any():
            raise DataError(
                path, f"{values.iloc[_first(bad)]!r} is not a whole number" + _others(bad), row=_first(bad) + 1, column=column.name
            )
    if column.minimum is not None:
        bad = (numbers < column.minimum).to_numpy()
        if bad.any():
            word = "negative" if column.minimum == 0 else f"below {column.minimum:g}"
            raise DataError(
                path, f"{values.iloc[_first(bad)]} is {word}" + _others(bad), row=_first(bad) + 1, column=column.name
            )
    if column.maximum is not None:
        bad = (numbers > column.maximum).to_numpy()
        if bad.any():
            limit = f"{column.maximum:,.0f}" if float(column.maximum).is_integer() else f"{column.maximum:g}"
            raise DataError(
                path, f"{values.iloc[_first(bad)]} is above {limit}, the most it can be" + _others(bad), row=_first(bad) + 1, column=column.name
            )
    return numbers.astype("int64") if column.kind == "int" and not empty.any() else numbers.astype("float64")


def _check_key(path: Path, df: pd.DataFrame, key: tuple[str, ...]) -> None:
    duplicated = df.duplicated(list(key), keep=False).to_numpy()
    if duplicated.any():
        rows = np.flatnonzero(duplicated)
        first = rows[0]
        same = df.iloc[first][list(key)]
        later = [r for r in rows[1:] if (df.iloc[r][list(key)] == same).all()]
        described = ", ".join(f"{k}={same[k]}" for k in key)
        raise DataError(
            path,
            f"duplicate key ({described}), already on row {first + 1}; each {'/'.join(key)} must appear once",
            row=int(later[0]) + 1,
            column=key[0],
        )


def check_geography(path: Path, geography: pd.DataFrame, area_types: AreaTypes) -> None:
    """Every area has a declared type; parents exist and have the type the registry says; exactly
    one area is the authority, one the country and one the region."""
    type_ids = geography["area_type"]
    undeclared = (~type_ids.isin(area_types.ids)).to_numpy()
    if undeclared.any():
        i = _first(undeclared)
        raise DataError(
            path,
            f"{type_ids.iloc[i]!r} is not an area type of parameters/place_types.yml (known: {', '.join(area_types.ids)})" + _others(undeclared),
            row=i + 1,
            column="area_type",
        )
    types = geography.set_index("area_code")["area_type"]
    parent_type = geography["parent_code"].map(types)
    expected = type_ids.map(area_types.parent_type())
    no_parent = geography["parent_code"].isna().to_numpy()
    should_have = expected.notna().to_numpy()
    bad = should_have & no_parent
    if bad.any():
        i = _first(bad)
        raise DataError(
            path, f"{geography['area_code'].iloc[i]} ({type_ids.iloc[i]}) has no parent", row=i + 1, column="parent_code"
        )
    unknown = (~no_parent) & parent_type.isna().to_numpy()
    if unknown.any():
        i = _first(unknown)
        raise DataError(path, f"parent {geography['parent_code'].iloc[i]!r} is not an area_code in this file", row=i + 1, column="parent_code")
    wrong = should_have & (parent_type.astype(object) != expected.astype(object)).to_numpy()
    if wrong.any():
        i = _first(wrong)
        raise DataError(
            path,
            f"a {type_ids.iloc[i]}'s parent must be a {expected.iloc[i]}, "
            f"but {geography['parent_code'].iloc[i]} is a {parent_type.iloc[i]}",
            row=i + 1,
            column="parent_code",
        )
    for role in ("country", "region", "authority"):
        type_id = area_types.with_role(role)
        found = int((type_ids == type_id).sum())
        if found != 1:
            raise DataError(path, f"expected exactly one area of type {type_id!r} (the {role}), found {found}", column="area_type")


def check_codes(path: Path, df: pd.DataFrame, table: Table, geography: pd.DataFrame, area_types: AreaTypes) -> None:
    """Every "code" column holds codes of areas whose type plays one of the column's roles."""
    types = geography.set_index("area_code")["area_type"]
    for column in table.columns:
        if column.kind != "code":
            continue
        found = df[column.name].map(types)
        unknown = found.isna().to_numpy()
        if unknown.any():
            i = _first(unknown)
            raise DataError(
                path, f"{df[column.name].iloc[i]!r} is not in geography.csv" + _others(unknown), row=i + 1, column=column.name
            )
        allowed = [area_types.with_role(role) for role in column.roles]
        wrong = ~found.isin(allowed).to_numpy()
        if wrong.any():
            i = _first(wrong)
            raise DataError(
                path,
                f"{df[column.name].iloc[i]!r} is a {found.iloc[i]}; this table needs a {' or '.join(allowed)}" + _others(wrong),
                row=i + 1,
                column=column.name,
            )


@dataclass(frozen=True)
class Inputs:
    """Every validated input table, keyed by table name, the folder they came from and the area
    type registry they were checked against."""

    folder: Path
    tables: dict[str, pd.DataFrame]
    reference: dict[str, pd.DataFrame]
    area_types: AreaTypes
    #: Figures from OHID Fingertips extracts for the catalogue's indicators with a
    #: ``fingertips_id`` (:func:`jsna.inputs.fingertips.linked`), for the country, the region and
    #: the authority; None without extracts.
    fingertips: pd.DataFrame | None = None
    #: The maps' shapes by kind ("wards", "small_areas"), checked against the geography
    #: (:mod:`jsna.inputs.boundaries`); empty without a ``boundaries/`` folder.
    boundaries: dict[str, dict] = field(default_factory=dict)

    @property
    def comparators(self) -> pd.DataFrame:
        """The published values of the country, the region (and the authority, for the method
        ``published``): ``data/reference/comparators.csv``, with the country's and the region's
        figures from Fingertips extracts in place of the file's for the same indicator, period
        and sex, and for every other period the extracts hold."""
        base = self.reference["comparators"]
        if self.fingertips is None or self.fingertips.empty:
            return base
        outside = [self.code_of("country"), self.code_of("region")]
        extracted = self.fingertips.loc[self.fingertips["area_code"].isin(outside) & self.fingertips["value"].notna(), base.columns]
        key = ["indicator_id", "area_code", "period", "sex"]
        replaced = base.set_index(key).index.isin(extracted.set_index(key).index)
        return pd.concat([base.loc[~replaced], extracted], ignore_index=True)

    def with_fingertips(self, rows: pd.DataFrame) -> Inputs:
        """The same inputs with the figures of Fingertips extracts (:attr:`fingertips`)."""
        return replace(self, fingertips=rows)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def geography(self) -> pd.DataFrame:
        return self.tables["geography"]

    def code_of(self, role: str) -> str:
        """The code of the one area playing ``role``: "country", "region" or "authority"."""
        geography = self.geography
        return str(geography.loc[geography["area_type"] == self.area_types.with_role(role), "area_code"].iloc[0])

    def with_geography(self, geography: pd.DataFrame) -> Inputs:
        """The same inputs with another geography table (display names from ``places.yml``)."""
        return replace(self, tables={**self.tables, "geography": geography})


def load_inputs(folder: Path | str, reference: Path | str | None = None, area_types: AreaTypes | None = None, *,
                latest_year: int | None = None) -> Inputs:  # fmt: skip
    """Read and validate every table in ``folder`` (and the comparators in ``reference``, by
    default the project's ``data/reference``) against the area types (by default those of the
    project's ``parameters/place_types.yml``); with ``latest_year`` (the release's year), no
    table may hold a later year.

    Raises :class:`DataError` at the first problem; returns nothing partial.
    """
    if area_types is None:
        area_types = load_area_types(ROOT / "parameters" / "place_types.yml")
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(folder, "data folder not found")
    tables: dict[str, pd.DataFrame] = {}
    paths: dict[str, Path] = {}
    geography_path = find_table_file(folder, "geography")
    tables["geography"] = read_table(geography_path, SCHEMAS["geography"])
    check_geography(geography_path, tables["geography"], area_types)
    for name, table in SCHEMAS.items():
        if name == "geography":
            continue
        paths[name] = find_table_file(folder, name)
        df = read_table(paths[name], table)
        check_codes(paths[name], df, table, tables["geography"], area_types)
        tables[name] = df
    for name, table in SCHEMAS.items():
        if name == "geography":
            continue
        if latest_year is not None:
            _check_not_after(paths[name], tables[name], latest_year)
        if table.grid:
            _check_grid(paths[name], tables[name], table, tables["geography"], area_types)
        if table.within:
            _check_within(paths[name], tables[name], table, tables)
    _check_deprivation_coverage(folder, tables, area_types)
    reference = Path(reference) if reference is not None else ROOT / "data" / "reference"
    real = {}
    for table in REFERENCE_TABLES:
        path = find_table_file(reference, table.name)
        rows = read_table(path, table)
        # The reference figures serve every authority's book: rows for areas outside this one's
        # geography (another authority, another region) are someone else's comparators.
        rows = rows.loc[rows["area_code"].isin(tables["geography"]["area_code"])].reset_index(drop=True)
        check_codes(path, rows, table, tables["geography"], area_types)
        real[table.name] = rows
    boundaries = load_boundaries(folder, tables["geography"], area_types)
    return Inputs(folder=folder, tables=tables, reference=real, area_types=area_types, boundaries=boundaries)


def _check_not_after(path: Path, df: pd.DataFrame, latest_year: int) -> None:
    if "year" not in df:
        return
    late = (df["year"] > latest_year).to_numpy()
    if late.any():
        i = _first(late)
        raise DataError(path, f"{df['year'].iloc[i]} is after the release's year ({latest_year}, parameters/release.yml)" + _others(late),
                        row=i + 1, column="year")  # fmt: skip


def _check_grid(path: Path, df: pd.DataFrame, table: Table, geography: pd.DataFrame, area_types: AreaTypes) -> None:
    """Every combination of the grid's columns is present: the first missing one is named."""
    levels = []
    for name in table.grid:
        column = next(c for c in table.columns if c.name == name)
        if column.kind == "code":
            types = [area_types.with_role(role) for role in column.roles]
            levels.append(sorted(geography.loc[geography["area_type"].isin(types), "area_code"]))
        elif column.allowed is not None:
            levels.append(list(column.allowed))
        else:
            levels.append(sorted(df[name].unique().tolist()))
    expected = pd.MultiIndex.from_product(levels, names=list(table.grid))
    found = pd.MultiIndex.from_frame(df[list(table.grid)].astype(object))
    missing = expected.difference(found)
    if len(missing):
        first = ", ".join(f"{k}={v}" for k, v in zip(table.grid, missing[0]))
        raise DataError(path, f"no row for {first} ({len(missing)} combination(s) missing): every {', '.join(table.grid)} is needed")


def _check_within(path: Path, df: pd.DataFrame, table: Table, tables: dict[str, pd.DataFrame]) -> None:
    """This table's events, summed by the key, are at most the population at risk there."""
    other, column, key = table.within
    count = next(c.name for c in reversed(table.columns) if c.kind == "int")
    events = df.groupby(list(key), sort=False, observed=True)[count].sum()
    at_risk = tables[other].set_index(list(key))[column]
    joined = events.to_frame("events").join(at_risk.rename("at_risk"), how="left")
    bad = (joined["at_risk"].isna() & (joined["events"] > 0)) | (joined["events"] > joined["at_risk"])
    if bad.any():
        where = bad[bad].index[0]
        described = ", ".join(f"{k}={v}" for k, v in zip(key, where))
        row = joined.loc[where]
        rows = np.flatnonzero(np.logical_and.reduce([df[k].to_numpy() == v for k, v in zip(key, where)]))
        population = "no row" if pd.isna(row["at_risk"]) else f"{int(row['at_risk'])}"
        raise DataError(
            path,
            f"{int(row['events'])} {count} for {described}, more than the {column} there in {other} ({population}); "
            f"events cannot exceed the population at risk ({int(bad.sum())} combination(s) in all)",
            row=int(rows[0]) + 1,
            column=count,
        )


def _check_deprivation_coverage(folder: Path, tables: dict[str, pd.DataFrame], area_types: AreaTypes) -> None:
    """Every small area needs a deprivation score: the inequality views depend on it."""
    geography = tables["geography"]
    small = geography.loc[geography["area_type"] == area_types.with_role("small_area"), "area_code"]
    missing = small[~small.isin(tables["deprivation"]["area_code"])]
    if len(missing):
        raise DataError(
            find_table_file(folder, "deprivation"),
            f"small area {missing.iloc[0]!r} from geography.csv has no row ({len(missing)} missing in all)",
            column="area_code",
        )
