"""xlpkg report and xlpkg publish, rendered: every .docx goes through LibreOffice to PDF, whose
text holds the numbers of `xlpkg score` and whose Chinese is drawn in a CJK font."""
from __future__ import annotations

import json
import re
import zipfile
from decimal import Decimal

import docx
import pytest

from xlpkg.libreoffice import harness as lo
from xlpkg.cli import main
from xlpkg.documents.docx_import import import_document
from xlpkg.documents.report import render_project_report, report_context
from xlpkg.workbook.writer import fill_workbook
from tests.docx_seed import build_seed_docx
from tests.conftest import require_libreoffice
from tests.helpers import ROOT, all_examples, example

import pymupdf  # noqa: E402
DEPT_FILE = ROOT / "examples" / "departments" / "105002.json"
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Workbooks of the seed's projects, their reports, the published document and a
    hand-written seed rendering, all converted to PDF in one LibreOffice session."""
    require_libreoffice()   # fails instead of skipping when make test requires LibreOffice
    base = tmp_path_factory.mktemp("documents")
    books = []
    for project in all_examples():
        books.append(fill_workbook(project, base / "forms" / f"{project.code}.xlsx"))
    assert main(["report", *map(str, books), "-o", str(base / "reports")]) == 0
    reports = sorted((base / "reports").glob("*.docx"))
    published = base / "绩效目标公开.docx"
    assert main(["publish", str(base / "forms"), "--dept-info", str(DEPT_FILE), "-o", str(published)]) == 0
    seed = base / "seed.docx"
    build_seed_docx(seed, merges=True)
    pdfs = lo.documents_to_pdf([*reports, published, seed], base / "pdf")
    return {"books": books, "reports": reports, "published": published, "pdfs": pdfs, "base": base}


def _scores(paths, capsys) -> dict:
    capsys.readouterr()
    main(["score", "--json", *map(str, paths)])
    return {r["code"]: r for r in json.loads(capsys.readouterr().out)}


def _pdf_text(path) -> str:
    """The PDF's text without white space (LibreOffice spaces digits apart from CJK text)."""
    with pymupdf.open(path) as pdf:
        return re.sub(r"\s", "", "".join(page.get_text() for page in pdf))


