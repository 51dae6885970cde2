"""The ribbon buttons of the 绩效管理 tab: one function per button.

A thin front end: each button reads the workbook through the xlwings ``Book`` API, calls the
core, and writes the result back. Only the API subset that every xlwings engine has is used
(sheets by name, ``range(...).value`` reads and writes, ``book.names``, ``sheets.add``,
``clear_contents``, ``app.alert``), so the same code runs

* under classic xlwings, from the add-in's VBA: ``RunPython "import xlpkg.buttons;
  xlpkg.buttons.validate()"`` — no argument, the book is ``xw.Book.caller()``, which is the
  active workbook when the add-in's VBA is xlwings' ``xlwings_custom_addin.bas`` (with the
  standard ``xlwings.bas`` it would be the add-in itself);
* under xlwings Server / Lite (Office.js), as ``@xw.script`` scripts that get the book injected;
* in LibreOffice Calc (menu and toolbar 绩效管理), on ``xlpkg.libreoffice.book.LOBook``;
* in tests, on ``xw.Book(json=...)`` (xlwings' remote engine) and on a plain stand-in
  (``tests/plain_book.py``), passing the book. xlwings is optional: without it the buttons
  need a book passed in.

Every message an accountant reads is Chinese. A button never raises into Excel: expected
problems are reported in an alert (and returned); an unexpected exception is caught by
``_guarded``, which alerts in Chinese instead of xlwings' English traceback box and prints the
traceback to stderr (xlwings' log) for the IT person.
"""
from __future__ import annotations

import datetime
import functools
import sys
import traceback
from pathlib import Path
from typing import Any

try:
    import xlwings as xw
except ImportError:   # LibreOffice's Python: the book is always passed in (xlpkg.libreoffice)
    xw = None

from .workbook import layout as L
from .sources.book import BookSource
from .cellref import bounds, col_letter
from .issues import ERROR, SEVERITY_LABELS, WARNING
from .workbook.form_checks import read_checked
from .rules import load_rules
from .sources import is_blank
from .summary import SOURCE_FOLDER_NAME
from .targets import TargetError, from_official, official_cells, parse_target
from .consolidate import consolidate as consolidate_folder
from .summary import DEPARTMENTS, GOALS, INDICATORS, ISSUES, NOTES, PROJECTS, SummaryWriteError, notes_frame, write_summary
from .summary import column_number_format
from .workbook.template import write_template
from .review import apply_review as apply_review_book, build_review

__all__ = ["RESULTS_SHEET", "RESULT_HEADERS", "validate", "normalize_targets", "consolidate",
           "new_form", "review_workbook", "apply_review"]

RESULTS_SHEET = L.RESULTS
RESULT_HEADERS = list(L.RESULT_HEADERS)
TITLE = "绩效管理"


def _script(button):
    """xlwings' ``@xw.script`` (Office.js) where xlwings is installed; the plain function else."""
    return xw.script(button) if xw is not None else button


def _guarded(button):
    """Run a button; an unexpected exception becomes a Chinese alert (result None)."""
    @functools.wraps(button)
    def run(book=None, *args):
        book = _book(book)
        try:
            return button(book, *args)
        except Exception as exc:   # noqa: BLE001 - Excel must get a message, not a traceback
            traceback.print_exc(file=sys.stderr)
            _alert(book, f"操作未完成：出现意外错误（{type(exc).__name__}: {exc}）。"
                         "工作簿未被改动或只改动了一部分，请把此信息告知信息技术人员。")
            return None
    return run


def _book(book: Any) -> Any:
    if book is not None:
        return book
    if xw is None:
        raise RuntimeError("没有传入工作簿，且未安装 xlwings")
    return xw.Book.caller()


def _alert(book: Any, message: str, title: str = TITLE) -> None:
    """Show a message box where the engine can (all of xlwings' engines do, except reading
    a file without Excel); a button's result never depends on it."""
    try:
        book.app.alert(message, title=title)
    except Exception:
        pass


def _sheet(book: Any, name: str) -> Any | None:
    for sheet in book.sheets:
        if sheet.name == name:
            return sheet
    return None


