"""The target an indicator is scored against, whatever its 指标值 says (issue 21 #3).

A 指标值 that ``targets.parse_target`` reads is scored as such. A relative target
("较上年提高5%") is scored against last year's actual where the form gives one
(``Indicator.last_actual``, template v3). Anything else is scored like a 定性 row (the actual
as a grade word or a completion percentage, the evaluator's 评分 within its tier) and
reported as a warning: an unusual wording never drops a project from the totals.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .target_wording import Relative, relative_target
from .targets import Target, TargetError, format_number, normalize_text, parse_number, parse_target

__all__ = ["ScoringTarget", "scoring_target"]

_LAST_RE = re.compile(r"^(?P<num>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?P<unit>%|[A-Za-z\u4e00-\u9fff/·]{1,10})?$")


@dataclass(frozen=True)
class ScoringTarget:
    target: Target
    # Why it is scored this way when the text does not say it plainly (Chinese), else "".
    note: str = ""
    how: str = "parsed"      # parsed / relative / qualitative


def _last_value(last) -> tuple[Decimal, str] | None:
    """Last year's actual as (number, unit): a Decimal/number, or text such as "90%"/"18次"."""
    if last is None or isinstance(last, bool):
        return None
    if isinstance(last, (int, float, Decimal)):
        try:
            return parse_number(last), ""
        except ValueError:
            return None
    m = _LAST_RE.match(normalize_text(str(last)))
    return (Decimal(m["num"]), m["unit"] or "") if m else None


def _relative(text: str, rel: Relative, last) -> ScoringTarget | None:
    known = _last_value(last)
    if known is None:
        return None
    value, unit = known
    # a bare last-year number takes the change's unit ("增加10次"), not a relative "%"
    unit = unit or (rel.unit if rel.points or rel.unit != "%" else "")
    target = Target("quantitative", rel.op, rel.value_from(value), None, unit, text)
    return ScoringTarget(target, f"相对上年的指标值按上年实际完成值{format_number(value)}{unit}计为"
                                 f"{rel.op}{format_number(target.value.quantize(Decimal('0.01')))}{unit}",
                         "relative")


def scoring_target(text: str, *, year: int | None = None, last_actual=None) -> ScoringTarget:
    """How the 指标值 ``text`` is scored; ``last_actual`` is last year's actual if known.

    Raises ``TargetError`` only for an empty text (nothing to score against)."""
    try:
        return ScoringTarget(parse_target(text, year=year))
    except TargetError as exc:
        if not str(text or "").strip():
            raise
        problem = exc.message
    rel = relative_target(normalize_text(str(text)))
    if rel is not None:
        resolved = _relative(str(text), rel, last_actual)
        if resolved is not None:
            return resolved
        why = (f"“{str(text).strip()}”是相对上年的指标值，表中没有上年实际完成值，"
               "按定性指标计分（实际完成值填达成/部分达成/未达成或完成百分比，评分须在所属档位内）")
    else:
        why = (f"{problem}；按定性指标计分（实际完成值填达成/部分达成/未达成或完成百分比，"
               "评分须在所属档位内）")
    return ScoringTarget(Target("qualitative", None, None, None, "", str(text)), why, "qualitative")
