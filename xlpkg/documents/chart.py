"""A small bar chart as PNG, without a plotting library: planned vs actual cumulative
progress per quarter.

matplotlib would bring ~40 MB (numpy, pillow, fonts) into an install whose only picture is
this one; the chart is four pairs of bars, so it is drawn here pixel by pixel and encoded with
zlib. Axis numbers use a built-in 3×5 digit font; the Chinese legend and the exact numbers stand
in the document under the picture (so the numbers stay searchable text in the PDF).
"""
from __future__ import annotations

import struct
import zlib
from decimal import Decimal

__all__ = ["progress_chart_png", "PLAN_COLOR", "ACTUAL_COLOR"]

PLAN_COLOR = (91, 155, 213)       # blue: 计划累计进度
ACTUAL_COLOR = (237, 125, 49)     # orange: 实际累计进度
_GRID = (217, 217, 217)
_AXIS = (64, 64, 64)

_GLYPHS = {   # 3 columns × 5 rows, one string per row
    "0": ["111", "101", "101", "101", "111"], "1": ["010", "110", "010", "010", "111"],
    "2": ["111", "001", "111", "100", "111"], "3": ["111", "001", "111", "001", "111"],
    "4": ["101", "101", "111", "001", "001"], "5": ["111", "100", "111", "001", "111"],
    "6": ["111", "100", "111", "101", "111"], "7": ["111", "001", "010", "010", "010"],
    "8": ["111", "101", "111", "101", "111"], "9": ["111", "101", "111", "001", "111"],
    "%": ["101", "001", "010", "100", "101"], "Q": ["111", "101", "101", "111", "001"],
}


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(b"\xff" * (width * height * 3))

    def rect(self, x0: int, y0: int, x1: int, y1: int, color) -> None:
        x0, x1 = max(0, min(x0, x1)), min(self.width, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.height, max(y0, y1))
        line = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            start = (y * self.width + x0) * 3
            self.pixels[start:start + len(line)] = line

    def text(self, x: int, y: int, text: str, scale: int = 3, color=_AXIS) -> None:
        for ch in text:
            glyph = _GLYPHS.get(ch)
            if glyph:
                for row, bits in enumerate(glyph):
                    for col, bit in enumerate(bits):
                        if bit == "1":
                            self.rect(x + col * scale, y + row * scale,
                                      x + (col + 1) * scale, y + (row + 1) * scale, color)
            x += 4 * scale

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(self.pixels[y * self.width * 3:(y + 1) * self.width * 3])
                       for y in range(self.height))

        def chunk(kind: bytes, data: bytes) -> bytes:
            return (struct.pack(">I", len(data)) + kind + data
                    + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def progress_chart_png(plan: list, actual: list, width: int = 900, height: int = 420) -> bytes:
    """Grouped bars per quarter (percent of budget): plan (blue) and actual (orange).
    Missing values draw no bar; the scale reaches 100 % or the largest value."""
    values = [Decimal(v) for v in [*plan, *actual] if v is not None]
    top = max([Decimal(100), *values])
    top = int((top + 24) // 25 * 25)
    canvas = _Canvas(width, height)
    left, right, bottom, upper = 90, width - 20, height - 50, 20
    span = bottom - upper

    def y_of(value) -> int:
        return bottom - int(Decimal(value) / top * span)

    for tick in range(0, top + 1, 25):
        y = y_of(tick)
        canvas.rect(left, y, right, y + 1, _GRID)
        label = f"{tick}%"
        canvas.text(left - 12 - len(label) * 12, y - 7, label)
    group = (right - left) / 4
    bar = int(group / 4)
    for q in range(4):
        x = int(left + group * q + group / 2)
        for value, color, offset in ((plan[q] if q < len(plan) else None, PLAN_COLOR, -bar - 2),
                                     (actual[q] if q < len(actual) else None, ACTUAL_COLOR, 2)):
            if value is not None:
                canvas.rect(x + offset, y_of(max(Decimal(value), Decimal(0))), x + offset + bar, bottom, color)
        canvas.text(x - 11, bottom + 14, f"Q{q + 1}")
    canvas.rect(left, upper, left + 2, bottom + 1, _AXIS)
    canvas.rect(left, bottom, right, bottom + 2, _AXIS)
    return canvas.png()
