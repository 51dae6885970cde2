"""Word tables and body order, for reading (merges resolved) and writing (widths, merges, fonts).

python-docx gives a table's rows, but real documents need more care: a horizontally merged cell
covers several grid columns, a vertically merged one continues into later rows (its text lives
in the first), a row may start after the first grid column, and a table split across pages
starts with "continue" cells that have nothing above them. ``grid`` turns a table into a
rectangle of ``GridCell`` so that the importer can address columns by position.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Iterator

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from .text import clean

CJK_FONT = "宋体"
LATIN_FONT = "Times New Roman"


# --- reading -----------------------------------------------------------------

@dataclass(frozen=True)
class GridCell:
    text: str         # cleaned text of the cell that covers this grid position
    ident: int        # the same for every grid position (and row) one merged cell covers
    column: int       # first grid column of that cell in its row


EMPTY = GridCell("", -1, -1)   # a position no cell covers (gridBefore, a merge cut off above)
PAD = GridCell("", -2, -1)     # after a row's last cell, where the row is shorter than the grid


def block_items(doc) -> Iterator[Paragraph | Table]:
    """Paragraphs and tables of the body in reading order (content controls opened up)."""
    def walk(parent):
        for child in parent.iterchildren():
            if child.tag == qn("w:p"):
                yield Paragraph(child, doc)
            elif child.tag == qn("w:tbl"):
                yield Table(child, doc)
            elif child.tag == qn("w:sdt"):
                content = child.find(qn("w:sdtContent"))
                if content is not None:
                    yield from walk(content)
    yield from walk(doc.element.body)


# Word's own limit is 63 columns; a count beyond it in the XML is damage or an attack (a
# gridBefore of 10^8 would otherwise become a list of 10^8 cells).
MAX_COLUMNS = 63
# Grid positions of one table, padding included: a form is ~40 rows of 6, a hundred forms in
# one table ~25,000; rows of empty cells must not become millions of positions either.
MAX_CELLS = 1_000_000


class TableTooWide(ValueError):
    """A row whose declared columns exceed ``MAX_COLUMNS`` (Chinese message, 1-based row)."""

    def __init__(self, row: int, columns: int) -> None:
        super().__init__(f"第{row}行声明了{columns}列，超过 Word 表格的上限{MAX_COLUMNS}列，"
                         "文档已损坏或被改动过，此表格未读取")
        self.row = row


class TableTooLarge(TableTooWide):
    def __init__(self, row: int, cells: int) -> None:
        ValueError.__init__(self, f"到第{row}行已有{cells}个单元格位置，超过上限{MAX_CELLS}，"
                                  "文档已损坏或被改动过，此表格未读取")
        self.row = row


def _count(value) -> int:
    """A count from the XML (gridSpan, gridBefore): anything unreadable counts as 0."""
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError, OverflowError):
        return 0


def _span(tc) -> int:
    try:
        return max(1, _count(tc.grid_span))
    except (TypeError, ValueError, AttributeError):
        return 1


def _before(tr) -> int:
    try:
        return _count(tr.grid_before)
    except (TypeError, ValueError, AttributeError):
        return 0


def grid(table: Table) -> list[list[GridCell]]:
    """The table as rows of equal length; merged cells repeated over the positions they cover.

    Raises ``TableTooWide`` before a row grows past ``MAX_COLUMNS``, ``TableTooLarge`` before
    the table passes ``MAX_CELLS`` positions."""
    rows: list[list[GridCell]] = []
    # A serial number, not id(tc): lxml proxies are made on access and their ids are reused.
    serial = itertools.count()
    width = 0
    for number, tr in enumerate(table._tbl.tr_lst, 1):
        before = _before(tr)
        if before > MAX_COLUMNS:
            raise TableTooWide(number, before)
        row: list[GridCell] = [EMPTY] * before
        for tc in tr.tc_lst:
            span, col = _span(tc), len(row)
            if col + span > MAX_COLUMNS:
                raise TableTooWide(number, col + span)
            if tc.vMerge == "continue":
                above = rows[-1][col] if rows and col < len(rows[-1]) else EMPTY
                row.extend([above] * span)
                continue
            cell = GridCell(clean(_Cell(tc, table).text), next(serial), col)
            row.extend([cell] * span)
        width = max(width, len(row))
        if width * (len(rows) + 1) > MAX_CELLS:
            raise TableTooLarge(number, width * (len(rows) + 1))
        rows.append(row)
    return [r + [PAD] * (width - len(r)) for r in rows]


def distinct(row: list[GridCell]) -> list[GridCell]:
    """A row's cells once each, left to right (a merged cell counted at its first column)."""
    seen, out = set(), []
    for cell in row:
        if cell.ident in seen:
            continue
        if cell.ident >= 0:
            seen.add(cell.ident)
        out.append(cell)
    return out


