"""Every summary sheet prints legibly on A4: rendered to PDF by LibreOffice, measured with pymupdf.

Checked per page: no text below 7 pt; A4; the sheet's header row (and key columns) on every
page; no line of text drawn over another (rows tall enough for their wrapped text); no text cut
off (every goal paragraph and project name is in the PDF whole); a quarter's columns never
split across pages; each chart whole on its own page with nothing printed over it. For the
seed and for a 500-project summary of forty departments with long names and goals.
"""
from __future__ import annotations

import copy
import re
import unicodedata
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

import pymupdf  # noqa: E402

from tests.helpers import ROOT, all_examples, example
from xlpkg.consolidate import QUARTER_LABELS, build, outcome_from_project
from xlpkg.rules import load_rules
from xlpkg.summary import write_summary

A4 = sorted((595.3, 841.9))
HEADER_ZONE = 45      # points from the top: the page header (sheet name, page number)
MIN_PT = 7.0
KEYS = {   # text every page of a sheet must show: its header row and repeated key columns
    "项目汇总": ("项目编码", "项目名称"), "部门小计": ("部门编码", "部门名称"),
    "指标明细": ("部门编码", "项目编码", "三级指标", "偏差原因分析及改进措施"),   # one page across
    "部门整体绩效目标": ("内容",),
    "问题清单": ("文件", "说明"), "汇总说明": ("汇总口径",),
    "部门排名": ("部门编码", "部门名称", "部门自评等级"),
    "重点关注项目": ("项目编码", "项目名称"), "等级分布": ("部门编码", "部门名称"),
}
CHART_SHEETS = ("图表", "部门对比图")


def _flat(text: str) -> str:
    # NFKC: a PDF may map a glyph back to a Kangxi radical (⽬ for 目) or a compatibility form.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


class Rendered:
    """The PDF's pages grouped by the sheet named in each page header."""

    def __init__(self, pdf: Path):
        self.doc = pymupdf.open(pdf)
        self.sheets: dict[str, list] = defaultdict(list)
        for page in self.doc:
            top = [s for s in _spans(page) if s["bbox"][1] < HEADER_ZONE]
            assert top, f"page {page.number + 1} has no page header"
            name = _flat(min(top, key=lambda s: s["bbox"][0])["text"])
            self.sheets[name].append(page)

    def text(self, sheet: str) -> str:
        return "".join(_flat(p.get_text()) for p in self.sheets[sheet])


def _spans(page):
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            for span in line["spans"]:
                if span["text"].strip():
                    yield span


def _lines(page):
    out = []
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            text = "".join(s["text"] for s in line["spans"]).strip()
            if text and line["bbox"][1] >= HEADER_ZONE:
                out.append((pymupdf.Rect(line["bbox"]), text))
    return out


def _overlaps(page) -> list[tuple[str, str]]:
    """Pairs of text lines drawn over each other (a wrapped cell taller than its row)."""
    lines = sorted(_lines(page), key=lambda x: x[0].y0)
    bad = []
    for i, (a, ta) in enumerate(lines):
        for b, tb in lines[i + 1:]:
            if b.y0 >= a.y1:
                break
            inter = a & b
            if inter.is_valid and not inter.is_empty and inter.width > 1 and \
                    inter.height > 0.3 * min(a.height, b.height):
                bad.append((ta, tb))
    return bad


def _render(tmp_path: Path, consolidation, libreoffice) -> Rendered:
    out = write_summary(consolidation, tmp_path / "部门汇总.xlsx")
    return Rendered(libreoffice.render_pdf(out, tmp_path / "pdf"))


def _check_every_page(r: Rendered, consolidation) -> None:
    expected = set(KEYS) | set(CHART_SHEETS) | {"部门对比图"}
    assert set(r.sheets) == expected
    for sheet, pages in r.sheets.items():
        for page in pages:
            where = f"{sheet} p.{page.number + 1}"
            assert sorted((round(page.rect.width, 1), round(page.rect.height, 1))) == A4, where
            small = [(s["text"], round(s["size"], 2)) for s in _spans(page) if s["size"] < MIN_PT]
            assert not small, f"{where}: text below {MIN_PT} pt: {small[:5]}"
            if sheet in KEYS:
                flat = _flat(page.get_text())
                missing = [k for k in KEYS[sheet] if _flat(k) not in flat]
                assert not missing, f"{where}: header/key columns {missing} not repeated"
                overlaps = _overlaps(page)
                assert not overlaps, f"{where}: text drawn over text: {overlaps[:3]}"


