"""`consolidate --dept-forms DIR` (issue 22, items 1 and 19): a department workbook is never
replaced when its name and its DeptCode disagree, "105004.XLSX" is that department's workbook
on Linux too, and nothing inside DIR is dropped from the inputs."""
from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from xlpkg.cli import main
from xlpkg.department.reader import read_department_file
from xlpkg.department.writer import write_department


def _run(capsys, *argv) -> tuple[int, str]:
    code = main(["consolidate", *map(str, argv), "--jobs", "1"])
    return code, capsys.readouterr().out


@pytest.fixture
def forms(filled_dir, tmp_path) -> Path:
    folder = tmp_path / "forms"
    shutil.copytree(filled_dir, folder)
    return folder


@pytest.fixture
def dept(forms, tmp_path, capsys) -> Path:
    out = tmp_path / "dept"
    code, text = _run(capsys, forms, "-o", tmp_path / "s.xlsx", "--dept-forms", out)
    assert code == 0, text
    return out


def _typed(path: Path, carryover: str) -> None:
    d = read_department_file(path).department
    d.carryover = Decimal(carryover)
    write_department(d, path)


def test_a_workbook_whose_deptcode_contradicts_its_name_is_never_replaced(forms, dept, tmp_path, capsys):
    _typed(dept / "105004.xlsx", "4.5")
    shutil.copy(dept / "105004.xlsx", dept / "105002.xlsx")   # a copied file: DeptCode 105004
    before = {p.name: p.read_bytes() for p in dept.iterdir()}
    code, text = _run(capsys, forms, "-o", tmp_path / "s.xlsx", "--dept-forms", dept)
    assert code == 1, text
    assert (dept / "105002.xlsx").read_bytes() == before["105002.xlsx"]
    assert "105002.xlsx" in text and "文件名与部门编码不一致" in text
    # the real 105004.xlsx keeps what was typed in it
    assert read_department_file(dept / "105004.xlsx").department.carryover == Decimal("4.5")


def test_a_named_input_whose_deptcode_contradicts_its_name_is_not_used(forms, dept, tmp_path, capsys):
    _typed(dept / "105004.xlsx", "4.5")
    given = tmp_path / "105002.xlsx"
    shutil.copy(dept / "105004.xlsx", given)
    d = read_department_file(given).department
    d.carryover = Decimal("9.75")
    write_department(d, given)
    code, text = _run(capsys, forms, given, "-o", tmp_path / "s.xlsx", "--dept-forms", dept)
    assert code == 1 and "文件名与部门编码不一致" in text
    assert read_department_file(dept / "105004.xlsx").department.carryover == Decimal("4.5")


def test_an_upper_case_suffix_is_the_departments_workbook(forms, dept, tmp_path, capsys):
    _typed(dept / "105004.xlsx", "7.25")
    (dept / "105004.xlsx").rename(dept / "105004.XLSX")
    code, text = _run(capsys, forms, "-o", tmp_path / "s.xlsx", "--dept-forms", dept)
    assert code == 0, text
    assert sorted(p.name for p in dept.iterdir()) == ["105002.xlsx", "105004.XLSX"]
    assert read_department_file(dept / "105004.XLSX").department.carryover == Decimal("7.25")


def test_a_form_inside_the_dept_forms_folder_is_still_read(forms, dept, tmp_path, capsys):
    shutil.move(forms / "105004B22DX0001.xlsx", dept / "105004B22DX0001.xlsx")
    code, text = _run(capsys, forms, dept, "-o", tmp_path / "s.xlsx", "--dept-forms", dept)
    assert "4个项目" in text, text
    assert code == 0, text


def test_dept_forms_may_be_the_input_folder(forms, tmp_path, capsys):
    for run in range(2):   # the second run finds the department workbooks beside the forms
        code, text = _run(capsys, forms, "-o", tmp_path / "s.xlsx", "--dept-forms", forms)
        assert code == 0, text
        assert "2个部门、4个项目" in text
    assert {"105002.xlsx", "105004.xlsx"} <= {p.name for p in forms.iterdir()}
