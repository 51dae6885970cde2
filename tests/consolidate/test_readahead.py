"""xlpkg.consolidate.readahead: the next forms are announced to the OS; order and content never change."""
from __future__ import annotations

import os
import sys

import pytest

from xlpkg.consolidate import readahead


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="posix_fadvise only where the OS has it")
def test_each_form_is_announced_once_before_it_is_read(tmp_path, monkeypatch):
    paths = []
    for i in range(40):
        p = tmp_path / f"{i:02d}.xlsx"
        p.write_bytes(b"x" * 100)
        paths.append(str(p))
    announced: list[str] = []
    real_open = os.open
    opened: dict[int, str] = {}

    def fake_open(path, flags, *args):
        fd = real_open(path, flags, *args)
        opened[fd] = os.path.basename(path)
        return fd

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, *_: announced.append(opened[fd]))
    seen = []
    for path in readahead.ahead(paths, depth=4):
        seen.append(path)
        i = len(seen) - 1
        # Everything up to three places ahead is announced by the time a form is read.
        expected = [os.path.basename(p) for p in paths[1:min(i + 4, len(paths))]]
        assert announced == expected
    assert seen == paths


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are a POSIX thing")
def test_a_fifo_or_a_missing_file_is_passed_on_without_waiting(tmp_path):
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)   # opening it for reading would wait for a writer forever
    paths = [str(tmp_path / "missing.xlsx"), str(fifo), str(tmp_path / "also-missing.xlsx")]
    assert list(readahead.ahead(paths)) == paths


def test_without_posix_fadvise_the_paths_pass_unchanged(monkeypatch):
    monkeypatch.delattr(os, "posix_fadvise", raising=False)
    assert list(readahead.ahead(["a", "b", "c"], depth=2)) == ["a", "b", "c"]
