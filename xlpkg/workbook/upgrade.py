"""Move a filled project workbook of an older template version into a fresh current template.

Every input goes through the reader (which reads v1, v2 and v3) and the writer (which writes only
the current version), so the upgraded file reads back as the same project. A file whose values
cannot all be read is refused rather than upgraded with something missing.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import layout as L
from .reader import read_project_file
from ..rules import Rules, load_rules
from .writer import CapacityError, fill_workbook
from ..sources import CalamineSource, name_values

__all__ = ["UpgradeResult", "upgrade_workbook", "upgraded_path"]

# Reader issues that mean a typed value did not make it into the model.
_LOSSY_RULES = {"form.value", "form.not_template", "form.unreadable"}


@dataclass
class UpgradeResult:
    source: Path
    output: Path | None
    message: str          # Chinese, for the accountant

    @property
    def ok(self) -> bool:
        return self.output is not None


def upgraded_path(source: str | Path) -> Path:
    """NAME.v3.xlsx (the current template version) beside NAME.xlsx."""
    source = Path(source)
    return source.with_name(f"{source.stem}.v{L.TEMPLATE_VERSION}.xlsx")


def _version(path: Path) -> int | None:

    try:
        values = name_values(CalamineSource(path), "TemplateVersion")
    except Exception:   # unreadable files are explained by the reader below
        return None
    return values[0][0] if values and values[0] else None


def upgrade_workbook(source: str | Path, output: str | Path | None = None, *,
                     rules: Rules | None = None, password: str | None = None) -> UpgradeResult:
    rules = rules or load_rules()
    source = Path(source)
    output = Path(output) if output else upgraded_path(source)
    if output.resolve() == source.resolve():
        return UpgradeResult(source, None, f"{source}：输出文件不能与原文件相同，请另指定 -o")
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
    except (OSError, CapacityError) as exc:
        return UpgradeResult(source, None, f"{source}：无法写入升级后的文件：{exc}")
    before = _version(source)
    note = f"（原为第{before}版模板）" if before is not None else ""
    return UpgradeResult(source, written, f"{source} → {written}{note}")
