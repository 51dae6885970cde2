"""What a command that writes a workbook may replace (issue 22.3).

The rule for every writing command: never replace a file that is not that command's own
earlier output, never replace such an output once someone has edited it (unless ``--force``),
never write two inputs to one output.

xlpkg recognises its own outputs as ``consolidate`` recognises its summaries: by a mark it
leaves in the file, here two custom document properties (Excel, WPS and LibreOffice keep them
when they save): the kind of output ("project-form", "project-template", …) and a fingerprint
of the content xlpkg wrote (a hash of the project, or department, as the model holds it). Read
back later, a file whose content hashes to a different value has been edited since.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterable

from openpyxl.packaging.custom import StringProperty

__all__ = ["KIND_PROPERTY", "PRINT_PROPERTY", "content_fingerprint", "stamp", "read_stamp",
           "replace_problem", "KIND_LABELS"]

KIND_PROPERTY = "xlpkg.output"
PRINT_PROPERTY = "xlpkg.fingerprint"
KIND_LABELS = {"project-form": "xlpkg 生成的项目表（fill/upgrade）",
               "project-template": "xlpkg 生成的项目表空白模板",
               "department-template": "xlpkg 生成的部门整体绩效表空白模板"}
_CUSTOM_XML = "docProps/custom.xml"
_MAX_CUSTOM_BYTES = 1 << 20


def content_fingerprint(data: Any) -> str:
    """A hash of what a workbook holds, as plain data (``model.project_to_dict``)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stamp(wb, kind: str, fingerprint: str) -> None:
    """Mark an openpyxl workbook about to be saved as xlpkg's output of ``kind``."""
    props = wb.custom_doc_props
    for name, value in ((KIND_PROPERTY, kind), (PRINT_PROPERTY, fingerprint)):
        for old in [p for p in props.props if p.name == name]:
            props.props.remove(old)
        props.append(StringProperty(name=name, value=value))


# A regular expression, not an XML parser: two short strings from a file that may be hostile.
_PROPERTY = re.compile(r'<property\b[^>]{0,500}?\bname="([^"]{1,64})"[^>]{0,500}>\s*'
                       r'<(?:\w{1,20}:)?lpwstr\b[^>]{0,500}>([^<]{0,200})</(?:\w{1,20}:)?lpwstr>')


def read_stamp(path: str | os.PathLike) -> dict[str, str]:
    """The xlpkg marks of a workbook ({} for any other file, or one that cannot be read)."""
    try:
        with zipfile.ZipFile(path) as z:
            info = z.getinfo(_CUSTOM_XML)
            if info.file_size > _MAX_CUSTOM_BYTES:
                return {}
            with z.open(info) as fh:
                text = fh.read(_MAX_CUSTOM_BYTES).decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, RuntimeError, EOFError):
        return {}
    return {name: value for name, value in _PROPERTY.findall(text)
            if name in (KIND_PROPERTY, PRINT_PROPERTY)}


def _same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def replace_problem(target: str | os.PathLike, *, kind: str,
                    content: Callable[[Path], Any], force: bool = False,
                    inputs: Iterable[str | os.PathLike] = (),
                    unchanged: Callable[[Any], bool] | None = None) -> str | None:
    """Why writing ``target`` would destroy something (Chinese), or None.

    ``content(path)`` reads an existing file back as plain data (None if it cannot);
    ``unchanged(data)`` may say that replacing loses nothing although the stamp does not
    match (a blank template over a blank template)."""
    target = Path(target)
    if not (target.exists() or target.is_symlink()):
        return None
    if target.is_dir():
        return f"“{target}”是文件夹，不能写成文件；请指定文件名"
    for given in inputs:
        if _same_file(given, target):
            return f"输出文件“{target}”就是输入文件“{given}”，不能覆盖；请另指定输出文件名"
    if not target.is_file():
        return f"“{target}”不是普通文件，未写入；请另指定输出文件名"
    marks = read_stamp(target)
    if marks.get(KIND_PROPERTY) != kind:
        what = KIND_LABELS.get(marks.get(KIND_PROPERTY, ""), "")
        found = f"（它是{what}）" if what else "（可能是手工填写的表或其他文件）"
        return (f"“{target}”已存在，但不是{KIND_LABELS.get(kind, 'xlpkg 以前生成的文件')}{found}：为免覆盖，"
                "未写入；请另指定输出文件名，或先移走该文件")
    if force:
        return None
    try:
        data = content(target)
    except Exception:   # noqa: BLE001 - a file that cannot be read back counts as edited
        data = None
    if data is not None and (content_fingerprint(data) == marks.get(PRINT_PROPERTY)
                             or (unchanged is not None and unchanged(data))):
        return None
    return (f"“{target}”是以前生成的文件，但此后已被修改（内容与生成时不同）：为免丢失修改，未覆盖；"
            "如确定要替换，请加 --force，或另指定输出文件名")