def _as_text(value: Any) -> Any:
    """Text that Excel would take for a formula ("=…", "+…", "-…", "@…") gets the apostrophe
    prefix, as when typed: data is never turned into a live formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _write(sheet: Any, top_left: str, rows: list[list[Any]]) -> None:
    """One write of a block of values starting at ``top_left``."""
    sheet.range(top_left).value = [[_as_text(v) for v in row] for row in rows]


# --- 规范指标值 ---------------------------------------------------------------------------

@_script
@_guarded
def normalize_targets(book: xw.Book | None = None) -> dict:
    """规范指标值: split free-text 指标值 ("95%以上") into 指标性质 / 指标值 / 度量单位.

    A row is converted when its 指标性质 is blank and it has a text, either in 指标值 (the old
    combined way of writing, possibly with a 度量单位) or only in 原指标值（文字）. The text
    that was converted is kept in 原指标值（文字）. Rows whose text cannot be understood are
    listed, never guessed. Returns {"converted": [cells], "unparseable": [(cell, message)]}.
    """
    book = _book(book)
    source = BookSource(book)
    names = source.defined_names()
    if "Indicators" not in names:
        message = "本工作簿不是项目绩效目标表（没有名称 Indicators），无法规范指标值。"
        _alert(book, message, "规范指标值")
        return {"converted": [], "unparseable": [], "message": message}
    sheet_name, ref = names["Indicators"]
    rows = source.range_values(sheet_name, ref)
    year = _year(source, names)
    first, first_row, _, _ = bounds(ref)
    first_col = col_letter(first)
    col = {f: L.shift_col(first_col, i) for i, f in enumerate(L.IND_FIELDS)}
    sheet = book.sheets[sheet_name]
    converted, unparseable = [], []
    for i, row in enumerate(rows):
        cells = dict(zip(L.IND_FIELDS, row))
        if not is_blank(cells["nature"]):
            continue
        if isinstance(cells["value"], datetime.datetime):   # a date cell: the date it shows
            cells["value"] = cells["value"].date().isoformat()
        r = first_row + i
        if not is_blank(cells["value"]):
            text, where = _combined_text(cells["value"], cells["unit"]), f"{col['value']}{r}"
        elif not is_blank(cells["original"]):
            text, where = str(cells["original"]).strip(), f"{col['original']}{r}"
        else:
            continue
        try:
            if not is_blank(cells["value"]):
                target = from_official("", cells["value"], cells["unit"], year=year)
            else:
                target = parse_target(text, year=year)
        except TargetError as exc:
            unparseable.append((f"{sheet_name}!{where}", _label(cells, r), exc.message))
            continue
        _write(sheet, f"{col['nature']}{r}", [official_cells(target)])
        if is_blank(cells["original"]):
            _write(sheet, f"{col['original']}{r}", [[text]])
        converted.append(f"{sheet_name}!{col['nature']}{r}:{col['unit']}{r}")
    lines = [f"已规范{len(converted)}个指标值（指标性质、指标值、度量单位）。"]
    if unparseable:
        lines.append(f"以下{len(unparseable)}个指标值无法识别，未作改动，请手工拆分：")
        lines += [f"{where}（{label}）：{message}" for where, label, message in unparseable]
    elif not converted:
        lines = ["没有需要规范的指标值：每个指标都已填写指标性质。"]
    _alert(book, "\n".join(lines), "规范指标值")
    return {"converted": converted, "unparseable": unparseable, "message": "\n".join(lines)}


def _year(source: BookSource, names: dict) -> int | None:
    if "FiscalYear" not in names:
        return None
    value = source.range_values(*names["FiscalYear"])[0][0]
    try:
        return int(value) if not is_blank(value) and int(value) == value else None
    except (TypeError, ValueError):
        return None


def _combined_text(value: Any, unit: Any) -> str:
    """The old one-cell way of writing a target, e.g. 95 and "%" → "95%"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() + ("" if is_blank(unit) else str(unit).strip())


def _label(cells: dict, row: int) -> str:
    name = cells.get("name")
    return str(name).strip() if not is_blank(name) else f"第{row}行"


# --- 校验 --------------------------------------------------------------------------------

