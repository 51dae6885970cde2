"""The Excel add-in: ribbon XML, VBA callbacks, and the xlpkg.xlam built without Excel.

Static cross-checks need nothing; build checks read the add-in back with an independent
reader (oletools' olevba) and with LibreOffice (through xlpkg.libreoffice.harness).
"""
from __future__ import annotations

import difflib
import importlib.util
import re
import shutil
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from tests.conftest import require_libreoffice
from xlpkg.delivery import addin
from xlpkg.libreoffice import harness as lo

ROOT = Path(__file__).resolve().parents[2]
MACROS = ROOT / "macros"
NS = "http://schemas.microsoft.com/office/2009/07/customui"
BUTTON_FUNCTIONS = {"validate", "normalize_targets", "consolidate", "new_form", "review_workbook",
                    "apply_review"}
# the ribbon's buttons: label -> the xlpkg.buttons function it must run
EXPECTED_BUTTONS = {"校验": "validate", "规范指标值": "normalize_targets",
                    "汇总": "consolidate", "新建": "new_form",
                    "审核表": "review_workbook", "回填审核意见": "apply_review"}   # issue 25
SUB_RE = re.compile(r"^Sub (\w+)\((.*)\)\r?$", re.MULTILINE)
RUNPYTHON_RE = re.compile(r'^    RunPython "import xlpkg\.buttons; xlpkg\.buttons\.(\w+)\(\)"\r?$')


def _bas_modules() -> dict[str, str]:
    """{VB_Name: file text} of macros/*.bas, parsed here independently of xlpkg.delivery.addin."""
    out = {}
    for path in sorted(MACROS.glob("*.bas")):
        text = path.read_bytes().decode("ascii")
        m = re.match(r'Attribute VB_Name = "(\w+)"\r\n', text)
        assert m, f"{path.name}: first line must be Attribute VB_Name"
        out[m.group(1)] = text
    return out


def _subs() -> dict[str, tuple[str, list[str]]]:
    """{"Module.Sub": (parameters, body lines)}."""
    subs = {}
    for module, text in _bas_modules().items():
        lines = text.split("\r\n")
        for i, line in enumerate(lines):
            m = SUB_RE.match(line)
            if m:
                end = lines.index("End Sub", i)
                subs[f"{module}.{m.group(1)}"] = (m.group(2), lines[i + 1:end])
    return subs


def _buttons() -> list[ET.Element]:
    root = ET.parse(MACROS / "customUI14.xml").getroot()
    return root.findall(f".//{{{NS}}}button")


# ----------------------------------------------------------------------------- static checks

def test_ribbon_xml_is_well_formed_with_2009_namespace():
    root = ET.parse(MACROS / "customUI14.xml").getroot()  # raises if not well-formed
    assert root.tag == f"{{{NS}}}customUI"
    (tab,) = root.findall(f"./{{{NS}}}ribbon/{{{NS}}}tabs/{{{NS}}}tab")
    assert tab.get("id") == "xlpkgTab" and tab.get("label") == "绩效管理"
    (group,) = tab.findall(f"{{{NS}}}group")
    buttons = group.findall(f"{{{NS}}}button")
    assert [b.get("label") for b in buttons] == list(EXPECTED_BUTTONS)
    for b in buttons:
        assert b.get("size") == "large"
        assert re.fullmatch(r"[A-Za-z]+", b.get("imageMso") or "")
        for attr in ("screentip", "supertip"):
            assert re.search(r"[\u4e00-\u9fff]", b.get(attr) or ""), f"{b.get('id')} {attr} not Chinese"
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids))


def test_every_onaction_names_a_ribbon_callback_sub():
    subs = _subs()
    actions = [b.get("onAction") for b in _buttons()]
    assert len(actions) == len(EXPECTED_BUTTONS)
    for action in actions:
        assert action in subs, f"onAction {action} has no Sub Module.Name in macros/*.bas"
        assert subs[action][0] == "control As IRibbonControl"
    assert sorted(actions) == sorted(subs), "every Sub is wired to exactly one button"


