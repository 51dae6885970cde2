"""Builds the shipped 自评报告 templates (``templates/*.docx``) with their Jinja tags.

The .docx files are the source a province edits (in Word: change any wording, keep the
``{{ … }}`` and ``{% … %}`` tags); this builder only regenerates the stock version
(``python -m xlpkg.documents.report_templates``). Tags sit in one run each, as docxtpl needs.
"""
from __future__ import annotations

from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from ..system.safeio import atomic_write
from .publish import new_document
from .tables import set_run_font, set_widths, write_cell

TEMPLATE_DIR = Path(__file__).with_name("templates")
PROJECT_TEMPLATE = TEMPLATE_DIR / "项目支出绩效自评报告.docx"
DEPARTMENT_TEMPLATE = TEMPLATE_DIR / "部门整体支出绩效自评报告.docx"

PLACEHOLDER = "（待填写）"


def _p(doc, text: str, *, size=12, bold=False, center=False, indent=True):
    paragraph = doc.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    set_run_font(paragraph.add_run(text), size, bold)
    return paragraph


def _h(doc, text: str, level: int):
    paragraph = doc.add_paragraph(style=f"Heading {level}")
    from docx.shared import RGBColor
    run = paragraph.add_run(text)
    set_run_font(run, {1: 18, 2: 14, 3: 12}[level], True)
    run.font.color.rgb = RGBColor(0, 0, 0)
    if level == 1:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return paragraph


def _loop_table(doc, header: list[str], cells: list[str], loop: str, widths: list[float],
                before: list[list[str]] = (), after: list[list[str]] = (), left: tuple = ()):
    rows = 1 + len(before) + 3 + len(after)
    table = doc.add_table(rows=rows, cols=len(header))
    table.style = doc.styles["Table Grid"]
    center = WD_ALIGN_PARAGRAPH.CENTER
    for c, text in enumerate(header):
        write_cell(table.cell(0, c), text, size_pt=10, bold=True, align=center)
    r = 1
    for fixed in before:
        for c, text in enumerate(fixed):
            write_cell(table.cell(r, c), text, size_pt=10, align=center)
        r += 1
    write_cell(table.cell(r, 0), "{%tr for " + loop + " %}", size_pt=10)
    for c, text in enumerate(cells):
        write_cell(table.cell(r + 1, c), text, size_pt=10, align=None if c in left else center)
    write_cell(table.cell(r + 2, 0), "{%tr endfor %}", size_pt=10)
    r += 3
    for fixed in after:
        for c, text in enumerate(fixed):
            write_cell(table.cell(r, c), text, size_pt=10, bold=True, align=center)
        r += 1
    set_widths(table, widths)
    return table


