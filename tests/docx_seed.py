"""Word renderings of the seed, written by hand from the seed text file's lines (not by
xlpkg.documents.publish), in the ways real documents differ.

The seed text renders a table cell as a line starting with a tab (the cell's further
paragraphs follow without one), a row ends at a blank line and a table at a run of blank
lines or at the department line.
"""
from __future__ import annotations

import re

import docx
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement

from tests.helpers import ROOT

SEED_TEXT = (ROOT / "examples" / "seed" / "000_682dbcc580879855.txt").read_text("utf-8")
DEPT_LINE = re.compile(r"^\s*\d{6}\s")


def seed_blocks(text: str = SEED_TEXT, *, keep_bookmarks: bool = False) -> list[tuple[str, object]]:
    """[("p", text) | ("table", [[cell text, ...], ...])] in the seed's order."""
    blocks: list[tuple[str, object]] = []
    table = row = None
    blanks = 0
    for raw in text.split("\n"):
        line = raw if keep_bookmarks else re.sub(r"\[bookmark: [^\]]*\]", "", raw)
        if line.startswith("\t"):
            if table is None:
                table = []
                blocks.append(("table", table))
            if row is None:
                row = []
                table.append(row)
            row.append(line[1:])
            blanks = 0
        elif not line.strip():
            row = None
            blanks += 1
            if blanks >= 3:
                table = None
        elif row is not None and not DEPT_LINE.match(line):
            row[-1] += "\n" + line          # the cell's next paragraph
            blanks = 0
        else:
            table = row = None
            blocks.append(("p", line))
            blanks = 0
    return blocks


FULLWIDTH_LABELS = {"项目编码": "项目编码：", "项目名称": "项　目　名　称",
                    "资金支出计划(累计进度%)": "资金支出计划（累计进度％）",
                    "绩效目标": "绩 效 目 标", "一级指标": "一级\n指标"}


def _set_cell(cell, text: str, *, line_breaks: bool) -> None:
    """Several paragraphs, or one paragraph with line breaks (w:br)."""
    lines = text.split("\n")
    if line_breaks:
        run = cell.paragraphs[0].add_run()
        for i, line in enumerate(lines):
            if i:
                run.add_break(WD_BREAK.LINE)
            run.add_text(line)
        return
    cell.paragraphs[0].add_run(lines[0])
    for line in lines[1:]:
        cell.add_paragraph(line)


def _vmerge_level1(table, rows: list[list[str]]) -> None:
    """Merge 一级 down over the blank cells below it, as the paper form does."""
    start = None
    for r, cells in enumerate(rows):
        if cells and cells[0].replace("\n", "") == "一级指标":
            start = None
        elif cells and cells[0].strip("　 "):
            start = r
        elif start is not None and len(cells) == 6 and r > start:
            top = table.cell(start, 0)
            text = top.text
            merged = top.merge(table.cell(r, 0))
            for p in merged.paragraphs[1:]:
                p._element.getparent().remove(p._element)
            if merged.text != text:
                merged.paragraphs[0].text = text


