"""The ribbon buttons (xlpkg.buttons), driven through xlwings' remote engine: a workbook file is
turned into the JSON that xlwings' Office.js client sends (``book_payload``), opened with
``xw.Book(json=...)``, and the test asserts the exact actions ``book.json()`` returns.

The remote engine is xlwings PRO (licence key ``noncommercial``, which must be in the
environment before xlwings is imported; ``_remote_engine`` adds the engine if xlwings was
imported earlier without it). It only records actions: a value written during a button is
not visible to a later read of the same book, and nothing checks sheet protection.
"""
from __future__ import annotations

import datetime as dt
import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import openpyxl   # noqa: E402
import pytest   # noqa: E402
import xlwings as xw   # noqa: E402

from tests.helpers import ROOT, all_examples, example   # noqa: E402
from xlpkg import buttons
from xlpkg.workbook import layout as L
from xlpkg.sources.book import BookSource
from xlpkg.sources import OpenpyxlSource, parse_name_target
from xlpkg.workbook.template import write_template


def _remote_engine() -> None:
    if "remote" not in [e.name for e in xw.engines]:
        from xlwings.pro import _xlremote   # validates the licence key from the environment

        xw.engines.add(xw.Engine(impl=_xlremote.engine))


_remote_engine()


# --- an .xlsx file as the payload xlwings' Office.js client sends -----------------------------

