"""绩效目标公开.docx breaks its pages where a reader expects (issue 21.11): a project's block never
starts at the foot of a page without its indicators, and indicators continued on a new page
sit under their repeated header row. Rendered by LibreOffice, measured with pymupdf."""
from __future__ import annotations

import copy

import pymupdf
import pytest

from tests.helpers import all_examples
from xlpkg.documents.publish import publish_document

LEVEL1 = ("产出指标", "效益指标", "满意度指标")


def _flat(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def pages(tmp_path_factory, request):
    from tests.conftest import require_libreoffice
    require_libreoffice()
    from xlpkg.libreoffice import harness as lo

    tmp = tmp_path_factory.mktemp("publish")
    projects = []
    for i in range(12):   # one department, forms of every length: some break across pages
        p = copy.deepcopy(all_examples()[i % 4])
        p.dept_code, p.code = "105002", f"105002B22DX{i:04d}"
        p.indicators = p.indicators * (1 + i % 3)
        projects.append(p)
    path = publish_document(projects, tmp / "公开.docx")
    (pdf,) = lo.documents_to_pdf([path], tmp)
    return [_flat(page.get_text()) for page in pymupdf.open(pdf)]


def test_the_document_really_breaks_tables_across_pages(pages):
    assert len(pages) > 6
    continued = [t for t in pages if "项目编码" not in t and any(l in t for l in LEVEL1)]
    assert continued, "no page continues a table: the test proves nothing"


def test_a_page_with_indicators_shows_their_header(pages):
    for n, text in enumerate(pages):
        if any(level in text for level in LEVEL1):
            assert "一级指标" in text and "指标值确定依据" in text, n


def test_the_block_keeps_with_its_indicators_in_word(tmp_path):
    """Word keeps a table row with the next when each of its paragraphs has keep-with-next: the
    project's block, the gap paragraph, the header row (and every form's rows, unsplittable)."""
    import docx
    from docx.oxml.ns import qn

    path = publish_document(all_examples()[:2], tmp_path / "p.docx")
    body = docx.Document(str(path)).element.body
    tables = body.findall(qn("w:tbl"))
    assert len(tables) == 4   # block + indicators, per project
    for block, indicators in zip(tables[::2], tables[1::2]):
        paragraphs = block.iter(qn("w:p"))
        assert all(p.find(f"{qn('w:pPr')}/{qn('w:keepNext')}") is not None for p in paragraphs)
        gap = block.getnext()
        assert gap.tag == qn("w:p") and gap.find(f"{qn('w:pPr')}/{qn('w:keepNext')}") is not None
        header = indicators.findall(qn("w:tr"))[0]
        assert header.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None
        assert all(p.find(f"{qn('w:pPr')}/{qn('w:keepNext')}") is not None for p in header.iter(qn("w:p")))


def test_a_project_starts_on_the_page_of_its_indicators(pages):
    """Every 项目编码 on a page comes with an indicator header after it on the same page."""
    for n, text in enumerate(pages):
        starts = [i for i in range(len(text)) if text.startswith("项目编码", i)]
        for i in starts:
            assert "一级指标" in text[i:], (n, text[i:i + 60])
