"""Benchmark `xlpkg consolidate` against a naive openpyxl baseline and bare python-calamine.

    python benchmarks/consolidate.py 1000            # all three timings and the ratios
    python benchmarks/consolidate.py 10000 --memory  # the command only: time and peak memory

N filled project forms are generated (the four seed projects written once with
``xlpkg.writer.fill_workbook``, then copied with new project codes and scaled amounts by
editing the copies' XML, which is 100× faster than filling each one). In one run, with the files
in the page cache, it times:
  (a) the naive baseline: sequential ``openpyxl.load_workbook`` of every file and the same
      extraction and metrics (``read_project_file(engine="openpyxl")`` + ``project_metrics``);
  (b) the whole ``xlpkg consolidate DIR -o OUT`` command as a subprocess;
  (c) python-calamine opening every file and reading every sheet, nothing else.
Results are ratios on this machine, never asserted wall-clock numbers.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xlpkg import layout as L  # noqa: E402
from xlpkg.model import load_project_json  # noqa: E402

MONEY_NAMES = ("Budget", "YearSpent", *(f"ActualQ{q}" for q in range(1, 5)))


def _sheet_files(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → part name, from the workbook and its relationships."""
    book = zf.read("xl/workbook.xml").decode()
    rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    targets = dict(re.findall(r'Id="([^"]+)"[^>]*Target="([^"]+)"', rels)) or {
        rid: target for target, rid in re.findall(r'Target="([^"]+)"[^>]*Id="([^"]+)"', rels)}
    out = {}
    for name, rid in re.findall(r'<sheet[^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', book):
        target = targets[rid].lstrip("/")
        out[name] = target if target.startswith("xl/") else f"xl/{target}"
    return out


def _money_cells() -> dict[str, set[str]]:
    """Cells holding amounts in 万元, per sheet: scaled together so every check still holds."""
    cells: dict[str, set[str]] = {}
    for name in MONEY_NAMES:
        sheet, col, row = L.first_cell(name)
        cells.setdefault(sheet, set()).add(f"{col}{row}")
    sheet, col, row = L.first_cell("FundUses")
    amount_col = L.USE_COLS["amount"]
    cells[sheet].update(f"{amount_col}{r}" for r in range(L.USES_FIRST, L.USES_LAST + 1))
    return cells


def _scale_cells(xml: str, refs: set[str], factor: Decimal) -> str:
    def scale(m: re.Match) -> str:
        if m[2] not in refs:
            return m[0]
        value = (Decimal(m[4]) * factor).quantize(Decimal("0.01"))
        return f"{m[1]}{m[3]}<v>{value}</v>"
    return re.sub(r'(<c r="([A-Z]+[0-9]+)")([^>]*>)<v>([^<]+)</v>', scale, xml)


def generate(n: int, outdir: Path, seed: int = 1) -> list[Path]:
    """N forms: the seed projects with unique codes and amounts scaled by 0.50–2.00."""
    from xlpkg.writer import fill_workbook

    rng = random.Random(seed)
    bases = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted((ROOT / "examples").glob("*.json")):
            project = load_project_json(path)
            base = fill_workbook(project, Path(tmp) / f"{project.code}.xlsx")
            with zipfile.ZipFile(base) as zf:
                parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
                sheets = _sheet_files(zf)
            bases.append((project, parts, sheets))
    money = _money_cells()
    out = []
    for i in range(n):
        project, parts, sheets = bases[i % len(bases)]
        code = f"{project.dept_code}B{project.year % 100:02d}{'XYZW'[i % 4]}{chr(65 + i // 10000 % 26)}{i % 10000:04d}"
        factor = Decimal(rng.randint(50, 200)) / 100
        # The code is a string cell: shared or inline, depending on the writer.
        new = {name: data.replace(f">{project.code}<".encode(), f">{code}<".encode())
               if name.endswith(".xml") else data for name, data in parts.items()}
        for sheet, refs in money.items():
            part = sheets[sheet]
            new[part] = _scale_cells(new[part].decode(), refs, factor).encode()
        path = outdir / f"{code}.xlsx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for name, data in new.items():
                zf.writestr(name, data)
        out.append(path)
    return out


