"""Benchmark `xlpkg consolidate` against a naive openpyxl pipeline and a bare python-calamine read.

    python benchmarks/consolidate.py 1000             # everything, ratios from this one run
    python benchmarks/consolidate.py 100000 --no-baselines --keep /tmp/forms100k

N distinct filled forms are generated at the zip level (``benchmarks/formgen.py``: the seed's
projects saved once by LibreOffice, then copied with new department and project codes and
scaled amounts). With the files in the page cache (when they fit; --cold: none), one run times:
  (b) the whole ``xlpkg consolidate DIR -o OUT`` command, as a subprocess: forms/s and peak
      memory (getrusage of the command and its workers, and the memory of the whole process
      tree sampled every 0.2 s: PSS, which counts a page its processes share once, and RSS);
  (b') the same work split in one subprocess: reading + merging (``consolidate()``) and writing
      the summary (``write_summary``, XlsxWriter constant_memory), each timed alone;
  (a) the naive baseline: ``openpyxl.load_workbook`` of each file, sequentially, with the same
      extraction and metrics (``read_checked_file(engine="openpyxl")``);
  (c) python-calamine opening every file and reading every sheet, nothing else, sequentially.
(a) and (c) read a sample of at most --sample files; rates (forms/s) are compared. The machine
is shared: wall-clock figures are noisy, ratios from one run are what to quote. Never run by
``make test``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import formgen  # noqa: E402


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bare_calamine(files: list[Path]) -> tuple[float, float]:
    import python_calamine

    cpu = time.process_time()
    started = time.perf_counter()
    for f in files:
        book = python_calamine.CalamineWorkbook.from_path(str(f))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
    return time.perf_counter() - started, time.process_time() - cpu


def naive_baseline(files: list[Path]) -> tuple[float, float]:
    from xlpkg.metrics import project_metrics
    from xlpkg.workbook.form_checks import read_checked_file
    from xlpkg.rules import load_rules

    rules = load_rules()
    cpu = time.process_time()
    started = time.perf_counter()
    for f in files:
        result = read_checked_file(f, rules=rules, engine="openpyxl")
        if result.project is not None:
            project_metrics(result.project, rules)
    return time.perf_counter() - started, time.process_time() - cpu


def _available_memory() -> int | None:
    """MemAvailable in bytes (Linux); None elsewhere."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _cache(files: list[Path], cold: bool) -> None:
    """The page cache as the run should find it: emptied (--cold, root on Linux), else warm
    for every contender alike when the forms fit in half the available memory. 100,000 forms
    (19 GB) do not fit on this machine: warming them would only evict the first ones again."""
    if cold:
        os.sync()
        try:
            Path("/proc/sys/vm/drop_caches").write_text("3\n")
        except OSError as exc:
            raise SystemExit(f"--cold needs root on Linux (to empty the page cache): {exc}")
        print("page cache emptied: every form is read from disk")
        return
    size = sum(f.stat().st_size for f in files)
    available = _available_memory()
    if available is not None and size > available // 2:
        print(f"forms ({size / 2**30:.1f} GB) exceed half the available memory "
              f"({available / 2**30:.1f} GB): not warmed, most are read from disk")
        return
    for f in files:   # page cache warm for every contender alike
        f.read_bytes()