def _json_value(value):
    """One cell as Office.js sends it: "" for empty, ISO text with Z for dates."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)   # JavaScript has one number type
    return value


_VISIBILITY = {"visible": "Visible", "hidden": "Hidden", "veryHidden": "VeryHidden"}


def book_payload(path, *, active: str | None = None, name: str | None = None) -> dict:
    """The xlwings Office.js payload of a workbook file: every sheet's values from A1 to its
    last used cell (formula cells: the values cached in the file), workbook-scoped names."""
    wb = openpyxl.load_workbook(path, data_only=True)
    sheets = []
    for ws in wb.worksheets:
        rows = [[_json_value(c) for c in row] for row in ws.iter_rows(
            min_row=1, min_col=1, max_row=ws.max_row, max_col=ws.max_column, values_only=True)]
        sheets.append({
            "name": ws.title, "values": rows or [[""]], "visibility": _VISIBILITY[ws.sheet_state],
            "show_gridlines": True, "pictures": [], "shapes": [], "charts": [], "notes": [],
            "tables": [], "pivot_tables": [], "print_area": None,
            "used_range_address": f"A1:{ws.cell(ws.max_row, ws.max_column).coordinate}",
        })
    names = []
    for key, dn in wb.defined_names.items():
        target = parse_name_target(dn.attr_text)
        sheet_index = wb.sheetnames.index(target[0]) if target else None
        names.append({"name": key, "refers_to": "=" + dn.attr_text, "sheet_index": sheet_index,
                      "address": target[1] if target else None, "book_scope": True,
                      "scope_sheet_index": None, "scope_sheet_name": None})
    return {
        "client": "Office.js", "version": xw.__version__,
        "book": {"name": name or path.name,
                 "active_sheet_index": wb.sheetnames.index(active) if active else
                 wb.sheetnames.index(wb.active.title),
                 "selection": "A1"},
        "names": names, "sheets": sheets,
    }


def open_book(path, **kwargs):
    return xw.Book(json=book_payload(path, **kwargs))


def actions(book) -> list[dict]:
    return book.json()["actions"]


def set_values(action) -> tuple:
    """(sheet index, top-left "F23", values) of a setValues action."""
    assert action["func"] == "setValues", action
    col = openpyxl.utils.get_column_letter(action["start_column"] + 1)
    return action["sheet_position"], f"{col}{action['start_row'] + 1}", action["values"]


@pytest.fixture
def template(tmp_path):
    return write_template(tmp_path / "项目绩效目标表.xlsx")


def _put(path, values: dict[str, object]):
    """Type values into a workbook file: {"绩效目标申报表!I23": "95%以上"}."""
    wb = openpyxl.load_workbook(path)
    for where, value in values.items():
        sheet, cell = where.split("!")
        wb[sheet][cell] = value
    wb.save(path)
    return path


# --- the payload converter and the book source ---------------------------------------------

def test_book_source_reads_the_live_book_like_the_file_source(template):
    _put(template, {f"{L.DECL}!B2": "105002", f"{L.DECL}!H2": 2022,
                    f"{L.DECL}!I{L.IND_FIRST}": "95%以上", f"{L.DECL}!B{L.PLAN_ROW}": 0.25})
    book = open_book(template)
    live, file = BookSource(book), OpenpyxlSource(template)
    assert live.sheet_names() == file.sheet_names() == list(L.SHEETS)
    assert live.defined_names() == file.defined_names()
    assert {k: v for k, v in live.defined_names().items() if k in L.NAMES} == {
        k: (n.sheet, n.ref) for k, n in L.NAMES.items()}
    for key in ("DeptCode", "FiscalYear", "Indicators", "PlanQ1", "FundUses"):
        assert live.range_values(*live.defined_names()[key]) == file.range_values(
            *file.defined_names()[key]), key
    assert live.range_values(L.DECL, "H2") == [[2022]]


# --- 规范指标值 ------------------------------------------------------------------------------

def test_normalize_targets_splits_legacy_text_and_lists_what_it_cannot_read(template):
    r = L.IND_FIRST
    _put(template, {
        f"{L.DECL}!H2": 2022,
        f"{L.DECL}!C{r}": "组织开展监督检查次数", f"{L.DECL}!I{r}": "20次",         # legacy: text only
        f"{L.DECL}!C{r + 1}": "项目资金执行情况", f"{L.DECL}!F{r + 1}": "95%以上",   # typed into 指标值
        f"{L.DECL}!C{r + 2}": "留置案件办结时间", f"{L.DECL}!I{r + 2}": "12月底",     # year from the form
        f"{L.DECL}!C{r + 3}": "群众满意度", f"{L.DECL}!F{r + 3}": 95, f"{L.DECL}!G{r + 3}": "%",
        f"{L.DECL}!C{r + 4}": "已拆分", f"{L.DECL}!E{r + 4}": "≥", f"{L.DECL}!F{r + 4}": 90,
        f"{L.DECL}!G{r + 4}": "%", f"{L.DECL}!I{r + 4}": "90%以上",                  # left alone
        f"{L.DECL}!C{r + 5}": "安全性提高程度", f"{L.DECL}!I{r + 5}": "效果显著",
        f"{L.DECL}!C{r + 6}": "看不懂的", f"{L.DECL}!I{r + 6}": "约95%左右",          # not guessed
        f"{L.DECL}!C{r + 8}": "区间", f"{L.DECL}!I{r + 8}": "90%-95%",
    })
    book = open_book(template)
    result = buttons.normalize_targets(book)
    decl = 0
    got = actions(book)
    assert [set_values(a) for a in got[:-1]] == [
        (decl, f"E{r}", [["'=", 20, "次"]]),   # "'=": text, as typed; "=" alone is no formula
        (decl, f"E{r + 1}", [["≥", 95, "%"]]),
        (decl, f"I{r + 1}", [["95%以上"]]),
        (decl, f"E{r + 2}", [["日期", "2022-12-31", ""]]),
        (decl, f"E{r + 3}", [["'=", 95, "%"]]),
        (decl, f"I{r + 3}", [["95%"]]),
        (decl, f"E{r + 5}", [["定性", "效果显著", ""]]),
        (decl, f"E{r + 8}", [["区间", "90-95", "%"]]),
    ]
    alert = got[-1]
    assert alert["func"] == "alert" and alert["args"][1] == "规范指标值"
    assert alert["args"][0].startswith("已规范6个指标值（指标性质、指标值、度量单位）。\n以下1个指标值无法识别")
    assert f"{L.DECL}!I{r + 6}（看不懂的）：指标值“约95%左右”无法识别" in alert["args"][0]
    assert result["converted"][0] == f"{L.DECL}!E{r}:G{r}" and len(result["converted"]) == 6
    assert [u[0] for u in result["unparseable"]] == [f"{L.DECL}!I{r + 6}"]


def test_normalize_targets_reads_a_date_cell_as_its_date(template):
    """issue 21 #7 sibling: a date typed into 指标值 (nature blank) becomes 日期 2022-12-31, not
    "=44926" or an unreadable "2022-12-31 00:00:00"."""
    r = L.IND_FIRST
    _put(template, {f"{L.DECL}!H2": 2022, f"{L.DECL}!C{r}": "办结时间",
                    f"{L.DECL}!F{r}": dt.datetime(2022, 12, 31)})
    book = open_book(template)
    result = buttons.normalize_targets(book)
    assert not result["unparseable"], result
    assert set_values(actions(book)[0]) == (0, f"E{r}", [["日期", "2022-12-31", ""]])


def test_normalize_targets_with_no_argument_uses_the_calling_book(template):
    _put(template, {f"{L.DECL}!C{L.IND_FIRST}": "系统开发数量", f"{L.DECL}!I{L.IND_FIRST}": "3"})
    book = open_book(template)
    book.set_mock_caller()
    try:
        buttons.normalize_targets()
    finally:
        del xw.Book._mock_caller
    assert set_values(actions(book)[0]) == (0, f"E{L.IND_FIRST}", [["'=", 3, ""]])


def test_normalize_targets_on_a_book_that_is_not_a_form(tmp_path):
    path = tmp_path / "其他.xlsx"
    openpyxl.Workbook().save(path)
    book = open_book(path)
    result = buttons.normalize_targets(book)
    assert actions(book) == [{
        "func": "alert", "args": [result["message"], "规范指标值", "ok", "", ""], "values": None,
        "sheet_position": None, "start_row": None, "start_column": None, "row_count": None,
        "column_count": None}]
    assert "不是项目绩效目标表" in result["message"]


# --- 校验 -----------------------------------------------------------------------------------

def _filled(tmp_path, project, name=None):
    from xlpkg.workbook.writer import fill_workbook
    return fill_workbook(project, tmp_path / (name or f"{project.code}.xlsx"))


def _alert_action(message, title):
    return {"func": "alert", "args": [message, title, "ok", "", ""], "values": None,
            "sheet_position": None, "start_row": None, "start_column": None, "row_count": None,
            "column_count": None}


RESULTS_INDEX = L.SHEETS.index(L.RESULTS)   # the template ships the sheet: its structure is locked


@pytest.mark.parametrize("project", all_examples(), ids=lambda p: p.code)
def test_validate_lists_what_the_core_finds_in_the_file(tmp_path, project):
    from xlpkg.workbook.form_checks import read_checked_file

    path = _filled(tmp_path, project)
    expected = [[i.sheet, i.cell, i.rule, {"error": "错误", "warning": "警告"}[i.severity], i.message]
                for i in read_checked_file(path).issues]
    book = open_book(path)
    issues = buttons.validate(book)
    got = actions(book)
    assert got[0]["func"] == "sheetClearContents" and got[0]["sheet_position"] == RESULTS_INDEX
    assert set_values(got[1]) == (RESULTS_INDEX, "A1", [buttons.RESULT_HEADERS] + (
        expected or [["", "", "", "", "未发现问题"]]))
    assert got[2]["func"] == "activateSheet" and got[2]["args"] == [RESULTS_INDEX]
    assert got[3]["func"] == "alert" and len(got) == 4
    assert len(issues) == len(expected)


def test_validate_exact_rows_and_alert(tmp_path):
    p = example("105002B22DX0009")
    p.plan[3] = p.plan[3] - 10
    p.indicators[0].likelihood = "大概能"
    book = open_book(_filled(tmp_path, p))
    buttons.validate(book)
    got = actions(book)
    assert set_values(got[1])[2] == [
        ["工作表", "单元格", "规则", "级别", "说明"],
        ["绩效目标申报表", f"E{L.PLAN_ROW}", "plan.ends_100", "错误", "第四季度累计支出计划应为100%，现为90%"],
        ["绩效运行监控", f"{L.MON_IND_COLS['likelihood']}{L.MON_IND_FIRST}", "indicator.likelihood_unknown",
         "警告", "三级指标“系统开发数量”的完成目标可能性“大概能”不在选项内（确定能、有可能、完全不可能）"],
        ["绩效运行监控", f"C{L.MON_Q_FIRST}", "execution.behind_plan", "警告",
         "第1季度支出进度24.32%落后计划40%达15.68个百分点"],
        ["绩效运行监控", f"C{L.MON_Q_FIRST + 1}", "execution.behind_plan", "警告",
         "第2季度支出进度54.05%落后计划70%达15.95个百分点"],
    ]
    assert got[3] == _alert_action("校验完成：1个错误，3个警告。详见“校验结果”工作表。", "校验")


def test_validate_reuses_an_existing_results_sheet_and_sees_unsaved_edits(tmp_path):
    path = _filled(tmp_path, example())
    wb = openpyxl.load_workbook(path)
    wb[L.RESULTS]["A1"] = "上次的结果"
    wb.save(path)
    payload = book_payload(path)
    decl = payload["sheets"][0]["values"]
    decl[L.BUDGET_ROW - 1][1] = -5.0            # typed in Excel, not saved
    book = xw.Book(json=payload)
    buttons.validate(book)
    got = actions(book)
    assert got[0]["func"] == "sheetClearContents" and got[0]["sheet_position"] == RESULTS_INDEX
    rows = set_values(got[1])[2]
    assert ["绩效目标申报表", f"B{L.BUDGET_ROW}", "budget.positive", "错误", "预算数必须大于0（现为-5万元）"] in rows
    assert not any(a["func"] == "addSheet" for a in got)


def test_validate_with_no_argument_uses_the_calling_book(tmp_path):
    book = open_book(_filled(tmp_path, example()))
    book.set_mock_caller()
    try:
        buttons.validate()
    finally:
        del xw.Book._mock_caller
    assert actions(book)[-1] == _alert_action("校验完成：未发现错误或警告。", "校验")


def test_validate_reports_in_the_alert_when_no_sheet_can_be_added(tmp_path, monkeypatch):
    p = example()
    p.plan[3] = p.plan[3] - 10
    path = _filled(tmp_path, p)
    wb = openpyxl.load_workbook(path)
    del wb[L.RESULTS]                  # a form whose results sheet was deleted
    wb.save(path)
    book = open_book(path)

    def refuse(*args, **kwargs):
        raise RuntimeError("workbook structure is protected")
    monkeypatch.setattr(type(book.sheets), "add", refuse)
    buttons.validate(book)
    assert actions(book) == [_alert_action(
        "校验完成：1个错误，0个警告。\n（无法添加“校验结果”工作表：工作簿结构受保护）\n"
        f"绩效目标申报表!E{L.PLAN_ROW} 错误：第四季度累计支出计划应为100%，现为90%", "校验")]


def test_validate_a_workbook_that_is_not_a_form(tmp_path):
    path = tmp_path / "其他.xlsx"
    openpyxl.Workbook().save(path)
    book = open_book(path)
    issues = buttons.validate(book)
    assert [i.rule for i in issues] == ["form.not_template"]
    assert set_values(actions(book)[1])[2][1][2:4] == ["form.not_template", "错误"]


# --- 汇总 -----------------------------------------------------------------------------------

def _summary_book(tmp_path, folder_value, *, with_name=True):
    """The committed department summary template with its SourceFolder cell filled in."""
    from xlpkg.summary import SETTINGS, write_summary_template

    path = write_summary_template(tmp_path / "部门汇总表.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.defined_names["SourceFolder"].attr_text == f"'{SETTINGS}'!$B$3"
    wb[SETTINGS]["B3"] = folder_value
    if not with_name:
        del wb.defined_names["SourceFolder"]
    wb.save(path)
    return open_book(path)


def _department_folder(tmp_path):
    folder = tmp_path / "105002-2022"
    folder.mkdir()
    for p in all_examples():
        _filled(folder, p)
    (folder / "坏文件.xlsx").write_bytes(b"not a workbook")
    return folder


def test_consolidate_writes_the_summary_file_and_the_tables(tmp_path):
    from xlpkg.consolidate import consolidate
    from xlpkg.summary import notes_frame

    folder = _department_folder(tmp_path)
    book = _summary_book(tmp_path, str(folder))
    result = buttons.consolidate(book)
    output = folder / "部门汇总.xlsx"
    assert result["output"] == str(output) and output.is_file()
    assert (result["projects"], result["files"], result["problems"]) == (4, 5, [])
    expected = consolidate(folder, jobs=1, exclude=[output])
    every = actions(book)
    got = [a for a in every if a["func"] != "setNumberFormat"]
    formats = [a for a in every if a["func"] == "setNumberFormat"]
    sheets = [s["name"] for s in book_payload(tmp_path / "部门汇总表.xlsx")["sheets"]]
    frames = [("项目汇总", expected.projects), ("部门小计", expected.departments),
              ("指标明细", expected.indicators), ("部门整体绩效目标", expected.dept_goals),
              ("问题清单", expected.issues), ("汇总说明", notes_frame(expected))]
    assert len(got) == 2 * len(frames) + 1
    for k, (name, frame) in enumerate(frames):
        clear, write = got[2 * k], got[2 * k + 1]
        assert clear["func"] == "sheetClearContents" and clear["sheet_position"] == sheets.index(name)
        index, top_left, values = set_values(write)
        assert (index, top_left) == (sheets.index(name), "A1")
        assert values[0] == list(frame.columns)
        assert len(values) == len(frame) + 1
    # the department totals, to the 万元, as the seed adds them up (1400 + 638 + 740 = 2778)
    departments = set_values(got[3])[2]
    head = departments[0]
    rows = {r[0]: dict(zip(head, r)) for r in departments[1:]}
    columns = ("项目数", "全年预算数（万元）", "全年执行数（万元）")
    assert [rows["105002"][c] for c in columns] == [3, 2778, 2714]
    assert [rows["105004"][c] for c in columns] == [1, 1177, 1150]
    # issue 21 #12: the sheets show 98.75 %, 2,778.00 as the summary does, not 0.987460815047022
    rate_col = head.index("执行率")
    dept_sheet = sheets.index("部门小计")
    shown = {(a["sheet_position"], a["start_column"]): a["args"][0] if isinstance(a["args"], list) else a["args"]
             for a in formats}
    assert shown[(dept_sheet, rate_col)] == "0.00%"
    assert shown[(dept_sheet, head.index("全年预算数（万元）"))] == "#,##0.00"
    assert (dept_sheet, head.index("部门名称")) not in shown
    assert rows["合计"]["执行率"] == pytest.approx((2714 + 1150) / (2778 + 1177), abs=1e-12)
    # the same values as the summary file next to the sources (which shows source paths
    # relative to the folder, as links; the book shows them in full)
    written = openpyxl.load_workbook(output, data_only=True)

    def shown(v):   # what Excel shows for a value written as "'=": the text "="
        return v[1:] if isinstance(v, str) and v[:1] == "'" and v[1:2] in "=+-@" else v

    def table(rows):
        rows = [[shown(v) for v in r] for r in rows]
        rows = [["" if v is None else float(f"{v:.12g}") if isinstance(v, float) else v
                 for v in r] for r in rows]   # the file keeps 15-16 significant digits
        rows = [r for r in rows if any(v != "" for v in r)]
        keep = [i for i, h in enumerate(rows[0]) if h not in ("来源文件", "文件")]
        return [[r[i] for i in keep] for r in rows]
    for k, (name, _) in enumerate(frames):
        assert table(set_values(got[2 * k + 1])[2]) == table(written[name].iter_rows(values_only=True)), name
    issues = set_values(got[9])[2]
    bad = [r for r in issues[1:] if r[0].endswith("坏文件.xlsx")]
    assert [(r[3], r[4]) for r in bad] == [("form.unreadable", "错误")]
    assert sorted(r[3] for r in issues[1:]) == sorted(
        ["form.unreadable", "execution.behind_plan", "execution.behind_plan",
         "indicator.level1_recommended"])
    assert got[-1] == _alert_action(
        f"汇总完成：读取5个文件，汇总4个项目，问题清单4条（有错误的文件1个）。\n部门汇总表已保存到：{output}", "汇总")


@pytest.mark.parametrize("value, with_name, message", [
    ("", True, "请先在“汇总设置”工作表的 B3 单元格填写存放项目工作簿的文件夹，再点“汇总”。"),
    (None, False, "本工作簿没有名称 SourceFolder，无法确定项目工作簿所在的文件夹：请在部门汇总表中使用“汇总”按钮。"),
])
def test_consolidate_explains_a_missing_folder(tmp_path, value, with_name, message):
    book = _summary_book(tmp_path, value, with_name=with_name)
    assert buttons.consolidate(book)["message"] == message
    assert actions(book) == [_alert_action(message, "汇总")]


def test_consolidate_with_every_form_in_error_writes_the_problem_list(tmp_path):
    """issue 21 #2: as the command, the button writes the summary and its 问题清单 and says
    that no project counted and where the reasons are."""
    folder = tmp_path / "105002-2022"
    folder.mkdir()
    p = example()
    p.uses[0].amount += 1
    _filled(folder, p)
    book = _summary_book(tmp_path, str(folder))
    result = buttons.consolidate(book)
    assert result["output"] and (folder / "部门汇总.xlsx").is_file()
    assert result["projects"] == 0 and "问题清单" in result["sheets"]
    assert "没有项目计入汇总" in result["message"] and "问题清单" in result["message"]
    issues = openpyxl.load_workbook(folder / "部门汇总.xlsx", read_only=True)["问题清单"]
    assert any("uses.sum" in row for row in issues.iter_rows(values_only=True))


def test_consolidate_a_folder_that_does_not_exist(tmp_path):
    book = _summary_book(tmp_path, str(tmp_path / "没有这个文件夹"))
    result = buttons.consolidate(book)
    assert actions(book) == [_alert_action(f"文件夹不存在或无法访问：{tmp_path / '没有这个文件夹'}", "汇总")]
    assert result["output"] is None


# --- 新建 -----------------------------------------------------------------------------------

def _is_blank_form(path) -> bool:
    source = OpenpyxlSource(path)
    names = source.defined_names()
    return ({k: (n.sheet, n.ref) for k, n in L.NAMES.items()}.items() <= names.items()
            and source.range_values(*names["TemplateId"]) == [[L.TEMPLATE_ID]]
            and source.range_values(*names["ProjCode"]) == [[None]])


def test_new_form_on_the_remote_engine_writes_the_file_and_reports_its_path(tmp_path, template):
    book = open_book(template)
    first = buttons.new_form(book, str(tmp_path / "新"))
    second = buttons.new_form(book, str(tmp_path / "新"))
    assert first == str(tmp_path / "新" / "项目绩效目标表.xlsx")
    assert second == str(tmp_path / "新" / "项目绩效目标表 (2).xlsx")
    assert _is_blank_form(first) and _is_blank_form(second)
    assert actions(book) == [_alert_action(f"已新建项目绩效目标表：{p}\n请在 Excel 中打开该文件填写。", "新建")
                             for p in (first, second)]


def test_new_form_with_no_argument_goes_to_the_documents_folder(tmp_path, template, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "Documents").mkdir()
    book = open_book(template)
    book.set_mock_caller()
    try:
        path = buttons.new_form()
    finally:
        del xw.Book._mock_caller
    assert path == str(tmp_path / "Documents" / "项目绩效目标表.xlsx") and _is_blank_form(path)


class _DesktopBook:
    """What new_form uses of a classic (Excel) book: its file name and app.books.open."""

    def __init__(self, fullname):
        self.fullname = str(fullname)
        self.opened = []
        self.app = self
        self.engine = type("Engine", (), {"type": "desktop"})()
        self.books = self

    def open(self, path):
        self.opened.append(path)

    def alert(self, *args, **kwargs):
        raise AssertionError("no alert when the new form is opened")


def test_new_form_opens_the_file_next_to_the_calling_book_where_the_engine_can(tmp_path, template):
    book = _DesktopBook(template)
    path = buttons.new_form(book)
    assert book.opened == [path] == [str(template.parent / "项目绩效目标表 (2).xlsx")]
    assert _is_blank_form(path)


# --- the same buttons as xlwings Server / Lite scripts (Office.js) -----------------------------

SCRIPTS_RUNNER = r"""
import asyncio, json, sys
import xlwings as xw
from xlwings import server
import xlpkg.buttons as module

