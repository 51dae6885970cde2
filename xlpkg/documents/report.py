"""Draft 项目支出绩效自评报告 (.docx) from a filled project workbook, through a docxtpl template.

Every number comes from ``xlpkg.metrics`` formatted exactly as ``xlpkg score --json`` prints
it (``xlpkg.report.metrics_to_dict``), so the report and the score command cannot disagree.
The wording lives in the template (``templates/项目支出绩效自评报告.docx``, or ``--template``):
a province edits it in Word. Values are rendered with Jinja autoescape and rendered once: text
from a form can never become a tag, markup or a field code.
"""
from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

from ..metrics import project_metrics
from ..model import Project
from ..report import metrics_to_dict
from ..rules import Rules, load_rules
from ..system.safeio import atomic_write
from .chart import progress_chart_png
from .package import open_docx
from .report_templates import DEPARTMENT_TEMPLATE, PROJECT_TEMPLATE
from .department import department_report_context
from .template_sandbox import ReportEnvironment

__all__ = ["report_context", "render_project_report", "render_department_report", "report_filename",
           "department_report_filename", "clean_text", "name_part"]

QUARTER_LABELS = ["第一季度", "第二季度", "第三季度", "第四季度"]
# C0 controls other than tab and newline are not allowed in XML; docxtpl turns \a and \f in
# rendered text into paragraph and page breaks. Text from a form keeps words and line breaks only.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def clean_text(value) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
    return _CONTROL.sub("", text)


def _lines(value):
    """Multi-line text as line breaks in the document (docxtpl's Listing escapes it)."""
    from docxtpl import Listing
    return Listing(clean_text(value))


def _shown(value: str | None, default: str = "—") -> str:
    return default if value in (None, "") else value


def _unit_cost(uc, project: Project) -> dict | None:
    """单位成本 as the report states it: 4 decimals, the basis and its actual as typed."""
    if uc is None:
        return None
    actual = next((i.actual for i in project.indicators if i.name.strip() == uc.basis), "")
    return {"amount": format(uc.amount.quantize(Decimal("0.0001")), "f"), "unit": uc.unit,
            "basis": uc.basis, "quantity": clean_text(actual)}


def report_context(project: Project, rules: Rules | None = None) -> dict:
    """Everything the template may use; numbers as the strings ``xlpkg score --json`` prints."""
    rules = rules or load_rules()
    m = project_metrics(project, rules)
    data = metrics_to_dict(m)
    ev = data["self_evaluation"]
    rows, lost = [], []
    counts = {g: 0 for g in ("output", "benefit", "satisfaction", *rules.groups)}
    for ind, scored in zip(project.indicators, ev["indicators"]):
        group = scored["group"]
        if group in counts:
            counts[group] += 1
        row = {"level1": ind.level1, "level2": ind.level2, "name": ind.name, "target": ind.target,
               "actual": _shown(ind.actual), "applicable": scored["applicable"],
               "weight": scored["weight"] if scored["applicable"] else "不适用",
               "score": _shown(scored["score"]) if scored["applicable"] else "—",
               "analysis": _lines(ind.analysis) if ind.analysis.strip() else ""}
        rows.append(row)
        if scored["applicable"] and scored["score"] is not None:   # None: not self-evaluated yet
            missing = Decimal(scored["weight"]) - Decimal(scored["score"])
            if missing > 0:
                lost.append({**row, "lost": format(missing, "f")})
    exec_weight = rules.weight("execution")
    groups = [{"label": rules.group_label(g), "weight": v["weight"], "score": _shown(v["score"])}
              for g, v in ev["groups"].items() if Decimal(v["weight"]) > 0]
    available = Decimal(exec_weight) + sum(Decimal(g["weight"]) for g in groups)
    # a score not yet due (declaration only, no 全年执行数) counts 0 here, as in the sheet's total
    points = lambda v: Decimal(v) if v not in (None, "—") else Decimal(0)   # noqa: E731
    raw_total = points(ev["execution_score"]) + sum(points(g["score"]) for g in groups)
    rate = data["execution_rate_percent"]
    quarters = [{"label": QUARTER_LABELS[q["quarter"] - 1], "plan": _shown(q["plan_percent"]),
                 "actual": _shown(q["actual"]), "progress": _shown(q["progress_percent"]),
                 "variance": _shown(q["variance_points"])} for q in data["quarters"]]
    ctx = {
        "year": project.year, "dept_code": project.dept_code, "dept_name": project.dept_name,
        "code": project.code, "name": project.name, "fund_source": project.fund_source,
        "uses_text": _lines(project.uses_text), "goal": _lines(project.goal),
        "budget": format(project.budget, "f"), "year_budget": data["budget"],
        "spent": _shown(data["spent"]), "execution_rate": _shown(rate),
        "rate_low": rate is not None and Decimal(rate) < 90,
        "exec_weight": format(Decimal(exec_weight).quantize(Decimal("0.01")), "f"),
        "exec_score": _shown(ev["execution_score"]), "total": _shown(ev["total"]),
        "grade": _shown(ev["grade"]),
        "scale": format(Decimal(ev["scale"]).quantize(Decimal("0.0001")), "f"),
        "scaled": Decimal(ev["scale"]) != 1,
        "available": format(available, "f"), "raw_total": format(raw_total, "f"),
        "groups": groups, "counts": counts,
        "unit_cost": _unit_cost(m.unit_cost, project),
        "level_counts": "、".join(f"{rules.group_label(g)}{counts[g]}项" for g in rules.groups), "indicators": rows, "lost": lost, "quarters": quarters,
        # fields of the v2 form model where present; blank otherwise (the template says 待填写)
        **{name: _lines(getattr(project, name, "") or "") if getattr(project, name, "") else ""
           for name in ("goal_actual", "problems", "improvements", "conclusion")},
        **{name: clean_text(getattr(project, name, "") or "")
           for name in ("project_lead", "finance_lead", "fill_date")},
        "metrics": data,
        "illustrative": bool(project.execution.illustrative),
        **_v2_context(project),
    }
    return ctx


