"""Common target wordings have one reading each; the rest is scored like 定性 (issue 21 #3)."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.helpers import example
from xlpkg.checks import check
from xlpkg.metrics import self_evaluation
from xlpkg.rules import load_rules
from xlpkg.scoring_target import scoring_target
from xlpkg.targets import parse_actual, parse_target

RULES = load_rules()


@pytest.mark.parametrize("text, op, value, unit", [
    ("100%合格", "=", "100", "%"), ("100%覆盖", "=", "100", "%"), ("95%达标", "=", "95", "%"),
    ("合格率100%", "=", "100", "%"), ("满意度≥90%", "≥", "90", "%"), ("覆盖率达到95%以上", "≥", "95", "%"),
    ("每季度1次", "≥", "4", "次"), ("每月不少于2次", "≥", "24", "次"), ("每年1次", "≥", "1", "次"),
    ("每半年1次", "≥", "2", "次"), ("1:1", "=", "1", ""), ("1：1", "=", "1", ""), ("≥1.5:1", "≥", "1.5", ""),
    ("2:3", "=", "0.6667", ""),
])
def test_common_wordings_have_one_reading(text, op, value, unit):
    t = parse_target(text, year=2022)
    assert (t.kind, t.op, t.value, t.unit) == ("quantitative", op, D(value), unit)
    assert t.text == text   # the form's words are kept


def test_actuals_in_the_same_wording():
    assert parse_actual("每季度1次", parse_target("每季度1次")) == D(4)
    assert parse_actual("1.2:1", parse_target("1:1")) == D("1.2")
    assert parse_actual("100%合格", parse_target("100%合格")) == D(100)


@pytest.mark.parametrize("text", ["每季度95%", "95%左右", "较上年提高5%", "1:0", "季度1次", "年度12次"])
def test_no_reading_invented(text):
    with pytest.raises(ValueError):
        parse_target(text, year=2022)


@pytest.mark.parametrize("text, last, op, value, unit", [
    ("较上年提高5%", "90%", "≥", "94.5", "%"),
    ("同比增长10%", "20次", "≥", "22", "次"),
    ("较上年下降3个百分点", "10%", "≤", "7", "%"),
    ("比上年增加10次", D(20), "≥", "30", "次"),
    ("同比下降5%", "1000万元", "≤", "950", "万元"),
])
def test_relative_targets_against_last_year(text, last, op, value, unit):
    st = scoring_target(text, year=2022, last_actual=last)
    assert st.how == "relative"
    assert (st.target.op, st.target.value, st.target.unit) == (op, D(value), unit)


def test_relative_without_last_year_and_unreadable_score_like_qualitative():
    for text in ("较上年提高5%", "95%左右xx"):
        st = scoring_target(text, year=2022)
        assert st.how == "qualitative" and st.target.kind == "qualitative" and "按定性指标计分" in st.note
    assert "没有上年实际完成值" in scoring_target("同比增长10%").note


def _project(target, actual, rated=None, last=None):
    p = example()
    ind = p.indicators[1]
    ind.target, ind.actual, ind.rated_score = target, actual, rated
    if last is not None:
        ind.last_actual = last   # template v3's field (another branch adds it to the model)
    return p


def test_unreadable_target_is_a_warning_and_scored_with_the_rated_score():
    p = _project("95%左右xx", "部分达成", rated=D(8))
    issues = check(p, RULES)
    assert not [i for i in issues if i.severity == "error"], issues
    warned = [i for i in issues if i.rule == "indicator.target_unparseable"]
    assert len(warned) == 1 and warned[0].severity == "warning"
    s = self_evaluation(p, RULES).indicators[1]
    assert s.mode == "qualitative" and s.score == D(8)   # 8 of 12.5 is inside 部分达成 (60–80 %)


def test_relative_target_scored_against_last_actual_when_given():
    p = _project("较上年提高5%", "93%", last="90%")
    assert not [i for i in check(p, RULES) if i.rule == "indicator.target_unparseable"]
    s = self_evaluation(p, RULES).indicators[1]
    assert s.mode == "positive" and s.ratio == D(93) / D("94.5")
