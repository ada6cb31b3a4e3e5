"""What each table of a data folder is: real, modelled or synthetic (``provenance.yml``, optional).

``scripts/make_demo_data.py`` writes the file beside the tables it makes, and an analyst may
write one for their own data. The book reads it to say, on every page, which figures are
synthetic and which are real published figures (``data/README.md``, "Where the demonstration
data come from"). A folder without one says nothing, and the release's ``synthetic`` flag alone
decides the warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jsna.inputs.tables import SCHEMAS
from jsna.inputs.yamlfile import read_yaml

FILE = "provenance.yml"
KINDS = ("real", "modelled", "synthetic")


@dataclass(frozen=True)
class Provenance:
    #: table name -> (kind, source in words), in the file's order.
    tables: dict[str, tuple[str, str]]

    def of_kind(self, kind: str) -> list[str]:
        return [name for name, (found, _) in self.tables.items() if found == kind]


def load_provenance(folder: Path | str) -> Provenance | None:
    """The folder's ``provenance.yml``, checked; None when there is none."""
    path = Path(folder) / FILE
    if not path.is_file():
        return None
    document = read_yaml(path)
    tables = document.data.get("tables") if isinstance(document.data, dict) else None
    if not isinstance(tables, dict) or not tables:
        raise document.error("expected 'tables': a mapping of table name -> {kind, source}")
    out = {}
    for name, entry in tables.items():
        if name not in SCHEMAS:
            raise document.error(f"{name!r} is not an input table ({', '.join(SCHEMAS)})", "tables", name, field=f"tables.{name}")
        if not isinstance(entry, dict) or entry.get("kind") not in KINDS or not isinstance(entry.get("source"), str):
            raise document.error(f"{name}: expected {{kind: {' | '.join(KINDS)}, source: text}}", "tables", name, field=f"tables.{name}")
        out[name] = (entry["kind"], " ".join(entry["source"].split()))
    return Provenance(out)
