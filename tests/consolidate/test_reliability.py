"""Issue 8 (reliability): no lost form, no wrong total, no hang, whatever the folder holds.

One regression test per numbered item of the issue (the number is in each test's comment),
then property tests over damaged forms. LibreOffice is only used where a file must have
been saved by a spreadsheet program (row insertion, cached results).
"""
from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from tests.helpers import ROOT, all_examples, example
from xlpkg.workbook import layout as L
from xlpkg.cli import main as cli_main
from xlpkg.consolidate import TOTAL_LABEL, build, consolidate, discover, normalize_code, outcome_from_project
from xlpkg.model import Execution
from xlpkg.workbook.form_checks import read_checked, read_checked_file
from xlpkg.rules import RulesError, load_rules, rules_from_dict
from xlpkg.sources.named import NamedCellSource
from xlpkg.summary import SummaryWriteError, is_xlpkg_summary, write_summary
from xlpkg.workbook.writer import fill_workbook

RULES = load_rules()
SEED_CODE = "105002B16DX0003"
SHEET_XML = {L.DECL: "xl/worksheets/sheet1.xml", L.MON: "xl/worksheets/sheet2.xml",
             L.EVAL: "xl/worksheets/sheet3.xml"}


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("seed")
    for project in all_examples():
        fill_workbook(project, folder / f"{project.code}.xlsx")
    return folder


@pytest.fixture
def forms(seed_dir, tmp_path) -> Path:
    folder = tmp_path / "forms"
    shutil.copytree(seed_dir, folder)
    return folder