def build_project_template(path: str | Path = PROJECT_TEMPLATE) -> Path:
    doc = new_document()
    _h(doc, "{{ year }}年度项目支出绩效自评报告", 1)
    _p(doc, "项目名称：{{ name }}", size=14, center=True)
    _p(doc, "项目编码：{{ code }}", size=12, center=True)
    _p(doc, "主管部门：{{ dept_code }} {{ dept_name }}", size=12, center=True)
    _p(doc, "项目负责人：{{ project_lead or '__________' }}　　财务负责人：{{ finance_lead or '__________' }}"
            "　　填报日期：{{ fill_date or '____年__月__日' }}", size=10.5, center=True)

    _h(doc, "一、项目基本情况", 2)
    _h(doc, "（一）项目概况", 3)
    _p(doc, "{{ name }}（项目编码{{ code }}）由{{ dept_name }}实施，{{ year }}年年初预算数{{ budget }}万元"
            "{% if fund_source %}，资金来源为{{ fund_source }}{% endif %}。")
    _p(doc, "项目资金主要用途：{{ uses_text }}")
    _h(doc, "（二）项目资金情况", 3)
    _p(doc, "年初预算数{{ budget }}万元，全年预算数{{ year_budget }}万元，全年执行数{{ spent }}万元，"
            "预算执行率{{ execution_rate }}%。")
    doc.add_paragraph("{%p for f in funds %}")
    _p(doc, "其中{{ f.label }}：年初预算数{{ f.budget }}万元，全年预算数{{ f.year_budget }}万元，"
            "全年执行数{{ f.spent }}万元。")
    doc.add_paragraph("{%p endfor %}")
    _p(doc, "{% if medium_term_budget %}本项目为跨年度项目，中期资金总额{{ medium_term_budget }}万元。{% endif %}")
    _h(doc, "（三）项目绩效目标", 3)
    _p(doc, "{{ goal }}")
    _p(doc, "年度绩效指标共{{ indicators|length }}项，其中{{ level_counts }}。")

    _h(doc, "二、绩效目标实现情况", 2)
    _p(doc, "{{ goal_actual or '年度总体目标实际完成情况：" + PLACEHOLDER + "' }}")
    _loop_table(doc, ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"],
                ["{{ i.level1 }}", "{{ i.level2 }}", "{{ i.name }}", "{{ i.target }}", "{{ i.actual }}",
                 "{{ i.weight }}", "{{ i.score }}"], "i in indicators",
                [2.0, 2.2, 3.6, 2.3, 2.3, 1.6, 1.6],
                before=[["预算执行率", "", "", "100%", "{{ execution_rate }}%", "{{ exec_weight }}",
                         "{{ exec_score }}"]],
                after=[["合计", "", "", "", "", "{{ available }}", "{{ raw_total }}"]], left=(2,))
    _p(doc, "{% if scaled %}注：部分指标不适用，总分按满分100分折算（折算系数{{ scale }}），"
            "折算后总分{{ total }}分。{% endif %}", size=10.5)
    doc.add_paragraph("{%p if lost %}")
    _p(doc, "以下指标未得满分：")
    doc.add_paragraph("{%p for i in lost %}")
    _p(doc, "{{ loop.index }}.“{{ i.name }}”年度指标值为{{ i.target }}，实际完成值为{{ i.actual }}，"
            "得{{ i.score }}分（分值{{ i.weight }}分），扣{{ i.lost }}分。"
            "偏差原因分析：{{ i.analysis or '未填写偏差原因分析及改进措施。' }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p else %}")
    _p(doc, "各项绩效指标均得满分。")
    doc.add_paragraph("{%p endif %}")

    _h(doc, "三、预算执行情况", 2)
    _p(doc, "全年预算数{{ year_budget }}万元，全年执行数{{ spent }}万元，预算执行率{{ execution_rate }}%，"
            "得{{ exec_score }}分（分值{{ exec_weight }}分）。"
            "{% if rate_low %}预算执行率低于90%，需说明原因。{% endif %}")
    _p(doc, "{% if unit_cost %}单位成本：以数量指标“{{ unit_cost.basis }}”为核算依据，全年执行数{{ spent }}万元"
            "÷实际完成值{{ unit_cost.quantity }}，单位成本为{{ unit_cost.amount }}{{ unit_cost.unit }}。{% endif %}")
    _p(doc, "{% if monitoring_month %}绩效运行监控：截至{{ monitoring_month }}月执行数{{ monitoring_spent }}万元，"
            "全年预计执行数{{ monitoring_forecast }}万元。{% endif %}")
    _loop_table(doc, ["季度", "计划累计进度（%）", "实际累计支出（万元）", "实际累计进度（%）", "偏差（百分点）"],
                ["{{ q.label }}", "{{ q.plan }}", "{{ q.actual }}", "{{ q.progress }}", "{{ q.variance }}"],
                "q in quarters", [2.6, 3.4, 3.4, 3.4, 2.8])
    _p(doc, "{{ chart }}", center=True)
    _p(doc, "图1　各季度计划与实际累计支出进度（蓝色为计划，橙色为实际）", size=10.5, center=True)

    _h(doc, "四、存在的问题及改进措施", 2)
    _h(doc, "（一）存在的问题", 3)
    _p(doc, "{{ problems or '" + PLACEHOLDER + "' }}")
    _h(doc, "（二）改进措施", 3)
    _p(doc, "{{ improvements or '" + PLACEHOLDER + "' }}")
    _p(doc, "{% if rectification_advice %}整改要求和建议：{{ rectification_advice }}{% endif %}")
    _p(doc, "{% if rectification_result %}整改结果：{{ rectification_result }}{% endif %}")

    _h(doc, "五、自评结论", 2)
    _p(doc, "经自评，{{ name }}综合得分{{ total }}分，评价等级为“{{ grade }}”。其中预算执行率得"
            "{{ exec_score }}分{% for g in groups %}，{{ g.label }}得{{ g.score }}分（分值{{ g.weight }}分）"
            "{% endfor %}。")
    _p(doc, "{% if conclusion %}{{ conclusion }}{% endif %}")
    _p(doc, "{% if illustrative %}注：本报告中的执行数和实际完成值为演示用的示例数据，不是真实执行情况。{% endif %}",
       size=10.5)
    _p(doc, "（本报告由 xlpkg 根据项目绩效表生成，为草稿，请核对后定稿。）", size=10.5)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda tmp: doc.save(str(tmp)))


