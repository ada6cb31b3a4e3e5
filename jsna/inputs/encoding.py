"""Reading an input file's text: UTF-8, with or without a byte-order mark, gzipped or not.

Anything else is refused at the line of the first byte that is not UTF-8, with what to do
about it: spreadsheets save "CSV UTF-8" as a choice of its own, and an export from another
system in Latin-1 or Windows-1252 reads differently in different places, so it is never guessed.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from jsna.errors import DataError


def read_text(path: Path) -> str:
    """The file's text; :class:`DataError` with the line for a file that is not UTF-8."""
    try:
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
    except FileNotFoundError:
        raise DataError(path, "file not found") from None
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise DataError(path, f"cannot be read: {error}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DataError(
            path,
            f"is not UTF-8 text (byte 0x{data[error.start]:02x} cannot be read); save it again as UTF-8 "
            '(in a spreadsheet, "CSV UTF-8")',
            line=line,
        ) from None
