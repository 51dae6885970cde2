"""A negative 分值 (issue 22.9): an error, its share is lost rather than re-spread over the
other indicators (12.5 stays 12.5, not 16.67), and the total is never shown as a valid score."""
from __future__ import annotations

import copy
import json
from decimal import Decimal

from tests.helpers import example
from xlpkg.cli import main
from xlpkg.consolidate import consolidate
from xlpkg.workbook.form_checks import read_checked_file
from xlpkg.workbook.writer import fill_workbook


def _negative():
    p = copy.deepcopy(example("105002B16DX0003"))   # four 产出 indicators without 分值: 12.5 each
    p.indicators[0].weight = Decimal(-5)
    return p


def test_a_negative_weight_is_not_re_spread_and_the_total_not_pretended(tmp_path, capsys):
    path = fill_workbook(_negative(), tmp_path / "neg.xlsx")
    result = read_checked_file(path)
    assert "indicator.weight_negative" in {i.rule for i in result.issues}
    weights = [s.weight for s in result.metrics.evaluation.indicators[:4]]
    assert weights == [0, Decimal("12.5"), Decimal("12.5"), Decimal("12.5")]
    assert result.metrics.evaluation.invalid
    assert main(["read", str(path)]) == 0
    text = capsys.readouterr().out
    total_line = next(line for line in text.splitlines() if "总分" in line)
    assert "优" not in total_line and "99.80" not in total_line and "无效" in total_line
    assert main(["read", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["metrics"]["self_evaluation"]
    assert data["total"] is None and data["grade"] is None and data["invalid"]
    # and the project is out of the summary's totals
    c = consolidate(path, jobs=1)
    assert c.project_count == 0
