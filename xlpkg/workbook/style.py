"""Cell styles and small writing helpers shared by every sheet builder of xlpkg's workbooks.

One look for all forms: the same fonts, input fill, borders, number formats, validations and
page setup, so a department workbook reads like the project workbook it sits beside.
"""
from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties

from . import layout as L

FONT_NAME = "宋体"
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
MONEY_FMT = "#,##0.00"
PCT_FMT = "0.00%"
LIGHT_STYLES = {"red": ("FFC7CE", "9C0006"), "yellow": ("FFEB9C", "9C5700"),
                "green": ("C6EFCE", "006100")}
# Height (pt) of a blank indicator row on the sheets that show the names by formula: two lines
# of 10-pt CJK text, so a long 二级 such as 服务对象满意度指标 wraps inside its row.
TWO_LINE_ROW = 27
D = f"'{L.DECL}'!"
M = f"'{L.MON}'!"
E = f"'{L.EVAL}'!"
X = f"'{L.CALC}'!"



def style_cell(cell, *, fill=None, bold=False, size=10, align=WRAP, fmt=None, border=True):
    cell.font = Font(name=FONT_NAME, size=size, bold=bold)
    cell.alignment = align
    if border:
        cell.border = BOX
    if fill:
        cell.fill = fill
    if fmt:
        cell.number_format = fmt


def label(ws, ref: str, text: str, *, merge: str | None = None, bold=True, align=CENTER):
    ws[ref] = text
    box(ws, merge or ref, fill=LABEL_FILL, bold=bold, align=align)


def box(ws, area: str, **style):
    """Style every cell of an area (a merged area needs its border on every cell)."""
    for row in ws[area] if ":" in area else [[ws[area]]]:
        for cell in row:
            style_cell(cell, **style)
    if ":" in area:
        ws.merge_cells(area)


def input_cell(ws, area: str, *, fmt=None, align=WRAP):
    box(ws, area, fill=INPUT_FILL, fmt=fmt, align=align)
    for row in ws[area] if ":" in area else [[ws[area]]]:
        for cell in row:
            cell.protection = Protection(locked=False)


def formula(ws, ref: str, text: str, *, fmt=None, merge: str | None = None, align=CENTER):
    ws[ref] = text
    box(ws, merge or ref, fmt=fmt, align=align)


def define_name(wb, name: str, sheet: str, ref: str):
    wb.defined_names[name] = DefinedName(name, attr_text=L.abs_ref(sheet, ref))


def validate(ws, area: str, *, kind: str, formula1: str | None = None, formula2=None,
              operator=None, prompt: str, error: str, stop: bool = True, title: str = ""):
    dv = DataValidation(type=kind, formula1=formula1, formula2=formula2, operator=operator,
                        allow_blank=True, showInputMessage=True, showErrorMessage=True,
                        errorStyle="stop" if stop else "warning",
                        promptTitle=title or "填写说明", prompt=prompt,
                        errorTitle="输入有误", error=error)
    for part in area.split():
        dv.add(part)
    ws.add_data_validation(dv)


def page_setup(ws, *, landscape: bool, widths, freeze: str, pages_tall: int = 0):
    for i, width in enumerate(widths):
        ws.column_dimensions[L.shift_col("A", i)].width = width
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = pages_tall   # 0: as many pages as the rows need
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.freeze_panes = freeze
    ws.sheet_view.showGridLines = False


def sheet_title(ws, text: str, last_col: str):
    ws["A1"] = text
    ws.merge_cells(f"A1:{last_col}1")
    ws["A1"].font = Font(name=FONT_NAME, size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 32


def legible_print(ws, widths, *, landscape: bool, title_rows: str | None = None) -> None:
    """One page wide, as many pages tall as the rows need.

    Fit-to-width shrinks a wide sheet: the builders keep their columns narrow enough that the
    smallest text still prints at 7 pt or more (tests/test_v2_print.py measures the PDF).
    ``title_rows`` repeats rows on every page; the project workbook leaves it off because
    LibreOffice 7.4 headless crashes now and then when typing moves between sheets that have
    print titles."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if title_rows:
        ws.print_title_rows = title_rows


def protect(wb, sheets, password: str | None = None) -> None:
    """Lock ``sheets`` and the workbook's structure (only unlocked input cells stay editable);
    the password, if any, is the legacy hash: accident prevention, not security."""
    from openpyxl.workbook.protection import WorkbookProtection

    for ws in sheets:
        ws.protection.sheet = True
        if password:
            ws.protection.password = password
    wb.security = WorkbookProtection(lockStructure=True)
    if password:
        wb.security.workbookPassword = password
