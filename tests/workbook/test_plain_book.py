"""The buttons on a plain stand-in for the Book interface: no xlwings engine, no PRO licence."""
from __future__ import annotations

import openpyxl

from tests.helpers import all_examples, example
from tests.plain_book import PlainBook
from xlpkg import buttons
from xlpkg.workbook import layout as L
from xlpkg.workbook.form_checks import read_checked_file
from xlpkg.workbook.writer import fill_workbook


def test_validate_on_the_plain_book_lists_what_the_reader_finds(tmp_path):
    p = example("105002B22DX0009")
    p.plan[3] = p.plan[3] - 10
    path = fill_workbook(p, tmp_path / "f.xlsx")
    expected = [[i.sheet, i.cell or i.location, i.rule, {"error": "错误", "warning": "警告"}[i.severity],
                 i.message] for i in read_checked_file(path).issues]
    book = PlainBook(path)
    issues = buttons.validate(book)
    ws = book.wb[L.RESULTS]
    rows = [list(r) for r in ws.iter_rows(min_row=1, max_row=len(expected) + 1, max_col=5, values_only=True)]
    assert rows == [buttons.RESULT_HEADERS] + expected and len(issues) == len(expected)
    assert book.app.alerts[-1][0] == "校验" and book.app.alerts[-1][1].startswith("校验完成：1个错误")


def test_normalize_on_the_plain_book(tmp_path):
    path = fill_workbook(example(), tmp_path / "f.xlsx")
    r = L.IND_FIRST + len(example().indicators) + 1
    wb = openpyxl.load_workbook(path)
    wb[L.DECL][f"C{r}"], wb[L.DECL][f"I{r}"] = "组织开展监督检查次数", "20次"
    wb.save(path)
    book = PlainBook(path)
    result = buttons.normalize_targets(book)
    assert [book.wb[L.DECL][f"{c}{r}"].value for c in "EFG"] == ["=", 20, "次"]
    assert result["converted"] == [f"{L.DECL}!E{r}:G{r}"]


def test_consolidate_and_new_on_the_plain_book(tmp_path):
    from xlpkg.summary import write_summary_template
    folder = tmp_path / "src"
    folder.mkdir()
    for p in all_examples():
        fill_workbook(p, folder / f"{p.code}.xlsx")
    bench = write_summary_template(tmp_path / "部门汇总表.xlsx")
    book = PlainBook(bench)
    sheet, ref = next(iter(book.wb.defined_names["SourceFolder"].destinations))
    book.wb[sheet][ref.replace("$", "")] = str(folder)
    result = buttons.consolidate(book)
    assert (result["projects"], result["files"], result["problems"]) == (4, 4, [])
    assert (folder / "部门汇总.xlsx").is_file()
    assert book.wb["部门小计"]["A1"].value is not None
    path = buttons.new_form(book)
    assert path == str(tmp_path / "项目绩效目标表.xlsx") and book.app.opened == [path]
