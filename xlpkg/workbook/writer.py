"""Writing a project into the template: the model's values into the input cells.

The blank workbook, its formulas and protection come from ``xlpkg.workbook.template``; positions from
``xlpkg.workbook.layout``. What is written reads back unchanged (``xlpkg.workbook.reader``): an 实际完成值 is
stored as a number only when the reader turns that number back into the same text.
"""
from __future__ import annotations

import datetime as _dt
import math
from decimal import Decimal
from pathlib import Path

from . import layout as L
from ..model import REVIEW_STAGES, Project, project_to_dict
from .output_guard import content_fingerprint, stamp
from .reader import actual_text
from ..rules import Rules, load_rules
from ..targets import official_cells, parse_actual, try_parse_target
from .print_fit import fit_to_content
from .template import build_workbook, save_workbook

__all__ = ["CapacityError", "actual_cell", "fill_book", "fill_workbook"]


class CapacityError(ValueError):
    """The project has more rows than the template holds; the message is Chinese."""


def _number(value: Decimal):
    return int(value) if value == value.to_integral_value() else float(value)


def _decimals(value: Decimal) -> int:
    text = format(value, "f")
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def actual_cell(actual: str, target) -> tuple[object, str | None]:
    """The value and number format that store an 实际完成值: a number (or date) when it reads
    back as exactly the same text, otherwise the text itself."""
    text = actual.strip() if actual else ""
    if not text or target is None or target.kind == "qualitative":
        return (actual or None), None
    try:
        value = parse_actual(text, target)
    except Exception:
        return actual, None
    if isinstance(value, _dt.date):
        cell, fmt = _dt.datetime(value.year, value.month, value.day), "yyyy-mm-dd"
    elif isinstance(value, Decimal):
        places = _decimals(value)
        digits = "0" + ("." + "0" * places if places else "")
        if target.unit == "%":
            cell, fmt = _number(value / 100), digits + "%"
        else:
            cell = _number(value)
            fmt = digits + (f'"{target.unit}"' if target.unit and '"' not in target.unit else "")
    else:
        return actual, None
    return (cell, fmt) if actual_text(cell, target) == actual else (actual, None)


def _row_height(text: str, width_chars: float, *, line=14.0, minimum=18.0) -> float:
    """Excel does not grow merged or wrapped rows by itself; estimate from CJK width."""
    lines = 0
    for part in str(text).split("\n"):
        wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in part)
        lines += max(1, math.ceil(wide / max(width_chars, 1)))
    return max(minimum, lines * line + 4)


def fill_workbook(project: Project, path: str | Path, *, rules: Rules | None = None,
                  password: str | None = None, library=None, review_fingerprint: str = "") -> Path:
    """The template with ``project`` written into its input cells (``library``: the 指标库
    entries to embed, see ``xlpkg.workbook.library_sheet``). ``review_fingerprint``: the
    SHA-256 of the form the bureau reviewed (``xlpkg review --apply``); a review that arrives
    any other way (a JSON document) cannot prove what it reviewed and is written without it."""
    return save_workbook(fill_book(project, rules=rules, password=password, library=library,
                                   review_fingerprint=review_fingerprint), path)


