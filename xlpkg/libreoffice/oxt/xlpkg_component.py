# The xlpkg extension's UNO component, loaded by LibreOffice's Python (pythonloader).
#
# Two implementations: org.xlpkg.calc.Functions (service com.sun.star.sheet.AddIn: the
# worksheet functions) and org.xlpkg.calc.Commands (a protocol handler for the
# org.xlpkg.command: URLs of the 绩效管理 menu and toolbar). Both are thin: they import xlpkg
# from the extension's pythonpath/ on first use and hand over to xlpkg.libreoffice.
# Importing xlpkg waits for the first call so that registration (unopkg add) stays quick and
# works even where xlpkg's dependencies are missing; a missing dependency then shows as a
# Chinese message in the cell or in a message box, never as a silent blank.
import os
import sys
import traceback

import unohelper
from com.sun.star.frame import XDispatch, XDispatchProvider
from com.sun.star.lang import XInitialization
from com.sun.star.task import XJob

# Filled in by ``xlpkg extension build``: (name typed in a cell, number of arguments).
FUNCTIONS = __FUNCTIONS__
ERROR_PREFIX = "#错误："
HELP = "请管理员按《LibreOffice扩展安装指南》重新安装 xlpkg.oxt，或安装与 LibreOffice 的 Python 版本相符的依赖包"
PYTHONPATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pythonpath")

_loaded = {}


def _xlpkg(module):
    """Import xlpkg.<module> from the extension's own pythonpath/ (first on sys.path, so an
    older xlpkg elsewhere on the system cannot shadow it). Returns (module, problem)."""
    if module in _loaded:
        return _loaded[module], None
    if os.path.isdir(PYTHONPATH) and PYTHONPATH not in sys.path[:1]:
        if PYTHONPATH in sys.path:
            sys.path.remove(PYTHONPATH)
        sys.path.insert(0, PYTHONPATH)
    try:
        mod = __import__("xlpkg." + module, fromlist=["_"])
    except Exception as exc:   # ImportError, or a dependency built for another Python
        traceback.print_exc()
        missing = getattr(exc, "name", None) or type(exc).__name__
        return None, ("LibreOffice 的 Python（%s）无法加载 xlpkg：缺少或不兼容 %s（%s）。%s"
                      % (sys.version.split()[0], missing, exc, HELP))
    _loaded[module] = mod
    return mod, None


def _function(sheet_name):
    def run(self, *args):
        calc, problem = _xlpkg("libreoffice.calc")
        if problem:
            return ((ERROR_PREFIX + problem,),)
        return calc.call(sheet_name, *args)
    run.__name__ = sheet_name
    return run


_functions_class = []


def Functions(ctx):
    """The add-in object. Its class is made on first use: the interface comes from the
    extension's type library (xlpkg.rdb), which is live in a running office but not always
    while unopkg registers the component, so it cannot be imported at module level."""
    if not _functions_class:
        from org.xlpkg.calc import XFunctions

        class CalcFunctions(unohelper.Base, XFunctions):
            def __init__(self, ctx):
                self.ctx = ctx

        for name, _count in FUNCTIONS:
            setattr(CalcFunctions, name, _function(name))
        _functions_class.append(CalcFunctions)
    return _functions_class[0](ctx)


class Commands(unohelper.Base, XDispatchProvider, XDispatch, XInitialization):
    """The menu and toolbar commands: org.xlpkg.command:validate etc. on the frame's document."""
    PROTOCOL = "org.xlpkg.command:"

    def __init__(self, ctx):
        self.ctx = ctx
        self.frame = None

    def initialize(self, args):
        if args:
            self.frame = args[0]

    def queryDispatch(self, url, target, flags):
        return self if url.Protocol == self.PROTOCOL else None

    def queryDispatches(self, requests):
        return tuple(self.queryDispatch(r.FeatureURL, r.FrameName, r.SearchFlags) for r in requests)

    def dispatch(self, url, args):
        commands, problem = _xlpkg("libreoffice.commands")
        if problem:
            _message_box(self.ctx, self.frame, problem)
            return
        commands.run(url.Path, self.ctx, self.frame)

    def addStatusListener(self, listener, url):
        pass

    def removeStatusListener(self, listener, url):
        pass


class Warmup(unohelper.Base, XJob):
    """Imports xlpkg and reads the rulebook when LibreOffice starts (Jobs.xcu, OnStartApp), so
    the first formula is as quick as the others. A slow first call (the import, ~0.3 s) made
    LibreOffice 7.4 abort when the formula was typed through the dispatcher from another
    process (headless tests); a warm call did not."""

    def __init__(self, ctx):
        self.ctx = ctx

    def execute(self, args):
        calc, problem = _xlpkg("libreoffice.calc")
        if calc is not None:
            try:
                calc.warm_up()
            except Exception:
                traceback.print_exc()
        return None


def _message_box(ctx, frame, message):
    """A message box that needs nothing but uno (used when xlpkg itself cannot load)."""
    try:
        from com.sun.star.awt.MessageBoxType import ERRORBOX
        toolkit = ctx.ServiceManager.createInstanceWithContext("com.sun.star.awt.Toolkit", ctx)
        parent = frame.getContainerWindow() if frame is not None else None
        box = toolkit.createMessageBox(parent, ERRORBOX, 1, "绩效管理", message)
        box.execute()
    except Exception:
        traceback.print_exc()
    print(message, file=sys.stderr)


g_ImplementationHelper = unohelper.ImplementationHelper()
g_ImplementationHelper.addImplementation(Functions, "org.xlpkg.calc.Functions",
                                         ("com.sun.star.sheet.AddIn",))
g_ImplementationHelper.addImplementation(Commands, "org.xlpkg.calc.Commands",
                                         ("com.sun.star.frame.ProtocolHandler",))
g_ImplementationHelper.addImplementation(Warmup, "org.xlpkg.calc.Warmup", ("com.sun.star.task.Job",))
