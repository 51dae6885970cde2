"""The finance bureau's review (issue 25): the review workbook built from forms of two
departments, a reviewer's inputs written by header, applied into copies, read back, recalculated
by LibreOffice, and refused when the review workbook is bad."""
from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import ROOT
from xlpkg.cli import main
from xlpkg.metrics import project_metrics
from xlpkg.rules import load_rules
from xlpkg.workbook import layout as L
from xlpkg.workbook.form_checks import read_checked_file

RULES = load_rules()
TIERS = ("优", "良", "中", "差")


def _headers(ws) -> dict[str, int]:
    return {c.value: c.column for c in ws[1] if c.value}


def fill_review(path: Path, *, tiers=TIERS, factor=0.87, skip_one=False) -> None:
    """A reviewer's work, written into the review workbook's cells found by header."""
    wb = openpyxl.load_workbook(path)
    ws = wb["审核"]
    h = _headers(ws)
    for r in range(2, ws.max_row + 1):
        ws.cell(r, h["审核结果"], tiers[(r - 2) % len(tiers)])
        ws.cell(r, h["审核意见"], f"审核意见{r}")
    wi = wb["指标审核"]
    hi = _headers(wi)
    for r in range(2, wi.max_row + 1):
        wi.cell(r, hi["审核意见"], f"指标意见{r}")
        if "评定得分" in hi:
            w = wi.cell(r, hi["分值"]).value
            if isinstance(w, (int, float)) and not (skip_one and r == 2):
                wi.cell(r, hi["评定得分"], round(w * factor, 2))
    wb.save(path)


@pytest.fixture
def forms(filled_dir, tmp_path) -> Path:
    """Forms of two departments (105002 and 105004), private to the test."""
    out = tmp_path / "forms"
    shutil.copytree(filled_dir, out)
    return out


def run(capsys, *argv) -> tuple[int, dict | str]:
    capsys.readouterr()   # what earlier commands printed
    code = main(list(argv))
    out = capsys.readouterr().out
    try:
        return code, json.loads(out)
    except json.JSONDecodeError:
        return code, out


def test_review_workbook_lists_projects_indicators_and_findings(forms, tmp_path, capsys):
    book = tmp_path / "审核表.xlsx"
    code, out = run(capsys, "review", str(forms), "-o", str(book), "--stage", "evaluation", "--json")
    assert code == 0 and out["projects"] == 4
    wb = openpyxl.load_workbook(book)
    ws, wi = wb["审核"], wb["指标审核"]
    h, hi = _headers(ws), _headers(wi)
    for head in ("部门编码", "部门名称", "项目编码", "项目名称", "年度", "预算数", "审核发现", "发现数",
                 "建议等级", "建议理由", "审核结果", "审核意见", "自评总分", "评定总分"):
        assert head in h, head
    for head in ("项目编码", "一级指标", "二级指标", "三级指标", "指标值", "审核发现", "审核意见",
                 "实际完成值", "分值", "自评得分", "评定得分"):
        assert head in hi, head
    assert {ws.cell(r, h["部门编码"]).value for r in range(2, 6)} == {"105002", "105004"}
    assert wi.max_row - 1 == out["indicators"]
    # 105004's form has no 效益 indicator: said, and the suggested tier follows the rule
    row = next(r for r in range(2, 6) if ws.cell(r, h["项目编码"]).value == "105004B22DX0001")
    assert "缺少一级指标：效益指标" in ws.cell(row, h["审核发现"]).value
    assert ws.cell(row, h["建议等级"]).value == "中"
    # only the reviewer's cells are unlocked, every sheet protected, forms' SHA-256 kept hidden
    assert ws.protection.sheet and wi.protection.sheet
    unlocked = {(c.column, s.title) for s in (ws, wi) for row_ in s.iter_rows(min_row=2)
                for c in row_ if not c.protection.locked}
    assert {col for col, s in unlocked if s == "审核"} == {h["审核结果"], h["审核意见"]}
    assert {col for col, s in unlocked if s == "指标审核"} == {hi["审核意见"], hi["评定得分"]}
    info = wb["_审核信息"]
    assert info.sheet_state == "veryHidden"
    shas = {info.cell(r, 5).value for r in range(9, 13)}
    import hashlib
    assert shas == {hashlib.sha256(p.read_bytes()).hexdigest() for p in forms.glob("*.xlsx")}
    kinds = {dv.type: dv for dv in ws.data_validations.dataValidation}
    assert kinds["list"].formula1 == '"优,良,中,差"' and kinds["list"].errorStyle == "stop"
    (score_dv,) = wi.data_validations.dataValidation
    assert score_dv.type == "decimal" and score_dv.formula1 == "0"


