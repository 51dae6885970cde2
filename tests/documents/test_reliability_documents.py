"""Issue 22, the Word-document side: hostile .docx files, report templates and rulebooks, and
commands that must never replace someone's work. Every hostile file is made here, small."""
from __future__ import annotations

import json
import math
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.docx_seed import build_seed_docx
from tests.helpers import ROOT
from xlpkg.cli import main
from xlpkg.documents.docx_import import DocxImportError, import_document
from xlpkg.system.safeio import read_entry

DOCUMENT = "word/document.xml"


@pytest.fixture(scope="module")
def seed_docx(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "seed.docx"
    build_seed_docx(path)
    return path


def patched(src: Path, dst: Path, change, part: str = DOCUMENT) -> Path:
    """A copy of ``src`` whose ``part`` went through ``change(bytes) -> bytes``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, change(data) if info.filename == part else data)
    return dst


def bounded_run(code: str, cwd: Path, limit_mb: int = 1024) -> tuple[str, int]:
    """Run ``code`` in a child whose address space is capped at ``limit_mb`` (a leak fails
    fast instead of filling the shared machine); its output and its peak RSS in MB."""
    prelude = ("import resource, sys\n"
               f"resource.setrlimit(resource.RLIMIT_AS, ({limit_mb << 20}, {limit_mb << 20}))\n")
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (large) pytest parent
    epilogue = ("\ntry:\n    peak = int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])\n"
                "except OSError:\n    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
                "print('PEAK_MB', peak // 1024)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", prelude + code + epilogue], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    peak = [int(line.split()[1]) for line in out.splitlines() if line.startswith("PEAK_MB")]
    assert peak, out
    return out, peak[0]


# --- 11: counts read from a document are bounded ------------------------------------------

@pytest.mark.parametrize("change", [
    lambda d: d.replace(b"<w:tr>", b'<w:tr><w:trPr><w:gridBefore w:val="99999999"/></w:trPr>', 1),
    lambda d: d.replace(b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="50000000"/>', 1),
    lambda d: d.replace(b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="99999999999999999999999"/>', 1),
    lambda d: d.replace(b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="40"/>', 2),
], ids=["gridBefore", "gridSpan", "gridSpan_overflow", "two_wide_cells"])
def test_huge_column_counts_skip_the_table_with_a_message(seed_docx, tmp_path, change):
    bad = patched(seed_docx, tmp_path / "bad.docx", change)
    assert bad.stat().st_size < 60_000
    out, peak = bounded_run(
        "from xlpkg.cli import main\n"
        f"print('RC', main(['import', {str(bad)!r}, '-o', 'out']))", tmp_path)
    assert "Traceback" not in out and "内存不足" not in out, out
    assert "超过 Word 表格的上限63列" in out and "RC 1" in out, out
    assert "导入3个项目" in out           # the other tables are still read
    assert peak < 400, peak


def test_rows_of_empty_cells_cannot_become_millions_of_positions(seed_docx, tmp_path):
    from docx.oxml.ns import qn
    from xlpkg.documents import tables
    doc = __import__("docx").Document()
    table = doc.add_table(rows=1, cols=1)
    tr = table._tbl.tr_lst[0]
    tc = tr.tc_lst[0]
    tc.get_or_add_tcPr().append(tc.makeelement(qn("w:gridSpan"), {qn("w:val"): "63"}))
    for _ in range(tables.MAX_CELLS // 63 + 1):
        table._tbl.append(tr.makeelement(qn("w:tr"), {}))
    with pytest.raises(tables.TableTooLarge, match="超过上限"):
        tables.grid(table)


# --- 12: an entry is never inflated past its declared size ------------------------------

def understated_zip(path: Path, real: int, declared: int, name: str = DOCUMENT) -> Path:
    """One deflated entry of ``real`` zero bytes whose headers declare ``declared``."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(info, b"\0" * real)
    raw = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.find(signature)
        raw[at + offset:at + offset + 4] = struct.pack("<I", declared)
    path.write_bytes(bytes(raw))
    return path


def test_read_entry_stops_at_the_declared_size(tmp_path):
    bomb = understated_zip(tmp_path / "u.zip", 200 * 2**20, 1000)
    out, peak = bounded_run(
        "import zipfile\nfrom xlpkg.system.safeio import read_entry\n"
        "try:\n    read_entry(zipfile.ZipFile('u.zip'), 'word/document.xml')\n"
        "except zipfile.BadZipFile as exc:\n    print('BAD', exc)\n", tmp_path)
    assert "BAD Bad CRC-32" in out, out
    assert peak < 150, peak                # zf.read inflates the 200 MB in one call


def test_read_entry_reads_an_honest_entry_whole(tmp_path):
    path = tmp_path / "ok.zip"
    data = os.urandom(3 * 2**20 + 17)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.bin", data)
    with zipfile.ZipFile(path) as zf:
        assert read_entry(zf, "a.bin") == data
        assert read_entry(zf, zf.getinfo("a.bin")) == data


def test_docx_with_an_understated_part_is_refused_within_bounds(seed_docx, tmp_path):
    # the seed's parts, then a document.xml that declares 1 KB and inflates to 200 MB
    bomb = tmp_path / "bomb.docx"
    understated_zip(tmp_path / "part.zip", 200 * 2**20, 1000)
    with zipfile.ZipFile(seed_docx) as zin, zipfile.ZipFile(tmp_path / "rest.zip", "w") as zout:
        for info in zin.infolist():
            if info.filename != DOCUMENT:
                zout.writestr(info, zin.read(info))
    # splice: the rest's entries and the bomb's entry in one archive (rewrite offsets by
    # re-adding the bomb's raw bytes through zipfile's own writer is not possible, so copy
    # the rest into the bomb archive instead)
    with zipfile.ZipFile(tmp_path / "part.zip", "a") as zf, zipfile.ZipFile(tmp_path / "rest.zip") as rest:
        for info in rest.infolist():
            zf.writestr(info, rest.read(info))
    (tmp_path / "part.zip").rename(bomb)
    out, peak = bounded_run(
        "from xlpkg.cli import main\n"
        f"print('RC', main(['import', {str(bomb)!r}, '-o', 'out']))", tmp_path)
    assert "RC 2" in out and "Traceback" not in out and "意外" not in out, out
    assert "bomb.docx" in out
    assert peak < 200, peak
    assert not (tmp_path / "out").exists()


# --- 15: only regular files are opened ------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_import_of_a_fifo_does_not_block(tmp_path, capsys):
    fifo = tmp_path / "fifo.docx"
    os.mkfifo(fifo)
    # a blocking open would hang the test; run it in a child with a timeout to fail cleanly
    proc = subprocess.run([sys.executable, "-m", "xlpkg", "import", str(fifo), "-o", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert "命名管道（FIFO）" in proc.stderr, proc.stderr


# --- 22: damaged XML and other Word packages -----------------------------------------------

LOLZ = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 2 else b"&lol;") * 10)
                   for n in range(2, 10)) + b"]>")


