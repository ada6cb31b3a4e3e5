"""The fan-out, declared once: which chapter runs for which place, and where its page goes.

``parameters/places.yml`` lists the places, ``parameters/chapters.yml`` the chapter templates
and which place types get which. :func:`make_plan` turns them into a list of :class:`Job` (one
executed notebook each); the build executes exactly that list and the table of contents is
generated from the same list, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from jsna.data import DataError
from jsna.text import place_name

#: Where executed notebooks find the indicator store: they run in the book folder, and the
#: store is its sibling (``<out>/book`` and ``<out>/store``).
STORE_FROM_BOOK = "../store"
PLACE_TYPES = ("borough", "township", "ward", "pcn")
#: Order of the place-type parts in the book.
PLACE_TYPE_TITLES = {"borough": "Borough", "township": "Townships", "ward": "Wards", "pcn": "Primary care networks"}


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    type: str
    parent: str | None

    @property
    def folder(self) -> str:
        """Folder of the place's pages in the book, e.g. ``township/brierley-hill``."""
        return f"{self.type}/{slug(self.name)}"


@dataclass(frozen=True)
class Chapter:
    id: str
    title: str
    template: str
    description: str


@dataclass(frozen=True)
class Job:
    """One notebook to execute: a chapter template for one place."""

    place: str
    place_name: str
    chapter: str
    template: str
    output: str
    parameters: dict = field(default_factory=dict)
    chapter_title: str = ""
    chapter_description: str = ""

    @property
    def substitutions(self) -> dict[str, str]:
        """Words filled into the template's markdown: ``{place_name}``, ``{chapter_title}``..."""
        return {"place_name": self.place_name, "chapter_title": self.chapter_title, "chapter_description": self.chapter_description}

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Plan:
    places: list[Place]
    chapters: dict[str, Chapter]
    chapters_by_type: dict[str, list[str]]
    jobs: list[Job]

    def jobs_for(self, place: Place) -> list[Job]:
        return [job for job in self.jobs if job.place == place.code]

    def places_with_pages(self) -> list[Place]:
        return [place for place in self.places if self.jobs_for(place)]


def slug(name: str) -> str:
    """URL-safe lower-case name: "St James's" -> "st-jamess"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("'", "")).strip("-")


def _read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise DataError(path, "file not found") from error
    except yaml.YAMLError as error:
        raise DataError(path, f"cannot be read as YAML: {error}") from error


def load_places(path: Path, geography: pd.DataFrame | None = None) -> list[Place]:
    """Read ``places.yml``; with ``geography``, check every place against it."""
    entries = _read_yaml(path)
    if not isinstance(entries, dict) or not isinstance(entries.get("places"), list):
        raise DataError(path, "expected a mapping with a 'places' list")
    places, seen, folders = [], set(), set()
    for number, entry in enumerate(entries["places"], start=1):
        for key in ("code", "name", "type"):
            if not isinstance(entry, dict) or not entry.get(key):
                raise DataError(path, f"place {number} has no {key}", row=number, column=key)
        if entry["type"] not in PLACE_TYPES:
            raise DataError(path, f"type {entry['type']!r} is not one of {list(PLACE_TYPES)}", row=number, column="type")
        if entry["code"] in seen:
            raise DataError(path, f"place {entry['code']} is listed twice", row=number, column="code")
        place = Place(str(entry["code"]), str(entry["name"]), entry["type"], entry.get("parent"))
        if place.folder in folders:
            raise DataError(path, f"two {place.type}s would share the folder {place.folder}", row=number, column="name")
        seen.add(place.code)
        folders.add(place.folder)
        places.append(place)
    if geography is not None:
        _check_against_geography(path, places, geography)
    return places


def _check_against_geography(path: Path, places: list[Place], geography: pd.DataFrame) -> None:
    known = geography.set_index("area_code")
    for number, place in enumerate(places, start=1):
        if place.code not in known.index:
            raise DataError(path, f"{place.code} ({place.name}) is not in the data's geography.csv", row=number, column="code")
        row = known.loc[place.code]
        for column, expected, found in (
            ("name", row["area_name"], place.name),
            ("type", row["area_type"], place.type),
            ("parent", row["parent_code"], place.parent),
        ):
            if (expected if pd.notna(expected) else None) != found:
                raise DataError(
                    path, f"{place.code}: {column} is {found!r} here but {expected!r} in geography.csv", row=number, column=column
                )


def load_chapters(path: Path) -> tuple[dict[str, Chapter], dict[str, list[str]]]:
    entries = _read_yaml(path)
    if not isinstance(entries, dict) or "chapters" not in entries or "place_types" not in entries:
        raise DataError(path, "expected 'chapters' and 'place_types' mappings")
    chapters = {}
    for key, entry in entries["chapters"].items():
        for field_name in ("title", "template"):
            if not entry.get(field_name):
                raise DataError(path, f"chapter {key!r} has no {field_name}", column=f"chapters.{key}.{field_name}")
        chapters[key] = Chapter(key, entry["title"], entry["template"], entry.get("description", ""))
    by_type = {}
    for place_type, listed in entries["place_types"].items():
        if place_type not in PLACE_TYPES:
            raise DataError(path, f"unknown place type {place_type!r}", column="place_types")
        for chapter in listed or []:
            if chapter not in chapters:
                raise DataError(path, f"place type {place_type!r} lists unknown chapter {chapter!r}", column=f"place_types.{place_type}")
        by_type[place_type] = list(listed or [])
    return chapters, by_type


def make_plan(
    parameters: Path | str,
    *,
    root: Path | str | None = None,
    only: list[str] | None = None,
    geography: pd.DataFrame | None = None,
) -> Plan:
    """Every notebook job, in book order.

    ``only`` restricts the plan to the given place codes (the smoke test builds two places).
    """
    parameters = Path(parameters)
    root = Path(root) if root is not None else parameters.parent
    places = load_places(parameters / "places.yml", geography)
    chapters, by_type = load_chapters(parameters / "chapters.yml")
    if only:
        unknown = sorted(set(only) - {p.code for p in places})
        if unknown:
            raise DataError(parameters / "places.yml", f"place(s) {unknown} are not listed")
        places = [p for p in places if p.code in only]
    for chapter in chapters.values():
        if not (root / chapter.template).is_file():
            raise DataError(parameters / "chapters.yml", f"template {chapter.template} not found", column=f"chapters.{chapter.id}")
    jobs = [
        Job(
            place=place.code,
            place_name=place_name(place.name, place.type),
            chapter=chapter_id,
            template=chapters[chapter_id].template,
            output=f"{place.folder}/{chapter_id}.ipynb",
            chapter_title=chapters[chapter_id].title,
            chapter_description=chapters[chapter_id].description,
            parameters={"place_code": place.code, "chapter": chapter_id, "store": STORE_FROM_BOOK},
        )
        for place in sorted(places, key=lambda p: PLACE_TYPES.index(p.type))
        for chapter_id in by_type.get(place.type, [])
    ]
    return Plan(places=places, chapters=chapters, chapters_by_type=by_type, jobs=jobs)
