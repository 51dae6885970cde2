"""Which copy counts when forms and summaries of one department meet (docs/sources-of-truth.md):
a stale summary must not resurrect withdrawn or renamed projects, and differing copies of one
project are an error naming both sources, never "the first by path" silently (issue 22, 4–5)."""
from __future__ import annotations

import copy
import os
import shutil
import time
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import all_examples, example
from xlpkg.consolidate import TOTAL_LABEL, consolidate
from xlpkg.model import Execution
from xlpkg.summary import write_summary
from xlpkg.workbook.writer import fill_workbook


def _dept(c, code):
    return c.departments.set_index("部门编码").loc[code]


def _errors(c):
    return c.issues[c.issues["严重程度"] == "错误"]


def _age(path: Path, days: int) -> None:
    then = time.time() - days * 86400
    os.utime(path, (then, then))


@pytest.fixture
def december(tmp_path) -> Path:
    """The issue's scenario. November: the seed's forms with 105002B21DX0008 typed as …0080,
    plus 105002B22DX0010 (withdrawn since); its summary 部门汇总_11月.xlsx stays in the folder.
    December: the typo fixed, the withdrawn form gone, the November summary beside them."""
    november = tmp_path / "11月"
    for p in all_examples():
        p = copy.deepcopy(p)
        if p.code == "105002B21DX0008":
            p.code = "105002B21DX0080"
        fill_workbook(p, november / f"{p.code}.xlsx")
    withdrawn = copy.deepcopy(example("105002B22DX0009"))
    withdrawn.code = "105002B22DX0010"
    fill_workbook(withdrawn, november / f"{withdrawn.code}.xlsx")
    folder = tmp_path / "12月"
    old = write_summary(consolidate(november, jobs=1), folder / "部门汇总_11月.xlsx")
    _age(old, 30)
    for p in all_examples():
        fill_workbook(p, folder / f"{p.code}.xlsx")
    return folder


def test_a_stale_summary_does_not_resurrect_projects(december):
    c = consolidate(december, jobs=1)
    assert c.project_count == 4
    assert sorted(c.projects["项目编码"]) == sorted(p.code for p in all_examples())
    assert (_dept(c, "105002")["项目数"], _dept(c, "105002")["全年预算数（万元）"]) == (3, 2778)
    assert (_dept(c, "105004")["项目数"], _dept(c, "105004")["全年预算数（万元）"]) == (1, 1177)
    assert _dept(c, TOTAL_LABEL)["全年预算数（万元）"] == 3955
    assert _errors(c).empty, _errors(c).to_string()
    summary = c.issues[c.issues["文件"].str.endswith("部门汇总_11月.xlsx")]
    text = " ".join(summary["说明"])
    # the projects it still carries are named, and the summary is flagged as older, by name
    assert "105002B21DX0080" in text and "105002B22DX0010" in text
    assert "的项目表旧" in text and "105002B" in text and ".xlsx" in text
    assert set(summary["严重程度"]) == {"警告"}


def test_a_current_summary_beside_its_forms_is_a_quiet_cross_check(tmp_path):
    folder = tmp_path / "forms"
    for p in all_examples():
        fill_workbook(p, folder / f"{p.code}.xlsx")
    summary = write_summary(consolidate(folder, jobs=1), folder / "部门汇总.xlsx")
    os.utime(summary)   # saved after the forms
    c = consolidate(folder, jobs=1, exclude=[])
    assert c.project_count == 4 and _dept(c, TOTAL_LABEL)["全年预算数（万元）"] == 3955
    assert _errors(c).empty
    text = " ".join(c.issues[c.issues["文件"] == str(summary)]["说明"])
    assert "旧" not in text and "没有的" not in text and "不一致" not in text


def _spent(p, spent: Decimal):
    p = copy.deepcopy(p)
    actuals = [None if v is None else min(v, spent) for v in p.execution.actual_cumulative]
    p.execution = Execution(actual_cumulative=actuals[:3] + [spent], year_spent=spent)
    return p


