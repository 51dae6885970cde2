"""xlpkg: Excel forms, formulas and consolidation for 预算绩效管理 (budget-performance management)."""
from __future__ import annotations

from pathlib import Path

from .checks import check
from .issues import Issue
from .model import Project, load_project_json
from .rules import Rules, load_rules

__version__ = "0.1.0"
__all__ = ["Issue", "Project", "Rules", "check", "load_project", "load_rules", "__version__"]

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}


def load_project(path: str | Path) -> Project:
    """A project from its JSON document or from a filled project workbook."""
    path = Path(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        from .reader import read_project_file  # imported late: JSON users need no workbook stack
        result = read_project_file(path)
        if result.project is None:
            raise ValueError("；".join(issue.message for issue in result.issues))
        return result.project
    return load_project_json(path)
