"""The summary's longest sheets rendered by a second process (xlpkg.summary.render_ahead): the file is
the one a single process writes, whatever happens to the other process."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT, all_examples
from xlpkg.summary import render_ahead, writer as summary
from xlpkg.consolidate import spool
from xlpkg.consolidate import build, consolidate, outcome_from_project
from xlpkg.rules import load_rules
from xlpkg.consolidate.spool import Spool, SpooledTable
from xlpkg.summary import SummaryWriteError, write_summary
from xlpkg.summary.xlsxwriter_rows import RowFile

pytestmark = pytest.mark.skipif(os.name != "posix", reason="rendering ahead needs pass_fds (POSIX)")

CREATED = dt.datetime(2024, 1, 1)


@pytest.fixture
def started(monkeypatch, tmp_path):
    """Every summary is rendered ahead (the threshold is a province's size); the processes
    started are kept, and temporary files go to a folder of the test's own."""
    monkeypatch.setattr(summary, "PARALLEL_ROWS", 0)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "temp"))
    (tmp_path / "temp").mkdir()
    procs = []
    real = subprocess.Popen

    def popen(args, **kwargs):
        procs.append(real(args, **kwargs))
        return procs[-1]
    monkeypatch.setattr(render_ahead.subprocess, "Popen", popen)
    return procs


def _read_forms(filled_dir):
    """The example forms read as the command reads them: indicator rows and records spooled."""
    return consolidate(filled_dir, jobs=1)


def _from_projects():
    rules = load_rules()
    return build([outcome_from_project(p, f"/data/forms/{p.code}.xlsx", rules) for p in all_examples()],
                 rules, dept_info=[ROOT / "examples" / "departments" / "105002.json"])


def _write(c, path: Path, parallel: bool) -> dict[str, bytes]:
    write_summary(c, path, parallel=parallel, _created=CREATED)
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _ended(procs) -> bool:
    return bool(procs) and all(p.returncode is not None for p in procs)


def test_rendered_ahead_the_file_is_the_one_a_single_process_writes(filled_dir, tmp_path, started,
                                                                   monkeypatch):
    monkeypatch.setattr(summary, "SHEET_DATA_ROWS", 7)   # 指标明细 over several sheets
    for c in (_read_forms(filled_dir), _from_projects()):   # spooled rows, and plain ones
        alone = _write(c, tmp_path / "alone.xlsx", parallel=False)
        with monkeypatch.context() as m:   # the other process's files are used, not a fallback
            m.setattr(render_ahead.RenderAhead, "_render_here", lambda job: pytest.fail("rendered here"))
            ahead = _write(c, tmp_path / "ahead.xlsx", parallel=True)
        assert sorted(ahead) == sorted(alone) and [n for n in alone if ahead[n] != alone[n]] == []
        assert len(c.indicator_table) > 14 and sum(n.startswith("xl/worksheets/sheet") for n in ahead) > 10
    assert len(started) == 2 and [p.returncode for p in started] == [0, 0]
    assert list((tmp_path / "temp").iterdir()) == []


@pytest.mark.parametrize("other", [
    "import sys; sys.exit(3)",                                   # fails
    "pass",                                                      # ends well, says nothing
    "import sys; sys.stdout.write('not a pickle')",              # says nonsense
    "import pickle, sys; sys.stdout.buffer.write(pickle.dumps("  # files outside its folder
    "[([2], None, [('/etc/passwd', 1, 1)]), ([2], 5, [('/etc/passwd', 1, 1)])]))",
    "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",   # killed
    "import time; time.sleep(600)",                              # hangs
])
def test_a_failing_renderer_leaves_the_rows_to_this_process(filled_dir, tmp_path, started, monkeypatch,
                                                           other):
    c = _read_forms(filled_dir)
    alone = _write(c, tmp_path / "alone.xlsx", parallel=False)
    monkeypatch.setattr(render_ahead, "STALL_SECONDS", 1.0)
    real = render_ahead.subprocess.Popen
    monkeypatch.setattr(render_ahead.subprocess, "Popen",
                        lambda args, **kwargs: real([sys.executable, "-c", other], **kwargs))
    assert _write(c, tmp_path / "ahead.xlsx", parallel=True) == alone
    assert _ended(started) and list((tmp_path / "temp").iterdir()) == []


