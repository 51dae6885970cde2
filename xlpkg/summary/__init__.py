"""The summary workbooks: the department summary and the bureau's sheets, and the empty summary
the 汇总 button works in. ``writer`` writes them; ``rows``, ``sheet_xml`` and
``xlsxwriter_rows`` render the long tables as XML; ``render_ahead`` renders two of them in a
second process; ``printing`` sets up the pages; ``bureau`` computes the bureau's tables."""
from .writer import (BUREAU_SHEETS, DEPARTMENTS, GOALS, INDICATORS, ISSUES, NOTES, PROJECTS, SETTINGS,
                     SHEETS, SOURCE_FOLDER_NAME, TEMPLATE_ID, TEMPLATE_VERSION, SummaryWriteError,
                     column_number_format, file_url, is_xlpkg_summary, notes_frame, overwrite_problem, sheet_order,
                     write_summary, write_summary_template)

__all__ = ["SummaryWriteError", "write_summary", "write_summary_template", "SHEETS", "BUREAU_SHEETS",
           "sheet_order", "TEMPLATE_ID", "TEMPLATE_VERSION", "is_xlpkg_summary", "overwrite_problem",
           "file_url", "DEPARTMENTS", "GOALS", "INDICATORS", "ISSUES", "NOTES", "PROJECTS",
           "SETTINGS", "SOURCE_FOLDER_NAME", "notes_frame", "column_number_format"]
