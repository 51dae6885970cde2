"""The Book interface the buttons use (``xlpkg.buttons``), over a LibreOffice Calc document.

The buttons touch a workbook through a handful of xlwings ``Book`` members: ``name``,
``fullname``, ``names`` (each with ``name`` and ``refers_to``), ``sheets`` (by name, by index,
``len``, iteration, ``add(name, after=)``), a sheet's ``name``, ``range(ref).value`` (read and
write), ``range(ref).options(ndim=2).value``, ``range(ref).number_format``, ``clear_contents()``, ``activate()``, and the
application's ``alert``, ``books.open`` and ``engine.type``. ``LOBook`` provides exactly these
over UNO objects handed to it (``XSpreadsheetDocument``, its frame, the component context);
it imports no uno at module level, so it is importable (and testable) anywhere.

Values: numbers come back as floats, empty cells as ``None``, text as ``str``, and a number in a
date-formatted cell as a ``datetime`` (as classic xlwings returns it: what Excel shows). Writing follows
Excel's typing rule that the buttons rely on: a text that starts with an apostrophe is
stored without it, as text; nothing written is ever turned into a formula (``setDataArray``
stores strings as text).
"""
from __future__ import annotations

import datetime
import json
import math
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ..cellref import bounds, col_letter
from .calc import cell_out

__all__ = ["LOBook", "ALERT_LOG_ENV"]

#: a file that receives every alert as a JSON line (for IT staff's logs and for tests)
ALERT_LOG_ENV = "XLPKG_ALERT_LOG"
# com.sun.star.sheet.CellFlags: VALUE | DATETIME | STRING | ANNOTATION | FORMULA (formats stay)
_CONTENTS = 1 | 2 | 4 | 8 | 16


def _path_of(url: str) -> Path | None:
    if not url.startswith("file:"):
        return None
    return Path(unquote(urlparse(url).path))


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _cell_in(value: Any) -> Any:
    return None if value == "" else value


def _cell_out(value: Any) -> Any:
    """A button's value as Calc stores it: the Calc functions' conversion, except that a
    leading apostrophe which only protects "=…" text from becoming a formula is dropped
    (setString stores text as text already)."""
    if isinstance(value, str) and value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "'"):
        return value[1:]
    return cell_out(value)


class _Name:
    def __init__(self, name: str, refers_to: str | None):
        self.name = name
        self.refers_to = refers_to


class _Range:
    def __init__(self, sheet: "_Sheet", ref: str, ndim: int | None = None):
        self.sheet = sheet
        self.ref = ref.replace("$", "")
        self.ndim = ndim

    def options(self, ndim: int | None = None, **_: Any) -> "_Range":
        return _Range(self.sheet, self.ref, ndim)

    @property
    def value(self) -> Any:
        cells = self.sheet.uno.getCellRangeByName(self.ref)
        rows = [[_cell_in(v) for v in row] for row in cells.getDataArray()]
        # A date cell holds a serial number; Excel (and xlwings' classic engine) shows it as
        # the date its format says: so must the buttons read it (issue 21 #7).
        self.sheet.book.dates_as_shown(cells, rows)
        if self.ndim == 2:
            return rows
        if len(rows) == 1 and len(rows[0]) == 1:
            return rows[0][0]
        if len(rows) == 1:
            return rows[0]
        if all(len(r) == 1 for r in rows):
            return [r[0] for r in rows]
        return rows

    @value.setter
    def value(self, data: Any) -> None:
        """Write a scalar, a row (1-D list) or rows (2-D list) from the range's top-left cell."""
        if not isinstance(data, (list, tuple)):
            data = [[data]]
        elif not data or not isinstance(data[0], (list, tuple)):
            data = [list(data)]
        width = max((len(r) for r in data), default=0)
        if not width:
            return
        grid = tuple(tuple(_cell_out(v) for v in list(r) + [None] * (width - len(r))) for r in data)
        first_col, first_row, _, _ = bounds(self.ref.split(":")[0])
        last = f"{col_letter(first_col + width - 1)}{first_row + len(grid) - 1}"
        target = f"{col_letter(first_col)}{first_row}:{last}"
        self.sheet.uno.getCellRangeByName(target).setDataArray(grid)


    @property
    def number_format(self) -> str:
        cells = self.sheet.uno.getCellRangeByName(self.ref)
        return self.sheet.book.doc.getNumberFormats().getByKey(cells.NumberFormat).FormatString

    @number_format.setter
    def number_format(self, code: str) -> None:
        """Excel's format code (e.g. "0.00%"), read in an English locale as Excel writes it."""
        self.sheet.uno.getCellRangeByName(self.ref).NumberFormat = self.sheet.book.format_key(code)


