"""The 指标库 (indicator library) as a sheet: the table `xlpkg library build` writes, and the
same table embedded in a project workbook, where the 三级指标 cells suggest its names.

The entries come from ``xlpkg.library`` (which reads forms and history); this module only lays
them out, so the project template can embed a library without knowing where it came from."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Sequence

from openpyxl.worksheet.datavalidation import DataValidation

from . import layout as L
from .style import CENTER, WRAP, box, define_name, label, legible_print, page_setup

__all__ = ["LibraryEntry", "build_library_sheet", "write_library_table"]


@dataclass
class LibraryEntry:
    """One row of the library: an indicator as (一级, 二级, 三级, 度量单位) and how it was used."""

    level1: str
    level2: str
    name: str
    unit: str
    projects: int                              # 使用项目数: distinct projects, any year
    years: str = ""                            # 年度范围, "2019–2022"
    nature: str = ""                           # 常用指标性质
    target_median: Decimal | str | None = None
    actual_median: Decimal | str | None = None
    recent_mean: Decimal | str | None = None   # 近三年平均 of the actuals
    example: str = ""                          # 示例项目

    def cells(self) -> tuple:
        return (self.level1, self.level2, self.name, self.unit, self.projects, self.years,
                self.nature, _number(self.target_median), _number(self.actual_median),
                _number(self.recent_mean), self.example)


def _number(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value if value not in ("",) else None


def write_library_table(ws, entries: Iterable[LibraryEntry]) -> int:
    """Headings on row 1, one entry per row below; frozen, filterable, one page wide. Returns
    the number of entries written."""
    page_setup(ws, landscape=True, widths=L.LIBRARY_WIDTHS, freeze="A2")
    # No repeated title rows here: inside a project workbook they make LibreOffice headless crash
    # now and then when typing moves between sheets (style.legible_print); the file sets them.
    legible_print(ws, L.LIBRARY_WIDTHS, landscape=True)
    ws.sheet_view.showGridLines = True
    for c, head in enumerate(L.LIBRARY_HEADERS, start=1):
        label(ws, f"{L.shift_col('A', c - 1)}1", head)
    ws.row_dimensions[1].height = 30
    count = 0
    for r, entry in enumerate(entries, start=2):
        for c, value in enumerate(entry.cells(), start=1):
            cell = ws.cell(r, c, value)
            if isinstance(value, str):
                cell.data_type = "s"   # an indicator named "=1+1" is text, never a formula
            box(ws, cell.coordinate, align=WRAP if c in (3, 11) else CENTER)
        count += 1
    last = L.shift_col("A", len(L.LIBRARY_HEADERS) - 1)
    ws.auto_filter.ref = f"A1:{last}{max(count + 1, 2)}"
    return count


def build_library_sheet(wb, entries: Sequence[LibraryEntry]) -> str:
    """The visible, locked 指标库 sheet of a project workbook, and on the 申报表 an
    information-style list on every 三级指标 cell: the library's names for the row's
    一级/二级 (free text stays allowed). Returns the sheet's name, to be protected."""
    # Grouped by (一级, 二级) so that one OFFSET covers a group; most used first inside it.
    ordered = sorted(entries, key=lambda e: (e.level1, e.level2, -e.projects, e.name))
    ws = wb.create_sheet(L.LIBRARY_SHEET)
    n = write_library_table(ws, ordered)
    key_col = L.shift_col("A", len(L.LIBRARY_HEADERS))
    for r in range(2, n + 2):   # the group key the list looks up: 一级|二级, hidden
        ws[f"{key_col}{r}"] = f'=A{r}&"|"&B{r}'
    ws.column_dimensions[key_col].hidden = True
    ws.protection.autoFilter = False   # filtering stays possible on the locked sheet
    ws.protection.sort = False
    last = max(n + 1, 2)
    define_name(wb, "LibNames", L.LIBRARY_SHEET, f"C2:C{last}")
    define_name(wb, "LibKeys", L.LIBRARY_SHEET, f"{key_col}2:{key_col}{last}")
    first = L.IND_FIRST
    key = f'$A{first}&"|"&$B{first}'
    dv = DataValidation(
        type="list", allow_blank=True, showInputMessage=True, showErrorMessage=True,
        errorStyle="information",
        formula1=f"OFFSET(LibNames,MATCH({key},LibKeys,0)-1,0,MAX(1,COUNTIF(LibKeys,{key})),1)",
        promptTitle="指标库", prompt="可从下拉列表选择指标库中本二级指标下的常用三级指标，也可直接填写；"
                                  "各指标的度量单位和常用值见“指标库”工作表",
        errorTitle="不在指标库中", error="该三级指标不在指标库中，仍可使用：点“确定”保留所填内容")
    col = L.IND_COL["name"]
    dv.add(f"{col}{first}:{col}{L.IND_LAST}")
    wb[L.DECL].add_data_validation(dv)
    ws.sheet_properties.tabColor = "70AD47"
    return ws.title
