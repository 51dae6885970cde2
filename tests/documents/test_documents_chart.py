"""The dependency-free PNG chart: a valid image whose bars have the heights of the values."""
from __future__ import annotations

import pymupdf

from xlpkg.documents.chart import ACTUAL_COLOR, PLAN_COLOR, progress_chart_png


def _columns(png: bytes, color) -> dict[int, int]:
    """x → number of pixels of ``color`` in that column."""
    pix = pymupdf.Pixmap(png)
    assert (pix.width, pix.height) == (900, 420) and pix.n == 3
    data, out = pix.samples, {}
    for y in range(pix.height):
        for x in range(pix.width):
            i = (y * pix.width + x) * 3
            if tuple(data[i:i + 3]) == color:
                out[x] = out.get(x, 0) + 1
    return out


def test_bars_are_as_tall_as_the_values():
    png = progress_chart_png(["25", "50", "75", "100"], [None, "50", "80", "120"])
    plan, actual = _columns(png, PLAN_COLOR), _columns(png, ACTUAL_COLOR)
    heights = lambda cols: sorted(set(cols.values()))           # noqa: E731
    span = 420 - 50 - 20                                          # plot height in pixels
    top = 125                                                     # 120 % rounds the scale up to 125 %
    assert heights(plan) == [int(v / top * span) for v in (25, 50, 75, 100)]
    assert heights(actual) == [int(v / top * span) for v in (50, 80, 120)]   # no Q1 bar
    assert min(actual) > min(plan)                                # Q1 has only the plan bar
