"""Import a published performance-target document (the seed's shape) into projects and
department info.

The document: a department section (部门总体绩效目标及保障措施: 总体绩效目标, 分项绩效目标,
工作保障措施, 目标规划及保障措施), then per department a line "105002 部门名称" and one
项目支出绩效目标表 per project as a Word table. Tables are read by their labels, not by fixed
positions, so merged cells, a table split across pages, full-width punctuation and
"一级 only on the first row of a group" all read the same. Whatever cannot be read becomes an
``Issue`` naming the table and row; everything else is still imported.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..issues import ERROR, WARNING, Issue
from ..model import FundUse, Indicator, Project
from ..rules import Rules, load_rules
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph as _ParagraphType

from .package import DocumentError, open_docx
from .tables import PAD, GridCell, TableTooWide, block_items, distinct, grid
from .text import clean, decimal_of, key, nfkc, split_names, strip
from ..consolidate import load_dept_info
from ..model import project_to_json
from ..system.safeio import atomic_write
from ..targets import from_official
from ..workbook.writer import CapacityError, fill_workbook

__all__ = ["ImportResult", "DocxImportError", "ImportOverwriteError", "import_document", "write_import",
           "DEPT_FIELDS", "MANIFEST"]

CODE_RE = re.compile(r"^[0-9A-Z]{6,30}$")
DEPT_HEADER_RE = re.compile(r"^(?:部门(?:编码|名称)?\s*[:：]?\s*)?(\d{6})[\s\u3000]*([^\d\s\u3000].{0,60})$")
NUMBERED_RE = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)]|\d+[、.．])\s*")
SUB_TITLE_RE = re.compile(r"^[（(]([一二三四五六七八九十]+)[）)]\s*(.+)$")
YEAR_RE = re.compile(r"(20\d\d)\s*年")
BOOKMARK_RE = re.compile(r"\[bookmark:[^\]]*\]")
DEPT_FIELDS = ("dept_code", "dept_name", "year", "overall_goal", "sub_goals", "guarantees", "planning")

# Labels of the form, as ``text.key`` leaves them.
L_CODE, L_NAME, L_USES, L_PLAN, L_GOAL, L_BUDGET = "项目编码", "项目名称", "uses", "plan", "goal", "budget"
L_FUND, L_DEPT, L_OTHER = "fund", "dept", "other"
# Labels of other provinces' forms: not imported, but they end the value of the label before.
OTHER_LABELS = {"实施单位", "项目负责人", "联系电话", "项目属性", "项目类型", "项目期限", "实施期限",
                "项目起止时间", "联系人", "其中财政拨款", "其他资金", "上年结转", "备注"}
INDICATOR_COLUMNS = {
    "一级指标": "level1", "二级指标": "level2", "三级指标": "name",
    "绩效指标描述": "description", "指标描述": "description", "指标解释": "description",
    "指标值": "target", "年度指标值": "target", "目标值": "target",
    "指标值确定依据": "basis", "确定依据": "basis", "指标值设定依据": "basis",
    "指标性质": "op", "度量单位": "unit", "计量单位": "unit",
}


def _label(text: str) -> str | None:
    k = key(text)
    if not k or len(k) > 20:
        return None
    if k == "项目编码":
        return L_CODE
    if k == "项目名称":
        return L_NAME
    if k in ("项目资金主要用途", "资金主要用途", "项目资金用途", "主要用途"):
        return L_USES
    if k.startswith("资金支出计划") or k.startswith("支出计划"):
        return L_PLAN
    if k in ("绩效目标", "年度绩效目标", "项目绩效目标", "年度目标"):
        return L_GOAL
    if k.startswith("预算数") or k in ("年度资金总额", "项目预算"):
        return L_BUDGET
    if k == "资金来源":
        return L_FUND
    if k in ("主管部门", "部门", "预算部门", "主管部门及代码"):
        return L_DEPT
    if k in OTHER_LABELS:
        return L_OTHER
    return None


INLINE_LABELS = (L_CODE, L_NAME, L_GOAL, L_FUND, L_DEPT)


def _inline(text: str) -> tuple[str | None, str]:
    """"项目编码：105002B16DX0003" in one cell: (label, value); else (None, "")."""
    m = re.match(r"^([^:：\n]{2,20})[:：]\s*(\S.*)$", text, re.S)
    if m:
        label = _label(m.group(1))
        if label in INLINE_LABELS:
            return label, strip(m.group(2))
    return None, ""


def _label_of(text: str) -> str | None:
    return _label(text) or _inline(text)[0]


class DocxImportError(ValueError):
    """The file cannot be opened as a Word document (Chinese message)."""


@dataclass
class ImportResult:
    projects: list[Project] = field(default_factory=list)
    departments: list[dict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    year: int | None = None


@dataclass
class _Row:
    table: int                  # 1-based number of the Word table in the document
    row: int                    # 1-based row within that table
    cells: list[GridCell]


@dataclass
class _Form:
    dept_code: str
    dept_name: str
    first_table: int
    rows: list[_Row] = field(default_factory=list)


# --- the department section ---------------------------------------------------

class _DeptSection:
    """Reads 部门总体绩效目标及保障措施 paragraph by paragraph (headings decide the field)."""

    def __init__(self) -> None:
        self.mode: str | None = None
        self.overall: list[str] = []
        self.sub_goals: list[dict] = []
        self.guarantees: list[str] = []
        self.planning: list[str] = []
        self.started = False
        self.dept_code = ""
        self.dept_name = ""
        self.last = "title"        # the sub-goal field a run-on paragraph continues

    def heading(self, text: str) -> str | None:
        k = key(NUMBERED_RE.sub("", nfkc(text)))
        if len(k) > 16:
            return None
        if "部门总体绩效目标及保障措施" in k or k in ("部门总体绩效目标", "部门整体绩效目标"):
            return "title"
        if k in ("总体绩效目标", "年度总体绩效目标", "总体目标"):
            return "overall"
        if k in ("分项绩效目标", "分项目标"):
            return "sub"
        if "目标规划" in k:
            return "planning"
        if k in ("工作保障措施", "保障措施"):
            return "guarantees"
        return None

    def feed(self, text: str) -> None:
        heading = self.heading(text)
        if heading:
            self.started = True
            if heading != "title":
                self.mode = heading
            return
        if not self.started or not self.mode:
            return
        for line in text.split("\n"):
            self._line(strip(line))

    def _line(self, line: str) -> None:
        if not line:
            return
        if self.mode == "overall":
            self.overall.append(line)
        elif self.mode == "guarantees":
            self.guarantees.append(line)
        elif self.mode == "planning":
            self.planning.append(line)
        elif self.mode == "sub":
            k = nfkc(line)
            m = SUB_TITLE_RE.match(k)
            for prefix, name in (("绩效目标", "goal"), ("绩效指标", "indicators")):
                if key(k).startswith(prefix) and re.match(rf"^{prefix}\s*[:：]", k.replace("\u3000", "")):
                    value = strip(re.split(r"[:：]", line, 1)[1])
                    if not self.sub_goals:
                        self.sub_goals.append({"title": "", "goal": "", "indicators": []})
                    if name == "goal":
                        self.sub_goals[-1]["goal"] = value
                    else:
                        self.sub_goals[-1]["indicators"] = split_names(value)
                    self.last = name
                    return
            if m:
                title = strip(re.sub(r"^[（(][一二三四五六七八九十]+[）)]", "", line))
                self.sub_goals.append({"title": title, "goal": "", "indicators": []})
                self.last = "title"
            elif self.sub_goals:
                # a title, goal or list of names that runs on into the next paragraph
                if self.last == "indicators":
                    self.sub_goals[-1]["indicators"] += split_names(line)
                else:
                    self.sub_goals[-1][self.last] += line

    @property
    def has_content(self) -> bool:
        return bool(self.overall or self.sub_goals or self.guarantees or self.planning)


# --- reading the whole document ------------------------------------------------

def _open(path: str | Path):
    try:
        return open_docx(path)
    except DocumentError as exc:
        raise DocxImportError(str(exc)) from None


def _looks_like_form_part(rows: list[list[GridCell]], level_names: set[str]) -> bool:
    for row in rows:
        cells = [c for c in distinct(row) if c.text]
        if not cells:
            continue
        if any(_label_of(c.text) in (L_USES, L_PLAN, L_GOAL) or key(c.text) in INDICATOR_COLUMNS
               for c in cells):
            return True
        if key(cells[0].text) in level_names:
            return True
    return False


def import_document(path: str | Path, *, year: int | None = None,
                    rules: Rules | None = None) -> ImportResult:
    """Read ``path`` (.docx). Raises ``DocxImportError`` only when the file is not a document."""
    rules = rules or load_rules()
    doc = _open(path)
    name = Path(path).name
    result = ImportResult()
    structure = rules.structure["level1"]
    level_names = set(structure) | {l2 for v in structure.values() for l2 in v["level2"]}

    sections: list[_DeptSection] = []
    section = _DeptSection()
    forms: list[_Form] = []
    form: _Form | None = None
    dept_code = dept_name = ""
    table_no = 0
    all_text: list[str] = []

    for block in block_items(doc):
        if isinstance(block, _ParagraphType):
            # "[bookmark: _Toc…]" is how text exports show a bookmark; some renderings keep it
            text = clean(BOOKMARK_RE.sub("", block.text))
            if not text:
                continue
            all_text.append(text)
            header = DEPT_HEADER_RE.match(nfkc(text).strip())
            if header and not section.heading(text):
                dept_code = header.group(1)
                dept_name = strip(re.sub(r"^.*?[0-9０-９]{6}", "", text))
                form = None
                section.mode = None        # the section's last list ends where the forms begin
                if section.has_content and not section.dept_code:
                    section.dept_code, section.dept_name = dept_code, dept_name
                continue
            if section.heading(text) == "title" and section.has_content:
                sections.append(section)
                section = _DeptSection()
            form = None if section.heading(text) else form
            section.feed(text)
            continue
        table_no += 1
        section.mode = None
        try:
            rows = grid(block)
        except TableTooWide as exc:
            result.issues.append(Issue("import.table_damaged", ERROR, f"第{table_no}个表格{exc}",
                                       location=f"表格{table_no}第{exc.row}行", file=name))
            form = None
            continue
        for row in rows:
            all_text.extend(c.text for c in distinct(row) if c.text)
        # every 项目编码 row starts a form: one table may hold several forms, and the rows
        # before the first one may continue the form open from the previous table
        starts = [i for i, r in enumerate(rows) if any(_label_of(c.text) == L_CODE for c in distinct(r))]
        head = rows[:starts[0]] if starts else rows
        if head and form is not None and _looks_like_form_part(head, level_names):
            form.rows.extend(_Row(table_no, i + 1, r) for i, r in enumerate(head))
        elif any(c.text for row in head for c in row):
            result.issues.append(Issue(
                "import.not_a_form", WARNING,
                f"第{table_no}个表格" + (f"前{len(head)}行" if starts else "") +
                "不是项目支出绩效目标表（没有“项目编码”），已跳过",
                location=f"表格{table_no}", file=name))
        for n, start in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(rows)
            form = _Form(dept_code, dept_name, table_no)
            forms.append(form)
            form.rows.extend(_Row(table_no, i + 1, rows[i]) for i in range(start, end))
    if section.has_content:
        sections.append(section)
    chunks = sum(1 for _ in doc.element.body.iter(qn("w:altChunk")))
    if chunks:
        # Pasted HTML/RTF/another document kept as a separate part: Word shows it, python-docx
        # cannot read it; Word merges it into the body when the document is saved again.
        result.issues.append(Issue(
            "import.alt_chunk", WARNING,
            f"文档中有{chunks}处嵌入的外部内容（altChunk，如粘贴进来的网页、RTF 或另一个文档），其内容未读取；"
            "如其中有项目表或部门目标，请在 Word 中打开后另存为 .docx（Word 会把它转为正文）再导入",
            file=name))

    result.year = year or _guess_year(doc, all_text, result.issues, name)
    seen: dict[str, int] = {}
    for f in forms:
        project = _read_form(f, result.year, result.issues, name)
        if project is None:
            continue
        if project.code in seen:
            result.issues.append(Issue(
                "import.duplicate_code", ERROR,
                f"项目编码{project.code}在表格{seen[project.code]}和表格{f.first_table}中重复出现，只导入前者",
                location=f"表格{f.first_table}", file=name))
            continue
        seen[project.code] = f.first_table
        result.projects.append(project)
    for s in sections:
        info = _department(s, result, name)
        if info is not None:
            result.departments.append(info)
    return result


def _guess_year(doc, texts: list[str], issues: list[Issue], name: str) -> int | None:
    """The year the document is for: "2023年度…" in the title, else the year it names most."""
    props = doc.core_properties
    stated = [clean(props.title or ""), clean(props.subject or "")]   # xlpkg publish writes the year here
    for text in [*stated, *texts[:5]]:
        m = re.search(r"(20\d\d)\s*年度", nfkc(text))
        if m:
            return int(m.group(1))
    counts = Counter(int(y) for t in texts for y in YEAR_RE.findall(nfkc(t)))
    if counts:
        best = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
        return best
    issues.append(Issue("import.year_missing", ERROR,
                        "文档中找不到年度（如“2022年”），请用 --year 指定", file=name))
    return None


# --- one project form ---------------------------------------------------------

def _read_form(form: _Form, year: int | None, issues: list[Issue], name: str) -> Project | None:
    found: dict[str, str] = {}
    plan: list[Decimal] = []
    indicators: list[Indicator] = []
    problems: list[tuple] = []   # (rule, severity, message, row): located once the code is known
    columns: dict[str, int] | None = None
    expect_plan: _Row | None = None
    level1 = level2 = ""
    header_width = 0

    def issue(rule, severity, message, row):
        problems.append((rule, severity, message, row))

    for row in form.rows:
        cells = distinct(row.cells)
        texts = [c.text for c in cells]
        keys = [key(t) for t in texts]
        # the indicator table's header (again at the top of a continued table)
        if sum(k in INDICATOR_COLUMNS for k in keys) >= 3:
            columns = {}
            for c in cells:
                field_name = INDICATOR_COLUMNS.get(key(c.text))
                if field_name and field_name not in columns:
                    columns[field_name] = c.column
            header_width = len(row.cells)
            expect_plan = None
            continue
        if expect_plan is not None:
            numbers = [decimal_of(t) for t in texts if t and _label(t) != L_PLAN]
            if len(numbers) == 4 and None not in numbers:
                plan = numbers
            else:
                issue("import.plan_unreadable", ERROR,
                      "资金支出计划（累计进度%）应为四个季度的数字，读到：" + "、".join(t for t in texts if t)
                      , row)
            expect_plan = None
            continue
        labels = [_label_of(t) for t in texts]
        if columns is None or any(labels):
            if any(labels):
                _read_labels(cells, labels, found)
                if L_PLAN in labels:
                    expect_plan = row
                continue
        if columns is None:
            if any(texts):
                issue("import.row_unknown", WARNING, "无法识别的行，已跳过：" + "｜".join(t for t in texts if t), row)
            continue
        # an indicator row
        if len(row.cells) != header_width and len(cells) != len(columns):
            issue("import.columns_mismatch", ERROR,
                  "此行的列数与指标表表头不一致，无法确定各列含义，已跳过", row)
            continue
        value = _indicator_values(row.cells, columns, len(row.cells) == header_width, cells)
        for level in ("level1", "level2"):
            if key(value.get(level, "")) in INDICATOR_COLUMNS:
                value[level] = ""      # a header cell merged down over a continued table
        if value.get("level1"):
            if value["level1"] != level1:
                level2 = ""
            level1 = value["level1"]
        if value.get("level2"):
            level2 = value["level2"]
        if not value.get("name"):
            rest = [value.get(k) for k in ("description", "target", "basis")]
            if any(rest):
                issue("import.indicator_no_name", ERROR,
                      "指标行缺少三级指标名称，已跳过：" + "｜".join(v for v in rest if v), row)
            continue
        if not level1:
            issue("import.indicator_no_level1", ERROR, f"指标“{value['name']}”前没有一级指标", row)
        target = value.get("target", "")
        if "op" in columns or "unit" in columns:
            target = _official_target(value, target)
        if not target:
            issue("import.indicator_no_target", WARNING, f"指标“{value['name']}”没有指标值", row)
        indicators.append(Indicator(level1=level1, level2=level2, name=value["name"], target=target,
                                    description=value.get("description", ""),
                                    basis=value.get("basis", "")))

    code = nfkc(found.get(L_CODE, "")).replace(" ", "").upper()
    of = f"（项目{code}）" if code else ""
    label = f"表格{form.first_table}{of}"
    issues.extend(Issue(rule, severity, message, file=name, location=f"表格{row.table}{of}第{row.row}行")
                  for rule, severity, message, row in problems)
    if not CODE_RE.match(code):
        issues.append(Issue("import.code_missing", ERROR,
                            f"项目编码“{found.get(L_CODE, '')}”无法识别，此项目未导入", location=label, file=name))
        return None
    uses_text = found.get(L_USES, "")
    budget = _budget(found.get(L_BUDGET, ""), uses_text)
    if budget is None:
        issues.append(Issue("import.budget_missing", ERROR,
                            "找不到预算数（应在“项目资金主要用途”中写明“预算数：X万元”，或单列预算数），此项目未导入",
                            location=label, file=name))
        return None
    if year is None:
        return None
    if not form.dept_code and found.get(L_DEPT):
        m = re.match(r"^\s*(\d{6})\s*(.*)$", nfkc(found[L_DEPT]))
        if m:
            form.dept_code, form.dept_name = m.group(1), strip(m.group(2))
    if not form.dept_code:
        issues.append(Issue("import.dept_missing", WARNING,
                            "表格前没有“部门编码 部门名称”一行，部门留空", location=label, file=name))
    if not indicators:
        issues.append(Issue("import.no_indicators", WARNING, "未读到任何绩效指标", location=label, file=name))
    project = Project(dept_code=form.dept_code, dept_name=form.dept_name, code=code,
                      name=found.get(L_NAME, ""), year=year, budget=budget,
                      fund_source=found.get(L_FUND) or _fund_source(uses_text), uses_text=uses_text,
                      uses=_uses(uses_text) or _single_use(uses_text, budget), plan=plan,
                      goal=found.get(L_GOAL, ""),
                      indicators=indicators)
    medium = MEDIUM_RE.search(nfkc(uses_text))
    if medium and hasattr(project, "medium_term_budget"):   # the v2 model's 中期资金总额
        project.medium_term_budget = Decimal(medium.group(1))
    return project


def _read_labels(cells: list[GridCell], labels: list[str | None], found: dict[str, str]) -> None:
    """Label cells give the value of the next cells up to the next label."""
    for i, (cell, label) in enumerate(zip(cells, labels)):
        if not label or label in (L_PLAN, L_OTHER):
            continue
        inline_label, inline_value = _inline(cell.text)
        if inline_label == label and not _label(cell.text):
            found.setdefault(label, inline_value)
            continue
        values = []
        for other, other_label in zip(cells[i + 1:], labels[i + 1:]):
            if other_label:
                break
            if other.text:
                values.append(other.text)
        if values and label not in found:
            found[label] = "\n".join(values)


def _indicator_values(row: list[GridCell], columns: dict[str, int], aligned: bool,
                      cells: list[GridCell]) -> dict[str, str]:
    short = len(row) - len(_rstrip_padding(row))
    if aligned and short:
        # A row with fewer cells than the grid left out its leading (merged) cells: its cells
        # are the last columns.
        real = [c for c in cells if c.ident >= 0]
        order = sorted(columns, key=columns.get)
        keep = order[len(order) - len(real):] if len(real) <= len(order) else order
        out = {name: "" for name in order}
        out.update({name: c.text for name, c in zip(keep, real)})
        return out
    if aligned:
        out, used = {}, set()
        for name, col in columns.items():
            cell = row[col] if col < len(row) else None
            # a cell merged across two columns gives its text to the first one only
            if cell is None or cell.ident < 0 or cell.ident in used:
                out[name] = ""
                continue
            used.add(cell.ident)
            out[name] = cell.text
        return out
    order = sorted(columns, key=columns.get)
    return {name: c.text for name, c in zip(order, cells)}


def _official_target(value: dict[str, str], target: str) -> str:
    """Newer forms split 指标值 into 指标性质/指标值/度量单位; the model keeps one text."""
    op, unit = value.get("op", ""), value.get("unit", "")
    if not (op or unit):
        return target
    try:
        return from_official(op, target, unit).text
    except Exception:
        return f"{op}{target}{unit}"


MEDIUM_RE = re.compile(r"(?:项目总预算|中期资金总额|项目总投资)\s*(?:为|是)?\s*[:：]?\s*(\d+(?:\.\d+)?)\s*万元")
def _rstrip_padding(row: list[GridCell]) -> list[GridCell]:
    """The row without the empty positions ``grid`` added after its last real cell."""
    end = len(row)
    while end and row[end - 1] is PAD:
        end -= 1
    return row[:end]


BUDGET_RE = re.compile(r"预算(?:数|资金|金额)?\s*(?:为|是)?\s*[:：]?\s*(\d[\d,]*(?:\.\d+)?)\s*万元")


def _budget(cell: str, uses_text: str) -> Decimal | None:
    direct = decimal_of(re.sub(r"万元$", "", strip(nfkc(cell))))
    if direct is not None:
        return direct
    m = BUDGET_RE.search(nfkc(uses_text))
    if m:
        return Decimal(m.group(1).replace(",", ""))
    return None


def _fund_source(uses_text: str) -> str:
    text = nfkc(uses_text)
    m = re.search(r"全部为\s*([^，,。．.；;\s\d]{2,8})", text) or \
        re.search(r"其中\s*([^，,。．.；;\s\d]{2,8}?)\s*\d", text) or \
        re.search(r"资金来源\s*[:：为]?\s*([^，,。．.；;\s\d]{2,8})", text)
    return m.group(1) if m else ""


def _single_use(uses_text: str, budget: Decimal) -> list[FundUse]:
    """"……主要用于廉政宣教中心建设。" with no breakdown: one use carrying the whole budget."""
    m = re.search(r"(?:主要|全部|专项)?用于([^。．.；;，,\n]{2,40})(?:[。．.；;\n]|$)", uses_text)
    return [FundUse(item=strip(m.group(1)), amount=budget)] if m else []


USE_LINE_RE = re.compile(r"^\s*\d+\s*[.．、]\s*([^：:]{1,40})[：:](.*)$")


def _uses(uses_text: str) -> list[FundUse]:
    """Numbered lines "1.差旅费：……共计900万元" as fund uses; the amount after 合计/共计, else
    the line's last amount. Lines without an amount make the breakdown unreliable: none."""
    out = []
    for line in nfkc(uses_text).split("\n"):
        m = USE_LINE_RE.match(line)
        if not m:
            continue
        rest = m.group(2)
        totals = re.findall(r"(?:合计|共计|小计|总计)\s*约?\s*(\d+(?:\.\d+)?)\s*万", rest)
        amounts = totals or re.findall(r"(\d+(?:\.\d+)?)\s*万元", rest)
        if not amounts:
            return []
        out.append(FundUse(item=strip(m.group(1)), amount=Decimal(amounts[-1])))
    return out


