"""The cell-source protocol and the values every source hands over: plain Python (int/float,
str, datetime, None for empty), whatever program wrote the workbook."""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Protocol, runtime_checkable

from ..cellref import bounds

__all__ = ["CellSource", "SourceError", "is_blank", "name_values", "parse_name_target", "plain_value",
           "slice_grid"]


class SourceError(Exception):
    """The file cannot be opened as a workbook; ``message`` is Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@runtime_checkable
class CellSource(Protocol):
    def defined_names(self) -> dict[str, tuple[str, str]]: ...

    def range_values(self, sheet: str, ref: str) -> list[list[Any]]: ...

    def sheet_names(self) -> list[str]: ...


_TARGET_RE = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]+)\$?([0-9]+)(?::\$?([A-Z]+)\$?([0-9]+))?$")


def parse_name_target(text: str) -> tuple[str, str] | None:
    """"'Sheet'!$A$1:$B$2" → ("Sheet", "A1:B2"); None for constants, formulas, several areas."""
    m = _TARGET_RE.match(text.strip())
    if not m:
        return None
    sheet = (m[1] or "").replace("''", "'") or m[2]
    ref = f"{m[3]}{m[4]}" + (f":{m[5]}{m[6]}" if m[5] else "")
    return sheet, ref


def name_values(source: CellSource, name: str) -> list[list[Any]] | None:
    """The 2-D values behind a defined name, or None if the workbook has no such name."""
    target = source.defined_names().get(name)
    if target is None:
        return None
    return source.range_values(*target)


def is_blank(value: Any) -> bool:
    """An empty cell as people leave it: nothing, or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def plain_value(value: Any) -> Any:
    """One cell value in the protocol's terms."""
    kind = type(value)
    if kind is str:        # most cells: a fast exit before the isinstance chain
        return value or None
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, _dt.time):
        return _dt.datetime.combine(_dt.date(1899, 12, 30), value)
    if isinstance(value, _dt.timedelta):   # calamine's durations; a form has none
        return value.total_seconds() / 86400
    return value


def slice_grid(grid: list[list[Any]], ref: str) -> list[list[Any]]:
    """A rectangle of a 0-based grid that starts at A1; missing cells are None."""
    min_col, min_row, max_col, max_row = bounds(ref)
    width = max_col - min_col + 1
    out = []
    for row in grid[min_row - 1:max_row]:
        cells = [plain_value(v) for v in row[min_col - 1:max_col]]
        out.append(cells + [None] * (width - len(cells)) if len(cells) < width else cells)
    missing = (max_row - min_row + 1) - len(out)
    return out + [[None] * width for _ in range(missing)] if missing > 0 else out
