"""Build the Excel add-in ``xlpkg.xlam`` from the text sources in ``macros/`` — without Excel.

The add-in is a classic xlwings custom add-in:

* a workbook (invisible in Excel, as every add-in) with xlwings' config sheet ``_xlpkg.conf`` (``UDF Modules`` =
  ``xlpkg.udfs`` ...). xlwings' VBA reads the sheet named ``PROJECT_NAME & ".conf"``, i.e.
  ``xlpkg.conf``: the leading underscore is xlwings' convention for a shipped but *inactive*
  sheet (rename it, or build with ``activate_config=True``, to make it count);
* a VBA project (``vbaProject.bin``, written by ms-ovba) with the modules of ``macros/*.bas``
  (ribbon callbacks, each one ``RunPython`` line into :mod:`xlpkg.buttons`) and xlwings' own
  single-module VBA (``xlwings_custom_addin.bas`` from the installed xlwings wheel), after
  the documented text transformations in :data:`XLWINGS_TRANSFORMS`;
* the ribbon ``customUI/customUI14.xml`` and the add-in content type, added by zip edits
  (XlsxWriter can write neither).

Nothing here imports xlwings except :func:`build_addin_via_excel` (Windows + Excel only).
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime
from pathlib import Path

from ..system.package_data import DataFileMissing, macros_dir
from .udf_wrappers import WrapperError, wrapper_module

__all__ = [
    "AddinError", "BUTTON_FUNCTIONS", "CONF_ROWS", "XLWINGS_TRANSFORMS", "build_addin",
    "build_addin_via_excel", "check_macros", "default_macros_dir", "install_addin",
    "load_modules", "read_bas", "xlwings_module_source",
]

ADDIN_NAME = "xlpkg.xlam"
PROJECT_NAME = "xlpkg"
CONF_SHEET = "_xlpkg.conf"          # as shipped: inactive (xlwings' underscore convention)
CONF_SHEET_ACTIVE = "xlpkg.conf"    # the name xlwings' VBA looks for
#: the ribbon's Python entry points: module xlpkg.buttons, called without arguments
BUTTON_FUNCTIONS = ("validate", "normalize_targets", "consolidate", "new_form", "review_workbook",
                    "apply_review")
BUTTONS_MODULE = "xlpkg.buttons"

CUSTOMUI_NS = "http://schemas.microsoft.com/office/2009/07/customui"
CUSTOMUI_PART = "customUI/customUI14.xml"
CUSTOMUI_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLAM_MAIN = "application/vnd.ms-excel.addin.macroEnabled.main+xml"

#: xlwings' config sheet rows (key, value), in the order of xlwings' quickstart add-in.
#: Empty interpreter = the Python found on PATH / the user's ~/.xlpkg/xlpkg.conf.
CONF_ROWS: tuple[tuple[str, object], ...] = (
    ("Interpreter_Win", ""),
    ("Interpreter_Mac", ""),
    ("PYTHONPATH", ""),
    ("Conda Path", ""),
    ("Conda Env", ""),
    ("UDF Modules", "xlpkg.udfs"),
    ("Debug UDFs", False),
    ("Use UDF Server", False),
    ("Show Console", False),
)

#: Text transformations applied to xlwings' ``xlwings_custom_addin.bas`` at build time.
#: Each ``old`` must occur exactly once (else the build fails: a new xlwings needs a look).
#:
#: 1. ``PROJECT_NAME`` "myaddin" -> "xlpkg": the config sheet becomes ``xlpkg.conf`` and the
#:    user config file ``%USERPROFILE%\\.xlpkg\\xlpkg.conf`` (xlwings' docs tell custom
#:    add-in authors to make this edit by hand).
#: 2. ``GetConfigFromSheet``'s Mac branch declares ``Dim d As Dictionary`` /
#:    ``New Dictionary``: a class module (``Dictionary.cls``) that xlwings' own add-ins carry
#:    and ms-ovba cannot write (standard and document modules only). On Windows that branch
#:    is excluded by conditional compilation, so it never compiles; the edit removes the
#:    branch so the project references no undefined type on any platform. Both platforms
#:    now use the late-bound ``CreateObject("Scripting.Dictionary")`` that Windows always
#:    used. Consequence: on a Mac, reading a config *sheet* fails at run time (no
#:    Scripting runtime there) — the add-in targets Windows Excel.
XLWINGS_TRANSFORMS: tuple[tuple[str, str, str], ...] = (
    (
        "PROJECT_NAME",
        'Public Const PROJECT_NAME As String = "myaddin"',
        f'Public Const PROJECT_NAME As String = "{PROJECT_NAME}"',
    ),
    (
        "Dictionary",
        "    #If Mac Then\r\n"
        "    Dim d As Dictionary\r\n"
        "    Set d = New Dictionary\r\n"
        "    #Else\r\n"
        "    Dim d As Object\r\n"
        "    Set d = CreateObject(\"Scripting.Dictionary\")\r\n"
        "    #End If\r\n",
        "    Dim d As Object\r\n"
        "    Set d = CreateObject(\"Scripting.Dictionary\")\r\n",
    ),
)

# ms-ovba's document-module GUIDs (Excel's Workbook and Worksheet classes)
_GUID_WORKBOOK = "0002081900000000C000000000000046"
_GUID_WORKSHEET = "0002082000000000C000000000000046"
_PROJECT_ID = "{6F7B1C52-3E0A-4B8D-9C21-58A1D0C3E7F4}"  # fixed: reproducible builds
_FIXED_DATE = datetime(2022, 1, 1)


class AddinError(RuntimeError):
    """The add-in cannot be built or installed (message in Chinese, for IT staff)."""


# ----------------------------------------------------------------------------- sources

def default_macros_dir() -> Path:
    """``macros/`` at the repository root, else the package's own copy (``xlpkg/data/macros``)."""
    try:
        return macros_dir()
    except DataFileMissing:
        return Path(__file__).resolve().parents[2] / "macros"


