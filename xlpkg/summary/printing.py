"""How a summary sheet prints on A4: scale, repeated titles, page breaks and row heights.

The summaries are handed upward on paper, so every sheet must print legibly: no text below
7 pt, a wide table split across pages at sensible column boundaries with its header row and
key columns repeated, and rows tall enough for their wrapped text. Neither Excel nor
LibreOffice sizes rows for wrapped text reliably when a file is opened, so heights are
estimated here from the text and the column width.

Units: column widths in Excel's character units, row heights and fonts in points. Measured
in LibreOffice's PDF (tests/test_print.py): a column of width w prints 7w + 5 points wide at
100 %; Excel prints it narrower (pixels at 96 dpi), so pages planned here fit in both.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

__all__ = ["PrintSpec", "text_units", "wrapped_lines", "row_height", "cell_points", "height_for",
           "printable_units", "column_breaks", "apply_print", "MIN_PRINTED_PT", "SCALE"]

MIN_PRINTED_PT = 7.0
SCALE = 80                       # percent; the smallest font used (9 pt) prints at 7.2 pt
_A4_PT = (595.3, 841.9)
_MARGIN_IN = {"left": 0.4, "right": 0.4, "top": 0.75, "bottom": 0.75}
_PT_PER_UNIT, _PT_PAD = 7, 5     # a column of width w prints 7w + 5 points wide
_LINE = 1.32                     # line height ÷ font size (等线/Noto CJK with leading)
MAX_ROW_PT = 409                 # Excel's limit for a row height
# Page header: the sheet name and page numbers, so loose pages find their way back.
HEADER = '&L&"等线"&10&A&R&"等线"&10第 &P 页，共 &N 页'


def text_units(text: str) -> float:
    """Width of ``text`` in column units at 11 pt: a CJK character is two, ASCII one.

    UTF-8 length is the fast proxy (C speed for 100,000 rows): a CJK character takes three
    bytes, so (bytes − chars) ÷ 2 counts one extra unit per wide character.
    """
    n = len(text)
    return n + (len(text.encode("utf-8")) - n) / 2


def wrapped_lines(text: str, width: float, font_pt: float = 10) -> int:
    """Lines ``text`` needs in a wrapped cell ``width`` units wide."""
    usable = max(1.0, width - 0.8) * 11 / font_pt   # cell padding; smaller fonts fit more
    lines = 0
    for paragraph in str(text).split("\n"):
        units = text_units(paragraph)
        # Words are not split mid-way: allow a little slack for the ragged right edge.
        lines += max(1, math.ceil(units * 1.06 / usable)) if units else 1
    return lines


def cell_points(text: str, width: float, font_pt: float) -> float:
    """Points a wrapped cell needs for ``text``; 0 for an empty one."""
    if not text:
        return 0.0
    if len(text) * 2 <= width - 1 and "\n" not in text:
        lines = 1                        # short: certainly one line (fast path)
    else:
        lines = wrapped_lines(text, width, font_pt)
    return lines * font_pt * _LINE + 3


def height_for(points: float, *, minimum: float = 15) -> float | None:
    """The row height for the tallest cell's ``points``; None = the default height."""
    if points <= minimum:
        return None
    return min(MAX_ROW_PT, math.ceil(points * 4) / 4)


def row_height(cells: Iterable[tuple[str, float, float]], *, minimum: float = 15) -> float | None:
    """Points for a row of (text, column width, font size) wrapped cells; None = default."""
    best = 0.0
    for text, width, font in cells:
        points = cell_points(text, width, font)
        if points > best:
            best = points
    return height_for(best, minimum=minimum)


def printable_units(*, landscape: bool, scale: int = SCALE, margins: dict | None = None) -> float:
    """Column units that fit across one page at ``scale`` percent."""
    m = {**_MARGIN_IN, **(margins or {})}
    paper = _A4_PT[1] if landscape else _A4_PT[0]
    return (paper - (m["left"] + m["right"]) * 72) / (scale / 100) / _PT_PER_UNIT


def _px(width: float) -> float:
    return width * _PT_PER_UNIT + _PT_PAD


def column_breaks(widths: Sequence[float], *, landscape: bool, scale: int = SCALE,
                  titles: tuple[int, int] | None = None,
                  groups: Sequence[tuple[int, int]] = ()) -> list[int]:
    """Columns before which a new page starts, so each page is full but never splits a group
    (a quarter's five columns, say). ``titles`` (first, last) repeat on every later page."""
    page_px = printable_units(landscape=landscape, scale=scale) * _PT_PER_UNIT * 0.98
    title_px = sum(_px(widths[c]) for c in range(titles[0], titles[1] + 1)) if titles else 0
    # Blocks of columns that stay together: the groups, every other column on its own.
    grouped = {c: g for g in groups for c in range(g[0], g[1] + 1)}
    blocks, c = [], 0
    while c < len(widths):
        first, last = grouped.get(c, (c, c))
        blocks.append((first, last))
        c = last + 1
    breaks, used = [], 0.0
    for first, last in blocks:
        width = sum(_px(widths[i]) for i in range(first, last + 1))
        if used and used + width > page_px:
            breaks.append(first)
            used = title_px
        used += width
    return breaks


@dataclass
class PrintSpec:
    landscape: bool = True
    titles: tuple[int, int] | None = None        # key columns repeated on every page
    groups: tuple[tuple[int, int], ...] = ()     # columns that stay on one page
    header_rows: int = 1                         # rows repeated at the top of every page
    scale: int = SCALE


def apply_print(ws, widths: Sequence[float], spec: PrintSpec, *, last_row: int | None = None
                ) -> None:
    """A4 at a fixed legible scale (never fit-to-width, which shrank 35 columns to 2 pt),
    the header row and key columns on every page, page order across then down."""
    ws.set_paper(9)
    if spec.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_print_scale(spec.scale)
    ws.set_margins(**_MARGIN_IN)
    ws.set_header(HEADER)
    if spec.header_rows:
        ws.repeat_rows(0, spec.header_rows - 1)
    if spec.titles:
        ws.repeat_columns(*spec.titles)
    breaks = column_breaks(widths, landscape=spec.landscape, scale=spec.scale,
                           titles=spec.titles, groups=spec.groups)
    if breaks:
        ws.set_v_pagebreaks(breaks)
    ws.print_across()
    if last_row is not None and widths:
        ws.print_area(0, 0, max(last_row, 0), len(widths) - 1)
