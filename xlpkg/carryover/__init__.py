"""Carry-over (结转): next year's declaration from this year's form, with each indicator's
history (上年指标值, 上年实际完成值, 历史值) beside it."""
from __future__ import annotations

from .forms import FormSet, ReadForm, group_by_code, read_forms
from .history import HISTORY_YEARS, PastActual, history_value, indicator_key, past_actuals
from .next_year import CarryReport, carry_over, next_year_project, output_name
from .store import StoreUnavailable, stored_codes, stored_projects

__all__ = ["CarryReport", "FormSet", "HISTORY_YEARS", "PastActual", "ReadForm", "StoreUnavailable",
           "carry_over", "group_by_code", "history_value", "indicator_key", "next_year_project",
           "output_name", "past_actuals", "read_forms", "stored_codes",
           "stored_projects"]
