"""The summary workbook: sheets and columns, text never becomes a formula, atomic writes,
the committed template, and LibreOffice opening the result."""
from __future__ import annotations

import os
import zipfile
from pathlib import Path
from xml.etree.ElementTree import canonicalize

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from tests.conftest import require_libreoffice
from tests.helpers import ROOT, all_examples, example
from xlpkg.libreoffice import harness as lo
from xlpkg.summary import writer as summary
from xlpkg.consolidate import TOTAL_LABEL, build, outcome_from_project
from xlpkg.rules import load_rules
from xlpkg.summary import SummaryWriteError, write_summary, write_summary_template

TEMPLATE = ROOT / "workbook_templates" / "部门汇总表.xlsx"
TABLES = {"项目汇总": "projects", "部门小计": "departments", "指标明细": "indicators",
          "部门整体绩效目标": "dept_goals", "问题清单": "issues"}
HOSTILE = ['=HYPERLINK("http://evil","点我")', "+1+1", "-2+3", "@SUM(A1:A2)", "=1+1"]


def _consolidation(projects=None, folder="/data/forms"):
    rules = load_rules()
    projects = projects or all_examples()
    return build([outcome_from_project(p, f"{folder}/{p.code}.xlsx", rules) for p in projects],
                 rules, dept_info=[ROOT / "examples" / "departments" / "105002.json"])


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    c = _consolidation()
    path = write_summary(c, tmp_path_factory.mktemp("summary") / "部门汇总.xlsx")
    return c, path


def _hostile_projects():
    projects = []
    for i, text in enumerate(HOSTILE):
        p = example("105004B22DX0001")
        p.code = f"105004B22DX{i + 10:04d}"
        p.name, p.goal = text, text
        p.indicators[0].deviation_cause = text
        p.indicators[0].analysis = text
        p.indicators[0].name = text + "指标"
        projects.append(p)
    return projects


# --- structure ---------------------------------------------------------------------------

def test_sheets_and_headers_are_the_tables_columns(written):
    c, path = written
    wb = load_workbook(path)
    assert wb.sheetnames == list(summary.sheet_order(bureau=True))   # two departments
    assert wb["_xlpkg"].sheet_state == "veryHidden"
    assert wb["_xlpkg"]["B1"].value == summary.TEMPLATE_ID
    for sheet, attr in TABLES.items():
        ws = wb[sheet]
        frame = getattr(c, attr)
        assert [cell.value for cell in ws[1]] == list(frame.columns), sheet
        assert ws.max_row == len(frame) + 1, sheet
        assert ws.freeze_panes and ws.freeze_panes.endswith("2"), sheet
        assert ws.auto_filter.ref, sheet
        assert ws.protection.sheet, sheet


def test_number_formats_and_links(written):
    c, path = written
    ws = load_workbook(path)["项目汇总"]
    header = [cell.value for cell in ws[1]]
    row = {h: ws.cell(2, i + 1) for i, h in enumerate(header)}
    assert row["全年预算数（万元）"].number_format == "#,##0.00"
    assert row["执行率"].number_format == "0.00%"
    assert row["第一季度偏差（百分点）"].number_format == "0.00"
    link = row["来源文件"]
    assert link.value == "105002B16DX0003.xlsx"     # shown relative to the forms' folder
    assert link.hyperlink.target.replace("\\", "/").endswith("/data/forms/105002B16DX0003.xlsx")


def test_links_past_excels_cap_are_counted_per_sheet_and_said(tmp_path, monkeypatch):
    """Excel allows 65,530 hyperlinks per worksheet; a province's 项目汇总 has 100,000 source
    files. Past the cap the path is still shown, and 汇总说明 says how many have no link."""
    monkeypatch.setattr(summary, "XLSXWRITER_MAX_LINKS", 2)
    c = _consolidation()
    book = load_workbook(write_summary(c, tmp_path / "s.xlsx"))
    ws = book["项目汇总"]
    col = [cell.value for cell in ws[1]].index("来源文件") + 1
    cells = [ws.cell(r, col) for r in range(2, ws.max_row + 1)]
    assert [bool(x.hyperlink) for x in cells] == [True, True] + [False] * (len(c.projects) - 2)
    assert all(x.value.endswith(".xlsx") for x in cells)
    links = summary._LinkMaker(tmp_path, [])   # each sheet its own cap (the bureau's come first)
    links.start_sheet("甲")
    assert [bool(links.url(f"/a/{n}.xlsx")) for n in range(3)] == [True, True, False]
    links.start_sheet("乙")
    assert links.url("/a/3.xlsx") and links.unlinked == {"甲": 1}
    notes = [r[0] for r in book["汇总说明"].iter_rows(min_row=2, values_only=True)]
    assert f"“项目汇总”中有{len(c.projects) - 2}个文件路径未加超链接：Excel 每个工作表最多2个超链接，" \
           "其余只显示路径。" in notes


