"""The department summary workbook (部门汇总表): a ``Consolidation`` written as a protected,
filterable workbook with charts, and its empty template.

Written with XlsxWriter in constant_memory mode (formats, sheets, charts, print setup,
protection); the long tables' rows are rendered as XML by ``xlpkg.summary.rows`` and streamed
into the sheets, several times cheaper than a method call per cell. Every text is written as
an inline string, so a form's "=HYPERLINK(...)" stays text. Values only, no formulas: every
number was recomputed in Python from the forms' inputs.
"""
from __future__ import annotations

import datetime as _dt
import errno
import itertools
import ntpath
import os
import posixpath
import shutil
import tempfile
import urllib.parse
import zipfile
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import Any, Iterator

from ..consolidate import DEPT_GOAL_COLUMNS, QUARTER_LABELS, TOTAL_LABEL, Consolidation, build
from .bureau import MAX_CHART_DEPARTMENTS as BUREAU_CHART_DEPARTMENTS
from .bureau import (ATTENTION, BUREAU_CHARTS, BUREAU_SHEETS, GRADES,
                     RANKING, BureauTables, bureau_tables, wants_bureau)
from ..consolidate.multilevel import DATA_NAME, DATA_SHEET, SUMMARY_TEMPLATE_ID, TABLE_NAME, encode_record
from ..consolidate.multilevel import chunks as record_chunks
from ..system.os_errors import os_error_text
from ..rules import Rules, load_rules
from .printing import HEADER as PRINT_HEADER
from .printing import SCALE, PrintSpec, apply_print, row_height
from ..system.safeio import atomic_path
from ..cell_text import blank, text
from .results_sheet import write_results_sheet
from .render_ahead import Deferred, RenderAhead
from .rows import TABLE_FONT_PT, NumberedFormats, column_chunks, render_rows, render_table_rows, write_rows, write_table_rows
from .xlsxwriter_rows import fast_deflate, row_pixels_of
from ..system.safeio import read_entry

__all__ = ["SummaryWriteError", "write_summary", "write_summary_template", "SHEETS", "BUREAU_SHEETS",
           "sheet_order",
           "TEMPLATE_ID", "TEMPLATE_VERSION", "is_xlpkg_summary", "overwrite_problem", "file_url",
           "DEPARTMENTS", "GOALS", "INDICATORS", "ISSUES", "NOTES", "PROJECTS", "SETTINGS",
           "SOURCE_FOLDER_NAME", "notes_frame"]

TEMPLATE_ID = SUMMARY_TEMPLATE_ID   # "xlpkg.department-summary"; multilevel recognises it
TEMPLATE_VERSION = 1
PROJECTS, DEPARTMENTS, INDICATORS, GOALS, ISSUES, NOTES, CHARTS, META = (
    "项目汇总", "部门小计", "指标明细", "部门整体绩效目标", "问题清单", "汇总说明", "图表", "_xlpkg")
SHEETS = (PROJECTS, DEPARTMENTS, INDICATORS, GOALS, ISSUES, NOTES, CHARTS, META, DATA_SHEET)
NOTES_COLUMN = "汇总口径"


def sheet_order(*, bureau: bool) -> tuple[str, ...]:
    """The sheets a summary has, in order: the bureau's tables first when it has them."""
    if not bureau:
        return SHEETS
    charts = SHEETS.index(CHARTS)
    return (*BUREAU_SHEETS[:3], *SHEETS[:charts + 1], BUREAU_SHEETS[3], *SHEETS[charts + 1:])


SETTINGS = "汇总设置"              # only in the template the 汇总 button works in
SOURCE_FOLDER_NAME = "SourceFolder"

EXCEL_MAX_URL = 2079
# Rows below the header on one sheet (Excel's limit is 1,048,576 rows). A province's 指标明细
# (100,000 projects × up to 30 indicators) passes it: the table goes on in sheets of its own.
SHEET_DATA_ROWS = 1_048_575
# Rows of 指标明细 and the data sheet from which a second process renders them while this one
# writes the other sheets (``xlpkg.summary.render_ahead``): about 3,000 projects, where the rendering
# takes a second and starting the process a fifth of one.
PARALLEL_ROWS = 20_000
XLSXWRITER_MAX_LINKS = 65530    # per worksheet
LEGEND_ROW = 3                  # 图表: the series names, in the helper column right of the charts
MAX_CHART_DEPARTMENTS = 8       # more lines than this is a tangle; the 合计 line always shows
# A fixed date keeps the committed template identical to a fresh build.
TEMPLATE_CREATED = _dt.datetime(2022, 1, 1)


class SummaryWriteError(OSError):
    """The summary could not be written; the message is Chinese and says the old file is safe."""


# --- column styles ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Col:
    kind: str      # text / money / percent / points / score / int / link
    width: float


def _column_style(name: str) -> _Col:
    """How a column looks, from its name: the tables' names are the single source."""
    if name == NOTES_COLUMN:
        return _Col("text", 120)
    if name == "来源文件" or name == "文件":
        return _Col("link" if name == "来源文件" else "text", 36)
    if name == "单位成本（万元）":   # 万元 per unit: small amounts need four places
        return _Col("unit_cost", 11)
    if "（万元）" in name:
        return _Col("money", 13)
    if name.endswith("进度") or name.endswith("执行率") or name == "成本控制率":
        return _Col("percent", 11)
    if "百分点" in name:
        return _Col("points", 11)
    if name in ("自评得分", "加权平均得分", "分值", "得分", "部门自评得分", "成本指标加权得分", "评定总分",
                "评定加权平均得分", "自评加权平均得分（评定项目）", "评定与自评之差"):
        return _Col("score", 9)
    if name.endswith("排名"):
        return _Col("int", 6)
    if name.endswith("占比"):
        return _Col("percent", 8)
    if name.endswith("（个）") or name in ("项目数", "问题数", "序号", "年度", "监控月份"):
        return _Col("int", 8)
    wide = {"项目名称": 30, "部门名称": 24, "说明": 60, "偏差原因分析及改进措施": 30,
            "三级指标": 22, "原指标值（文字）": 14, "实际完成值": 12, "内容": 100,
            "项目编码": 17, "单元格": 10, "规则": 24, "工作表": 14, "汇总说明": 30}
    return _Col("text", wide.get(name, 12))


