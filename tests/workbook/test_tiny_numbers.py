"""Absurdly small numbers print sensibly (issue 22.22): a budget of 1e-300 or 1e-28 in a form
gives short messages and no crash; `fill` of a 302-digit "0.000…1" does not call it "over the
10¹² limit"."""
from __future__ import annotations

import json

import openpyxl
import pytest

from tests.helpers import ROOT
from xlpkg.cli import main
from xlpkg.workbook import layout as L
from xlpkg.workbook.writer import fill_workbook
from xlpkg.model import load_project_json

EXAMPLE = ROOT / "examples" / "105002B16DX0003.json"


@pytest.mark.parametrize("budget", [1e-300, 1e-28, 5e-7])
def test_a_tiny_budget_reads_and_prints_sensibly(tmp_path, capsys, budget):
    path = fill_workbook(load_project_json(EXAMPLE), tmp_path / "x.xlsx")
    wb = openpyxl.load_workbook(path)
    sheet, ref = L.NAMES["Budget"].sheet, L.NAMES["Budget"].ref
    wb[sheet][ref] = budget
    wb.save(path)
    for argv in (["read", str(path)], ["validate", str(path)]):
        code = main(argv)
        out = capsys.readouterr()
        assert code in (0, 1), out.err
        text = out.out + out.err
        assert "意外" not in text, text
        assert "0.00000000000" not in text and max(map(len, text.splitlines())) < 400, text
    # the JSON keeps the exact value (the project schema has no exponent), and still parses
    assert main(["read", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "意外" not in json.dumps(data["issues"], ensure_ascii=False)


def test_fill_does_not_call_a_tiny_amount_too_large(tmp_path, capsys):
    data = json.loads(EXAMPLE.read_text("utf-8"))
    data["budget"] = "0." + "0" * 299 + "1"
    src = tmp_path / "p.json"
    src.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    assert main(["fill", str(src), "-o", str(tmp_path / "p.xlsx")]) == 1
    err = capsys.readouterr().err
    assert "budget" in err and "位数过多" in err
    assert "超出合理范围" not in err and "绝对值应小于" not in err
    assert not (tmp_path / "p.xlsx").exists()
