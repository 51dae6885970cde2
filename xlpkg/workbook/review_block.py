"""财政部门审核意见 on the project form (template v3, issue 25): the places the finance bureau's
review is written into, all locked for the department, and the fingerprint of what was reviewed.

On 绩效目标申报表: column N of the indicator table (审核意见 per indicator) and a block below the
note row (审核阶段, 审核结果 with its consequence, 审核日期, 审核意见, 审核校验码). On 绩效自评: the
column right of the indicator table (评定得分) and, below the signatures, 评定总分 and 评定等级 as
formulas that mirror the 总分 with 评定得分 in place of 得分, blank until every scored row has one.
``xlpkg.metrics.verified_total`` is their Python twin.
"""
from __future__ import annotations


from openpyxl.styles import Alignment, Font

from . import layout as L
from ..model import REVIEW_GRADES
from .style import CENTER, FONT_NAME, WRAP, X, box, formula, label, validate

__all__ = ["build_review_block"]

# A column of the _calc sheet: 1 where the row's indicator is scored (see score_formulas).
_MEMBER = f"{X}${L.EVAL_HELPER_COL['member']}${L.EVAL_IND_FIRST}:${L.EVAL_HELPER_COL['member']}${L.EVAL_IND_LAST}"
_EXEC_RAW = f"{X}{L.EVAL_HELPER_COL['grp']}{L.EVAL_BUDGET_ROW}"   # unrounded 执行率得分


def build_review_block(wb) -> None:
    _declaration(wb[L.DECL])
    _evaluation(wb[L.EVAL])


def _declaration(ws) -> None:
    col = L.REVIEW_IND_COL
    # Columns between the table and N that no builder declared stay out of sight (and out of
    # the printed width): on 申报表 they belong to other v3 blocks, which set their own widths.
    for i in range(L.col_index(L.DECL_COLUMNS[-1]) + 1, L.col_index(col)):
        between = L.col_letter(i)
        if between not in ws.column_dimensions:
            ws.column_dimensions[between].hidden = True
    ws.column_dimensions[col].width = L.REVIEW_IND_WIDTH
    label(ws, f"{col}{L.IND_HEAD_ROW}", "审核意见")
    for row in range(L.IND_FIRST, L.IND_LAST + 1):
        box(ws, f"{col}{row}", align=WRAP)
    h, r, o, f = L.REVIEW_HEAD_ROW, L.REVIEW_ROW, L.REVIEW_OPINION_ROW, L.REVIEW_FINGERPRINT_ROW
    label(ws, f"A{h}", "财政部门审核意见（由财政部门填写，部门不填）", merge=f"A{h}:I{h}")
    label(ws, f"A{r}", "审核阶段")
    formula(ws, f"B{r}", None, merge=f"B{r}:C{r}")
    label(ws, f"D{r}", "审核结果")
    formula(ws, f"E{r}", None)
    consequence = "".join(f'IF(ReviewGrade="{g}","{text}",' for g, text in REVIEW_GRADES.items())
    formula(ws, f"F{r}", f'={consequence}""{")" * len(REVIEW_GRADES)}', merge=f"F{r}:G{r}", align=WRAP)
    label(ws, f"H{r}", "审核日期")
    formula(ws, f"I{r}", None, fmt="yyyy-mm-dd")
    ws.row_dimensions[r].height = 30
    label(ws, f"A{o}", "审核意见")
    formula(ws, f"B{o}", None, merge=f"B{o}:I{o}", align=WRAP)
    ws.row_dimensions[o].height = 45
    label(ws, f"A{f}", "审核校验码", bold=False)
    formula(ws, f"B{f}", None, merge=f"B{f}:I{f}", align=Alignment(horizontal="left", vertical="center"))
    ws[f"B{f}"].font = Font(name=FONT_NAME, size=8, color="808080")


def _evaluation(ws) -> None:
    col, c = L.EVAL_VERIFIED_COL, L.EVAL_IND_COLS
    ws.column_dimensions[col].width = L.EVAL_VERIFIED_WIDTH
    label(ws, f"{col}{L.EVAL_IND_HEAD}", "评定得分（财政）")
    first, last = L.EVAL_IND_FIRST, L.EVAL_IND_LAST
    for row in range(first, last + 1):
        box(ws, f"{col}{row}", align=CENTER, fmt="0.00")
    # A typed score outside 0..分值 is refused here too, though only `review --apply` writes it.
    validate(ws, f"{col}{first}:{col}{last}", kind="decimal", operator="between", formula1="0",
             formula2=f"ROUND(N({c['weight']}{first}),2)", prompt="财政部门评定得分：0至该指标分值",
             error="评定得分应在0至该指标分值之间")
    t, g = L.EVAL_VERIFIED_ROW, L.EVAL_VERIFIED_GRADE_ROW
    verified = f"{col}{first}:{col}{last}"
    scored = f"SUMPRODUCT(--({_MEMBER}=1))"
    unrated = f"SUMPRODUCT(({_MEMBER}=1)*NOT(ISNUMBER({verified})))"
    points = f"SUMIFS({verified},{_MEMBER},1)"
    label(ws, f"A{t}", "财政部门评定总分（预算执行率得分与各项指标评定得分之和，按折算系数折算）",
          merge=f"A{t}:H{t}")
    formula(ws, f"I{t}", f'=IF(OR({scored}=0,{unrated}>0,NOT(ISNUMBER(ScoreScale))),"",'
                         f'IF(MissingLevel="redistribute",ROUND({_EXEC_RAW}+{points}*ScoreScale,2),'
                         f'ROUND(({_EXEC_RAW}+{points})*ScoreScale,2)))', fmt="0.00")
    label(ws, f"A{g}", "财政部门评定等级", merge=f"A{g}:H{g}")
    formula(ws, f"I{g}", f'=IF(I{t}="","",INDEX(GradeNames,SUMPRODUCT(--(GradeMins>I{t}))+1))')
    ws[f"J{t}"] = "自评总分"
    box(ws, f"J{t}", align=CENTER)
    formula(ws, f"K{t}", "=TotalScore", fmt="0.00")
    for row in (t, g):
        ws.row_dimensions[row].height = 28
