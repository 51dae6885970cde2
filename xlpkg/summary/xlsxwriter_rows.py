"""Pre-rendered rows streamed into an XlsxWriter worksheet: the ONLY module that touches
XlsxWriter's private attributes.

Why: writing a summary of 100,000 projects cell by cell through XlsxWriter's public API costs
about 1.5 ms per project (a decorated method call, a tuple and a format lookup per cell, and
a ``row_info`` entry per row kept until the file closes). In constant_memory mode XlsxWriter
writes each finished row's XML to a temporary file (``row_data_fh``) and copies that file
into ``<sheetData>`` on close; rows rendered by ``xlpkg.summary.sheet_xml`` in exactly its format are
appended to the same file. Everything else (formats, dimensions, autofilter, print setup,
protection, hyperlink relationships) stays XlsxWriter's.

The private parts used (as in XlsxWriter 3.3.1; setup.cfg allows any 3.x, so the test below
is the guard, and an older 3.x without ``ignore_write_string`` is refused at run time):
  worksheet: constant_memory, row_data_fh, previous_row, table, _write_single_row(),
             _check_dimensions(), ignore_write_string, default_row_height,
             original_row_height, excel_version
  format:    _get_xf_index(), xf_index, _get_format_key(), xf_format_indices
  workbook:  default_row_height
  module:    xlsxwriter.workbook.ZipFile (``fast_deflate``: the class close() packs with)
``tests/test_fast_rows.py`` writes the same cells both ways and compares the sheet XML byte
for byte; a new XlsxWriter that changes any of this fails that test (and ``RowStream``
refuses a worksheet that lacks these attributes instead of writing a broken file).
"""
from __future__ import annotations

import contextlib
import shutil
import threading
import zipfile
from typing import BinaryIO, Iterator

__all__ = ["RowStream", "RowFile", "RowExtent", "row_pixels_of", "TESTED_VERSIONS",
           "fast_deflate", "DEFLATE_LEVEL"]

TESTED_VERSIONS = ("3.3.1",)   # the versions tests/test_fast_rows.py was last run against
_COPY_BYTES = 1 << 20
_WORKSHEET_PARTS = ("constant_memory", "row_data_fh", "previous_row", "table",
                    "_write_single_row", "_check_dimensions", "ignore_write_string",
                    "default_row_height", "original_row_height", "excel_version")


class RowExtent:
    """The last row written and the farthest column reached, for the worksheet's dimension."""

    last_row: int | None = None
    last_col: int | None = None

    def _reach(self, last_row: int | None, last_col: int | None) -> None:
        if last_row is not None:
            self.last_row = last_row
        if last_col is not None and (self.last_col is None or last_col > self.last_col):
            self.last_col = last_col


