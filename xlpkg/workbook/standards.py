"""The 预算支出标准 table (支出标准.xlsx): written blank with example rows by
``xlpkg standards template -o``, read by ``--standards`` into the rulebook's ``cost_standards``.

One sheet, headers on row 1: 支出标准名称, 计量单位, 单位标准（元）, 来源 (单位标准（万元） is
accepted too and converted). Rows whose name starts with 示例 are the template's examples of the
table's shape, not official figures, and are never read as standards.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path


from ..cost import standard_entry
from ..rules import Rules, RulesError, rules_from_dict
from ..sources import OpenpyxlSource, SourceError, file_problem
from ..system.os_errors import os_error_text

__all__ = ["STANDARDS_SHEET", "STANDARDS_HEADERS", "EXAMPLE_MARK", "read_standards", "with_standards"]

STANDARDS_SHEET = "支出标准"
STANDARDS_HEADERS = ("支出标准名称", "计量单位", "单位标准（元）", "来源")
WAN_HEADER = "单位标准（万元）"
EXAMPLE_MARK = "示例"


class StandardsError(RulesError):
    """A standards table that cannot be used; the message names file, sheet and cell."""


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def read_standards(path: str | Path) -> list[dict]:
    """The standards of a 支出标准.xlsx as ``cost_standards`` entries (amounts in 元)."""
    path = Path(path)
    problem = file_problem(path)
    if problem:
        raise StandardsError(f"支出标准表 {path}：{problem}")
    try:
        source = OpenpyxlSource(path)
        sheets = source.sheet_names()
        sheet = STANDARDS_SHEET if STANDARDS_SHEET in sheets else sheets[0]
        rows = source.range_values(sheet, "A1:H5000")
    except SourceError as exc:
        raise StandardsError(f"支出标准表 {path}：{exc.message}") from None
    except OSError as exc:
        raise StandardsError(f"无法读取支出标准表 {path}：{os_error_text(exc)}") from None
    where = f"支出标准表 {path.name} 工作表“{sheet}”"
    head = [_text(v) for v in (rows[0] if rows else [])]
    amount_header = STANDARDS_HEADERS[2] if STANDARDS_HEADERS[2] in head else WAN_HEADER
    wanted = (STANDARDS_HEADERS[0], STANDARDS_HEADERS[1], amount_header)
    missing = [h for h in wanted if h not in head]
    if missing:
        raise StandardsError(f"{where}第1行缺少表头：{'、'.join(missing)}（应为：{'、'.join(STANDARDS_HEADERS)}）")
    col = {h: head.index(h) for h in head if h}
    factor = Decimal(10000) if amount_header == WAN_HEADER else Decimal(1)
    out, seen = [], {}
    for r, row in enumerate(rows[1:], start=2):
        cells = list(row) + [None] * (len(head) - len(row))
        item = _text(cells[col[STANDARDS_HEADERS[0]]])
        if not item or item.startswith(EXAMPLE_MARK):
            if not item and any(_text(v) for v in cells):
                raise StandardsError(f"{where}第{r}行：支出标准名称未填写")
            continue
        letter = chr(ord("A") + col[amount_header])
        raw = cells[col[amount_header]]
        try:
            amount = Decimal(str(raw).replace(",", "").strip()) * factor if raw is not None else None
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount <= 0:
            raise StandardsError(f"{where}单元格{letter}{r}：“{item}”的{amount_header}“{_text(raw)}”应为大于0的数字")
        if item in seen:
            raise StandardsError(f"{where}第{r}行：支出标准“{item}”与第{seen[item]}行重复")
        seen[item] = r
        source_col = col.get(STANDARDS_HEADERS[3])
        out.append({"item": item, "unit": _text(cells[col[STANDARDS_HEADERS[1]]]),
                    "amount": float(amount) if amount != amount.to_integral_value() else int(amount),
                    "source": _text(cells[source_col]) if source_col is not None else ""})
    return out


def with_standards(rules: Rules, entries: list[dict]) -> Rules:
    """The rulebook with a table's standards added (a table's row replaces the rulebook's
    entry of the same name)."""
    if not entries:
        return rules
    names = {e["item"] for e in entries}
    kept = [e for e in rules.cost_standards
            if (standard_entry(e) is None or standard_entry(e).item not in names)]
    return rules_from_dict({**rules.data, "cost_standards": kept + entries}, rules.source)
