"""Commands that write a workbook never destroy work (issue 22.3): `upgrade`, `fill`, `template`
replace only their own earlier, unedited output (or edited output with --force), never another
file, and never write two inputs to one output."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import ROOT
from xlpkg.cli import main
from xlpkg.workbook import layout as L
from xlpkg.workbook.upgrade import upgraded_path

V1 = ROOT / "tests" / "data" / "v1"
CURRENT = f"v{L.TEMPLATE_VERSION}"


def _run(capsys, *argv) -> tuple[int, str]:
    code = main([*map(str, argv)])
    out = capsys.readouterr()
    return code, out.out + out.err


def _edit(path: Path, name: str = "ProjName", value: str = "手工改过的名称") -> None:
    """What a person does in Excel: change an input cell and save (custom properties kept)."""
    wb = openpyxl.load_workbook(path)
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    wb[sheet][ref.replace("$", "").split(":")[0]] = value
    wb.save(path)


@pytest.fixture
def v1_form(tmp_path) -> Path:
    src = tmp_path / "项目A.xlsx"
    shutil.copy(V1 / "105002B16DX0003.xlsx", src)
    return src


def test_upgrade_replaces_its_unedited_output_but_never_edited_work(v1_form, capsys):
    target = upgraded_path(v1_form)
    assert target.name == f"项目A.{CURRENT}.xlsx"
    assert _run(capsys, "upgrade", v1_form)[0] == 0
    assert _run(capsys, "upgrade", v1_form)[0] == 0          # its own unedited output: replaced
    _edit(target)
    edited = target.read_bytes()
    code, text = _run(capsys, "upgrade", v1_form)
    assert code == 1 and "已被修改" in text and "--force" in text
    assert target.read_bytes() == edited
    code, text = _run(capsys, "upgrade", v1_form, "--force")
    assert code == 0 and target.read_bytes() != edited


def test_upgrade_never_writes_onto_another_form_or_a_foreign_file(v1_form, filled_dir, tmp_path, capsys):
    other = tmp_path / "别人的表.xlsx"
    shutil.copy(V1 / "105004B22DX0001.xlsx", other)          # a form xlpkg did not write
    text_file = tmp_path / "说明.xlsx"
    text_file.write_text("not a workbook", "utf-8")
    for victim in (other, text_file):
        before = victim.read_bytes()
        for force in ((), ("--force",)):
            code, text = _run(capsys, "upgrade", v1_form, "-o", victim, *force)
            assert code == 1 and "未写入" in text, text
            assert victim.read_bytes() == before


def test_upgrade_of_two_inputs_to_one_name_writes_one(v1_form, tmp_path, capsys):
    a, b = tmp_path / "a" / "x.xlsx", tmp_path / "b" / "x.xlsx"
    a.parent.mkdir(), b.parent.mkdir()
    shutil.copy(V1 / "105002B16DX0003.xlsx", a)
    shutil.copy(V1 / "105004B22DX0001.xlsx", b)
    out = tmp_path / "out"
    code, text = _run(capsys, "upgrade", a, b, "-o", out)
    assert code == 1 and "同名" in text and str(b) in text
    assert [p.name for p in out.iterdir()] == [f"x.{CURRENT}.xlsx"]
    assert text.count("已升级") == 1


def test_upgrade_of_a_current_form_says_so_and_writes_nothing(filled_dir, tmp_path, capsys):
    form = tmp_path / f"x.{CURRENT}.xlsx"
    shutil.copy(filled_dir / "105002B16DX0003.xlsx", form)
    code, text = _run(capsys, "upgrade", form)
    assert code == 0 and "无需升级" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == [form.name]
    # and an older form already named "….v2.xlsx" never becomes "….v2.v2.xlsx"
    assert upgraded_path(tmp_path / "y.v1.xlsx").name == f"y.{CURRENT}.xlsx"


def test_fill_replaces_only_its_own_unedited_output(tmp_path, capsys):
    project = ROOT / "examples" / "105002B16DX0003.json"
    out = tmp_path / "x.xlsx"
    assert _run(capsys, "fill", project, "-o", out)[0] == 0
    assert _run(capsys, "fill", project, "-o", out)[0] == 0
    _edit(out)
    edited = out.read_bytes()
    code, text = _run(capsys, "fill", project, "-o", out)
    assert code == 1 and "已被修改" in text and out.read_bytes() == edited
    assert _run(capsys, "fill", project, "-o", out, "--force")[0] == 0
    foreign = tmp_path / "报告.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "某人的报告"
    wb.save(foreign)
    before = foreign.read_bytes()
    code, text = _run(capsys, "fill", project, "-o", foreign, "--force")
    assert code == 1 and foreign.read_bytes() == before
    # nor a template or form made by the other commands
    template = tmp_path / "t.xlsx"
    assert _run(capsys, "template", "project", "-o", template)[0] == 0
    before = template.read_bytes()
    assert _run(capsys, "fill", project, "-o", template)[0] == 1
    assert template.read_bytes() == before


@pytest.mark.parametrize("kind", ["project", "department"])
def test_template_never_overwrites_work(kind, tmp_path, capsys):
    out = tmp_path / "t.xlsx"
    assert _run(capsys, "template", kind, "-o", out)[0] == 0
    assert _run(capsys, "template", kind, "-o", out)[0] == 0   # a blank template again
    _edit(out, "ProjName" if kind == "project" else "DeptName", "已填写")
    edited = out.read_bytes()
    code, text = _run(capsys, "template", kind, "-o", out)
    assert code == 1 and out.read_bytes() == edited and "--force" in text
    foreign = tmp_path / "data.xlsx"
    foreign.write_text(json.dumps({"x": 1}), "utf-8")
    before = foreign.read_bytes()
    assert _run(capsys, "template", kind, "-o", foreign, "--force")[0] == 1
    assert foreign.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.xlsx", "t.xlsx"]   # no temp left
