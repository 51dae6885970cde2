"""Workbooks above the project form: xlpkg's own summaries and department workbooks as inputs.

A finance bureau consolidates folders that hold project forms, department summaries made by
xlpkg (部门汇总.xlsx) and department workbooks (部门整体绩效表). This module recognises the last
two by their ``TemplateId`` defined name and turns them into what consolidation merges:

- A summary carries, in a very hidden sheet, each project's inputs as the project JSON of
  ``xlpkg.model`` (compressed). Reading a summary rebuilds every project from those inputs and
  recomputes its checks and metrics exactly as for a form: a summary row is trusted no more
  than a form, and its visible numbers are compared with the recomputation.
- A department workbook gives the department's self-evaluation (DeptTotalScore, DeptGrade,
  DeptExecRate) through the generic named-cell source, so this module does not depend on the
  department workbook's own code.

Runs in worker processes: no pandas, no workbook writing.
"""
from __future__ import annotations

import base64
import json
import math
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable

from ..issues import ERROR, WARNING, Issue
from .. import model as _model
from ..model import SCHEMA_VERSION, Project, ProjectFormatError, encode_json_value, project_from_dict

_drop_defaults = getattr(_model, "_drop_defaults", None)   # fields newer than the first JSON
from ..rules import Rules
from ..cellref import bounds, col_letter
from ..checks import check
from ..metrics import project_metrics
from ..sources import CalamineSource, SourceError

__all__ = ["SUMMARY_IDS", "SUMMARY_TEMPLATE_ID", "DEPARTMENT_ID_PREFIX", "DATA_SHEET",
           "DATA_NAME", "TABLE_NAME", "RECORD_CHUNK", "encode_record", "decode_record",
           "project_record", "carried_issues", "workbook_kind", "read_upper", "dept_evaluation"]

SUMMARY_TEMPLATE_ID = "xlpkg.department-summary"
SUMMARY_IDS = frozenset({SUMMARY_TEMPLATE_ID})
DEPARTMENT_ID_PREFIX = "xlpkg.department"   # the department workbook: "xlpkg.department-form"
DATA_SHEET = "_xlpkg_data"                  # very hidden: one row per project / department
DATA_NAME = "SummaryData"                   # the data sheet's used range
TABLE_NAME = "SummaryProjectTable"          # 项目汇总 with its header row
RECORD_CHUNK = 32000                        # a cell holds 32,767 characters
_PREFIX = "z1:"                             # zlib + base64 of compact JSON, version 1
# Reader issues that the project JSON cannot reproduce (a rejected amount leaves no trace in
# the model): they travel with the record; everything else is re-checked from the inputs.
_CARRIED_RULES = ("form.",)
_DEPT_YEAR_NAMES = ("DeptYear", "FiscalYear", "DeptFiscalYear", "Year")


# --- records ------------------------------------------------------------------------

def encode_record(data: dict) -> str:
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _PREFIX + base64.b64encode(zlib.compress(raw, 1)).decode("ascii")


