"""The reader: lossless round trip, tolerance for what people type, bad files, issue cells."""
from __future__ import annotations

import re
import shutil
import zipfile
from decimal import Decimal as D

import openpyxl
import pytest

from tests.helpers import example
from xlpkg.workbook import layout as L
from xlpkg import load_project
from xlpkg.metrics import project_metrics
from xlpkg.model import project_to_json
from xlpkg.workbook.form_checks import read_checked_file
from xlpkg.workbook.reader import actual_text
from xlpkg.sources import CalamineSource, OpenpyxlSource, name_values
from xlpkg.targets import parse_target

ENGINES = ("named", "calamine", "openpyxl")


def edit(path, changes: dict):
    """Write values into a workbook: {(sheet, "A1"): value}; openpyxl keeps names and protection."""
    wb = openpyxl.load_workbook(path)
    for (sheet, ref), value in changes.items():
        wb[sheet][ref] = value
    wb.save(path)
    return path


def at(name: str, offset: int = 0, col: str | None = None) -> tuple[str, str]:
    sheet, first_col, row = L.first_cell(name)
    return sheet, f"{col or first_col}{row + offset}"


def kinds(result):
    return [(i.rule, i.sheet, i.cell) for i in result.issues]


@pytest.mark.parametrize("engine", ENGINES)
def test_round_trip_equals_the_example(filled_dir, example_projects, engine):
    for code, project in example_projects.items():
        result = read_checked_file(filled_dir / f"{code}.xlsx", engine=engine)
        assert result.project == project, code
        assert project_to_json(result.project) == project_to_json(project), code
        assert not [i for i in result.issues if i.rule.startswith("form.")], kinds(result)
        assert result.cached == {}   # openpyxl wrote the file: no cached formula results


def test_load_project_reads_workbooks(filled_dir, example_projects):
    assert load_project(filled_dir / "105004B22DX0001.xlsx") == example_projects["105004B22DX0001"]


def test_sources_agree(filled_dir):
    path = filled_dir / "105002B22DX0009.xlsx"
    fast, slow = CalamineSource(path), OpenpyxlSource(path)
    assert fast.defined_names() == slow.defined_names()
    assert fast.sheet_names() == slow.sheet_names() == list(L.SHEETS)
    for name in L.NAMES:
        assert name_values(fast, name) == name_values(slow, name), name
    assert name_values(fast, "NoSuchName") is None


@pytest.mark.parametrize("engine", ENGINES)
def test_tolerates_what_people_type(filled_copy, engine):
    path = edit(filled_copy(), {
        at("PlanQ1"): 25,                       # a plain number in a percent cell
        at("PlanQ2"): "50%",                    # percent typed as text
        at("PlanQ3"): " ７５ ",                  # full-width digits and spaces
        at("Budget"): "1,400.00",               # thousands separator, as text
        at("DeptName"): "  中国共产党唐山市纪律检查委员会 ",
        at("ActualQ1"): "320",
        at("YearSpent"): "1,372",
        at("IndActual", 0): "２２次",
        at("IndActual", 1): 98,                 # 98 in a % row is 98 %
        at("IndWeightInput", 5): " 10 ",
    })
    result = read_checked_file(path, engine=engine)
    p = result.project
    expected = example()
    assert p.plan == [D(25), D(50), D(75), D(100)]
    assert p.budget == D(1400) and p.dept_name == expected.dept_name
    assert p.execution.actual_cumulative[0] == D(320) and p.execution.year_spent == D(1372)
    assert p.indicators[0].actual == "２２次" and p.indicators[1].actual == "98%"
    assert p.indicators[5].weight == D(10)
    assert not [i for i in result.issues if i.severity == "error"], kinds(result)
    assert project_metrics(p).evaluation.total == project_metrics(expected).evaluation.total


@pytest.mark.parametrize("value, target, text", [
    (0.98, "95%以上", "98%"), (96, "高于95%", "96%"), (-0.0125, "小于5%", "-1.25%"),
    (22, "20次", "22次"), (1372, "1400万元", "1372万元"), (3, "3", "3"),
    (0.85, "效果显著", "85%"), ("较好", "提质增效", "较好"), (None, "20次", ""),
])
def test_actual_text(value, target, text):
    assert actual_text(value, parse_target(target, year=2022)) == text


@pytest.mark.parametrize("engine", ENGINES)
def test_issues_point_at_cells(filled_copy, engine):
    blank = {at("Indicators", 2, col): None for col in L.DECL_COLUMNS}
    path = edit(filled_copy(), {
        **blank,                                       # a blank row inside the table
        at("PlanQ3"): 0.4,                             # below Q2's 50 %
        at("Indicators", 1, "F"): 96,                  # split value disagrees with "95%以上"
        at("Indicators", 4, "A"): "未知指标",            # model index 3 sits on table row 4
        at("Indicators", 3, "E"): None, at("Indicators", 3, "F"): None,
        at("Indicators", 3, "G"): None, at("Indicators", 3, "I"): "约1400万元",
        at("FundUses", 1, "E"): "二百三十五",
    })
    result = read_checked_file(path, engine=engine)
    found = kinds(result)
    row = lambda i: L.IND_FIRST + i
    assert ("plan.non_decreasing", L.DECL, L.NAMES["PlanQ3"].ref) in found
    assert ("form.value", L.DECL, f"F{row(1)}") in found
    assert ("indicator.level1_unknown", L.DECL, f"A{row(4)}") in found
    assert ("indicator.target_unparseable", L.DECL, f"I{row(3)}") in found
    assert ("form.value", L.DECL, f"E{L.USES_FIRST + 1}") in found
    assert len(result.project.indicators) == 5
    assert all(i.file == str(path) for i in result.issues)


