"""Whether a path can be read as an .xlsx workbook at all, said in words an accountant can act on."""
from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

from ..system.os_errors import os_error_text
from ..system.safeio import ZipTooLarge, check_zip_size

__all__ = ["file_problem", "special_file", "open_problem"]

_CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")   # OLE2 container: .xls, or an encrypted .xlsx
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


def _not_a_zip(path: str) -> str:
    """Why a workbook file is no .xlsx zip, in words an accountant can act on."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            body = fh.read(64 * 2**20) if head == _CFB_MAGIC else b""
    except OSError as exc:
        return f"无法打开文件：{os_error_text(exc)}"
    if head == _CFB_MAGIC and _ENCRYPTION_STREAM in body:
        return "工作簿设置了打开密码（已加密），无法读取：请取消密码后另存为 .xlsx 再提交"
    if head == _CFB_MAGIC:
        return "文件是旧版 Excel 97-2003 格式（.xls），请在 Excel/WPS 中另存为 .xlsx 后再提交"
    if head.startswith(b"PK"):
        return "文件已损坏（.xlsx 不完整，可能复制或下载时中断），请重新获取原文件"
    return "文件不是 Excel 工作簿（可能是改了扩展名的其他文件），请提交 .xlsx 格式的项目表"


def special_file(path: str | Path) -> str | None:
    """Why ``path`` is not a regular file that can be opened without blocking, or None.

    Opening a FIFO named x.xlsx would wait forever for a writer; sockets and devices are
    no workbooks either. Symlinks are followed: what counts is what they point at.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "文件不存在"
    except OSError as exc:
        return f"无法访问文件：{os_error_text(exc)}"
    if stat.S_ISDIR(mode):
        return "这是一个文件夹，不是工作簿文件"
    if stat.S_ISREG(mode):
        return None
    what = ("命名管道（FIFO）" if stat.S_ISFIFO(mode) else "套接字" if stat.S_ISSOCK(mode)
            else "设备文件" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "特殊文件")
    return f"这是{what}，不是普通文件，已跳过（只读取普通的 .xlsx 文件）"


def file_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be read as an .xlsx workbook, in words an accountant can act on;
    None when it looks like one. Also refuses a zip that would unpack to an absurd size
    before any reader inflates it."""
    path = Path(path)
    kind = special_file(path)
    if kind:
        return kind
    try:
        check_zip_size(path)
    except ZipTooLarge as exc:
        return str(exc)
    except (zipfile.BadZipFile, ValueError, EOFError):
        return _not_a_zip(path)
    except OSError as exc:
        return f"无法打开文件：{os_error_text(exc)}"
    return None


def open_problem(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    if "Password" in text or "encrypt" in text.lower() or "CFB" in text or "Ole" in text:
        return "工作簿已加密或不是 .xlsx 格式，无法读取：请取消打开密码后另存为 .xlsx"
    return f"文件无法作为 Excel 工作簿读取（{text[:120]}）"


