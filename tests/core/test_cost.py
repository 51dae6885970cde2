"""Cost performance (issue 26): scoring levels from the rulebook (成本 of its own under
财预〔2021〕101号), 预算支出标准 checks and the unit cost."""
from __future__ import annotations

import copy
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.helpers import example
from xlpkg.checks import check
from xlpkg.cost import standard_ref, unit_cost
from xlpkg.metrics import project_metrics, self_evaluation
from xlpkg.model import Indicator
from xlpkg.report import metrics_to_dict
from xlpkg.rules import RulesError, load_rules, rules_from_dict

ROOT = Path(__file__).resolve().parents[2]
RULES_101 = ROOT / "examples" / "rules" / "财预2021_101号.json"
DEFAULT = load_rules()


def rules_101(**extra):
    data = copy.deepcopy(load_rules(RULES_101).data)
    data.update(extra)
    return rules_from_dict(data, "101.json")


def cost_project(*, cost_weights=(D(6), D(4)), basis="", spent=D(95)):
    """Two 产出, two 成本 (one over its ceiling), one 效益 and one 满意度 row."""
    p = example("105002B16DX0003")
    p.budget, p.uses, p.uses_text = D(100), [], ""
    p.execution.year_budget, p.execution.year_spent = None, spent
    p.execution.actual_cumulative = [None] * 4
    p.indicators = [
        Indicator("产出指标", "数量指标", "培训人次", "≥50人次", actual="45人次"),
        Indicator("产出指标", "质量指标", "合格率", "≥90%", actual="95%"),
        Indicator("成本指标", "经济成本指标", "培训成本", "≤30万元", actual="28万元", weight=cost_weights[0],
                  basis=basis),
        Indicator("成本指标", "社会成本指标", "社会成本", "≤5万元", actual="6万元", weight=cost_weights[1]),
        Indicator("效益指标", "社会效益指标", "效果", "效果显著", actual="达成"),
        Indicator("满意度指标", "服务对象满意度指标", "满意度", "≥90%", actual="85%"),
    ]
    return p


# --- 1. scoring levels are data -------------------------------------------------------------

def test_the_default_rulebook_keeps_cost_under_output():
    assert DEFAULT.groups == ("output", "benefit", "satisfaction")
    assert DEFAULT.group_of("成本指标") == "output" and DEFAULT.cost_group is None
    ev = self_evaluation(cost_project(), DEFAULT)
    assert set(ev.groups) == {"output", "benefit", "satisfaction"}
    assert ev.groups["output"]["weight"] == 50


def test_the_101_rulebook_scores_cost_as_its_own_level():
    rules = load_rules(RULES_101)
    assert rules.groups == ("output", "cost", "benefit", "satisfaction")
    assert rules.cost_group == "cost" and rules.group_label("cost") == "成本指标"
    assert rules.level2_allowed("成本指标") == ["经济成本指标", "社会成本指标", "生态环境成本指标"]
    ev = self_evaluation(cost_project(), rules)
    assert {g: v["weight"] for g, v in ev.groups.items()} == {
        "output": 40, "cost": 10, "benefit": 30, "satisfaction": 10}
    # 执行率 9.5; 产出 20×0.9 + 20; 成本 6 + 4×(1−(6−5)/5); 效益 30; 满意度 10×85/90
    assert ev.groups["cost"]["score"] == D("9.2")
    expected = D("9.5") + 18 + 20 + D("9.2") + 30 + D(10) * 85 / 90
    assert ev.total == expected.quantize(D("0.01")) == D("96.14")
    assert [s.group for s in ev.indicators] == ["output", "output", "cost", "cost", "benefit", "satisfaction"]


def test_cost_points_must_add_up_to_the_cost_weight():
    rules = load_rules(RULES_101)
    p = cost_project(cost_weights=(D(6), D(5)))
    issues = [i for i in check(p, rules) if i.rule == "indicator.weight_total"]
    assert len(issues) == 1 and "成本指标分值合计11分" in issues[0].message and "10分" in issues[0].message
    assert not [i for i in check(cost_project(), rules) if i.rule == "indicator.weight_total"]


def test_an_untyped_cost_level_shares_its_ten_points():
    p = cost_project(cost_weights=(None, None))
    ev = self_evaluation(p, load_rules(RULES_101))
    assert [s.weight for s in ev.indicators if s.group == "cost"] == [5, 5]


@pytest.mark.parametrize("change, where", [
    (lambda d: d["structure"]["level1"]["成本指标"].update(group="costs"), "structure/level1/成本指标/group"),
    (lambda d: d["weights"].update(extra=5), "weights/extra"),
    (lambda d: d["weights"].update({"Cost": 5}), "weights"),
    (lambda d: d["structure"]["level1"]["成本指标"].update(group="execution"), "structure/level1/成本指标/group"),
])
def test_level_mistakes_in_a_rulebook_are_refused(change, where):
    data = copy.deepcopy(load_rules(RULES_101).data)
    change(data)
    with pytest.raises(RulesError) as err:
        rules_from_dict(data, "bad.json")
    assert where in str(err.value)


def test_the_levels_signature_tells_the_rulebooks_apart():
    assert DEFAULT.levels_signature() != load_rules(RULES_101).levels_signature()
    assert "成本指标10分（成本指标）" in load_rules(RULES_101).levels_signature()


def test_the_report_names_every_level():
    from xlpkg.report import format_metrics
    text = format_metrics(project_metrics(cost_project(), load_rules(RULES_101)))
    assert "成本指标 9.20/10.00分" in text


# --- 3. unit cost -------------------------------------------------------------------------