def build_department_template(path: str | Path = DEPARTMENT_TEMPLATE) -> Path:
    doc = new_document()
    _h(doc, "{{ year }}年度部门整体支出绩效自评报告", 1)
    _p(doc, "部门：{{ dept_code }} {{ dept_name }}", size=14, center=True)

    _h(doc, "一、部门基本情况", 2)
    _h(doc, "（一）年度总体绩效目标", 3)
    _p(doc, "{{ overall_goal or '" + PLACEHOLDER + "' }}")
    _h(doc, "（二）年度总体目标实际完成情况", 3)
    _p(doc, "{{ achievement or '" + PLACEHOLDER + "' }}")

    _h(doc, "二、预算执行情况", 2)
    _p(doc, "全年预算执行率{{ execution_rate }}%。")
    _loop_table(doc, ["支出类别", "年初预算数（万元）", "全年预算数（万元）", "全年执行数（万元）", "执行率（%）",
                      "分值", "得分"],
                ["{{ r.label }}", "{{ r.budget }}", "{{ r.year_budget }}", "{{ r.spent }}", "{{ r.rate }}",
                 "{{ r.weight }}", "{{ r.score }}"], "r in rows", [2.8, 2.4, 2.4, 2.4, 2.0, 1.7, 1.7])

    _h(doc, "三、绩效目标实现情况", 2)
    _h(doc, "（一）部门管理指标", 3)
    _loop_table(doc, ["指标", "指标值", "实际完成值（%）", "分值", "得分", "偏差原因分析"],
                ["{{ c.label }}", "{{ c.target }}", "{{ c.rate }}", "{{ c.weight }}", "{{ c.score }}",
                 "{{ c.analysis }}"], "c in common", [3.0, 2.2, 2.4, 1.6, 1.6, 4.6], left=(5,))
    _h(doc, "（二）部门整体绩效指标", 3)
    _loop_table(doc, ["一级指标", "二级指标", "三级指标", "指标值", "实际完成值", "分值", "得分"],
                ["{{ i.level1 }}", "{{ i.level2 }}", "{{ i.name }}", "{{ i.target }}", "{{ i.actual }}",
                 "{{ i.weight }}", "{{ i.score }}"], "i in indicators",
                [2.0, 2.2, 3.6, 2.3, 2.3, 1.6, 1.6], left=(2,))
    doc.add_paragraph("{%p for i in lost %}")
    _p(doc, "{{ loop.index }}.“{{ i.name }}”指标值为{{ i.target }}，实际完成值为{{ i.actual }}，"
            "得{{ i.score }}分（分值{{ i.weight }}分），扣{{ i.lost }}分。"
            "偏差原因分析：{{ i.analysis or '未填写偏差原因分析及改进措施。' }}")
    doc.add_paragraph("{%p endfor %}")
    _h(doc, "（三）项目支出绩效", 3)
    _p(doc, "共{{ project_count }}个项目完成自评，按预算加权平均得分{{ project_weighted }}分，"
            "等级分布：{{ project_grades }}。")
    _loop_table(doc, ["项目编码", "项目名称", "预算数（万元）", "执行数（万元）", "执行率（%）", "自评得分", "等级"],
                ["{{ p.code }}", "{{ p.name }}", "{{ p.budget }}", "{{ p.spent }}", "{{ p.rate }}",
                 "{{ p.score }}", "{{ p.grade }}"], "p in projects",
                [3.7, 3.3, 2.0, 2.0, 1.8, 1.6, 1.2], left=(1,))

    _h(doc, "四、存在的问题及改进措施", 2)
    _p(doc, "{{ problems or '" + PLACEHOLDER + "' }}")

    _h(doc, "五、自评结论", 2)
    _p(doc, "经自评，{{ dept_name }}部门整体支出绩效综合得分{{ total }}分，评价等级为“{{ grade }}”。"
            "{% if scaled %}（部分指标不适用，按满分100分折算。）{% endif %}")
    _p(doc, "（本报告由 xlpkg 根据部门整体绩效表生成，为草稿，请核对后定稿。）", size=10.5)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda tmp: doc.save(str(tmp)))


if __name__ == "__main__":
    print(build_project_template())
    print(build_department_template())
