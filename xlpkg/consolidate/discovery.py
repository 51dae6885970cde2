"""Discovery: the workbook files under the paths a user names, each once, and an issue for every
file that looks like a spreadsheet but will not be read."""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from ..issues import Issue
from ..system.os_errors import os_error_text
from ..rules import Rules, load_rules
from ..sources import special_file

if TYPE_CHECKING:   # pandas is imported late: worker processes never need it
    pass
from .columns import WORKBOOK_SUFFIXES
from .outcome import rule_issue


# Spreadsheet formats that are not a project workbook xlpkg can read: listed, never lost.
FOREIGN_SPREADSHEET_SUFFIXES = {
    ".ods": "OpenDocument 表格", ".fods": "OpenDocument 表格", ".ots": "OpenDocument 表格模板",
    ".et": "WPS 表格", ".ett": "WPS 表格模板", ".xltx": "Excel 模板", ".xltm": "Excel 模板",
    ".xlt": "Excel 97-2003 模板", ".xlam": "Excel 加载项", ".xla": "Excel 加载项",
    ".numbers": "Numbers 表格",
}


def _skipped_name(name: str) -> bool:
    # "~$x.xlsx" is Excel's lock file, "._x.xlsx" a macOS resource fork: neither is a form.
    return name.startswith("~$") or name.startswith("._")


def _hidden(folder: str, name: str) -> bool:
    """A dot name, or a file/folder Windows marks hidden (Explorer does not show it)."""
    if name.startswith("."):
        return True
    if os.name != "nt":
        return False
    try:
        return bool(getattr(os.stat(os.path.join(folder, name)), "st_file_attributes", 0) & 2)
    except OSError:
        return False


def _suffix(name: str) -> str:
    """``Path(name).suffix.lower()`` of a file name, without building a Path (a province lists
    100,000 names): from the last dot, unless that dot starts or ends the name."""
    i = name.rfind(".")
    return name[i:].lower() if 0 < i < len(name) - 1 else ""


def _looks_like_spreadsheet(name: str) -> bool:
    suffix = _suffix(name)
    return suffix in WORKBOOK_SUFFIXES or suffix in FOREIGN_SPREADSHEET_SUFFIXES


def _skip_issue(rules: Rules | None, rule_id: str, detail: str, file: str) -> Issue:
    rules = rules or load_rules()
    return rule_issue(rules, rule_id, detail, file=file)


def discover(paths: Iterable[str | os.PathLike], *, exclude: Iterable[str | os.PathLike] = (),
             rules: Rules | None = None) -> tuple[list[Path], list[Issue]]:
    """Workbook files under ``paths`` (files or folders, recursive), sorted, each once.

    Files keep the names they have in the folder (a symlink is named, not its target); two
    names of one file count once. Every file that looks like a spreadsheet is accounted
    for: read, or an issue (a format xlpkg cannot read, a hidden file or folder, a folder
    that cannot be listed, something that is not a regular file). Lock files are skipped. A
    file named explicitly is always read, so the user hears why it is not a form. A path
    that does not exist becomes an issue. ``exclude`` (e.g. the output file) is never read.
    """
    excluded = {os.path.realpath(p) for p in exclude}
    found: dict[str, str] = {}     # real path → the name it was found under
    issues: list[Issue] = []
    visited: set[str] = set()

    def add(path: str | Path, real: str | None = None) -> None:
        found.setdefault(real or os.path.realpath(path), os.path.abspath(path))

    for given in paths:
        path = Path(given)
        if path.is_dir():
            def unreadable(exc: OSError) -> None:
                issues.append(_skip_issue(rules, "form.unreadable",
                                          f"无法读取文件夹“{exc.filename}”：{os_error_text(exc)}，"
                                          "其中的项目表未能汇总", str(exc.filename or given)))
            for dirpath, dirnames, filenames in os.walk(path, onerror=unreadable, followlinks=True):
                real = os.path.realpath(dirpath)
                if real in visited:        # a symlink loop or a folder linked twice
                    dirnames[:] = []
                    continue
                visited.add(real)
                hidden = sorted(d for d in dirnames if _hidden(dirpath, d))
                dirnames[:] = sorted(d for d in dirnames if d not in hidden)
                for d in hidden:
                    count = _count_spreadsheets(Path(dirpath, d))
                    if count:
                        issues.append(_skip_issue(
                            rules, "consolidate.skipped",
                            f"隐藏文件夹中有{count}个表格文件，未汇总；如需汇总，请把它们移到普通文件夹",
                            str(Path(os.path.abspath(dirpath), d))))
                folder = os.path.abspath(dirpath)
                for name in sorted(filenames):
                    if _skipped_name(name) or not _looks_like_spreadsheet(name):
                        continue
                    full = os.path.join(folder, name)
                    issue, linked = _file_issue(full, folder, name, rules)
                    if issue:
                        issues.append(issue)
                    else:   # the folder's real path is known: only a linked file needs its own
                        add(full, None if linked else os.path.join(real, name))
        elif path.is_file():
            if not _skipped_name(path.name):
                add(path)
        elif path.exists() or path.is_symlink():
            why = special_file(path) or "不是普通文件或文件夹"
            issues.append(_skip_issue(rules, "form.unreadable", f"“{given}”{why}", str(given)))
        else:
            issues.append(_skip_issue(rules, "form.unreadable", f"文件或文件夹不存在：{given}",
                                      str(given)))
    files = sorted(Path(shown) for real, shown in found.items() if real not in excluded)
    return files, issues


def _count_spreadsheets(folder: Path) -> int:
    count = 0
    try:
        for _, _, filenames in os.walk(folder):
            count += sum(1 for n in filenames if not _skipped_name(n) and _looks_like_spreadsheet(n))
            if count > 10_000:
                break
    except OSError:
        pass
    return count


def _file_issue(full: str, folder: str, name: str, rules: Rules | None) -> tuple[Issue | None, bool]:
    """(why a spreadsheet-looking file in ``folder`` is not read, or None to read it;
    whether the name is a symbolic link)."""
    suffix = _suffix(name)
    if suffix in FOREIGN_SPREADSHEET_SUFFIXES:
        return _skip_issue(rules, "form.unreadable",
                           f"{FOREIGN_SPREADSHEET_SUFFIXES[suffix]}（{suffix}）不能汇总：请在 Excel 或 WPS 中"
                           "打开，另存为 .xlsx（项目绩效目标表模板）后重新汇总", full), False
    if _hidden(folder, name):
        return _skip_issue(rules, "consolidate.skipped",
                           "隐藏文件，未汇总；如是项目表，请取消隐藏（或去掉文件名开头的“.”）", full), False
    try:
        mode = os.lstat(full).st_mode   # one call: a link, or what the file is
        linked = stat.S_ISLNK(mode)
        regular = os.path.isfile(full) if linked else stat.S_ISREG(mode)
    except (OSError, ValueError):
        linked, regular = False, False
    if not regular:   # a FIFO or device named x.xlsx would block or never end
        why = special_file(Path(full)) or "不是普通文件（如管道、设备或失效的链接），未读取"
        return _skip_issue(rules, "form.unreadable", why, full), linked
    return None, linked
