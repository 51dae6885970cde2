"""Read a filled project workbook back into the model, with issues that name sheet and cell.

Everything is found through the template's defined names (``layout.NAMES``), so the reader
works on any ``CellSource``: a file through python-calamine or openpyxl, or a live workbook.
Metrics are always recomputed in Python; cached formula results only serve to warn that a file
was not recalculated after an edit (or was tampered with).
"""
from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import layout as L
from ..issues import Issue
from ..cellref import bounds
from ..model import MAX_AMOUNT, MAX_YEAR, MIN_YEAR, QUARTERS, Execution, FundRow, FundUse, Indicator, Monitoring, Period, Project, Rectification, causes_from_text, REVIEW_GRADES, REVIEW_STAGES, Review
from ..system.os_errors import os_error_text
from ..rules import Rules, load_rules
from ..sources import CalamineSource, CellSource, OpenpyxlSource, SourceError, file_problem
from ..sources.named import NamedCellSource, clip_names
from .sheet_parse import applicable_value
from ..target_variants import harmless_difference
from ..targets import TargetError, format_number, from_official, parse_number, parse_percent, parse_target

__all__ = ["FormRead", "ReadResult", "actual_text", "read_project", "read_project_file"]


@dataclass
class ReadResult:
    project: Project | None
    issues: list[Issue] = field(default_factory=list)
    cached: dict[str, Any] = field(default_factory=dict)
    form: FormRead | None = None   # where each item came from, for checks that name the cell


# --- cell values → model values -------------------------------------------------------------

def _decimal(value) -> Decimal:
    """A cell number as the Decimal a person typed: floats keep their 15 significant digits."""
    if isinstance(value, float):
        return Decimal(format(value, ".15g"))
    return parse_number(value)


def cell_text(value) -> str:
    """A cell value as the text a person reads in it (numbers as typed, booleans 是/否)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time() else value.isoformat(" ")
    if isinstance(value, (int, float)):
        return format_number(_decimal(value))
    return str(value).replace("\r\n", "\n").strip()


def actual_text(value, target) -> str:
    """The 实际完成值 text that a number (or date) cell stands for, in the target's terms.

    Mirrors ``targets.parse_actual``: in a % row a number ≤ 1 is a fraction (0.98 → "98%"),
    a larger one already a percentage (96 → "96%"); in other rows the target's unit is appended.
    """
    if value is None:
        return ""
    if isinstance(value, _dt.datetime) or not isinstance(value, (int, float)) or isinstance(value, bool):
        return cell_text(value)
    number = _decimal(value)
    if target is None or target.kind == "date":
        return format_number(number)
    if target.kind == "qualitative" or target.unit == "%":
        return format_number(number * 100 if abs(number) <= 1 else number) + "%"
    return format_number(number) + target.unit


def _short(value, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _lookalike_digits(text: str) -> bool:
    """Digits that only look like a number: ⑬⑦② (circled), ¹²³, ½. Full-width digits are
    what Chinese input methods type and stay valid."""
    for ch in text:
        decomposition = unicodedata.decomposition(ch)
        if decomposition.startswith("<") and not decomposition.startswith(("<wide>", "<narrow>", "<noBreak>")) \
                and any(c.isdigit() for c in unicodedata.normalize("NFKC", ch)):
            return True
    return False


def _two_places(value: Decimal) -> Decimal:
    """Percentages are shown with two decimals on the form (25.00); keep more only if typed."""
    quantized = value.quantize(Decimal("0.01"))
    return quantized if quantized == value else value


# --- the reader ----------------------------------------------------------------------------

class FormRead:
    """One read: the source, the issues found so far and where each model item came from."""

    def __init__(self, source: CellSource, rules: Rules, file: str):
        self.source, self.rules, self.file = source, rules, file
        # A name widened past the template's extent (A22:XFD1048576) is read at the template's
        # size from its own top-left cell, never as billions of empty cells; noted in widened.
        clipped = getattr(source, "clipped_names", None)   # remembered per template there
        self.names, self.widened = (clipped(L.NAMES) if clipped is not None
                                    else clip_names(source.defined_names(), L.NAMES))
        self.issues: list[Issue] = []
        self.ind_rows: list[int] = []
        self.use_rows: list[int] = []
        self.target_col: dict[int, str] = {}
        self.raw_rows: list[tuple[list, dict]] = []   # the cells behind each indicator
        self.uses_numeric = True   # every fund-use amount a number cell (what SUM() adds up)
        self.version = 0
        self.review_fingerprint = ""   # v3: SHA-256 of the form as reviewed (ReviewFingerprint)

    def has(self, name: str) -> bool:
        return name in self.names

    def optional(self, name: str):
        """A v2 cell's value; None in a v1 workbook, which has no such name."""
        return self.scalar(name) if name in self.names else None

    def values(self, name: str) -> list[list[Any]]:
        sheet, ref = self.names[name]
        return self.source.range_values(sheet, ref)

    def scalar(self, name: str):
        return self.values(name)[0][0]

    def column(self, name: str) -> list[Any]:
        return [row[0] if row else None for row in self.values(name)]

    def problem(self, name: str, detail: str, *, offset: int = 0, col: int = 0, rule="form.value"):
        sheet, ref = self.names.get(name) or (L.NAMES[name].sheet, L.NAMES[name].ref)
        m = re.match(r"([A-Z]+)([0-9]+)", ref)
        cell = f"{L.shift_col(m[1], col)}{int(m[2]) + offset}"
        self.issues.append(self.rules.issue(rule, "", detail=detail).located(
            file=self.file, sheet=sheet, cell=cell))

    def number(self, name: str, value, what: str, *, offset=0, col=0) -> Decimal | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError
            if isinstance(value, str) and _lookalike_digits(value):
                raise ValueError
            number = _decimal(value)
        except (ValueError, ArithmeticError):
            self.problem(name, f"{what}“{_short(value)}”不是有效数字", offset=offset, col=col)
            return None
        if not number.is_finite() or abs(number) >= MAX_AMOUNT:
            # NaN, ±inf or 1e308 in a cell: an issue of this file, never a broken summary.
            self.problem(name, f"{what}“{_short(value)}”超出合理范围（绝对值应小于{MAX_AMOUNT:f}）",
                         offset=offset, col=col)
            return None
        return number


