"""Which rules keep a project out of the department totals, stated in the rulebook (issue 21 #4)."""
from __future__ import annotations

import copy
import json

import pytest

from tests.helpers import ROOT
from xlpkg.rules import RulesError, rules_from_dict

SHIPPED = json.loads((ROOT / "rules.json").read_text("utf-8"))
# Each excluding rule says which number of the project cannot be trusted: its identity (where
# the money belongs, counted once), its amounts, its spending plan, its score, or the file.
UNTRUSTED = ("身份：", "金额：", "计划：", "得分：", "文件：")


def test_every_error_states_which_number_cannot_be_trusted():
    rules = SHIPPED["rules"]
    errors = {k for k, v in rules.items() if v["severity"] == "error"}
    stated = {k for k, v in rules.items() if "excludes_from_totals" in v}
    assert errors == stated
    for rule in sorted(errors):
        why = rules[rule]["excludes_from_totals"]
        assert why.startswith(UNTRUSTED) and len(why) > 8, (rule, why)
    # reviewed: the rules whose numbers are untrusted for the project's identity or its file
    by_kind = {kind: {r for r in errors if rules[r]["excludes_from_totals"].startswith(kind)}
               for kind in UNTRUSTED}
    assert by_kind["身份："] == {"dept.code_format", "project.code_format", "project.code_dept",
                               "consolidate.duplicate", "consolidate.mixed_years"}
    assert by_kind["文件："] == {"form.not_template", "form.unreadable", "form.value", "form.misaligned"}
    assert all(r.startswith("plan.") for r in by_kind["计划："])
    assert all(r.startswith("indicator.") for r in by_kind["得分："])


@pytest.mark.parametrize("rule", ["indicator.target_unparseable", "form.target_variant",
                                  "project.name_missing", "execution.year_spent_missing",
                                  "indicator.actual_missing", "form.sheet_blank"])
def test_harmless_rules_leave_the_project_in_the_totals(rule):
    """Wording, a missing name, a missing 全年执行数: the numbers stay trustworthy."""
    assert SHIPPED["rules"][rule]["severity"] == "warning"
    assert "excludes_from_totals" not in SHIPPED["rules"][rule]


def test_a_warning_cannot_claim_to_exclude():
    data = copy.deepcopy(SHIPPED)
    data["rules"]["uses.missing"]["excludes_from_totals"] = "金额：不可信"
    with pytest.raises(RulesError):
        rules_from_dict(data)
    assert rules_from_dict(copy.deepcopy(SHIPPED))   # the shipped one is valid


def test_consolidation_excludes_exactly_the_projects_with_such_a_rule(tmp_path):
    from decimal import Decimal as D

    from tests.helpers import example
    from xlpkg.consolidate import consolidate
    from xlpkg.workbook.writer import fill_workbook

    kept = example("105002B16DX0003")
    kept.indicators[1].target, kept.indicators[0].target = "100%合格", "较上年提高5%"
    kept.name = ""                                     # a warning now
    dropped = example("105002B21DX0008")
    dropped.uses[0].amount += D(1)                     # uses.sum
    for p in (kept, dropped):
        fill_workbook(p, tmp_path / f"{p.code}.xlsx")
    c = consolidate([tmp_path], jobs=1)
    assert list(c.projects["项目编码"]) == [kept.code]
    excluded = set(c.issues[c.issues["严重程度"] == "错误"]["规则"])
    assert excluded == {"uses.sum"}
    assert all("excludes_from_totals" in SHIPPED["rules"][r] for r in excluded)