# --- the department info ------------------------------------------------------

def _department(section: _DeptSection, result: ImportResult, name: str) -> dict | None:
    code = section.dept_code
    if not code:
        result.issues.append(Issue("import.dept_section_orphan", WARNING,
                                   "部门总体绩效目标之后没有“部门编码 部门名称”一行，无法确定所属部门，未导出部门信息",
                                   file=name))
        return None
    projects = [p for p in result.projects if p.dept_code == code]
    taken: set[str] = set()
    sub_goals = []
    for i, sub in enumerate(section.sub_goals, 1):
        entry = {"title": sub["title"]}
        match = _match_project(sub, projects, taken)
        if match:
            entry["project_code"] = match
            taken.add(match)
        else:
            result.issues.append(Issue("import.sub_goal_unmatched", WARNING,
                                       f"分项绩效目标（{i}）“{sub['title']}”无法对应到项目表", file=name,
                                       location=f"分项绩效目标第{i}项"))
        entry["goal"] = sub["goal"]
        entry["indicators"] = sub["indicators"]
        sub_goals.append(entry)
    info = {"dept_code": code, "dept_name": section.dept_name}
    if result.year is not None:
        info["year"] = result.year
    info.update(overall_goal="\n".join(section.overall), sub_goals=sub_goals,
                guarantees=section.guarantees, planning=section.planning)
    return info


