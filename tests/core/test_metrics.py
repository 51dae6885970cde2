from decimal import Decimal as D

import pytest
from hypothesis import given, settings, strategies as st

from tests.helpers import all_examples, example
from xlpkg.metrics import (allocate_weights, cost_control_rate, department_totals, execution_rate,
                           indicator_score, light, project_metrics, quarter_variances,
                           self_evaluation)
from xlpkg.rules import load_rules, rules_from_dict
from xlpkg.targets import parse_target

RULES = load_rules()


def test_rates():
    assert execution_rate(D(1372), D(1400)) == D("0.98")
    assert execution_rate(D(5), D(0)) is None
    assert cost_control_rate(D(630), D(638)) == (D(630) - D(638)) / D(638)
    assert quarter_variances([D(25), D(50), None, D(100)], [D(320), D(700), D(900), None], D(1400)) == [
        D(320) / D(1400) * 100 - 25, D(0), None, None]


@pytest.mark.parametrize("progress, reference, expected", [
    (59.99, 100, "red"), (60, 100, "yellow"), (79.9, 100, "yellow"), (80, 100, "green"),
    (30, 40, "yellow"), (0, 0, "green"), (None, 40, None),
])
def test_monitoring_light_bands(progress, reference, expected):
    p = None if progress is None else D(str(progress))
    assert light(p, D(reference), RULES) == expected


@pytest.mark.parametrize("target, actual, weight, expected", [
    ("95%以上", "98%", 10, D(10)),                       # 正向 met
    ("95%以上", "0.76", 10, D(8)),                        # 正向 short: 76/95 × 10
    ("20次", "18次", 10, D(9)),                           # '=' is 正向
    ("20次", "25次", 10, D(10)),
    ("小于5%", "-2%", 10, D(10)),                         # 反向 met
    ("≤5%", "6%", 10, D(8)),                              # 反向 linear: (1 − 1/5) × 10
    ("≤5%", "15%", 10, D(0)),                             # floored at 0
    ("2022年12月底", "2022-12-31", 10, D(10)),            # 时间 on the day
    ("2022年12月底", "2023-01-05", 10, D(0)),
    ("2022年12月底", "按期完成", 10, D(10)),
    ("效果显著", "效果显著", 10, D(10)),                   # 定性
    ("效果显著", "部分达成", 10, D(7)),
    ("提质增效", "较好", 10, D(9)),
    ("90%-95%", "92%", 10, D(10)),                        # range inside
    ("90%-95%", "45%", 10, D(5)),                         # below: 45/90
    ("90%-95%", "100%", 10, (1 - (D(100) - D(95)) / D(95)) * 10),
    ("0次", "0", 10, D(10)),                              # '=' 0 can only be undercut
    ("0次", "1次", 10, D(0)),
])
def test_indicator_score_modes(target, actual, weight, expected):
    assert indicator_score(target, actual, weight, rules=RULES) == expected


def test_cost_amount_is_a_ceiling_but_a_cost_rate_is_not():
    assert indicator_score("1400万元", "1372万元", 10, is_cost=True, rules=RULES) == 10
    assert indicator_score("1400万元", "1372万元", 10, is_cost=False, rules=RULES) == D(1372) / D(1400) * 10
    assert indicator_score("100%", "97.71%", 10, is_cost=True, rules=RULES) == D("9.771")


def _with_scoring(**changes):
    data = {**RULES.data, "scoring": {**RULES.data["scoring"], **changes}}
    return rules_from_dict(data)


def test_configurable_negative_and_date_modes():
    assert indicator_score("≤5%", "8%", 10, rules=_with_scoring(negative_mode="ratio")) == D(5) / D(8) * 10
    assert indicator_score("2022年12月底", "2023-01-05", 10, rules=_with_scoring(late_date_ratio=0.5)) == 5


def test_weights_split_evenly_unless_given():
    project = example("105002B22DX0009")  # 4 产出, 2 效果, 1 满意度
    assert allocate_weights(project, RULES) == [D("12.5")] * 4 + [D(15)] * 2 + [D(10)]
    project.indicators[0].weight = D(20)
    assert allocate_weights(project, RULES)[:4] == [D(20), D(10), D(10), D(10)]


