"""A disk that refuses the write (issue 22.21): `fill`, `upgrade` and `template` say so in
Chinese, print no "Exception ignored in …" or traceback, and leave no partial file. The limit is
the operating system's own (RLIMIT_FSIZE in the child process), not a mock."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT

resource = pytest.importorskip("resource")


def _limited():
    import signal
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # the write fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


@pytest.mark.parametrize("argv", [
    ["fill", str(ROOT / "examples" / "105002B16DX0003.json"), "-o", "out.xlsx"],
    ["upgrade", str(ROOT / "tests" / "data" / "v1" / "105002B16DX0003.xlsx"), "-o", "up.xlsx"],
    ["template", "project", "-o", "t.xlsx"],
    ["template", "department", "-o", "d.xlsx"],
], ids=["fill", "upgrade", "template-project", "template-department"])
def test_a_refused_write_is_one_chinese_line_and_no_file(tmp_path, argv):
    done = subprocess.run([sys.executable, "-m", "xlpkg", *argv], cwd=tmp_path, capture_output=True,
                          text=True, encoding="utf-8", preexec_fn=_limited,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1, done.stderr
    assert "无法写入" in done.stderr and "文件超过允许的大小" in done.stderr, done.stderr
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr
    assert "意外" not in done.stderr
    assert list(tmp_path.iterdir()) == []
