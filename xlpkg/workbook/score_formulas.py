"""The self-evaluation score formulas: one indicator's allocated 分值 and 得分, and the total.

They mirror ``xlpkg.metrics`` (``level_weights``, ``score_ratio``, ``self_evaluation``) step by
step; each working step is a column of the very hidden ``_calc`` sheet so every formula stays
readable and readers never parse them. Targets typed only as text (原指标值) and actuals typed as
text are read by the steps of ``sheet_parse``, whose Python twin predicts where the sheet's
score stays blank. A maintainer changing a scoring rule changes it here and in ``metrics`` and
nowhere else; the LibreOffice recalculation tests prove the two agree.
"""
from __future__ import annotations

from . import layout as L
from . import sheet_parse as P
from .style import CENTER, D, E, M, WRAP, X, formula, input_cell, label, box

__all__ = ["indicator_score_row", "totals", "level_rows", "WHY_SHORT", "WHY_LONG"]

# WHY_SHORT/WHY_LONG live with the formulas' Python twin, which the reader imports without
# openpyxl; re-exported here for the sheet builders.
WHY_SHORT, WHY_LONG = P.WHY_SHORT, P.WHY_LONG


def _col(key: str) -> str:
    v = L.EVAL_HELPER_COL[key]
    return f"{X}${v}${L.EVAL_IND_FIRST}:${v}${L.EVAL_IND_LAST}"


