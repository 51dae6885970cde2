"""LibreOffice UNO worker, run by the *system* Python (``/usr/bin/python3``) only.

xlpkg's own interpreter cannot import Debian's ``uno`` module, so :mod:`xlpkg.libreoffice.harness` runs this
file as a script in a subprocess. It is never imported by xlpkg: ``uno`` is imported inside
:func:`main`, so importing this file by accident does no harm.

Protocol: one JSON request on stdin, one JSON reply written to the request's ``reply`` file
(not stdout, which LibreOffice's libraries may write to)::

    {"soffice": "/usr/bin/soffice", "timeout": 120, "reply": "/tmp/.../reply.json",
     "jobs": [{"op": "recalc", "path": "...", "out": "..."},
              {"op": "inspect", "path": "...", "cells": [...], "names": [...], "recalc": true},
              {"op": "basic", "path": "..."},
              {"op": "pdf", "path": "...", "out": "..."},
              {"op": "type", "path": "...", "sheet": "...", "entries": [["C5", "text"], ...],
               "names": [...]}]}
    -> {"ok": true, "results": [...], "timings": {"start": s, "jobs": s}}
    -> {"ok": false, "error": "...", "traceback": "..."}

One soffice process serves all jobs of a request. It gets a fresh profile directory
(``-env:UserInstallation``) and a private pipe name, so parallel calls never share state.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path

VBA_FILTER = "Calc MS Excel 2007 VBA XML"
# com.sun.star.sheet.FormulaResult
_RESULT_VALUE, _RESULT_STRING, _RESULT_ERROR = 1, 2, 4
# Excel's error texts by LibreOffice error code (sc/inc/errorcodes.hxx), for errors whose
# getString() is LibreOffice's own "Err:NNN" form.
_ERROR_TEXT = {
    501: "#NAME?", 502: "#VALUE!", 503: "#NUM!", 504: "#VALUE!", 519: "#VALUE!",
    522: "#VALUE!", 523: "#NUM!", 524: "#REF!", 525: "#NAME?", 532: "#DIV/0!",
    32767: "#N/A", 32766: "#NULL!",
}


def _prop(name, value):
    import uno  # noqa: F401  (module-level import would break accidental imports)
    from com.sun.star.beans import PropertyValue
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def _props(**kw):
    return tuple(_prop(k, v) for k, v in kw.items())


def _url(path):
    return Path(path).resolve().as_uri()


class Office:
    """A private headless soffice reachable over a named pipe."""

    def __init__(self, soffice, timeout, profile=None, soffice_args=None, env=None):
        self.soffice = soffice
        self.timeout = timeout
        self.keep_profile = profile is not None
        self.profile = profile or tempfile.mkdtemp(prefix="xlpkg-lo-profile-")
        self.soffice_args = soffice_args or ["-env:UserInstallation=" + Path(self.profile).as_uri()]
        self.env = env
        self.ctx = None
        self.pipe = "xlpkg_%d_%s" % (os.getpid(), uuid.uuid4().hex)
        self.proc = None
        self.desktop = None

    def __enter__(self):
        import uno
        cmd = [
            self.soffice, *self.soffice_args,
            "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
            "--nolockcheck", "--nofirststartwizard",
            "--accept=pipe,name=%s;urp;StarOffice.ComponentContext" % self.pipe,
        ]
        env = dict(os.environ, **self.env) if self.env else None
        # XLPKG_LO_LOG: soffice's own output (Python tracebacks of extensions) for debugging
        log = open(os.environ["XLPKG_LO_LOG"], "ab") if os.environ.get("XLPKG_LO_LOG") else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=log, start_new_session=True, env=env)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        url = "uno:pipe,name=%s;urp;StarOffice.ComponentContext" % self.pipe
        deadline = time.monotonic() + self.timeout
        last = None
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("soffice exited with code %s before accepting connections"
                                   % self.proc.returncode)
            try:
                ctx = resolver.resolve(url)
                break
            except Exception as exc:  # NoConnectException until soffice listens
                last = exc
                if time.monotonic() > deadline:
                    raise RuntimeError("soffice did not accept a connection within %ss: %s"
                                       % (self.timeout, last))
                time.sleep(0.1)
        self.ctx = ctx
        self.desktop = ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", ctx)
        return self

    def __exit__(self, *exc):
        try:
            if self.desktop is not None:
                try:
                    self.desktop.terminate()
                except Exception:
                    pass  # the bridge dies while terminating; that is expected
            if self.proc is not None:
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    # Only the process group this worker started (start_new_session above).
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=10)
        finally:
            if not self.keep_profile:
                shutil.rmtree(self.profile, ignore_errors=True)

    def load(self, path):
        from com.sun.star.document.MacroExecMode import NEVER_EXECUTE
        from com.sun.star.document.UpdateDocMode import NO_UPDATE
        options = dict(Hidden=True, ReadOnly=False, MacroExecutionMode=NEVER_EXECUTE,
                       UpdateDocMode=NO_UPDATE)
        if Path(path).suffix.lower() == ".xlam":
            # LibreOffice 7.4's type detection rejects the add-in content type
            # (application/vnd.ms-excel.addin.macroEnabled.main+xml), even for add-ins saved
            # by Excel; the OOXML import filter itself reads them fine.
            options["FilterName"] = VBA_FILTER
        doc = self.desktop.loadComponentFromURL(_url(path), "_blank", 0, _props(**options))
        if doc is None:
            raise RuntimeError("LibreOffice could not open %s" % path)
        return doc


# ---------------------------------------------------------------------------- cell helpers

def _split_ref(ref):
    """'Sheet!F12' / "'My Sheet'!$F$12" -> (sheet name, 'F12')."""
    if "!" not in ref:
        raise ValueError("cell reference needs a sheet name: %r" % ref)
    sheet, cell = ref.rsplit("!", 1)
    if len(sheet) >= 2 and sheet[0] == sheet[-1] == "'":
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, cell.replace("$", "")


def _cell_value(cell):
    """(value, error_text): value is float / str / None; error_text is None unless an error."""
    kind = cell.getType().value  # EMPTY / VALUE / TEXT / FORMULA
    if kind == "EMPTY":
        return None, None
    if kind == "VALUE":
        return float(cell.getValue()), None
    if kind == "TEXT":
        return cell.getString(), None
    err = cell.getError()
    if err:
        text = cell.getString()
        if not text.startswith("#"):
            text = _ERROR_TEXT.get(err, text or "Err:%d" % err)
        return None, text
    if cell.FormulaResultType2 == _RESULT_STRING:
        return cell.getString(), None
    return float(cell.getValue()), None


def _formula_text(cell, parser):
    if cell.getType().value != "FORMULA":
        return None
    if parser is not None:
        try:
            return "=" + parser.printFormula(cell.getTokens(), cell.getCellAddress())
        except Exception:
            pass
    return cell.getFormula()


def _excel_formula_parser(doc):
    """A FormulaParser printing Excel A1 syntax with English function names, or None."""
    try:
        import uno
        from com.sun.star.sheet.FormulaLanguage import OOXML
        from com.sun.star.sheet.AddressConvention import XL_OOX
        from com.sun.star.sheet.FormulaMapGroup import ALL_EXCEPT_SPECIAL
        parser = doc.createInstance("com.sun.star.sheet.FormulaParser")
        mapper = doc.createInstance("com.sun.star.sheet.FormulaOpCodeMapper")
        parser.setPropertyValue("FormulaConvention", XL_OOX)
        entries = mapper.getAvailableMappings(OOXML, ALL_EXCEPT_SPECIAL)
        # a plain tuple is rejected (IllegalArgumentException): the sequence must be typed
        uno.invoke(parser, "setPropertyValue", ("OpCodeMap", uno.Any(
            "[]com.sun.star.sheet.FormulaOpCodeMapEntry", entries)))
        parser.setPropertyValue("CompileEnglish", True)
        return parser
    except Exception:
        return None


def _named_range(doc, name):
    ranges = doc.NamedRanges
    if ranges.hasByName(name):
        return ranges.getByName(name).getReferredCells()
    if "!" in name:  # sheet-scoped name written as Sheet!Name
        sheet, local = _split_ref(name)
        sheets = doc.Sheets
        if sheets.hasByName(sheet):
            local_ranges = sheets.getByName(sheet).NamedRanges
            if local_ranges.hasByName(local):
                return local_ranges.getByName(local).getReferredCells()
    raise KeyError("defined name not found: %s" % name)


# ---------------------------------------------------------------------------- jobs

def _recalculated_copy(office, job, filter_name):
    doc = office.load(job["path"])
    try:
        doc.calculateAll()
        doc.storeToURL(_url(job["out"]), _props(FilterName=filter_name, Overwrite=True))
    finally:
        doc.close(True)
    return job["out"]


def job_recalc(office, job):
    return _recalculated_copy(office, job, "Calc MS Excel 2007 XML")


def job_pdf(office, job):
    return _recalculated_copy(office, job, "calc_pdf_Export")


def job_writer_pdf(office, job):
    """A text document (.docx) to PDF; Writer has nothing to recalculate (fields are not updated)."""
    doc = office.load(job["path"])
    try:
        doc.storeToURL(_url(job["out"]), _props(FilterName="writer_pdf_Export", Overwrite=True))
    finally:
        doc.close(True)
    return job["out"]


def _validation(cell):
    """A cell's data validation as LibreOffice understands it: type, list formula, whether an
    error box shows and how it alerts (STOP refuses the entry)."""
    v = cell.Validation
    return {"type": v.Type.value, "formula1": v.getFormula1(), "show_error": bool(v.ShowErrorMessage),
            "alert_style": v.ErrorAlertStyle.value, "show_input": bool(v.ShowInputMessage),
            "input_message": v.InputMessage}


def job_inspect(office, job):
    doc = office.load(job["path"])
    try:
        if job.get("recalc", True):
            doc.calculateAll()
        parser = _excel_formula_parser(doc)
        sheets = doc.Sheets
        out = {"values": {}, "names": {}, "locked": {}, "sheet_protected": {},
               "formulas": {}, "errors": {}}
        for ref in job.get("cells", []):
            sheet_name, addr = _split_ref(ref)
            if not sheets.hasByName(sheet_name):
                raise KeyError("sheet not found: %s (in %s)" % (sheet_name, ref))
            sheet = sheets.getByName(sheet_name)
            cell = sheet.getCellRangeByName(addr)
            value, err = _cell_value(cell)
            out["values"][ref] = value
            if err is not None:
                out["errors"][ref] = err
            out["locked"][ref] = bool(cell.CellProtection.IsLocked)
            out.setdefault("validation", {})[ref] = _validation(cell)
            out["formulas"][ref] = _formula_text(cell, parser)
            out["sheet_protected"][sheet_name] = bool(sheet.isProtected())
        for name in job.get("names", []):
            rng = _named_range(doc, name)
            if rng is None:
                raise KeyError("defined name does not refer to cells: %s" % name)
            addr = rng.getRangeAddress()
            rows = []
            for r in range(addr.EndRow - addr.StartRow + 1):
                row = []
                for c in range(addr.EndColumn - addr.StartColumn + 1):
                    row.append(_cell_value(rng.getCellByPosition(c, r))[0])
                rows.append(row)
            out["names"][name] = rows
        # every sheet's protection, not just the sheets of the requested cells
        for i in range(sheets.getCount()):
            sheet = sheets.getByIndex(i)
            out["sheet_protected"][sheet.getName()] = bool(sheet.isProtected())
        return out
    finally:
        doc.close(True)


def job_basic(office, job):
    doc = office.load(job["path"])
    try:
        libs = doc.BasicLibraries
        modules = {}
        for lib_name in libs.getElementNames():
            if not libs.isLibraryLoaded(lib_name):
                libs.loadLibrary(lib_name)
            lib = libs.getByName(lib_name)
            for mod_name in lib.getElementNames():
                modules[mod_name] = {"library": lib_name, "source": lib.getByName(mod_name)}
        return modules
    finally:
        doc.close(True)


def _address(ref, sheets, default_sheet):
    if "!" in ref:
        name, addr = _split_ref(ref)
        return sheets.getByName(name), addr
    return default_sheet, ref


def _used_values(sheet):
    """The values of a sheet's used area from A1, trailing empty rows dropped."""
    cursor = sheet.createCursor()
    cursor.gotoEndOfUsedArea(False)
    end = cursor.getRangeAddress()
    if end.EndRow == 0 and end.EndColumn == 0 and sheet.getCellByPosition(0, 0).getType().value == "EMPTY":
        return []
    rng = sheet.getCellRangeByPosition(0, 0, end.EndColumn, end.EndRow)
    return [[None if v == "" else v for v in row] for row in rng.getDataArray()]


