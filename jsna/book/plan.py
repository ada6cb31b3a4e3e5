"""The fan-out, declared once: which chapter runs for which place, and where its page goes.

``parameters/places.yml`` lists the places, ``parameters/place_types.yml`` which chapters each
type of place gets, ``parameters/chapters.yml`` the chapter templates (all read by
:mod:`jsna.inputs.places`). :func:`make_plan` turns them into a list of :class:`Job` (one
executed notebook each); the build executes exactly that list and the table of contents is
generated from the same list, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from jsna.errors import DataError
from jsna.inputs.places import AreaTypes, Chapter, Place
from jsna.pages.escape import markdown_text

#: Where executed notebooks find the store: they run in the book folder, and the store is its
#: sibling (``<out>/book`` and ``<out>/store``).
STORE_FROM_BOOK = "../store"


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
    #: How the text names the authority: "the borough" (``{the_authority}`` in a template).
    the_authority: str = ""

    @property
    def substitutions(self) -> dict[str, str]:
        """Words filled into the template's markdown: ``{place_name}``, ``{chapter_title}``...

        They come from the data and the parameters and are substituted as they are, so they are
        escaped as Markdown text here (:func:`~jsna.pages.escape.markdown_text`): "St James's
        ward" stays as it is; "<script>" cannot become HTML, nor "[a](b)" a link."""
        words = {"place_name": self.place_name, "chapter_title": self.chapter_title, "chapter_description": self.chapter_description,
                 "the_authority": self.the_authority}  # fmt: skip
        return {name: markdown_text(value) for name, value in words.items()}

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Plan:
    places: list[Place]
    chapters: dict[str, Chapter]
    area_types: AreaTypes
    jobs: list[Job]

    def jobs_for(self, place: Place) -> list[Job]:
        return [job for job in self.jobs if job.place == place.code]

    def places_with_pages(self) -> list[Place]:
        return [place for place in self.places if self.jobs_for(place)]


def make_plan(places: list[Place], chapters: dict[str, Chapter], area_types: AreaTypes, *, only: list[str] | None = None,
              places_file: Path | str = "places.yml") -> Plan:  # fmt: skip
    """Every notebook job, in book order: places by area type (as ``place_types.yml`` orders
    them), then as ``places.yml`` lists them; each place's chapters as its type lists them.

    ``only`` restricts the plan to the given place codes (the smoke test builds two places).
    """
    if only:
        unknown = sorted(set(only) - {p.code for p in places})
        if unknown:
            raise DataError(places_file, f"place(s) {unknown} are not listed")
        places = [p for p in places if p.code in only]
    jobs = [
        Job(
            place=place.code,
            place_name=place.title,
            chapter=chapter_id,
            template=chapters[chapter_id].template,
            output=f"{place.folder}/{chapter_id}.ipynb",
            chapter_title=chapters[chapter_id].title,
            chapter_description=chapters[chapter_id].description,
            the_authority=area_types.the_authority(),
            parameters={"place_code": place.code, "chapter": chapter_id, "store": STORE_FROM_BOOK},
        )
        for place in places
        for chapter_id in area_types[place.type].chapters
    ]
    return Plan(places=places, chapters=chapters, area_types=area_types, jobs=jobs)
