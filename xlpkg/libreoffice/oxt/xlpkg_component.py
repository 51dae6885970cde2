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

import uno  # noqa: F401  (loads the UNO bridge before the com.sun.star imports below)
import unohelper
from com.sun.star.frame import XDispatch, XDispatchProvider
from com.sun.star.lang import XInitialization
from com.sun.star.task import XJob

# Filled in by ``xlpkg extension build``: one entry per worksheet function,
# (name typed in a cell, Chinese description, [(argument label, argument help), ...]).
FUNCTIONS = __FUNCTIONS__
SERVICE_NAME = "org.xlpkg.calc.Functions"
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
_BY_NAME = {name: (description, args) for name, description, args in FUNCTIONS}


def Functions(ctx):
    """The add-in object. Its class is made on first use: the interface comes from the
    extension's type library (xlpkg.rdb), which is live in a running office but not always
    while unopkg registers the component, so it cannot be imported at module level.

    It is an XAddIn (names and help for the Function Wizard) with XCompatibilityNames because
    LibreOffice asks only such an add-in for the names a function has in Excel files: the
    CompatibilityName of CalcAddIns.xcu alone was ignored by LibreOffice 7.4 when saving and
    loading .xlsx (tests/test_calc_functions_engines.py)."""
    if not _functions_class:
        from com.sun.star.lang import XServiceName
        from com.sun.star.sheet import XAddIn, XCompatibilityNames
        from org.xlpkg.calc import XFunctions

        class CalcFunctions(unohelper.Base, XFunctions, XAddIn, XCompatibilityNames, XServiceName):
            def __init__(self, ctx):
                self.ctx = ctx
                self.locale = uno.createUnoStruct("com.sun.star.lang.Locale")

            # XServiceName: the prefix LibreOffice gives the functions internally
            def getServiceName(self):
                return SERVICE_NAME

            # XLocalizable: Chinese in every locale (the users read Chinese)
            def setLocale(self, locale):
                self.locale = locale

            def getLocale(self):
                return self.locale

            # XAddIn: typed and shown names are the programmatic ones (EXEC_RATE), in every
            # UI language, as in Excel
            def getProgrammaticFuntionName(self, display_name):   # sic: the IDL's spelling
                name = display_name.upper()
                return name if name in _BY_NAME else ""

            def getDisplayFunctionName(self, name):
                return name if name in _BY_NAME else ""

            def getFunctionDescription(self, name):
                return _BY_NAME.get(name, ("", ()))[0]

            def getDisplayArgumentName(self, name, argument):
                return _argument(name, argument)[0]

            def getArgumentDescription(self, name, argument):
                return _argument(name, argument)[1]

            def getProgrammaticCategoryName(self, name):
                return "Add-In"

            def getDisplayCategoryName(self, name):
                return "Add-In"

            # XCompatibilityNames: the name in Excel files. Excel's own add-in (xlpkg.xlam)
            # defines the UDFs under the same bare names, so a formula saved by LibreOffice
            # reads EXEC_RATE(A2,B2), and such a formula from Excel computes here.
            def getCompatibilityNames(self, name):
                if name not in _BY_NAME:
                    return ()
                names = []
                for language, country in (("en", "US"), ("zh", "CN")):
                    localized = uno.createUnoStruct("com.sun.star.sheet.LocalizedName")
                    localized.Locale = uno.createUnoStruct("com.sun.star.lang.Locale", language, country, "")
                    localized.Name = name
                    names.append(localized)
                return tuple(names)

        for name, _description, _args in FUNCTIONS:
            setattr(CalcFunctions, name, _function(name))
        _functions_class.append(CalcFunctions)
    return _functions_class[0](ctx)


def _argument(name, position):
    args = _BY_NAME.get(name, ("", ()))[1]
    return tuple(args[position]) if 0 <= position < len(args) else ("", "")


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
g_ImplementationHelper.addImplementation(Functions, SERVICE_NAME,
                                         ("com.sun.star.sheet.AddIn", SERVICE_NAME))
g_ImplementationHelper.addImplementation(Commands, "org.xlpkg.calc.Commands",
                                         ("com.sun.star.frame.ProtocolHandler",))
g_ImplementationHelper.addImplementation(Warmup, "org.xlpkg.calc.Warmup", ("com.sun.star.task.Job",))
