"""The department workbook (部门整体绩效表): formulas against Python in LibreOffice, locking,
names, round trip, the seed's department reproduced from its forms, consolidate --dept-forms."""
from __future__ import annotations

import copy
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import MergedCell
import pytest

from tests.helpers import EXAMPLES, ROOT
from tests.workbook.test_template import NEWER_THAN_2010, signature
from xlpkg.cli import main
from xlpkg.consolidate import consolidate
from xlpkg.consolidate.department_forms import write_department_forms
from xlpkg.department.metrics import department_metrics, grade_distribution_text
from xlpkg.department.model import (Department, DeptIndicator, DeptProject, SubGoal,
                                    department_from_dict, department_to_dict)
from xlpkg.department.reader import read_department_file
from xlpkg.department.writer import DeptCapacityError, write_department
from xlpkg.issues import has_errors
from xlpkg.metrics import round2
from xlpkg.model import load_project_json
from xlpkg.sources import CalamineSource, name_values
from xlpkg.rules import RulesError, load_rules, rules_from_dict
from xlpkg.department import layout as L
from xlpkg.department.template import write_department_template
from xlpkg.workbook.style import INPUT_FILL
from xlpkg.workbook.writer import fill_workbook

COMMITTED = ROOT / "workbook_templates" / "部门整体绩效表.xlsx"
DEPT_JSON = ROOT / "examples" / "departments" / "105002.json"
SEED = (ROOT / "examples" / "seed" / "000_682dbcc580879855.txt").read_text("utf-8")
HELD_OUT_NAMES = ("DeptCode", "DeptBudgetBasic", "DeptBudgetProject", "DeptExecRate",
                  "DeptTotalScore", "DeptGrade")
D = Decimal


# --- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seed_forms(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("forms")
    for path in EXAMPLES:
        fill_workbook(load_project_json(path), out / f"{path.stem}.xlsx")
    return out


