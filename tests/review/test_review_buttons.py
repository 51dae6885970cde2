"""审核表 and 回填审核意见 from the desk: the ribbon's and LibreOffice menu's buttons run the
same code as `xlpkg review`, on the folder the open department summary names."""
from __future__ import annotations

from tests.frontends.test_buttons import _department_folder, _summary_book, actions
from tests.review.test_review import fill_review
from xlpkg import buttons
from xlpkg.libreoffice import commands
from xlpkg.libreoffice.extension import COMMANDS
from xlpkg.workbook.form_checks import read_checked_file


def test_review_buttons_build_and_apply_from_the_summary(tmp_path):
    folder = _department_folder(tmp_path)
    book = _summary_book(tmp_path, str(folder))
    result = buttons.review_workbook(book)
    review = tmp_path / "审核表.xlsx"   # beside the open summary
    assert result["output"] == str(review) and result["projects"] == 4
    assert result["stage"] == "evaluation"          # the examples' self-evaluations have begun
    assert any("坏文件.xlsx" in p for p in result["problems"])
    assert actions(book)[-1]["func"] == "alert"
    fill_review(review)
    result = buttons.apply_review(_summary_book(tmp_path, str(folder)))
    assert not result["errors"] and len(result["applied"]) == 4
    out = tmp_path / "审核意见回填"
    grades = sorted(read_checked_file(p).project.review.grade for p in out.glob("*.xlsx"))
    assert grades == sorted("优良中差")


def test_apply_without_a_review_workbook_says_so(tmp_path):
    folder = _department_folder(tmp_path)
    result = buttons.apply_review(_summary_book(tmp_path, str(folder)))
    assert "没有找到审核表" in result["message"] and not result["applied"]


def test_menu_and_ribbon_name_the_review_buttons():
    assert ("review", "审核表", "review_workbook") in COMMANDS
    assert ("apply_review", "回填审核意见", "apply_review") in COMMANDS
    assert commands.BUTTONS["review"] is buttons.review_workbook
    assert commands.BUTTONS["apply_review"] is buttons.apply_review
