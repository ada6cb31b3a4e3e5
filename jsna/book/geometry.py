"""The maps' shapes in the book: each boundary file of the data written once, as the maps read
it, into ``book/_static/boundaries/`` (every map of every page loads the same file), and the
optional postcode lookup for "find my area" (``_static/postcodes.json``)."""

from __future__ import annotations

import json

import pandas as pd

from jsna.config import Settings
from jsna.files import write_if_changed
from jsna.inputs.boundaries import KINDS, for_maps, load_boundaries
from jsna.inputs.places import AreaTypes
from jsna.inputs.postcodes import load_postcodes

#: Where the shapes are, relative to the book's root (the maps' URL adds the page's depth).
STATIC = "_static/boundaries"
#: The postcode -> ward lookup of "find my area", when the data have one.
POSTCODES = "_static/postcodes.json"


def stage_boundaries(settings: Settings, geography: pd.DataFrame, area_types: AreaTypes) -> list[str]:
    """Write each boundary file of the data for the maps (removing any the data no longer have)
    and the postcode lookup; returns the kinds of boundary written."""
    shapes = load_boundaries(settings.data, geography, area_types)
    for kind in KINDS:
        target = settings.book / STATIC / f"{kind}.json"
        if kind in shapes:
            write_if_changed(target, for_maps(shapes[kind]).encode("utf-8"))
        else:
            target.unlink(missing_ok=True)
    wards = set(geography.loc[geography["area_type"] == area_types.playing("ward"), "area_code"])
    postcodes = load_postcodes(settings.data, wards)
    target = settings.book / POSTCODES
    if postcodes is None:
        target.unlink(missing_ok=True)
    else:
        write_if_changed(target, json.dumps(postcodes, separators=(",", ":")).encode("utf-8"))
    return list(shapes)
