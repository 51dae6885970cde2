"""The summary's fast row writer (xlpkg.summary.rows) writes what the per-cell XlsxWriter
writer wrote: the same cells, styles, row heights and links, for hostile texts too; and the
XlsxWriter internals it relies on (xlpkg.summary.xlsxwriter_rows) still behave as it assumes."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
import zipfile
from xml.etree import ElementTree

import pandas as pd
import pytest
import xlsxwriter
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from legacy_summary_writer import per_cell_writer
from test_summary import _consolidation
from xlpkg.summary import sheet_xml as X
from xlpkg.cell_text import encodable
from xlpkg.consolidate import TOTAL_LABEL
from xlpkg.consolidate.spool import SpooledTable
from xlpkg.summary import write_summary
from xlpkg.summary.xlsxwriter_rows import TESTED_VERSIONS, RowStream

CREATED = dt.datetime(2022, 1, 1)
LONG = "长" * 32768
NASTY = ["ctrl\x01\x07\x1f end", "_x0041_ stays literal", "=1+1", '=HYPERLINK("http://x","y")',
         "<&>\"'", "emoji 😀👍", " leading", "trailing ", "\u3000全角", "two\nlines",
         "\ufffe\uffff", "lone \udcff surrogate", LONG, "😀" * 20000, "", None, float("nan"),
         float("inf"), -float("inf"), True, False, 7, 3.25, -0.0, 1e20, 12345678901234567]
PATHS = ["/data/forms/\udcff\udcfe名.xlsx", "/data/forms/a&b <c>.xlsx", None, "",
         "/data/forms/_x0041_ .xlsx", "/data/forms/\x01ctrl.xlsx"]


# --- the internals -----------------------------------------------------------------------

def _cells_both_ways(tmp_path):
    """The same sheet written cell by cell and through RowStream; its XML parts."""
    rows = [  # (height, [(kind, value, format name)])
        (None, [("s", "plain", "a"), ("n", 1.5, "b"), ("b", True, None), ("blank", None, "a")]),
        (15.25, [("s", " pad ", "b"), ("n", 12345678901234567, "a")]),   # rounds to 20 px
        (40, []),                         # tall, no cells: constant_memory never writes it
        (None, [("s", encodable(n), "a") for n in NASTY if isinstance(n, str)]),
        (409, [("n", -0.0, None), ("s", "\x00_x005F_", None), ("b", False, "b")]),
        (None, [("link", "FILE:///data/\u540d%20x.xlsx", "a")]),
    ]

    def book(name):
        wb = xlsxwriter.Workbook(str(tmp_path / name), {"constant_memory": True})
        wb.set_properties({"created": CREATED})
        formats = {"a": wb.add_format({"bold": True}), "b": wb.add_format({"num_format": "0.00"}),
                   None: None}
        ws = wb.add_worksheet("t")
        ws.write_string(0, 0, "header", formats["a"])
        return wb, ws, formats

    wb, ws, f = book("public.xlsx")
    for r, (height, cells) in enumerate(rows, start=1):
        if height:
            ws.set_row(r, height)
        for c, (kind, value, fmt) in enumerate(cells):
            {"s": ws.write_string, "n": ws.write_number, "b": ws.write_boolean,
             "blank": ws.write_blank}.get(kind, lambda *a: None)(r, c, value, f[fmt])
            if kind == "link":
                ws.write_url(r, c, value, f[fmt], string="shown", tip="tip")
    wb.close()

    wb, ws, f = book("stream.xlsx")
    stream = RowStream(ws, 1)
    for r, (height, cells) in enumerate(rows, start=1):
        parts = []
        for c, (kind, value, fmt) in enumerate(cells):
            ref = f"{chr(65 + c)}{r + 1}" if c < 26 else f"A{chr(65 + c - 26)}{r + 1}"
            xf = stream.xf(f[fmt])
            if kind == "s":
                parts.append(X.inline_string(ref, xf, value))
            elif kind == "n":
                parts.append(X.number(ref, xf, value))
            elif kind == "b":
                parts.append(X.boolean(ref, xf, value))
            elif kind == "blank":
                parts.append(X.blank(ref, xf))
            else:
                assert stream.link(r, c, value, f[fmt], "tip", "shown")
                parts.append(X.inline_string(ref, xf, "shown"))
        pixels = X.row_pixels(height) if height else None
        start = X.row_start(r, pixels, ws.default_row_height)
        if parts:
            stream.write(f"{start}>{''.join(parts)}</row>", r, len(cells) - 1)
    stream.close(len(rows) + 1)
    wb.close()
    return [{n: z.read(n) for n in z.namelist()}
            for z in (zipfile.ZipFile(tmp_path / "public.xlsx"),
                      zipfile.ZipFile(tmp_path / "stream.xlsx"))]


def test_xlsxwriter_internals_are_as_the_row_stream_assumes(tmp_path):
    public, streamed = _cells_both_ways(tmp_path)
    hint = (f"XlsxWriter {xlsxwriter.__version__} writes rows differently from the version "
            f"xlpkg.summary.xlsxwriter_rows was written for ({', '.join(TESTED_VERSIONS)}): update "
            "xlpkg/sheet_xml.py and xlpkg/xlsxwriter_rows.py, or pin XlsxWriter")
    assert public.keys() == streamed.keys(), hint
    for name in public:
        assert public[name] == streamed[name], f"{name}: {hint}"


def test_row_stream_refuses_a_worksheet_without_constant_memory(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    with pytest.raises(RuntimeError, match="not supported"):
        RowStream(wb.add_worksheet(), 1)
    wb.close()



def test_fast_deflate_packs_at_the_fast_level_and_puts_the_class_back(tmp_path):
    import xlsxwriter.workbook

    from xlpkg.summary.xlsxwriter_rows import DEFLATE_LEVEL, fast_deflate

    original = xlsxwriter.workbook.ZipFile
    sizes = {}
    for fast in (False, True):
        wb = xlsxwriter.Workbook(str(tmp_path / f"{fast}.xlsx"), {"constant_memory": True})
        ws = wb.add_worksheet()
        for r in range(3000):
            ws.write_row(r, 0, [f"项目{r % 97}", r * 1.5, "说明文字" * (r % 5)])
        with fast_deflate() if fast else contextlib.nullcontext():
            wb.close()
        assert xlsxwriter.workbook.ZipFile is original
        with zipfile.ZipFile(tmp_path / f"{fast}.xlsx") as z:
            sheet = z.getinfo("xl/worksheets/sheet1.xml")
            sizes[fast] = sheet.compress_size
            assert sheet.compress_type == zipfile.ZIP_DEFLATED
            assert z.read("xl/worksheets/sheet1.xml").count(b"<row ") == 3000
    assert DEFLATE_LEVEL == 1
    assert sizes[True] > sizes[False]   # level 1 packs looser than XlsxWriter's default 6


# --- the summary -------------------------------------------------------------------------

def _cycle(values, n, offset):
    return [values[(i + offset) % len(values)] for i in range(n)]


def _hostile(c):
    """Every table column (but the keys the writer itself reads) full of NASTY values."""
    def spoil(df, keep=()):
        df = df.copy()
        for k, name in enumerate(df.columns):
            if name in keep:
                continue
            values = PATHS if name in ("来源文件", "文件") else NASTY
            df[name] = pd.Series(_cycle(values, len(df), k), index=df.index, dtype=object)
        return df

    projects = spoil(c.projects)
    departments = spoil(c.departments, keep=("部门编码", "部门名称"))
    assert departments["部门编码"].tolist()[-1] == TOTAL_LABEL
    goals = spoil(c.dept_goals, keep=("层级",))
    records = [*c.records, ("ctrl\x01_x0041_", "2022年", "/data/\udcff.xlsx", "z1:AAAA"),
               (" code ", 2022, LONG, "")]
    indicators = spoil(c.indicators)
    indicator_table = SpooledTable(indicators.columns, [list(indicators.itertuples(index=False, name=None))])
    return dataclasses.replace(c, projects=projects, departments=departments,
                               indicator_table=indicator_table, issues=spoil(c.issues),
                               dept_goals=goals, records=records,
                               notes=[*c.notes, *[n for n in NASTY if isinstance(n, str)]])


_XF = re.compile(rb'<cellXfs count="\d+">(.*?)</cellXfs>', re.S)
_STYLE = re.compile(rb' s="(\d+)"')


def _normalized(path):
    """Every part of the file, with cell style numbers replaced by the style they name: the
    fast writer numbers formats in first-use order, which differs for a sheet's last row."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xfs = re.findall(rb"<xf .*?(?:/>|</xf>)", _XF.search(parts["xl/styles.xml"]).group(1))
    for name, data in parts.items():
        if name.startswith("xl/worksheets/sheet"):
            parts[name] = _STYLE.sub(lambda m: b' s="' + xfs[int(m.group(1))] + b'"', data)
    parts["xl/styles.xml"] = _XF.sub(b"", parts["xl/styles.xml"])
    return parts, sorted(xfs)


