"""The disclosure policy (``parameters/disclosure.yml``): the small-number rule and the
indicators it covers, read and checked against the catalogue.

What the rule means, and the secondary suppression and audit that enforce it across every
published figure, is :mod:`jsna.compute.disclosure`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from jsna.inputs.tables import SCHEMAS
from jsna.inputs.yamlfile import YamlFile, read_yaml

RULE_FIELDS = ("suppress_from", "suppress_to", "round_to", "protection", "decimals", "periods", "shown_as", "note")
PERIODS = ("shown", "all")
COVER_FIELDS = ("name", "source", "where", "indicators", "below_authority")


@dataclass(frozen=True)
class Cover:
    """One entry of ``covers``: which indicators the rule applies to, and where."""

    name: str
    source: str | None = None
    where: dict[str, tuple] = field(default_factory=dict)
    indicators: tuple[str, ...] = ()
    below_authority: bool = False

    def matches(self, entry: dict) -> bool:
        if entry["id"] in self.indicators:
            return True
        numerator = entry.get("numerator")
        if self.source is None or numerator is None or numerator["table"] != self.source:
            return False
        chosen = numerator.get("where", {})
        return all(key in chosen and set(chosen[key]) <= set(allowed) for key, allowed in self.where.items())


@dataclass(frozen=True)
class Policy:
    """The rule (NHS Digital's by default) and what it covers."""

    suppress_from: int = 1
    suppress_to: int = 7
    round_to: int = 5
    protection: int = 7
    decimals: int = 1
    #: "shown": covered indicators publish only the period lengths the pages show; "all": every one.
    periods: str = "shown"
    shown_as: str = "[c]"
    note: str = "not published: it is, or would reveal, a count of fewer than 8"
    covers: tuple[Cover, ...] = ()

    @property
    def footnote(self) -> str:
        """The note a withheld figure carries, e.g. "[c] not published: ..."."""
        return f"{self.shown_as} {self.note}"

    def cover_of(self, entry: dict) -> Cover | None:
        """The first cover that applies to a catalogue entry, or None."""
        return next((cover for cover in self.covers if cover.matches(entry)), None)


def load_policy(path: Path | str, catalogue: list[dict], methods: Mapping) -> Policy:
    """Read the policy; check it against the input tables, the catalogue and the methods (a
    covered indicator's method must say how its values are recomputed from a rounded count).

    Raises :class:`jsna.errors.DataError` naming the file, the line and the field.
    """
    document = read_yaml(path)
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("rule"), dict) or not isinstance(data.get("covers"), list):
        raise document.error("expected a 'rule' mapping and a 'covers' list")
    rule = data["rule"]
    for key in rule:
        if key not in RULE_FIELDS:
            raise document.error(f"unknown setting {key!r}; the rule's settings are {', '.join(RULE_FIELDS)}", "rule", key, field=f"rule.{key}")
    defaults = Policy()
    values = {key: rule.get(key, getattr(defaults, key)) for key in RULE_FIELDS}
    for key in ("suppress_from", "suppress_to", "round_to", "protection", "decimals"):
        if not isinstance(values[key], int) or isinstance(values[key], bool) or values[key] < 0:
            raise document.error(f"{key} must be a whole number, 0 or more", "rule", key, field=f"rule.{key}")
    if not 1 <= values["suppress_from"] <= values["suppress_to"]:
        raise document.error("suppress_from must be at least 1 and no more than suppress_to", "rule", "suppress_from", field="rule.suppress_from")
    if values["round_to"] < 1 or values["round_to"] > values["suppress_to"] + 1:
        raise document.error(
            f"round_to must be from 1 to {values['suppress_to'] + 1}: a rounded count must never be one the rule hides",
            "rule", "round_to", field="rule.round_to",
        )  # fmt: skip
    if values["periods"] not in PERIODS:
        raise document.error(f"periods must be one of {', '.join(PERIODS)}", "rule", "periods", field="rule.periods")
    if values["protection"] < 2:
        raise document.error("protection must be at least 2 (a hidden count must stay one of several values)", "rule", "protection", field="rule.protection")
    covers = tuple(_cover(document, index, entry, catalogue, methods) for index, entry in enumerate(data["covers"]))
    return Policy(**values, covers=covers)


def _cover(document: YamlFile, index: int, entry, catalogue: list[dict], methods: Mapping) -> Cover:
    where = ("covers", index)
    if not isinstance(entry, dict):
        raise document.error("each cover is a mapping (name, and source or indicators)", *where)
    for key in entry:
        if key not in COVER_FIELDS:
            raise document.error(f"unknown key {key!r}; a cover has {', '.join(COVER_FIELDS)}", *where, key, field=key)
    if not entry.get("name") or ("source" in entry) == ("indicators" in entry):
        raise document.error("a cover needs a name, and either a source table or a list of indicators", *where)
    source = entry.get("source")
    if source is not None and source not in SCHEMAS:
        raise document.error(f"{source!r} is not an input table ({', '.join(SCHEMAS)})", *where, "source", field="source")
    filters = entry.get("where", {})
    if not isinstance(filters, dict) or (filters and source is None):
        raise document.error("where filters a source's column: a mapping of column -> values", *where, "where", field="where")
    for column, allowed in filters.items():
        if column not in SCHEMAS[source].column_names or not isinstance(allowed, list):
            raise document.error(f"table {source} has no column {column!r}, or its values are not a list", *where, "where", column, field=f"where.{column}")
    ids = {e["id"] for e in catalogue}
    listed = entry.get("indicators", [])
    for position, indicator in enumerate(listed):
        if indicator not in ids:
            raise document.error(f"indicator {indicator!r} is not in the catalogue", *where, "indicators", position, field="indicators")
    if not isinstance(entry.get("below_authority", False), bool):
        raise document.error("below_authority must be true or false", *where, "below_authority", field="below_authority")
    cover = Cover(str(entry["name"]), source, {k: tuple(v) for k, v in filters.items()}, tuple(listed), entry.get("below_authority", False))
    for catalogue_entry in catalogue:
        if cover.matches(catalogue_entry) and getattr(methods[catalogue_entry["method"]], "from_rounded", None) is None:
            raise document.error(
                f"indicator {catalogue_entry['id']!r} (method {catalogue_entry['method']}) cannot be published under the rule: "
                "its method cannot be recomputed from a rounded count", *where,
            )  # fmt: skip
    return cover