def read_bas(path: Path) -> tuple[str, str]:
    """(VB_Name, source with CRLF line endings) of a ``.bas`` file."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise AddinError(f"{path.name}: VBA 源代码只能使用 ASCII 字符（第 {exc.start} 字节）") from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    m = re.match(r'Attribute VB_Name = "([A-Za-z][A-Za-z0-9_]{0,30})"\r\n', text)
    if not m:
        raise AddinError(f'{path.name}: 第一行必须是 Attribute VB_Name = "模块名"')
    return m.group(1), text


def _xlwings_bas_path() -> Path:
    spec = importlib.util.find_spec("xlwings")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise AddinError("未安装 xlwings：pip install 'xlpkg[addin]'")
    for loc in spec.submodule_search_locations:
        path = Path(loc) / "xlwings_custom_addin.bas"
        if path.is_file():
            return path
    raise AddinError("在已安装的 xlwings 中找不到 xlwings_custom_addin.bas")


def xlwings_module_source() -> tuple[str, str, str]:
    """(VB_Name, shipped source, transformed source) of xlwings' VBA module."""
    path = _xlwings_bas_path()
    name, shipped = read_bas(path)
    text = shipped
    for label, old, new in XLWINGS_TRANSFORMS:
        count = text.count(old)
        if count != 1:
            raise AddinError(f"xlwings VBA 模块（{path}）与预期不符：替换“{label}”的原文出现 {count} 次"
                             "（应为 1 次）。xlwings 版本变化后请检查 XLWINGS_TRANSFORMS。")
        text = text.replace(old, new)
    return name, shipped, text


