"""``xlpkg extension build``: the LibreOffice extension xlpkg.oxt, built without LibreOffice's UI.

What goes in (``META-INF/manifest.xml`` lists the parts LibreOffice registers):

* ``xlpkg.rdb``: the IDL interface ``org.xlpkg.calc.XFunctions`` (one method per worksheet
  function, every argument ``any``, every result ``sequence<sequence<any>>``), compiled at
  build time with ``unoidl-write`` from the LibreOffice SDK (Debian: libreoffice-dev);
* ``xlpkg_component.py``: the Python UNO component (the Calc add-in and the menu commands);
* ``CalcAddIns.xcu``: the names typed in a cell (EXEC_RATE …), Chinese descriptions and
  argument names for the Function Wizard; ``Addons.xcu``: the 绩效管理 menu and toolbar;
  ``ProtocolHandler.xcu``: routes their ``org.xlpkg.command:`` URLs to the component;
* ``pythonpath/``: xlpkg itself (with its rules.json and schemas) and, unless ``--no-deps``,
  its dependencies unpacked from wheels built for LibreOffice's Python on the target platform
  (default: this machine's LibreOffice, i.e. Debian's python3 on Linux). ``description.xml``
  then names that platform so LibreOffice refuses the file elsewhere.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from .. import __version__
from ..frontends.functions import FUNCTIONS
from ..system.safeio import atomic_write
from ..delivery.wheels import WheelError, cache_dir, download, runtime_requirements
from ..delivery.wheels import linux_platforms
from ..system.package_data import rules_json
from .harness import clean_env, uno_python

__all__ = ["ExtensionError", "Target", "build_extension", "local_target", "COMMANDS",
           "EXTENSION_ID", "IMPLEMENTATION", "COMMAND_PROTOCOL"]

EXTENSION_ID = "org.xlpkg.calc"
IMPLEMENTATION = "org.xlpkg.calc.Functions"
COMMANDS_IMPLEMENTATION = "org.xlpkg.calc.Commands"
COMMAND_PROTOCOL = "org.xlpkg.command:"
INTERFACE = "org.xlpkg.calc.XFunctions"
MENU_TITLE = "绩效管理"
#: menu/toolbar entries: (command, label, xlpkg.buttons function)
COMMANDS = (("validate", "校验", "validate"), ("normalize", "规范指标值", "normalize_targets"),
            ("consolidate", "汇总", "consolidate"), ("new", "新建", "new_form"),
            ("review", "审核表", "review_workbook"), ("apply_review", "回填审核意见", "apply_review"))
# Vendored packages' own test suites: megabytes LibreOffice never imports.
_SKIP_PREFIXES = ("pandas/tests/", "numpy/tests/", "numpy/_core/tests/", "numpy/core/tests/")
_SDK_DIRS = ("/usr/lib/libreoffice/sdk/bin", "/opt/libreoffice/sdk/bin",
             "/usr/lib64/libreoffice/sdk/bin")
_TYPES_RDB = ("/usr/lib/libreoffice/program/types.rdb", "/opt/libreoffice/program/types.rdb",
              "/usr/lib64/libreoffice/program/types.rdb")


class ExtensionError(RuntimeError):
    """The extension cannot be built (message in Chinese, for IT staff)."""


@dataclass(frozen=True)
class Target:
    """Where the extension's dependencies must run: LibreOffice's Python and platform."""
    platforms: tuple[str, ...]     # pip --platform tags
    python_version: str            # "3.11"
    oxt_platform: str              # description.xml's platform value, e.g. linux_x86_64


def local_target(python: str | None = None) -> Target:
    """This machine's LibreOffice: Debian's python3 (``XLPKG_UNO_PYTHON``) on Linux."""
    python = python or uno_python()
    try:
        version = subprocess.run([python, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True, env=clean_env(), timeout=60).stdout.strip()
    except OSError:
        version = ""
    if not version:
        raise ExtensionError(f"找不到 LibreOffice 使用的 Python（{python}），无法确定依赖包版本："
                             "请安装 python3-uno，或用 --python-version 指定")
    return Target(tuple(linux_platforms()), version, "linux_x86_64")


def target_for(platform: str, python_version: str) -> Target:
    """A named platform: win_amd64 (LibreOffice for Windows bundles its own Python) or linux."""
    if platform == "win_amd64":
        return Target(("win_amd64",), python_version, "windows_x86_64")
    if platform in ("linux_x86_64", "manylinux"):
        return Target(tuple(linux_platforms()), python_version, "linux_x86_64")
    raise ExtensionError(f"不支持的平台：{platform}（可选 win_amd64、linux_x86_64）")


# ----------------------------------------------------------------------------- parts

def idl_name(name: str) -> str:
    """A Python argument name as UNOIDL allows it (no "_" before lower case): plan_range →
    planRange. CalcAddIns.xcu must use the same names."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def idl_source() -> str:
    """The IDL of the add-in interface: one method per worksheet function."""
    methods = []
    for f in FUNCTIONS:
        params = ", ".join(f"[in] any {idl_name(a.name)}" for a in f.args)
        methods.append(f"        sequence< sequence< any > > {f.sheet_name}({params});")
    return ("#include <com/sun/star/uno/XInterface.idl>\n"
            "module org { module xlpkg { module calc {\n"
            "    interface XFunctions : com::sun::star::uno::XInterface {\n"
            + "\n".join(methods) + "\n    };\n}; }; };\n")