def test_two_summaries_that_disagree_on_a_project_are_an_error_naming_both(tmp_path):
    base = example("105002B16DX0003")
    a_forms, b_forms = tmp_path / "a", tmp_path / "b"
    fill_workbook(_spent(base, Decimal(1372)), a_forms / f"{base.code}.xlsx")
    fill_workbook(_spent(base, Decimal(700)), b_forms / f"{base.code}.xlsx")
    other = example("105004B22DX0001")
    fill_workbook(other, b_forms / f"{other.code}.xlsx")
    inbox = tmp_path / "inbox"
    a = write_summary(consolidate(a_forms, jobs=1), inbox / "a汇总.xlsx")
    b = write_summary(consolidate(b_forms, jobs=1), inbox / "b汇总.xlsx")
    c = consolidate(inbox, jobs=1)
    assert base.code not in c.projects["项目编码"].tolist()   # neither copy counts
    assert c.projects["项目编码"].tolist() == [other.code]     # the rest still does
    conflict = _errors(c)
    assert len(conflict) == 1
    text = conflict.iloc[0]["说明"]
    assert str(a) in text and str(b) in text and "1372" in text and "700" in text
    # identical copies in two summaries still count once, silently
    again = write_summary(consolidate(b_forms, jobs=1), inbox / "c汇总.xlsx")
    os.remove(a)
    c = consolidate(inbox, jobs=1)
    assert _errors(c).empty, _errors(c)["说明"].tolist()
    assert sorted(c.projects["项目编码"]) == sorted([base.code, other.code])
    assert again.exists()


def test_a_form_with_an_error_is_not_replaced_by_a_summarys_clean_copy(tmp_path):
    base = example("105002B16DX0003")
    folder = tmp_path / "forms"
    fill_workbook(base, tmp_path / "old" / f"{base.code}.xlsx")
    summary = write_summary(consolidate(tmp_path / "old", jobs=1), folder / "部门汇总_11月.xlsx")
    _age(summary, 30)
    broken = copy.deepcopy(base)
    broken.plan[3] = Decimal(90)   # plan.ends_100: an error
    fill_workbook(broken, folder / f"{base.code}.xlsx")
    c = consolidate(folder, jobs=1)
    assert c.project_count == 0
    named = _errors(c)[_errors(c)["规则"] == "consolidate.duplicate"]
    assert len(named) == 1 and str(summary) in named.iloc[0]["说明"]
    assert named.iloc[0]["文件"] == str(folder / f"{base.code}.xlsx")


def test_a_form_that_changed_since_the_summary_counts_as_the_form_says(tmp_path):
    base = example("105002B16DX0003")
    fill_workbook(base, tmp_path / "old" / f"{base.code}.xlsx")
    folder = tmp_path / "forms"
    summary = write_summary(consolidate(tmp_path / "old", jobs=1), folder / "旧汇总.xlsx")
    _age(summary, 30)
    fill_workbook(_spent(base, Decimal(333)), folder / f"{base.code}.xlsx")
    c = consolidate(folder, jobs=1)
    assert c.projects["全年执行数（万元）"].tolist() == [333]
    text = " ".join(c.issues[c.issues["文件"] == str(summary)]["说明"])
    assert "不一致" in text and "333" in text and "旧" in text
    assert _errors(c).empty


def test_a_stale_summary_copied_in_later_does_not_resurrect_either(december):
    """Copying the November summary into the folder gives it today's date: the content (it
    lacks the corrected form) still shows it is out of date."""
    summary = december / "部门汇总_11月.xlsx"
    later = time.time() + 3600
    os.utime(summary, (later, later))
    c = consolidate(december, jobs=1)
    assert c.project_count == 4
    assert (_dept(c, "105002")["项目数"], _dept(c, "105002")["全年预算数（万元）"]) == (3, 2778)
    text = " ".join(c.issues[c.issues["文件"] == str(summary)]["说明"])
    assert "105002B21DX0080" in text and "105002B22DX0010" in text and "已过时" in text
