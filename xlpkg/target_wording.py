"""Common 指标值 wordings that say a number in another shape than "95%以上" (issue 21 #3).

Forms write "100%合格", "合格率100%", "每季度1次", "1:1" and relative targets such as
"较上年提高5%". Each has one reading, documented here and in the README:

- a completion word after a percentage ("100%合格", "100%覆盖", "95%达标") or a rate name before
  the value ("合格率100%", "满意度≥90%", "覆盖率达到95%"): the percentage itself, to reach;
- a count per period ("每季度1次", "每月不少于2次"): the count for the year, to reach
  (每季度1次 → ≥4次: 年 1, 半年 2, 季度 4, 月 12, 旬 36, 周 52 periods a year);
- a ratio "a:b" ("1:1", "≥1.5:1"): the number a ÷ b, to reach (an actual "1.2:1" reads 1.2);
- a relative target ("较上年提高5%", "同比增长10%", "比上年下降3个百分点"): only last year's actual
  gives it a value (see ``Relative``); a percentage is relative (×1.05), "个百分点" adds points.

This module only rewrites normalised text (``targets._norm``); ``targets`` builds the Target, so
every command (read, check, fill, consolidate, the functions) reads a wording the same way.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Callable

__all__ = ["PERIODS_PER_YEAR", "Relative", "common_reading", "relative_target"]

_NUM = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"

PERIODS_PER_YEAR = {"年": 1, "年度": 1, "半年": 2, "季": 4, "季度": 4, "月": 12, "旬": 36, "周": 52}
# Words that, after a percentage, say what is complete: "100%合格" means 100 % of it is.
COMPLETION_WORDS = ("验收合格", "合格", "覆盖", "达标", "完成", "到位", "落实", "通过", "兑现",
                    "知晓", "满意", "准确", "及时", "公开", "执行")
_AFTER_PERCENT_RE = re.compile(rf"^(?P<head>.*?{_NUM}%)(?:{'|'.join(COMPLETION_WORDS)})(?:率)?$")
# A rate's name before its value: "合格率100%", "满意度≥90%", "覆盖率达到95%以上".
# Only rate names: "年度12次" or "季度1次" is no rate (the period words are not read here).
RATE_NAME_ENDS = ("率", "满意度", "知晓度", "认可度", "完成度", "覆盖度", "参与度", "信任度", "支持度",
                  "知名度", "普及度", "达标度")
_RATE_NAME_RE = re.compile(r"^[\u4e00-\u9fff]{0,10}?(?:" + "|".join(RATE_NAME_ENDS) + r")"
                           r"(?P<rest>[^\u4e00-\u9fff0-9+\-.].*|"
                           r"(?:达到|达|不低于|不少于|不小于|不高于|不超过|大于|小于|高于|低于|为|在|控制在)?"
                           rf"{_NUM}.*)$")
_PER_PERIOD_RE = re.compile(rf"^每(?P<period>{'|'.join(sorted(PERIODS_PER_YEAR, key=len, reverse=True))})"
                            r"(?:至少|不少于|不低于|开展|组织|举办|召开|完成|检查|达到)?(?P<rest>.*)$")
_RATIO_RE = re.compile(rf"^(?P<pre>[^0-9+\-.]*)(?P<a>{_NUM}):(?P<b>{_NUM})(?P<suf>[^0-9:]*)$")

# (op, value, unit) of a standard quantitative text, or None: ``targets`` passes its own reader.
QuantReader = Callable[[str], "tuple[str, Decimal, str] | None"]


def common_reading(t: str, read_quant: QuantReader) -> tuple[str, Decimal, str] | None:
    """(op, value, unit) of a normalised wording above, else None (relative targets too)."""
    if m := _AFTER_PERCENT_RE.match(t):
        return read_quant(m["head"])
    if m := _PER_PERIOD_RE.match(t):
        inner = read_quant(m["rest"])
        if inner is None or not inner[2] or inner[2] == "%":
            return None   # "每月95%" is no count
        op, value, unit = inner
        return ("≥" if op == "=" else op), value * PERIODS_PER_YEAR[m["period"]], unit
    if m := _RATIO_RE.match(t):
        try:
            a, b = Decimal(m["a"]), Decimal(m["b"])
        except InvalidOperation:   # pragma: no cover - the pattern admits numbers only
            return None
        if b <= 0 or a < 0:
            return None
        shaped = read_quant(f"{m['pre']}1{m['suf']}")   # the operator words around the ratio
        if shaped is None or shaped[2]:
            return None
        # four decimals are more than any ratio on a form holds ("2:3" → 0.6667)
        return shaped[0], (a / b).quantize(Decimal("0.0001")), ""
    if (m := _RATE_NAME_RE.match(t)) and not relative_target(t):
        rest = m["rest"]
        for word in ("在", "为"):
            if rest.startswith(word):
                rest = rest[len(word):]
        return read_quant(rest)
    return None


@dataclass(frozen=True)
class Relative:
    """"较上年提高5%": a change against last year's actual.

    ``op`` is what the actual must satisfy once the value is known: ≥ for 提高/增长/增加/上升,
    ≤ for 下降/降低/减少 (a cost to cut). ``points`` when the change adds percentage points
    ("5个百分点") or units ("增加10次"); otherwise the percentage scales last year's actual."""
    op: str
    amount: Decimal
    unit: str            # "%" or the unit of an absolute change ("次"), "" when none
    points: bool

    def value_from(self, last: Decimal) -> Decimal:
        sign = 1 if self.op == "≥" else -1
        if self.points or self.unit != "%":
            return last + sign * self.amount
        return last * (1 + sign * self.amount / 100)


_REFERENCE = r"(?:较上年|比上年|较去年|比去年|较上一年|比上一年|与上年相比|同比|较上年度|比上年度|较往年|环比)"
_UP = ("提高", "增长", "增加", "上升", "提升")
_DOWN = ("下降", "降低", "减少", "压缩", "缩减")
_RELATIVE_RE = re.compile(
    rf"^{_REFERENCE}(?:有所)?(?P<verb>{'|'.join(_UP + _DOWN)})(?:了)?"
    r"(?:不少于|不低于|至少|达到|达|超过)?"
    rf"(?P<num>{_NUM})(?P<points>个%|个百分点)?(?P<unit>%|[\u4e00-\u9fff]{{1,3}})?"
    r"(?:以上|及以上|左右)?$")


def relative_target(t: str) -> Relative | None:
    """The relative target a normalised text states, else None."""
    m = _RELATIVE_RE.match(t)
    if not m:
        return None
    try:
        amount = Decimal(m["num"])
    except InvalidOperation:   # pragma: no cover - the pattern admits numbers only
        return None
    op = "≥" if m["verb"] in _UP else "≤"
    points = bool(m["points"])
    unit = "%" if points else (m["unit"] or "")
    return Relative(op, amount, unit, points)