def test_structured_target_without_original_text(filled_copy):
    path = edit(filled_copy(), {at("Indicators", 1, "I"): None, at("Indicators", 2, "I"): None})
    p = read_checked_file(path).project
    assert p.indicators[1].target == "≥95%"
    assert p.indicators[2].target == "2022年12月31日前"
    assert project_metrics(p).evaluation.total == project_metrics(example()).evaluation.total


def _only_issue(result, rule):
    assert result.project is None
    assert len(result.issues) == 1, kinds(result)
    issue = result.issues[0]
    assert issue.rule == rule and issue.severity == "error"
    assert re.search(r"[\u4e00-\u9fff]", issue.message)
    return issue


@pytest.mark.parametrize("engine", ENGINES)
def test_foreign_workbook(tmp_path, engine):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "项目名称"
    wb.save(tmp_path / "foreign.xlsx")
    issue = _only_issue(read_checked_file(tmp_path / "foreign.xlsx", engine=engine), "form.not_template")
    assert "不是项目绩效目标表模板" in issue.message


@pytest.mark.parametrize("engine", ENGINES)
def test_corrupt_and_renamed_files(filled_dir, tmp_path, engine):
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes((filled_dir / "105002B16DX0003.xlsx").read_bytes()[:3000])
    renamed = tmp_path / "notes.xlsx"
    renamed.write_text("这不是工作簿\n", encoding="utf-8")
    for path in (corrupt, renamed):
        issue = _only_issue(read_checked_file(path, engine=engine), "form.unreadable")
        assert issue.file == str(path)
    _only_issue(read_checked_file(tmp_path / "missing.xlsx", engine=engine), "form.unreadable")


@pytest.mark.parametrize("engine", ENGINES)
def test_unknown_template_version(filled_copy, engine):
    path = edit(filled_copy(), {at("TemplateVersion"): L.TEMPLATE_VERSION + 1})
    issue = _only_issue(read_checked_file(path, engine=engine), "form.not_template")
    assert f"第{L.TEMPLATE_VERSION + 1}版" in issue.message


def test_workbook_missing_a_name(filled_copy):
    path = filled_copy()
    wb = openpyxl.load_workbook(path)
    del wb.defined_names["IndActual"]
    wb.save(path)
    issue = _only_issue(read_checked_file(path), "form.not_template")
    assert "IndActual" in issue.message


def _set_cached(path, sheet_xml: str, ref: str, value: str):
    """Change one cell's stored value inside the file, as an edit without recalculation would."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == sheet_xml:
                text, n = re.subn(rf'(<c r="{ref}"[^>]*>(?:<f>[^<]*</f>)?<v>)[^<]*(</v>)',
                                  rf"\g<1>{value}\g<2>", data.decode("utf-8"))
                assert n == 1, f"{ref} not found in {sheet_xml}"
                data = text.encode("utf-8")
            dst.writestr(item, data)
    shutil.move(tmp, path)


def test_stale_cached_values_are_reported(libreoffice, filled_dir, tmp_path):
    (fresh,) = libreoffice.recalculate([filled_dir / "105002B16DX0003.xlsx"], tmp_path)
    result = read_checked_file(fresh)
    assert result.cached["TotalScore"] == 99.8 and result.cached["Grade"] == "优"
    assert not [i for i in result.issues if i.rule == "form.stale_cache"]
    sheet_xml = f"xl/worksheets/sheet{L.SHEETS.index(L.EVAL) + 1}.xml"
    _set_cached(fresh, sheet_xml, L.NAMES["YearSpent"].ref, "700")   # input edited, not recalculated
    stale = [i for i in read_checked_file(fresh).issues if i.rule == "form.stale_cache"]
    cells = {(i.sheet, i.cell) for i in stale}
    assert (L.EVAL, L.NAMES["ExecRate"].ref) in cells
    assert (L.EVAL, L.NAMES["TotalScore"].ref) in cells
    assert all(i.severity == "warning" and "重算" in i.message for i in stale)


@pytest.mark.parametrize("engine", ENGINES)
def test_unscorable_actuals_point_at_the_actual_cell(filled_copy, engine):
    path = edit(filled_copy(), {at("IndActual", 1): "很多", at("IndActual", 0): None})
    found = kinds(read_checked_file(path, engine=engine))
    sheet, col, row = L.first_cell("IndActual")
    assert ("indicator.actual_invalid", sheet, f"{col}{row + 1}") in found
    assert ("indicator.actual_missing", sheet, f"{col}{row}") in found


@pytest.mark.parametrize("engine", ENGINES)
def test_missing_files_and_folders_say_so(tmp_path, engine):
    for path, words in ((tmp_path / "无此文件.xlsx", "文件不存在"), (tmp_path, "文件夹")):
        result = read_checked_file(path, engine=engine)
        assert result.project is None and [i.rule for i in result.issues] == ["form.unreadable"]
        assert words in result.issues[0].message
