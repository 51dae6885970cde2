"""The summary's 结果应用 sheet, written into the summary's XlsxWriter workbook.

Styled like the summary's other tables (等线 10 pt, header fill, thin grey borders), printed
by ``xlpkg.printing`` at the tables' scale (10 pt at 72 % prints at 7.2 pt, ≥ 7 pt) with the
key columns repeated on every page; the sheet is protected like the others (filter and
sort allowed).
"""
from __future__ import annotations

from decimal import Decimal

from .printing import PrintSpec, apply_print, row_height
from .results_application import DEPARTMENT_WHOLE, RESULT_COLUMNS, RESULTS_SHEET

__all__ = ["write_results_sheet", "RESULTS_SHEET"]

TABLE_SCALE = 72
WIDTHS = {"部门": 16, "项目编码": 17, "项目名称": 24, "本年总分": 9, "等级": 6, "上年总分": 9,
          "得分变化": 9, "应用建议": 20, "本年预算数（万元）": 13, "建议下年预算数（万元）": 13}
_NUMBER_FORMAT = {"本年总分": "0.00", "上年总分": "0.00", "得分变化": "+0.00;-0.00;0.00",
                  "本年预算数（万元）": "#,##0.00", "建议下年预算数（万元）": "#,##0.00"}


def write_results_sheet(wb, rows: list[tuple], *, protect: bool = True) -> None:
    """One row per project, then its department's 部门整体 row (bold, shaded)."""
    base = {"font_name": "等线", "font_size": 10, "valign": "vcenter", "border": 1,
            "border_color": "#BFBFBF"}
    header = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "text_wrap": True,
                            "align": "center"})
    plain = {c: wb.add_format({**base, **({"num_format": _NUMBER_FORMAT[c]} if c in _NUMBER_FORMAT
                                          else {"text_wrap": True})}) for c in RESULT_COLUMNS}
    total = {c: wb.add_format({**base, "bold": True, "bg_color": "#F2F2F2",
                               **({"num_format": _NUMBER_FORMAT[c]} if c in _NUMBER_FORMAT
                                  else {"text_wrap": True})}) for c in RESULT_COLUMNS}
    ws = wb.add_worksheet(RESULTS_SHEET)
    widths = [WIDTHS[c] for c in RESULT_COLUMNS]
    for n, width in enumerate(widths):
        ws.set_column(n, n, width)
    ws.write_row(0, 0, RESULT_COLUMNS, header)
    ws.set_row(0, 30)
    for r, row in enumerate(rows, start=1):
        formats = total if row[2] == DEPARTMENT_WHOLE and not row[1] else plain
        # rows grow with their longest text, as the summary's other sheets do (no overlap in print)
        height = row_height([(str(v), w, 10) for v, w in zip(row, widths)
                             if isinstance(v, str) and v])
        if height:
            ws.set_row(r, height)
        for col, (name, value) in enumerate(zip(RESULT_COLUMNS, row)):
            if value is None or value == "":
                ws.write_blank(r, col, None, formats[name])
            elif isinstance(value, Decimal):
                ws.write_number(r, col, float(value), formats[name])
            else:
                ws.write_string(r, col, str(value), formats[name])
    ws.freeze_panes(1, 3)
    ws.autofilter(0, 0, max(len(rows), 1), len(RESULT_COLUMNS) - 1)
    apply_print(ws, widths, PrintSpec(titles=(1, 2), scale=TABLE_SCALE), last_row=len(rows))
    if protect:
        ws.protect("", {"autofilter": True, "sort": True, "format_columns": True,
                        "select_locked_cells": True, "select_unlocked_cells": True})
