"""The VBA wrappers of the worksheet functions, written at build time into the add-in.

xlwings' "Import Functions" button writes an ``xlwings_udfs`` VBA module into the workbook
through the VBA object model, which needs the "Trust access to the VBA project object model"
setting. ``xlpkg addin build`` writes the same module into the add-in's VBA project instead,
so an accountant's Excel needs neither the setting nor the click.

The text comes from xlwings' own generator, ``xlwings.udfs.generate_vba_wrapper`` (BSD-3),
run in a subprocess: that module imports the Windows COM packages at import time, so on other
systems they are replaced by empty stand-ins there (the generator itself never calls them).
The functions get xlwings' classic decorators from ``xlpkg.frontends.functions.FUNCTIONS``,
the same argument list ``xlpkg.udfs`` declares.
"""
from __future__ import annotations

import json
import subprocess
import sys

__all__ = ["MODULE_NAME", "UDF_MODULE", "WrapperError", "wrapper_module"]

MODULE_NAME = "xlwings_udfs"
UDF_MODULE = "xlpkg.udfs"

_SCRIPT = r'''
import io, json, sys, types
for name in ("pythoncom", "pywintypes", "win32api", "win32com", "win32com.client",
             "win32com.server", "win32com.server.util", "win32com.server.dispatcher",
             "win32com.server.policy"):
    if name not in sys.modules:
        try:
            __import__(name)
        except Exception:
            stub = types.ModuleType(name)
            stub.__getattr__ = lambda attr: type(attr, (), {})
            sys.modules[name] = stub
import xlwings.udfs as U
from xlpkg.frontends.functions import FUNCTIONS
import xlpkg.udfs as udfs

module = types.ModuleType(sys.argv[1])
for spec in FUNCTIONS:
    base = getattr(udfs, spec.name)
    def fn(*args, _base=base):
        return _base(*args)
    fn = types.FunctionType(base.__code__, base.__globals__, spec.name, base.__defaults__,
                            base.__closure__)
    fn.__doc__ = spec.description
    for arg in reversed(spec.args):
        fn = U.xlarg(arg.name, ndim=2, doc=arg.doc)(fn) if arg.is_range else U.xlarg(arg.name, doc=arg.doc)(fn)
    setattr(module, spec.name, U.xlfunc(fn))
out = io.StringIO()
U.generate_vba_wrapper(sys.argv[1], module, out, types.SimpleNamespace(Name="xlpkg.xlam"))
sys.stdout.write(json.dumps(out.getvalue()))
'''


class WrapperError(RuntimeError):
    """xlwings could not generate the wrappers (message in Chinese, for IT staff)."""


def wrapper_module() -> tuple[str, str]:
    """(VB_Name, CRLF source) of the module xlwings' Import Functions would write."""
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, UDF_MODULE], capture_output=True,
                          text=True, encoding="utf-8")
    if proc.returncode != 0:
        raise WrapperError("无法用 xlwings 生成工作表函数的 VBA 包装代码（需要安装 xlwings）："
                         + proc.stderr.strip()[-1500:])
    body = json.loads(proc.stdout)
    text = f'Attribute VB_Name = "{MODULE_NAME}"\n' + body
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    return MODULE_NAME, text
