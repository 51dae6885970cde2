"""Source links point at local files only (issue 22.18): a source path stored in a summary as
``//evil.example/share/p.xlsx`` (or ``\\\\host\\share`` on Windows) never becomes a link to
another computer, in the new summary or from file_url itself."""
from __future__ import annotations

import re
import zipfile

import pytest

from tests.helpers import example
from xlpkg.consolidate import build, outcome_from_project
from xlpkg.rules import load_rules
from xlpkg.summary import write_summary
from xlpkg.summary.writer import file_url

RULES = load_rules()


@pytest.mark.parametrize("path", ["//evil.example/share/p.xlsx", "///evil.example/p.xlsx",
                                  "//evil.example/../../etc/p.xlsx"])
def test_posix_paths_with_a_host_part_stay_local(path):
    url = file_url(path, windows=False)
    assert url is None or (url.startswith("FILE:///") and not url.startswith("FILE:////"))


@pytest.mark.parametrize("path", [r"\\evil.example\share\p.xlsx", "//evil.example/share/p.xlsx",
                                  r"\\?\UNC\evil.example\share\p.xlsx", r"\\.\pipe\x.xlsx",
                                  r"\evil\p.xlsx"])
def test_windows_unc_paths_get_no_link(path):
    assert file_url(path, windows=True) is None


def test_a_windows_drive_path_is_a_local_link():
    assert file_url(r"C:\表格\a b#.xlsx", windows=True) == "FILE:///C:/%E8%A1%A8%E6%A0%BC/a%20b%23.xlsx"


def test_a_stored_remote_source_path_makes_no_remote_link(tmp_path):
    o = outcome_from_project(example(), "//evil.example/share/p.xlsx", RULES)
    path = write_summary(build([o], RULES), tmp_path / "s.xlsx")
    with zipfile.ZipFile(path) as zf:
        rels = "".join(zf.read(n).decode() for n in zf.namelist() if n.endswith(".rels"))
    targets = re.findall(r'Target="([^"]+)"', rels)
    assert not [t for t in targets if "evil.example" in t and not t.upper().startswith("FILE:///EVIL")]
    assert not [t for t in targets if t.upper().startswith("FILE:////") or t.startswith("\\\\")]
