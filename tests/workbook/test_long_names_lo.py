"""Long 二级 names typed into the blank template print inside their rows (issue 21.11).

The 运行监控 and 自评 sheets show the names by formula, and no engine grows a row when a formula's
text wraps: "服务对象满意度指标" spilled over the next row. Typed through LibreOffice's dispatcher,
rendered to PDF; no text may cross a drawn horizontal cell border."""
from __future__ import annotations

import openpyxl
import pymupdf

from xlpkg.workbook import layout as L
from xlpkg.workbook.template import write_template

NAMES = [("满意度指标", "服务对象满意度指标", "群众满意度"), ("效益指标", "可持续影响指标", "长效机制"),
         ("效益指标", "社会效益指标", "受益群众覆盖面"), ("产出指标", "数量指标", "次数")]


def crossings(page) -> list[tuple[str, float]]:
    """Text spans that a horizontal border runs through (text spilling into the next row)."""
    rules = []
    for path in page.get_drawings():
        for item in path["items"]:
            if item[0] == "l" and abs(item[1].y - item[2].y) < 0.5:
                rules.append((min(item[1].x, item[2].x), max(item[1].x, item[2].x), item[1].y))
            elif item[0] == "re" and item[1].height < 1.5:
                rules.append((item[1].x0, item[1].x1, (item[1].y0 + item[1].y1) / 2))
    out = []
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            for span in line["spans"]:
                x0, y0, x1, y1 = span["bbox"]
                if span["text"].strip() and any(a < (x0 + x1) / 2 < b and y0 + 1 < y < y1 - 1
                                                 for a, b, y in rules):
                    out.append((span["text"], round(y0, 1)))
    return out


def test_long_level2_names_stay_in_their_rows(libreoffice, tmp_path):
    template = write_template(tmp_path / "t.xlsx")
    entries = [(L.DECL, f"{col}{L.IND_FIRST + i}", text) for i, row in enumerate(NAMES)
               for col, text in zip("ABC", row)]
    typed = libreoffice.type_into(template, entries, tmp_path / "typed.xlsx")
    wb = openpyxl.load_workbook(typed, data_only=True)
    assert wb[L.MON][f"B{L.MON_IND_FIRST}"].value == "服务对象满意度指标"   # shown by formula
    pdf = pymupdf.open(libreoffice.render_pdf(typed, tmp_path))
    text = "".join(page.get_text() for page in pdf)
    assert text.count("可持续影响指标") >= 3 and "###" not in text
    assert [(n, c) for n, page in enumerate(pdf) for c in crossings(page)] == []


def test_long_level2_names_stay_in_their_rows_in_the_department_workbook(libreoffice, tmp_path):
    from xlpkg.department import layout as DL
    from xlpkg.department.template import write_department_template

    template = write_department_template(tmp_path / "d.xlsx")
    entries = [(DL.DECL, f"{col}{DL.DECL_IND_FIRST + i}", text) for i, row in enumerate(NAMES)
               for col, text in zip("ABC", row)]
    typed = libreoffice.type_into(template, entries, tmp_path / "typed.xlsx")
    pdf = pymupdf.open(libreoffice.render_pdf(typed, tmp_path))
    assert "".join(page.get_text() for page in pdf).count("服务对象满意度") >= 2
    assert [(n, c) for n, page in enumerate(pdf) for c in crossings(page)] == []
