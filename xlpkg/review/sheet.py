"""Reading a review workbook back: the reviewer's tiers, opinions and 评定得分, found by their
headers, with every cell outside the reviewer's checked against the snapshot taken when the
workbook was built. Every problem is a Chinese message naming sheet and cell."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from openpyxl import load_workbook

from ..consolidate import normalize_code
from . import layout as R
from .book import cell_digest
from .findings import TIERS

__all__ = ["ReviewBook", "ReviewRow", "ReviewBookError", "read_review_book"]


class ReviewBookError(ValueError):
    """A review workbook that cannot be applied; ``problems`` are Chinese, one per cell."""

    def __init__(self, problems: list[str]):
        super().__init__("；".join(problems))
        self.problems = problems


@dataclass
class ReviewRow:
    file: str
    dept_code: str
    code: str
    year: int
    sha256: str
    row: int                                 # the row on 审核
    first: int = 0                           # its first row on 指标审核
    grade: str = ""
    opinion: str = ""
    indicators: dict[int, tuple[str, Decimal | None]] = field(default_factory=dict)   # index → (审核意见, 评定得分)

    @property
    def key(self) -> tuple[str, int]:
        return normalize_code(self.code), self.year

    @property
    def reviewed(self) -> bool:
        return bool(self.grade or self.opinion or any(o or v is not None for o, v in self.indicators.values()))


@dataclass
class ReviewBook:
    path: str
    stage: str
    year: int | None
    rows: list[ReviewRow]
    code_col: str      # the 项目编码 column of 审核, to name cells in messages
    year_col: str


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _headers(ws, sheet: str, columns, problems: list[str]) -> dict[str, str]:
    found = {}
    for cell in ws[R.HEADER_ROW]:
        if cell.value is not None:
            found.setdefault(_text(cell.value), cell.column_letter)
    out = {}
    for head, _, key in columns:
        if head not in found:
            problems.append(f"审核表“{sheet}”工作表第{R.HEADER_ROW}行缺少表头“{head}”（表头被修改过）")
        else:
            out[key] = found[head]
    return out


def read_review_book(path: str | Path) -> ReviewBook:
    """The review workbook at ``path``; ReviewBookError with every problem found."""
    path = Path(path)
    try:
        wb = load_workbook(path)
    except Exception as exc:   # not a workbook at all, a zip that is no xlsx, …
        raise ReviewBookError([f"{path}：无法打开审核表（{type(exc).__name__}: {str(exc)[:200]}）"]) from None
    problems: list[str] = []
    if R.INFO not in wb.sheetnames or wb[R.INFO]["B1"].value != R.BOOK_ID:
        raise ReviewBookError([f"{path}：不是“xlpkg review”生成的审核表（缺少隐藏的审核信息工作表）"])
    for sheet in (R.REVIEW, R.INDICATORS):
        if sheet not in wb.sheetnames:
            raise ReviewBookError([f"{path}：审核表缺少“{sheet}”工作表"])
    info = wb[R.INFO]
    meta = {_text(info.cell(r, 1).value): info.cell(r, 2).value for r in range(1, len(R.INFO_KEYS) + 1)}
    stage = _text(meta.get("阶段"))
    if stage not in R.STAGE_ARG:
        raise ReviewBookError([f"{path}：审核表的审核阶段“{stage}”无法识别"])
    year = meta.get("年度")
    ps, ins = wb[R.REVIEW], wb[R.INDICATORS]
    P = _headers(ps, R.REVIEW, R.project_columns(stage), problems)
    I = _headers(ins, R.INDICATORS, R.indicator_columns(stage), problems)
    if problems:
        raise ReviewBookError(problems)
    rows: list[ReviewRow] = []
    expected: dict[str, str] = {}
    covered = {R.REVIEW: set(), R.INDICATORS: set()}
    r = R.FORMS_HEAD_ROW + 1
    while info.cell(r, 1).value is not None:
        file, dept, code, fyear, sha, prow, first, count, snap = (info.cell(r, c).value for c in range(1, 10))
        rows.append(ReviewRow(_text(file), _text(dept), _text(code), int(fyear), _text(sha), int(prow),
                              first=int(first), indicators={i: ("", None) for i in range(int(count))}))
        expected.update(json.loads(snap))
        covered[R.REVIEW].add(int(prow))
        covered[R.INDICATORS].update(range(int(first), int(first) + int(count)))
        r += 1
    _duplicates(ps, P, problems)
    _untouched(wb, expected, covered, (P, I), problems)
    for row in rows:
        _inputs(ps, ins, P, I, row, stage, problems)
    if problems:
        raise ReviewBookError(problems)
    return ReviewBook(str(path), stage, int(year) if year is not None else None, rows, P["code"], P["year"])


def _duplicates(ps, P, problems: list[str]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for r in range(R.FIRST_ROW, ps.max_row + 1):
        code = _text(ps[f"{P['code']}{r}"].value)
        if not code:
            continue
        key = (normalize_code(code), _text(ps[f"{P['year']}{r}"].value))
        if key in seen:
            problems.append(f"“{R.REVIEW}”工作表 {P['code']}{r}：项目“{code}”（{key[1]}年）与第{seen[key]}行重复，"
                            "同一项目只能有一行")
        else:
            seen[key] = r


def _untouched(wb, expected: dict[str, str], covered, cols, problems: list[str]) -> None:
    """Every cell outside the reviewer's holds what the builder wrote; nothing added below."""
    bad = 0
    for where, digest in expected.items():
        sheet, cell = where.split("!")
        if cell_digest(wb[sheet][cell].value) != digest:
            bad += 1
            if bad <= 20:
                problems.append(f"“{sheet}”工作表 {cell}：该单元格在审核表生成后被修改（只能填写审核结果、"
                                "审核意见和评定得分），请用原审核表重新填写")
    for sheet, (letters, inputs) in zip((R.REVIEW, R.INDICATORS),
                                        ((cols[0], R.PROJECT_INPUTS), (cols[1], R.INDICATOR_INPUTS))):
        ws = wb[sheet]
        width = len(letters)
        for row in ws.iter_rows(min_row=R.FIRST_ROW):
            for cell in row:
                if cell.value is not None and (cell.row not in covered[sheet] or cell.column > width):
                    problems.append(f"“{sheet}”工作表 {cell.coordinate}：审核表生成后在表格之外添加了内容"
                                    f"（“{_text(cell.value)[:20]}”），请删除或用原审核表重新填写")
                    return


