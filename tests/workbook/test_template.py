"""The blank template and the writer: structure, protection, validation, reproducibility."""
from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pytest

from tests.helpers import ROOT, example
from xlpkg.workbook import layout as L
from xlpkg.rules import load_rules, rules_from_dict
from xlpkg.targets import parse_target
from xlpkg.workbook.template import build_workbook, write_template
from xlpkg.workbook.writer import CapacityError, actual_cell, fill_workbook

COMMITTED = ROOT / "workbook_templates" / "项目绩效目标表.xlsx"
REQUIRED_NAMES = (
    "DeptCode DeptName ProjCode ProjName FiscalYear Budget FundSource Goal PlanQ1 PlanQ2 PlanQ3 "
    "PlanQ4 FundUses Indicators ActualQ1 ActualQ2 ActualQ3 ActualQ4 YearBudget YearSpent IndActual "
    "IndWeight IndScore ExecRate CostControlRate VarianceQ1 VarianceQ2 VarianceQ3 VarianceQ4 "
    "TotalScore Grade").split()
NEWER_THAN_2010 = re.compile(r"\b(IFS|SWITCH|XLOOKUP|XMATCH|TEXTJOIN|CONCAT|LET|FILTER|UNIQUE|"
                             r"SEQUENCE|MAXIFS|MINIFS|LAMBDA)\(|_xlfn", re.I)


def cells(ws, ref):
    """The cells of an A1 reference as a flat list (openpyxl returns a Cell for one cell)."""
    area = ws[ref]
    return [area] if not isinstance(area, tuple) else [c for row in area for c in row]


def signature(path) -> dict:
    """Everything that makes the template what it is, as comparable plain data."""
    wb = openpyxl.load_workbook(path)
    sig = {"sheets": [(ws.title, ws.sheet_state) for ws in wb.worksheets],
           "names": {n: d.attr_text for n, d in wb.defined_names.items()},
           "structure_locked": bool(wb.security and wb.security.lockStructure)}
    for ws in wb.worksheets:
        cells = {c.coordinate: (c.value, c.number_format, c.protection.locked, c.fill.fgColor.rgb)
                 for row in ws.iter_rows() for c in row
                 if c.value is not None or not c.protection.locked}
        sig[ws.title] = {
            "cells": cells,
            "merges": sorted(str(r) for r in ws.merged_cells.ranges),
            "protected": ws.protection.sheet, "password": ws.protection.password,
            "validations": sorted((str(v.sqref), v.type, v.formula1, v.formula2, v.prompt, v.error,
                                   v.errorStyle) for v in ws.data_validations.dataValidation),
            "conditional": sorted((str(cf.sqref), tuple(r.formula or ()) )
                                  for cf in ws.conditional_formatting for r in cf.rules),
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
            "hidden_columns": sorted(k for k, d in ws.column_dimensions.items() if d.hidden),
        }
    return sig


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return write_template(tmp_path_factory.mktemp("t") / "template.xlsx")


def test_committed_template_equals_a_fresh_build(template):
    assert COMMITTED.is_file(), "run: xlpkg template project -o workbook_templates/项目绩效目标表.xlsx"
    fresh, committed = signature(template), signature(COMMITTED)
    for key in fresh:
        assert fresh[key] == committed[key], f"template differs in {key}: regenerate it"


def test_sheets_names_and_metadata(template):
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == list(L.SHEETS)
    assert wb[L.META].sheet_state == "veryHidden"
    assert all(wb[s].sheet_state == "visible" for s in (L.DECL, L.MON, L.EVAL))
    names = {n: d.attr_text for n, d in wb.defined_names.items()}
    for name in REQUIRED_NAMES:
        assert name in names, name
    for name, spec in L.NAMES.items():
        assert names[name] == spec.formula
    assert wb[L.META][L.NAMES["TemplateId"].ref].value == L.TEMPLATE_ID
    assert wb[L.META][L.NAMES["TemplateVersion"].ref].value == L.TEMPLATE_VERSION
    assert L.INDICATOR_ROWS >= 30 and L.FUND_USE_ROWS >= 10
    first, last = L.NAMES["Indicators"].ref.split(":")
    assert first.startswith("A") and last.startswith("I")
    assert int(last[1:]) - int(first[1:]) + 1 == L.INDICATOR_ROWS


