"""Benchmark writing the summary workbook: the fast row writer against the old per-cell one.

    python benchmarks/write_summary.py 1000 --forms /tmp/forms1k
    python benchmarks/write_summary.py 10000 --forms /tmp/my-forms10k   # generated if empty

A Consolidation of N projects is built once (``consolidate()`` on forms from
``benchmarks/formgen.py``) and pickled; each writer then runs in its own fresh subprocess
(so peak memory is its own): ``write_summary`` with the rows rendered by
``xlpkg.summary.rows`` ("new"), and with every cell written through XlsxWriter's public API
(``tests/legacy_summary_writer.py``, "old"). Reported per writer: CPU ms per project for the
whole ``write_summary`` and for its row writing alone (the tables, goals and data sheet),
XlsxWriter's ``close`` (zip deflate), and peak RSS. The machine is shared: compare the two
writers from one run. Never run by ``make test``.
"""
from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

_WRITE = r"""
import json, pickle, resource, sys, time
sys.path[:0] = [sys.argv[4], sys.argv[4] + "/tests"]
import xlsxwriter.workbook
from xlpkg import summary

with open(sys.argv[1], "rb") as f:
    consolidation = pickle.load(f)
peak_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:    # reset the peak (VmHWM) so the write's own peak shows, not the unpickling's
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
except OSError:
    pass

def hwm_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
rss_before_kb = int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize() // 1024
spent = {"rows": 0.0, "close": 0.0}

def timed(part, function):
    def run(*args, **kwargs):
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[part] += time.process_time() - started
    return run

def write():
    summary.write_table_rows = timed("rows", summary.write_table_rows)
    summary.write_rows = timed("rows", summary.write_rows)
    xlsxwriter.workbook.Workbook.close = timed("close", xlsxwriter.workbook.Workbook.close)
    started, wall = time.process_time(), time.perf_counter()
    summary.write_summary(consolidation, sys.argv[2])
    return time.process_time() - started, time.perf_counter() - wall

if sys.argv[3] == "old":
    from legacy_summary_writer import per_cell_writer
    with per_cell_writer():
        cpu, wall = write()
else:
    cpu, wall = write()
print(json.dumps({"cpu_s": cpu, "wall_s": wall, **spent, "rss_before_kb": rss_before_kb,
                  "peak_before_kb": peak_before_kb, "write_peak_kb": hwm_kb(),
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "projects": consolidation.project_count}))
"""


def _consolidation(forms: Path, n: int, jobs: int | None, work: Path) -> Path:
    from xlpkg.consolidate import consolidate

    files = sorted(forms.glob("*.xlsx")) if forms.is_dir() else []
    if len(files) < n:
        import formgen

        t0 = time.perf_counter()
        formgen.generate(n, forms)
        print(f"generated {n} forms into {forms} in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    c = consolidate(forms, jobs=jobs)
    print(f"consolidated {c.project_count} projects in {time.perf_counter() - t0:.1f} s")
    path = work / "consolidation.pickle"
    path.write_bytes(pickle.dumps(c, protocol=pickle.HIGHEST_PROTOCOL))
    return path


def _run(pickled: Path, out: Path, writer: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", _WRITE, str(pickled), str(out), writer,
                           str(ROOT)], capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"{writer} writer failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="projects (forms generated if --forms has fewer)")
    parser.add_argument("--forms", type=Path, help="folder of forms (default: a temporary one)")
    parser.add_argument("--jobs", type=int, default=None, help="passed to consolidate()")
    parser.add_argument("--writers", default="old,new", help="which writers to run (old,new)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="xlpkg-write-bench-") as tmp:
        work = Path(tmp)
        pickled = _consolidation(args.forms or work / "forms", args.n, args.jobs, work)
        results = {}
        for writer in args.writers.split(","):
            r = results[writer] = _run(pickled, work / f"{writer}.xlsx", writer)
            per = 1000 / r["projects"]
            size = (work / f"{writer}.xlsx").stat().st_size
            print(f"{writer}: write_summary CPU {r['cpu_s'] * per:6.3f} ms/project "
                  f"(rows {r['rows'] * per:6.3f}, XlsxWriter close {r['close'] * per:6.3f}, "
                  f"other {(r['cpu_s'] - r['rows'] - r['close']) * per:6.3f}); "
                  f"wall {r['wall_s']:.2f} s; peak RSS while writing {r['write_peak_kb'] / 1024:.0f} MB "
                  f"(+{(r['write_peak_kb'] - r['rss_before_kb']) / 1024:.0f} MB over the loaded "
                  f"consolidation); {size / 2**20:.1f} MB file")
        if {"old", "new"} <= results.keys():
            old, new = results["old"], results["new"]
            print(f"new is {old['cpu_s'] / new['cpu_s']:.1f}x cheaper in CPU for the whole "
                  f"write_summary, {old['rows'] / new['rows']:.1f}x for the rows alone")
    return 0


if __name__ == "__main__":
    sys.exit(main())
