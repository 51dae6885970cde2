"""A cell source over a live workbook seen through the xlwings ``Book`` API.

The reader takes any ``xlpkg.sources.CellSource``; this one reads an open workbook (classic
xlwings on Windows/macOS, or the remote/Office.js engine's ``xw.Book(json=...)``), so the
ribbon buttons check what the accountant sees, unsaved edits included.

Duck-typed on purpose: it only uses ``book.names`` (``name``, ``refers_to``), ``book.sheets``
(``name``, ``range(ref).options(ndim=2).value``), the subset every xlwings engine has, and it
never imports xlwings, so the core stays free of it.
"""
from __future__ import annotations

from typing import Any

from .cells import plain_value, parse_name_target

__all__ = ["BookSource"]


class BookSource:
    """``CellSource`` over an xlwings ``Book`` (or anything with the same few attributes)."""

    def __init__(self, book: Any):
        self.book = book
        self._names: dict[str, tuple[str, str]] | None = None

    def defined_names(self) -> dict[str, tuple[str, str]]:
        """Workbook-scoped names that point at one rectangular range.

        Sheet-scoped names ("Sheet!Name"), constants, formulas and broken references are left
        out, as the file sources leave them out.
        """
        if self._names is None:
            out: dict[str, tuple[str, str]] = {}
            for name in self.book.names:
                try:
                    key, refers_to = name.name, name.refers_to
                except Exception:   # an engine that cannot resolve a broken name
                    continue
                if not key or "!" in key or not refers_to:
                    continue
                target = parse_name_target(str(refers_to).lstrip("="))
                if target:
                    out[key] = target
            self._names = out
        return dict(self._names)

    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.book.sheets]

    def range_values(self, sheet: str, ref: str) -> list[list[Any]]:
        values = self.book.sheets[sheet].range(ref).options(ndim=2).value
        return [[plain_value(v) for v in row] for row in values]
