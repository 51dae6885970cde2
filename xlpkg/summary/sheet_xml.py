"""Worksheet cells and rows as XML text, exactly as XlsxWriter writes them in constant_memory
mode (inline strings, no shared-string table), so a long table can be rendered with string
building instead of several XlsxWriter method calls per cell.

Pure functions: the worksheet state they need (format indices, the default row height) is
passed in by ``xlpkg.summary.xlsxwriter_rows``. ``tests/test_fast_rows.py`` checks the output byte
for byte against XlsxWriter's own.
"""
from __future__ import annotations

import re

__all__ = ["inline_string", "string_value", "number", "boolean", "blank", "row_start",
           "row_pixels"]

EXCEL_MAX_UTF16 = 32767
# Anything that needs more than copying: control characters (stored as _xHHHH_), a literal
# "_xHHHH_" (whose underscore is escaped so Excel does not decode it), the two non-characters
# U+FFFE/U+FFFF, and the XML specials. XlsxWriter applies the same rules (xmlwriter.py).
_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff&<>]|_x[0-9a-fA-F]{4}_")
_LITERAL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile("([\x00-\x08\x0b-\x1f])")


def _utf16_truncated(string: str) -> str:
    """At most 32,767 UTF-16 units (Excel's limit; an emoji counts two), never half a pair."""
    if len(string) <= EXCEL_MAX_UTF16 // 2 or \
            len(string.encode("utf-16-le", "surrogatepass")) // 2 <= EXCEL_MAX_UTF16:
        return string
    units = 0
    for index, char in enumerate(string):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > EXCEL_MAX_UTF16:
            return string[:index]
    return string


def _escaped(string: str) -> str:
    string = _LITERAL_ESCAPE.sub(r"_x005F\1", string)
    string = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", string)
    string = string.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    return string.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def string_value(string: str) -> str:
    """The part of a text cell after ``t="inlineStr">``: the escaped text and the closing
    tags. Depends on the text alone, so callers may cache it."""
    string = _utf16_truncated(string)
    if _SPECIAL.search(string):
        string = _escaped(string)
    # Leading or trailing whitespace survives only with xml:space="preserve" (str.isspace is
    # the same test as the regex \s XlsxWriter uses).
    if string[:1].isspace() or string[-1:].isspace():
        return f'<is><t xml:space="preserve">{string}</t></is></c>'
    return f"<is><t>{string}</t></is></c>"


def inline_string(ref: str, xf: int, string: str) -> str:
    """A text cell; ``xf`` 0 = no format."""
    style = f' s="{xf}"' if xf else ""
    return f'<c r="{ref}"{style} t="inlineStr">{string_value(string)}'


def number(ref: str, xf: int, value: float) -> str:
    style = f' s="{xf}"' if xf else ""
    return f'<c r="{ref}"{style}><v>{value:.16G}</v></c>'


def boolean(ref: str, xf: int, value: bool) -> str:
    style = f' s="{xf}"' if xf else ""
    return f'<c r="{ref}"{style} t="b"><v>{1 if value else 0}</v></c>'


def blank(ref: str, xf: int) -> str:
    """A formatted empty cell (an unformatted one is not written at all)."""
    return f'<c r="{ref}" s="{xf}"/>'


def row_pixels(height_pt: float) -> int:
    """The row height as XlsxWriter stores it (``set_row`` rounds points to whole pixels)."""
    return int(height_pt * 4.0 / 3.0 + 0.5)


def row_start(row: int, pixels: int | None, default_pixels: int) -> str:
    """``<row ...`` without its closing ``>``; ``pixels`` None = the default height."""
    if pixels is None or pixels == default_pixels:
        return f'<row r="{row + 1}"'
    return f'<row r="{row + 1}" ht="{pixels * 0.75:.16g}" customHeight="1"'
