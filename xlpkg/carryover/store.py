"""The history store (``xlpkg.history``, issue 19) as a source of past forms for carry-over and
the library, when it is installed; without it ``--db`` says so instead of failing later."""
from __future__ import annotations

import json

from ..consolidate import normalize_code
from ..model import Project, project_from_dict

try:   # the store is optional: another branch of this round, and SQLAlchemy with it
    from ..history.store import open_store
except ImportError:
    open_store = None

__all__ = ["StoreUnavailable", "store_available", "stored_projects", "stored_codes"]


class StoreUnavailable(RuntimeError):
    """--db was given but cannot be used; the message is Chinese."""


def store_available() -> bool:
    return open_store is not None


def _store(url: str):
    if open_store is None:
        raise StoreUnavailable("本版本的 xlpkg 未包含历史库（xlpkg.history），无法使用 --db；"
                               "请改用 --history 指定往年的项目表")
    try:
        return open_store(url, write=False)
    except Exception as exc:   # the store's own errors carry a Chinese message
        raise StoreUnavailable(f"无法打开历史库：{exc}") from None


def stored_projects(url: str, code: str) -> list[Project]:
    """Every year of one project the store holds, as the project documents it recorded."""
    with _store(url) as store:
        rows = store.project_years(normalize_code(code))
    return [project_from_dict(json.loads(row["inputs"])) for row, _ in rows]


def stored_codes(url: str) -> list[str]:
    """Every project code in the store (for the library)."""
    with _store(url) as store:
        return sorted({row["code"] for row in store.listing()})
