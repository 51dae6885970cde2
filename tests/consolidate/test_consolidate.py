"""Consolidation: the seed's forms, bad inputs, duplicates, the CLI, and a property test."""
from __future__ import annotations

import copy
import io
import json
import shutil
import struct
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl import Workbook

from tests.helpers import ROOT, all_examples, example
from xlpkg.cli import main as cli_main
from xlpkg.consolidate import TOTAL_LABEL, build, cn_number, consolidate, discover, load_dept_info, outcome_from_project, DeptInfoError
from xlpkg.model import Execution
from xlpkg.rules import load_rules
from xlpkg.system.safeio import ZipTooLarge, check_zip_size
from xlpkg.workbook.writer import fill_workbook

DEPT_INFO = ROOT / "examples" / "departments" / "105002.json"
SEED = ROOT / "examples" / "seed" / "000_682dbcc580879855.txt"

# The seed's 部门总体绩效目标 section for 105002, verbatim (minus Word's "[bookmark: …]" marks).
SEED_SECTION = """一、总体绩效目标
认真贯彻落实党的十九大及中、省纪委全会精神，履行监督执纪问责和监督调查处置职责，深化党风廉政建设和反腐败工作，推动全面从严治党向纵深发展，营造和巩固风清气正的政治生态。坚持以初心使命作为政治本色和前进动力，“两个维护”进一步融入血脉、铸入灵魂、见诸行动；坚决整治群众反映强烈的突出问题，让群众获得感成色更足、幸福感更可持续、安全感更有保障；统筹推进纪检监察体制改革，制度优势切实转化为治理效能；充分发挥专责监督作用，对权力运行的制约不断强化；巩固拓展作风建设成效，推动化风成俗、成为习惯；持续深化政治巡察，形成系统集成、协同高效的工作格局；一体推进不敢腐、不能腐、不想腐，反腐败斗争压倒性胜利不断巩固发展；恪守忠诚干净担当、敢于善于斗争要求，下大气力把队伍建强、让干部过硬。
二、分项绩效目标
（一）深化党风廉政建设和反腐败工作
绩效目标：维护党纪国法，坚决惩处腐败分子，有效遏制腐败现象
绩效指标：组织开展监督检查次数  项目资金执行情况  留置案件办结时间  办案经费支出执行情况  查处案件挽回经济损失  群众对贪腐案件办理满意度
（二）加强数据平台建设，推动全面从严治党向纵深发展
绩效目标：建设市纪委大数据监督平台，对全市重点工程、重点系统、重点领域项目进行大数据监督，依托涉案系统对审查调查工作进行智能化信息研判，推动全面从严治党向纵深发展。
绩效指标：开发系统数量  系统验收合格率  支出进度  采购成本控制率  设备使用率  助力办案工作程度  使用人员满意率
（三）完善办案点功能，营造和巩固风清气正的政治生态
绩效目标：2022年完成廉政宣教中心建设项目，完善办案点功能，强化后勤服务，帮助营造和巩固风清气正的政治生态。
绩效指标：基础设施项目建设完成率  工程质量合格率  工程完成及时率  预算控制数  安全性提高程度  使用单位成员满意度。
三、工作保障措施""".split("\n")


@pytest.fixture(scope="module")
def seed_forms(tmp_path_factory) -> Path:
    """The seed's four projects, each written into the project template."""
    folder = tmp_path_factory.mktemp("seed_forms")
    for project in all_examples():
        fill_workbook(project, folder / f"{project.code}.xlsx")
    return folder


@pytest.fixture
def forms(seed_forms, tmp_path) -> Path:
    """A private copy of the seed forms that a test may spoil."""
    folder = tmp_path / "forms"
    shutil.copytree(seed_forms, folder)
    return folder


def _dept(c, code):
    return c.departments[c.departments["部门编码"] == code].iloc[0]


def _rules_of(c, rule):
    return c.issues[c.issues["规则"] == rule]


# --- the seed ---------------------------------------------------------------------------

