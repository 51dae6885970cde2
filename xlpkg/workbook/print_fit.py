"""Print a filled form on as few pages as its rows need (issue 21.11).

The template holds 30 indicator rows and 10 fund-use rows; a project uses a few. A static
template cannot hide rows by what is typed (no formula hides a row, in Excel or LibreOffice), so
the writer does it: ``fill`` hides the unused indicator and fund-use rows of the written form.
Up to ``ONE_PAGE_INDICATORS`` indicators each sheet then prints on one landscape A4 page (fit to
one page wide and tall; tests/workbook/test_print_fit.py measures ≥ 7 pt); a longer form prints
one page wide and as many tall as needed, the indicator table's header row repeated on every page.

The hidden rows stay in the file with their formulas: a reader reads them as empty rows, and a
user who needs another row unhides it (Excel: 格式 → 隐藏和取消隐藏 — the sheet protection allows
formatting rows; LibreOffice: 工具 → 保护工作表 off, then 显示行)."""
from __future__ import annotations

from openpyxl.worksheet.pagebreak import Break

from . import layout as L

__all__ = ["ONE_PAGE_INDICATORS", "fit_one_page_if_legible", "fit_to_content", "keep_tail_together",
           "one_page_scale"]

ONE_PAGE_INDICATORS = 10
MIN_PRINTED_PT = 7.0
# Measured on LibreOffice 7.4 (tests/workbook/test_print_fit.py): one column-width unit prints
# 7.1 pt wide; a row prints its height (15 pt when none is set); A4 landscape is 842 × 595 pt.
POINTS_PER_WIDTH = 7.1
DEFAULT_ROW_PT = 15.0
PAGE_W, PAGE_H = 842.0, 595.0
NARROW_MARGIN = 0.35   # inches, top and bottom of a one-page form


def _hide(ws, first: int, last: int) -> None:
    for row in range(first, last + 1):
        ws.row_dimensions[row].hidden = True


def one_page_scale(ws, widths, top_bottom: float) -> float:
    """The print scale that fits ``ws`` on one page (1 = no shrinking), as LibreOffice prints."""
    m = ws.page_margins
    width = sum(widths) * POINTS_PER_WIDTH
    height = sum(ws.row_dimensions[r].height or DEFAULT_ROW_PT for r in range(1, ws.max_row + 1)
                 if not ws.row_dimensions[r].hidden)
    return min(1.0, (PAGE_W - 72 * (m.left + m.right)) / width,
               (PAGE_H - 72 * 2 * top_bottom) / height)


def _smallest_font(ws) -> float:
    return min((c.font.sz or 11) for row in ws.iter_rows() for c in row
               if c.value is not None and hasattr(c, "column_letter"))


def _height(ws, row: int) -> float:
    return ws.row_dimensions[row].height or DEFAULT_ROW_PT


def keep_tail_together(ws, widths, head: int, tail_first: int, tail_last: int) -> None:
    """Break the page before ``tail_first`` when the automatic break would fall inside the
    rows ``tail_first``..``tail_last`` (the last indicator rows, the total, the signatures):
    the pages are simulated as LibreOffice sets them (fit to width, the header row repeated)."""
    m = ws.page_margins
    scale = min(1.0, (PAGE_W - 72 * (m.left + m.right)) / (sum(widths) * POINTS_PER_WIDTH))
    page = (PAGE_H - 72 * (m.top + m.bottom)) / scale
    rows = [r for r in range(1, ws.max_row + 1) if not ws.row_dimensions[r].hidden]
    tail = sum(_height(ws, r) for r in rows if tail_first <= r <= tail_last)
    if tail + _height(ws, head) > page:
        return   # the tail cannot share one page anyway
    used = 0.0
    for r in rows:
        if used + _height(ws, r) > page:
            if tail_first < r <= tail_last:
                ws.row_breaks.append(Break(id=tail_first - 1))
                return
            used = _height(ws, head) if r > head else 0.0
        used += _height(ws, r)


def fit_one_page_if_legible(ws, widths) -> bool:
    """Fit ``ws`` to one page when its smallest text still prints at 7 pt or more, with
    narrower top and bottom margins (the height, not the width, sets the scale of a full page:
    every point of it keeps the text legible). False leaves the page setup as it was."""
    if _smallest_font(ws) * one_page_scale(ws, widths, NARROW_MARGIN) < MIN_PRINTED_PT + 0.05:
        return False
    ws.page_setup.fitToHeight = 1
    ws.page_margins.top = ws.page_margins.bottom = NARROW_MARGIN
    ws.page_margins.header = ws.page_margins.footer = 0.2
    return True


def _hide_review(wb) -> None:
    """The finance bureau's block and columns (template v3, issue 25) stay out of a form the
    bureau has not reviewed: empty, they would cost a one-page form its 7 pt."""
    decl, ev = wb[L.DECL], wb[L.EVAL]
    _hide(decl, L.REVIEW_HEAD_ROW, L.REVIEW_FINGERPRINT_ROW)
    decl.column_dimensions[L.REVIEW_IND_COL].hidden = True
    _hide(ev, L.EVAL_VERIFIED_ROW, L.EVAL_VERIFIED_GRADE_ROW)
    ev.column_dimensions[L.EVAL_VERIFIED_COL].hidden = True


def fit_to_content(wb, indicators: int, uses: int, *, reviewed: bool = False) -> None:
    """Hide the unused rows of a filled form and choose its page fit (see the module doc)."""
    if indicators <= 0:
        return   # nothing typed: the form prints as the blank template does
    if reviewed:
        decl_widths = (*L.DECL_WIDTHS, L.REVIEW_IND_WIDTH)
        eval_widths = (*L.EVAL_WIDTHS, L.EVAL_VERIFIED_WIDTH)
    else:
        _hide_review(wb)
        decl_widths, eval_widths = L.DECL_WIDTHS, L.EVAL_WIDTHS
    tables = ((L.DECL, decl_widths, L.IND_FIRST, L.IND_HEAD_ROW),
              (L.MON, L.MON_WIDTHS, L.MON_IND_FIRST, L.MON_IND_HEAD),
              (L.EVAL, eval_widths, L.EVAL_IND_FIRST, L.EVAL_IND_HEAD))
    if uses > 0:
        _hide(wb[L.DECL], L.USES_FIRST + uses, L.USES_LAST)
    for sheet, widths, first, head in tables:
        ws = wb[sheet]
        _hide(ws, first + indicators, first + L.INDICATOR_ROWS - 1)
        ws.protection.formatRows = False   # False = allowed: the user may unhide a row
        if not (indicators <= ONE_PAGE_INDICATORS and fit_one_page_if_legible(ws, widths)):
            ws.page_setup.fitToHeight = 0
            ws.print_title_rows = f"{head}:{head}"
            if sheet == L.EVAL:   # the total and signatures print with the table's last rows
                last = first + indicators - 1
                keep_tail_together(ws, widths, head, max(first, last - 1), L.EVAL_SIGN_ROW)