@_script
@_guarded
def validate(book: xw.Book | None = None) -> list:
    """校验: check the open project form (unsaved edits included) with the reader and the
    rulebook, list every issue in the 校验结果 sheet (工作表, 单元格, 规则, 级别, 说明) and
    say in an alert how many errors and warnings there are. Returns the issues."""
    book = _book(book)
    rules = load_rules()
    result = read_checked(BookSource(book), file=book.name, rules=rules)
    issues = result.issues
    errors = sum(1 for i in issues if i.severity == ERROR)
    warnings = sum(1 for i in issues if i.severity == WARNING)
    rows = [[i.sheet, i.cell or i.location, i.rule, SEVERITY_LABELS.get(i.severity, i.severity),
             i.message] for i in issues]
    if not rows:
        rows = [["", "", "", "", "未发现问题"]]
    sheet = _results_sheet(book)
    if errors or warnings:
        summary = f"校验完成：{errors}个错误，{warnings}个警告。"
    else:
        summary = "校验完成：未发现错误或警告。"
    if sheet is not None:
        _write(sheet, "A1", [RESULT_HEADERS] + rows)
        sheet.activate()
        message = summary + (f"详见“{RESULTS_SHEET}”工作表。" if issues else "")
    else:   # the workbook's structure is protected and it has no 校验结果 sheet yet
        shown = [f"{r[0]}!{r[1]} {r[3]}：{r[4]}" for r in rows[:15]]
        more = [f"……另有{len(rows) - 15}条"] if len(rows) > 15 else []
        message = "\n".join([summary, f"（无法添加“{RESULTS_SHEET}”工作表：工作簿结构受保护）",
                             *shown, *more])
    _alert(book, message, "校验")
    return issues


def _results_sheet(book: Any) -> Any | None:
    """The 校验结果 sheet, emptied; added at the end if missing; None if it cannot be added."""
    sheet = _sheet(book, RESULTS_SHEET)
    if sheet is not None:
        sheet.clear_contents()
        return sheet
    try:
        return book.sheets.add(RESULTS_SHEET, after=book.sheets[len(book.sheets) - 1])
    except Exception:   # e.g. Excel refuses: the workbook structure is protected
        return None


# --- 汇总 --------------------------------------------------------------------------------

SOURCE_FOLDER = SOURCE_FOLDER_NAME
SUMMARY_FILE = "部门汇总.xlsx"


@_script
@_guarded
def consolidate(book: xw.Book | None = None) -> dict:
    """汇总, in the department summary workbook: read the project workbooks in the folder
    named by the cell ``SourceFolder``, write the full summary file 部门汇总.xlsx next to them
    and the summary tables into this workbook's sheets (项目汇总, 部门小计, 指标明细,
    部门整体绩效目标, 问题清单). Bad files become rows of 问题清单; the others still count.
    Returns {"output", "projects", "files", "issues", "sheets", "problems", "message"}."""

    book = _book(book)
    source = BookSource(book)
    names = source.defined_names()
    outcome: dict = {"output": None, "projects": 0, "files": 0, "issues": 0, "sheets": [],
                     "problems": []}
    if SOURCE_FOLDER not in names:
        return _finish(book, outcome, "汇总", "本工作簿没有名称 SourceFolder，无法确定项目工作簿所在的"
                       "文件夹：请在部门汇总表中使用“汇总”按钮。")
    sheet_name, ref = names[SOURCE_FOLDER]
    value = source.range_values(sheet_name, ref)[0][0]
    if is_blank(value):
        return _finish(book, outcome, "汇总", f"请先在“{sheet_name}”工作表的 {ref} 单元格填写存放"
                       "项目工作簿的文件夹，再点“汇总”。")
    folder = Path(str(value).strip().strip('"')).expanduser()
    here = _book_folder(book)
    if not folder.is_absolute() and here is not None:
        folder = here / folder
    if not folder.is_dir():
        return _finish(book, outcome, "汇总", f"文件夹不存在或无法访问：{folder}")
    output = folder / SUMMARY_FILE
    exclude = [output] + ([Path(book.fullname)] if here is not None else [])
    # One process: Python started by Excel (RunPython) is no place for a process pool.
    c = consolidate_folder(folder, rules=load_rules(), jobs=1, exclude=exclude)
    outcome.update(projects=c.project_count, files=len(c.files_read), issues=len(c.issues))
    try:
        outcome["output"] = str(write_summary(c, output))
    except SummaryWriteError as exc:
        outcome["problems"].append(str(exc))
    for name, frame in ((PROJECTS, c.projects), (DEPARTMENTS, c.departments),
                        (INDICATORS, c.indicators), (GOALS, c.dept_goals), (ISSUES, c.issues),
                        (NOTES, notes_frame(c))):
        try:
            sheet = _sheet(book, name) or book.sheets.add(name, after=book.sheets[len(book.sheets) - 1])
            sheet.clear_contents()
            _write(sheet, "A1", _frame_rows(frame))
            _format_columns(sheet, list(frame.columns), len(frame))
            outcome["sheets"].append(name)
        except Exception as exc:   # e.g. a protected sheet in Excel: the file is still complete
            outcome["problems"].append(f"无法写入本工作簿的“{name}”工作表（{exc}）")
    lines = [f"汇总完成：读取{outcome['files']}个文件，汇总{outcome['projects']}个项目，"
             f"问题清单{outcome['issues']}条（有错误的文件{len(c.files_with_errors)}个）。"]
    if outcome["files"] and not outcome["projects"]:
        # issue 21 #2: every form has an error; the 问题清单 written above says why
        lines.append("没有项目计入汇总：各文件的问题见“问题清单”工作表，改正后再点“汇总”。")
    if outcome["output"]:
        lines.append(f"部门汇总表已保存到：{outcome['output']}")
    lines += outcome["problems"]
    return _finish(book, outcome, "汇总", "\n".join(lines))