def fill_book(project: Project, *, rules: Rules | None = None, password: str | None = None,
              library=None, review_fingerprint: str = ""):
    """``fill_workbook`` without saving: the openpyxl workbook, for a caller that adds to it."""
    rules = rules or load_rules()
    if len(project.indicators) > L.INDICATOR_ROWS:
        raise CapacityError(f"指标有{len(project.indicators)}个，模板最多容纳{L.INDICATOR_ROWS}个")
    if len(project.uses) > L.FUND_USE_ROWS:
        raise CapacityError(f"资金用途有{len(project.uses)}项，模板最多容纳{L.FUND_USE_ROWS}项")
    wb = build_workbook(rules, password, library=library)

    def put(name: str, value, offset: int = 0, col_offset: int = 0, fmt: str | None = None):
        sheet, col, row = L.first_cell(name)
        cell = wb[sheet][f"{L.shift_col(col, col_offset)}{row + offset}"]
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"   # typed text is data: "=HYPERLINK(…)" must never become a formula
        if fmt:
            cell.number_format = fmt
        return cell

    for field, name in L.SCALAR_FIELDS.items():
        value = getattr(project, field)
        put(name, _number(value) if isinstance(value, Decimal) else (value if value != "" else None))
    decl = wb[L.DECL]
    uses_width = sum(L.DECL_WIDTHS[1:L.DECL_FORM_COLS])
    decl.row_dimensions[L.USES_TEXT_ROW].height = max(60, _row_height(project.uses_text, uses_width))
    decl.row_dimensions[L.GOAL_ROW].height = max(30, _row_height(project.goal, uses_width))
    for i, use in enumerate(project.uses):
        put("FundUses", use.item, i)
        put("FundUses", _number(use.amount), i, 1)
        put("FundUseNotes", use.note or None, i)
        note_width = sum(L.DECL_WIDTHS[5:L.DECL_FORM_COLS])
        decl.row_dimensions[L.USES_FIRST + i].height = max(
            _row_height(use.note, note_width), _row_height(use.item, L.DECL_WIDTHS[3]))
    for q, value in enumerate(project.plan[:4]):
        put(f"PlanQ{q + 1}", _number(value / 100))
    for q, value in enumerate(project.execution.actual_cumulative[:4]):
        put(f"ActualQ{q + 1}", None if value is None else _number(value))
    ex = project.execution
    put("YearBudget", None if ex.year_budget is None else _number(ex.year_budget))
    put("YearSpent", None if ex.year_spent is None else _number(ex.year_spent))
    put("ExecNote", ex.note or None)
    put("ExecDeviationReason", ex.deviation_reason or None)
    put("Illustrative", bool(ex.illustrative))
    _fill_v2(put, project)
    causes = list(rules.monitoring["deviation_causes"])[:L.CAUSE_COUNT]
    for i, ind in enumerate(project.indicators):
        unknown = [k for k in ind.causes if k not in causes]
        if unknown:
            raise CapacityError(f"指标“{ind.name}”的偏差原因类别“{unknown[0]}”不在规则的类别中"
                                f"（{'、'.join(causes)}）")
        _fill_indicator(put, decl, i, ind, project.year, causes)
    _fill_review(put, project, review_fingerprint)
    reviewed = project.review is not None or any(
        ind.review_opinion or ind.verified_score is not None for ind in project.indicators)
    fit_to_content(wb, len(project.indicators), len(project.uses), reviewed=reviewed)
    # what xlpkg wrote, so a later run can tell an unedited output from edited work
    stamp(wb, "project-form", content_fingerprint(project_to_dict(project)))
    return wb


def _fill_review(put, project: Project, fingerprint: str):
    """v3 (issue 25): the finance bureau's review, as the model carries it (locked cells)."""
    review = project.review
    if review is not None:
        put("ReviewStage", REVIEW_STAGES.get(review.stage, review.stage) or None)
        put("ReviewGrade", review.grade or None)
        put("ReviewOpinion", review.opinion or None)
        put("ReviewDate", *_date_cell(review.date))
        put("ReviewFingerprint", fingerprint or None)
        decl = put("ReviewOpinion", review.opinion or None).parent
        decl.row_dimensions[L.REVIEW_OPINION_ROW].height = max(45, _row_height(review.opinion, sum(L.DECL_WIDTHS[1:])))
    for i, ind in enumerate(project.indicators):
        cell = put("IndReviewOpinion", ind.review_opinion or None, i)
        if ind.review_opinion:
            dims = cell.parent.row_dimensions[cell.row]
            dims.height = max(dims.height or 18, _row_height(ind.review_opinion, L.REVIEW_IND_WIDTH, line=12))
        put("IndVerifiedScore", None if ind.verified_score is None else _number(ind.verified_score), i)


def _money(value: Decimal | None):
    return None if value is None else _number(value)


def _fill_v2(put, project: Project):
    """The v2 blocks: multi-year, monitoring snapshot, 整改, fund rows, goal and closing."""
    if project.period is not None:
        put("PeriodStart", project.period.start)
        put("PeriodEnd", project.period.end)
    put("MediumBudget", _money(project.medium_term_budget))
    for field, name in L.TEXT_FIELDS_V2.items():
        put(name, getattr(project, field) or None)
    mon = project.monitoring
    put("MonMonth", mon.month)
    put("MonSpent", _money(mon.spent))
    put("MonForecast", _money(mon.forecast_year_spent))
    rect = project.rectification
    put("RectNeeded", None if rect.needed is None else ("是" if rect.needed else "否"))
    put("RectAdvice", rect.advice or None)
    put("RectResult", rect.result or None)
    for key, row in project.execution.funds.items():
        offset = L.FUND_KEYS.index(key)
        put("FundBudget", _money(row.budget), offset)
        put("FundYearBudget", _money(row.year_budget), offset)
        put("FundYearSpent", _money(row.year_spent), offset)
    put("FillDate", *_date_cell(project.fill_date))
    put("UnitCostBasis", project.unit_cost_basis or None)   # v3 (issue 26)
    _fit_rows(put, project)