def indicator_score_row(ws, calc, r: int, d: int, m: int):
    """One indicator's allocated 分值 and 得分, mirroring metrics.level_weights/score_ratio.

    The working steps go to the same row of ``calc``; formulas there name 绩效自评's cells
    with the sheet, and 绩效自评's formulas name the steps with ``_calc``."""
    c = L.EVAL_IND_COLS
    H = {k: f"{v}{r}" for k, v in L.EVAL_HELPER_COL.items()}
    lv1, lv2, nat_cell, val, unit_cell, orig = (f"{D}{L.IND_COL[k]}{d}" for k in (
        "level1", "level2", "nature", "value", "unit", "original"))
    act, app, win, rated = (f"{E}{c[k]}{r}" for k in ("actual", "applicable", "weight_input", "rated"))
    for key in ("level1", "level2", "name"):
        src = f"{D}{L.IND_COL[key]}{d}"
        formula(ws, f"{c[key]}{r}", f'=IF({src}="","",{src})', align=WRAP)
    formula(ws, f"{c['target']}{r}", f"={M}{L.MON_IND_COLS['target']}{m}", align=WRAP)
    for key, fmt in (("actual", None), ("applicable", None), ("weight_input", "0.00"), ("rated", "0.00")):
        input_cell(ws, f"{c[key]}{r}", fmt=fmt, align=CENTER)
    input_cell(ws, f"{c['analysis']}{r}")

    # applicability: 1 applies, 0 does not, 2 neither word (scored, but the cell is to fix)
    a_in = f'TRIM({app}&"")'
    calc[H["app"]] = (f'=IF(ISNUMBER(MATCH({a_in},ApplicableNo,0)),0,IF(OR({a_in}="",'
                      f'ISNUMBER(MATCH({a_in},ApplicableYes,0))),1,2))')
    calc[H["grp"]] = f'=IF(ISNA(MATCH(TRIM({lv1}),L1Names,0)),"",INDEX(L1Groups,MATCH(TRIM({lv1}),L1Names,0)))'
    calc[H["member"]] = f'=IF(AND({H["grp"]}<>"",{H["app"]}<>0),1,0)'
    calc[H["win"]] = f'=IF(ISNUMBER({win}),{win},IF(TRIM({win}&"")="","",IFERROR(VALUE(TRIM({win})),"")))'
    # a negative 分值 counts 0 (and check reports it); it is never re-spread over the others
    calc[H["given"]] = f'=IF(AND({H["member"]}=1,{H["win"]}<>""),MAX(0,{H["win"]}),0)'
    calc[H["free"]] = f'=IF(AND({H["member"]}=1,{H["win"]}=""),1,0)'
    l2 = f"TRIM({lv2})"
    l2n = f'IF(AND(RIGHT({l2},2)="指标",LEN({l2})>2),LEFT({l2},LEN({l2})-2),{l2})'
    calc[H["cost"]] = f'=IF(OR(TRIM({lv1})="成本指标",ISNUMBER(MATCH({l2n},CostL2,0))),1,0)'

    # --- the target: split cells (指标性质 typed), else the text of 原指标值 (or 指标值+单位)
    nat_in = P.norm_formula(nat_cell)
    structured = f'{nat_in}<>""'
    src = H["src"]
    calc[src] = (f'=IF({structured},{P.norm_formula(val)},IF(TRIM({orig}&"")<>"",{P.norm_formula(orig)},'
                 f'{P.norm_formula(val)}&{P.norm_formula(unit_cell)}))')
    _text_steps(calc, H, src, "", "FiscalYear")
    calc[H["pkind"]] = (f'=IF({H["pdate"]}<>"","date",IF(AND({H["pnum"]}<>"",{H["punit"]}<>"?",{H["pop"]}<>"?"),'
                        f'"quant",IF(SUMPRODUCT(--ISNUMBER(FIND({{"0","1","2","3","4","5","6","7","8","9","０","１","２","３","４","５","６","７","８","９"}},{src})))=0,"qual","err")))')
    calc[H["unit"]] = f'=IF({structured},{P.norm_formula(unit_cell)},IF({H["pkind"]}="quant",{H["punit"]},""))'
    u = H["unit"]
    calc[H["nat"]] = (f'=IF({structured},IFERROR(INDEX(PrefixOps,MATCH({nat_in},PrefixWords,0)),{nat_in}),'
                      f'IF({H["pkind"]}="qual","定性",IF({H["pkind"]}="date","日期",'
                      f'IF({H["pkind"]}="quant",{H["pop"]},""))))')
    nat, t1 = H["nat"], H["t1"]
    s = f'IF({u}="",{src},SUBSTITUTE({src},{u},""))'
    split_t1 = (f'IF({nat}="日期",IF(ISNUMBER({val}),INT({val}),{H["pdate"]}),'
                f'IF({nat}="区间",IFERROR(VALUE(LEFT({s},FIND("-",{s},2)-1)),""),'
                f'IF(ISNUMBER({val}),IF(AND({u}="%",ABS({val})<=1),{val}*100,{val}),IFERROR(VALUE({s}),""))))')
    calc[t1] = (f'=IF({structured},{split_t1},IF({H["pkind"]}="quant",{H["pnum"]},'
                f'IF({H["pkind"]}="date",{H["pdate"]},"")))')
    calc[H["t2"]] = f'=IF({nat}="区间",IFERROR(VALUE(MID({s},FIND("-",{s},2)+1,99)),""),"")'
    ceiling = f'AND({H["cost"]}=1,ISNUMBER(MATCH({u},MoneyUnits,0)),EqualCostCeiling)'
    calc[H["mode"]] = (f'=IF({nat}="定性","qual",IF({nat}="日期","date",IF({nat}="区间","range",'
                       f'IF(OR({nat}="≥",{nat}=">"),"pos",IF(OR({nat}="≤",{nat}="<"),"neg",'
                       f'IF(AND({nat}="=",ISNUMBER({t1})),IF(OR({t1}=0,{ceiling}),"neg","pos"),""))))))')

    # --- the actual: a number cell, or text read like a target ("≥20次", "95%以上", dates)
    asrc = H["asrc"]
    calc[asrc] = f'=IF(ISNUMBER({act}),"",{P.norm_formula(act)})'
    _text_steps(calc, H, asrc, "a", f'IF(ISNUMBER({t1}),YEAR({t1}),"")', target=False)
    anum, aunit = H["anum"], H["aunit"]
    money = (f'IF(AND(ISNUMBER(MATCH({aunit},MoneyConv,0)),ISNUMBER(MATCH({u},MoneyConv,0))),'
             f'{anum}*INDEX(MoneyFactor,MATCH({aunit},MoneyConv,0))/INDEX(MoneyFactor,MATCH({u},MoneyConv,0)),"")')
    calc[H["num"]] = (f'=IF(ISNUMBER({act}),IF(AND({u}="%",ABS({act})<=1),{act}*100,{act}),'
                      f'IF(OR({anum}="",{aunit}="?"),"",IF({aunit}="",IF(AND({u}="%",ABS({anum})<=1),{anum}*100,{anum}),'
                      f'IF(OR({aunit}={u},{u}=""),{anum},{money}))))')
    num, t2, mode = H["num"], H["t2"], H["mode"]

    def pos(x, t, deduct=True):
        full = (f'IF(AND(OverDeduct,{t}>0,{x}>OverFactor*{t}),MAX(0,1-({x}-OverFactor*{t})/{t}),1)'
                if deduct else "1")
        return f"IF({x}>={t},{full},IF({t}<=0,0,MAX(0,{x}/{t})))"

    def neg(x, t):
        return (f'IF({x}<={t},1,IF(NegMode="ratio",IF({t}>0,{t}/{x},0),'
                f'IF({t}<=0,0,MAX(0,1-({x}-{t})/{t}))))')

    pct = lambda p: f'IF(AND({p}>=0,{p}<=100),{p}/100,"")'
    calc[H["qual"]] = (f'=IF(ISNUMBER({act}),{pct(f"IF(ABS({act})<=1,{act}*100,{act})")},'
                       f'IF({asrc}="","",IF({asrc}={src},1,IF(ISNUMBER(MATCH({asrc},QualWords,0)),'
                       f'INDEX(QualRatios,MATCH({asrc},QualWords,0)),'
                       f'IF(RIGHT({asrc},1)="%",IFERROR({pct(f"VALUE(LEFT({asrc},LEN({asrc})-1))")},""),"")))))')
    qual, tier = H["qual"], H["tier"]
    calc[tier] = f'=IF({qual}="","",1+SUMPRODUCT(--(QualTierMins>{qual})))'
    weight, score = f"{c['weight']}{r}", f"{c['score']}{r}"
    rr = f"{rated}/{E}{weight}"
    band_ok = (f"AND({rr}>=INDEX(QualTierMins,{tier}),OR({rr}<INDEX(QualTierMaxs,{tier}),"
               f"AND(INDEX(QualTierMaxs,{tier})>=1,{rr}<=INDEX(QualTierMaxs,{tier}))))")
    qratio = (f'IF({qual}="","",IF(OR(NOT(ISNUMBER({rated})),N({E}{weight})<=0),{qual},'
              f'IF({band_ok},{rr},"band")))')
    date = (f'IF(ISNUMBER({act}),IF(ISNUMBER({t1}),IF(INT({act})<={t1},1,LateRatio),""),'
            f'IF(ISNUMBER(MATCH({asrc},DoneWords,0)),1,IF(ISNUMBER(MATCH({asrc},NotDoneWords,0)),LateRatio,'
            f'IF(AND(ISNUMBER({t1}),ISNUMBER({H["adate"]})),IF({H["adate"]}<={t1},1,LateRatio),""))))')
    numeric = (f'IF(OR(NOT(ISNUMBER({num})),NOT(ISNUMBER({t1}))),"",IF({mode}="pos",{pos(num, t1)},'
               f'IF({mode}="neg",{neg(num, t1)},IF(NOT(ISNUMBER({t2})),"",'
               f'IF({num}<{t1},{pos(num, t1, False)},{neg(num, t2)})))))')
    calc[H["ratio"]] = (f'=IF(TRIM({act}&"")="",0,IF({mode}="qual",{qratio},IF({mode}="date",{date},'
                        f'IF({mode}="","",{numeric}))))')
    ratio = H["ratio"]
    calc[H["raw"]] = f'=IF({H["member"]}=1,IF(ISNUMBER({ratio}),{ratio}*{E}{weight},""),0)'
    calc[H["pending"]] = (f'=IF(AND({H["member"]}=1,OR({H["app"]}=2,NOT(ISNUMBER({ratio})))),1,0)')
    target_bad = (f'OR({mode}="",AND({mode}<>"qual",NOT(ISNUMBER({t1}))),'
                  f'AND({mode}="range",NOT(ISNUMBER({t2}))))')
    calc[H["why"]] = (f'=IF({H["pending"]}=0,0,IF({H["app"]}=2,1,IF({ratio}="band",4,'
                      f'IF({target_bad},2,3))))')
    Q = {k: f"{X}{v}" for k, v in H.items()}   # the steps as 绩效自评 names them
    group_weight = f'INDEX(GroupWeights,MATCH({Q["grp"]},GroupKeys,0))'
    formula(ws, weight,
            f'=IF({Q["member"]}=0,"",IF({Q["win"]}<>"",MAX(0,{Q["win"]}),MAX(0,{group_weight}-'
            f'SUMIFS({_col("given")},{_col("grp")},{Q["grp"]},{_col("member")},1))/'
            f'COUNTIFS({_col("grp")},{Q["grp"]},{_col("free")},1)))', fmt="0.00")
    formula(ws, score, f'=IF({Q["member"]}=0,"",IF(AND({Q["app"]}<>2,TRIM({act}&"")=""),"",'
                       f'IF({Q["pending"]}=1,INDEX(WhyShort,{Q["why"]}),ROUND({Q["raw"]},2))))', fmt="0.00")


