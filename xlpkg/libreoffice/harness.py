"""Recalculate and inspect workbooks with LibreOffice (headless), for tests and ``render``.

openpyxl never evaluates formulas and trusts whatever values the last program cached, so the
test suite needs a real spreadsheet engine. LibreOffice is driven over UNO by a worker script
(:mod:`xlpkg.libreoffice.harness_worker`, run as a file, never imported) under Debian's system Python, the only
interpreter that can ``import uno``. Every call starts one soffice with a fresh profile and a
private pipe name, handles all its files, then shuts it down: calls are independent and may
run in parallel.

Every load is followed by ``calculateAll()``: cached values in a file are never trusted.

Environment overrides: ``XLPKG_SOFFICE`` (soffice executable), ``XLPKG_UNO_PYTHON``
(a Python that can ``import uno``; default ``/usr/bin/python3``), ``XLPKG_LO_TIMEOUT``
(seconds per call, default 300).
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterable, Sequence

__all__ = ["LibreOfficeError", "available", "recalculate", "inspect", "inspect_basic",
           "render_pdf", "type_cells", "documents_to_pdf", "last_timings", "Profile",
           "install_extension", "calc_session", "dispatch_commands"]

WORKER = Path(__file__).with_name("harness_worker.py")
DEFAULT_UNO_PYTHON = "/usr/bin/python3"
XLSX_FILTER = "Calc MS Excel 2007 XML"

#: timings of the last call in this process: {"start": s, "jobs": s, "total": s, "wall": s}
last_timings: dict[str, float] = {}


class LibreOfficeError(RuntimeError):
    """LibreOffice is missing or failed on a file."""


def _soffice() -> str | None:
    env = os.environ.get("XLPKG_SOFFICE")
    if env:
        return env if Path(env).exists() else shutil.which(env)
    for candidate in ("soffice", "libreoffice"):
        found = shutil.which(candidate)
        if found:
            return found
    for fixed in ("/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice",
                  "/Applications/LibreOffice.app/Contents/MacOS/soffice"):
        if Path(fixed).exists():
            return fixed
    return None


def uno_python() -> str:
    return os.environ.get("XLPKG_UNO_PYTHON", DEFAULT_UNO_PYTHON)


def clean_env() -> dict[str, str]:
    """The environment for the system Python: without pyenv/venv variables that would
    point it at xlpkg's interpreter's libraries."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "VIRTUAL_ENV")}
    if env.get("XLPKG_LO_LOG"):
        env["XLPKG_LO_LOG"] = str(Path(env["XLPKG_LO_LOG"]).resolve())
    env.setdefault("HOME", tempfile.gettempdir())
    return env


