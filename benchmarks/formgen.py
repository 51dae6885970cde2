"""N distinct filled project forms in seconds, made at the zip level.

The seed's four projects are written once with ``xlpkg.workbook.writer.fill_workbook`` and, when
LibreOffice is installed, saved once by it (so the forms carry cached formula results and a
shared-string table, as forms saved by Excel/WPS do). Each generated form copies one of them
and rewrites only the XML that holds the department code, the project code and the amounts:
every form gets its own department (``per_dept`` forms each) and project code, and its amounts
(budget, fund uses, quarterly and year-end spending, and the cached sums that show them) are
multiplied by a whole factor 1–50, which keeps every sum exact and every rate unchanged.
Parts that do not change are compressed once and copied as raw bytes into each zip.

    from formgen import generate
    forms = generate(1000, Path("out"))     # [GeneratedForm(path, dept, code, factor, base)]
"""
from __future__ import annotations

import random
import re
import struct
import tempfile
import zlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from xlpkg.workbook import layout as L
from xlpkg.model import Project, load_project_json
from xlpkg.sources.named import sheet_parts

ROOT = Path(__file__).resolve().parent.parent
MONEY_NAMES = ("Budget", "YearBudget", "YearSpent", "UsesTotal", "UsesBalance", "MediumBudget",
               "MonSpent", "FundBudget", "FundYearBudget", "FundYearSpent", "EffBudget", "EffSpent",
               *(f"ActualQ{q}" for q in range(1, 5)))


@dataclass(frozen=True)
class GeneratedForm:
    path: Path
    dept: str
    code: str
    factor: int
    base: Project


def _money_cells() -> dict[str, set[str]]:
    """Cells holding amounts in 万元, per sheet: scaled together so every check still holds.
    Whatever amount names the template declares (``layout.NAMES``), every cell of each."""
    from xlpkg.cellref import bounds, col_letter

    cells: dict[str, set[str]] = {}

    def add(sheet: str, ref: str) -> None:
        c0, r0, c1, r1 = bounds(ref)
        cells.setdefault(sheet, set()).update(
            f"{col_letter(c)}{r}" for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))

    for name in MONEY_NAMES:
        if name in L.NAMES:
            add(L.NAMES[name].sheet, L.NAMES[name].ref)
    uses = L.NAMES["FundUses"]
    _, r0, c1, r1 = bounds(uses.ref)
    add(uses.sheet, f"{col_letter(c1)}{r0}:{col_letter(c1)}{r1}")   # the amount column
    if hasattr(L, "EVAL_BUDGET_COLS"):   # the 绩效自评 cell that shows Budget
        add(L.EVAL, f"{L.EVAL_BUDGET_COLS['budget']}{L.EVAL_BUDGET_ROW}")
    return cells


def _number_cells(refs: set[bytes]) -> re.Pattern:
    """The numeric value of any of ``refs``, with or without a formula before it."""
    alternatives = b"|".join(sorted(refs))
    return re.compile(rb'(<c r="(' + alternatives + rb')"[^>]*>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)?<v>)'
                      rb'([^<]+)(</v>)')


def _scale(xml: bytes, cells: re.Pattern, factor: int) -> bytes:
    def one(m: re.Match) -> bytes:
        try:
            value = Decimal(m[3].decode()) * factor
        except ArithmeticError:
            return m[0]
        return m[1] + format(value.normalize(), "f").encode() + m[4]
    return cells.sub(one, xml)


class _Base:
    """One filled form, its parts, and the unchanging parts already compressed."""

    def __init__(self, path: Path, project: Project):
        import zipfile

        self.project = project
        with zipfile.ZipFile(path) as zf:
            self.parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
        by_sheet = sheet_parts(path)
        money = _money_cells()
        self.money = {by_sheet[sheet]: _number_cells({r.encode() for r in refs})
                      for sheet, refs in money.items()}
        self.dept, self.code = project.dept_code.encode(), project.code.encode()
        self.varying = {name for name, data in self.parts.items()
                        if name in self.money or b">" + self.code + b"<" in data
                        or b">" + self.dept + b"<" in data}
        self.fixed = {name: _compress(data) for name, data in self.parts.items()
                      if name not in self.varying}

    def form(self, dept: str, code: str, factor: int) -> bytes:
        members = []
        for name, data in self.parts.items():
            if name not in self.varying:
                members.append((name, *self.fixed[name]))
                continue
            data = data.replace(b">" + self.code + b"<", b">" + code.encode() + b"<")
            data = data.replace(b">" + self.dept + b"<", b">" + dept.encode() + b"<")
            if name in self.money and factor != 1:
                data = _scale(data, self.money[name], factor)
            members.append((name, *_compress(data)))
        return _zip(members)


def _compress(data: bytes) -> tuple[int, int, bytes]:
    packer = zlib.compressobj(1, zlib.DEFLATED, -15)
    packed = packer.compress(data) + packer.flush()
    return zlib.crc32(data), len(data), packed


def _zip(members: list[tuple[str, int, int, bytes]]) -> bytes:
    """A plain deflate zip (what every .xlsx reader expects), written without recompressing."""
    body, central = bytearray(), bytearray()
    for name, crc, size, packed in members:
        raw = name.encode()
        offset = len(body)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, 8, 0, 0x21, crc, len(packed),
                            size, len(raw), 0) + raw + packed
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, 8, 0, 0x21, crc,
                               len(packed), size, len(raw), 0, 0, 0, 0, 0, offset) + raw
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                      len(body), 0)
    return bytes(body + central + end)


def bases(workdir: Path, *, libreoffice: bool | None = None) -> list[_Base]:
    """The four seed projects as filled forms (saved by LibreOffice when available)."""
    from xlpkg.libreoffice import harness as lo
    from xlpkg.workbook.writer import fill_workbook

    projects = [load_project_json(p) for p in sorted((ROOT / "examples").glob("*.json"))]
    filled = [fill_workbook(p, workdir / f"{p.code}.xlsx") for p in projects]
    use_lo = lo.available() if libreoffice is None else libreoffice
    if use_lo:
        filled = lo.recalculate(filled, workdir / "saved")
    return [_Base(Path(path), project) for path, project in zip(filled, projects)]


def generate(n: int, outdir: Path, *, seed: int = 1, per_dept: int = 50,
             libreoffice: bool | None = None, base_forms: list[_Base] | None = None
             ) -> list[GeneratedForm]:
    """``n`` distinct forms in ``outdir``: codes, departments and amounts vary."""
    outdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    if base_forms is None:
        with tempfile.TemporaryDirectory() as tmp:
            base_forms = bases(Path(tmp), libreoffice=libreoffice)
    out = []
    for i in range(n):
        base = base_forms[i % len(base_forms)]
        dept = f"{200000 + i // per_dept:06d}"
        code = f"{dept}B{base.project.year % 100:02d}DX{i % per_dept:04d}"
        factor = rng.randint(1, 50)
        path = outdir / f"{code}.xlsx"
        path.write_bytes(base.form(dept, code, factor))
        out.append(GeneratedForm(path, dept, code, factor, base.project))
    return out
