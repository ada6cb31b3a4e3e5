"""The source change under review, grouped as a reviewer reads it: chapter templates, catalogue
entries field by field, parameters key by key, data files row by row, package code, the rest.

Everything is compared between a git commit (the base) and the working tree of the same
checkout, tracked and new files alike (files git ignores are not source).
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from jsna.inputs.catalogue import WORDS_FIELDS
from jsna.inputs.tables import SCHEMAS

#: The groups, in the report's order, with what decides a file's group (first match wins).
GROUPS = {
    "catalogue": "the indicator catalogue (data/indicators.yml)",
    "templates": "chapter templates and static pages (chapters/)",
    "parameters": "parameters (parameters/)",
    "data": "data files (data/)",
    "code": "package code (jsna/) and the packages it runs on",
    "other": "everything else (tests, scripts, documentation)",
}
#: Files outside jsna/ that decide what code runs (versions of every package the build uses).
CODE_FILES = ("requirements.txt", "pyproject.toml", "package.json", "package-lock.json")
#: Package code that only draws pages from the store: a change there cannot move a figure.
VIEW_CODE = ("jsna/pages/",)
#: Files whose change is words only.
WORDS_FILES = (".md", ".txt", ".rst")


@dataclass
class FileChange:
    path: str
    group: str
    status: str  # "added", "removed", "changed"
    lines_added: int = 0
    lines_removed: int = 0
    #: Plain-words details: "entry smoking: polarity 'RAG - Low is good' -> 'RAG - High is good'",
    #: "rows: 1 changed (area_code=E05001234, year=2021: deaths 12 -> 40)".
    details: list[str] = field(default_factory=list)
    #: Whether the change can move a published figure (False: words, templates, views only).
    figures: bool = True


def git(root: Path, *args: str, check: bool = True) -> str:
    """Run git in ``root``; its output (``GitError`` when it fails and ``check``)."""
    result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    if check and result.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


class GitError(Exception):
    pass


def source_changes(root: Path, base: str) -> list[FileChange]:
    """Every file that differs between commit ``base`` and the working tree of ``root``."""
    changed = {}
    listing = git(root, "diff", "--no-renames", "--name-status", "-z", base, "--")
    parts = [p for p in listing.split("\0") if p]
    for status, path in zip(parts[0::2], parts[1::2]):
        changed[path] = {"A": "added", "D": "removed"}.get(status[0], "changed")
    for path in git(root, "ls-files", "--others", "--exclude-standard", "-z").split("\0"):
        if path:
            changed[path] = "added"
    numbers = _numstat(root, base)
    out = []
    for path in sorted(changed):
        change = FileChange(path, group_of(path), changed[path], *numbers.get(path, (0, 0)))
        old = _at_base(root, base, path) if change.status != "added" else None
        new = (root / path).read_bytes() if change.status != "removed" else None
        if path not in numbers and new is not None:  # a new file git does not track yet
            change.lines_added = new.count(b"\n")
        _describe(change, old, new)
        out.append(change)
    return out


def group_of(path: str) -> str:
    if path == "data/indicators.yml":
        return "catalogue"
    if path in CODE_FILES:
        return "code"
    for group, prefix in (("templates", "chapters/"), ("parameters", "parameters/"), ("data", "data/"), ("code", "jsna/")):
        if path.startswith(prefix):
            return group
    return "other"


def _describe(change: FileChange, old: bytes | None, new: bytes | None) -> None:
    """Fill in the details of one file's change, and whether it can move a figure."""
    group, path = change.group, change.path
    if group == "catalogue":
        change.details, change.figures = catalogue_changes(old, new)
        return
    if group == "parameters" and path.endswith((".yml", ".yaml")):
        change.details = [f"{key}: {_short(a)} -> {_short(b)}" for key, a, b in yaml_changes(old, new)]
    elif group == "data" and path.endswith((".csv", ".csv.gz")):
        change.details = table_changes(path, old, new)
    change.figures = not (group in ("templates", "other") or path.endswith(WORDS_FILES) or path.startswith(VIEW_CODE))