NUMBER_FORMATS = {"money": "#,##0.00", "percent": "0.00%", "points": "0.00", "score": "0.00", "int": "0"}


def column_number_format(name: str) -> str | None:
    """The number format the summary gives a column (None for text): the 汇总 button formats
    the workbench's sheets with it, so both show 98.75%, not 0.987460815047022."""
    return NUMBER_FORMATS.get(_column_style(name).kind)


GOAL_FONT_PT = {"部门": 12, "标题": 11, "分项": 10.5, "正文": 10.5}


class _Formats:
    def __init__(self, wb):
        base = {"font_name": "等线", "font_size": 10, "valign": "vcenter", "border": 1,
                "border_color": "#BFBFBF"}
        make = lambda **kw: wb.add_format({**base, **kw})
        self.header = make(bold=True, bg_color="#DDEBF7", text_wrap=True, align="center")
        self.text = make(text_wrap=True)
        self.link = make(font_color="#0563C1", underline=1, text_wrap=True)
        self.money = make(num_format="#,##0.00")
        self.percent = make(num_format="0.00%")
        self.points = make(num_format="0.00")
        self.score = make(num_format="0.00")
        self.int = make(num_format="0")
        self.unit_cost = make(num_format="0.0000")
        self.total = {k: make(bold=True, bg_color="#F2F2F2", **v) for k, v in (
            ("text", {}), ("money", {"num_format": "#,##0.00"}), ("percent", {"num_format": "0.00%"}),
            ("score", {"num_format": "0.00"}), ("int", {"num_format": "0"}),
            ("points", {"num_format": "0.00"}))}
        plain = {"font_name": "等线", "valign": "top", "text_wrap": True}
        self.goal = {level: wb.add_format({**plain, "bold": level != "正文", "font_size": size})
                     for level, size in GOAL_FONT_PT.items()}
        self.key = wb.add_format({"font_name": "等线", "font_size": 9, "font_color": "#808080",
                                  "valign": "top"})


_blank, _text = blank, text     # the names this module always used


# --- sheets ----------------------------------------------------------------------------

# How each table prints (xlpkg.summary.printing): which columns repeat on every page, which stay
# together, and narrower widths where a table should fit one page across.
def _print_specs(columns: list[str]) -> PrintSpec:
    def at(name: str) -> int:
        return columns.index(name)

    quarters = tuple((at(f"{q}计划进度"), at(f"{q}灯色")) for q in QUARTER_LABELS
                     if f"{q}计划进度" in columns and f"{q}灯色" in columns)
    return PrintSpec(titles=(at("项目编码"), at("项目名称")), groups=quarters, scale=TABLE_SCALE)


# Narrower than on screen where a header may wrap: 项目汇总 prints three pages across.
PRINT_WIDTHS = {
    "部门编码": 8, "部门名称": 14, "项目编码": 15, "项目名称": 16, "资金来源": 8, "年度": 5,
    "执行率": 8, "成本控制率": 8, "自评得分": 6, "自评等级": 5, "问题数": 5, "来源文件": 26,
    "项目数": 5, "加权平均得分": 7,
}


def _print_width(name: str, default: float) -> float:
    if name in PRINT_WIDTHS:
        return PRINT_WIDTHS[name]
    if name.endswith("进度") or "百分点" in name:
        return 8
    if "（万元）" in name:
        return 10 if name.startswith("第") else 11
    if name.endswith("灯色") or name.endswith("（个）"):
        return 6
    return default
INDICATOR_WIDTHS = {   # 18 columns on one landscape page at 72 % (10 pt prints at 7.2 pt)
    "部门编码": 7, "项目编码": 15, "项目名称": 11, "序号": 4, "一级指标": 7, "二级指标": 7,
    "三级指标": 13, "原指标值（文字）": 8, "指标性质": 5, "指标值": 7, "度量单位": 5,
    "实际完成值": 7, "分值": 5.5, "得分": 5.5, "偏差原因": 7, "完成目标可能性": 6,
    "偏差原因分析及改进措施": 11, "评分层级": 6,
}
TABLE_SCALE = 72       # tables are all 10 pt: the smallest scale that prints them at 7.2 pt
ISSUE_WIDTHS = {"文件": 30, "工作表": 12, "单元格": 8, "规则": 20, "严重程度": 7, "说明": 58}


def _department_spec(columns: list[str], rules: Rules) -> PrintSpec:
    grades = [f"{band['grade']}（个）" for band in rules.scoring["grades"]]
    lights = [f"{band['label']}（个）" for band in rules.monitoring["lights"]]
    groups = []
    for block in (grades, lights, [f"{q}计划进度" for q in QUARTER_LABELS],
                  [f"{q}实际进度" for q in QUARTER_LABELS]):
        present = [columns.index(c) for c in block if c in columns]
        if present:
            groups.append((min(present), max(present)))
    return PrintSpec(titles=(0, 1), groups=tuple(groups), scale=TABLE_SCALE)


def _protect(ws) -> None:
    # No password: protection prevents accidents, the numbers come from the forms anyway.
    ws.protect("", {"autofilter": True, "sort": True, "format_columns": True,
                    "format_rows": True})


