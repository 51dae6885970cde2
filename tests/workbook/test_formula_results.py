"""Every formula result a form shows is compared with the recomputation (issue 22.10): the
compared names come from the layout, and a formula the template gains without a comparison
fails here."""
from __future__ import annotations

import openpyxl
import pytest

from tests.workbook.test_v2 import all_fields
from xlpkg.workbook import layout as L
from xlpkg.workbook.form_checks import EXPECTED, read_checked_file
from xlpkg.workbook.template import build_workbook
from xlpkg.workbook.writer import fill_workbook


def _formula_names(wb) -> set[str]:
    """Defined names of the form's sheets whose cells hold a formula (the meta sheet's lists
    are constants the template computes once, not results a person is shown)."""
    out = set()
    for name, dn in wb.defined_names.items():
        for sheet, ref in dn.destinations:
            if sheet in (L.META, L.CALC):   # settings and working columns: no result a form shows
                continue
            cells = wb[sheet][ref.replace("$", "")]
            rows = cells if isinstance(cells, tuple) else ((cells,),)
            rows = rows if rows and isinstance(rows[0], tuple) else (rows,)
            if any(isinstance(c.value, str) and c.value.startswith("=") for row in rows for c in row):
                out.add(name)
    return out


def test_every_formula_of_the_template_is_compared():
    formulas = _formula_names(build_workbook())
    assert formulas, "the template has formulas"
    assert formulas <= set(L.FORMULA_NAMES), formulas - set(L.FORMULA_NAMES)
    assert set(L.FORMULA_NAMES) == set(EXPECTED), set(L.FORMULA_NAMES) ^ set(EXPECTED)


@pytest.fixture(scope="module")
def form(tmp_path_factory):
    return fill_workbook(all_fields(), tmp_path_factory.mktemp("all") / "all.xlsx")


FALSIFIED = [("MonLight", "红灯"), ("MonRate", 0.9), ("MonForecastRate", 0.1),
             ("MonTimeProgress", 0.01), ("FundRate", 0.5), ("FundCheck", "总额与分项合计不一致"),
             ("EffBudget", 999), ("EffSpent", 1), ("MediumCheck", "本年预算占中期资金99.9%"),
             ("GoalExpected", "另一个目标")]


@pytest.mark.parametrize("name, value", FALSIFIED, ids=[n for n, _ in FALSIFIED])
def test_a_falsified_result_is_reported_at_its_cell(form, tmp_path, name, value):
    assert not [i for i in read_checked_file(form).issues if i.rule == "form.stale_cache"]
    wb = openpyxl.load_workbook(form)
    (sheet, ref), = wb.defined_names[name].destinations
    ref = ref.replace("$", "").split(":")[0]
    wb[sheet][ref] = value      # a literal where the formula was: what the file now claims
    path = tmp_path / "x.xlsx"
    wb.save(path)
    stale = [i for i in read_checked_file(path).issues if i.rule == "form.stale_cache"]
    assert [(i.sheet, i.cell) for i in stale] == [(sheet, ref)], stale
    assert str(value) in stale[0].message