def catalogue_changes(old: bytes | None, new: bytes | None) -> tuple[list[str], bool]:
    """Entries added or removed and fields changed, entry by entry; and whether any change is
    more than words (:data:`jsna.inputs.catalogue.WORDS_FIELDS`)."""
    before, after = _entries(old), _entries(new)
    details, figures = [], False
    for key in dict.fromkeys([*before, *after]):
        a, b = before.get(key), after.get(key)
        if a is None or b is None:
            details.append(f"entry {key} {'added' if a is None else 'removed'}")
            figures = True
            continue
        for name in dict.fromkeys([*a, *b]):
            if a.get(name) != b.get(name):
                details.append(f"entry {key}: {name} {_short(a.get(name))} -> {_short(b.get(name))}")
                figures = figures or name not in WORDS_FIELDS
    if list(before) != [k for k in after if k in before]:
        details.append("the order of the entries changed")
    return details, figures


def yaml_changes(old: bytes | None, new: bytes | None) -> list[tuple[str, object, object]]:
    """(dotted key, old, new) for every value that differs between two YAML documents."""
    a, b = _flat(_yaml(old)), _flat(_yaml(new))
    return [(key, a.get(key), b.get(key)) for key in dict.fromkeys([*a, *b]) if a.get(key) != b.get(key)]


def table_changes(path: str, old: bytes | None, new: bytes | None, *, shown: int = 5) -> list[str]:
    """Rows added, removed and changed in a CSV file, by the table's key where it has one."""
    a, b = _csv(path, old), _csv(path, new)
    if a is None or b is None:
        return ["not readable as CSV on one side"]
    name = Path(path).name.split(".")[0]
    key = [k for k in (SCHEMAS[name].key if name in SCHEMAS else ()) if k in a.columns and k in b.columns]
    if not key or a.duplicated(key).any() or b.duplicated(key).any():
        rows_a, rows_b = set(map(tuple, a.to_numpy().tolist())), set(map(tuple, b.to_numpy().tolist()))
        return [f"rows: {len(rows_b - rows_a)} added, {len(rows_a - rows_b)} removed (of {len(a)} -> {len(b)})"]
    left, right = a.set_index(key), b.set_index(key)
    added, removed = right.index.difference(left.index), left.index.difference(right.index)
    both = left.index.intersection(right.index)
    columns = [c for c in left.columns if c in right.columns]
    l, r = left.loc[both, columns], right.loc[both, columns]
    differs = (l != r).any(axis=1)
    lines = [f"rows: {len(added)} added, {len(removed)} removed, {int(differs.sum())} changed (of {len(a)} -> {len(b)})"]
    for index in list(l.index[differs.to_numpy()])[:shown]:
        where = ", ".join(f"{k}={v}" for k, v in zip(key, index if isinstance(index, tuple) else (index,)))
        cells = "; ".join(f"{c} {l.loc[index, c]} -> {r.loc[index, c]}" for c in columns if l.loc[index, c] != r.loc[index, c])
        lines.append(f"changed {where}: {cells}")
    for label, index in (("added", added), ("removed", removed)):
        for item in list(index)[:shown]:
            lines.append(f"{label} " + ", ".join(f"{k}={v}" for k, v in zip(key, item if isinstance(item, tuple) else (item,))))
    return lines


def _numstat(root: Path, base: str) -> dict[str, tuple[int, int]]:
    found = {}
    for line in git(root, "diff", "--no-renames", "--numstat", base, "--").splitlines():
        added, removed, path = line.split("\t", 2)
        found[path] = (int(added) if added.isdigit() else 0, int(removed) if removed.isdigit() else 0)
    return found


def _at_base(root: Path, base: str, path: str) -> bytes:
    return subprocess.run(["git", "-C", str(root), "show", f"{base}:{path}"], capture_output=True, check=True).stdout


def _entries(data: bytes | None) -> dict[str, dict]:
    document = _yaml(data) or []
    return {str(e.get("id")): e for e in document if isinstance(e, dict)} if isinstance(document, list) else {}


def _yaml(data: bytes | None):
    if data is None:
        return None
    try:
        return yaml.safe_load(data.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return {"(not readable YAML)": data.decode("utf-8", "replace")[:200]}


def _flat(value, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix or "(document)": value}


def _csv(path: str, data: bytes | None) -> pd.DataFrame | None:
    if data is None:
        return pd.DataFrame()
    try:
        return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, compression="gzip" if path.endswith(".gz") else None,
                           skipinitialspace=True, encoding="utf-8-sig").rename(columns=str.strip)  # fmt: skip
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
        return None


def _short(value: object, width: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"
