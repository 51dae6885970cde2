"""The locked project workbook: the blank template with its formulas (``xlpkg.workbook.writer`` fills it).

One builder per sheet lives in ``xlpkg.workbook``; positions come from ``xlpkg.workbook.layout``, the one
declaration that the writer and the reader use too. The rulebook's parameters go into the very
hidden metadata sheet as named ranges, so the formulas follow a province's rules file. Formulas
use English names and nothing newer than Excel 2010, so Excel, WPS and LibreOffice agree.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from . import layout as L
from ..rules import Rules, load_rules
from ..system.safeio import atomic_write
from .declaration import build_declaration
from .meta import NATURES, build_meta
from .monitoring import build_monitoring
from .review_block import build_review_block
from .self_evaluation import build_self_evaluation
from .style import FONT_NAME, define_name, page_setup, protect

__all__ = ["NATURES", "build_workbook", "save_workbook", "write_template"]


def _results_sheet(wb: Workbook) -> None:
    """An empty, unprotected sheet for the 校验 button: a locked structure forbids adding one."""
    ws = wb.create_sheet(L.RESULTS)
    page_setup(ws, landscape=True, widths=L.RESULT_WIDTHS, freeze="A2")
    ws.sheet_view.showGridLines = True   # a plain list people sort and filter, not a form
    ws.print_title_rows = "1:1"
    for col, header in enumerate(L.RESULT_HEADERS, start=1):
        ws.cell(row=1, column=col, value=header).font = Font(name=FONT_NAME, bold=True)


def build_workbook(rules: Rules | None = None, password: str | None = None) -> Workbook:
    """The blank, protected template as an openpyxl workbook (not yet saved)."""
    rules = rules or load_rules()
    wb = Workbook()
    build_declaration(wb, rules)
    build_monitoring(wb, rules)
    build_self_evaluation(wb, rules)
    build_review_block(wb)   # v3 (issue 25): the finance bureau's locked cells
    _results_sheet(wb)
    build_meta(wb, rules)
    wb.move_sheet(L.CALC, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(L.CALC))
    for name, spec in L.NAMES.items():
        if name not in wb.defined_names:
            define_name(wb, name, spec.sheet, spec.ref)
    protect(wb, (wb[name] for name in L.PROTECTED_SHEETS), password)
    wb.active = 0
    return wb


def save_workbook(wb: Workbook, path: str | Path) -> Path:
    """Write next to the destination and rename, so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, wb.save)


def write_template(path: str | Path, *, rules: Rules | None = None, password: str | None = None) -> Path:
    return save_workbook(build_workbook(rules, password), path)
