"""The history store (``xlpkg.history``) as a source of past forms for carry-over and the
library."""
from __future__ import annotations

import json

from ..consolidate import normalize_code
from ..model import Project, project_from_dict

from ..history.store import StoreError, open_store

__all__ = ["StoreUnavailable", "stored_projects", "stored_codes"]


class StoreUnavailable(RuntimeError):
    """--db was given but cannot be used; the message is Chinese."""


def _store(url: str):
    try:
        return open_store(url, write=False)
    except StoreError as exc:   # its message is Chinese and names the (masked) URL
        raise StoreUnavailable(str(exc)) from None


def stored_projects(url: str, code: str) -> list[Project]:
    """Every year of one project the store holds, as the project documents it recorded."""
    with _store(url) as store:
        rows = store.project_years(normalize_code(code))
    return [project_from_dict(json.loads(row["inputs"])) for row, _ in rows]


def stored_codes(url: str) -> list[str]:
    """Every project code in the store (for the library)."""
    with _store(url) as store:
        return sorted({row["code"] for row in store.listing()})
