"""Operating-system errors in words an accountant reads.

Python's ``strerror`` is English on Linux desks (Kylin, UOS: Python never sets LC_MESSAGES)
and on servers, so "No space left on device" reached accountants as is. The common causes
get Chinese words; the system's own text follows in brackets for the IT administrator.
"""
from __future__ import annotations

import errno

__all__ = ["os_error_text"]

_WORDS = {
    errno.ENOSPC: "磁盘空间不足",
    errno.EACCES: "没有访问权限",
    errno.EPERM: "没有操作权限",
    errno.ENOENT: "文件或文件夹不存在",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EISDIR: "这是一个文件夹",
    errno.EROFS: "磁盘或文件夹是只读的",
    errno.EMFILE: "同时打开的文件过多",
    errno.ENFILE: "同时打开的文件过多",
    errno.EIO: "磁盘读写出错",
    errno.ENAMETOOLONG: "文件名或路径过长",
    errno.EBUSY: "文件正被占用",
    errno.EFBIG: "文件超过允许的大小（磁盘或系统限制）",
}
if hasattr(errno, "EDQUOT"):   # not on Windows
    _WORDS[errno.EDQUOT] = "磁盘配额已用完"


def os_error_text(exc: BaseException) -> str:
    """``exc`` as "磁盘空间不足（No space left on device）"; the system's text alone for an
    error without Chinese words, ``str(exc)`` for anything that is no OSError."""
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    words = _WORDS.get(getattr(exc, "errno", None))
    if words is None or words in detail:
        return detail
    return f"{words}（{detail}）"
