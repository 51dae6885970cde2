"""The self-evaluation score formulas: one indicator's allocated 分值 and 得分, and the total.

They mirror ``xlpkg.metrics`` (``allocate_weights``, ``score_ratio``, ``self_evaluation``) step by
step; each working step is a column of the very hidden ``_calc`` sheet so every formula stays
readable and readers never parse them. A maintainer changing a scoring rule changes it here and
in ``metrics`` and nowhere else; the LibreOffice recalculation tests prove the two agree.
"""
from __future__ import annotations

from .. import layout as L
from .style import CENTER, D, E, M, WRAP, X, formula, input_cell, label, box

__all__ = ["indicator_score_row", "totals"]


def indicator_score_row(ws, calc, r: int, d: int, m: int):
    """One indicator's allocated 分值 and 得分, mirroring metrics.allocate_weights/score_ratio.

    The working steps go to the same row of ``calc``; formulas there name 绩效自评's cells
    with the sheet, and 绩效自评's formulas name the steps with ``_calc``."""
    c, H = L.EVAL_IND_COLS, {k: f"{v}{r}" for k, v in L.EVAL_HELPER_COL.items()}
    col = {k: f"{X}${v}${L.EVAL_IND_FIRST}:${v}${L.EVAL_IND_LAST}" for k, v in L.EVAL_HELPER_COL.items()}
    lv1, lv2, nat_cell, val, unit = (f"{D}{L.IND_COL[k]}{d}" for k in ("level1", "level2", "nature", "value", "unit"))
    act, app, win = (f"{E}{c[k]}{r}" for k in ("actual", "applicable", "weight_input"))
    for key in ("level1", "level2", "name"):
        src = f"{D}{L.IND_COL[key]}{d}"
        formula(ws, f"{c[key]}{r}", f'=IF({src}="","",{src})', align=WRAP)
    formula(ws, f"{c['target']}{r}", f"={M}{L.MON_IND_COLS['target']}{m}", align=WRAP)
    for key, fmt in (("actual", None), ("applicable", None), ("weight_input", "0.00")):
        input_cell(ws, f"{c[key]}{r}", fmt=fmt, align=CENTER)
    input_cell(ws, f"{c['analysis']}{r}")

    calc[H["grp"]] = f'=IF(ISNA(MATCH(TRIM({lv1}),L1Names,0)),"",INDEX(L1Groups,MATCH(TRIM({lv1}),L1Names,0)))'
    calc[H["member"]] = f'=IF(AND({H["grp"]}<>"",TRIM({app})<>"否"),1,0)'
    calc[H["win"]] = f'=IF(ISNUMBER({win}),{win},IF(TRIM({win})="","",IFERROR(VALUE(TRIM({win})),"")))'
    calc[H["given"]] = f'=IF(AND({H["member"]}=1,{H["win"]}<>""),{H["win"]},0)'
    calc[H["free"]] = f'=IF(AND({H["member"]}=1,{H["win"]}=""),1,0)'
    l2 = f"TRIM({lv2})"
    l2n = f'IF(AND(RIGHT({l2},2)="指标",LEN({l2})>2),LEFT({l2},LEN({l2})-2),{l2})'
    calc[H["cost"]] = f'=IF(OR(TRIM({lv1})="成本指标",ISNUMBER(MATCH({l2n},CostL2,0))),1,0)'
    calc[H["nat"]] = f"=TRIM({nat_cell})"
    nat, t1 = H["nat"], H["t1"]
    u = f"TRIM({unit})"
    s = f'IF({u}="",SUBSTITUTE(TRIM({val})," ",""),SUBSTITUTE(SUBSTITUTE(TRIM({val})," ",""),{u},""))'
    calc[t1] = (f'=IF({nat}="日期",IF(ISNUMBER({val}),INT({val}),IFERROR(DATEVALUE(TRIM({val})),"")),'
              f'IF({nat}="区间",IFERROR(VALUE(LEFT({s},FIND("-",{s},2)-1)),""),'
              f'IF(ISNUMBER({val}),{val},IFERROR(VALUE({s}),""))))')
    calc[H["t2"]] = f'=IF({nat}="区间",IFERROR(VALUE(MID({s},FIND("-",{s},2)+1,99)),""),"")'
    ceiling = f'AND({H["cost"]}=1,ISNUMBER(MATCH({u},MoneyUnits,0)),EqualCostCeiling)'
    calc[H["mode"]] = (f'=IF({nat}="定性","qual",IF({nat}="日期","date",IF({nat}="区间","range",'
                     f'IF(OR({nat}="≥",{nat}=">"),"pos",IF(OR({nat}="≤",{nat}="<"),"neg",'
                     f'IF(AND({nat}="=",ISNUMBER({t1})),IF(OR({t1}=0,{ceiling}),"neg","pos"),""))))))')
    a = f'SUBSTITUTE(TRIM({act})," ","")'
    # Numeric actual in the target's unit (metrics.parse_actual): a bare number ≤ 1 in a % row
    # is a fraction; "22次" in a 次 row is 22; anything needing unit conversion is left to Python.
    calc[H["num"]] = (f'=IF(ISNUMBER({act}),IF(AND({u}="%",ABS({act})<=1),{act}*100,{act}),'
                    f'IF({a}="","",IF(AND({u}<>"",RIGHT({a},LEN({u}))={u}),'
                    f'IFERROR(VALUE(LEFT({a},LEN({a})-LEN({u}))),""),'
                    f'IF(ISERROR(FIND("%",{a})),IFERROR(VALUE({a})*IF(AND({u}="%",ABS(VALUE({a}))<=1),100,1),""),""))))')
    num, t2, mode = H["num"], H["t2"], H["mode"]

    def pos(x, t):
        return f"IF({x}>={t},1,IF({t}<=0,0,MAX(0,{x}/{t})))"

    def neg(x, t):
        return (f'IF({x}<={t},1,IF(NegMode="ratio",IF({t}>0,{t}/{x},0),'
                f'IF({t}<=0,0,MAX(0,1-({x}-{t})/{t}))))')

    pct = lambda p: f'IF(AND({p}>=0,{p}<=100),{p}/100,"")'
    target_text = f'SUBSTITUTE(TRIM({val})," ","")'
    qual = (f'IF(ISNUMBER({act}),{pct(f"IF(ABS({act})<=1,{act}*100,{act})")},'
            f'IF({a}={target_text},1,IF(ISNUMBER(MATCH({a},QualWords,0)),INDEX(QualRatios,MATCH({a},QualWords,0)),'
            f'IF(RIGHT({a},1)="%",IFERROR({pct(f"VALUE(LEFT({a},LEN({a})-1))")},""),""))))')
    date = (f'IF(ISNUMBER({act}),IF(ISNUMBER({t1}),IF(INT({act})<={t1},1,LateRatio),""),'
            f'IF(ISNUMBER(MATCH({a},DoneWords,0)),1,IF(ISNUMBER(MATCH({a},NotDoneWords,0)),LateRatio,'
            f'IF(ISNUMBER({t1}),IFERROR(IF(DATEVALUE({a})<={t1},1,LateRatio),""),""))))')
    numeric = (f'IF(OR(NOT(ISNUMBER({num})),NOT(ISNUMBER({t1}))),"",IF({mode}="pos",{pos(num, t1)},'
               f'IF({mode}="neg",{neg(num, t1)},IF(NOT(ISNUMBER({t2})),"",'
               f'IF({num}<{t1},{pos(num, t1)},{neg(num, t2)})))))')
    calc[H["ratio"]] = (f'=IF({a}="",0,IF({mode}="qual",{qual},IF({mode}="date",{date},'
                      f'IF({mode}="","",{numeric}))))')
    weight, score = f"{c['weight']}{r}", f"{c['score']}{r}"
    calc[H["raw"]] = f'=IF({H["member"]}=1,IF({H["ratio"]}="","",{H["ratio"]}*{E}{weight}),0)'
    calc[H["pending"]] = f'=IF(AND({H["member"]}=1,{H["ratio"]}=""),1,0)'
    Q = {k: f"{X}{v}" for k, v in H.items()}   # the steps as 绩效自评 names them
    group_weight = f'INDEX(GroupWeights,MATCH({Q["grp"]},GroupKeys,0))'
    formula(ws, weight,
             f'=IF({Q["member"]}=0,"",IF({Q["win"]}<>"",{Q["win"]},MAX(0,{group_weight}-'
             f'SUMIFS({col["given"]},{col["grp"]},{Q["grp"]},{col["member"]},1))/'
             f'COUNTIFS({col["grp"]},{Q["grp"]},{col["free"]},1)))', fmt="0.00")
    formula(ws, score, f'=IF({Q["member"]}=0,"",IF({Q["pending"]}=1,"",ROUND({Q["raw"]},2)))',
             fmt="0.00")