def load_modules(macros_dir: Path | None = None) -> dict[str, str]:
    """Every standard module of the add-in: {VB_Name: CRLF source}; xlwings' module last."""
    macros_dir = Path(macros_dir) if macros_dir else default_macros_dir()
    modules: dict[str, str] = {}
    for path in sorted(macros_dir.glob("*.bas")):
        name, text = read_bas(path)
        if name.lower() in (n.lower() for n in modules):
            raise AddinError(f"{path.name}: 模块名 {name} 重复")
        modules[name] = text
    xw_name, _, xw_text = xlwings_module_source()
    if xw_name.lower() in (n.lower() for n in modules):
        raise AddinError(f"macros/ 中的模块名 {xw_name} 与 xlwings 的 VBA 模块重名")
    modules[xw_name] = xw_text
    # The UDF wrappers "Import Functions" would write: in the add-in from the start, so no
    # accountant's Excel needs the VBA-project trust setting (see xlpkg.delivery.udf_wrappers).
    try:
        udf_name, udf_text = wrapper_module()
    except WrapperError as exc:
        raise AddinError(str(exc)) from None
    if udf_name.lower() in (n.lower() for n in modules):
        raise AddinError(f"macros/ 中的模块名 {udf_name} 与工作表函数的包装模块重名")
    modules[udf_name] = udf_text
    return modules


# ----------------------------------------------------------------------------- checks

_SUB_RE = re.compile(r"^\s*(?:Public\s+|Private\s+)?Sub\s+([A-Za-z][A-Za-z0-9_]*)\s*\(([^)]*)\)",
                     re.IGNORECASE | re.MULTILINE)
_RUNPYTHON_RE = re.compile(r'^\s*RunPython\s+"([^"]*)"\s*$', re.IGNORECASE | re.MULTILINE)
_CALL_RE = re.compile(r"import xlpkg\.buttons; xlpkg\.buttons\.([A-Za-z_][A-Za-z0-9_]*)\(\)")


def _sub_bodies(text: str) -> dict[str, tuple[str, list[str]]]:
    """{Sub name: (parameter list, body lines without blanks/comments)}."""
    subs: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in text.split("\r\n"):
        m = _SUB_RE.match(line)
        if m:
            current = m.group(1)
            subs[current] = (m.group(2).strip(), [])
        elif re.match(r"^\s*End\s+Sub\b", line, re.IGNORECASE):
            current = None
        elif current and line.strip() and not line.strip().startswith("'"):
            subs[current][1].append(line.strip())
    return subs


def _buttons_module():
    """xlpkg.buttons if it exists (None if not written yet); raises if it fails to import."""
    if importlib.util.find_spec(BUTTONS_MODULE) is None:
        return None
    return importlib.import_module(BUTTONS_MODULE)


