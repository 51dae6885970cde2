"""The history store's address and how it is opened.

``sqlite:///绩效历史.sqlite`` (the default, in the current folder) needs no server;
``postgresql://user@host:port/dbname`` is a bureau's server, whatever driver is installed
(psycopg 3, else psycopg2). ``XLPKG_DB`` gives the URL when ``--db`` does not. Every
message names the URL with its password masked, and says that nothing was written.

The database itself (``database``: SQLAlchemy, the schema, every read and write) is loaded by
``open_store`` only: SQLAlchemy costs about 0.3 s of start-up, which ``consolidate`` without
``--db`` and every other command must not pay.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .address import DEFAULT_URL, ENV_VAR, Replaced, StoreError, masked, resolve_url, secret_of

if TYPE_CHECKING:
    from .database import HistoryStore

__all__ = ["DEFAULT_URL", "ENV_VAR", "StoreError", "masked", "resolve_url", "open_store", "Replaced",
           "secret_of"]


def open_store(url: str | None, *, write: bool) -> HistoryStore:
    """The store at ``url`` (else $XLPKG_DB, else ./绩效历史.sqlite). Raises StoreError."""
    from .database import connect   # the database library, loaded only when a store is used
    return connect(resolve_url(url), write=write)