def _text_steps(calc, H, src: str, p: str, default_year: str, target: bool = True):
    """The prefix/suffix/number/unit/operator and date steps of one normalised text."""
    own = {"num", "unit", "op", "date"}   # the target's are pnum.., the actual's anum..
    k = lambda name: H[(p or "p") + name] if name in own else H[p + name]
    calc[k("pre")] = "=" + P.prefix_formula(src)
    calc[k("suf")] = "=" + P.suffix_formula(src)
    calc[k("body")] = "=" + P.body_formula(src, k("pre"), k("suf"))
    calc[k("nlen")] = "=" + P.nlen_formula(k("body"))
    calc[k("num")] = "=" + P.number_formula(k("body"), k("nlen"))
    calc[k("unit")] = "=" + P.unit_formula(k("body"), k("nlen"))
    if target:
        calc[k("op")] = "=" + P.op_formula(k("pre"), k("suf"))
    calc[k("dtxt")] = "=" + P.date_text_formula(src)
    dy, dm, dd = P.date_parts_formulas(k("dtxt"), default_year)
    calc[k("dy")], calc[k("dm")], calc[k("dd")] = "=" + dy, "=" + dm, "=" + dd
    calc[k("date")] = "=" + P.date_formula(k("dy"), k("dm"), k("dd"))


