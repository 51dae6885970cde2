"""The sheet's own formulas, recalculated by LibreOffice, equal xlpkg.metrics to the cent.

Every test here needs LibreOffice: it skips without it, and fails instead when
XLPKG_REQUIRE_LIBREOFFICE=1 (CI, ``make test``).
"""
from __future__ import annotations

import copy
from decimal import Decimal as D

import openpyxl
import pytest

from tests.conftest import require_libreoffice
from tests.helpers import example
from xlpkg.workbook import layout as L
from xlpkg.metrics import project_metrics
from xlpkg.model import Indicator
from xlpkg.workbook.form_checks import read_checked_file
from xlpkg.rules import load_rules, rules_from_dict
from xlpkg.sources import CalamineSource, name_values
from xlpkg.workbook.writer import fill_workbook

RULES = load_rules()
TINY = 1e-9


def province_rules():
    """Another province's rulebook: every parameter a formula reads is different."""
    data = copy.deepcopy(RULES.data)
    data["weights"] = {"execution": 20, "output": 40, "benefit": 25, "satisfaction": 15}
    data["scoring"].update(negative_mode="ratio", late_date_ratio=0.5, equal_cost_as_ceiling=False)
    data["scoring"]["grades"] = [{"grade": "优", "min": 80}, {"grade": "良", "min": 70},
                                 {"grade": "中", "min": 60}, {"grade": "差", "min": 0}]
    data["monitoring"]["light_reference"] = "time"
    data["monitoring"]["lights"] = [{"light": "red", "label": "红灯", "below": 50},
                                    {"light": "yellow", "label": "黄灯", "below": 90},
                                    {"light": "green", "label": "绿灯", "below": None}]
    return rules_from_dict(data, "province.json")


def modes_project():
    """Every score mode the formulas implement, with a blank row's worth of oddities."""
    p = example("105002B22DX0009")
    ind = lambda l1, l2, name, target, actual, **kw: Indicator(l1, l2, name, target, actual=actual, **kw)
    p.indicators = [
        ind("产出指标", "数量指标", "培训人次", "≥50人次", "45人次"),
        ind("产出指标", "数量指标", "区间指标", "90%-95%", "97%"),
        ind("产出指标", "数量指标", "区间内", "90%-95%", "0.93"),
        ind("产出指标", "质量指标", "合格率", "大于90%", "0.8", weight=D("5.5")),
        ind("产出指标", "时效指标", "按期完成", "2022年12月底", "按期完成"),
        ind("产出指标", "时效指标", "逾期", "2022年6月底", "2022-07-15"),
        ind("产出指标", "成本指标", "成本上限", "≤90万元", "95万元"),
        ind("产出指标", "成本指标", "预算金额", "1400万元", "1450万元"),
        ind("产出指标", "成本指标", "零事故", "0次", "1次"),
        ind("产出指标", "数量指标", "不适用", "10个", "2个", applicable=False),
        ind("效益指标", "社会效益指标", "效果", "效果显著", "基本达成"),
        ind("效益指标", "社会效益指标", "定性百分比", "提质增效", "85%"),
        ind("效益指标", "经济效益指标", "未填实际", "100%", ""),
        ind("效益指标", "可持续影响指标", "正向文本", "≥5", " 4 "),
        ind("满意度指标", "服务对象满意度指标", "满意度", "90%", "88%", weight=D(4)),
    ]
    p.execution.actual_cumulative = [D(100), D(300), None, D(800)]
    p.execution.year_budget = D(760)
    p.execution.year_spent = D(800)
    return p


def python_only_project():
    """An actual that only Python can read (full-width digits): the formulas say why they stop."""
    p = example("105002B16DX0003")
    p.indicators[3].actual = "１３７２万元"
    return p


def official_weights_project():
    """分值 8+8+8+8 under 产出 (weight 50): the form's own arithmetic, 81.20, not 99.02."""
    from tests.core.test_official_rules import ind, project
    rows = [ind("产出指标", "≥10次", "10次", name=f"产出{i}", weight=D(8)) for i in range(4)]
    return project(rows + [ind("效益指标", "效果显著", "达成"), ind("满意度指标", "≥90%", "95%")], spent=D(92))


def official_tiers_project():
    """Official 定性 phrases, evaluator's scores, unit words and actuals copied from targets."""
    from tests.core.test_official_rules import REALISTIC, ind, project
    rows = [ind(*row) for row in REALISTIC] + [
        ind("效益指标", "群众满意", "部分达成年度指标并具有一定效果", rated_score=D("5.5")),
        ind("效益指标", "明显改善", "未达成", rated_score=D(2)),
        ind("产出指标", "≥100百分比", "≥100百分比"), ind("产出指标", "95%以上", "95%以上"),
        ind("产出指标", "≤500万元", "5200000元"), ind("产出指标", "≥10次", "≥9次", weight=D(5))]
    return project(rows, spent=D(85))


