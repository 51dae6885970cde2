"""The summary's long tables, rendered row by row into the worksheet's XML
(``xlpkg.summary.sheet_xml``, streamed by ``xlpkg.summary.xlsxwriter_rows``) instead of through XlsxWriter's
per-cell methods: several times less CPU per project, the same cells in the file.

The cell rules are the ones the summary always had: blanks (None, NaN, inf) are not written
except in a 合计 row, where they carry the total style; text columns hold text (a form's
"=1+1", or a number in a text column, stays a string); a number in a numeric column gets its
column's number format; a source file becomes a ``file:`` link while the sheet allows links;
a row is as tall as its tallest wrapped text (``xlpkg.summary.printing``).
"""
from __future__ import annotations

import math
from itertools import islice
from typing import Any, Iterable, Sequence

from xlsxwriter.utility import xl_col_to_name

from . import sheet_xml as X
from ..cell_text import text as cell_text
from .printing import cell_points, height_for
from .xlsxwriter_rows import RowExtent, RowStream

__all__ = ["write_table_rows", "write_rows", "render_table_rows", "render_rows", "NumberedFormats",
           "column_chunks", "TABLE_FONT_PT", "LINK_TIP"]

TABLE_FONT_PT = 10
LINK_TIP = "打开项目表"
NUMERIC_KINDS = ("money", "percent", "points", "score", "int", "unit_cost")
_BATCH_CHARS = 1 << 18      # rendered XML handed to the file at a time (bounded memory)
# Texts that repeat (department names, indicator levels, units) are rendered once per column;
# only short ones are remembered, and a full cache starts over, so memory stays small.
_CACHE_ENTRIES, _CACHE_TEXT = 4096, 200
_isfinite = math.isfinite


class _Batch(RowExtent):
    """Rendered rows collected into large writes."""

    def __init__(self, stream: RowStream):
        self.stream, self.parts, self.size = stream, [], 0

    def add(self, xml: str, row: int, last_col: int | None) -> None:
        self.parts.append(xml)
        self.size += len(xml)
        self._reach(row, last_col)
        if self.size >= _BATCH_CHARS:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.stream.write("".join(self.parts), self.last_row, self.last_col)
            self.parts, self.size = [], 0


def _row_xml(r: int, cells: list[str], height: float | None, default_pixels: int) -> str | None:
    """A row with its cells; None for a row without any (XlsxWriter's constant_memory mode
    never writes those, whatever their height)."""
    if not cells:
        return None
    pixels = X.row_pixels(height) if height else None
    return f"{X.row_start(r, pixels, default_pixels)}>{''.join(cells)}</row>"


class _Cells:
    """Any cell of a table, by the summary's rules (the slow, general path)."""

    def __init__(self, stream: RowStream, fmt, kinds: Sequence[str], widths: Sequence[float],
                 links):
        self.stream, self.fmt, self.kinds, self.widths, self.links = (
            stream, fmt, kinds, widths, links)

    def shown(self, value: Any, kind: str) -> str:
        """The text a wrapped cell shows (for its row height)."""
        if value is None or isinstance(value, float) and not _isfinite(value) \
                or isinstance(value, (int, float)) and kind != "text":
            return ""
        return cell_text(self.links.shown(value)) if kind == "link" else cell_text(value)

    def cell(self, r: int, c: int, ref: str, value: Any, is_total: bool
             ) -> tuple[str | None, float]:
        """The cell's XML (None = no cell) and the points its text needs."""
        kind, fmt, xf = self.kinds[c], self.fmt, self.stream.xf
        shown = self.shown(value, kind) if kind in ("text", "link") else ""
        points = cell_points(shown, self.widths[c], TABLE_FONT_PT) if shown else 0.0
        if value is None or isinstance(value, float) and not _isfinite(value):
            return (X.blank(ref, xf(fmt.total["text"])) if is_total else None), points
        if kind == "link":
            url = self.links.url(value)
            if not shown:   # a number or bool as a path: shown() left it out of the height
                shown = cell_text(self.links.shown(value))
            if not url:
                return X.inline_string(ref, xf(fmt.text), shown), points
            if not self.stream.link(r, c, url, fmt.link, LINK_TIP, shown):
                return None, points
            return X.inline_string(ref, xf(fmt.link), shown), points
        if isinstance(value, bool):
            return X.boolean(ref, 0, value), points
        if isinstance(value, (int, float)) and kind != "text":
            style = fmt.total.get(kind, fmt.total["text"]) if is_total else getattr(fmt, kind)
            return X.number(ref, xf(style), value), points
        style = fmt.total["text"] if is_total else fmt.text
        return X.inline_string(ref, xf(style), cell_text(value)), points


class NumberedFormats:
    """The formats a table's rows use, as their indices in the workbook: what a process
    without the workbook (``xlpkg.summary.render_ahead``) renders with. Same attribute names as the
    summary's formats (``text``, ``link``, one per numeric kind, ``total`` = none: a table
    with a 合计 row is rendered by the workbook's own process)."""

    def __init__(self, fmt, kinds: Sequence[str], *, used: bool = True):
        # RowStream.xf numbers a format on first use, as XlsxWriter does; a table without
        # rows uses none, and the workbook then lists none it never uses.
        xf = RowStream.xf if used else (lambda cell_format: 0)
        self.text = xf(fmt.text)
        for kind in dict.fromkeys(kinds):
            if kind in NUMERIC_KINDS:
                setattr(self, kind, xf(getattr(fmt, kind)))
        if "link" in kinds:
            self.link = xf(fmt.link)
        self.total: dict[str, int] = {}