def _cells(path):
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None and not cell.has_style:
                    continue
                cells[cell.coordinate] = (
                    cell.value, cell.data_type, cell.number_format, repr(cell.font),
                    repr(cell.fill), repr(cell.border), repr(cell.alignment),
                    cell.hyperlink.target if cell.hyperlink else None,
                    cell.hyperlink.tooltip if cell.hyperlink else None)
        heights = {r: d.height for r, d in ws.row_dimensions.items() if d.height}
        out[ws.title] = (cells, heights, ws.freeze_panes, ws.auto_filter.ref, ws.print_title_rows,
                         ws.print_title_cols, ws.print_area, ws.dimensions, ws.sheet_state,
                         ws.protection.sheet)
    return out, dict(wb.defined_names.items()).keys()


@pytest.mark.parametrize("bureau", [False, True])
def test_fast_writer_writes_what_the_per_cell_writer_wrote(tmp_path, bureau):
    c = _consolidation()
    if not bureau:     # the bureau's tables compute from the projects: hostile values only here
        c = _hostile(c)
    fast = write_summary(c, tmp_path / "fast.xlsx", bureau=bureau, _created=CREATED)
    with per_cell_writer():
        slow = write_summary(c, tmp_path / "slow.xlsx", bureau=bureau, _created=CREATED)
    fast_parts, fast_xfs = _normalized(fast)
    slow_parts, slow_xfs = _normalized(slow)
    assert fast_xfs == slow_xfs
    assert fast_parts.keys() == slow_parts.keys()
    for name in slow_parts:
        assert fast_parts[name] == slow_parts[name], name
    assert _cells(fast) == _cells(slow)


def test_hostile_text_is_stored_as_text(tmp_path):
    path = write_summary(_hostile(_consolidation()), tmp_path / "s.xlsx", bureau=False)
    # calamine decodes _xHHHH_ escapes as Excel does (openpyxl leaves them in inline strings)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("项目汇总").to_python()
    values = [v for row in rows[1:] for v in row]
    assert "=1+1" in values and '=HYPERLINK("http://x","y")' in values
    assert "ctrl\x01\x07\x1f end" in values and "_x0041_ stays literal" in values
    assert LONG[:32767] in values and LONG not in values
    assert "lone \ufffd surrogate" in values
    ws = load_workbook(path)["项目汇总"]
    assert all(cell.data_type != "f" for row in ws.iter_rows() for cell in row)


def test_fast_summary_opens_in_libreoffice(tmp_path, libreoffice):
    path = write_summary(_hostile(_consolidation()), tmp_path / "s.xlsx", bureau=False)
    pdf = libreoffice.render_pdf(path, tmp_path / "pdf")
    assert pdf.stat().st_size > 10_000
    ElementTree.fromstring(zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml"))