def job_calc(office, job):
    """One workbook in a running office, as a user works in it: open ``path`` (or a new
    spreadsheet), set formulas (``formulas``: [[cell, formula]], ``array_formulas``:
    [[range, formula]]), type into cells through the dispatcher (``typed``: [[cell, text]]),
    run menu commands (``commands``: URLs dispatched on the document's frame), recalculate,
    and read back ``cells``, whole ``sheets`` and the ``formulas`` of cells; ``out`` stores it.
    """
    path = job.get("path")
    if path:
        doc = office.load(path)
    else:
        doc = office.desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0,
                                                  _props(Hidden=True))
    try:
        sheets = doc.Sheets
        first = sheets.getByIndex(0)
        for ref, formula in job.get("formulas", []):
            sheet, addr = _address(ref, sheets, first)
            sheet.getCellRangeByName(addr).setFormula(formula)
        for ref, formula in job.get("array_formulas", []):
            sheet, addr = _address(ref, sheets, first)
            sheet.getCellRangeByName(addr).setArrayFormula(formula)
        frame = doc.getCurrentController().getFrame()
        helper = office.ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.DispatchHelper", office.ctx)
        for ref, text in job.get("typed", []):
            # The Name Box way: "$'Sheet'.A1" moves to another sheet as a user would
            # (switching with setActiveSheet on a hidden document crashed soffice 7.4).
            sheet, addr = _address(ref, sheets, first)
            point = "$'%s'.%s" % (sheet.getName().replace("'", "''"), addr)
            helper.executeDispatch(frame, ".uno:GoToCell", "", 0, _props(ToPoint=point))
            helper.executeDispatch(frame, ".uno:EnterString", "", 0, _props(StringName=text))
        for command in job.get("commands", []):
            # a URL, or [URL, {argument: value}] (e.g. .uno:Insert with Name and Index)
            url, args = (command, {}) if isinstance(command, str) else command
            helper.executeDispatch(frame, url, "", 0, _props(**args))
        doc.calculateAll()
        out = {"values": {}, "errors": {}, "formulas": {}, "sheets": {},
               "sheet_names": list(sheets.getElementNames())}
        for ref in job.get("cells", []):
            sheet, addr = _address(ref, sheets, first)
            cell = sheet.getCellRangeByName(addr)
            value, err = _cell_value(cell)
            out["values"][ref] = value
            out["formulas"][ref] = cell.getFormula() or None
            if err is not None:
                out["errors"][ref] = err
        for name in job.get("sheets", []):
            if sheets.hasByName(name):
                out["sheets"][name] = _used_values(sheets.getByName(name))
        if job.get("out"):
            doc.storeToURL(_url(job["out"]), _props(FilterName=job.get("out_filter", "Calc MS Excel 2007 XML"),
                                                    Overwrite=True))
        return out
    finally:
        doc.close(True)




