"""Consolidation under a rulebook that scores 成本 on its own (issue 26): 部门小计's 成本 level
score, 指标明细's 评分层级, 项目汇总's 单位成本, and the summary workbook that shows them."""
from __future__ import annotations

from decimal import Decimal as D

import openpyxl
import pandas as pd
import pytest

from tests.core.test_cost import STANDARDS, cost_project, rules_101
from xlpkg.consolidate import consolidate
from xlpkg.consolidate.columns import COST_SCORE_COLUMN
from xlpkg.metrics import project_metrics
from xlpkg.rules import load_rules
from xlpkg.summary import write_summary
from xlpkg.workbook.writer import fill_workbook


def _forms(folder, rules):
    a = cost_project()
    a.unit_cost_basis = "培训人次"
    b = cost_project(cost_weights=(D(5), D(5)), spent=D(60))
    b.code, b.name, b.budget = "105002B22DX0002", "第二个项目", D(300)
    b.indicators[3].actual = "10万元"                 # 社会成本 far over: 0 points of 5
    c = cost_project()
    c.code, c.name = "105002B22DX0003", "没有成本指标的项目"
    c.indicators = [i for i in c.indicators if i.level1 != "成本指标"]
    for p in (a, b, c):
        fill_workbook(p, folder / f"{p.code}.xlsx", rules=rules)
    return a, b, c


def test_department_subtotal_has_the_budget_weighted_cost_score(tmp_path):
    rules = rules_101(cost_standards=STANDARDS)
    a, b, c = _forms(tmp_path, rules)
    result = consolidate([tmp_path], rules=rules, jobs=1)
    scores = {p.code: project_metrics(p, rules).evaluation.groups["cost"]["score"] for p in (a, b)}
    assert scores == {a.code: D("9.2"), b.code: D(5)}
    expected = (scores[a.code] * a.budget + scores[b.code] * b.budget) / (a.budget + b.budget)  # c has none
    depts = result.departments.set_index("部门编码")
    assert depts.loc["105002", COST_SCORE_COLUMN] == pytest.approx(float(expected))
    assert depts.loc["合计", COST_SCORE_COLUMN] == pytest.approx(float(expected))

    levels = result.indicators
    cost_rows = levels[levels["评分层级"] == "成本指标"]
    assert len(cost_rows) == 4 and set(cost_rows["一级指标"]) == {"成本指标"}
    projects = result.projects.set_index("项目编码")
    assert projects.loc[a.code, "单位成本（万元）"] == pytest.approx(95 / 45)
    assert projects.loc[a.code, "单位成本核算依据"] == "培训人次（万元/人次）"
    assert pd.isna(projects.loc[b.code, "单位成本（万元）"])   # no basis chosen: blank

    path = write_summary(result, tmp_path / "out" / "汇总.xlsx")
    book = openpyxl.load_workbook(path)
    head = [c.value for c in book["部门小计"][1]]
    assert COST_SCORE_COLUMN in head
    head = [c.value for c in book["指标明细"][1]]
    assert head[-1] == "评分层级"


def test_the_default_rulebook_has_no_cost_level_column(tmp_path):
    rules = load_rules()
    _forms(tmp_path, rules)
    result = consolidate([tmp_path], rules=rules, jobs=1)
    assert COST_SCORE_COLUMN not in result.departments.columns
    assert set(result.indicators[result.indicators["一级指标"] == "成本指标"]["评分层级"]) == {"产出指标"}