def test_without_pass_fds_or_for_a_small_summary_nothing_is_started(filled_dir, tmp_path, monkeypatch):
    c = _read_forms(filled_dir)
    monkeypatch.setattr(render_ahead.subprocess, "Popen", lambda *a, **k: pytest.fail("started"))
    alone = _write(c, tmp_path / "alone.xlsx", parallel=False)
    assert _write(c, tmp_path / "small.xlsx", parallel=True) == alone   # below PARALLEL_ROWS
    monkeypatch.setattr(summary, "PARALLEL_ROWS", 0)
    monkeypatch.setattr(spool, "_pread", None)                          # as on Windows
    assert _write(c, tmp_path / "no-pread.xlsx", parallel=True) == alone
    monkeypatch.setattr(render_ahead, "_CAN_PASS_FDS", False)
    assert _write(c, tmp_path / "windows.xlsx", parallel=True) == alone


def test_a_failed_write_stops_the_renderer_and_leaves_nothing(filled_dir, tmp_path, started, monkeypatch):
    c = _read_forms(filled_dir)

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(summary, "_goals_sheet", fail)   # after the start, before the rows are used
    with pytest.raises(SummaryWriteError):
        write_summary(c, tmp_path / "s.xlsx", parallel=True)
    assert _ended(started) and list((tmp_path / "temp").iterdir()) == []
    assert not (tmp_path / "s.xlsx").exists()


def test_the_cli_renders_ahead_unless_told_to_use_one_process(filled_dir, tmp_path, monkeypatch):
    from xlpkg.cli import main

    asked = []
    real = summary.RenderAhead

    def spy(*args, parallel, **kwargs):
        asked.append(parallel)
        return real(*args, parallel=parallel, **kwargs)
    monkeypatch.setattr(summary, "RenderAhead", spy)
    monkeypatch.setattr(summary, "PARALLEL_ROWS", 0)
    monkeypatch.setattr("xlpkg.consolidate.reading.cores", lambda: 2)
    assert main(["consolidate", str(filled_dir), "-o", str(tmp_path / "a.xlsx")]) == 0
    assert main(["consolidate", str(filled_dir), "-o", str(tmp_path / "b.xlsx"), "--jobs", "1"]) == 0
    assert asked == [True, False]


def test_row_files_take_indices_and_refuse_what_only_the_workbook_can_number(tmp_path):
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    numbered, fresh = wb.add_format({"bold": True}), wb.add_format({"italic": True})
    numbered._get_xf_index()
    twin = wb.add_format({"bold": True})   # same look: shares the index, nothing to assign
    with open(tmp_path / "rows.xml", "wb") as fh:
        rows = RowFile(fh, 20)
        assert rows.xf(None) == 0 and rows.xf(7) == 7
        assert rows.xf(numbered) == rows.xf(twin) == numbered.xf_index
        with pytest.raises(RuntimeError):
            rows.xf(fresh)
        assert fresh.xf_index is None
        with pytest.raises(RuntimeError):
            rows.link(1, 0, "file:///x", None, "", "x")
    wb.close()


def test_another_process_reads_the_spool_while_this_one_does():
    store = Spool()
    parts = [store.add([(i, "行" * (i % 50), i * 0.5)]) for i in range(400)]
    table = SpooledTable(("a", "b", "c"), [*parts[:200], [("plain", 0, 0.0)], *parts[200:]])
    expected = list(table)
    portable = table.portable()
    assert portable.fds and len(portable) == len(expected) == 401
    code = ("import pickle, sys; rows = pickle.loads(sys.stdin.buffer.read()); "
            "sys.stdout.write(repr(list(rows)))")
    other = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             pass_fds=portable.fds, cwd=ROOT)
    other.stdin.write(__import__("pickle").dumps(portable))
    other.stdin.close()
    for _ in range(5):
        assert list(table) == expected   # this process reads meanwhile
    assert other.stdout.read().decode() == repr(expected) and other.wait() == 0
    late = store.add([("后来", 1, 2.0)])   # adding after reads still appends at the end
    assert list(late) == [("后来", 1, 2.0)] and list(table) == expected