def _find(candidates, name: str) -> Path | None:
    env = os.environ.get("XLPKG_" + name.upper().replace("-", "_").replace(".", "_"))
    if env and Path(env).exists():
        return Path(env)
    found = shutil.which(name)
    if found:
        return Path(found)
    for c in candidates:
        p = Path(c) if c.endswith(name) else Path(c) / name
        if p.exists():
            return p
    return None


def compile_idl(out: Path) -> Path:
    """``unoidl-write types.rdb XFunctions.idl out.rdb`` (LibreOffice SDK)."""
    tool = _find(_SDK_DIRS, "unoidl-write")
    types = _find(_TYPES_RDB, "types.rdb")
    if tool is None or types is None:
        raise ExtensionError("找不到 LibreOffice SDK 的 unoidl-write 或 types.rdb：请安装 libreoffice-dev"
                             "（或设置 XLPKG_UNOIDL_WRITE、XLPKG_TYPES_RDB）")
    with tempfile.TemporaryDirectory(prefix="xlpkg-idl-") as tmp:
        idl = Path(tmp) / "XFunctions.idl"
        idl.write_text(idl_source(), "utf-8")
        proc = subprocess.run([str(tool), str(types), str(idl), str(out)], capture_output=True, text=True)
    if proc.returncode != 0 or not out.is_file():
        raise ExtensionError(f"unoidl-write 编译 IDL 失败：{proc.stderr.strip() or proc.stdout.strip()}")
    return out


def _value(text: str, langs=("en-US", "zh-CN")) -> str:
    # Chinese for every UI language: the people who use these functions read Chinese.
    return "".join(f'<value xml:lang="{lang}">{escape(text)}</value>' for lang in langs)


_XCU_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<oor:component-data '
             'xmlns:oor="http://openoffice.org/2001/registry" '
             'xmlns:xs="http://www.w3.org/2001/XMLSchema" oor:name="{name}" '
             'oor:package="org.openoffice.Office">\n')


def calc_addins_xcu() -> str:
    out = [_XCU_HEAD.format(name="CalcAddIns"), '<node oor:name="AddInInfo">\n',
           f'<node oor:name="{IMPLEMENTATION}" oor:op="replace">\n<node oor:name="AddInFunctions">\n']
    for f in FUNCTIONS:
        out.append(f'<node oor:name="{f.sheet_name}" oor:op="replace">\n'
                   f'<prop oor:name="DisplayName">{_value(f.sheet_name)}</prop>\n'
                   f'<prop oor:name="Description">{_value(f.description)}</prop>\n'
                   '<prop oor:name="Category"><value>Add-In</value></prop>\n'
                   # the name Excel uses: a formula saved as .xlsx calls the xlam's UDF
                   f'<prop oor:name="CompatibilityName">{_value(f.sheet_name, ("en-US",))}</prop>\n'
                   '<node oor:name="Parameters">\n')
        for a in f.args:
            out.append(f'<node oor:name="{idl_name(a.name)}" oor:op="replace">'
                       f'<prop oor:name="DisplayName">{_value(a.label)}</prop>'
                       f'<prop oor:name="Description">{_value(a.doc)}</prop></node>\n')
        out.append('</node>\n</node>\n')
    out.append('</node>\n</node>\n</node>\n</oor:component-data>\n')
    return "".join(out)