def build_seed_docx(path, *, merges=False, fullwidth=False, line_breaks=False, split=False,
                    extra_tables=False, broken_row=False, header_repeat=True,
                    orphan_vmerge=False, content_controls=False, captions=False,
                    per_shape=False, keep_bookmarks=False, short_rows=False,
                    inline_labels=False, one_table=False) -> None:
    """The seed as a .docx. ``merges``: 一级 and the plan label merged down (else left blank);
    ``fullwidth``: labels with full-width punctuation and spaces; ``line_breaks``: cells with
    w:br instead of paragraphs; ``split``: each form split into two tables after its 5th
    indicator row; ``extra_tables``: tables that are not project forms; ``broken_row``: an
    indicator row without a 三级 name (to be reported, the rest still read); ``orphan_vmerge``:
    a continued table's blank 一级 cells say "merged with the cell above" though there is none
    (as Word leaves a merge cut by a page break); ``content_controls``: department lines
    inside content controls; ``captions``: a title and a unit line above each form and
    "（续表）" above a continued table; ``per_shape``: a new table wherever the number of
    cells in a row changes (as a naive converter writes); ``keep_bookmarks``: the text
    export's "[bookmark: …]" markers left in the paragraphs; ``short_rows``: indicator rows
    whose blank 一级 cell is left out (the row has five cells in a six-column grid);
    ``inline_labels``: "项目编码：…", "项目名称：…", "绩效目标：…" as label and value in one cell;
    ``one_table``: a department's forms run together in one table."""
    document = docx.Document()
    first_table = True
    blocks = seed_blocks(keep_bookmarks=keep_bookmarks)
    if one_table:
        joined: list = []
        for kind, content in blocks:
            if kind == "table" and joined and joined[-1][0] == "table":
                joined[-1] = ("table", joined[-1][1] + content)
            else:
                joined.append((kind, content))
        blocks = joined
    for kind, content in blocks:
        if kind == "p":
            paragraph = document.add_paragraph(content)
            if content_controls and DEPT_LINE.match(content):
                add_sdt_wrapper(paragraph)
            continue
        rows = [list(r) for r in content]
        if fullwidth:
            rows = [[FULLWIDTH_LABELS.get(c, c) for c in r] for r in rows]
        if inline_labels:
            rows = [[f"{r[i]}：{r[i + 1]}" for i in range(0, len(r), 2)]
                    if r and r[0] in ("项目编码", "项目名称", "绩效目标") else r for r in rows]
        if broken_row and first_table:
            rows.append(["", "社会效益指标", "", "群众来信来访回复", "100%", ""])
        if extra_tables and first_table:
            t = document.add_table(rows=2, cols=3)
            for c, text in enumerate(["单位：万元", "预算数", "备注"]):
                t.cell(0, c).text = text
            for c, text in enumerate(["合计", "2778", ""]):
                t.cell(1, c).text = text
            document.add_paragraph()
        if captions:
            document.add_paragraph("项目支出绩效目标表")
            document.add_paragraph("单位：万元")
        parts = [rows]
        if per_shape:
            parts = []
            for row in rows:
                if parts and len(parts[-1][-1]) == len(row):
                    parts[-1].append(row)
                else:
                    parts.append([row])
        elif split:
            header = next(i for i, r in enumerate(rows) if r and r[0] in ("一级指标", "一级\n指标"))
            cut = header + 6
            second = rows[cut:]
            if header_repeat:
                second = [rows[header]] + second
            parts = [rows[:cut], second]
        for n, part in enumerate(parts):
            if n and not per_shape:
                p = document.add_paragraph()
                p.add_run().add_break(WD_BREAK.PAGE)
                if captions:
                    document.add_paragraph("（续表）")
            table = _add_table(document, part, merges=merges, line_breaks=line_breaks)
            if short_rows:
                _drop_blank_first_cells(table, part)
            if n and orphan_vmerge:
                _orphan_vmerge(table, part)
        first_table = False
    if extra_tables:
        t = document.add_table(rows=1, cols=2)
        t.cell(0, 0).text = "联系人"
        t.cell(0, 1).text = "财务科"
    document.save(str(path))


def _add_table(document, rows, *, merges, line_breaks):
    table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    table.style = document.styles["Table Grid"]
    for r, cells in enumerate(rows):
        n = len(cells)
        for c, text in enumerate(cells):
            cell = table.cell(r, c)
            last = len(table.columns) - 1
            if c == n - 1 and n - 1 < last:
                cell = cell.merge(table.cell(r, last))     # the last cell spans the rest
            _set_cell(cell, text, line_breaks=line_breaks)
    if merges:
        _vmerge_level1(table, rows)
        for r, cells in enumerate(rows):
            if cells and cells[0].startswith("资金支出计划") and r + 1 < len(rows):
                top = table.cell(r, 0)
                text = top.text
                merged = top.merge(table.cell(r + 1, 0))
                for p in merged.paragraphs[1:]:
                    p._element.getparent().remove(p._element)
                merged.paragraphs[0].text = text
    return table


def _drop_blank_first_cells(table, rows) -> None:
    for tr, cells in zip(table._tbl.tr_lst, rows):
        if len(cells) == 6 and not cells[0].strip("　 "):
            tr.remove(tr.tc_lst[0])


def _orphan_vmerge(table, rows) -> None:
    for r, cells in enumerate(rows):
        if len(cells) != 6 or cells[0].strip("　 "):
            break
        tc_pr = table._tbl.tr_lst[r].tc_lst[0].get_or_add_tcPr()
        tc_pr.append(OxmlElement("w:vMerge"))


def add_sdt_wrapper(paragraph) -> None:
    """Wrap a paragraph in a content control (some templates do), to test reading order."""
    sdt = OxmlElement("w:sdt")
    content = OxmlElement("w:sdtContent")
    sdt.append(content)
    paragraph._element.addprevious(sdt)
    content.append(paragraph._element)
