"""Where xlpkg's data files are, however it was installed.

The repository root holds the one ``rules.json`` (and ``macros/``) that maintainers edit. A
built wheel carries copies inside the package, ``xlpkg/data/`` (``setup.py`` copies them at
build time), found through ``importlib.resources``: so ``pip install``, ``pip install
--target``, the offline kit, an embedded interpreter and the LibreOffice extension all find
them, wherever site-packages is. A source checkout (editable install, tests) uses the
repository's own files, so an edit shows at once.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["DataFileMissing", "rules_json", "macros_dir", "data_file"]

_CHECKOUT = Path(__file__).resolve().parents[2]


class DataFileMissing(FileNotFoundError):
    pass


def _in_checkout() -> bool:
    return (_CHECKOUT / "setup.cfg").is_file() and (_CHECKOUT / "xlpkg").is_dir()


def data_file(name: str) -> Path:
    """``name`` (e.g. "rules.json", "macros/xlpkg.bas") from the checkout or the package."""
    if _in_checkout() and (_CHECKOUT / name).exists():
        return _CHECKOUT / name
    packaged = resources.files("xlpkg").joinpath("data", *name.split("/"))
    if packaged.is_file() or packaged.is_dir():
        return Path(str(packaged))
    raise DataFileMissing(name)


def rules_json() -> Path:
    return data_file("rules.json")


def macros_dir() -> Path:
    return data_file("macros")
