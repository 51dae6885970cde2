"""The LibreOffice extension in the engine: built with ``xlpkg extension build``, installed with
``unopkg add`` into a fresh profile, formulas typed into cells through the dispatcher (and set
through the API, and as array formulas), recalculated, and compared with Python; the 绩效管理
menu commands run on a filled project form and on the summary workbench.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest

from tests.helpers import ROOT, all_examples, example
from xlpkg.workbook import layout as L
from xlpkg import udfs
from xlpkg.frontends.functions import FUNCTIONS
from xlpkg.metrics import allocate_weights, self_evaluation
from xlpkg.rules import load_rules
from xlpkg.targets import parse_target

pytestmark = pytest.mark.usefixtures("libreoffice")
RULES = load_rules()
EPOCH = dt.datetime(1899, 12, 30)
COMMAND = "org.xlpkg.command:"


@pytest.fixture(scope="session")
def oxt(tmp_path_factory) -> Path:
    from tests.conftest import require_libreoffice
    require_libreoffice()
    out = tmp_path_factory.mktemp("oxt") / "xlpkg.oxt"
    proc = subprocess.run([sys.executable, "-m", "xlpkg", "extension", "build", "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="session")
def profile(oxt, tmp_path_factory):
    from xlpkg.libreoffice import harness as lo
    prof = lo.Profile(tmp_path_factory.mktemp("lo-profile"))
    lo.install_extension(oxt, prof)
    return prof


def session(profile, jobs, tmp_path=None):
    """Run calc jobs on the profile; returns (results, alerts)."""
    from xlpkg.libreoffice import harness as lo
    env = {}
    log = None
    if tmp_path is not None:
        log = tmp_path / "alerts.jsonl"
        env["XLPKG_ALERT_LOG"] = str(log)
    results = lo.calc_session(jobs, profile, env=env)
    alerts = [json.loads(line) for line in log.read_text("utf-8").splitlines()] if log and log.exists() else []
    return results, alerts


def serial(value):
    return (value - EPOCH).total_seconds() / 86400


def shown(value):
    """A UDF result as the Calc cell holds it: TRUE/FALSE are 1/0, dates ISO text (an add-in
    cannot format its cell; a bare serial 44926 says nothing), blanks an empty text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, int):
        return float(value)
    return value


def actual_cell(text: str, target):
    """An 实际完成值 as a cell holds it: "98%" is 0.98 in a % cell, a date a serial number."""
    if target.unit == "%" and text.endswith("%"):
        return float(text[:-1]) / 100
    try:
        return serial(dt.datetime.fromisoformat(text)) if target.kind == "date" else text
    except ValueError:
        return text


# --- the package -----------------------------------------------------------------------------

def test_the_oxt_has_the_parts_libreoffice_registers(oxt):
    with zipfile.ZipFile(oxt) as z:
        names = set(z.namelist())
        manifest = z.read("META-INF/manifest.xml").decode()
        addins = z.read("CalcAddIns.xcu").decode()
        addons = z.read("Addons.xcu").decode()
    for part in ("xlpkg.rdb", "xlpkg_component.py", "CalcAddIns.xcu", "Addons.xcu",
                 "ProtocolHandler.xcu", "Jobs.xcu"):
        assert part in names and f'full-path="{part}"' in manifest
    assert "pythonpath/xlpkg/frontends/functions.py" in names
    assert "pythonpath/xlpkg/data/rules.json" in names
    assert any(n.startswith("pythonpath/jsonschema/") for n in names)
    for f in FUNCTIONS:
        assert f'oor:name="{f.sheet_name}"' in addins and escape(f.description) in addins
        for a in f.args:
            assert escape(a.label) in addins and escape(a.doc) in addins
    for title in ("绩效管理", "校验", "规范指标值", "汇总", "新建"):
        assert title in addons


# --- worksheet functions ---------------------------------------------------------------------

