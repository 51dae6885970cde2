"""The finance bureau's view of a consolidation: departments ranked, projects to watch, grades.

Built from the consolidation's own tables (部门小计, 项目汇总, the department self-evaluations),
so every number here is one the department tables already show: nothing is recomputed
differently. ``xlpkg.summary`` writes these frames as the bureau sheets.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from ..consolidate import QUARTER_LABELS, TOTAL_LABEL, Consolidation
from ..model import REVIEW_GRADES
from ..rules import Rules

REVIEW_WORST = "差"   # v3 (issue 25): 不得进入下一步预算安排流程

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BureauTables", "bureau_tables", "is_multi_department", "wants_bureau", "RANKING", "ATTENTION",
           "GRADES", "BUREAU_CHARTS", "BUREAU_SHEETS", "MAX_CHART_DEPARTMENTS"]

RANKING, ATTENTION, GRADES, BUREAU_CHARTS = "部门排名", "重点关注项目", "等级分布", "部门对比图"
BUREAU_SHEETS = (RANKING, ATTENTION, GRADES, BUREAU_CHARTS)
MAX_CHART_DEPARTMENTS = 30   # bars that still print legibly on one A4 page


@dataclass
class BureauTables:
    ranking: "pd.DataFrame"      # one row per department, best weighted score first
    attention: "pd.DataFrame"    # red-light and worst-grade projects
    grades: "pd.DataFrame"       # grade counts and shares, in the ranking's order
    red_label: str
    worst_grade: str


def is_multi_department(c: Consolidation) -> bool:
    codes = set(c.departments["部门编码"].tolist()) - {TOTAL_LABEL}
    if c.dept_evaluations is not None:
        codes |= set(c.dept_evaluations["部门编码"].tolist())
    return len(codes) > 1


def wants_bureau(c: Consolidation) -> bool:
    """The bureau sheets by default: several departments, or a department workbook was read
    (its self-evaluation is shown in 部门排名 and nowhere else)."""
    has_evals = c.dept_evaluations is not None and len(c.dept_evaluations) > 0
    return has_evals or is_multi_department(c)


def _rank(values: Sequence[Any], *, high_is_good: bool) -> list[int | None]:
    """Competition ranking (1, 2, 2, 4); a department without a value gets no rank."""
    known = [v for v in values if v is not None]
    out = []
    for v in values:
        if v is None:
            out.append(None)
        else:
            better = sum(1 for w in known if (w > v if high_is_good else w < v))
            out.append(better + 1)
    return out


def _plain(value):
    if value is None:
        return None
    if isinstance(value, float) and value != value:   # NaN from pandas
        return None
    return value.item() if hasattr(value, "item") else value


def _last_light(row: dict) -> tuple[str | None, str | None]:
    for q in reversed(QUARTER_LABELS):
        light = _plain(row.get(f"{q}灯色"))
        if light:
            return q, light
    return None, None


def bureau_tables(c: Consolidation, rules: Rules) -> BureauTables:
    import pandas as pd

    grades = [band["grade"] for band in rules.scoring["grades"]]
    red = rules.monitoring["lights"][0]["label"]
    worst = grades[-1]
    evals: dict[str, dict] = {}
    if c.dept_evaluations is not None:
        for e in c.dept_evaluations.to_dict("records"):
            evals.setdefault(str(e["部门编码"]), {k: _plain(v) for k, v in e.items()})
    depts = [{k: _plain(v) for k, v in row.items()} for row in c.departments.to_dict("records")
             if row["部门编码"] != TOTAL_LABEL and row["项目数"]]
    known = {d["部门编码"] for d in depts}
    for code, e in evals.items():   # a department workbook without project forms still ranks
        if code not in known:
            depts.append({"部门编码": code, "部门名称": e.get("部门名称") or "", "项目数": 0})
    scores = _rank([d.get("加权平均得分") for d in depts], high_is_good=True)
    rates = _rank([d.get("执行率") for d in depts], high_is_good=True)
    reds = _rank([d.get(f"{red}（个）") if d["项目数"] else None for d in depts], high_is_good=False)
    rows = []
    for d, s, r, x in zip(depts, scores, rates, reds):
        e = evals.get(d["部门编码"], {})
        rows.append({
            "得分排名": s, "部门编码": d["部门编码"], "部门名称": d["部门名称"], "项目数": d["项目数"],
            "全年预算数（万元）": d.get("全年预算数（万元）"), "全年执行数（万元）": d.get("全年执行数（万元）"),
            "执行率": d.get("执行率"), "执行率排名": r, "加权平均得分": d.get("加权平均得分"),
            f"{red}（个）": d.get(f"{red}（个）"), f"{red}排名": x, f"{worst}（个）": d.get(f"{worst}（个）"),
            "部门自评得分": e.get("部门自评得分"), "部门自评等级": e.get("部门自评等级"),
            "部门整体绩效表": e.get("来源文件"),
        })
    rows.sort(key=lambda r: (r["得分排名"] is None, r["得分排名"] or 0, r["部门编码"]))
    ranking = pd.DataFrame(rows, columns=list(ranking_columns(rules)))

    attention = []
    for p in c.projects.to_dict("records"):
        quarter, light = _last_light(p)
        grade = _plain(p.get("自评等级"))
        reasons = []
        if light == red:
            reasons.append(f"{quarter}{red}")
        if grade == worst:
            reasons.append(f"自评等级为“{worst}”")
        if _plain(p.get("审核结果")) == REVIEW_WORST:   # v3 (issue 25)
            reasons.append(f"财政部门审核结果为“{REVIEW_WORST}”：{REVIEW_GRADES[REVIEW_WORST]}")
        if reasons:
            attention.append({
                "部门编码": p["部门编码"], "部门名称": p["部门名称"], "项目编码": p["项目编码"],
                "项目名称": p["项目名称"], "全年预算数（万元）": _plain(p["全年预算数（万元）"]),
                "执行率": _plain(p["执行率"]), "最近灯色": f"{quarter}{light}" if light else None,
                "自评得分": _plain(p["自评得分"]), "自评等级": grade, "关注原因": "；".join(reasons),
                "来源文件": p["来源文件"]})
    attention_df = pd.DataFrame(attention, columns=list(ATTENTION_COLUMNS))

    grade_rows = []
    for r in rows:
        d = next((x for x in depts if x["部门编码"] == r["部门编码"]), {})
        counts = [d.get(f"{g}（个）") or 0 for g in grades]
        total = sum(counts)
        grade_rows.append([r["部门编码"], r["部门名称"], r["项目数"], *counts,
                           *((n / total if total else None) for n in counts)])
    grades_df = pd.DataFrame(grade_rows, columns=list(grade_columns(rules)))
    return BureauTables(ranking, attention_df, grades_df, red, worst)


def ranking_columns(rules: Rules) -> tuple[str, ...]:
    red = rules.monitoring["lights"][0]["label"]
    worst = rules.scoring["grades"][-1]["grade"]
    return ("得分排名", "部门编码", "部门名称", "项目数", "全年预算数（万元）", "全年执行数（万元）",
            "执行率", "执行率排名", "加权平均得分", f"{red}（个）", f"{red}排名", f"{worst}（个）",
            "部门自评得分", "部门自评等级", "部门整体绩效表")


ATTENTION_COLUMNS = ("部门编码", "部门名称", "项目编码", "项目名称", "全年预算数（万元）", "执行率",
                     "最近灯色", "自评得分", "自评等级", "关注原因", "来源文件")


def grade_columns(rules: Rules) -> tuple[str, ...]:
    grades = [band["grade"] for band in rules.scoring["grades"]]
    return ("部门编码", "部门名称", "项目数", *(f"{g}（个）" for g in grades),
            *(f"{g}占比" for g in grades))