def check_macros(macros_dir: Path | None = None, *, import_buttons: bool = True) -> list[str]:
    """Static cross-checks of ``macros/``: returns problems (empty list = all good).

    - every ``.bas``: ASCII, CRLF only, ``Attribute VB_Name`` first, unique module names;
    - ``customUI14.xml``: well-formed, 2009/07 namespace, unique ids; every button has a
      label, ``imageMso``, ``size="large"``, ``screentip``, ``supertip`` and an ``onAction``
      naming a ``Sub X(control As IRibbonControl)`` (``Module.Sub`` or ``Sub``) in the .bas;
    - every callback Sub is wired to a button and is one line ``RunPython "import
      xlpkg.buttons; xlpkg.buttons.NAME()"`` with NAME in :data:`BUTTON_FUNCTIONS` (and, once
      ``xlpkg/buttons.py`` exists and ``import_buttons``, a callable there); each button
      function is used once.
    """
    macros_dir = Path(macros_dir) if macros_dir else default_macros_dir()
    problems: list[str] = []
    if not macros_dir.is_dir():
        return [f"找不到宏目录：{macros_dir}"]

    subs: dict[tuple[str, str], tuple[str, list[str]]] = {}   # (module, sub) -> (params, body)
    seen_modules: set[str] = set()
    bas_files = sorted(macros_dir.glob("*.bas"))
    if not bas_files:
        problems.append(f"{macros_dir} 中没有 .bas 模块")
    for path in bas_files:
        raw = path.read_bytes()
        if raw.replace(b"\r\n", b"").count(b"\n") or raw.replace(b"\r\n", b"").count(b"\r"):
            problems.append(f"{path.name}: 换行符必须全部为 CRLF（VBA 导出格式）")
        try:
            name, text = read_bas(path)
        except AddinError as exc:
            problems.append(str(exc))
            continue
        if name.lower() in seen_modules:
            problems.append(f"{path.name}: 模块名 {name} 重复")
        seen_modules.add(name.lower())
        for sub, (params, body) in _sub_bodies(text).items():
            subs[(name, sub)] = (params, body)

    ui_path = macros_dir / "customUI14.xml"
    actions: list[tuple[str, str]] = []   # (button id, onAction)
    if not ui_path.is_file():
        problems.append("缺少 customUI14.xml")
    else:
        try:
            root = ET.parse(ui_path).getroot()
        except ET.ParseError as exc:
            problems.append(f"customUI14.xml 不是格式正确的 XML：{exc}")
            root = None
        if root is not None:
            if root.tag != f"{{{CUSTOMUI_NS}}}customUI":
                problems.append(f"customUI14.xml 根元素应为 {{{CUSTOMUI_NS}}}customUI，实为 {root.tag}")
            ids = [el.get("id") for el in root.iter() if el.get("id")]
            for dup in sorted({i for i in ids if ids.count(i) > 1}):
                problems.append(f"customUI14.xml: id {dup} 重复")
            tabs = root.findall(f".//{{{CUSTOMUI_NS}}}tab")
            if not tabs:
                problems.append("customUI14.xml: 没有选项卡 <tab>")
            for el in root.iter():
                action = el.get("onAction")
                if el.tag == f"{{{CUSTOMUI_NS}}}button":
                    for attr in ("id", "label", "imageMso", "screentip", "supertip", "onAction"):
                        if not el.get(attr):
                            problems.append(f"customUI14.xml: 按钮 {el.get('id')} 缺少 {attr}")
                    if el.get("size") != "large":
                        problems.append(f"customUI14.xml: 按钮 {el.get('id')} 应为 size=\"large\"")
                if action:
                    actions.append((el.get("id") or "?", action))

    wired: set[tuple[str, str]] = set()
    for button, action in actions:
        module, _, sub = action.rpartition(".")
        matches = [key for key in subs
                   if key[1].lower() == sub.lower() and (not module or key[0].lower() == module.lower())]
        if not matches:
            problems.append(f"customUI14.xml: 按钮 {button} 的 onAction=\"{action}\" 在 .bas 中没有对应的 Sub")
            continue
        key = matches[0]
        wired.add(key)
        params = subs[key][0]
        if not re.fullmatch(r"(ByRef\s+)?control\s+As\s+IRibbonControl", params, re.IGNORECASE):
            problems.append(f"{key[0]}.{key[1]}: 回调参数应为 (control As IRibbonControl)，实为 ({params})")

    buttons = None
    if import_buttons:
        try:
            buttons = _buttons_module()
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            problems.append(f"{BUTTONS_MODULE} 无法导入：{type(exc).__name__}: {exc}")
    used: dict[str, str] = {}
    for key, (params, body) in sorted(subs.items()):
        label = f"{key[0]}.{key[1]}"
        if key not in wired:
            problems.append(f"{label}: 没有按钮调用这个 Sub")
        if len(body) != 1 or not _RUNPYTHON_RE.match(body[0]):
            problems.append(f"{label}: 过程体应只有一行 RunPython \"...\"")
            continue
        command = _RUNPYTHON_RE.match(body[0]).group(1)
        m = _CALL_RE.fullmatch(command)
        if not m:
            problems.append(f"{label}: RunPython 应为 \"import xlpkg.buttons; xlpkg.buttons.函数名()\"，实为 \"{command}\"")
            continue
        func = m.group(1)
        if func not in BUTTON_FUNCTIONS:
            problems.append(f"{label}: xlpkg.buttons.{func} 不是按钮函数（应为 {', '.join(BUTTON_FUNCTIONS)} 之一）")
        elif buttons is not None and not callable(getattr(buttons, func, None)):
            problems.append(f"{label}: {BUTTONS_MODULE} 中没有可调用的 {func}")
        if func in used:
            problems.append(f"{label}: xlpkg.buttons.{func} 已由 {used[func]} 调用")
        used[func] = label
    for func in BUTTON_FUNCTIONS:
        if func not in used and subs:
            problems.append(f"没有按钮调用 xlpkg.buttons.{func}")
    return problems