def _indicator_rows():
    rows = []
    for project in all_examples():
        weights = allocate_weights(project, RULES)
        for ind, w in zip(project.indicators, weights):
            target = parse_target(ind.target)
            rows.append([ind.target, actual_cell(ind.actual, target), float(w), ind.level1, ind.level2])
    return rows


def _money_rows():
    rows = []
    for project in all_examples():
        ev = self_evaluation(project, RULES)
        rows.append([float(project.effective_budget), float(project.execution.year_spent),
                     *[float(a) for a in project.execution.actual_cumulative],
                     *[float(p / 100) for p in project.plan], float(ev.total)])
    return rows


def test_every_function_typed_into_calc_equals_python(tmp_path, profile):
    """Each function typed into a cell (dispatcher), set through the API and entered as an
    array formula over ranges; every result is compared with the xlwings UDF in Python."""
    ind, money = _indicator_rows(), _money_rows()
    wb = openpyxl.Workbook()
    s1 = wb.active
    s1.title = "指标"
    for r, row in enumerate(ind, start=2):
        for c, v in enumerate(row, start=1):
            s1.cell(r, c, v)
    s2 = wb.create_sheet("资金")   # A 预算, B 执行, C:F 累计支出, G:J 计划进度, K 总分
    for r, row in enumerate(money, start=2):
        for c, v in enumerate(row, start=1):
            s2.cell(r, c, v)
    path = tmp_path / "函数.xlsx"
    wb.save(path)

    typed, expected = [], {}
    for r, (text, actual, weight, l1, l2) in enumerate(ind, start=2):
        typed += [[f"指标!G{r}", f"=INDICATOR_SCORE(A{r};B{r};C{r};D{r};E{r})"],
                  [f"指标!H{r}", f"=TARGET_MET(A{r};B{r})"],
                  [f"指标!I{r}", f"=PARSE_TARGET(A{r})"]]
        expected[f"指标!G{r}"] = shown(udfs.indicator_score(text, actual, weight, l1, l2))
        expected[f"指标!H{r}"] = shown(udfs.target_met(text, actual))
        expected[f"指标!I{r}"] = shown(udfs.parse_target(text)[0])
    for r, (budget, spent, q1, q2, q3, q4, p1, p2, p3, p4, total) in enumerate(money, start=2):
        typed += [[f"资金!M{r}", f"=EXEC_RATE(B{r};A{r})"],
                  [f"资金!N{r}", f"=COST_CONTROL_RATE(B{r};A{r})"],
                  [f"资金!O{r}", f"=SPEND_PROGRESS(C{r};A{r})"],
                  [f"资金!P{r}", f"=PERF_LIGHT(O{r};G{r})"],
                  [f"资金!Q{r}", f"=PERF_GRADE(K{r})"],
                  [f"资金!R{r}", f"=QUARTER_VARIANCE(G{r}:J{r};C{r}:F{r};A{r})"]]
        expected[f"资金!M{r}"] = shown(udfs.exec_rate(spent, budget))
        expected[f"资金!N{r}"] = shown(udfs.cost_control_rate(spent, budget))
        expected[f"资金!O{r}"] = progress = shown(udfs.spend_progress(q1, budget))
        expected[f"资金!P{r}"] = shown(udfs.perf_light(progress, p1))
        expected[f"资金!Q{r}"] = shown(udfs.perf_grade(total))
        expected[f"资金!R{r}"] = shown(udfs.quarter_variance([[p1, p2, p3, p4]], [[q1, q2, q3, q4]], budget)[0][0])
    # a bad argument: the same error text as in Excel
    typed += [["资金!A20", "=EXEC_RATE(5;0)"], ["资金!A21", '=PARSE_TARGET("约95%左右")'],
              ["资金!A22", "=QUARTER_VARIANCE(G2:J2;C2:E2;A2)"], ["资金!A23", '=PERF_GRADE("很好")']]
    expected.update({"资金!A20": udfs.exec_rate(5.0, 0.0), "资金!A21": udfs.parse_target("约95%左右")[0],
                     "资金!A22": udfs.quarter_variance([[1, 2, 3, 4]], [[1, 2, 3]], 1.0)[0][0],
                     "资金!A23": udfs.perf_grade("很好")})
    assert all(str(expected[k]).startswith("#错误：") for k in ("资金!A20", "资金!A21", "资金!A22", "资金!A23"))
    # ranges in, arrays out: whole columns in one array formula
    last = len(ind) + 1
    arrays = [[f"指标!K2:K{last}", f"=INDICATOR_SCORE(A2:A{last};B2:B{last};C2:C{last};D2:D{last};E2:E{last})"],
              [f"指标!L2:O{last}", f"=PARSE_TARGET(A2:A{last})"],
              [f"资金!S2:V{len(money) + 1}", f"=QUARTER_VARIANCE(G2:J2;C2:F2;A2)"]]
    cols = [[r[k] for r in ind] for k in range(5)]
    scores = udfs.indicator_score(*[[[v] for v in col] for col in cols])
    parsed = udfs.parse_target([[t] for t in cols[0]])
    for i in range(len(ind)):
        expected[f"指标!K{i + 2}"] = shown(scores[i][0])
        for k, col in enumerate("LMNO"):
            expected[f"指标!{col}{i + 2}"] = shown(parsed[i][k])
    b, _, q1, q2, q3, q4, p1, p2, p3, p4, _ = money[0]
    for k, col in enumerate("STUV"):
        expected[f"资金!{col}2"] = shown(udfs.quarter_variance([[p1, p2, p3, p4]], [[q1, q2, q3, q4]], b)[0][k])
    # the API route (setFormula) takes the same names
    formulas = [["资金!A25", "=EXEC_RATE(B2;A2)"], ["资金!A26", '=TARGET_MET("95%以上";"96%")']]
    expected.update({"资金!A25": expected["资金!M2"], "资金!A26": 1.0})

    # Typed cells are checked in test_each_function_typed_like_an_accountant: many formulas
    # typed over the bridge into a hidden document made soffice 7.4 abort now and then.
    formulas += typed
    (result,), _ = session(profile, [{"path": str(path), "array_formulas": arrays,
                                      "formulas": formulas, "cells": sorted(expected)}])
    got = result["values"]
    assert not result["errors"], result["errors"]
    mismatches = {k: (got[k], v) for k, v in expected.items()
                  if not (got[k] == v or (isinstance(v, float) and got[k] == pytest.approx(v, rel=1e-12)))}
    assert not mismatches
    assert {t.split("(")[0].lstrip("=") for _, t in formulas} == {f.sheet_name for f in FUNCTIONS}
    assert "EXEC_RATE" in result["formulas"]["资金!M2"]