def _match_project(sub: dict, projects: list[Project], taken: set[str]) -> str | None:
    """The project whose indicator names a sub-goal lists most (the printed names may differ
    slightly from the forms', so count shared names, then shared characters)."""
    wanted = {key(n) for n in sub["indicators"]}
    best, best_score = None, (0, 0)
    for p in projects:
        if p.code in taken:
            continue
        names = {key(i.name) for i in p.indicators}
        shared = len(wanted & names)
        chars = len(set("".join(wanted)) & set("".join(names) + key(p.goal) + key(p.name)))
        score = (shared, chars)
        if score > best_score:
            best, best_score = p.code, score
    return best if best_score[0] > 0 else None


# --- writing what was read ----------------------------------------------------------

# no .json suffix: a glob for project JSON files (*.json) must not pick it up
MANIFEST = ".xlpkg-import"


class ImportOverwriteError(ValueError):
    """Files in the output folder that an import would replace but did not write (Chinese)."""

    def __init__(self, paths: list[Path]) -> None:
        shown = "、".join(str(p) for p in paths[:5]) + (f" 等{len(paths)}个文件" if len(paths) > 5 else "")
        super().__init__(f"{shown} 已存在，且不是 xlpkg 导入时写入的原样（可能已填写或修改过）；"
                         "未写入任何文件。确认要覆盖请加 --force，或换一个输出文件夹")
        self.paths = paths


