"""The library file (指标库.xlsx): written by `xlpkg library build`, read back by `--library`."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import zipfile

from openpyxl import Workbook, load_workbook

from ..sources import file_problem
from ..system.safeio import atomic_write
from ..workbook import layout as L
from ..workbook.library_sheet import LibraryEntry, write_library_table

__all__ = ["LibraryFileError", "read_library", "write_library"]


class LibraryFileError(ValueError):
    """A file that is not an indicator library; the message is Chinese."""


def write_library(entries: list[LibraryEntry], path: str | Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = L.LIBRARY_SHEET
    write_library_table(ws, entries)
    ws.print_title_rows = "1:1"
    return atomic_write(Path(path), wb.save)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _value(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(format(value, ".15g"))
    return _text(value) or None


def read_library(path: str | Path) -> list[LibraryEntry]:
    """The entries of a library file (its first sheet, or the one named 指标库); the headings
    are found by name, so a user may add columns or reorder them."""
    path = Path(path)
    problem = file_problem(path)
    if problem:
        raise LibraryFileError(f"{path}：{problem}")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
        sheet = L.LIBRARY_SHEET if L.LIBRARY_SHEET in wb.sheetnames else wb.sheetnames[0]
        rows = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
        wb.close()
    except (OSError, IndexError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise LibraryFileError(f"{path}：无法读取指标库文件（{exc}）") from None
    head = [_text(v) for v in (rows[0] if rows else [])]
    missing = [h for h in L.LIBRARY_HEADERS[:5] if h not in head]
    if missing:
        raise LibraryFileError(f"{path}：不是指标库文件（第1行缺少表头：{'、'.join(missing)}）；"
                               "请用“xlpkg library build”生成")
    col = {h: head.index(h) for h in L.LIBRARY_HEADERS if h in head}
    get = lambda row, h: row[col[h]] if h in col and col[h] < len(row) else None
    out = []
    for r, row in enumerate(rows[1:], start=2):
        if not _text(get(row, "三级指标")):
            continue
        count = get(row, "使用项目数")
        try:
            projects = int(Decimal(_text(count) or "0"))
        except ArithmeticError:
            raise LibraryFileError(f"{path}：{sheet}!{L.shift_col('A', col['使用项目数'])}{r} "
                                   f"使用项目数“{_text(count)}”不是整数") from None
        out.append(LibraryEntry(
            level1=_text(get(row, "一级指标")), level2=_text(get(row, "二级指标")),
            name=_text(get(row, "三级指标")), unit=_text(get(row, "度量单位")), projects=projects,
            years=_text(get(row, "年度范围")), nature=_text(get(row, "常用指标性质")),
            target_median=_value(get(row, "指标值中位数")),
            actual_median=_value(get(row, "实际完成值中位数")),
            recent_mean=_value(get(row, "近三年平均")), example=_text(get(row, "示例项目"))))
    return out