def test_seed_consolidates_into_two_departments(seed_forms):
    c = consolidate(seed_forms, jobs=1)
    assert c.project_count == 4 and len(c.files_read) == 4 and c.files_with_errors == []
    assert (_dept(c, "105002")["项目数"], _dept(c, "105002")["全年预算数（万元）"]) == (3, 2778)
    assert (_dept(c, "105004")["项目数"], _dept(c, "105004")["全年预算数（万元）"]) == (1, 1177)
    total = _dept(c, TOTAL_LABEL)
    assert (total["项目数"], total["全年预算数（万元）"]) == (4, 3955)
    # rates from the sums, never the mean of the project rates
    spent = sum(p.execution.year_spent for p in all_examples() if p.dept_code == "105002")
    assert _dept(c, "105002")["执行率"] == pytest.approx(float(spent / Decimal(2778)), abs=1e-12)
    assert sorted(c.projects["项目编码"]) == sorted(p.code for p in all_examples())
    assert len(c.indicators) == sum(len(p.indicators) for p in all_examples())


def test_parallel_and_sequential_agree(seed_forms, tmp_path):
    # Enough files for the process pool to be used (small runs stay in-process).
    for i, path in enumerate(sorted(seed_forms.glob("*.xlsx")) * 3):
        shutil.copy(path, tmp_path / f"{i:02d}_{path.name}")
    one, two = consolidate(tmp_path, jobs=1), consolidate(tmp_path, jobs=2)
    for name in ("projects", "departments", "indicators", "dept_goals", "issues"):
        assert getattr(one, name).equals(getattr(two, name)), name
    assert one.project_count == 4 and len(_rules_of(one, "consolidate.duplicate")) == 8


def _lines(c, dept):
    goals = c.dept_goals[c.dept_goals["部门编码"] == dept]
    return goals["内容"].tolist()


def test_department_goals_with_info_reproduce_the_seed(seed_forms):
    c = consolidate(seed_forms, jobs=1, dept_info=[DEPT_INFO])
    lines = _lines(c, "105002")
    assert lines[0] == "105002 中国共产党唐山市纪律检查委员会"
    printed = lines[1:1 + len(SEED_SECTION)]
    # The seed ends only its third indicator list with "。"; the info file keeps names only.
    assert printed[:-2] + [printed[-2] + "。", printed[-1]] == SEED_SECTION
    info = load_dept_info(DEPT_INFO)
    assert lines[len(SEED_SECTION) + 1:] == info["guarantees"]


def test_the_seed_document_prints_these_lines():
    text = SEED.read_text("utf-8")
    for line in SEED_SECTION:
        assert line in text.replace("[bookmark: _GoBack]", "")


def test_department_goals_without_info_use_the_forms(seed_forms):
    c = consolidate(seed_forms, jobs=1)
    lines = _lines(c, "105002")
    assert lines[1:4] == ["一、总体绩效目标", "（未提供部门总体绩效目标）", "二、分项绩效目标"]
    by_code = {p.code: p for p in all_examples()}
    subs = c.dept_goals[(c.dept_goals["部门编码"] == "105002") & (c.dept_goals["层级"] == "分项")]
    assert subs["内容"].tolist() == [f"（{cn_number(n)}）{by_code[code].name}" for n, code in
                                   enumerate(sorted(k for k in by_code if k.startswith("105002")), 1)]
    text = "\n".join(lines)
    assert "系统开发数量" in text and "开发系统数量" not in text
    assert "预算控制率" in text and "预算控制数" not in text


def test_dept_info_is_validated(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"dept_code": "10500", "dept_name": "x", "sub_goals": []}), "utf-8")
    with pytest.raises(DeptInfoError, match="dept_code"):
        load_dept_info(bad)


def test_chinese_numbering():
    assert [cn_number(n) for n in (1, 9, 10, 11, 20, 21, 99)] == \
        ["一", "九", "十", "十一", "二十", "二十一", "九十九"]


# --- bad inputs ---------------------------------------------------------------------------

def _encrypt(src: Path, dst: Path) -> None:
    """A password-protected workbook as Excel writes it (an OLE2 container)."""
    from msoffcrypto.format.ooxml import OOXMLFile  # a test dependency (setup.cfg [test])

    with open(src, "rb") as fh, open(dst, "wb") as out:
        OOXMLFile(fh).encrypt("secret", out)