def _prop(name: str, text: str, typed: bool = True) -> str:
    kind = ' oor:type="xs:string"' if typed else ""
    return f'<prop oor:name="{name}"{kind}><value>{escape(text)}</value></prop>'


def _entry(node: str, command: str, label: str) -> str:
    return (f'<node oor:name="{node}" oor:op="replace">'
            + _prop("URL", COMMAND_PROTOCOL + command)
            + f'<prop oor:name="Title" oor:type="xs:string">{_value(label)}</prop>'
            + _prop("Target", "_self") + _prop("Context", "com.sun.star.sheet.SpreadsheetDocument")
            + '</node>\n')


def addons_xcu() -> str:
    """The 绩效管理 menu (after Tools) and toolbar, in Calc only."""
    entries_menu = "".join(_entry(f"org.xlpkg.menu.{i:02d}", c, label)
                           for i, (c, label, _) in enumerate(COMMANDS))
    entries_bar = "".join(_entry(f"org.xlpkg.toolbar.{i:02d}", c, label)
                          for i, (c, label, _) in enumerate(COMMANDS))
    return (_XCU_HEAD.format(name="Addons") + '<node oor:name="AddonUI">\n'
            '<node oor:name="OfficeMenuBar">\n<node oor:name="org.xlpkg.menu" oor:op="replace">\n'
            f'<prop oor:name="Title" oor:type="xs:string">{_value(MENU_TITLE)}</prop>\n'
            + _prop("Context", "com.sun.star.sheet.SpreadsheetDocument") + '\n'
            '<node oor:name="Submenu">\n' + entries_menu + '</node>\n</node>\n</node>\n'
            '<node oor:name="OfficeToolBar">\n<node oor:name="org.xlpkg.toolbar" oor:op="replace">\n'
            + entries_bar + '</node>\n</node>\n'
            '<node oor:name="OfficeToolbarMerging"/>\n'
            '</node>\n</oor:component-data>\n')


def protocol_handler_xcu() -> str:
    return (_XCU_HEAD.format(name="ProtocolHandler") + '<node oor:name="HandlerSet">\n'
            f'<node oor:name="{COMMANDS_IMPLEMENTATION}" oor:op="replace">'
            f'<prop oor:name="Protocols" oor:type="oor:string-list"><value>{COMMAND_PROTOCOL}*</value></prop>'
            '</node>\n</node>\n</oor:component-data>\n')


def jobs_xcu() -> str:
    """Warm-up at start-up (see ``Warmup`` in the component)."""
    return (_XCU_HEAD.format(name="Jobs") + '<node oor:name="Jobs">\n'
            '<node oor:name="org.xlpkg.calc.Warmup" oor:op="replace">'
            + _prop("Service", "org.xlpkg.calc.Warmup", typed=False) + '</node>\n</node>\n'
            '<node oor:name="Events">\n<node oor:name="OnStartApp" oor:op="fuse">'
            '<node oor:name="JobList"><node oor:name="org.xlpkg.calc.Warmup" oor:op="replace"/></node>'
            '</node>\n</node>\n</oor:component-data>\n')


def description_xml(oxt_platform: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<description xmlns="http://openoffice.org/extensions/description/2006" '
            'xmlns:xlink="http://www.w3.org/1999/xlink" '
            'xmlns:d="http://openoffice.org/extensions/description/2006">\n'
            f'  <identifier value="{EXTENSION_ID}"/>\n  <version value={quoteattr(__version__)}/>\n'
            f'  <platform value="{oxt_platform}"/>\n'
            '  <dependencies><d:OpenOffice.org-minimal-version value="4.0" d:name="OpenOffice.org 4.0"/>'
            '</dependencies>\n'
            '  <display-name><name lang="zh-CN">预算绩效管理（xlpkg）</name>'
            '<name lang="en-US">xlpkg budget-performance tools</name></display-name>\n'
            '</description>\n')