def _format_columns(sheet: Any, columns: list[str], count: int) -> None:
    """Number formats as the summary file has them (percent, money, points), column by column;
    an engine that cannot set a format keeps the values (they are right, only less legible)."""
    if not count:
        return
    for index, name in enumerate(columns, start=1):
        number_format = column_number_format(name)
        if number_format is None:
            continue
        col = col_letter(index)
        try:
            sheet.range(f"{col}2:{col}{count + 1}").number_format = number_format
        except Exception:   # noqa: BLE001 - formatting is a nicety, never a failed 汇总
            return


def _frame_rows(frame) -> list[list[Any]]:
    """A DataFrame as a header row and plain values (NaN → empty cell)."""
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    return [list(frame.columns)] + rows


def _book_folder(book: Any) -> Path | None:
    """The folder of a saved workbook; None for an unsaved one or a remote (Office.js) book."""
    try:
        path = Path(book.fullname)
    except Exception:
        return None
    return path.parent if path.is_absolute() and path.parent.is_dir() else None


def _finish(book: Any, outcome: dict, title: str, message: str) -> dict:
    outcome["message"] = message
    _alert(book, message, title)
    return outcome


# --- 审核表 and 回填审核意见 (issue 25) -----------------------------------------------------

REVIEW_FILE = "审核表.xlsx"
REVIEWED_FOLDER = "审核意见回填"


def _summary_folder(book: Any, action: str) -> tuple[Path | None, str]:
    """The folder of project forms that the open summary names in ``SourceFolder``."""
    source = BookSource(book)
    names = source.defined_names()
    if SOURCE_FOLDER not in names:
        return None, f"本工作簿没有名称 SourceFolder，无法确定项目工作簿所在的文件夹：请在部门汇总表中使用“{action}”。"
    sheet_name, ref = names[SOURCE_FOLDER]
    value = source.range_values(sheet_name, ref)[0][0]
    if is_blank(value):
        return None, f"请先在“{sheet_name}”工作表的 {ref} 单元格填写存放项目工作簿的文件夹，再点“{action}”。"
    folder = Path(str(value).strip().strip('"')).expanduser()
    here = _book_folder(book)
    if not folder.is_absolute() and here is not None:
        folder = here / folder
    if not folder.is_dir():
        return None, f"文件夹不存在或无法访问：{folder}"
    return folder, ""


def _review_home(book: Any, folder: Path) -> Path:
    """Where 审核表.xlsx and the folder of reviewed copies go: beside the open summary, else
    beside the forms' folder, so that neither is taken for a form by the next 汇总."""
    return _book_folder(book) or folder.parent