def file_url(path: str | os.PathLike, *, windows: bool | None = None) -> str | None:
    """A ``file:`` URL for a source file, built from its absolute path and percent-encoded;
    None when the path is not on this computer.

    Only the path the file really has counts: a name such as ``\\\\host\\share\\p.xlsx`` or
    ``mailto:x`` in a folder is encoded as part of that path, so it can never become a UNC
    host, a web address or a mail link (clicking a UNC link on Windows sends credentials).
    A path that itself names another computer (``//host/share/p.xlsx`` stored in a summary,
    ``\\\\host\\share`` or ``\\\\?\\UNC\\…`` on Windows) gets no link at all.
    """
    windows = os.name == "nt" if windows is None else windows
    try:
        text = os.fspath(path)
        if isinstance(text, bytes):
            text = os.fsdecode(text)
        if windows:
            absolute = ntpath.normpath(ntpath.abspath(text) if os.name == "nt" else text)
            if absolute[:2] in ("\\\\", "//", "\\/", "/\\") or not ntpath.splitdrive(absolute)[0]:
                return None   # UNC, device or drive-less: not a local file
            uri = PureWindowsPath(absolute).as_uri()
        else:
            # POSIX keeps a leading "//" (implementation-defined): as a link it names a host
            absolute = posixpath.normpath("/" + os.path.abspath(text).lstrip("/"))
            # from the bytes the file system holds, so a non-UTF-8 name still links
            uri = "file://" + urllib.parse.quote(os.fsencode(absolute))
    except (ValueError, TypeError):
        return None
    if len(uri) > EXCEL_MAX_URL or not uri.startswith("file:///"):
        return None
    # XlsxWriter rewrites "file://" links into Windows paths (a POSIX path becomes relative);
    # schemes are case-insensitive (RFC 3986 §3.1), and the upper-case one is kept verbatim.
    return "FILE:" + uri[len("file:"):]


class _LinkMaker:
    """Hyperlinks to source files (absolute ``file:`` URLs) and the path people read."""

    def __init__(self, out_dir: Path, paths: list[str]):
        self.out_dir = out_dir
        absolute = [p for p in paths if isinstance(p, str) and os.path.isabs(p)]   # a blank cell is None
        try:
            root = os.path.commonpath(absolute) if absolute else ""
        except ValueError:   # different drives on Windows
            root = ""
        if root and len(absolute) == 1:
            root = os.path.dirname(root)
        elif root and os.path.isfile(root):
            root = os.path.dirname(root)
        self.root = root
        self.sheet, self.count = "", 0
        self.unlinked: dict[str, int] = {}   # sheet → paths shown without a link (the cap)

    def start_sheet(self, name: str) -> None:
        """Links are capped per worksheet: count them for ``name`` from here on."""
        self.sheet, self.count = name, 0

    def shown(self, path: str) -> str:
        """The path as a person reads it: relative to the folder all sources share."""
        if self.root and os.path.isabs(path):
            try:
                return os.path.relpath(path, self.root)
            except ValueError:
                return path
        return path

    def url(self, path: str) -> str | None:
        if not path:
            return None
        if self.count >= XLSXWRITER_MAX_LINKS:   # Excel's cap; the path is still shown
            self.unlinked[self.sheet] = self.unlinked.get(self.sheet, 0) + 1
            return None
        url = file_url(path)
        if url:
            self.count += 1
        return url


def continued_name(name: str, part: int) -> str:
    """The sheet holding part ``part`` (0 = the first) of a table too long for one sheet."""
    return name if part == 0 else f"{name}（续{part}）"


def _parts(table, size: int) -> Iterator[tuple[int, Any]]:
    """(part number, rows) of ``table`` cut into pieces of at most ``size`` rows: DataFrame
    slices, or for a ``SpooledTable`` pieces that read on from one pass over its rows."""
    if len(table) <= size:
        yield 0, table
        return
    if hasattr(table, "iloc"):
        for part, start in enumerate(range(0, len(table), size)):
            yield part, table.iloc[start:start + size]
        return
    rows = iter(table)
    for part, start in enumerate(range(0, len(table), size)):
        yield part, _Piece(table.columns, itertools.islice(rows, size), min(size, len(table) - start))


class _Piece:
    """Consecutive rows of a ``SpooledTable``, read once, in order."""

    def __init__(self, columns, rows: Iterator[tuple], count: int):
        self.columns, self._rows, self._count = columns, rows, count

    def __iter__(self) -> Iterator[tuple]:
        return self._rows

    def __len__(self) -> int:
        return self._count


def _table(wb, fmt: _Formats, name: str, df, links: _LinkMaker, *, freeze_cols: int = 0,
           total_first_col: str | None = None, protect: bool = True,
           spec: PrintSpec | None = None, widths: dict[str, float] | None = None,
           rows: Deferred | None = None):
    """A header row and the rows of ``df`` (a DataFrame or a ``SpooledTable``), styled by
    column; protected, frozen, filterable, and printable: rows as tall as their wrapped
    text, titles repeated on every page. Rows past one sheet's limit go on in sheets
    “name（续1）”, “name（续2）” … with the same header. ``rows``: the rows are rendered
    by ``_table_rows`` (which splits them alike), this only makes the sheets."""
    for part, piece in _parts(df, SHEET_DATA_ROWS):
        _table_sheet(wb, fmt, continued_name(name, part), piece, links, freeze_cols=freeze_cols,
                     total_first_col=total_first_col, protect=protect, spec=spec, widths=widths,
                     rows=rows)


def _columns(columns: list[str], widths: dict[str, float] | None) -> tuple[list[str], list[float]]:
    """Each column's kind of cell and its width."""
    styles = [_column_style(c) for c in columns]
    return ([s.kind for s in styles],
            [(widths or {}).get(c, _print_width(c, s.width)) for c, s in zip(columns, styles)])


def _table_rows(df, fmt: _Formats, widths: dict[str, float] | None) -> Deferred:
    """The rows ``_table`` leaves to ``rows``, ready to be rendered in another process: the
    formats they use are numbered now. Not for a table with links or a 合计 row (the
    worksheet's own process writes those)."""
    kinds, width_of = _columns(list(df.columns), widths)
    if "link" in kinds:
        raise ValueError("links are written by the worksheet's own process")
    formats = NumberedFormats(fmt, kinds, used=len(df) > 0)
    return Deferred(_render_table, df, formats, kinds, width_of, SHEET_DATA_ROWS)


