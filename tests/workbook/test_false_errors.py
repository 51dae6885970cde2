"""Harmless differences are warnings, not errors that drop a project (issue 21 #1, #3)."""
from __future__ import annotations

from decimal import Decimal as D

from tests.workbook.test_reader import at, edit
from xlpkg.workbook.form_checks import read_checked_file

NATURE, VALUE, UNIT, ORIGINAL = "E", "F", "G", "I"


def _errors(result):
    return [(i.rule, i.message) for i in result.issues if i.severity == "error"]


def test_strictness_or_date_kind_only_is_a_warning_naming_what_was_scored(filled_copy):
    path = edit(filled_copy(), {
        # 5: "高于95%" against ≥ 95 %: only the strictness differs
        at("Indicators", 5, NATURE): "≥", at("Indicators", 5, VALUE): 95, at("Indicators", 5, UNIT): "%",
        # 3: "小于5%" against ≤ 5 %
        at("Indicators", 3, ORIGINAL): "小于5%", at("Indicators", 3, NATURE): "≤",
        at("Indicators", 3, VALUE): 5, at("Indicators", 3, UNIT): "%",
        # 2: the same date under 指标性质 定性
        at("Indicators", 2, NATURE): "定性", at("Indicators", 2, VALUE): "2022年12月底",
        at("Indicators", 2, UNIT): None,
    })
    result = read_checked_file(path)
    assert not [e for e in _errors(result) if e[0] == "form.value"], _errors(result)
    variants = {i.cell: i.message for i in result.issues if i.rule == "form.target_variant"}
    assert all(i.severity == "warning" for i in result.issues if i.rule == "form.target_variant")
    first = int(at("Indicators")[1][1:])
    assert set(variants) == {f"F{first + r}" for r in (2, 3, 5)}, variants
    joined = "\n".join(variants.values())
    assert "“>”与“≥”" in joined and "“<”与“≤”" in joined
    assert "按原指标值（文字）“高于95%”计分" in joined
    assert "同一日期" in joined and "定性" in joined
    # scored from the text: the date row is a date, met on 2022-11-30
    ev = result.metrics.evaluation
    assert ev.indicators[2].mode == "date" and ev.indicators[2].ratio == 1


def test_a_plain_value_against_at_least_is_a_warning_but_not_for_money(filled_copy):
    """"98%" (=, scored as a value to reach) against ≥ 98 %: the same score; "1400万元" under
    成本指标 is a ceiling, so ≥ 1400 万元 would score differently: still an error."""
    path = edit(filled_copy(), {
        at("Indicators", 1, ORIGINAL): "98%", at("Indicators", 1, NATURE): "≥",
        at("Indicators", 1, VALUE): 98, at("Indicators", 1, UNIT): "%",
        at("Indicators", 3, NATURE): "≥", at("Indicators", 3, VALUE): 1400, at("Indicators", 3, UNIT): "万元",
    })
    result = read_checked_file(path)
    first = int(at("Indicators")[1][1:])
    found = {(i.rule, i.cell) for i in result.issues}
    assert ("form.target_variant", f"F{first + 1}") in found
    assert ("form.value", f"F{first + 3}") in found and ("form.target_variant", f"F{first + 3}") not in found


def test_value_unit_or_direction_differences_stay_errors(filled_copy):
    path = edit(filled_copy(), {
        at("Indicators", 5, NATURE): "≥", at("Indicators", 5, VALUE): 96, at("Indicators", 5, UNIT): "%",
        at("Indicators", 1, NATURE): "≤", at("Indicators", 1, VALUE): 95, at("Indicators", 1, UNIT): "%",
        at("Indicators", 0, NATURE): "≥", at("Indicators", 0, VALUE): 20, at("Indicators", 0, UNIT): "个",
        at("Indicators", 2, NATURE): "定性", at("Indicators", 2, VALUE): "2022年11月底",
    })
    result = read_checked_file(path)
    cells = {i.cell for i in result.issues if i.rule == "form.value" and i.severity == "error"}
    first = int(at("Indicators")[1][1:])
    assert {f"F{first + r}" for r in (0, 1, 2, 5)} <= cells, result.issues
    assert not [i for i in result.issues if i.rule == "form.target_variant"]


def test_common_wordings_read_and_keep_the_project(filled_copy):
    """"100%合格", "每季度1次", "1:1", relative and unreadable targets: no error, scored."""
    path = edit(filled_copy(), {
        at("Indicators", 1, ORIGINAL): "100%合格", at("Indicators", 1, NATURE): None,
        at("Indicators", 1, VALUE): None, at("Indicators", 1, UNIT): None,
        at("Indicators", 0, ORIGINAL): "每季度5次", at("Indicators", 0, NATURE): None,
        at("Indicators", 0, VALUE): None, at("Indicators", 0, UNIT): None,
        at("Indicators", 4, ORIGINAL): "较上年提高5%", at("Indicators", 4, NATURE): None,
        at("Indicators", 4, VALUE): None, at("Indicators", 4, UNIT): None,
        at("IndActual", 4): "达成年度指标", at("IndActual", 0): "18次",
    })
    result = read_checked_file(path)
    assert not _errors(result), _errors(result)
    ev = result.metrics.evaluation
    assert ev.indicators[0].mode == "positive" and ev.indicators[0].ratio == D("0.9")   # 每季度5次 = ≥20次 a year
    assert ev.indicators[1].ratio == D("0.98")            # 98% of 100%
    assert ev.indicators[4].mode == "qualitative" and ev.indicators[4].ratio == 1
    warned = [i for i in result.issues if i.rule == "indicator.target_unparseable"]
    assert len(warned) == 1 and warned[0].severity == "warning" and "没有上年实际完成值" in warned[0].message
