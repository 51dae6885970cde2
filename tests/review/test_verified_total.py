"""metrics.verified_total: the 总分 with the bureau's 评定得分 in place of each 得分."""
from __future__ import annotations

import copy
from decimal import Decimal as D

from xlpkg.metrics import project_metrics, round2, verified_total
from xlpkg.rules import load_rules, rules_from_dict

RULES = load_rules()


def test_confirming_every_score_gives_the_self_evaluation_total(example_projects):
    p = copy.deepcopy(example_projects["105002B16DX0003"])
    m = project_metrics(p, RULES)
    for ind, s in zip(p.indicators, m.evaluation.indicators):
        ind.verified_score = s.score
    assert verified_total(p, m.evaluation, RULES) == m.evaluation.total


def test_blank_until_every_scored_row_is_rated_and_rescaled_by_the_form(example_projects):
    p = copy.deepcopy(example_projects["105004B22DX0001"])   # no 效益 indicator: scale 100/70
    m = project_metrics(p, RULES)
    assert m.evaluation.scale == D(100) / D(70)
    for ind in p.indicators[:-1]:
        ind.verified_score = D("10")
    assert verified_total(p, m.evaluation, RULES) is None
    p.indicators[-1].verified_score = D("8")
    rate = min(m.evaluation.execution_rate, D(1))
    expected = round2((rate * 10 + D(48)) * D(100) / D(70))
    assert verified_total(p, m.evaluation, RULES) == expected
    data = copy.deepcopy(RULES.data)
    data["scoring"]["missing_level"] = "redistribute"
    other = rules_from_dict(data, "redistribute.json")
    ev = project_metrics(p, other).evaluation
    assert verified_total(p, ev, other) == round2(rate * 10 + D(48) * ev.scale)
    assert project_metrics(p, RULES).verified_grade == RULES.grade(expected)
