"""The Calc add-in functions: what LibreOffice sends → ``xlpkg.frontends.functions`` → a cell.

Runs inside LibreOffice's Python (called by ``oxt/xlpkg_component.py``) and imports no uno:
Calc hands an add-in plain Python values, and takes a tuple of tuples back.

What Calc sends for an ``any`` argument: a float or a str for a single cell or a constant
(an EMPTY single cell arrives as 0.0: Calc's rule, the add-in cannot tell it from a zero,
so EXEC_RATE(A2;B2) with A2 blank gives 0 where Excel gives a blank; A2:A2 gives the blank),
a tuple of row tuples for a range (empty cells are ``""``), ``None`` for an omitted optional
argument. Every function is declared to return ``sequence<sequence<any>>``: a scalar result
is one cell, which a normal formula shows; a range result fills an array formula
(Ctrl+Shift+Enter), as in Excel 2010.
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from ..frontends import functions as F

__all__ = ["call", "to_cells", "warm_up", "date_text", "FUNCTIONS_BY_SHEET_NAME"]

FUNCTIONS_BY_SHEET_NAME = {f.sheet_name: f for f in F.FUNCTIONS}


def cell_out(value: Any) -> Any:
    """One result cell as Calc takes it: float or str; a blank is an empty text (an empty
    element of an array result would show as 0)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return 1.0 if value else 0.0   # Calc's TRUE/FALSE are 1/0
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return date_text(value)
    return str(value)


def date_text(value: _dt.date) -> str:
    """A date result as text (2022-12-31): an add-in cannot format its cell, and a bare
    serial number (44926) reads as nothing to an accountant. Calc still computes with the
    ISO text (="2022-12-31"+1), and the functions read it back as a date."""
    if isinstance(value, _dt.datetime) and value.time() != _dt.time():
        return value.isoformat(sep=" ")
    return value.strftime("%Y-%m-%d")


def to_cells(result: Any) -> tuple[tuple[Any, ...], ...]:
    """A function's result (scalar, one row, or rows) as Calc's 2-D sequence."""
    if not isinstance(result, (list, tuple)):
        return ((cell_out(result),),)
    if not result:
        return (("",),)
    if not isinstance(result[0], (list, tuple)):
        return (tuple(cell_out(v) for v in result),)
    return tuple(tuple(cell_out(v) for v in row) for row in result)


def _arg_in(value: Any) -> Any:
    """Calc's tuples become the lists the functions expect; "" stays (a blank cell)."""
    if isinstance(value, tuple):
        return [list(row) if isinstance(row, tuple) else row for row in value]
    return value


def call(sheet_name: str, *args: Any) -> tuple[tuple[Any, ...], ...]:
    """Run the function an accountant typed as ``sheet_name`` on Calc's arguments."""
    function = FUNCTIONS_BY_SHEET_NAME[sheet_name]
    try:
        result = function.impl(*(_arg_in(a) for a in args))
    except Exception as exc:   # the functions never raise; this is the last line of defence
        result = F.ERROR_PREFIX + f"内部错误（{type(exc).__name__}: {exc}）"
    return to_cells(result)


def warm_up() -> None:
    """Load what the first call of each function would load (the rulebook, the parsers)."""
    for function in F.FUNCTIONS:
        function.impl(*([None] * len(function.args)))
    F.indicator_score("95%以上", "96%", 10.0)
