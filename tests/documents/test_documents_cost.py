"""The 自评报告 draft under a rulebook with 成本 as its own level, with the unit cost (issue 26)."""
from __future__ import annotations

import docx

from tests.core.test_cost import RULES_101, cost_project
from xlpkg.documents.report import render_project_report, report_context
from xlpkg.rules import load_rules


def _text(path) -> str:
    document = docx.Document(str(path))
    return "\n".join([p.text for p in document.paragraphs]
                     + ["|".join(c.text for c in row.cells) for t in document.tables for row in t.rows])


def test_the_report_scores_cost_as_its_own_level_and_states_the_unit_cost(tmp_path):
    p = cost_project()
    p.unit_cost_basis = "培训人次"
    rules = load_rules(RULES_101)
    ctx = report_context(p, rules)
    assert [g["label"] for g in ctx["groups"]] == ["产出指标", "成本指标", "效益指标", "满意度指标"]
    assert ctx["counts"]["cost"] == 2
    text = _text(render_project_report(p, tmp_path / "r.docx", rules=rules))
    assert "其中产出指标2项、成本指标2项、效益指标1项、满意度指标1项" in text
    assert "成本指标得9.20分（分值10.00分）" in text
    assert "以数量指标“培训人次”为核算依据" in text and "单位成本为2.1111万元/人次" in text


def test_no_unit_cost_sentence_without_a_basis(tmp_path):
    text = _text(render_project_report(cost_project(), tmp_path / "r.docx"))
    assert "单位成本" not in text and "其中产出指标4项、效益指标1项、满意度指标1项" in text
