"""Cell sources: "the values behind a defined name", from whatever holds the workbook.

The reader only ever asks a source for its defined names and for the values of a rectangular
range, so a file read by the plain zip reader (``named``), python-calamine or openpyxl and a
live workbook (``book``: xlwings or LibreOffice) look the same to it. Values are plain Python:
int/float, str, datetime, None for empty. Formula cells give their cached result (None when the
file has none).
"""
from .calamine import MAX_GRID_CELLS, CalamineSource
from .cells import CellSource, SourceError, is_blank, name_values, parse_name_target, plain_value
from .files import file_problem, special_file
from .named import NamedCellSource
from .openpyxl_cells import OpenpyxlSource

__all__ = ["CellSource", "CalamineSource", "NamedCellSource", "OpenpyxlSource", "SourceError",
           "MAX_GRID_CELLS", "file_problem", "is_blank", "name_values", "parse_name_target",
           "plain_value", "special_file"]
