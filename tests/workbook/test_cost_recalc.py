"""成本 as its own scoring level (财预〔2021〕101号) and the 单位成本 row, in the sheet's own formulas
recalculated by LibreOffice: Python's total = the sheet's TotalScore to the cent (issue 26)."""
from __future__ import annotations

import copy
from decimal import Decimal as D

import openpyxl
import pytest

from tests.core.test_cost import RULES_101, STANDARDS, cost_project, rules_101
from tests.workbook.test_recalc import assert_formulas_equal_python, cents, formula_values
from xlpkg.metrics import project_metrics
from xlpkg.model import Indicator
from xlpkg.rules import load_rules, rules_from_dict
from xlpkg.workbook import layout as L
from xlpkg.workbook.form_checks import read_checked_file
from xlpkg.workbook.template import build_workbook
from xlpkg.workbook.writer import fill_workbook


def province_cost_rules():
    """A held-out-style rulebook written here: its own level key and weights (成本 15)."""
    data = copy.deepcopy(load_rules(RULES_101).data)
    data["weights"] = {"execution": 15, "output": 35, "chengben": 15, "benefit": 25, "satisfaction": 10}
    data["structure"]["level1"]["成本指标"]["group"] = "chengben"
    data["cost_standards"] = STANDARDS
    return rules_from_dict(data, "province-cost.json")


def over_standard_project():
    """A cost row set against 培训费（二类）550元×500人天 = 27.5万元 with a 30万元 target."""
    p = cost_project()
    p.indicators[2].basis = "标准：培训费（二类）×500人天"
    p.unit_cost_basis = "培训人次"
    return p


def text_actuals_project():
    """Actuals typed as numbers, texts and percents; 成本 split evenly (no 分值 typed)."""
    p = cost_project(cost_weights=(None, None), spent=D("88.8"))
    p.indicators.append(Indicator("成本指标", "生态环境成本指标", "能耗", "≤120吨", actual="130吨"))
    p.indicators.append(Indicator("产出指标", "数量指标", "覆盖户数", "≥1000户", actual="1200"))
    p.unit_cost_basis = "覆盖户数"
    return p


def no_cost_rows_project():
    """No 成本指标 row under a rulebook with a 成本 level: the level drops out, rescaled to 100."""
    p = cost_project()
    p.indicators = [i for i in p.indicators if i.level1 != "成本指标"]
    p.unit_cost_basis = "培训人次"
    return p