request = json.load(sys.stdin)

async def main():
    book = xw.Book(json=request["payload"])
    result = await server.custom_scripts_call(module, request["script"], typehint_to_value={xw.Book: book})
    return {"actions": result.json()["actions"], "meta": server.custom_scripts_meta(module)}

print(json.dumps(asyncio.run(main()), ensure_ascii=False))
"""


@pytest.mark.parametrize("script", ["validate", "normalize_targets"])
def test_buttons_run_as_office_js_scripts(tmp_path, script):
    import copy
    import json
    import subprocess
    import sys

    p = example("105002B22DX0009")
    p.plan[3] = p.plan[3] - 10
    path = _filled(tmp_path, p)
    _put(path, {f"{L.DECL}!E{L.IND_FIRST}": None, f"{L.DECL}!F{L.IND_FIRST}": None,
                f"{L.DECL}!G{L.IND_FIRST}": None})   # a legacy row: only the original text
    payload = book_payload(path)
    book = xw.Book(json=copy.deepcopy(payload))   # the engine keeps (and edits) its payload
    getattr(buttons, script)(book)
    env = {**os.environ, "XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-c", SCRIPTS_RUNNER], capture_output=True, text=True,
                          input=json.dumps({"payload": payload, "script": script}, ensure_ascii=False),
                          env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    assert out["actions"] == json.loads(json.dumps(actions(book), ensure_ascii=False))
    assert len(out["actions"]) >= 2
    assert sorted(s["function_name"] for s in out["meta"]) == [
        "apply_review", "consolidate", "new_form", "normalize_targets", "review_workbook", "validate"]


def test_an_unexpected_error_becomes_a_chinese_alert_not_a_traceback(tmp_path, monkeypatch, capsys):
    book = open_book(_filled(tmp_path, example()))

    def broken(*args, **kwargs):
        raise RuntimeError("磁盘坏了")
    monkeypatch.setattr(buttons, "read_checked", broken)
    assert buttons.validate(book) is None
    assert actions(book) == [_alert_action(
        "操作未完成：出现意外错误（RuntimeError: 磁盘坏了）。工作簿未被改动或只改动了一部分，"
        "请把此信息告知信息技术人员。", "绩效管理")]
    assert "Traceback" in capsys.readouterr().err