class _Sheet:
    def __init__(self, book: "LOBook", uno_sheet: Any):
        self.book = book
        self.uno = uno_sheet

    @property
    def name(self) -> str:
        return self.uno.getName()

    def range(self, ref: str) -> _Range:
        return _Range(self, ref)

    def clear_contents(self) -> None:
        self.uno.clearContents(_CONTENTS)

    def activate(self) -> None:
        controller = self.book.doc.getCurrentController()
        if controller is not None:
            controller.setActiveSheet(self.uno)


class _Sheets:
    def __init__(self, book: "LOBook"):
        self.book = book

    @property
    def _uno(self) -> Any:
        return self.book.doc.getSheets()

    def __len__(self) -> int:
        return self._uno.getCount()

    def __iter__(self):
        sheets = self._uno
        return iter([_Sheet(self.book, sheets.getByIndex(i)) for i in range(sheets.getCount())])

    def __getitem__(self, key: int | str) -> _Sheet:
        sheets = self._uno
        if isinstance(key, int):
            if key < 0:
                key += sheets.getCount()
            return _Sheet(self.book, sheets.getByIndex(key))
        if not sheets.hasByName(key):
            raise KeyError(key)
        return _Sheet(self.book, sheets.getByName(key))

    def add(self, name: str, after: _Sheet | None = None) -> _Sheet:
        sheets = self._uno
        names = list(sheets.getElementNames())
        index = names.index(after.name) + 1 if after is not None else 0
        sheets.insertNewByName(name, index)
        return _Sheet(self.book, sheets.getByName(name))


class _Engine:
    type = "libreoffice"


class _Books:
    def __init__(self, app: "_App"):
        self.app = app

    def open(self, path: str) -> Any:
        """Open a workbook in LibreOffice: visible, unless the calling document is hidden
        (a headless session, where a visible window is not possible)."""
        import uno   # noqa: F401  (only ever called inside LibreOffice)
        from com.sun.star.beans import PropertyValue
        hidden = PropertyValue()
        hidden.Name, hidden.Value = "Hidden", not self.app.visible()
        desktop = self.app.ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", self.app.ctx)
        return desktop.loadComponentFromURL(Path(path).resolve().as_uri(), "_blank", 0, (hidden,))


class _App:
    engine = _Engine()

    def __init__(self, book: "LOBook", ctx: Any, frame: Any):
        self.book = book
        self.ctx = ctx
        self.frame = frame
        self.books = _Books(self)
        self.alerts: list[tuple[str, str]] = []

    def visible(self) -> bool:
        try:
            return bool(self.frame.getContainerWindow().isVisible())
        except Exception:
            return False

    def alert(self, prompt: str, title: str | None = None, **_: Any) -> str:
        """A message box on the document's window (none in a hidden, headless session); every
        alert is also kept in ``alerts`` and, if ``XLPKG_ALERT_LOG`` names a file, logged."""
        title = title or "绩效管理"
        self.alerts.append((title, prompt))
        log = os.environ.get(ALERT_LOG_ENV)
        if log:
            with open(log, "a", encoding="utf-8") as f:
                f.write(json.dumps({"title": title, "message": prompt,
                                    "book": self.book.name}, ensure_ascii=False) + "\n")
        if self.visible():
            from com.sun.star.awt.MessageBoxType import INFOBOX
            toolkit = self.ctx.ServiceManager.createInstanceWithContext("com.sun.star.awt.Toolkit",
                                                                        self.ctx)
            box = toolkit.createMessageBox(self.frame.getContainerWindow(), INFOBOX, 1, title, prompt)
            box.execute()
        return "ok"


