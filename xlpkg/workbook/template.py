"""The locked project workbook: the blank template with its formulas (``xlpkg.workbook.writer`` fills it).

One builder per sheet lives in ``xlpkg.workbook``; positions come from ``xlpkg.workbook.layout``, the one
declaration that the writer and the reader use too. The rulebook's parameters go into the very
hidden metadata sheet as named ranges, so the formulas follow a province's rules file. Formulas
use English names and nothing newer than Excel 2010, so Excel, WPS and LibreOffice agree.
"""
from __future__ import annotations

import errno
import gc
import io
import os
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from . import layout as L
from ..rules import Rules, load_rules
from ..system.safeio import atomic_write
from .declaration import build_declaration
from .library_sheet import build_library_sheet
from .meta import NATURES, build_meta
from .monitoring import build_monitoring
from .review_block import build_review_block
from .self_evaluation import build_self_evaluation
from .output_guard import stamp
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


def build_workbook(rules: Rules | None = None, password: str | None = None, *,
                   library=None) -> Workbook:
    """The blank, protected template as an openpyxl workbook (not yet saved); ``library``
    (指标库 entries) adds the visible 指标库 sheet and the 三级指标 suggestions (v3)."""
    rules = rules or load_rules()
    wb = Workbook()
    build_declaration(wb, rules)
    build_monitoring(wb, rules)
    build_self_evaluation(wb, rules)
    build_review_block(wb)   # v3 (issue 25): the finance bureau's locked cells
    _results_sheet(wb)
    protected = list(L.PROTECTED_SHEETS)
    if library:
        protected.append(build_library_sheet(wb, library))
    build_meta(wb, rules)
    wb.move_sheet(L.CALC, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(L.CALC))
    for name, spec in L.NAMES.items():
        if name not in wb.defined_names:
            define_name(wb, name, spec.sheet, spec.ref)
    protect(wb, (wb[name] for name in protected), password)
    wb.active = 0
    return wb


def save_workbook(wb: Workbook, path: str | Path) -> Path:
    """Write next to the destination and rename, so a reader never sees half a file.

    The workbook is built in memory first (a form is about 100 KB) and then written in one
    call: a full disk is then one OSError, not a serializer failing half-way inside openpyxl
    and lxml ("Exception ignored in ZipFile.__del__", raw English)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = workbook_bytes(wb)
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


_LXML_IO_ERRORS = {"IO_ENOSPC": errno.ENOSPC, "IO_EFBIG": errno.EFBIG, "IO_EDQUOT": getattr(errno, "EDQUOT", errno.ENOSPC),
                   "IO_EACCES": errno.EACCES, "IO_EROFS": errno.EROFS}


def workbook_bytes(wb: Workbook) -> bytes:
    """The saved workbook as bytes. openpyxl spools each sheet through a temporary file; when
    that disk is full, lxml fails with "IO_ENOSPC" and leaves generators whose clean-up fails
    again later ("Exception ignored in …"): both become one OSError with its errno."""
    buffer = io.BytesIO()
    failure: OSError | None = None
    try:
        wb.save(buffer)
    except OSError as exc:
        failure = OSError(exc.errno, exc.strerror or str(exc))
    except Exception as exc:   # noqa: BLE001 - lxml's SerialisationError("IO_ENOSPC"); others re-raised
        code = str(exc).split(":")[0].strip()
        if not code.startswith("IO_"):
            raise
        failure = OSError(_LXML_IO_ERRORS.get(code, errno.EIO), os.strerror(_LXML_IO_ERRORS.get(code, errno.EIO)))
    if failure is None:
        return buffer.getvalue()
    # the half-written sheets' generators are finalised here, their second failure is noise
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook
    raise failure


def write_template(path: str | Path, *, rules: Rules | None = None, password: str | None = None,
                   library=None) -> Path:
    wb = build_workbook(rules, password, library=library)
    stamp(wb, "project-template", "")
    return save_workbook(wb, path)