def manifest_xml() -> str:
    entries = [("xlpkg.rdb", "application/vnd.sun.star.uno-typelibrary;type=RDB"),
               ("xlpkg_component.py", "application/vnd.sun.star.uno-component;type=Python"),
               ("CalcAddIns.xcu", "application/vnd.sun.star.configuration-data"),
               ("ProtocolHandler.xcu", "application/vnd.sun.star.configuration-data"),
               ("Addons.xcu", "application/vnd.sun.star.configuration-data"),
               ("Jobs.xcu", "application/vnd.sun.star.configuration-data")]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<manifest:manifest xmlns:manifest="http://openoffice.org/2001/manifest">\n'
            + "".join(f' <manifest:file-entry manifest:full-path="{p}" manifest:media-type="{t}"/>\n'
                      for p, t in entries)
            + '</manifest:manifest>\n')


def component_source() -> str:
    template = Path(__file__).with_name("oxt").joinpath("xlpkg_component.py").read_text("utf-8")
    table = repr([(f.sheet_name, f.description, [(a.label, a.doc) for a in f.args]) for f in FUNCTIONS])
    return template.replace("__FUNCTIONS__", table)


# ----------------------------------------------------------------------------- pythonpath

def _package_files() -> list[tuple[str, Path]]:
    """(path inside pythonpath/, file) for xlpkg itself, its rules.json included."""
    root = Path(__file__).resolve().parents[1]
    files = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root.parent).as_posix()
        if path.is_file() and "__pycache__" not in rel and path.suffix not in (".pyc", ".pyo"):
            files.append((rel, path))
    if not any(rel == "xlpkg/data/rules.json" for rel, _ in files):
        files.append(("xlpkg/data/rules.json", rules_json()))
    return files


def _add_wheel(z: zipfile.ZipFile, wheel: Path) -> None:
    """A wheel's importable files under pythonpath/ (``*.data/purelib|platlib`` flattened)."""
    with zipfile.ZipFile(wheel) as w:
        for info in w.infolist():
            name = info.filename
            if info.is_dir() or name.startswith(_SKIP_PREFIXES):
                continue
            parts = name.split("/")
            if parts[0].endswith(".data"):
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue
                name = "/".join(parts[2:])
            out = zipfile.ZipInfo("pythonpath/" + name, date_time=info.date_time)
            out.external_attr = info.external_attr
            out.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(out, w.read(info))


def build_extension(output: str | Path, *, target: Target | None = None, deps: bool = True) -> Path:
    """Write the .oxt to ``output`` (atomically). ``deps=False`` leaves the dependencies to
    LibreOffice's Python (the administrator installs them, see the guide)."""
    output = Path(output)
    wheels: list[Path] = []
    if deps:
        target = target or local_target()
        try:
            wheels = download(runtime_requirements(), cache_dir() / f"{target.oxt_platform}-{target.python_version}",
                              platforms=list(target.platforms), python_version=target.python_version)
        except WheelError as exc:
            raise ExtensionError(str(exc)) from exc
    oxt_platform = target.oxt_platform if deps and target else "all"

    def write(tmp: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="xlpkg-oxt-") as work:
            rdb = compile_idl(Path(work) / "xlpkg.rdb")
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("META-INF/manifest.xml", manifest_xml())
                z.writestr("description.xml", description_xml(oxt_platform))
                z.write(rdb, "xlpkg.rdb")
                z.writestr("xlpkg_component.py", component_source())
                z.writestr("CalcAddIns.xcu", calc_addins_xcu())
                z.writestr("Addons.xcu", addons_xcu())
                z.writestr("ProtocolHandler.xcu", protocol_handler_xcu())
                z.writestr("Jobs.xcu", jobs_xcu())
                for rel, path in _package_files():
                    z.write(path, "pythonpath/" + rel)
                for wheel in wheels:
                    _add_wheel(z, wheel)

    output.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(output, write)