def _digest(path: Path) -> str | None:
    import hashlib
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def _manifest(outdir: Path) -> dict[str, str]:
    """{relative path: sha256} of what the last import into ``outdir`` wrote."""
    import json
    try:
        data = json.loads((outdir / MANIFEST).read_text("utf-8"))
        return {str(k): str(v) for k, v in data.get("files", {}).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def _drop_unclosed_files(exc: BaseException, quiet: tuple[type, ...]) -> None:
    """openpyxl leaves its zip open when a write fails (disk full); closed at garbage
    collection it writes again and prints "Exception ignored in ZipFile.__del__ … OSError".
    Release it now, with that expected second failure kept quiet."""
    import gc
    import sys
    import traceback
    hook = sys.unraisablehook
    sys.unraisablehook = lambda u: None if isinstance(u.exc_value, quiet) else hook(u)
    try:
        traceback.clear_frames(exc.__traceback__)
        gc.collect()
    finally:
        sys.unraisablehook = hook


def write_import(result: ImportResult, outdir: str | Path, *, workbooks: bool = False,
                 rules: Rules | None = None, force: bool = False) -> list[Path]:
    """Project JSON files (``DIR/<项目编码>.json``), department info
    (``DIR/departments/<部门编码>.json``) and, with ``workbooks``, filled project workbooks
    (``DIR/<项目编码>.xlsx``).

    All or nothing: every file is first written to a temporary name; only when all are
    written are they renamed (a full disk leaves the folder as it was). A file already there
    is replaced only if it is what the last import wrote (its digest is in ``DIR/.xlpkg-import``)
    or with ``force``: a filled workbook or an edited JSON is never lost (``ImportOverwriteError``).
    A project the writer cannot take (too many rows) becomes an issue; the others are written."""
    import errno
    import json
    import os
    import tempfile

    from lxml import etree


    outdir = Path(outdir)
    jobs: list[tuple[Path, object]] = []        # (target, write(tmp_path))

    def text_job(path: Path, text: str):
        jobs.append((path, lambda tmp: Path(tmp).write_text(text, "utf-8")))

    for project in result.projects:
        text_job(outdir / f"{project.code}.json", project_to_json(project))
        if workbooks:
            jobs.append((outdir / f"{project.code}.xlsx",
                         lambda tmp, project=project: fill_workbook(project, tmp, rules=rules)))
    seen_depts: set[str] = set()
    for info in result.departments:
        if info["dept_code"] in seen_depts:
            result.issues.append(Issue("import.duplicate_dept", ERROR,
                                       f"部门{info['dept_code']}的部门总体绩效目标出现了不止一次，只导出第一处"))
            continue
        seen_depts.add(info["dept_code"])
        load_dept_info(info)           # what we write must be what consolidation accepts
        text_job(outdir / "departments" / f"{info['dept_code']}.json",
                 json.dumps(info, ensure_ascii=False, indent=2) + "\n")

    known = _manifest(outdir)
    if not force:
        foreign = [t for t, _ in jobs if t.exists() and
                   (t.is_symlink() or known.get(t.relative_to(outdir).as_posix()) != _digest(t))]
        if foreign:
            raise ImportOverwriteError(foreign)

    staged: list[tuple[Path, Path]] = []
    try:
        for target, write in jobs:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".~{target.stem[:40]}.", suffix=".tmp", dir=target.parent)
            os.close(fd)
            staged.append((Path(name), target))
            try:
                write(Path(name))
            except CapacityError as exc:
                result.issues.append(Issue("import.workbook_capacity", ERROR,
                                           f"项目{target.stem}未生成工作簿：{exc}"))
                Path(name).unlink(missing_ok=True)
                staged.pop()
        for tmp, _ in staged:
            with open(tmp, "rb+") as fh:       # on disk before any rename
                os.fsync(fh.fileno())
    except (OSError, etree.SerialisationError) as exc:
        _drop_unclosed_files(exc, (OSError, etree.SerialisationError))
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise
        # lxml reports a failed write as "IO_ENOSPC", "IO_EFBIG": the errno's name
        code = getattr(errno, str(exc).rpartition("IO_")[2].strip(), None)
        raise OSError(code, os.strerror(code) if code else str(exc)) from None
    umask = os.umask(0)
    os.umask(umask)
    for tmp, target in staged:
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
        known[target.relative_to(outdir).as_posix()] = _digest(target) or ""
    manifest = json.dumps({"note": "xlpkg import 写入的文件及其摘要：与此相同的文件可被再次导入覆盖", "files": known},
                          ensure_ascii=False, indent=1) + "\n"
    atomic_write(outdir / MANIFEST, lambda tmp: Path(tmp).write_text(manifest, "utf-8"))
    return [target for _, target in staged]