def decode_record(text: str) -> dict:
    if not text.startswith(_PREFIX):
        raise ValueError("未知的数据格式")
    raw = zlib.decompressobj()
    # A hostile summary could hold a zip bomb in a cell: cap what one record may inflate to.
    body = raw.decompress(base64.b64decode(text[len(_PREFIX):], validate=True), 64 * 2**20)
    if raw.unconsumed_tail:
        raise ValueError("数据过大")
    data = json.loads(body.decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError("数据不是对象")
    return data


def carried_issues(issues: Iterable[Issue]) -> list[Issue]:
    return [i for i in issues if i.rule.startswith(_CARRIED_RULES)]


def _plain(obj: Any) -> Any:
    # dataclasses.asdict deep-copies every leaf: 5× slower, and this runs once per form.
    if hasattr(obj, "__dataclass_fields__"):
        return {k: _plain(v) for k, v in vars(obj).items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    if isinstance(obj, dict):   # e.g. execution.funds: {"fiscal": FundRow, ...}
        return {k: _plain(v) for k, v in obj.items()}
    return obj


def project_dict(project: Project) -> dict:
    """``model.project_to_dict`` without its deep copies (tests prove them equal)."""
    data = encode_json_value(_plain(project))
    return {"schema_version": SCHEMA_VERSION, **(_drop_defaults(data) if _drop_defaults else data)}


def project_record(project: Project, issues: Iterable[Issue] = ()) -> str:
    """What a summary keeps of one project so a later run can rebuild and recompute it."""
    return encode_record({
        "project": project_dict(project),
        "issues": [{"rule": i.rule, "severity": i.severity, "message": i.message,
                    "sheet": i.sheet, "cell": i.cell} for i in carried_issues(issues)],
    })


def project_from_record(data: Any) -> Project:
    """A project rebuilt from a summary's record through the model's own validating builder
    (the JSON Schema and value checks a project JSON file gets): a record is trusted no more
    than a form. About 1.6 ms of CPU a project (most of it the JSON Schema): a 5,000-project
    summary costs 8 s. (A hand-written shape check was 5× faster but fell behind every new model
    field; correctness first.)"""
    if not isinstance(data, dict):
        raise ValueError("项目数据不是对象")
    return project_from_dict(data, source="项目数据")


def chunks(text: str) -> list[str]:
    return [text[i:i + RECORD_CHUNK] for i in range(0, len(text), RECORD_CHUNK)] or [""]


# --- recognising a workbook -----------------------------------------------------------

def _scalar(source, name: str) -> Any:
    """The top-left cell behind a name: a name widened to a whole sheet costs one cell."""
    try:
        target = source.defined_names().get(name)
        if target is None:
            return None
        sheet, ref = target
        values = source.range_values(sheet, ref.split(":")[0])
    except Exception:   # noqa: BLE001 - a broken name is just "no such name"
        return None
    if not values or not values[0]:
        return None
    return values[0][0]


_BLOCK = 2000          # rows read at a time
_MAX_COLUMNS = 128     # 项目汇总 has about 40; a record rarely needs more than a few cells


def _sheet_rows(source, name: str) -> list[list]:
    """The rows behind a table name, read block by block up to the first empty block: a name
    widened to XFD1048576 (hostile or damaged) never makes a reader pad a million rows."""

    target = source.defined_names().get(name)
    if target is None:
        return []
    sheet, ref = target
    min_col, min_row, max_col, max_row = bounds(ref if ":" in ref else f"{ref}:{ref}")
    max_col = min(max_col, min_col + _MAX_COLUMNS - 1)
    first, last = col_letter(min_col), col_letter(max_col)
    rows: list[list] = []
    for start in range(min_row, max_row + 1, _BLOCK):
        end = min(max_row, start + _BLOCK - 1)
        block = source.range_values(sheet, f"{first}{start}:{last}{end}")
        filled = [r for r in block if any(v is not None for v in r)]
        if not filled:
            break
        rows.extend(block)
    while rows and not any(v is not None for v in rows[-1]):
        rows.pop()
    return rows


def _template_id(source) -> str | None:
    value = _scalar(source, "TemplateId")
    if isinstance(value, str) and value.strip():
        return value.strip()
    # Summaries written before the TemplateId name existed keep it in their _xlpkg sheet.
    try:
        if "_xlpkg" in source.sheet_names():
            row = source.range_values("_xlpkg", "A1:B1")[0]
            if row[0] == "template_id" and isinstance(row[1], str):
                return row[1].strip()
    except Exception:   # noqa: BLE001
        return None
    return None


def workbook_kind(template_id: str | None) -> str | None:
    """"summary", "department" or None (a project form or a foreign workbook)."""
    if not template_id:
        return None
    if template_id in SUMMARY_IDS:
        return "summary"
    if template_id.startswith(DEPARTMENT_ID_PREFIX):
        return "department"
    return None


# --- reading ----------------------------------------------------------------------------

@dataclass
class Upper:
    """What a summary or department workbook contributes (built into a FileOutcome)."""

    kind: str
    issues: list[Issue]
    projects: list[tuple[Project, str, list[Issue], Any]]   # project, source, issues, metrics
    dept_evals: list[dict]


def rule_issue(rules: Rules, rule_id: str, detail: str, **where: str) -> Issue:
    return rules.issue(rule_id, detail=detail).located(**where)


def _number(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = Decimal(format(value, ".15g"))
    return number if number.is_finite() else None


def _whole_year(value) -> int | None:
    """2022, 2022.0 or "2022" as 2022; anything else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, (int, float)) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def year_key(value) -> str:
    """A year as the tables are matched on: 2022, 2022.0 and "2022" alike."""
    whole = _whole_year(value)
    return str(whole) if whole is not None else str(value)


def checked_evaluation(data: Any, rules: Rules) -> tuple[dict | None, list[str]]:
    """A department self-evaluation carried in a summary, checked as one read from a department
    workbook is (score 0–100, a grade of the rulebook, a finite rate): (the clean evaluation
    or None, what was wrong, in Chinese)."""
    if not isinstance(data, dict):
        return None, ["部门自评数据不是对象"]
    code = data.get("部门编码")
    code = str(code).strip() if isinstance(code, (str, int)) and not isinstance(code, bool) else ""
    if not code or len(code) > 64:
        return None, ["部门自评数据没有有效的部门编码"]
    problems = []
    name = data.get("部门名称")
    name = name.strip()[:200] if isinstance(name, str) else ""
    fiscal = _whole_year(data.get("年度"))
    score = _number(data.get("部门自评得分"))
    if data.get("部门自评得分") is not None and (score is None or not Decimal(0) <= score <= Decimal(100)):
        problems.append(f"部门{code}的自评得分“{data.get('部门自评得分')}”不是0–100之间的数，未采用")
        score = None
    grades = {band["grade"] for band in rules.scoring["grades"]}
    grade = data.get("部门自评等级")
    grade = grade.strip() if isinstance(grade, str) and grade.strip() in grades else None
    if data.get("部门自评等级") not in (None, "") and grade is None:
        problems.append(f"部门{code}的自评等级“{str(data.get('部门自评等级'))[:20]}”不是规则中的等级，未采用")
    if score is not None and grade is None:
        grade = rules.grade(score)
    rate = _number(data.get("部门执行率"))
    if data.get("部门执行率") is not None and (rate is None or not Decimal(0) <= rate <= Decimal(100)):
        problems.append(f"部门{code}的执行率“{data.get('部门执行率')}”不是有效的比率，未采用")
        rate = None
    source = data.get("来源文件")
    return ({"部门编码": code, "部门名称": name, "年度": fiscal,
             "部门自评得分": float(score) if score is not None else None,
             "部门自评等级": grade if score is not None else None,
             "部门执行率": float(rate) if rate is not None else None,
             "来源文件": source if isinstance(source, str) else ""}, problems)


def dept_evaluation(source, path: str, rules: Rules, year: int | None) -> Upper:
    """The department's self-evaluation from a department workbook's defined names."""
    where = {"file": path}
    code = _scalar(source, "DeptCode")
    code = str(code).strip() if code is not None else ""
    name = _scalar(source, "DeptName")
    fiscal = next((v for v in (_scalar(source, n) for n in _DEPT_YEAR_NAMES) if v is not None), None)
    fiscal = int(fiscal) if isinstance(fiscal, (int, float)) and float(fiscal).is_integer() else None
    issues: list[Issue] = []
    if not code:
        issues.append(rule_issue(rules, "consolidate.department_form",
                             "部门整体绩效表未填写部门编码（DeptCode），其部门自评得分未计入汇总", **where))
        return Upper("department", issues, [], [])
    if year is not None and fiscal is not None and fiscal != year:
        issues.append(rule_issue(rules, "consolidate.other_year",
                             f"部门整体绩效表的年度为{fiscal}年，不是汇总年度{year}年，未计入汇总", **where))
        return Upper("department", issues, [], [])
    score = _number(_scalar(source, "DeptTotalScore"))
    grade = _scalar(source, "DeptGrade")
    rate = _number(_scalar(source, "DeptExecRate"))
    if score is None:
        issues.append(rule_issue(rules, "consolidate.department_form",
                             f"部门{code}的整体绩效表没有保存总分的计算结果（可能从未在 Excel/WPS 中打开保存），"
                             "部门自评得分暂缺；请打开该表保存后重新汇总", **where))
    elif not Decimal(0) <= score <= Decimal(100):
        issues.append(rule_issue(rules, "consolidate.department_form",
                             f"部门{code}的整体绩效表总分{score}不在0–100之间，未采用", **where))
        score = None
    grades = {band["grade"] for band in rules.scoring["grades"]}
    grade = grade.strip() if isinstance(grade, str) and grade.strip() in grades else None
    if score is not None and grade is None:
        grade = rules.grade(score)
    # Named in 问题清单 too, so every file is accounted for where people look for files.
    shown = f"自评得分{score}（{grade}）" if score is not None else "自评得分暂缺"
    issues.append(rule_issue(rules, "consolidate.department_form",
                         f"这是部门整体绩效表（部门{code}），不是项目表：{shown}列入“部门排名”；"
                         "如需按项目表重新生成部门表，请把它放在“--dept-forms”指定的文件夹中", **where))
    evaluation = {"部门编码": code, "部门名称": str(name).strip() if name else "",
                  "年度": fiscal, "部门自评得分": float(score) if score is not None else None,
                  "部门自评等级": grade if score is not None else None,
                  "部门执行率": float(rate) if rate is not None else None, "来源文件": path}
    return Upper("department", issues, [], [evaluation])


def _table(source) -> tuple[dict[str, int], dict[tuple[str, str], tuple[int, list]]]:
    """项目汇总 as the summary shows it: {(code, year): (sheet row, values)}."""
    grid = _sheet_rows(source, TABLE_NAME)
    if not grid:
        return {}, {}
    header = {str(h): i for i, h in enumerate(grid[0]) if h is not None}
    rows = {}
    for r, row in enumerate(grid[1:], start=2):
        code = row[header["项目编码"]] if "项目编码" in header else None
        year = row[header["年度"]] if "年度" in header else None
        if code is not None:
            # a year read back as 2022.0 is the year 2022 (no false "没有对应的原始数据")
            rows[(str(code).strip(), year_key(year))] = (r, row)
    return header, rows


_COMPARED = (("全年预算数（万元）", 0.005), ("全年执行数（万元）", 0.005), ("自评得分", 0.005),
             ("执行率", 1e-6), ("自评等级", None))


def _mismatch(header: dict[str, int], shown: list, row: dict[str, Any]) -> list[str]:
    out = []
    for column, tolerance in _COMPARED:
        if column not in header:
            continue
        have, want = shown[header[column]], row.get(column)
        if tolerance is None:
            same = (have or None) == (want or None)
        elif have is None or want is None:
            same = have is None and want is None
        else:
            same = isinstance(have, (int, float)) and abs(float(have) - want) <= tolerance
        if not same:
            out.append(f"{column}显示为{'空' if have is None else have}，重算为{'空' if want is None else want}")
    return out


def summary_projects(source, path: str, rules: Rules, year: int | None):
    """Every project a summary carries, rebuilt from its inputs (not from its shown numbers)."""

    where = {"file": path}
    if "SourceFolder" in source.defined_names():
        return Upper("summary", [rule_issue(
            rules, "consolidate.summary_input",
            "这是部门汇总表模板（“汇总”按钮所在的工作簿），不是项目表，未计入汇总", **where)], [], []), {}, {}
    if DATA_SHEET not in source.sheet_names():
        return Upper("summary", [rule_issue(
            rules, "consolidate.summary_input",
            "这是 xlpkg 生成的汇总表，但由旧版生成，不含各项目的原始数据，无法重算，未计入本次汇总；"
            "请用新版重新汇总该部门后再提交", **where)], [], []), {}, {}
    grid = _sheet_rows(source, DATA_NAME)
    header, shown_rows = _table(source)
    issues: list[Issue] = []
    projects: list[tuple[Project, str, list[Issue], Any]] = []
    evals: list[dict] = []
    bad, bad_evals, other_year = [], [], 0
    for r, row in enumerate(grid[1:], start=2):
        kind = row[0] if row else None
        if kind not in ("project", "department"):
            continue
        text = "".join(v for v in row[4:] if isinstance(v, str))
        source_file = str(row[3] or "")
        try:
            data = decode_record(text)
            if not isinstance(data.get("issues", []), list) or not all(
                    isinstance(d, dict) and all(isinstance(d.get(k, ""), str)
                                                for k in ("rule", "severity", "message"))
                    for d in data.get("issues", [])):
                raise ValueError("所附问题清单格式不对")
            if kind == "department":
                evaluation, problems = checked_evaluation(data.get("evaluation"), rules)
                bad_evals.extend(f"第{r}行：{p}" for p in problems)
                if evaluation is None:
                    continue
                if year is not None and evaluation["年度"] is not None and evaluation["年度"] != year:
                    other_year += 1
                    continue
                evals.append({**evaluation, "来源文件": evaluation["来源文件"] or path})
                continue
            project = project_from_record(data["project"])
        except RecursionError:
            bad.append(f"第{r}行（{str(row[1] or '无编码')[:40]}）：数据嵌套层次过深")
            continue
        except (ValueError, KeyError, TypeError, AttributeError, ProjectFormatError, zlib.error) as exc:
            bad.append(f"第{r}行（{str(row[1] or '无编码')[:40]}）：{str(exc)[:200]}")
            continue
        if year is not None and project.year != year:
            other_year += 1
            continue
        table_row = shown_rows.get((project.code.strip(), year_key(project.year)))
        label = f"项目{project.code}（汇总表中的来源文件：{source_file or '未记录'}）："
        located = {"file": path, "sheet": "项目汇总",
                   "cell": f"C{table_row[0]}" if table_row else ""}
        # a severity other than the two xlpkg writes ("fatal") is an error: never less
        carried = [Issue(rule=d.get("rule") or "form.value",
                         severity=d.get("severity") if d.get("severity") in (ERROR, WARNING) else ERROR,
                         message=label + str(d.get("message", "")), **located)
                   for d in data.get("issues", [])]
        try:
            metrics = project_metrics(project, rules)
            fresh = [i.located(message=label + i.message, **located)
                     for i in check(project, rules, evaluation=metrics.evaluation)]
        except (RecursionError, ArithmeticError, ValueError, TypeError) as exc:
            bad.append(f"第{r}行（{project.code[:40]}）：无法计算（{type(exc).__name__}）")
            continue
        projects.append((project, source_file, carried + fresh, metrics))
    if bad:
        issues.append(rule_issue(rules, "form.unreadable",
                             f"汇总表中有{len(bad)}条项目数据已损坏，无法重算，未计入：" + "；".join(bad[:5]),
                             sheet=DATA_SHEET, **where))
    if bad_evals:
        issues.append(rule_issue(rules, "consolidate.summary_mismatch",
                             f"汇总表中的部门自评数据有{len(bad_evals)}处不合理，未采用：" + "；".join(bad_evals[:5]),
                             sheet=DATA_SHEET, **where))
    if other_year:
        issues.append(rule_issue(rules, "consolidate.other_year",
                             f"汇总表中有{other_year}个项目或部门自评不是汇总年度{year}年，未计入汇总", **where))
    if header and shown_rows:
        carried_keys = {(p.code.strip(), year_key(p.year)) for p, *_ in projects}
        orphans = [code for (code, y) in shown_rows if (code, y) not in carried_keys
                   and (year is None or y == year_key(year))]
        if orphans and not bad:
            issues.append(rule_issue(rules, "consolidate.summary_mismatch",
                                 f"汇总表“项目汇总”中有{len(orphans)}行没有对应的原始数据（可能被手工添加），"
                                 "无法重算，未计入：" + "、".join(orphans[:10]), sheet="项目汇总", **where))
    return Upper("summary", issues, projects, evals), header, shown_rows


def read_upper(path: str, rules: Rules, year: int | None):
    """(kind, Upper, header, shown rows) for xlpkg's summaries and department workbooks;
    None for anything else (the caller reports it as it would any non-form)."""

    try:
        source = CalamineSource(path)
        kind = workbook_kind(_template_id(source))
    except (SourceError, OSError):
        return None
    except Exception:   # noqa: BLE001 - the caller already has this file's own issue
        return None
    try:
        if kind == "department":
            return dept_evaluation(source, path, rules, year), {}, {}
        if kind == "summary":
            return summary_projects(source, path, rules, year)
    except Exception as exc:   # noqa: BLE001 - known as xlpkg's: say so, not "not a form"
        what = "汇总表" if kind == "summary" else "部门整体绩效表"
        return Upper(kind, [rule_issue(rules, "form.unreadable",
                                       f"这是 xlpkg 生成的{what}，但读取时出现意外错误（{type(exc).__name__}），未计入汇总",
                                       file=path)], [], []), {}, {}
    return None


def compare_shown(header: dict[str, int], shown_rows: dict, project: Project, row: dict,
                  rules: Rules, path: str) -> Issue | None:
    """A warning when the summary's visible row differs from the recomputation."""
    found = shown_rows.get((project.code.strip(), year_key(project.year)))
    if not found or not header:
        return None
    problems = _mismatch(header, found[1], row)
    if not problems:
        return None
    return rule_issue(rules, "consolidate.summary_mismatch",
                  f"项目{project.code}：汇总表中显示的数值与按原始数据重算的结果不一致（"
                  + "；".join(problems) + "），已按重算结果计入；汇总表可能被手工修改过",
                  file=path, sheet="项目汇总", cell=f"A{found[0]}")
