"""The publishable performance-target document (绩效目标公开), in the seed's shape and order.

Per department: the department section (部门总体绩效目标及保障措施) when its info is known, the line
"部门编码 部门名称", then one 项目支出绩效目标表 per project (by project code) as a real Word table:
the form's labels, fixed column widths, 一级指标 merged down its group, and every standard
二级指标 row shown (empty where the project has none), as the paper form prints it.
Every piece of text goes through python-docx runs, which escape it: nothing a form holds can
become a field code or markup.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import docx
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Cm, Pt, RGBColor

from ..model import Project
from ..rules import Rules, load_rules
from ..system.safeio import atomic_write
from .docx_import import BUDGET_RE
from .tables import (CJK_FONT, keep_row_together, keep_with_next, repeat_as_header, set_document_defaults,
                     set_run_font, set_style_font, set_widths, write_cell)
from .text import nfkc

__all__ = ["publish_document", "build_document", "new_document", "CN_NUMBERS"]

WIDTHS_CM = [2.1, 2.4, 3.0, 3.8, 2.2, 2.5]          # 一级 二级 三级 描述 指标值 依据: 16 cm
HEADER = ["一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据"]
QUARTERS = ["第一季度", "第二季度", "第三季度", "第四季度"]
CN_NUMBERS = "一二三四五六七八九十"
TABLE_PT = 9.5
BODY_PT = 12


def cn_number(n: int) -> str:
    if n <= 10:
        return CN_NUMBERS[n - 1]
    if n < 20:
        return "十" + CN_NUMBERS[n - 11]
    tens, ones = divmod(n, 10)
    return CN_NUMBERS[tens - 1] + "十" + (CN_NUMBERS[ones - 1] if ones else "")


def new_document(east_asia: str = CJK_FONT):
    """A blank A4 document whose styles draw Chinese in a CJK face."""
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.5)
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Table Grid"):
        try:
            style = document.styles[name]
        except KeyError:
            continue
        set_style_font(style, east_asia=east_asia)
    set_style_font(document.styles["Normal"], BODY_PT, east_asia)
    set_document_defaults(document, east_asia)
    return document


def _paragraph(document, text: str, *, size=BODY_PT, bold=False, align=None, indent=True,
               style=None):
    paragraph = document.add_paragraph(style=style)
    if align is not None:
        paragraph.alignment = align
    if indent and align is None:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    paragraph.paragraph_format.space_after = Pt(3)
    run = paragraph.add_run(text)
    set_run_font(run, size, bold)
    return paragraph


def _heading(document, text: str, level: int):
    """A real Word heading (outline level for the navigation pane and a TOC), in the CJK face."""
    paragraph = document.add_paragraph(style=f"Heading {level}")
    size = {1: 16, 2: 14, 3: 12}[level]
    if level == 1:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    set_run_font(run, size, True)
    run.font.color.rgb = RGBColor(0, 0, 0)   # the default template paints headings blue
    return paragraph


# --- department section ------------------------------------------------------------

def add_department_section(document, info: dict) -> None:
    _heading(document, "部门总体绩效目标及保障措施", 1)
    _heading(document, "一、部门总体绩效目标", 2)
    _heading(document, "一、总体绩效目标", 3)
    for line in (info.get("overall_goal") or "").split("\n"):
        if line.strip():
            _paragraph(document, line)
    _heading(document, "二、分项绩效目标", 3)
    for i, sub in enumerate(info.get("sub_goals", []), 1):
        _paragraph(document, f"（{cn_number(i)}）{sub['title']}", bold=True)
        _paragraph(document, f"绩效目标：{sub.get('goal', '')}")
        _paragraph(document, "绩效指标：" + "　".join(sub.get("indicators", [])))   # ideographic space
    if info.get("guarantees"):
        _heading(document, "三、工作保障措施", 3)
        for line in info["guarantees"]:
            _paragraph(document, line)
    if info.get("planning"):
        _heading(document, "二、目标规划及保障措施", 2)
        for line in info["planning"]:
            _paragraph(document, line)


# --- one project form ------------------------------------------------------------

def _skeleton(project: Project, rules: Rules) -> list[tuple[str, str, list]]:
    """(一级, 二级, indicators) in the paper form's order: every standard 二级 of the 一级 the
    form prints, the project's own extras after them."""
    structure = rules.structure["level1"]
    used1 = list(dict.fromkeys(i.level1 for i in project.indicators))
    benefit = "效益指标" if "效益指标" in used1 and "效果指标" not in used1 else "效果指标"
    order = ["产出指标"] + (["成本指标"] if "成本指标" in used1 else []) + [benefit, "满意度指标"]
    order += [l1 for l1 in used1 if l1 not in order]
    rows = []
    for level1 in order:
        level2s = list(structure.get(level1, {}).get("level2", []))
        level2s += [i.level2 for i in project.indicators if i.level1 == level1 and i.level2 not in level2s]
        for level2 in dict.fromkeys(level2s):
            members = [i for i in project.indicators if i.level1 == level1 and i.level2 == level2]
            rows.append((level1, level2, members))
    return rows


def _states_budget(project: Project) -> bool:
    m = BUDGET_RE.search(nfkc(project.uses_text))
    return bool(m) and Decimal(m.group(1).replace(",", "")) == project.budget


def _plan_text(value) -> str:
    return "" if value is None else format(Decimal(value).quantize(Decimal("0.01")), "f")


