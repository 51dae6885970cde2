"""The worksheet functions (xlpkg.udfs): direct calls, and calls through xlwings' own Office.js
path (``xlwings.server.custom_functions_call``) as Excel 365 sends them.

Without Excel the xlwings decorators are pass-through, so the functions are called directly.
The Office.js decorators are only active when ``XLWINGS_ON_SERVER=true`` is set before xlwings
is imported, which cannot be guaranteed inside a pytest run that imports xlwings elsewhere:
those calls run in one subprocess per test session (``officejs`` fixture).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from decimal import Decimal as D

import pytest

from tests.helpers import ROOT, all_examples
from xlpkg import udfs
from xlpkg.metrics import (allocate_weights, cost_control_rate, execution_rate, quarter_status,
                           self_evaluation, spend_progress)
from xlpkg.rules import load_rules
from xlpkg.targets import parse_target

RULES = load_rules()
EXAMPLES = all_examples()
FUNCTIONS = ["exec_rate", "cost_control_rate", "spend_progress", "quarter_variance", "parse_target",
             "target_met", "indicator_score", "perf_grade", "perf_light"]
EPOCH = dt.date(1899, 12, 30)
CJK = re.compile(r"[\u4e00-\u9fff]")


def excel_value(text: str, target):
    """An 实际完成值 as Excel holds it once typed: "98%" becomes 0.98 in a % cell, a date a serial
    number (what Office.js sends), anything else stays text ("22次", "1372万元", "较好")."""
    if target.unit == "%" and text.endswith("%"):
        return float(D(text[:-1]) / 100)
    if target.kind == "date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return float((dt.date.fromisoformat(text) - EPOCH).days)
    return text


def plan_fractions(project) -> list[float]:
    return [float(p / 100) for p in project.plan]


def floats(values) -> list:
    return [None if v is None else float(v) for v in values]


def seed_indicator_columns(project):
    """The indicator table of one seed project as the columns a formula would pass."""
    weights = allocate_weights(project, RULES)
    rows = [(ind.target, excel_value(ind.actual, parse_target(ind.target)), float(w), ind.level1,
             ind.level2) for ind, w in zip(project.indicators, weights)]
    return [[[row[k]] for row in rows] for k in range(5)]


# --- direct calls: agreement with the core on every seed example -------------------------

@pytest.mark.parametrize("project", EXAMPLES, ids=lambda p: p.code)
def test_money_functions_equal_the_core(project):
    budget, spent = project.effective_budget, project.execution.year_spent
    assert udfs.exec_rate(float(spent), float(budget)) == float(execution_rate(spent, budget))
    assert udfs.cost_control_rate(float(spent), float(budget)) == float(cost_control_rate(spent, budget))
    actuals = project.execution.actual_cumulative
    assert udfs.spend_progress([[float(a)] for a in actuals], float(budget)) == [
        [float(spend_progress(a, budget))] for a in actuals]


@pytest.mark.parametrize("project", EXAMPLES, ids=lambda p: p.code)
def test_quarter_functions_equal_the_core(project):
    status = quarter_status(project, RULES)
    budget = float(project.effective_budget)
    actuals = floats(project.execution.actual_cumulative)
    variances = floats(q.variance for q in status)
    assert udfs.quarter_variance([plan_fractions(project)], [actuals], budget) == [variances]
    assert udfs.quarter_variance([[p] for p in plan_fractions(project)], [[a] for a in actuals],
                                 budget) == [[v] for v in variances]
    for q, plan in zip(status, plan_fractions(project)):
        assert udfs.perf_light(float(q.progress / 100), plan) == RULES.light_label(q.light)


@pytest.mark.parametrize("project", EXAMPLES, ids=lambda p: p.code)
def test_indicator_functions_equal_the_core_on_every_indicator(project):
    ev = self_evaluation(project, RULES)
    grades = RULES.qualitative_grades()
    texts, actuals, weights, level1, level2 = seed_indicator_columns(project)
    for i, ind in enumerate(project.indicators):
        target = parse_target(ind.target)
        score = udfs.indicator_score(ind.target, actuals[i][0], weights[i][0], ind.level1, ind.level2)
        assert score == float(ev.indicators[i].score)
        assert udfs.target_met(ind.target, actuals[i][0]) == target.evaluate(ind.actual, grades=grades).met
        nature, value, unit = target.official()
        row = udfs.parse_target(ind.target)
        shown = {"quantitative": lambda v: float(D(value)),
                 "date": lambda v: dt.datetime.fromisoformat(value)}.get(target.kind, lambda v: v)(value)
        assert row == [nature, shown, unit or None, udfs.KIND_LABELS[target.kind]]
    # the same table in one call per function (array in, array out)
    assert udfs.indicator_score(texts, actuals, weights, level1, level2) == [
        [float(s.score)] for s in ev.indicators]
    assert udfs.perf_grade([[float(ev.total)]]) == [[ev.grade]]
    assert len(udfs.parse_target(texts)) == len(project.indicators)


def test_seed_totals_cover_what_the_seed_needs():
    # The seed's cost amount "1400万元" is a ceiling only when the row says 成本指标.
    assert udfs.indicator_score("1400万元", "1372万元", 12.5, "产出指标", "成本指标") == 12.5
    assert udfs.indicator_score("1400万元", "1372万元", 12.5) == float(D(1372) / D(1400) * D("12.5"))
    assert udfs.target_met("2022年12月底", 44895.0) is True          # 2022-11-30 as a serial
    assert udfs.target_met("2022年12月底", dt.datetime(2023, 1, 5)) is False


# --- direct calls: argument conversion, arrays, errors --------------------------------------

def test_blank_inputs_give_blank_cells():
    assert udfs.exec_rate(None, 1400.0) is None
    assert udfs.exec_rate("  ", 1400.0) is None
    assert udfs.indicator_score("95%以上", None, 10.0) is None
    assert udfs.target_met(None, 0.9) is None
    assert udfs.perf_grade(None) is None
    assert udfs.parse_target(None) == [None, None, None, None]
    assert udfs.quarter_variance([[0.25, 0.5]], [[320.0, None]], 1400.0) == [
        [float(D(320) / D(1400) * 100 - 25), None]]
    assert udfs.quarter_variance([[0.25, 0.5]], [[320.0, 700.0]], None) == [[None, None]]


def test_text_numbers_and_percent_text_are_accepted():
    assert udfs.exec_rate("1,372", " 1400 ") == 0.98
    assert udfs.perf_light("30%", "40%") == udfs.perf_light(0.3, 0.4) == "黄灯"
    assert udfs.parse_target(3.0) == ["=", 3.0, None, "定量"]     # a number cell "3"
    # a plan typed as 25 or "25%" is 25 %, as the template and the reader read it
    by_fraction = udfs.quarter_variance([[0.25, 0.5]], [[320.0, 700.0]], 1400.0)
    assert udfs.quarter_variance([[25.0, "50%"]], [[320.0, 700.0]], 1400.0) == by_fraction
    assert udfs.quarter_variance([["很多"]], [[1.0]], 1.0) == [["#错误：计划累计进度“很多”不是百分数"]]


def test_ranges_broadcast_single_cells_and_keep_their_shape():
    assert udfs.exec_rate([[1372.0], [630.0], [None]], [[1400.0]]) == [
        [0.98], [float(D(630) / D(1400))], [None]]
    assert udfs.exec_rate([1372.0, 630.0], 1400.0) == [[0.98, float(D(630) / D(1400))]]  # 1-D = row
    assert udfs.perf_grade([[95.0, 85.0], [65.0, 10.0]]) == [["优", "良"], ["中", "差"]]
    assert udfs.parse_target([["95%以上", "≤5%"]]) == [["≥", 95.0, "%", "定量"], ["≤", 5.0, "%", "定量"]]


def test_bad_arguments_give_the_documented_error_text_per_cell():
    assert udfs.exec_rate(1.0, 0.0) == "#错误：预算数为0，无法计算"
    assert udfs.exec_rate([["abc"], [630.0]], 1400.0) == [
        ["#错误：执行数“abc”不是数值"], [float(D(630) / D(1400))]]
    assert udfs.exec_rate(True, 1400.0) == "#错误：执行数应为数值，不能是TRUE/FALSE"
    assert udfs.exec_rate([[1.0, 2.0]], [[1.0, 2.0, 3.0]]) == [
        ["#错误：各区域大小不一致（1行×2列、1行×3列），应为相同行列数或单个单元格"]]
    row = udfs.parse_target("很多12")
    assert row[0].startswith(udfs.ERROR_PREFIX + "指标值“很多12”无法识别") and row[1:] == [None] * 3
    assert udfs.indicator_score("95%以上", "很多", 10.0).startswith("#错误：实际完成值“很多”无法识别")
    assert udfs.quarter_variance([[0.25, 0.5]], [[1.0]], 1400.0) == [
        ["#错误：计划有2个季度，实际支出有1个，应一一对应"]]
    assert udfs.quarter_variance([[0.25, 0.5], [0.5, 1.0]], [[1.0]], 1.0) == [
        ["#错误：应为一行或一列，现为2行×2列"]]
    assert udfs.parse_target("12月底") [0].startswith("#错误：")              # no year …
    assert udfs.parse_target("12月底", 2022.0)[1] == dt.datetime(2022, 12, 31)   # … unless given
    assert udfs.parse_target("12月底", "明年") == ["#错误：年度“明年”不是数值", None, None, None]


def test_an_unexpected_exception_becomes_an_error_value_not_a_traceback(monkeypatch):
    def boom(*args):
        raise RuntimeError("boom")
    monkeypatch.setattr(udfs.metrics, "execution_rate", boom)
    assert udfs.exec_rate([[1.0], [None]], 2.0) == [["#错误：内部错误（RuntimeError: boom）"], [None]]


def test_functions_follow_the_rulebook_in_use(tmp_path, monkeypatch):
    data = json.loads((ROOT / "rules.json").read_text("utf-8"))
    data["scoring"]["grades"] = [{"grade": "优", "min": 80}, {"grade": "良", "min": 70},
                                 {"grade": "中", "min": 60}, {"grade": "差", "min": 0}]
    data["monitoring"]["lights"][0]["below"] = 50
    path = tmp_path / "province.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    assert udfs.perf_grade(85.0) == "良" and udfs.perf_light(0.55, 1.0) == "红灯"
    monkeypatch.setenv("XLPKG_RULES", str(path))
    assert udfs.perf_grade(85.0) == "优" and udfs.perf_light(0.55, 1.0) == "黄灯"


def test_every_function_has_a_chinese_description():
    for name in FUNCTIONS:
        assert CJK.search(getattr(udfs, name).__doc__), name


# --- through xlwings' Office.js path ----------------------------------------------------------

OFFICEJS_RUNNER = r"""
import asyncio, json, sys
import xlwings
from xlwings import server
import xlpkg.udfs as module