def test_every_runpython_calls_a_button_function():
    subs = _subs()
    by_label = {b.get("label"): b.get("onAction") for b in _buttons()}
    called = {}
    for name, (_, body) in subs.items():
        code = [line for line in body if line.strip() and not line.strip().startswith("'")]
        assert len(code) == 1, f"{name}: one RunPython line"
        m = RUNPYTHON_RE.match(code[0])
        assert m, f"{name}: {code[0]!r}"
        assert m.group(1) in BUTTON_FUNCTIONS
        called[name] = m.group(1)
    assert {label: called[action] for label, action in by_label.items()} == EXPECTED_BUTTONS
    if (ROOT / "xlpkg" / "buttons.py").exists():
        import xlpkg.buttons as buttons
        for func in called.values():
            assert callable(getattr(buttons, func, None)), f"xlpkg.buttons.{func} missing"


def test_bas_files_are_ascii_with_crlf_line_endings():
    for path in MACROS.glob("*.bas"):
        raw = path.read_bytes()
        raw.decode("ascii")  # the VBA project stores source in a single-byte code page
        assert raw.endswith(b"\r\n")
        assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")


def test_check_macros_is_clean():
    assert addin.check_macros(MACROS) == []


def test_check_macros_finds_problems(tmp_path):
    bad = tmp_path / "macros"
    shutil.copytree(MACROS, bad)
    bas = bad / "xlpkg.bas"
    text = bas.read_bytes().decode("ascii")
    text = text.replace("xlpkg.buttons.consolidate()", "xlpkg.buttons.delete_everything()")
    text = text.replace("Sub XlpkgNewForm(control As IRibbonControl)", "Sub XlpkgNewForm()")
    bas.write_bytes(text.replace("\r\n", "\n", 3).encode("ascii"))
    ui = bad / "customUI14.xml"
    ui.write_text(ui.read_text(encoding="utf-8").replace("xlpkg.XlpkgValidate", "xlpkg.Missing"),
                  encoding="utf-8")
    problems = "\n".join(addin.check_macros(bad, import_buttons=False))
    assert "CRLF" in problems
    assert "delete_everything" in problems
    assert "xlpkg.Missing" in problems
    assert "XlpkgNewForm: 回调参数" in problems
    assert "没有按钮调用 xlpkg.buttons.consolidate" in problems
    (bad / "customUI14.xml").write_text("<customUI", encoding="utf-8")
    assert any("XML" in p for p in addin.check_macros(bad, import_buttons=False))
    with pytest.raises(addin.AddinError, match="检查未通过"):
        addin.build_addin(tmp_path / "x.xlam", macros_dir=bad)
    assert not list(tmp_path.glob("*.xlam*"))


def test_xlwings_module_transformations_are_exactly_the_documented_ones():
    name, shipped, transformed = addin.xlwings_module_source()
    assert name == "xlwings"
    diff = [line for line in difflib.ndiff(shipped.split("\r\n"), transformed.split("\r\n"))
            if line[:1] in "+-"]
    assert diff == [
        '- Public Const PROJECT_NAME As String = "myaddin"',
        '+ Public Const PROJECT_NAME As String = "xlpkg"',
        "-     #If Mac Then",
        "-     Dim d As Dictionary",
        "-     Set d = New Dictionary",
        "-     #Else",
        "-     #End If",
    ]
    # no class module of xlwings' own add-in is referenced any more
    for cls in ("Dictionary", "WebClient", "WebRequest", "WebResponse", "IWebAuthenticator"):
        assert not re.search(rf"\b(As|New)\s+{cls}\b", transformed)


# ----------------------------------------------------------------------------- build

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("addin")
    t0 = time.perf_counter()
    path = addin.build_addin(out_dir)
    seconds = time.perf_counter() - t0
    print(f"\nbuild_addin: {seconds:.2f} s, {path.stat().st_size} bytes")
    return path


def test_build_writes_one_file_atomically(built):
    assert built.name == "xlpkg.xlam"
    assert sorted(p.name for p in built.parent.iterdir()) == ["xlpkg.xlam"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # olevba's pyparsing usage
def test_olevba_reads_every_module_back_unchanged(built):
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(built))
    try:
        assert parser.detect_vba_macros()
        found = {vba_filename: code for _, _, vba_filename, code in parser.extract_all_macros()}
    finally:
        parser.close()
    assert set(found) == {"ThisWorkbook.cls", "Sheet1.cls", "xlpkg.bas", "xlwings.bas",
                          "xlwings_udfs.bas"}
    # our module: byte for byte the file in macros/ (Attribute line and CRLF included)
    assert found["xlpkg.bas"] == (MACROS / "xlpkg.bas").read_bytes().decode("ascii")
    # xlwings' module: the shipped file after the documented transformations, byte for byte
    assert found["xlwings.bas"] == addin.xlwings_module_source()[2]
    # document modules: only attributes (ms-ovba adds VB_Base with Excel's class GUIDs)
    assert found["ThisWorkbook.cls"].startswith('Attribute VB_Name = "ThisWorkbook"\r\n'
                                                'Attribute VB_Base = "0{00020819-')
    assert found["Sheet1.cls"].startswith('Attribute VB_Name = "Sheet1"\r\n'
                                          'Attribute VB_Base = "0{00020820-')


