"""The indicator library (issue 24): built from four years of forms, counted by distinct project,
written as a filterable printable table, embedded in the project template as suggestions."""
from __future__ import annotations

import subprocess
import sys
from decimal import Decimal as D

import openpyxl
import pytest

from tests.helpers import example
from xlpkg.library import LibraryEntry, build_library, read_library, write_library
from xlpkg.workbook import layout as L
from xlpkg.workbook.writer import fill_workbook

# (seed, years): 105002B21DX0008 and 105004B22DX0001 share three indicators
PLAN = {"105002B21DX0008": (2019, 2020, 2021, 2022), "105004B22DX0001": (2021, 2022),
        "105002B22DX0009": (2022,), "105002B16DX0003": (2020,)}
HEADERS = ("一级指标", "二级指标", "三级指标", "度量单位", "使用项目数", "年度范围", "常用指标性质",
           "指标值中位数", "实际完成值中位数", "近三年平均", "示例项目")


def _projects():
    out = []
    for code, years in PLAN.items():
        for year in years:
            p = example(code)
            p.year = year
            if code == "105004B22DX0001" and year == 2021:
                # the same indicators as people write them: full-width, spaces, 二级 without 指标
                p.indicators[1].name, p.indicators[1].level2 = "工程质量　合格率 ", "质量"
            if code in ("105002B21DX0008", "105004B22DX0001"):
                assert "".join(p.indicators[1].name.split()) == "工程质量合格率"
                p.indicators[1].actual = f"{90 + year - 2019}%"
            out.append(p)
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("years")
    for p in _projects():
        (root / str(p.year)).mkdir(exist_ok=True)
        fill_workbook(p, root / str(p.year) / f"{p.code}.xlsx")
    return root


def _expected_counts():
    users: dict[tuple, set] = {}
    for p in _projects():
        for ind in p.indicators:
            name = "".join(ind.name.split()).replace("　", "")
            users.setdefault(name, set()).add(p.code)
    return {name: len(codes) for name, codes in users.items()}


def test_each_indicator_counts_its_distinct_projects():
    entries = build_library(_projects())
    counts = {e.name: e.projects for e in entries}
    assert counts == _expected_counts()
    assert counts["工程质量合格率"] == counts["使用单位成员满意度"] == counts["工程完成及时率"] == 2
    assert counts["系统开发数量"] == 1 and len(entries) == len(counts)   # one row per indicator
    quality = next(e for e in entries if e.name == "工程质量合格率")
    assert (quality.level2, quality.unit, quality.years, quality.nature) == ("质量指标", "%", "2019–2022", "=")
    # actuals 90..93 % (A) and 92, 93 % (B): median of six project-years; 近三年 = 2020–2022
    assert quality.actual_median == D("92") and quality.target_median == D("100")
    assert quality.recent_mean == D("92.2")
    assert [e.projects for e in entries] == sorted((e.projects for e in entries), reverse=True)


def test_the_same_name_in_another_unit_is_another_row():
    p, q = example("105004B22DX0001"), example("105002B21DX0008")
    q.code = "105002B21DX0099"
    p.indicators[0].target, q.indicators[0].name, q.indicators[0].target = "1套", "录音录像系统", "2个"
    rows = [(e.name, e.unit, e.projects) for e in build_library([p, q]) if e.name == "录音录像系统"]
    assert sorted(rows) == [("录音录像系统", "个", 1), ("录音录像系统", "套", 1)]


def test_library_build_command_writes_a_filterable_printable_table(folder, tmp_path):
    out = tmp_path / "指标库.xlsx"
    done = subprocess.run([sys.executable, "-m", "xlpkg", "library", "build", str(folder), "-o", str(out)],
                          capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr
    ws = openpyxl.load_workbook(out).active
    assert tuple(c.value for c in ws[1]) == HEADERS == L.LIBRARY_HEADERS
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:K")
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert {r[2]: r[4] for r in rows} == _expected_counts()
    entries = read_library(out)
    assert {e.name: e.projects for e in entries} == _expected_counts()


def test_the_library_file_reads_back(tmp_path):
    entries = build_library(_projects())
    again = read_library(write_library(entries, tmp_path / "lib.xlsx"))
    assert [e.cells() for e in again] == [e.cells() for e in entries]


def test_a_file_that_is_not_a_library_is_refused(tmp_path):
    from xlpkg.library import LibraryFileError
    bad = fill_workbook(example(), tmp_path / "form.xlsx")
    with pytest.raises(LibraryFileError, match="不是指标库文件"):
        read_library(bad)


def test_template_embeds_the_library(tmp_path):
    lib = write_library(build_library(_projects()), tmp_path / "lib.xlsx")
    out = tmp_path / "t.xlsx"
    done = subprocess.run([sys.executable, "-m", "xlpkg", "template", "project", "-o", str(out),
                           "--library", str(lib)], capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr
    wb = openpyxl.load_workbook(out)
    sheet = wb[L.LIBRARY_SHEET]
    assert sheet.sheet_state == "visible" and sheet.protection.sheet
    assert tuple(c.value for c in sheet[1])[:len(HEADERS)] == HEADERS
    names = [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(_expected_counts())
    dv = [d for d in wb[L.DECL].data_validations.dataValidation if f"C{L.IND_FIRST}" in str(d.sqref)]
    assert len(dv) == 1 and dv[0].type == "list" and dv[0].errorStyle == "information"
    assert "LibNames" in dv[0].formula1 and "LibNames" in wb.defined_names
    # 数量指标's group: contiguous rows, so one OFFSET shows them all
    keys = [f"{r[0]}|{r[1]}" for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(keys.index(k) + keys.count(k) - 1 == len(keys) - 1 - keys[::-1].index(k) for k in keys)


def test_the_suggestions_follow_the_rows_level2_in_libreoffice(tmp_path, libreoffice):
    library = [LibraryEntry("产出指标", "数量指标", "系统开发数量", "个", 3),
               LibraryEntry("产出指标", "质量指标", "验收合格率", "%", 2),
               LibraryEntry("产出指标", "数量指标", "培训人次", "人次", 2)]
    p = example("105002B22DX0009")
    form = fill_workbook(p, tmp_path / "form.xlsx", library=library)
    # the list's own formula, evaluated by LibreOffice for the first row (数量指标)
    wb = openpyxl.load_workbook(form)
    dv = next(d for d in wb[L.DECL].data_validations.dataValidation if f"C{L.IND_FIRST}" in str(d.sqref))
    r = libreoffice.inspect(form, [f"'{L.DECL}'!C{L.IND_FIRST}", f"'{L.LIBRARY_SHEET}'!L2"],
                            names=["LibNames", "LibKeys"])
    assert r["validation"][f"'{L.DECL}'!C{L.IND_FIRST}"]["alert_style"] == "INFO"
    assert [row[0] for row in r["names"]["LibKeys"]] == ["产出指标|数量指标"] * 2 + ["产出指标|质量指标"]
    assert [row[0] for row in r["names"]["LibNames"]][:2] == ["系统开发数量", "培训人次"]
    assert "OFFSET(LibNames" in dv.formula1
