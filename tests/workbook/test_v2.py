"""The v2 project workbook (issue 10): monitoring snapshot, causes per category, 整改, fund rows,
goal vs actual and closing block, multi-year projects; v1 workbooks read and upgrade unchanged."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import EXAMPLES, ROOT, example
from xlpkg.workbook import layout as L
from xlpkg.checks import V2_ONLY_RULES, check
from xlpkg.metrics import project_metrics
from xlpkg.model import (FundRow, Monitoring, Period, Project, Rectification, load_project_json,
                         project_from_dict, project_to_dict)
from xlpkg.metrics import monitoring_snapshot
from xlpkg.workbook.form_checks import read_checked_file
from xlpkg.rules import load_rules
from xlpkg.workbook.upgrade import upgrade_workbook
from xlpkg.workbook.writer import CapacityError, fill_workbook

V1 = ROOT / "tests" / "data" / "v1"
V1_BOOKS = sorted(V1.glob("*.xlsx"))


def all_fields() -> Project:
    """Every v1 and v2 input filled, with values a reader could get wrong."""
    p = example("105002B22DX0009")
    p.code, p.name = "105002B22DX9902", "全字段测试项目（v2）"
    p.period = Period(2022, 2024)
    p.medium_term_budget = D("1852.9")
    p.medium_term_goal = "三年内建成覆盖全市的大数据监督平台"
    p.monitoring = Monitoring(month=6, spent=D("300.5"), forecast_year_spent=D("720"))
    p.rectification = Rectification(needed=True, advice="加快支付进度", result="已完成整改")
    p.execution.year_budget, p.execution.year_spent = D("750"), D("712.25")
    p.execution.funds = {"fiscal": FundRow(D("700"), D("700"), D("680")),
                         "carryover": FundRow(D("40"), D("40"), D("30.25")),
                         "other": FundRow(None, D("10"), D("2"))}
    p.goal_actual, p.conclusion = "平台三个模块均已上线", "项目总体完成良好"
    p.problems, p.improvements = "部分指标偏低", "加强系统推广"
    p.project_lead, p.finance_lead, p.fill_date = "张三", "李四", "2023-01-15"
    for i, ind in enumerate(p.indicators):
        ind.progress, ind.forecast = f"已完成{i}", f"预计完成{i}"
        ind.causes = {"经费保障": f"资金拨付滞后{i}", "其他": "天气"} if i % 2 else {"制度保障": "制度未出台"}
        ind.likelihood, ind.remark, ind.analysis = "有可能", f"备注{i}", f"分析{i}"
    p.indicators[0].weight = D("12.5")
    return p


def _as_dict(p: Project) -> dict:
    return project_to_dict(p)


# --- round trips --------------------------------------------------------------------------

@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_fill_read_equals_the_json(path, tmp_path):
    project = load_project_json(path)
    result = read_checked_file(fill_workbook(project, tmp_path / "x.xlsx"))
    assert _as_dict(result.project) == json.loads(path.read_text("utf-8"))


def test_all_fields_fill_read_equals_the_json(tmp_path):
    project = all_fields()
    data = _as_dict(project)
    assert project_from_dict(json.loads(json.dumps(data))) == project
    result = read_checked_file(fill_workbook(project, tmp_path / "x.xlsx"))
    assert _as_dict(result.project) == data
    assert not [i for i in result.issues if i.rule.startswith("form.")]
    # and openpyxl reads the same
    assert _as_dict(read_checked_file(tmp_path / "x.xlsx", engine="openpyxl").project) == data


def test_a_blank_total_is_the_sum_of_its_fund_rows(tmp_path):
    p = all_fields()
    p.execution.year_budget = p.execution.year_spent = None
    p.execution.__post_init__()
    assert (p.execution.year_budget, p.execution.year_spent) == (D("750"), D("712.25"))
    assert not [i for i in check(p) if i.rule.startswith("execution.fund")]


# --- v1 workbooks of the previous release ---------------------------------------------------

def _v1_expected(book: Path) -> dict:
    return json.loads(book.with_suffix(".read.json").read_text("utf-8"))


@pytest.mark.parametrize("book", V1_BOOKS, ids=lambda p: p.stem)
def test_v1_workbooks_read_and_check_as_before(book):
    expected = _v1_expected(book)
    result = read_checked_file(book)
    # the v1 document, read through today's model (its 偏差原因 becomes causes)
    assert _as_dict(result.project) == _as_dict(project_from_dict(expected["project"]))
    # every issue the v1 release found is still found at the same cell; what is new comes from
    # rules added since (issue 9's scoring rules), never from the v2 blocks a v1 form lacks
    got = {(i.rule, i.sheet, i.cell) for i in result.issues}
    before = {(i["rule"], i["sheet"], i["cell"]) for i in expected["issues"]}
    assert before <= got
    assert not {rule for rule, _, _ in got - before} & (V2_ONLY_RULES | {"form.not_template",
                                                                       "form.unreadable", "form.value"})


@pytest.mark.parametrize("book", V1_BOOKS, ids=lambda p: p.stem)
def test_upgrade_keeps_every_v1_field(book, tmp_path):
    result = upgrade_workbook(book, tmp_path / "up.xlsx")
    assert result.ok, result.message
    wb = openpyxl.load_workbook(result.output)
    assert wb.defined_names["TemplateVersion"] and wb["_xlpkg"]["B2"].value == L.TEMPLATE_VERSION
    before, after = read_checked_file(book).project, read_checked_file(result.output).project
    assert _as_dict(after) == _as_dict(before)
    v1_fields = set(_v1_expected(book)["project"]) - {"schema_version"}
    assert v1_fields <= set(_as_dict(after))


def test_upgrade_command_writes_beside_or_to_o(tmp_path):
    src = tmp_path / "项目A.xlsx"
    src.write_bytes((V1 / "all_fields_v1_libreoffice.xlsx").read_bytes())
    run = lambda *a: subprocess.run([sys.executable, "-m", "xlpkg", "upgrade", *a],
                                    capture_output=True, text=True, encoding="utf-8")
    done = run(str(src))
    assert done.returncode == 0, done.stderr
    v = f".v{L.TEMPLATE_VERSION}.xlsx"   # the current template's version names the output
    assert (tmp_path / f"项目A{v}").exists() and "已升级" in done.stdout
    out = tmp_path / "out"
    done = run(str(src), str(V1 / "105004B22DX0001.xlsx"), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"105004B22DX0001{v}", f"项目A{v}"]
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"not a workbook")
    done = run(str(bad), "-o", str(tmp_path / "bad.v2.xlsx"))
    assert done.returncode == 1 and "坏.xlsx" in done.stderr
    assert not (tmp_path / "bad.v2.xlsx").exists()


def test_upgrade_refuses_a_value_it_cannot_read(tmp_path):
    src = tmp_path / "v1.xlsx"
    wb = openpyxl.load_workbook(V1 / "all_fields_v1.xlsx")
    wb["绩效自评"]["C5"] = "一千"          # YearSpent of the v1 layout, not a number
    wb.save(src)
    result = upgrade_workbook(src)
    assert not result.ok and "C5" in result.message and "无法读取" in result.message
    assert not (tmp_path / "v1.v2.xlsx").exists()


# --- the snapshot, in Python -------------------------------------------------------------------

@pytest.mark.parametrize("month,spent,light", [(6, "370", "green"), (6, "259", "yellow"),
                                               (6, "200", "red"), (12, "740", "green"),
                                               (7, "345.33", "yellow")])
def test_snapshot_maths(month, spent, light):
    p = example("105002B22DX0009")   # 740 万元
    p.monitoring = Monitoring(month, D(spent), D("700"))
    s = monitoring_snapshot(p, load_rules())
    assert s.time_progress == D(month) * 100 / 12
    assert s.execution_rate == D(spent) / 740 * 100
    assert s.light == light


def test_score_json_shows_the_snapshot(tmp_path):
    p = all_fields()
    path = fill_workbook(p, tmp_path / "x.xlsx")
    done = subprocess.run([sys.executable, "-m", "xlpkg", "score", "--json", str(path)],
                          capture_output=True, text=True, encoding="utf-8")
    mon = json.loads(done.stdout)[0]["monitoring"]
    assert mon == {"month": 6, "execution_rate_percent": "40.07", "time_progress_percent": "50.00",
                   "forecast_rate_percent": "96.00", "light": "green"}


# --- checks -------------------------------------------------------------------------------------

V2_TRIGGERS = {
    "monitoring.month_missing": lambda p: setattr(p.monitoring, "month", None),
    "monitoring.spent_over": lambda p: setattr(p.monitoring, "forecast_year_spent", D("9999")),
    "rectification.missing": lambda p: (setattr(p.rectification, "needed", None),
                                        setattr(p.monitoring, "spent", D("10"))),
    "rectification.advice_missing": lambda p: setattr(p.rectification, "advice", ""),
    "execution.fund_total": lambda p: setattr(p.execution, "year_spent", D("700")),
    "execution.fund_budget": lambda p: setattr(p.execution.funds["fiscal"], "budget", D("1")),
    "period.order": lambda p: setattr(p, "period", Period(2024, 2022)),
    "period.year": lambda p: setattr(p, "period", Period(2023, 2025)),
    "medium.over_budget": lambda p: setattr(p, "medium_term_budget", D("700")),
}


def test_all_fields_project_passes_the_v2_checks():
    assert not [i for i in check(all_fields()) if i.rule in V2_TRIGGERS]


@pytest.mark.parametrize("rule_id", sorted(V2_TRIGGERS))
def test_v2_rule_triggers_and_points_at_its_cell(rule_id, tmp_path):
    p = all_fields()
    V2_TRIGGERS[rule_id](p)
    issues = [i for i in check(p) if i.rule == rule_id]
    assert issues and "{" not in issues[0].message
    read = read_checked_file(fill_workbook(p, tmp_path / "x.xlsx"))
    located = [i for i in read.issues if i.rule == rule_id]
    assert located and located[0].sheet and located[0].cell, located


def test_a_hopeless_indicator_without_rectification_is_a_warning():
    p = all_fields()
    p.rectification.needed = None
    p.indicators[2].likelihood = "完全不可能"
    (issue,) = [i for i in check(p) if i.rule == "rectification.missing"]
    assert issue.severity == "warning" and p.indicators[2].name in issue.message


def test_unknown_cause_category_is_refused_by_the_writer(tmp_path):
    p = all_fields()
    p.indicators[0].causes = {"天气原因": "降雨"}
    with pytest.raises(CapacityError, match="天气原因"):
        fill_workbook(p, tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_v1_cause_maps_onto_causes():
    p = example()
    p.indicators[0].deviation_cause = "人员保障"
    assert p.indicators[0].causes == {"人员保障": "人员保障"}
    p.indicators[0].deviation_cause = "人手不足"
    assert p.indicators[0].causes == {"其他": "人手不足"}
    assert p.indicators[0].deviation_cause == "人手不足"
    data = project_to_dict(p)
    data["indicators"][1].pop("causes")
    data["indicators"][1]["deviation_cause"] = "经费保障"
    assert project_from_dict(data).indicators[1].causes == {"经费保障": "经费保障"}


# --- consolidation mixes v1 and v2 forms ---------------------------------------------------------

def test_consolidation_mixes_v1_and_v2(tmp_path):
    from xlpkg.consolidate import consolidate

    folder = tmp_path / "forms"
    folder.mkdir()
    for name in ("105002B16DX0003.xlsx", "105004B22DX0001.xlsx"):
        (folder / name).write_bytes((V1 / name).read_bytes())
    fill_workbook(all_fields(), folder / "v2.xlsx")
    c = consolidate(folder, jobs=1)
    rows = {r["项目编码"]: r for r in c.projects.to_dict("records")}
    assert len(rows) == 3
    v2 = rows["105002B22DX9902"]
    assert (v2["监控月份"], v2["监控灯"], v2["是否需要整改"]) == (6, "绿灯", "是")
    assert abs(v2["1-X月执行率"] - 300.5 / 750) < 1e-12 and v2["全年预计执行数（万元）"] == 720
    for code in ("105002B16DX0003", "105004B22DX0001"):
        old = rows[code]
        assert all(old[c] is None or old[c] != old[c] for c in ("监控月份", "监控灯", "是否需要整改"))
    causes = c.indicators[c.indicators["项目编码"] == "105002B22DX9902"]["偏差原因"].tolist()
    assert causes[0] == "制度保障：制度未出台" and causes[1] == "经费保障：资金拨付滞后1；其他：天气"


def test_every_new_input_is_a_prompted_yellow_unlocked_cell():
    from xlpkg.workbook.template import build_workbook

    wb = build_workbook()
    for name in (*L.V2_INPUT_NAMES, "IndCauses"):
        spec = L.NAMES[name]
        ws = wb[spec.sheet]
        first = spec.ref.split(":")[0]
        cell = ws[first]
        assert cell.protection.locked is False, name
        assert cell.fill.fgColor.rgb.endswith("FFF2CC"), name
        prompts = [dv.prompt for dv in ws.data_validations.dataValidation if first in dv.sqref]
        assert prompts and all(prompts), name
