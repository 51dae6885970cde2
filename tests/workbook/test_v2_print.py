"""The project workbook prints legibly: every sheet one A4 page wide, no text under 7 pt.

LibreOffice renders the filled workbook to PDF; pymupdf reads every text span's size as printed
(the page scale included) and where it sits."""
from __future__ import annotations

import pytest

from tests.workbook.test_v2 import all_fields
from xlpkg.workbook.writer import fill_workbook

import pymupdf  # noqa: E402

A4_LANDSCAPE = (841.9, 595.3)
TITLES = {"项目支出绩效目标申报表": "绩效目标申报表", "项目支出绩效运行监控表": "绩效运行监控",
          "项目支出绩效自评表": "绩效自评"}


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    from tests.conftest import require_libreoffice
    require_libreoffice()
    from xlpkg.libreoffice import harness as lo

    out = tmp_path_factory.mktemp("print")
    return pymupdf.open(lo.render_pdf(fill_workbook(all_fields(), out / "all.xlsx"), out))


def _spans(page):
    return [s for b in page.get_text("dict")["blocks"] for line in b.get("lines", [])
            for s in line["spans"] if s["text"].strip()]


def test_every_printed_text_is_at_least_7pt(pdf):
    sizes = [(round(s["size"], 2), s["text"], n) for n, page in enumerate(pdf) for s in _spans(page)]
    assert sizes
    small = [s for s in sizes if s[0] < 7]
    assert not small, small[:5]


def test_every_sheet_is_one_a4_page_wide(pdf):
    started = {}
    for n, page in enumerate(pdf):
        w, h = page.rect.width, page.rect.height
        assert (round(w, 1), round(h, 1)) == A4_LANDSCAPE
        spans = _spans(page)
        for s in spans:
            x0, _, x1, _ = s["bbox"]
            assert 0 <= x0 and x1 <= w, (n, s["text"])
        text = "".join(s["text"] for s in spans)
        for title, sheet in TITLES.items():
            if title in text:
                started[sheet] = n
    # each form starts on its own page with its title, and its pages follow on below
    assert set(started.values()) and len(started) == 3, started
    # one page wide: each indicator table's first and last headings print on one page
    for first, last in (("一级指标", "原指标值（文字）"), ("一级指标", "完成目标可能性"),
                        ("一级指标", "评分（定性）")):
        text = ["".join(page.get_text().split()) for page in pdf]   # wrapped headings joined
        pages = [n for n, t in enumerate(text) if last in t and first in t]
        assert pages, (first, last)


def test_a_page_as_png(pdf, tmp_path):
    """The monitoring sheet's first page turned into an image (looked at by eye when changed)."""
    page = next(p for p in pdf if "项目支出绩效运行监控表" in p.get_text())
    pix = page.get_pixmap(dpi=80)
    pix.save(tmp_path / "mon.png")
    assert pix.width > pix.height > 300


def test_chinese_prints_in_a_cjk_font(pdf):
    import re

    fonts = {s["font"] for page in pdf for s in _spans(page) if re.search(r"[\u4e00-\u9fff]", s["text"])}
    assert fonts and all("CJK" in f or "Song" in f or "Hei" in f for f in fonts), fonts