class RowStream(RowExtent):
    """Rows appended to a constant_memory worksheet after the cells written through its
    public API (the header). Rows must be written in increasing order; once streaming
    starts, nothing else may be written to this worksheet's cells."""

    def __init__(self, ws, first_row: int):
        missing = [name for name in _WORKSHEET_PARTS if not hasattr(ws, name)]
        if missing or not ws.constant_memory or ws.excel_version != 2007 \
                or ws.default_row_height != ws.original_row_height:
            import xlsxwriter

            raise RuntimeError(
                f"XlsxWriter {xlsxwriter.__version__} is not supported by xlpkg's fast row "
                f"writer (tested: {', '.join(TESTED_VERSIONS)}); missing: {missing or 'state'}")
        self.ws = ws
        # Flush the rows written through the public API (XlsxWriter keeps the current one in
        # ``table`` until a later row starts).
        if first_row > ws.previous_row:
            ws._write_single_row(first_row)
        self.next_row = first_row
        self.default_pixels = ws.default_row_height
        self._write = ws.row_data_fh.write

    @staticmethod
    def xf(cell_format) -> int:
        """The format's index in styles.xml; assigned on first use, as XlsxWriter does (an
        int is an index already, see ``summary_rows.NumberedFormats``)."""
        if cell_format is None:
            return 0
        if type(cell_format) is int:
            return cell_format
        return cell_format._get_xf_index()

    def link(self, row: int, col: int, url: str, cell_format, tip: str, shown: str) -> bool:
        """Record the hyperlink of a cell this stream writes (the cell itself is rendered by
        the caller). False when XlsxWriter refused it (its per-sheet limit, a bad URL): the
        cell is then not written, as with ``write_url``."""
        ws = self.ws
        ws.previous_row = row            # constant_memory refuses rows before previous_row
        ws.ignore_write_string = True    # as XlsxWriter's own embed_image does
        try:
            return ws.write_url(row, col, url, cell_format, string=shown, tip=tip) == 0
        finally:
            ws.ignore_write_string = False

    def write(self, xml: str, last_row: int, last_col: int) -> None:
        """Rendered rows up to ``last_row`` (whose cells reach column ``last_col``; None =
        rows without cells, such as tall empty ones)."""
        self._write(xml)
        self._reach(last_row, last_col)

    def append(self, rendered: BinaryIO, last_row: int | None, last_col: int | None) -> None:
        """Rows rendered elsewhere (``RowFile``), as UTF-8 bytes from ``rendered``'s current
        position: copied under the text layer, which is flushed first so the order holds."""
        fh = self.ws.row_data_fh
        fh.flush()
        shutil.copyfileobj(rendered, fh.buffer, _COPY_BYTES)
        fh.buffer.flush()
        self._reach(last_row, last_col)

    def close(self, next_row: int) -> None:
        """The worksheet takes over again at ``next_row``: its dimension covers the rows
        written here."""
        ws = self.ws
        # Dimensions as the per-cell calls would have left them: rows and columns separately,
        # since the constant_memory check refuses rows before ``previous_row``.
        if self.last_row is not None:
            ws._check_dimensions(self.last_row, 0, ignore_col=True)
        if self.last_col is not None:
            ws._check_dimensions(0, self.last_col, ignore_row=True)
        ws.previous_row = next_row
        ws.table.clear()


class RowFile(RowExtent):
    """Rows rendered for a worksheet into a file of their own (in another process, see
    ``xlpkg.summary.render_ahead``), later appended with ``RowStream.append``. Formats come as their
    indices; a format object without one is refused, since another process cannot number
    new ones for the workbook. Hyperlinks are refused for the same reason (they live in the
    worksheet)."""

    def __init__(self, fh: BinaryIO, default_pixels: int):
        self.fh, self.default_pixels = fh, default_pixels

    @staticmethod
    def xf(cell_format) -> int:
        if cell_format is None:
            return 0
        if type(cell_format) is int:
            return cell_format
        if cell_format.xf_index is None \
                and cell_format._get_format_key() not in cell_format.xf_format_indices:
            raise RuntimeError("a format without its index: number it before rendering elsewhere")
        return cell_format._get_xf_index()   # the existing index: nothing is assigned

    def link(self, *args) -> bool:
        raise RuntimeError("hyperlinks are written by the worksheet's own process")

    def write(self, xml: str, last_row: int, last_col: int | None) -> None:
        self.fh.write(xml.encode("utf-8"))
        self._reach(last_row, last_col)


def row_pixels_of(wb) -> int:
    """The default row height, in pixels, that the workbook gives each new worksheet (what
    ``RowStream.default_pixels`` will be), known before any worksheet exists."""
    return wb.default_row_height


# zlib's fastest level: a summary of 10,000 projects packed in 60 % of the CPU time of the
# default level 6 (1.24 against 2.05 s), for a file 11 % larger.
DEFLATE_LEVEL = 1
_packing = threading.Lock()   # the class is swapped module-wide: one packing at a time


class _FastZip(zipfile.ZipFile):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("compresslevel", DEFLATE_LEVEL)
        super().__init__(*args, **kwargs)


@contextlib.contextmanager
def fast_deflate() -> Iterator[None]:
    """``Workbook.close()`` inside this block packs the parts at ``DEFLATE_LEVEL``.
    XlsxWriter has no option for it: it builds a ``ZipFile`` named in its own module."""
    import xlsxwriter.workbook as module

    with _packing:
        original = module.ZipFile
        module.ZipFile = _FastZip
        try:
            yield
        finally:
            module.ZipFile = original