def column_chunks(table, rows: int = 4096) -> Iterable[list[list]]:
    """A table's values as plain Python lists (no numpy scalars), one list per column, a few
    thousand rows at a time: a province's 指标明细 as Python objects at once is gigabytes.
    ``table``: a DataFrame, or rows that iterate in order (``xlpkg.consolidate.spool.SpooledTable``)."""
    columns = list(table.columns)
    if hasattr(table, "iloc"):
        for start in range(0, len(table), rows):
            part = table.iloc[start:start + rows]
            yield [part[c].tolist() for c in columns]
        return
    it = iter(table)
    while batch := list(islice(it, rows)):
        yield [list(values) for values in zip(*batch)]


def write_table_rows(ws, fmt, kinds: Sequence[str], widths: Sequence[float],
                     chunks: Iterable[list[list]], links, total_label: str | None) -> None:
    """Rows 1… of a table whose header row 0 XlsxWriter has written: ``chunks`` yields the
    rows in order, as one list per column (``column_chunks``), ``kinds`` is each column's
    style (text/link/money/percent/points/score/int)."""
    stream = RowStream(ws, 1)
    stream.close(render_table_rows(stream, fmt, kinds, widths, chunks, links, total_label) + 1)


def render_table_rows(stream, fmt, kinds: Sequence[str], widths: Sequence[float],
                      chunks: Iterable[list[list]], links, total_label: str | None) -> int:
    """``write_table_rows`` into ``stream`` (a ``RowStream``, or a ``RowFile`` rendering in
    another process); returns the last row written (0: none).

    The common cells (a str in a text column, a finite int/float in a numeric column, a
    blank outside a 合计 row) take the fast path below; every other cell, and every cell of
    a 合计 row, takes ``_Cells.cell``, which states the rules in full."""
    general = _Cells(stream, fmt, kinds, widths, links)
    letters = [xl_col_to_name(c) for c in range(len(kinds))]
    is_text = [kind == "text" for kind in kinds]
    is_number = [kind in NUMERIC_KINDS for kind in kinds]
    number_format = [getattr(fmt, kind) if kind in NUMERIC_KINDS else None for kind in kinds]
    # Format indices are resolved on first use (XlsxWriter numbers formats in that order).
    number_xf: list[int | None] = [None] * len(kinds)
    text_xf: int | None = None
    caches: list[dict[str, tuple[str, float]]] = [{} for _ in kinds]
    batch = _Batch(stream)
    default_pixels = stream.default_pixels
    string_value, font = X.string_value, TABLE_FONT_PT
    rows = (row for data in chunks for row in zip(*data))
    r = 0
    for r, row in enumerate(rows, start=1):
        num = str(r + 1)
        is_total = total_label is not None and row[0] == total_label
        cells: list[str] = []
        best = 0.0
        last_col = None
        for c, value in enumerate(row):
            cls = value.__class__
            if cls is str and is_text[c] and not is_total:
                cache = caches[c]
                entry = cache.get(value)
                if entry is None:
                    shown = cell_text(value)
                    entry = (string_value(shown), cell_points(shown, widths[c], font))
                    if len(value) <= _CACHE_TEXT:
                        if len(cache) >= _CACHE_ENTRIES:
                            cache.clear()
                        cache[value] = entry
                if text_xf is None:
                    text_xf = stream.xf(fmt.text)
                cells.append(f'<c r="{letters[c]}{num}" s="{text_xf}" t="inlineStr">{entry[0]}')
                if entry[1] > best:
                    best = entry[1]
            elif (cls is float or cls is int) and is_number[c] and not is_total:
                if cls is float and not _isfinite(value):
                    continue
                xf = number_xf[c]
                if xf is None:
                    xf = number_xf[c] = stream.xf(number_format[c])
                cells.append(f'<c r="{letters[c]}{num}" s="{xf}"><v>{value:.16G}</v></c>')
            elif value is None and not is_total:
                continue
            else:
                xml, points = general.cell(r, c, letters[c] + num, value, is_total)
                if points > best:
                    best = points
                if xml is None:
                    continue
                cells.append(xml)
            last_col = c
        xml = _row_xml(r, cells, height_for(best), default_pixels)
        if xml is not None:
            batch.add(xml, r, last_col)
    batch.flush()
    return r


def write_rows(ws, rows: Iterable[tuple[float | None, Sequence[tuple[Any, Any] | None]]],
               first_row: int) -> int:
    """Rows from ``first_row`` on, each (height in points or None, cells); a cell is
    (str or number, format or None), None = no cell. For sheets whose rows are built by
    their own rules (the goals, the data sheet). Returns the row after the last."""
    stream = RowStream(ws, first_row)
    r = render_rows(stream, rows, first_row)
    stream.close(r)
    return r


def render_rows(stream, rows: Iterable[tuple[float | None, Sequence[tuple[Any, Any] | None]]],
                first_row: int) -> int:
    """``write_rows`` into ``stream`` (see ``render_table_rows``); returns the row after the last."""
    batch = _Batch(stream)
    letters: list[str] = []
    default_pixels = stream.default_pixels
    xf = stream.xf
    r = first_row
    for height, values in rows:
        while len(letters) < len(values):
            letters.append(xl_col_to_name(len(letters)))
        num = str(r + 1)
        cells = []
        last_col = None
        for c, cell in enumerate(values):
            if cell is None:
                continue
            value, cell_format = cell
            if isinstance(value, str):
                cells.append(X.inline_string(letters[c] + num, xf(cell_format), value))
            else:
                cells.append(X.number(letters[c] + num, xf(cell_format), value))
            last_col = c
        xml = _row_xml(r, cells, height, default_pixels)
        if xml is not None:
            batch.add(xml, r, last_col)
        r += 1
    batch.flush()
    return r
