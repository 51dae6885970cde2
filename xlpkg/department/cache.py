"""Formula results stored beside the formulas, so that a reader that does not calculate
(python-calamine, openpyxl ``data_only``, the finance bureau's summary) sees the numbers.

openpyxl writes formulas without results. The values stored here are Python's
(``department_metrics``), which the tests prove equal to what LibreOffice calculates from the
same cells; Excel recalculates on open anyway (``fullCalcOnLoad``). Only the cells behind the
formula names of ``department_layout.FORMULA_NAMES`` get a value. No workbook library: the
sheet XML is patched in the zip.
"""
from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from ..cellref import bounds, col_letter
from ..metrics import round2
from . import layout as L
from .metrics import DeptMetrics, grade_distribution_text
from ..system.safeio import read_entry

__all__ = ["formula_values", "store_cached_values"]


def _n(value: Decimal | None) -> float | str:
    return "" if value is None else float(value)


def _points(value: Decimal | None) -> float | str:
    return "" if value is None else float(round2(value))


def formula_values(m: DeptMetrics) -> dict[str, list[list[Any]]]:
    """Each formula name's values as the sheet computes them ("" where a formula gives "")."""
    rows = m.rows
    exec_scores = [[_points(rows["basic"].score) if rows["basic"].weight else ""], [None], [None],
                   [_points(rows["project"].score) if rows["project"].weight else ""],
                   [_points(rows["total"].score) if rows["total"].weight else ""]]
    pad = lambda values: [[v] for v in values] + [[""]] * (L.PROJECT_ROWS - len(values))   # noqa: E731
    return {
        "DeptBudgetBasic": [[float(rows["basic"].budget)]],
        "DeptBudgetProject": [[float(rows["project"].budget)]],
        "DeptBudgetTotal": [[float(rows["total"].budget)]],
        "DeptYearBudget": [[float(rows["total"].year_budget)]],
        "DeptSpent": [[_n(rows["total"].spent)]],
        "DeptBasicExecRate": [[_n(rows["basic"].rate)]],
        "DeptProjectExecRate": [[_n(rows["project"].rate)]],
        "DeptExecRate": [[_n(rows["total"].rate)]],
        "DeptExecScores": exec_scores,
        "CommonRates": [[_n(m.common[k].rate)] for k in L.COMMON_KEYS],
        "CommonScores": [[_points(m.common[k].score)] for k in L.COMMON_KEYS] + [[_points(m.projects_score)]],
        "DeptProjWeightedAvg": [[_n(m.project_weighted)]],
        "DeptProjCount": [[float(m.project_count)]],
        "DeptProjAvg": [[_n(m.project_average)]],
        "DeptGradeDist": [[grade_distribution_text(m)]],
        "DeptProjRates": pad([_n(r) for r in m.project_rates]),
        "DeptProjGrades": pad([g or "" for g in m.project_grade_list]),
        "DeptIndPart": [[_points(m.indicators_score)]],
        "DeptTotalScore": [[_points(m.total)]],
        "DeptGrade": [[m.grade or ""]],
        "DeptScoreScale": [[float(m.scale)]],
    }


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → part name, from workbook.xml and its relationships."""
    wb = read_entry(z, "xl/workbook.xml").decode("utf-8")
    rels = read_entry(z, "xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {}
    for rel in re.finditer(r"<Relationship\b[^>]*>", rels):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', rel[0]))
        targets[attrs["Id"]] = attrs["Target"].lstrip("/")
    parts = {}
    for sheet in re.finditer(r"<sheet\b[^>]*>", wb):
        attrs = dict(re.findall(r'([\w:]+)="([^"]*)"', sheet[0]))
        target = targets[attrs["r:id"]]
        parts[_unescape(attrs["name"])] = target if target.startswith("xl/") else f"xl/{target}"
    return parts


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


def _cells(name: str, values: list[list[Any]]) -> dict[str, Any]:
    first_col, first_row, _, _ = bounds(L.NAMES[name].ref)
    out = {}
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            if value is not None:
                out[f"{col_letter(first_col + j)}{first_row + i}"] = value
    return out


def _patch(xml: str, cells: dict[str, Any]) -> str:
    def fill(m: re.Match) -> str:
        value = cells.get(m[1])
        if value is None:
            return m[0]
        attrs = re.sub(r'\s+t="[^"]*"', "", m[2])
        if isinstance(value, str):
            return f'<c r="{m[1]}"{attrs} t="str"><f>{m[3]}</f><v>{escape(value)}</v></c>'
        return f'<c r="{m[1]}"{attrs}><f>{m[3]}</f><v>{repr(float(value))}</v></c>'
    return re.sub(r'<c r="([A-Z]+[0-9]+)"([^>]*)><f>(.*?)</f>(?:<v\s*/>|<v></v>)</c>', fill, xml)


def store_cached_values(src: Path, dst: Path, values: dict[str, list[list[Any]]]) -> None:
    """Copy the workbook ``src`` to ``dst`` with ``values`` stored as the formulas' results."""
    by_sheet: dict[str, dict[str, Any]] = {}
    for name, grid in values.items():
        by_sheet.setdefault(L.NAMES[name].sheet, {}).update(_cells(name, grid))
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        parts = {part: sheet for sheet, part in _sheet_parts(zin).items()}
        for info in zin.infolist():
            data = read_entry(zin, info)
            sheet = parts.get(info.filename)
            if sheet in by_sheet:
                data = _patch(data.decode("utf-8"), by_sheet[sheet]).encode("utf-8")
            zout.writestr(info, data)
