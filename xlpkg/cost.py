"""Cost performance (财预〔2021〕101号): the unit cost of a project and its cost targets
checked against 预算支出标准.

单位成本 = 全年执行数 ÷ the 实际完成值 of the 数量指标 the accountant chose as the cost basis
(``Project.unit_cost_basis``), in 万元 per that indicator's unit; the 绩效自评 sheet's
``UnitCost`` formula computes the same number.

A 成本指标 row is set against a spending standard when its 设定依据 says so: the
``basis_kind`` column of template v3 (issue 24) reads 预算支出标准, or its 指标值确定依据 text does.
The text names the standard and the quantity, as ``标准：<支出标准名称>×<数量>`` (× may be
written x, X, * or ＊; the quantity may carry its unit: ``标准：培训费（二类）×300人天``).
A target above 单位标准 × 数量 breaks "不得超出规定的预算支出标准设置目标值".
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .issues import Issue
from .model import Project
from .rules import Rules, normalize_level2
from .targets import MONEY_FACTORS, ActualError, TargetError, format_number, parse_actual, parse_target

__all__ = ["STANDARD_BASIS", "CostStandard", "standard_entry", "UnitCost", "StandardRef", "standards_of", "standard_ref",
           "quantity_rows", "unit_cost", "check_cost_standards", "check_unit_cost_basis"]

STANDARD_BASIS = "预算支出标准"
QUANTITY_LEVEL2 = "数量"
_REF = re.compile(r"标准\s*[：:]\s*(?P<item>.+?)\s*[×xX*＊]\s*(?P<qty>[0-9０-９.,，]+)\s*(?P<unit>[^；;。，,\s]*)")


@dataclass(frozen=True)
class CostStandard:
    """One row of the standards table: 支出标准名称, 计量单位, 单位标准（元）, 来源."""
    item: str
    unit: str
    amount: Decimal          # 元 per unit
    source: str = ""


@dataclass(frozen=True)
class UnitCost:
    amount: Decimal          # 万元 per unit
    unit: str                # "万元/人次"
    basis: str               # the 数量指标's 三级指标

    def to_dict(self) -> dict:
        return {"amount": format(self.amount, "f"), "unit": self.unit, "basis": self.basis}


@dataclass(frozen=True)
class StandardRef:
    item: str
    quantity: Decimal | None   # None: the text names the standard only


def standard_entry(entry: dict) -> CostStandard | None:
    """One ``cost_standards`` entry, written with the JSON keys (item, unit, amount [元, or
    amount_unit 万元], source) or with the table's headers (支出标准名称, 计量单位, 单位标准（元）
    or 单位标准（万元）, 来源); amounts in 元."""
    if "item" in entry:
        factor = 10000 if entry.get("amount_unit") == "万元" else 1
        return CostStandard(entry["item"].strip(), entry.get("unit", "").strip(),
                            Decimal(str(entry["amount"])) * factor, entry.get("source", ""))
    for key, factor in (("单位标准（元）", 1), ("单位标准（万元）", 10000)):
        if key in entry:
            return CostStandard(entry["支出标准名称"].strip(), entry.get("计量单位", "").strip(),
                                Decimal(str(entry[key])) * factor, entry.get("来源", ""))
    return None


def standards_of(rules: Rules) -> dict[str, CostStandard]:
    """The rulebook's standards (``cost_standards``, plus any a ``--standards`` table added)."""
    found = (standard_entry(e) for e in rules.cost_standards)
    return {s.item: s for s in found if s is not None}


def _is_standard_row(ind, known: Iterable[str] = ()) -> bool:
    kind = getattr(ind, "basis_kind", None)   # template v3's 设定依据 column (issue 24)
    if isinstance(kind, str) and kind.strip() == STANDARD_BASIS:
        return True
    text = ind.basis or ""
    return (STANDARD_BASIS in text or _REF.search(text) is not None
            or any(item in text for item in known))


_DIGITS = str.maketrans("０１２３４５６７８９，．", "0123456789,.")
_QTY_AFTER = re.compile(r"^\s*[）)]?\s*[×xX*＊]?\s*(?P<qty>[0-9][0-9,]*(?:\.[0-9]+)?)")


def _quantity(text: str) -> Decimal | None:
    try:
        return Decimal(text.translate(_DIGITS).replace(",", ""))
    except InvalidOperation:
        return None


