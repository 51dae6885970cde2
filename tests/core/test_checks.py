"""Each business rule: one case that triggers it, and the seed forms that pass it."""
from decimal import Decimal as D

import pytest

from tests.helpers import all_examples, example
from xlpkg import check
from xlpkg.issues import ERROR, has_errors
from xlpkg.model import FundRow, FundUse, Indicator
from xlpkg.rules import load_rules


def _ind(**kw):
    base = dict(level1="产出指标", level2="数量指标", name="新增指标", target="10次")
    return Indicator(**{**base, **kw})


def _set_actual(p, q, value):
    p.execution.actual_cumulative[q] = value


TRIGGERS = {
    "dept.code_format": lambda p: setattr(p, "dept_code", "10502"),
    "project.code_format": lambda p: setattr(p, "code", "105002-B16DX0003"),
    "project.code_dept": lambda p: setattr(p, "code", "105004B16DX0003"),
    "project.name_missing": lambda p: setattr(p, "name", "  "),
    "budget.positive": lambda p: setattr(p, "budget", D(0)),
    "uses.sum": lambda p: p.uses.append(FundUse("其他", D("0.01"))),
    "uses.missing": lambda p: p.uses.clear(),
    "plan.quarters": lambda p: p.plan.pop(),
    "plan.range": lambda p: p.plan.__setitem__(0, D(-5)),
    "plan.non_decreasing": lambda p: p.plan.__setitem__(1, D(20)),
    "plan.ends_100": lambda p: p.plan.__setitem__(3, D("99.99")),
    "indicator.none": lambda p: p.indicators.clear(),
    "indicator.level1_unknown": lambda p: p.indicators.append(_ind(level1="过程指标")),
    "indicator.level2_mismatch": lambda p: p.indicators.append(_ind(level2="社会效益指标")),
    "indicator.level1_required": lambda p: p.indicators.__setitem__(
        slice(None), [i for i in p.indicators if i.level1 != "产出指标"]),
    "indicator.level1_recommended": lambda p: p.indicators.__setitem__(
        slice(None), [i for i in p.indicators if i.level1 != "满意度指标"]),
    "indicator.cost_missing": lambda p: p.indicators.__setitem__(
        slice(None), [i for i in p.indicators if i.level2 != "成本指标"]),
    "indicator.name_missing": lambda p: p.indicators.append(_ind(name="")),
    "indicator.target_missing": lambda p: p.indicators.append(_ind(target=" ")),
    "indicator.target_unparseable": lambda p: p.indicators.append(_ind(target="95%左右xx")),
    "indicator.duplicate_name": lambda p: p.indicators.append(_ind(name=p.indicators[0].name)),
    "indicator.cause_unknown": lambda p: setattr(p.indicators[0], "causes", {"天气原因": "连续降雨"}),
    "indicator.likelihood_unknown": lambda p: setattr(p.indicators[0], "likelihood", "大概能"),
    "execution.decreasing": lambda p: _set_actual(p, 2, D(600)),
    "execution.negative": lambda p: _set_actual(p, 0, D(-1)),
    "execution.over_budget": lambda p: setattr(p.execution, "year_spent", D("1400.01")),
    "execution.behind_plan": lambda p: _set_actual(p, 0, D(100)),
    "execution.year_budget": lambda p: setattr(p.execution, "year_budget", D(0)),
    "execution.fund_total": lambda p: setattr(p.execution, "funds", {"fiscal": FundRow(year_spent=D(1))}),
    "execution.fund_budget": lambda p: setattr(p.execution, "funds", {"fiscal": FundRow(budget=D(1))}),
    # issue 8 #13: a negative 全年执行数 gave 执行率 −98 % without a word
    "execution.year_spent_negative": lambda p: setattr(p.execution, "year_spent", D(-1372)),
    # issue 22 #7: actuals typed, 全年执行数 blank: the execution points were silently 0
    "execution.year_spent_missing": lambda p: setattr(p.execution, "year_spent", None),
    # issue 8 (smaller): a 1e10 % actual scored as met without a warning
    "indicator.actual_unusual": lambda p: setattr(p.indicators[1], "actual", "10000000000%"),
    "indicator.weight_total": lambda p: [setattr(i, "weight", D(30)) for i in p.indicators[:2]],
    "indicator.actual_missing": lambda p: setattr(p.indicators[0], "actual", ""),
    "indicator.actual_invalid": lambda p: setattr(p.indicators[1], "actual", "很多"),
    "indicator.weight_negative": lambda p: setattr(p.indicators[0], "weight", D(-10)),
    "indicator.no_scored_weight": lambda p: [setattr(i, "applicable", False) for i in p.indicators],
    "indicator.rated_score_band": lambda p: p.indicators.append(
        _ind(target="效果显著", actual="达成年度指标", rated_score=D(1))),
    "indicator.rated_score_ignored": lambda p: p.indicators.append(_ind(actual="10次", rated_score=D(5))),
    "indicator.analysis_missing": lambda p: p.indicators.append(_ind(actual="5次")),
    "indicator.overachieved": lambda p: p.indicators.append(_ind(actual="≥16次")),
    "execution.reason_missing": lambda p: setattr(p.execution, "year_spent", p.budget * D("0.5")),
    # v3 (issue 24): 设定依据类别 and the indicator's history
    "indicator.below_history": lambda p: p.indicators.append(
        _ind(target="≥10次", basis_kind="历史标准", history_value="12.5次")),
    "indicator.basis_kind_mismatch": lambda p: p.indicators.append(_ind(basis_kind="预算支出标准")),
    "indicator.basis_kind_unknown": lambda p: p.indicators.append(_ind(basis_kind="拍脑袋标准")),
    "indicator.target_below_last_actual": lambda p: p.indicators.append(
        _ind(level2="质量指标", target="≥90%", last_actual="95%")),
}


