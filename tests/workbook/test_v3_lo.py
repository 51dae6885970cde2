"""Template v3 in LibreOffice (issue 24): the history cells refuse typing, the 设定依据类别 list
is a STOP list of the five standards, the 三级指标 suggestions are information-style, and the
declaration still prints one page wide at 7 pt or more."""
from __future__ import annotations

import openpyxl
import pytest

from tests.workbook.test_v2 import all_fields
from tests.workbook.test_v3 import _history_project
from xlpkg.library import LibraryEntry
from xlpkg.workbook import layout as L
from xlpkg.workbook.writer import fill_workbook

FIRST = L.IND_FIRST


@pytest.fixture(scope="module")
def form(tmp_path_factory):
    library = [LibraryEntry("产出指标", "数量指标", "系统开发数量", "个", 3),
               LibraryEntry("产出指标", "数量指标", "培训人次", "人次", 2)]
    return fill_workbook(_history_project(), tmp_path_factory.mktemp("v3") / "form.xlsx",
                         library=library)


def _copy(form, tmp_path):
    """Each typing session on its own copy: a soffice that dies after a refused write (REFERENCE.md)
    leaves its lock file beside the document it had open."""
    copy = tmp_path / "form.xlsx"
    copy.write_bytes(form.read_bytes())
    return copy


def _col(name: str) -> str:
    return L.first_cell(name)[1]


def test_history_cells_are_locked_and_the_list_is_a_stop_list(form, libreoffice):
    refs = [f"'{L.DECL}'!{_col(n)}{FIRST}" for n in L.V3_CARRY_NAMES] + [f"'{L.DECL}'!C{FIRST}"]
    r = libreoffice.inspect(form, refs)
    kind, target, actual, history, name = refs
    assert r["sheet_protected"][L.DECL]
    assert not r["locked"][kind] and all(r["locked"][c] for c in (target, actual, history))
    v = r["validation"][kind]
    assert (v["type"], v["show_error"], v["alert_style"]) == ("LIST", True, "STOP")
    assert [s.strip('"') for s in v["formula1"].split(";")] == ["计划标准", "历史标准", "行业标准",
                                                                 "预算支出标准", "其他标准"]
    assert "历史年度完成值或前三年平均值" in v["input_message"]
    # the library's suggestions: a list, but free text stays allowed (INFO, not STOP)
    s = r["validation"][name]
    assert (s["type"], s["show_error"], s["alert_style"]) == ("LIST", True, "INFO")
    assert r["values"][f"'{L.DECL}'!{_col('IndLastActual')}{FIRST}"] == 3


@pytest.mark.parametrize("name", L.V3_CARRY_NAMES[1:])
def test_typing_into_a_history_cell_is_refused(form, name, tmp_path, libreoffice):
    cell = f"{_col(name)}{FIRST}"
    before = openpyxl.load_workbook(form)[L.DECL][cell].value
    out = libreoffice.type_into(_copy(form, tmp_path), [(L.DECL, cell, "999")], tmp_path / "typed.xlsx")
    assert openpyxl.load_workbook(out)[L.DECL][cell].value == before != 999


def test_a_standard_can_be_typed_into_the_basis_kind_cell(form, tmp_path, libreoffice):
    cell = f"{_col('IndBasisKind')}{FIRST + 2}"
    out = libreoffice.type_into(_copy(form, tmp_path), [(L.DECL, cell, "行业标准")], tmp_path / "typed.xlsx")
    assert openpyxl.load_workbook(out)[L.DECL][cell].value == "行业标准"


def test_the_declaration_prints_one_page_wide_at_7pt_or_more(tmp_path, libreoffice):
    import pymupdf

    p = all_fields()
    for ind in p.indicators:
        ind.basis_kind, ind.last_target, ind.last_actual, ind.history_value = (
            "预算支出标准", ind.target, ind.actual, ind.actual)
    pdf = pymupdf.open(libreoffice.render_pdf(fill_workbook(p, tmp_path / "all.xlsx"), tmp_path))
    spans = [(s["size"], s["text"], n) for n, page in enumerate(pdf)
             for b in page.get_text("dict")["blocks"] for line in b.get("lines", [])
             for s in line["spans"] if s["text"].strip()]
    assert spans and min(s[0] for s in spans) >= 7, sorted(spans)[:5]
    text = ["".join(page.get_text().split()) for page in pdf]
    assert any("一级指标" in t and "历史值（近三年平均）" in t and "设定依据类别" in t for t in text)