@_script
@_guarded
def review_workbook(book: xw.Book | None = None) -> dict:
    """审核表: the finance bureau's review workbook (``xlpkg review``) of the forms in the folder
    the open summary names, saved as 审核表.xlsx beside the summary (``_review_home``); the stage is 自评复核 when any form's
    self-evaluation has begun, else 绩效目标审核. Returns {"output", "projects", "stage", "problems", "message"}."""
    book = _book(book)
    outcome: dict = {"output": None, "projects": 0, "stage": None, "problems": []}
    folder, problem = _summary_folder(book, "审核表")
    if folder is None:
        return _finish(book, outcome, "审核表", problem)
    here = _book_folder(book)
    exclude = [Path(book.fullname)] if here is not None else []
    output = _review_home(book, folder) / REVIEW_FILE
    path, forms, problems = build_review([str(folder)], output, load_rules(), "auto", exclude=exclude)
    outcome.update(output=str(path) if path else None, projects=len(forms), problems=problems,
                   stage=forms[0].stage if forms else None)
    if path is None:
        return _finish(book, outcome, "审核表", "\n".join(problems[-1:] + problems[:10]))
    lines = [f"审核表已生成：{path}（{len(forms)}个项目）。请在“审核”和“指标审核”工作表的黄色单元格填写审核结果、"
             "审核意见（和评定得分），保存后点“回填审核意见”。", *problems[:10]]
    return _finish(book, outcome, "审核表", "\n".join(lines))


@_script
@_guarded
def apply_review(book: xw.Book | None = None) -> dict:
    """回填审核意见: ``xlpkg review --apply`` of 审核表.xlsx (beside the summary) into copies of the
    forms, saved in the folder 审核意见回填 beside it (the departments' files are never changed).
    Returns {"output", "applied", "skipped", "errors", "message"}."""
    book = _book(book)
    outcome: dict = {"output": None, "applied": [], "skipped": [], "errors": []}
    folder, problem = _summary_folder(book, "回填审核意见")
    if folder is None:
        return _finish(book, outcome, "回填审核意见", problem)
    review = _review_home(book, folder) / REVIEW_FILE
    if not review.is_file():
        return _finish(book, outcome, "回填审核意见", f"没有找到审核表：{review}。请先点“审核表”生成并填写。")
    out = _review_home(book, folder) / REVIEWED_FOLDER
    result = apply_review_book(review, [str(folder)], out, load_rules())
    outcome.update(output=str(out), applied=result.applied, skipped=result.skipped, errors=result.errors)
    if result.errors:
        lines = ["审核表有误，没有写入任何文件：", *result.errors[:10]]
    else:
        lines = [f"已回填{len(result.applied)}个表单，副本保存在：{out}（部门原文件未改动）。", *result.skipped[:10]]
    return _finish(book, outcome, "回填审核意见", "\n".join(lines))


# --- 新建 --------------------------------------------------------------------------------

FORM_FILE = "项目绩效目标表.xlsx"


@_script
@_guarded
def new_form(book: xw.Book | None = None, folder: str | None = None) -> str:
    """新建: write a blank project form (the template) into a new file and open it.

    The file goes into ``folder``, else next to the calling workbook, else the user's
    Documents folder, named 项目绩效目标表.xlsx (项目绩效目标表 (2).xlsx … if taken). Engines that
    can open files (classic Excel) open it; the remote/Office.js engine cannot, so an alert
    gives the path. Returns the path."""

    book = _book(book)
    base = Path(folder) if folder else (_book_folder(book) or _documents())
    path = _free_name(base / FORM_FILE)
    write_template(path)
    if _engine_type(book) != "remote":
        try:
            book.app.books.open(str(path))
            return str(path)
        except Exception:
            pass
    _alert(book, f"已新建项目绩效目标表：{path}\n请在 Excel 中打开该文件填写。", "新建")
    return str(path)


def _documents() -> Path:
    docs = Path.home() / "Documents"
    return docs if docs.is_dir() else Path.home()


def _free_name(path: Path) -> Path:
    n = 2
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
        n += 1
    return candidate


def _engine_type(book: Any) -> str | None:
    try:
        return book.app.engine.type
    except Exception:
        return None