def test_values_read_back_equal_the_frames(written):
    c, path = written
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("部门小计").to_python()
    header, body = rows[0], rows[1:]
    assert header == list(c.departments.columns)
    for got, want in zip(body, c.departments.itertuples(index=False)):
        for g, w in zip(got, want):
            assert g == w or (g == "" and w != w) or (g == "" and w is None) or g == pytest.approx(w)
    assert body[-1][0] == TOTAL_LABEL and body[-1][3] == 3955


def test_charts_read_the_department_table(written):
    _, path = written
    with zipfile.ZipFile(path) as zf:
        charts = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 5   # 图表's two, and 部门对比图's three (two departments)
    line = next(x for x in charts if "<c:lineChart>" in x)
    assert "部门小计" in line
    # series names are cells of 图表 (form text never enters a chart formula: issue 8 #17)
    # ... in the helper column right of the print area, so nothing is printed over a chart
    assert "<c:tx><c:strRef><c:f>图表!$U$" in line
    legend = [r[0] for r in load_workbook(path)["图表"].iter_rows(
        min_row=summary.LEGEND_ROW + 2, min_col=summary.HELPER_COL + 1, max_col=summary.HELPER_COL + 1,
        values_only=True)]
    assert any("105002" in (x or "") for x in legend) and "全部门合计（实际）" in legend
    assert any("<c:barChart>" in x and "部门小计" in x for x in charts)


def test_department_goals_sheet_prints_the_seed_lines(written):
    _, path = written
    ws = load_workbook(path)["部门整体绩效目标"]
    lines = [r[0] for r in ws.iter_rows(min_row=2, max_col=1, values_only=True)]
    assert "（二）加强数据平台建设，推动全面从严治党向纵深发展" in lines
    assert "绩效指标：开发系统数量  系统验收合格率  支出进度  采购成本控制率  设备使用率  助力办案工作程度  使用人员满意率" in lines


# --- nothing injected ----------------------------------------------------------------------

def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    c = _consolidation(_hostile_projects())
    path = write_summary(c, tmp_path / "s.xlsx")
    with zipfile.ZipFile(path) as zf:
        sheets = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any("<f>" in x or "<f " in x for x in sheets)
    wb = load_workbook(path)
    names = [cell for cell in next(wb["项目汇总"].iter_cols(min_col=4, max_col=4, min_row=2))]
    assert [cell.value for cell in names] == HOSTILE
    assert all(cell.data_type == "s" for cell in names)
    goals = [r[0] for r in wb["部门整体绩效目标"].iter_rows(min_row=2, max_col=1, values_only=True)]
    assert all(f"绩效目标：{t}" in goals for t in HOSTILE)
    indicators = wb["指标明细"]
    header = [cell.value for cell in indicators[1]]
    causes = [r[header.index("偏差原因")] for r in indicators.iter_rows(min_row=2, values_only=True)]
    assert [x for x in causes if x] == HOSTILE


# --- atomic writes -------------------------------------------------------------------------

def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".~")]


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "部门汇总.xlsx"
    write_summary(_consolidation(), out)   # only a summary xlpkg wrote may be replaced
    old = out.read_bytes()

    def half_written(consolidation, path, rules, **kw):
        Path(path).write_bytes(b"half")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(summary, "_write_book", half_written)
    with pytest.raises(SummaryWriteError, match="磁盘空间不足.*原有文件"):
        write_summary(_consolidation(), out)
    assert out.read_bytes() == old and _leftovers(tmp_path) == []


