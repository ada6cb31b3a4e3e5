"""An optional postcode lookup (``postcodes.csv`` in the data folder), for "find my area".

ONS's National Statistics Postcode Lookup (NSPL), or its ONS Postcode Directory cousin,
subset to the authority: one row per postcode with its ward. The columns are found by their
NSPL names, ignoring case: the postcode ``pcds`` (or ``pcd``, ``pcd7``, ``pcd8``, ``postcode``)
and the ward ``osward`` (or ``wd24cd``, ``wd23cd``, ``ward_code``...). Terminated postcodes
(``doterm`` filled) are left out. Every ward must be one of the data's wards; a postcode of
another authority's ward is left out (NSPL subsets are often cut by a wider area).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from jsna.errors import DataError
from jsna.inputs.encoding import read_text

FILE = "postcodes.csv"
POSTCODE = ("pcds", "pcd", "pcd7", "pcd8", "postcode")
WARD = ("osward", "wd24cd", "wd23cd", "wd22cd", "wd21cd", "wd19cd", "ward_code", "ward")
#: A UK postcode, once spaces are removed: outward code (2-4) and inward code (3).
SHAPE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2}$")


def load_postcodes(folder: Path | str, wards: set[str]) -> dict[str, str] | None:
    """Postcode (upper case, one space before the inward code) -> ward code; None without the file."""
    path = Path(folder) / FILE
    if not path.is_file():
        return None
    try:
        table = pd.read_csv(io.StringIO(read_text(path)), dtype=str, keep_default_na=False)
    except pd.errors.ParserError as error:
        raise DataError(path, f"cannot be read as CSV: {error}") from None
    columns = {c.strip().lower(): c for c in table.columns}
    postcode = next((columns[c] for c in POSTCODE if c in columns), None)
    ward = next((columns[c] for c in WARD if c in columns), None)
    if postcode is None or ward is None:
        raise DataError(path, f"needs a postcode column ({', '.join(POSTCODE)}) and a ward column ({', '.join(WARD)}); it has {list(table.columns)}", line=1)
    if "doterm" in columns:
        table = table.loc[table[columns["doterm"]].str.strip() == ""]
    compact = table[postcode].str.upper().str.replace(r"\s+", "", regex=True)
    bad = ~compact.str.match(SHAPE)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 1
        raise DataError(path, f"{table[postcode].iloc[row - 1]!r} is not a postcode", row=row, column=postcode)
    codes = table[ward].str.strip()
    keep = codes.isin(wards)
    if not keep.any():
        raise DataError(path, f"none of its wards is a ward of geography.csv (e.g. {codes.iloc[0]!r}): is it the right authority's lookup?")
    spaced = compact[keep].str[:-3] + " " + compact[keep].str[-3:]
    return dict(sorted(zip(spaced, codes[keep])))
