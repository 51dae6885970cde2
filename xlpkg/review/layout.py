"""Where everything lives in the review workbook (审核表): sheets, headers, the reviewer's columns.

Declared once, used by the builder (``book``) and by the apply step (``sheet``), which finds the
reviewer's columns by their headers."""
from __future__ import annotations

from ..cellref import col_letter

REVIEW = "审核"
INDICATORS = "指标审核"
INFO = "_审核信息"            # very hidden: stage, year, every form's file and SHA-256
BOOK_ID = "xlpkg.review-workbook"
BOOK_VERSION = 1
STAGE_ARG = ("target", "evaluation")
STAGE_LABEL = {"target": "绩效目标审核", "evaluation": "绩效自评复核"}

# 审核: one row per project. (header, width, key)
PROJECT_COLUMNS = [
    ("部门编码", 8, "dept_code"), ("部门名称", 10, "dept_name"), ("项目编码", 19, "code"),
    ("项目名称", 14, "name"), ("年度", 5, "year"), ("预算数", 9, "budget"),
    ("审核发现", 26, "findings"), ("发现数", 5, "count"), ("建议等级", 5, "suggested"),
    ("建议理由", 12, "reason"), ("审核结果", 6, "grade"), ("审核意见", 20, "opinion"),
]
PROJECT_EVAL_COLUMNS = [("自评总分", 7, "total"), ("评定总分", 7, "verified_total"), ("评定等级", 6, "verified_grade")]
# Not printed: where to find the file, and the two numbers the 评定总分 formula reads.
PROJECT_TAIL = [("来源文件", 18, "file")]
PROJECT_EVAL_TAIL = [("执行率得分", 8, "exec_score"), ("折算系数", 8, "scale")]

# 指标审核: one row per indicator.
INDICATOR_COLUMNS = [
    ("项目编码", 19, "code"), ("一级指标", 10, "level1"), ("二级指标", 11, "level2"),
    ("三级指标", 18, "name"), ("指标值", 10, "target"), ("审核发现", 28, "findings"),
    ("审核意见", 24, "opinion"),
]
INDICATOR_EVAL_COLUMNS = [
    ("实际完成值", 11, "actual"), ("分值", 7, "weight"), ("自评得分", 7, "score"),
    ("评定得分", 7, "verified"),
]
INDICATOR_TAIL = [("项目名称", 16, "project_name"), ("序号", 5, "index")]

# The last columns (来源文件 / 项目名称, 序号) are for finding things on screen, not printed.
PRINTED_TAIL = {"审核": {"target": 1, "evaluation": 3}, "指标审核": {"target": 2, "evaluation": 2}}
# The reviewer's cells, the only unlocked ones.
PROJECT_INPUTS = ("grade", "opinion")
INDICATOR_INPUTS = ("opinion", "verified")
HEADER_ROW = 1
FIRST_ROW = 2
# _审核信息: scalars in A/B, then one row per form from FORMS_ROW.
INFO_KEYS = ("类型", "版本", "阶段", "年度", "生成时间", "规则")
FORMS_HEAD_ROW = len(INFO_KEYS) + 2
FORMS_HEADERS = ("文件", "部门编码", "项目编码", "年度", "SHA-256", "审核行", "指标首行", "指标行数", "快照")


def project_columns(stage: str) -> list[tuple[str, int, str]]:
    if stage == "evaluation":
        return PROJECT_COLUMNS + PROJECT_EVAL_COLUMNS + PROJECT_TAIL + PROJECT_EVAL_TAIL
    return PROJECT_COLUMNS + PROJECT_TAIL


def indicator_columns(stage: str) -> list[tuple[str, int, str]]:
    return INDICATOR_COLUMNS + (INDICATOR_EVAL_COLUMNS if stage == "evaluation" else []) + INDICATOR_TAIL


def letters(columns: list[tuple[str, int, str]]) -> dict[str, str]:
    """key → column letter."""
    return {key: col_letter(i + 1) for i, (_, _, key) in enumerate(columns)}