def test_apply_writes_copies_that_read_back_the_review(forms, tmp_path, capsys):
    book, out_dir = tmp_path / "审核表.xlsx", tmp_path / "reviewed"
    assert main(["review", str(forms), "-o", str(book), "--stage", "evaluation"]) == 0
    fill_review(book)
    before = {p.name: p.read_bytes() for p in forms.glob("*.xlsx")}
    code, out = run(capsys, "review", "--apply", str(book), str(forms), "-o", str(out_dir), "--json")
    assert code == 0, out
    assert len(out["applied"]) == 4 and not out["skipped"] and not out["errors"]
    assert {p.name: p.read_bytes() for p in forms.glob("*.xlsx")} == before   # never changed
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(before)
    grades = {}
    for path in out_dir.glob("*.xlsx"):
        code, data = run(capsys, "read", str(path), "--json")
        assert code == 0
        p = data["project"]
        assert p["review"]["stage"] == "evaluation" and p["review"]["grade"] in TIERS
        assert p["review"]["opinion"].startswith("审核意见") and p["review"]["date"]
        assert all(i["review_opinion"].startswith("指标意见") for i in p["indicators"])
        result = read_checked_file(path)
        m = project_metrics(result.project, RULES)
        assert data["verified_total_score"] == f"{m.verified_total_score:.2f}"
        assert data["verified_grade"] == RULES.grade(m.verified_total_score)
        assert not [i for i in data["issues"] if i["rule"] == "review.stale"]
        grades[p["code"]] = p["review"]["grade"]
    assert sorted(grades.values()) == sorted(TIERS)
    # the 财政部门审核 block is locked on protected sheets: the department cannot edit it
    wb = openpyxl.load_workbook(next(out_dir.glob("*.xlsx")))
    for name in ("ReviewStage", "ReviewGrade", "ReviewOpinion", "ReviewDate", "IndReviewOpinion",
                 "IndVerifiedScore", "VerifiedTotalScore", "VerifiedGrade"):
        sheet, col, row = L.first_cell(name)
        assert wb[sheet].protection.sheet and wb[sheet][f"{col}{row}"].protection.locked, name
    sheet, col, row = L.first_cell("VerifiedTotalScore")
    assert str(wb[sheet][f"{col}{row}"].value).startswith("=")


def test_libreoffice_recalculates_verified_total_as_python(forms, tmp_path, libreoffice):
    book, out_dir = tmp_path / "审核表.xlsx", tmp_path / "reviewed"
    assert main(["review", str(forms), "-o", str(book), "--stage", "evaluation"]) == 0
    fill_review(book, factor=0.8731)
    assert main(["review", "--apply", str(book), str(forms), "-o", str(out_dir)]) == 0
    recalculated = libreoffice.recalculate(sorted(out_dir.glob("*.xlsx")) + [book], tmp_path / "lo")
    expected = {}
    for path in sorted(out_dir.glob("*.xlsx")):
        m = project_metrics(read_checked_file(path).project, RULES)
        assert m.verified_total_score is not None
        expected[m.project.code] = m.verified_total_score
        wb = openpyxl.load_workbook(tmp_path / "lo" / path.name, data_only=True)
        ws = wb[L.EVAL]
        sheet, col, row = L.first_cell("VerifiedTotalScore")
        assert Decimal(str(ws[f"{col}{row}"].value)).quantize(Decimal("0.01")) == m.verified_total_score
        _, gcol, grow = L.first_cell("VerifiedGrade")
        assert ws[f"{gcol}{grow}"].value == m.verified_grade
    # the review workbook's own 评定总分 agrees with each form's
    wb = openpyxl.load_workbook(tmp_path / "lo" / book.name, data_only=True)
    ws = wb["审核"]
    h = _headers(ws)
    for r in range(2, ws.max_row + 1):
        code = ws.cell(r, h["项目编码"]).value
        assert Decimal(str(ws.cell(r, h["评定总分"]).value)).quantize(Decimal("0.01")) == expected[code]
    assert len(recalculated) == 5