TYPED = [  # (what an accountant types, the same call in Python)
    ("=EXEC_RATE(1372;1400)", lambda: udfs.exec_rate(1372.0, 1400.0)),
    ("=COST_CONTROL_RATE(1372;1400)", lambda: udfs.cost_control_rate(1372.0, 1400.0)),
    ("=SPEND_PROGRESS(320;1400)", lambda: udfs.spend_progress(320.0, 1400.0)),
    ("=QUARTER_VARIANCE({0.25;0.5;0.75;1};{320;700;1000;1372};1400)",
     lambda: udfs.quarter_variance([[0.25], [0.5], [0.75], [1.0]], [[320.0], [700.0], [1000.0], [1372.0]], 1400.0)[0][0]),
    ('=PARSE_TARGET("2022年12月底")', lambda: udfs.parse_target("2022年12月底")[0]),
    ('=TARGET_MET("95%以上";"96%")', lambda: udfs.target_met("95%以上", "96%")),
    ('=INDICATOR_SCORE("1400万元";"1372万元";12.5;"产出指标";"成本指标")',
     lambda: udfs.indicator_score("1400万元", "1372万元", 12.5, "产出指标", "成本指标")),
    ("=PERF_GRADE(85)", lambda: udfs.perf_grade(85.0)),
    ("=PERF_LIGHT(0.5;0.75)", lambda: udfs.perf_light(0.5, 0.75)),
    ("=EXEC_RATE(5;0)", lambda: udfs.exec_rate(5.0, 0.0)),
]