def test_protection_inputs_unlocked_and_shaded_formulas_locked(template):
    wb = openpyxl.load_workbook(template)
    assert wb.security.lockStructure
    for ws in wb.worksheets:
        assert ws.protection.sheet == (ws.title in L.PROTECTED_SHEETS), ws.title
        assert ws.protection.password is None
    assert [ws.title for ws in wb.worksheets if not ws.protection.sheet] == [L.RESULTS]
    inputs = set()
    for name in (*L.INPUT_NAMES, *L.OPTIONAL_INPUT_NAMES, *L.V3_CARRY_INPUTS):
        spec = L.NAMES[name]
        for cell in cells(wb[spec.sheet], spec.ref):
            inputs.add((spec.sheet, cell.coordinate))
            assert cell.protection.locked is False, (spec.sheet, cell.coordinate)
            assert cell.fill.fgColor.rgb.endswith("FFF2CC"), (spec.sheet, cell.coordinate)
    formulas = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    formulas += 1
                    assert cell.protection.locked, (ws.title, cell.coordinate)
                    assert not NEWER_THAN_2010.search(cell.value), cell.value
                if not cell.protection.locked:
                    # unlocked cells outside the input names would be unread input
                    merged_into = any(cell.coordinate in r for r in ws.merged_cells.ranges)
                    assert (ws.title, cell.coordinate) in inputs or merged_into, (ws.title, cell.coordinate)
    assert formulas > 30 * 14


def test_password_is_configurable(tmp_path):
    wb = openpyxl.load_workbook(write_template(tmp_path / "p.xlsx", password="secret"))
    assert all(wb[name].protection.password for name in L.PROTECTED_SHEETS)
    assert wb.security.workbookPassword


def test_validations_with_chinese_prompts(template):
    wb = openpyxl.load_workbook(template)
    decl = {str(v.sqref): v for v in wb[L.DECL].data_validations.dataValidation}
    ind = lambda col: f"{col}{L.IND_FIRST}:{col}{L.IND_LAST}"
    assert decl[ind("A")].formula1 == "L1Names"
    assert "OFFSET(L2Table" in decl[ind("B")].formula1    # 二级 depends on the row's 一级
    # every list refuses what is not in it (issue 8): the 二级 list too
    lists = [v for ws in wb.worksheets for v in ws.data_validations.dataValidation if v.type == "list"]
    assert lists and {v.errorStyle for v in lists} == {"stop"}, [(v.sqref, v.errorStyle) for v in lists]
    assert decl[ind("E")].formula1 == "NatureChoices"
    plan = next(v for k, v in decl.items() if f"B{L.PLAN_ROW}" in k)
    assert (plan.type, plan.formula1, plan.formula2) == ("decimal", "0", "1")
    assert decl[f"E{L.USES_FIRST}:E{L.USES_LAST}"].operator == "greaterThanOrEqual"
    mon = {str(v.sqref): v.formula1 for v in wb[L.MON].data_validations.dataValidation}
    assert "LikelihoodChoices" in mon.values() and "ApplicableChoices" in mon.values()
    for ws in wb.worksheets:
        for v in ws.data_validations.dataValidation:
            assert re.search(r"[\u4e00-\u9fff]", v.prompt or ""), (ws.title, v.sqref)
            assert v.showErrorMessage and v.showInputMessage


def test_rules_parameters_are_written_into_the_template():
    data = load_rules().data
    province = {**data, "weights": {"execution": 20, "output": 40, "benefit": 30, "satisfaction": 10},
                "scoring": {**data["scoring"], "negative_mode": "ratio",
                            "grades": [{"grade": "优", "min": 80}, {"grade": "良", "min": 70},
                                       {"grade": "中", "min": 60}, {"grade": "差", "min": 0}]}}
    wb = build_workbook(rules_from_dict(province, "province.json"))
    meta = wb[L.META]

    def values(name):
        ref = wb.defined_names[name].attr_text.split("!")[1].replace("$", "")
        return [c.value for c in cells(meta, ref)]

    assert values("WeightExecution") == [20]
    assert values("GroupWeights") == [40, 30, 10]
    assert values("NegMode") == ["ratio"]
    assert values("GradeMins") == [80, 70, 60, 0]
    assert values("L1Names") == list(data["structure"]["level1"])