@pytest.fixture(scope="module")
def seed_dept_dir(seed_forms, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dept")
    c = consolidate([seed_forms], jobs=1, dept_info=[DEPT_JSON])
    result = write_department_forms(c, out, dept_info=[DEPT_JSON])
    assert not result.issues, result.issues     # the seed's example explains every lost point
    assert sorted(p.name for p in result.written) == ["105002.xlsx", "105004.xlsx"]
    return out


def _rules(**changes):
    data = copy.deepcopy(load_rules().data)
    data["department"].update(changes)
    return rules_from_dict(data, source="test-rules.json")


def _edge_department() -> Department:
    """Every branch of the maths: adjusted and cut budgets, overspending, an unscored
    project, a missing procurement budget (not applicable), 三公 overspent, a carry-over far
    above its target, typed indicator scores above their 分值."""
    return Department(
        dept_code="109001", dept_name="测试部门", year=2023, overall_goal="目标", achievement="完成",
        guarantees="措施一\n措施二", personnel_budget=D("500"), public_budget=D("80.5"),
        personnel_year_budget=D("420"), personnel_spent=D("492.33"), public_spent=D("90.1"),
        three_public_budget=D("10"), three_public_spent=D("12.5"), procurement_budget=None,
        procurement_actual=D("30"), carryover=D("400"),
        common_analysis={"three_public": "超支", "projects": "说明"},
        sub_goals=[SubGoal("分项一", "目标一", ["指标甲", "指标乙"], "109001B23AA0001"),
                   SubGoal("部门自定分项", "无项目", [], "")],
        projects=[DeptProject("109001B23AA0001", "项目一", D("100"), D("120"), D("130"), D("88.5")),
                  DeptProject("109001B23AA0002", "项目二", D("50"), None, D("20"), D("59.99")),
                  DeptProject("109001B23AA0003", "项目三", D("30.25"), None, None, None)],
        indicators=[DeptIndicator("产出指标", "数量指标", "检查次数", "≥20次", "18次", D("30"), D("27")),
                    DeptIndicator("效益指标", "社会效益指标", "群众满意度", "95%以上", "90%", D("20"), D("25"),
                                  "调查样本偏少"),
                    DeptIndicator("满意度指标", "服务对象满意度指标", "定性评价", "效果显著", "较好", None, None)],
    )


EDGE_RULES = dict(execution={"basic": 5, "project": 5, "total": 10}, projects=30, indicators=20,
                  common={"budget_adjust": {"weight": 6, "op": "≤", "target": 5, "absolute": True},
                          "carryover": {"weight": 6, "op": "≤", "target": 10},
                          "three_public": {"weight": 6, "op": "≤", "target": 100},
                          "procurement": {"weight": 6, "op": "≥", "target": 100},
                          "public_funds": {"weight": 6, "op": "≤", "target": 100}})


# --- formulas against Python, recalculated by LibreOffice -------------------------------------

def _close(a, b, places=9):
    if b is None:
        assert a in (None, ""), (a, b)
        return
    assert a not in (None, ""), (a, b)
    assert abs(float(a) - float(b)) < 10 ** -places, (a, b)


def _cache_matches(path: Path, calculated: dict) -> None:
    """The results the writer stores beside the formulas are what LibreOffice calculates."""
    source = CalamineSource(path)
    for name, grid in calculated.items():
        cached = name_values(source, name)
        for row_got, row_cached in zip(grid, cached):
            for a, b in zip(row_got, row_cached):
                if isinstance(a, float) and a == a:
                    assert isinstance(b, (int, float)) and abs(a - b) < 1e-9, (name, a, b)
                else:
                    assert (a or None) == (b or None), (name, a, b)


def _compare(lo, path: Path, dept: Department, rules, *, cached: bool = True) -> dict:
    """Every formula name recalculated by LibreOffice equals Python (money and points to the
    cent, rates to 1e-9). Returns the names' values."""
    got = lo.inspect(path, [], names=list(L.FORMULA_NAMES))
    assert not got["errors"], got["errors"]
    v = {n: got["names"][n] for n in L.FORMULA_NAMES}
    if cached:   # files written by xlpkg; a file saved by openpyxl afterwards has no results
        _cache_matches(path, v)
    m = department_metrics(dept, rules)
    rows = m.rows
    _close(v["DeptBudgetBasic"][0][0], rows["basic"].budget, 2)
    _close(v["DeptBudgetProject"][0][0], rows["project"].budget, 2)
    _close(v["DeptBudgetTotal"][0][0], rows["total"].budget, 2)
    _close(v["DeptYearBudget"][0][0], rows["total"].year_budget, 2)
    _close(v["DeptSpent"][0][0], rows["total"].spent, 2)
    _close(v["DeptBasicExecRate"][0][0], rows["basic"].rate)
    _close(v["DeptProjectExecRate"][0][0], rows["project"].rate)
    _close(v["DeptExecRate"][0][0], m.execution_rate)
    for i, key in ((0, "basic"), (3, "project"), (4, "total")):
        score = rows[key].score
        _close(v["DeptExecScores"][i][0], None if score is None else round2(score), 2)
    for i, key in enumerate(L.COMMON_KEYS):
        ci = m.common[key]
        _close(v["CommonRates"][i][0], ci.rate)
        _close(v["CommonScores"][i][0], None if ci.score is None else round2(ci.score), 2)
    _close(v["CommonScores"][len(L.COMMON_KEYS)][0],
           None if m.projects_score is None else round2(m.projects_score), 2)
    _close(v["DeptProjWeightedAvg"][0][0], m.project_weighted)
    _close(v["DeptProjCount"][0][0], m.project_count)
    _close(v["DeptProjAvg"][0][0], m.project_average)
    assert v["DeptGradeDist"][0][0] == grade_distribution_text(m)
    for i, rate in enumerate(m.project_rates):
        _close(v["DeptProjRates"][i][0], rate)
        assert (v["DeptProjGrades"][i][0] or None) == m.project_grade_list[i]
    _close(v["DeptIndPart"][0][0], None if m.indicators_score is None else round2(m.indicators_score), 2)
    _close(v["DeptTotalScore"][0][0], m.total, 2)
    assert (v["DeptGrade"][0][0] or None) == m.grade
    _close(v["DeptScoreScale"][0][0], m.scale)
    return v


def test_seed_departments_recalculate_as_python(libreoffice, seed_dept_dir):
    rules = load_rules()
    for code in ("105002", "105004"):
        path = seed_dept_dir / f"{code}.xlsx"
        dept = read_department_file(path).department
        v = _compare(libreoffice, path, dept, rules)
        if code == "105002":
            assert v["DeptTotalScore"][0][0] == pytest.approx(98.52)
            assert v["DeptBudgetProject"][0][0] == pytest.approx(2778)


def test_edge_department_recalculates_as_python(libreoffice, tmp_path):
    rules = _rules(**EDGE_RULES)
    dept = _edge_department()
    path = write_department(dept, tmp_path / "edge.xlsx", rules=rules)
    m = department_metrics(dept, rules)
    assert m.common["procurement"].score is None            # no procurement budget: dropped
    assert m.common["carryover"].score == 0                 # far above its target
    assert m.common["budget_adjust"].rate < 0 < m.common["budget_adjust"].score < 6   # |rate|
    assert m.indicators_score == (D(27) + D(20)) / D(50) * 20   # 25 capped at 20
    assert m.applicable_weight == 94 and m.total is not None
    _compare(libreoffice, path, dept, rules)


def test_recalculation_follows_an_edited_input(libreoffice, seed_dept_dir, tmp_path):
    """Stale cached values are not trusted: change an input, LibreOffice gives the new result."""
    path = tmp_path / "edited.xlsx"
    libreoffice.recalculate([seed_dept_dir / "105002.xlsx"], tmp_path / "cached")
    shutil.copy(tmp_path / "cached" / "105002.xlsx", path)
    wb = openpyxl.load_workbook(path)
    sheet, col, row = L.first_cell("PersonnelSpent")
    wb[sheet][f"{col}{row}"] = 1000
    wb.save(path)
    dept = read_department_file(path).department
    assert dept.personnel_spent == 1000
    v = _compare(libreoffice, path, dept, load_rules(), cached=False)
    assert v["DeptExecRate"][0][0] < 0.8


def test_blank_template_computes_nothing_and_no_errors(libreoffice, tmp_path):
    path = write_department_template(tmp_path / "blank.xlsx")
    got = libreoffice.inspect(path, [], names=list(L.FORMULA_NAMES))
    assert not got["errors"]
    assert got["names"]["DeptTotalScore"][0][0] in ("", None)
    assert got["names"]["DeptExecRate"][0][0] in ("", None)
    assert got["names"]["DeptBudgetProject"][0][0] == 0


# --- template: committed, names, locking, formula limits --------------------------------------

@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return write_department_template(tmp_path_factory.mktemp("t") / "dept.xlsx")


def test_committed_template_equals_a_fresh_build(template):
    assert COMMITTED.is_file(), "run: xlpkg template department -o workbook_templates/部门整体绩效表.xlsx"
    fresh, committed = signature(template), signature(COMMITTED)
    for key in fresh:
        assert fresh[key] == committed[key], f"department template differs in {key}: regenerate it"


def test_names_and_metadata(template):
    wb = openpyxl.load_workbook(template)
    names = {n: d.attr_text for n, d in wb.defined_names.items()}
    for name in HELD_OUT_NAMES:
        assert name in names, name
        assert ":" not in names[name], f"{name} must be a single cell"
    for name, spec in L.NAMES.items():
        assert names[name] == spec.formula
    label_of = lambda n: wb[L.NAMES[n].sheet][f"A{L.first_cell(n)[2]}"].value   # noqa: E731
    assert label_of("DeptBudgetBasic") == "基本支出"
    assert label_of("DeptBudgetProject") == "项目支出"
    assert label_of("DeptExecRate") == "合计"
    assert wb[L.META].sheet_state == "veryHidden" and wb[L.CALC].sheet_state == "veryHidden"
    meta = wb[L.META]
    assert meta["B1"].value == L.TEMPLATE_ID and meta["B2"].value == L.TEMPLATE_VERSION
    assert [ws.title for ws in wb.worksheets] == list(L.SHEETS)


def test_only_light_yellow_inputs_are_unlocked(template):
    wb = openpyxl.load_workbook(template)
    assert wb.security.lockStructure
    unlocked = 0
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell, MergedCell):   # the merge's top-left cell speaks for it
                    continue
                yellow = cell.fill.fgColor.rgb == INPUT_FILL.fgColor.rgb
                assert yellow == (not cell.protection.locked), (ws.title, cell.coordinate)
                if yellow:
                    unlocked += 1
                    assert not (isinstance(cell.value, str) and cell.value.startswith("="))
    assert unlocked > 1000
    for name in ("DeptCode", "PersonnelBudget", "ThreePublicBudget", "DeptProjects"):
        sheet, col, row = L.first_cell(name)
        assert not wb[sheet][f"{col}{row}"].protection.locked
    for name in HELD_OUT_NAMES[1:]:
        sheet, col, row = L.first_cell(name)
        assert wb[sheet][f"{col}{row}"].protection.locked


