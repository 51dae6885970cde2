"""Multi-level consolidation: a city of department folders, department summaries made by xlpkg
and department workbooks as inputs beside forms; each project counted once by (code, year),
every total recomputed from the projects underneath."""
from __future__ import annotations

import copy
import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import example
from xlpkg.cli import main
from xlpkg.consolidate import TOTAL_LABEL, consolidate
from xlpkg.model import Execution
from xlpkg.consolidate.multilevel import DATA_SHEET, decode_record, encode_record
from xlpkg.summary import write_summary
from xlpkg.workbook.writer import fill_workbook

DEPTS = ("201001", "201002", "201003", "201004")


def _project(dept: str, n: int, year: int = 2022):
    p = copy.deepcopy(example("105002B21DX0008"))
    p.dept_code, p.dept_name = dept, f"测试部门{dept[-1]}"
    p.code, p.year = f"{dept}B22DX{n:04d}", year
    p.budget = Decimal(100 + 37 * n + int(dept[-1]))
    p.uses[0].amount = p.budget
    spent = p.budget - Decimal(n % 3) * Decimal("7.5")
    p.execution = Execution(actual_cumulative=[p.budget * p.plan[q] / 100 for q in range(4)],
                            year_spent=spent)
    p.execution.actual_cumulative[3] = spent
    return p


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    """city/<dept>/<code>.xlsx: four departments, three projects each."""
    root = tmp_path_factory.mktemp("city")
    for dept in DEPTS:
        for n in range(3):
            p = _project(dept, n)
            fill_workbook(p, root / "forms" / dept / f"{p.code}.xlsx")
    return root


@pytest.fixture(scope="module")
def direct(city):
    return consolidate(city / "forms", jobs=1)


def _dept(c, code):
    return c.departments.set_index("部门编码").loc[code]


def _same_totals(a, b) -> None:
    cols = ["项目数", "全年预算数（万元）", "全年执行数（万元）", "执行率", "加权平均得分"]
    left = a.departments.set_index("部门编码")[cols]
    right = b.departments.set_index("部门编码")[cols]
    assert left.sort_index().equals(right.sort_index())
    assert sorted(a.projects["项目编码"]) == sorted(b.projects["项目编码"])


def _summary_of(city: Path, out: Path, *depts: str) -> Path:
    c = consolidate([city / "forms" / d for d in depts], jobs=1)
    return write_summary(c, out)


def test_a_summary_is_read_back_to_the_same_totals(city, direct, tmp_path):
    summary = _summary_of(city, tmp_path / "全市.xlsx", *DEPTS)
    again = consolidate(summary, jobs=1)
    _same_totals(again, direct)
    # the projects' issues are found again (re-checked from the inputs), plus one note
    rules = again.issues["规则"].tolist()
    rules.remove("consolidate.summary_input")
    assert sorted(rules) == sorted(direct.issues["规则"])
    assert again.projects["问题数"].sum() == direct.projects["问题数"].sum()
    assert again.files_read == [str(summary)]


def test_forms_summaries_and_a_folder_tree_count_each_project_once(city, direct, tmp_path):
    inbox = tmp_path / "财政局"
    shutil.copytree(city / "forms" / DEPTS[0], inbox / DEPTS[0])            # forms only
    _summary_of(city, inbox / "s12.xlsx", DEPTS[1], DEPTS[2])                # a summary
    _summary_of(city, inbox / "s23.xlsx", DEPTS[2], DEPTS[3])                # overlaps s12
    _summary_of(city, inbox / "sub" / "s01.xlsx", DEPTS[0], DEPTS[1])        # overlaps forms
    shutil.copy(next((city / "forms" / DEPTS[3]).glob("*.xlsx")), inbox)     # a form again
    c = consolidate(inbox, jobs=2)
    _same_totals(c, direct)
    assert c.departments.set_index("部门编码").loc[TOTAL_LABEL, "项目数"] == 12
    notes = c.issues[c.issues["规则"] == "consolidate.summary_input"]
    assert len(notes) == 3 and set(notes["严重程度"]) == {"警告"}
    assert not (c.issues["严重程度"] == "错误").any(), c.issues.to_string()
    # forms win over summaries: every project of DEPTS[0] comes from its own form file
    sources = c.projects.set_index("项目编码")["来源文件"]
    assert all(DEPTS[0] in sources[code] and "s01" not in sources[code]
               for code in sources.index if code.startswith(DEPTS[0]))