def _with_declared_size(src: Path, dst: Path, size: int) -> None:
    """A copy whose central directory claims a member unpacks to ``size`` bytes (zip bomb)."""
    data = bytearray(src.read_bytes())
    at = data.index(b"PK\x01\x02")
    data[at + 24:at + 28] = struct.pack("<I", size)
    dst.write_bytes(bytes(data))


def test_bad_inputs_each_give_an_issue_and_the_rest_lands(forms):
    seed_file = forms / "105002B16DX0003.xlsx"
    (forms / "截断.xlsx").write_bytes(seed_file.read_bytes()[:4000])
    (forms / "改名的文本.xlsx").write_text("这不是工作簿", "utf-8")
    _encrypt(seed_file, forms / "加密.xlsx")
    foreign = Workbook()
    foreign.active["A1"] = "别的表格"
    foreign.save(forms / "其他模板.xlsx")
    shutil.copy(seed_file, forms / "重复.xlsx")
    _with_declared_size(seed_file, forms / "炸弹.xlsx", 0xFFFFFF00)
    sub = forms / "子文件夹"
    sub.mkdir()
    hostile = example("105004B22DX0001")
    hostile.code, hostile.name = "105004B22DX0002", '=HYPERLINK("http://evil","点我")'
    fill_workbook(hostile, sub / "公式名称.xlsx")   # the writer stores it as text
    (forms / "~$105002B16DX0003.xlsx").write_bytes(b"lock")
    (forms / "说明.txt").write_text("notes", "utf-8")
    (forms / ".hidden.xlsx").write_bytes(b"junk")

    c = consolidate(forms, jobs=1)
    names = {Path(p).name for p in c.files_read}
    assert not names & {"~$105002B16DX0003.xlsx", "说明.txt", ".hidden.xlsx"}   # not read
    assert not c.issues["文件"].map(lambda f: Path(f).name).isin(
        ["~$105002B16DX0003.xlsx", "说明.txt"]).any()   # lock files and non-spreadsheets: silent
    # a hidden spreadsheet is not read, but listed (issue 8 #20): nothing disappears unsaid
    hidden = c.issues[c.issues["文件"].map(lambda f: Path(f).name) == ".hidden.xlsx"]
    assert hidden["规则"].tolist() == ["consolidate.skipped"] and "隐藏" in hidden.iloc[0]["说明"]

    def only(file):
        rows = c.issues[c.issues["文件"].map(lambda f: Path(f).name) == file]
        assert len(rows) == 1, rows
        return rows.iloc[0]

    assert only("截断.xlsx")["规则"] == "form.unreadable" and "损坏" in only("截断.xlsx")["说明"]
    assert "不是 Excel 工作簿" in only("改名的文本.xlsx")["说明"]
    assert "密码" in only("加密.xlsx")["说明"]
    assert only("其他模板.xlsx")["规则"] == "form.not_template"
    assert "超过上限" in only("炸弹.xlsx")["说明"]
    dup = only("重复.xlsx")
    assert dup["规则"] == "consolidate.duplicate" and "105002B16DX0003.xlsx" in dup["说明"]
    assert (dup["工作表"], dup["单元格"]) == ("绩效目标申报表", "B3")
    # every good project exactly once, the hostile name as plain text
    assert sorted(c.projects["项目编码"]) == sorted(
        [p.code for p in all_examples()] + ["105004B22DX0002"])
    assert hostile.name in c.projects["项目名称"].tolist()
    assert _dept(c, "105002")["全年预算数（万元）"] == 2778
    bad = {"截断.xlsx", "改名的文本.xlsx", "加密.xlsx", "其他模板.xlsx", "重复.xlsx", "炸弹.xlsx"}
    assert {Path(f).name for f in c.files_with_errors} == bad


def test_missing_path_is_an_issue_not_a_crash(tmp_path):
    c = consolidate([tmp_path / "nowhere"], jobs=1)
    assert c.project_count == 0 and c.issues.iloc[0]["规则"] == "form.unreadable"