def test_every_input_has_a_prompt(template):
    wb = openpyxl.load_workbook(template)
    for ws in wb.worksheets:
        prompted = set()
        for dv in ws.data_validations.dataValidation:
            if dv.prompt and dv.showInputMessage:
                for rng in dv.sqref.ranges:
                    prompted.update((r, c) for r in range(rng.min_row, rng.max_row + 1)
                                    for c in range(rng.min_col, rng.max_col + 1))
        for row in ws.iter_rows():
            for cell in row:
                if not isinstance(cell, MergedCell) and not cell.protection.locked:
                    assert (cell.row, cell.column) in prompted, (ws.title, cell.coordinate)


def test_libreoffice_sees_the_protection(libreoffice, template):
    cells = [f"'{L.NAMES[n].sheet}'!{L.NAMES[n].ref.split(':')[0]}"
             for n in ("DeptBudgetProject", "DeptTotalScore", "PersonnelBudget", "Carryover")]
    got = libreoffice.inspect(template, cells)
    assert all(got["sheet_protected"][s] for s in (L.DECL, L.EVAL, L.PROJ))
    assert [got["locked"][c] for c in cells] == [True, True, False, False]


def _depth(formula: str) -> int:
    depth = peak = 0
    for ch in re.sub(r'"[^"]*"', "", formula):
        depth += ch == "("
        depth -= ch == ")"
        peak = max(peak, depth)
    return peak