@pytest.mark.parametrize("rule_id", sorted(TRIGGERS))
def test_rule_triggers(rule_id):
    project = example()
    assert rule_id not in {i.rule for i in check(project)}, "the seed form must pass it first"
    TRIGGERS[rule_id](project)
    issues = [i for i in check(project) if i.rule == rule_id]
    assert issues, f"{rule_id} did not fire"
    rules = load_rules()
    for issue in issues:
        assert issue.severity == rules.data["rules"][rule_id]["severity"]
        assert issue.message and issue.location
        assert "{" not in issue.message, "message placeholders must all be filled"


def test_every_model_rule_has_a_trigger_test():
    model_rules = {r for r in load_rules().data["rules"]
                   if r.split(".")[0] in {"dept", "project", "budget", "uses", "plan", "indicator", "execution"}}
    # the 预算支出标准 rules need a standards table: tests/core/test_cost.py triggers them
    from tests.core.test_cost import STANDARD_TRIGGERS
    assert model_rules == set(TRIGGERS) | set(STANDARD_TRIGGERS)


def test_a_form_still_in_declaration_gets_no_self_evaluation_warnings():
    project = example()
    project.execution.year_spent = None
    for ind in project.indicators:
        ind.actual = ""
    assert not [i for i in check(project) if i.rule.startswith("indicator.actual")]


def test_seed_forms_pass_without_errors():
    for project in all_examples():
        issues = check(project)
        assert not has_errors(issues), [str(i) for i in issues if i.severity == ERROR]


def test_seed_shortfalls_are_warnings_only():
    # 105004's form has no 效果指标: approved in 2022, flagged today as a warning.
    issues = check(example("105004B22DX0001"))
    assert [(i.rule, i.severity) for i in issues] == [("indicator.level1_recommended", "warning")]


def test_new_structure_with_cost_as_level1_is_accepted():
    project = example()
    for ind in project.indicators:
        if ind.level2 == "成本指标":
            ind.level1, ind.level2 = "成本指标", "经济成本指标"
    assert not has_errors(check(project))
    assert "indicator.cost_missing" not in {i.rule for i in check(project)}


def test_level2_written_without_suffix_is_the_same_level2():
    project = example()
    project.indicators[0].level2 = "数量"
    assert "indicator.level2_mismatch" not in {i.rule for i in check(project)}


def test_uses_sum_is_exact_to_the_cent():
    project = example()
    project.uses[0].amount += D("0.01")
    (issue,) = [i for i in check(project) if i.rule == "uses.sum"]
    assert "1400.01" in issue.message and "1400" in issue.message and "0.01" in issue.message


# --- v3 (issue 24) -----------------------------------------------------------------------

def _history_rules(*indicators):
    project = example()
    project.indicators.extend(indicators)
    return [(i.rule, i.location) for i in check(project) if i.rule in (
        "indicator.below_history", "indicator.basis_kind_mismatch",
        "indicator.target_below_last_actual", "indicator.basis_kind_unknown")]


def test_history_rules_follow_the_direction_and_the_level():
    n = len(example().indicators)
    at = lambda k, f: f"indicators[{n + k}].{f}"
    assert _history_rules(
        _ind(name="a", target="≥12.5次", basis_kind="历史标准", history_value="12.5次"),   # equal: fine
        _ind(name="b", target="≤5%", basis_kind="历史标准", history_value="4%"),          # 反向, above
        _ind(name="c", target="≤5%", basis_kind="历史标准", history_value="6%"),          # 反向, below: fine
        _ind(name="d", target="≥10次", basis_kind="计划标准", history_value="20次"),      # not 历史标准
        _ind(name="e", level2="时效指标", target="≥90%", last_actual="95%"),              # not 数量/质量
        _ind(name="f", level2="数量", target="≥90次", last_actual="95次"),                # 数量 spelled short
        _ind(name="g", target="≤90次", last_actual="95次"),                               # 反向: fine
        _ind(name="h", level2="成本指标", target="≤100万元", basis_kind="预算支出标准"),   # cost: fine
        _ind(name="i", target="≥10次", basis_kind="历史标准", history_value="较好"),       # 定性 history
    ) == [("indicator.below_history", at(1, "target")),
          ("indicator.target_below_last_actual", at(5, "target"))]
