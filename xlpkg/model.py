"""The form model: one project's performance form as typed dataclasses.

Money is ``Decimal`` in 万元 and percentages are ``Decimal`` percent (25.00 means 25 %), the
way the paper form writes them. JSON keeps both as strings so that a round trip is exact.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_VERSION = 2
# The monitoring table's cause categories (财预〔2019〕136号); the rulebook repeats them for the form.
CAUSE_CATEGORIES = ("经费保障", "制度保障", "人员保障", "硬件条件保障", "其他")
OTHER_CAUSE = "其他"
QUARTERS = 4
# Limits a real form never reaches, shared by the JSON loader, the workbook reader and the
# consolidation: beyond them a value is a typing accident or an attack, never a budget.
MAX_AMOUNT = Decimal("1e12")      # 万元 (a trillion 万元 is a hundred times a national budget)
MAX_TEXT = 32767                  # characters in one Excel cell
MIN_YEAR, MAX_YEAR = 1990, 2100   # as the JSON schema's "year"


@dataclass
class FundUse:
    """One line of 项目资金主要用途."""

    item: str
    amount: Decimal
    note: str = ""


# --- v3 (issue 24): the five 指标值设定依据 of pmkpi (财预〔2021〕101号) and their definitions
BASIS_KINDS = {
    "计划标准": "预先制定的中长期或年度规划、计划、目标等数据",
    "历史标准": "历史年度完成值或前三年平均值",
    "行业标准": "国家公布的行业标准明确的指标数据或统一的技术要求和规范",
    "预算支出标准": "用于成本指标的取值，不得超出规定的预算支出标准设置目标值",
    "其他标准": "其他来源及数据口径的参考标准",
}


@dataclass
class Indicator:
    """One row of the indicator table, with its monitoring and self-evaluation fields."""

    level1: str                      # 一级指标
    level2: str                      # 二级指标
    name: str                        # 三级指标
    target: str                      # 指标值, as written on the form ("95%以上")
    description: str = ""            # 绩效指标描述
    basis: str = ""                  # 指标值确定依据
    # 绩效运行监控
    progress: str = ""               # 执行情况 to date
    forecast: str = ""               # 全年预计完成情况
    causes: dict[str, str] = field(default_factory=dict)   # 偏差原因: category → text, filled only
    likelihood: str = ""             # 完成目标可能性
    remark: str = ""                 # 备注
    # 绩效自评
    actual: str = ""                 # 实际完成值, as typed
    weight: Decimal | None = None    # 分值; None = split the level's weight evenly
    analysis: str = ""               # 偏差原因分析及改进措施
    applicable: bool = True          # False drops it from scoring (rescaled to 100)
    rated_score: Decimal | None = None   # 评分: the evaluator's points for a 定性 tier
    # --- v3 (issue 24): 设定依据类别 and the indicator's history (texts, in the target's unit)
    basis_kind: str = ""             # 指标值设定依据: 计划标准/历史标准/行业标准/预算支出标准/其他标准
    last_target: str = ""            # 上年指标值
    last_actual: str = ""            # 上年实际完成值
    history_value: str = ""          # 历史值: mean of up to three previous actuals ("" when none)
    # --- v3 (issue 25): the finance bureau's review, written by `xlpkg review --apply` only
    review_opinion: str = ""             # 审核意见 on this indicator
    verified_score: Decimal | None = None   # 评定得分: the bureau's points, 0 ≤ x ≤ 分值


def causes_from_text(text: str) -> dict[str, str]:
    """The v1 single 偏差原因 as v2 causes: a category names itself, other text is 其他."""
    text = (text or "").strip()
    if not text:
        return {}
    return {text: text} if text in CAUSE_CATEGORIES else {OTHER_CAUSE: text}


def _cause_summary(ind: Indicator) -> str:
    """The v1 view of the causes: inverse of causes_from_text, the categories joined otherwise."""
    items = [(k, v) for k, v in ind.causes.items() if (v or "").strip()]
    if len(items) == 1:
        key, value = items[0]
        if value == key or (key == OTHER_CAUSE and value not in CAUSE_CATEGORIES):
            return value
    return "、".join(k for k, _ in items)


def cause_text(ind: Indicator) -> str:
    """All causes in one line for a summary: "经费保障：资金未到位；其他：…"; a v1 value alone."""
    items = [(k, v.strip()) for k, v in ind.causes.items() if (v or "").strip()]
    if len(items) == 1 and items[0][0] == OTHER_CAUSE and items[0][1] not in CAUSE_CATEGORIES:
        return items[0][1]   # what v1 held in its one cell
    return "；".join(k if v == k else f"{k}：{v}" for k, v in items)


def _set_cause(ind: Indicator, text: str) -> None:
    ind.causes = causes_from_text(text)


Indicator.deviation_cause = property(_cause_summary, _set_cause,
                                     doc="v1's single 偏差原因, read and written through causes")


@dataclass
class FundRow:
    """One fund-source row of the 自评表's money block (万元)."""

    budget: Decimal | None = None        # 年初预算数
    year_budget: Decimal | None = None   # 全年预算数
    year_spent: Decimal | None = None    # 全年执行数

    def is_blank(self) -> bool:
        return self.budget is None and self.year_budget is None and self.year_spent is None