assert xlwings.__pro__ and hasattr(module.exec_rate, "__xlfunc__"), "Office.js decorators inactive"

async def main(calls):
    results = []
    for func_name, args in calls:
        data = {"func_name": func_name, "args": args, "version": xlwings.__version__,
                "client": "Office.js", "runtime": "1.4", "culture_info_name": "zh-CN",
                "date_format": "yyyy/m/d"}
        try:
            results.append(await server.custom_functions_call(data, module))
        except Exception as exc:
            results.append({"exception": repr(exc)})
    return {"results": results, "meta": server.custom_functions_meta(module)}

print(json.dumps(asyncio.run(main(json.load(sys.stdin))), ensure_ascii=False))
"""


def cell(value):
    """A value as Office.js sends it inside a matrix argument: blanks are empty strings."""
    return "" if value is None else value


def col(values):
    return [[cell(v)] for v in values]


def formatted_date(day: dt.date) -> dict:
    return {"type": "FormattedNumber", "basicValue": float((day - EPOCH).days),
            "numberFormat": "yyyy/m/d"}


def _officejs_cases():
    """(id, func_name, args as Excel 365 sends them, expected result)."""
    cases = [
        ("float", "exec_rate", [[[1372.0]], [[1400.0]]], [[0.98]]),
        ("blank-empty-string", "exec_rate", [[[""]], [[1400.0]]], [[""]]),
        ("blank-null", "exec_rate", [[[None]], [[1400.0]]], [[""]]),
        ("excel-error-in", "exec_rate",
         [[[{"type": "Error", "errorType": "NotAvailable", "basicValue": "#N/A"}]], [[1400.0]]], [[""]]),
        ("text-numbers", "exec_rate", [[["1,372"]], [["1400"]]], [[0.98]]),
        ("zero-budget", "exec_rate", [[[1.0]], [[0.0]]], [["#错误：预算数为0，无法计算"]]),
        ("column-and-cell", "exec_rate", [[[1372.0], [630.0], [""]], [[1400.0]]],
         [[0.98], [float(D(630) / D(1400))], [""]]),
        ("shape-mismatch", "cost_control_rate", [[[1.0, 2.0]], [[1.0, 2.0, 3.0]]],
         [["#错误：各区域大小不一致（1行×2列、1行×3列），应为相同行列数或单个单元格"]]),
        ("row-of-quarters", "quarter_variance",
         [[[0.25, 0.5, 0.75, 1.0]], [[320.0, 680.0, "", ""]], [[1400.0]]],
         [[float(D(320) / D(1400) * 100 - 25), float(D(680) / D(1400) * 100 - 50), "", ""]]),
        ("column-of-quarters", "quarter_variance", [[[0.25], [0.5]], [[320.0], [680.0]], [[1400.0]]],
         [[float(D(320) / D(1400) * 100 - 25)], [float(D(680) / D(1400) * 100 - 50)]]),
        ("strings", "parse_target", [[["95%以上"], ["效果显著"], [""], ["2022年12月底"]]],
         [["≥", 95.0, "%", "定量"], ["定性", "效果显著", "", "定性"], ["", "", "", ""],
          ["日期", formatted_date(dt.date(2022, 12, 31)), "", "日期"]]),
        ("optional-year", "parse_target", [[["12月底"]], [[2022.0]]],
         [["日期", formatted_date(dt.date(2022, 12, 31)), "", "日期"]]),
        ("bad-text", "parse_target", [[["很多12"]]],
         [[udfs.parse_target("很多12")[0], "", "", ""]]),
        ("date-serial", "target_met", [[["2022年12月底"]], [[44895.0]]], [[True]]),
        ("optional-levels-omitted", "indicator_score", [[["1400万元"]], [["1372万元"]], [[12.5]]],
         [[float(D(1372) / D(1400) * D("12.5"))]]),
        ("grade", "perf_grade", [[[99.8], [79.99], [""]]], [["优"], ["中"], [""]]),
        ("light", "perf_light", [[[0.2286]], [[0.25]]], [["绿灯"]]),
    ]
    for p in EXAMPLES:
        ev = self_evaluation(p, RULES)
        status = quarter_status(p, RULES)
        budget = float(p.effective_budget)
        spent = float(p.execution.year_spent)
        cases += [
            (f"{p.code}-exec_rate", "exec_rate", [[[spent]], [[budget]]],
             [[float(execution_rate(p.execution.year_spent, p.effective_budget))]]),
            (f"{p.code}-cost_control_rate", "cost_control_rate", [[[spent]], [[budget]]],
             [[float(cost_control_rate(p.execution.year_spent, p.effective_budget))]]),
            (f"{p.code}-spend_progress", "spend_progress",
             [col(floats(p.execution.actual_cumulative)), [[budget]]],
             [[float(q.progress / 100)] for q in status]),
            (f"{p.code}-quarter_variance", "quarter_variance",
             [[plan_fractions(p)], [floats(p.execution.actual_cumulative)], [[budget]]],
             [[float(q.variance) for q in status]]),
            (f"{p.code}-perf_light", "perf_light",
             [[[float(q.progress / 100) for q in status]], [plan_fractions(p)]],
             [[RULES.light_label(q.light) for q in status]]),
            (f"{p.code}-perf_grade", "perf_grade", [[[float(ev.total)]]], [[ev.grade]]),
            (f"{p.code}-indicator_score", "indicator_score", seed_indicator_columns(p),
             [[float(s.score)] for s in ev.indicators]),
            (f"{p.code}-target_met", "target_met", seed_indicator_columns(p)[:2],
             [[parse_target(i.target).evaluate(i.actual, grades=RULES.qualitative_grades()).met]
              for i in p.indicators]),
        ]
        for i, ind in enumerate(p.indicators):   # one indicator per call, as a cell formula does
            args = [[[c[i][0]]] for c in seed_indicator_columns(p)]
            cases.append((f"{p.code}-indicator{i}", "indicator_score", args,
                          [[float(ev.indicators[i].score)]]))
    return cases


OFFICEJS_CASES = _officejs_cases()


@pytest.fixture(scope="module")
def officejs():
    env = {**os.environ, "XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("XLPKG_RULES", None)
    calls = [[func, args] for _, func, args, _ in OFFICEJS_CASES]
    proc = subprocess.run([sys.executable, "-c", OFFICEJS_RUNNER], input=json.dumps(calls),
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    out["results"] = dict(zip((c[0] for c in OFFICEJS_CASES), out["results"]))
    return out


@pytest.mark.parametrize("case", OFFICEJS_CASES, ids=[c[0] for c in OFFICEJS_CASES])
def test_custom_functions_call(officejs, case):
    case_id, _, _, expected = case
    assert officejs["results"][case_id] == expected


def test_custom_functions_meta_lists_every_function_in_chinese(officejs):
    meta = {f["name"]: f for f in officejs["meta"]["functions"]}
    assert sorted(meta) == sorted(name.upper() for name in FUNCTIONS)
    for name, f in meta.items():
        assert f["description"] == getattr(udfs, name.lower()).__doc__
        assert CJK.search(f["description"]), name
        for param in f["parameters"]:
            assert CJK.search(param["description"]), (name, param["name"])
    optional = {(n, p["name"]) for n, f in meta.items() for p in f["parameters"] if p.get("optional")}
    assert optional == {("PARSE_TARGET", "year"), ("INDICATOR_SCORE", "level1"),
                        ("INDICATOR_SCORE", "level2")}
    assert [p["name"] for p in meta["INDICATOR_SCORE"]["parameters"]] == [
        "text", "actual", "weight", "level1", "level2"]


def test_one_implementation_serves_excel_and_libreoffice():
    """xlpkg.udfs adds only xlwings' decorators to xlpkg.frontends.functions: same names, same
    arguments, same results; the LibreOffice adapter calls the same functions."""
    import inspect

    from xlpkg.frontends import functions as F
    from xlpkg.libreoffice import calc

    assert sorted(FUNCTIONS) == sorted(f.name for f in F.FUNCTIONS)
    for spec in F.FUNCTIONS:
        udf = getattr(udfs, spec.name)
        assert list(inspect.signature(udf).parameters) == [a.name for a in spec.args]
        assert list(inspect.signature(spec.impl).parameters) == [a.name for a in spec.args]
        assert udf.__doc__ == spec.description
        assert calc.FUNCTIONS_BY_SHEET_NAME[spec.sheet_name] is spec
    assert udfs.exec_rate([[1.0], [None]], 0.0) == F.exec_rate([[1.0], [None]], 0.0)
    assert calc.call("EXEC_RATE", ((1.0,), ("",)), 2.0) == ((0.5,), ("",))
    assert calc.call("PARSE_TARGET", "95%以上", None) == (("≥", 95.0, "%", "定量"),)