def test_seed_self_evaluations():
    expected = {"105002B16DX0003": (D("99.80"), "优"), "105002B21DX0008": (D("99.25"), "优"),
                "105002B22DX0009": (D("94.40"), "优"), "105004B22DX0001": (D("99.26"), "优")}
    for project in all_examples():
        ev = self_evaluation(project, RULES)
        assert (ev.total, ev.grade) == expected[project.code]
        assert not ev.issues


def test_missing_level_is_rescaled_to_100():
    ev = self_evaluation(example("105004B22DX0001"), RULES)  # no 效果指标
    assert ev.groups["benefit"]["weight"] == 0
    assert ev.scale == D(100) / D(70)
    perfect = example("105004B22DX0001")
    perfect.execution.year_spent = perfect.budget
    for ind in perfect.indicators:
        ind.actual = "100%" if ind.target.endswith("%") else ind.target
    assert self_evaluation(perfect, RULES).total == 100


def test_not_applicable_indicator_is_dropped():
    project = example()
    before = self_evaluation(project, RULES)
    project.indicators[4].applicable = False  # the only 效果指标
    after = self_evaluation(project, RULES)
    assert after.groups["benefit"]["weight"] == 0 and after.scale == D(100) / D(70)
    assert after.total != before.total


def test_missing_and_bad_actuals_score_zero_with_a_warning():
    project = example()
    project.indicators[0].actual = ""
    project.indicators[1].actual = "很多"
    ev = self_evaluation(project, RULES)
    assert [i.rule for i in ev.issues] == ["indicator.actual_missing", "indicator.actual_invalid"]
    assert ev.indicators[0].score == ev.indicators[1].score == 0
    assert "indicators[1].actual" == ev.issues[1].location


@pytest.mark.parametrize("score, grade", [(90, "优"), (89.99, "良"), (80, "良"), (60, "中"), (59.99, "差")])
def test_grade_bands(score, grade):
    assert RULES.grade(D(str(score))) == grade


# --- properties ---------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False, allow_infinity=False)
percents = st.decimals(min_value=-50, max_value=300, places=2, allow_nan=False, allow_infinity=False)
weights = st.decimals(min_value=0, max_value=50, places=2, allow_nan=False, allow_infinity=False)
TARGETS = ["95%以上", "高于95%", "100%", "20次", "1套", "3", "90%", "≥50个", "小于5%", "≤5%",
           "5%以内", "不高于5%", "≤90万元", "90%-95%"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TARGETS), percents, weights)
def test_score_stays_within_zero_and_weight(text, actual, weight):
    unit = parse_target(text).unit
    score = indicator_score(text, f"{actual}{unit}", weight, rules=RULES)
    assert 0 <= score <= weight


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([t for t in TARGETS if parse_target(t).op in ("≥", ">", "=")]), percents, percents)
def test_positive_scores_rise_with_the_actual(text, a, b):
    unit = parse_target(text).unit
    low, high = sorted((a, b))
    assert indicator_score(text, f"{low}{unit}", 10, rules=RULES) <= indicator_score(text, f"{high}{unit}", 10, rules=RULES)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([t for t in TARGETS if parse_target(t).op in ("≤", "<")]), percents, percents,
       st.sampled_from(["linear", "ratio"]))
def test_negative_scores_fall_with_the_actual(text, a, b, mode):
    rules = _with_scoring(negative_mode=mode)
    unit = parse_target(text).unit
    low, high = sorted((a, b))
    assert indicator_score(text, f"{low}{unit}", 10, rules=rules) >= indicator_score(text, f"{high}{unit}", 10, rules=rules)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["105002", "105004", "105009"]), amounts, amounts),
                min_size=1, max_size=12))
def test_department_totals_equal_the_sum_of_their_projects(rows):
    projects = []
    for i, (dept, budget, spent) in enumerate(rows):
        p = example()
        p.dept_code, p.code = dept, f"{dept}B22DX{i:04d}"
        p.budget, p.execution.year_spent = budget + 1, spent
        projects.append(project_metrics(p, RULES))
    totals = {t.dept_code: t for t in department_totals(projects, RULES)}
    for dept in {r[0] for r in rows}:
        members = [m.project for m in projects if m.project.dept_code == dept]
        t = totals[dept]
        assert t.projects == len(members)
        assert t.budget == sum(p.budget for p in members)
        assert t.spent == sum(p.execution.year_spent for p in members)
        assert t.execution_rate == t.spent / t.budget  # from the sums, not a mean of rates
        assert sum(t.grades.values()) == len(members)
