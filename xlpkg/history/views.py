"""What `xlpkg history show/list/export` print or write, from the store's rows."""
from __future__ import annotations

from typing import TYPE_CHECKING

import os
from decimal import Decimal
from pathlib import Path

from ..consolidate import normalize_code
from ..system.safeio import atomic_path

if TYPE_CHECKING:
    from .database import HistoryStore

__all__ = ["history_of", "format_history", "format_listing", "export_xlsx", "EXPORT_COLUMNS"]


def _s(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def history_of(store: HistoryStore, code: str) -> dict | None:
    """The --json document: years ascending, money and scores as the decimal strings
    ``xlpkg score --json`` printed for each year's form."""
    rows = store.project_years(normalize_code(code))
    if not rows:
        return None
    return {
        "code": rows[-1][0]["code"], "name": rows[-1][0]["name"],
        "years": [{
            "year": p["year"], "budget": _s(p["budget"]), "year_spent": _s(p["year_spent"]),
            "execution_rate_percent": _s(p["execution_rate_percent"]),
            "total_score": _s(p["total_score"]), "grade": p["grade"],
            "indicators": [{"level1": i["level1"], "level2": i["level2"], "name": i["name"],
                            "target": i["target"], "actual": i["actual"], "score": _s(i["score"])}
                           for i in inds],
        } for p, inds in rows],
    }


def _cell(value) -> str:
    return "—" if value in (None, "") else str(value)


def format_history(doc: dict) -> str:
    """年度 side by side: the figures, then each indicator's 指标值 / 实际完成值 / 得分 per year."""
    years = doc["years"]
    lines = [f"{doc['code']}  {doc['name']}（{len(years)}个年度）",
             "  年度    预算数(万元)   全年执行数(万元)   执行率%    总分   等级"]
    for y in years:
        lines.append(f"  {y['year']}  {_cell(y['budget']):>12}  {_cell(y['year_spent']):>14}  "
                     f"{_cell(y['execution_rate_percent']):>8}  {_cell(y['total_score']):>6}   "
                     f"{_cell(y['grade'])}")
    keys: list[tuple[str, str, str]] = []
    for y in years:
        for i in y["indicators"]:
            key = (i["level1"], i["level2"], i["name"])
            if key not in keys:
                keys.append(key)
    if keys:
        lines.append("  指标（指标值 / 实际完成值 / 得分）")
    for key in keys:
        lines.append(f"  {key[0]} › {key[1]} › {key[2]}")
        for y in years:
            found = next((i for i in y["indicators"]
                          if (i["level1"], i["level2"], i["name"]) == key), None)
            if found is None:
                lines.append(f"    {y['year']}：（该年无此指标）")
            else:
                lines.append(f"    {y['year']}：{_cell(found['target'])} / {_cell(found['actual'])}"
                             f" / {_cell(found['score'])}")
    return "\n".join(lines)


def format_listing(rows: list[dict]) -> str:
    out = []
    for r in rows:
        out.append(f"{r['code']}\t{r['year']}\t{r['dept_code']}\t{r['name']}\t"
                   f"预算 {_cell(_s(r['budget']))}\t执行 {_cell(_s(r['year_spent']))}\t"
                   f"总分 {_cell(_s(r['total_score']) if r['started'] else None)}\t"
                   f"{_cell(r['grade'] if r['started'] else '未评价')}\t{r['source_name']}")
    return "\n".join(out)


EXPORT_COLUMNS = ("部门编码", "部门名称", "项目编码", "项目名称", "年度", "全年预算数（万元）",
                  "全年执行数（万元）", "执行率（%）", "自评得分", "自评等级", "是否已自评",
                  "来源文件", "SHA-256", "记录时间（UTC）")
_FIELDS = ("dept_code", "dept_name", "code", "name", "year", "budget", "year_spent",
           "execution_rate_percent", "total_score", "grade", "started", "source_name", "sha256",
           "added_at")
_WIDTHS = (10, 24, 17, 30, 7, 13, 13, 10, 9, 8, 8, 28, 20, 20)


def export_xlsx(store: HistoryStore, out: str | os.PathLike) -> int:
    """Every project-year, one row each, numbers as numbers (for a bureau's pivot tables).
    Written to a temporary file and renamed: a failure leaves no half file."""
    import xlsxwriter

    out = Path(out)
    count = 0
    with atomic_path(out) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False})
        base = {"font_name": "等线", "font_size": 10}
        header = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "text_wrap": True})
        money = wb.add_format({**base, "num_format": "#,##0.00"})
        number = wb.add_format({**base, "num_format": "0.00"})
        plain = wb.add_format(base)
        ws = wb.add_worksheet("绩效历史")
        for n, width in enumerate(_WIDTHS):
            ws.set_column(n, n, width)
        ws.write_row(0, 0, EXPORT_COLUMNS, header)
        for row in store.iter_projects():
            count += 1
            for col, name in enumerate(_FIELDS):
                value = row[name]
                if name == "started":
                    ws.write_string(count, col, "是" if value else "否", plain)
                elif name in ("total_score", "grade") and not row["started"]:
                    ws.write_blank(count, col, None, plain)
                elif isinstance(value, Decimal):
                    ws.write_number(count, col, float(value),
                                    money if name in ("budget", "year_spent") else number)
                elif isinstance(value, int):
                    ws.write_number(count, col, value, plain)
                elif value is None:
                    ws.write_blank(count, col, None, plain)
                else:
                    ws.write_string(count, col, str(value), plain)
        ws.freeze_panes(1, 4)
        ws.autofilter(0, 0, max(count, 1), len(EXPORT_COLUMNS) - 1)
        wb.close()
    return count