def test_verified_total_is_blank_until_every_row_is_rated(forms, tmp_path, libreoffice):
    book, out_dir = tmp_path / "审核表.xlsx", tmp_path / "reviewed"
    main(["review", str(forms / "105002B16DX0003.xlsx"), "-o", str(book), "--stage", "evaluation"])
    fill_review(book, skip_one=True)
    assert main(["review", "--apply", str(book), str(forms), "-o", str(out_dir)]) == 0
    (copy,) = out_dir.glob("*.xlsx")
    m = project_metrics(read_checked_file(copy).project, RULES)
    assert m.verified_total_score is None and m.verified_grade is None
    result = libreoffice.inspect(copy, [], names=["VerifiedTotalScore", "VerifiedGrade", "TotalScore"])
    assert result["names"]["VerifiedTotalScore"] == [[""]] or result["names"]["VerifiedTotalScore"] == [[None]]
    assert result["names"]["TotalScore"][0][0] not in ("", None)


def _book(forms, tmp_path, stage="evaluation") -> Path:
    book = tmp_path / "审核表.xlsx"
    assert main(["review", str(forms), "-o", str(book), "--stage", stage]) == 0
    fill_review(book)
    return book


def _apply_errors(capsys, book, forms, out_dir) -> list[str]:
    code, out = run(capsys, "review", "--apply", str(book), str(forms), "-o", str(out_dir), "--json")
    assert code == 1
    assert not out_dir.exists() or not any(out_dir.iterdir())   # nothing half-applied
    return out["errors"]


def test_score_above_weight_is_refused_naming_the_cell(forms, tmp_path, capsys):
    book = _book(forms, tmp_path)
    wb = openpyxl.load_workbook(book)
    wi = wb["指标审核"]
    hi = _headers(wi)
    wi.cell(3, hi["评定得分"], 99)
    wb.save(book)
    errors = _apply_errors(capsys, book, forms, tmp_path / "out")
    col = openpyxl.utils.get_column_letter(hi["评定得分"])
    assert any(f"“指标审核”工作表 {col}3" in e and "分值" in e for e in errors), errors


def test_tier_outside_the_list_is_refused(forms, tmp_path, capsys):
    book = _book(forms, tmp_path)
    wb = openpyxl.load_workbook(book)
    ws = wb["审核"]
    h = _headers(ws)
    ws.cell(4, h["审核结果"], "很好")
    wb.save(book)
    errors = _apply_errors(capsys, book, forms, tmp_path / "out")
    col = openpyxl.utils.get_column_letter(h["审核结果"])
    assert any(f"“审核”工作表 {col}4" in e and "优、良、中、差" in e for e in errors), errors


def test_locked_cell_edited_and_duplicated_row_are_refused(forms, tmp_path, capsys):
    book = _book(forms, tmp_path)
    wb = openpyxl.load_workbook(book)
    ws = wb["审核"]
    h = _headers(ws)
    ws.cell(3, h["预算数"], 1)                                       # outside the reviewer's cells
    ws.cell(5, h["项目编码"], ws.cell(2, h["项目编码"]).value)           # the same project twice
    wb.save(book)
    errors = _apply_errors(capsys, book, forms, tmp_path / "out")
    budget = openpyxl.utils.get_column_letter(h["预算数"])
    code = openpyxl.utils.get_column_letter(h["项目编码"])
    assert any(f"“审核”工作表 {budget}3" in e and "被修改" in e for e in errors), errors
    assert any(f"“审核”工作表 {code}5" in e and "重复" in e for e in errors), errors


def test_review_workbook_of_another_year_is_refused(forms, tmp_path, capsys):
    book = _book(forms, tmp_path)
    wb = openpyxl.load_workbook(book)
    wb["_审核信息"]["B4"] = 2021
    wb.save(book)
    errors = _apply_errors(capsys, book, forms, tmp_path / "out")
    assert any("2021年度" in e and "“审核”工作表 E2" in e for e in errors), errors


