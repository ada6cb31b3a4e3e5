"""The indicator explorer's data: the store's ``indicators`` rows, written once into the book as
small JSON files that the explorer page (``chapters/explore.md``, ``chapters/_static/jsna-explorer.js``)
fetches in the browser. Nothing is embedded in any page, and no page but the explorer loads them.

``book/_static/explore/`` (Sphinx copies it verbatim to ``html/_static/explore/``):

* ``index.json``: the authority and country; Fingertips' comparison colours and glyphs (those
  of :data:`jsna.pages.charts.COMPARISON_STYLE`); every period (label -> years pooled, last
  year); the kinds of place (the area types the store has indicator rows for, in the book's
  order, each with its words and, for the kind a boundary file is of, the shapes file the
  chapters' maps read, each area's label point and the map attribution); every indicator
  (catalogue order) with its title, unit, polarity, chapter, the decimals the charts show, its
  periods and, for each kind of place it is published for, the sexes it has there, how many
  places, whether any is compared with the authority, its periods (when not every one of the
  indicator's) and the period shown first (the one the chapters show: the window the kind's
  pages use, its latest period with an England value, else its latest); and the indicator a
  first visit shows.
* ``<indicator_id>.json``: that indicator's rows, compact: the areas once (code -> name as the
  book writes it, type), the authority's and England's values once per period and sex, and one
  array per row in the order of ``fields``; a text field of few distinct values (:data:`CODED`:
  the period, sex, comparisons, note) is written once in ``values`` and a row holds its place
  in that list.

The rows are published as the store holds them (it is already disclosure-controlled): no value
is recomputed or filled in, and a withheld value stays empty, with its ``[c]`` note; numbers
are written to the significant digits the chapters' charts embed (the same numbers as the
chapters). The statistic is kept only where it says why a row has no figure (and no ``[c]`` note).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from jsna.book.geometry import STATIC as SHAPES
from jsna.config import Settings
from jsna.files import write_if_changed
from jsna.inputs.boundaries import KINDS as SHAPE_KINDS
from jsna.pages.charts import COMPARISON_GLYPH, COMPARISON_STYLE, SPEC_DIGITS
from jsna.pages.html import decimals
from jsna.pages.maps import ATTRIBUTION

#: Where the explorer's files are, relative to the book's root.
FOLDER = "_static/explore"
#: The columns of each row of an indicator's file, in order.
FIELDS = ("area_code", "period", "sex", "value", "lower_95_0", "upper_95_0", "count", "compared_to_authority",
          "compared_to_england", "note", "statistic")  # fmt: skip
#: Text fields with few distinct values: each row holds the value's place in the file's ``values`` list.
CODED = ("period", "sex", "compared_to_authority", "compared_to_england", "note", "statistic")
#: Units that are counts, not rates: a place's count is not drawn against the authority's.
TOTALS = ("people", "count")
SAFE_ID = re.compile(r"[A-Za-z0-9_-]+")


def write_explorer(settings: Settings, tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Write the explorer's files into ``book/_static/explore/`` (each only when it changes) and
    remove any left from an indicator the store no longer has; returns the bytes of each file."""
    folder = settings.book / FOLDER
    files = explorer_files(tables, shapes_written=_shapes_written(settings.book))
    for name, content in files.items():
        write_if_changed(folder / name, content)
    if folder.is_dir():
        for path in folder.glob("*.json"):
            if path.name not in files:
                path.unlink()
    return {name: len(content.encode("utf-8")) for name, content in files.items()}


def _shapes_written(book: Path) -> set[str]:
    """The boundary kinds whose shapes file the build wrote into the book (:mod:`jsna.book.geometry`)."""
    return {kind for kind in SHAPE_KINDS if (book / SHAPES / f"{kind}.json").is_file()}


def file_name(indicator_id: str) -> str:
    """The indicator's file: its id, which the catalogue keeps to letters, digits, - and _."""
    if not SAFE_ID.fullmatch(indicator_id):
        raise ValueError(f"indicator id {indicator_id!r} cannot name a file")
    return f"{indicator_id}.json"


