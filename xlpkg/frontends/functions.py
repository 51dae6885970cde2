"""The nine worksheet functions, once, for every spreadsheet engine.

Both front ends are thin adapters over this module: ``xlpkg.udfs`` (xlwings: classic Windows
Excel and Office.js) and the LibreOffice Calc add-in (``xlpkg.libreoffice.calc``). Neither
xlwings nor uno is imported here, and no maths or rule lives here either: each function converts
what a spreadsheet sends, calls ``xlpkg.metrics`` / ``xlpkg.targets`` / the rulebook, and converts
the result back, so a cell, the template's native formulas, the CLI and the consolidation all
give the same numbers. ``FUNCTIONS`` describes them (Chinese descriptions, argument names and
documentation) for both engines' function wizards.

Arguments, as a spreadsheet sends them
    Numbers arrive as floats, blank cells as ``None`` (or ``""``), text as ``str``; a range
    arrives as a 2-D list (a single cell is ``[[x]]`` from Excel and a bare scalar from a direct
    Python call or LibreOffice; a 1-D list is one row).
    Percent cells hold fractions (25 % is 0.25), and so do the rate results (execution rate,
    progress, cost-control rate), for a cell formatted as %, as in the template. Quarterly
    variances are percentage points (−2.14), as the template's 偏差（百分点） column shows them.
    Text such as "25%" or "1,400" is accepted too. A date cell may arrive as a serial number
    (Office.js, LibreOffice) or a datetime (classic Excel).

Arrays
    Calling a UDF once per cell is the known slow path of xlwings, so every function takes
    ranges: ranges in, a range of the same shape out (``parse_target`` gives one row of four
    cells per text, ``quarter_variance`` one value per quarter in the orientation of the plan).
    Single cells and scalars are broadcast against a range; ranges of different sizes are an
    error.

Results and the error convention
    Numbers are floats, texts are Chinese, ``target_met`` gives TRUE/FALSE. A blank input
    gives a blank cell (the form is not filled in yet; see each function for which inputs).
    A bad input gives the TEXT ``#错误：<原因>`` in that cell (``ERROR_PREFIX``), for example
    ``#错误：预算数为0，无法计算``; the other cells of the range are still computed. A text is
    used rather than an error value (#VALUE!) because classic xlwings has no way to return an
    Excel error and Office.js would drop the Chinese reason; text behaves the same everywhere.
    Arithmetic on such a cell gives #VALUE!, but SUM skips text: find them with
    ``=COUNTIF(range,"#错误*")``. No Python traceback ever reaches a cell: an unexpected
    exception also becomes ``#错误：…``. Error values passed *in* (e.g. #N/A) arrive from
    xlwings as blanks and give a blank.
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal, InvalidOperation
from dataclasses import dataclass
from typing import Any, Callable

from .. import metrics, targets
from ..rules import load_rules
from ..sources import is_blank

__all__ = ["ERROR_PREFIX", "FUNCTIONS", "Argument", "Function", "exec_rate", "cost_control_rate", "spend_progress",
           "quarter_variance", "parse_target", "target_met", "indicator_score", "perf_grade",
           "perf_light"]

ERROR_PREFIX = "#错误："
HUNDRED = Decimal(100)
KIND_LABELS = {"quantitative": "定量", "qualitative": "定性", "date": "日期", "range": "区间"}
_EXCEL_EPOCH = _dt.date(1899, 12, 30)   # serial 1 = 1900-01-01 (Excel's 1900 leap bug aside)


class _BadArgument(ValueError):
    """An argument a cell cannot use; the message is Chinese and ends up after ERROR_PREFIX."""


# --- conversion helpers ---------------------------------------------------------------

def _error(message: str) -> str:
    return ERROR_PREFIX + message


def _is_range(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _grid(value: Any) -> list[list[Any]]:
    """Any argument as a rectangular 2-D list: scalar → [[x]], 1-D → one row."""
    if not _is_range(value):
        return [[value]]
    if not value:
        return [[None]]
    if not _is_range(value[0]):
        return [list(value)]
    rows = [list(r) if _is_range(r) else [r] for r in value]
    width = max(len(r) for r in rows) or 1
    return [r + [None] * (width - len(r)) for r in rows]


def _number(value: Any, what: str) -> Decimal:
    """A numeric cell (float, int, or text such as "1,400") as an exact Decimal."""
    if isinstance(value, bool):
        raise _BadArgument(f"{what}应为数值，不能是TRUE/FALSE")
    try:
        if isinstance(value, (int, float)):
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
            return targets.parse_number(Decimal(str(value)))
        return targets.parse_number(value)
    except (ValueError, InvalidOperation):
        raise _BadArgument(f"{what}“{value}”不是数值") from None


def _fraction(value: Any, what: str) -> Decimal:
    """A percent cell as a fraction: 0.25 (a cell formatted as %), or the text "25%"."""
    if isinstance(value, str) and value.strip().endswith(("%", "％")):
        return _number(value.strip()[:-1], what) / HUNDRED
    return _number(value, what)


def _nonzero(value: Decimal, what: str) -> Decimal:
    if value == 0:
        raise _BadArgument(f"{what}为0，无法计算")
    return value


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _cell(fn: Callable[..., Any], *values: Any) -> Any:
    """One cell's result: the value, or the error text instead of an exception."""
    try:
        return fn(*values)
    except (_BadArgument, targets.TargetError, targets.ActualError) as exc:
        return _error(str(exc))
    except ArithmeticError:
        return _error("数值超出可计算范围")
    except Exception as exc:   # a cell must never show a Python traceback
        return _error(f"内部错误（{type(exc).__name__}: {exc}）")