def patch_cell(path: Path, sheet: str, ref: str, value_xml: str, *, cell_type: str = "n") -> None:
    """Replace one cell of a sheet's XML (as a hostile or broken program could write it)."""
    part = SHEET_XML[sheet]
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    xml = parts[part].decode("utf-8")
    new = f'<c r="{ref}" t="{cell_type}">{value_xml}</c>'
    xml, n = re.subn(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', new, xml, count=1, flags=re.S)
    assert n == 1, ref
    parts[part] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def outcome(project, name=None, issues=()):
    return outcome_from_project(project, f"/forms/{name or project.code}.xlsx", RULES, issues)


def dept_row(c, code):
    return c.departments[c.departments["部门编码"] == code].iloc[0]


# --- 1: the output is never an input or a workbook xlpkg did not write ---------------------

def test_output_that_is_an_input_is_refused_and_the_input_kept(forms, capsys):
    target = forms / f"{SEED_CODE}.xlsx"
    before = target.read_bytes()
    code = cli_main(["consolidate", str(forms), "-o", str(target), "--jobs", "1"])
    out = capsys.readouterr().out
    assert code == 2 and "不是 xlpkg 生成的汇总表" in out
    assert target.read_bytes() == before
    c = consolidate(forms, jobs=1)
    with pytest.raises(SummaryWriteError, match="参与汇总的项目表"):
        write_summary(c, target)
    assert target.read_bytes() == before


def test_existing_foreign_workbook_is_refused_but_a_summary_is_replaced(forms, tmp_path):
    c = consolidate(forms, jobs=1)
    other = tmp_path / "报告.xlsx"
    wb = Workbook()
    wb.active["A1"] = "别人的表"
    wb.save(other)
    with pytest.raises(SummaryWriteError, match="不是 xlpkg 生成的汇总表"):
        write_summary(c, other)
    assert load_workbook(other).active["A1"].value == "别人的表"
    summary = tmp_path / "部门汇总.xlsx"
    write_summary(c, summary)
    assert is_xlpkg_summary(summary)
    write_summary(c, summary)   # a summary xlpkg wrote may be replaced
    assert is_xlpkg_summary(summary)


def test_fill_never_overwrites_its_input(tmp_path):
    src = tmp_path / "p.json"
    shutil.copy(ROOT / "examples" / f"{SEED_CODE}.json", src)
    before = src.read_bytes()
    assert cli_main(["fill", str(src), "-o", str(src)]) == 1
    assert src.read_bytes() == before


# --- 3: NaN / ±inf / 1e308 in a cell is an issue of that file, the summary is written -------

@pytest.mark.parametrize("value", ["NaN", "INF", "-INF", "1e308", "1.7976931348623157e308"])
def test_non_finite_and_huge_numbers_are_issue_rows(forms, tmp_path, value):
    bad = forms / f"{SEED_CODE}.xlsx"
    patch_cell(bad, L.EVAL, L.NAMES["YearSpent"].ref, f"<v>{value}</v>")
    c = consolidate(forms, jobs=1)
    rows = c.issues[(c.issues["文件"] == str(bad)) & (c.issues["规则"] == "form.value")]
    assert len(rows) == 1 and rows.iloc[0]["单元格"] == L.NAMES["YearSpent"].ref
    assert SEED_CODE not in c.projects["项目编码"].tolist()
    write_summary(c, tmp_path / "s.xlsx")   # used to fail: NAN/INF not supported


def test_non_finite_amounts_from_the_api_are_issue_rows(tmp_path):
    p = example()
    p.execution.year_spent = Decimal("1e308")
    good = example("105004B22DX0001")
    c = build([outcome(p), outcome(good)], RULES)
    assert c.projects["项目编码"].tolist() == [good.code]
    assert "form.value" in c.issues["规则"].tolist()
    write_summary(c, tmp_path / "s.xlsx")


# --- 8: rows inserted into / deleted from the indicator table -----------------------------

@pytest.fixture(scope="module")
def edited(seed_dir, tmp_path_factory):
    """The seed form saved by LibreOffice: untouched, with a row inserted into the 申报表's
    indicator table, and with a row deleted from 绩效自评's (sheets unprotected first)."""
    from tests.conftest import require_libreoffice
    from xlpkg.libreoffice import harness as lo

    require_libreoffice()
    out = tmp_path_factory.mktemp("edited")
    src = seed_dir / f"{SEED_CODE}.xlsx"
    lo.recalculate([src], out / "plain")
    lo.edit_rows(src, out / "inserted.xlsx", L.DECL, L.IND_FIRST + 2, 1)
    lo.edit_rows(src, out / "deleted.xlsx", L.EVAL, L.EVAL_IND_FIRST + 1, -1)
    return {"plain": out / "plain" / f"{SEED_CODE}.xlsx", "inserted": out / "inserted.xlsx",
            "deleted": out / "deleted.xlsx"}


class _TemplateExtents:
    """A source whose defined names are clipped to the template's extents (as a reader that
    clips widened names sees them): only the mirror formulas can then tell."""

    def __init__(self, source):
        self.source = source

    def defined_names(self):
        names = dict(self.source.defined_names())
        return {n: ((t[0], L.NAMES[n].ref) if n in L.NAMES else t) for n, t in names.items()}

    def range_values(self, sheet, ref):
        return self.source.range_values(sheet, ref)

    def sheet_names(self):
        return self.source.sheet_names()


def test_misaligned_indicator_rows_are_an_error_and_never_scored(edited):
    plain = read_checked_file(edited["plain"])
    assert plain.project is not None and "form.misaligned" not in {i.rule for i in plain.issues}
    for kind, sheet in (("inserted", L.DECL), ("deleted", L.EVAL)):
        result = read_checked_file(edited[kind])
        assert result.project is None and result.metrics is None, kind
        (issue,) = result.issues
        assert issue.rule == "form.misaligned" and issue.severity == "error"
        assert "行已错位" in issue.message and f"{sheet}第" in issue.message
        # with the names' extents hidden, the mirrored 三级指标 still names the rows
        clipped = read_checked(_TemplateExtents(NamedCellSource(edited[kind])), file=kind)
        assert clipped.project is None
        assert re.search(r"申报表第\d+行的指标", clipped.issues[0].message), clipped.issues[0].message


def test_misaligned_form_is_not_consolidated(edited, tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    shutil.copy(edited["inserted"], folder / "a.xlsx")
    c = consolidate(folder, jobs=1)
    assert c.project_count == 0 and c.issues["规则"].tolist() == ["form.misaligned"]


# --- 16: every cached formula result is compared with the recomputation ------------------

@pytest.mark.parametrize("name, value_xml, cell_type", [
    ("LightQ1", "<v>红</v>", "str"), ("PlanRateQ1", "<v>0.9</v>", "n"),
    ("UsesTotal", "<v>1</v>", "n"), ("UsesBalance", "<v>合计与预算数一致x</v>", "str"),
    ("ScoreScale", "<v>2</v>", "n"), ("ExecWeight", "<v>50</v>", "n"),
    ("IndWeight", "<v>49</v>", "n"),
])
def test_tampered_cached_results_are_reported(edited, tmp_path, name, value_xml, cell_type):
    path = tmp_path / "t.xlsx"
    shutil.copy(edited["plain"], path)
    sheet, ref = L.NAMES[name].sheet, L.NAMES[name].ref.split(":")[0]
    assert not [i for i in read_checked_file(path).issues if i.rule == "form.stale_cache"]
    patch_cell(path, sheet, ref, value_xml, cell_type=cell_type)
    stale = [i for i in read_checked_file(path).issues if i.rule == "form.stale_cache"]
    assert [(i.sheet, i.cell) for i in stale] == [(sheet, ref)], stale


# --- 9, 10, 15: what a form contributes, stated on the summary ---------------------------

def _seed_with(**changes):
    p = example()
    for key, value in changes.items():
        setattr(p.execution, key, value)
    return p


def test_missing_amount_is_left_out_not_summed_as_zero():
    with_spent, without = example(), example("105002B22DX0009")
    without.execution.year_spent = None
    c = build([outcome(with_spent), outcome(without)], RULES)
    row = dept_row(c, "105002")
    assert row["全年执行数（万元）"] == float(with_spent.execution.year_spent)
    assert row["执行率"] == pytest.approx(float(with_spent.execution.year_spent / with_spent.effective_budget))
    assert row["未填执行数（个）"] == 1
    assert row["全年预算数（万元）"] == float(with_spent.effective_budget + without.effective_budget)
    note = c.projects.set_index("项目编码").loc[without.code, "汇总说明"]
    assert "未填全年执行数" in note
    assert any("不按0计" in n for n in c.notes)


def test_unstarted_self_evaluation_has_no_score_and_no_grade():
    started, mid_year = example(), example("105002B22DX0009")
    mid_year.execution = Execution(actual_cumulative=[Decimal(100), None, None, None])
    for ind in mid_year.indicators:
        ind.actual = ""
    c = build([outcome(started), outcome(mid_year)], RULES)
    rows = c.projects.set_index("项目编码")
    assert rows.loc[mid_year.code, ["自评得分", "自评等级"]].isna().all()
    assert "尚未开始自评" in rows.loc[mid_year.code, "汇总说明"]
    dept = dept_row(c, "105002")
    grades = [f"{b['grade']}（个）" for b in RULES.scoring["grades"]]
    assert sum(dept[g] for g in grades) == 1 and dept["未自评（个）"] == 1
    assert dept["加权平均得分"] == pytest.approx(rows.loc[started.code, "自评得分"])
    ind = c.indicators[c.indicators["项目编码"] == mid_year.code]
    assert ind["得分"].isna().all()


def test_erroneous_form_contributes_nothing_but_its_issues(tmp_path):
    good = example()
    bad = example("105002B22DX0009")
    bad.budget = Decimal(-1400)
    from xlpkg.checks import check
    c = build([outcome(good), outcome(bad, issues=check(bad, RULES))], RULES)
    assert c.projects["项目编码"].tolist() == [good.code]
    assert set(c.indicators["项目编码"]) == {good.code}
    assert bad.code not in c.dept_goals["项目编码"].tolist()
    total = dept_row(c, TOTAL_LABEL)
    assert total["项目数"] == 1 and total["全年预算数（万元）"] == float(good.effective_budget)
    assert "/forms/105002B22DX0009.xlsx" in c.files_with_errors
    assert any("不计入项目汇总、部门小计" in n for n in c.notes)
    path = write_summary(c, tmp_path / "s.xlsx")
    notes = [r[0] for r in load_workbook(path)["汇总说明"].iter_rows(min_row=2, values_only=True)]
    assert notes == c.notes


def test_invalid_amount_in_a_workbook_is_not_summed(forms):
    bad = forms / f"{SEED_CODE}.xlsx"
    patch_cell(bad, L.EVAL, L.NAMES["YearSpent"].ref, "<is><t>630万元</t></is>", cell_type="inlineStr")
    c = consolidate(forms, jobs=1)
    assert SEED_CODE not in c.projects["项目编码"].tolist()
    row = dept_row(c, "105002")
    assert row["全年执行数（万元）"] == c.projects[c.projects["部门编码"] == "105002"]["全年执行数（万元）"].sum()


# --- 11, 12: lookalike codes and years ---------------------------------------------------

def test_lookalike_codes_count_once():
    variants = ["１０５００２B16DX0003", "105002b16dx0003", "105002B16DX0003\u200b", "105002\u039216DX0003",
                "105002В16DX0003"]   # full-width, lower case, zero-width space, Greek Β, Cyrillic В
    assert {normalize_code(v) for v in variants} == {SEED_CODE}
    outcomes = [outcome(example(), "a")]
    for i, code in enumerate(variants):
        p = example()
        p.code = code
        outcomes.append(outcome(p, f"v{i}"))
    c = build(outcomes, RULES)
    assert c.projects["项目编码"].tolist() == [SEED_CODE]
    assert (c.issues["规则"] == "consolidate.duplicate").sum() == len(variants)


def test_same_code_in_two_years_is_not_a_duplicate_and_years_are_never_added():
    a22, b22, a21 = example("105002B22DX0009"), example("105004B22DX0001"), example("105002B22DX0009")
    a22.year = b22.year = 2022
    a21.year = 2021
    c = build([outcome(a22, "a22"), outcome(b22, "b22"), outcome(a21, "a21")], RULES)
    assert c.year == 2022
    assert sorted(c.projects["项目编码"]) == sorted([a22.code, b22.code])
    issue = c.issues[c.issues["文件"] == "/forms/a21.xlsx"].iloc[0]
    assert issue["规则"] == "consolidate.mixed_years" and issue["严重程度"] == "错误"
    assert "--year 2021" in issue["说明"]
    assert "consolidate.duplicate" not in c.issues["规则"].tolist()


# --- 13: negative 全年执行数, absurd 年度 ---------------------------------------------------

@pytest.mark.parametrize("year", ["-5", "99999999999", "0"])
def test_absurd_year_in_a_workbook_is_an_error(forms, year):
    path = forms / f"{SEED_CODE}.xlsx"
    patch_cell(path, L.DECL, L.NAMES["FiscalYear"].ref, f"<v>{year}</v>")
    issues = read_checked_file(path).issues
    assert any(i.rule == "form.value" and i.cell == L.NAMES["FiscalYear"].ref for i in issues)


def test_negative_year_spent_in_a_workbook_is_an_error(forms):
    path = forms / f"{SEED_CODE}.xlsx"
    patch_cell(path, L.EVAL, L.NAMES["YearSpent"].ref, "<v>-1372</v>")
    issues = read_checked_file(path).issues
    assert any(i.rule == "execution.year_spent_negative" and i.severity == "error"
               and i.cell == L.NAMES["YearSpent"].ref for i in issues)


# --- 17, 18, 19: no formula or link from user text ---------------------------------------

def test_department_name_never_enters_a_chart_formula(tmp_path):
    p = example()
    p.dept_name = "x'!$A$1"
    path = write_summary(build([outcome(p)], RULES), tmp_path / "s.xlsx")
    with zipfile.ZipFile(path) as zf:
        charts = "".join(zf.read(n).decode() for n in zf.namelist() if "charts/chart" in n)
    formulas = re.findall(r"<c:f>(.*?)</c:f>", charts)
    assert formulas and all(re.fullmatch(r"(?:图表|部门小计)!\$[A-Z]+\$\d+(?::\$[A-Z]+\$\d+)?", f)
                            for f in formulas), formulas


@pytest.mark.parametrize("name", [r"\\evil.example\share\p.xlsx", "mailto:a@b.c.xlsx",
                                  "http:evil.xlsx", r"c:\x.xlsx", "a b#c%.xlsx"])
def test_source_links_are_file_urls_of_the_real_path(tmp_path, name):
    folder = tmp_path / "forms"
    folder.mkdir()
    fill_workbook(example(), folder / name)
    c = consolidate(folder, jobs=1)
    assert c.project_count == 1
    path = write_summary(c, tmp_path / "s.xlsx")
    with zipfile.ZipFile(path) as zf:
        rels = zf.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
    (target,) = re.findall(r'Target="([^"]+)"', rels)
    assert target.startswith("FILE:///") and Path(folder).as_uri()[len("file://"):] in target
    assert "\\" not in target and " " not in target and "#" not in target


def test_rulebook_labels_are_written_as_text(tmp_path):
    data = copy.deepcopy(RULES.data)
    data["scoring"]["grades"][0]["grade"] = "=1+1"
    data["monitoring"]["lights"][0]["label"] = '=HYPERLINK("http://x","y")'
    rules_file = tmp_path / "rules.json"
    rules_file.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    out = tmp_path / "t.xlsx"
    assert cli_main(["template", "project", "-o", str(out), "--rules", str(rules_file)]) == 0
    with zipfile.ZipFile(out) as zf:
        names = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = "".join(zf.read(n).decode() for n in names)
    formulas = re.findall(r"<f>(.*?)</f>", xml)
    assert formulas and not [f for f in formulas if f == "1+1" or "http://x" in f]
    ws = load_workbook(out)[L.META]
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "=1+1" in values and ws.cell(1, 1).data_type == "s"


# --- 20: every spreadsheet-looking file and unreadable folder is accounted for ------------

def test_foreign_formats_hidden_and_unreadable_folders_are_listed(forms, monkeypatch):
    for name in ("a.ods", "b.et", "c.xltx", "d.fods"):
        (forms / name).write_bytes(b"x")
    hidden = forms / ".old"
    hidden.mkdir()
    shutil.copy(forms / f"{SEED_CODE}.xlsx", hidden / "copy.xlsx")
    locked = forms / "锁定"
    locked.mkdir()
    shutil.copy(forms / f"{SEED_CODE}.xlsx", locked / "x.xlsx")
    real_scandir = os.scandir

    def scandir(path="."):
        if str(path).endswith("锁定"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)
    monkeypatch.setattr(os, "scandir", scandir)
    files, issues = discover([forms])
    named = {Path(i.file).name: i for i in issues}
    for name in ("a.ods", "b.et", "c.xltx", "d.fods"):
        assert named[name].severity == "error" and "另存为 .xlsx" in named[name].message
    assert named[".old"].rule == "consolidate.skipped" and "1个" in named[".old"].message
    assert named["锁定"].severity == "error" and "无法读取文件夹" in named["锁定"].message
    assert len(files) == 4


def test_symlinks_are_named_as_in_the_folder_and_counted_once(forms, tmp_path):
    link = forms / "链接.xlsx"
    link.symlink_to(forms / f"{SEED_CODE}.xlsx")
    files, _ = discover([forms])
    assert len(files) == 4 and all(f.parent == forms for f in files)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target.xlsx").write_bytes(b"junk")
    (forms / "别名.xlsx").symlink_to(outside / "target.xlsx")
    c = consolidate(forms, jobs=1)
    assert str(forms / "别名.xlsx") in c.issues["文件"].tolist()


def test_a_folder_given_again_through_a_link_counts_each_form_once(forms, tmp_path):
    alias = tmp_path / "别名文件夹"
    alias.symlink_to(forms, target_is_directory=True)
    direct, _ = discover([forms])
    files, issues = discover([forms, alias, alias / f"{SEED_CODE}.xlsx"])
    assert files == direct and len(files) == 4 and issues == []
    (forms / "断链.xlsx").symlink_to(tmp_path / "nowhere.xlsx")   # a link to nothing
    files, issues = discover([alias])
    assert [f.name for f in files] == [f.name for f in direct] and all(f.parent == alias for f in files)
    assert [(i.rule, Path(i.file).name) for i in issues] == [("form.unreadable", "断链.xlsx")]


# --- 21: the rulebook is validated when it loads -----------------------------------------

@pytest.mark.parametrize("edit, fragment", [
    (lambda d: d["rules"]["plan.ends_100"].update(message="现为{nonexistent}"), "{nonexistent}"),
    (lambda d: d["rules"]["form.value"].update(message="{detail} {"), "花括号"),
    (lambda d: d["rules"]["form.value"].update(message="{detail.__class__}"), "占位符"),
    (lambda d: d["scoring"]["grades"][1].update(grade=d["scoring"]["grades"][0]["grade"]), "重复"),
    (lambda d: d["monitoring"]["lights"][1].update(label=d["monitoring"]["lights"][0]["label"]), "重复"),
    (lambda d: d["weights"].update({k: 0 for k in d["weights"]}), "均为0"),
    (lambda d: d["scoring"]["grades"][0].update(grade="优\ud800"), "U+D800"),
])
def test_rulebook_problems_are_refused_on_load(edit, fragment):
    data = copy.deepcopy(RULES.data)
    edit(data)
    with pytest.raises(RulesError) as info:
        rules_from_dict(data, source="省规则.json")
    assert fragment in str(info.value)


def test_every_message_of_the_shipped_rulebook_formats():
    rules_from_dict(copy.deepcopy(RULES.data))   # the shipped rulebook passes its own checks


# --- 22: no traceback for any input ------------------------------------------------------

def _xlpkg(*args, stdin=None, **kw):
    return subprocess.run([sys.executable, "-m", "xlpkg", *args], capture_output=True, text=True,
                          encoding="utf-8", errors="replace", timeout=120, **kw)


def _seed_json() -> dict:
    return json.loads((ROOT / "examples" / f"{SEED_CODE}.json").read_text("utf-8"))


@pytest.mark.parametrize("case, expected", [
    ("nul", "控制字符"), ("huge", "超出合理范围"), ("deep", "嵌套层次过深"),
    ("surrogate", "代理字符"), ("long", "32767"), ("array", "JSON 对象"),
])
def test_fill_check_score_refuse_bad_json_in_chinese(tmp_path, case, expected):
    data = _seed_json()
    path = tmp_path / f"{case}.json"
    if case == "nul":
        data["name"] = "a\x00b"
    elif case == "huge":
        data["budget"] = "9" * 5000
    elif case == "surrogate":
        data["goal"] = "\ud800x"
    elif case == "long":
        data["goal"] = "长" * 40000
    text = json.dumps(data) if case not in ("deep", "array") else ("[" * 50000 + "]" * 50000
                                                                    if case == "deep" else "[1]")
    path.write_text(text, "utf-8")
    for command in (["fill", str(path), "-o", str(tmp_path / "o.xlsx")], ["check", str(path)],
                    ["score", str(path)]):
        result = _xlpkg(*command)
        assert result.returncode == 1, (command, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
        assert expected in result.stdout + result.stderr, (command, result.stdout, result.stderr)
    assert not (tmp_path / "o.xlsx").exists()


@pytest.mark.parametrize("encoding, prefix", [("gbk", b""), ("utf-8", b"\xef\xbb\xbf")])
def test_gbk_and_bom_json_are_read(tmp_path, encoding, prefix):
    path = tmp_path / "p.json"
    path.write_bytes(prefix + json.dumps(_seed_json(), ensure_ascii=False).encode(encoding))
    out = tmp_path / "p.xlsx"
    assert cli_main(["fill", str(path), "-o", str(out)]) == 0
    assert read_checked_file(out).project.name == _seed_json()["name"]


def test_read_into_a_closed_pipe_is_quiet(seed_dir):
    proc = subprocess.run(f'"{sys.executable}" -m xlpkg read "{seed_dir / (SEED_CODE + ".xlsx")}" --json | head -c 10',
                          shell=True, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


def test_ctrl_c_is_a_chinese_message_and_exit_130(monkeypatch, capsys, seed_dir, tmp_path):
    import xlpkg.cli.consolidate as command

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(command, "consolidate", interrupted)
    assert cli_main(["consolidate", str(seed_dir), "-o", str(tmp_path / "s.xlsx")]) == 130
    err = capsys.readouterr().err
    assert "已中断" in err and "Traceback" not in err


def test_ctrl_c_in_a_real_run(seed_dir, tmp_path):
    import signal
    import time

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(60):
        shutil.copy(seed_dir / f"{SEED_CODE}.xlsx", folder / f"{i:03d}.xlsx")
    proc = subprocess.Popen([sys.executable, "-m", "xlpkg", "consolidate", str(folder), "-o",
                             str(tmp_path / "s.xlsx"), "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode in (130, 0, 1)   # 0/1 only if a fast machine finished first
    if proc.returncode == 130:
        assert "已中断" in err and not (tmp_path / "s.xlsx").exists()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


# --- 23: API arguments are checked --------------------------------------------------------

def test_consolidate_arguments(seed_dir):
    assert consolidate(seed_dir, year="2022", jobs=1).year == 2022
    assert consolidate(os.fsencode(seed_dir), jobs=1).project_count == 4
    with pytest.raises(TypeError, match="year"):
        consolidate(seed_dir, year="二〇二二", jobs=1)
    with pytest.raises(TypeError, match="paths"):
        consolidate([1, 2])
    with pytest.raises(ValueError, match="jobs"):
        consolidate(seed_dir, jobs=0)


# --- smaller --------------------------------------------------------------------------------

def test_circled_digits_are_not_a_number(forms):
    path = forms / f"{SEED_CODE}.xlsx"
    patch_cell(path, L.EVAL, L.NAMES["YearSpent"].ref, "<is><t>⑬⑦②</t></is>", cell_type="inlineStr")
    issues = read_checked_file(path).issues
    assert any(i.rule == "form.value" and "⑬⑦②" in i.message for i in issues)


def test_disk_full_prints_no_exception_fragment(tmp_path, monkeypatch, capfd):
    import gc

    c = build([outcome(example())], RULES)

    def full(*a, **k):
        raise OSError(28, "No space left on device")
    # as on a full disk: writing a part fails, and so does the archive's closing record that
    # zipfile's destructor would try to write later
    monkeypatch.setattr(zipfile.ZipFile, "writestr", full)
    monkeypatch.setattr(zipfile.ZipFile, "write", full)
    monkeypatch.setattr(zipfile.ZipFile, "_write_end_record", full)
    ignored = []   # what Python would print as "Exception ignored in: …"
    monkeypatch.setattr(sys, "unraisablehook", ignored.append)
    message = ""
    try:
        write_summary(c, tmp_path / "s.xlsx")
    except SummaryWriteError as exc:
        message = str(exc)
    gc.collect()
    assert "磁盘空间不足" in message
    assert not ignored and "Exception ignored" not in capfd.readouterr().err


def test_output_in_an_unwritable_place_says_where(tmp_path):
    c = build([outcome(example())], RULES)
    with pytest.raises(SummaryWriteError) as info:
        write_summary(c, "/proc/x.xlsx")
    assert "无法在" in str(info.value) or "权限" in str(info.value)


def test_messages_never_print_hundreds_of_digits():
    from xlpkg.checks import check

    p = example()
    p.execution.year_spent = Decimal("9" * 300)
    messages = [i.message for i in check(p, RULES)]
    assert messages and max(len(m) for m in messages) < 200


def test_rule_fields_cover_what_the_code_passes():
    """RULE_FIELDS (what a message may use) must list every value the code passes, or a
    province's message using it would be refused."""
    import ast

    from xlpkg.rules import RULE_FIELDS

    passed: dict[str, set] = {}
    for path in (ROOT / "xlpkg").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            name = getattr(node, "func", None)
            name = getattr(name, "attr", getattr(name, "id", None))
            if isinstance(node, ast.Call) and name in ("issue", "_issue", "_skip_issue"):
                ids = [a.value for a in node.args if isinstance(a, ast.Constant)
                       and isinstance(a.value, str) and a.value in RULES.data["rules"]]
                for rule_id in ids[:1]:
                    extra = {k.arg for k in node.keywords} - {"file", "sheet", "cell", None}
                    if name != "issue":
                        extra.add("detail")   # _issue(rules, id, detail, ...)
                    passed.setdefault(rule_id, set()).update(extra)
    assert len(passed) > 30
    for rule_id, fields in passed.items():
        if rule_id in RULE_FIELDS:
            assert fields <= set(RULE_FIELDS[rule_id]), (rule_id, fields)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names are bytes")
def test_a_file_name_that_is_not_utf8_never_stops_the_summary(seed_dir, tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    shutil.copy(seed_dir / f"{SEED_CODE}.xlsx", folder / "good.xlsx")
    shutil.copy(seed_dir / f"{SEED_CODE}.xlsx", os.path.join(os.fsencode(folder), b"\xff\xfe.xlsx"))
    c = consolidate(folder, jobs=1)
    assert len(c.files_read) == 2   # the odd name is read or listed, never lost
    shown = set(c.projects["来源文件"]) | set(c.issues["文件"])
    assert all(f in shown for f in c.files_read)
    path = write_summary(c, tmp_path / "s.xlsx")
    with zipfile.ZipFile(path) as zf:
        rels = zf.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
    assert "%FF%FE.xlsx" in rels or "good.xlsx" in rels