def _render_table(sink_for, df, formats, kinds: list[str], width_of: list[float], sheet_rows: int):
    return [render_table_rows(sink_for(part), formats, kinds, width_of, column_chunks(piece),
                              None, None) + 1
            for part, piece in _parts(df, sheet_rows)], None


def _table_sheet(wb, fmt: _Formats, name: str, df, links: _LinkMaker, *, freeze_cols: int,
                 total_first_col: str | None, protect: bool, spec: PrintSpec | None,
                 widths: dict[str, float] | None, rows: Deferred | None):
    ws = wb.add_worksheet(name)
    links.start_sheet(name)
    columns = list(df.columns)
    kinds, width_of = _columns(columns, widths)
    ws.set_row(0, max(30, row_height([(t, w, TABLE_FONT_PT) for t, w in zip(columns, width_of)])
                      or 0))
    for c, title in enumerate(columns):
        ws.set_column(c, c, width_of[c])
        ws.write_string(0, c, _text(title), fmt.header)
    if rows is not None:
        rows.add_sheet(ws)
    else:
        write_table_rows(ws, fmt, kinds, width_of, column_chunks(df), links, total_first_col)
    ws.freeze_panes(1, freeze_cols)
    ws.autofilter(0, 0, len(df), len(columns) - 1)
    apply_print(ws, width_of, spec or PrintSpec(scale=TABLE_SCALE), last_row=len(df))
    if protect:
        _protect(ws)


def notes_frame(consolidation: Consolidation, links: _LinkMaker | None = None):
    """汇总说明 as a one-column table: what the summary sums, what it leaves out and why
    (and, given the writer's ``links``, where paths were left without a hyperlink)."""
    import pandas as pd

    unlinked = [f"“{sheet}”中有{n:,}个文件路径未加超链接：Excel 每个工作表最多{XLSXWRITER_MAX_LINKS:,}个"
                "超链接，其余只显示路径。" for sheet, n in (links.unlinked.items() if links else ())]
    return pd.DataFrame({NOTES_COLUMN: [*getattr(consolidation, "notes", []),
                                        *_continued_notes(consolidation), *unlinked]})


def _continued_notes(c: Consolidation) -> list[str]:
    """Where a table too long for one sheet goes on, said where the reader looks first."""
    out = []
    for name, table in ((INDICATORS, c.indicator_table), (GOALS, c.dept_goals), (ISSUES, c.issues)):
        rows = len(table)
        if rows <= SHEET_DATA_ROWS:
            continue
        last = -(-rows // SHEET_DATA_ROWS) - 1
        where = (f"“{continued_name(name, 1)}”" if last == 1 else
                 f"“{continued_name(name, 1)}”至“{continued_name(name, last)}”")
        out.append(f"{name}共{rows:,}行，超过 Excel 单个工作表的行数上限（{SHEET_DATA_ROWS:,}行），"
                   f"其后各行依次续在{where}工作表中，表头相同。")
    return out


def _goals_sheet(wb, fmt: _Formats, df, protect: bool = True) -> None:
    """The document-like 部门整体绩效目标: one printed line per row in column A (going on in
    sheets of its own past one sheet's limit, as the tables do)."""
    for part, rows in _parts(df, SHEET_DATA_ROWS):
        _goals_part(wb, fmt, continued_name(GOALS, part), rows, protect)


def _goals_part(wb, fmt: _Formats, name: str, df, protect: bool) -> None:
    ws = wb.add_worksheet(name)
    widths = [62, 5, 8, 15]   # one portrait page across at 80 % (9 pt keys print at 7.2 pt)
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    ws.set_row(0, 20)
    for c, title in enumerate(DEPT_GOAL_COLUMNS):
        ws.write_string(0, c, _text(title), fmt.header)

    def rows():
        for goal, level, dept, project in zip(*(df[c].tolist() for c in DEPT_GOAL_COLUMNS)):
            size = GOAL_FONT_PT.get(level, GOAL_FONT_PT["正文"])
            line = _text(goal)
            height = row_height([(line, widths[0], size), (_text(project or ""), widths[3], 9)],
                                minimum=size * 1.5)
            yield height, [(line, fmt.goal.get(level, fmt.goal["正文"])), (_text(level), fmt.key),
                           (_text(dept), fmt.key), (_text(project), fmt.key) if project else None]

    write_rows(ws, rows(), 1)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(df), len(DEPT_GOAL_COLUMNS) - 1)
    apply_print(ws, widths, PrintSpec(landscape=False), last_row=len(df))
    if protect:
        _protect(ws)


