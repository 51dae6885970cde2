"""The cost commands and options (issue 26): `standards template`, `--standards` on
check/read/validate/score/consolidate, `score --json`'s unit_cost, `template project --rules`."""
from __future__ import annotations

import json

import openpyxl
import pytest

from tests.core.test_cost import RULES_101, cost_project
from xlpkg.cli import main
from xlpkg.model import project_to_json
from xlpkg.workbook import layout as L
from xlpkg.workbook.standards import STANDARDS_HEADERS, read_standards
from xlpkg.workbook.writer import fill_workbook
from xlpkg.rules import load_rules


@pytest.fixture
def standards(tmp_path):
    path = tmp_path / "支出标准.xlsx"
    assert main(["standards", "template", "-o", str(path)]) == 0
    wb = openpyxl.load_workbook(path)
    wb["支出标准"].append(["培训费（二类）", "人天", 550, "某省培训费管理办法"])
    wb.save(path)
    return path


def over_project():
    p = cost_project()
    p.indicators[2].basis = "标准：培训费（二类）×500人天"   # 27.5万元 < ≤30万元
    p.unit_cost_basis = "培训人次"
    return p


def test_the_standards_template_has_the_headers_and_only_marked_examples(tmp_path, capsys):
    path = tmp_path / "支出标准.xlsx"
    assert main(["standards", "template", "-o", str(path)]) == 0
    assert "示例" in capsys.readouterr().out
    ws = openpyxl.load_workbook(path)["支出标准"]
    assert tuple(c.value for c in ws[1]) == STANDARDS_HEADERS
    examples = [row for row in ws.iter_rows(min_row=2, values_only=True) if any(row)]
    assert examples and all(row[0].startswith("示例") and "非正式" in row[3] for row in examples)
    assert read_standards(path) == []   # the examples are never read as standards


def test_check_with_standards_warns_about_the_over_standard_target(tmp_path, standards, capsys):
    form = tmp_path / "p.json"
    form.write_text(project_to_json(over_project()), "utf-8")
    assert main(["check", "--json", "--rules", str(RULES_101), str(form)]) == 0
    (plain,) = json.loads(capsys.readouterr().out)
    assert "indicator.cost_over_standard" not in {i["rule"] for i in plain["issues"]}
    main(["check", "--json", "--rules", str(RULES_101), "--standards", str(standards), str(form)])
    (result,) = json.loads(capsys.readouterr().out)
    (issue,) = [i for i in result["issues"] if i["rule"] == "indicator.cost_over_standard"]
    assert "培训费（二类）" in issue["message"] and "27.5万元" in issue["message"]


def test_read_and_validate_of_a_workbook_take_standards(tmp_path, standards, capsys):
    path = fill_workbook(over_project(), tmp_path / "p.xlsx", rules=load_rules(RULES_101))
    for command in ("read", "validate"):
        main([command, "--json", "--rules", str(RULES_101), "--standards", str(standards), str(path)])
        out = json.loads(capsys.readouterr().out)
        issues = out["issues"] if command == "read" else out[0]["issues"]
        (issue,) = [i for i in issues if i["rule"] == "indicator.cost_over_standard"]
        assert issue["sheet"] == L.DECL and issue["cell"][1:] == str(L.IND_FIRST + 2)   # the row's 指标值


def test_score_json_has_the_unit_cost_and_the_cost_level(tmp_path, capsys):
    form = tmp_path / "p.json"
    form.write_text(project_to_json(over_project()), "utf-8")
    assert main(["score", "--json", "--rules", str(RULES_101), str(form)]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["unit_cost"]["unit"] == "万元/人次" and result["unit_cost"]["basis"] == "培训人次"
    assert float(result["unit_cost"]["amount"]) == pytest.approx(95 / 45)
    assert result["self_evaluation"]["groups"]["cost"] == {"weight": "10.00", "score": "9.20"}
    assert result["self_evaluation"]["total"] == "96.14"
    assert "indicator.cost_over_standard" not in {i["rule"] for i in result["issues"]}


def test_score_json_of_a_workbook_carries_the_over_standard_warning(tmp_path, standards, capsys):
    path = fill_workbook(over_project(), tmp_path / "p.xlsx", rules=load_rules(RULES_101))
    assert main(["score", "--json", "--rules", str(RULES_101), "--standards", str(standards), str(path)]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["self_evaluation"]["total"] == "96.14" and result["unit_cost"]["basis"] == "培训人次"
    (issue,) = [i for i in result["issues"] if i["rule"] == "indicator.cost_over_standard"]
    assert "培训费（二类）" in issue["message"]


@pytest.mark.parametrize("row, words", [
    (["培训费", "人天", "很多", ""], "C"),
    (["培训费", "人天", -5, ""], "大于0"),
    ([None, "人天", 5, ""], "名称未填写"),
])
def test_a_bad_standards_table_is_refused_naming_the_cell(tmp_path, standards, capsys, row, words):
    wb = openpyxl.load_workbook(standards)
    wb["支出标准"].append(row)
    wb.save(standards)
    form = tmp_path / "p.json"
    form.write_text(project_to_json(over_project()), "utf-8")
    assert main(["check", "--standards", str(standards), str(form)]) == 2
    err = capsys.readouterr().err
    assert "支出标准表" in err and "工作表“支出标准”" in err and words in err


def test_template_project_with_the_101_rulebook(tmp_path):
    out = tmp_path / "t.xlsx"
    assert main(["template", "project", "--rules", str(RULES_101), "-o", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    assert wb[L.META][f"B{L.META_LEVELS_ROW}"].value == load_rules(RULES_101).levels_signature()