def test_changed_form_and_unmatched_row_are_reported_not_applied(forms, tmp_path, capsys):
    book = _book(forms, tmp_path)
    changed = forms / "105002B21DX0008.xlsx"
    wb = openpyxl.load_workbook(changed)
    sheet, col, row = L.first_cell("Budget")
    wb[sheet][f"{col}{row}"] = 639
    wb.save(changed)
    (forms / "105004B22DX0001.xlsx").unlink()
    out_dir = tmp_path / "out"
    code, out = run(capsys, "review", "--apply", str(book), str(forms), "-o", str(out_dir), "--json")
    assert code == 1 and not out["errors"]
    assert sorted(a["code"] for a in out["applied"]) == ["105002B16DX0003", "105002B22DX0009"]
    assert any("105002B21DX0008" in s and "SHA-256" in s for s in out["skipped"])
    assert any("105004B22DX0001" in s and "没有对应的表单" in s for s in out["skipped"])
    assert sorted(p.name for p in out_dir.iterdir()) == ["105002B16DX0003.xlsx", "105002B22DX0009.xlsx"]


def test_refiled_form_keeps_the_review_and_is_flagged_stale(forms, tmp_path, capsys):
    book, out_dir = _book(forms, tmp_path, stage="target"), tmp_path / "out"
    assert main(["review", "--apply", str(book), str(forms), "-o", str(out_dir)]) == 0
    copy = out_dir / "105002B16DX0003.xlsx"
    # the department fills an input of the reviewed copy and files it again
    wb = openpyxl.load_workbook(copy)
    sheet, col, row = L.first_cell("Goal")
    wb[sheet][f"{col}{row}"] = "改过的绩效目标"
    wb.save(copy)
    result = read_checked_file(copy)
    assert result.project.review.grade == "优" and result.project.goal == "改过的绩效目标"
    assert [i.sheet for i in result.issues if i.rule == "review.stale"] == [L.DECL]
    untouched = read_checked_file(out_dir / "105002B21DX0008.xlsx")
    assert not [i for i in untouched.issues if i.rule == "review.stale"]
    summary = tmp_path / "汇总.xlsx"
    main(["consolidate", str(out_dir), "-o", str(summary)])
    listed = [r for r in openpyxl.load_workbook(summary, read_only=True)["问题清单"].iter_rows(values_only=True)
              if r and "review.stale" in r]
    assert len(listed) == 1 and "105002B16DX0003" in str(listed[0])


def test_v1_form_is_reviewed_into_a_v3_copy(tmp_path, capsys):
    forms = tmp_path / "v1"
    forms.mkdir()
    shutil.copy(ROOT / "tests/data/v1/105002B16DX0003.xlsx", forms)
    book, out_dir = _book(forms, tmp_path, stage="target"), tmp_path / "out"
    assert main(["review", "--apply", str(book), str(forms), "-o", str(out_dir)]) == 0
    code, data = run(capsys, "read", str(out_dir / "105002B16DX0003.xlsx"), "--json")
    assert data["project"]["review"]["grade"] == "优" and data["project"]["review"]["stage"] == "target"


def test_previous_year_actual_above_a_positive_target_is_found(forms, tmp_path, capsys, example_projects):
    from xlpkg.workbook.writer import fill_workbook

    import copy

    last = copy.deepcopy(example_projects["105002B16DX0003"])   # the fixture is shared: never edit it
    last.year = 2021
    for ind in last.indicators:
        if ind.name == "群众对贪腐案件办理满意度":
            ind.actual = "98%"
    fill_workbook(last, tmp_path / "last.xlsx")
    book = tmp_path / "审核表.xlsx"
    assert main(["review", str(forms), "-o", str(book), "--previous", str(tmp_path / "last.xlsx")]) == 0
    wi = openpyxl.load_workbook(book)["指标审核"]
    hi = _headers(wi)
    found = [wi.cell(r, hi["审核发现"]).value for r in range(2, wi.max_row + 1)
             if wi.cell(r, hi["三级指标"]).value == "群众对贪腐案件办理满意度"
             and wi.cell(r, hi["项目编码"]).value == "105002B16DX0003"]
    assert found and "低于上年实际完成值98%" in found[0]