@pytest.mark.parametrize("part", [0, 1])
def test_each_function_typed_like_an_accountant(profile, part):
    """Every function typed into a cell through the dispatcher (GoToCell + EnterString), by
    the name the README documents, gives what Python gives."""
    half = TYPED[part * 5:(part + 1) * 5]
    typed = [[f"A{i + 1}", text] for i, (text, _) in enumerate(half)]
    (result,), _ = session(profile, [{"typed": typed, "cells": [c for c, _ in typed]}])
    for (cell, text), (_, python) in zip(typed, half):
        assert result["values"][cell] == pytest.approx(shown(python())) if isinstance(
            shown(python()), float) else result["values"][cell] == shown(python()), text
        assert text.split("(")[0].lstrip("=") in result["formulas"][cell]


def test_parse_target_shows_a_date_as_a_date_not_a_serial_number(profile):
    """PARSE_TARGET's 指标值 of a date target reads 2022-12-31 in Calc (an add-in cannot
    format its cell), and the other functions take that text back as the date."""
    typed = [["A1", '=INDEX(PARSE_TARGET("2022年12月底");1;2)'],
             ["A2", '=TARGET_MET("2022年12月底";A1)'],
             ["A3", '=INDEX(PARSE_TARGET("95%以上");1;2)']]
    (result,), _ = session(profile, [{"typed": typed, "cells": ["A1", "A2", "A3"]}])
    assert result["values"] == {"A1": "2022-12-31", "A2": 1.0, "A3": 95.0}


BLANK_CALLS = [["C2", "=EXEC_RATE(A2;B2)"], ["D2", "=PERF_GRADE(A2)"], ["E2", "=SPEND_PROGRESS(A2;B2)"],
               ["F2", "=PERF_LIGHT(A2;B2)"], ["G2", "=INDICATOR_SCORE(\"95%以上\";A2;10)"]]


def _blank_results(profile, calls):
    (result,), _ = session(profile, [{"typed": [["B2", "500"], *calls], "cells": [c for c, _ in calls]}])
    return result["values"]


def test_a_blank_range_gives_a_blank_as_in_python_and_excel(profile):
    """Blank in, blank out, as udfs.exec_rate(None, 500) etc.: a range argument (A2:A2)
    reaches the add-in with its empty cells as empty texts."""
    calls = [[cell, re.sub(r"\bA2\b", "A2:A2", formula)] for cell, formula in BLANK_CALLS]
    assert udfs.exec_rate(None, 500.0) is None and udfs.perf_grade(None) is None
    assert _blank_results(profile, calls) == {cell: shown(None) for cell, _ in calls}


@pytest.mark.xfail(strict=True, reason="Calc hands an add-in an empty single cell (A2, not A2:A2) as 0.0 "
                   "(ScInterpreter::ScExternal, any/sequence arguments); only an XCellRange argument "
                   "could tell, and it refuses constants such as EXEC_RATE(1372;1400)")
def test_a_blank_cell_gives_a_blank_as_in_python_and_excel(profile):
    assert _blank_results(profile, BLANK_CALLS) == {cell: shown(None) for cell, _ in BLANK_CALLS}


