"""Small file helpers shared by every layer: content digests, and writes that are atomic and
happen only when the content changes (so an unchanged rebuild touches nothing)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def digest(*parts: bytes | str) -> str:
    """SHA-256 of the parts, each followed by a NUL so that ("ab", "c") differs from ("a", "bc")."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def write_if_changed(path: Path, content: bytes | str) -> bool:
    """Write ``content`` to ``path`` unless it already holds exactly that; return True if written.

    The new content goes to a temporary file first and replaces the old in one step, so a
    reader never sees a half-written file.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def code_digest() -> str:
    """Version and source of the jsna package: a change to either recomputes the store and
    re-executes notebooks."""
    import jsna

    package = Path(jsna.__file__).parent
    files = sorted(p for p in package.rglob("*") if p.suffix in (".py", ".json") and "__pycache__" not in p.parts)
    return digest(jsna.__version__, *(f"{p.relative_to(package).as_posix()}:{digest(p.read_bytes())}" for p in files))
