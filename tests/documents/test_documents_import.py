"""xlpkg import: Word renderings of the seed (written by hand from its text lines, in several
variants, and by xlpkg publish) give back exactly the examples' declaration fields and
examples/departments/105002.json."""
from __future__ import annotations

import json
import zipfile

import pytest

from xlpkg import load_project
from xlpkg.cli import main
from xlpkg.documents.docx_import import DEPT_FIELDS, DocxImportError, import_document
from xlpkg.documents.publish import publish_document
from xlpkg.model import load_project_json
from tests.docx_seed import build_seed_docx, seed_blocks
from tests.helpers import ROOT, all_examples

DEPT = json.loads((ROOT / "examples" / "departments" / "105002.json").read_text("utf-8"))
SCALARS = ("dept_code", "dept_name", "code", "name", "year", "budget", "fund_source",
           "uses_text", "plan", "goal")


def declared(project) -> dict:
    """The fields the published document holds (the 申报表), as the examples keep them."""
    out = {f: getattr(project, f) for f in SCALARS}
    out["medium_term_budget"] = getattr(project, "medium_term_budget", None)   # v2 model
    out["indicators"] = [(i.level1, i.level2, i.name, i.description, i.target, i.basis)
                         for i in project.indicators]
    return out


def dept_fields(info: dict) -> dict:
    """What the document's department section holds (the JSON also keeps the transcriber's
    note and, for the department workbook, the year's finance and evaluation)."""
    return {k: info[k] for k in DEPT_FIELDS if k in info}


def assert_seed(result) -> None:
    got = {p.code: declared(p) for p in result.projects}
    want = {p.code: declared(p) for p in all_examples()}
    assert got == want
    assert [dept_fields(d) for d in result.departments] == [dept_fields(DEPT)]


VARIANTS = {
    "plain": {},
    "merged": {"merges": True},
    "fullwidth": {"fullwidth": True},
    "line_breaks": {"line_breaks": True},
    "split": {"split": True},
    "split_no_header": {"split": True, "header_repeat": False, "merges": True},
    "split_orphan_merge": {"split": True, "header_repeat": False, "orphan_vmerge": True},
    "content_controls": {"content_controls": True},
    "captions": {"captions": True, "split": True},
    "table_per_shape": {"per_shape": True},
    "bookmark_markers": {"keep_bookmarks": True, "merges": True},
    "short_rows": {"short_rows": True},
    "inline_labels": {"inline_labels": True},
    "forms_in_one_table": {"one_table": True, "merges": True},
    "everything": {"merges": True, "fullwidth": True, "line_breaks": True, "split": True,
                   "extra_tables": True},
}


def test_seed_text_is_parsed_into_the_seed_tables():
    tables = [b for kind, b in seed_blocks() if kind == "table"]
    assert len(tables) == 4
    assert [t[0][1] for t in tables] == [p.code for p in all_examples()]
    assert all(len(t) == 6 + 9 for t in tables)      # 6 form rows + 9 indicator rows


@pytest.mark.parametrize("variant", VARIANTS, ids=list(VARIANTS))
def test_each_variant_imports_to_the_examples(tmp_path, variant):
    doc = tmp_path / "seed.docx"
    build_seed_docx(doc, **VARIANTS[variant])
    result = import_document(doc)
    assert_seed(result)
    assert result.year == 2022
    if "extra_tables" in VARIANTS[variant]:
        assert {i.rule for i in result.issues} == {"import.not_a_form"}
        assert [i.location for i in result.issues] == ["表格1", "表格10"]
    else:
        assert result.issues == []


def test_fund_uses_are_read_from_numbered_lines(tmp_path):
    doc = tmp_path / "seed.docx"
    build_seed_docx(doc)
    projects = {p.code: p for p in import_document(doc).projects}
    for code in ("105002B16DX0003", "105002B21DX0008"):      # a breakdown; one "主要用于…"
        example = load_project_json(ROOT / "examples" / f"{code}.json")
        assert [(u.item, u.amount) for u in projects[code].uses] == [(u.item, u.amount) for u in example.uses]
    # the other examples' items are the transcriber's summaries; the document says:
    assert [(u.item, u.amount) for u in projects["105004B22DX0001"].uses] == [
        ("廉政中心同步录音录像系统升级改造", 1177)]


def test_an_unreadable_row_is_an_issue_and_the_rest_is_imported(tmp_path):
    doc = tmp_path / "seed.docx"
    build_seed_docx(doc, broken_row=True)
    result = import_document(doc)
    assert_seed(result)
    (issue,) = result.issues
    assert issue.rule == "import.indicator_no_name" and issue.severity == "error"
    assert issue.location == "表格1（项目105002B16DX0003）第16行"
    assert "群众来信来访回复" in issue.message and issue.file == "seed.docx"


def test_year_can_be_given(tmp_path):
    doc = tmp_path / "seed.docx"
    build_seed_docx(doc)
    result = import_document(doc, year=2023)
    assert {p.year for p in result.projects} == {2023} and result.departments[0]["year"] == 2023


