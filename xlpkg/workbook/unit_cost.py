"""绩效自评's 单位成本 row (template v3, issue 26): the accountant picks one 数量指标 as the
cost basis and the sheet shows 全年执行数 ÷ its 实际完成值, in 万元 per the indicator's unit.

The Python twin is ``xlpkg.cost.unit_cost``: the actual is the score helpers' parsed number
(``num``, in the target's unit, as ``targets.parse_actual`` gives it) and the unit the parsed
target unit (``unit``), so both agree for typed numbers and texts such as "45人次".
"""
from __future__ import annotations

from . import layout as L
from .style import CENTER, E, X, define_name, formula, input_cell, label, validate

__all__ = ["build_unit_cost"]


def _calc_col(col: str) -> str:
    return f"{X}${col}${L.EVAL_IND_FIRST}:${col}${L.EVAL_IND_LAST}"


def build_unit_cost(wb, ws, calc):
    r, c = L.EVAL_UNIT_COST_ROW, L.UNIT_COST_COLS
    name_col = L.EVAL_IND_COLS["name"]
    qty = L.CALC_QUANTITY_COL
    for i in range(L.INDICATOR_ROWS):
        row = L.EVAL_IND_FIRST + i
        level2 = f"TRIM({E}{L.EVAL_IND_COLS['level2']}{row}&\"\")"
        short = f'IF(AND(RIGHT({level2},2)="指标",LEN({level2})>2),LEFT({level2},LEN({level2})-2),{level2})'
        name = f'TRIM({E}{name_col}{row}&"")'
        calc[f"{qty}{row}"] = f'=IF(AND({short}="数量",{name}<>""),{name},"")'
    choices = f"{qty}{L.EVAL_IND_FIRST}:{qty}{L.EVAL_IND_LAST}"
    define_name(wb, "UnitCostChoices", L.CALC, choices)

    label(ws, f"A{r}", "单位成本（选一项数量指标为核算依据）", merge=f"A{r}:C{r}")
    input_cell(ws, f"{c['basis']}{r}:{c['basis_end']}{r}", align=CENTER)
    validate(ws, f"{c['basis']}{r}", kind="list", formula1="UnitCostChoices",
             prompt="从本表的数量指标中选一项，单位成本=全年执行数÷该指标的实际完成值",
             error="请从本表的数量指标中选择")
    label(ws, f"G{r}", "单位成本")
    basis = f"TRIM({c['basis']}{r}&\"\")"            # as 绩效自评's own formulas name it
    basis_x = f"TRIM({E}{c['basis']}{r}&\"\")"        # as _calc names it
    row_cell, unit_cell = (f"{L.CALC_UNIT_COST_COLS[k]}{r}" for k in ("row", "unit"))
    calc[row_cell] = f'=IF({basis_x}="","",IFERROR(MATCH({basis_x},{_calc_col(qty)},0),""))'
    number = f"INDEX({_calc_col(L.EVAL_HELPER_COL['num'])},{X}{row_cell})"
    calc[unit_cell] = f'=IF({row_cell}="","",INDEX({_calc_col(L.EVAL_HELPER_COL["unit"])},{row_cell}))'
    formula(ws, f"{c['amount']}{r}",
            f'=IF({X}{row_cell}="","",IF(AND(ISNUMBER(EffSpent),ISNUMBER({number})),'
            f'IF({number}=0,"",EffSpent/{number}),""))', fmt="0.0000")
    formula(ws, f"{c['unit']}{r}",
            f'=IF({c["amount"]}{r}="","万元/单位（全年执行数÷所选数量指标的实际完成值）",'
            f'"万元/"&{X}{unit_cell}&"（全年执行数÷“"&{basis}&"”的实际完成值）")',
            merge=f"{c['unit']}{r}:{L.EVAL_LAST_COL}{r}")
    ws.row_dimensions[r].height = 20   # one line: a taller row would cost a one-page form its 7 pt
