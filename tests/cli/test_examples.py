"""The examples are the seed document transcribed: every declared field stands in it."""
import re
from decimal import Decimal

import pytest

from tests.helpers import ROOT, all_examples

SEED = (ROOT / "examples" / "seed" / "000_682dbcc580879855.txt").read_text("utf-8")


def _form_of(code: str) -> str:
    """The seed's text of one project form: from its 项目编码 to the next one (or the end)."""
    start = SEED.index(code)
    following = [SEED.index(c, start + 1) for c in re.findall(r"\d{6}B\d{2}[A-Z]{2}\d{4}", SEED[start + 1:])]
    return SEED[start:min(following)] if following else SEED[start:]


@pytest.mark.parametrize("project", all_examples(), ids=lambda p: p.code)
def test_declared_fields_stand_in_the_seed(project):
    form = _form_of(project.code)
    assert f"{project.dept_code} {project.dept_name}" in SEED
    assert project.name in form and project.goal in form and project.uses_text in form
    assert f"{project.budget}万元" in project.uses_text
    plan = re.search(r"第四季度\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", form)
    assert [Decimal(v) for v in plan.groups()] == project.plan


def _seed_indicator_rows(code: str) -> list[list[str]]:
    """The seed's indicator table of one form: rows of six cells (一级 … 依据), blanks kept."""
    table = _form_of(code).split("指标值确定依据", 1)[1]
    rows = []
    for block in table.split("\n\n"):
        cells = [line[1:] for line in block.split("\n") if line.startswith("\t")]
        if len(cells) == 6:
            rows.append([c.strip("　 ") for c in cells])
    return rows


@pytest.mark.parametrize("project", all_examples(), ids=lambda p: p.code)
def test_every_filled_row_of_the_seed_table_is_an_example_indicator(project):
    rows, level1 = [], ""
    for r in _seed_indicator_rows(project.code):
        level1 = r[0] or level1          # the paper form merges 一级 down its group
        if r[2]:
            rows.append((level1, *r[1:]))
    assert rows == [(i.level1, i.level2, i.name, i.description, i.target, i.basis)
                    for i in project.indicators]
    assert sum(len(p.indicators) for p in all_examples()) == 24


def test_multi_year_total_stands_in_the_seed():
    """Only 105002B22DX0009 says it spans years: 项目总预算1852.9万元, 40 % of it in 2022."""
    multi = [p for p in all_examples() if p.medium_term_budget is not None]
    assert [p.code for p in multi] == ["105002B22DX0009"]
    p = multi[0]
    assert f"项目总预算{p.medium_term_budget}万元" in _form_of(p.code)
    assert p.budget / p.medium_term_budget == Decimal("740") / Decimal("1852.9")
    assert p.period is None   # the seed names no start or end year