# ----------------------------------------------------------------------------- build

# Run in a subprocess with cwd = a scratch directory: ms-ovba writes its intermediate files
# (dir.bin, project.bin, <module>.new/.bin ...) and vbaProject.bin into the working directory
# and next to each source, and appends to existing *.new files.
_OVBA_SCRIPT = r"""
import json, sys, uuid
from ms_ovba.vbaProject import VbaProject
from ms_ovba.Models.Entities.doc_module import DocModule
from ms_ovba.Models.Entities.std_module import StdModule
from ms_ovba.Views.project_ole_file import ProjectOleFile
from ms_ovba.Models.Entities.reference import Reference
from ms_ovba.Models.Entities.reference_registered import ReferenceRegistered
from ms_ovba.Models.Fields.libid_reference import LibidReference
from ms_ovba_compression.ms_ovba import MsOvba

# ms_ovba_compression 1.0.1 computes a copy token's maximum length as 0xFFFF << (bits + 3)
# instead of MS-OVBA 2.4.1.3.19.3's (0xFFFF >> bits) + 3: a match longer than a token can
# hold overflows into the offset bits and corrupts the module source (any module with a
# long repeated run, e.g. similar lines). Clamp it to the specified maximum.
_copytoken_help = MsOvba.copytoken_help
def _fixed_copytoken_help(difference):
    help = _copytoken_help(difference)
    help["maxLength"] = (0xFFFF >> help["bitCount"]) + 3
    return help
MsOvba.copytoken_help = staticmethod(_fixed_copytoken_help)

# Its matcher compares every earlier position of the chunk (pure Python, ~4 s for xlwings'
# 45 KB module). Same result class (a longest match, nearest first), found through an index
# of 3-byte prefixes; lengths capped at the token maximum.
def _indexed_matching(self):
    chunk = self._activeChunk
    pos = len(chunk) - len(self._uncompressedData)
    if getattr(self, "_xlpkg_chunk", None) is not chunk:
        self._xlpkg_chunk, self._xlpkg_index, self._xlpkg_upto = chunk, {}, 0
    index = self._xlpkg_index
    for p in range(self._xlpkg_upto, pos):
        index.setdefault(chunk[p:p + 3], []).append(p)
    self._xlpkg_upto = max(self._xlpkg_upto, pos)
    limit = min(MsOvba.copytoken_help(pos)["maxLength"], len(chunk) - pos)
    if limit < 3:
        return 0, 0
    best_len, best = 0, 0
    for cand in reversed(index.get(chunk[pos:pos + 3], ())):
        n = 3
        while n < limit and chunk[cand + n] == chunk[pos + n]:
            n += 1
        if n > best_len:
            best_len, best = n, cand
            if n == limit:
                break
    return (pos - best, best_len) if best_len >= 3 else (0, 0)
MsOvba._matching = _indexed_matching

spec = json.load(sys.stdin)
project = VbaProject()
project.project_id = spec["project_id"]
for name, path, guid in spec["documents"]:
    mod = DocModule(name)
    mod.add_file(path)
    mod.add_guid(uuid.UUID(guid))
    mod.normalize_file()
    project.add_module(mod)
for name, path in spec["modules"]:
    mod = StdModule(name)
    mod.add_file(path)
    mod.normalize_file()
    project.add_module(mod)
project.add_reference(Reference(ReferenceRegistered(LibidReference(
    uuid.UUID("0002043000000000C000000000000046"), "2.0", "0",
    "C:\\Windows\\System32\\stdole2.tlb", "OLE Automation")), "stdole"))
project.add_reference(Reference(ReferenceRegistered(LibidReference(
    uuid.UUID("2DF8D04C5BFA101BBDE500AA0044DE52"), "2.0", "0",
    "C:\\Program Files\\Common Files\\Microsoft Shared\\OFFICE16\\MSO.DLL",
    "Microsoft Office 16.0 Object Library")), "Office"))
ProjectOleFile.write_file(project)
"""