FUND_LABELS = {"fiscal": "财政拨款", "carryover": "上年结转", "other": "其他资金"}


def _money(value) -> str:
    return "—" if value is None else format(Decimal(value).quantize(Decimal("0.01")), "f")


def _v2_context(project: Project) -> dict:
    """Fields of the v2 form model (fund rows, monitoring snapshot, 整改, medium-term budget),
    read with defaults so that a v1 model renders too."""
    execution = project.execution
    funds = [{"label": FUND_LABELS.get(k, k), "budget": _money(getattr(r, "budget", None)),
              "year_budget": _money(getattr(r, "year_budget", None)),
              "spent": _money(getattr(r, "year_spent", None))}
             for k, r in (getattr(execution, "funds", None) or {}).items()]
    monitoring = getattr(project, "monitoring", None)
    rect = getattr(project, "rectification", None)
    medium = getattr(project, "medium_term_budget", None)
    return {
        "funds": funds,
        "monitoring_month": getattr(monitoring, "month", None) or "",
        "monitoring_spent": _money(getattr(monitoring, "spent", None)),
        "monitoring_forecast": _money(getattr(monitoring, "forecast_year_spent", None)),
        "rectification_advice": clean_text(getattr(rect, "advice", "") or ""),
        "rectification_result": clean_text(getattr(rect, "result", "") or ""),
        "medium_term_budget": "" if medium is None else format(medium, "f"),
    }


_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])$", re.I)


def name_part(text, max_bytes: int, *, dots: bool = True) -> str:
    """Form text as one piece of a file name: no separators or characters Windows refuses, no
    leading dot (hidden) or trailing dot/space (dropped by Windows), not a reserved device name,
    at most ``max_bytes`` in UTF-8 (file names are limited to 255 bytes). ``dots=False`` turns
    dots into "_" too (a code: "NUL.x_…" is the device NUL on Windows)."""
    text = _UNSAFE_NAME.sub("_", clean_text(text).replace("\n", " "))
    if not dots:
        text = text.replace(".", "_")
    text = text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")
    text = text.strip(" .").lstrip(".")
    if _RESERVED.match(text.split(".")[0]):
        text = "_" + text
    return text or "未命名"


def report_filename(project: Project) -> str:
    return (f"{name_part(project.code, 60, dots=False)}_{name_part(project.name, 120)}"
            "_项目支出绩效自评报告.docx")


def _sanitized(value):
    """Strings of a context without control characters; other values (Listing, images) as given."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: _sanitized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sanitized(v) for v in value]
    return value


def _render(template: Path, ctx: dict, path: str | Path, chart: bytes | None = None) -> Path:
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    tpl = DocxTemplate(str(template))
    # opened here, not by docxtpl: a FIFO, a damaged or macro-enabled file is a Chinese message
    tpl.docx = open_docx(template, allow_macros=False)
    ctx = _sanitized(ctx)
    if chart is not None:
        ctx["chart"] = InlineImage(tpl, io.BytesIO(chart), width=Mm(140))
    # A province's template is code of a sort: run it sandboxed and bounded, values escaped,
    # rendered once.
    env = ReportEnvironment(autoescape=True)
    tpl.render(ctx, jinja_env=env, autoescape=True)
    return atomic_write(path, lambda tmp: tpl.save(str(tmp)))


def render_project_report(project: Project, path: str | Path, *, rules: Rules | None = None,
                          template: str | Path | None = None) -> Path:
    ctx = report_context(project, rules)
    plan = [q["plan_percent"] for q in ctx["metrics"]["quarters"]]
    actual = [q["progress_percent"] for q in ctx["metrics"]["quarters"]]
    return _render(Path(template or PROJECT_TEMPLATE), ctx, path, progress_chart_png(plan, actual))


def department_report_filename(dept) -> str:
    return (f"{name_part(dept.dept_code, 60, dots=False)}_{name_part(dept.dept_name, 120)}"
            "_部门整体支出绩效自评报告.docx")


def render_department_report(dept, path: str | Path, *, rules: Rules | None = None,
                             template: str | Path | None = None) -> Path:
    """The 部门整体支出绩效自评报告 of a Department read from its workbook (xlpkg.department)."""
    ctx = department_report_context(dept, rules)
    ctx.pop("metrics")
    for name in ("problems",):
        ctx.setdefault(name, "")
    return _render(Path(template or DEPARTMENT_TEMPLATE), ctx, path)