def _resident_kb(pid: int, page_kb: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KB. PSS splits each page among the processes that share
    it (a forked worker or renderer shares most of its parent's pages), so PSS sums to the
    memory the tree really holds; RSS summed counts shared pages once per process. Without
    /proc/PID/smaps_rollup (Linux < 4.14) PSS is given as RSS."""
    with open(f"/proc/{pid}/statm") as fh:
        rss = int(fh.read().split()[1]) * page_kb
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return rss, int(line.split()[1])
    except OSError:
        pass
    return rss, rss


def _tree_kb(root_pid: int) -> tuple[int, int]:
    """(RSS, PSS) summed over a process and its descendants, in KB."""
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    pids, rss, pss = [root_pid], 0, 0
    while pids:
        pid = pids.pop()
        try:
            one_rss, one_pss = _resident_kb(pid, page_kb)
            with open(f"/proc/{pid}/task/{pid}/children") as fh:
                pids.extend(int(p) for p in fh.read().split())
        except (OSError, IndexError, ValueError):
            continue
        rss, pss = rss + one_rss, pss + one_pss
    return rss, pss


def _run(cmd: list[str]) -> tuple[float, tuple[int, int], str, str]:
    """Wall time, peak (RSS, PSS) of the process tree (KB, sampled), stdout, stderr."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    peak = [0, 0]

    def sample():
        while proc.poll() is None:
            rss, pss = _tree_kb(proc.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            time.sleep(0.2)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    sampler.join()
    if proc.returncode not in (0, 1):
        tail = "\n".join((stdout + stderr).strip().splitlines()[-20:])
        raise SystemExit(f"{cmd[2:4]} failed ({proc.returncode}):\n{tail}")
    return wall, (peak[0], peak[1]), stdout, stderr


_PHASES = """
import json, resource, sys, time
from xlpkg.consolidate import consolidate
from xlpkg.summary import write_summary
jobs = int(sys.argv[3]) if sys.argv[3] != "0" else None
t0 = time.perf_counter()
c = consolidate(sys.argv[1], jobs=jobs)
t1 = time.perf_counter()
write_summary(c, sys.argv[2], parallel=jobs != 1)   # as the command does
t2 = time.perf_counter()
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"read_merge_s": t1 - t0, "write_s": t2 - t1, "projects": c.project_count,
                  "issues": len(c.issues), "main_peak_kb": me.ru_maxrss, "worker_peak_kb": kids.ru_maxrss,
                  "cpu_main_s": me.ru_utime + me.ru_stime, "cpu_workers_s": kids.ru_utime + kids.ru_stime}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of forms to generate")
    parser.add_argument("--jobs", type=int, default=None, help="passed to xlpkg consolidate")
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR (reused if it holds N forms)")
    parser.add_argument("--sample", type=int, default=1000,
                        help="files read by the naive and bare-calamine baselines (default 1000)")
    parser.add_argument("--no-baselines", action="store_true", help="skip (a) and (c)")
    parser.add_argument("--no-phases", action="store_true", help="skip the split timing (b')")
    parser.add_argument("--cold", action="store_true",
                        help="empty the page cache first (root, Linux): forms read from disk")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="xlpkg-bench-"))
    try:
        folder = Path(args.keep) if args.keep else tmp / "forms"
        files = sorted(folder.glob("*.xlsx")) if folder.is_dir() else []
        if len(files) != args.n:
            shutil.rmtree(folder, ignore_errors=True)
            t0 = time.perf_counter()
            files = [g.path for g in formgen.generate(args.n, folder)]
            gen_s = time.perf_counter() - t0
            print(f"generated {len(files)} forms in {gen_s:.1f} s ({args.n / gen_s:.0f} forms/s, "
                  f"{sum(f.stat().st_size for f in files) / 2**20:.0f} MB)")
        _cache(files, cold=args.cold)
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        cpu0 = _cpu_children()
        cmd_s, tree_kb, out, _ = _run([sys.executable, "-m", "xlpkg", "consolidate", str(folder),
                                       "-o", str(tmp / "部门汇总.xlsx"), *jobs])
        cmd_cpu = _cpu_children() - cpu0
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"(b) xlpkg consolidate (whole command): {cmd_s:8.2f} s   {args.n / cmd_s:7.0f} forms/s   "
              f"CPU {cmd_cpu:.1f} s = {1000 * cmd_cpu / args.n:.2f} ms/form over all its processes")
        print(f"    peak memory: {tree_kb[1] / 1024:.0f} MB PSS summed over its processes (sampled; "
              f"RSS summed, shared pages counted per process: {tree_kb[0] / 1024:.0f} MB); "
              f"largest single process {kids.ru_maxrss / 1024:.0f} MB (getrusage)")
        print(f"    last line: {out.strip().splitlines()[-1]}")
        if not args.no_phases:
            if args.cold:
                _cache(files, cold=True)
            _, tree2_kb, out2, _ = _run([sys.executable, "-c", _PHASES, str(folder),
                                        str(tmp / "phases.xlsx"), str(args.jobs or 0)])
            ph = json.loads(out2.strip().splitlines()[-1])
            print(f"(b') read + merge: {ph['read_merge_s']:.2f} s ({args.n / ph['read_merge_s']:.0f} forms/s);"
                  f" write summary: {ph['write_s']:.2f} s; main process peak {ph['main_peak_kb'] / 1024:.0f} MB,"
                  f" largest worker {ph['worker_peak_kb'] / 1024:.0f} MB, tree {tree2_kb[1] / 1024:.0f} MB PSS;"
                  f" CPU main {ph['cpu_main_s']:.1f} s, workers {ph['cpu_workers_s']:.1f} s")
        if args.no_baselines:
            return 0
        sample = files[:: max(1, len(files) // args.sample)][: args.sample]
        cal_s, cal_cpu = bare_calamine(sample)
        cal_rate = len(sample) / cal_s
        print(f"(c) bare python-calamine, every sheet, {len(sample)} files: {cal_rate:7.0f} forms/s   "
              f"CPU {1000 * cal_cpu / len(sample):.2f} ms/form")
        base_s, base_cpu = naive_baseline(sample)
        base_rate = len(sample) / base_s
        print(f"(a) naive openpyxl pipeline, {len(sample)} files:         {base_rate:7.1f} forms/s   "
              f"CPU {1000 * base_cpu / len(sample):.2f} ms/form")
        rate = args.n / cmd_s
        print(f"speed-up of the command over the naive pipeline (b/a): {rate / base_rate:5.1f}× wall, "
              f"{(base_cpu / len(sample)) / (cmd_cpu / args.n):5.1f}× in CPU per form   (goal ≥ 30× wall)")
        print(f"command vs bare calamine read (b/c):                    {rate / cal_rate:5.2f}× wall, "
              f"{(cal_cpu / len(sample)) / (cmd_cpu / args.n):5.2f}× in CPU per form")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
