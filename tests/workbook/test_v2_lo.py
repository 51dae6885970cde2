"""v2 formulas recalculated by LibreOffice equal Python to the cent; the monitoring snapshot
typed through LibreOffice's dispatcher as an accountant would."""
from __future__ import annotations

import copy
from decimal import Decimal as D

import openpyxl
import pytest

from tests.helpers import example
from tests.workbook.test_v2 import all_fields
from xlpkg.workbook import layout as L
from xlpkg.metrics import project_metrics
from xlpkg.model import FundRow, Monitoring
from xlpkg.workbook.form_checks import read_checked_file
from xlpkg.rules import load_rules
from xlpkg.workbook.writer import fill_workbook

RULES = load_rules()


def _cases():
    base = all_fields()
    yield "all_fields", base
    p = copy.deepcopy(base)               # totals left blank: summed from the fund rows
    p.execution.year_budget = p.execution.year_spent = None
    p.execution.__post_init__()
    yield "summed_totals", p
    p = copy.deepcopy(base)               # only 财政拨款 typed, no adjusted budget anywhere
    p.execution.funds = {"fiscal": FundRow(D("740"), None, D("500.5"))}
    p.execution.year_budget = p.execution.year_spent = None
    p.execution.__post_init__()
    p.monitoring = Monitoring(7, D("259.33"), D("600"))
    yield "fiscal_only_yellow", p
    p = example("105002B22DX0009")
    p.monitoring = Monitoring(12, D("400"), None)
    yield "red_december", p
    p = example("105002B16DX0003")
    p.monitoring = Monitoring(3, D("350"), D("1400"))
    yield "green_march", p
    p = example("105004B22DX0001")
    p.monitoring = Monitoring(6, None, None)
    yield "month_only", p


CASES = dict(_cases())


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    from tests.conftest import require_libreoffice
    require_libreoffice()
    from xlpkg.libreoffice import harness as lo

    src, out = tmp_path_factory.mktemp("v2src"), tmp_path_factory.mktemp("v2out")
    paths = [fill_workbook(p, src / f"{name}.xlsx") for name, p in CASES.items()]
    lo.recalculate(paths, out)
    return {name: openpyxl.load_workbook(out / f"{name}.xlsx", data_only=True) for name in CASES}


def _value(wb, name: str, offset: int = 0):
    sheet, col, row = L.first_cell(name)
    return wb[sheet][f"{col}{row + offset}"].value


def _close(cell, expected, places=9):
    if expected is None:
        return cell in (None, "")
    return isinstance(cell, (int, float)) and abs(D(repr(cell)) - expected) < D(10) ** -places


@pytest.mark.parametrize("case", list(CASES))
def test_snapshot_and_fund_formulas_equal_python(recalculated, case):
    wb, p = recalculated[case], CASES[case]
    m = project_metrics(p, RULES)
    snap = m.monitoring
    pct = lambda v: None if v is None else v / 100
    assert _close(_value(wb, "MonRate"), pct(snap.execution_rate)), _value(wb, "MonRate")
    assert _close(_value(wb, "MonTimeProgress"), pct(snap.time_progress))
    assert _close(_value(wb, "MonForecastRate"), pct(snap.forecast_rate))
    light = _value(wb, "MonLight")
    assert (light or None) == (RULES.light_label(snap.light) if snap.light else None)
    assert _close(_value(wb, "ExecRate"), m.execution_rate)
    assert _close(_value(wb, "CostControlRate"), m.cost_control_rate)
    assert _close(_value(wb, "ExecScore"), m.evaluation.execution_score, 2)
    assert _close(_value(wb, "TotalScore"), m.evaluation.total, 2)
    assert _close(wb[L.MON]["B3"].value, p.effective_budget)          # EffBudget
    for i, key in enumerate(L.FUND_KEYS):
        row = p.execution.funds.get(key)
        base = None if row is None else (row.year_budget if row.year_budget is not None else row.budget)
        rate = None if row is None or row.year_spent is None or not base else row.year_spent / base
        assert _close(_value(wb, "FundRate", i), rate), (key, _value(wb, "FundRate", i))
    agree = _value(wb, "FundCheck")
    assert agree == ("总额与分项合计一致" if p.execution.funds else None)


def test_the_lights_are_really_exercised():
    lights = {project_metrics(p, RULES).monitoring.light for p in CASES.values()}
    assert lights == {"red", "yellow", "green", None}


def test_fund_check_flags_a_total_that_disagrees(recalculated, tmp_path):
    from xlpkg.libreoffice import harness as lo

    p = all_fields()
    p.execution.year_spent = D("700")
    path = fill_workbook(p, tmp_path / "bad.xlsx")
    (out,) = lo.recalculate([path], tmp_path / "out")
    wb = openpyxl.load_workbook(out, data_only=True)
    assert _value(wb, "FundCheck") == "总额与分项合计不一致"
    issues = read_checked_file(out).issues
    assert [(i.sheet, i.cell) for i in issues if i.rule == "execution.fund_total"] == [
        (L.EVAL, L.NAMES["YearSpent"].ref)]


# --- typing, as an accountant does ---------------------------------------------------------

def test_typing_the_monitoring_snapshot(tmp_path):
    from tests.conftest import require_libreoffice
    require_libreoffice()
    from xlpkg.libreoffice import harness as lo

    p = example("105002B22DX0009")            # 740 万元, no snapshot yet
    path = fill_workbook(p, tmp_path / "form.xlsx")
    cell = lambda name: L.NAMES[name].ref
    typed = lo.type_into(path, [(L.MON, cell("MonMonth"), "6"), (L.MON, cell("MonSpent"), "259"),
                                 (L.MON, cell("MonForecast"), "700")], tmp_path / "typed.xlsx")
    result = read_checked_file(typed)
    assert result.project.monitoring == Monitoring(6, D("259"), D("700"))
    wb = openpyxl.load_workbook(typed, data_only=True)
    snap = project_metrics(result.project, RULES).monitoring
    assert snap.light == "yellow"             # 35 % ÷ 50 % × 100 = 70
    assert _value(wb, "MonLight") == "黄灯"
    assert _close(_value(wb, "MonRate"), snap.execution_rate / 100)
    assert _close(_value(wb, "MonTimeProgress"), D("0.5"))
    assert not [i for i in result.issues if i.rule == "form.stale_cache"]
    # the new month changes the light: the formulas really recalculated
    again = lo.type_into(typed, [(L.MON, cell("MonMonth"), "4")], tmp_path / "april.xlsx")
    assert openpyxl.load_workbook(again, data_only=True)[L.MON][cell("MonLight")].value == "绿灯"


def test_typing_over_the_light_is_refused(tmp_path):
    from tests.conftest import require_libreoffice
    require_libreoffice()
    from xlpkg.libreoffice import harness as lo

    p = example("105002B22DX0009")
    p.monitoring = Monitoring(6, D("100"), None)
    path = fill_workbook(p, tmp_path / "form.xlsx")
    out = lo.type_into(path, [(L.MON, L.NAMES["MonLight"].ref, "绿灯")], tmp_path / "typed.xlsx")
    assert openpyxl.load_workbook(out, data_only=True)[L.MON][L.NAMES["MonLight"].ref].value == "红灯"