def _identify(form: FormRead) -> Issue | None:
    """None if this is our template in the version we read, else the one issue to report."""
    rules = form.rules
    if "TemplateId" not in form.names or "TemplateVersion" not in form.names:
        return rules.issue("form.not_template", detail="该工作簿不是项目绩效目标表模板（缺少模板标识），"
                           "请用“xlpkg template project”生成的模板填写")
    try:
        template_id, version = form.scalar("TemplateId"), form.scalar("TemplateVersion")
    except Exception:
        template_id, version = None, None
    if template_id == "xlpkg.department-form":   # workbook/department_layout.TEMPLATE_ID
        return rules.issue("form.not_template", detail="该工作簿是部门整体绩效表，不是项目表：请把它放在"
                           "“--dept-forms”指定的文件夹中，或与“--dept-forms”一起作为输入文件")
    if template_id != L.TEMPLATE_ID:
        return rules.issue("form.not_template", detail=f"该工作簿的模板标识为“{template_id}”，"
                           "不是项目绩效目标表模板")
    if version not in L.READABLE_VERSIONS:
        readable = "、".join(f"第{v}版" for v in L.READABLE_VERSIONS)
        return rules.issue("form.not_template", detail=f"该工作簿使用第{version}版模板，当前程序只能读取"
                           f"{readable}：请用新模板重新填写（可用“xlpkg fill”迁移数据）")
    form.version = int(version)
    missing = [n for n in L.INPUT_NAMES_BY_VERSION[form.version] if n not in form.names]
    if missing:
        return rules.issue("form.not_template", detail="工作簿缺少模板定义的名称：" + "、".join(missing[:5])
                           + "（模板可能被修改过），请改用标准模板")
    return None