def test_every_formula_of_every_template_is_within_excel_limits():
    count = 0
    for path in sorted((ROOT / "workbook_templates").glob("*.xlsx")):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        count += 1
                        where = f"{path.name} {ws.title}!{cell.coordinate}"
                        assert len(cell.value) <= 8192, where
                        assert _depth(cell.value) <= 64, where
                        assert not NEWER_THAN_2010.search(cell.value), where
    assert count > 1000


# --- round trip, capacity, bad cells ----------------------------------------------------------

def test_round_trip(tmp_path):
    dept = _edge_department()
    path = write_department(dept, tmp_path / "rt.xlsx")
    back = read_department_file(path)
    assert not back.issues
    assert department_to_dict(back.department) == department_to_dict(dept)


def test_json_example_round_trips_through_the_workbook(tmp_path):
    dept = department_from_dict(json.loads(DEPT_JSON.read_text("utf-8")))
    assert dept.illustrative and dept.personnel_budget == D("2100")
    back = read_department_file(write_department(dept, tmp_path / "x.xlsx")).department
    assert department_to_dict(back) == department_to_dict(dept)


def test_capacity_and_bad_values(tmp_path):
    dept = _edge_department()
    dept.projects = [DeptProject(f"P{i}") for i in range(L.PROJECT_ROWS + 1)]
    with pytest.raises(DeptCapacityError, match="最多容纳"):
        write_department(dept, tmp_path / "big.xlsx")
    path = write_department(_edge_department(), tmp_path / "bad.xlsx")
    wb = openpyxl.load_workbook(path)
    sheet, col, row = L.first_cell("ThreePublicSpent")
    wb[sheet][f"{col}{row}"] = "十二万"
    wb.save(path)
    back = read_department_file(path)
    assert back.department.three_public_spent is None
    (issue,) = back.issues
    assert (issue.sheet, issue.cell) == (L.EVAL, f"{col}{row}") and "不是数字" in issue.message
    project_form = next(EXAMPLES.__iter__())
    fill_workbook(load_project_json(project_form), tmp_path / "p.xlsx")
    refused = read_department_file(tmp_path / "p.xlsx")
    assert refused.department is None and "不是部门整体绩效表" in refused.issues[0].message


def test_rulebook_department_weights_must_add_up():
    with pytest.raises(RulesError, match="应为100"):
        department_metrics(_edge_department(), _rules(projects=50))


# --- the seed's department reproduced from its forms -------------------------------------------

