"""The department workbook as a Word source (runs when xlpkg.department is installed): its
部门整体支出绩效自评报告 carries department_metrics' numbers, and publish takes its section."""
from __future__ import annotations

import re

import pytest

from xlpkg.libreoffice import harness as lo
from xlpkg.cli import main
from xlpkg.documents.docx_import import import_document
from xlpkg.workbook.writer import fill_workbook
from tests.conftest import require_libreoffice
from tests.helpers import ROOT, all_examples
from tests.documents.test_documents_import import DEPT, dept_fields

import pymupdf  # noqa: E402


@pytest.fixture(scope="module")
def dept_books(tmp_path_factory):
    base = tmp_path_factory.mktemp("dept")
    for project in all_examples():
        fill_workbook(project, base / "forms" / f"{project.code}.xlsx")
    assert main(["consolidate", str(base / "forms"), "-o", str(base / "sum.xlsx"), "--dept-info",
                 str(ROOT / "examples" / "departments" / "105002.json"),
                 "--dept-forms", str(base / "dept")]) == 0
    return base


def test_department_report_has_the_department_metrics(dept_books):
    from xlpkg.department.metrics import department_metrics
    from xlpkg.department.reader import read_department_file
    book = dept_books / "dept" / "105002.xlsx"
    dept = read_department_file(book).department
    m = department_metrics(dept)
    out = dept_books / "reports"
    assert main(["report", str(book), "-o", str(out)]) == 0
    (report,) = out.glob("105002_*部门整体支出绩效自评报告.docx")
    require_libreoffice()   # fails instead of skipping when make test requires LibreOffice
    (pdf,) = lo.documents_to_pdf([report], dept_books / "pdf")
    with pymupdf.open(pdf) as doc:
        text = re.sub(r"\s", "", "".join(page.get_text() for page in doc))
        fonts = {s["font"] for page in doc for b in page.get_text("dict")["blocks"]
                 for line in b.get("lines", []) for s in line["spans"]
                 if re.search(r"[\u4e00-\u9fff]", s["text"])}
    assert f"综合得分{m.total}分，评价等级为“{m.grade}”" in text
    assert f"全年预算执行率{m.execution_rate * 100:.2f}%" in text
    assert fonts and all("CJK" in f for f in fonts)


def test_publish_takes_the_section_from_the_department_workbook(dept_books):
    out = dept_books / "公开.docx"
    assert main(["publish", str(dept_books / "forms"), str(dept_books / "dept" / "105002.xlsx"),
                 "-o", str(out)]) == 0
    result = import_document(out)
    assert len(result.projects) == 4
    (info,) = result.departments
    want = dept_fields(DEPT)
    want["planning"] = []          # the workbook has no 目标规划 (a --dept-info file does)
    assert dept_fields(info) == want
