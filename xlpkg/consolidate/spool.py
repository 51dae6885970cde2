"""Rows that wait on disk until the summary is written.

A province's consolidation holds about 700,000 indicator rows and 100,000 project records
between reading the first form and writing the summary: gigabytes as Python objects. They
are only ever needed once, in order, by the writer; so each form's rows are pickled into one
anonymous temporary file as they arrive (the operating system removes it when it is closed,
even after a crash), and memory keeps 16 bytes per form.

    spool = Spool()
    handle = spool.add([("105002", ...), ...])    # a Spooled: iterable, len(), picklable
    table = SpooledTable(COLUMNS, [handle, [...plain rows...]])
    for row in table: ...                          # parts in the order given
    table.frame()                                  # a pandas DataFrame, built on demand
"""
from __future__ import annotations

import errno
import os
import pickle
import tempfile
from array import array
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from ..system.os_errors import os_error_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Spool", "Spooled", "SpooledTable", "PortableRows"]

_pread = getattr(os, "pread", None)   # not on Windows


class Spool:
    """An append-only store of pickled values in one temporary file."""

    def __init__(self) -> None:
        try:
            self._file = tempfile.TemporaryFile(prefix="xlpkg-spool-")
        except OSError as exc:
            raise _temp_failure(exc) from None
        self._offsets = array("q")
        self._lengths = array("q")
        self._end = 0
        self._moved = False
        self._unflushed = False

    def add(self, rows: Sequence[Any]) -> "Spooled":
        data = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            if self._moved:   # a read moved the position (no os.pread on Windows)
                self._file.seek(self._end)
                self._moved = False
            self._file.write(data)
            self._unflushed = True
        except OSError as exc:
            raise _temp_failure(exc) from None
        self._offsets.append(self._end)
        self._lengths.append(len(data))
        self._end += len(data)
        return Spooled(self, len(self._offsets) - 1, len(rows))

    def get(self, index: int) -> Any:
        offset, length = self._offsets[index], self._lengths[index]
        try:
            if _pread is not None:
                # No shared file position: another process (``xlpkg.summary.render_ahead``) may read
                # the same open file while this one does.
                self.flush()
                data = _read_at(self._file.fileno(), offset, length)
            else:   # the seek flushes what add() buffered: a full disk may show only here
                self._file.seek(offset)
                self._moved = True
                data = self._file.read(length)
        except OSError as exc:
            raise _temp_failure(exc) from None
        return pickle.loads(data)

    def flush(self) -> None:
        """Hand what ``add`` buffered to the file (before it is read, here or elsewhere)."""
        if self._unflushed:
            try:
                self._file.flush()
            except OSError as exc:
                raise _temp_failure(exc) from None
            self._unflushed = False

    def close(self) -> None:
        self._file.close()

    @property
    def size(self) -> int:
        """Bytes on disk."""
        return self._end


def _read_at(fd: int, offset: int, length: int) -> bytes:
    data = _pread(fd, length, offset)
    if len(data) != length:
        raise OSError(errno.EIO, "临时数据不完整")
    return data


def _temp_failure(exc: OSError) -> OSError:
    """The error as the folder that failed: a province's run fills a small /tmp first, and
    the accountant or administrator must learn which disk, and that TMPDIR moves it."""
    return OSError(exc.errno, f"汇总时读写临时数据失败：{os_error_text(exc)}。临时数据每个项目约 3.3 KB"
                              "（10万个项目约 330 MB），写在这个临时文件夹；请清理其所在磁盘，或将环境变量 "
                              "TMPDIR（Windows 为 TEMP）设为空间充足的文件夹后重试", tempfile.gettempdir())


class Spooled:
    """A handle on one ``Spool.add``: iterates its rows. Pickled (e.g. sent to a process),
    it becomes the plain list it stands for, since the temporary file is this process's."""

    __slots__ = ("_spool", "_index", "_count")

    def __init__(self, spool: Spool, index: int, count: int):
        self._spool, self._index, self._count = spool, index, count

    def __iter__(self) -> Iterator[Any]:
        return iter(self._spool.get(self._index))

    def __len__(self) -> int:
        return self._count

    def __reduce__(self):
        return list, (list(self),)


class SpooledTable:
    """Rows from several parts (``Spooled`` handles or plain lists), read in order when
    iterated; the parts stay where they are."""

    def __init__(self, columns: Iterable[str], parts: Iterable[Iterable[Any]] = ()):
        self.columns = tuple(columns)
        self._parts = list(parts)
        self._len = sum(len(p) for p in self._parts)
        self._frame = None

    def __iter__(self) -> Iterator[tuple]:
        for part in self._parts:
            yield from part

    def __len__(self) -> int:
        return self._len

    def portable(self) -> "PortableRows | None":
        """The same rows for another process that is given ``fds`` (its descriptors keep their
        numbers, as with ``subprocess.Popen(pass_fds=...)``): where each part lies in which
        spool file, and the plain parts themselves. None without ``os.pread`` (Windows)."""
        if _pread is None:
            return None
        parts: list = []
        fds: set[int] = set()
        for part in self._parts:
            if isinstance(part, Spooled):
                spool = part._spool
                spool.flush()
                fd = spool._file.fileno()
                fds.add(fd)
                parts.append((fd, spool._offsets[part._index], spool._lengths[part._index]))
            else:
                parts.append(list(part))
        return PortableRows(self.columns, parts, self._len, sorted(fds))

    def frame(self) -> "pd.DataFrame":
        """The rows as a DataFrame (built once): for callers that want pandas; the summary
        writer iterates instead, so a province's rows are never all in memory."""
        if self._frame is None:
            import pandas as pd

            self._frame = pd.DataFrame(list(self), columns=list(self.columns))
        return self._frame


class PortableRows:
    """``SpooledTable.portable``: rows read with ``os.pread`` from inherited descriptors."""

    def __init__(self, columns: tuple[str, ...], parts: list, length: int, fds: list[int]):
        self.columns, self._parts, self._len, self.fds = columns, parts, length, fds

    def __iter__(self) -> Iterator[Any]:
        for part in self._parts:
            if isinstance(part, tuple):
                fd, offset, length = part
                yield from pickle.loads(_read_at(fd, offset, length))
            else:
                yield from part

    def __len__(self) -> int:
        return self._len