def explorer_files(tables: dict[str, pd.DataFrame], shapes_written: set[str] | None = None) -> dict[str, str]:
    """File name -> JSON text of every file of the explorer. ``shapes_written`` are the boundary
    kinds with a shapes file in the book (default: every kind of the store's ``boundaries``)."""
    catalogue = tables["catalogue"]
    columns = ["indicator_id", "area_type", "area_name", "years", "period_start", "period_end", *FIELDS, "authority_value", "england_value"]
    indicators = tables["indicators"][list(dict.fromkeys(columns))]
    indicators = indicators.astype({c: object for c in indicators.columns if not pd.api.types.is_numeric_dtype(indicators[c])})  # arrow strings iterate slowly
    types = tables["area_types"].set_index("id")
    geography = tables["geography"].set_index("area_code")
    authority = str(types.index[types["role"] == "authority"][0])
    authority_code = str(geography.index[geography["area_type"] == authority][0])
    country = geography.loc[geography["area_type"] == str(types.index[types["role"] == "country"][0]), "area_name"]
    index = {
        "authority": {"code": authority_code, "name": str(geography.loc[authority_code, "area_name"]), "kind": authority},
        "country": str(country.iloc[0]) if len(country) else "England",
        #: Fingertips' comparison colours and the glyphs the chapters' maps and tables use with them.
        "comparisons": {label: [colour, COMPARISON_GLYPH.get(label, "")] for label, (colour, _) in COMPARISON_STYLE.items()},
        "kinds": kinds_of_place(types, set(indicators["area_type"]), tables["boundaries"], shapes_written),
        "indicators": [],
    }
    titles = {str(t): str(title) for t, title in types["title"].items() if isinstance(title, str) and "{name}" in title}
    files: dict[str, str] = {}
    ordered = indicators.sort_values(["indicator_id", "area_type", "years", "period_end", "sex", "area_code"], kind="stable")
    by_indicator = {key: rows for key, rows in ordered.groupby("indicator_id", sort=False)}
    for entry in catalogue.itertuples():
        rows = by_indicator.get(entry.indicator_id)
        if rows is None or rows.empty:
            continue
        name = file_name(str(entry.indicator_id))
        files[name] = _dumps(indicator_file(entry, rows, titles))
        index["indicators"].append(index_entry(entry, rows, types, name))
    every = indicators.drop_duplicates("period").sort_values(["years", "period_end", "period"])
    index["periods"] = {str(p): [int(y), int(e)] for p, y, e in zip(every["period"], every["years"], every["period_end"])}
    index["first"] = first_shown(index)
    return {"index.json": _dumps(index), **files}


def first_shown(index: dict) -> str | None:
    """The indicator a first visit shows: the first (in catalogue order) whose places the map
    shows compared with the authority, else the first."""
    mapped = [k["id"] for k in index["kinds"] if k.get("shapes")]
    for entry in index["indicators"]:
        if any(entry["kinds"].get(k, {}).get("compared") for k in mapped):
            return entry["id"]
    return index["indicators"][0]["id"] if index["indicators"] else None


def kinds_of_place(types: pd.DataFrame, published: set[str], boundaries: pd.DataFrame, shapes_written: set[str] | None) -> list[dict]:
    """The area types with indicator rows, in the book's order, with their words; the type a
    boundary file is of gets the file (relative to the book's root) and each area's label point."""
    written = set(boundaries["kind"]) if shapes_written is None else shapes_written
    kinds = []
    for type_id, row in types.sort_values("type_order").iterrows():
        if type_id not in published:
            continue
        kind = {"id": str(type_id), "singular": str(row["singular"]), "plural": str(row["plural"]), "authority": row["role"] == "authority"}
        for shape_kind, role in SHAPE_KINDS.items():
            points = boundaries.loc[boundaries["kind"] == shape_kind]
            if row["role"] == role and shape_kind in written and len(points):
                kind["shapes"] = f"{SHAPES}/{shape_kind}.json"
                kind["attribution"] = ATTRIBUTION
                kind["points"] = {str(p.area_code): [_number(p.longitude), _number(p.latitude)] for p in points.itertuples()}
        kinds.append(kind)
    return kinds