def job_type(office, job):
    """Type into cells as a user does (GoToCell + EnterString through the frame dispatcher:
    sheet protection applies, the cell's format parses the text), recalculate, and report the
    typed cells and the requested names; with ``out``, also store the result as .xlsx. Storing
    goes last in a session: soffice may abort after storing a document edited this way."""
    doc = office.load(job["path"])
    try:
        controller = doc.getCurrentController()
        frame = controller.getFrame()
        helper = office.ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.DispatchHelper", office.ctx)
        typed = []
        for entry in job["entries"]:
            sheet_name, cell, text = entry if len(entry) == 3 else (job["sheet"], *entry)
            sheet = doc.Sheets.getByName(sheet_name)
            controller.setActiveSheet(sheet)
            helper.executeDispatch(frame, ".uno:GoToCell", "", 0, _props(ToPoint=cell))
            helper.executeDispatch(frame, ".uno:EnterString", "", 0, _props(StringName=text))
            typed.append((sheet, cell))
        doc.calculateAll()
        out = {"values": {}, "names": {}}
        if job.get("out"):
            # Store at once and return: soffice may die soon after typing (REFERENCE.md), and
            # the stored file holds every value a caller needs.
            doc.storeToURL(_url(job["out"]), _props(FilterName="Calc MS Excel 2007 XML", Overwrite=True))
            return out
        for sheet, cell in typed:
            out["values"][cell] = _cell_value(sheet.getCellRangeByName(cell))[0]
        for name in job.get("names", []):
            rng = _named_range(doc, name)
            addr = rng.getRangeAddress()
            out["names"][name] = [[_cell_value(rng.getCellByPosition(c, r))[0]
                                   for c in range(addr.EndColumn - addr.StartColumn + 1)]
                                  for r in range(addr.EndRow - addr.StartRow + 1)]
        return out
    finally:
        try:
            doc.close(True)
        except Exception:
            pass




