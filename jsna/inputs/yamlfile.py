"""YAML files that remember where each entry and key was written.

Every parameters file and the indicator catalogue are read with :func:`read_yaml`. It returns
the plain data (dicts, lists, scalars, as ``yaml.safe_load`` would) together with the line of
every mapping key and sequence item, so that an error names the line a person has to edit, and
it refuses a mapping that sets the same key twice (``yaml.safe_load`` silently keeps the last).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from jsna.errors import DataError
from jsna.inputs.encoding import read_text

Where = tuple[Any, ...]


@dataclass(frozen=True)
class YamlFile:
    """The data of one YAML file and the line of each key and item in it.

    ``lines`` maps a path (the keys and list indices leading to a value, e.g. ``(3, "numerator",
    "table")``) to the 1-based line where that key or item is written.
    """

    path: Path
    data: Any
    lines: dict[Where, int] = field(default_factory=dict)

    def line(self, *where: Any) -> int | None:
        """The line of the deepest part of ``where`` that is written in the file."""
        for n in range(len(where), -1, -1):
            if where[:n] in self.lines:
                return self.lines[where[:n]]
        return None

    def error(self, problem: str, *where: Any, field: str | None = None) -> DataError:
        """A :class:`DataError` at the line of ``where`` (a path into the data)."""
        return DataError(self.path, problem, line=self.line(*where), field=field)


def read_yaml(path: Path | str, *, missing_ok: bool = False) -> YamlFile:
    """Read ``path``; raise :class:`DataError` with the line for a syntax error or a repeated key.

    With ``missing_ok``, a file that does not exist reads as empty (``data`` None).
    """
    path = Path(path)
    if missing_ok and not path.exists():
        return YamlFile(path, None)
    text = read_text(path)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlFile(path, None)
        lines: dict[Where, int] = {(): node.start_mark.line + 1}
        _record(path, node, (), lines)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join(str(part) for part in (error.context, error.problem) if part)
        raise DataError(path, f"cannot be read as YAML: {problem}", line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as error:
        raise DataError(path, f"cannot be read as YAML: {error}") from None
    finally:
        loader.dispose()
    return YamlFile(path, data, lines)


def _record(path: Path, node: yaml.Node, where: Where, lines: dict[Where, int]) -> None:
    """Record the line of every key and item under ``node``; refuse a key set twice."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = _key(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise DataError(path, f"{key!r} is set twice in the same mapping (first on line {seen[key]})", line=line, field=str(key))
            seen[key] = line
            lines[where + (key,)] = line
            _record(path, value_node, where + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[where + (index,)] = item.start_mark.line + 1
            _record(path, item, where + (index,), lines)


_SCALARS = yaml.constructor.SafeConstructor()


def _key(node: yaml.Node) -> Any:
    """A mapping key as the data holds it (``1`` for ``1:``, ``"a"`` for ``a:``)."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    return _SCALARS.construct_object(node)
