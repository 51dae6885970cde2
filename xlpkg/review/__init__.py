"""The finance bureau's review (issue 25): the review workbook (审核表) built from many forms,
and its verdicts written back into a copy of each form (财政部门审核意见, 评定得分).

``collect`` finds and reads the forms as ``consolidate`` does, ``findings`` says what the
reviewer should look at, ``book`` writes the workbook, ``sheet`` reads it back (the reviewer's
cells only), ``apply`` writes the copies, all or none.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..rules import Rules
from .apply import ApplyResult, apply_review
from .book import build_review_book, write_review_book
from .collect import Form, collect
from .findings import TIERS, Findings
from .layout import INDICATORS, REVIEW, STAGE_ARG
from .sheet import ReviewBookError, read_review_book

__all__ = ["ApplyResult", "Findings", "Form", "INDICATORS", "REVIEW", "ReviewBookError", "STAGE_ARG",
           "TIERS", "apply_review", "build_review", "build_review_book", "collect", "read_review_book",
           "write_review_book"]


def build_review(paths: Iterable[str], output: str | Path, rules: Rules, stage: str = "target",
                 previous: Iterable[str] = (), exclude: Iterable = (), db: str | None = None
                 ) -> tuple[Path | None, list[Form], list[str]]:
    """Write the review workbook for the forms under ``paths``: (path, forms, problems); no
    file (None) when no form could be read. ``stage`` "auto": evaluation when any form's
    self-evaluation has begun, else target."""
    forms, year, problems = collect(paths, rules, stage, previous=previous, exclude=[output, *exclude],
                                    db=db)
    if not forms:
        return None, forms, problems + ["没有可审核的项目表，未生成审核表"]
    stage = forms[0].stage if forms else ("target" if stage == "auto" else stage)
    return write_review_book(forms, year, stage, rules, output), forms, problems
