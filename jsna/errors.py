"""The two errors a user sees instead of a traceback (``python -m jsna`` prints them and exits 1)."""

from __future__ import annotations

from pathlib import Path


class DataError(ValueError):
    """An input breaks its rules. The message names the file, where in it, and the problem.

    A CSV table is located by ``row`` (its data row; the file line is one more, for the header)
    and ``column``; a YAML file by ``line`` (of the entry or key at fault) and ``field`` (the
    key's path, e.g. ``numerator.where.age``).
    """

    def __init__(
        self,
        path: Path | str,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ):
        self.path, self.row, self.column, self.problem = str(path), row, column, problem
        self.line = row + 1 if line is None and row is not None else line
        self.field = field
        where = [self.path]
        if row is not None:
            where.append(f"row {row} (line {row + 1})")
        elif line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column '{column}'")
        if field is not None:
            where.append(f"field '{field}'")
        super().__init__(", ".join(where) + f": {problem}")


class BuildError(RuntimeError):
    """The build cannot go on; the message says what failed and where."""
