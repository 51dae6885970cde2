"""The 绩效管理 menu and toolbar of LibreOffice Calc: each entry runs an ``xlpkg.buttons``
function on the frame's document through :class:`~xlpkg.libreoffice.book.LOBook`.

Called by the extension's protocol handler (``org.xlpkg.command:<command>``); no button logic
lives here. The buttons already turn every problem into a Chinese alert; this only guards
against what happens before a button runs (no document, a document that is not a
spreadsheet).
"""
from __future__ import annotations

import sys
import traceback
from typing import Any

from .. import buttons
from .book import LOBook

__all__ = ["BUTTONS", "run"]

#: command (the URL's path) → the button it runs
BUTTONS = {"validate": buttons.validate, "normalize": buttons.normalize_targets,
           "consolidate": buttons.consolidate, "new": buttons.new_form,
           "review": buttons.review_workbook, "apply_review": buttons.apply_review}


def run(command: str, ctx: Any, frame: Any) -> Any:
    """Run one menu command on the document shown in ``frame``; returns the button's result."""
    doc = None
    try:
        doc = frame.getController().getModel()
    except Exception:
        pass
    book = LOBook(doc, ctx, frame) if doc is not None else None
    if book is None or not hasattr(doc, "getSheets"):
        message = "请在 LibreOffice Calc 的工作簿窗口中使用“绩效管理”菜单。"
        if book is not None:
            book.app.alert(message, "绩效管理")
        print(message, file=sys.stderr)
        return None
    button = BUTTONS.get(command)
    if button is None:
        book.app.alert(f"未知的命令：{command}", "绩效管理")
        return None
    try:
        return button(book)
    except Exception as exc:   # the buttons guard themselves; this is the last resort
        traceback.print_exc()
        book.app.alert(f"操作未完成：出现意外错误（{type(exc).__name__}: {exc}）", "绩效管理")
        return None
