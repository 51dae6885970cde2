"""A project from either of its two files: the JSON document or a filled project workbook."""
from __future__ import annotations

from pathlib import Path

from ..model import Project, load_project_json
from .reader import read_project_file

__all__ = ["WORKBOOK_SUFFIXES", "load_project"]

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}


def load_project(path: str | Path) -> Project:
    """A project from its JSON document or from a filled project workbook (inputs only: no
    scores and no checks; a workbook that cannot be read raises ValueError with its issues)."""
    path = Path(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        result = read_project_file(path)
        if result.project is None:
            raise ValueError("；".join(issue.message for issue in result.issues))
        return result.project
    return load_project_json(path)