def level_rows(calc, levels: int):
    """Per level (``levels`` of them, GroupKeys order): 分值 typed, allocated and the gap to the
    level's weight (metrics.level_weights)."""
    C = L.LEVEL_COLS
    for i, head in enumerate(("level", "weight", "typed", "members", "rest", "total", "gap", "avail")):
        calc[f"{L.shift_col('A', i)}1"] = head
    grp, member, win = _col("grp"), _col("member"), _col("win")
    for n in range(levels):
        r = L.LEVEL_FIRST + n
        key = f"{C['key']}{r}"
        calc[key] = f"=INDEX(GroupKeys,{n + 1})"
        calc[f"{C['weight']}{r}"] = f"=INDEX(GroupWeights,{n + 1})"
        calc[f"{C['typed']}{r}"] = f"=SUMPRODUCT(({grp}={key})*ISNUMBER({win}))"
        calc[f"{C['members']}{r}"] = f"=COUNTIFS({grp},{key},{member},1)"
        calc[f"{C['rest']}{r}"] = (f"=IF(COUNTIFS({grp},{key},{_col('free')},1)>0,MAX(0,{C['weight']}{r}-"
                                   f"SUMIFS({_col('given')},{grp},{key},{member},1)),0)")
        calc[f"{C['total']}{r}"] = f'=SUMIFS({win},{grp},{key},{win},">0")+{C["rest"]}{r}'
        calc[f"{C['gap']}{r}"] = f"=IF({C['typed']}{r}>0,{C['weight']}{r}-{C['total']}{r},0)"
        calc[f"{C['avail']}{r}"] = f"=IF({C['members']}{r}>0,MAX(0,{C['gap']}{r}),0)"


