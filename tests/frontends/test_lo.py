"""LibreOffice harness (xlpkg.libreoffice.harness): recalculation is real, stale cached values are not trusted."""
from __future__ import annotations

import os
import re
import shutil
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Protection
from openpyxl.workbook.defined_name import DefinedName

from xlpkg.libreoffice import harness as lo

SHEET = "绩效自评"


def _require_libreoffice() -> None:
    if lo.available():
        return
    if os.environ.get("XLPKG_REQUIRE_LIBREOFFICE") == "1":
        pytest.fail("XLPKG_REQUIRE_LIBREOFFICE=1 but LibreOffice is missing "
                    "(need soffice and python3-uno for /usr/bin/python3)")
    pytest.skip("LibreOffice (soffice + python3-uno) not installed")


@pytest.fixture(autouse=True)
def libreoffice():
    _require_libreoffice()


def _make_book(path: Path, a1=2) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws["A1"] = a1
    ws["A1"].protection = Protection(locked=False)
    ws["A2"] = "=A1*3"
    ws["A3"] = "=A1/0"
    ws["A4"] = '=IF(A2>10,"达成","未达成")'
    ws["B1"] = "执行率"
    ws.protection.sheet = True
    wb.defined_names["自评得分"] = DefinedName("自评得分", attr_text=f"'{SHEET}'!$A$1:$A$2")
    wb.save(path)
    return path


CELLS = [f"{SHEET}!A1", f"{SHEET}!A2", f"{SHEET}!A3", f"{SHEET}!A4", f"{SHEET}!B1", f"{SHEET}!C9"]


def _cached(path: Path, ref: str):
    return load_workbook(path, data_only=True)[SHEET][ref].value


def test_recalculate_then_stale_cache_is_not_trusted(tmp_path):
    src = _make_book(tmp_path / "项目.xlsx")
    assert _cached(src, "A2") is None  # openpyxl stores no values: nothing to trust yet

    t0 = time.perf_counter()
    (out,) = lo.recalculate([src], tmp_path / "out")
    per_call = time.perf_counter() - t0
    print(f"\nsoffice per call (recalculate, 1 file): {per_call:.2f} s; {lo.last_timings}")
    assert out == (tmp_path / "out" / "项目.xlsx").resolve()
    assert _cached(out, "A2") == 6  # LibreOffice computed and stored the result
    assert _cached(out, "A4") == "未达成"

    # 1) openpyxl edit of the recalculated file. (openpyxl drops every cached formula value
    #    when it saves, so this alone does not leave a stale cache behind.)
    wb = load_workbook(out)
    wb[SHEET]["A1"] = 5
    edited = tmp_path / "edited_openpyxl.xlsx"
    wb.save(edited)
    r = lo.inspect(edited, CELLS)
    assert r["values"][f"{SHEET}!A2"] == 15.0

    # 2) a genuinely stale file: change A1's stored value in the sheet XML, keep A2's cached 6.
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(out) as zin, zipfile.ZipFile(stale, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                text, n = re.subn(r'(<c r="A1"[^>]*>\s*<v>)2(</v>)', r"\g<1>5\g<2>", text)
                assert n == 1, "A1 not found as a stored number"
                data = text.encode("utf-8")
            zout.writestr(item, data)
    assert _cached(stale, "A1") == 5 and _cached(stale, "A2") == 6  # stale: 6 ≠ 5 × 3

    r = lo.inspect(stale, CELLS, names=["自评得分"])
    assert r["values"][f"{SHEET}!A2"] == 15.0  # recomputed, cache not trusted
    assert r["values"][f"{SHEET}!A4"] == "达成"
    assert r["names"]["自评得分"] == [[5.0], [15.0]]

    # recalc=False shows what the file claims (proves the flag and the stale state)
    r = lo.inspect(stale, [f"{SHEET}!A2"], recalc=False)
    assert r["values"][f"{SHEET}!A2"] == 6.0

    # and recalculate() writes corrected caches
    (fixed,) = lo.recalculate([stale], tmp_path / "fixed")
    assert _cached(fixed, "A2") == 15


def test_inspect_reports_values_protection_formulas_errors(tmp_path):
    src = _make_book(tmp_path / "book.xlsx")
    r = lo.inspect(src, CELLS, names=["自评得分"])
    v = r["values"]
    assert v[f"{SHEET}!A1"] == 2.0 and isinstance(v[f"{SHEET}!A1"], float)
    assert v[f"{SHEET}!A2"] == 6.0
    assert v[f"{SHEET}!B1"] == "执行率"
    assert v[f"{SHEET}!C9"] is None
    assert v[f"{SHEET}!A3"] is None and r["errors"] == {f"{SHEET}!A3": "#DIV/0!"}
    assert r["locked"][f"{SHEET}!A1"] is False
    assert r["locked"][f"{SHEET}!A2"] is True
    assert r["sheet_protected"] == {SHEET: True}
    assert r["formulas"][f"{SHEET}!A1"] is None
    assert r["formulas"][f"{SHEET}!A2"] == "=A1*3"
    assert r["formulas"][f"{SHEET}!A4"] == '=IF(A2>10,"达成","未达成")'  # Excel syntax, commas
    assert r["names"] == {"自评得分": [[2.0], [6.0]]}
    # quoted sheet names and absolute references are accepted
    q = lo.inspect(src, [f"'{SHEET}'!$A$2"])
    assert q["values"] == {f"'{SHEET}'!$A$2": 6.0}


def test_recalculate_many_files_in_one_call(tmp_path):
    srcs = [_make_book(tmp_path / f"p{i}.xlsx", a1=i) for i in range(1, 4)]
    outs = lo.recalculate(srcs, tmp_path / "out")
    assert [p.name for p in outs] == ["p1.xlsx", "p2.xlsx", "p3.xlsx"]
    assert [_cached(p, "A2") for p in outs] == [3, 6, 9]
    assert not list((tmp_path / "out").glob(".*"))  # no temporary files left behind
    # the recalculated file keeps protection, the unlocked input and the defined name
    wb = load_workbook(outs[0])
    ws = wb[SHEET]
    assert ws.protection.sheet
    assert ws["A1"].protection.locked is False and ws["A2"].protection.locked is True
    assert "自评得分" in wb.defined_names


def test_parallel_calls_do_not_collide(tmp_path):
    srcs = [_make_book(tmp_path / f"q{i}.xlsx", a1=i) for i in (7, 8)]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda p: lo.inspect(p, [f"{SHEET}!A2"]), srcs))
    assert [r["values"][f"{SHEET}!A2"] for r in results] == [21.0, 24.0]


def test_render_pdf(tmp_path):
    src = _make_book(tmp_path / "表.xlsx")
    pdf = lo.render_pdf(src, tmp_path / "pdf")
    assert pdf.name == "表.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_missing_file_and_bad_reference(tmp_path):
    with pytest.raises(FileNotFoundError):
        lo.inspect(tmp_path / "nope.xlsx", [])
    src = _make_book(tmp_path / "b.xlsx")
    with pytest.raises(lo.LibreOfficeError, match="sheet not found"):
        lo.inspect(src, ["不存在!A1"])


def test_unavailable_is_reported_clearly(monkeypatch, tmp_path):
    monkeypatch.setenv("XLPKG_SOFFICE", str(tmp_path / "no-soffice"))
    assert lo.available() is False
    with pytest.raises(lo.LibreOfficeError, match="LibreOffice"):
        lo.inspect(_make_book(tmp_path / "c.xlsx"), [])
    if shutil.which("soffice"):
        monkeypatch.delenv("XLPKG_SOFFICE")
        assert lo.available() is True
