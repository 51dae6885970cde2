"""Cell sources: "the values behind a defined name", from whatever holds the workbook.

The reader only ever asks a source for its defined names and for the values of a rectangular
range, so a file read by python-calamine or openpyxl and a live workbook read through xlwings
look the same to it. Values are plain Python: int/float, str, datetime, None for empty.
Formula cells give their cached result (None when the file has none).
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import stat
import zipfile
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .cellref import bounds
from .os_errors import os_error_text
from .safeio import ZipTooLarge, check_zip_size

__all__ = ["CellSource", "CalamineSource", "OpenpyxlSource", "SourceError", "file_problem", "is_blank",
           "name_values", "parse_name_target", "special_file"]


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


def _slice(grid: list[list[Any]], ref: str) -> list[list[Any]]:
    """A rectangle of a 0-based grid that starts at A1; missing cells are None."""
    min_col, min_row, max_col, max_row = bounds(ref)
    width = max_col - min_col + 1
    out = []
    for row in grid[min_row - 1:max_row]:
        cells = [plain_value(v) for v in row[min_col - 1:max_col]]
        out.append(cells + [None] * (width - len(cells)) if len(cells) < width else cells)
    missing = (max_row - min_row + 1) - len(out)
    return out + [[None] * width for _ in range(missing)] if missing > 0 else out


# --- python-calamine ----------------------------------------------------------------

# A sheet's dense grid is refused beyond this many cells (a form has about 2,000).
MAX_GRID_CELLS = 2_000_000

def _names_from_zip(path: Path) -> dict[str, tuple[str, str]]:
    """Workbook-level defined names from xl/workbook.xml (calamine does not expose them).

    Parsed with expat (``xlpkg.workbook.namedcells``), never scanned with a regex: a
    workbook.xml stuffed with ``<definedName`` inside a comment costs one linear pass.
    """
    from .workbook.namedcells import NamedCellSource

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
            raise SourceError(_open_problem(exc)) from None
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
        return _slice(grid, ref)

    def _check_extent(self, sheet: str) -> None:
        """calamine builds a dense grid up to the sheet's farthest cell: one stray value at
        XFD1048576 would ask for hundreds of GB. Measure the farthest cell first (streamed,
        no grid) and refuse a sheet far beyond any form."""
        from .workbook.namedcells import sheet_extent, sheet_parts

        part = sheet_parts(self.path).get(sheet)
        if part is None:
            return
        rows, cols = sheet_extent(self.path, part)
        if rows * max(cols, 1) > MAX_GRID_CELLS:
            from .cellref import col_letter
            raise SourceError(f"工作表“{sheet}”含有远超项目表范围的单元格（最远到 {col_letter(max(cols, 1))}{rows}），"
                              "无法用 calamine 读取：请删除这些单元格，或改用默认读取方式")


_CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")   # OLE2 container: .xls, or an encrypted .xlsx
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


def _not_a_zip(path: str) -> str:
    """Why a workbook file is no .xlsx zip, in words an accountant can act on."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            body = fh.read(64 * 2**20) if head == _CFB_MAGIC else b""
    except OSError as exc:
        return f"无法打开文件：{os_error_text(exc)}"
    if head == _CFB_MAGIC and _ENCRYPTION_STREAM in body:
        return "工作簿设置了打开密码（已加密），无法读取：请取消密码后另存为 .xlsx 再提交"
    if head == _CFB_MAGIC:
        return "文件是旧版 Excel 97-2003 格式（.xls），请在 Excel/WPS 中另存为 .xlsx 后再提交"
    if head.startswith(b"PK"):
        return "文件已损坏（.xlsx 不完整，可能复制或下载时中断），请重新获取原文件"
    return "文件不是 Excel 工作簿（可能是改了扩展名的其他文件），请提交 .xlsx 格式的项目表"


def special_file(path: str | Path) -> str | None:
    """Why ``path`` is not a regular file that can be opened without blocking, or None.

    Opening a FIFO named x.xlsx would wait forever for a writer; sockets and devices are
    no workbooks either. Symlinks are followed: what counts is what they point at.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "文件不存在"
    except OSError as exc:
        return f"无法访问文件：{os_error_text(exc)}"
    if stat.S_ISDIR(mode):
        return "这是一个文件夹，不是工作簿文件"
    if stat.S_ISREG(mode):
        return None
    what = ("命名管道（FIFO）" if stat.S_ISFIFO(mode) else "套接字" if stat.S_ISSOCK(mode)
            else "设备文件" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "特殊文件")
    return f"这是{what}，不是普通文件，已跳过（只读取普通的 .xlsx 文件）"


def file_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be read as an .xlsx workbook, in words an accountant can act on;
    None when it looks like one. Also refuses a zip that would unpack to an absurd size
    before any reader inflates it."""
    path = Path(path)
    kind = special_file(path)
    if kind:
        return kind
    try:
        check_zip_size(path)
    except ZipTooLarge as exc:
        return str(exc)
    except (zipfile.BadZipFile, ValueError, EOFError):
        return _not_a_zip(path)
    except OSError as exc:
        return f"无法打开文件：{os_error_text(exc)}"
    return None


def _open_problem(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    if "Password" in text or "encrypt" in text.lower() or "CFB" in text or "Ole" in text:
        return "工作簿已加密或不是 .xlsx 格式，无法读取：请取消打开密码后另存为 .xlsx"
    return f"文件无法作为 Excel 工作簿读取（{text[:120]}）"


# --- openpyxl -----------------------------------------------------------------------

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
            raise SourceError(_open_problem(exc)) from None

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
