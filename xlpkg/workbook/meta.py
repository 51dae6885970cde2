"""The very hidden metadata sheet: template identity and the rulebook's parameters as names.

The formulas of the other sheets read their thresholds, weights and choice lists from here, so a
province's rules file changes the template without touching a formula.
"""
from __future__ import annotations

from . import layout as L
from ..metrics import MONEY_UNITS
from ..rules import Rules, normalize_level2
from ..targets import DONE_WORDS, NOT_DONE_WORDS
from . import sheet_parse
from .score_formulas import WHY_LONG, WHY_SHORT
from .sheet_parse import APPLICABLE_NO, APPLICABLE_YES
from .style import define_name

__all__ = ["NATURES", "build_meta"]

NATURES = ("≥", "≤", "=", ">", "<", "定性", "区间", "日期")


def _literal(ws, row: int, col: int, value) -> None:
    """A rulebook value as data: openpyxl turns any string starting with "=" into a formula,
    so a grade or light label "=1+1" from a province's rulebook would be computed."""
    cell = ws.cell(row, col, value)
    if isinstance(value, str):
        cell.data_type = "s"


def build_meta(wb, rules: Rules):
    ws = wb.create_sheet(L.META)
    ws.sheet_state = "veryHidden"
    scalars = [
        ("TemplateId", L.TEMPLATE_ID), ("TemplateVersion", L.TEMPLATE_VERSION),
        ("RulesVersion", f"{rules.data.get('version', '')} {rules.source}".strip()),
        ("Illustrative", False),
        ("WeightExecution", float(rules.weight("execution"))),
        ("NegMode", rules.scoring["negative_mode"]),
        ("LateRatio", float(rules.scoring["late_date_ratio"])),
        ("EqualCostCeiling", bool(rules.scoring["equal_cost_as_ceiling"])),
        ("LightRef", rules.monitoring["light_reference"]),
        ("MissingLevel", rules.missing_level),
        ("OverFactor", float(rules.overachievement[0])),
        ("OverDeduct", rules.overachievement[1]),
        ("MonDefaultMonth", int(rules.monitoring.get("month", 6))),
        ("RulesLevels", rules.levels_signature()),   # v3: compared when the form is read
    ]
    assert scalars[L.META_LEVELS_ROW - 1][0] == "RulesLevels"
    for row, (name, value) in enumerate(scalars, start=1):
        ws.cell(row, 1, name)
        _literal(ws, row, 2, value)
        define_name(wb, name, L.META, f"B{row}")
    level1 = rules.structure["level1"]
    width = max(len(v["level2"]) for v in level1.values())
    groups = rules.groups   # the scoring levels are the rulebook's (成本 of its own under 101号)
    lights = rules.monitoring["lights"]
    lists = [
        ("GroupKeys", list(groups)), ("GroupWeights", [float(rules.weight(g)) for g in groups]),
        ("L1Names", list(level1)), ("L1Groups", [v["group"] for v in level1.values()]),
        ("L1L2Count", [len(v["level2"]) for v in level1.values()]),
        ("CostL2", sorted({normalize_level2(n) for n in rules.structure["cost_level2"]})),
        ("MoneyUnits", list(MONEY_UNITS)),
        ("QualWords", list(rules.qualitative_grades())),
        ("QualRatios", [float(v) for v in rules.qualitative_grades().values()]),
        ("DoneWords", sorted(DONE_WORDS)), ("NotDoneWords", sorted(NOT_DONE_WORDS)),
        ("GradeNames", [b["grade"] for b in rules.scoring["grades"]]),
        ("GradeMins", [float(b["min"]) for b in rules.scoring["grades"]]),
        ("LightLabels", [b["label"] for b in lights]),
        ("LightBelow", [float(b["below"]) for b in lights[:-1]]),
        ("NatureChoices", list(NATURES)),
        ("CauseChoices", list(rules.monitoring["deviation_causes"])),
        ("LikelihoodChoices", list(rules.monitoring["likelihoods"])),
        ("ApplicableChoices", ["是", "否"]),
        ("ApplicableYes", list(APPLICABLE_YES)), ("ApplicableNo", list(APPLICABLE_NO)),
        ("GroupLabels", [rules.group_label(g) for g in groups]),
        ("QualTierMins", [float(t["min"]) for t in rules.qualitative_tiers()]),
        ("QualTierMaxs", [float(t["max"]) for t in rules.qualitative_tiers()]),
        ("WhyShort", list(WHY_SHORT)), ("WhyLong", list(WHY_LONG)),
        *sheet_parse.meta_lists(),
    ]
    col = 4
    for name, values in lists:
        letter = L.shift_col("A", col - 1)
        ws.cell(1, col, name)
        for i, value in enumerate(values, start=2):
            _literal(ws, i, col, value)
        define_name(wb, name, L.META, f"{letter}2:{letter}{len(values) + 1}")
        col += 1
        if name == "L1L2Count":   # the 二级 lists, one row per 一级, for the dependent dropdown
            first = L.shift_col("A", col - 1)
            ws.cell(1, col, "L2Table")
            for r, entry in enumerate(level1.values(), start=2):
                for c, level2 in enumerate(entry["level2"]):
                    _literal(ws, r, col + c, level2)
            last = L.shift_col("A", col + width - 2)
            define_name(wb, "L2Table", L.META, f"{first}2:{last}{len(level1) + 1}")
            col += width
    ws.protection.sheet = True