def standard_ref(ind, known: Iterable[str] = ()) -> StandardRef | None:
    """The standard and quantity a 成本指标 row names in its 指标值确定依据 (else its 绩效指标描述):
    ``标准：<名称>×<数量>``; failing that, the longest known standard name found in the text
    followed by its quantity (``培训费（二类）×500人天`` or ``培训费（二类）500人天``)."""
    for text in (ind.basis or "", getattr(ind, "description", "") or ""):
        m = _REF.search(text)
        if m and _quantity(m["qty"]) is not None:
            return StandardRef(m["item"].strip(), _quantity(m["qty"]))
        for item in sorted(known, key=len, reverse=True):
            at = text.find(item)
            if at < 0:
                continue
            q = _QTY_AFTER.match(text[at + len(item):].translate(_DIGITS))
            # no quantity: only a per-unit target ("≤600元/人天") can be checked
            return StandardRef(item, _quantity(q["qty"]) if q else None)
    return None


def quantity_rows(project: Project) -> list[int]:
    """Indexes of the 数量指标 rows with a name: the unit cost's possible bases."""
    return [i for i, ind in enumerate(project.indicators)
            if normalize_level2(ind.level2) == QUANTITY_LEVEL2 and ind.name.strip()]


def unit_cost(project: Project) -> UnitCost | None:
    """全年执行数 ÷ the chosen 数量指标's 实际完成值 (in its target's unit); None when there is
    no basis, no 全年执行数, or no usable non-zero actual (the sheet's cell stays blank too)."""
    basis = (project.unit_cost_basis or "").strip()
    spent = project.execution.year_spent
    if not basis or spent is None:
        return None
    for i in quantity_rows(project):
        ind = project.indicators[i]
        if ind.name.strip() != basis:
            continue
        try:
            target = parse_target(ind.target, year=project.year or None)
            actual = parse_actual(ind.actual, target)
        except (TargetError, ActualError, ValueError):
            return None
        if not isinstance(actual, Decimal) or actual == 0:
            return None
        return UnitCost(spent / actual, f"万元/{target.unit}" if target.unit else "万元", basis)
    return None


def _yuan(value: Decimal) -> str:
    return format_number(value.quantize(Decimal("0.01")))


def check_cost_standards(project: Project, rules: Rules) -> list[Issue]:
    """A 成本指标 set against a 预算支出标准 whose target exceeds 单位标准 × 数量 (a warning), or
    that names a standard the table does not have."""
    standards = standards_of(rules)
    out = []
    for i, ind in enumerate(project.indicators):
        if not rules.is_cost(ind.level1, ind.level2) or not _is_standard_row(ind, standards):
            continue
        ref = standard_ref(ind, standards)
        if ref is None:
            continue
        standard = standards.get(ref.item)
        if standard is None:
            if standards:
                out.append(rules.issue("indicator.standard_unknown", f"indicators[{i}].basis",
                                       name=ind.name, item=ref.item))
            continue
        try:
            target = parse_target(ind.target, year=project.year or None)
        except TargetError:
            continue   # reported by the target checks
        money, _, per = target.unit.partition("/")
        if target.kind not in ("quantitative", "range") or money not in MONEY_FACTORS:
            continue
        ceiling = target.value2 if target.kind == "range" else target.value
        amount = ceiling * MONEY_FACTORS[money]                  # 元 (per unit for "元/人天")
        # a per-unit target ("≤600元/人天") is held against the standard itself
        quantity = Decimal(1) if per else ref.quantity
        if quantity is None:
            continue
        limit = standard.amount * quantity                       # 元
        if amount > limit:
            out.append(rules.issue(
                "indicator.cost_over_standard", f"indicators[{i}].target", name=ind.name,
                amount=f"{format_number(ceiling)}{target.unit}", item=ref.item,
                standard=_yuan(standard.amount), unit=standard.unit,
                quantity=format_number(quantity),
                limit=f"{_yuan(limit)}元（{format_number((limit / MONEY_FACTORS['万元']).normalize())}万元）"))
    return out


def check_unit_cost_basis(project: Project, rules: Rules) -> list[Issue]:
    """The chosen basis must be one of the form's 数量指标 (a renamed row leaves it dangling)."""
    basis = (project.unit_cost_basis or "").strip()
    names = [project.indicators[i].name.strip() for i in quantity_rows(project)]
    if not basis or basis in names:
        return []
    return [rules.issue("unit_cost.basis_unknown", "unit_cost_basis", basis=basis,
                        allowed="、".join(names) or "无（本表没有数量指标）")]