def _target(form: FormRead, row: list[Any], index: int, year: int) -> str:
    """The model target of one indicator row, reconciling the two forms of the 指标值."""
    col = {f: i for i, f in enumerate(L.IND_FIELDS)}
    original = cell_text(row[col["original"]])
    nature, value, unit = row[col["nature"]], row[col["value"]], row[col["unit"]]
    if isinstance(value, _dt.datetime):
        value = value.date().isoformat()
    structured = any(cell_text(v) for v in (nature, value, unit))
    if original:
        form.target_col[index] = "original"
        if structured:
            try:
                split = from_official(cell_text(nature), value, cell_text(unit), year=year)
                whole = parse_target(original, year=year)
            except TargetError:
                return original   # checks report an unparseable original text
            if not _same_target(split, whole):
                split_text = f"{cell_text(nature)} {cell_text(value)} {cell_text(unit)}".strip()
                harmless = harmless_difference(whole, split)
                if harmless:
                    # scored the same either way: a warning, the project stays in the totals
                    form.problem("Indicators", f"指标值“{original}”与拆分填写的指标性质/指标值/度量单位"
                                 f"（{split_text}）{harmless}；xlpkg 按原指标值（文字）“{original}”计分，"
                                 "请统一两处写法", offset=form.ind_rows[index], col=col["value"],
                                 rule="form.target_variant")
                else:
                    form.problem("Indicators", f"指标值“{original}”与拆分填写的指标性质/指标值/度量单位"
                                 f"（{split_text}）不一致", offset=form.ind_rows[index], col=col["value"])
        return original
    if not structured:
        return ""
    form.target_col[index] = "value"
    try:
        return from_official(cell_text(nature), value, cell_text(unit), year=year).display()
    except TargetError as exc:
        form.problem("Indicators", str(exc), offset=form.ind_rows[index], col=col["nature"])
        return cell_text(value) + cell_text(unit)


def _same_target(a, b) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == "qualitative":
        return re.sub(r"\s+", "", a.text) == re.sub(r"\s+", "", b.text)
    return (a.op, a.value, a.value2, a.unit, a.deadline) == (b.op, b.value, b.value2, b.unit, b.deadline)


def _indicators(form: FormRead, year: int) -> list[Indicator]:
    table = form.values("Indicators")
    inputs = {f: form.column(n) if n in form.names else [] for f, n in L.IND_INPUT_NAMES.items()
              if f != "causes"}
    causes = _cause_grid(form)
    history = {f: form.column(n) if n in form.names else [] for f, n in L.IND_CARRY_NAMES.items()}
    col = {f: i for i, f in enumerate(L.IND_FIELDS)}
    out = []
    for r, row in enumerate(table):
        row = list(row) + [None] * (len(L.IND_FIELDS) - len(row))
        if not any(cell_text(v) for v in row):
            continue   # a blank row of the template, even if other sheets have text in it
        index = len(out)
        form.ind_rows.append(r)
        target = _target(form, row, index, year)
        parsed = None
        if target:
            try:
                parsed = parse_target(target, year=year)
            except TargetError:
                parsed = None
        extra = {f: (v[r] if r < len(v) else None) for f, v in inputs.items()}
        form.raw_rows.append((row, extra))
        weight = form.number("IndWeightInput", extra["weight"], "指定分值", offset=r)
        rated = (form.number("IndRatedScore", extra["rated_score"], "评分", offset=r)
                 if "IndRatedScore" in form.names else None)
        applicable = applicable_value(extra["applicable"])
        if applicable is None:
            applicable = True   # scored as applicable, and said so: checks name the cell
            form.problem("IndApplicable", f"是否适用“{cell_text(extra['applicable'])}”应为“是”或“否”"
                         "（按适用计分）", offset=r)
        out.append(Indicator(
            level1=cell_text(row[col["level1"]]), level2=cell_text(row[col["level2"]]),
            name=cell_text(row[col["name"]]), target=target,
            description=cell_text(row[col["description"]]), basis=cell_text(row[col["basis"]]),
            progress=cell_text(extra["progress"]), forecast=cell_text(extra["forecast"]),
            causes=causes(r), likelihood=cell_text(extra["likelihood"]),
            remark=cell_text(extra["remark"]), actual=actual_text(extra["actual"], parsed),
            weight=weight, analysis=cell_text(extra["analysis"]), applicable=applicable,
            rated_score=rated))
        past = {f: (v[r] if r < len(v) else None) for f, v in history.items()}   # v3 (issue 24)
        out[-1].basis_kind = cell_text(past["basis_kind"])
        out[-1].last_target = cell_text(past["last_target"])
        out[-1].last_actual = actual_text(past["last_actual"], parsed)
        out[-1].history_value = actual_text(past["history_value"], parsed)
    return out