def job_rows(office, job):
    """Insert (count > 0) or delete (count < 0) whole rows of one sheet as a person would in
    Calc: the sheet is unprotected first, references and defined names move with the rows,
    then everything is recalculated and stored as .xlsx."""
    doc = office.load(job["path"])
    try:
        sheet = doc.Sheets.getByName(job["sheet"])
        sheet.unprotect(job.get("password", ""))
        rows = sheet.getRows()
        index, count = int(job["row"]) - 1, int(job["count"])
        if count > 0:
            rows.insertByIndex(index, count)
        else:
            rows.removeByIndex(index, -count)
        doc.calculateAll()
        doc.storeToURL(_url(job["out"]), _props(FilterName="Calc MS Excel 2007 XML", Overwrite=True))
    finally:
        doc.close(True)
    return job["out"]


def job_structure(office, job):
    """Menu commands dispatched on the document's frame as a user chooses them (``commands``:
    URLs or [URL, {argument: value}], e.g. .uno:Insert, .uno:Show), then report the sheets
    (name, visible), whether the document's structure is protected, and store ``out`` (.xlsx)
    last: soffice may abort after storing a document edited this way (REFERENCE.md)."""
    doc = office.load(job["path"])
    try:
        frame = doc.getCurrentController().getFrame()
        helper = office.ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.DispatchHelper", office.ctx)
        for command in job.get("commands", []):
            url, args = (command, {}) if isinstance(command, str) else command
            helper.executeDispatch(frame, url, "", 0, _props(**args))
        sheets = doc.Sheets
        out = {"sheets": [[sheets.getByIndex(i).getName(), bool(sheets.getByIndex(i).IsVisible)]
                          for i in range(sheets.getCount())],
               "structure_protected": bool(doc.isProtected())}
        if job.get("out"):
            doc.storeToURL(_url(job["out"]), _props(FilterName="Calc MS Excel 2007 XML", Overwrite=True))
        return out
    finally:
        try:
            doc.close(True)
        except Exception:
            pass


JOBS = {"structure": job_structure, "recalc": job_recalc, "inspect": job_inspect, "basic": job_basic, "pdf": job_pdf,
        "type": job_type, "writer_pdf": job_writer_pdf, "rows": job_rows}

JOBS["calc"] = job_calc


def main():
    request = json.load(sys.stdin)
    t0 = time.monotonic()
    try:
        with Office(request["soffice"], float(request.get("timeout", 120)), request.get("profile"),
                    request.get("soffice_args"), request.get("env")) as office:
            t1 = time.monotonic()
            results = [JOBS[job["op"]](office, job) for job in request["jobs"]]
            t2 = time.monotonic()
        reply = {"ok": True, "results": results,
                 "timings": {"start": t1 - t0, "jobs": t2 - t1, "total": time.monotonic() - t0}}
    except Exception as exc:
        reply = {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc),
                 "traceback": traceback.format_exc()}
    with open(request["reply"], "w", encoding="utf-8") as f:
        json.dump(reply, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
