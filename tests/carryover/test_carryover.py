"""Carry-over (issue 24): next year's declaration from this year's forms, with the history."""
from __future__ import annotations

import copy
import subprocess
import sys
from decimal import Decimal as D

import openpyxl
import pytest

from tests.helpers import example
from xlpkg.carryover import carry_over, history_value, past_actuals
from xlpkg.model import BASIS_KINDS, Period, project_to_dict
from xlpkg.workbook import layout as L
from xlpkg.workbook.form_checks import read_checked_file
from xlpkg.workbook.writer import fill_workbook

SEED = "105002B22DX0009"   # 2022; one 定性 row (助力办案工作程度)
ACTUALS_2021 = ["2", "98%", "90%", "4%", "93%", "一般", "88%"]


def _year(year: int, actuals=None):
    p = example(SEED)
    p.year = year
    for ind, actual in zip(p.indicators, actuals or []):
        ind.actual = actual
    return p


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forms")
    return (fill_workbook(_year(2021, ACTUALS_2021), folder / "f2021.xlsx"),
            fill_workbook(_year(2022), folder / "f2022.xlsx"))


def _column(wb, name):
    sheet, col, row = L.first_cell(name)
    return [wb[sheet][f"{col}{row + i}"].value for i in range(L.INDICATOR_ROWS)]


def _scalar(wb, name):
    sheet, col, row = L.first_cell(name)
    return wb[sheet][f"{col}{row}"].value