def test_zip_guard_reads_only_the_directory(seed_forms, tmp_path):
    form = next(seed_forms.glob("*.xlsx"))
    check_zip_size(form)                      # a real form passes
    with pytest.raises(ZipTooLarge):
        check_zip_size(form, max_bytes=10_000)
    with pytest.raises(zipfile.BadZipFile):
        check_zip_size(io.BytesIO(b"not a zip"))


def test_discover_excludes_the_output_and_dedupes(seed_forms):
    files, missing = discover([seed_forms, seed_forms / "105002B16DX0003.xlsx"],
                              exclude=[seed_forms / "105004B22DX0001.xlsx"])
    assert missing == [] and len(files) == 3 and len(set(files)) == 3


def test_year_filter_lists_the_other_years(seed_forms):
    c = consolidate(seed_forms, jobs=1, year=2023)
    assert c.project_count == 0
    assert set(c.issues["规则"]) == {"consolidate.other_year"} and len(c.issues) == 4


# --- the command -------------------------------------------------------------------------

def _run(capsys, *argv):
    code = cli_main(["consolidate", *map(str, argv)])
    out = capsys.readouterr().out.strip().splitlines()
    return code, out


def test_cli_exit_0_when_clean(seed_forms, tmp_path, capsys):
    out = tmp_path / "部门汇总.xlsx"
    code, lines = _run(capsys, seed_forms, "-o", out, "--jobs", "1", "--dept-info", DEPT_INFO)
    assert code == 0 and out.exists()
    assert lines[-1].startswith("已写入") and "2个部门、4个项目" in lines[-1]


def test_cli_exit_1_lists_files_with_errors(forms, tmp_path, capsys):
    (forms / "坏文件.xlsx").write_text("x", "utf-8")
    code, lines = _run(capsys, forms, "-o", tmp_path / "s.xlsx", "--jobs", "1")
    assert code == 1 and any("坏文件.xlsx" in line for line in lines)
    assert "1个文件存在错误" in lines[-1]


def test_cli_exit_2_when_nothing_usable(tmp_path, capsys):
    (tmp_path / "a.xlsx").write_text("x", "utf-8")
    out = tmp_path / "s.xlsx"
    code, lines = _run(capsys, tmp_path, "-o", out)
    assert code == 2 and not out.exists() and lines[-1].startswith("未汇总")


def test_cli_exit_2_when_output_cannot_be_written(seed_forms, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, lines = _run(capsys, seed_forms, "-o", blocker / "s.xlsx", "--jobs", "1")
    assert code == 2 and lines[-1].startswith("未汇总") and "原有文件" in lines[-1]


def test_cli_json(seed_forms, tmp_path, capsys):
    code = cli_main(["consolidate", str(seed_forms), "-o", str(tmp_path / "s.xlsx"), "--json",
                     "--jobs", "1"])
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert code == result["exit_code"] == 0 and len(result["projects"]) == 4
    assert [d["部门编码"] for d in result["departments"]] == ["105002", "105004", TOTAL_LABEL]
    assert captured.err.strip().splitlines()[-1] == result["message"]


def test_cli_json_is_written_a_batch_at_a_time_and_says_the_same(seed_forms, tmp_path, capsys,
                                                                   monkeypatch):
    """Streamed a few records at a time (a province's output), the JSON is the tables' own."""
    from xlpkg.cli import consolidate as cli_consolidate
    from xlpkg.consolidate import consolidate

    monkeypatch.setattr(cli_consolidate, "JSON_BATCH", 1)
    cli_main(["consolidate", str(seed_forms), "-o", str(tmp_path / "s.xlsx"), "--json", "--jobs", "1"])
    result = json.loads(capsys.readouterr().out)
    c = consolidate([seed_forms], jobs=1)
    for key, df in (("projects", c.projects), ("departments", c.departments),
                    ("dept_evaluations", c.dept_evaluations), ("issues", c.issues)):
        assert result[key] == json.loads(df.to_json(orient="records", force_ascii=False)), key
    assert result["dept_evaluations"] == [] and result["notes"] == c.notes
    assert list(result)[:7] == ["exit_code", "message", "output", "year", "notes", "files_read",
                                "files_with_errors"]


# --- property: nothing lost, nothing counted twice -------------------------------------

_money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@st.composite
def _departments(draw):
    base = example()
    projects = []
    for d in range(draw(st.integers(1, 4))):
        dept = f"1{d:02d}{draw(st.integers(100, 999))}"
        for n in range(draw(st.integers(1, 5))):
            p = copy.deepcopy(base)
            p.dept_code, p.code = dept, f"{dept}B22DX{n:04d}"
            p.budget = draw(_money)
            spent = draw(st.none() | _money)
            p.execution = Execution(actual_cumulative=[None] * 4, year_spent=spent,
                                    year_budget=draw(st.none() | _money))
            projects.append(p)
    return projects


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects=_departments(), order=st.randoms(use_true_random=False),
       repeats=st.lists(st.integers(0, 20), max_size=3))
