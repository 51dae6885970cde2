"""The worksheet functions follow the rulebook in force ($XLPKG_RULES): under 财预〔2021〕101号 a
成本指标 row (一级 成本指标, 二级 经济成本指标) is scored as a cost, an amount target as a ceiling."""
from __future__ import annotations

import pytest

from tests.core.test_cost import RULES_101
from xlpkg.frontends import functions as F


@pytest.mark.parametrize("rules", [None, RULES_101])
def test_indicator_score_treats_a_101_cost_row_as_a_ceiling(monkeypatch, rules):
    if rules:
        monkeypatch.setenv("XLPKG_RULES", str(RULES_101))
    else:
        monkeypatch.delenv("XLPKG_RULES", raising=False)
    # 1400万元 typed as a plain amount: a ceiling for a cost, so 1450 loses (1450−1400)/1400
    got = F.indicator_score("1400万元", "1450万元", 10, "成本指标", "经济成本指标")
    assert got == pytest.approx(10 * (1 - 50 / 1400))
    assert F.indicator_score("1400万元", "1450万元", 10, "产出指标", "数量指标") == pytest.approx(10)
