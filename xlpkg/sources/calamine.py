"""python-calamine as a cell source: the fastest reader of every cell of a workbook file."""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from ..cellref import bounds, col_letter
from .cells import SourceError, slice_grid
from .files import open_problem
from .named import NamedCellSource, sheet_extent, sheet_parts

__all__ = ["CalamineSource", "MAX_GRID_CELLS"]


# A sheet's dense grid is refused beyond this many cells (a form has about 2,000).
MAX_GRID_CELLS = 2_000_000

def _names_from_zip(path: Path) -> dict[str, tuple[str, str]]:
    """Workbook-level defined names from xl/workbook.xml (calamine does not expose them).

    Parsed with expat (``xlpkg.sources.named``), never scanned with a regex: a
    workbook.xml stuffed with ``<definedName`` inside a comment costs one linear pass.
    """
    source = NamedCellSource(path, extents={})
    source.close()
    return source.defined_names()


class CalamineSource:
    """A workbook file read with python-calamine (values, cached formula results)."""

    def __init__(self, path: str | Path):
        import python_calamine

        self.path = Path(path)
        try:
            self._book = python_calamine.CalamineWorkbook.from_path(str(self.path))
            self._names = _names_from_zip(self.path)
        except zipfile.BadZipFile:
            raise SourceError("文件已损坏或不是 Excel 工作簿（.xlsx）") from None
        except KeyError:
            raise SourceError("文件不是 Excel 工作簿：缺少 xl/workbook.xml") from None
        except SourceError:
            raise
        except Exception as exc:   # calamine raises its own types for every malformed file
            raise SourceError(open_problem(exc)) from None
        self._grids: dict[str, list[list[Any]]] = {}

    def defined_names(self) -> dict[str, tuple[str, str]]:
        return dict(self._names)

    def sheet_names(self) -> list[str]:
        return list(self._book.sheet_names)

    def range_values(self, sheet: str, ref: str) -> list[list[Any]]:
        grid = self._grids.get(sheet)
        if grid is None:
            self._check_extent(sheet)
            grid = self._book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            self._grids[sheet] = grid
        min_col, min_row, max_col, max_row = bounds(ref)
        if (max_row - min_row + 1) * (max_col - min_col + 1) > MAX_GRID_CELLS:
            raise SourceError(f"工作表“{sheet}”的区域 {ref} 过大，已拒绝读取")
        return slice_grid(grid, ref)

    def _check_extent(self, sheet: str) -> None:
        """calamine builds a dense grid up to the sheet's farthest cell: one stray value at
        XFD1048576 would ask for hundreds of GB. Measure the farthest cell first (streamed,
        no grid) and refuse a sheet far beyond any form."""
        part = sheet_parts(self.path).get(sheet)
        if part is None:
            return
        rows, cols = sheet_extent(self.path, part)
        if rows * max(cols, 1) > MAX_GRID_CELLS:
            raise SourceError(f"工作表“{sheet}”含有远超项目表范围的单元格（最远到 {col_letter(max(cols, 1))}{rows}），"
                              "无法用 calamine 读取：请删除这些单元格，或改用默认读取方式")