def _document_module_text(name: str) -> str:
    # The header ms-ovba's DocModule.normalize_file expects (it keeps line 5 onwards).
    return ("VERSION 1.0 CLASS\r\nBEGIN\r\n  MultiUse = -1  'True\r\nEND\r\n"
            f'Attribute VB_Name = "{name}"\r\n'
            "Attribute VB_GlobalNameSpace = False\r\nAttribute VB_Creatable = False\r\n"
            "Attribute VB_PredeclaredId = True\r\nAttribute VB_Exposed = True\r\n")


def _vba_project_bin(modules: dict[str, str], workdir: Path) -> Path:
    """Write vbaProject.bin with ThisWorkbook + Sheet1 document modules and ``modules``."""
    if importlib.util.find_spec("ms_ovba") is None:
        raise AddinError("未安装 ms-ovba：pip install 'xlpkg[addin]'")
    src = workdir / "src"
    src.mkdir()
    documents = []
    for name, guid in (("ThisWorkbook", _GUID_WORKBOOK), ("Sheet1", _GUID_WORKSHEET)):
        path = src / f"{name}.cls"
        path.write_bytes(_document_module_text(name).encode("ascii"))
        documents.append((name, str(path), guid))
    std = []
    for name, text in modules.items():
        path = src / f"{name}.bas"
        path.write_bytes(text.encode("ascii"))
        std.append((name, str(path)))
    spec = {"project_id": _PROJECT_ID, "documents": documents, "modules": std}
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONUTF8": "1"}
    proc = subprocess.run([sys.executable, "-c", _OVBA_SCRIPT], input=json.dumps(spec), text=True,
                          capture_output=True, cwd=workdir, env=env)
    out = workdir / "vbaProject.bin"
    if proc.returncode != 0 or not out.is_file():
        raise AddinError(f"ms-ovba 生成 vbaProject.bin 失败：{proc.stderr[-2000:]}")
    return out


def _write_xlsm(path: Path, vba_bin: Path, conf_sheet: str) -> None:
    import xlsxwriter
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"title": "xlpkg 预算绩效管理加载项", "author": "xlpkg",
                       "created": _FIXED_DATE, "comments": "由 xlpkg addin build 生成"})
    wb.set_vba_name("ThisWorkbook")
    ws = wb.add_worksheet(conf_sheet)
    ws.set_vba_name("Sheet1")
    text = wb.add_format({"num_format": "@"})
    ws.set_column(0, 0, 18, text)
    ws.set_column(1, 1, 40, text)
    for row, (key, value) in enumerate(CONF_ROWS):
        ws.write_string(row, 0, key)
        if isinstance(value, bool):
            ws.write_boolean(row, 1, value)
        elif value != "":
            ws.write_string(row, 1, str(value))
    wb.add_vba_project(str(vba_bin))
    wb.close()


def _partial_path(out: Path) -> Path:
    """A unique temporary name next to ``out`` (created later with the normal umask)."""
    return out.with_name(f".{out.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.xlam.tmp")


def _insert_before(xml: str, closing_tag: str, fragment: str) -> str:
    idx = xml.rfind(closing_tag)
    if idx < 0:
        raise AddinError(f"OOXML 部件缺少 {closing_tag}")
    return xml[:idx] + fragment + xml[idx:]