def _cause_grid(form: FormRead):
    """Per table row, the filled causes: v2 has one column per category, v1 one cause cell."""
    if form.has("IndCauses"):
        grid = form.values("IndCauses")
        categories = list(form.rules.monitoring["deviation_causes"])[:L.CAUSE_COUNT]
        return lambda r: {c: cell_text(v) for c, v in zip(categories, grid[r] if r < len(grid) else [])
                          if cell_text(v)}
    column = form.column("IndCause")
    return lambda r: causes_from_text(cell_text(column[r] if r < len(column) else None))


def _uses(form: FormRead) -> list[FundUse]:
    out = []
    notes = form.column("FundUseNotes")
    for r, row in enumerate(form.values("FundUses")):
        item, amount = row[0], row[-1]
        note = notes[r] if r < len(notes) else None
        if not any(cell_text(v) for v in (item, amount, note)):
            continue
        value = form.number("FundUses", amount, "资金用途金额", offset=r, col=len(row) - 1)
        if value is None and not cell_text(amount):
            form.problem("FundUses", f"资金用途“{cell_text(item)}”未填写金额", offset=r, col=len(row) - 1)
        form.use_rows.append(r)
        form.uses_numeric &= isinstance(amount, (int, float)) and not isinstance(amount, bool)
        out.append(FundUse(item=cell_text(item), amount=value if value is not None else Decimal(0),
                           note=cell_text(note)))
    return out


def _plan(form: FormRead) -> list[Decimal]:
    plan = []
    for q in range(1, 5):
        value = form.scalar(f"PlanQ{q}")
        if value is None or (isinstance(value, str) and not value.strip()):
            break   # checks report a short plan (plan.quarters)
        try:
            plan.append(_two_places(parse_percent(value)))
        except (ValueError, ArithmeticError):
            form.problem(f"PlanQ{q}", f"第{q}季度累计支出计划“{value}”不是有效百分数（应如25%）")
            break
    return plan


def _project(form: FormRead) -> Project:
    year_value = form.scalar("FiscalYear")
    year = form.number("FiscalYear", year_value, "年度")
    if year is None or year != year.to_integral_value():
        if year_value is None:
            form.problem("FiscalYear", "年度未填写")
        elif year is not None:
            form.problem("FiscalYear", f"年度“{year_value}”应为整数")
        year = Decimal(0)
    elif not MIN_YEAR <= year <= MAX_YEAR:   # as the JSON schema: −5 or 99999999999 is no year
        form.problem("FiscalYear", f"年度“{year_value}”超出合理范围（{MIN_YEAR}–{MAX_YEAR}）")
        year = Decimal(0)
    budget = form.number("Budget", form.scalar("Budget"), "预算数")
    actuals = [form.number(f"ActualQ{q}", form.scalar(f"ActualQ{q}"), f"第{q}季度累计实际支出")
               for q in range(1, QUARTERS + 1)]
    illustrative = form.scalar("Illustrative") if "Illustrative" in form.names else False
    execution = Execution(
        actual_cumulative=actuals,
        year_budget=form.number("YearBudget", form.scalar("YearBudget"), "全年预算数"),
        year_spent=form.number("YearSpent", form.scalar("YearSpent"), "全年执行数"),
        illustrative=illustrative is True, note=cell_text(form.scalar("ExecNote")),
        deviation_reason=(cell_text(form.scalar("ExecDeviationReason"))
                          if "ExecDeviationReason" in form.names else ""))
    execution.funds = _funds(form)
    execution.__post_init__()   # a blank total is the sum of its rows
    project = Project(
        dept_code=cell_text(form.scalar("DeptCode")), dept_name=cell_text(form.scalar("DeptName")),
        code=cell_text(form.scalar("ProjCode")), name=cell_text(form.scalar("ProjName")), year=int(year),
        budget=budget if budget is not None else Decimal(0),
        fund_source=cell_text(form.scalar("FundSource")), uses_text=cell_text(form.scalar("UsesText")),
        uses=_uses(form), plan=_plan(form), goal=cell_text(form.scalar("Goal")),
        indicators=_indicators(form, int(year)), execution=execution)
    if form.version >= 2:
        _read_v2(form, project)
    if form.has("UnitCostBasis"):   # v3 (issue 26)
        project.unit_cost_basis = cell_text(form.scalar("UnitCostBasis"))
    _rules_mismatch(form)
    if form.has("ReviewGrade"):
        _read_review(form, project)
    return project