def _inputs(ps, ins, P, I, row: ReviewRow, stage: str, problems: list[str]) -> None:
    grade_cell = f"{P['grade']}{row.row}"
    grade = _text(ps[grade_cell].value)
    if grade and grade not in TIERS:
        problems.append(f"“{R.REVIEW}”工作表 {grade_cell}：审核结果“{grade}”应为优、良、中、差之一")
    row.grade = grade if grade in TIERS else ""
    row.opinion = _text(ps[f"{P['opinion']}{row.row}"].value)
    for index in list(row.indicators):
        r = row.first + index
        opinion = _text(ins[f"{I['opinion']}{r}"].value)
        verified = None
        if stage == "evaluation":
            cell = f"{I['verified']}{r}"
            verified = _score(ins[cell].value, ins[f"{I['weight']}{r}"].value, cell, problems)
        row.indicators[index] = (opinion, verified)


def _score(value, weight, cell: str, problems: list[str]) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    where = f"“{R.INDICATORS}”工作表 {cell}"
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        number = Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(str(value).strip())
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        problems.append(f"{where}：评定得分“{_text(value)[:20]}”不是数字")
        return None
    if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not math.isfinite(weight):
        problems.append(f"{where}：该指标不计分（{_text(weight) or '无分值'}），不能填写评定得分")
        return None
    limit = Decimal(format(weight, ".15g"))
    if number < 0 or number > limit:
        problems.append(f"{where}：评定得分{number}应在0至分值{limit}之间")
        return None
    return number