@pytest.fixture(scope="module")
def carried(forms, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    report = carry_over(forms, out, 2023)
    assert report.ok, (report.refused, report.problems)
    assert [p.name for _, p in report.written] == [f"{SEED}.xlsx"]
    return report.written[0][1]


def test_last_actual_is_the_latest_forms_cell_and_history_the_mean(forms, carried):
    new, last = openpyxl.load_workbook(carried), openpyxl.load_workbook(forms[1])
    rows = len(example(SEED).indicators)
    assert _column(new, "IndLastActual") == _column(last, "IndActual")
    history = _column(new, "IndHistoryValue")
    # numbers in the row's unit (a % row holds the fraction, as IndActual does)
    expected = [2.5, 0.99, (0.9622 + 0.90) / 2, 0.05, 0.94, None, 0.90]
    for got, want in zip(history[:rows], expected):
        assert (got is None) if want is None else got == pytest.approx(want, abs=1e-9)
    assert history[rows:] == [None] * (L.INDICATOR_ROWS - rows)
    assert _column(new, "IndLastTarget")[:rows] == [i.target for i in example(SEED).indicators]


def test_the_same_indicator_rows_and_blank_inputs(carried):
    seed = example(SEED)
    result = read_checked_file(carried)
    p = result.project
    assert p.year == 2023 and (p.code, p.name, p.dept_code, p.dept_name, p.fund_source) == (
        seed.code, seed.name, seed.dept_code, seed.dept_name, seed.fund_source)
    assert p.goal == seed.goal
    keep = ("level1", "level2", "name", "description", "target", "basis", "basis_kind")
    assert [[getattr(i, f) for f in keep] for i in p.indicators] == \
        [[getattr(i, f) for f in keep] for i in seed.indicators]
    blank = ("progress", "forecast", "likelihood", "remark", "actual", "analysis")
    assert all(getattr(i, f) == "" for i in p.indicators for f in blank)
    assert all(not i.causes and i.weight is None and i.rated_score is None and i.applicable
               for i in p.indicators)
    assert p.uses == [] and p.plan == [] and p.uses_text == ""
    wb = openpyxl.load_workbook(carried)
    inputs = [n for n in L.INPUT_NAMES_BY_VERSION[L.TEMPLATE_VERSION]
              if n not in ("DeptCode", "DeptName", "FiscalYear", "ProjCode", "ProjName",
                           "FundSource", "Goal", "Indicators", *L.V3_CARRY_NAMES)]
    for name in inputs:   # budget, uses, plans, monitoring and every self-evaluation input
        spec = L.NAMES[name]
        values = [c.value for row in wb[spec.sheet][spec.ref.split(":")[0]:spec.ref.split(":")[-1]]
                  for c in (row if isinstance(row, tuple) else (row,))]
        assert all(v is None for v in values), (name, values)
    assert _scalar(wb, "Budget") is None
    # the 定性 row carries its text, no mean; what the JSON says
    row = project_to_dict(p)["indicators"][5]
    assert row["last_actual"] == "较好" and "history_value" not in row
    assert wb[L.DECL][L.NAMES["Goal"].ref].comment is not None   # marked as a draft


def test_basis_kind_is_a_stop_list_of_exactly_the_five_standards(carried):
    ws = openpyxl.load_workbook(carried)[L.DECL]
    col = L.IND_CARRY["basis_kind"][0]
    (dv,) = [d for d in ws.data_validations.dataValidation if f"{col}{L.IND_FIRST}" in d.sqref]
    assert dv.type == "list" and dv.errorStyle == "stop" and dv.showErrorMessage
    assert dv.formula1.strip('"').split(",") == ["计划标准", "历史标准", "行业标准", "预算支出标准", "其他标准"]
    assert list(BASIS_KINDS) == dv.formula1.strip('"').split(",")
    assert all(f"{k}：{v}" in dv.prompt for k, v in BASIS_KINDS.items())
    assert len(dv.formula1) <= 255 and len(dv.prompt) <= 255   # Excel's limits
    assert str(dv.sqref) == f"{col}{L.IND_FIRST}:{col}{L.IND_LAST}"
    for name in ("IndLastTarget", "IndLastActual", "IndHistoryValue"):
        sheet, c, r = L.first_cell(name)
        assert all(ws[f"{c}{r + i}"].protection.locked for i in range(L.INDICATOR_ROWS))
    assert not ws[f"{col}{L.IND_FIRST}"].protection.locked


def test_history_takes_up_to_three_years_and_only_the_same_unit():
    seed = example(SEED)
    years = {2019: "10", 2020: "1", 2021: "2", 2022: "3"}
    past = []
    for year, count in years.items():
        p = copy.deepcopy(seed)
        p.year = year
        p.indicators[0].actual = count
        past += past_actuals([p])
    ind = seed.indicators[0]
    assert history_value(ind, 2023, past) == "2"             # 2020–2022; 2019 left out
    assert history_value(ind, 2022, past) == "4.33"          # 2019–2021, two more places
    assert history_value(ind, 2019, past) == ""              # nothing earlier: blank, never 0
    ind.target = "3个"                                       # another unit: no mean across units
    assert history_value(ind, 2023, past) == ""


def test_a_form_with_errors_is_refused_and_nothing_is_overwritten(forms, tmp_path):
    bad = _year(2022)
    bad.code, bad.indicators[0].weight = "105002B22DX0010", D(-5)   # an error: negative 分值
    broken = fill_workbook(bad, tmp_path / "bad.xlsx")
    out = tmp_path / "out"
    report = carry_over([broken, forms[1]], out, 2023)
    assert [f for f, _ in report.refused] == [str(broken)]
    assert any(i.rule == "indicator.weight_negative" and i.cell for i in report.refused[0][1])
    assert [p.name for _, p in report.written] == [f"{SEED}.xlsx"]
    first = (out / f"{SEED}.xlsx").stat().st_mtime_ns
    again = carry_over([forms[1]], out, 2023)
    assert not again.written and "--force" in again.problems[0]
    assert (out / f"{SEED}.xlsx").stat().st_mtime_ns == first
    forced = carry_over([forms[1]], out, 2023, force=True)
    assert forced.ok and forced.written
    # an input form is never overwritten, not even with --force
    inside = out / f"{SEED}.xlsx"
    inside.write_bytes(forms[1].read_bytes())
    same = carry_over([out], out, 2023, force=True)
    assert not same.written and "是输入的项目表" in same.problems[0]
    assert inside.read_bytes() == forms[1].read_bytes()


def test_history_forms_and_multi_year_projects(forms, tmp_path):
    seed = _year(2022)
    seed.period, seed.medium_term_budget, seed.medium_term_goal = Period(2021, 2024), D(3000), "三年目标"
    form = fill_workbook(seed, tmp_path / "multi.xlsx")
    report = carry_over([form], tmp_path / "out", 2023, history=[forms[0]])
    assert report.ok, report.problems
    p = read_checked_file(report.written[0][1]).project
    assert (p.period, p.medium_term_budget, p.medium_term_goal) == (Period(2021, 2024), D(3000), "三年目标")
    assert p.indicators[0].history_value == "2.5" and p.indicators[0].last_actual == "3"
    # a year not after the form's is refused with a message
    late = carry_over([form], tmp_path / "late", 2022)
    assert not late.written and "不早于2022年度" in late.problems[0]


def test_carry_over_command(forms, tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "xlpkg", *a], capture_output=True,
                                    text=True, encoding="utf-8")
    out = tmp_path / "out"
    done = run("carry-over", str(forms[0].parent), "-o", str(out), "--year", "2023")
    assert done.returncode == 0, done.stderr
    assert (out / f"{SEED}.xlsx").exists() and "已生成" in done.stdout
    again = run("carry-over", str(forms[1]), "-o", str(out), "--year", "2023")
    assert again.returncode == 1 and "--force" in again.stderr
    missing = run("carry-over", str(forms[1]), "-o", str(tmp_path / "none"), "--year", "2023", "--db",
                  f"sqlite:///{tmp_path / 'none.db'}")
    assert missing.returncode != 0 and "历史库" in missing.stderr and "Traceback" not in missing.stderr