def _rules_mismatch(form: FormRead) -> None:
    """A v3 form records its rulebook's scoring levels: read with other levels, the form's own
    总分 and xlpkg's differ (成本 under 产出 or on its own, other weights), so say so."""
    recorded = form.optional("RulesLevels") if form.has("RulesLevels") else None
    current = form.rules.levels_signature()
    if recorded is None or cell_text(recorded) == current:
        return
    built = cell_text(form.optional("RulesVersion")) or "（未记录）"
    form.problem("TotalScore", f"本表按规则“{built}”生成，评分层级为：{cell_text(recorded)}；现按规则"
                 f"“{form.rules.source}”读取，评分层级为：{current}。得分按现用规则计算，可能与表内公式"
                 "算出的总分不同：请用现用规则生成的模板重新填写，或用 --rules 指定生成本表的规则文件",
                 rule="form.rules_mismatch")



# --- v3 (issue 25): the finance bureau's review ------------------------------------------------

def _read_review(form: FormRead, p: Project) -> None:
    """财政部门审核意见 as `xlpkg review --apply` wrote it; a form never reviewed keeps None."""
    stage_text = cell_text(form.scalar("ReviewStage"))
    stage = next((k for k, v in REVIEW_STAGES.items() if v == stage_text or k == stage_text), "")
    grade = cell_text(form.scalar("ReviewGrade"))
    if grade and grade not in REVIEW_GRADES:
        form.problem("ReviewGrade", f"审核结果“{grade}”应为优、良、中、差之一（已忽略）", rule="review.invalid")
        grade = ""
    review = Review(stage=stage, grade=grade, opinion=cell_text(form.scalar("ReviewOpinion")),
                    date=cell_text(form.scalar("ReviewDate")))
    form.review_fingerprint = cell_text(form.scalar("ReviewFingerprint"))
    opinions, scores = form.column("IndReviewOpinion"), form.column("IndVerifiedScore")
    any_row = False
    for index, r in enumerate(form.ind_rows):
        ind = p.indicators[index]
        ind.review_opinion = cell_text(opinions[r] if r < len(opinions) else None)
        ind.verified_score = form.number("IndVerifiedScore", scores[r] if r < len(scores) else None,
                                         "评定得分", offset=r)
        any_row |= bool(ind.review_opinion) or ind.verified_score is not None
    if any_row or any((review.stage, review.grade, review.opinion, review.date)):
        p.review = review


def _whole(form: FormRead, name: str, what: str, low: int, high: int) -> int | None:
    value = form.optional(name)
    number = form.number(name, value, what)
    if number is None:
        return None
    if number != number.to_integral_value() or not low <= number <= high:
        form.problem(name, f"{what}“{cell_text(value)}”应为{low}–{high}之间的整数")
        return None
    return int(number)


def _funds(form: FormRead) -> dict[str, FundRow]:
    if not form.has("FundYearSpent"):
        return {}
    cols = {attr: form.column(name) for attr, name in (
        ("budget", "FundBudget"), ("year_budget", "FundYearBudget"), ("year_spent", "FundYearSpent"))}
    what = {"budget": "年初预算数", "year_budget": "全年预算数", "year_spent": "全年执行数"}
    names = {"budget": "FundBudget", "year_budget": "FundYearBudget", "year_spent": "FundYearSpent"}
    out = {}
    for i, key in enumerate(L.FUND_KEYS):
        row = FundRow(**{a: form.number(names[a], col[i] if i < len(col) else None,
                                        f"{L.FUND_LABELS[key]}{what[a]}", offset=i)
                         for a, col in cols.items()})
        if not row.is_blank():
            out[key] = row
    return out


