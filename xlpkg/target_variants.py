"""Two writings of one 指标值 that differ without changing the score (issue 21 #1).

A form keeps the 原指标值（文字）and the split 指标性质/指标值/度量单位. "高于95%" against ≥ 95 %
differs only in the strictness of the operator, which no score depends on (正向: actual ÷ target;
反向 likewise; ">" at equality also earns full marks, 财预〔2020〕10号 as pmkpi applies it), and
"2022年12月底" typed with 指标性质 定性 instead of 日期 is the same date. Such a pair is a warning;
a different value, unit or direction stays an error (the two writings score differently).
"""
from __future__ import annotations

from .targets import MONEY_FACTORS, Target, TargetError, parse_target

__all__ = ["harmless_difference"]

_STRICTNESS = ({"≥", ">"}, {"≤", "<"})


def harmless_difference(whole: Target, split: Target) -> str:
    """Why ``whole`` (the original text) and ``split`` (the split cells) score the same, in
    Chinese ("仅比较符宽严不同（…）"), or "" when they differ in substance."""
    if whole.kind == split.kind == "quantitative" and (whole.value, whole.unit) == (split.value, split.unit) \
            and any({whole.op, split.op} <= pair for pair in _STRICTNESS):
        return (f"仅比较符宽严不同（“{whole.op}”与“{split.op}”），数值和单位相同，得分相同")
    if whole.kind == split.kind == "quantitative" and (whole.value, whole.unit) == (split.value, split.unit) \
            and {whole.op, split.op} == {"=", "≥"} and whole.value > 0 and whole.unit not in MONEY_FACTORS:
        # a plain value ("100%") is scored as a value to reach: exactly as "≥" (a money amount
        # under 成本指标 is a ceiling instead, hence not here)
        return "只是“=”与“≥”的写法不同，数值和单位相同，“=”按正向计分，得分相同"
    if {whole.kind, split.kind} == {"date", "qualitative"}:
        date, words = (whole, split) if whole.kind == "date" else (split, whole)
        try:
            again = parse_target(words.text, year=date.deadline.year)
        except TargetError:
            return ""
        if again.kind == "date" and again.deadline == date.deadline:
            return "是同一日期，只是指标性质填为“定性”而不是“日期”"
    return ""