def zero_weights_project():
    from tests.core.test_official_rules import ind, project
    return project([ind("产出指标", "≥10次", "10次", weight=D(0)), ind("效益指标", "效果显著", "达成", weight=D(0)),
                    ind("满意度指标", "≥90%", "95%", weight=D(-5))], spent=D(98))


def not_applicable_project():
    from tests.core.test_official_rules import ind, project
    return project([ind("产出指标", "≥10次", "10次", applicable=False),
                    ind("满意度指标", "≥90%", "95%", applicable=False)], spent=D(98))


def missing_level_project():
    from tests.core.test_official_rules import ind, project
    return project([ind("产出指标", "≥10次", "8次"), ind("产出指标", "≥10次", "20次"),
                    ind("满意度指标", "≥90%", "95%")], spent=D(50))


def scoring_rules(**scoring):
    data = copy.deepcopy(RULES.data)
    data["scoring"].update(scoring)
    return rules_from_dict(data, "scoring.json")


CASES = {
    "official-weights": (official_weights_project, RULES),
    "official-tiers": (official_tiers_project, RULES),
    "zero-weights": (zero_weights_project, RULES),
    "not-applicable": (not_applicable_project, RULES),
    "redistribute-deduct": (missing_level_project, scoring_rules(
        missing_level="redistribute", overachievement={"factor": 1.5, "deduct": True})),
    "rescale": (missing_level_project, RULES),
    "105002B16DX0003": (lambda: example("105002B16DX0003"), RULES),
    "105002B21DX0008": (lambda: example("105002B21DX0008"), RULES),
    "105002B22DX0009": (lambda: example("105002B22DX0009"), RULES),
    "105004B22DX0001": (lambda: example("105004B22DX0001"), RULES),
    "modes": (modes_project, RULES),
    "modes-province": (modes_project, None),
    "province-0003": (lambda: example("105002B16DX0003"), None),
    "python-only": (python_only_project, RULES),
}


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    """All cases filled and recalculated in one LibreOffice session: {case: (project, rules, path)}."""
    require_libreoffice()
    from xlpkg.libreoffice import harness as lo

    src, out = tmp_path_factory.mktemp("filled"), tmp_path_factory.mktemp("recalc")
    cases = {}
    for case, (make, rules) in CASES.items():
        rules = rules or province_rules()
        project = make()
        cases[case] = (project, rules, fill_workbook(project, src / f"{case}.xlsx", rules=rules))
    paths = lo.recalculate([path for _, _, path in cases.values()], out)
    return {case: (p, r, path) for (case, (p, r, _)), path in zip(cases.items(), paths)}


def formula_values(path) -> dict:
    source = CalamineSource(path)
    out = {}
    for name in L.FORMULA_NAMES:
        flat = [v for row in name_values(source, name) for v in row]
        out[name] = flat if len(flat) > 1 else flat[0]
    return out


def cents(value) -> D:
    return D(repr(float(value))).quantize(D("0.01"))


def assert_formulas_equal_python(path, project, rules, *, rows=None):
    got = formula_values(path)
    m = project_metrics(project, rules)
    ev = m.evaluation
    rows = rows or list(range(len(project.indicators)))
    for q in m.quarters:
        n = q.quarter
        assert got[f"PlanRateQ{n}"] == pytest.approx(float(q.plan) / 100, abs=TINY)
        if q.progress is None:
            assert got[f"ProgressQ{n}"] is None and got[f"VarianceQ{n}"] is None
            assert got[f"LightQ{n}"] is None
            continue
        assert got[f"ProgressQ{n}"] == pytest.approx(float(q.progress) / 100, abs=TINY)
        assert got[f"VarianceQ{n}"] == pytest.approx(float(q.variance), abs=TINY)
        assert got[f"LightQ{n}"] == rules.light_label(q.light), n
    assert got["ExecRate"] == pytest.approx(float(m.execution_rate), abs=TINY)
    assert got["CostControlRate"] == pytest.approx(float(m.cost_control_rate), abs=TINY)
    assert cents(got["ExecScore"]) == ev.execution_score
    assert got["ExecWeight"] == float(rules.weight("execution"))
    assert got["ScoreScale"] == pytest.approx(float(ev.scale), abs=TINY)
    assert got["UsesTotal"] == pytest.approx(float(sum(u.amount for u in project.uses)))
    pending = False
    for s in ev.indicators:
        weight, score = got["IndWeight"][rows[s.index]], got["IndScore"][rows[s.index]]
        if not s.applicable:
            assert weight is None and score is None, s.name
            continue
        assert weight == pytest.approx(float(s.weight), abs=TINY), s.name
        if score is None and not project.indicators[s.index].actual.strip():
            continue         # no actual yet: blank, 0 points in the total
        if score is None or isinstance(score, str):
            pending = True   # a free-text actual the formulas leave to Python, with the reason
            assert score is None or score.startswith("?"), score
            continue
        assert cents(score) == s.shown_score, s.name
    if pending:
        assert got["TotalScore"] is None and got["Grade"] is None
    else:
        assert cents(got["TotalScore"]) == ev.total
        assert got["Grade"] == ev.grade
    return got


