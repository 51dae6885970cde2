"""The indicator library (指标库): built from forms (and the history store), written as a
filterable table, embedded in project workbooks as 三级指标 suggestions."""
from __future__ import annotations

from ..workbook.library_sheet import LibraryEntry
from .build import RECENT_YEARS, build_library
from .files import LibraryFileError, read_library, write_library

__all__ = ["LibraryEntry", "LibraryFileError", "RECENT_YEARS", "build_library", "read_library",
           "write_library"]