def test_a_file_that_is_not_a_document_is_refused_in_chinese(tmp_path, capsys):
    bad = tmp_path / "bad.docx"
    bad.write_text("not a zip", "utf-8")
    with pytest.raises(DocxImportError, match="不是有效的 Word 文档"):
        import_document(bad)
    assert main(["import", str(bad), "-o", str(tmp_path / "out")]) == 2
    assert "不是有效的 Word 文档" in capsys.readouterr().err
    workbook = tmp_path / "book.docx"
    with zipfile.ZipFile(workbook, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(DocxImportError):
        import_document(workbook)
    legacy = tmp_path / "old.doc"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    with pytest.raises(DocxImportError, match="旧版 .doc 文档或已加密"):
        import_document(legacy)


def test_cli_writes_projects_department_and_workbooks(tmp_path, capsys):
    doc = tmp_path / "seed.docx"
    build_seed_docx(doc, merges=True)
    out = tmp_path / "out"
    assert main(["import", str(doc), "-o", str(out), "--workbooks"]) == 0
    assert "导入4个项目、1个部门整体目标" in capsys.readouterr().out
    want = {p.code: declared(p) for p in all_examples()}
    assert {p.stem: declared(load_project_json(p)) for p in out.glob("*.json")} == want
    assert {p.stem: declared(load_project(p)) for p in out.glob("*.xlsx")} == want
    info = json.loads((out / "departments" / "105002.json").read_text("utf-8"))
    assert dept_fields(info) == dept_fields(DEPT)


def test_publish_then_import_gives_back_every_published_field(tmp_path):
    doc = tmp_path / "公开.docx"
    publish_document(all_examples(), doc, [DEPT])
    result = import_document(doc)
    assert_seed(result)
    assert result.issues == []


def test_published_text_stays_text(tmp_path):
    """Text that looks like a template tag, a field code or a formula is printed as typed."""
    project = load_project_json(ROOT / "examples" / "105004B22DX0001.json")
    tricky = ['{{x}}', '{% for a in b %}', '<w:fldSimple w:instr="DDEAUTO c:\\\\cmd.exe"/>', '=1+1',
              'DDEAUTO "c:\\\\windows\\\\system32\\\\cmd.exe"', "&<>'\""]
    project.name = tricky[0] + tricky[1]
    project.goal = "\n".join(tricky)
    project.indicators[0].description = tricky[3]
    project.indicators[0].basis = tricky[2]
    doc = tmp_path / "t.docx"
    publish_document([project], doc)
    with zipfile.ZipFile(doc) as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
    assert "<w:fldSimple" not in xml and "w:instrText" not in xml and "w:fldChar" not in xml
    (back,) = import_document(doc, year=2022).projects
    assert (back.name, back.goal) == (project.name, project.goal)
    assert (back.indicators[0].description, back.indicators[0].basis) == (tricky[3], tricky[2])


def test_budget_not_stated_in_the_uses_gets_its_own_row_and_comes_back(tmp_path):
    project = load_project_json(ROOT / "examples" / "105002B21DX0008.json")
    project.uses_text = "主要用于廉政宣教中心建设。"
    doc = tmp_path / "p.docx"
    publish_document([project], doc)
    (back,) = import_document(doc).projects
    assert declared(back) == declared(project)


def test_newer_forms_split_target_into_nature_value_unit(tmp_path):
    """Columns 指标性质 | 指标值 | 度量单位 join into the one target text the model keeps."""
    import docx
    document = docx.Document()
    document.add_paragraph("105002 中国共产党唐山市纪律检查委员会")
    rows = [["项目编码", "105002B22DX0009", "项目名称", "市纪委大数据监督平台建设", "", "", ""],
            ["项目资金主要用途", "预算数740万元，其中财政资金740万元。", "", "", "", "", ""],
            ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "指标值确定依据"],
            ["产出指标", "数量指标", "系统开发数量", "≥", "3", "个", "年初工作计划"],
            ["", "质量指标", "系统验收合格率", "＝", "100", "%", "年初工作计划"],
            ["效果指标", "社会效益指标", "助力办案工作程度", "定性", "提质增效", "", "年初工作计划"]]
    table = document.add_table(rows=len(rows), cols=7)
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            table.cell(r, c).text = text
    doc = tmp_path / "new.docx"
    document.save(str(doc))
    (project,) = import_document(doc, year=2023).projects
    assert [(i.level1, i.level2, i.name, i.target, i.basis) for i in project.indicators] == [
        ("产出指标", "数量指标", "系统开发数量", "≥3个", "年初工作计划"),
        ("产出指标", "质量指标", "系统验收合格率", "100%", "年初工作计划"),
        ("效果指标", "社会效益指标", "助力办案工作程度", "提质增效", "年初工作计划")]
    assert (project.budget, project.fund_source, project.year) == (740, "财政资金", 2023)


