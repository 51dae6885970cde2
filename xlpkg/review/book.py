"""The review workbook (审核表): sheet 审核 (one row per project), sheet 指标审核 (one row per
indicator) and a very hidden sheet with every form's file, SHA-256 and a snapshot of the locked
cells, so the apply step can tell a form changed since, and a cell edited outside the reviewer's."""
from __future__ import annotations

import math

import datetime as _dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.workbook.protection import WorkbookProtection

from ..metrics import ONE, ZERO, round2
from ..rules import Rules
from ..system.safeio import atomic_write
from . import layout as R
from .collect import Form
from .findings import TIERS

__all__ = ["build_review_book", "cell_digest", "write_review_book"]

FONT = "宋体"
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")
GREY_FILL = PatternFill("solid", fgColor="D9D9D9")
WRAP = Alignment(wrap_text=True, vertical="top")


def cell_digest(value) -> str:
    """A short, stable digest of what a locked cell holds, as openpyxl reads it back from a file
    written by openpyxl, Excel or LibreOffice: formulas compared without $, quotes, spaces, case;
    numbers to 9 significant digits (a spreadsheet saves 15-17)."""
    if value is None or value == "":
        text = ""
    elif isinstance(value, bool):
        text = f"b:{value}"
    elif isinstance(value, (int, float, Decimal)):
        text = f"n:{float(value):.9g}"
    elif isinstance(value, (_dt.datetime, _dt.date)):
        text = f"d:{value.isoformat()[:10]}"
    else:
        text = str(value)
        if text.startswith("="):
            text = "f:" + "".join(text.upper().replace("$", "").replace("'", "").split())
        else:
            text = "s:" + text.replace("\r\n", "\n").strip()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _num(value: Decimal | None):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _style(cell, *, bold=False, fill=None, fmt=None, align=WRAP, unlocked=False):
    cell.font = Font(name=FONT, size=11, bold=bold)   # prints at ≥ 7 pt once fitted to the width
    cell.alignment = align
    if fill:
        cell.fill = fill
    if fmt:
        cell.number_format = fmt
    if unlocked:
        cell.protection = Protection(locked=False)


def _sheet(wb, title: str, columns, stage: str):
    ws = wb.create_sheet(title)
    for i, (head, width, _) in enumerate(columns, start=1):
        c = ws.cell(R.HEADER_ROW, i, head)
        _style(c, bold=True, fill=HEAD_FILL, align=Alignment(horizontal="center", vertical="center", wrap_text=True))
        ws.column_dimensions[c.column_letter].width = width
    ws.freeze_panes = f"A{R.FIRST_ROW}"
    ws.print_title_rows = f"{R.HEADER_ROW}:{R.HEADER_ROW}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddHeader.center.text = f"{R.STAGE_LABEL[stage]}审核表 — {title}"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.protection.sheet = True
    ws.protection.autoFilter = False   # the reviewer may filter and sort by eye
    return ws


LINE_PT = 15.0   # one line of 11 pt text


def _lines(text: str, width: float) -> int:
    """Printed lines of ``text`` wrapped in a column ``width`` units wide (CJK counts double)."""
    return sum(max(1, math.ceil(sum(2 if ord(ch) > 0x2E80 else 1 for ch in part) * 1.1
                                / max(width - 1, 1)))
               for part in text.split("\n"))


def _grow_rows(ws, printed_cols: int) -> None:
    """Rows as tall as their longest wrapped text (openpyxl sets no height by itself, and a
    wrapped cell in a default-height row prints over the next row)."""
    widths = [ws.column_dimensions[ws.cell(1, c).column_letter].width or 8.43
              for c in range(1, printed_cols + 1)]
    for row in range(R.FIRST_ROW, ws.max_row + 1):
        lines = max((_lines(value, width) for col, width in enumerate(widths, start=1)
                     if isinstance(value := ws.cell(row, col).value, str) and value
                     and not value.startswith("=")), default=1)
        if lines > 1:
            ws.row_dimensions[row].height = lines * LINE_PT


