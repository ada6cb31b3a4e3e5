"""The indicator catalogue (``data/indicators.yml``): one entry per indicator, read and checked.

The entries' shapes are checked against ``catalogue_schema.json``; what the schema cannot know
is checked here against the registries it is given: the method (its required and forbidden
fields, whether it can have a funnel plot or a deprivation breakdown, from
:data:`jsna.compute.methods.METHODS`), the chapter (``parameters/chapters.yml``), the area types
(``parameters/place_types.yml``) and the input tables the numerator and denominator read.
Every error names the file, the line of the entry or field at fault, and the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np

from jsna.inputs.fingertips import Export, for_entry
from jsna.inputs.places import LEVEL_ROLES, AreaTypes
from jsna.inputs.tables import AGE_START, SCHEMAS, Inputs
from jsna.inputs.yamlfile import YamlFile, read_yaml

#: Entry fields that describe an indicator in words: changing them must not move any figure
#: (the review of a change fails if one does).
WORDS_FIELDS = ("title", "definition", "rationale", "source", "unit")


class MethodRules(Protocol):
    """What the catalogue needs to know of a method (an entry of the method registry)."""

    #: Catalogue fields an entry of the method must have, and must not have.
    requires: tuple[str, ...]
    forbids: tuple[str, ...]
    #: The funnel-plot statistic ("proportion", "rate"), or None when it has no funnel plot.
    funnel: str | None
    #: How its values are sampled for the slope index of inequality, or None: no deprivation breakdown.
    sii_value_type: str | None
    #: A slope index across local deprivation deciles of another method's values (``le_sii``):
    #: its areas must be area types split by deprivation. None for other methods.
    deciles_of: str | None


def load_catalogue(path: Path | str, *, methods: Mapping[str, MethodRules], area_types: AreaTypes, chapters: Iterable[str],
                   inputs: Inputs | None = None, fingertips: Export | None = None) -> list[dict]:  # fmt: skip
    """Read the catalogue and check every entry; return the entries (plain dicts, in file order).

    With ``inputs``, every denominator filter must also select some rows of its table: an
    indicator without a denominator would be published empty. (A numerator may select nothing:
    an events table holds no row for no events; a typo in its filter is a value its column does
    not allow, refused without the data.) With ``inputs``, an entry's ``fingertips_id`` must
    also match the Fingertips extracts (``fingertips``) without ambiguity, and an indicator of
    the method ``fingertips`` must find the authority's figures there.
    Raises :class:`jsna.errors.DataError` naming the file, the line and the field that is wrong.
    """
    import jsonschema

    document = read_yaml(path)
    entries = document.data
    schema = json.loads(resources.files("jsna.inputs").joinpath("catalogue_schema.json").read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(entries), key=lambda e: [str(p) for p in e.path])
    if errors:
        error = errors[0]
        where = list(error.path)
        raise document.error(f"indicator {_name(entries, where)}: {error.message}", *where, field=".".join(str(p) for p in where[1:]) or None)
    chapters = list(chapters)
    counted = set(area_types.below_authority("small_area")) | set(area_types.below_authority("practice"))
    quintile_types = {t.id for t in area_types if t.deprivation_quintiles}
    practice = area_types.with_role("practice")
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        check = _Checker(document, index, entry)
        if entry["id"] in seen:
            raise check.error(f"id {entry['id']!r} is used twice (first on line {seen[entry['id']]})", "id")
        seen[entry["id"]] = document.line(index, "id")
        rules = methods.get(entry["method"])
        if rules is None:
            raise check.error(f"method {entry['method']!r} is not one of {', '.join(methods)}", "method")
        for name in rules.requires:
            if name not in entry:
                raise check.error(f"method {entry['method']} needs {name}", "method", field=name)
        for name in rules.forbids:
            if name in entry:
                raise check.error(f"method {entry['method']} takes no {name}", name)
        if entry["chapter"] not in chapters:
            raise check.error(f"chapter {entry['chapter']!r} is not in parameters/chapters.yml ({', '.join(chapters)})", "chapter")
        entry["areas"] = _resolve_areas(check, entry["areas"], area_types)
        for position, type_id in enumerate(entry["areas"]):
            if type_id not in counted:
                raise check.error(
                    f"area type {type_id!r} is not one the book counts indicators for ({', '.join(sorted(counted))})", "areas", position, field="areas"
                )
        if rules.deciles_of and not set(entry["areas"]) <= quintile_types:
            raise check.error(
                f"method {entry['method']} is computed by local deprivation decile, so its areas must be among "
                f"{sorted(quintile_types)} (deprivation_quintiles in place_types.yml)", "areas"
            )
        if entry.get("funnel"):
            if rules.funnel is None:
                raise check.error(f"method {entry['method']} has no funnel plot", "funnel")
            if practice not in entry["areas"]:
                raise check.error(f"a funnel plot compares practices: areas must include {practice!r}", "funnel")
        if entry.get("deprivation_breakdown"):
            if rules.sii_value_type is None:
                raise check.error(f"method {entry['method']} cannot be broken down by deprivation", "deprivation_breakdown")
            if not set(entry["areas"]) & quintile_types:
                raise check.error(
                    f"a deprivation breakdown needs one of the areas {sorted(quintile_types)} (deprivation_quintiles in place_types.yml)",
                    "deprivation_breakdown",
                )
        for role in ("numerator", "denominator"):
            if role in entry:
                _check_source(check, entry, role)
                if inputs is not None and role == "denominator":
                    _check_selects_rows(check, entry, role, inputs)
        if inputs is not None and "fingertips_id" in entry:
            _check_fingertips(check, entry, inputs, fingertips)
    return entries


def _check_fingertips(check: _Checker, entry: dict, inputs: Inputs, export: Export | None) -> None:
    """The extracts give the entry's figures unambiguously; the method ``fingertips`` finds the authority's."""
    authority = inputs.code_of("authority")
    codes = [inputs.code_of("country"), inputs.code_of("region"), authority]
    try:
        rows = for_entry(export.rows, entry, codes) if export is not None else None
    except ValueError as error:
        raise check.error(str(error), "fingertips_id") from None
    if entry["method"] == "fingertips" and (rows is None or not (rows["area_code"] == authority).any()):
        where = "no Fingertips extracts were read" if export is None else f"the Fingertips extracts ({len(export.files)} file(s)) hold none"
        raise check.error(f"method fingertips takes the authority's figures of Fingertips indicator {entry['fingertips_id']} "
                          f"({authority}, {', '.join(entry['sex'])}), but {where}; download its export into the extracts folder", "method")  # fmt: skip


class _Checker:
    """Errors about one catalogue entry, at the line of the field at fault."""

    def __init__(self, document: YamlFile, index: int, entry: dict):
        self.document, self.index, self.entry = document, index, entry

    def error(self, problem: str, *where, field: str | None = None):
        name = ".".join(str(p) for p in where if isinstance(p, str)) or None
        return self.document.error(f"indicator {self.entry['id']!r}: {problem}", self.index, *where, field=field or name)


def _name(entries, where: list) -> str:
    if where and isinstance(where[0], int) and isinstance(entries[where[0]], dict):
        return repr(entries[where[0]].get("id", f"entry {where[0] + 1}"))
    return "catalogue"


def _check_source(check: _Checker, entry: dict, role: str) -> None:
    spec = entry[role]
    table = SCHEMAS.get(spec["table"])
    if table is None:
        raise check.error(f"unknown table {spec['table']!r} (the input tables are {', '.join(SCHEMAS)})", role, "table")
    if spec["column"] not in table.column_names:
        raise check.error(f"table {table.name} has no column {spec['column']!r}", role, "column")
    for key, values in spec.get("where", {}).items():
        if key == "age" and "age_band" not in table.column_names:
            raise check.error(f"table {table.name} has no ages", role, "where", "age")
        if key == "age" and values.get("min", 0) > values.get("max", 200):
            raise check.error(f"the age filter's min ({values['min']}) is above its max ({values['max']})", role, "where", "age")
        if key not in ("age", "imd_decile") and key not in table.column_names:
            raise check.error(f"table {table.name} has no column {key!r}", role, "where", key)
        column = next((c for c in table.columns if c.name == key), None)
        if column is not None and column.allowed is not None:
            unknown = [v for v in values if v not in column.allowed]
            if unknown:
                raise check.error(f"{unknown[0]!r} is not a value of {table.name}.{key} ({', '.join(column.allowed)})", role, "where", key)
        if column is not None and column.kind == "bool":
            unknown = [v for v in values if not isinstance(v, bool)]
            if unknown:
                raise check.error(f"{unknown[0]!r} is not true or false ({table.name}.{key})", role, "where", key)
    if {"Male", "Female"} & set(entry["sex"]) and "sex" not in table.column_names:
        raise check.error(f"table {table.name} has no sex, so only Persons", "sex")


#: The words the catalogue's ``areas`` may use for the levels of any authority (the roles of
#: :mod:`jsna.inputs.places`); an area type's own id is accepted too.
AREA_LEVELS = ("authority", *LEVEL_ROLES, "practice")


def _resolve_areas(check: _Checker, areas: list[str], area_types: AreaTypes) -> list[str]:
    """The area type ids an entry's ``areas`` name: a level word becomes the type playing that
    role (none, and it is skipped, where this authority has no such level)."""
    resolved = []
    for position, word in enumerate(areas):
        if word in AREA_LEVELS:
            type_id = area_types.playing(word)
            if type_id is not None and type_id not in resolved:
                resolved.append(type_id)
        elif word in area_types:
            if word not in resolved:
                resolved.append(word)
        else:
            raise check.error(
                f"{word!r} is neither a level ({', '.join(AREA_LEVELS)}) nor an area type of place_types.yml ({', '.join(area_types.ids)})",
                "areas", position, field="areas",
            )
    if not resolved:
        raise check.error(f"none of the areas {areas} exists in this authority's place types ({', '.join(area_types.ids)})", "areas", field="areas")
    return resolved


def _check_selects_rows(check: _Checker, entry: dict, role: str, inputs: Inputs) -> None:
    """The filter selects at least one row of its table."""
    spec = entry[role]
    where = spec.get("where", {})
    df = inputs[spec["table"]]
    mask = np.ones(len(df), dtype=bool)
    for key, allowed in where.items():
        if key == "age":
            start = df["age_band"].map(AGE_START)
            mask &= ((start >= allowed.get("min", 0)) & (start <= allowed.get("max", 200))).to_numpy()
        elif key == "imd_decile":
            decile = df["area_code"].map(inputs["deprivation"].set_index("area_code")["imd_decile"])
            mask &= decile.isin(allowed).to_numpy()
        else:
            mask &= df[key].isin(allowed).to_numpy()
    if not mask.any():
        shown = ", ".join(f"{k}: {v}" for k, v in where.items()) or "none"
        raise check.error(f"the {role} (filter: {shown}) selects no row of {spec['table']}", role, *(["where"] if where else []))