def test_a_summary_of_summaries_keeps_exact_totals(city, direct, tmp_path):
    a = _summary_of(city, tmp_path / "a.xlsx", DEPTS[0], DEPTS[1])
    b = _summary_of(city, tmp_path / "b.xlsx", DEPTS[2], DEPTS[3])
    district = write_summary(consolidate([a, b], jobs=1), tmp_path / "up" / "区.xlsx")
    province = consolidate([district, a], jobs=1)   # a arrives twice across levels
    _same_totals(province, direct)
    total = _dept(province, TOTAL_LABEL)
    assert total["全年预算数（万元）"] == pytest.approx(
        float(sum(_project(d, n).budget for d in DEPTS for n in range(3))), abs=1e-9)


def test_a_previous_summary_in_the_source_folder_is_no_bad_file(city, direct, tmp_path):
    folder = tmp_path / "forms"
    shutil.copytree(city / "forms", folder)
    for run in range(2):   # the 汇总 button saves into the folder it reads
        c = consolidate(folder, jobs=1, exclude=[folder / "部门汇总.xlsx"])
        write_summary(c, folder / ("部门汇总.xlsx" if run == 0 else "旧汇总.xlsx"))
        _same_totals(c, direct)
        assert not c.files_with_errors


def test_shown_numbers_are_not_trusted(city, direct, tmp_path):
    summary = _summary_of(city, tmp_path / "s.xlsx", *DEPTS)
    wb = openpyxl.load_workbook(summary)
    ws = wb["项目汇总"]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("全年执行数（万元）") + 1).value = 999999
    wb.save(summary)
    c = consolidate(summary, jobs=1)
    _same_totals(c, direct)
    mismatch = c.issues[c.issues["规则"] == "consolidate.summary_mismatch"]
    assert len(mismatch) == 1 and "999999" in mismatch["说明"].iloc[0]


def test_a_row_without_inputs_and_a_damaged_record_are_reported(city, tmp_path):
    summary = _summary_of(city, tmp_path / "s.xlsx", DEPTS[0])
    wb = openpyxl.load_workbook(summary)
    data = wb[DATA_SHEET]
    data.cell(2, 5).value = "z1:not-base64!"
    wb.save(summary)
    c = consolidate(summary, jobs=1)
    assert len(c.projects) == 2
    bad = c.issues[c.issues["规则"] == "form.unreadable"]
    assert len(bad) == 1 and "损坏" in bad["说明"].iloc[0]


def test_issues_of_a_carried_project_are_rechecked(tmp_path):
    p = _project(DEPTS[0], 7)
    p.plan = [p.plan[0], p.plan[1], p.plan[2], Decimal(90)]   # plan.ends_100 is an error
    fill_workbook(p, tmp_path / "forms" / f"{p.code}.xlsx")
    c = consolidate(tmp_path / "forms", jobs=1)
    assert "plan.ends_100" in set(c.issues["规则"])
    summary = write_summary(c, tmp_path / "s.xlsx")
    again = consolidate(summary, jobs=1)
    # an erroneous project is not summed, but the summary carries it: the next level finds its
    # problem again instead of losing the project without a word
    assert len(c.projects) == 0 and len(again.projects) == 0
    row = again.issues[again.issues["规则"] == "plan.ends_100"]
    assert len(row) == 1 and p.code in row["说明"].iloc[0] and row["文件"].iloc[0] == str(summary)
    assert again.files_with_errors == [str(summary)]