def _grade_formula(ref: str, rules: Rules) -> str:
    bands = sorted(rules.scoring["grades"], key=lambda b: -float(b["min"]))
    body = f'"{bands[-1]["grade"]}"'
    for band in reversed(bands[:-1]):
        body = f'IF({ref}>={float(band["min"]):g},"{band["grade"]}",{body})'
    return f'=IF({ref}="","",{body})'


def _exec_raw(form: Form, rules: Rules) -> Decimal:
    rate = form.metrics.evaluation.execution_rate if form.metrics else None
    return max(min(rate, ONE) * rules.weight("execution"), ZERO) if rate is not None else ZERO


def build_review_book(forms: list[Form], year: int | None, stage: str, rules: Rules) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    pcols, icols = R.project_columns(stage), R.indicator_columns(stage)
    P, I = R.letters(pcols), R.letters(icols)
    ps = _sheet(wb, R.REVIEW, pcols, stage)
    ins = _sheet(wb, R.INDICATORS, icols, stage)
    info = wb.create_sheet(R.INFO)
    info.sheet_state = "veryHidden"
    info.protection.sheet = True
    meta = (R.BOOK_ID, R.BOOK_VERSION, stage, year, _dt.datetime.now().isoformat(timespec="seconds"),
            f"{rules.data.get('version', '')} {rules.source}".strip())
    for row, (key, value) in enumerate(zip(R.INFO_KEYS, meta), start=1):
        info.cell(row, 1, key)
        info.cell(row, 2, value)
    for i, head in enumerate(R.FORMS_HEADERS, start=1):
        info.cell(R.FORMS_HEAD_ROW, i, head)
    grade_dv = DataValidation(type="list", formula1='"' + ",".join(TIERS) + '"', allow_blank=True,
                              showErrorMessage=True, errorStyle="stop", errorTitle="输入有误",
                              error="审核结果应为优、良、中、差之一", showInputMessage=True,
                              promptTitle="审核结果", prompt="优：直接进入下一步预算安排流程；良：协商完善后进入；"
                              "中：修改完善，按程序重新报送审核；差：不得进入下一步预算安排流程")
    ps.add_data_validation(grade_dv)
    score_dv = None
    if stage == "evaluation":
        score_dv = DataValidation(type="decimal", operator="between", formula1="0",
                                  formula2=f"${I['weight']}{R.FIRST_ROW}", allow_blank=True,
                                  showErrorMessage=True, errorStyle="stop", errorTitle="输入有误",
                                  error="评定得分应在0至该指标分值之间", showInputMessage=True,
                                  promptTitle="评定得分", prompt="财政部门评定的得分：0至分值")
        ins.add_data_validation(score_dv)
    irow = R.FIRST_ROW
    for n, form in enumerate(forms):
        prow = R.FIRST_ROW + n
        p, f = form.project, form.findings
        snap: dict[str, str] = {}
        suggested, reason = f.suggested()
        first = irow
        values = {"dept_code": p.dept_code, "dept_name": p.dept_name, "code": p.code, "name": p.name,
                  "year": p.year, "budget": _num(p.budget),
                  "findings": "\n".join(f"{k + 1}. {t}" for k, t in enumerate(_all_findings(form))) or "无",
                  "count": f.count, "suggested": suggested, "reason": reason, "file": form.path}
        scored = [s for s in form.metrics.evaluation.indicators] if form.metrics else []
        for index, ind in enumerate(p.indicators):
            s = scored[index] if index < len(scored) else None
            row = {"code": p.code, "level1": ind.level1, "level2": ind.level2, "name": ind.name,
                   "target": ind.target, "findings": "；".join(f.indicators.get(index, [])) or None,
                   "project_name": p.name, "index": index + 1}
            if stage == "evaluation":
                row.update(actual=ind.actual or None,
                           # 分值 as the form shows it (0.00): the bound a reviewer reads and types
                           weight=_num(round2(s.weight)) if s and s.applicable else "不适用",
                           score=_num(s.shown_score) if s and s.applicable and ind.actual.strip() else None)
            for key, col in I.items():
                cell = ins[f"{col}{irow}"]
                unlocked = key in R.INDICATOR_INPUTS and (key != "verified" or (s is not None and s.applicable))
                if key in row:
                    cell.value = row[key]
                    if isinstance(row[key], str):
                        cell.data_type = "s"
                fill = INPUT_FILL if unlocked else (GREY_FILL if key in R.INDICATOR_INPUTS else None)
                _style(cell, fill=fill, unlocked=unlocked, fmt="0.00" if key in ("weight", "score", "verified") else None)
                if not unlocked:
                    snap[f"{R.INDICATORS}!{col}{irow}"] = cell_digest(cell.value)
            irow += 1
        last = irow - 1
        if stage == "evaluation":
            ev = form.metrics.evaluation
            values.update(exec_score=float(_exec_raw(form, rules)) if ev.started else None,
                          scale=float(ev.scale) if ev.started else None,
                          total=_num(ev.total) if ev.started else None)
            if last >= first:
                w = f"'{R.INDICATORS}'!${I['weight']}${first}:${I['weight']}${last}"
                v = f"'{R.INDICATORS}'!${I['verified']}${first}:${I['verified']}${last}"
                e, sc = f"{P['exec_score']}{prow}", f"{P['scale']}{prow}"
                points = f'SUMIFS({v},{w},">=0")'
                body = (f"ROUND({e}+{points}*{sc},2)" if rules.missing_level == "redistribute"
                        else f"ROUND(({e}+{points})*{sc},2)")
                values["verified_total"] = (f'=IF(OR(NOT(ISNUMBER({sc})),COUNT({w})=0,'
                                            f'COUNTIFS({w},">=0",{v},">=0")<COUNT({w})),"",{body})')
            values["verified_grade"] = _grade_formula(f"{P['verified_total']}{prow}", rules)
        for key, col in P.items():
            cell = ps[f"{col}{prow}"]
            unlocked = key in R.PROJECT_INPUTS
            if key in values:
                cell.value = values[key]
                if isinstance(values[key], str) and not values[key].startswith("="):
                    cell.data_type = "s"
            fmt = {"budget": "#,##0.00", "exec_score": "0.00", "scale": "0.0000", "total": "0.00",
                   "verified_total": "0.00"}.get(key)
            _style(cell, fill=INPUT_FILL if unlocked else None, unlocked=unlocked, fmt=fmt)
            if not unlocked:
                snap[f"{R.REVIEW}!{col}{prow}"] = cell_digest(cell.value)
        info_row = R.FORMS_HEAD_ROW + 1 + n
        record = (form.path, p.dept_code, p.code, p.year, form.sha256, prow, first, last - first + 1,
                  json.dumps(snap, ensure_ascii=False, separators=(",", ":")))
        for i, value in enumerate(record, start=1):
            c = info.cell(info_row, i, value)
            if isinstance(value, str):
                c.data_type = "s"
    if forms:
        grade_dv.add(f"{P['grade']}{R.FIRST_ROW}:{P['grade']}{R.FIRST_ROW + len(forms) - 1}")
    if score_dv is not None and irow > R.FIRST_ROW:
        # relative to the first row, so each row's bound is its own 分值 (locked rows stay locked)
        score_dv.add(f"{I['verified']}{R.FIRST_ROW}:{I['verified']}{irow - 1}")
    for ws, tail, n_cols in ((ps, R.PRINTED_TAIL[R.REVIEW][stage], len(pcols)),
                             (ins, R.PRINTED_TAIL[R.INDICATORS][stage], len(icols))):
        _grow_rows(ws, n_cols - tail)
        last_col = ws.cell(1, n_cols - tail).column_letter
        ws.print_area = f"A1:{last_col}{max(ws.max_row, 2)}"
        ws.auto_filter.ref = f"A1:{ws.cell(1, n_cols).column_letter}{max(ws.max_row, 2)}"
    wb.security = WorkbookProtection(lockStructure=True)
    return wb


def _all_findings(form: Form) -> list[str]:
    f = form.findings
    out = list(f.project)
    names = {i: ind.name for i, ind in enumerate(form.project.indicators)}
    for index, texts in sorted(f.indicators.items()):
        out.extend(f"“{names[index]}”{t}" if not t.startswith(("错误：", "三级指标")) else t for t in texts)
    return out


def write_review_book(forms: list[Form], year: int | None, stage: str, rules: Rules,
                      path: str | Path) -> Path:
    wb = build_review_book(forms, year, stage, rules)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, wb.save)
