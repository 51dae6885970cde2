"""Shared test data: the seed's projects as loaded from examples/."""
from __future__ import annotations

import copy
from pathlib import Path

from xlpkg.model import Project, load_project_json

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def example(code: str = "105002B16DX0003") -> Project:
    """A fresh copy of one seed project (tests mutate it)."""
    return copy.deepcopy(load_project_json(ROOT / "examples" / f"{code}.json"))


def all_examples() -> list[Project]:
    return [load_project_json(p) for p in EXAMPLES]