def test_cli_reports_unreadable_rows_and_exits_1(tmp_path, capsys):
    doc = tmp_path / "seed.docx"
    build_seed_docx(doc, broken_row=True)
    out = tmp_path / "out"
    assert main(["import", str(doc), "-o", str(out), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert len(report["projects"]) == 4 and report["departments"] == ["105002"]
    assert [i["location"] for i in report["issues"]] == ["表格1（项目105002B16DX0003）第16行"]
    assert len(list(out.glob("*.json"))) == 4


def test_an_unreadable_plan_is_reported_with_its_row(tmp_path):
    project = load_project_json(ROOT / "examples" / "105004B22DX0001.json")
    doc = tmp_path / "p.docx"
    publish_document([project], doc)
    import docx
    document = docx.Document(str(doc))
    document.tables[0].cell(3, 2).paragraphs[0].runs[0].text = "七成"
    document.save(str(doc))
    result = import_document(doc)
    (issue,) = result.issues
    assert issue.rule == "import.plan_unreadable" and issue.location == "表格1（项目105004B22DX0001）第4行"
    assert "七成" in issue.message
    (back,) = result.projects
    assert back.plan == [] and declared(back)["indicators"] == declared(project)["indicators"]


def test_an_issue_in_a_continued_table_names_that_table_and_the_project(tmp_path):
    doc = tmp_path / "seed.docx"
    build_seed_docx(doc, split=True)
    import docx
    document = docx.Document(str(doc))
    second = document.tables[1]                 # the first form's continuation
    row = len(second.rows)
    second.cell(row - 1, 2).paragraphs[0].runs[0].text = ""   # drop a 三级 name
    document.save(str(doc))
    (issue,) = import_document(doc).issues
    assert issue.location == f"表格2（项目105002B16DX0003）第{row}行"


def test_imported_text_that_looks_like_a_formula_stays_text_in_the_workbook(tmp_path):
    import openpyxl
    project = load_project_json(ROOT / "examples" / "105004B22DX0001.json")
    project.goal = "=1+1"
    project.indicators[0].description = '=HYPERLINK("http://x","y")'
    doc = tmp_path / "t.docx"
    publish_document([project], doc)
    assert main(["import", str(doc), "-o", str(tmp_path / "out"), "--workbooks", "--year", "2022"]) == 0
    wb = openpyxl.load_workbook(tmp_path / "out" / f"{project.code}.xlsx")
    typed = {c.value: c.data_type for ws in wb for row in ws.iter_rows() for c in row
             if c.value in ("=1+1", '=HYPERLINK("http://x","y")')}
    assert typed == {"=1+1": "s", '=HYPERLINK("http://x","y")': "s"}


def test_a_project_printed_twice_is_imported_once_and_reported(tmp_path):
    project = load_project_json(ROOT / "examples" / "105004B22DX0001.json")
    doc = tmp_path / "twice.docx"
    publish_document([project, load_project_json(ROOT / "examples" / "105004B22DX0001.json")], doc)
    result = import_document(doc)
    assert [p.code for p in result.projects] == [project.code]
    (issue,) = result.issues
    # each form is two tables (its block, then its indicators under a repeated header)
    assert issue.rule == "import.duplicate_code" and issue.location == "表格3"


def test_the_chinese_face_is_one_setting(tmp_path):
    doc = tmp_path / "f.docx"
    assert main(["publish", str(ROOT / "examples" / "105004B22DX0001.json"), "-o", str(doc),
                 "--font", "仿宋_GB2312"]) == 0
    with zipfile.ZipFile(doc) as zf:
        styles = zf.read("word/styles.xml").decode("utf-8")
        body = zf.read("word/document.xml").decode("utf-8")
    assert 'w:eastAsia="仿宋_GB2312"' in styles and 'w:eastAsia="zh-CN"' in styles
    assert "w:eastAsia=" not in body          # runs inherit the face from the styles


def test_a_sub_goals_indicator_list_may_run_on_into_the_next_paragraph(tmp_path):
    import docx
    document = docx.Document()
    for line in ["部门总体绩效目标及保障措施", "二、分项绩效目标", "（一）深化党风廉政建设",
                 "绩效目标：维护党纪国法，", "坚决惩处腐败分子", "绩效指标：组织开展监督检查次数",
                 "项目资金执行情况　留置案件办结时间", "三、工作保障措施", "完善制度建设。",
                 "105002 中国共产党唐山市纪律检查委员会"]:
        document.add_paragraph(line)
    doc = tmp_path / "d.docx"
    document.save(str(doc))
    (info,) = import_document(doc, year=2022).departments
    assert info["sub_goals"] == [{"title": "深化党风廉政建设", "goal": "维护党纪国法，坚决惩处腐败分子",
                                  "indicators": ["组织开展监督检查次数", "项目资金执行情况", "留置案件办结时间"]}]
    assert info["guarantees"] == ["完善制度建设。"]
