"""Rows kept on disk until the summary is written (xlpkg.consolidate.spool), and what the main process
keeps per project while a province's forms are read."""
from __future__ import annotations

import pickle
from collections import Counter
from decimal import Decimal

import pytest

import xlpkg.consolidate as C
from xlpkg.consolidate.columns import ProjectRow
from xlpkg.consolidate.reading import compact
from xlpkg.rules import load_rules
from xlpkg.metrics import DeptShare, department_totals, dept_share, project_metrics
from xlpkg.consolidate.spool import Spool, Spooled, SpooledTable


def test_spooled_rows_come_back_in_order_and_exactly():
    spool = Spool()
    first = spool.add([("甲", 1, 2.5, None, Decimal("0.10")), ("乙", -0.0, True, "", "=1+1")])
    second = spool.add([("\udcff lone surrogate", 10 ** 30, None, None, None)])
    assert len(first) == 2 and len(second) == 1 and spool.size > 0
    table = SpooledTable(("a", "b", "c", "d", "e"), [first, [("plain", 0, 0, 0, 0)], second])
    rows = list(table)
    assert len(table) == 4 and len(rows) == 4
    assert rows[0] == ("甲", 1, 2.5, None, Decimal("0.10")) and rows[2] == ("plain", 0, 0, 0, 0)
    assert rows[3] == ("\udcff lone surrogate", 10 ** 30, None, None, None)
    assert list(table) == rows   # iterable again: read from disk each time
    frame = table.frame()
    assert list(frame.columns) == ["a", "b", "c", "d", "e"] and len(frame) == 4


def test_a_spooled_handle_pickles_as_the_list_it_stands_for():
    spool = Spool()
    handle = spool.add([(1, "x")])
    assert isinstance(handle, Spooled)
    assert pickle.loads(pickle.dumps(handle)) == [(1, "x")]
    assert list(handle) == [(1, "x")]


def test_department_totals_from_shares_equal_those_from_metrics(example_projects):
    rules = load_rules()
    metrics = [project_metrics(p, rules) for p in example_projects.values()]
    shares = [dept_share(m) for m in metrics]
    assert all(isinstance(s, DeptShare) for s in shares)
    assert department_totals(shares, rules) == department_totals(metrics, rules)


def test_the_main_process_keeps_little_per_project(filled_dir, tmp_path):
    """A compacted outcome reads like the worker's, with its rows on disk."""
    rules = load_rules()
    path = str(next(filled_dir.glob("*.xlsx")))
    fresh = C.read_one(path, rules)
    kept = compact(pickle.loads(pickle.dumps(fresh)), {}, Spool())
    assert isinstance(kept.project_row, ProjectRow) and isinstance(kept.indicator_rows, Spooled)
    assert all(kept.project_row[c] == fresh.project_row[c] for c in C.PROJECT_COLUMNS)
    assert list(kept.indicator_rows) == fresh.indicator_rows
    assert list(kept.record_rows) == fresh.record_rows
    assert kept.share == fresh.share
    c = C.build([kept], rules)
    assert list(c.indicator_table) == fresh.indicator_rows
    assert c.indicators["三级指标"].tolist() == [r[6] for r in fresh.indicator_rows]
    assert [r[:3] for r in c.records] == [r[:3] for r in fresh.record_rows]


def test_issues_kept_share_their_repeated_texts(filled_dir, tmp_path):
    """A province may carry a million warnings: two forms' issues share rule, severity,
    sheet, cell and file texts instead of each holding copies (as unpickled they do)."""
    import shutil

    rules = load_rules()
    paths = sorted(filled_dir.glob("*.xlsx"))
    for name in ("甲.xlsx", "乙.xlsx"):   # the same warnings in two files
        shutil.copy(next(p for p in paths if C.read_one(str(p), rules).issues), tmp_path / name)
    fresh = [C.read_one(str(p), rules) for p in [*paths, *sorted(tmp_path.glob("*.xlsx"))]]
    seen, spool = {}, Spool()
    kept = [compact(pickle.loads(pickle.dumps(o)), seen, spool) for o in fresh]
    assert [o.issues for o in kept] == [o.issues for o in fresh]
    issues = [i for o in kept for i in o.issues]
    forms_per_rule = Counter(i.rule for o in kept for i in {x.rule: x for x in o.issues}.values())
    assert max(forms_per_rule.values()) >= 2   # a rule met in two forms: sharing is tested
    by_rule = {}
    for i in issues:
        assert by_rule.setdefault(i.rule, i.rule) is i.rule and seen[i.severity] is i.severity
        assert seen[i.file] is i.file and seen[i.sheet] is i.sheet
    assert not hasattr(issues[0], "__dict__")   # slots: no dict per issue


def test_reading_between_additions_never_overwrites_or_misplaces_rows():
    """Reads seek (Windows has no os.pread); the next addition must still append."""
    spool = Spool()
    handles = []
    for n in range(50):
        handles.append(spool.add([(n, "行" * n)]))
        assert list(handles[n // 2]) == [(n // 2, "行" * (n // 2))]
    assert [list(h) for h in handles] == [[(n, "行" * n)] for n in range(50)]


def test_a_full_temporary_disk_names_the_folder_and_tmpdir(filled_dir, tmp_path, monkeypatch, capsys):
    """A province's run fills a small /tmp first: the message must say which folder, in
    Chinese, and how to move it; the command ends with exit 2 and writes no output."""
    import errno
    import tempfile

    from xlpkg.cli import main

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    spool = Spool()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(spool._file, "write", full)   # the disk fills after some rows
    with pytest.raises(OSError) as info:
        spool.add([1, 2])
    assert info.value.filename == str(tmp_path) and info.value.errno == errno.ENOSPC
    assert "磁盘空间不足" in info.value.strerror and "TMPDIR" in info.value.strerror
    kept = Spool()   # the buffered rows reach the disk only when a read flushes them
    kept.add([3])
    monkeypatch.setattr(kept._file, "flush", full)
    monkeypatch.setattr(kept._file, "seek", full)
    with pytest.raises(OSError) as info:
        kept.get(0)
    assert info.value.filename == str(tmp_path) and "磁盘空间不足" in info.value.strerror

    monkeypatch.setattr(tempfile, "TemporaryFile", full)   # full from the start
    out = tmp_path / "汇总.xlsx"
    assert main(["consolidate", str(filled_dir), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"无法读写文件夹“{tmp_path}”：汇总时读写临时数据失败：磁盘空间不足" in err
    assert "Traceback" not in err and not out.exists()


def test_os_errors_are_said_in_chinese_with_the_system_text():
    import errno

    from xlpkg.system.os_errors import os_error_text

    assert os_error_text(OSError(errno.ENOSPC, "No space left on device")) == \
        "磁盘空间不足（No space left on device）"
    assert os_error_text(PermissionError(errno.EACCES, "Permission denied", "x.xlsx")) == \
        "没有访问权限（Permission denied）"
    assert os_error_text(OSError(errno.ENOSPC, "磁盘空间不足")) == "磁盘空间不足"   # said once
    assert os_error_text(OSError(errno.EXDEV, "Invalid cross-device link")) == "Invalid cross-device link"
    assert os_error_text(ValueError("坏")) == "坏"
