"""The empty 预算支出标准 table (``xlpkg standards template``), with example rows marked as such.
Kept apart from reading the table (``standards``): writing needs openpyxl's styles, which the
commands that only read a table with ``--standards`` should not load."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from ..system.safeio import atomic_write
from .standards import STANDARDS_HEADERS, STANDARDS_SHEET
from .style import INPUT_FILL, LABEL_FILL, style_cell

__all__ = ["write_standards_template"]

_EXAMPLES = (
    ("示例：培训费（二类，综合定额）", "人天", 550, "示例数据，非正式标准：请按本地文件填写后删除本行"),
    ("示例：会议费（三类，综合定额）", "人天", 450, "示例数据，非正式标准：请按本地文件填写后删除本行"),
    ("示例：公务用车购置（普通公务用车）", "辆", 180000, "示例数据，非正式标准：请按本地文件填写后删除本行"),
)


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
