"""A geography kit: the published files that describe one local authority's geography.

A kit is a folder with a ``kit.yml`` naming the authority, its region and its files (the format
is in ``data/README.md``, "Geography kits"):

* a **lookup** of small areas (LSOAs) to wards, and optionally the council's grouping of wards
  into **localities** (Dudley's townships);
* **deprivation** by small area (IMD score and national decile);
* **population** by small area and year: persons or by sex, single years of age or five-year
  bands, in a long table or the wide layout ONS publishes (one column per age);
* **practices** with their primary care network and, in another file or the same one, their
  list sizes;
* optionally **boundaries** (GeoJSON) of the wards and the small areas.

:func:`load_kit` reads and checks the whole kit and returns it in one shape whatever the
layout of its files, so that ``scripts/make_demo_data.py`` (synthetic events on the kit's real
geography) and :func:`kit_parameters` (the places parameters) need to know nothing about
the files. Every error names the file, the line and the column (or the ``kit.yml`` key).
Column names are given in ``kit.yml``; where a column is not given, the usual published names
are recognised (``lsoa11_code``, ``LSOA21CD``, ``WD19CD``, ``PCN_CODE``...).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from jsna.errors import DataError
from jsna.inputs.encoding import read_text
from jsna.inputs.yamlfile import YamlFile, read_yaml

KIT_FILE = "kit.yml"

#: The 20 age bands of the data tables (``data/README.md``).
AGE_BANDS = ("0", "1-4") + tuple(f"{a}-{a + 4}" for a in range(5, 90, 5)) + ("90+",)
BAND_START = np.array([0, 1] + list(range(5, 95, 5)))

#: Modelled splits where a kit's population is in five-year bands: the share of 0-4 year olds
#: aged under 1, and the share of those aged 85 and over who are 85-89 (England, Census 2021:
#: 0.19 and 0.64). Stated in data/README.md.
UNDER_ONE_SHARE = 0.19
AGED_85_89_SHARE = 0.64

SMALL_AREA_CODE = ("small_area_code", "lsoa11_code", "lsoa21_code", "lsoa11cd", "lsoa21cd", "lsoa_code", "lsoa code 2011", "lsoa code 2021",
                   "lsoa 2011 code", "lsoa 2021 code")  # fmt: skip
#: The logical columns of each file and the published names recognised for each when kit.yml
#: does not name the column (compared ignoring case, spaces and punctuation: "LSOA code (2011)"
#: is "lsoa_code_2011").
COLUMNS = {
    "lookup": {
        "small_area_code": SMALL_AREA_CODE,
        "small_area_name": ("small_area_name", "lsoa11_name", "lsoa21_name", "lsoa11nm", "lsoa21nm", "lsoa_name", "lsoa name 2011", "lsoa name 2021",
                            "lsoa 2011 name", "lsoa 2021 name"),
        "ward_code": ("ward_code", "ward17_code", "ward24_code", "wd17cd", "wd19cd", "wd22cd", "wd23cd", "wd24cd"),
        "ward_name": ("ward_name", "ward17_name", "ward24_name", "wd17nm", "wd19nm", "wd22nm", "wd23nm", "wd24nm"),
    },
    "localities": {
        "ward_code": ("ward_code", "ward17_code", "ward24_code", "wd19cd", "wd24cd"),
        "code": ("locality_code", "code"),
        "name": ("locality_name", "name"),
    },
    "deprivation": {
        "small_area_code": SMALL_AREA_CODE,
        "score": ("imd_score", "imd2019_score", "imd2025_score", "index of multiple deprivation (imd) score"),
        "decile": ("imd_decile", "index of multiple deprivation (imd) decile (where 1 is most deprived 10% of lsoas)"),
    },
    "population": {
        "small_area_code": SMALL_AREA_CODE,
        "year": ("year", "mid_year"),
        "sex": ("sex",),
        "age": ("age", "age_band"),
        "count": ("population", "count", "value", "observation"),
    },
    "practices": {
        "code": ("practice_code", "code", "org_code"),
        "name": ("practice_name", "name"),
        "postcode": ("practice_postcode", "postcode"),
        "network_code": ("pcn_code", "network_code"),
        "network_name": ("pcn_name", "network_name"),
        "list_size": ("number_of_patients", "list_size", "patients"),
    },
    "list_sizes": {
        "code": ("code", "practice_code", "org_code"),
        "list_size": ("number_of_patients", "list_size", "patients"),
    },
}
#: Columns a file may go without.
OPTIONAL = {"population": ("year", "sex", "age", "count"), "practices": ("postcode", "list_size"), "lookup": ("small_area_name",)}
SEX_WORDS = {"male": "Male", "males": "Male", "m": "Male", "1": "Male", "female": "Female", "females": "Female", "f": "Female", "2": "Female",
             "persons": "Persons", "person": "Persons", "all": "Persons", "p": "Persons", "all persons": "Persons", "0": "Persons"}  # fmt: skip


@dataclass(frozen=True)
class Named:
    code: str
    name: str


@dataclass(frozen=True)
class Kit:
    """A checked geography kit, in one shape whatever the layout of its files."""

    folder: Path
    country: Named
    region: Named
    authority: Named
    #: How the book calls the authority and its localities: (singular, plural).
    authority_words: tuple[str, str]
    locality_words: tuple[str, str] | None
    #: code, name, ward_code: one row per small area, by code.
    small_areas: pd.DataFrame
    #: code, name, locality_code (None without localities): one row per ward, by code.
    wards: pd.DataFrame
    #: code, name: the localities, by code (empty without).
    localities: pd.DataFrame
    #: code, imd_score, imd_decile.
    deprivation: pd.DataFrame
    #: code, year, sex (Persons, or Male and Female), age_band (the 20 bands), population (float).
    population: pd.DataFrame
    #: Which of the population's figures are modelled rather than published, in words (empty: none).
    population_modelled: tuple[str, ...]
    #: code, name, postcode, network_code, list_size: every practice (unallocated ones placed in a network).
    practices: pd.DataFrame
    #: code, name: the networks, by code.
    networks: pd.DataFrame
    #: The year the list sizes count (the registered population of that year).
    list_year: int
    #: Practices the kit's file leaves without a network, and where they were placed, in words.
    placed: tuple[str, ...]
    #: GeoJSON files (relative to the kit) by "wards" / "small_areas", with their code property.
    boundaries: dict[str, tuple[Path, str]]
    #: Where each part came from, in words from kit.yml: lookup, deprivation, population, practices...
    sources: dict[str, str]


def load_kit(folder: Path | str) -> Kit:
    """Read and check the kit in ``folder``; raises :class:`DataError` at the first problem."""
    folder = Path(folder)
    path = folder / KIT_FILE
    if not path.is_file():
        raise DataError(folder, f"not a geography kit: no {KIT_FILE} here (see data/README.md, Geography kits)")
    document = read_yaml(path)
    spec = document.data
    if not isinstance(spec, dict):
        raise document.error("expected a mapping: authority, region, lookup, deprivation, population, practices...")
    known = ("authority", "region", "country", "lookup", "localities", "deprivation", "population", "practices", "list_sizes", "boundaries")
    for key in spec:
        if key not in known:
            raise document.error(f"unknown part {key!r}; a kit has {', '.join(known)}", key, field=str(key))
    authority = _named(document, spec, "authority")
    region = _named(document, spec, "region")
    country = _named(document, spec, "country") if "country" in spec else Named("E92000001", "England")
    sources = {}

    lookup, sources["lookup"] = _table(document, folder, spec, "lookup")
    small_areas, wards = _lookup(_within(lookup, authority.code))
    localities = pd.DataFrame({"code": pd.Series(dtype=str), "name": pd.Series(dtype=str)})
    locality_words = None
    if "localities" in spec:
        table, sources["localities"] = _table(document, folder, spec, "localities")
        wards, localities = _localities(table, wards)
        locality_words = _words(document, spec["localities"], "localities")
    wards = wards if "locality_code" in wards else wards.assign(locality_code=None)

    table, sources["deprivation"] = _table(document, folder, spec, "deprivation")
    deprivation = _deprivation(table, small_areas)
    parts = [(_population(table, small_areas), table.attrs["path"]) for table in _population_files(document, folder, spec, sources)]
    population, modelled = _join_years(parts)

    table, sources["practices"] = _table(document, folder, spec, "practices")
    if "list_sizes" in spec:
        sizes, sources["list_sizes"] = _table(document, folder, spec, "list_sizes")
        table = _join_list_sizes(table, sizes)
    practices, networks, placed = _practices(table, spec["practices"].get("unallocated"))
    list_year = spec.get("list_sizes", spec["practices"]).get("year")
    if not isinstance(list_year, int):
        part = "list_sizes" if "list_sizes" in spec else "practices"
        raise document.error("year must say which year the list sizes count, like 2021", part, field=f"{part}.year")

    boundaries = {}
    for kind, entry in (spec.get("boundaries") or {}).items():
        if kind not in ("wards", "small_areas") or not isinstance(entry, dict) or "file" not in entry or "code" not in entry:
            raise document.error("boundaries are wards and small_areas, each {file, code}: the GeoJSON and its code property", "boundaries", kind)
        boundaries[kind] = (folder / entry["file"], str(entry["code"]))
        _check_boundaries(folder / entry["file"], str(entry["code"]), wards["code"] if kind == "wards" else small_areas["code"])
    authority_words = _words(document, spec["authority"], "authority", default=("authority", "authorities"))
    return Kit(folder, country, region, authority, authority_words, locality_words, small_areas, wards, localities, deprivation,
               population, modelled, practices, networks, list_year, placed, boundaries, sources)  # fmt: skip


# --------------------------------------------------------------------------------------------
# kit.yml
# --------------------------------------------------------------------------------------------
def _named(document: YamlFile, spec: dict, key: str) -> Named:
    entry = spec.get(key)
    if not isinstance(entry, dict) or not isinstance(entry.get("code"), str) or not isinstance(entry.get("name"), str):
        raise document.error(f"{key} needs its code and name, like {{code: E08000027, name: Dudley}}", *([key] if key in spec else []), field=key)
    if not re.fullmatch(r"[A-Z][0-9A-Z]{8}", entry["code"]):
        raise document.error(f"{entry['code']!r} is not a 9-character ONS code", key, "code", field=f"{key}.code")
    return Named(entry["code"], entry["name"].strip())


def _words(document: YamlFile, entry: dict, key: str, default: tuple[str, str] | None = None) -> tuple[str, str]:
    singular, plural = entry.get("singular"), entry.get("plural")
    if singular is None and plural is None and default is not None:
        return default
    if not (isinstance(singular, str) and singular.strip() and isinstance(plural, str) and plural.strip()):
        raise document.error(f"{key} needs its singular and plural words, like singular: township, plural: townships", key, field=key)
    return singular.strip(), plural.strip()


def _table(document: YamlFile, folder: Path, spec: dict, part: str) -> tuple[pd.DataFrame, str]:
    """The part's file, filtered by its ``where``, with its columns renamed to the logical names."""
    entry = spec.get(part)
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
        raise document.error(f"{part} needs the file it is read from (file: NAME.csv)", *([part] if part in spec else []), field=part)
    path = folder / entry["file"]
    if not path.is_file():
        raise document.error(f"{part}: file {entry['file']!r} not found in {folder}", part, "file", field=f"{part}.file")
    text = read_text(path)
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[])
    except pd.errors.ParserError as error:
        raise DataError(path, f"cannot be read as CSV: {error}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    raw = raw.apply(lambda column: column.str.strip())
    raw.attrs["path"] = path
    for column, value in (entry.get("where") or {}).items():
        if column not in raw:
            raise document.error(f"{part}: the filter's column {column!r} is not in {entry['file']}", part, "where", field=f"{part}.where")
        raw = raw.loc[raw[column] == str(value)]
    named = entry.get("columns") or {}
    unknown = sorted(set(named) - set(COLUMNS[part]))
    if unknown:
        raise document.error(f"{part}: unknown column role {unknown[0]!r}; the roles are {', '.join(COLUMNS[part])}", part, "columns", field=f"{part}.columns")
    renamed = {}
    lowered = {_header(c): c for c in raw.columns}
    for role, candidates in COLUMNS[part].items():
        if role in named:
            if named[role] not in raw.columns:
                raise document.error(f"{part}: column {named[role]!r} is not in {entry['file']} (it has {list(raw.columns)})", part, "columns", role,
                                     field=f"{part}.columns.{role}")  # fmt: skip
            renamed[named[role]] = role
            continue
        found = next((lowered[_header(c)] for c in candidates if _header(c) in lowered and lowered[_header(c)] not in renamed), None)
        if found is not None:
            renamed[found] = role
        elif role not in OPTIONAL.get(part, ()):
            raise DataError(path, f"no column for {role} (looked for {', '.join(candidates)}); name it in kit.yml under {part}: columns: {role}: ...",
                            line=1)  # fmt: skip
    table = raw.rename(columns=renamed)
    table.attrs["path"] = path
    return table, str(entry.get("source", "")).strip()


def _header(name: str) -> str:
    """A column name as it is compared: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


# --------------------------------------------------------------------------------------------
# The parts
# --------------------------------------------------------------------------------------------
def _within(table: pd.DataFrame, authority: str) -> pd.DataFrame:
    """A national lookup's rows for the authority: where a column holds the authority's code
    (LAD24CD, ltla21_code...), the rows with it; a lookup of one authority as it is."""
    for column in table.columns:
        if (table[column] == authority).any() and not (table[column] == authority).all():
            kept = table.loc[table[column] == authority]
            kept.attrs["path"] = table.attrs["path"]
            return kept
    return table


def _population_files(document: YamlFile, folder: Path, spec: dict, sources: dict[str, str]) -> list[pd.DataFrame]:
    """The population files: one, or several (``population: [{file, year}, ...]``, as ONS
    publishes a year per file); ``year: 2021`` is the year of a file without a year column."""
    entries = spec.get("population")
    tables, described = [], []
    for entry in entries if isinstance(entries, list) else [entries]:
        table, source = _table(document, folder, {"population": entry}, "population")
        if "year" not in table and isinstance(entry, dict) and "year" in entry:
            if not isinstance(entry["year"], int):
                raise document.error("population: year must be the mid-year the file counts, like 2021", "population", field="population.year")
            table = table.assign(year=str(entry["year"]))
            table.attrs["path"] = folder / entry["file"]
        tables.append(table)
        described.append(source)
    sources["population"] = "; ".join(s for s in described if s)
    return tables


def _join_years(parts: list[tuple[tuple[pd.DataFrame, tuple[str, ...]], Path]]) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The population files' years together: each year in one file, all by sex or all persons."""
    (first, modelled), _ = parts[0]
    for (frame, more), path in parts[1:]:
        if set(frame["sex"]) != set(first["sex"]):
            raise DataError(path, f"this file counts {sorted(set(frame['sex']))} but the first population file {sorted(set(first['sex']))}")
        again = sorted(set(frame["year"]) & set(first["year"]))
        if again:
            raise DataError(path, f"the population of {again[0]} is already in another population file")
        first = pd.concat([first, frame], ignore_index=True)
        modelled += tuple(m for m in more if m not in modelled)
    return first.sort_values(["code", "year", "sex", "age_band"], ignore_index=True), modelled


def _lookup(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    path = table.attrs["path"]
    _codes(table, "small_area_code")
    _codes(table, "ward_code")
    _unique(table, ["small_area_code"])
    names = table["ward_name"].groupby(table["ward_code"]).nunique()
    if (names > 1).any():
        ward = names.index[names > 1][0]
        raise DataError(path, f"ward {ward} has more than one name", row=_row(table, table["ward_code"] == ward), column="ward_name")
    small = pd.DataFrame({"code": table["small_area_code"], "name": table.get("small_area_name", table["small_area_code"]),
                          "ward_code": table["ward_code"]}).sort_values("code", ignore_index=True)  # fmt: skip
    wards = table[["ward_code", "ward_name"]].drop_duplicates().rename(columns={"ward_code": "code", "ward_name": "name"})
    return small, wards.sort_values("code", ignore_index=True)


def _localities(table: pd.DataFrame, wards: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    path = table.attrs["path"]
    _unique(table, ["ward_code"])
    unknown = ~table["ward_code"].isin(wards["code"])
    if unknown.any():
        raise DataError(path, f"ward {table['ward_code'][unknown].iloc[0]} is not in the lookup", row=_row(table, unknown), column="ward_code")
    missing = ~wards["code"].isin(table["ward_code"])
    if missing.any():
        raise DataError(path, f"ward {wards['code'][missing].iloc[0]} ({wards['name'][missing].iloc[0]}) is in no locality; every ward needs one")
    localities = table[["code", "name"]].drop_duplicates()
    if localities["code"].duplicated().any():
        code = localities["code"][localities["code"].duplicated()].iloc[0]
        raise DataError(path, f"locality {code} has more than one name", row=_row(table, table["code"] == code), column="name")
    wards = wards.merge(table[["ward_code", "code"]].rename(columns={"ward_code": "code", "code": "locality_code"}), on="code")
    return wards, localities.sort_values("code", ignore_index=True)


def _deprivation(table: pd.DataFrame, small_areas: pd.DataFrame) -> pd.DataFrame:
    path = table.attrs["path"]
    _unique(table, ["small_area_code"])
    out = pd.DataFrame({"code": table["small_area_code"],
                        "imd_score": _numbers(table, "score", 0, 100),
                        "imd_decile": _numbers(table, "decile", 1, 10)})  # fmt: skip
    if not (out["imd_decile"] == out["imd_decile"].round()).all():
        raise DataError(path, "a decile is not a whole number", row=_row(table, out["imd_decile"] != out["imd_decile"].round()), column="decile")
    out = out.loc[out["code"].isin(small_areas["code"])]
    _covers(path, out["code"], small_areas["code"], "deprivation score")
    return out.astype({"imd_decile": int}).sort_values("code", ignore_index=True)


def _population(table: pd.DataFrame, small_areas: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Long or wide, by sex or persons, single years or five-year bands -> the 20 bands."""
    path = table.attrs["path"]
    if "year" not in table:
        raise DataError(path, "no year column: a population needs the year it counts (mid-year), named in kit.yml under population: columns: year", line=1)
    if "age" in table:
        if "count" not in table:
            raise DataError(path, "a population with an age column needs a count column (population, count, value or observation)", line=1)
        long = table
    else:
        long = _melt_wide(table)
    sex = long["sex"].str.lower().map(SEX_WORDS) if "sex" in long else pd.Series("Persons", index=long.index)
    if sex.isna().any():
        raise DataError(path, f"sex {long['sex'][sex.isna()].iloc[0]!r} is not Male, Female or Persons", row=_row(long, sex.isna()), column="sex")
    years = _numbers(long, "year", 1900, 2100)
    ages = long["age"].map(_age_range)
    if ages.isna().any():
        raise DataError(path, f"age {long['age'][ages.isna()].iloc[0]!r} is not a single year (0, 90+) or a band (0-4, 85+)",
                        row=_row(long, ages.isna()), column="age")  # fmt: skip
    frame = pd.DataFrame({"code": long["small_area_code"], "year": years.astype(int), "sex": sex, "start": ages.str[0], "end": ages.str[1],
                          "population": _numbers(long, "count", 0, 1e7)})  # fmt: skip
    by_sex = set(frame["sex"]) - {"Persons"}
    if by_sex:
        if by_sex != {"Male", "Female"}:
            raise DataError(path, f"a population by sex needs both Male and Female; found only {sorted(by_sex)}", column="sex")
        frame = frame.loc[frame["sex"] != "Persons"]
    frame = frame.loc[frame["code"].isin(small_areas["code"])]
    _covers(path, frame["code"], small_areas["code"], "population")
    banded, modelled = _to_bands(path, frame)
    if not by_sex:
        modelled = ("the split by sex",) + modelled
    keys = ["code", "year", "sex", "age_band"]
    duplicated = banded.duplicated(keys)
    if duplicated.any():
        row = banded.loc[duplicated].iloc[0]
        raise DataError(path, f"the population of {row['code']} in {row['year']} ({row['sex']}, {row['age_band']}) is given twice")
    grid = pd.MultiIndex.from_product([small_areas["code"], sorted(banded["year"].unique()), sorted(banded["sex"].unique()), AGE_BANDS], names=keys)
    missing = grid.difference(pd.MultiIndex.from_frame(banded[keys]))
    if len(missing):
        code, year, sex_, band = missing[0]
        raise DataError(path, f"no population for {code} in {year} ({sex_}, age {band}); every small area needs every age in every year")
    return banded.sort_values(keys, ignore_index=True), modelled


def _melt_wide(table: pd.DataFrame) -> pd.DataFrame:
    """ONS's wide layout: one column per age ("0".."89", "90+"), optionally prefixed by sex ("M0", "F90+")."""
    ages = [c for c in table.columns if _wide_age(c) is not None]
    if not ages:
        raise DataError(table.attrs["path"], "no age columns: a population is long (an age and a count column) or wide (a column per age: 0, 1, ... 90+)",
                        line=1)  # fmt: skip
    keep = [c for c in ("small_area_code", "year") if c in table]
    long = table[keep + ages].reset_index(names="_row").melt(id_vars=["_row", *keep], var_name="column", value_name="count")
    parsed = long["column"].map(_wide_age)
    long["sex"], long["age"] = parsed.str[0], parsed.str[1]
    if (long["sex"] == "").all():
        long = long.drop(columns="sex")
    else:
        long["sex"] = long["sex"].replace({"": "Persons"})
    long = long.set_index("_row", drop=True)
    long.index.name = None
    long.attrs["path"] = table.attrs["path"]
    return long


def _wide_age(column: str) -> tuple[str, str] | None:
    found = re.fullmatch(r"(?i)(m|f|male|female|males|females)?[ _]?(\d{1,2}(?:\+|-\d{1,2})?)", str(column).strip())
    if not found or str(column).strip().isdigit() and int(column) > 120:
        return None
    return (found.group(1) or "").lower(), found.group(2)


def _age_range(value: str) -> tuple[int, float] | None:
    text = str(value).strip().lower().removeprefix("aged ").replace(" to ", "-").replace(" and over", "+").replace(" ", "")
    if re.fullmatch(r"\d{1,3}", text):
        return int(text), int(text)
    found = re.fullmatch(r"(\d{1,3})-(\d{1,3})", text)
    if found and int(found.group(1)) <= int(found.group(2)):
        return int(found.group(1)), int(found.group(2))
    found = re.fullmatch(r"(\d{1,3})\+", text)
    return (int(found.group(1)), np.inf) if found else None


def _to_bands(path: Path, frame: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Sum single years into the 20 bands; split 0-4 and 85+ where the kit has those bands."""
    modelled = []
    rows = []
    for (start, end), group in frame.groupby(["start", "end"], sort=True):
        if start == end or start >= 90 and end == np.inf:  # single years (90 and over: 90+)
            band = AGE_BANDS[int(np.searchsorted(BAND_START, min(start, 90), side="right") - 1)]
            rows.append(group.assign(age_band=band))
        elif (start, end) == (0, 4):
            rows += [group.assign(age_band="0", population=group["population"] * UNDER_ONE_SHARE),
                     group.assign(age_band="1-4", population=group["population"] * (1 - UNDER_ONE_SHARE))]  # fmt: skip
            modelled.append(f"the split of 0-4 year olds at age 1 ({UNDER_ONE_SHARE:.0%} under 1)")
        elif (start, end) == (85, np.inf):
            rows += [group.assign(age_band="85-89", population=group["population"] * AGED_85_89_SHARE),
                     group.assign(age_band="90+", population=group["population"] * (1 - AGED_85_89_SHARE))]  # fmt: skip
            modelled.append(f"the split of those aged 85+ at 90 ({AGED_85_89_SHARE:.0%} aged 85-89)")
        elif end != np.inf and end - start == 4 and start % 5 == 0 and 5 <= start <= 85:
            rows.append(group.assign(age_band=f"{int(start)}-{int(end)}"))
        else:
            shown = f"{int(start)}+" if end == np.inf else f"{int(start)}-{int(end)}"
            raise DataError(path, f"age {shown} is neither a single year (0 to 89, 90+) nor a five-year band (0-4, 5-9 ... 85-89, 90+ or 85+)", column="age")
    banded = pd.concat(rows, ignore_index=True).groupby(["code", "year", "sex", "age_band"], as_index=False, sort=False)["population"].sum()
    return banded, tuple(modelled)


def _join_list_sizes(practices: pd.DataFrame, sizes: pd.DataFrame) -> pd.DataFrame:
    path = sizes.attrs["path"]
    _unique(sizes, ["code"])
    missing = ~practices["code"].isin(sizes["code"])
    if missing.any():
        raise DataError(path, f"no list size for practice {practices['code'][missing].iloc[0]} of the practices file")
    joined = practices.drop(columns="list_size", errors="ignore").merge(sizes[["code", "list_size"]], on="code", how="left")
    joined.attrs["path"] = practices.attrs["path"]
    joined.attrs["sizes"] = path
    return joined


def _practices(table: pd.DataFrame, unallocated: str | None) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...]]:
    """Practices and their networks; a practice the file leaves in no network is placed in the
    network most of whose practices share its postcode district (B63 in B63 1AB)."""
    path = table.attrs["path"]
    if "list_size" not in table:
        raise DataError(path, "no list sizes: give a list_size column here or a list_sizes file in kit.yml", line=1)
    _unique(table, ["code"])
    sizes = _numbers(table, "list_size", 0, 1e6, path=table.attrs.get("sizes", path))
    practices = pd.DataFrame({"code": table["code"], "name": table["name"].map(readable_name), "postcode": table.get("postcode", ""),
                              "network_code": table["network_code"], "list_size": sizes.astype(int)})  # fmt: skip
    networks = table.loc[table["network_code"] != (unallocated or "\0"), ["network_code", "network_name"]].drop_duplicates()
    networks = networks.rename(columns={"network_code": "code", "network_name": "name"}).assign(name=lambda d: d["name"].map(readable_name))
    if networks["code"].duplicated().any():
        code = networks["code"][networks["code"].duplicated()].iloc[0]
        raise DataError(path, f"network {code} has more than one name", row=_row(table, table["network_code"] == code), column="network_name")
    placed = []
    district = practices["postcode"].str.split().str[0].fillna("")
    for i in np.flatnonzero((practices["network_code"] == unallocated).to_numpy()) if unallocated else []:
        allocated = practices["network_code"] != unallocated
        same = practices.loc[allocated & (district == district.iloc[i]) & (district.iloc[i] != ""), "network_code"]
        if same.empty:
            raise DataError(path, f"practice {practices['code'].iloc[i]} has no network and no other practice in its postcode district "
                            f"({district.iloc[i] or 'no postcode'}) to place it by; give it a network in the file", row=int(table.index[i]) + 1)  # fmt: skip
        network = same.value_counts().sort_index().idxmax()
        practices.loc[practices.index[i], "network_code"] = network
        name = networks.set_index("code").loc[network, "name"]
        placed.append(f"{practices['name'].iloc[i]} ({practices['code'].iloc[i]}, {practices['postcode'].iloc[i]}) in {name}, "
                      f"where {len(same)} of its postcode district's practices are")  # fmt: skip
    return practices.sort_values("code", ignore_index=True), networks.sort_values("code", ignore_index=True), tuple(placed)


def _check_boundaries(path: Path, code: str, expected: pd.Series) -> None:
    if not path.is_file():
        raise DataError(path, "boundary file not found")
    try:
        features = json.loads(read_text(path))["features"]
        codes = {str(f["properties"][code]) for f in features}
    except (ValueError, KeyError, TypeError) as error:
        raise DataError(path, f"not GeoJSON features with a {code!r} property ({error})") from None
    missing = sorted(set(expected) - codes)
    if missing:
        raise DataError(path, f"no boundary for {missing[0]} ({len(missing)} area(s) missing); the boundaries must cover every area of the lookup")


def readable_name(name: str) -> str:
    """A name published in capitals ("DR. B. K. PRASHARA", "AW SURGERIES", "HALESOWEN PCN") in
    the case a sentence uses; a name already in mixed case is kept as it is."""
    name = " ".join(str(name).split())
    if name != name.upper():
        return name
    words = []
    for word in name.split(" "):
        letters = re.sub(r"[^A-Z]", "", word)
        keep = word in ("PCN", "GP", "NHS") or (letters not in ("ST", "DR", "MR", "MRS") and len(letters) <= 2 and not re.search(r"[AEIOU]", letters)) or re.fullmatch(r"[A-Z]\.", word)
        words.append(word if keep else word.capitalize() if word[:1].isalpha() else word[:1] + word[1:].capitalize())
    small = ("And", "Of", "The", "In", "On", "At")
    return " ".join(w.lower() if i and w in small else w for i, w in enumerate(words))


# --------------------------------------------------------------------------------------------
# Checks shared by the parts
# --------------------------------------------------------------------------------------------
def _row(table: pd.DataFrame, mask) -> int:
    """The data row (1 = first) of the first True of ``mask`` in the file ``table`` was read from."""
    return int(table.index[np.flatnonzero(np.asarray(mask))[0]]) + 1


def _codes(table: pd.DataFrame, column: str) -> None:
    bad = ~table[column].str.fullmatch(r"[A-Z][0-9A-Z]{8}")
    if bad.any():
        raise DataError(table.attrs["path"], f"{table[column][bad].iloc[0]!r} is not a 9-character ONS code", row=_row(table, bad), column=column)


def _unique(table: pd.DataFrame, columns: list[str]) -> None:
    duplicated = table.duplicated(columns, keep="first")
    if duplicated.any():
        value = ", ".join(str(table[c][duplicated].iloc[0]) for c in columns)
        raise DataError(table.attrs["path"], f"{value} appears twice", row=_row(table, duplicated), column=columns[0])


def _numbers(table: pd.DataFrame, column: str, low: float, high: float, path: Path | None = None) -> pd.Series:
    values = pd.to_numeric(table[column].str.replace(",", "", regex=False), errors="coerce")
    bad = values.isna() | (values < low) | (values > high)
    if bad.any():
        raise DataError(path or table.attrs["path"], f"{table[column][bad].iloc[0]!r} is not a number from {low:g} to {high:g}",
                        row=_row(table, bad), column=column)  # fmt: skip
    return values.astype(float)


def _covers(path: Path, found: pd.Series, expected: pd.Series, what: str) -> None:
    missing = sorted(set(expected) - set(found))
    if missing:
        raise DataError(path, f"small area {missing[0]} of the lookup has no {what} ({len(missing)} missing)")


# --------------------------------------------------------------------------------------------
# The parameters a kit implies
# --------------------------------------------------------------------------------------------
#: The project's parameter files copied as they are into a kit's parameters.
COPIED = ("chapters.yml", "disclosure.yml", "spc.yml")


def kit_parameters(kit: Kit, template: Path, *, synthetic: bool = True) -> dict[str, str]:
    """The parameter files (name -> text) of a book on ``kit``'s geography, from the project's
    ``template`` folder: its place types with the kit's words (the authority's, its localities'
    or none), every place of each type with pages, and a release titled with the kit's name.

    The area type ids are those :func:`type_ids` gives the data: the authority's and the
    localities' words, then ``ward``, ``small_area``, ``pcn`` and ``practice``.
    """
    import yaml

    types = type_ids(kit)
    source = yaml.safe_load((template / "place_types.yml").read_text(encoding="utf-8"))["area_types"]
    by_role = {entry.get("role"): dict(entry) for entry in source.values()}
    authority_singular, authority_plural = kit.authority_words
    declared = {"country": by_role["country"], "region": by_role["region"]}
    declared[types["authority"]] = {**by_role["authority"], "singular": authority_singular, "plural": authority_plural,
                                    "described_as": f"the {authority_singular}"}  # fmt: skip
    declared[types["authority"]].pop("title", None)
    # The council's own performance indicators are not in a kit: no services chapters.
    declared[types["authority"]]["chapters"] = [c for c in by_role["authority"].get("chapters", []) if c not in ("services", "exceptions")]
    ward_parent = types["authority"]
    if kit.locality_words:
        singular, plural = kit.locality_words
        declared[types["locality"]] = {**by_role["locality"], "parent": types["authority"], "singular": singular, "plural": plural,
                                       "title": f"{{name}} {singular}", "described_as": f"{_article(singular)} {singular}"}  # fmt: skip
        ward_parent = types["locality"]
    declared["ward"] = {**by_role["ward"], "parent": ward_parent}
    declared["small_area"] = {**by_role["small_area"], "parent": "ward"}
    declared["pcn"] = {**by_role["network"], "parent": types["authority"]}
    declared["practice"] = {**by_role["practice"], "parent": "pcn"}
    places = [types["authority"], *([types["locality"]] if kit.locality_words else []), "ward", "pcn"]
    release = yaml.safe_load((template / "release.yml").read_text(encoding="utf-8"))
    title = f"{kit.authority.name} Joint Strategic Needs Assessment" + (" (demonstration)" if synthetic else "")
    release.update(title=title, data_vintage=(
        f"Synthetic events for 2013 to 2022 on {kit.authority.name}'s real geography, deprivation and population; "
        f"comparators for {kit.country.name} and {kit.region.name} where the reference data hold them." if synthetic else release["data_vintage"]))
    head = f"# Made by `python -m jsna parameters --kit {kit.folder.name}` from the kit and the project's parameters.\n"
    files = {
        "place_types.yml": head + yaml.safe_dump({"area_types": declared}, sort_keys=False, allow_unicode=True),
        "places.yml": head + yaml.safe_dump({"places": [{"all": t} for t in places]}, sort_keys=False),
        "release.yml": head + yaml.safe_dump(release, sort_keys=False, allow_unicode=True),
    }
    for name in COPIED:
        files[name] = (template / name).read_text(encoding="utf-8")
    return files


def write_kit_parameters(kit: Kit, out: Path | str, *, synthetic: bool = True, template: Path | None = None) -> list[str]:
    """Write :func:`kit_parameters` into ``out`` (made if needed); each file is written whole
    (a temporary file renamed into place). Returns the names written."""
    from jsna.config import ROOT

    out = Path(out)
    files = kit_parameters(kit, template or ROOT / "parameters", synthetic=synthetic)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        partial = out / f".{name}.partial"
        partial.write_text(text, encoding="utf-8")
        partial.replace(out / name)
    return list(files)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def type_ids(kit: Kit) -> dict[str, str | None]:
    """The area type ids of a kit's data: the kit's own words for the authority and its
    localities, and fixed ids for the rest (the words of those come from place_types.yml)."""
    return {"authority": _slug(kit.authority_words[0]), "locality": _slug(kit.locality_words[0]) if kit.locality_words else None,
            "ward": "ward", "small_area": "small_area", "network": "pcn", "practice": "practice"}  # fmt: skip


def _slug(words: str) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", words.lower()))
