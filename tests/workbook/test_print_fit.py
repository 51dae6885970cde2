"""A filled form prints on the pages it needs (issue 21.11): unused rows hidden, a short form one
landscape A4 page per sheet at ≥ 7 pt, a long one broken between rows with the indicator
header repeated on every page. LibreOffice renders the PDF; pymupdf measures it."""
from __future__ import annotations

import copy

import pytest

from tests.conftest import require_libreoffice
from tests.helpers import example
from xlpkg.workbook import layout as L
from xlpkg.workbook.print_fit import ONE_PAGE_INDICATORS
from xlpkg.workbook.writer import fill_workbook

import pymupdf  # noqa: E402

# a sheet's first page starts with its title (the 申报表's carries the year)
TITLES = {"项目支出绩效目标申报表": L.DECL, "项目支出绩效运行监控表": L.MON, "项目支出绩效自评表": L.EVAL,
          "工作表单元格规则级别说明": L.RESULTS}
HEADS = {L.DECL: "原指标值（文字）", L.MON: "完成目标可能性", L.EVAL: "评分（定性）"}


def _flat(text: str) -> str:
    return "".join(text.split())


def _spans(page):
    return [s for b in page.get_text("dict")["blocks"] for line in b.get("lines", [])
            for s in line["spans"] if s["text"].strip()]


def project(n: int, short: bool):
    """The 0009 example with ``n`` indicators (its rows repeated); ``short`` keeps each row's
    texts to one or two lines, as most forms have them."""
    p = example("105002B22DX0009")
    base = list(p.indicators)
    p.indicators = [copy.deepcopy(base[i % len(base)]) for i in range(n)]
    for i, ind in enumerate(p.indicators):
        ind.name = f"{ind.name}{i + 1}"
        if short:
            ind.description, ind.analysis = ind.description[:12], ind.analysis[:16]
    return p


def pages_by_sheet(pdf) -> dict[str, list]:
    out, current = {}, None
    for page in pdf:
        head = _flat(page.get_text())
        for title, sheet in TITLES.items():
            if title in head and (sheet != L.RESULTS or head.startswith(title)):
                current = sheet
        out.setdefault(current, []).append(page)
    return out


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    require_libreoffice()
    from xlpkg.libreoffice import harness as lo

    tmp = tmp_path_factory.mktemp("fit")
    cases = {"ten-short": project(ONE_PAGE_INDICATORS, True), "seven": example("105002B22DX0009"),
             "eleven": project(11, False), "twenty": project(20, False)}
    out = {}
    for name, p in cases.items():
        path = fill_workbook(p, tmp / f"{name}.xlsx")
        out[name] = pymupdf.open(lo.render_pdf(path, tmp))
    return out


@pytest.mark.parametrize("case", ["ten-short", "seven"])
def test_a_short_form_prints_each_sheet_on_one_page(rendered, case):
    pages = pages_by_sheet(rendered[case])
    assert {s: len(p) for s, p in pages.items() if s != L.RESULTS} == {L.DECL: 1, L.MON: 1, L.EVAL: 1}
    evaluation = _flat(pages[L.EVAL][0].get_text())
    for text in ("总分", "自评等级", "项目负责人", "财务负责人", "填报日期"):
        assert text in evaluation, text   # the total and signatures print with their table


@pytest.mark.parametrize("case", ["ten-short", "seven", "eleven", "twenty"])
def test_every_text_is_at_least_7pt_and_nothing_shows_hashes(rendered, case):
    small = [(round(s["size"], 2), s["text"]) for page in rendered[case] for s in _spans(page)
             if s["size"] < 7]
    assert not small, small[:5]
    assert not [s["text"] for page in rendered[case] for s in _spans(page) if "###" in s["text"]]


def test_a_long_form_repeats_the_indicator_header_on_every_page(rendered):
    pages = pages_by_sheet(rendered["twenty"])
    assert len(pages[L.DECL]) > 1 or len(pages[L.EVAL]) > 1
    for sheet, head in HEADS.items():
        for n, page in enumerate(pages[sheet]):
            text = _flat(page.get_text())
            if n > 0 or "一级指标" in text:
                assert "一级指标" in text and head in text, (sheet, n)
        names = _flat("".join(p.get_text() for p in pages[sheet]))
        assert all(f"{i + 1}" in names for i in range(20))


def test_the_unused_rows_are_hidden_and_may_be_unhidden(tmp_path):
    import openpyxl

    wb = openpyxl.load_workbook(fill_workbook(example("105002B22DX0009"), tmp_path / "f.xlsx"))
    n = len(example("105002B22DX0009").indicators)
    for sheet, first in ((L.DECL, L.IND_FIRST), (L.MON, L.MON_IND_FIRST), (L.EVAL, L.EVAL_IND_FIRST)):
        ws = wb[sheet]
        hidden = [r for r in range(first, first + L.INDICATOR_ROWS) if ws.row_dimensions[r].hidden]
        assert hidden == list(range(first + n, first + L.INDICATOR_ROWS)), sheet
        assert ws.protection.sheet and not ws.protection.formatRows   # unhiding is allowed


@pytest.mark.parametrize("case", ["eleven", "twenty"])
def test_the_total_prints_with_the_last_indicator_rows(rendered, case):
    """11 indicators: the automatic break fell between the last two rows and 总分; a manual
    break before the second-to-last row keeps them, the total and the signatures together."""
    n = 11 if case == "eleven" else 20
    names = [ind.name for ind in project(n, False).indicators]
    pages = pages_by_sheet(rendered[case])[L.EVAL]
    (total,) = [_flat(p.get_text()) for p in pages if "总分" in _flat(p.get_text())]
    assert names[-1] in total and names[-2] in total and "项目负责人" in total
