"""Every 指标性质, typed split (指标性质/指标值/度量单位 only), traditional (原指标值 only) and
both: LibreOffice shows no error value anywhere a reader sees, and its total equals Python's.

Excel's AND/OR evaluate every argument (LibreOffice too), so ``AND(ISNUMBER(F),ABS(F)<=1)``
is ``#VALUE!`` when F holds text: each form here puts text, numbers and dates into every cell
such a guard reads (issue 21.5)."""
from __future__ import annotations

import datetime
import random
from decimal import Decimal as D

import openpyxl
import pytest

from tests.conftest import require_libreoffice
from tests.helpers import example
from xlpkg.department.template import write_department_template
from xlpkg.model import Indicator
from xlpkg.rules import load_rules
from xlpkg.workbook import layout as L
from xlpkg.workbook.form_checks import read_checked_file
from xlpkg.workbook.meta import NATURES
from xlpkg.workbook.template import write_template
from xlpkg.workbook.writer import fill_workbook

RULES = load_rules()
ERRORS = ("#VALUE!", "#NAME?", "#DIV/0!", "#REF!", "#N/A", "#NUM!", "#NULL!", "Err:")

# (一级, 二级, 三级, 指标值 as written, 实际完成值): every 指标性质 of the template's list
ROWS = [
    ("产出指标", "数量指标", "培训人次", "≥50人次", "55人次"),
    ("产出指标", "质量指标", "差错率", "≤5%", "3%"),
    ("产出指标", "质量指标", "合格率", ">90%", "95%"),
    ("产出指标", "时效指标", "办理时长", "<10天", "8天"),
    ("产出指标", "成本指标", "预算控制", "1400万元", "1380万元"),
    ("产出指标", "时效指标", "完成时间", "2022-12-31", "2022-11-30"),
    ("产出指标", "数量指标", "覆盖率区间", "90-95%", "93%"),
    ("效益指标", "社会效益指标", "社会效果", "效果显著", "达成年度指标"),
    ("效益指标", "可持续影响指标", "长效机制", "达成年度指标", "部分达成年度指标并具有一定效果"),
    ("满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "92%"),
]


def nature_project():
    p = example("105002B22DX0009")
    p.indicators = [Indicator(l1, l2, name, target, actual=actual) for l1, l2, name, target, actual in ROWS]
    return p


def _indicator_cells(ws, field: str):
    col = L.IND_COL[field]
    return [ws[f"{col}{L.IND_FIRST + i}"] for i in range(len(ROWS))]


def split_only(wb):
    """As typed into the split cells: 原指标值 left blank."""
    for cell in _indicator_cells(wb[L.DECL], "original"):
        cell.value = None


def text_only(wb):
    """The traditional form: 原指标值 only, no 指标性质/指标值/度量单位."""
    for field in ("nature", "value", "unit"):
        for cell in _indicator_cells(wb[L.DECL], field):
            cell.value = None


def blank_nature(wb):
    """指标值 and 度量单位 typed, 指标性质 and 原指标值 blank (read as “=”/“应达到”)."""
    for field in ("nature", "original"):
        for cell in _indicator_cells(wb[L.DECL], field):
            cell.value = None


VARIANTS = {"both": None, "split": split_only, "text": text_only, "blank-nature": blank_nature}


def test_the_rows_cover_every_nature(tmp_path):
    path = fill_workbook(nature_project(), tmp_path / "n.xlsx")
    natures = {c.value for c in _indicator_cells(openpyxl.load_workbook(path)[L.DECL], "nature")}
    assert natures == set(NATURES), set(NATURES) ^ natures


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    """{variant: (Python's total, LibreOffice's recalculated file)}, one soffice for all."""
    require_libreoffice()
    from xlpkg.libreoffice import harness as lo

    src, out = tmp_path_factory.mktemp("natures"), tmp_path_factory.mktemp("natures-lo")
    base = fill_workbook(nature_project(), src / "base.xlsx")
    paths, totals, blank = [], {}, {}
    for name, edit in VARIANTS.items():
        wb = openpyxl.load_workbook(base)
        if edit:
            edit(wb)
        path = src / f"{name}.xlsx"
        wb.save(path)
        checked = read_checked_file(path, rules=RULES)
        assert checked.metrics is not None, [i.message for i in checked.issues]
        totals[name] = checked.metrics.evaluation.total
        blank[name] = [i.message for i in checked.issues if i.rule == "form.sheet_blank"]
        paths.append(path)
    outs = lo.recalculate(paths, out)
    return {name: (totals[name], path, blank[name]) for name, path in zip(VARIANTS, outs)}


def visible_errors(path) -> list[tuple[str, str, object]]:
    """Error values in the cells a reader sees: visible sheets, rows and columns."""
    wb = openpyxl.load_workbook(path, data_only=True)
    found = []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        hidden_cols = {k for k, d in ws.column_dimensions.items() if d.hidden}
        for row in ws.iter_rows():
            for cell in row:
                if not hasattr(cell, "column_letter"):   # covered by a merge: never shown
                    continue
                if ws.row_dimensions[cell.row].hidden or cell.column_letter in hidden_cols:
                    continue
                if isinstance(cell.value, str) and cell.value.startswith(ERRORS):
                    found.append((ws.title, cell.coordinate, cell.value))
    return found


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_no_error_value_in_any_visible_cell(recalculated, variant):
    path = recalculated[variant][1]
    assert visible_errors(path) == []


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_total_equals_python_to_the_cent(recalculated, variant):
    """Equal to the cent; where the formulas cannot read a row (a 区间 typed only as text),
    the sheet's total stays blank and Python says so beforehand (form.sheet_blank)."""
    total, path, predicted_blank = recalculated[variant]
    sheet, col, row = L.first_cell("TotalScore")
    got = openpyxl.load_workbook(path, data_only=True)[sheet][f"{col}{row}"].value
    if variant in ("both", "split"):
        assert not predicted_blank
    if predicted_blank:
        assert got is None, predicted_blank
        return
    assert isinstance(got, (int, float)), got
    assert D(repr(got)).quantize(D("0.01")) == total
    assert total > D(90)   # every row scored, none left at 0 by a misread target


def test_monitoring_shows_each_target_as_written(recalculated):
    """The split rows' 年度指标值 as a reader expects it, not #VALUE! (the issue's cells)."""
    path = recalculated["split"][1]
    wb = openpyxl.load_workbook(path, data_only=True)
    shown = [wb[L.MON][f"{L.MON_IND_COLS['target']}{L.MON_IND_FIRST + i}"].value for i in range(len(ROWS))]
    assert shown == ["≥50人次", "≤5%", ">90%", "<10天", "1400万元", "2022-12-31", "90-95%",
                     "效果显著", "达成年度指标", "≥90%"]
    evaluated = [wb[L.EVAL][f"{L.EVAL_IND_COLS['target']}{L.EVAL_IND_FIRST + i}"].value
                 for i in range(len(ROWS))]
    assert evaluated == shown


FUZZ = ["abc", "5", 5, 0.5, "90-95", datetime.datetime(2022, 12, 31), "≥", "%", "定性", "区间",
        "日期", 0, -3, "是", "否", "万元", "达成年度指标", "90%"]


def test_anything_typed_into_any_input_shows_no_error_value(tmp_path):
    """Text, numbers, dates and negative numbers typed at random into every input cell of the
    project and department templates (validation is not enforced on paste): no visible error."""
    require_libreoffice()
    from xlpkg.libreoffice import harness as lo

    paths = []
    for kind, write in (("project", write_template), ("department", write_department_template)):
        base = write(tmp_path / f"{kind}.xlsx")
        for seed in range(3):
            rnd = random.Random(seed)
            wb = openpyxl.load_workbook(base)
            for ws in wb.worksheets:
                if ws.sheet_state != "visible" or not ws.protection.sheet:
                    continue
                for row in ws.iter_rows():
                    for cell in row:
                        if hasattr(cell, "column_letter") and cell.protection.locked is False:
                            cell.value = rnd.choice(FUZZ)
                            if isinstance(cell.value, str):
                                cell.data_type = "s"
            wb.save(tmp_path / f"{kind}-{seed}.xlsx")
            paths.append(tmp_path / f"{kind}-{seed}.xlsx")
    outs = lo.recalculate(paths, tmp_path / "out")
    assert {p.name: visible_errors(p) for p in outs} == {p.name: [] for p in outs}