def test_seed_department_reproduced_from_its_forms(seed_dept_dir):
    info = json.loads(DEPT_JSON.read_text("utf-8"))
    dept = read_department_file(seed_dept_dir / "105002.xlsx").department
    assert (dept.dept_code, dept.dept_name, dept.year) == ("105002", info["dept_name"], 2022)
    assert dept.overall_goal == info["overall_goal"] and dept.overall_goal in SEED
    assert dept.guarantees.split("\n") == info["guarantees"]
    assert all(g in SEED for g in info["guarantees"])
    assert [(s.title, s.goal, s.indicators, s.project_code) for s in dept.sub_goals] == [
        (s["title"], s["goal"], s["indicators"], s["project_code"]) for s in info["sub_goals"]]
    for s in dept.sub_goals:
        assert s.title in SEED and s.goal in SEED
    assert [(p.code, p.budget) for p in dept.projects] == [
        ("105002B16DX0003", 1400), ("105002B21DX0008", 638), ("105002B22DX0009", 740)]
    other = read_department_file(seed_dept_dir / "105004.xlsx").department
    project = load_project_json(ROOT / "examples" / "105004B22DX0001.json")
    (sub,) = other.sub_goals
    assert (sub.title, sub.goal, sub.project_code) == (project.name, project.goal, project.code)
    assert sub.indicators == [i.name for i in project.indicators]
    assert other.projects[0].budget == 1177 and other.personnel_budget is None


def test_department_inputs_carry_over_and_projects_follow_the_forms(seed_forms, tmp_path):
    out = tmp_path / "dept"
    c = consolidate([seed_forms], jobs=1, dept_info=[DEPT_JSON])
    write_department_forms(c, out, dept_info=[DEPT_JSON])
    mine = read_department_file(out / "105002.xlsx").department
    mine.carryover, mine.achievement = D("12.34"), "部门自己填写的完成情况"
    mine.sub_goals[0].title = "部门改写的分项名称"
    write_department(mine, out / "105002.xlsx")
    fewer = tmp_path / "fewer"
    fewer.mkdir()
    for name in ("105002B16DX0003.xlsx", "105002B22DX0009.xlsx"):
        shutil.copy(seed_forms / name, fewer / name)
    result = write_department_forms(consolidate([fewer], jobs=1), out)   # no info file this time
    assert [p.name for p in result.written] == ["105002.xlsx"] and not has_errors(result.issues)
    again = read_department_file(out / "105002.xlsx").department
    assert again.carryover == D("12.34") and again.achievement == "部门自己填写的完成情况"
    assert [p.code for p in again.projects] == ["105002B16DX0003", "105002B22DX0009"]
    assert [s.project_code for s in again.sub_goals] == ["105002B16DX0003", "105002B22DX0009"]
    assert again.sub_goals[0].title == "部门改写的分项名称"


def test_unreadable_department_workbook_is_not_overwritten(seed_forms, tmp_path):
    out = tmp_path / "dept"
    out.mkdir()
    (out / "105002.xlsx").write_bytes(b"not a workbook")
    result = write_department_forms(consolidate([seed_forms], jobs=1), out)
    assert (out / "105002.xlsx").read_bytes() == b"not a workbook"
    assert [p.name for p in result.written] == ["105004.xlsx"]
    assert any("未重新生成" in i.message and i.file.endswith("105002.xlsx") for i in result.issues)


def test_department_workbook_with_bad_inputs_or_another_year_is_kept(seed_forms, tmp_path):
    out = tmp_path / "dept"
    c = consolidate([seed_forms], jobs=1)
    write_department_forms(c, out)
    wb = openpyxl.load_workbook(out / "105002.xlsx")
    sheet, col, row = L.first_cell("Carryover")
    wb[sheet][f"{col}{row}"] = "九十六万"
    wb.save(out / "105002.xlsx")
    before = (out / "105002.xlsx").read_bytes()
    result = write_department_forms(c, out)
    assert (out / "105002.xlsx").read_bytes() == before
    assert any(i.cell == f"{col}{row}" and "不是数字" in i.message for i in result.issues)
    assert any("以免丢失已填内容" in i.message for i in result.issues)
    old = read_department_file(out / "105004.xlsx").department
    old.year = 2021
    write_department(old, out / "105004.xlsx")
    before = (out / "105004.xlsx").read_bytes()
    result = write_department_forms(c, out)
    assert (out / "105004.xlsx").read_bytes() == before
    assert any("2021年度" in i.message and "2022年度" in i.message for i in result.issues)


# --- the command line ---------------------------------------------------------------------------

