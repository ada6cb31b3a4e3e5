""""Find my area" on the start page: every place with pages in one step, as a list grouped by the
area each lies in, a map of the wards whose every ward opens its page, and (when the data have a
postcode lookup) a postcode box that works in the browser. ``chapters/_static/jsna-find.js``
draws the map and runs the box; without JavaScript the lists remain, and without the lookup the
box stays hidden rather than broken.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from jsna.book.geometry import POSTCODES, STATIC
from jsna.book.plan import Plan
from jsna.pages.escape import html_attr, markdown_text, script_json
from jsna.pages.maps import PROJECTION


def first_page(plan: Plan, code: str) -> str | None:
    """The first chapter page of a place (its profile), as a path from the book's root."""
    jobs = [job for job in plan.jobs if job.place == code]
    return jobs[0].output.removesuffix(".ipynb") if jobs else None


def find_my_area(plan: Plan, geography: pd.DataFrame, shaped: set[str], *, postcodes: bool) -> str:
    """The start page's block (Markdown with HTML parts): the postcode box, the ward map and the
    lists. ``shaped`` are the ward codes the book has shapes for; ``postcodes`` whether the
    data have a postcode lookup."""
    places = plan.places_with_pages()
    by_code = {place.code: place for place in places}
    names = geography.set_index("area_code")["area_name"]
    ward_type = plan.area_types.playing("ward")
    lines = []
    if postcodes:
        lines += [
            f'<form id="jsna-postcode" class="jsna-find" hidden data-lookup="{html_attr(POSTCODES)}">',
            '<label for="jsna-postcode-input">Your postcode</label> <input id="jsna-postcode-input" name="postcode" autocomplete="postal-code" '
            'size="9" spellcheck="false"> <button type="submit">Find my ward</button>',
            '<p id="jsna-postcode-result" role="status" aria-live="polite"></p>',
            "</form>", "",
        ]  # fmt: skip
    wards = [p for p in places if p.type == ward_type and p.code in shaped and first_page(plan, p.code)]
    if wards:
        values = [{"area_code": p.code, "name": p.title, "href": first_page(plan, p.code) + ".html"} for p in wards]
        spec = {
            "$schema": alt.SCHEMA_URL, "width": 360, "height": 320,
            "data": {"url": f"{STATIC}/wards.json", "format": {"type": "json", "property": "features"}},
            "transform": [{"lookup": "properties.area_code", "from": {"data": {"values": values}, "key": "area_code", "fields": ["name", "href"]}},
                          {"filter": "isValid(datum.href)"}],
            "projection": PROJECTION, "mark": {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 1, "cursor": "pointer"},
            "encoding": {"color": {"value": "#1f5f8b"}, "href": {"field": "href", "type": "nominal"},
                         "tooltip": [{"field": "name", "type": "nominal", "title": "Open the profile of"}]},
        }  # fmt: skip
        lines += [
            '<figure class="jsna-find-map">',
            f'<div id="jsna-find-map" role="img" aria-label="{html_attr("Map of the wards: select a ward to open its profile. The same wards are listed below.")}"></div>',
            f'<script type="application/json" id="jsna-find-spec">{script_json(spec)}</script>',
            '<figcaption>Select your ward on the map, or find it in the lists below. Source: Office for National Statistics licensed under '
            "the Open Government Licence v3.0. Contains OS data © Crown copyright and database right 2024.</figcaption>",
            "</figure>", "",
        ]  # fmt: skip
    groups: dict[tuple[str, str], list] = {}
    for place in places:
        if place.type != plan.area_types.with_role("authority"):
            groups.setdefault((place.parent or "", place.type), []).append(place)
    for (parent, type_id), members in groups.items():
        heading = by_code[parent].title if parent in by_code else str(names.get(parent, ""))
        lines += [f"**{markdown_text(heading)}: {markdown_text(plan.area_types[type_id].plural)}**", ""]
        lines += [f"- [{markdown_text(m.title)}](/{first_page(plan, m.code)}.ipynb)" for m in members if first_page(plan, m.code)]
        lines.append("")
    lines += ['<script src="_static/jsna-find.js" defer></script>', ""]
    return "\n".join(lines)