@pytest.mark.parametrize("case", list(CASES))
def test_formulas_equal_python(recalculated, case):
    project, rules, path = recalculated[case]
    got = assert_formulas_equal_python(path, project, rules)
    if case == "official-weights":
        assert cents(got["TotalScore"]) == D("81.20") and got["Grade"] == "良"
        note = openpyxl.load_workbook(path)[L.EVAL][f"J{L.EVAL_TOTAL_ROW}"].value
        wb = openpyxl.load_workbook(path, data_only=True)
        assert "产出指标分值合计32，应为50（相差18）" in wb[L.EVAL][f"J{L.EVAL_TOTAL_ROW}"].value, note
    if case in ("zero-weights", "not-applicable"):
        assert cents(got["TotalScore"]) == D("9.80") and got["Grade"] == "差"   # not 98.00 优
    if case == "official-tiers":
        assert [cents(v) for v in got["IndScore"][7:9]] == [D("5.50"), D("2.00")]   # of 7.5 each
    if case == "python-only":
        assert got["IndScore"][3] == "?实际值" and got["TotalScore"] is None
        result = read_checked_file(path, rules=rules)
        assert result.project == project
        assert project_metrics(result.project, rules).evaluation.total == D("99.80")
        assert not [i for i in result.issues if i.rule == "form.stale_cache"]


def test_modes_are_really_exercised(recalculated):
    project, rules, path = recalculated["modes"]
    ev = project_metrics(project, rules).evaluation
    ratios = {s.name: s.score / s.weight for s in ev.indicators if s.applicable and s.weight}
    assert {k: round(v, 4) for k, v in ratios.items()} == {
        "培训人次": D("0.9"), "区间指标": D("0.9789"), "区间内": 1, "合格率": D("0.8889"),
        "按期完成": 1, "逾期": 0, "成本上限": D("0.9444"), "预算金额": D("0.9643"), "零事故": 0,
        "效果": D("0.8"), "定性百分比": D("0.85"), "未填实际": 0, "正向文本": D("0.8"),
        "满意度": D("0.9778")}
    province = recalculated["modes-province"]
    assert formula_values(province[2])["TotalScore"] != formula_values(path)["TotalScore"]


def test_edited_inputs_are_recalculated(libreoffice, filled_dir, tmp_path):
    """Change inputs in a filled workbook: the formula results follow and still equal Python."""
    path = tmp_path / "edited.xlsx"
    wb = openpyxl.load_workbook(filled_dir / "105002B16DX0003.xlsx")
    cell = lambda name, offset=0: wb[L.first_cell(name)[0]][f"{L.first_cell(name)[1]}{L.first_cell(name)[2] + offset}"]
    cell("ActualQ2").value = 500
    cell("YearSpent").value = 1200
    cell("IndActual", 1).value = 0.9
    cell("PlanQ1").value = 0.3
    wb.save(path)
    (out,) = libreoffice.recalculate([path], tmp_path / "out")
    project = read_checked_file(out).project
    assert project.execution.year_spent == D(1200) and project.plan[0] == D(30)
    got = assert_formulas_equal_python(out, project, RULES)
    assert cents(got["TotalScore"]) == D("97.91")   # was 99.80 before the edits
    assert got["VarianceQ2"] == pytest.approx(500 / 1400 * 100 - 50)


def test_protection_as_libreoffice_reads_it(libreoffice, filled_dir):
    cellname = lambda name, offset=0: f"{L.first_cell(name)[0]}!{L.first_cell(name)[1]}{L.first_cell(name)[2] + offset}"
    inputs = [cellname(n) for n in ("DeptCode", "ProjName", "Budget", "PlanQ1", "Goal", "ActualQ1",
                                    "YearSpent", "IndProgress")] + [
        cellname("IndActual", 5), cellname("Indicators", 29), cellname("FundUses", 9)]
    locked = [cellname(n) for n in ("UsesTotal", "TotalScore", "Grade", "ExecRate", "LightQ1",
                                    "VarianceQ4", "IndScore", "TemplateId")] + [
        f"{L.DECL}!A1", f"{L.DECL}!A{L.IND_HEAD_ROW}", f"{L.CALC}!{L.EVAL_HELPER_COL['ratio']}{L.EVAL_IND_FIRST}"]
    report = libreoffice.inspect(filled_dir / "105002B16DX0003.xlsx", inputs + locked, recalc=False)
    assert {report["locked"][c] for c in inputs} == {False}, report["locked"]
    assert {report["locked"][c] for c in locked} == {True}, report["locked"]
    assert report["sheet_protected"] == {s: s in L.PROTECTED_SHEETS for s in L.SHEETS}
