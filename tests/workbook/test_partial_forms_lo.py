"""Declaration-only, partly self-evaluated and 全年执行数-less forms: Python says what the
sheet shows, recalculated in LibreOffice (issue 21 #6, issue 22 #7). One soffice call."""
from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from tests.conftest import require_libreoffice
from tests.helpers import example
from xlpkg.cli import main as cli_main
from xlpkg.report import metrics_to_dict
from xlpkg.rules import load_rules
from xlpkg.sources import CalamineSource, name_values
from xlpkg.workbook.form_checks import read_checked_file
from xlpkg.workbook.writer import fill_workbook

RULES = load_rules()


def _declaration_only():
    p = example()
    p.execution.year_spent = None
    p.execution.actual_cumulative = [None] * 4
    for ind in p.indicators:
        ind.actual = ""
    return p


def _one_actual_blank():
    p = example()
    p.indicators[1].actual = ""
    return p


def _no_year_spent():
    p = example()
    p.execution.year_spent = None
    return p


FORMS = {"declaration": _declaration_only, "one_blank": _one_actual_blank, "no_spent": _no_year_spent}


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    require_libreoffice()
    from xlpkg.libreoffice import harness as lo
    folder = tmp_path_factory.mktemp("partial")
    paths = []
    for name, make in FORMS.items():
        paths.append(fill_workbook(make(), folder / f"{name}.xlsx"))
    done = lo.recalculate(paths, folder / "out")
    return {p.stem: p for p in done}


def _shown(path, name):
    return name_values(CalamineSource(path), name)[0][0]


def _rules(result):
    return [i.rule for i in result.issues]


def test_declaration_only_form_has_no_total_and_no_flood_of_warnings(recalculated, capsys):
    path = recalculated["declaration"]
    assert _shown(path, "TotalScore") in (None, "") and _shown(path, "Grade") in (None, "")
    result = read_checked_file(path, rules=RULES)
    assert "form.sheet_blank" not in _rules(result) and "indicator.actual_missing" not in _rules(result), result.issues
    assert "form.stale_cache" not in _rules(result)
    ev = metrics_to_dict(result.metrics)["self_evaluation"]
    assert ev["total"] is None and ev["grade"] is None and "尚未开始自评" in ev["reasons"]["total"]
    assert all(s["score"] is None for s in ev["indicators"])
    assert cli_main(["read", str(path)]) == 0
    out = capsys.readouterr().out
    assert "总分 0.00" not in out and "等级 差" not in out and "尚未开始自评" in out
    cli_main(["score", str(path), "--json"])
    scored = json.loads(capsys.readouterr().out)[0]
    assert scored["self_evaluation"]["total"] is None and scored["self_evaluation"]["grade"] is None
    assert scored["issues"] == []


def test_one_blank_actual_is_one_accurate_warning(recalculated):
    path = recalculated["one_blank"]
    result = read_checked_file(path, rules=RULES)
    total = _shown(path, "TotalScore")
    assert isinstance(total, float) and D(repr(total)).quantize(D("0.01")) == result.metrics.evaluation.total
    assert "form.sheet_blank" not in _rules(result), result.issues
    assert _rules(result).count("indicator.actual_missing") == 1
    assert "form.stale_cache" not in _rules(result)


def test_missing_year_spent_warns_and_the_execution_score_is_blank_as_on_the_sheet(recalculated, capsys):
    path = recalculated["no_spent"]
    result = read_checked_file(path, rules=RULES)
    assert _shown(path, "ExecScore") in (None, "")          # the sheet: no execution score
    total = _shown(path, "TotalScore")
    ev = result.metrics.evaluation
    assert D(repr(total)).quantize(D("0.01")) == ev.total    # both count it as 0 in the total
    warned = [i for i in result.issues if i.rule == "execution.year_spent_missing"]
    assert len(warned) == 1 and warned[0].severity == "warning" and warned[0].cell, result.issues
    shown = metrics_to_dict(result.metrics)["self_evaluation"]
    assert shown["execution_score"] is None and "未填写全年执行数" in shown["reasons"]["execution_score"]
    assert cli_main(["validate", str(path)]) == 0
    assert "未填写全年执行数" in capsys.readouterr().out