def test_previous_year_actual_from_the_history_store(forms, tmp_path, capsys, example_projects):
    """--db: last year's 实际完成值 recorded in the history store give the same finding."""
    import copy

    from xlpkg.workbook.writer import fill_workbook

    last = copy.deepcopy(example_projects["105002B16DX0003"])
    last.year = 2021
    for ind in last.indicators:
        if ind.name == "群众对贪腐案件办理满意度":
            ind.actual = "98%"
    fill_workbook(last, tmp_path / "last.xlsx")
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    assert main(["history", "add", str(tmp_path / "last.xlsx"), "--db", url]) == 0
    book = tmp_path / "审核表.xlsx"
    assert main(["review", str(forms), "-o", str(book), "--db", url]) == 0
    wi = openpyxl.load_workbook(book)["指标审核"]
    hi = _headers(wi)
    found = [wi.cell(r, hi["审核发现"]).value for r in range(2, wi.max_row + 1)
             if wi.cell(r, hi["三级指标"]).value == "群众对贪腐案件办理满意度"
             and wi.cell(r, hi["项目编码"]).value == "105002B16DX0003"]
    assert found and "低于上年实际完成值98%" in found[0]
    assert main(["review", str(forms), "-o", str(tmp_path / "x.xlsx"), "--db",
                 f"sqlite:///{tmp_path / 'missing.sqlite'}"]) == 2


def test_summary_counts_tiers_and_lists_the_poor_project(forms, tmp_path, capsys):
    book, out_dir = _book(forms, tmp_path), tmp_path / "reviewed"
    assert main(["review", "--apply", str(book), str(forms), "-o", str(out_dir)]) == 0
    summary = tmp_path / "汇总.xlsx"
    main(["consolidate", str(out_dir), "-o", str(summary)])
    wb = openpyxl.load_workbook(summary, read_only=True)
    rows = list(wb["项目汇总"].iter_rows(values_only=True))
    head = next(r for r in rows if r and "审核结果" in r)
    at = {h: i for i, h in enumerate(head)}
    body = [r for r in rows[rows.index(head) + 1:] if r[at["项目编码"]]]
    tiers = {r[at["项目编码"]]: r[at["审核结果"]] for r in body}
    assert sorted(tiers.values()) == sorted(TIERS)
    poor = next(code for code, t in tiers.items() if t == "差")
    for r in body:
        m = project_metrics(read_checked_file(out_dir / f"{r[at['项目编码']]}.xlsx").project, RULES)
        assert Decimal(str(r[at["评定总分"]])).quantize(Decimal("0.01")) == m.verified_total_score
    depts = list(wb["部门小计"].iter_rows(values_only=True))
    dhead = next(r for r in depts if r and "审核差（个）" in r)
    d_at = {h: i for i, h in enumerate(dhead)}
    per_dept = {r[d_at["部门编码"]]: r for r in depts[depts.index(dhead) + 1:] if r[d_at["部门编码"]]}
    total = sum(per_dept[c][d_at[f"审核{t}（个）"]] for c in ("105002", "105004") for t in TIERS)
    assert total == 4 and per_dept["合计"][d_at["审核差（个）"]] == 1
    assert per_dept["105002"][d_at["评定与自评之差"]] < 0   # every score at 87 % of its 分值
    attention = [r for r in wb["重点关注项目"].iter_rows(values_only=True) if r and poor in r]
    assert attention and any("不得进入下一步预算安排流程" in str(v) for v in attention[0])


def test_shown_weight_is_the_bound_and_unscored_rows_stay_locked(tmp_path, capsys, example_projects, libreoffice):
    """Three 产出 indicators have 16.666… points each, shown 16.67: the reviewer may give the
    16.67 the form shows. A not-applicable row has no 评定得分 cell to fill."""
    import copy
    from xlpkg.workbook.writer import fill_workbook

    p = copy.deepcopy(example_projects["105002B22DX0009"])
    outputs = [i for i in p.indicators if i.level1 == "产出指标"]
    p.indicators = [i for i in p.indicators if i.level1 != "产出指标"] + outputs[:3] + [outputs[3]]
    p.indicators[-1].applicable = False
    forms = tmp_path / "forms"
    fill_workbook(p, forms / f"{p.code}.xlsx")
    book = tmp_path / "审核表.xlsx"
    assert main(["review", str(forms), "-o", str(book), "--stage", "evaluation"]) == 0
    wb = openpyxl.load_workbook(book)
    wi = wb["指标审核"]
    hi = _headers(wi)
    weights = [wi.cell(r, hi["分值"]).value for r in range(2, wi.max_row + 1)]
    assert weights.count(16.67) == 3 and weights[-1] == "不适用"
    assert wi.cell(wi.max_row, hi["评定得分"]).protection.locked
    for r in range(2, wi.max_row):
        wi.cell(r, hi["评定得分"], wi.cell(r, hi["分值"]).value)   # full marks as shown
    wb.save(book)
    code, out = run(capsys, "review", "--apply", str(book), str(forms), "-o", str(tmp_path / "out"), "--json")
    assert code == 0, out
    copy_path = tmp_path / "out" / f"{p.code}.xlsx"
    m = project_metrics(read_checked_file(copy_path).project, RULES)
    (lo,) = libreoffice.recalculate([copy_path], tmp_path / "lo")
    sheet, col, row = L.first_cell("VerifiedTotalScore")
    shown = openpyxl.load_workbook(lo, data_only=True)[sheet][f"{col}{row}"].value
    assert Decimal(str(shown)).quantize(Decimal("0.01")) == m.verified_total_score


