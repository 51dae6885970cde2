"""The indicator library (指标库) from forms: one entry per (一级, 二级, 三级 normalised, 度量单位),
with how many distinct projects used it, in which years and with which values."""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from ..consolidate import normalize_code
from ..model import Project
from ..rules import Rules, load_rules, normalize_level2
from ..targets import ActualError, parse_actual, try_parse_target
from ..workbook.library_sheet import LibraryEntry
from ..carryover.history import indicator_key

__all__ = ["RECENT_YEARS", "build_library"]

RECENT_YEARS = 3   # 近三年平均: the actuals of the library's three latest years


@dataclass
class _Use:
    code: str
    year: int
    project: str
    level1: str
    level2: str
    name: str
    nature: str
    target: Decimal | None
    actual: Decimal | None


def _canonical_level2(level1: str, level2: str, rules: Rules) -> str:
    """The rulebook's spelling of a 二级 (数量 → 数量指标), so the template's list finds it."""
    try:
        allowed = rules.level2_allowed(level1.strip())
    except Exception:   # an unknown 一级: keep what the form wrote
        return level2.strip()
    wanted = normalize_level2(level2)
    return next((a for a in allowed if normalize_level2(a) == wanted), level2.strip())


def _uses(projects: Iterable[Project], rules: Rules) -> Iterable[tuple[tuple, _Use]]:
    for p in projects:
        for ind in p.indicators:
            if not ind.name.strip():
                continue
            target, _ = try_parse_target(ind.target, year=p.year) if ind.target.strip() else (None, None)
            unit = target.unit if target is not None and target.kind in ("quantitative", "range") else ""
            value = actual = None
            if target is not None and target.kind == "quantitative":
                value = target.value
            if target is not None and target.kind in ("quantitative", "range") and ind.actual.strip():
                try:
                    parsed = parse_actual(ind.actual, target)
                except (ActualError, ValueError, ArithmeticError):
                    parsed = None
                actual = parsed if isinstance(parsed, Decimal) and parsed.is_finite() else None
            nature = target.official()[0] if target is not None else ""
            key = (*indicator_key(ind.level1, ind.level2, ind.name), unit.strip())
            yield key, _Use(normalize_code(p.code), p.year, p.name, ind.level1.strip(),
                            _canonical_level2(ind.level1, ind.level2, rules), ind.name.strip(),
                            nature, value, actual)


def _median(values: list[Decimal]) -> Decimal | None:
    return Decimal(statistics.median(values)) if values else None


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP).normalize()


def _most_common(values: Iterable[str]) -> str:
    counts = Counter(v for v in values if v)
    return max(counts, key=lambda v: (counts[v], v)) if counts else ""


def build_library(projects: Iterable[Project], *, rules: Rules | None = None) -> list[LibraryEntry]:
    """Library entries, most used first. A project counts once per indicator however many
    years (or rows) it used it; values are per project-year."""
    rules = rules or load_rules()
    groups: dict[tuple, list[_Use]] = defaultdict(list)
    for key, use in _uses(projects, rules):
        groups[key].append(use)
    out = []
    for key, uses in groups.items():
        years = sorted({u.year for u in uses})
        per_year: dict[tuple[str, int], _Use] = {}
        for u in uses:
            per_year.setdefault((u.code, u.year), u)   # one value per project-year
        values = list(per_year.values())
        recent = set(years[-RECENT_YEARS:])
        latest = max(uses, key=lambda u: (u.year, u.code))
        out.append(LibraryEntry(
            level1=_most_common(u.level1 for u in uses), level2=_most_common(u.level2 for u in uses),
            name=_most_common(u.name for u in uses), unit=key[3],
            projects=len({u.code for u in uses}),
            years=str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}",
            nature=_most_common(u.nature for u in values),
            target_median=_median([u.target for u in values if u.target is not None]),
            actual_median=_median([u.actual for u in values if u.actual is not None]),
            recent_mean=_mean([u.actual for u in values if u.actual is not None and u.year in recent]),
            example=f"{latest.code} {latest.project}".strip()))
    out.sort(key=lambda e: (-e.projects, e.level1, e.level2, e.name, e.unit))
    return out
