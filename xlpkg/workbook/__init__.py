"""The workbooks xlpkg writes and reads: layouts, sheet builders, cell styles."""