def test_locked_target_keeps_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "部门汇总.xlsx"
    write_summary(_consolidation(), out)   # only a summary xlpkg wrote may be replaced
    old = out.read_bytes()

    def locked(src, dst):   # what Windows does while Excel holds the file open
        raise PermissionError(13, "Permission denied", str(dst))
    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(SummaryWriteError, match="正在 Excel/WPS 中打开"):
        write_summary(_consolidation(), out)
    assert out.read_bytes() == old and _leftovers(tmp_path) == []


def test_unwritable_targets_say_why(tmp_path):
    folder = tmp_path / "已存在的文件夹.xlsx"
    folder.mkdir()
    with pytest.raises(SummaryWriteError, match="是一个文件夹"):
        write_summary(_consolidation(), folder)
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(SummaryWriteError, match="不存在或不是文件夹"):
        write_summary(_consolidation(), blocker / "s.xlsx")
    with pytest.raises(SummaryWriteError, match=r"\.xlsx"):
        write_summary(_consolidation(), tmp_path / "s.xls")


def test_replacing_keeps_the_file_mode(tmp_path):
    out = tmp_path / "s.xlsx"
    write_summary(_consolidation(), out)
    out.chmod(0o640)
    write_summary(_consolidation(), out)
    assert out.stat().st_mode & 0o777 == 0o640 and zipfile.is_zipfile(out)


# --- the committed template -------------------------------------------------------------------

def _parts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return {n: canonicalize(zf.read(n).decode("utf-8"), strip_text=True)
                for n in zf.namelist() if n.endswith((".xml", ".rels"))}


def test_committed_template_equals_a_fresh_build(tmp_path):
    fresh = write_summary_template(tmp_path / "部门汇总表.xlsx")
    assert _parts(TEMPLATE) == _parts(fresh)


def test_template_has_headers_and_no_rows():
    wb = load_workbook(TEMPLATE)
    assert wb["项目汇总"].max_row == 1 and wb["问题清单"].max_row == 1
    total = [cell.value for cell in wb["部门小计"][2]]
    assert total[0] == TOTAL_LABEL and total[2] == 0


def test_template_is_a_workbench_for_the_button_and_a_written_summary_is_locked(written):
    wb = load_workbook(TEMPLATE)
    assert wb.sheetnames[0] == summary.SETTINGS
    sheet, ref = wb.defined_names[summary.SOURCE_FOLDER_NAME].destinations.__next__()
    settings = wb[sheet]
    assert settings.protection.sheet and settings[ref.replace("$", "")].protection.locked is False
    rewritten = ("项目汇总", "部门小计", "指标明细", "部门整体绩效目标", "问题清单")
    assert not any(wb[name].protection.sheet for name in rewritten)   # the 汇总 button writes them
    assert wb["图表"].protection.sheet
    report = load_workbook(written[1])
    assert summary.SETTINGS not in report.sheetnames
    assert all(report[name].protection.sheet for name in rewritten)


# --- LibreOffice ---------------------------------------------------------------------------


def test_libreoffice_opens_the_summary_and_keeps_text_as_text(tmp_path):
    require_libreoffice()
    c = _consolidation(all_examples() + _hostile_projects())
    path = write_summary(c, tmp_path / "s.xlsx")
    names = c.projects["项目名称"].tolist()
    rows = {name: i + 2 for i, name in enumerate(names)}
    cells = [f"项目汇总!D{rows[t]}" for t in HOSTILE] + ["部门小计!D2", "部门小计!F2",
                                                       "部门整体绩效目标!A2"]
    got = lo.inspect(path, cells)
    assert got["errors"] == {}
    for text in HOSTILE:
        cell = f"项目汇总!D{rows[text]}"
        assert got["values"][cell] == text and not got["formulas"].get(cell)
    dept = c.departments.iloc[0]
    assert got["values"]["部门小计!D2"] == pytest.approx(dept["全年预算数（万元）"])
    assert got["values"]["部门小计!F2"] == pytest.approx(dept["执行率"])
    assert got["values"]["部门整体绩效目标!A2"] == "105002 中国共产党唐山市纪律检查委员会"
    assert all(got["sheet_protected"].values())


