"""Kinds of area, chapters and places: the parameters that say what the book covers.

* ``parameters/place_types.yml`` declares every kind of area in the data's geography (the
  :class:`AreaTypes` registry): its words, how a place of it is titled, its parent type, whether
  its figures pool years, whether the inequalities chapter splits it by deprivation, and which
  chapters its places get. The code knows five *roles* every geography has: the country and
  the region (comparators), the authority the book is about, the small areas resident data are
  counted in, and the GP practices registered patients are counted in; and three optional
  *levels* in generic words (a locality grouping of wards, the ward, the network of practices)
  that the indicator catalogue names. The words ("township", "ward", "locality", "PCN"...) are
  the authority's own and live only in that file.
* ``parameters/chapters.yml`` declares the chapter templates (:func:`load_chapters`).
* ``parameters/places.yml`` says which places get pages (:func:`load_places`): a code, or a
  whole set ("every ward"), optionally with a display name. Names, types and parents come from
  the data's ``geography.csv``.

Every error names the file and the line of the entry at fault.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from jsna.errors import DataError
from jsna.inputs.yamlfile import YamlFile, read_yaml

#: The roles every geography has: exactly one area type plays each.
REQUIRED_ROLES = ("country", "region", "authority", "small_area", "practice")
#: The levels an authority may have between it and its small areas or practices, in generic
#: words: at most one area type plays each. The indicator catalogue names them (``areas:
#: [authority, locality, ward]``) so that one catalogue serves authorities whose words differ
#: (townships, localities or none; wards; primary care networks).
LEVEL_ROLES = ("locality", "ward", "network")
ROLES = REQUIRED_ROLES + LEVEL_ROLES
#: What each area type declaration may hold (see ``parameters/place_types.yml``).
AREA_TYPE_FIELDS = ("role", "parent", "singular", "plural", "title", "described_as", "pooled", "deprivation_quintiles", "chapters")


@dataclass(frozen=True)
class AreaType:
    """One kind of area: what it is called and what the book does with it."""

    id: str
    singular: str
    plural: str
    role: str | None = None
    parent: str | None = None
    #: How a place of this type is named in the book; ``{name}`` is its name.
    title: str = "{name}"
    #: How a place's page introduces it: "Brierley Hill is a township".
    described_as: str = ""
    #: Figures for places of this type are shown for pooled (multi-year) periods.
    pooled: bool = False
    #: Indicators marked ``deprivation_breakdown`` are split by the local deprivation quintiles of each place of this type.
    deprivation_quintiles: bool = False
    chapters: tuple[str, ...] = ()

    def titled(self, name: str) -> str:
        """A place's name as the book writes it: "Dudley" (borough), "Dudley township"."""
        return self.title.replace("{name}", name)


@dataclass(frozen=True)
class AreaTypes:
    """The area type registry, in the order of ``place_types.yml`` (the book's order)."""

    types: tuple[AreaType, ...]

    def __getitem__(self, type_id: str) -> AreaType:
        for area_type in self.types:
            if area_type.id == type_id:
                return area_type
        raise KeyError(f"unknown area type {type_id!r}")

    def __contains__(self, type_id: object) -> bool:
        return any(t.id == type_id for t in self.types)

    def __iter__(self):
        return iter(self.types)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.types)

    def with_role(self, role: str) -> str:
        """The type that plays ``role`` (one of :data:`REQUIRED_ROLES`)."""
        return next(t.id for t in self.types if t.role == role)

    def playing(self, role: str) -> str | None:
        """The type that plays ``role``, or None when no type does (a level role)."""
        return next((t.id for t in self.types if t.role == role), None)

    def the_authority(self) -> str:
        """How a sentence names the authority: its type's ``described_as`` ("the borough")."""
        authority = self[self.with_role("authority")]
        return authority.described_as or f"the {authority.singular}"

    def parent_type(self) -> dict[str, str | None]:
        return {t.id: t.parent for t in self.types}

    def above(self, type_id: str) -> list[str]:
        """The types an area of ``type_id`` lies in, nearest first, up to the country."""
        chain, current = [], self[type_id].parent
        while current is not None:
            chain.append(current)
            current = self[current].parent
        return chain

    def below_authority(self, role: str) -> tuple[str, ...]:
        """The types between the authority and the areas of ``role`` (small areas or practices),
        both ends included: every level the authority's residents (or patients) are counted at."""
        chain = [self.with_role(role)]
        for type_id in self.above(chain[0]):
            chain.append(type_id)
            if self[type_id].role == "authority":
                break
        return tuple(reversed(chain))

    def children(self, type_id: str) -> tuple[str, ...]:
        return tuple(t.id for t in self.types if t.parent == type_id)

    def table(self) -> pd.DataFrame:
        """The registry as the store's ``area_types`` table (one row per type, in order)."""
        registered = set(self.below_authority("practice"))
        rows = []
        for order, t in enumerate(self.types):
            row = asdict(t)
            row["chapters"] = list(t.chapters)
            row["type_order"] = order
            row["population"] = "registered patients" if t.id in registered and t.role != "authority" else "residents"
            rows.append(row)
        return pd.DataFrame(rows)


