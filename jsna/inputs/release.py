"""What a build of the book is (``parameters/release.yml``): its version, title, date, data
vintage and whether its local figures are synthetic; read and checked."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from jsna.inputs.yamlfile import read_yaml

FIELDS = ("release", "title", "date", "data_vintage", "synthetic", "fingertips_extracted")


@dataclass(frozen=True)
class Release:
    release: str
    title: str
    #: The day the release is published: no input may hold data for a later year.
    date: datetime.date
    data_vintage: str
    synthetic: bool = False
    #: When the Fingertips extracts whose file names carry no date were extracted.
    fingertips_extracted: datetime.date | None = None


def load_release(path: Path | str) -> Release:
    """Read ``release.yml``; a missing, unknown or mistyped field is an error at its line."""
    document = read_yaml(path)
    data = document.data
    if not isinstance(data, dict):
        raise document.error(f"expected a mapping of {', '.join(FIELDS)}")
    for key in data:
        if key not in FIELDS:
            raise document.error(f"unknown field {key!r}; the fields are {', '.join(FIELDS)}", key, field=str(key))
    for key in ("release", "title", "data_vintage"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise document.error(f"{key} must be a non-empty text", *([key] if key in data else []), field=key)
    if "<" in data["title"] or ">" in data["title"]:  # Sphinx's html_title is HTML, written raw by the theme
        raise document.error("title is plain text and may not contain < or >", "title", field="title")
    if not isinstance(data.get("date"), datetime.date):
        raise document.error("date must be the release's date, written like 2026-01-15", *(["date"] if "date" in data else []), field="date")
    if not isinstance(data.get("synthetic", False), bool):
        raise document.error("synthetic must be true or false", "synthetic", field="synthetic")
    if "fingertips_extracted" in data and not isinstance(data["fingertips_extracted"], datetime.date):
        raise document.error("fingertips_extracted must be a date, written like 2024-03-05", "fingertips_extracted", field="fingertips_extracted")
    return Release(str(data["release"]), str(data["title"]), data["date"], " ".join(str(data["data_vintage"]).split()), data.get("synthetic", False),
                   data.get("fingertips_extracted"))  # fmt: skip