def _add_customui(src: Path, dst: Path, customui: bytes, *, to_addin: bool = True) -> None:
    """Zip edits: add the customUI14 part (its relationship in ``_rels/.rels`` and its
    content type) and, with ``to_addin``, turn the macro-enabled workbook part into an add-in."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        if CUSTOMUI_PART in zin.namelist():
            raise AddinError("工作簿中已有 customUI 部件")
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "[Content_Types].xml":
                xml = data.decode("utf-8")
                if to_addin:
                    if xml.count(XLSM_MAIN) != 1:
                        raise AddinError("[Content_Types].xml 中找不到启用宏的工作簿类型")
                    xml = xml.replace(XLSM_MAIN, XLAM_MAIN)
                elif XLAM_MAIN not in xml:
                    raise AddinError("Excel 保存的文件不是加载项（.xlam）")
                xml = _insert_before(xml, "</Types>",
                                     f'<Override PartName="/{CUSTOMUI_PART}" ContentType="application/xml"/>')
                data = xml.encode("utf-8")
            elif item.filename == "_rels/.rels":
                xml = data.decode("utf-8")
                rid = "rIdXlpkgCustomUI"
                if f'Id="{rid}"' in xml:
                    raise AddinError("_rels/.rels 中已有同名关系")
                xml = _insert_before(xml, "</Relationships>",
                                     f'<Relationship Id="{rid}" Type="{CUSTOMUI_REL}" Target="{CUSTOMUI_PART}"/>')
                data = xml.encode("utf-8")
            zout.writestr(item, data)
        info = zipfile.ZipInfo(CUSTOMUI_PART, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        zout.writestr(info, customui)


def build_addin(out: Path, *, macros_dir: Path | None = None,
                activate_config: bool = False) -> Path:
    """Assemble ``xlpkg.xlam`` at ``out`` (a file path, or a directory to put xlpkg.xlam in).

    ``activate_config=True`` names the config sheet ``xlpkg.conf`` (the name xlwings' VBA
    reads) instead of the shipped, inactive ``_xlpkg.conf``. Written to a temporary file in
    the target folder and renamed, so a failed build leaves no half-written add-in.
    """
    macros_dir = Path(macros_dir) if macros_dir else default_macros_dir()
    out = Path(out)
    if out.is_dir():
        out = out / ADDIN_NAME
    if out.suffix.lower() != ".xlam":
        raise AddinError(f"加载项文件名应以 .xlam 结尾：{out}")
    # static checks only: building must not depend on importing xlpkg.buttons (the test
    # suite checks that the button functions exist)
    problems = check_macros(macros_dir, import_buttons=False)
    if problems:
        raise AddinError("宏源文件检查未通过：\n" + "\n".join(f"- {p}" for p in problems))
    modules = load_modules(macros_dir)
    customui = (macros_dir / "customUI14.xml").read_bytes()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlpkg-addin-") as tmp:
        tmp = Path(tmp)
        vba_bin = _vba_project_bin(modules, tmp)
        xlsm = tmp / "xlpkg.xlsm"
        _write_xlsm(xlsm, vba_bin, CONF_SHEET_ACTIVE if activate_config else CONF_SHEET)
        partial = _partial_path(out)
        try:
            _add_customui(xlsm, partial, customui)
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    return out


# ----------------------------------------------------------------------------- install

def install_addin(path: Path, *, where: str = "xlstart") -> Path:
    """Copy the add-in where Excel (Windows) finds it; returns the installed path.

    ``where="xlstart"`` (default, like ``xlwings addin install``): ``%APPDATA%\\Microsoft\\
    Excel\\XLSTART`` — opened with every Excel start. ``where="addins"``: ``%APPDATA%\\
    Microsoft\\AddIns`` — then tick it under 文件 > 选项 > 加载项 > Excel 加载项.
    """
    path = Path(path)
    if not path.is_file():
        raise AddinError(f"找不到加载项文件：{path}")
    if sys.platform != "win32":
        raise AddinError(
            "只能在 Windows 上安装 Excel 加载项。请把 xlpkg.xlam 复制到 Windows 电脑，"
            "在那里运行 `xlpkg addin install`，或手动复制到 %APPDATA%\\Microsoft\\Excel\\XLSTART"
            "（随 Excel 启动）或 %APPDATA%\\Microsoft\\AddIns（再在 文件 > 选项 > 加载项 中勾选）。"
            "该电脑还需要安装 Python 和 xlpkg（pip install xlpkg[excel]）。")
    appdata = os.environ.get("APPDATA")
    if not appdata:
        raise AddinError("环境变量 APPDATA 未设置，无法确定 Excel 加载项目录")
    folders = {"xlstart": Path(appdata, "Microsoft", "Excel", "XLSTART"),
               "addins": Path(appdata, "Microsoft", "AddIns")}
    if where not in folders:
        raise AddinError(f"where 应为 {' 或 '.join(folders)}")
    dest_dir = folders[where]
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / path.name
    partial = dest_dir / f".{path.name}.tmp"
    try:
        shutil.copyfile(path, partial)
        os.replace(partial, dest)  # fails if Excel has the add-in open: close Excel first
    except PermissionError as exc:
        raise AddinError(f"无法写入 {dest}：请先关闭 Excel 再安装") from exc
    finally:
        partial.unlink(missing_ok=True)
    return dest


def build_addin_via_excel(out: Path, *, macros_dir: Path | None = None,
                          activate_config: bool = False) -> Path:
    """Build the add-in by driving Excel with xlwings (Windows, Excel installed, and
    "信任对 VBA 工程对象模型的访问" enabled in the Trust Center). Excel compiles and saves the
    VBA project itself; the ribbon part is then added by the same zip edit as
    :func:`build_addin`. Use this when an ms-ovba build is refused by a locked-down Office.
    """
    if sys.platform != "win32":
        raise AddinError("--via-excel 需要 Windows 上的 Microsoft Excel；"
                         "在其他系统上请使用默认方式（不经 Excel）构建。")
    import xlwings as xw  # only here: the core never imports xlwings

    macros_dir = Path(macros_dir) if macros_dir else default_macros_dir()
    out = Path(out)
    if out.is_dir():
        out = out / ADDIN_NAME
    # static checks only: building must not depend on importing xlpkg.buttons (the test
    # suite checks that the button functions exist)
    problems = check_macros(macros_dir, import_buttons=False)
    if problems:
        raise AddinError("宏源文件检查未通过：\n" + "\n".join(f"- {p}" for p in problems))
    modules = load_modules(macros_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlpkg-addin-") as tmp:
        tmp = Path(tmp)
        app = xw.App(visible=False, add_book=False)
        try:
            book = app.books.add()
            sheet = book.sheets[0]
            sheet.name = CONF_SHEET_ACTIVE if activate_config else CONF_SHEET
            sheet["A1"].value = [[k, v if v != "" else None] for k, v in CONF_ROWS]
            try:
                components = book.api.VBProject.VBComponents
            except Exception as exc:  # noqa: BLE001
                raise AddinError("Excel 拒绝访问 VBA 工程：请在 信任中心 > 宏设置 中勾选"
                                 "“信任对 VBA 工程对象模型的访问”") from exc
            for name, text in modules.items():
                bas = tmp / f"{name}.bas"
                bas.write_bytes(text.encode("ascii"))
                components.Import(str(bas))
            addin_tmp = tmp / "xlpkg_excel.xlam"
            book.api.SaveAs(str(addin_tmp), FileFormat=55)  # 55 = xlOpenXMLAddIn
            book.close()
        finally:
            app.quit()
        # Excel wrote an add-in already; re-use the zip step for the ribbon only.
        partial = _partial_path(out)
        try:
            _add_customui(addin_tmp, partial, (macros_dir / "customUI14.xml").read_bytes(),
                          to_addin=False)
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    return out