def totals(ws, budget_row: int):
    c = L.EVAL_IND_COLS
    first, last = L.EVAL_IND_FIRST, L.EVAL_IND_LAST
    weights = f"{c['weight']}{first}:{c['weight']}{last}"
    raw = f"{X}{L.EVAL_HELPER_COL['raw']}{first}:{L.EVAL_HELPER_COL['raw']}{last}"
    pending = f"{X}{L.EVAL_HELPER_COL['pending']}{first}:{L.EVAL_HELPER_COL['pending']}{last}"
    exec_raw = f"{X}{L.EVAL_HELPER_COL['grp']}{budget_row}"
    avail = f"(ExecWeight+SUM({weights}))"
    t, g, s = L.EVAL_TOTAL_ROW, L.EVAL_GRADE_ROW, L.EVAL_SCALE_ROW
    label(ws, f"A{t}", "总分（预算执行率与各项指标得分之和，满分100分）", merge=f"A{t}:H{t}")
    formula(ws, f"I{t}", f'=IF(SUM({pending})>0,"",IF({avail}=0,0,ROUND(({exec_raw}+SUM({raw}))*(100/{avail}),2)))',
             fmt="0.00")
    label(ws, f"A{g}", "自评等级", merge=f"A{g}:H{g}")
    formula(ws, f"I{g}", f'=IF(I{t}="","",INDEX(GradeNames,SUMPRODUCT(--(GradeMins>I{t}))+1))')
    label(ws, f"A{s}", "折算系数（有指标不适用或某类指标缺项时，按满分100分折算）", merge=f"A{s}:H{s}")
    formula(ws, f"I{s}", f"=IF({avail}=0,0,100/{avail})", fmt="0.0000")
    ws[f"J{t}"] = ('=IF(AND(I{0}="",SUM({1})>0),"有实际完成值公式无法识别，请用 xlpkg 或加载项计算","")'
                   .format(t, pending))
    box(ws, f"J{t}:J{s}", align=WRAP)
