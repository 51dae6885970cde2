"""Province scale: the named-cell reader, hostile forms on every read path, the worker pool,
and the zip-level form generator of the benchmark."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT
import xlpkg.consolidate as C
from xlpkg.consolidate import pool
from xlpkg.consolidate.reading import cores
from xlpkg.workbook import layout as L
from xlpkg.cli import main as cli_main
from xlpkg.workbook.form_checks import read_checked_file
from xlpkg.rules import load_rules
from xlpkg.sources import CalamineSource, OpenpyxlSource, SourceError, name_values
from xlpkg.sources.named import NamedCellSource, clip_names

sys.path.insert(0, str(ROOT / "benchmarks"))
import formgen  # noqa: E402

ENGINES = ("named", "calamine", "openpyxl")


@pytest.fixture(scope="module")
def saved_forms(tmp_path_factory, libreoffice_module):
    """The seed forms as LibreOffice saves them: cached results, shared strings, its own XML."""
    from xlpkg.workbook.writer import fill_workbook
    from tests.helpers import all_examples

    src = tmp_path_factory.mktemp("filled")
    paths = [fill_workbook(p, src / f"{p.code}.xlsx") for p in all_examples()]
    return libreoffice_module.recalculate(paths, tmp_path_factory.mktemp("saved"))


@pytest.fixture(scope="module")
def libreoffice_module():
    from tests.conftest import require_libreoffice
    from xlpkg.libreoffice import harness as lo

    require_libreoffice()
    return lo


def _assert_same_values(path: Path) -> None:
    named, cal, opx = NamedCellSource(path, L.NAMES), CalamineSource(path), OpenpyxlSource(path)
    assert named.defined_names() == cal.defined_names() == opx.defined_names()
    assert named.sheet_names() == cal.sheet_names() == opx.sheet_names()
    for name in named.defined_names():
        assert name_values(named, name) == name_values(cal, name) == name_values(opx, name), name


def test_named_source_equals_calamine_and_openpyxl_on_the_seed_forms(filled_dir):
    for path in sorted(filled_dir.glob("*.xlsx")):
        _assert_same_values(path)


def test_named_source_equals_the_others_on_libreoffice_saved_forms(saved_forms):
    for path in saved_forms:
        _assert_same_values(path)
        assert read_checked_file(path).project == read_checked_file(path, engine="calamine").project


def test_named_source_reads_dates_booleans_and_rich_text(tmp_path):
    import datetime as dt
    import openpyxl
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    from openpyxl.workbook.defined_name import DefinedName

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = dt.datetime(2022, 12, 31)
    ws["A2"] = True
    ws["A3"] = 0.1
    ws["A4"] = CellRichText("甲", TextBlock(InlineFont(b=True), "乙"))
    ws["A5"] = "甲 "
    ws["A6"] = 12345678901
    wb.defined_names["All"] = DefinedName("All", attr_text="'S'!$A$1:$B$7")
    wb.save(tmp_path / "t.xlsx")
    named, opx = NamedCellSource(tmp_path / "t.xlsx"), OpenpyxlSource(tmp_path / "t.xlsx")
    got = name_values(named, "All")
    assert got == name_values(CalamineSource(tmp_path / "t.xlsx"), "All")
    assert [row[0] for row in got] == [dt.datetime(2022, 12, 31), True, 0.1, "甲乙", "甲 ", 12345678901, None]
    assert got[:3] == name_values(opx, "All")[:3]


_PRETTY = {
    "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/s.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/strings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '</Types>',
    "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0"?>\n<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\n  <x:sheets>\n'
    '    <x:sheet name="数据" sheetId="1" r:id="rId7"/>\n  </x:sheets>\n  <x:definedNames>\n'
    '    <x:definedName name="Box">\'数据\'!$A$1:$B$3</x:definedName>\n'
    '    <x:definedName name="Local" localSheetId="0">\'数据\'!$A$1</x:definedName>\n  </x:definedNames>\n</x:workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/s.xml"/>'
    '<Relationship Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="strings.xml"/>'
    '</Relationships>',
    "xl/strings.xml": '<?xml version="1.0"?>\n<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\n'
    '  <x:si>\n    <x:t>甲</x:t>\n  </x:si>\n  <x:si>\n    <x:r><x:rPr><x:b/></x:rPr><x:t xml:space="preserve">乙 </x:t></x:r>\n'
    '    <x:r><x:t>丙_x000D_</x:t></x:r>\n    <x:rPh sb="0" eb="1"><x:t>ヨミ</x:t></x:rPh>\n  </x:si>\n</x:sst>',
    "xl/worksheets/s.xml": '<?xml version="1.0"?>\n<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\n'
    '  <x:sheetData>\n    <x:row r="1">\n      <x:c r="A1" t="s">\n        <x:v>1</x:v>\n      </x:c>\n'
    '      <x:c t="str">\n        <x:f>X</x:f>\n        <x:v>公式</x:v>\n      </x:c>\n    </x:row>\n'
    '    <x:row>\n      <x:c r="A2" t="inlineStr">\n        <x:is>\n          <x:t>丁</x:t>\n        </x:is>\n      </x:c>\n'
    '      <x:c r="B2" t="b">\n        <x:v>1</x:v>\n      </x:c>\n    </x:row>\n'
    '    <x:row r="3"><x:c r="A3"><x:v> 2.5 </x:v></x:c><x:c r="B3" t="s"><x:v>0</x:v></x:c></x:row>\n'
    '  </x:sheetData>\n</x:worksheet>',
}


def test_named_source_reads_prefixed_pretty_printed_xml(tmp_path):
    """Namespace prefixes, indentation, absolute and relative targets, rich text with a
    phonetic run, cells and rows without addresses: as the OOXML standard allows."""
    path = tmp_path / "pretty.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in _PRETTY.items():
            zf.writestr(name, text.encode("utf-8"))
    source = NamedCellSource(path)
    assert source.defined_names() == {"Box": ("数据", "A1:B3")}
    assert source.sheet_names() == ["数据"]
    assert name_values(source, "Box") == [["乙 丙\r", "公式"], ["丁", True], [2.5, "甲"]]


def test_a_comment_cannot_hide_or_fake_cells(filled_copy, example_projects):
    """Comments send a sheet down the general path; a fake row or cell inside one is ignored."""
    path = filled_copy("105002B22DX0009")
    fake = f'<!-- <row r="999"><c r="{L.NAMES["Budget"].ref}"><v>1</v></c></row> -->'
    _rewrite(path, _decl_part(path), lambda xml: xml.replace("<sheetData>", "<sheetData>" + fake, 1))
    assert read_checked_file(path).project == example_projects["105002B22DX0009"]


# --- hostile forms (issue 8 items 2, 4, 5) -------------------------------------------------

def _rewrite(path: Path, part: str, edit) -> Path:
    return _rewrite_bytes(path, part, lambda data: edit(data.decode("utf-8")).encode("utf-8"))


def _rewrite_bytes(path: Path, part: str, edit) -> Path:
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    parts[part] = edit(parts[part])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def _decl_part(path: Path) -> str:
    from xlpkg.sources.named import sheet_parts
    return sheet_parts(path)[L.DECL]


def _far_cell(path: Path, ref: str) -> Path:
    row = re.match(r"[A-Z]+([0-9]+)", ref)[1]
    return _rewrite(path, _decl_part(path), lambda xml: xml.replace(
        "</sheetData>", f'<row r="{row}"><c r="{ref}"><v>1</v></c></row></sheetData>'))


@pytest.mark.parametrize("ref", ["XFD1048576", "ZZ100000"])
def test_a_far_cell_is_ignored_by_the_named_reader(filled_copy, example_projects, ref):
    path = _far_cell(filled_copy("105002B22DX0009"), ref)
    result = read_checked_file(path)
    assert result.project == example_projects["105002B22DX0009"]


_LIMITED = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, resource.RLIM_INFINITY))
    from xlpkg.workbook.form_checks import read_checked_file
    result = read_checked_file(sys.argv[1], engine=sys.argv[2])
    print("PROJECT" if result.project else "NONE", *[i.message for i in result.issues if i.severity == "error"])
""")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_far_cell_never_allocates_the_sheet(filled_copy, engine):
    """Run under a 1.5 GB address-space limit: calamine used to ask for hundreds of GB."""
    path = _far_cell(filled_copy("105002B22DX0009"), "XFD1048576")
    run = subprocess.run([sys.executable, "-c", _LIMITED, str(path), engine], capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    if engine == "calamine":   # refused with a message naming the sheet and the far cell
        assert "NONE" in run.stdout and "XFD1048576" in run.stdout and L.DECL in run.stdout
    else:
        assert run.stdout.startswith("PROJECT")


_IND_TOP = L.first_cell("Indicators")[2]


def test_widened_name_is_clipped_to_the_template_and_reported(filled_copy, example_projects):
    path = _rewrite(filled_copy("105002B22DX0009"), "xl/workbook.xml", lambda xml: re.sub(
        r"(<definedName name=\"Indicators\"[^>]*>)[^<]*<",
        lambda m: m[1] + f"'{L.DECL}'!$A${_IND_TOP}:$XFD$1048576<", xml))
    assert NamedCellSource(path).defined_names()["Indicators"] == (L.DECL, f"A{_IND_TOP}:XFD1048576")
    for engine in ENGINES:
        result = read_checked_file(path, engine=engine)
        assert result.project == example_projects["105002B22DX0009"], engine
        widened = [i for i in result.issues if i.rule == "form.name_extent"]
        assert len(widened) == 1 and f"A{_IND_TOP}:XFD1048576" in widened[0].message, engine
        assert widened[0].cell == L.NAMES["Indicators"].ref


def test_clip_names_keeps_the_top_left_cell():
    clipped, widened = clip_names({"Indicators": ("S", "A23:XFD1048576"), "Budget": ("S", "C4:D9"),
                                   "Other": ("S", "A1:XFD1")}, L.NAMES)
    assert clipped["Indicators"] == ("S", f"A23:I{23 + L.INDICATOR_ROWS - 1}")
    assert clipped["Budget"] == ("S", "C4")
    assert clipped["Other"] == ("S", "A1:XFD1")   # not the template's: left alone
    assert set(widened) == {"Indicators", "Budget"}


_NAMES_IN_COMMENT = textwrap.dedent("""
    import sys
    from xlpkg.sources import CalamineSource
    from xlpkg.sources.named import NamedCellSource
    named, cal = NamedCellSource(sys.argv[1]).defined_names(), CalamineSource(sys.argv[1]).defined_names()
    print(named == cal, "Decoy" in named, len(named))
""")


def test_defined_names_inside_a_comment_cost_one_pass(filled_copy):
    """200,000 '<definedName ' in a comment: the old regex took 114 s for 40,000."""
    decoy = "<definedName " * 200_000 + "<definedName name=\"Decoy\">'x'!$A$1</definedName>"
    path = _rewrite(filled_copy(), "xl/workbook.xml",
                    lambda xml: xml.replace("<definedNames>", f"<definedNames><!-- {decoy} -->"))
    run = subprocess.run([sys.executable, "-c", _NAMES_IN_COMMENT, str(path)], capture_output=True,
                         text=True, timeout=60, cwd=ROOT)
    assert run.stdout.split()[:2] == ["True", "False"], run.stderr[-2000:]
    assert int(run.stdout.split()[2]) >= len(L.NAMES)


def test_a_dtd_is_refused_before_any_entity_expands(filled_copy):
    bomb = ('<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c SYSTEM "file:///etc/passwd">]>')
    path = _rewrite(filled_copy(), "xl/workbook.xml", lambda xml: xml.replace("?>", "?>" + bomb, 1)
                    if xml.startswith("<?xml") else bomb + xml)
    issue, = read_checked_file(path).issues
    assert issue.rule == "form.unreadable" and "DTD" in issue.message


def test_bad_shared_string_index_is_an_accountant_message(saved_forms, tmp_path):
    path = Path(shutil.copy(saved_forms[0], tmp_path / "bad.xlsx"))
    part = _decl_part(path)
    _rewrite(path, part, lambda xml: re.sub(r'(<c r="B3"[^>]*t="s"[^>]*><v>)[0-9]+', r"\g<1>999999", xml))
    issue, = read_checked_file(path).issues
    assert issue.rule == "form.unreadable" and "共享字符串" in issue.message and "B3" in issue.message


def test_broken_sheet_xml_is_an_accountant_message(filled_copy):
    path = filled_copy()
    _rewrite(path, _decl_part(path), lambda xml: xml[: len(xml) // 2])
    issue, = read_checked_file(path).issues
    assert issue.rule == "form.unreadable" and L.DECL in issue.message and "损坏" in issue.message


# --- the worker pool (issue 8 items 2, 6, 7) ---------------------------------------------

@pytest.fixture(scope="module")
def many_forms(tmp_path_factory) -> list[formgen.GeneratedForm]:
    folder = tmp_path_factory.mktemp("many")
    base = formgen.bases(tmp_path_factory.mktemp("bases"), libreoffice=False)
    return formgen.generate(24, folder / "forms", per_dept=8, base_forms=base)


@pytest.fixture
def folder_of_forms(many_forms, tmp_path) -> Path:
    folder = tmp_path / "forms"
    shutil.copytree(many_forms[0].path.parent, folder)
    return folder


def test_generated_forms_carry_the_intended_codes_and_amounts(many_forms):
    rules = load_rules()
    assert len({g.code for g in many_forms}) == len(many_forms)
    assert len({g.dept for g in many_forms}) == 3
    assert len({g.factor for g in many_forms}) > 5
    for g in many_forms:
        result = read_checked_file(g.path, rules=rules)
        p = result.project
        assert (p.code, p.dept_code) == (g.code, g.dept)
        assert p.budget == g.base.budget * g.factor
        assert p.execution.year_spent == g.base.execution.year_spent * g.factor
        assert [u.amount for u in p.uses] == [u.amount * g.factor for u in g.base.uses]
        assert p.indicators == g.base.indicators
        assert not [i for i in result.issues if i.severity == "error"], result.issues


def test_jobs_are_clamped_to_cores_and_files():
    available = cores()
    assert C.worker_count(99999999999999999999, 1000) == available
    assert C.worker_count(8, 3) == min(3, available)
    assert C.worker_count(None, 0) == 1


def test_cli_clamps_a_huge_jobs_number(folder_of_forms, tmp_path, capsys):
    code = cli_main(["consolidate", str(folder_of_forms), "-o", str(tmp_path / "s.xlsx"),
                     "--jobs", "99999999999999999999"])
    assert code == 0, capsys.readouterr()
    assert "24个项目" in capsys.readouterr().out


def _crash_on(victims: set[str], how: str):
    real = C.read_one

    def read_one(path, rules, year=None):
        if Path(path).name in victims:
            if how == "segfault":
                import faulthandler
                faulthandler.disable()   # pytest's handler would print the worker's stack
                os.kill(os.getpid(), signal.SIGSEGV)
            os._exit(3)
        return real(path, rules, year)
    return read_one


@pytest.mark.parametrize("how", ["segfault", "exit", "memory"])
def test_a_dying_worker_costs_only_its_file(folder_of_forms, many_forms, monkeypatch, how):
    victims = {many_forms[5].path.name, many_forms[17].path.name}
    if how == "memory":
        import xlpkg.consolidate.outcome as R
        real = R.read_checked_file

        def out_of_memory(path, **kw):
            if Path(path).name in victims:
                raise MemoryError
            return real(path, **kw)
        monkeypatch.setattr(R, "read_checked_file", out_of_memory)
    else:   # the workers are forked: they run the patched function
        monkeypatch.setattr(pool, "read_one", _crash_on(victims, how))
    c = C.consolidate(folder_of_forms, jobs=2)
    assert c.project_count == len(many_forms) - 2
    assert sorted(Path(f).name for f in c.files_read) == sorted(g.path.name for g in many_forms)
    bad = c.issues[c.issues["文件"].map(lambda f: Path(f).name in victims)]
    assert len(bad) == 2 and set(bad["规则"]) == {"form.unreadable"}
    assert all(("内存" if how == "memory" else "进程异常退出") in m for m in bad["说明"])


_ORPHAN = textwrap.dedent("""
    import os, sys, time
    from xlpkg import consolidate as C
    from xlpkg.consolidate import pool
    def slow(path, rules, year=None):
        with open(sys.argv[2], "a") as fh:
            fh.write(f"{os.getpid()}\\n")
        time.sleep(600)
    pool.read_one = slow
    C.consolidate(sys.argv[1], jobs=2)
""")


def test_workers_leave_when_the_command_is_killed(folder_of_forms, tmp_path):
    pids = tmp_path / "pids"
    proc = subprocess.Popen([sys.executable, "-c", _ORPHAN, str(folder_of_forms), str(pids)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(_pids(pids)) < 2:
            time.sleep(0.2)
        workers = _pids(pids)
        assert len(workers) >= 2
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    assert not [p for p in workers if _alive(p)]


def _pids(path: Path) -> set[int]:
    return {int(x) for x in path.read_text().split()} if path.exists() else set()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_socket_and_device_are_skipped_with_an_issue(folder_of_forms, tmp_path, many_forms):
    os.mkfifo(folder_of_forms / "x.xlsx")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder_of_forms / "s.xlsx"))
    os.symlink("/dev/zero", folder_of_forms / "zero.xlsx")
    try:
        c = C.consolidate([folder_of_forms, folder_of_forms / "x.xlsx"], jobs=2)
        assert c.project_count == len(many_forms)
        messages = dict(zip(c.issues["文件"].map(lambda f: Path(f).name), c.issues["说明"]))
        for name in ("x.xlsx", "s.xlsx", "zero.xlsx"):   # listed, never opened
            assert "普通文件" in messages[name] or "设备" in messages[name], messages[name]
        assert not [f for f in c.files_read if Path(f).name in ("x.xlsx", "s.xlsx", "zero.xlsx")]
        issue, = read_checked_file(folder_of_forms / "x.xlsx").issues
        assert "命名管道" in issue.message
    finally:
        sock.close()


# --- the plain path's byte checks (no XML parser over a sheet Excel/WPS/LibreOffice wrote) ---



@pytest.mark.parametrize("edit", [
    pytest.param(lambda xml: xml.replace("<sheetData>", "<sheetData><?pi data?>", 1), id="processing-instruction"),
    pytest.param(lambda xml: xml.replace("<sheetData>", "<sheetData><![CDATA[ <c r=\"B3\"><v>9</v></c> ]]>", 1),
                 id="cdata"),
    pytest.param(lambda xml: xml.replace(' r="', '  r="', 3), id="unusual-spacing"),
    pytest.param(lambda xml: xml.replace(f'<c r="{L.NAMES["Budget"].ref}"', f'<c r="{L.NAMES["Budget"].ref[0]}0'
                                         f'{L.NAMES["Budget"].ref[1:]}"', 1), id="leading-zero-address"),
])
def test_unusual_but_valid_sheets_take_the_general_path(filled_copy, example_projects, edit):
    path = filled_copy("105002B22DX0009")
    _rewrite(path, _decl_part(path), edit)
    assert read_checked_file(path).project == example_projects["105002B22DX0009"]


def test_a_utf16_sheet_is_read_by_the_xml_parser(filled_copy, example_projects):
    def utf16(data: bytes) -> bytes:
        xml = data.decode("utf-8")
        xml = re.sub(r'encoding="[^"]*"', 'encoding="UTF-16"', xml, count=1) if xml.startswith("<?xml") \
            else '<?xml version="1.0" encoding="UTF-16"?>' + xml
        return xml.encode("utf-16")

    path = filled_copy("105002B22DX0009")
    _rewrite_bytes(path, _decl_part(path), utf16)
    assert read_checked_file(path).project == example_projects["105002B22DX0009"]


@pytest.mark.parametrize("edit", [
    pytest.param(lambda xml: re.sub(r"(<c r=\"[A-Z]+[0-9]+\"[^>]*>(?:<f>[^<]*</f>)?<v>[^<]*</v>)</c>", r"\1", xml,
                                    count=1), id="unclosed-cell"),
    pytest.param(lambda xml: re.sub(r"(<c r=\"B3\"[^>]*><is><t>)", r"\1&bogus;", xml, count=1),
                 id="unknown-entity"),
])
def test_malformed_sheets_are_reported_not_guessed(filled_copy, edit):
    path = filled_copy("105002B22DX0009")
    _rewrite(path, _decl_part(path), edit)
    result = read_checked_file(path)
    issue = next(i for i in result.issues if i.rule == "form.unreadable")
    assert result.project is None and "损坏" in issue.message and L.DECL in issue.message


def test_invalid_utf8_in_a_plain_sheet_is_reported(filled_copy):
    path = filled_copy("105002B22DX0009")
    _rewrite_bytes(path, _decl_part(path), lambda data: data.replace(
        b"</sheetData>", b'<row r="900"><c r="A900" t="inlineStr"><is><t>\xff\xfe</t></is></c></row></sheetData>', 1))
    with pytest.raises(SourceError) as err:
        NamedCellSource(path).range_values(L.DECL, "A900")
    assert "损坏" in str(err.value)


def test_plain_shared_strings_equal_the_parsed_ones():
    """Unprefixed rich runs, a phonetic run, an empty item, tags that begin like "</si":
    the regular-expression cut gives the items an XML parser gives."""
    from xlpkg.sources.named import _parse_shared_strings, _PlainStrings, _SI_RE

    data = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<si><t>甲</t></si><si/>'
            '<si><r><rPr><sz val="11"/><sig/></rPr><t xml:space="preserve">乙 </t></r><r><t>丙&amp;</t></r>'
            '<rPh sb="0" eb="1"><t>ヨミ</t></rPh></si>'
            '<si><t></t></si><si><t>丁\r\n戊</t></si></sst>').encode("utf-8")
    items = _SI_RE.findall(data)
    plain = _PlainStrings(items)
    parsed = _parse_shared_strings(data, None, "xl/sharedStrings.xml")
    assert [plain[i] for i in range(len(plain))] == list(parsed) == ["甲", "", "乙 丙&", "", "丁\n戊"]


def test_plain_and_general_paths_read_every_kind_of_cell_alike(filled_copy):
    """Blank cells (no type, t="n", a formula's empty t="str") are skipped by the plain path
    and read as None; a blank boolean is still False, as the XML parser's path reads it."""
    row = ('<row r="900"><c r="A900" s="1"/><c r="B900" t="n"><v>2.5</v></c>'
           '<c r="C900" t="str"><f>""</f><v></v></c><c r="D900" t="b"/><c r="E900" t="b"><v>1</v></c>'
           '<c r="F900" t="e"><v>#N/A</v></c><c r="G900" t="inlineStr"><is><t>甲&amp;乙</t></is></c>'
           '<c r="H900"><v/></c><c r="I900" t="n"></c><c r="J900" t="str"><v>丙</v></c>'
           '<c r="K900"><v>1E3</v></c></row>')
    read = {}
    for general in (False, True):
        path = filled_copy("105002B22DX0009")
        # A comment anywhere sends the sheet to the XML parser (``_plain``).
        tail = "</sheetData>" + ("<!-- 注释 -->" if general else "")
        _rewrite(path, _decl_part(path), lambda xml: xml.replace("</sheetData>", row + tail, 1))
        read[general] = NamedCellSource(path).range_values(L.DECL, "A900:K900")
    assert read[False] == read[True] == [[None, 2.5, None, False, True, "#N/A", "甲&乙", None, None,
                                           "丙", 1000]]


def test_a_part_read_in_chunks_gives_what_a_part_read_whole_gives(filled_copy, example_projects, monkeypatch):
    """Parts over ``_WHOLE_PART`` are inflated in chunks and cut at the first row past the
    wanted ones; a form's sheets are small, so the chunked path is forced here."""
    from xlpkg.sources import named as namedcells

    path = filled_copy("105002B22DX0009")
    whole = read_checked_file(path)
    monkeypatch.setattr(namedcells, "_WHOLE_PART", 0)
    monkeypatch.setattr(namedcells, "_CHUNK", 512)   # many chunks, rows split across them
    chunked = read_checked_file(path)
    assert chunked.project == whole.project == example_projects["105002B22DX0009"]
    assert chunked.issues == whole.issues