FUND_KEYS = ("fiscal", "carryover", "other")   # 其中：财政拨款, 上年结转, 其他资金


def fund_sum(funds: dict, attr: str) -> Decimal | None:
    values = [getattr(r, attr) for r in funds.values() if getattr(r, attr) is not None]
    return sum(values, Decimal(0)) if values else None


@dataclass
class Execution:
    """Spending data entered during the year (绩效运行监控 / 绩效自评)."""

    actual_cumulative: list[Decimal | None] = field(default_factory=lambda: [None] * QUARTERS)
    year_budget: Decimal | None = None   # 全年预算数 (adjusted); None = 年初预算数
    year_spent: Decimal | None = None    # 全年执行数
    illustrative: bool = False           # True for invented example data
    note: str = ""
    deviation_reason: str = ""           # 执行率偏差原因 (required below the rulebook's rate)
    funds: dict[str, FundRow] = field(default_factory=dict)   # fund-source rows, filled only

    def __post_init__(self):
        # A total left blank is the sum of its rows (the 自评表 is filed either way).
        if self.year_budget is None:
            self.year_budget = fund_sum(self.funds, "year_budget")
        if self.year_spent is None:
            self.year_spent = fund_sum(self.funds, "year_spent")


@dataclass
class Monitoring:
    """The snapshot "截至X月" of 绩效运行监控."""

    month: int | None = None                     # X, 1–12
    spent: Decimal | None = None                 # 1–X月执行数, 万元
    forecast_year_spent: Decimal | None = None   # 全年预计执行数, 万元


@dataclass
class Rectification:
    """整改: whether the project must be corrected, what is asked and what came of it."""

    needed: bool | None = None
    advice: str = ""
    result: str = ""


@dataclass
class Period:
    """项目期 of a multi-year project, in years."""

    start: int | None = None
    end: int | None = None


# --- v3 (issue 25): the finance bureau's review -------------------------------------------
# The tiers of 目标审核 and their consequence (财预〔2018〕88号-style review guidance).
REVIEW_GRADES = {"优": "直接进入下一步预算安排流程", "良": "协商完善后进入下一步预算安排流程",
                 "中": "修改完善，按程序重新报送审核", "差": "不得进入下一步预算安排流程"}
# JSON value → the words the form prints.
REVIEW_STAGES = {"target": "绩效目标审核", "evaluation": "绩效自评复核"}


@dataclass
class Review:
    """财政部门审核意见: the bureau's verdict on the form, as `xlpkg review --apply` wrote it."""

    stage: str = ""      # target / evaluation
    grade: str = ""      # 优 / 良 / 中 / 差
    opinion: str = ""    # 审核意见
    date: str = ""       # ISO date


@dataclass
class Project:
    dept_code: str
    dept_name: str
    code: str                        # 项目编码
    name: str                        # 项目名称
    year: int
    budget: Decimal                  # 预算数 (年初预算数), 万元
    fund_source: str = ""            # 资金来源: 财政拨款 / 其他收入 ...
    uses_text: str = ""              # 项目资金主要用途, as written
    uses: list[FundUse] = field(default_factory=list)
    plan: list[Decimal] = field(default_factory=list)   # cumulative %, Q1..Q4
    goal: str = ""                   # 绩效目标
    indicators: list[Indicator] = field(default_factory=list)
    execution: Execution = field(default_factory=Execution)
    # v2: multi-year projects, monitoring snapshot, rectification, the 自评表's closing block
    period: Period | None = None
    medium_term_budget: Decimal | None = None   # 中期资金总额, 万元
    medium_term_goal: str = ""                  # 中期绩效目标
    monitoring: Monitoring = field(default_factory=Monitoring)
    rectification: Rectification = field(default_factory=Rectification)
    goal_actual: str = ""                       # 年度总体目标 实际完成情况
    conclusion: str = ""                        # 评价结论
    problems: str = ""                          # 存在问题
    improvements: str = ""                      # 改进措施
    project_lead: str = ""                      # 项目负责人
    finance_lead: str = ""                      # 财务负责人
    fill_date: str = ""                         # 填报日期, ISO date where it is one
    # --- v3 (issue 26): cost performance
    unit_cost_basis: str = ""                   # 单位成本核算依据: one 数量指标's 三级指标 name
    review: Review | None = None                # v3 (issue 25): 财政部门审核意见

    @property
    def effective_budget(self) -> Decimal:
        """全年预算数 where given, else the initial budget: the denominator of every rate."""
        return self.execution.year_budget if self.execution.year_budget is not None else self.budget


