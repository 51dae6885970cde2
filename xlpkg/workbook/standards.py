"""The 预算支出标准 table (支出标准.xlsx): written blank with example rows by
``xlpkg standards template -o``, read by ``--standards`` into the rulebook's ``cost_standards``.

One sheet, headers on row 1: 支出标准名称, 计量单位, 单位标准（元）, 来源 (单位标准（万元） is
accepted too and converted). Rows whose name starts with 示例 are the template's examples of the
table's shape, not official figures, and are never read as standards.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

from openpyxl import Workbook

from ..cost import standard_entry
from ..rules import Rules, RulesError, rules_from_dict
from ..sources import OpenpyxlSource, SourceError, file_problem
from ..system.os_errors import os_error_text
from ..system.safeio import atomic_write
from .style import LABEL_FILL, INPUT_FILL, style_cell

__all__ = ["STANDARDS_SHEET", "STANDARDS_HEADERS", "EXAMPLE_MARK", "read_standards",
           "write_standards_template", "with_standards"]

STANDARDS_SHEET = "支出标准"
STANDARDS_HEADERS = ("支出标准名称", "计量单位", "单位标准（元）", "来源")
WAN_HEADER = "单位标准（万元）"
EXAMPLE_MARK = "示例"
_EXAMPLES = (
    ("示例：培训费（二类，综合定额）", "人天", 550, "示例数据，非正式标准：请按本地文件填写后删除本行"),
    ("示例：会议费（三类，综合定额）", "人天", 450, "示例数据，非正式标准：请按本地文件填写后删除本行"),
    ("示例：公务用车购置（普通公务用车）", "辆", 180000, "示例数据，非正式标准：请按本地文件填写后删除本行"),
)


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


def write_standards_template(path: str | Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = STANDARDS_SHEET
    for c, header in enumerate(STANDARDS_HEADERS, start=1):
        style_cell(ws.cell(1, c, header), fill=LABEL_FILL, bold=True)
    for r, row in enumerate(_EXAMPLES, start=2):
        for c, value in enumerate(row, start=1):
            style_cell(ws.cell(r, c, value), fill=INPUT_FILL, fmt="#,##0.00" if c == 3 else None)
    for col, width in zip("ABCD", (36, 10, 16, 56)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:D{len(_EXAMPLES) + 1}"
    note = wb.create_sheet("填写说明")
    lines = (
        "预算支出标准表（财预〔2021〕101号：不得超出规定的预算支出标准设置目标值）",
        "每行一项支出标准：支出标准名称、计量单位、单位标准（元/计量单位）、来源（文件名称和文号）。",
        "“示例”开头的行只是表格格式的示例，不是正式标准，程序不读取；请删除后按本地文件填写。",
        "成本指标按预算支出标准设定时，在申报表“指标值确定依据”中写明：标准：<支出标准名称>×<数量>，"
        "如“标准：培训费（二类，综合定额）×300人天”；指标值超过 单位标准×数量 时给出警告。",
        "使用：xlpkg check/read/validate/score/consolidate … --standards 支出标准.xlsx",
    )
    for r, text in enumerate(lines, start=1):
        note.cell(r, 1, text)
    note.column_dimensions["A"].width = 120
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, wb.save)
