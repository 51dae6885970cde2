"""What a summary cell may hold: blank for missing or non-finite numbers, text that any
workbook can store (valid UTF-8, at most Excel's 32,767 characters)."""
from __future__ import annotations

import math
from typing import Any

__all__ = ["EXCEL_MAX_TEXT", "blank", "text", "encodable"]

EXCEL_MAX_TEXT = 32767          # characters in one cell


def blank(value: Any) -> bool:
    # NaN/inf never reach here from consolidation (the form is an issue row instead), but the
    # writer must not die on one: XlsxWriter refuses them and the whole department is lost.
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def text(value: Any) -> str:
    string = value if isinstance(value, str) else str(value)
    return encodable(string)[:EXCEL_MAX_TEXT]


def encodable(string: str) -> str:
    """Text the workbook can store: a file name with bytes that are not UTF-8 arrives as lone
    surrogates (Python's surrogateescape), which would make the whole summary unwritable."""
    try:
        string.encode("utf-8")
        return string
    except UnicodeEncodeError:
        try:
            return string.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:
            return string.encode("utf-8", "backslashreplace").decode("utf-8")
