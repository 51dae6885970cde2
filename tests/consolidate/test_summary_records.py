"""What a summary carries besides its projects is checked like any input (issue 22, items 6, 8,
14): department evaluations filtered by year and range-checked; one bad record listed, the
others kept."""
from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import all_examples
from xlpkg.consolidate import DEPT_EVAL_COLUMNS, consolidate
from xlpkg.summary import write_summary
from xlpkg.workbook.writer import fill_workbook


@pytest.fixture(scope="module")
def forms(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("forms")
    for p in all_examples():
        fill_workbook(p, folder / f"{p.code}.xlsx")
    return folder


def _evaluation(**changes) -> dict:
    e = {"部门编码": "105002", "部门名称": "测试部门", "年度": 2022, "部门自评得分": 91.5,
         "部门自评等级": "优", "部门执行率": 0.95, "来源文件": "105002.xlsx"}
    e.update(changes)
    return e


def _summary_with(forms: Path, out: Path, *evaluations: dict) -> Path:
    c = consolidate(forms, jobs=1)
    c.dept_evaluations = pd.DataFrame([tuple(e[k] for k in DEPT_EVAL_COLUMNS) for e in evaluations],
                                      columns=list(DEPT_EVAL_COLUMNS), dtype=object)
    return write_summary(c, out)


def test_another_years_department_evaluation_is_not_ranked(forms, tmp_path):
    summary = _summary_with(forms, tmp_path / "s2022.xlsx", _evaluation())
    assert len(consolidate(summary, jobs=1).dept_evaluations) == 1   # the same year: ranked
    later = tmp_path / "2023"
    for p in all_examples():
        p = copy.deepcopy(p)
        p.year = 2023
        fill_workbook(p, later / f"{p.code}.xlsx")
    c = consolidate([summary, later], jobs=1, year=2023)
    assert c.dept_evaluations.empty, c.dept_evaluations
    assert c.project_count == 4 and set(c.projects["年度"]) == {2023}
    notes = c.issues[c.issues["文件"] == str(summary)]["说明"].str.cat(sep=" ")
    assert "不是汇总年度2023年" in notes
    # without --year the summary's year is the forms' (2023) and the 2022 evaluation stays out
    c = consolidate([summary, later], jobs=1)
    assert c.year == 2023 and c.dept_evaluations.empty


@pytest.mark.parametrize("changes", [
    {"部门自评得分": 1e308}, {"部门自评得分": "九十八"}, {"部门自评等级": "=1+1"},
    {"部门执行率": "很高"}, {"部门自评得分": -3}, {"部门编码": {"x": 1}},
], ids=["1e308", "chinese", "formula-grade", "rate-text", "negative", "code-object"])
def test_department_evaluations_in_a_summary_are_range_checked(forms, tmp_path, changes):
    summary = _summary_with(forms, tmp_path / "s.xlsx", _evaluation(**changes),
                            _evaluation(部门编码="105004", 部门名称="另一部门"))
    c = consolidate(summary, jobs=1)
    ranked = c.dept_evaluations.set_index("部门编码")
    assert ranked.loc["105004", "部门自评得分"] == 91.5            # the good one is kept
    row = ranked.loc["105002"] if "105002" in ranked.index else None
    shown = [] if row is None else [row["部门自评得分"], row["部门自评等级"], row["部门执行率"]]
    for bad in changes.values():
        assert not any(v == bad or (isinstance(v, str) and v == str(bad)) for v in shown), shown
    if row is not None and row["部门自评得分"] is not None and row["部门自评得分"] == row["部门自评得分"]:
        assert 0 <= row["部门自评得分"] <= 100
    text = c.issues[c.issues["文件"] == str(summary)]["说明"].str.cat(sep=" ")
    assert "不合理" in text or "没有有效的部门编码" in text


# --- 14: one bad record in _xlpkg_data costs that record only ---------------------------

def _deep(n: int = 100_000) -> str:
    return "[" * n + "]" * n


def _tamper(summary: Path, code: str, change) -> None:
    """Rewrite one project's record in the summary's very hidden data sheet."""
    import openpyxl
    from xlpkg.consolidate.multilevel import DATA_SHEET, decode_record, encode_record

    wb = openpyxl.load_workbook(summary)
    ws = wb[DATA_SHEET]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "project" and row[1].value == code:
            data = decode_record("".join(c.value for c in row[4:] if isinstance(c.value, str)))
            text = change(data)
            text = text if isinstance(text, str) else encode_record(data)
            for cell in row[4:]:
                cell.value = None
            row[4].value = text
            break
    else:
        raise AssertionError(code)
    wb.save(summary)


def _raw_record(payload: str) -> str:
    import base64
    import zlib
    return "z1:" + base64.b64encode(zlib.compress(payload.encode("utf-8"))).decode("ascii")


@pytest.mark.parametrize("change", [
    lambda d: _raw_record('{"project": ' + _deep() + ', "issues": []}'),
    lambda d: d.update(issues=5),
    lambda d: d.update(issues=[{"rule": 5, "severity": "error", "message": "x"}]),
    lambda d: d.update(issues=[None]),
    lambda d: d["project"].update(indicators=[[[[[["x"]]]]]]),
], ids=["deep-nesting", "issues-int", "rule-int", "issue-none", "nested-indicators"])
def test_one_bad_record_is_listed_and_the_others_kept(forms, tmp_path, change):
    summary = write_summary(consolidate(forms, jobs=1), tmp_path / "s.xlsx")
    victim = "105002B21DX0008"
    _tamper(summary, victim, change)
    c = consolidate(summary, jobs=1)
    assert sorted(c.projects["项目编码"]) == sorted(p.code for p in all_examples() if p.code != victim)
    mine = c.issues[c.issues["文件"] == str(summary)]
    assert "form.not_template" not in mine["规则"].tolist()
    assert not mine["说明"].str.contains("意外错误").any(), mine["说明"].tolist()
    damaged = mine[mine["规则"] == "form.unreadable"]["说明"].str.cat(sep=" ")
    assert "1条项目数据已损坏" in damaged and victim in damaged


def test_an_unknown_severity_in_a_record_is_an_error_in_chinese(forms, tmp_path):
    summary = write_summary(consolidate(forms, jobs=1), tmp_path / "s.xlsx")
    victim = "105002B21DX0008"
    _tamper(summary, victim, lambda d: d.update(
        issues=[{"rule": "form.value", "severity": "fatal", "message": "金额无法读取"}]))
    c = consolidate(summary, jobs=1)
    assert victim not in c.projects["项目编码"].tolist()
    row = c.issues[c.issues["说明"].str.contains("金额无法读取")].iloc[0]
    assert row["严重程度"] == "错误"


def test_a_year_read_back_as_a_float_is_the_same_year(forms, tmp_path):
    """项目汇总's 年度 stored as 2022.0 (another program's save): no false orphan rows."""
    import zipfile

    summary = write_summary(consolidate(forms, jobs=1), tmp_path / "s.xlsx")
    with zipfile.ZipFile(summary) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    changed = 0
    for name, data in parts.items():
        if name.startswith("xl/worksheets/") and b"<v>2022</v>" in data:
            changed += data.count(b"<v>2022</v>")
            parts[name] = data.replace(b"<v>2022</v>", b"<v>2022.0</v>")
    assert changed
    with zipfile.ZipFile(summary, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    c = consolidate(summary, jobs=1)
    assert not c.issues["说明"].str.contains("没有对应的原始数据").any(), c.issues["说明"].tolist()
    assert c.project_count == 4


def test_a_record_whose_year_is_a_float_has_its_row(forms, tmp_path):
    summary = write_summary(consolidate(forms, jobs=1), tmp_path / "s.xlsx")
    _tamper(summary, "105002B21DX0008", lambda d: d["project"].update(year=2022.0))
    c = consolidate(summary, jobs=1)
    assert not c.issues["说明"].str.contains("没有对应的原始数据").any(), c.issues["说明"].tolist()
