"""Excel worksheet functions (xlwings UDFs): a thin adapter over ``xlpkg.frontends.functions``.

The functions themselves, their argument conventions (ranges in, arrays out, blanks give blanks)
and the ``#错误：…`` convention live in :mod:`xlpkg.frontends.functions`, which the LibreOffice
Calc add-in uses as well; this module only adds xlwings' decorators, with the Chinese argument
documentation of ``functions.FUNCTIONS``, so Excel's function wizard shows it.

Loading
    Windows (classic xlwings): the add-in built by ``xlpkg addin build`` already contains the
    VBA wrappers xlwings' "Import Functions" would write (``xlwings_udfs`` module, generated
    at build time), and its config sheet names ``xlpkg.udfs`` as ``UDF Modules``. Excel 365
    (xlwings Server / Lite, Office.js): serve this module; the same decorators then describe
    the functions to Excel (``custom_functions_meta``). Without Excel (Linux, tests) the
    decorators are pass-through and the functions are plain Python functions.
"""
from __future__ import annotations

import xlwings as xw

from .frontends import functions as _f
from . import metrics, targets   # noqa: F401  (tests patch the core through this module)
from .frontends.functions import ERROR_PREFIX, HUNDRED, KIND_LABELS   # noqa: F401

__all__ = ["ERROR_PREFIX", "exec_rate", "cost_control_rate", "spend_progress",
           "quarter_variance", "parse_target", "target_met", "indicator_score", "perf_grade",
           "perf_light"]

_SPECS = {f.name: f for f in _f.FUNCTIONS}


def _described(fn):
    """The core function's Chinese description becomes the UDF's (xlwings reads ``__doc__``)."""
    fn.__doc__ = _SPECS[fn.__name__].description
    return fn


def _doc(function: str, arg: str) -> str:
    return next(a.doc for a in _SPECS[function].args if a.name == arg)



@xw.func
@xw.arg("spent", ndim=2, doc=_doc("exec_rate", "spent"))
@xw.arg("budget", ndim=2, doc=_doc("exec_rate", "budget"))
@_described
def exec_rate(spent, budget):
    return _f.exec_rate(spent, budget)


@xw.func
@xw.arg("cumulative_actual", ndim=2, doc=_doc("spend_progress", "cumulative_actual"))
@xw.arg("budget", ndim=2, doc=_doc("spend_progress", "budget"))
@_described
def spend_progress(cumulative_actual, budget):
    return _f.spend_progress(cumulative_actual, budget)


@xw.func
@xw.arg("actual", ndim=2, doc=_doc("cost_control_rate", "actual"))
@xw.arg("planned", ndim=2, doc=_doc("cost_control_rate", "planned"))
@_described
def cost_control_rate(actual, planned):
    return _f.cost_control_rate(actual, planned)


@xw.func
@xw.arg("plan_range", ndim=2, doc=_doc("quarter_variance", "plan_range"))
@xw.arg("actual_range", ndim=2, doc=_doc("quarter_variance", "actual_range"))
@xw.arg("budget", doc=_doc("quarter_variance", "budget"))
@_described
def quarter_variance(plan_range, actual_range, budget):
    return _f.quarter_variance(plan_range, actual_range, budget)


@xw.func
@xw.arg("text", ndim=2, doc=_doc("parse_target", "text"))
@xw.arg("year", doc=_doc("parse_target", "year"))
@_described
def parse_target(text, year=None):
    return _f.parse_target(text, year)


@xw.func
@xw.arg("text", ndim=2, doc=_doc("target_met", "text"))
@xw.arg("actual", ndim=2, doc=_doc("target_met", "actual"))
@_described
def target_met(text, actual):
    return _f.target_met(text, actual)


@xw.func
@xw.arg("text", ndim=2, doc=_doc("indicator_score", "text"))
@xw.arg("actual", ndim=2, doc=_doc("indicator_score", "actual"))
@xw.arg("weight", ndim=2, doc=_doc("indicator_score", "weight"))
@xw.arg("level1", ndim=2, doc=_doc("indicator_score", "level1"))
@xw.arg("level2", ndim=2, doc=_doc("indicator_score", "level2"))
@_described
def indicator_score(text, actual, weight, level1=None, level2=None):
    return _f.indicator_score(text, actual, weight, level1, level2)


@xw.func
@xw.arg("score", ndim=2, doc=_doc("perf_grade", "score"))
@_described
def perf_grade(score):
    return _f.perf_grade(score)


@xw.func
@xw.arg("progress", ndim=2, doc=_doc("perf_light", "progress"))
@xw.arg("plan", ndim=2, doc=_doc("perf_light", "plan"))
@_described
def perf_light(progress, plan):
    return _f.perf_light(progress, plan)
