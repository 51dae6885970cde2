"""Where the history store is: its URL (given, $XLPKG_DB, or the default file), printed with
the password masked, and the error every store problem becomes."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

__all__ = ["DEFAULT_URL", "ENV_VAR", "StoreError", "masked", "resolve_url", "Replaced", "secret_of"]

DEFAULT_URL = "sqlite:///绩效历史.sqlite"
ENV_VAR = "XLPKG_DB"


class StoreError(Exception):
    """The store cannot be used: a Chinese message naming the (masked) URL."""


def resolve_url(given: str | None) -> str:
    return given or os.environ.get(ENV_VAR) or DEFAULT_URL


_CREDENTIALS = re.compile(r"^([A-Za-z][\w+.-]*://)([^:/@]*):(.*)@([^@]*)$", re.S)


def masked(url: str) -> str:
    """The URL as it may be printed: the password (everything between the user's colon and
    the last @ before the host) becomes ***; the rest exactly as given."""
    return _CREDENTIALS.sub(r"\1\2:***@\4", str(url))


def secret_of(url: str) -> str | None:
    found = _CREDENTIALS.match(str(url))
    return found.group(3) if found and found.group(3) else None


@dataclass(frozen=True)
class Replaced:
    """A project-year the store held before this write, now replaced."""

    code: str
    year: int
    source_name: str
    added_at: str