def _shape_of(args: tuple) -> tuple[int, int] | str:
    """The common shape of the range arguments (1×1 broadcasts), or an error text."""
    shapes = set()
    for arg in args:
        if _is_range(arg):
            g = _grid(arg)
            if (len(g), len(g[0])) != (1, 1):
                shapes.add((len(g), len(g[0])))
    if len(shapes) > 1:
        sizes = "、".join(f"{r}行×{c}列" for r, c in sorted(shapes))
        return _error(f"各区域大小不一致（{sizes}），应为相同行列数或单个单元格")
    return shapes.pop() if shapes else (1, 1)


def _elementwise(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn`` cell by cell over ranges of one shape; scalars and single cells broadcast.

    All scalars in → a scalar out (direct Python calls); any range in → a 2-D list out.
    """
    shape = _shape_of(args)
    if isinstance(shape, str):
        return [[shape]] if any(_is_range(a) for a in args) else shape
    rows, cols = shape
    grids = [_grid(a) for a in args]
    single = [len(g) == 1 and len(g[0]) == 1 for g in grids]
    out = [[_cell(fn, *(g[0][0] if s else g[r][c] for g, s in zip(grids, single)))
            for c in range(cols)] for r in range(rows)]
    return out if any(_is_range(a) for a in args) else out[0][0]


def _vector(value: Any) -> tuple[list[Any], str]:
    """A row or a column as a flat list and its orientation ("row"/"col")."""
    g = _grid(value)
    if len(g) == 1:
        return g[0], "row"
    if all(len(r) == 1 for r in g):
        return [r[0] for r in g], "col"
    raise _BadArgument(f"应为一行或一列，现为{len(g)}行×{len(g[0])}列")


def _safe(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Last line of defence for whole-call errors (shape problems, a broken rulebook)."""
    def run(*args: Any) -> Any:
        try:
            return fn(*args)
        except _BadArgument as exc:
            return _error(str(exc))
        except Exception as exc:   # e.g. RulesError: the message is already Chinese
            return _error(str(exc) or type(exc).__name__)
    return run


def _actual_arg(actual: Any, target: targets.Target) -> Any:
    """Excel sends a date cell as a serial number in Office.js: a date for a date target."""
    if (target.kind == "date" and isinstance(actual, (int, float))
            and not isinstance(actual, bool) and 1 <= actual < 2958466):
        return _EXCEL_EPOCH + _dt.timedelta(days=int(actual))
    return actual


def _target_arg(text: Any) -> targets.Target:
    if isinstance(text, float) and text.is_integer():
        text = int(text)   # a number cell "3" arrives as 3.0
    return targets.parse_target(text)


# --- money and progress ---------------------------------------------------------------

def _ratio_cell(metric: Callable[[Decimal, Decimal], Decimal | None], numerator: Any,
                num_label: str, denominator: Any, den_label: str) -> float | None:
    """One cell of a rate over a base: blank if either is blank, an error for a zero base."""
    if is_blank(numerator) or is_blank(denominator):
        return None
    base = _nonzero(_number(denominator, den_label), den_label)
    return _float(metric(_number(numerator, num_label), base))


def exec_rate(spent, budget):
    """执行率 = 执行数 ÷ 预算数，以小数返回（单元格设为百分比格式）。任一为空返回空白；预算数为0返回“#错误”。"""
    def one(s, b):
        return _ratio_cell(metrics.execution_rate, s, "执行数", b, "预算数")
    return _safe(_elementwise)(one, spent, budget)


def spend_progress(cumulative_actual, budget):
    """支出进度 = 累计实际支出 ÷ 预算数，以小数返回（设为百分比格式）。任一为空返回空白。"""
    def one(a, b):
        return _ratio_cell(metrics.spend_progress, a, "累计实际支出", b, "预算数")
    return _safe(_elementwise)(one, cumulative_actual, budget)


def cost_control_rate(actual, planned):
    """成本（预算）控制率 =（实际成本 − 计划成本）÷ 计划成本，以小数返回；负数表示低于计划。任一为空返回空白。"""
    def one(a, p):
        return _ratio_cell(metrics.cost_control_rate, a, "实际成本", p, "计划成本")
    return _safe(_elementwise)(one, actual, planned)


def quarter_variance(plan_range, actual_range, budget):
    """各季度支出进度偏差（百分点）= 实际支出进度 × 100 − 计划累计进度 × 100，如 −2.14；结果方向与计划区域一致（一行或一列）。某季度计划或实际为空时该格为空白。"""
    def run():
        plan, orientation = _vector(plan_range)
        actual, _ = _vector(actual_range)
        if len(plan) != len(actual):
            raise _BadArgument(f"计划有{len(plan)}个季度，实际支出有{len(actual)}个，应一一对应")
        b = _to_scalar(budget)
        if is_blank(b):
            cells = [None] * len(plan)
        else:
            b = _nonzero(_number(b, "预算数"), "预算数")
            cells = []
            for p, a in zip(plan, actual):
                cells.append(_cell(_one_variance, p, a, b))
        return [cells] if orientation == "row" else [[c] for c in cells]

    result = _safe(run)()
    return [[result]] if isinstance(result, str) else result


def _one_variance(plan: Any, actual: Any, budget: Decimal) -> float | None:
    if is_blank(plan) or is_blank(actual):
        return None
    try:   # the form's convention, shared with the template and the reader: 0.25, 25, "25%"
        percent = targets.parse_percent(plan)
    except (ValueError, ArithmeticError):
        raise _BadArgument(f"计划累计进度“{plan}”不是百分数") from None
    variance = metrics.quarter_variances([percent], [_number(actual, "累计实际支出")], budget)[0]
    return _float(variance)


def _to_scalar(value: Any) -> Any:
    g = _grid(value)
    if len(g) == 1 and len(g[0]) == 1:
        return g[0][0]
    raise _BadArgument(f"应为单个单元格，现为{len(g)}行×{len(g[0])}列")


# --- indicator targets and scores ---------------------------------------------------

def parse_target(text, year=None):
    """把指标值文字拆成新表样的四格：指标性质、指标值、度量单位、类型（定量/定性/日期/区间）。区域按每个单元格返回一行。"""
    def run():
        y = None
        if not is_blank(_to_scalar(year)):
            y = _number(_to_scalar(year), "年度")
            if y != int(y) or not 1 <= y <= 9999:
                raise _BadArgument(f"年度“{year}”应为四位整数")
            y = int(y)
        cells = [v for row in _grid(text) for v in row]
        return [_parse_row(v, y) for v in cells]

    result = _safe(run)()
    if isinstance(result, str):
        result = [[result, None, None, None]]
    return result if _is_range(text) else result[0]


def _parse_row(value: Any, year: int | None) -> list[Any]:
    if is_blank(value):
        return [None, None, None, None]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        target = targets.parse_target(value, year=year)
    except (targets.TargetError, ValueError) as exc:
        return [_error(str(exc)), None, None, None]
    return [*targets.official_cells(target), KIND_LABELS[target.kind]]


def target_met(text, actual):
    """实际完成值是否达到指标值，返回 TRUE/FALSE。指标值或实际完成值为空时返回空白。"""
    rules = load_rules()
    grades = rules.qualitative_grades()

    def one(t, a):
        if is_blank(t) or is_blank(a):
            return None
        target = _target_arg(t)
        return bool(target.evaluate(_actual_arg(a, target), grades=grades).met)
    return _safe(_elementwise)(one, text, actual)


def indicator_score(text, actual, weight, level1=None, level2=None):
    """指标得分（未四舍五入，显示两位小数）：正向达标得满分否则按比例，反向、区间、日期、定性按规则文件评分。指标值、实际完成值或分值为空时返回空白。"""
    rules = load_rules()

    def one(t, a, w, l1, l2):
        if is_blank(t) or is_blank(a) or is_blank(w):
            return None
        target = _target_arg(t)
        is_cost = rules.is_cost("" if is_blank(l1) else str(l1), "" if is_blank(l2) else str(l2))
        score = metrics.indicator_score(target, _actual_arg(a, target), _number(w, "分值"),
                                         is_cost=is_cost, rules=rules)
        return _float(score)
    return _safe(_elementwise)(one, text, actual, weight, level1, level2)


def perf_grade(score):
    """按规则文件的等级线给出自评等级（默认 优 ≥ 90、良 ≥ 80、中 ≥ 60、差 < 60）。总分为空时返回空白。"""
    rules = load_rules()

    def one(s):
        if is_blank(s):
            return None
        return rules.grade(_number(s, "总分"))
    return _safe(_elementwise)(one, score)


def perf_light(progress, plan):
    """监控灯：实际进度 ÷ 计划进度 × 100，< 60 红灯、60–80 黄灯、≥ 80 绿灯（阈值见规则文件）。任一为空返回空白。"""
    rules = load_rules()

    def one(p, ref):
        if is_blank(p) or is_blank(ref):
            return None
        lit = metrics.light(_fraction(p, "实际进度") * HUNDRED, _fraction(ref, "计划进度") * HUNDRED,
                            rules)
        return rules.light_label(lit)
    return _safe(_elementwise)(one, progress, plan)


# --- what the function wizards show -------------------------------------------------------

@dataclass(frozen=True)
class Argument:
    name: str        # the Python parameter name
    label: str       # the short Chinese name a function wizard shows
    doc: str         # the Chinese help text
    is_range: bool   # takes a range (xlwings ndim=2); otherwise a single cell
    optional: bool = False


@dataclass(frozen=True)
class Function:
    name: str        # the Python name (xlpkg.udfs.<name>)
    sheet_name: str  # what an accountant types in a cell, in Excel and in LibreOffice
    args: tuple[Argument, ...]

    @property
    def impl(self) -> Callable[..., Any]:
        return globals()[self.name]

    @property
    def description(self) -> str:
        return (self.impl.__doc__ or "").strip()


def _a(name: str, label: str, doc: str, is_range: bool = True, optional: bool = False) -> Argument:
    return Argument(name, label, doc, is_range, optional)


FUNCTIONS: tuple[Function, ...] = (
    Function("exec_rate", "EXEC_RATE", (
        _a("spent", "执行数", "执行数（万元）：单元格或区域"),
        _a("budget", "预算数", "预算数（万元），有全年预算数（调整后）时用全年预算数：单元格或区域"))),
    Function("spend_progress", "SPEND_PROGRESS", (
        _a("cumulative_actual", "累计实际支出", "截至本季度末累计实际支出（万元）：单元格或区域"),
        _a("budget", "预算数", "预算数（万元）：单元格或区域"))),
    Function("cost_control_rate", "COST_CONTROL_RATE", (
        _a("actual", "实际成本", "实际成本（执行数，万元）：单元格或区域"),
        _a("planned", "计划成本", "计划成本（预算数，万元）：单元格或区域"))),
    Function("quarter_variance", "QUARTER_VARIANCE", (
        _a("plan_range", "计划进度", "各季度累计支出计划（百分比，一行或一列；25%、0.25、25 均表示25%）"),
        _a("actual_range", "实际支出", "各季度累计实际支出（万元），与计划同样多的单元格；未发生的季度留空"),
        _a("budget", "预算数", "预算数（万元）", is_range=False))),
    Function("parse_target", "PARSE_TARGET", (
        _a("text", "指标值", "指标值原文，如“95%以上”“2022年12月底”“效果显著”：单元格或区域"),
        _a("year", "年度", "（可选）年度，用于补全“12月底”这类不写年份的日期", is_range=False,
           optional=True))),
    Function("target_met", "TARGET_MET", (
        _a("text", "指标值", "指标值，如“95%以上”：单元格或区域"),
        _a("actual", "实际完成值", "实际完成值，如“96%”、0.96（百分比格式）、“22次”、日期或“达成”：单元格或区域"))),
    Function("indicator_score", "INDICATOR_SCORE", (
        _a("text", "指标值", "指标值，如“95%以上”：单元格或区域"),
        _a("actual", "实际完成值", "实际完成值：单元格或区域"),
        _a("weight", "分值", "分值（该指标满分）：单元格或区域"),
        _a("level1", "一级指标", "（可选）一级指标，成本指标下“1400万元”这类金额按上限评分", optional=True),
        _a("level2", "二级指标", "（可选）二级指标，如“成本指标”", optional=True))),
    Function("perf_grade", "PERF_GRADE", (
        _a("score", "总分", "自评总分（0–100）：单元格或区域"),)),
    Function("perf_light", "PERF_LIGHT", (
        _a("progress", "实际进度", "实际支出进度（百分比）：单元格或区域"),
        _a("plan", "计划进度", "计划进度或时间进度（百分比）：单元格或区域"))),
)
