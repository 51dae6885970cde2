"""A1 references: column letters and range bounds.

Written here rather than imported from openpyxl because every reader, worker process and
command needs them, and importing openpyxl costs a tenth of a second each time.
"""
from __future__ import annotations

import functools
import re

_REF_RE = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]+)(?::\$?([A-Z]{1,3})\$?([0-9]+))?$")


def col_index(letters: str) -> int:
    """"A" → 1, "Z" → 26, "AA" → 27."""
    index = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            raise ValueError(f"not a column: {letters!r}")
        index = index * 26 + ord(ch) - 64
    return index


def col_letter(index: int) -> str:
    """1 → "A", 27 → "AA"."""
    if index < 1:
        raise ValueError(f"not a column number: {index}")
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@functools.lru_cache(maxsize=1024)
def bounds(ref: str) -> tuple[int, int, int, int]:
    """"B3:D7" → (min_col, min_row, max_col, max_row), 1-based; a single cell is its own range."""
    m = _REF_RE.match(ref.strip())
    if not m:
        raise ValueError(f"not an A1 reference: {ref!r}")
    first_col, first_row = col_index(m[1]), int(m[2])
    last_col = col_index(m[3]) if m[3] else first_col
    last_row = int(m[4]) if m[4] else first_row
    return first_col, first_row, last_col, last_row