@pytest.mark.parametrize("change", [
    lambda d: d[:len(d) // 2],
    lambda d: LOLZ + d[d.index(b"?>") + 2:].replace(b"<w:t>", b"<w:t>&lol9;", 1),
    lambda d: d.replace(b"<w:body>", b"<w:body><w:p>", 1),
], ids=["truncated", "billion_laughs", "unclosed"])
def test_damaged_document_xml_is_a_clear_message(seed_docx, tmp_path, change, capsys):
    bad = patched(seed_docx, tmp_path / "bad.docx", change)
    with pytest.raises(DocxImportError, match="bad.docx 的内容已损坏或含有不允许的 XML 结构"):
        import_document(bad)
    assert main(["import", str(bad), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "意外" not in err and "XMLSyntaxError" not in err


MACRO_MAIN = b"application/vnd.ms-word.document.macroEnabled.main+xml"
DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def test_docm_is_read_not_called_an_old_doc(seed_docx, tmp_path):
    docm = patched(seed_docx, tmp_path / "seed.docm", lambda d: d.replace(DOCX_MAIN, MACRO_MAIN),
                   part="[Content_Types].xml")
    result = import_document(docm)
    assert len(result.projects) == 4


def test_zip_that_is_no_word_document_is_not_called_an_old_doc(tmp_path):
    path = tmp_path / "book.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(DocxImportError) as exc:
        import_document(path)
    assert "旧版" not in str(exc.value) and "book.docx" in str(exc.value)


# --- 20: altChunk ---------------------------------------------------------------------------

def test_alt_chunk_is_a_warning(seed_docx, tmp_path):
    doc = patched(seed_docx, tmp_path / "alt.docx",
                  lambda d: d.replace(b"<w:body>", b'<w:body><w:altChunk r:id="rIdAlt1"/>', 1))
    result = import_document(doc)
    warned = [i for i in result.issues if i.rule == "import.alt_chunk"]
    assert len(warned) == 1 and "1处" in warned[0].message and warned[0].severity == "warning"
    assert len(result.projects) == 4
    assert not any(i.rule == "import.alt_chunk" for i in import_document(seed_docx).issues)


# --- 16: every number of a rulebook is finite and in range -----------------------------------

def _rulebook_with(edit) -> dict:
    data = json.loads((ROOT / "rules.json").read_text("utf-8"))
    edit(data)
    return data


@pytest.mark.parametrize("edit, where", [
    (lambda d: d["scoring"]["qualitative_grades"].update({"较好": math.nan}), "qualitative_grades/较好"),
    (lambda d: d["scoring"]["qualitative_grades"].update({"较好": math.inf}), "qualitative_grades/较好"),
    (lambda d: d["scoring"]["grades"][0].update(min=math.nan), "scoring/grades/0/min"),
    (lambda d: d["weights"].update(output=math.nan), "weights/output"),
    (lambda d: d["monitoring"]["lights"][0].update(below=math.inf), "monitoring/lights/0/below"),
    (lambda d: d["monitoring"].update(variance_tolerance=-math.inf), "monitoring/variance_tolerance"),
    (lambda d: d.update(cost_control_limit=math.nan), "cost_control_limit"),
    (lambda d: d.update(cost_control_limit=10 ** 400), "cost_control_limit"),
    (lambda d: d["department"]["common"]["carryover"].update(weight=1e300), "department/common/carryover/weight"),
    (lambda d: d["department"].update(projects=math.nan), "department/projects"),
    (lambda d: d["department"]["execution"].update(total=500), "department/execution/total"),
], ids=["grade_nan", "grade_inf", "band_nan", "weight_nan", "light_inf", "tolerance_-inf",
        "cost_nan", "cost_huge_int", "common_weight_huge", "dept_projects_nan", "dept_weight_500"])
def test_rulebook_numbers_must_be_finite_and_in_range(tmp_path, edit, where):
    from xlpkg.rules import RulesError, load_rules, rules_from_dict
    data = _rulebook_with(edit)
    with pytest.raises(RulesError, match=where.split("/")[-1]):
        rules_from_dict(data)
    # the same through a file: json writes NaN/Infinity, which json.loads reads back
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    with pytest.raises(RulesError, match="无效"):
        load_rules(path)


def test_shipped_rulebook_still_valid():
    from xlpkg.rules import rules_from_dict
    rules_from_dict(_rulebook_with(lambda d: None))


def test_rulebook_with_a_number_of_thousands_of_digits_is_refused(tmp_path):
    from xlpkg.rules import RulesError, load_rules
    text = (ROOT / "rules.json").read_text("utf-8").replace('"cost_control_limit": 5', '"cost_control_limit": 1' + "0" * 5000)
    assert "0" * 5000 in text
    path = tmp_path / "rules.json"
    path.write_text(text, "utf-8")
    with pytest.raises(RulesError, match="位数过多"):
        load_rules(path)


# --- 2: import never replaces someone's work; 21: all or nothing ----------------------------

def test_import_replaces_only_its_own_unchanged_outputs(seed_docx, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["import", str(seed_docx), "-o", str(out), "--workbooks"]
    assert main(args) in (0, 1)
    assert main(args) in (0, 1)                    # its own outputs, unchanged: replaced
    code = "105002B16DX0003"
    for edited in (out / f"{code}.json", out / f"{code}.xlsx", out / "departments" / "105002.json"):
        before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
        edited.write_bytes(edited.read_bytes() + b" ")
        before[edited] = edited.read_bytes()
        capsys.readouterr()
        assert main(args) == 2
        err = capsys.readouterr().err
        assert str(edited) in err and "--force" in err
        assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before   # nothing written
    assert main(args + ["--force"]) in (0, 1)
    assert json.loads((out / f"{code}.json").read_text("utf-8"))["code"] == code


def test_import_refuses_a_foreign_file_in_the_way(seed_docx, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "105002B21DX0008.xlsx").write_bytes(b"a filled form from elsewhere")
    assert main(["import", str(seed_docx), "-o", str(out), "--workbooks"]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["105002B21DX0008.xlsx"]


def test_two_department_sections_of_one_code_are_written_once(seed_docx):
    from xlpkg.documents.docx_import import write_import
    result = import_document(seed_docx)
    result.departments.append(dict(result.departments[0], overall_goal="另一份"))
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        written = write_import(result, folder)
        assert len(written) == len(set(written)) == 5
        assert json.loads(Path(folder, "departments", "105002.json").read_text("utf-8"))["overall_goal"] != "另一份"
    assert any(i.rule == "import.duplicate_dept" for i in result.issues)


def test_disk_full_during_import_leaves_nothing_and_says_so(seed_docx, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    # a 50 KB file-size cap: the JSON files fit, the first workbook (~120 KB) does not
    code = ("import signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))\n"
            "from xlpkg.cli import main\n"
            f"print('RC', main(['import', {str(seed_docx)!r}, '-o', 'out', '--workbooks']))")
    output, _ = bounded_run(code, tmp_path)
    assert "RC 2" in output and "无法写入" in output and "未写入任何文件" in output, output
    assert "Exception ignored" not in output and "Traceback" not in output, output
    assert sorted(p.name for p in out.rglob("*")) == ["keep.txt"]


# --- 13: report templates are bounded ---------------------------------------------------------

def _template(path: Path, text: str) -> Path:
    import docx
    doc = docx.Document()
    doc.add_paragraph(text)
    doc.save(path)
    return path


EXAMPLE = ROOT / "examples" / "105002B16DX0003.json"


@pytest.mark.parametrize("text, words", [
    ("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}", "循环次数"),
    ("{{ 'x' * 1500000000 }}", "超过"),
    ("{{ [1] * 1500000000 }}", "超过"),
    ("{% include 'other.docx' %}", "不能引用其他模板"),
    ("{% extends 'base.docx' %}", "不能引用其他模板"),
    ("{{ 10 ** 10 ** 8 }}", "乘方"),
    ("{{ 'x'|center(1500000000) }}", "过大"),
    ("{{ 'x'.ljust(1500000000) }}", "过大"),
    ("{{ '%1500000000s' % 'x' }}", "格式宽度"),
    ("{{ '{:>1500000000}'.format('x') }}", "格式宽度"),
    ("{% set ns = namespace(x='xx') %}{% for i in range(40) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}", "超过"),
    ("{{ lipsum(1000000) }}", "模板有误"),
], ids=["nested_range", "str_mul", "list_mul", "include", "extends", "pow", "center", "ljust",
        "percent_width", "format_width", "concat_doubling", "lipsum"])
def test_hostile_report_template_is_a_template_error_within_bounds(tmp_path, text, words):
    template = _template(tmp_path / "t.docx", text)
    out, peak = bounded_run(
        "from xlpkg.cli import main\n"
        f"print('RC', main(['report', {str(EXAMPLE)!r}, '-o', 'rep', '--template', {str(template)!r}]))",
        tmp_path, limit_mb=1500)
    assert "RC 2" in out and "报告模板有误" in out and words in out, out
    assert "意外" not in out and "Traceback" not in out
    assert peak < 600, peak
    assert not any((tmp_path / "rep").glob("*.docx"))


def test_ordinary_template_features_still_render(tmp_path):
    template = _template(tmp_path / "t.docx", "{{ name }}{% for i in range(3) %}{{ i }}{% endfor %}"
                                              "{{ ('a' ~ code)|upper }}{{ '%5s' % 'x' }}{{ 'ab' * 3 }}")
    assert main(["report", str(EXAMPLE), "-o", str(tmp_path / "rep"), "--template", str(template)]) == 0
    import docx
    (report,) = (tmp_path / "rep").glob("*.docx")
    text = docx.Document(report).paragraphs[0].text
    assert text == "纪委大要案准备金012A105002B16DX0003    xababab"


def test_damaged_or_macro_template_is_named(tmp_path, seed_docx, capsys):
    bad = patched(seed_docx, tmp_path / "bad.docx", lambda d: d[:100])
    assert main(["report", str(EXAMPLE), "-o", str(tmp_path / "rep"), "--template", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.docx 的内容已损坏" in err and "意外" not in err
    docm = patched(seed_docx, tmp_path / "t.docm", lambda d: d.replace(DOCX_MAIN, MACRO_MAIN),
                   part="[Content_Types].xml")
    assert main(["report", str(EXAMPLE), "-o", str(tmp_path / "rep"), "--template", str(docm)]) == 2
    err = capsys.readouterr().err
    assert "启用宏" in err and "旧版" not in err


# --- 15: FIFOs in publish and report ----------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.parametrize("command", ["report", "publish"])
def test_fifo_inputs_are_named_not_missing(tmp_path, command):
    fifo = tmp_path / "p.json"
    os.mkfifo(fifo)
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "q.json")
    target = ["-o", str(tmp_path / ("rep" if command == "report" else "x.docx"))]
    proc = subprocess.run([sys.executable, "-m", "xlpkg", command, str(EXAMPLE), str(fifo), str(folder), *target],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("命名管道（FIFO）") == 2 and "不存在" not in proc.stderr, proc.stderr


# --- 17: report file names stay inside -o ---------------------------------------------------

@pytest.mark.parametrize("code", ["../../X", "/abs/X", "NUL", "nul.txt", "A\x00B", "C" * 300, "..", "COM1.x"])
def test_report_file_names_from_form_text_stay_inside_the_folder(tmp_path, code):
    from xlpkg.model import load_project_json, project_to_json
    project = load_project_json(EXAMPLE)
    project.code = code
    project.name = "名" * 200 + "/../.."
    source = tmp_path / "in" / "p.json"
    source.parent.mkdir()
    source.write_text(project_to_json(project), "utf-8")
    out = tmp_path / "deep" / "rep"
    rc = main(["report", str(source), "-o", str(out)])
    made = [p for p in tmp_path.rglob("*") if p.is_file() and p != source]
    if rc == 2:      # a code the JSON reader refuses: nothing written anywhere
        assert made == []
        return
    assert len(made) == 1 and made[0].parent == out, made
    name = made[0].name
    assert len(name.encode("utf-8")) <= 255 and not name.startswith(".")
    assert name.split(".")[0].upper() not in {"NUL", "CON", "COM1", "PRN", "AUX"}


def test_two_projects_whose_names_clean_alike_get_two_reports(tmp_path):
    from xlpkg.documents.report import report_filename
    from xlpkg.cli.documents import _unique
    taken: set[str] = set()
    assert _unique("a_b.docx", taken) == "a_b.docx"
    assert _unique("A_B.docx", taken) == "A_B_2.docx"


# --- 22: publish into a missing folder, report after a write failure ------------------------

def test_publish_creates_its_folder(tmp_path, capsys):
    target = tmp_path / "new" / "sub" / "公开.docx"
    assert main(["publish", str(EXAMPLE), "-o", str(target)]) == 0
    assert target.is_file()


def test_report_write_failure_is_not_called_no_forms(tmp_path, capsys):
    (tmp_path / "file").write_text("a file where the folder should be")
    assert main(["report", str(EXAMPLE), "-o", str(tmp_path / "file" / "rep")]) == 2
    err = capsys.readouterr().err
    assert "没有可读的项目表" not in err and "未能写入" in err
