"""The summary's original per-cell writer (XlsxWriter's public API for every cell), kept only
as the reference the fast row writer (xlpkg.summary.rows) is compared against, in
tests/test_fast_rows.py and benchmarks/write_summary.py.

    with per_cell_writer():
        write_summary(consolidation, path)      # written the old way
"""
from __future__ import annotations

import contextlib
import itertools
from unittest import mock

from xlpkg.summary import writer as summary
from xlpkg.cell_text import blank, text
from xlpkg.summary.printing import row_height

TABLE_FONT_PT = 10


def _shown(value, kind: str, links) -> str:
    if blank(value) or isinstance(value, (int, float)) and kind != "text":
        return ""
    return text(links.shown(value)) if kind == "link" else text(value)


def _cell(ws, fmt, r: int, c: int, value, kind: str, links, is_total: bool) -> None:
    if blank(value):
        if is_total:
            ws.write_blank(r, c, None, fmt.total["text"])
        return
    if kind == "link":
        url = links.url(value)
        shown = text(links.shown(value))
        if url:
            ws.write_url(r, c, url, fmt.link, string=shown, tip="打开项目表")
        else:
            ws.write_string(r, c, shown, fmt.text)
        return
    if isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, (int, float)) and kind != "text":
        style = fmt.total.get(kind, fmt.total["text"]) if is_total else getattr(fmt, kind)
        ws.write_number(r, c, value, style)
    else:
        ws.write_string(r, c, text(value), fmt.total["text"] if is_total else fmt.text)


def write_table_rows(ws, fmt, kinds, widths, chunks, links, total_label) -> None:
    wrapped = [c for c, kind in enumerate(kinds) if kind in ("text", "link")]
    data = [list(itertools.chain.from_iterable(column)) for column in zip(*chunks)] \
        or [[] for _ in kinds]
    for r, row in enumerate(zip(*data), start=1):
        is_total = total_label is not None and row[0] == total_label
        height = row_height([(_shown(row[c], kinds[c], links), widths[c], TABLE_FONT_PT)
                             for c in wrapped])
        if height:
            ws.set_row(r, height)
        for c, value in enumerate(row):
            _cell(ws, fmt, r, c, value, kinds[c], links, is_total)


def write_rows(ws, rows, first_row: int) -> int:
    r = first_row
    for height, values in rows:
        if height:
            ws.set_row(r, height)
        for c, cell in enumerate(values):
            if cell is None:
                continue
            value, cell_format = cell
            if isinstance(value, str):
                ws.write_string(r, c, value, cell_format)
            else:
                ws.write_number(r, c, value, cell_format)
        r += 1
    return r


@contextlib.contextmanager
def per_cell_writer():
    """``write_summary`` writes every cell through XlsxWriter's public API, as it used to."""
    with mock.patch.object(summary, "write_table_rows", write_table_rows), \
            mock.patch.object(summary, "write_rows", write_rows):
        yield