def _charts_sheet(wb, fmt: _Formats, departments, rules: Rules) -> None:
    """Planned vs actual cumulative progress per department, and the grade distribution.

    The charts read 部门小计's cells, so the numbers behind a line are the ones in the table.
    """
    ws = wb.add_worksheet(CHARTS)
    columns = list(departments.columns)
    grades = [band["grade"] for band in rules.scoring["grades"]]
    # Category labels: the chart needs them in cells, and "第一季度计划进度" is too long. They
    # sit right of the print area, so no table is ever printed over a chart.
    h = HELPER_COL
    ws.write_string(0, h, "季度", fmt.header)
    for i, label in enumerate(QUARTER_LABELS, start=1):
        ws.write_string(0, h + i, label, fmt.text)
    ws.write_string(1, h, "自评等级", fmt.header)
    for i, grade in enumerate(grades, start=1):
        ws.write_string(1, h + i, _text(grade), fmt.text)

    codes = departments["部门编码"].tolist()
    names = departments["部门名称"].tolist()
    total_row = codes.index(TOTAL_LABEL) + 1
    dept_rows = [i + 1 for i, code in enumerate(codes) if code != TOTAL_LABEL]
    shown = (dept_rows if len(dept_rows) <= MAX_CHART_DEPARTMENTS else []) + [total_row]
    plan_col = columns.index(f"{QUARTER_LABELS[0]}计划进度")
    actual_col = columns.index(f"{QUARTER_LABELS[0]}实际进度")
    palette = ["#4472C4", "#ED7D31", "#70AD47", "#7030A0", "#FFC000", "#5B9BD5", "#C00000",
               "#264478", "#000000"]
    line = wb.add_chart({"type": "line"})
    # Series names come from department names (form text): they are written into cells here
    # and the series point at those cells, so no form text ever becomes part of a chart formula.
    ws.write_string(LEGEND_ROW, h, "图例", fmt.header)
    legend_row = LEGEND_ROW + 1
    for n, row in enumerate(shown):
        label = "全部门合计" if row == total_row else f"{codes[row - 1]} {names[row - 1]}"
        color = palette[-1] if row == total_row else palette[n % (len(palette) - 1)]
        for col, suffix, dash in ((actual_col, "实际", "solid"), (plan_col, "计划", "dash")):
            ws.write_string(legend_row, h, _text(f"{label}（{suffix}）"), fmt.text)
            name_cell = [CHARTS, legend_row, h]
            legend_row += 1
            line.add_series({
                "name": name_cell,
                "categories": [CHARTS, 0, h + 1, 0, h + 4],
                "values": [DEPARTMENTS, row, col, row, col + 3],
                "line": {"color": color, "dash_type": dash, "width": 2},
                "marker": {"type": "circle" if suffix == "实际" else "none",
                           "fill": {"color": color}, "border": {"color": color}},
            })
    line.set_title({"name": "各部门累计支出进度：计划与实际", "name_font": {"size": 12}})
    line.set_y_axis({"num_format": "0%", "min": 0, "max": 1, "major_gridlines": {"visible": True}})
    line.set_legend({"position": "bottom"})
    first_grade = columns.index(f"{grades[0]}（个）")

    bars = wb.add_chart({"type": "column"})
    bars.add_series({"name": "项目数", "categories": [CHARTS, 1, h + 1, 1, h + len(grades)],
                     "values": [DEPARTMENTS, total_row, first_grade, total_row,
                                first_grade + len(grades) - 1],
                     "data_labels": {"value": True}, "fill": {"color": "#4472C4"}})
    bars.set_title({"name": "项目自评等级分布", "name_font": {"size": 12}})
    bars.set_y_axis({"num_format": "0", "min": 0})
    bars.set_legend({"none": True})
    chart_pages(ws, [(line, 1000, 560), (bars, 760, 460)])
    _protect(ws)


HELPER_COL = 20          # charts' label cells: column U, outside the printed area
CHART_PAGE_ROWS = 39     # default 20 px rows: one landscape A4 page at 80 % holds 40


def chart_pages(ws, charts: list[tuple[Any, int, int]]) -> None:
    """One chart per printed page, each whole: anchored at the top of its page with a manual
    break before the next; the print area stops left of the helper cells."""
    for n, (chart, width, height) in enumerate(charts):
        chart.set_size({"width": width, "height": height})
        ws.insert_chart(n * CHART_PAGE_ROWS, 0, chart, {"x_offset": 4, "y_offset": 4,
                                                        "object_position": 3})
    ws.set_h_pagebreaks([n * CHART_PAGE_ROWS for n in range(1, len(charts))])
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_print_scale(SCALE)
    ws.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.75)
    ws.set_header(PRINT_HEADER)
    ws.print_area(0, 0, len(charts) * CHART_PAGE_ROWS - 1, HELPER_COL - 1)


def _meta_sheet(wb, rules: Rules, consolidation: Consolidation, level: str) -> None:
    """Very hidden: tells a reader (and the 汇总 button) what this workbook is. The defined
    names TemplateId/TemplateVersion are how ``xlpkg consolidate`` recognises its own summary
    among the inputs (the same names a project form and a department workbook carry)."""
    ws = wb.add_worksheet(META)
    for r, (key, value) in enumerate((("template_id", TEMPLATE_ID),
                                      ("template_version", TEMPLATE_VERSION),
                                      ("rules_version", rules.data.get("version", "")),
                                      ("rules_source", consolidation.rules_source),
                                      ("summary_level", level))):
        ws.write_string(r, 0, key)
        if isinstance(value, int):
            ws.write_number(r, 1, value)
        else:
            ws.write_string(r, 1, _text(value))
    ws.very_hidden()
    _protect(ws)
    wb.define_name("TemplateId", f"='{META}'!$B$1")
    wb.define_name("TemplateVersion", f"='{META}'!$B$2")


def _data_rows(consolidation: Consolidation) -> Deferred:
    """The data sheet's rows: every counted project's inputs (and each department's
    self-evaluation); ``extra`` is the number of columns they fill."""
    evals = consolidation.dept_evaluations
    evaluations = [] if evals is None else [
        {k: (None if _blank(v) else (v.item() if hasattr(v, "item") else v)) for k, v in row.items()}
        for row in evals.to_dict("records")]
    return Deferred(_render_data, consolidation.records, evaluations)


def _render_data(sink_for, records, evaluations: list[dict]):
    width = [5]

    def rows():
        for code, year, source, record in records:
            parts = record_chunks(record)
            width[0] = max(width[0], 4 + len(parts))
            yield None, [(value, None) for value in (
                "project", _text(code), year if isinstance(year, int) else _text(year),
                _text(source), *parts)]
        for clean in evaluations:
            yield None, [("department", None), (_text(clean["部门编码"]), None), None,
                         (_text(clean["来源文件"] or ""), None),
                         (encode_record({"evaluation": clean}), None)]
    return [render_rows(sink_for(0), rows(), 1)], width[0]


def _data_sheet(wb, rows: Deferred) -> None:
    """Very hidden: every counted project's inputs (and each department's self-evaluation), so
    a bureau that consolidates this summary recomputes the projects instead of trusting rows.
    Its range is named once the rows are written (``_name_data``)."""
    ws = wb.add_worksheet(DATA_SHEET)
    for c, title in enumerate(("类型", "编码", "年度", "来源文件", "数据")):
        ws.write_string(0, c, title)
    rows.add_sheet(ws)
    ws.very_hidden()
    _protect(ws)