def test_the_udf_wrappers_are_in_the_add_in_one_per_function_as_xlwings_writes_them(built):
    """No "Trust access to the VBA project object model", no Import Functions: the module
    xlwings' generator writes is already in the add-in. Its argument lists are checked against
    the UDFs' own signatures (what xlwings' generator reads), Optional where Python has a
    default."""
    import inspect
    import re

    from oletools.olevba import VBA_Parser

    from xlpkg import udfs
    from xlpkg.frontends.functions import FUNCTIONS

    parser = VBA_Parser(str(built))
    try:
        found = {name: code for _, _, name, code in parser.extract_all_macros()}
    finally:
        parser.close()
    module = found["xlwings_udfs.bas"]
    assert module.startswith('Attribute VB_Name = "xlwings_udfs"\r\n')
    headers = re.findall(r"^Function (\w+)\(([^)]*)\)\r$", module, re.MULTILINE)
    assert sorted(name for name, _ in headers) == sorted(f.name for f in FUNCTIONS)
    for name, arglist in headers:
        params = inspect.signature(getattr(udfs, name)).parameters.values()
        expected = ", ".join(("Optional " if p.default is not inspect.Parameter.empty else "") + p.name
                             for p in params)
        assert arglist == expected, name
        assert f'{name} = XLPy.CallUDF("xlpkg.udfs", "{name}", Array({", ".join(p.name for p in params)}), ActiveWorkbook, Application.Caller)' in module
    assert module == addin.load_modules()["xlwings_udfs"]


def test_zip_has_ribbon_part_relationship_and_addin_content_type(built):
    with zipfile.ZipFile(built) as z:
        assert z.testzip() is None
        assert z.read("customUI/customUI14.xml") == (MACROS / "customUI14.xml").read_bytes()
        rels = ET.fromstring(z.read("_rels/.rels"))
        ui_rels = [r for r in rels if r.get("Type") ==
                   "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"]
        assert [r.get("Target") for r in ui_rels] == ["customUI/customUI14.xml"]
        assert len({r.get("Id") for r in rels}) == len(rels)
        types = ET.fromstring(z.read("[Content_Types].xml"))
        overrides = {o.get("PartName"): o.get("ContentType") for o in types
                     if o.tag.endswith("Override")}
        assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
        assert overrides["/customUI/customUI14.xml"] == "application/xml"
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" not in overrides.values()
        assert "xl/vbaProject.bin" in z.namelist()
        assert b"vbaProject.bin" in z.read("xl/_rels/workbook.xml.rels")