def totals(ws, budget_row: int, levels: int):
    c = L.EVAL_IND_COLS
    first, last = L.EVAL_IND_FIRST, L.EVAL_IND_LAST
    weights = f"{c['weight']}{first}:{c['weight']}{last}"
    actuals = f"{c['actual']}{first}:{c['actual']}{last}"
    raw, pending, why = _col("raw"), _col("pending"), _col("why")
    C, lf, ll = L.LEVEL_COLS, L.LEVEL_FIRST, L.LEVEL_FIRST + levels - 1
    gaps = f"{X}${C['avail']}${lf}:${C['avail']}${ll}"
    exec_raw = f"{X}{L.EVAL_HELPER_COL['grp']}{budget_row}"
    points = f"(SUM({weights})+SUM({gaps}))"
    started = f'OR(ISNUMBER(EffSpent),SUMPRODUCT(--(TRIM({actuals}&"")<>""))>0)'
    t, g, s = L.EVAL_TOTAL_ROW, L.EVAL_GRADE_ROW, L.EVAL_SCALE_ROW
    label(ws, f"A{t}", "总分（预算执行率与各项指标得分之和，满分100分）", merge=f"A{t}:H{t}")
    body = f"({exec_raw}+SUM({raw}))"
    formula(ws, f"I{t}", f'=IF(NOT({started}),"",IF(SUM({pending})>0,"",IF({points}=0,ROUND({body},2),'
                         f'IF(MissingLevel="redistribute",ROUND({exec_raw}+SUM({raw})*(100-ExecWeight)/{points},2),'
                         f'ROUND({body}*100/(ExecWeight+{points}),2)))))', fmt="0.00")
    label(ws, f"A{g}", "自评等级", merge=f"A{g}:H{g}")
    formula(ws, f"I{g}", f'=IF(I{t}="","",INDEX(GradeNames,SUMPRODUCT(--(GradeMins>I{t}))+1))')
    label(ws, f"A{s}", "折算系数（有指标不适用或某类指标缺项时，按满分100分折算）", merge=f"A{s}:H{s}")
    formula(ws, f"I{s}", f'=IF(NOT({started}),"",IF({points}=0,1,IF(MissingLevel="redistribute",'
                         f'(100-ExecWeight)/{points},100/(ExecWeight+{points}))))', fmt="0.0000")
    first_row = f"MATCH(1,{pending},0)"
    blank_note = (f'IF(SUM({pending})=0,"","第"&({first_row}+{first - 1})&"行"&'
                  f'IF(INDEX({_col("why")},{first_row})=1,"",'
                  f'"（"&INDEX({c["name"]}{first}:{c["name"]}{last},{first_row})&"）")&"："&'
                  f'INDEX(WhyLong,INDEX({why},{first_row}))&'
                  f'IF(SUM({pending})>1,"；共"&SUM({pending})&"行无法由公式计算","")&'
                  f'"；总分暂空")')
    gap_parts = []
    for n in range(levels):
        r = lf + n
        gap, total, w = (f"{X}{C[k]}{r}" for k in ("gap", "total", "weight"))
        gap_parts.append(f'IF({gap}<>0,INDEX(GroupLabels,{n + 1})&"分值合计"&ROUND({total},2)&"，应为"&{w}&'
                         f'"（相差"&ROUND({gap},2)&"）；","")')
    ws[f"J{t}"] = f'={blank_note}&IF({blank_note}="","",CHAR(10))&' + "&".join(gap_parts)
    box(ws, f"J{t}:K{s}", align=WRAP)
    for row in (t, g, s):
        ws.row_dimensions[row].height = 30
