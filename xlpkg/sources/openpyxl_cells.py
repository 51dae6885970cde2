"""openpyxl as a cell source: every cell, and formula text on request."""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from ..cellref import bounds
from .cells import SourceError, parse_name_target, plain_value
from .files import open_problem

__all__ = ["OpenpyxlSource"]


class OpenpyxlSource:
    """A workbook file read with openpyxl. ``data_only=True`` (default) gives the values the
    last program cached for formula cells; ``data_only=False`` gives the formula text instead."""

    def __init__(self, path: str | Path, *, data_only: bool = True):
        import openpyxl

        self.path = Path(path)
        try:
            self.book = openpyxl.load_workbook(self.path, data_only=data_only)
        except zipfile.BadZipFile:
            raise SourceError("文件已损坏或不是 Excel 工作簿（.xlsx）") from None
        except Exception as exc:
            raise SourceError(open_problem(exc)) from None

    def defined_names(self) -> dict[str, tuple[str, str]]:
        out = {}
        for name, dn in self.book.defined_names.items():
            target = parse_name_target(dn.attr_text or "")
            if target:
                out[name] = target
        return out

    def sheet_names(self) -> list[str]:
        return list(self.book.sheetnames)

    def range_values(self, sheet: str, ref: str) -> list[list[Any]]:
        ws = self.book[sheet]
        min_col, min_row, max_col, max_row = bounds(ref)
        return [[plain_value(c.value) for c in row]
                for row in ws.iter_rows(min_row=min_row, max_row=max_row,
                                        min_col=min_col, max_col=max_col)]
