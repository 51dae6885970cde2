"""Safe file handling: replace an output in one step, refuse zip archives that unpack absurdly.

Small on purpose and free of workbook knowledge, so the summary writer, the template writers
and the reader can all share it.
"""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import Callable, Iterator

__all__ = ["ZipTooLarge", "atomic_path", "atomic_write", "check_zip_size", "read_entry",
           "not_a_regular_file", "MAX_UNPACKED_BYTES", "MAX_RATIO", "MAX_MEMBERS"]

# A filled project form unpacks to well under 2 MB; a department summary of 10,000 projects to
# about 60 MB. These limits leave a wide margin and still stop a zip bomb long before memory is.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_RATIO = 200            # deflate tops out near 1:1000 only for crafted data
MAX_MEMBERS = 10_000


class ZipTooLarge(ValueError):
    """A zip archive whose declared contents are too big to unpack safely (Chinese message)."""


def check_zip_size(path: str | Path, *, max_bytes: int = MAX_UNPACKED_BYTES,
                   max_ratio: float = MAX_RATIO, max_members: int = MAX_MEMBERS) -> None:
    """Raise ``ZipTooLarge`` before anything is unpacked if ``path`` would unpack absurdly.

    Only the central directory is read (a few KB). The declared sizes can lie: zipfile cuts
    an entry at its declared size, but ``ZipFile.read`` inflates up to 2 GB in one call
    before cutting, so entries must be read with ``read_entry`` (or in chunks) for this
    check to bound memory. ``zipfile.BadZipFile`` passes through: whether a non-zip is an
    error is the caller's call.
    """
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    if len(infos) > max_members:
        raise ZipTooLarge(f"工作簿包含{len(infos)}个部件，超过上限{max_members}，已拒绝读取")
    unpacked = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if unpacked > max_bytes:
        raise ZipTooLarge(f"工作簿解压后达{unpacked / 2**20:.0f} MB，超过上限"
                          f"{max_bytes / 2**20:.0f} MB，已拒绝读取")
    # Tiny files compress badly or well by chance; the ratio only means something at size.
    if unpacked > 8 * 2**20 and unpacked > packed * max_ratio:
        raise ZipTooLarge(f"工作簿压缩比异常（{unpacked // max(packed, 1)}:1），疑似压缩炸弹，已拒绝读取")


def not_a_regular_file(path: str | Path) -> str | None:
    """Why ``path`` is not a file one can read to the end ("是命名管道（FIFO）…"), or None.

    Opening a FIFO blocks until someone writes to it, a device may never end: only regular
    files (or links to them) are read. A missing path is not answered here (None)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "是文件夹，不是文件"
    if stat.S_ISFIFO(mode):
        return "是命名管道（FIFO），不是普通文件，未读取"
    if stat.S_ISSOCK(mode):
        return "是套接字（socket），不是普通文件，未读取"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "是设备文件，不是普通文件，未读取"
    return "不是普通文件，未读取"


_ENTRY_CHUNK = 1 << 20


def read_entry(zf: zipfile.ZipFile, member: str | zipfile.ZipInfo) -> bytes:
    """An entry's bytes, inflated in 1 MB steps so that no more than its declared size (plus
    one step) is ever held: ``zf.read`` inflates up to 2 GB at once when the header
    under-states the size. The bytes past the declared size are never read; a CRC that does
    not match what was read raises ``zipfile.BadZipFile`` as ``zf.read`` would."""
    parts = []
    with zf.open(member) as fh:
        while chunk := fh.read(_ENTRY_CHUNK):
            parts.append(chunk)
    return b"".join(parts)


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success it replaces ``target`` at once.

    The temporary file lives in the target's directory so that ``os.replace`` is a rename on
    the same file system (atomic), never a copy. On any error the temporary file is removed
    and ``target`` is left exactly as it was. OSError from creating the temporary file or from
    the rename (target open in Excel on Windows, read-only folder) propagates unchanged.
    """
    target = Path(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".~{target.stem[:40]}.", suffix=".tmp",
                                    dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:   # the rename must not overtake the data on a crash
            os.fsync(fh.fileno())
        _keep_mode(target, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _keep_mode(target: Path, tmp: Path) -> None:
    """mkstemp creates 0600; a replaced file keeps its mode, a new one gets the umask's."""
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    with contextlib.suppress(OSError):
        os.chmod(tmp, mode)


def atomic_write(target: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)`` and move the result onto ``target`` atomically."""
    with atomic_path(target) as tmp:
        write(tmp)
    return Path(target)
