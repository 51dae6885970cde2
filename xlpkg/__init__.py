"""xlpkg: Excel forms, formulas and consolidation for 预算绩效管理 (budget-performance management)."""
from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .checks import check
    from .issues import Issue
    from .model import Project
    from .rules import Rules, load_rules

# Imported on first use, so that importing the package (the command, the add-ins) stays cheap.
_LAZY = {"check": ".checks", "Issue": ".issues", "Project": ".model", "Rules": ".rules",
         "load_rules": ".rules"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__version__ = "0.1.0"
__all__ = ["Issue", "Project", "Rules", "check", "load_project", "load_rules", "__version__"]

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}


def load_project(path: str | Path) -> "Project":
    """A project from its JSON document or from a filled project workbook."""
    path = Path(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        from .reader import read_project_file  # imported late: JSON users need no workbook stack
        result = read_project_file(path)
        if result.project is None:
            raise ValueError("；".join(issue.message for issue in result.issues))
        return result.project
    from .model import load_project_json
    return load_project_json(path)
