"""A form whose zip headers under-state a part's size is never inflated past that size: the
reader stops at the declared size and says the file is damaged (issue 22, item 12)."""
from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from tests.documents.test_reliability_documents import bounded_run

SHEET = "xl/worksheets/sheet1.xml"


def understated_copy(src: Path, dst: Path, padding: int) -> Path:
    """``src`` with sheet1 padded by ``padding`` spaces before its end tag, its headers still
    declaring the original size."""
    with zipfile.ZipFile(src) as zin:
        original = zin.read(SHEET)
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename == SHEET:
                    data = data.replace(b"</worksheet>", b" " * padding + b"</worksheet>")
                zout.writestr(info, data)
    raw = bytearray(dst.read_bytes())
    name = SHEET.encode()
    for signature, size_at, name_len_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        at = raw.find(signature)
        while at != -1:
            length = struct.unpack_from("<H", raw, at + name_len_at)[0]
            if bytes(raw[at + name_at:at + name_at + length]) == name:
                raw[at + size_at:at + size_at + 4] = struct.pack("<I", len(original))
            at = raw.find(signature, at + 4)
    dst.write_bytes(bytes(raw))
    return dst


def test_an_understated_sheet_is_refused_without_inflating_it(filled_dir, tmp_path):
    form = next(filled_dir.glob("*.xlsx"))
    bad = understated_copy(form, tmp_path / "bad.xlsx", 300 * 2**20)
    assert bad.stat().st_size < 2 * 2**20
    out, peak = bounded_run(
        "from xlpkg.cli import main\n"
        f"print('RC', main(['read', {str(bad)!r}]))", tmp_path, limit_mb=1500)
    assert "Traceback" not in out and "RC " in out, out
    assert "RC 0" not in out, out           # not read as if it were whole
    assert peak < 400, peak                  # the 300 MB sheet was never inflated
