"""Department info files (部门整体绩效目标): the department's overall goals that the summary shows."""
from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from ..model import ProjectFormatError, read_json_text
from ..system.os_errors import os_error_text

if TYPE_CHECKING:   # pandas is imported late: worker processes never need it
    pass
from .outcome import FileOutcome


class DeptInfoError(ValueError):
    """A department info file that cannot be used (Chinese message naming file and field)."""


@lru_cache(maxsize=None)
def _dept_schema() -> dict:
    return json.loads(resources.files("xlpkg").joinpath("schemas/department.schema.json")
                      .read_text("utf-8"))


def load_dept_info(source: str | os.PathLike | Mapping) -> dict:
    """A department info document (examples/departments/105002.json), validated."""
    import jsonschema

    name = "部门信息"
    if isinstance(source, Mapping):
        data = dict(source)
    else:
        name = Path(source).name
        try:
            data = json.loads(read_json_text(source))
        except ProjectFormatError as exc:
            raise DeptInfoError(f"部门信息文件 {name}：{exc}") from None
        except RecursionError:
            raise DeptInfoError(f"部门信息文件 {name} 嵌套层次过深") from None
        except OSError as exc:
            raise DeptInfoError(f"无法读取部门信息文件 {source}：{os_error_text(exc)}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DeptInfoError(f"部门信息文件 {name} 不是有效的JSON：{exc}") from None
    validator = jsonschema.Draft202012Validator(_dept_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(根)"
        raise DeptInfoError(f"部门信息文件 {name}：字段 {where} 不符合格式要求：{errors[0].message}")
    return data


def dept_info_map(dept_info) -> dict[str, dict]:
    if not dept_info:
        return {}
    if isinstance(dept_info, Mapping) and "dept_code" in dept_info:
        dept_info = [dept_info]
    elif isinstance(dept_info, Mapping):
        dept_info = list(dept_info.values())
    elif isinstance(dept_info, (str, os.PathLike)):
        dept_info = [dept_info]
    out: dict[str, dict] = {}
    for item in dept_info:
        data = load_dept_info(item)
        out[data["dept_code"]] = data
    return out


_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 21 → 二十一, as in "（二十一）"; beyond 99 the digits stay Arabic."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    text = ("" if tens == 0 else ("" if tens == 1 else _DIGITS[tens]) + "十")
    return text + (_DIGITS[ones] if ones else "")


def goal_lines(code: str, name: str, outcomes: list[FileOutcome], info: dict | None) -> list[tuple]:
    """One department's 部门整体绩效目标 section, line by line as the seed prints it."""
    rows = [(f"{code} {name}", "部门", code, "")]
    overall = (info or {}).get("overall_goal", "").strip()
    rows.append(("一、总体绩效目标", "标题", code, ""))
    rows.append((overall or "（未提供部门总体绩效目标）", "正文", code, ""))
    rows.append(("二、分项绩效目标", "标题", code, ""))
    by_code = {o.project_row["项目编码"]: o for o in outcomes}
    subs: list[tuple[str, str, str, tuple[str, ...]]] = []
    for sub in (info or {}).get("sub_goals", []):
        code_ = sub.get("project_code", "")
        by_code.pop(code_, None)
        subs.append((sub["title"], code_, sub["goal"], tuple(sub["indicators"])))
    for o in by_code.values():   # projects the info file does not mention: as the form says
        subs.append((o.project_row["项目名称"], o.project_row["项目编码"], o.goal,
                     o.indicator_names))
    for n, (title, pcode, goal, names) in enumerate(subs, start=1):
        rows.append((f"（{cn_number(n)}）{title}", "分项", code, pcode))
        rows.append((f"绩效目标：{goal}", "正文", code, pcode))
        rows.append(("绩效指标：" + "  ".join(names), "正文", code, pcode))
    guarantees = (info or {}).get("guarantees", [])
    if guarantees:
        rows.append(("三、工作保障措施", "标题", code, ""))
        rows.extend((text, "正文", code, "") for text in guarantees)
    return rows