def _sheet_formulas(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    return re.findall(r"<f[^>]*>([^<]*)</f>", xml)


def _lo_writes_ooxml_compatibility_names() -> bool:
    """Whether this LibreOffice maps add-in functions to their compatibility names in
    .xlsx (ScCompiler::fillFromAddInCollectionExcelName). LibreOffice 7.4 does not: it
    writes and reads only the programmatic name (ORG.XLPKG.CALC.FUNCTIONS.EXEC_RATE), so
    no add-in can make EXEC_RATE survive .xlsx there. Read from the library itself so the
    expectation follows the installed LibreOffice, not a version number guessed here."""
    from xlpkg.libreoffice import harness as lo
    soffice = lo._soffice()
    if not soffice:
        return False
    library = Path(soffice).resolve().with_name("libsclo.so")
    try:
        return b"fillFromAddInCollectionExcelName" in library.read_bytes()
    except OSError:
        return False


NO_OOXML_NAMES = pytest.mark.xfail(
    not _lo_writes_ooxml_compatibility_names(), strict=True,
    reason="this LibreOffice (7.4) ignores add-in compatibility names in .xlsx; the extension "
           "declares them (XCompatibilityNames, CalcAddIns.xcu) for the versions that use them")


@NO_OOXML_NAMES
def test_a_formula_typed_in_calc_is_saved_to_xlsx_under_the_excel_name(tmp_path, profile):
    """(a) The bare name the Excel add-in's UDF has (EXEC_RATE), not LibreOffice's
    programmatic ORG.XLPKG.CALC.FUNCTIONS.EXEC_RATE, which Excel cannot read."""
    out = tmp_path / "typed.xlsx"
    session(profile, [{"typed": [["A2", "1372"], ["B2", "1400"], ["C2", "=EXEC_RATE(A2;B2)"],
                                 ["D2", "=PERF_GRADE(85)"]],
                       "cells": ["C2"], "out": str(out)}])
    assert _sheet_formulas(out) == ["EXEC_RATE(A2,B2)", "PERF_GRADE(85)"]


@NO_OOXML_NAMES
def test_an_xlsx_with_the_excel_udf_names_computes_in_calc_and_round_trips(tmp_path, profile):
    """(b) An .xlsx holding EXEC_RATE(A2,B2) as the Excel UDFs are stored (bare, as openpyxl
    writes it) computes in LibreOffice with the extension, not #NAME?; (c) saved again by
    LibreOffice and reopened, it still reads EXEC_RATE and computes."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A2"], ws["B2"], ws["C2"], ws["D2"] = 1372, 1400, "=EXEC_RATE(A2,B2)", "=PERF_GRADE(85)"
    first = tmp_path / "excel.xlsx"
    wb.save(first)
    again = tmp_path / "again.xlsx"
    (result,), _ = session(profile, [{"path": str(first), "cells": ["C2", "D2"], "out": str(again)}])
    assert not result["errors"] and result["values"] == {"C2": 0.98, "D2": "良"}
    assert _sheet_formulas(again) == ["EXEC_RATE(A2,B2)", "PERF_GRADE(85)"]
    (result,), _ = session(profile, [{"path": str(again), "cells": ["C2", "D2"]}])
    assert not result["errors"] and result["values"] == {"C2": 0.98, "D2": "良"}


def test_the_excel_names_are_declared_and_used_in_xls(tmp_path, profile):
    """The compatibility names reach LibreOffice: in .xls (BIFF) it stores the bare Excel
    name of the add-in function and reads it back into working formulas."""
    out = tmp_path / "typed.xls"
    session(profile, [{"typed": [["A2", "1372"], ["B2", "1400"], ["C2", "=EXEC_RATE(A2;B2)"]],
                       "cells": ["C2"], "out": str(out), "out_filter": "MS Excel 97"}])
    data = out.read_bytes()
    assert b"EXEC_RATE" in data and b"ORG.XLPKG" not in data.upper()
    (result,), _ = session(profile, [{"path": str(out), "cells": ["C2"]}])
    assert result["values"]["C2"] == 0.98 and not result["errors"]


def test_without_its_dependencies_the_extension_says_so_in_the_cell(tmp_path):
    """An .oxt built --no-deps in a LibreOffice whose Python lacks jsonschema & co.: the cell
    shows a Chinese message naming what is missing, never a blank."""
    from xlpkg.libreoffice import harness as lo
    probe = subprocess.run([lo.uno_python(), "-I", "-c", "import jsonschema"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("LibreOffice's Python has xlpkg's dependencies installed")
    out = tmp_path / "bare.oxt"
    proc = subprocess.run([sys.executable, "-m", "xlpkg", "extension", "build", "--no-deps", "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(out) as z:
        assert not any(n.startswith("pythonpath/jsonschema/") for n in z.namelist())
    prof = lo.Profile(tmp_path / "profile")
    lo.install_extension(out, prof)
    (result,), _ = session(prof, [{"typed": [["A1", "=PERF_GRADE(95)"]], "cells": ["A1"]}])
    message = result["values"]["A1"]
    assert message.startswith("#错误：LibreOffice 的 Python") and "jsonschema" in message
    assert "LibreOffice扩展安装指南" in message


# --- the 绩效管理 menu ------------------------------------------------------------------------

def _filled(folder, project, name=None):
    from xlpkg.workbook.writer import fill_workbook
    return fill_workbook(project, folder / (name or f"{project.code}.xlsx"))


def test_validate_and_normalize_run_from_the_menu_on_a_filled_form(tmp_path, profile):
    from xlpkg.workbook.form_checks import read_checked_file
    p = example("105002B22DX0009")
    p.plan[3] = p.plan[3] - 10
    p.indicators[0].deviation_cause = "资金不足"
    path = _filled(tmp_path, p)
    r = L.IND_FIRST + len(p.indicators) + 1   # a free indicator row, filled the old way
    wb = openpyxl.load_workbook(path)
    wb[L.DECL][f"C{r}"] = "组织开展监督检查次数"
    wb[L.DECL][f"I{r}"] = "20次"
    wb.save(path)
    expected = [[i.sheet, i.cell or i.location, i.rule, {"error": "错误", "warning": "警告"}[i.severity],
                 i.message] for i in read_checked_file(path).issues]
    out = tmp_path / "after.xlsx"
    (result,), alerts = session(profile, [{
        "path": str(path), "commands": [COMMAND + "validate", COMMAND + "normalize"],
        "sheets": [L.RESULTS], "cells": [f"{L.DECL}!E{r}", f"{L.DECL}!F{r}", f"{L.DECL}!G{r}"],
        "out": str(out)}], tmp_path)
    rows = result["sheets"][L.RESULTS]
    assert rows[0] == ["工作表", "单元格", "规则", "级别", "说明"]
    assert [[None if v is None else v for v in row] for row in rows[1:]] == expected
    assert any(row[2] == "plan.ends_100" for row in rows[1:])
    assert [result["values"][f"{L.DECL}!{c}{r}"] for c in "EFG"] == ["=", 20.0, "次"]
    titles = [a["title"] for a in alerts]
    assert titles == ["校验", "规范指标值"]
    errors = sum(1 for row in expected if row[3] == "错误")
    warnings = sum(1 for row in expected if row[3] == "警告")
    assert alerts[0]["message"].startswith(f"校验完成：{errors}个错误，{warnings}个警告。")
    assert alerts[1]["message"].startswith("已规范1个指标值")


def test_consolidate_and_new_run_from_the_menu_in_the_summary_workbench(tmp_path, profile):
    from xlpkg.summary import SETTINGS
    folder = tmp_path / "105002-2022"
    folder.mkdir()
    for p in all_examples():
        _filled(folder, p)
    bench = tmp_path / "部门汇总表.xlsx"
    shutil.copy(ROOT / "workbook_templates" / "部门汇总表.xlsx", bench)
    wb = openpyxl.load_workbook(bench)
    settings_sheet, ref = next(iter(wb.defined_names["SourceFolder"].destinations))
    wb[settings_sheet][ref.replace("$", "")] = str(folder)
    wb.save(bench)
    (result,), alerts = session(profile, [{
        "path": str(bench), "commands": [COMMAND + "consolidate", COMMAND + "new"],
        "sheets": ["部门小计", "项目汇总"], "out": str(tmp_path / "bench_after.xlsx")}], tmp_path)
    assert (folder / "部门汇总.xlsx").is_file()
    departments = result["sheets"]["部门小计"]
    head = departments[0]
    rows = {r[0]: dict(zip(head, r)) for r in departments[1:] if r[0]}
    columns = ("项目数", "全年预算数（万元）", "全年执行数（万元）")
    assert [rows["105002"][c] for c in columns] == [3, 2778, 2714]
    assert len([r for r in result["sheets"]["项目汇总"][1:] if any(r)]) >= 4
    # issue 21 #12: formatted as the summary file is (LOBook's number_format)
    stored = openpyxl.load_workbook(tmp_path / "bench_after.xlsx")["部门小计"]
    rate = stored.cell(row=2, column=head.index("执行率") + 1)
    money = stored.cell(row=2, column=head.index("全年预算数（万元）") + 1)
    # LibreOffice stores the English locale it parsed the code in ("[$-409]0.00%"): Excel reads it so
    plain = lambda code: re.sub(r"^\[\$-409\]", "", code)   # noqa: E731
    assert (plain(rate.number_format), plain(money.number_format)) == ("0.00%", "#,##0.00")
    assert alerts[0]["title"] == "汇总" and alerts[0]["message"].startswith("汇总完成：读取4个文件，汇总4个项目")
    new = tmp_path / "项目绩效目标表.xlsx"   # next to the workbench
    assert new.is_file()
    assert openpyxl.load_workbook(new).sheetnames[:len(L.SHEETS)] == list(L.SHEETS)


def test_validate_from_the_menu_reads_date_cells_as_dates(tmp_path, profile):
    """issue 21 #7: a form typed through the dispatcher with a split date target and date
    actuals; the 校验 command (LOBook) and the file reader list the same issues: no
    "指标值“44926”无法识别", no "44915 无法识别", no false form.stale_cache."""
    from xlpkg.libreoffice import harness as lo
    from xlpkg.workbook.form_checks import read_checked_file
    from xlpkg.workbook.template import write_template

    def cell(name, off=0, col=0):
        sheet, first_col, row = L.first_cell(name)
        return sheet, f"{L.shift_col(first_col, col)}{row + off}"

    cols = {f: i for i, f in enumerate(L.IND_FIELDS)}
    entries = [(*cell("FiscalYear"), "2022"), (*cell("Budget"), "100"), (*cell("YearSpent"), "95")]
    typed = [("产出指标", "数量指标", "培训人次", "不少于10次", "12次"),
             ("产出指标", "时效指标", "完成时间", None, "2022-12-20"),       # split 日期 target
             ("产出指标", "时效指标", "验收时间", "2022年11月底", "2022-11-20"),
             ("效益指标", "社会效益指标", "群众满意", "效果显著", "达成年度指标"),
             ("满意度指标", "服务对象满意度指标", "满意度", "95%以上", "96%")]
    for i, (l1, l2, name, target, actual) in enumerate(typed):
        entries += [(*cell("Indicators", i, 0), l1), (*cell("Indicators", i, 1), l2),
                    (*cell("Indicators", i, 2), name), (*cell("IndActual", i), actual)]
        if target:
            entries.append((*cell("Indicators", i, cols["original"]), target))
    entries += [(*cell("Indicators", 1, cols["nature"]), "日期"),
                (*cell("Indicators", 1, cols["value"]), "2022-12-31")]
    form = lo.type_into(write_template(tmp_path / "blank.xlsx"), entries, tmp_path / "typed.xlsx")
    from_file = read_checked_file(form, rules=RULES)
    assert from_file.metrics.evaluation.indicators[1].mode == "date"
    expected = [[i.sheet, i.cell or i.location, i.rule, {"error": "错误", "warning": "警告"}[i.severity],
                 i.message] for i in from_file.issues]
    assert not [row for row in expected if row[2] in ("form.stale_cache", "indicator.actual_invalid")
                or "无法识别" in row[4]], expected
    (result,), alerts = session(profile, [{"path": str(form), "commands": [COMMAND + "validate"],
                                           "sheets": [L.RESULTS]}], tmp_path)
    rows = [[None if v is None else v for v in row] for row in result["sheets"][L.RESULTS][1:]]
    if expected:
        assert rows == expected
    else:
        assert rows == [[None, None, None, None, "未发现问题"]] or rows == [["", "", "", "", "未发现问题"]], rows
    assert alerts[0]["title"] == "校验"
