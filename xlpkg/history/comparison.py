"""Last year's scores for 结果应用: from the store (--db) or from last year's files
(--previous, read as consolidate reads them, with the store's exact figures)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from decimal import Decimal
from typing import Iterable

from ..consolidate import Consolidation, consolidate
from ..rules import Rules
from .adding import MemorySink, Recorder
from .records import read_for_history
from ..summary.results_application import ResultsApplication, results_application

if TYPE_CHECKING:
    from .database import HistoryStore

__all__ = ["previous_scores", "results_for"]


def previous_scores(c: Consolidation, rules: Rules, *, store: HistoryStore | None = None,
                    paths: Iterable[str] | None = None, jobs: int | None = None,
                    exclude=()) -> dict[str, Decimal | None]:
    """code → total score of the year before ``c.year`` (None: not evaluated that year).
    Files given with --previous take precedence over the store."""
    year = c.year - 1
    codes = c.projects["项目编码"].tolist()
    out: dict[str, Decimal | None] = {}
    if store is not None:
        out.update(store.scores(year, codes))
    if paths:
        sink = MemorySink()
        consolidate(list(paths), rules=rules, jobs=jobs, year=year, exclude=exclude,
                    reader=read_for_history, on_outcome=Recorder(sink))
        out.update({code: (r.total_score if r.started else None)
                    for (code, y), r in sink.records.items() if y == year})
    return out


def results_for(c: Consolidation, previous: dict[str, Decimal | None],
                rules: Rules) -> ResultsApplication:
    return results_application(c, previous, rules)