def test_year_filter_applies_inside_summaries(city, tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(city / "forms" / DEPTS[0], forms)
    old = _project(DEPTS[0], 9, year=2021)
    fill_workbook(old, forms / f"{old.code}.xlsx")
    summary = write_summary(consolidate(forms, jobs=1), tmp_path / "s.xlsx")
    c = consolidate(summary, jobs=1, year=2022)
    assert len(c.projects) == 3
    assert "consolidate.other_year" in set(c.issues["规则"])


def _department_workbook(path: Path, code: str, score, grade="优", rate=0.97,
                         template_id="xlpkg.department-form") -> Path:
    """A stand-in with the department workbook's defined names (its real builder is elsewhere)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "部门整体支出绩效自评表"
    values = {"TemplateId": template_id, "TemplateVersion": 1, "DeptCode": code,
              "DeptName": f"测试部门{code[-1]}", "DeptTotalScore": score, "DeptGrade": grade,
              "DeptExecRate": rate, "FiscalYear": 2022}
    for r, (name, value) in enumerate(values.items(), start=1):
        ws.cell(r, 2).value = value
        wb.defined_names[name] = openpyxl.workbook.defined_name.DefinedName(
            name, attr_text=f"'{ws.title}'!$B${r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def test_department_workbooks_give_the_self_evaluation(city, direct, tmp_path):
    inbox = tmp_path / "in"
    shutil.copytree(city / "forms", inbox)
    _department_workbook(inbox / DEPTS[0] / "部门整体绩效表.xlsx", DEPTS[0], 91.5)
    _department_workbook(inbox / DEPTS[1] / "部门整体绩效表.xlsx", DEPTS[1], None)
    c = consolidate(inbox, jobs=1)
    _same_totals(c, direct)   # a department workbook is no project form
    evals = c.dept_evaluations.set_index("部门编码")
    assert evals.loc[DEPTS[0], "部门自评得分"] == 91.5
    assert list(evals.index) == [DEPTS[0], DEPTS[1]]
    notes = c.issues[c.issues["规则"] == "consolidate.department_form"]
    assert set(notes["严重程度"]) == {"警告"} and len(notes) == 3   # two named, one without a total
    assert not c.files_with_errors
    # the bureau sheets carry it, and a summary carries it up a level
    out = write_summary(c, tmp_path / "局.xlsx")
    ranking = openpyxl.load_workbook(out)["部门排名"]
    header = [x.value for x in ranking[1]]
    rows = {r[header.index("部门编码")]: r for r in ranking.iter_rows(min_row=2, values_only=True)}
    assert rows[DEPTS[0]][header.index("部门自评得分")] == 91.5
    assert rows[DEPTS[0]][header.index("部门自评等级")] == "优"
    up = consolidate(out, jobs=1)
    assert up.dept_evaluations.set_index("部门编码").loc[DEPTS[0], "部门自评得分"] == 91.5


def test_bureau_ranking_and_watch_list(city, tmp_path):
    inbox = tmp_path / "in"
    shutil.copytree(city / "forms", inbox)
    weak = _project(DEPTS[2], 5)
    weak.execution.year_spent = weak.budget * Decimal("0.2")           # 差 and a red light
    weak.execution.actual_cumulative = [Decimal(1), Decimal(2), Decimal(3), weak.execution.year_spent]
    for ind in weak.indicators:
        ind.actual = "0"
    fill_workbook(weak, inbox / DEPTS[2] / f"{weak.code}.xlsx")
    c = consolidate(inbox, jobs=1)
    out = write_summary(c, tmp_path / "局.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:3] == ["部门排名", "重点关注项目", "等级分布"]
    rank = wb["部门排名"]
    header = [x.value for x in rank[1]]
    rows = list(rank.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(DEPTS)
    scores = [r[header.index("加权平均得分")] for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert [r[header.index("得分排名")] for r in rows] == [1, 2, 3, 4]
    assert rows[-1][header.index("部门编码")] == DEPTS[2]
    watch = list(wb["重点关注项目"].iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in watch] == [weak.code]
    assert "差" in watch[0][9] and "红灯" in watch[0][9]
    grades = wb["等级分布"]
    gh = [x.value for x in grades[1]]
    g = {r[0]: r for r in grades.iter_rows(min_row=2, values_only=True)}
    assert g[DEPTS[2]][gh.index("差（个）")] == 1 and g[DEPTS[2]][gh.index("项目数")] == 4
    assert g[DEPTS[2]][gh.index("差占比")] == pytest.approx(0.25)


def test_one_department_has_no_bureau_sheets_unless_asked(city, tmp_path, capsys):
    c = consolidate(city / "forms" / DEPTS[0], jobs=1)
    plain = write_summary(c, tmp_path / "a.xlsx")
    assert "部门排名" not in openpyxl.load_workbook(plain).sheetnames
    assert main(["consolidate", str(city / "forms" / DEPTS[0]), "-o", str(tmp_path / "b.xlsx"),
                 "--bureau"]) == 0
    assert "部门排名" in openpyxl.load_workbook(tmp_path / "b.xlsx").sheetnames


def test_cli_consolidates_a_city_of_summaries(city, direct, tmp_path, capsys):
    inbox = tmp_path / "in"
    for dept in DEPTS:
        _summary_of(city, inbox / dept / "部门汇总.xlsx", dept)
    code = main(["consolidate", str(inbox), "-o", str(tmp_path / "局.xlsx"), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0, result["message"]
    assert len(result["projects"]) == 12
    total = next(d for d in result["departments"] if d["部门编码"] == TOTAL_LABEL)
    assert total["全年预算数（万元）"] == _dept(direct, TOTAL_LABEL)["全年预算数（万元）"]


def test_the_fast_project_dict_equals_the_model_json(example_projects):
    from xlpkg.model import project_to_dict
    from xlpkg.consolidate.multilevel import project_dict

    from tests.workbook.test_v2 import all_fields

    every_field = all_fields()   # v2's nested dataclasses too (execution.funds, causes)
    assert every_field.execution.funds
    for p in [*example_projects.values(), every_field]:
        assert project_dict(p) == project_to_dict(p)


def test_records_are_validated_as_project_json(example_projects):
    from xlpkg.model import project_to_dict
    from xlpkg.consolidate.multilevel import project_from_record

    p = next(iter(example_projects.values()))
    assert project_from_record(project_to_dict(p)) == p
    for path, bad in ((("budget",), "NaN"), (("budget",), "1e999"), (("year",), "2022"),
                      (("indicators", 0, "name"), 5), (("execution", "year_spent"), 1.5),
                      (("indicators", 0, "applicable"), "否"), (("uses",), {"a": 1}),
                      (("plan",), ["1"] * 9)):
        data = project_to_dict(p)
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = bad
        with pytest.raises(ValueError):
            project_from_record(data)


def test_records_round_trip_and_refuse_bombs():
    data = {"project": {"a": "预算" * 100}}
    assert decode_record(encode_record(data)) == data
    import base64
    import zlib
    bomb = "z1:" + base64.b64encode(zlib.compress(b"0" * (70 * 2**20))).decode()
    with pytest.raises(ValueError):
        decode_record(bomb)


def test_a_city_of_a_hundred_department_summaries(tmp_path):
    """100 departments, each a summary made by xlpkg, read back into one bureau workbook."""
    from xlpkg.consolidate import build, outcome_from_project
    from xlpkg.rules import load_rules

    rules = load_rules()
    expected = Decimal(0)
    for d in range(100):
        dept = f"3{d:05d}"
        projects = [_project(dept, n) for n in range(5)]
        expected += sum(p.budget for p in projects)
        c = build([outcome_from_project(p, f"/city/{dept}/{p.code}.xlsx", rules)
                   for p in projects], rules)
        write_summary(c, tmp_path / "city" / dept / "部门汇总.xlsx")
    c = consolidate(tmp_path / "city", jobs=2)
    assert len(c.projects) == 500 and not c.files_with_errors
    total = _dept(c, TOTAL_LABEL)
    assert Decimal(str(float(total["全年预算数（万元）"]))) == expected
    out = write_summary(c, tmp_path / "局.xlsx")
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb["部门排名"].max_row == 101


def test_department_workbooks_written_by_dept_forms_feed_the_ranking(city, tmp_path, capsys):
    dept_dir = tmp_path / "部门表"
    assert main(["consolidate", str(city / "forms"), "-o", str(tmp_path / "a.xlsx"),
                 "--dept-forms", str(dept_dir)]) == 0
    capsys.readouterr()
    assert sorted(p.stem for p in dept_dir.glob("*.xlsx")) == sorted(DEPTS)
    c = consolidate([city / "forms", dept_dir], jobs=1)
    assert not c.files_with_errors and len(c.projects) == 12
    evals = c.dept_evaluations.set_index("部门编码")
    assert sorted(evals.index) == sorted(DEPTS)
    assert all(0 < s <= 100 for s in evals["部门自评得分"]) and set(evals["年度"]) == {2022}
    out = write_summary(c, tmp_path / "局.xlsx")
    rank = openpyxl.load_workbook(out)["部门排名"]
    header = [x.value for x in rank[1]]
    shown = {r[header.index("部门编码")]: r[header.index("部门自评得分")]
             for r in rank.iter_rows(min_row=2, values_only=True)}
    assert shown == pytest.approx(evals["部门自评得分"].to_dict())


def test_widened_names_in_a_summary_cost_nothing(city, direct, tmp_path):
    """Names widened far past their data (a damaged or hostile file) cost nothing."""
    import re
    import zipfile

    summary = _summary_of(city, tmp_path / "s.xlsx", *DEPTS)
    widened = tmp_path / "widened.xlsx"
    with zipfile.ZipFile(summary) as src, zipfile.ZipFile(widened, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/workbook.xml":
                # TemplateId is the project reader's to clip; these two are this module's
                data = re.sub(rb"(SummaryData|SummaryProjectTable)\">([^<]*)!\$A\$1(:\$[A-Z]+\$[0-9]+)?",
                              rb'\1">\2!$A$1:$ZZ$100000', data)
                assert data.count(b"$ZZ$100000") == 2
            dst.writestr(item, data)
    c = consolidate(widened, jobs=1)
    _same_totals(c, direct)