def _check_quarters_stay_together(r: Rendered) -> None:
    for page in r.sheets["项目汇总"]:
        flat = _flat(page.get_text())
        for q in QUARTER_LABELS:
            parts = [_flat(f"{q}{p}") for p in ("计划进度", "实际进度", "灯色")]
            present = [p in flat for p in parts]
            assert all(present) or not any(present), f"p.{page.number + 1}: {q} split {present}"
    across = {(p.number, tuple(q for q in QUARTER_LABELS if f"{q}计划进度" in _flat(p.get_text())))
              for p in r.sheets["项目汇总"]}
    assert len({qs for _, qs in across if qs}) <= 4


def _check_nothing_cut(r: Rendered, consolidation) -> None:
    goals = r.text("部门整体绩效目标")
    for line in consolidation.dept_goals["内容"]:
        assert _flat(line) in goals, f"goal paragraph cut: {line[:40]}"
    names = r.text("项目汇总")
    for name in consolidation.projects["项目名称"]:
        assert _flat(name) in names, f"project name cut: {name}"


def _check_charts(r: Rendered) -> None:
    titles = {"图表": ("各部门累计支出进度：计划与实际", "项目自评等级分布"),
              "部门对比图": ("各部门项目加权平均得分", "各部门预算执行率", "各部门项目自评等级分布")}
    for sheet, wanted in titles.items():
        pages = r.sheets[sheet]
        assert len(pages) == len(wanted), f"{sheet}: one chart per page"
        for page, title in zip(pages, wanted):
            flat = _flat(page.get_text())
            assert _flat(title) in flat, f"{sheet} p.{page.number + 1}: {title} missing"
            # the chart is whole: its frame and every text of the page lie inside one box
            frames = [d["rect"] for d in page.get_drawings() if d["rect"].width > 300]
            assert frames, f"{sheet}: no chart drawn"
            box = max(frames, key=lambda rect: rect.width * rect.height)
            assert box.y1 <= page.rect.height - 20 and box.x1 <= page.rect.width - 20
            outside = [t for rect, t in _lines(page) if not box.contains(rect)]
            assert not outside, f"{sheet}: text printed outside/over the chart: {outside[:5]}"
    line_page = r.sheets["图表"][0]
    flat = _flat(line_page.get_text())
    assert all(q in flat for q in QUARTER_LABELS) and _flat("全部门合计（实际）") in flat


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def test_seed_summary_prints_legibly(tmp_path, libreoffice, rules):
    projects = all_examples()
    c = build([outcome_from_project(p, f"/data/forms/{p.dept_code}/{p.code}.xlsx", rules)
               for p in projects], rules,
              dept_info=[ROOT / "examples" / "departments" / "105002.json"])
    r = _render(tmp_path, c, libreoffice)
    _check_every_page(r, c)
    _check_quarters_stay_together(r)
    _check_nothing_cut(r, c)
    _check_charts(r)
    goals = r.sheets["部门整体绩效目标"]
    assert all(p.rect.height > p.rect.width for p in goals)   # a document: portrait


DEPARTMENTS = 40   # more than the bureau charts show (the 30 lowest-scored)


def _many(rules, n: int = 500):
    base = [example(code) for code in ("105002B16DX0003", "105002B21DX0008",
                                       "105002B22DX0009", "105004B22DX0001")]
    outcomes = []
    for i in range(n):
        p = copy.deepcopy(base[i % len(base)])
        d = i % DEPARTMENTS
        dept = f"2{d:02d}{100 + d}"
        p.dept_code, p.dept_name = dept, f"唐山市第{d + 1}综合行政执法与公共服务保障中心"
        p.code = f"{dept}B22DX{i:04d}"
        p.name = f"{p.name}（第{i}期）" + ("及配套信息化系统升级改造工程" * (i % 3))
        p.goal = (p.goal + "。") * (1 + i % 4)
        p.budget = p.budget + Decimal(i)
        p.uses[0].amount += Decimal(i)
        outcomes.append(outcome_from_project(p, f"/data/city/{dept}/{p.code}.xlsx", rules))
    return build(outcomes, rules)


def test_a_500_project_summary_prints_legibly(tmp_path, libreoffice, rules):
    c = _many(rules)
    assert len(c.projects) == 500
    r = _render(tmp_path, c, libreoffice)
    _check_every_page(r, c)
    _check_quarters_stay_together(r)
    _check_nothing_cut(r, c)
    _check_charts(r)
    # long tables split into many pages, each with the header: 500 rows need more than one
    assert len(r.sheets["项目汇总"]) >= 3 * 10
    assert len(r.sheets["指标明细"]) > 10
    assert "得分最低的30个部门" in r.text("部门对比图")