def test_unit_cost_divides_the_year_spending_by_the_chosen_quantity():
    p = cost_project(basis="")
    p.unit_cost_basis = "培训人次"
    uc = unit_cost(p)
    assert uc.amount == D(95) / D(45) and uc.unit == "万元/人次" and uc.basis == "培训人次"
    data = metrics_to_dict(project_metrics(p, DEFAULT))
    assert data["unit_cost"] == {"amount": format(D(95) / D(45), "f"), "unit": "万元/人次", "basis": "培训人次"}


@pytest.mark.parametrize("basis, spent, actual", [
    ("", D(95), "45人次"), ("合格率", D(95), "45人次"), ("培训人次", None, "45人次"),
    ("培训人次", D(95), "0人次"), ("培训人次", D(95), ""),
])
def test_no_unit_cost_without_a_quantity_basis_spending_and_actual(basis, spent, actual):
    p = cost_project(spent=spent)
    p.unit_cost_basis = basis
    p.indicators[0].actual = actual
    assert unit_cost(p) is None


def test_a_basis_that_is_no_quantity_indicator_is_a_warning():
    p = cost_project()
    p.unit_cost_basis = "合格率"
    (issue,) = [i for i in check(p, DEFAULT) if i.rule == "unit_cost.basis_unknown"]
    assert issue.severity == "warning" and "培训人次" in issue.message


# --- 2. 预算支出标准 ----------------------------------------------------------------------

STANDARDS = [{"item": "培训费（二类）", "unit": "人天", "amount": 550, "source": "示例"}]


def _standard_row(target: str, basis="标准：培训费（二类）×500人天", **kw):
    return Indicator("成本指标", "经济成本指标", "培训成本控制", target, actual="25万元", basis=basis, **kw)


STANDARD_TRIGGERS = {
    # 550 元 × 500 = 27.5 万元 < 30 万元
    "indicator.cost_over_standard": lambda p: p.indicators.append(_standard_row("≤30万元")),
    "indicator.standard_unknown": lambda p: p.indicators.append(
        _standard_row("≤30万元", basis="预算支出标准 标准：会议费×20人天")),
}


@pytest.mark.parametrize("rule_id", sorted(STANDARD_TRIGGERS))
def test_standard_rules_trigger(rule_id):
    rules = rules_101(cost_standards=STANDARDS)
    p = cost_project()
    assert rule_id not in {i.rule for i in check(p, rules)}
    STANDARD_TRIGGERS[rule_id](p)
    issues = [i for i in check(p, rules) if i.rule == rule_id]
    assert issues and all(i.severity == "warning" and "{" not in i.message for i in issues)


def test_a_cost_target_over_its_standard_names_the_item_and_both_amounts():
    rules = rules_101(cost_standards=STANDARDS)
    p = cost_project()
    p.indicators.append(_standard_row("≤30万元"))
    (issue,) = [i for i in check(p, rules) if i.rule == "indicator.cost_over_standard"]
    assert "培训费（二类）" in issue.message and "30万元" in issue.message and "27.5万元" in issue.message
    assert issue.location == "indicators[6].target"


@pytest.mark.parametrize("target, basis, over", [
    ("≤27.5万元", "标准：培训费（二类）×500人天", False),        # exactly the standard
    ("275000元", "标准：培训费（二类）×500", False),
    ("≤27.51万元", "标准：培训费（二类）x500人天", True),
    ("20-28万元", "依据预算支出标准，标准：培训费（二类）＊500人天", True),   # a range's upper end
    ("≤30万元", "依据培训费（二类）500人天测算", True),          # a known name and its quantity
    ("≤30万元", "预算支出标准：培训费（二类）× ５００人天", True),
    ("≤600元/人天", "预算支出标准：培训费（二类）", True),          # per unit: against 550元 itself
    ("≤0.05万元/人天", "预算支出标准：培训费（二类）", False),
    ("≤30万元", "", False),                                      # not set against a standard
    ("≤30万元", "按市场询价", False),
])
def test_standard_over_or_not(target, basis, over):
    rules = rules_101(cost_standards=STANDARDS)
    p = cost_project()
    p.indicators.append(_standard_row(target, basis=basis))
    fired = [i for i in check(p, rules) if i.rule == "indicator.cost_over_standard"]
    assert bool(fired) is over


def test_the_basis_kind_column_marks_a_standard_row_too():
    ind = _standard_row("≤30万元", basis="标准：培训费（二类）×500人天")
    ind.basis_kind = "预算支出标准"   # the v3 IndBasisKind column (issue 24), when it lands
    ref = standard_ref(ind)
    assert ref.item == "培训费（二类）" and ref.quantity == 500


def test_rulebook_cost_standards_are_validated():
    with pytest.raises(RulesError) as err:
        rules_101(cost_standards=[{"item": "培训费", "unit": "人天", "amount": -1}])
    assert "cost_standards/0" in str(err.value)


@pytest.mark.parametrize("entry", [
    {"item": "培训费（二类）", "unit": "人天", "amount": 0.055, "amount_unit": "万元"},
    {"支出标准名称": "培训费（二类）", "计量单位": "人天", "单位标准（元）": 550, "来源": "某省办法"},
    {"支出标准名称": "培训费（二类）", "计量单位": "人天", "单位标准（万元）": 0.055},
])
def test_standards_in_the_rulebook_may_use_the_tables_headers_or_wan_yuan(entry):
    rules = rules_101(cost_standards=[entry])
    p = cost_project()
    p.indicators.append(_standard_row("≤30万元"))
    (issue,) = [i for i in check(p, rules) if i.rule == "indicator.cost_over_standard"]
    assert "27.5万元" in issue.message