def test_cli_consolidate_writes_department_forms(seed_forms, tmp_path, capsys):
    out = tmp_path / "dept"
    summary = tmp_path / "部门汇总.xlsx"
    code = main(["consolidate", str(seed_forms), "-o", str(summary), "--jobs", "1",
                 "--dept-forms", str(out), "--dept-info", str(DEPT_JSON)])
    assert code == 0, capsys.readouterr().out
    assert sorted(p.name for p in out.glob("*.xlsx")) == ["105002.xlsx", "105004.xlsx"]
    # The department workbook given as an input is the department's, not a project form.
    edited = read_department_file(out / "105002.xlsx").department
    edited.carryover = D("1.5")
    given = tmp_path / "given.xlsx"
    write_department(edited, given)
    code = main(["consolidate", str(seed_forms), str(given), "-o", str(summary), "--jobs", "1",
                 "--dept-forms", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "4个项目" in text
    assert read_department_file(out / "105002.xlsx").department.carryover == D("1.5")


def test_cli_template_department(tmp_path, capsys):
    assert main(["template", "department", "-o", str(tmp_path / "d.xlsx")]) == 0
    assert signature(tmp_path / "d.xlsx") == signature(COMMITTED)


# --- print ---------------------------------------------------------------------------------------

def test_printed_department_workbook_is_legible(libreoffice, seed_dept_dir, tmp_path):
    import pymupdf  # noqa: E402 - a test dependency (setup.cfg)
    pdf = libreoffice.render_pdf(seed_dept_dir / "105002.xlsx", tmp_path)
    doc = pymupdf.open(pdf)
    sizes, text = [], ""
    for page in doc:
        assert round(min(page.rect.width, page.rect.height)) == 595   # A4
        for block in page.get_text("dict")["blocks"]:
            for line in block.get("lines", []):
                for span in line["spans"]:
                    if span["text"].strip():
                        sizes.append(span["size"])
        text += page.get_text()
    assert min(sizes) >= 7, min(sizes)
    assert doc.page_count <= 6          # unused rows are hidden: the forms end with the data
    for needle in ("部门整体支出绩效目标申报表", "部门整体支出绩效自评表", "项目支出明细",
                   "深化党风廉政建设和反腐败工作", "政府采购执行率", "98.52"):
        assert needle in text.replace("\n", ""), needle
    fonts = {f[3] for page in doc for f in page.get_fonts()}
    assert any("CJK" in f or "Noto" in f or "Song" in f for f in fonts), fonts


def test_held_out_names_read_without_a_spreadsheet_engine(seed_dept_dir):
    """The finance bureau reads these through a plain named-cell reader (no recalculation)."""
    source = CalamineSource(seed_dept_dir / "105002.xlsx")
    got = {n: name_values(source, n)[0][0] for n in HELD_OUT_NAMES}
    assert got["DeptCode"] == "105002"
    assert got["DeptBudgetBasic"] == 2460 and got["DeptBudgetProject"] == 2778
    assert got["DeptExecRate"] == pytest.approx(5193.85 / 5288, abs=1e-12)
    assert (got["DeptTotalScore"], got["DeptGrade"]) == (98.52, "优")


def test_typing_into_inputs_recomputes_and_locked_cells_refuse(libreoffice, seed_dept_dir):
    """As an accountant types (LibreOffice's dispatcher honours the protection)."""
    path = seed_dept_dir / "105002.xlsx"
    dept = read_department_file(path).department
    sheet, col, row = L.first_cell("PersonnelSpent")
    _, tcol, trow = L.first_cell("ThreePublicSpent")
    typed = libreoffice.type_cells(path, sheet, [(f"{col}{row}", "1000"), (f"{tcol}{trow}", "60")],
                                   names=["DeptExecRate", "CommonScores", "DeptTotalScore", "DeptGrade"])
    dept.personnel_spent, dept.three_public_spent = D(1000), D(60)
    m = department_metrics(dept)
    assert typed["names"]["DeptExecRate"][0][0] == pytest.approx(float(m.execution_rate), abs=1e-12)
    assert typed["names"]["CommonScores"][2][0] == pytest.approx(float(round2(m.common["three_public"].score)))
    assert typed["names"]["DeptTotalScore"][0][0] == pytest.approx(float(m.total)) and m.total < 98
    sheet, col, row = L.first_cell("DeptTotalScore")
    refused = libreoffice.type_cells(path, sheet, [(f"{col}{row}", "100")])
    assert refused["values"][f"{col}{row}"] == pytest.approx(98.52)


def test_a_large_department_prints_legibly_with_headers_repeated(libreoffice, tmp_path):
    import pymupdf  # noqa: E402 - a test dependency (setup.cfg)
    dept = _edge_department()
    dept.projects = [DeptProject(f"109001B23AA{i:04d}", f"第{i}个项目的名称比较长需要换行显示的情况", D(100 + i),
                                 None, D(90), D(80 + i % 20)) for i in range(120)]
    dept.sub_goals = [SubGoal(f"分项{i}", "绩效目标" * 10, ["指标甲", "指标乙", "指标丙"], p.code)
                      for i, p in enumerate(dept.projects)]
    pdf = libreoffice.render_pdf(write_department(dept, tmp_path / "big.xlsx"), tmp_path)
    doc = pymupdf.open(pdf)
    sizes = [s["size"] for page in doc for b in page.get_text("dict")["blocks"]
             for line in b.get("lines", []) for s in line["spans"] if s["text"].strip()]
    assert min(sizes) >= 7, min(sizes)
    detail_pages = [page.get_text() for page in doc if "109001B23AA0" in page.get_text()
                    and "全年执行数" in page.get_text() and "自评等级" in page.get_text()]
    project_pages = [t for t in (page.get_text() for page in doc) if "第119个项目" in t or "第60个项目" in t]
    assert len(detail_pages) >= 3          # the long table spans pages, each with its header
    assert all("自评等级" in t for t in project_pages)
    codes = {c for t in detail_pages for c in re.findall(r"109001B23AA0\d{3}", t)}
    assert len(codes) == 120               # every project printed, none cut off


def test_many_departments_are_written_in_parallel(tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    for n in range(5):
        project = load_project_json(ROOT / "examples" / "105004B22DX0001.json")
        project.dept_code = f"2000{n:02d}"
        project.code = f"2000{n:02d}B22DX0001"
        fill_workbook(project, forms / f"{project.code}.xlsx")
    result = write_department_forms(consolidate([forms], jobs=1), tmp_path / "dept", jobs=2)
    assert not has_errors(result.issues)
    assert sorted(p.name for p in result.written) == [f"2000{n:02d}.xlsx" for n in range(5)]
    for n in range(5):
        dept = read_department_file(tmp_path / "dept" / f"2000{n:02d}.xlsx").department
        assert [p.code for p in dept.projects] == [f"2000{n:02d}B22DX0001"]


def test_a_rulebook_without_a_department_section_uses_the_shipped_one():
    data = copy.deepcopy(load_rules().data)
    del data["department"]
    province = rules_from_dict(data, source="province.json")
    assert department_metrics(_edge_department(), province).total == department_metrics(_edge_department()).total


def test_a_department_workbook_among_project_forms_is_named_as_such(seed_dept_dir, seed_forms, tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(seed_forms, forms)
    shutil.copy(seed_dept_dir / "105004.xlsx", forms / "部门表.xlsx")
    c = consolidate([forms], jobs=1)
    assert c.project_count == 4
    messages = list(c.issues[c.issues["文件"].str.endswith("部门表.xlsx")]["说明"])
    assert messages and "部门整体绩效表" in messages[0] and "--dept-forms" in messages[0]


def test_department_checks_name_sheet_and_cell():
    from xlpkg.department.checks import check_department

    dept = _edge_department()
    dept.sub_goals.append(SubGoal("外来分项", "目标", [], "999999B23AA0001"))
    issues = check_department(dept, _rules(**EDGE_RULES))
    found = {(i.rule, i.sheet, i.cell) for i in issues}
    sheet, col, row = L.first_cell("SubGoals")
    assert ("dept.subgoal_project", sheet, f"C{row + 2}") in found
    _, acol, arow = L.first_cell("CommonAnalysis")
    # 结转结余率 scored 0 without a reason; 三公 lost points but has one
    assert ("dept.analysis_missing", L.EVAL, f"{acol}{arow + 1}") in found
    assert ("dept.analysis_missing", L.EVAL, f"{acol}{arow + 2}") not in found
    _, scol, srow = L.first_cell("DeptIndScore")
    assert ("dept.score_above_weight", L.EVAL, f"{scol}{srow + 1}") in found
    _, ncol, nrow = L.first_cell("DeptIndAnalysis")
    assert ("dept.analysis_missing", L.EVAL, f"{ncol}{nrow}") in found   # 27 of 30, no reason
    assert any(i.rule == "dept.weights_sum" for i in issues)              # 50 typed, weight 20
    assert all(i.severity == "warning" and i.message for i in issues)
