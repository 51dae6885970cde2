"""xlpkg: Excel forms, formulas and consolidation for 预算绩效管理 (budget-performance management)."""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .checks import check
    from .issues import Issue
    from .model import Project
    from .rules import Rules, load_rules
    from .workbook.project_file import WORKBOOK_SUFFIXES, load_project

# Imported on first use, so that importing the package (the command, the add-ins) stays cheap.
_LAZY = {"check": ".checks", "Issue": ".issues", "Project": ".model", "Rules": ".rules",
         "load_rules": ".rules", "load_project": ".workbook.project_file",
         "WORKBOOK_SUFFIXES": ".workbook.project_file"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__version__ = "0.1.0"
__all__ = ["Issue", "Project", "Rules", "check", "load_project", "load_rules", "__version__"]