def test_fill_writes_numbers_that_read_back_as_the_same_text(tmp_path):
    project = example()
    path = fill_workbook(project, tmp_path / "f.xlsx")
    wb = openpyxl.load_workbook(path)
    ev, decl = wb[L.EVAL], wb[L.DECL]
    actual = lambda i: ev[f"E{L.EVAL_IND_FIRST + i}"]
    assert (actual(0).value, actual(0).number_format) == (22, '0"次"')
    assert (actual(1).value, actual(1).number_format) == (0.98, "0%")
    assert actual(2).value == dt.datetime(2022, 11, 30)
    assert (actual(3).value, actual(3).number_format) == (1372, '0"万元"')
    assert decl[L.NAMES["PlanQ1"].ref].value == 0.25
    row = [c.value for c in decl[f"A{L.IND_FIRST + 1}:I{L.IND_FIRST + 1}"][0]]
    assert row[4:7] == ["≥", 95, "%"] and row[8] == "95%以上"
    date_row = [c.value for c in decl[f"E{L.IND_FIRST + 2}:G{L.IND_FIRST + 2}"][0]]
    assert date_row == ["日期", dt.datetime(2022, 12, 31), None]
    assert not list(tmp_path.glob(".~*")), "temporary file left behind"


@pytest.mark.parametrize("text, target, expected", [
    ("22次", "20次", (22, '0"次"')),
    ("96.22%", "100%", (0.9622, "0.00%")),
    ("-1.25%", "小于5%", (-0.0125, "0.00%")),
    ("1,400.00", "1400万元", ("1,400.00", None)),        # would come back as "1400万元"
    ("13720000元", "1400万元", ("13720000元", None)),    # unit converted: keep the text
    ("2022年11月30日", "2022年12月底", ("2022年11月30日", None)),
    ("较好", "提质增效", ("较好", None)),
    ("150%", "100%", ("150%", None)),                    # 1.5 would read back as 1.5 %
    ("3", "3", (3, "0")),
])
def test_actual_cell(text, target, expected):
    assert actual_cell(text, parse_target(target, year=2022)) == expected


def test_capacity_is_enforced(tmp_path):
    project = example()
    project.indicators = project.indicators * 6
    with pytest.raises(CapacityError, match="最多容纳30个"):
        fill_workbook(project, tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_cli_template_and_fill(tmp_path, capsys):
    from xlpkg.cli import main

    assert main(["template", "project", "-o", str(tmp_path / "t.xlsx")]) == 0
    assert main(["fill", str(ROOT / "examples" / "105002B16DX0003.json"), "-o", str(tmp_path / "f.xlsx")]) == 0
    assert main(["read", str(tmp_path / "f.xlsx"), "--json"]) == 0
    out = capsys.readouterr().out
    assert '"total": "99.80"' in out
    assert main(["validate", str(tmp_path / "f.xlsx"), str(tmp_path / "t.xlsx")]) == 1
    assert main(["validate", str(tmp_path / "f.xlsx")]) == 0


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    from tests.helpers import example
    from xlpkg.workbook.form_checks import read_checked_file

    project = example()
    project.name = '=HYPERLINK("http://evil","点我")'
    project.indicators[0].analysis = "+1 需复核"
    path = fill_workbook(project, tmp_path / "p.xlsx")
    sheet, col, row = L.first_cell("ProjName")
    cell = openpyxl.load_workbook(path)[sheet][f"{col}{row}"]
    assert cell.data_type == "s" and cell.value == project.name
    for engine in ("calamine", "openpyxl"):
        back = read_checked_file(path, engine=engine).project
        assert (back.name, back.indicators[0].analysis) == (project.name, "+1 需复核")