def test_review_workbook_prints_at_7pt_or_more(forms, tmp_path, libreoffice):
    import pymupdf

    book = tmp_path / "审核表.xlsx"
    assert main(["review", str(forms), "-o", str(book), "--stage", "evaluation"]) == 0
    fill_review(book)
    pdf = pymupdf.open(libreoffice.render_pdf(book, tmp_path / "pdf"))
    spans = [s for page in pdf for b in page.get_text("dict")["blocks"] for line in b.get("lines", [])
             for s in line["spans"] if s["text"].strip()]
    assert spans and min(s["size"] for s in spans) >= 7, sorted((s["size"], s["text"]) for s in spans)[:3]
    text = "".join("".join(page.get_text().split()) for page in pdf)   # wrapped headings joined
    assert "审核结果" in text and "评定得分" in text
    for page in pdf:   # one page wide
        assert all(s["bbox"][2] <= page.rect.width for b in page.get_text("dict")["blocks"]
                   for line in b.get("lines", []) for s in line["spans"])


def test_output_folder_inside_the_input_is_not_read_as_forms(forms, tmp_path, capsys):
    book, out_dir = _book(forms, tmp_path, stage="target"), forms / "回填"
    assert main(["review", "--apply", str(book), str(forms), "-o", str(out_dir)]) == 0
    code, out = run(capsys, "review", "--apply", str(book), str(forms), "-o", str(out_dir), "--json")
    assert code == 0 and len(out["applied"]) == 4 and not out["skipped"], out


def test_recalculated_copy_reads_without_stale_results(forms, tmp_path, libreoffice):
    """LibreOffice's saved 评定总分 is what Python computes: no form.stale_cache for it."""
    book, out_dir = _book(forms, tmp_path), tmp_path / "reviewed"
    assert main(["review", "--apply", str(book), str(forms), "-o", str(out_dir)]) == 0
    (lo,) = libreoffice.recalculate([out_dir / "105002B22DX0009.xlsx"], tmp_path / "lo")
    result = read_checked_file(lo)
    assert "VerifiedTotalScore" in result.cached
    assert not [i for i in result.issues if i.rule == "form.stale_cache"], result.issues


def test_no_form_no_review_workbook(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, out = run(capsys, "review", str(tmp_path / "empty"), "-o", str(tmp_path / "审核表.xlsx"), "--json")
    assert code == 1 and out["output"] is None and not (tmp_path / "审核表.xlsx").exists()


def test_a_rejected_project_is_marked_in_results_application(forms, tmp_path, capsys):
    """A project the bureau rated 差 carries 不得进入下一步预算安排流程 in 结果应用 (issue 25, 3)."""
    book, out_dir = _book(forms, tmp_path), tmp_path / "reviewed"
    assert main(["review", "--apply", str(book), str(forms), "-o", str(out_dir)]) == 0
    code, data = run(capsys, "consolidate", str(out_dir), "-o", str(tmp_path / "汇总.xlsx"), "--db",
                     f"sqlite:///{tmp_path / 'store.sqlite'}", "--json")
    assert code in (0, 1), data
    tiers = {r["项目编码"]: r["审核结果"] for r in data["projects"]} if "projects" in data else None
    listed = data["results_application"]
    rejected = [r for r in listed if "不得进入下一步预算安排流程" in r["action"]]
    assert len(rejected) == 1, listed
    if tiers is not None:
        assert tiers[rejected[0]["code"]] == "差"
    others = [r for r in listed if r is not rejected[0]]
    assert all("不得进入" not in r["action"] for r in others)
