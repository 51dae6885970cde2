"""A plain stand-in for the Book interface the buttons use, over an openpyxl workbook.

No xlwings at all (and so no xlwings PRO): it proves the buttons' logic with nothing but the
interface ``xlpkg.buttons`` documents (names, sheets, ranges' values, clear, add, alerts).
"""
from __future__ import annotations

from pathlib import Path

import openpyxl

from xlpkg.cellref import bounds, col_letter


class _Range:
    def __init__(self, ws, ref, ndim=None):
        self.ws, self.ref, self.ndim = ws, ref.replace("$", ""), ndim

    def options(self, ndim=None, **_):
        return _Range(self.ws, self.ref, ndim)

    @property
    def value(self):
        c1, r1, c2, r2 = bounds(self.ref)
        rows = [[self.ws.cell(r, c).value for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
        if self.ndim == 2:
            return rows
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows

    @value.setter
    def value(self, data):
        if not isinstance(data, list):
            data = [[data]]
        elif data and not isinstance(data[0], list):
            data = [data]
        c1, r1, _, _ = bounds(self.ref.split(":")[0])
        for i, row in enumerate(data):
            for j, v in enumerate(row):
                if isinstance(v, str) and v[:1] == "'" and v[1:2] in ("=", "+", "-", "@"):
                    v = v[1:]    # Excel's rule: the apostrophe means "as text"
                self.ws.cell(r1 + i, c1 + j).value = v


class _Sheet:
    def __init__(self, book, ws):
        self.book, self.ws = book, ws

    @property
    def name(self):
        return self.ws.title

    def range(self, ref):
        return _Range(self.ws, ref)

    def clear_contents(self):
        for row in self.ws.iter_rows():
            for cell in row:
                cell.value = None

    def activate(self):
        self.book.wb.active = self.book.wb.worksheets.index(self.ws)


class _Sheets:
    def __init__(self, book):
        self.book = book

    def __iter__(self):
        return iter([_Sheet(self.book, ws) for ws in self.book.wb.worksheets])

    def __len__(self):
        return len(self.book.wb.worksheets)

    def __getitem__(self, key):
        ws = self.book.wb.worksheets[key] if isinstance(key, int) else self.book.wb[key]
        return _Sheet(self.book, ws)

    def add(self, name, after=None):
        index = self.book.wb.worksheets.index(after.ws) + 1 if after is not None else 0
        return _Sheet(self.book, self.book.wb.create_sheet(name, index))


class _Name:
    def __init__(self, name, refers_to):
        self.name, self.refers_to = name, refers_to


class _App:
    class engine:
        type = "plain"

    def __init__(self):
        self.alerts, self.opened = [], []
        self.books = self

    def alert(self, prompt, title=None, **_):
        self.alerts.append((title, prompt))

    def open(self, path):
        self.opened.append(path)


class PlainBook:
    def __init__(self, path: Path):
        self.path = Path(path)
        # values as a spreadsheet shows them (formula cells: their cached result); never saved
        self.wb = openpyxl.load_workbook(path, data_only=True)
        self.sheets = _Sheets(self)
        self.app = _App()

    @property
    def name(self):
        return self.path.name

    @property
    def fullname(self):
        return str(self.path)

    @property
    def names(self):
        return [_Name(n, "=" + d.attr_text) for n, d in self.wb.defined_names.items()]

