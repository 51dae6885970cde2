"""Shared fixtures: the seed's examples as filled workbooks, and LibreOffice when required."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# xlwings' Office.js code paths (custom functions, Book(json=...)) need a licence key; the
# noncommercial one covers government institutions (REFERENCE.md).
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

from tests.helpers import EXAMPLES, ROOT
from xlpkg.model import load_project_json


def require_libreoffice() -> None:
    """Skip without LibreOffice, unless CI demands it (XLPKG_REQUIRE_LIBREOFFICE=1): then fail."""
    from xlpkg.libreoffice import harness as lo

    if lo.available():
        return
    if os.environ.get("XLPKG_REQUIRE_LIBREOFFICE") == "1":
        pytest.fail("XLPKG_REQUIRE_LIBREOFFICE=1 but LibreOffice (soffice + python3-uno) is missing")
    pytest.skip("LibreOffice (soffice + python3-uno) not installed")


@pytest.fixture
def libreoffice():
    require_libreoffice()
    from xlpkg.libreoffice import harness as lo

    return lo


@pytest.fixture(scope="session")
def example_projects():
    """{project code: Project} for every examples/*.json."""
    return {p.stem: load_project_json(p) for p in EXAMPLES}


@pytest.fixture(scope="session")
def filled_dir(tmp_path_factory, example_projects) -> Path:
    """The examples written into the template, one workbook per project (do not modify)."""
    from xlpkg.workbook.writer import fill_workbook

    out = tmp_path_factory.mktemp("filled")
    for code, project in example_projects.items():
        fill_workbook(project, out / f"{code}.xlsx")
    return out


@pytest.fixture
def filled_copy(filled_dir, tmp_path):
    """A private copy of one filled example, for tests that edit it."""
    def copy(code: str = "105002B16DX0003") -> Path:
        target = tmp_path / f"{code}.xlsx"
        shutil.copy(filled_dir / f"{code}.xlsx", target)
        return target
    return copy


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
