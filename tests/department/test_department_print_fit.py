"""A department workbook with few indicators keeps its total with its tables (issue 21.11):
105004 (no department indicators) printed its 20 blank indicator rows and pushed 总分 onto a
third page. Rendered by LibreOffice, measured with pymupdf."""
from __future__ import annotations

import openpyxl
import pymupdf
import pytest

from tests.helpers import EXAMPLES, ROOT
from xlpkg.consolidate import consolidate
from xlpkg.consolidate.department_forms import write_department_forms
from xlpkg.department import layout as L
from xlpkg.model import load_project_json
from xlpkg.workbook.writer import fill_workbook

DEPT_JSON = ROOT / "examples" / "departments" / "105002.json"


@pytest.fixture(scope="module")
def departments(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("deptfit")
    for path in EXAMPLES:
        fill_workbook(load_project_json(path), tmp / "forms" / f"{path.stem}.xlsx")
    c = consolidate([tmp / "forms"], jobs=1, dept_info=[DEPT_JSON])
    write_department_forms(c, tmp / "dept", dept_info=[DEPT_JSON])
    return tmp / "dept"


def test_unused_indicator_rows_are_hidden(departments):
    wb = openpyxl.load_workbook(departments / "105004.xlsx")
    for sheet, first, last in ((L.DECL, L.DECL_IND_FIRST, L.DECL_IND_LAST),
                               (L.EVAL, L.EVAL_IND_FIRST, L.EVAL_IND_LAST)):
        hidden = [r for r in range(first, last + 1) if wb[sheet].row_dimensions[r].hidden]
        assert len(hidden) > 10, sheet


def test_the_self_evaluation_prints_on_one_page_with_its_total(departments, libreoffice, tmp_path):
    pdf = pymupdf.open(libreoffice.render_pdf(departments / "105004.xlsx", tmp_path))
    pages = ["".join(page.get_text().split()) for page in pdf]
    evaluation = [t for t in pages if "部门整体支出绩效自评表" in t or "总分（满分100分" in t]
    assert len(evaluation) == 1, len(evaluation)
    assert "四、部门整体绩效指标" in evaluation[0] and "折算系数" in evaluation[0]
    sizes = [s["size"] for page in pdf for b in page.get_text("dict")["blocks"]
             for line in b.get("lines", []) for s in line["spans"] if s["text"].strip()]
    assert min(sizes) >= 7, min(sizes)