def test_a_full_temporary_disk_is_named_and_left_clean(tmp_path, monkeypatch):
    """XlsxWriter builds the sheets in the temporary folder first: when that disk is full,
    the message names it beside the target folder, and its row files are removed."""
    import errno
    import tempfile

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    out = tmp_path / "out" / "部门汇总.xlsx"
    seen = []

    def full(ws, *a, **k):
        seen.extend(temp.rglob("*"))   # XlsxWriter's row files exist by now
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(summary, "write_table_rows", full)
    with pytest.raises(SummaryWriteError) as info:
        write_summary(_consolidation(), out)
    message = str(info.value)
    assert f"临时文件夹“{temp}”剩余" in message and f"目标文件夹“{out.parent}”剩余" in message
    assert "TMPDIR" in message and "原有文件（如有）未被改动" in message
    assert seen and list(temp.iterdir()) == [] and not out.exists() and _leftovers(out.parent) == []


def test_tables_longer_than_a_sheet_go_on_in_sheets_of_their_own(tmp_path, monkeypatch):
    """A province's 指标明细 passes Excel's 1,048,576 rows: the rows go on in “指标明细（续1）”…
    with the same header, frozen, filterable and printable, in order and none lost; 汇总说明
    says so. (The limit is lowered here; a real one would take a million rows.)"""
    monkeypatch.setattr(summary, "SHEET_DATA_ROWS", 7)
    c = _consolidation()
    path = write_summary(c, tmp_path / "s.xlsx")
    wanted = list(c.indicator_table)
    assert len(wanted) > 14   # three sheets at least
    book = load_workbook(path)
    names = book.sheetnames
    first = names.index("指标明细")
    parts = [n for n in names if n.startswith("指标明细")]
    assert parts == ["指标明细"] + [f"指标明细（续{k}）" for k in range(1, len(parts))]
    assert names[first:first + len(parts)] == parts and len(parts) == -(-len(wanted) // 7)
    got = []
    for name in parts:
        ws = book[name]
        rows = list(ws.iter_rows(values_only=True))
        assert list(rows[0]) == list(c.indicator_table.columns) and 2 <= len(rows) <= 8
        assert ws.freeze_panes == "D2" and ws.auto_filter.ref == f"A1:R{len(rows)}"   # 18 columns (评分层级, issue 26)
        assert ws.print_title_rows == "$1:$1" and ws.protection.sheet
        got.extend(rows[1:])
    assert [(r[0], r[2], r[6]) for r in got] == [(w[0], w[2], w[6]) for w in wanted]
    goals = [n for n in names if n.startswith("部门整体绩效目标")]
    assert len(goals) == -(-len(c.dept_goals) // 7) > 1
    assert [r[0] for n in goals for r in list(book[n].iter_rows(values_only=True))[1:]] == \
        c.dept_goals["内容"].tolist()
    notes = [r[0] for r in book["汇总说明"].iter_rows(min_row=2, values_only=True)]
    assert any(n.startswith(f"指标明细共{len(wanted):,}行") and "“指标明细（续1）”至" in n for n in notes)
    require_libreoffice()
    got = lo.inspect(path, ["指标明细（续1）!A2", "指标明细（续1）!C2", "部门整体绩效目标（续1）!A2"])
    assert got["errors"] == {} and got["sheet_protected"]["指标明细（续1）"]
    assert (got["values"]["指标明细（续1）!A2"], got["values"]["指标明细（续1）!C2"]) == (wanted[7][0], wanted[7][2])
    assert got["values"]["部门整体绩效目标（续1）!A2"] == c.dept_goals["内容"].tolist()[7]


def test_more_projects_than_a_sheet_holds_are_refused_before_writing(tmp_path, monkeypatch):
    monkeypatch.setattr(summary, "SHEET_DATA_ROWS", 3)
    out = tmp_path / "s.xlsx"
    with pytest.raises(SummaryWriteError, match="超过 Excel 单个工作表的行数上限.*分批汇总"):
        write_summary(_consolidation(), out)
    assert list(tmp_path.iterdir()) == []