def test_carry_over_takes_earlier_years_from_the_history_store(forms, carried, tmp_path):
    """2021 in the store, the 2022 form given: the same history as with both forms given."""
    run = lambda *a: subprocess.run([sys.executable, "-m", "xlpkg", *a], capture_output=True,
                                    text=True, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    added = run("history", "add", str(forms[0]), "--db", url)
    assert added.returncode == 0, added.stderr
    done = run("carry-over", str(forms[1]), "-o", str(tmp_path / "db"), "--year", "2023", "--db", url)
    assert done.returncode == 0, done.stderr
    from_store = openpyxl.load_workbook(tmp_path / "db" / f"{SEED}.xlsx")
    from_forms = openpyxl.load_workbook(carried)
    for name in ("IndLastActual", "IndLastTarget", "IndHistoryValue"):
        assert _column(from_store, name) == _column(from_forms, name), name


def test_a_v1_form_is_carried_into_v3_with_a_library(tmp_path):
    from tests.helpers import ROOT
    from xlpkg.library import LibraryEntry, write_library

    lib = write_library([LibraryEntry("产出指标", "数量指标", "系统开发数量", "", 1)], tmp_path / "lib.xlsx")
    run = lambda *a: subprocess.run([sys.executable, "-m", "xlpkg", *a], capture_output=True,
                                    text=True, encoding="utf-8")
    v1 = ROOT / "tests" / "data" / "v1" / "105002B22DX0009.xlsx"
    done = run("carry-over", str(v1), "-o", str(tmp_path / "out"), "--year", "2023", "--library", str(lib))
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out" / "105002B22DX0009.xlsx"
    wb = openpyxl.load_workbook(out)
    assert wb["_xlpkg"]["B2"].value == L.TEMPLATE_VERSION and L.LIBRARY_SHEET in wb.sheetnames
    p = read_checked_file(out).project
    before = read_checked_file(v1).project
    assert [(i.name, i.last_actual) for i in p.indicators] == [(i.name, i.actual) for i in before.indicators]
    bad = run("carry-over", str(v1), "-o", str(tmp_path / "x"), "--year", "2023", "--library", str(v1))
    assert bad.returncode == 2 and "不是指标库文件" in bad.stderr and not (tmp_path / "x").exists()