def add_project_table(document, project: Project, rules: Rules) -> None:
    skeleton = _skeleton(project, rules)
    ind_rows = sum(max(1, len(m)) for _, _, m in skeleton)
    extra_budget = not _states_budget(project)
    head = 5 + (1 if extra_budget else 0)
    # Two tables: the project's block, then the indicators under their header row, which
    # repeats on every page the indicators continue on (a repeated row must be a table's
    # first). An empty 1-pt paragraph keeps them two tables (Word joins adjacent tables); the
    # block, that paragraph, the header and the first indicator row keep together on one page.
    table = document.add_table(rows=head, cols=6)
    table.style = document.styles["Table Grid"]
    set_widths(table, WIDTHS_CM)
    center = WD_ALIGN_PARAGRAPH.CENTER

    def put(r, c0, c1, text, *, bold=False, align=None):
        cell = table.cell(r, c0)
        if c1 > c0:
            cell = cell.merge(table.cell(r, c1))
        write_cell(cell, text, size_pt=TABLE_PT, bold=bold, align=align)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        return cell

    r = 0
    put(r, 0, 0, "项目编码", bold=True, align=center)
    put(r, 1, 2, project.code, align=center)
    put(r, 3, 3, "项目名称", bold=True, align=center)
    put(r, 4, 5, project.name)
    r += 1
    put(r, 0, 0, "项目资金主要用途", bold=True, align=center)
    put(r, 1, 5, project.uses_text)
    r += 1
    if extra_budget:
        put(r, 0, 0, "预算数（万元）", bold=True, align=center)
        put(r, 1, 2, format(project.budget, "f"), align=center)
        put(r, 3, 3, "资金来源", bold=True, align=center)
        put(r, 4, 5, project.fund_source)
        r += 1
    label = table.cell(r, 0).merge(table.cell(r + 1, 0))
    write_cell(label, "资金支出计划(累计进度%)", size_pt=TABLE_PT, bold=True, align=center)
    label.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    plan = list(project.plan) + [None] * (4 - len(project.plan))
    for q, (c0, c1) in enumerate([(1, 1), (2, 2), (3, 3), (4, 5)]):
        put(r, c0, c1, QUARTERS[q], bold=True, align=center)
        put(r + 1, c0, c1, _plan_text(plan[q]), align=center)
    r += 2
    put(r, 0, 0, "绩效目标", bold=True, align=center)
    put(r, 1, 5, project.goal)
    for row in table.rows:
        keep_with_next(row)
    set_widths(table, WIDTHS_CM)
    gap = document.add_paragraph()
    gap.paragraph_format.keep_with_next = True
    gap.paragraph_format.space_after = gap.paragraph_format.space_before = Pt(0)
    set_run_font(gap.add_run(""), 1, False)
    gap.paragraph_format.line_spacing = Pt(1)
    table = document.add_table(rows=1 + ind_rows, cols=6)
    table.style = document.styles["Table Grid"]
    set_widths(table, WIDTHS_CM)
    r = 0
    for c, text in enumerate(HEADER):
        put(r, c, c, text, bold=True, align=center)
    keep_row_together(table.rows[r])
    repeat_as_header(table.rows[r])
    keep_with_next(table.rows[r])
    r += 1
    groups: dict[str, list[int]] = {}
    for level1, level2, members in skeleton:
        for ind in members or [None]:
            groups.setdefault(level1, []).append(r)
            put(r, 1, 1, level2, align=center)
            if ind is not None:
                put(r, 2, 2, ind.name)
                put(r, 3, 3, ind.description)
                put(r, 4, 4, ind.target, align=center)
                put(r, 5, 5, ind.basis)
            keep_row_together(table.rows[r])
            r += 1
    for level1, rows in groups.items():
        cell = table.cell(rows[0], 0)
        if len(rows) > 1:
            cell = cell.merge(table.cell(rows[-1], 0))
        write_cell(cell, level1, size_pt=TABLE_PT, bold=True, align=center)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    set_widths(table, WIDTHS_CM)


# --- the whole document ------------------------------------------------------------

def build_document(projects: list[Project], dept_infos: list[dict] | None = None, *,
                   rules: Rules | None = None, east_asia: str = CJK_FONT):
    """The python-docx Document: departments by code, projects by code within each."""
    rules = rules or load_rules()
    infos = {i["dept_code"]: i for i in (dept_infos or [])}
    by_dept: dict[str, list[Project]] = {}
    for p in sorted(projects, key=lambda p: (p.dept_code, p.code)):
        by_dept.setdefault(p.dept_code, []).append(p)
    for code in infos:
        by_dept.setdefault(code, [])
    document = new_document(east_asia)
    document.core_properties.title = "部门总体绩效目标及保障措施"
    years = sorted({p.year for p in projects})
    if years:
        document.core_properties.subject = f"{years[-1]}年度绩效目标"
    first = True
    for code in sorted(by_dept):
        members = by_dept[code]
        info = infos.get(code)
        if not first:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        first = False
        if info is not None:
            add_department_section(document, info)
        name = members[0].dept_name if members else (info or {}).get("dept_name", "")
        header = _paragraph(document, f"{code} {name}", bold=True, indent=False, size=14)
        header.paragraph_format.keep_with_next = True
        for i, project in enumerate(members):
            if i:   # the gap before a project keeps with it: no project starts on its gap alone
                document.add_paragraph().paragraph_format.keep_with_next = True
            add_project_table(document, project, rules)
    return document


def publish_document(projects: list[Project], path: str | Path, dept_infos: list[dict] | None = None,
                     *, rules: Rules | None = None, east_asia: str = CJK_FONT) -> Path:
    document = build_document(projects, dept_infos, rules=rules, east_asia=east_asia)
    return atomic_write(path, lambda tmp: document.save(str(tmp)))