# --- writing -----------------------------------------------------------------

def set_run_font(run, size_pt: float | None = None, bold: bool | None = None,
                 east_asia: str | None = None) -> None:
    """Size and weight of a run; the faces come from the styles (``set_style_font``), so one
    setting changes the whole document. ``east_asia`` overrides the Chinese face of this run."""
    if east_asia:
        rpr = run._element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.insert(0, fonts)
        fonts.set(qn("w:eastAsia"), east_asia)
    if size_pt is not None:
        run.font.size = Pt(size_pt)
    if bold is not None:
        run.font.bold = bold


def set_style_font(style, size_pt: float | None = None, east_asia: str = CJK_FONT) -> None:
    style.font.name = LATIN_FONT
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), east_asia if attr == "w:eastAsia" else LATIN_FONT)
    # Themes would override the explicit faces in Word; drop the theme references.
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    # The language picks the fallback face where 宋体 is missing (LibreOffice on Linux): without
    # zh-CN it may draw Chinese with a Japanese CJK font's glyph shapes.
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")
    if size_pt is not None:
        style.font.size = Pt(size_pt)


def write_cell(cell: _Cell, text: str, *, size_pt: float = 10.5, bold: bool = False,
               align=None) -> None:
    """Text into a cell, one paragraph per line (python-docx escapes it: never markup)."""
    lines = (text or "").split("\n") or [""]
    first = cell.paragraphs[0]
    for extra in cell.paragraphs[1:]:
        extra._element.getparent().remove(extra._element)
    for i, line in enumerate(lines):
        paragraph = first if i == 0 else cell.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        run = paragraph.add_run(line)
        set_run_font(run, size_pt, bold)


def set_widths(table: Table, widths_cm: list[float]) -> None:
    """Fixed column widths in both the grid and every cell (Word reads one, LibreOffice the other)."""
    from docx.shared import Cm
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    tbl_pr = table._tbl.tblPr
    layout = tbl_pr.find(qn("w:tblLayout"))
    if layout is None:
        layout = OxmlElement("w:tblLayout")
        tbl_pr.append(layout)
    layout.set(qn("w:type"), "fixed")
    for col, width in zip(table.columns, widths_cm):
        col.width = Cm(width)
    for row in table.rows:
        for idx, cell in enumerate(row.cells):
            if idx < len(widths_cm):
                cell.width = Cm(widths_cm[idx])


def repeat_header(row) -> None:
    """Mark a row to repeat at the top of every page the table runs onto."""
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def keep_row_together(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def repeat_as_header(row) -> None:
    """Repeat ``row`` at the top of every page the table continues on (w:tblHeader). Word and
    LibreOffice repeat only the leading rows of a table, so the row must be its first."""
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def keep_with_next(row) -> None:
    """Keep ``row`` on the page of the row after it (keep-with-next on each of its paragraphs,
    as Word keeps table rows together)."""
    for p in row._tr.iter(qn("w:p")):   # every cell's, a vertical merge's hidden part too
        Paragraph(p, row).paragraph_format.keep_with_next = True


def set_document_defaults(document, east_asia: str = CJK_FONT) -> None:
    """Document-wide defaults in Chinese: python-docx's stock template defaults East Asian text
    to its theme's Japanese face (ＭＳ 明朝), which a style that sets no font falls back to."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")) if defaults is not None else None
    if rpr is None:
        return
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