# --- JSON ------------------------------------------------------------------

_DECIMAL_FIELDS = {"amount", "weight", "budget", "year_budget", "year_spent", "spent",
                   "forecast_year_spent", "medium_term_budget", "rated_score",
                   "verified_score"}
_DECIMAL_LISTS = {"plan", "actual_cumulative"}


@lru_cache(maxsize=None)
def project_schema() -> dict:
    return json.loads(resources.files("xlpkg").joinpath("schemas/project.schema.json").read_text("utf-8"))


def _dec_str(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def encode_json_value(obj: Any) -> Any:
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if key in _DECIMAL_FIELDS:
                out[key] = _dec_str(value)
            elif key in _DECIMAL_LISTS:
                out[key] = [_dec_str(v) for v in value]
            else:
                out[key] = encode_json_value(value)
        return out
    if isinstance(obj, list):
        return [encode_json_value(v) for v in obj]
    return obj


# Fields added after the first published JSON: left out while at their default, so that
# documents written before them round-trip unchanged.
_OPTIONAL_DEFAULTS = {"rated_score": None, "deviation_reason": "",
                      # v3 (issue 24)
                      "basis_kind": "", "last_target": "", "last_actual": "", "history_value": "",
                      # v3 (issue 26)
                      "unit_cost_basis": "",
                      # v3 (issue 25)
                      "review": None, "review_opinion": "", "verified_score": None}


def _drop_defaults(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _drop_defaults(v) for k, v in obj.items()
                if not (k in _OPTIONAL_DEFAULTS and v == _OPTIONAL_DEFAULTS[k])}
    if isinstance(obj, list):
        return [_drop_defaults(v) for v in obj]
    return obj


def project_to_dict(project: Project, *, every_field: bool = False) -> dict:
    """The project as its JSON document. Fields added after the first release are left out at
    their defaults (documents round-trip unchanged) unless ``every_field``: `read --json`
    shows every field, so a reader never has to guess whether an empty one exists."""
    data = encode_json_value(asdict(project))
    data = data if every_field else _drop_defaults(data)
    for ind in data["indicators"]:
        ind["causes"] = {k: v for k, v in ind["causes"].items() if v}
    data["execution"]["funds"] = {k: v for k, v in data["execution"]["funds"].items()
                                  if any(x is not None for x in v.values())}
    return {"schema_version": SCHEMA_VERSION, **data}


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _build(cls, data: dict):
    names = {f.name for f in fields(cls)}
    kwargs = {}
    for key, value in data.items():
        if key not in names:
            continue
        if key in _DECIMAL_FIELDS:
            value = _dec(value)
        elif key in _DECIMAL_LISTS:
            value = [_dec(v) for v in value]
        kwargs[key] = value
    return cls(**kwargs)


class ProjectFormatError(ValueError):
    """A project JSON document that does not follow the schema."""


def _bad_text(text: str) -> str | None:
    """Why a text field cannot go into a cell, or None."""
    if len(text) > MAX_TEXT:
        return f"长度为{len(text)}个字符，超过 Excel 单元格上限{MAX_TEXT}个字符（不会被截断，请缩短）"
    for ch in text:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            return f"含有无效的 Unicode 代理字符 U+{code:04X}"
        if (code < 0x20 and ch not in "\t\n\r") or code in (0xFFFE, 0xFFFF):
            return f"含有不可见的控制字符 U+{code:04X}（Excel 无法保存）"
    return None


def _value_problems(data: Any, path: str = "") -> str | None:
    """What the schema cannot say: text Excel cannot hold, amounts beyond any budget."""
    if isinstance(data, dict):
        for key, value in data.items():
            problem = _value_problems(value, f"{path}/{key}" if path else str(key))
            if problem:
                return problem
    elif isinstance(data, list):
        for i, value in enumerate(data):
            problem = _value_problems(value, f"{path}/{i}")
            if problem:
                return problem
    elif isinstance(data, str):
        leaf = path.rsplit("/", 1)[-1]
        is_number = leaf in _DECIMAL_FIELDS or leaf.isdigit() and path.rsplit("/", 2)[-2] in _DECIMAL_LISTS
        if is_number and len(data) <= 40:
            try:
                if abs(Decimal(data)) >= MAX_AMOUNT:
                    return f"字段 {path} 的数值{data}超出合理范围（绝对值应小于{MAX_AMOUNT:f}）"
            except ArithmeticError:
                pass
        elif is_number:
            whole = data.strip().lstrip("+-").split(".")[0].lstrip("0")
            if len(whole) >= len(str(int(MAX_AMOUNT))):
                return f"字段 {path} 的数值有{len(data)}位，超出合理范围（绝对值应小于{MAX_AMOUNT:f}）"
            # "0.000…1" is no huge amount: say what is wrong with it (too many digits)
            return (f"字段 {path} 的数值有{len(data)}个字符，位数过多（最多40位）；"
                    "金额请以万元为单位，保留到小数点后几位即可")
        why = _bad_text(data)
        if why:
            return f"字段 {path or '(根)'} {why}"
    return None


def project_from_dict(data: dict, *, source: str = "") -> Project:
    if not isinstance(data, dict):
        raise ProjectFormatError(f"{source or '项目JSON'}：应为一个 JSON 对象（{{...}}），不是{type(data).__name__}")
    validator = jsonschema.Draft202012Validator(project_schema())
    try:
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    except RecursionError:
        raise ProjectFormatError(f"{source or '项目JSON'}：嵌套层次过深，不是项目表格式") from None
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(根)"
        message = first.message if len(first.message) <= 200 else first.message[:200] + "…"
        raise ProjectFormatError(f"{source or '项目JSON'}：字段 {where} 不符合格式要求：{message}")
    problem = _value_problems(data)
    if problem:
        raise ProjectFormatError(f"{source or '项目JSON'}：{problem}")
    body = dict(data)
    body["uses"] = [_build(FundUse, u) for u in data.get("uses", [])]
    body["indicators"] = [_indicator(i) for i in data.get("indicators", [])]
    execution = dict(data.get("execution", {}))
    execution["funds"] = {k: _build(FundRow, v) for k, v in execution.get("funds", {}).items()}
    body["execution"] = _build(Execution, execution)
    body["monitoring"] = _build(Monitoring, data.get("monitoring") or {})
    body["rectification"] = _build(Rectification, data.get("rectification") or {})
    body["period"] = _build(Period, data["period"]) if data.get("period") else None
    body["review"] = _build(Review, data["review"]) if data.get("review") else None
    return _build(Project, body)


def _indicator(data: dict) -> Indicator:
    ind = _build(Indicator, data)
    ind.causes = {k: v for k, v in (data.get("causes") or {}).items() if v}
    if not ind.causes and data.get("deviation_cause"):   # a v1 document
        ind.causes = causes_from_text(data["deviation_cause"])
    return ind


def project_to_json(project: Project) -> str:
    return json.dumps(project_to_dict(project), ensure_ascii=False, indent=2) + "\n"


def read_json_text(path: str | Path) -> str:
    """A JSON file's text: UTF-8 with or without BOM, or GBK/GB18030 as Chinese Windows saves
    it (a file that is valid in both is read as UTF-8). ProjectFormatError otherwise."""
    path = Path(path)
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ProjectFormatError(f"{path.name}：无法识别文件编码（应为 UTF-8 或 GBK），请另存为 UTF-8 后重试")


def load_project_json(path: str | Path) -> Project:
    path = Path(path)
    text = read_json_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProjectFormatError(f"{path.name}：不是有效的JSON（第{exc.lineno}行第{exc.colno}列）") from exc
    except RecursionError:
        raise ProjectFormatError(f"{path.name}：JSON 嵌套层次过深，不是项目表格式") from None
    return project_from_dict(data, source=path.name)


def review_fingerprint(project: Project) -> str:
    """SHA-256 of everything the department wrote, the review left out: a form re-filed after
    its review (another number, another indicator) no longer matches (rule review.stale)."""
    bare = replace(project, review=None,
                   indicators=[replace(i, review_opinion="", verified_score=None) for i in project.indicators])
    text = json.dumps(project_to_dict(bare), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