def _name_data(wb, rows: Deferred) -> None:
    wb.define_name(DATA_NAME, f"='{DATA_SHEET}'!$A$1:${_col(rows.extra - 1)}${rows.next_rows[0]}")


def _col(index: int) -> str:
    from xlsxwriter.utility import xl_col_to_name

    return xl_col_to_name(index)


def _settings_sheet(wb, fmt: _Formats) -> None:
    """Where the 汇总 button finds the folder of project workbooks (defined name SourceFolder)."""
    ws = wb.add_worksheet(SETTINGS)
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 70)
    title = wb.add_format({"font_name": "等线", "bold": True, "font_size": 14})
    note = wb.add_format({"font_name": "等线", "font_size": 10, "text_wrap": True, "valign": "top"})
    field = wb.add_format({"font_name": "等线", "font_size": 11, "locked": False,
                           "bg_color": "#FFF2CC", "border": 1})
    ws.write_string(0, 0, "部门预算绩效汇总", title)
    ws.write_string(2, 0, "项目工作簿所在文件夹", fmt.header)
    ws.write_blank(2, 1, None, field)
    ws.data_validation(2, 1, 2, 1, {
        "validate": "length", "criteria": ">", "value": 0,
        "input_title": "项目工作簿所在文件夹",
        "input_message": "填写完整路径，如 D:\\绩效\\2022\\项目表；相对路径按本工作簿所在文件夹计算"})
    ws.write_string(4, 0, "使用方法", fmt.header)
    ws.write_string(4, 1, "1. 把各项目的绩效工作簿（.xlsx）放在同一个文件夹（可含子文件夹）。\n"
                          "2. 在上方黄色单元格填写该文件夹。\n"
                          "3. 点击功能区“绩效管理 → 汇总”：本工作簿的各表被更新，完整的“部门汇总.xlsx”"
                          "保存在该文件夹中。\n4. 有问题的文件列在“问题清单”，其余文件照常汇总。", note)
    ws.set_row(4, 75)
    ws.protect("", {"format_columns": True, "format_rows": True})
    wb.define_name(SOURCE_FOLDER_NAME, f"='{SETTINGS}'!$B$3")


def _bureau_tables(wb, fmt: _Formats, t: BureauTables, links: _LinkMaker) -> None:
    """The finance bureau's sheets, first in the workbook: that is what the bureau reads."""
    ranking = t.ranking.assign(部门整体绩效表=[links.shown(p) if isinstance(p, str) else p
                                          for p in t.ranking["部门整体绩效表"].tolist()])
    _table(wb, fmt, RANKING, ranking, links, freeze_cols=3, protect=True,
           widths={"部门名称": 16, "部门整体绩效表": 18}, spec=PrintSpec(titles=(1, 2), scale=TABLE_SCALE))
    _table(wb, fmt, ATTENTION, t.attention, links, freeze_cols=4, protect=True,
           widths={"关注原因": 18, "来源文件": 24, "最近灯色": 9},
           spec=PrintSpec(titles=(2, 3), scale=TABLE_SCALE))
    _table(wb, fmt, GRADES, t.grades, links, freeze_cols=2, protect=True,
           widths={"部门名称": 18}, spec=PrintSpec(titles=(0, 1), scale=TABLE_SCALE))


def _bureau_charts(wb, fmt: _Formats, t: BureauTables, rules: Rules) -> None:
    """Native bar charts over the bureau tables' cells: score, execution rate, grade shares.

    With more departments than a page can show legibly, the lowest-scored ones are charted
    (they are the ones to look at); the title says so."""
    ws = wb.add_worksheet(BUREAU_CHARTS)
    columns = list(t.ranking.columns)
    scored = [i + 1 for i, v in enumerate(t.ranking["加权平均得分"].tolist()) if not _blank(v)]
    rows = scored[-BUREAU_CHART_DEPARTMENTS:] or [1]
    first, last = rows[0], rows[-1]
    note = (f"（得分最低的{len(rows)}个部门）" if len(scored) > len(rows) else "")
    name_col = columns.index("部门名称")
    charts = []
    # labels as precise as the tables (97.71 % and 97.70 % must not both read 98 %); the axis
    # keeps whole numbers
    for column, title, number_format, label_format, color in (
            ("加权平均得分", "各部门项目加权平均得分", "0", "0.00", "#4472C4"),
            ("执行率", "各部门预算执行率", "0%", "0.00%", "#70AD47")):
        col = columns.index(column)
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({"name": column, "categories": [RANKING, first, name_col, last, name_col],
                          "values": [RANKING, first, col, last, col],
                          "fill": {"color": color}, "data_labels": {"value": True,
                                                                     "num_format": label_format}})
        chart.set_title({"name": title + note, "name_font": {"size": 12}})
        chart.set_y_axis({"reverse": True, "interval_unit": 1, "num_font": {"size": 9}})
        chart.set_x_axis({"num_format": number_format, "min": 0,
                          "max": 100 if column == "加权平均得分" else None})
        chart.set_legend({"none": True})
        charts.append((chart, 1000, 740))
    grades = [band["grade"] for band in rules.scoring["grades"]]
    gcols = list(t.grades.columns)
    stacked = wb.add_chart({"type": "bar", "subtype": "percent_stacked"})
    palette = ["#70AD47", "#4472C4", "#FFC000", "#C00000", "#7F7F7F", "#264478"]
    for n, grade in enumerate(grades):
        col = gcols.index(f"{grade}（个）")
        stacked.add_series({"name": [GRADES, 0, col],
                            "categories": [GRADES, first, 1, last, 1],
                            "values": [GRADES, first, col, last, col],
                            "fill": {"color": palette[n % len(palette)]}})
    stacked.set_title({"name": "各部门项目自评等级分布" + note, "name_font": {"size": 12}})
    stacked.set_y_axis({"reverse": True, "interval_unit": 1, "num_font": {"size": 9}})
    stacked.set_x_axis({"num_format": "0%"})
    stacked.set_legend({"position": "bottom"})
    charts.append((stacked, 1000, 740))
    chart_pages(ws, charts)
    _protect(ws)