def _fit_rows(put, project: Project):
    """Grow the rows of long v2 texts so that they print whole."""
    def grow(name: str, text: str, width: float, minimum: float):
        cell = put(name, getattr(project, text) or None) if text else None
        if cell is not None:   # an empty text takes the minimum, not the blank template's room
            ws = cell.parent
            ws.row_dimensions[cell.row].height = max(minimum, _row_height(str(cell.value or ""), width))
    eval_width = sum(L.EVAL_WIDTHS[1:])
    grow("MediumGoal", "medium_term_goal", sum(L.DECL_WIDTHS[1:L.DECL_FORM_COLS]), 30)
    # the row also shows the declared goal (GoalExpected, by formula) on its left
    grow("GoalActual", "goal_actual", sum(L.EVAL_WIDTHS[5:]),
         max(30, _row_height(project.goal, sum(L.EVAL_WIDTHS[1:5]))))
    for field in L.EVAL_CLOSE_TEXTS:
        grow(L.TEXT_FIELDS_V2[field], field, eval_width, 27)   # 2 lines of 10 pt, as print_fit expects


def _date_cell(text: str) -> tuple[object, int, int, str | None]:
    """A 填报日期 as a date cell when it is an ISO date (reads back as the same text)."""
    try:
        day = _dt.date.fromisoformat(text.strip())
    except ValueError:
        return (text or None), 0, 0, None
    return _dt.datetime(day.year, day.month, day.day), 0, 0, "yyyy-mm-dd"


def _fill_history(put, i: int, ind, target) -> None:
    """v3 (issue 24): 设定依据类别 and the history columns. A past actual is stored as the
    number it reads back as in this row's unit (or as its text), like this year's actual."""
    put("IndBasisKind", ind.basis_kind or None, i)
    put("IndLastTarget", ind.last_target or None, i)
    for field in ("last_actual", "history_value"):
        value, fmt = actual_cell(getattr(ind, field), target)
        put(L.IND_CARRY_NAMES[field], value, i, fmt=fmt)


def _fill_indicator(put, decl, i: int, ind, year: int, causes: list[str]):
    target, _ = try_parse_target(ind.target, year=year)
    cols = {f: n for n, f in enumerate(L.IND_FIELDS)}
    for field in ("level1", "level2", "name", "description", "basis"):
        put("Indicators", getattr(ind, field) or None, i, cols[field])
    put("Indicators", ind.target or None, i, cols["original"])
    if target is not None:
        nature, value, unit = official_cells(target)
        put("Indicators", nature, i, cols["nature"])
        put("Indicators", value, i, cols["value"],
            fmt="yyyy-mm-dd" if target.kind == "date" else None)
        put("Indicators", unit or None, i, cols["unit"])
    for field in ("progress", "forecast", "likelihood", "remark", "analysis"):
        put(L.IND_INPUT_NAMES[field], getattr(ind, field) or None, i)
    for category, text in ind.causes.items():
        put("IndCauses", text or None, i, causes.index(category))
    value, fmt = actual_cell(ind.actual, target)
    put("IndActual", value, i, fmt=fmt)
    put("IndApplicable", None if ind.applicable else "否", i)
    put("IndWeightInput", None if ind.weight is None else _number(ind.weight), i)
    put("IndRatedScore", None if ind.rated_score is None else _number(ind.rated_score), i)
    _fill_history(put, i, ind, target)
    decl.row_dimensions[L.IND_FIRST + i].height = max(
        _row_height(ind.description, L.DECL_WIDTHS[3]), _row_height(ind.basis, L.DECL_WIDTHS[7]),
        _row_height(ind.name, L.DECL_WIDTHS[2]), _row_height(ind.level2, L.DECL_WIDTHS[1]),
        *(_row_height(getattr(ind, f), L.DECL_WIDTHS[L.col_index(c) - 1])   # v3: J:M
          for f, (c, _, _) in L.IND_CARRY.items()))
    wb = decl.parent
    cause_width = L.MON_WIDTHS[L.col_index(L.MON_CAUSE_FIRST) - 1]
    wb[L.MON].row_dimensions[L.MON_IND_FIRST + i].height = max(
        [_row_height(getattr(ind, f), w) for f, w in (
            ("name", L.MON_WIDTHS[2]), ("level2", L.MON_WIDTHS[1]), ("progress", L.MON_WIDTHS[4]),
            ("forecast", L.MON_WIDTHS[5]), ("remark", L.MON_WIDTHS[-1]))]
        + [_row_height(text, cause_width) for text in ind.causes.values()])
    wb[L.EVAL].row_dimensions[L.EVAL_IND_FIRST + i].height = max(
        _row_height(getattr(ind, f), w) for f, w in (
            ("name", L.EVAL_WIDTHS[2]), ("level2", L.EVAL_WIDTHS[1]),
            ("analysis", L.EVAL_WIDTHS[9])))