def _conf_sheet_rows(path: Path) -> tuple[list[str], dict[str, object]]:
    """(sheet names, {key: value}) read straight from the package parts."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(path) as z:
        sheets = [s.get("name") for s in ET.fromstring(z.read("xl/workbook.xml")).iter(
            f"{{{ns['m']}}}sheet")]
        strings = ["".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t"))
                   for si in ET.fromstring(z.read("xl/sharedStrings.xml"))]
        cells = {}
        for c in ET.fromstring(z.read("xl/worksheets/sheet1.xml")).iter(f"{{{ns['m']}}}c"):
            v = c.find("m:v", ns)
            if v is None:
                continue
            cells[c.get("r")] = (strings[int(v.text)] if c.get("t") == "s"
                                 else bool(int(v.text)) if c.get("t") == "b" else v.text)
    rows = {}
    row = 1
    while f"A{row}" in cells:
        rows[cells[f"A{row}"]] = cells.get(f"B{row}", "")
        row += 1
    return sheets, rows


def test_conf_sheet(built):
    sheets, rows = _conf_sheet_rows(built)
    assert sheets == ["_xlpkg.conf"]
    assert rows["UDF Modules"] == "xlpkg.udfs"
    assert rows["Interpreter_Win"] == "" and rows["Interpreter_Mac"] == ""
    assert list(rows) == [k for k, _ in addin.CONF_ROWS]  # contiguous from A1: xlDown reads all
    assert rows["Use UDF Server"] is False and rows["Show Console"] is False


def test_libreoffice_lists_the_modules_with_their_source(built):
    require_libreoffice()
    t0 = time.perf_counter()
    basic = lo.inspect_basic(built)
    print(f"\ninspect_basic: {time.perf_counter() - t0:.2f} s")
    assert set(basic) == {"ThisWorkbook", "Sheet1", "xlpkg", "xlwings", "xlwings_udfs"}
    # LibreOffice's VBA import: drops the leading "Attribute VB_..." lines, prepends its own
    # two lines, converts CRLF to LF and appends one "\n". Everything else is identical.
    for name, source in addin.load_modules(MACROS).items():
        body = re.sub(r"\A(Attribute VB_[^\r\n]*\r\n)+", "", source).replace("\r\n", "\n")
        assert basic[name] == ("Rem Attribute VBA_ModuleType=VBAModule\nOption VBASupport 1\n"
                               + body + "\n"), name
    for doc in ("ThisWorkbook", "Sheet1"):
        assert basic[doc] == "Rem Attribute VBA_ModuleType=VBADocumentModule\nOption VBASupport 1\n\n"
    # and it reads the config sheet like any sheet
    r = lo.inspect(built, ["'_xlpkg.conf'!A6", "'_xlpkg.conf'!B6"], recalc=False)
    assert r["values"] == {"'_xlpkg.conf'!A6": "UDF Modules", "'_xlpkg.conf'!B6": "xlpkg.udfs"}


def test_activate_config_names_the_sheet_xlwings_reads(tmp_path):
    path = addin.build_addin(tmp_path / "active.xlam", activate_config=True)
    sheets, rows = _conf_sheet_rows(path)
    assert sheets == ["xlpkg.conf"]  # = PROJECT_NAME & ".conf" in the transformed xlwings VBA
    assert rows["UDF Modules"] == "xlpkg.udfs"
    assert 'PROJECT_NAME As String = "xlpkg"' in addin.xlwings_module_source()[2]


@pytest.mark.skipif(sys.platform == "win32", reason="the non-Windows messages")
def test_install_and_excel_build_explain_themselves_off_windows(built, tmp_path):
    with pytest.raises(addin.AddinError, match="Windows"):
        addin.install_addin(built)
    with pytest.raises(addin.AddinError, match="Windows"):
        addin.build_addin_via_excel(tmp_path / "x.xlam")
    with pytest.raises(addin.AddinError, match="找不到"):
        addin.install_addin(tmp_path / "missing.xlam")


def test_build_needs_no_xlwings_import():
    # the builder locates xlwings' VBA file without importing xlwings (core stays xlwings-free)
    assert importlib.util.find_spec("xlwings") is not None
    code = ("import sys, xlpkg.delivery.addin as a; a.load_modules(); "
            "print('xlwings' in sys.modules)")
    import subprocess
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_vba_compression_round_trips_repetitive_and_multi_chunk_source(tmp_path):
    # ms_ovba_compression 1.0.1 corrupts matches longer than a copy token can hold; the build
    # clamps them (and indexes matches). Long runs, repeated lines and several 4096-byte
    # chunks exercise both: olevba's independent decompressor must return the exact text.
    from oletools.olevba import VBA_Parser

    macros = tmp_path / "macros"
    shutil.copytree(MACROS, macros)
    lines = ['Attribute VB_Name = "Stress"', "'" + " " * 200, "'" + "a" * 300]
    lines += [f"' line {i % 7} " + "xlpkg.buttons " * (i % 13) for i in range(600)]
    stress = "\r\n".join(lines) + "\r\n"
    (macros / "Stress.bas").write_bytes(stress.encode("ascii"))
    path = addin.build_addin(tmp_path / "stress.xlam", macros_dir=macros)
    parser = VBA_Parser(str(path))
    try:
        found = {name: code for _, _, name, code in parser.extract_all_macros()}
    finally:
        parser.close()
    assert len(stress) > 3 * 4096
    assert found["Stress.bas"] == stress
    assert found["xlwings.bas"] == addin.xlwings_module_source()[2]