# com.sun.star.util.NumberFormat.DATE: set in the Type of every date and date-time format
_DATE_TYPE = 2


class LOBook:
    """An open Calc document as the buttons' Book (see the module docstring)."""

    def __init__(self, doc: Any, ctx: Any = None, frame: Any = None):
        self.doc = doc
        self._date_keys: dict[int, bool] = {}
        if frame is None:
            try:
                frame = doc.getCurrentController().getFrame()
            except Exception:
                frame = None
        self.app = _App(self, ctx, frame)
        self.sheets = _Sheets(self)

    def format_key(self, code: str) -> int:
        import uno   # only ever called inside LibreOffice
        locale = uno.createUnoStruct("com.sun.star.lang.Locale")
        locale.Language, locale.Country = "en", "US"
        formats = self.doc.getNumberFormats()
        key = formats.queryKey(code, locale, False)
        return key if key != -1 else formats.addNew(code, locale)

    def _is_date_format(self, key: int) -> bool:
        known = self._date_keys.get(key)
        if known is None:
            try:
                known = bool(self.doc.getNumberFormats().getByKey(key).Type & _DATE_TYPE)
            except Exception:   # an unknown key: a plain number
                known = False
            self._date_keys[key] = known
        return known

    def _epoch(self) -> datetime.datetime:
        try:
            null = self.doc.NullDate   # 1899-12-30 unless the document says otherwise
            return datetime.datetime(null.Year, null.Month, null.Day)
        except Exception:
            return datetime.datetime(1899, 12, 30)

    def dates_as_shown(self, cells: Any, rows: list[list[Any]]) -> None:
        """Replace, in ``rows`` read from ``cells``, each number whose cell has a date format
        by that date (a ``datetime``), as xlwings returns date cells."""
        epoch = None
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if not isinstance(value, float) or not math.isfinite(value):
                    continue
                if not self._is_date_format(cells.getCellByPosition(c, r).NumberFormat):
                    continue
                epoch = epoch or self._epoch()
                try:
                    day = epoch + datetime.timedelta(seconds=round(value * 86400))
                except OverflowError:
                    continue
                row[c] = day

    @property
    def fullname(self) -> str:
        path = _path_of(self.doc.getURL() or "")
        return str(path) if path is not None else self.name

    @property
    def name(self) -> str:
        path = _path_of(self.doc.getURL() or "")
        if path is not None:
            return path.name
        return self.doc.getTitle() if hasattr(self.doc, "getTitle") else "未命名"

    @property
    def names(self) -> list[_Name]:
        """Workbook-scoped names that refer to cells, written as Excel writes them."""
        out = []
        ranges = self.doc.NamedRanges
        sheets = self.doc.getSheets()
        for name in ranges.getElementNames():
            refers_to = None
            try:
                cells = ranges.getByName(name).getReferredCells()
            except Exception:
                cells = None
            if cells is not None:
                a = cells.getRangeAddress()
                sheet = sheets.getByIndex(a.Sheet).getName()
                start = f"${col_letter(a.StartColumn + 1)}${a.StartRow + 1}"
                end = f"${col_letter(a.EndColumn + 1)}${a.EndRow + 1}"
                refers_to = f"={_quote_sheet(sheet)}!{start}" + ("" if start == end else f":{end}")
            out.append(_Name(name, refers_to))
        return out
