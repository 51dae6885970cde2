"""An indicator's past: last year's target and actual, and the 历史值 (the mean of the actuals
of up to three previous years), matched across years by (一级, 二级, 三级) as people write them."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from ..model import Indicator, Project
from ..rules import normalize_level2
from ..targets import ActualError, Target, format_number, parse_actual, try_parse_target

__all__ = ["HISTORY_YEARS", "PastActual", "history_value", "indicator_key", "past_actuals"]

HISTORY_YEARS = 3   # 历史标准: 历史年度完成值或前三年平均值


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in text if not ch.isspace())


def indicator_key(level1: str, level2: str, name: str) -> tuple[str, str, str]:
    """The same indicator in two years: full-width and spaces ignored, 数量/数量指标 alike."""
    return _plain(level1), normalize_level2(_plain(level2)), _plain(name)


@dataclass(frozen=True)
class PastActual:
    year: int
    key: tuple[str, str, str]
    actual: str        # 实际完成值, as the form holds it
    target: str = ""   # that year's 指标值 (its unit decides how the actual reads)


def past_actuals(projects: Iterable[Project]) -> list[PastActual]:
    """Every filled actual of ``projects`` (one project, several years)."""
    return [PastActual(p.year, indicator_key(i.level1, i.level2, i.name), i.actual.strip(), i.target)
            for p in projects for i in p.indicators if i.actual.strip()]


def _number(past: PastActual, target: Target) -> Decimal | None:
    """A past actual in this year's unit, or None (text, a date, another unit)."""
    then, _ = try_parse_target(past.target, year=past.year) if past.target else (None, None)
    if then is None or then.kind not in ("quantitative", "range"):
        then = target
    if _plain(then.unit) != _plain(target.unit):
        return None
    try:
        value = parse_actual(past.actual, then)
    except (ActualError, ValueError, ArithmeticError):
        return None
    return value if isinstance(value, Decimal) and value.is_finite() else None


def _places(value: Decimal) -> int:
    return max(0, -value.normalize().as_tuple().exponent)


def history_value(ind: Indicator, year: int, past: Iterable[PastActual],
                  years: int = HISTORY_YEARS) -> str:
    """The 历史值 of ``ind`` for ``year``: the mean of the actuals of the (up to) ``years``
    latest previous years that have one, in the indicator's unit ("95.5%"); "" when there is
    none, when the indicator is 定性 (its actual is carried as text, never averaged) or when
    a past actual is not a number in this unit."""
    target, _ = try_parse_target(ind.target, year=year)
    if target is None or target.kind not in ("quantitative", "range"):
        return ""
    key = indicator_key(ind.level1, ind.level2, ind.name)
    by_year: dict[int, PastActual] = {}
    for item in past:
        if item.key == key and item.year < year and item.actual:
            by_year.setdefault(item.year, item)
    numbers = []
    for y in sorted(by_year, reverse=True)[:years]:
        value = _number(by_year[y], target)
        if value is not None:
            numbers.append(value)
    if not numbers:
        return ""
    # Two more places than the actuals carry: the mean of two is exact, of three close enough.
    places = max(_places(v) for v in numbers) + 2
    mean = (sum(numbers, Decimal(0)) / len(numbers)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return format_number(mean) + target.unit
