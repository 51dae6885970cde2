"""Move a filled project workbook of an older template version into a fresh current template.

Every input goes through the reader (which reads v1, v2 and v3) and the writer (which writes only
the current version), so the upgraded file reads back as the same project. A file whose values
cannot all be read is refused rather than upgraded with something missing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import layout as L
from .reader import read_project_file
from ..rules import Rules, load_rules
from .writer import CapacityError, fill_workbook
from ..model import project_to_dict
from ..sources import CalamineSource, name_values
from ..system.os_errors import os_error_text
from .output_guard import replace_problem

__all__ = ["UpgradeResult", "upgrade_workbook", "upgraded_path", "form_content"]

# Reader issues that mean a typed value did not make it into the model.
_LOSSY_RULES = {"form.value", "form.not_template", "form.unreadable"}


@dataclass
class UpgradeResult:
    source: Path
    output: Path | None
    message: str          # Chinese, for the accountant
    current: bool = False  # already of the current version: nothing to do, nothing written

    @property
    def ok(self) -> bool:
        return self.output is not None or self.current


_VERSION_SUFFIX = re.compile(r"\.v\d{1,3}$", re.IGNORECASE)


def upgraded_path(source: str | Path) -> Path:
    """NAME.vN.xlsx beside NAME.xlsx (N the current template version); an earlier upgrade's
    ".vK" is replaced, never stacked (NAME.v2.xlsx → NAME.v3.xlsx, not NAME.v2.v3.xlsx)."""
    source = Path(source)
    stem = _VERSION_SUFFIX.sub("", source.stem) or source.stem
    return source.with_name(f"{stem}.v{L.TEMPLATE_VERSION}.xlsx")


def form_content(path: Path):
    """A project form read back as plain data (None if it cannot be read): what the output
    guard compares with the fingerprint xlpkg stamped in it."""
    result = read_project_file(path)
    return project_to_dict(result.project) if result.project is not None else None


def _version(path: Path) -> int | None:

    try:
        values = name_values(CalamineSource(path), "TemplateVersion")
    except Exception:   # unreadable files are explained by the reader below
        return None
    return values[0][0] if values and values[0] else None


def _is_current(version) -> bool:
    try:
        return float(version) == float(L.TEMPLATE_VERSION)
    except (TypeError, ValueError):
        return False


def upgrade_workbook(source: str | Path, output: str | Path | None = None, *,
                     rules: Rules | None = None, password: str | None = None,
                     force: bool = False) -> UpgradeResult:
    """Write ``source`` (an older template's form) into the current template as ``output``
    (default ``upgraded_path``). An existing output is replaced only when it is an earlier
    upgrade or fill not edited since (``force``: even if edited); any other file never."""
    rules = rules or load_rules()
    source = Path(source)
    output = Path(output) if output else upgraded_path(source)
    before = _version(source)
    if _is_current(before):
        return UpgradeResult(source, None, f"{source}：已是当前版本（第{L.TEMPLATE_VERSION}版）模板，无需升级，未写入",
                             current=True)
    if output.resolve() == source.resolve():
        return UpgradeResult(source, None, f"{source}：输出文件不能与原文件相同，请另指定 -o")
    refused = replace_problem(output, kind="project-form", content=form_content, force=force,
                              inputs=[source])
    if refused:
        return UpgradeResult(source, None, f"{source}：{refused}")
    result = read_project_file(source, rules=rules)
    if result.project is None:
        return UpgradeResult(source, None, "；".join(f"{source}：{i.message}" for i in result.issues))
    lost = [i for i in result.issues if i.rule in _LOSSY_RULES]
    if lost:
        where = "；".join(f"{i.sheet}!{i.cell} {i.message}" for i in lost[:5])
        return UpgradeResult(source, None, f"{source}：有{len(lost)}处内容无法读取，升级会丢失这些内容，"
                             f"请先改正后再升级：{where}")
    try:
        written = fill_workbook(result.project, output, rules=rules, password=password)
    except CapacityError as exc:
        return UpgradeResult(source, None, f"{source}：无法写入升级后的文件：{exc}")
    except OSError as exc:
        return UpgradeResult(source, None, f"{source}：无法写入升级后的文件“{output}”：{os_error_text(exc)}")
    note = f"（原为第{before}版模板）" if before is not None else ""
    return UpgradeResult(source, written, f"{source} → {written}{note}")
