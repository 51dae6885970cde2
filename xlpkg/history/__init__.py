"""The project history store (绩效历史库) and 结果应用.

``store`` opens a database by URL (SQLite file by default, PostgreSQL for a bureau) through
SQLAlchemy Core; ``adding`` records what consolidation's discovery and readers find;
``results`` turns this year's grades and last year's scores into next year's budget advice.
Submodules are imported where used: the summary writer needs only ``results_sheet``, which
needs no database library.
"""