@functools.lru_cache(maxsize=None)
def _probe(soffice: str | None, python: str) -> bool:
    if not soffice or not Path(python).exists():
        return False
    try:
        proc = subprocess.run([python, "-I", "-c", "import uno"], env=clean_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def available() -> bool:
    """True when soffice and a Python with ``uno`` (Debian: python3-uno) are installed."""
    return _probe(_soffice(), uno_python())


def _missing_message() -> str:
    return ("未找到 LibreOffice 或其 Python UNO 接口，无法重算工作簿。"
            "请安装：apt-get install libreoffice-calc-nogui fonts-noto-cjk python3-uno"
            f"（soffice: {_soffice() or '缺失'}；UNO Python: {uno_python()}）")


def _run(jobs: list[dict], profile: "Profile | None" = None, env: dict | None = None) -> list:
    """Run jobs in one soffice session; return the per-job results. Without ``profile`` the
    session gets a fresh throw-away profile."""
    if not available():
        raise LibreOfficeError(_missing_message())
    timeout = float(os.environ.get("XLPKG_LO_TIMEOUT", "300"))
    with tempfile.TemporaryDirectory(prefix="xlpkg-lo-") as tmp:
        reply_path = Path(tmp) / "reply.json"
        request = {"soffice": _soffice(), "timeout": min(timeout, 120.0),
                   "reply": str(reply_path), "jobs": jobs}
        if profile is not None:
            request.update(profile=str(profile.path), soffice_args=profile.soffice_args)
        if env:
            request["env"] = env
        started = time.perf_counter()
        try:
            proc = subprocess.run(
                [uno_python(), "-I", str(WORKER)], input=json.dumps(request, ensure_ascii=False),
                text=True, encoding="utf-8", capture_output=True, env=clean_env(), cwd=tmp,
                timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise LibreOfficeError(f"LibreOffice 处理超时（{timeout:.0f} 秒）") from exc
        wall = time.perf_counter() - started
        if not reply_path.exists():
            raise LibreOfficeError(
                f"LibreOffice worker failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
        reply = json.loads(reply_path.read_text(encoding="utf-8"))
    if not reply.get("ok"):
        raise LibreOfficeError(f"LibreOffice: {reply.get('error')}\n{reply.get('traceback', '')}")
    last_timings.clear()
    last_timings.update(reply.get("timings", {}), wall=wall)
    return reply["results"]


def _check_inputs(paths: Iterable[str | Path]) -> list[Path]:
    out = []
    for p in paths:
        p = Path(p).resolve()
        if not p.is_file():
            raise FileNotFoundError(p)
        out.append(p)
    return out


def _store(jobs: list[dict], outs: list[Path], run=None) -> list:
    """Run ``jobs`` (each writing its ``out``, a temporary name beside the real one), then
    rename each to its output: a reader never sees half a file, a failure leaves none."""
    try:
        results = (run or _run)(jobs)
        for job, out in zip(jobs, outs):
            os.replace(job["out"], out)
    finally:
        for job in jobs:
            Path(job["out"]).unlink(missing_ok=True)
    return results


def _temporary(out: Path) -> str:
    return str(out.with_name(f".{out.stem}.tmp{out.suffix}"))


def recalculate(paths: Sequence[str | Path], outdir: str | Path) -> list[Path]:
    """Load each workbook, ``calculateAll()``, store it as .xlsx into ``outdir`` (same file
    names, suffix .xlsx). One soffice serves all files. Returns the written paths."""
    inputs = _check_inputs(paths)
    if not inputs:
        return []
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    outs = [outdir / (p.stem + ".xlsx") for p in inputs]
    if len(set(outs)) != len(outs):
        raise ValueError("two inputs would be written to the same output name")
    if any(o == i for o, i in zip(outs, inputs)):
        raise ValueError("outdir must differ from the inputs' folder (inputs would be overwritten)")
    # store to a temporary name, then rename: no half-written outputs
    _store([{"op": "recalc", "path": str(i), "out": _temporary(o)} for i, o in zip(inputs, outs)], outs)
    return outs


def inspect(path: str | Path, cells: Sequence[str], *, names: Sequence[str] = (),
            recalc: bool = True) -> dict:
    """Open ``path`` in LibreOffice (recalculating unless ``recalc=False``) and report:

    ``values`` {cell: float | str | None}, ``names`` {name: 2-D list of values},
    ``locked`` {cell: bool}, ``sheet_protected`` {sheet: bool} (every sheet),
    ``formulas`` {cell: Excel-style formula text or None}, ``errors`` {cell: "#DIV/0!" ...}
    (only for cells whose formula gives an error; their value is None), ``validation``
    {cell: {type, formula1, show_error, alert_style, show_input, input_message}}.

    Cells are written ``Sheet!A1`` (quotes allowed: ``'My sheet'!$A$1``).
    """
    (p,) = _check_inputs([path])
    (result,) = _run([{"op": "inspect", "path": str(p), "cells": list(cells),
                       "names": list(names), "recalc": bool(recalc)}])
    return result


def type_into(path: str | Path, entries: Sequence[tuple[str, str, str]], out: str | Path) -> Path:
    """Type each (sheet, cell, text) into ``path`` through LibreOffice's dispatcher, as a user
    would, then recalculate and store the result as ``out`` (.xlsx)."""
    (p,) = _check_inputs([path])
    out = Path(out).resolve()
    _store([{"op": "type", "path": str(p), "out": _temporary(out),
             "entries": [list(e) for e in entries]}], [out], run=_run_typing)
    return out


def edit_rows(path: str | Path, out: str | Path, sheet: str, row: int, count: int) -> Path:
    """Insert ``count`` rows before 1-based ``row`` of ``sheet`` (delete when ``count`` < 0),
    as a person does after unprotecting the sheet; recalculate and store ``out`` (.xlsx)."""
    (p,) = _check_inputs([path])
    out = Path(out).resolve()
    _store([{"op": "rows", "path": str(p), "out": _temporary(out), "sheet": sheet,
             "row": int(row), "count": int(count)}], [out])
    return out


def inspect_basic(path: str | Path) -> dict[str, str]:
    """The macro modules LibreOffice imports from a workbook: {module name: source}."""
    (p,) = _check_inputs([path])
    (result,) = _run([{"op": "basic", "path": str(p)}])
    return {name: info["source"] for name, info in result.items()}


def render_pdf(path: str | Path, outdir: str | Path) -> Path:
    """Recalculate and export ``path`` to ``outdir/<stem>.pdf`` (for eyeballing a layout)."""
    (p,) = _check_inputs([path])
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    out = outdir / (p.stem + ".pdf")
    _store([{"op": "pdf", "path": str(p), "out": _temporary(out)}], [out])
    return out


def type_cells(path: str | Path, sheet: str, entries: Sequence[tuple[str, str]], *,
               names: Sequence[str] = ()) -> dict:
    """Type ``entries`` [(cell, text)] into ``sheet`` as a user would (the frame dispatcher's
    GoToCell + EnterString: protection is honoured, validation is not), recalculate, and
    return ``values`` {cell: value} and ``names`` {name: 2-D values}. The file is not saved.
    A refused write opens a message box: give each one its own call (REFERENCE.md)."""
    (p,) = _check_inputs([path])
    (result,) = _run_typing([{"op": "type", "path": str(p), "sheet": sheet,
                              "entries": [list(e) for e in entries], "names": list(names)}])
    return result


def dispatch_commands(path: str | Path, commands: Sequence, out: str | Path | None = None) -> dict:
    """Choose menu commands in ``path`` as a user would (``.uno:Insert`` a sheet, ``.uno:Show``
    a hidden one: the frame dispatcher honours the document's protection), then report
    ``sheets`` [[name, visible]] and ``structure_protected``; with ``out``, store the document
    there (.xlsx) as LibreOffice saves it. A refused command may open a message box: give each
    one its own call (REFERENCE.md)."""
    (p,) = _check_inputs([path])
    job = {"op": "structure", "path": str(p), "commands": [c if isinstance(c, str) else list(c)
                                                           for c in commands]}
    if out is None:
        (result,) = _run_typing([job])
        return result
    out = Path(out).resolve()
    job["out"] = _temporary(out)
    (result,) = _store([job], [out], run=_run_typing)
    return result


def _run_typing(jobs: list[dict], attempts: int = 3) -> list:
    """``_run`` for dispatcher typing, again with a fresh soffice when it died under the edit
    ("bridge disposed"): LibreOffice 7.4 headless aborts now and then after dispatcher edits
    (REFERENCE.md), and typing the same entries into the same file is deterministic."""
    for attempt in range(attempts):
        try:
            return _run(jobs)
        except LibreOfficeError as exc:
            if "disposed" not in str(exc).lower() or attempt == attempts - 1:
                raise
            for job in jobs:   # the dead soffice (ours) left its lock file on the input
                path = Path(job["path"])
                path.with_name(f".~lock.{path.name}#").unlink(missing_ok=True)
    raise AssertionError("unreachable")


def documents_to_pdf(paths: Sequence[str | Path], outdir: str | Path) -> list[Path]:
    """Word documents (.docx) to ``outdir/<stem>.pdf``, all in one soffice session."""
    inputs = _check_inputs(paths)
    if not inputs:
        return []
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    outs = [outdir / (p.stem + ".pdf") for p in inputs]
    if len(set(outs)) != len(outs):
        raise ValueError("two inputs would be written to the same output name")
    _store([{"op": "writer_pdf", "path": str(i), "out": _temporary(o)} for i, o in zip(inputs, outs)],
           outs)
    return outs


# ----------------------------------------------------------------------------- extensions

class Profile:
    """A LibreOffice user profile kept across sessions (e.g. with an extension installed).

    ``soffice_args`` are the ``-env:`` arguments every soffice on this profile needs."""

    def __init__(self, path: str | Path):
        self.path = Path(path).resolve()
        self.path.mkdir(parents=True, exist_ok=True)
        self.soffice_args = ["-env:UserInstallation=" + self.path.as_uri()]


def _unopkg() -> str | None:
    soffice = _soffice()
    if soffice:
        candidate = Path(soffice).resolve().with_name("unopkg")
        if candidate.exists():
            return str(candidate)
    return shutil.which("unopkg")


def install_extension(oxt: str | Path, profile: Profile) -> str:
    """``unopkg add`` the extension into ``profile``; returns unopkg's output.

    unopkg refuses per-user installs as root ("Cannot run unopkg as root without --shared"),
    as in a container: there it installs ``--shared`` into a folder inside the profile
    (``UNO_SHARED_PACKAGES_CACHE``), which the profile's soffice sessions are then pointed at,
    so nothing outside the profile changes."""
    unopkg = _unopkg()
    if not unopkg or not available():
        raise LibreOfficeError(_missing_message())
    args = [unopkg, "add", "-s", *profile.soffice_args]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        shared = profile.path / "shared"
        shared.mkdir(exist_ok=True)
        env_arg = "-env:UNO_SHARED_PACKAGES_CACHE=" + shared.as_uri()
        if env_arg not in profile.soffice_args:
            profile.soffice_args.append(env_arg)
        args = [unopkg, "add", "-s", "--shared", *profile.soffice_args]
    proc = subprocess.run([*args, str(Path(oxt).resolve())], capture_output=True, text=True,
                          env=clean_env(), timeout=float(os.environ.get("XLPKG_LO_TIMEOUT", "300")))
    if proc.returncode != 0:
        raise LibreOfficeError(f"unopkg add 失败（{proc.returncode}）：{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return proc.stdout + proc.stderr


def calc_session(jobs: list[dict], profile: Profile, env: dict | None = None) -> list:
    """Run ``calc`` jobs (see ``harness_worker.job_calc``) in one soffice on ``profile``;
    ``env`` is added to soffice's environment."""
    for job in jobs:
        job.setdefault("op", "calc")
    return _run(jobs, profile=profile, env=env)