def _read_v2(form: FormRead, p: Project) -> None:
    """The blocks a v2 workbook adds; a v1 workbook keeps the model's defaults."""
    start = _whole(form, "PeriodStart", "项目期起始年度", 1990, 2100)
    end = _whole(form, "PeriodEnd", "项目期结束年度", 1990, 2100)
    p.period = Period(start, end) if start is not None or end is not None else None
    p.medium_term_budget = form.number("MediumBudget", form.optional("MediumBudget"), "中期资金总额")
    for attr, name in L.TEXT_FIELDS_V2.items():
        setattr(p, attr, cell_text(form.optional(name)))
    p.fill_date = cell_text(form.optional("FillDate"))
    p.monitoring = Monitoring(
        month=_whole(form, "MonMonth", "监控月份", 1, 12),
        spent=form.number("MonSpent", form.optional("MonSpent"), "1-X月执行数"),
        forecast_year_spent=form.number("MonForecast", form.optional("MonForecast"), "全年预计执行数"))
    needed = form.optional("RectNeeded")
    flag = cell_text(needed)
    if needed is True or flag == "是":
        needed = True
    elif needed is False or flag == "否":
        needed = False
    else:
        if flag:
            form.problem("RectNeeded", f"是否需要整改“{flag}”应为“是”或“否”")
        needed = None
    p.rectification = Rectification(needed=needed, advice=cell_text(form.optional("RectAdvice")),
                                    result=cell_text(form.optional("RectResult")))


def _cached(form: FormRead) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in (*L.FORMULA_NAMES, *L.REVIEW_FORMULA_NAMES):
        if name not in form.names:
            continue
        grid = form.values(name)
        flat = [v for row in grid for v in row]
        value = flat[0] if len(flat) == 1 else flat
        if any(v is not None for v in flat):
            out[name] = value
    return out


# Per-indicator names on the other sheets, and where each sheet mirrors the indicator table's
# 一级/二级/三级 through formulas (=IF(申报表!A22="","",申报表!A22)).
_MIRRORS = {"IndProgress": (L.MON_IND_COLS["level1"], L.MON_IND_COLS["name"]),
            "IndActual": (L.EVAL_IND_COLS["level1"], L.EVAL_IND_COLS["name"])}
_PER_INDICATOR = (*L.IND_INPUT_NAMES.values(), *L.V3_CARRY_NAMES, "IndWeight", "IndScore")
_MIRROR_COLUMNS = dict(_MIRRORS)   # read with the names, in the same pass over each sheet


def _misalignment(form: FormRead) -> list[Issue]:
    """Rows inserted into or deleted from the indicator table (possible once a sheet is
    unprotected) pair each indicator with another row's actual, weight and analysis.

    Two tells, both in what Excel/WPS/LibreOffice save: the per-indicator names no longer
    span as many rows as ``Indicators`` (the program widens or shrinks a name when rows are
    inserted or deleted inside it), and the other sheets' mirror formulas, which follow
    their source rows, show on row r the 三级指标 of another row of the table (or #REF!).
    A mirror that differs from every row is only a stale cache (see ``_stale``).
    """
    sheet, ref = form.names["Indicators"]
    _, first, _, last = bounds(ref)
    out: list[str] = []
    where: list[tuple[str, str]] = []
    if last - first + 1 != L.INDICATOR_ROWS:
        out.append(f"指标表（{sheet}第{first}–{last}行）应为{L.INDICATOR_ROWS}行，现为{last - first + 1}行")
        where.append((sheet, f"A{first}"))
    spans: dict[tuple[str, int, int], list[str]] = {}
    for name in _PER_INDICATOR:
        if name in form.names:
            other, other_ref = form.names[name]
            _, a, _, b = bounds(other_ref)
            if b - a != last - first:
                spans.setdefault((other, a, b), []).append(name)
    for (other, a, b), members in spans.items():
        out.append(f"{other}第{a}–{b}行（{b - a + 1}行，{'、'.join(members)}）与指标表{sheet}第{first}–{last}行"
                   f"（{last - first + 1}行）行数不一致")
        where.append((other, form.names[members[0]][1].split(":")[0]))
    table = [list(row[:3]) for row in form.source.range_values(sheet, f"A{first}:C{last}")]
    names: list[tuple[str, ...]] = []   # the table's texts, only built when a row differs
    for name, (col_a, col_c) in _MIRRORS.items():
        if name not in form.names or len(where) >= 6:
            continue
        other, other_ref = form.names[name]
        _, a, _, b = bounds(other_ref)
        mirror = form.source.range_values(other, f"{col_a}{a}:{col_c}{b}")
        for r, row in enumerate(mirror[:len(table)]):
            if row == table[r] or not any(v is not None for v in row):
                continue   # the same values, or no cached claim (a file never recalculated)
            if not names:
                names = [tuple(cell_text(v) for v in t) for t in table]
            shown = tuple(cell_text(v) for v in row)
            if not any(shown) or shown == names[r]:
                continue
            broken = any(v.startswith("#REF") for v in shown)
            moved = [i for i, n in enumerate(names) if i != r and any(n) and n == shown]
            if broken or moved:
                source_row = f"申报表第{first + moved[0]}行的指标" if moved else "引用已失效（#REF!）"
                out.append(f"{sheet}第{first + r}行（“{names[r][2] or '空行'}”）对应的{other}第{a + r}行"
                           f"显示的是“{shown[2] or shown[0]}”（{source_row}）")
                where.append((other, f"{col_c}{a + r}"))
                break
    if not out:
        return []
    detail = ("指标表的行已错位，各工作表的指标行不再一一对应，本表不评分、不汇总：" + "；".join(out)
              + "。表格中插入或删除过行；请用模板重新填写，或撤销插入/删除的行")
    sheet0, cell0 = where[0]
    return [form.rules.issue("form.misaligned", detail=detail).located(
        file=form.file, sheet=sheet0, cell=cell0)]