def load_area_types(path: Path | str, chapters: dict[str, Chapter] | None = None) -> AreaTypes:
    """Read ``place_types.yml``; with ``chapters``, check every chapter a type lists exists."""
    document = read_yaml(path)
    entries = document.data.get("area_types") if isinstance(document.data, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise document.error("expected an 'area_types' mapping of area type -> declaration")
    types = []
    for type_id, entry in entries.items():
        where = ("area_types", type_id)
        if not isinstance(type_id, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", type_id):
            raise document.error(f"area type {type_id!r} must be lower-case letters, digits and _", *where)
        if not isinstance(entry, dict):
            raise document.error(f"area type {type_id!r} must be a mapping of its settings", *where)
        unknown = sorted(set(entry) - set(AREA_TYPE_FIELDS))
        if unknown:
            raise document.error(f"unknown setting {unknown[0]!r}; the settings are {', '.join(AREA_TYPE_FIELDS)}", *where, unknown[0], field=f"{type_id}.{unknown[0]}")
        for key in ("singular", "plural"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise document.error(f"area type {type_id!r} needs its {key} word", *where, field=f"{type_id}.{key}")
        role = entry.get("role")
        if role is not None and role not in ROLES:
            raise document.error(f"role {role!r} is not one of {list(ROLES)}", *where, "role", field=f"{type_id}.role")
        title = entry.get("title", "{name}")
        if not isinstance(title, str) or "{name}" not in title:
            raise document.error("title must contain {name}, where the place's name goes", *where, "title", field=f"{type_id}.title")
        for flag in ("pooled", "deprivation_quintiles"):
            if not isinstance(entry.get(flag, False), bool):
                raise document.error(f"{flag} must be true or false", *where, flag, field=f"{type_id}.{flag}")
        listed = entry.get("chapters") or []
        if not isinstance(listed, list) or not all(isinstance(c, str) for c in listed):
            raise document.error("chapters must be a list of chapter ids", *where, "chapters", field=f"{type_id}.chapters")
        for index, chapter in enumerate(listed):
            if chapters is not None and chapter not in chapters:
                raise document.error(
                    f"chapter {chapter!r} is not in chapters.yml (known: {', '.join(chapters)})", *where, "chapters", index, field=f"{type_id}.chapters"
                )
        if len(set(listed)) != len(listed):
            raise document.error("a chapter is listed twice", *where, "chapters", field=f"{type_id}.chapters")
        types.append(
            AreaType(
                id=type_id, singular=entry["singular"], plural=entry["plural"], role=role, parent=entry.get("parent"), title=title,
                described_as=str(entry.get("described_as", "")), pooled=entry.get("pooled", False),
                deprivation_quintiles=entry.get("deprivation_quintiles", False), chapters=tuple(listed),
            )
        )  # fmt: skip
    registry = AreaTypes(tuple(types))
    _check_tree(document, registry)
    return registry


def _check_tree(document: YamlFile, registry: AreaTypes) -> None:
    """Each required role is played once and each level role at most once; parents exist and
    form a tree under the country; small areas, practices and the levels lie below the authority."""
    for role in ROLES:
        playing = [t.id for t in registry if t.role == role]
        if len(playing) > 1 or (not playing and role in REQUIRED_ROLES):
            where = ("area_types", playing[1]) if len(playing) > 1 else ("area_types",)
            needed = "exactly one" if role in REQUIRED_ROLES else "at most one"
            raise document.error(f"{needed} area type must have role {role!r}; found {playing or 'none'}", *where)
    for t in registry:
        where = ("area_types", t.id)
        if t.role == "country":
            if t.parent is not None:
                raise document.error("the country has no parent type", *where, "parent", field=f"{t.id}.parent")
            continue
        if t.parent is None:
            raise document.error(f"area type {t.id!r} needs a parent type", *where)
        if t.parent not in registry:
            raise document.error(f"parent {t.parent!r} is not an area type of this file", *where, "parent", field=f"{t.id}.parent")
        seen, current = {t.id}, t.parent
        while current is not None and current in registry:  # walked here, not with above(), which trusts the tree
            if current in seen:
                raise document.error(f"area type {t.id!r} lies within itself (parents form a loop)", *where, "parent", field=f"{t.id}.parent")
            seen.add(current)
            current = registry[current].parent
    authority = registry.with_role("authority")
    if registry[authority].parent != registry.with_role("region"):
        raise document.error("the authority's parent type must be the region", "area_types", authority, "parent", field=f"{authority}.parent")
    for role in ("small_area", "practice", *LEVEL_ROLES):
        type_id = registry.playing(role)
        if type_id is not None and authority not in registry.above(type_id):
            raise document.error(f"{role} areas must lie within the authority", "area_types", type_id, "parent", field=f"{type_id}.parent")
    for t in registry:
        if t.chapters and t.role in ("country", "region", "small_area"):
            raise document.error(f"areas of role {t.role!r} get no pages; remove its chapters", "area_types", t.id, "chapters")


# --------------------------------------------------------------------------------------------
# Chapters
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Chapter:
    id: str
    title: str
    template: str
    description: str


def load_chapters(path: Path | str, root: Path | None = None) -> dict[str, Chapter]:
    """Read ``chapters.yml``: chapter id -> title, template (a file under ``root``), description."""
    document = read_yaml(path)
    entries = document.data.get("chapters") if isinstance(document.data, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise document.error("expected a 'chapters' mapping of chapter id -> title, template, description")
    chapters = {}
    for key, entry in entries.items():
        where = ("chapters", key)
        if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", key):
            raise document.error(f"chapter id {key!r} must be lower-case letters, digits and _", *where)
        if not isinstance(entry, dict):
            raise document.error(f"chapter {key!r} must be a mapping (title, template, description)", *where)
        for name in ("title", "template"):
            if not entry.get(name):
                raise document.error(f"chapter {key!r} has no {name}", *where, field=f"chapters.{key}.{name}")
        if root is not None and not (root / entry["template"]).is_file():
            raise document.error(f"template {entry['template']} not found", *where, "template", field=f"chapters.{key}.template")
        chapters[key] = Chapter(key, str(entry["title"]), str(entry["template"]), str(entry.get("description", "")))
    return chapters


# --------------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Place:
    code: str
    name: str
    type: str
    parent: str | None
    #: The name as the book writes it ("Brierley Hill township").
    title: str = field(default="", compare=False)

    @property
    def folder(self) -> str:
        """Folder of the place's pages in the book, e.g. ``township/brierley-hill``."""
        return f"{self.type}/{slug(self.name)}"


def slug(name: str) -> str:
    """URL-safe lower-case name: "St James's" -> "st-jamess"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("'", "")).strip("-")


def load_places(path: Path | str, geography: pd.DataFrame, area_types: AreaTypes) -> list[Place]:
    """Read ``places.yml`` against the data's geography.

    Each entry is either ``{code: CODE}`` (one place) or ``{all: TYPE}`` (every area of a type,
    optionally ``within: CODE``), and may give ``name`` (for a single place: the name the book
    shows instead of geography.csv's). A set is ordered by its places' parents' names, then
    their own names. Places come out in the order of the area types, then of the file.
    """
    document = read_yaml(path)
    entries = document.data.get("places") if isinstance(document.data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise document.error("expected a 'places' list (entries like {code: E08000027} or {all: ward})")
    known = geography.set_index("area_code")
    names = known["area_name"]
    chosen: dict[str, tuple[int, str | None]] = {}  # code -> (line, display name)
    for index, entry in enumerate(entries):
        where = ("places", index)
        line = document.line(*where)
        if not isinstance(entry, dict) or len({"code", "all"} & set(entry)) != 1:
            raise document.error("each place entry needs either 'code' (one place) or 'all' (an area type)", *where)
        unknown = sorted(set(entry) - {"code", "all", "within", "name"})
        if unknown:
            raise document.error(f"unknown key {unknown[0]!r}; a place entry has code or all, and optionally within and name", *where, unknown[0], field=unknown[0])
        if "code" in entry:
            code = str(entry["code"])
            if code not in known.index:
                raise document.error(f"{code} is not in the data's geography.csv", *where, "code", field="code")
            name = entry.get("name")
            if name is not None and (not isinstance(name, str) or not name.strip()):
                raise document.error("name must be a non-empty text", *where, "name", field="name")
            if code in chosen and (chosen[code][1] is not None or name is None):
                raise document.error(f"place {code} is listed twice (first on line {chosen[code][0]})", *where, "code", field="code")
            chosen[code] = (chosen.get(code, (line, None))[0], name)
            continue
        type_id = entry["all"]
        if type_id not in area_types:
            raise document.error(f"{type_id!r} is not an area type of place_types.yml ({', '.join(area_types.ids)})", *where, "all", field="all")
        if "name" in entry:
            raise document.error("name is for a single place (code), not a set", *where, "name", field="name")
        members = known.index[known["area_type"] == type_id]
        if "within" in entry:
            within = str(entry["within"])
            if within not in known.index:
                raise document.error(f"{within} is not in the data's geography.csv", *where, "within", field="within")
            members = [code for code in members if within in _ancestors(known, code)]
        if len(members) == 0:
            raise document.error(f"the data's geography.csv has no area of type {type_id!r}" + (f" within {entry['within']}" if "within" in entry else ""), *where)
        ordered = sorted(members, key=lambda code: (str(names.get(known.loc[code, "parent_code"], "")), str(names[code]), code))
        for code in ordered:
            chosen.setdefault(code, (line, None))
    places, folders = [], {}
    for code, (line, name) in chosen.items():
        row = known.loc[code]
        area_type = area_types[row["area_type"]]
        if area_type.role in ("country", "region", "small_area"):
            raise DataError(path, f"{code} is a {area_type.singular}; the book has no pages for areas of type {area_type.id!r}", line=line)
        display = name or str(row["area_name"])
        parent = row["parent_code"] if pd.notna(row["parent_code"]) else None
        place = Place(code, display, area_type.id, parent, title=area_type.titled(display))
        if place.folder in folders:
            raise DataError(path, f"{code} and {folders[place.folder]} would share the folder {place.folder}; give one a different name", line=line)
        folders[place.folder] = code
        places.append(place)
    order = {type_id: i for i, type_id in enumerate(area_types.ids)}
    return sorted(places, key=lambda p: order[p.type])


def _ancestors(known: pd.DataFrame, code: str) -> set[str]:
    found, current = set(), known.loc[code, "parent_code"]
    while pd.notna(current) and current in known.index and current not in found:
        found.add(current)
        current = known.loc[current, "parent_code"]
    return found


def named_geography(geography: pd.DataFrame, places: list[Place]) -> pd.DataFrame:
    """The geography with the display names ``places.yml`` gives (unchanged when it gives none)."""
    renamed = {p.code: p.name for p in places}
    if all(geography.set_index("area_code")["area_name"].get(code) == name for code, name in renamed.items()):
        return geography
    out = geography.copy()
    out["area_name"] = out["area_code"].map(renamed).fillna(out["area_name"]).astype(geography["area_name"].dtype)
    return out
