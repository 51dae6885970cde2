"""Template v3 (issue 24's part): 设定依据类别 and the history columns; v1 and v2 forms still
read, check, consolidate and upgrade."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import ROOT, example
from xlpkg.consolidate import consolidate
from xlpkg.model import project_from_dict, project_to_dict
from xlpkg.workbook import layout as L
from xlpkg.workbook.form_checks import read_checked_file
from xlpkg.workbook.upgrade import upgrade_workbook, upgraded_path
from xlpkg.workbook.writer import fill_workbook

V1 = ROOT / "tests" / "data" / "v1"
V2 = ROOT / "tests" / "data" / "v2"
V2_BOOKS = sorted(V2.glob("*.xlsx"))
NEW_FIELDS = ("basis_kind", "last_target", "last_actual", "history_value")


def _history_project():
    p = example("105002B22DX0009")
    p.code = "105002B22DX9903"
    first, quality, cost = p.indicators[0], p.indicators[1], p.indicators[3]
    first.target, quality.target = "≥3", "≥98%"   # 正向: the history rules apply
    first.basis_kind, first.last_target, first.last_actual, first.history_value = "历史标准", "≥2", "3", "4"
    quality.basis_kind, quality.last_actual, quality.history_value = "计划标准", "120%", "99.5%"
    cost.basis_kind = "预算支出标准"
    p.indicators[5].last_actual = "较好"   # 定性: its text
    return p


def test_version_3_and_the_new_names():
    assert L.TEMPLATE_VERSION == 3 and L.READABLE_VERSIONS == (1, 2, 3)
    cols = {n: L.NAMES[n].ref for n in L.V3_CARRY_NAMES}
    assert cols == {"IndBasisKind": f"J{L.IND_FIRST}:J{L.IND_LAST}",
                    "IndLastTarget": f"K{L.IND_FIRST}:K{L.IND_LAST}",
                    "IndLastActual": f"L{L.IND_FIRST}:L{L.IND_LAST}",
                    "IndHistoryValue": f"M{L.IND_FIRST}:M{L.IND_LAST}"}
    assert set(L.V3_CARRY_NAMES) <= set(L.INPUT_NAMES_BY_VERSION[3])
    assert L.DECL_COLUMNS[-1] == "M" and len(L.DECL_WIDTHS) == len(L.DECL_COLUMNS)


def test_fill_writes_and_read_returns_the_new_fields(tmp_path):
    p = _history_project()
    source = tmp_path / "p.json"
    source.write_text(json.dumps(project_to_dict(p), ensure_ascii=False), "utf-8")
    run = lambda *a: subprocess.run([sys.executable, "-m", "xlpkg", *a], capture_output=True,
                                    text=True, encoding="utf-8")
    done = run("fill", str(source), "-o", str(tmp_path / "p.xlsx"))
    assert done.returncode == 0, done.stderr
    read = run("read", "--json", str(tmp_path / "p.xlsx"))
    data = json.loads(read.stdout)
    assert data["project"] == project_to_dict(p, every_field=True)   # read --json shows every field
    rows = data["project"]["indicators"]
    assert [(r.get("basis_kind"), r.get("last_actual"), r.get("history_value")) for r in rows[:2]] == [
        ("历史标准", "3", "4"), ("计划标准", "120%", "99.5%")]
    # checks name the cells: 历史标准 below the 历史值, 预算支出标准 outside cost, last actual above
    found = {(i["rule"], i["sheet"], i["cell"]) for i in data["issues"]}
    first = L.IND_FIRST
    assert ("indicator.below_history", L.DECL, f"I{first}") in found   # the 原指标值 cell typed
    assert ("indicator.target_below_last_actual", L.DECL, f"I{first + 1}") in found
    assert not any(r == "indicator.basis_kind_mismatch" for r, _, _ in found)   # 成本 row is cost


def test_basis_kind_outside_cost_is_warned_at_its_cell(tmp_path):
    p = _history_project()
    p.indicators[1].basis_kind = "预算支出标准"
    issues = read_checked_file(fill_workbook(p, tmp_path / "p.xlsx")).issues
    hits = [i for i in issues if i.rule == "indicator.basis_kind_mismatch"]
    assert [(i.sheet, i.cell, i.severity) for i in hits] == [(L.DECL, f"J{L.IND_FIRST + 1}", "warning")]


def test_old_json_documents_round_trip_unchanged():
    data = project_to_dict(example("105002B22DX0009"))
    assert not any(f in ind for ind in data["indicators"] for f in NEW_FIELDS)
    assert project_to_dict(project_from_dict(data)) == data


@pytest.mark.parametrize("book", V2_BOOKS, ids=lambda p: p.stem)
def test_v2_forms_still_read_the_same(book):
    expected = json.loads(book.with_suffix(".read.json").read_text("utf-8"))
    result = read_checked_file(book)
    assert project_to_dict(result.project) == expected["project"]
    before = {(i["rule"], i["sheet"], i["cell"]) for i in expected["issues"]}
    assert {(i.rule, i.sheet, i.cell) for i in result.issues} == before


@pytest.mark.parametrize("book", [*V2_BOOKS, V1 / "all_fields_v1.xlsx"], ids=lambda p: p.stem)
def test_upgrade_moves_v1_and_v2_to_v3(book, tmp_path):
    result = upgrade_workbook(book, tmp_path / upgraded_path(book).name)
    assert result.ok, result.message
    assert result.output.name.endswith(f".v{L.TEMPLATE_VERSION}.xlsx")
    wb = openpyxl.load_workbook(result.output)
    assert wb["_xlpkg"]["B2"].value == 3 and all(n in wb.defined_names for n in L.V3_CARRY_NAMES)
    before, after = read_checked_file(book).project, read_checked_file(result.output).project
    assert project_to_dict(after) == project_to_dict(before)


def test_v1_v2_and_v3_forms_consolidate_together(tmp_path):
    v3 = fill_workbook(_history_project(), tmp_path / "v3.xlsx")
    c = consolidate([V1 / "105002B21DX0008.xlsx", V2 / "105002B22DX0009.xlsx", v3], jobs=1, year=2022)
    assert sorted(c.projects["项目编码"]) == ["105002B21DX0008", "105002B22DX0009", "105002B22DX9903"]
    assert not c.files_with_errors