def _write_book(consolidation: Consolidation, path: Path, rules: Rules, *,
                created: _dt.datetime | None, links: _LinkMaker, workbench: bool = False,
                bureau: bool = False, scratch: str, parallel: bool = False) -> None:
    """``workbench``: the summary template the 汇总 button works in — a settings sheet first,
    and the tables it rewrites left unprotected (Excel refuses writes to protected sheets).
    ``scratch``: a folder of this write's own for row files (XlsxWriter leaves its own behind
    on a failure). ``parallel``: see ``write_summary``."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {
        # Strings are data: never turn them into formulas, numbers or links behind our back.
        "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
        "constant_memory": True, "default_date_format": "yyyy-mm-dd", "tmpdir": scratch,
    })
    props = {"title": "部门预算绩效汇总表", "subject": "预算绩效管理", "author": "xlpkg",
             "comments": f"{TEMPLATE_ID} v{TEMPLATE_VERSION}"}
    if created is not None:
        props["created"] = created
    wb.set_properties(props)
    fmt = _Formats(wb)
    c = consolidation
    locked = not workbench
    if workbench:
        _settings_sheet(wb, fmt)
    tables = bureau_tables(c, rules) if bureau else None
    indicator_rows = _table_rows(c.indicator_table, fmt, INDICATOR_WIDTHS)
    data_rows = _data_rows(c)
    ahead = RenderAhead([indicator_rows, data_rows], row_pixels_of(wb), scratch,
                        parallel=parallel and len(c.indicator_table) + len(c.records) >= PARALLEL_ROWS)
    try:
        _sheets(wb, fmt, c, rules, links, tables, indicator_rows, data_rows, locked=locked,
                kind="workbench" if workbench else ("bureau" if bureau else "department"))
        ahead.finish()
    finally:
        ahead.close()
    _name_data(wb, data_rows)
    wb.define_name(TABLE_NAME, f"='{PROJECTS}'!$A$1:${_col(len(c.projects.columns) - 1)}$"
                               f"{len(c.projects) + 1}")
    wb.worksheets()[0].activate()
    try:
        with fast_deflate():
            wb.close()
    finally:
        # A failed close (disk full) must not be retried by the workbook's __del__, which
        # would print an "Exception ignored" fragment after our own message.
        wb.fileclosed = True


def _sheets(wb, fmt: _Formats, c: Consolidation, rules: Rules, links: _LinkMaker,
            tables: BureauTables | None, indicator_rows: Deferred, data_rows: Deferred, *,
            locked: bool, kind: str) -> None:
    """Every sheet after the settings, in order; the rows of 指标明细 and of the data sheet
    are left to ``indicator_rows`` and ``data_rows``."""
    if tables is not None:
        _bureau_tables(wb, fmt, tables, links)
    _table(wb, fmt, PROJECTS, c.projects, links, freeze_cols=4, protect=locked,
           spec=_print_specs(list(c.projects.columns)))
    _table(wb, fmt, DEPARTMENTS, c.departments, links, freeze_cols=2,
           total_first_col=TOTAL_LABEL, protect=locked,
           spec=_department_spec(list(c.departments.columns), rules))
    _table(wb, fmt, INDICATORS, c.indicator_table, links, freeze_cols=3, protect=locked,
           widths=INDICATOR_WIDTHS, spec=PrintSpec(titles=(1, 2), scale=TABLE_SCALE),
           rows=indicator_rows)
    _goals_sheet(wb, fmt, c.dept_goals, protect=locked)
    _table(wb, fmt, ISSUES, c.issues.assign(文件=[links.shown(p) for p in c.issues["文件"].tolist()]),
           links, protect=locked, widths=ISSUE_WIDTHS)
    _table(wb, fmt, NOTES, notes_frame(c, links), links, protect=locked, widths={NOTES_COLUMN: 130})
    if c.results_application is not None:   # 结果应用: only when earlier years were given
        write_results_sheet(wb, c.results_application.rows, protect=locked)
    _charts_sheet(wb, fmt, c.departments, rules)
    if tables is not None:
        _bureau_charts(wb, fmt, tables, rules)
    _meta_sheet(wb, rules, c, kind)
    _data_sheet(wb, data_rows)


def _release(exc: BaseException) -> None:
    """Let go of what a failed write left open, quietly. On a full disk the zip archive the
    writer was filling is still open in a finished frame; its destructor would retry the
    write at exit and print an "Exception ignored … No space left on device" fragment after
    our own message."""
    import gc
    import sys
    import traceback

    hook = sys.unraisablehook
    sys.unraisablehook = lambda *_: None
    try:
        seen = set()
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            traceback.clear_frames(exc.__traceback__)
            exc.__traceback__ = None
            exc = exc.__context__ or exc.__cause__
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _why(exc: BaseException, path: Path) -> str:
    if isinstance(exc, IsADirectoryError):
        return f"“{path}”是一个文件夹，请指定 .xlsx 文件名"
    if isinstance(exc, PermissionError):
        return "文件可能正在 Excel/WPS 中打开，或没有写入该文件夹的权限；请关闭文件后重试"
    if isinstance(exc, (FileNotFoundError, NotADirectoryError, FileExistsError)):
        if path.parent.is_dir():   # /proc/x.xlsx: the folder exists but takes no new file
            return f"无法在文件夹“{path.parent}”中创建文件（{os_error_text(exc)}）"
        return "目标文件夹不存在或不是文件夹"
    if getattr(exc, "errno", None) == errno.ENOSPC:
        return _space_text(path)
    return os_error_text(exc)


def _space_text(path: Path) -> str:
    """Disk full: which one. The summary is built in the temporary folder first, which is
    often a small disk of its own (/tmp), while the target folder has room to spare."""
    def free(folder) -> str:
        try:
            return f"剩余 {shutil.disk_usage(folder).free / 2**20:,.0f} MB"
        except OSError:
            return "剩余空间未知"
    temp = tempfile.gettempdir()
    return (f"磁盘空间不足（目标文件夹“{path.parent}”{free(path.parent)}，写入时使用的临时文件夹“{temp}”"
            f"{free(temp)}）；请清理磁盘，或将环境变量 TMPDIR（Windows 为 TEMP）设为空间充足的文件夹")


def is_xlpkg_summary(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a summary (or the summary template) that xlpkg wrote: its document
    properties carry the summary's template id. Reads only docProps/core.xml."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("docProps/core.xml")
            if info.file_size > 64 * 1024:
                return False
            core = read_entry(zf, info).decode("utf-8", errors="replace")
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, RuntimeError, EOFError):
        return False
    return f"{TEMPLATE_ID} v" in core


def overwrite_problem(out: str | os.PathLike, inputs=()) -> str | None:
    """Why writing the summary to ``out`` would destroy something, or None.

    The output must not be one of the forms being consolidated, and an existing file is only
    replaced when it is a summary xlpkg wrote: anything else (a project workbook, a report)
    would be lost without a trace.
    """
    out = Path(os.fsdecode(out))
    try:
        target = os.stat(out)
    except (OSError, ValueError):
        target = None   # nothing there yet: it cannot be one of the inputs
    # The same file whatever the path says (symlinks, hard links, "..", case on Windows):
    # one stat per input, and only when the output exists (resolving 100,000 paths took 11 s).
    for p in inputs if target is not None else ():
        try:
            st = os.stat(os.fsdecode(p))
        except (OSError, TypeError, ValueError):
            continue
        if (st.st_dev, st.st_ino) == (target.st_dev, target.st_ino):
            return f"汇总文件“{out}”是参与汇总的项目表之一，不能覆盖；请另指定汇总文件名"
    if out.is_symlink() or out.exists():
        if not out.is_file():
            return None   # a folder or a device: the write itself says why it fails
        if not is_xlpkg_summary(out):
            return (f"“{out}”已存在且不是 xlpkg 生成的汇总表（可能是项目表或其他文件），"
                    "为免覆盖未写入；请另指定汇总文件名，或先移走该文件")
    return None


def write_summary(consolidation: Consolidation, out_path: str | os.PathLike, *,
                  bureau: bool | None = None, parallel: bool = False,
                  _created: _dt.datetime | None = None, _workbench: bool = False) -> Path:
    """Write the summary workbook atomically: a temporary file next to ``out_path``, then a
    rename. On failure the old file is untouched and ``SummaryWriteError`` says why. An
    output that is one of the inputs, or an existing file xlpkg did not write as a summary,
    is refused (``SummaryWriteError``) before anything is written.

    ``bureau``: add the finance bureau's sheets (部门排名, 重点关注项目, 等级分布, 部门对比图);
    None = when the summary spans more than one department or a department workbook was read.
    ``parallel``: a large summary's longest sheets may be rendered by a second Python process
    (``xlpkg.summary.render_ahead``); for a process of xlpkg's own, such as the command line, not
    inside a host program (soffice, Excel). The file is the same either way."""
    if isinstance(out_path, bytes):
        out_path = os.fsdecode(out_path)
    out = Path(out_path)
    if out.suffix.lower() != ".xlsx":
        raise SummaryWriteError(f"汇总文件必须是 .xlsx 文件：{out}")
    problem = overwrite_problem(out, [*consolidation.files_read,
                                      *consolidation.projects["来源文件"].tolist()])
    if problem:
        raise SummaryWriteError(problem)
    evaluations = consolidation.dept_evaluations
    if len(consolidation.projects) + (0 if evaluations is None else len(evaluations)) > SHEET_DATA_ROWS:
        # 项目汇总 and the data sheet (a row per project and per department self-evaluation)
        # are read back by name as one range each: they cannot go on in another sheet.
        raise SummaryWriteError(
            f"项目数量（{len(consolidation.projects):,}个）超过 Excel 单个工作表的行数上限"
            f"（{SHEET_DATA_ROWS:,}行），无法写成一个汇总表；请按地区或部门分批汇总。未写入任何文件。")
    rules = consolidation.rules or load_rules()
    out_dir = out.parent.resolve() if out.parent.exists() else out.parent.absolute()
    links = _LinkMaker(out_dir, consolidation.projects["来源文件"].tolist()
                       + consolidation.issues["文件"].tolist())
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        # XlsxWriter's row files go to a folder of their own, removed even after a failure.
        with atomic_path(out) as tmp, tempfile.TemporaryDirectory(
                prefix="xlpkg-write-", ignore_cleanup_errors=True) as scratch:
            _write_book(consolidation, tmp, rules, created=_created, links=links,
                        workbench=_workbench, scratch=scratch, parallel=parallel,
                        bureau=wants_bureau(consolidation) if bureau is None else bureau)
    except Exception as exc:   # noqa: BLE001 - xlsxwriter wraps OSError in its own types
        cause = exc.__context__ if not isinstance(exc, OSError) and exc.__context__ else exc
        message = f"无法写入汇总文件“{out}”：{_why(cause, out)}。原有文件（如有）未被改动。"
        _release(exc)
        raise SummaryWriteError(message) from None

    return out


def empty_consolidation(rules: Rules | None = None) -> Consolidation:
    return build([], rules or load_rules())


def write_summary_template(path: str | os.PathLike, *, rules: Rules | None = None) -> Path:
    """The empty summary the 汇总 button works in (committed as workbook_templates/部门汇总表.xlsx):
    same code, no rows, plus the 汇总设置 sheet holding SourceFolder."""
    return write_summary(empty_consolidation(rules), path, _created=TEMPLATE_CREATED,
                         _workbench=True)
