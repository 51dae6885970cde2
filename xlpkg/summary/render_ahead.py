"""Rows of the summary's longest sheets rendered by a second process while this one writes the
others.

The reading workers are gone when the summary is written, so its writing ran on one of the two
cores: about 40 s for a province's 100,000 projects, a third of it turning the rows of 指标明细
and of the data sheet into XML text. Those rows only come out of the spool (``xlpkg.consolidate.spool``) and
go into text, so a fresh Python process (``python -m xlpkg.summary.render_ahead``) renders them into files
of its own, reading the spool through descriptors it inherits, while this process writes
项目汇总, 部门小计, the goals and the rest; just before the workbook is packed, each file is
appended to its worksheet (``RowStream.append``). A fresh process rather than a fork: a forked
copy of a province's 700 MB process dirtied about 300 MB of the pages it shared with its parent
by allocating into them; the fresh process holds about 40 MB.

Whenever that cannot be done, the same function renders the same rows here instead: on Windows
(no ``pass_fds``), for a small summary (starting a process would cost more than it saves), when
the caller does not ask for it (inside a host program such as soffice or Excel), and whenever the
other process fails, for any reason. The workbook written is the same.

    rows = Deferred(render, table, …) # render(sink_for, table, …) -> (next row of each sheet, extra)
    with RenderAhead([rows], wb_row_pixels, scratch, parallel=True) as ahead:
        rows.add_sheet(ws)            # as the worksheets are created, in order
        ...                           # the other sheets
        ahead.finish()                # rows.next_rows, rows.extra are set
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

from .xlsxwriter_rows import RowFile, RowStream
from ..system.child import ignore_interrupt, watch_parent

__all__ = ["Deferred", "RenderAhead"]

_CAN_PASS_FDS = os.name == "posix"   # subprocess' pass_fds: POSIX only
# The other process writes its files steadily (a province's rows in ~15 s): one whose files
# have not grown for this long is stuck, and its rows are rendered here instead.
STALL_SECONDS = 60.0
_POLL_SECONDS = 0.5


class Deferred:
    """The rows of one or more worksheets, rendered by ``render(sink_for, *args)``, a module-level
    function: ``sink_for(i)`` is the stream of the i-th worksheet given to ``add_sheet``, asked
    for in order; it returns the row after the last of each worksheet, and one picklable value
    of its own (``extra``, e.g. the width of what it wrote). An argument with a ``portable()``
    method (``SpooledTable``) goes to the other process as what that returns."""

    def __init__(self, render: Callable[..., "tuple[list[int], Any]"], *args: Any):
        self.render, self.args = render, args
        self.sheets: list = []
        self.next_rows: list[int] | None = None
        self.extra: Any = None

    def add_sheet(self, ws) -> None:
        self.sheets.append(ws)

    def portable(self) -> "tuple[Callable, tuple, list[int]] | None":
        """(render, args, descriptors to pass) for another process; None if an argument
        cannot go."""
        args, fds = [], []
        for arg in self.args:
            to_portable = getattr(arg, "portable", None)
            if to_portable is not None:
                arg = to_portable()
                if arg is None:
                    return None
                fds.extend(arg.fds)
            args.append(arg)
        return self.render, tuple(args), fds


class RenderAhead:
    """Renders ``jobs`` in another process when ``parallel`` (on POSIX), else, and whenever
    that fails, in this one at ``finish``."""

    def __init__(self, jobs: list[Deferred], default_pixels: int, scratch: str, *,
                 parallel: bool):
        self.jobs, self.default_pixels, self.scratch = jobs, default_pixels, scratch
        self._prefix = f"xlpkg-rows-{os.getpid()}-{id(self):x}-"   # this write's files only
        self._proc: subprocess.Popen | None = None
        if parallel and _CAN_PASS_FDS:
            self._start()

    def __enter__(self) -> "RenderAhead":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def finish(self) -> None:
        """Every job's rows in its worksheets: appended from the other process's files, or
        rendered here."""
        results = self._collect()
        for k, job in enumerate(self.jobs):
            result = results[k] if results is not None else None
            if result is not None and self._fits(job, result):
                self._append(job, result)
            else:
                self._render_here(job)
        self._remove_files()

    def close(self) -> None:
        """Stop the other process if it still runs (after an error here) and remove its files."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.communicate()
            self._proc = None
        self._remove_files()

    def _start(self) -> None:
        jobs, fds = [], set()
        for job in self.jobs:
            portable = job.portable()
            if portable is None:
                return
            render, args, job_fds = portable
            jobs.append((render, args))
            fds.update(job_fds)
        order = os.path.join(self.scratch, f"{self._prefix}order.pickle")
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [package_root, *filter(None, [os.environ.get("PYTHONPATH")])]))
        try:
            with open(order, "wb") as fh:
                pickle.dump({"parent": os.getpid(), "scratch": self.scratch, "prefix": self._prefix,
                             "default_pixels": self.default_pixels, "jobs": jobs},
                            fh, protocol=pickle.HIGHEST_PROTOCOL)
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "xlpkg.summary.render_ahead", order], stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, pass_fds=sorted(fds), env=env)
        except Exception:   # noqa: BLE001 - a full disk, no process (limits, memory), an
            self.close()       # argument that cannot be pickled: render here

    def _collect(self) -> list | None:
        """The other process's results; None if there is none or it failed."""
        if self._proc is None:
            return None
        proc, self._proc = self._proc, None
        try:
            if not self._waited(proc):
                proc.kill()
            out, _ = proc.communicate()
        except OSError:
            proc.kill()
            proc.communicate()
            return None
        if proc.returncode != 0 or not out:
            return None
        try:
            results = pickle.loads(out)
        except Exception:   # noqa: BLE001 - a torn result is no result
            return None
        return results if isinstance(results, list) and len(results) == len(self.jobs) else None

    def _waited(self, proc: subprocess.Popen) -> bool:
        """Whether the other process ended; False when its files stopped growing for
        ``STALL_SECONDS`` (a process that hangs must not hang the command)."""
        size, still = -1, 0.0
        while True:
            try:
                proc.wait(timeout=_POLL_SECONDS)
                return True
            except subprocess.TimeoutExpired:
                pass
            now = self._written()
            still = still + _POLL_SECONDS if now == size else 0.0
            if still >= STALL_SECONDS:
                return False
            size = now

    def _written(self) -> int:
        total = 0
        for entry in os.scandir(self.scratch):
            if entry.name.startswith(self._prefix):
                try:
                    total += entry.stat().st_size
                except OSError:
                    pass
        return total

    def _fits(self, job: Deferred, result) -> bool:
        next_rows, _extra, parts = result
        return (len(parts) == len(job.sheets) == len(next_rows)
                and all(ws.default_row_height == self.default_pixels for ws in job.sheets)
                and all(os.path.dirname(path) == self.scratch
                        and os.path.basename(path).startswith(self._prefix) for path, _, _ in parts))

    @staticmethod
    def _append(job: Deferred, result) -> None:
        next_rows, extra, parts = result
        for ws, (path, last_row, last_col), next_row in zip(job.sheets, parts, next_rows):
            stream = RowStream(ws, 1)
            with open(path, "rb") as fh:
                stream.append(fh, last_row, last_col)
            os.remove(path)
            stream.close(next_row)
        job.next_rows, job.extra = next_rows, extra

    @staticmethod
    def _render_here(job: Deferred) -> None:
        streams: list[RowStream] = []

        def sink_for(i: int) -> RowStream:
            streams.append(RowStream(job.sheets[i], 1))
            return streams[-1]
        next_rows, extra = job.render(sink_for, *job.args)
        for stream, next_row in zip(streams, next_rows):
            stream.close(next_row)
        job.next_rows, job.extra = next_rows, extra

    def _remove_files(self) -> None:
        try:
            names = os.listdir(self.scratch)
        except OSError:
            return
        for name in names:
            if name.startswith(self._prefix):
                try:
                    os.remove(os.path.join(self.scratch, name))
                except OSError:
                    pass


# --- the other process -------------------------------------------------------------------

def _render_to_files(order: dict, k: int, render, args) -> tuple:
    sinks: list[tuple[str, Any, RowFile]] = []

    def sink_for(i: int) -> RowFile:
        path = os.path.join(order["scratch"], f"{order['prefix']}{k}-{i}.xml")
        fh = open(path, "wb")
        sinks.append((path, fh, RowFile(fh, order["default_pixels"])))
        return sinks[-1][2]
    try:
        next_rows, extra = render(sink_for, *args)
    finally:
        for _, fh, _ in sinks:
            fh.close()
    return next_rows, extra, [(path, sink.last_row, sink.last_col) for path, _, sink in sinks]


def _serve(order_file: str) -> int:
    """Read the order (pickled by the parent), render, answer on stdout."""

    ignore_interrupt()
    with open(order_file, "rb") as fh:
        order = pickle.load(fh)
    watch_parent(order["parent"])
    results = [_render_to_files(order, k, render, args) for k, (render, args) in enumerate(order["jobs"])]
    sys.stdout.buffer.write(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1]))