CASES = {
    "over-standard": (over_standard_project, lambda: rules_101(cost_standards=STANDARDS)),
    "text-actuals": (text_actuals_project, lambda: load_rules(RULES_101)),
    "no-cost-rows": (no_cost_rows_project, lambda: load_rules(RULES_101)),
    "province": (over_standard_project, province_cost_rules),
    "default-rules": (over_standard_project, load_rules),   # 成本 under 产出, as before
}


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    from tests.conftest import require_libreoffice
    require_libreoffice()
    from xlpkg.libreoffice import harness as lo

    src, out = tmp_path_factory.mktemp("cost-filled"), tmp_path_factory.mktemp("cost-recalc")
    cases = {}
    for case, (make, rules) in CASES.items():
        rules, project = rules(), make()
        cases[case] = (project, rules, fill_workbook(project, src / f"{case}.xlsx", rules=rules))
    paths = lo.recalculate([path for _, _, path in cases.values()], out)
    return {case: (p, r, path) for (case, (p, r, _)), path in zip(cases.items(), paths)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_libreoffice_total_equals_python_to_the_cent(recalculated, case):
    project, rules, path = recalculated[case]
    assert_formulas_equal_python(path, project, rules)
    got = formula_values(path)
    ev = project_metrics(project, rules).evaluation
    assert cents(got["TotalScore"]) == ev.total
    checked = read_checked_file(path, rules=rules)
    assert not [i for i in checked.issues if i.rule in ("form.stale_cache", "form.sheet_blank",
                                                          "form.rules_mismatch")], checked.issues
    assert checked.metrics.evaluation.total == ev.total


def test_the_cost_level_counts_on_its_own(recalculated):
    project, rules, path = recalculated["over-standard"]
    ev = project_metrics(project, rules).evaluation
    assert ev.groups["cost"]["weight"] == 10
    got = formula_values(path)
    cost_rows = [i for i, ind in enumerate(project.indicators) if ind.level1 == "成本指标"]
    assert sum(D(repr(got["IndWeight"][i])) for i in cost_rows) == 10
    wb = openpyxl.load_workbook(path, data_only=True)
    calc = wb[L.CALC]
    levels = {calc[f"A{L.LEVEL_FIRST + n}"].value: calc[f"B{L.LEVEL_FIRST + n}"].value for n in range(4)}
    assert levels == {"output": 40, "cost": 10, "benefit": 30, "satisfaction": 10}


@pytest.mark.parametrize("case", ["over-standard", "text-actuals", "province"])
def test_unit_cost_formula_equals_python(recalculated, case):
    project, rules, path = recalculated[case]
    uc = project_metrics(project, rules).unit_cost
    got = formula_values(path)
    assert got["UnitCost"] == pytest.approx(float(uc.amount), abs=1e-9)
    unit_text = openpyxl.load_workbook(path, data_only=True)[L.EVAL][
        f"{L.UNIT_COST_COLS['unit']}{L.EVAL_UNIT_COST_ROW}"].value
    assert unit_text.startswith(uc.unit) and uc.basis in unit_text


def test_the_over_standard_row_is_flagged_on_its_cell(recalculated):
    project, rules, path = recalculated["over-standard"]
    (issue,) = [i for i in read_checked_file(path, rules=rules).issues
                if i.rule == "indicator.cost_over_standard"]
    assert issue.sheet == L.DECL and issue.cell[1:] == str(L.IND_FIRST + 2)
    assert "培训费（二类）" in issue.message


def test_a_form_read_with_another_rulebook_is_flagged(recalculated):
    project, rules, path = recalculated["default-rules"]
    issues = [i for i in read_checked_file(path, rules=load_rules(RULES_101)).issues
              if i.rule == "form.rules_mismatch"]
    assert len(issues) == 1 and issues[0].severity == "warning"
    assert "产出指标50分" in issues[0].message and "成本指标10分" in issues[0].message
    assert not [i for i in read_checked_file(path, rules=load_rules()).issues if i.rule == "form.rules_mismatch"]


def test_the_101_template_lists_cost_as_a_level1_with_its_level2():
    wb = build_workbook(load_rules(RULES_101))
    names = {n: wb.defined_names[n].attr_text for n in ("GroupKeys", "GroupWeights", "GroupLabels", "L1Names")}
    meta = wb[L.META]

    def values(name):
        ref = names[name].split("!")[1].replace("$", "")
        return [c.value for row in meta[ref] for c in row]

    assert values("GroupKeys") == ["output", "cost", "benefit", "satisfaction"]
    assert values("GroupWeights") == [40, 10, 30, 10]
    assert values("GroupLabels") == ["产出指标", "成本指标", "效益指标", "满意度指标"]
    assert "成本指标" in values("L1Names")
    total = wb[L.EVAL][f"I{L.EVAL_TOTAL_ROW}"].value
    assert f"$H${L.LEVEL_FIRST}:$H${L.LEVEL_FIRST + 3}" in total   # all four levels' gaps


def test_the_unit_cost_basis_is_an_unlocked_list_of_the_quantity_names():
    wb = build_workbook(load_rules())
    ws = wb[L.EVAL]
    basis = f"{L.UNIT_COST_COLS['basis']}{L.EVAL_UNIT_COST_ROW}"
    assert ws[basis].protection.locked is False
    assert ws[f"{L.UNIT_COST_COLS['amount']}{L.EVAL_UNIT_COST_ROW}"].protection.locked is not False
    (dv,) = [d for d in ws.data_validations.dataValidation if basis in str(d.sqref)]
    assert dv.type == "list" and dv.formula1 == "UnitCostChoices"
    choices = wb.defined_names["UnitCostChoices"].attr_text
    assert choices == L.abs_ref(L.CALC, f"{L.CALC_QUANTITY_COL}{L.EVAL_IND_FIRST}:{L.CALC_QUANTITY_COL}{L.EVAL_IND_LAST}")
    # the rows below moved down by one (V3.md): the goal block starts two rows after it
    assert L.EVAL_UNIT_COST_ROW == L.EVAL_REASON_ROW + 1 and L.EVAL_GOAL_HEAD == L.EVAL_UNIT_COST_ROW + 2
    assert L.TEMPLATE_VERSION == 3 and "UnitCostBasis" in L.INPUT_NAMES_BY_VERSION[3]


def test_the_quantity_list_on_calc_names_only_quantity_rows(libreoffice, tmp_path):
    """Recalculated: the list holds the 数量指标 names and nothing else (blank elsewhere)."""
    p = cost_project()
    path = fill_workbook(p, tmp_path / "q.xlsx", rules=load_rules(RULES_101))
    (out,) = libreoffice.recalculate([path], tmp_path / "out")
    calc = openpyxl.load_workbook(out, data_only=True)[L.CALC]
    col = L.CALC_QUANTITY_COL
    names = [calc[f"{col}{L.EVAL_IND_FIRST + i}"].value for i in range(len(p.indicators) + 1)]
    assert [n for n in names if n] == ["培训人次"]