def _widened(form: FormRead) -> list[Issue]:
    return [form.rules.issue("form.name_extent", detail=(
        f"名称 {name} 的范围被改为 {was}，超出模板范围；已只读取模板范围 {now}（模板可能被修改过）"))
        .located(file=form.file, sheet=form.names[name][0], cell=now)
        for name, (was, now) in form.widened.items()]


def read_project(source: CellSource, *, file: str = "", rules: Rules | None = None) -> ReadResult:
    """The project in a workbook and every problem of reading it, as an issue with sheet and
    cell; never raises for a bad workbook (project None plus one issue instead). Scores and
    business checks are not run here: ``xlpkg.workbook.form_checks`` does that."""
    rules = rules or load_rules()
    try:
        form = FormRead(source, rules, file)
        refused = _identify(form)
    except Exception as exc:   # a foreign workbook can break in any way; say so, don't crash
        return ReadResult(None, [rules.issue("form.unreadable", detail=f"无法读取工作簿：{exc}").located(file=file)])
    if refused:
        return ReadResult(None, [refused.located(file=file)])
    try:
        misaligned = _misalignment(form)
        if misaligned:
            return ReadResult(None, misaligned)
        project = _project(form)
        cached = _cached(form)
    except Exception as exc:
        return ReadResult(None, [rules.issue("form.unreadable", detail=f"读取工作簿内容时出错：{exc}")
                                 .located(file=file)])
    issues = list(form.issues) + _widened(form)
    return ReadResult(project, issues, cached, form)


def read_project_file(path: str | Path, *, rules: Rules | None = None,
                      engine: str = "named") -> ReadResult:
    """``read_project`` on a file. engine "named" (default, fastest: only the cells behind the
    template's names, straight from the zip), "calamine" or "openpyxl" (every cell)."""
    rules = rules or load_rules()
    path = Path(path)
    problem = file_problem(path)
    if problem:
        return ReadResult(None, [rules.issue("form.unreadable", detail=problem).located(file=str(path))])
    try:
        if engine == "named":
            source = NamedCellSource(path, extents=L.NAMES, beside=_MIRROR_COLUMNS).load()
        else:
            source = CalamineSource(path) if engine == "calamine" else OpenpyxlSource(path)
    except SourceError as exc:
        return ReadResult(None, [rules.issue("form.unreadable", detail=exc.message).located(file=str(path))])
    except OSError as exc:
        return ReadResult(None, [rules.issue("form.unreadable", detail=f"无法打开文件：{os_error_text(exc)}")
                                 .located(file=str(path))])
    return read_project(source, file=str(path), rules=rules)