def bare_calamine(files: list[Path]) -> float:
    import python_calamine

    started = time.perf_counter()
    for f in files:
        book = python_calamine.CalamineWorkbook.from_path(str(f))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
    return time.perf_counter() - started


def naive_baseline(files: list[Path]) -> float:
    from xlpkg.metrics import project_metrics
    from xlpkg.reader import read_project_file
    from xlpkg.rules import load_rules

    rules = load_rules()
    started = time.perf_counter()
    for f in files:
        result = read_project_file(f, rules=rules, engine="openpyxl")
        if result.project is not None:
            project_metrics(result.project, rules)
    return time.perf_counter() - started


def _tree_rss_kb(root_pid: int) -> int:
    """Resident memory of a process and its descendants, from /proc/PID/statm.

    statm is cheap to read; smaps_rollup (PSS) walks the page tables under the process's
    memory lock and slowed the measured command 3× when sampled. The sum counts pages the
    forked workers share with their parent twice, so it is an upper bound.
    """
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    pids, total = [root_pid], 0
    while pids:
        pid = pids.pop()
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * page_kb
            with open(f"/proc/{pid}/task/{pid}/children") as fh:
                pids.extend(int(p) for p in fh.read().split())
        except (OSError, IndexError, ValueError):
            continue
    return total


def run_command(folder: Path, out: Path, jobs: int | None) -> tuple[float, int, int, str]:
    """Wall time, peak RSS summed over the process tree (KB, sampled every 0.2 s), peak RSS of
    its largest process (KB, from getrusage), and the command's last line."""
    cmd = [sys.executable, "-m", "xlpkg", "consolidate", str(folder), "-o", str(out)]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    peak = [0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            time.sleep(0.2)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    sampler.join()
    if proc.returncode not in (0, 1):
        tail = "\n".join((stdout + stderr).strip().splitlines()[-20:])
        raise SystemExit(f"xlpkg consolidate failed ({proc.returncode}):\n{tail}")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak[0], rss, stdout.strip().splitlines()[-1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of forms to generate")
    parser.add_argument("--memory", action="store_true",
                        help="only the command: time and peak memory (for 10,000 forms)")
    parser.add_argument("--jobs", type=int, default=None, help="passed to xlpkg consolidate")
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep the files")
    args = parser.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="xlpkg-bench-")
    try:
        folder = Path(args.keep) if args.keep else Path(tmp) / "forms"
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        files = generate(args.n, folder)
        print(f"generated {len(files)} forms in {time.perf_counter() - t0:.1f} s "
              f"({sum(f.stat().st_size for f in files) / 2**20:.1f} MB)")
        for f in files:   # page cache warm for every contender alike
            f.read_bytes()
        out = Path(tmp) / "部门汇总.xlsx"
        cmd_s, tree_kb, rss_kb, last = run_command(folder, out, args.jobs)
        print(f"(b) xlpkg consolidate (whole command): {cmd_s:8.2f} s   {args.n / cmd_s:7.0f} forms/s")
        print(f"    peak memory: {tree_kb / 1024:.0f} MB RSS summed over its processes, "
              f"{rss_kb / 1024:.0f} MB RSS of the largest (getrusage)")
        print(f"    last line: {last}")
        if args.memory:
            return 0
        cal_s = bare_calamine(files)
        print(f"(c) bare python-calamine, every sheet:   {cal_s:8.2f} s   {args.n / cal_s:7.0f} forms/s")
        base_s = naive_baseline(files)
        print(f"(a) naive openpyxl baseline:             {base_s:8.2f} s   {args.n / base_s:7.0f} forms/s")
        print(f"speed-up over the baseline (a/b): {base_s / cmd_s:5.1f}×   (target ≥ 20×)")
        print(f"command vs bare calamine (b/c):   {cmd_s / cal_s:5.2f}×   (target ≤ 2×)")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