def test_property_sums_equal_inputs_and_each_project_once(projects, order, repeats):
    rules = load_rules()
    outcomes = [outcome_from_project(p, f"/forms/{i:03d}.xlsx", rules)
                for i, p in enumerate(projects)]
    # the same project filed again under another name must not be counted twice
    outcomes += [outcome_from_project(projects[r % len(projects)], f"/forms/dup{k}.xlsx", rules)
                 for k, r in enumerate(repeats)]
    order.shuffle(outcomes)
    c = build(outcomes, rules)
    assert sorted(c.projects["项目编码"]) == sorted(p.code for p in projects)
    assert len(_rules_of(c, "consolidate.duplicate")) == len(repeats)
    for dept in {p.dept_code for p in projects}:
        members = [p for p in projects if p.dept_code == dept]
        row = _dept(c, dept)
        assert row["项目数"] == len(members)
        assert row["全年预算数（万元）"] == float(sum(p.effective_budget for p in members))
        assert row["全年执行数（万元）"] == float(sum(p.execution.year_spent or 0 for p in members))
    total = _dept(c, TOTAL_LABEL)
    assert total["全年预算数（万元）"] == float(sum(p.effective_budget for p in projects))
    assert total["项目数"] == len(projects)


def test_cli_all_forms_with_errors_still_writes_the_problem_list(tmp_path, capsys):
    """issue 21 #2: every form has an error → the summary with its 问题清单 and empty totals,
    exit 1; the message points at a sheet that exists."""
    import openpyxl
    from decimal import Decimal as D
    from tests.helpers import example
    from xlpkg.workbook.writer import fill_workbook

    forms = tmp_path / "forms"
    forms.mkdir()
    for code in ("105002B16DX0003", "105002B21DX0008"):
        p = example(code)
        p.uses[0].amount += D(1)   # uses.sum: an error
        fill_workbook(p, forms / f"{code}.xlsx")
    (forms / "坏文件.xlsx").write_text("x", "utf-8")
    out = tmp_path / "s.xlsx"
    code, lines = _run(capsys, forms, "-o", out, "--jobs", "1")
    assert code == 1 and out.exists(), lines
    assert "没有项目计入汇总" in lines[-1] and "问题清单" in lines[-1]
    wb = openpyxl.load_workbook(out, read_only=True)
    listed = [row for row in wb["问题清单"].iter_rows(values_only=True) if row and row[0]]
    rules = {r for row in listed for r in row if r in ("uses.sum", "form.unreadable")}
    assert rules == {"uses.sum", "form.unreadable"}, listed


def test_cli_nothing_readable_does_not_point_at_a_missing_problem_list(tmp_path, capsys):
    (tmp_path / "a.xlsx").write_text("x", "utf-8")
    (tmp_path / "b.xlsx").write_text("y", "utf-8")
    code, lines = _run(capsys, tmp_path, "-o", tmp_path / "s.xlsx")
    assert code == 2 and not (tmp_path / "s.xlsx").exists()
    assert not any("问题清单" in line for line in lines), lines
