"""Worker processes that read project forms: one file's crash costs that file, never the run.

A worker can die without a Python exception: the kernel's OOM killer, a segfault in a native
reader, ``os._exit`` in a library. ``ProcessPoolExecutor`` then fails every pending task with
``BrokenProcessPool``. Here each worker marks in shared memory which file it is reading, so
after a break the files in flight are known: they are retried one at a time in a pool of
their own (the one that kills its pool again becomes an issue row), and every other file that
had not finished is simply read again in a fresh pool.

Workers also leave when their parent does (no orphans after a kill -9 of the command), and
each worker's address space is capped so that one absurd file fails with MemoryError in its
own process instead of taking the machine's memory.
"""
from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Iterator

from ..rules import Rules
from ..system.child import ignore_interrupt, watch_parent
from .outcome import FileOutcome, read_one, rule_issue
from .readahead import ahead

__all__ = ["read_in_workers", "WORKER_MEMORY_BYTES"]

# Address space a worker may add to what it inherits: a form needs a few MB, a worker's
# imports about 100 MB; the margin is for pathological but legitimate files.
WORKER_MEMORY_BYTES = 2 * 1024 ** 3
IN_FLIGHT_PER_WORKER = 4   # submitted chunks per worker: enough to keep both cores busy

# --- in the worker -----------------------------------------------------------------------

_state: dict = {}


def _init(slots, counter, rules, year, parent_pid: int, reader=None) -> None:
    with counter.get_lock():
        _state["slot"] = counter.value % len(slots)
        counter.value += 1
    _state.update(slots=slots, rules=rules, year=year, reader=reader)
    watch_parent(parent_pid)
    _cap_memory()
    ignore_interrupt()


def _cap_memory() -> None:
    try:
        import resource

        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = current + WORKER_MEMORY_BYTES
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass   # not Linux: no cap, the readers themselves stay bounded


def _read_files(chunk: list[tuple[int, str]]) -> list[FileOutcome]:
    slots, slot = _state["slots"], _state["slot"]
    read = _state["reader"] or read_one   # looked up per chunk: tests replace read_one
    out = []
    paths = [path for _, path in chunk]
    try:
        for (index, _), path in zip(chunk, ahead(paths)):
            slots[slot] = index
            out.append(read(path, _state["rules"], _state["year"]))
    finally:
        slots[slot] = -1
    return out


# --- in the parent -----------------------------------------------------------------------

def _died(path: str, rules: Rules) -> FileOutcome:
    return FileOutcome(path, [rule_issue(
        rules, "form.unreadable",
        "读取该文件时处理进程异常退出（可能是内存不足或文件触发了读取程序崩溃），已跳过该文件；"
        "其他文件不受影响。请在 Excel/WPS 中打开该文件检查后另存再提交", file=path)])


def _failed(path: str, rules: Rules, exc: BaseException) -> FileOutcome:
    return FileOutcome(path, [rule_issue(
        rules, "form.unreadable", f"读取文件时出现意外错误（{type(exc).__name__}: {exc}）", file=path)])


def _round(chunks: list[list[tuple[int, str]]], workers: int, rules: Rules, year: int | None,
           reader=None) -> Iterator[FileOutcome]:
    """Read ``chunks`` in one pool; on a break, return (unfinished chunks, suspect indexes)."""
    ctx = mp.get_context()
    slots = ctx.RawArray("q", [-1] * workers)
    counter = ctx.Value("i", 0)
    todo = list(reversed(chunks))
    running: dict[Future, list[tuple[int, str]]] = {}
    unfinished: list[list[tuple[int, str]]] = []
    broken = False
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init,
                               initargs=(slots, counter, rules, year, os.getpid(), reader))
    try:
        while todo or running:
            while todo and not broken and len(running) < workers * IN_FLIGHT_PER_WORKER:
                chunk = todo.pop()
                try:
                    running[pool.submit(_read_files, chunk)] = chunk
                except BrokenProcessPool:
                    broken = True
                    unfinished.append(chunk)
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                chunk = running.pop(future)
                try:
                    outcomes = future.result()
                except BrokenProcessPool:
                    broken = True
                    unfinished.append(chunk)
                    continue
                except Exception as exc:   # noqa: BLE001 - e.g. a result that cannot be pickled
                    outcomes = [_failed(path, rules, exc) for _, path in chunk]
                yield from outcomes
        unfinished.extend(reversed(todo))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    suspects = {i for i in slots if i >= 0} if broken else set()
    return unfinished, suspects


def read_in_workers(files: list[str], rules: Rules, year: int | None, workers: int,
                    chunks: list[list[str]], read_file=None) -> Iterator[FileOutcome]:
    """Every file's outcome, in completion order, whatever happens to the workers.

    ``read_file(path, rules, year)``: a module-level function returning a FileOutcome (default
    ``outcome.read_one``); the history store's reader adds the exact metrics."""
    index = {path: i for i, path in enumerate(files)}
    pending = [[(index[p], p) for p in chunk] for chunk in chunks]
    while pending:
        unfinished, suspects = yield from _round(pending, workers, rules, year, read_file)
        suspects &= {i for chunk in unfinished for i, _ in chunk}   # finished ones are safe
        if unfinished and not suspects:
            # A death outside any file (e.g. while starting): the first unfinished chunk is
            # isolated, so every round makes progress and the loop ends.
            suspects = {i for i, _ in unfinished[0]}
        pending = [kept for chunk in unfinished
                   if (kept := [(i, p) for i, p in chunk if i not in suspects])]
        for i in sorted(suspects):
            alone, _ = yield from _round([[(i, files[i])]], 1, rules, year, read_file)
            if alone:
                yield _died(files[i], rules)