def indicator_file(entry, rows: pd.DataFrame, titles: dict[str, str] | None = None) -> dict:
    """One indicator's rows as the explorer reads them. The authority's and England's values
    depend only on the period and sex, so they are written once per period and sex
    (``comparators``); should they not, they are written on every row instead. Areas are named
    as the book names them (``titles``: area type -> "{name} township"), so that a township and
    a ward, or a township and the authority, of the same name are told apart."""
    titles = titles or {}
    areas = rows.drop_duplicates("area_code")
    note = rows["note"].fillna("").astype(str)
    why = rows["statistic"].where(rows["value"].isna() & (note == ""), "")  # why there is no figure; a [c] row's reason is its note
    out = rows.assign(note=note, statistic=why.fillna("").astype(str))
    comparators = rows.drop_duplicates(["period", "sex", "authority_value", "england_value"])
    fields = list(FIELDS)
    document = {"id": str(entry.indicator_id), "title": str(entry.title), "unit": str(entry.unit),
                "areas": {str(c): [titles.get(str(t), "{name}").replace("{name}", str(n)), str(t)]
                          for c, n, t in zip(areas["area_code"], areas["area_name"], areas["area_type"])}}  # fmt: skip
    if comparators.duplicated(["period", "sex"]).any():
        fields += ["authority_value", "england_value"]
    else:
        document["comparators"] = {}
        for period, sex, local, england in zip(*(comparators[c].tolist() for c in ("period", "sex", "authority_value", "england_value"))):
            document["comparators"].setdefault(str(period), {})[str(sex)] = [_cell(local), _cell(england)]
    document["fields"] = fields
    document["values"] = {}
    columns = []
    for field in fields:
        if field in CODED:  # a few distinct words, each written once: the rows hold its place in the list
            words = list(dict.fromkeys(str(v) for v in out[field].tolist()))
            document["values"][field] = words
            number = {word: i for i, word in enumerate(words)}
            columns.append([number[str(v)] for v in out[field].tolist()])
        else:
            columns.append([_cell(v) for v in out[field].tolist()])
    document["rows"] = [list(row) for row in zip(*columns)]
    return document


def index_entry(entry, rows: pd.DataFrame, types: pd.DataFrame, name: str) -> dict:
    """What the explorer's menus need to know of one indicator, without loading its rows: its
    periods and, for each kind of place, its sexes there, the period shown first, and its
    periods when it has not every one."""
    periods = rows.drop_duplicates("period").sort_values(["years", "period_end"])
    windows = [int(w) for w in entry.windows]
    kinds = {}
    for type_id, of_kind in rows.groupby("area_type", sort=False):
        pooled = bool(types["pooled"].get(type_id, False))
        years = (max(windows) if pooled else min(windows)) if windows else int(of_kind["years"].min())
        shown = of_kind.loc[of_kind["years"] == years]
        shown = (shown if len(shown) else of_kind).sort_values("period_end", kind="stable")
        comparable = shown.loc[shown["england_value"].notna()]
        found = set(of_kind["sex"])
        sexes = [s for s in ("Persons", "Male", "Female") if s in found] + sorted(found - {"Persons", "Male", "Female"})
        have = set(of_kind["period"])
        kinds[str(type_id)] = {
            "sexes": sexes,
            "period": str((comparable if len(comparable) else shown)["period"].iloc[-1]),
            "places": int(of_kind["area_code"].nunique()),
            "compared": bool((~of_kind["compared_to_authority"].fillna("Not compared").astype(str).str.startswith("Not")).any()),
        }
        if len(have) < len(periods):  # otherwise it has every period of the indicator
            kinds[str(type_id)]["periods"] = [str(p) for p in periods["period"] if p in have]
    return {
        "id": str(entry.indicator_id),
        "title": str(entry.title),
        "unit": str(entry.unit),
        "polarity": str(entry.polarity),
        "chapter": str(entry.chapter),
        "decimals": decimals(str(entry.unit)),
        #: A count (of people): its places are not compared with the authority's or England's total.
        "total": str(entry.unit) in TOTALS,
        "file": name,
        "periods": [str(p) for p in periods["period"]],
        "kinds": kinds,
    }


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _cell(value):
    """A value as JSON holds it: text as text, a missing number as null, and a number to
    :data:`~jsna.pages.charts.SPEC_DIGITS` significant digits, as the chapters' charts embed
    their numbers (far finer than the tooltips, one decimal place, or the table, two, show);
    whole numbers (counts) are written whole."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return None
    number = float(f"{float(value):.{SPEC_DIGITS}g}")
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _dumps(document: dict) -> str:
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text + "\n"