def _docx_text(path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("|".join(c.text for c in row.cells))
    return "\n".join(parts)


def test_a_report_per_project_with_the_numbers_of_xlpkg_score(rendered, capsys):
    scores = _scores(rendered["books"], capsys)
    assert len(rendered["reports"]) == 4
    for report in rendered["reports"]:
        code = report.name.split("_")[0]
        s = scores[code]
        ev = s["self_evaluation"]
        text = _docx_text(report)
        flat = _pdf_text(rendered["base"] / "pdf" / (report.stem + ".pdf"))
        for where in (re.sub(r"\s", "", text), flat):
            assert f"综合得分{ev['total']}分，评价等级为“{ev['grade']}”" in where
            assert f"预算执行率{s['execution_rate_percent']}%" in where
            assert f"全年执行数{s['spent']}万元" in where
        table = [line.split("|") for line in text.split("\n") if line.count("|") == 6]
        rows = {r[2]: r for r in table if r[2]}
        for ind in ev["indicators"]:
            assert rows[ind["name"]][5:] == [ind["weight"], ind["score"]], ind["name"]
        first = {r[0]: r for r in table if not r[2]}
        assert first["预算执行率"][4:] == [f"{s['execution_rate_percent']}%", "10.00", ev["execution_score"]]
        parts = [Decimal(ev["execution_score"])] + [Decimal(g["score"]) for g in ev["groups"].values()]
        assert Decimal(first["合计"][6]) == sum(parts)
        assert Decimal(first["合计"][6]) * Decimal(ev["scale"]) == pytest.approx(Decimal(ev["total"]), abs=Decimal("0.01"))
        for q in s["quarters"]:
            line = f"|{q['plan_percent']}|{q['actual']}|{q['progress_percent']}|{q['variance_points']}"
            assert line in text


def test_a_sentence_for_each_indicator_that_lost_points(tmp_path, capsys):
    project = example("105002B21DX0008")
    ind = project.indicators[0]
    ind.actual, ind.analysis = "80%", "因施工期雨季延长，部分工程顺延至次年。\n已督促施工单位加快进度。"
    out = tmp_path / "r.docx"
    render_project_report(project, out)
    ctx = report_context(project)
    lost = {i["name"]: i for i in ctx["lost"]}
    assert ind.name in lost
    text = _docx_text(out)
    sentence = (f"“{ind.name}”年度指标值为{ind.target}，实际完成值为80%，得{lost[ind.name]['score']}分"
                f"（分值{lost[ind.name]['weight']}分），扣{lost[ind.name]['lost']}分。"
                "偏差原因分析：因施工期雨季延长，部分工程顺延至次年。\n已督促施工单位加快进度。")
    assert sentence in text
    assert Decimal(lost[ind.name]["weight"]) - Decimal(lost[ind.name]["score"]) == Decimal(lost[ind.name]["lost"])


def test_report_text_is_never_a_tag_a_field_or_markup(tmp_path):
    project = example("105004B22DX0001")
    tricky = ["{{ name }}", "{% for x in y %}", "{%p if 1 %}", '<w:fldSimple w:instr="DDEAUTO c:\\\\cmd.exe"/>',
              "=1+1", 'DDEAUTO "c:\\\\windows\\\\system32\\\\cmd.exe"', "&amp;<>'\""]
    project.name = "".join(tricky[:3])
    project.goal = "\n".join(tricky)
    project.indicators[0].actual = "0套"
    project.indicators[0].analysis = "\x07\x0c" + tricky[3]
    out = tmp_path / "r.docx"
    render_project_report(project, out)
    with zipfile.ZipFile(out) as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
    assert "<w:fldSimple" not in xml and "w:instrText" not in xml and "w:fldChar" not in xml
    assert 'w:type="page"' not in xml                     # \f did not become a page break
    text = _docx_text(out)
    assert f"项目名称：{project.name}" in text
    for t in tricky:
        assert t in text


def test_every_document_renders_with_cjk_glyphs_and_readable_sizes(rendered):
    assert len(rendered["pdfs"]) == 6
    for path in rendered["pdfs"]:
        with pymupdf.open(path) as pdf:
            assert pdf.page_count >= 1
            cjk_fonts, sizes = set(), set()
            for page in pdf:
                assert "\ufffd" not in page.get_text()
                for block in page.get_text("dict")["blocks"]:
                    for line in block.get("lines", []):
                        for span in line["spans"]:
                            if not span["text"].strip():
                                continue
                            sizes.add(span["size"])
                            if CJK.search(span["text"]):
                                cjk_fonts.add(span["font"])
            assert cjk_fonts and all("CJK" in f for f in cjk_fonts), (path.name, cjk_fonts)
            assert min(sizes) >= 7, path.name


def test_published_pdf_shows_the_forms(rendered):
    text = _pdf_text(rendered["base"] / "pdf" / "绩效目标公开.pdf")
    for project in all_examples():
        assert project.code in text and re.sub(r"\s", "", project.name) in text
        for ind in project.indicators:
            assert re.sub(r"\s", "", ind.target) in text
    assert "部门总体绩效目标及保障措施" in text and "105004唐山市廉政中心" in text


def test_report_pdf_has_the_chart(rendered):
    for report in rendered["reports"]:
        with pymupdf.open(rendered["base"] / "pdf" / (report.stem + ".pdf")) as pdf:
            images = {img[:4] for page in pdf for img in page.get_images(full=True)}
            assert [(w, h) for _, _, w, h in images] == [(900, 420)]


def test_published_workbooks_import_back(rendered):
    result = import_document(rendered["published"])
    assert sorted(p.code for p in result.projects) == sorted(p.code for p in all_examples())
    assert result.issues == []


def test_a_province_rewords_the_template_without_code(tmp_path, capsys):
    from xlpkg.documents.report_templates import PROJECT_TEMPLATE
    template = docx.Document(str(PROJECT_TEMPLATE))
    for paragraph in template.paragraphs:
        if paragraph.text == "五、自评结论":
            paragraph.runs[0].text = "五、综合评价结论（{{ dept_name }}）"
    custom = tmp_path / "省模板.docx"
    template.save(str(custom))
    out = tmp_path / "out"
    assert main(["report", str(ROOT / "examples" / "105002B16DX0003.json"), "-o", str(out),
                 "--template", str(custom)]) == 0
    (report,) = out.glob("*.docx")
    assert "五、综合评价结论（中国共产党唐山市纪律检查委员会）" in _docx_text(report)

    broken = docx.Document(str(PROJECT_TEMPLATE))
    broken.add_paragraph("{% if %}")
    broken.save(str(tmp_path / "坏模板.docx"))
    capsys.readouterr()
    assert main(["report", str(ROOT / "examples" / "105002B16DX0003.json"), "-o", str(tmp_path / "o2"),
                 "--template", str(tmp_path / "坏模板.docx")]) == 2
    assert "报告模板有误" in capsys.readouterr().err
    assert not list((tmp_path / "o2").glob("*.docx"))


def test_the_shipped_template_is_the_builders_output(tmp_path):
    """The committed template and its builder agree (regenerate with
    `python -m xlpkg.documents.report_templates` after changing the builder)."""
    from xlpkg.documents import report_templates as T
    for build, shipped in ((T.build_project_template, T.PROJECT_TEMPLATE),
                           (T.build_department_template, T.DEPARTMENT_TEMPLATE)):
        fresh = build(tmp_path / shipped.name)
        with zipfile.ZipFile(fresh) as a, zipfile.ZipFile(shipped) as b:
            assert a.read("word/document.xml") == b.read("word/document.xml"), shipped.name
            assert a.read("word/styles.xml") == b.read("word/styles.xml"), shipped.name


def test_closing_block_fields_of_the_form_fill_the_report(tmp_path):
    """问题, 改进措施, 结论, 负责人, 整改, 监控 snapshot and fund rows (the v2 form's fields)."""
    from types import SimpleNamespace
    project = example("105002B22DX0009")
    project.problems, project.improvements = "部分设备到货延迟。", "提前启动政府采购。"
    project.conclusion, project.goal_actual = "项目总体达到预期。", "平台三个模块全部上线。"
    project.project_lead, project.finance_lead, project.fill_date = "张三", "李四", "2023-01-15"
    project.rectification = SimpleNamespace(needed=True, advice="加快支付进度", result="已整改")
    project.monitoring = SimpleNamespace(month=6, spent=Decimal("300"), forecast_year_spent=Decimal("712"))
    project.execution.funds = {"fiscal": SimpleNamespace(budget=Decimal("740"), year_budget=Decimal("740"),
                                                         year_spent=Decimal("712"))}
    out = tmp_path / "r.docx"
    render_project_report(project, out)
    text = _docx_text(out)
    for expected in ("部分设备到货延迟。", "提前启动政府采购。", "项目总体达到预期。", "平台三个模块全部上线。",
                     "项目负责人：张三", "财务负责人：李四", "填报日期：2023-01-15",
                     "整改要求和建议：加快支付进度", "整改结果：已整改",
                     "截至6月执行数300.00万元，全年预计执行数712.00万元",
                     "其中财政拨款：年初预算数740.00万元，全年预算数740.00万元，全年执行数712.00万元。"):
        assert expected in text, expected
    assert "待填写" not in text


def test_each_department_starts_a_page_and_its_line_stays_with_its_form(rendered):
    with pymupdf.open(rendered["base"] / "pdf" / "绩效目标公开.pdf") as pdf:
        pages = [re.sub(r"\s", "", page.get_text()) for page in pdf]
    (second,) = [i for i, text in enumerate(pages) if "105004唐山市廉政中心" in text]
    assert pages[second].startswith("105004唐山市廉政中心项目编码105004B22DX0001")
    (first,) = [i for i, text in enumerate(pages) if "105002中国共产党唐山市纪律检查委员会" in text]
    assert "105002中国共产党唐山市纪律检查委员会项目编码105002B16DX0003" in pages[first]


def test_a_declaration_only_project_reports_no_score(tmp_path):
    """issue 21 #6: no 0.00 / 差 for a project whose self-evaluation has not started; a missing
    全年执行数 shows the execution score as —, not 0."""
    project = example("105002B21DX0008")
    project.execution.year_spent = None
    for ind in project.indicators:
        ind.actual = ""
    out = tmp_path / "r.docx"
    render_project_report(project, out)
    ctx = report_context(project)
    assert (ctx["total"], ctx["grade"], ctx["exec_score"]) == ("—", "—", "—")
    assert not ctx["lost"] and all(row["score"] == "—" for row in ctx["indicators"])
    assert "0.00" not in _docx_text(out).split("总分")[-1][:20]
