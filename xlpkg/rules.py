"""The rulebook: loading and validating rules.json, and the lookups every checker needs.

There is one rules.json, at the repository root. An installed package carries a copy inside
the package (``xlpkg/data/``, see ``xlpkg.system.package_data``); ``--rules FILE`` lets a province use its own.
"""
from __future__ import annotations

import json
import math
import os
import string
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

import jsonschema

from .issues import Issue
from .system.os_errors import os_error_text
from .system.package_data import DataFileMissing, rules_json
from .system.safeio import not_a_regular_file

RULES_ENV = "XLPKG_RULES"


# The official tiers (财预〔2020〕10号), for rulebooks written before they were configurable.
DEFAULT_TIERS = [
    {"tier": "达成年度指标", "min": 0.8, "max": 1, "default": 1,
     "words": ["达成年度指标", "达成", "已达成", "达成预期指标", "达成预期目标"]},
    {"tier": "部分达成年度指标并具有一定效果", "min": 0.6, "max": 0.8, "default": 0.7,
     "words": ["部分达成年度指标并具有一定效果", "部分达成", "部分达成年度指标", "部分达成预期指标",
               "部分达成预期目标"]},
    {"tier": "未达成年度指标且效果较差", "min": 0, "max": 0.6, "default": 0,
     "words": ["未达成年度指标且效果较差", "未达成", "未达成年度指标", "未达成预期指标", "未达成预期目标"]},
]


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file and the bad field."""


def default_rules_path() -> Path:
    """Where the shipped rules.json is: the repository's in a checkout, else the package's own
    copy (``xlpkg/data/rules.json``, found through importlib.resources)."""
    try:
        return rules_json()
    except DataFileMissing:
        raise RulesError("找不到默认规则文件 rules.json：请重新安装 xlpkg，或用 --rules 指定规则文件") from None


@lru_cache(maxsize=None)
def _rules_schema() -> dict:
    return json.loads(resources.files("xlpkg").joinpath("schemas/rules.schema.json").read_text("utf-8"))


def _field_path(error: jsonschema.ValidationError) -> str:
    return "/".join(str(p) for p in error.absolute_path) or "(根)"


# The values the code passes to each rule's message (``Rules.issue(rule_id, **values)``): a
# message may use any of them and nothing else, or every form that triggers the rule would
# fail to format. A rule missing here (added later) gets the syntax checks only.
RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "dept.code_format": ("value",), "project.code_format": ("forms", "value"),
    "project.code_dept": ("dept", "value"), "project.name_missing": (),
    "budget.positive": ("value",), "uses.sum": ("budget", "diff", "total"), "uses.missing": (),
    "plan.quarters": ("count",), "plan.range": ("quarter", "value"),
    "plan.non_decreasing": ("previous", "quarter", "value"), "plan.ends_100": ("value",),
    "indicator.none": (), "indicator.level1_unknown": ("allowed", "value"),
    "indicator.level2_mismatch": ("allowed", "level1", "value"),
    "indicator.level1_required": ("value",), "indicator.level1_recommended": ("value",),
    "indicator.cost_missing": (), "indicator.name_missing": (),
    "indicator.target_missing": ("name",), "indicator.target_unparseable": ("detail", "name"),
    "indicator.duplicate_name": ("name",), "indicator.actual_invalid": ("detail", "name"),
    "indicator.actual_missing": ("name",),
    "indicator.cause_unknown": ("allowed", "name", "value"),
    "indicator.likelihood_unknown": ("allowed", "name", "value"),
    "indicator.weight_total": ("diff", "group", "limit", "total"),
    "indicator.weight_negative": ("name", "value"), "indicator.no_scored_weight": (),
    "indicator.rated_score_band": ("band", "high", "low", "name", "tier", "value", "weight"),
    "indicator.rated_score_ignored": ("name", "value"),
    "indicator.analysis_missing": ("name", "score", "weight"),
    "indicator.overachieved": ("actual", "factor", "name", "target"),
    "indicator.actual_unusual": ("detail", "name", "value"),
    "execution.decreasing": ("previous", "quarter", "value"),
    "execution.negative": ("quarter", "value"),
    "execution.over_budget": ("budget", "value", "what"),
    "execution.behind_plan": ("gap", "plan", "progress", "quarter"),
    "execution.year_budget": ("value",), "execution.year_spent_negative": ("value",),
    "execution.year_spent_missing": (),
    "execution.reason_missing": ("limit", "rate"),
    # the v2 blocks (issue 10)
    "monitoring.month_missing": (), "monitoring.spent_over": ("budget", "value", "what"),
    "rectification.missing": ("reason",), "rectification.advice_missing": (),
    "execution.fund_total": ("sum", "total", "what"), "execution.fund_budget": ("budget", "sum"),
    "period.order": ("end", "start"), "period.year": ("end", "start", "year"),
    "medium.over_budget": ("budget", "medium"),
    # v3 (issue 24): 设定依据类别 and the indicator's history
    "indicator.below_history": ("history", "name", "relation", "target"),
    "indicator.basis_kind_mismatch": ("name", "value"),
    "indicator.basis_kind_unknown": ("allowed", "name", "value"),
    "indicator.target_below_last_actual": ("last", "name", "target"),
    **{rule: ("detail",) for rule in (
        "form.not_template", "form.unreadable", "form.value", "form.target_variant", "form.stale_cache",
        "form.sheet_blank",
        "form.misaligned", "form.name_extent", "consolidate.duplicate", "consolidate.other_year",
        "consolidate.mixed_years", "consolidate.skipped", "form.rules_mismatch", "review.stale",
        "review.invalid")},
    # issue 26: 预算支出标准
    "indicator.cost_over_standard": ("amount", "item", "limit", "name", "quantity", "standard", "unit"),
    "indicator.standard_unknown": ("item", "name"), "unit_cost.basis_unknown": ("allowed", "basis"),
}


def _message_problems(rule_id: str, message: str) -> list[str]:
    """Placeholders a message may not have: unknown ones, lone braces, attribute access."""
    where = f"rules/{rule_id}/message"
    try:
        parts = list(string.Formatter().parse(message))
    except ValueError as exc:   # a lone "{" or "}"
        return [f"{where}：花括号不成对（{exc}）；要显示花括号本身请写成 {{{{ 或 }}}}"]
    allowed = RULE_FIELDS.get(rule_id)
    problems = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier():
            problems.append(f"{where}：占位符“{{{name}}}”无效，只能是字段名，如 {{value}}")
        elif allowed is not None and name not in allowed:
            known = "、".join(f"{{{f}}}" for f in allowed) or "（无，本规则不带参数）"
            problems.append(f"{where}：占位符“{{{name}}}”不存在；可用：{known}")
        elif spec or conversion:
            problems.append(f"{where}：占位符“{{{name}}}”不能带格式或转换（:、!）")
    return problems


def _bad_strings(data, path: str = ""):
    """Rulebook text a workbook cannot hold: lone surrogates and control characters."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _bad_strings(key, f"{path}/{key}（键）".lstrip("/"))
            yield from _bad_strings(value, f"{path}/{key}".lstrip("/"))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _bad_strings(value, f"{path}/{i}")
    elif isinstance(data, str):
        for ch in data:
            if 0xD800 <= ord(ch) <= 0xDFFF or (ord(ch) < 0x20 and ch not in "\t\n\r"):
                yield f"{path or '(根)'}：含有无效字符 U+{ord(ch):04X}"
                break


# JSON numbers of a rulebook are weights, percentages, ratios and factors: none is sensibly
# beyond this, and every one must survive Decimal(str(x)) and comparison.
MAX_RULE_NUMBER = 1e6


def _bad_numbers(data, path: str = ""):
    """Numbers no rule can use: NaN and ±Infinity (json accepts them; jsonschema's minimum and
    maximum let NaN through), and magnitudes past ``MAX_RULE_NUMBER``."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _bad_numbers(value, f"{path}/{key}".lstrip("/"))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _bad_numbers(value, f"{path}/{i}".lstrip("/"))
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        if isinstance(data, float) and not math.isfinite(data):
            yield f"{path or '(根)'}：{data} 不是有效数字，应为有限的数值"
        elif abs(data) > MAX_RULE_NUMBER:
            shown = f"{data:g}" if isinstance(data, float) else (str(data)[:12] + ("…" if len(str(data)) > 12 else ""))
            yield f"{path or '(根)'}：数值{shown}超出合理范围（绝对值不超过{MAX_RULE_NUMBER:g}）"


def _business_problems(data: dict) -> list[str]:
    """What a schema cannot say: bands in order, groups with weights, messages that format."""
    problems = list(_bad_strings(data))[:5]
    for rule_id, entry in data["rules"].items():
        problems.extend(_message_problems(rule_id, entry["message"]))
    for what, labels in (("scoring/grades", [g["grade"] for g in data["scoring"]["grades"]]),
                         ("monitoring/lights", [b["label"] for b in data["monitoring"]["lights"]]),
                         ("monitoring/lights（light）", [b["light"] for b in data["monitoring"]["lights"]])):
        seen = [x for i, x in enumerate(labels) if x.strip() in (y.strip() for y in labels[:i])]
        if seen:
            problems.append(f"{what}：名称“{seen[0]}”重复，各档名称必须不同")
    if not any(float(v) > 0 for v in data["weights"].values()):
        problems.append("weights：各类权重均为0，无法评分；至少一类权重应大于0")
    problems.extend(_level_problems(data))
    mins = [g["min"] for g in data["scoring"]["grades"]]
    if mins != sorted(mins, reverse=True) or mins[-1] != 0:
        problems.append("scoring/grades：等级下限应从高到低排列，最后一档下限为0")
    bounds = [band["below"] for band in data["monitoring"]["lights"]]
    if bounds[-1] is not None or any(b is None for b in bounds[:-1]) or bounds[:-1] != sorted(bounds[:-1]):
        problems.append("monitoring/lights：灯色区间应按上限从小到大排列，最后一档上限为 null")
    tiers = data["scoring"].get("qualitative_tiers") or []
    for i, t in enumerate(tiers):
        if not t["min"] <= t["default"] <= t["max"] or t["min"] >= t["max"]:
            problems.append(f"scoring/qualitative_tiers/{i}：应满足 min < max 且 min ≤ default ≤ max")
        if i and t["max"] != tiers[i - 1]["min"]:
            problems.append(f"scoring/qualitative_tiers/{i}：各档应从高到低首尾相接（max 等于上一档的 min）")
    if tiers and (tiers[0]["max"] != 1 or tiers[-1]["min"] != 0):
        problems.append("scoring/qualitative_tiers：各档应覆盖 0–1（第一档 max 为1，最后一档 min 为0）")
    known = set(data["structure"]["level1"])
    for key in ("required_level1", "recommended_level1"):
        for i, alternatives in enumerate(data["structure"][key]):
            for name in alternatives:
                if name not in known:
                    problems.append(f"structure/{key}/{i}：一级指标“{name}”未在 structure/level1 中定义")
    return problems


def _level_problems(data: dict) -> list[str]:
    """Every 一级's scoring level needs a weight, and every weighted level an 一级: a level
    without one would silently be rescaled away."""
    problems = []
    weights = data["weights"]
    used = set()
    for name, entry in data["structure"]["level1"].items():
        group = entry["group"]
        used.add(group)
        if group not in weights:
            known = "、".join(g for g in weights if g != "execution")
            problems.append(f"structure/level1/{name}/group：评分类别“{group}”在 weights 中没有权重"
                            f"（已有：{known}）")
    for group in weights:
        if group != "execution" and group not in used:
            problems.append(f"weights/{group}：没有一级指标属于该类（structure/level1/*/group），"
                            "其权重无处计分")
    return problems


# The levels' Chinese names; a rulebook's own level (any other weights key) is named after its
# first 一级 (structure/level1 order).
GROUP_LABELS = {"execution": "预算执行率", "output": "产出指标", "cost": "成本指标",
                "benefit": "效益指标", "satisfaction": "满意度指标"}


@dataclass(frozen=True)
class Rules:
    data: dict
    source: str

    # --- lookups -------------------------------------------------------------
    @property
    def structure(self) -> dict:
        return self.data["structure"]

    @property
    def scoring(self) -> dict:
        return self.data["scoring"]

    @property
    def monitoring(self) -> dict:
        return self.data["monitoring"]

    def weight(self, group: str) -> Decimal:
        return Decimal(str(self.data["weights"][group]))

    @cached_property
    def groups(self) -> tuple[str, ...]:
        """The indicator levels scored, in the rulebook's order (weights keys but execution)."""
        return tuple(g for g in self.data["weights"] if g != "execution")

    def level1_of(self, group: str) -> list[str]:
        return [name for name, e in self.structure["level1"].items() if e["group"] == group]

    def group_label(self, group: str) -> str:
        if group in GROUP_LABELS:
            return GROUP_LABELS[group]
        names = self.level1_of(group)
        return names[0] if names else group

    @cached_property
    def cost_group(self) -> str | None:
        """The level that scores 成本指标 on its own (财预〔2021〕101号), if the rulebook has one:
        the "cost" level, or a level whose only 一级 is 成本指标; None when 成本 counts under 产出."""
        for group in self.groups:
            names = self.level1_of(group)
            if group == "cost" or (names and all(n.strip() == "成本指标" for n in names)):
                return group
        return None

    def levels_signature(self) -> str:
        """The scoring levels as one readable text, recorded in a form's meta sheet so a form
        built with one rulebook and read with another is noticed."""
        w = lambda g: format(Decimal(str(self.data["weights"][g])).normalize(), "f")
        parts = [f"{GROUP_LABELS['execution']}{w('execution')}分"]
        parts += [f"{self.group_label(g)}{w(g)}分（{'、'.join(self.level1_of(g))}）" for g in self.groups]
        return "；".join(parts)

    @property
    def cost_standards(self) -> list[dict]:
        """预算支出标准 carried by the rulebook (item, unit, amount in 元, source)."""
        return list(self.data.get("cost_standards") or [])

    def group_of(self, level1: str) -> str | None:
        entry = self.structure["level1"].get(level1.strip())
        return entry["group"] if entry else None

    def level2_allowed(self, level1: str) -> list[str]:
        entry = self.structure["level1"].get(level1.strip())
        return entry["level2"] if entry else []

    def is_cost(self, level1: str, level2: str) -> bool:
        cost = {normalize_level2(n) for n in self.structure["cost_level2"]}
        return normalize_level2(level2) in cost or level1.strip() == "成本指标"

    def grade(self, score: Decimal) -> str:
        for band in self.scoring["grades"]:
            if score >= Decimal(str(band["min"])):
                return band["grade"]
        return self.scoring["grades"][-1]["grade"]

    def light(self, ratio_percent: Decimal) -> str:
        """'red' / 'yellow' / 'green' for progress ÷ reference × 100."""
        for band in self.monitoring["lights"]:
            if band["below"] is None or ratio_percent < Decimal(str(band["below"])):
                return band["light"]
        return self.monitoring["lights"][-1]["light"]

    def light_label(self, light: str) -> str:
        return next(b["label"] for b in self.monitoring["lights"] if b["light"] == light)

    @cached_property
    def _tiers(self) -> list[dict]:
        tiers = self.scoring.get("qualitative_tiers") or DEFAULT_TIERS
        return [{**t, **{k: Decimal(str(t[k])) for k in ("min", "max", "default")}} for t in tiers]

    def qualitative_tiers(self) -> list[dict]:
        """定性 tiers, best first: {"tier", "min", "max", "default" (Decimals), "words"}."""
        return [dict(t) for t in self._tiers]

    @cached_property
    def _grades(self) -> dict[str, Decimal]:
        out = {w: t["default"] for t in self._tiers for w in t["words"]}
        for k, v in self.scoring["qualitative_grades"].items():
            out.setdefault(k, Decimal(str(v)))
        return out

    def qualitative_grades(self) -> dict[str, Decimal]:
        """Every word accepted as a 定性 actual and its ratio: the tiers' words (their default
        ratio) first, then the rulebook's other grade words."""
        return dict(self._grades)

    def tier_of(self, ratio: Decimal) -> dict:
        """The tier whose band holds ``ratio``: [min, max), the top tier's max included."""
        tiers = self._tiers
        for t in tiers:
            if t["min"] <= ratio and (ratio < t["max"] or t["max"] >= 1):
                return t
        return tiers[-1]

    def code_forms(self) -> list[dict]:
        return self.structure.get("code_forms") or [
            {"name": "", "pattern": self.structure["code_pattern"], "embeds_dept": True}]

    @property
    def missing_level(self) -> str:
        return self.scoring.get("missing_level", "rescale")

    @property
    def low_execution_rate(self) -> Decimal:
        return Decimal(str(self.scoring.get("low_execution_rate", 90)))

    @property
    def overachievement(self) -> tuple[Decimal, bool]:
        o = self.scoring.get("overachievement") or {"factor": 1.5, "deduct": False}
        return Decimal(str(o["factor"])), bool(o["deduct"])

    def issue(self, rule_id: str, location: str = "", **values) -> Issue:
        # A province's older rulebook may lack rules added since: the shipped wording stands in.
        entry = self.data["rules"].get(rule_id) or load_rules(default_rules_path()).data["rules"][rule_id]
        try:
            message = entry["message"].format(**values)
        except (KeyError, IndexError, ValueError, AttributeError):
            # Validation refuses such messages; a rulebook built in code may still have one,
            # and a form must never become "unreadable" because of the rulebook's wording.
            message = entry["message"] + "（" + "；".join(f"{k}={v}" for k, v in values.items()) + "）"
        return Issue(rule=rule_id, severity=entry["severity"], message=message, location=location)


def normalize_level2(name: str) -> str:
    """'数量指标' and '数量' name the same 二级: forms write both."""
    name = name.strip()
    return name[:-2] if name.endswith("指标") and len(name) > 2 else name


def rules_from_dict(data: dict, source: str = "rules.json") -> Rules:
    numbers = list(_bad_numbers(data))[:5]
    if numbers:
        # before the schema: NaN passes its range checks, and the later checks compare numbers
        raise RulesError(f"规则文件 {source} 无效：\n  " + "\n  ".join(numbers))
    validator = jsonschema.Draft202012Validator(_rules_schema(),
                                                format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{_field_path(e)}：{e.message}" for e in errors[:5]]
        raise RulesError(f"规则文件 {source} 无效：\n  " + "\n  ".join(lines))
    problems = _business_problems(data)
    if problems:
        raise RulesError(f"规则文件 {source} 无效：\n  " + "\n  ".join(problems))
    return Rules(data=data, source=source)


def load_rules(path: str | Path | None = None) -> Rules:
    """Load and validate a rulebook; None means $XLPKG_RULES, else the shipped one."""
    if path is None and os.environ.get(RULES_ENV):
        path = os.environ[RULES_ENV]
    resolved = Path(path) if path is not None else default_rules_path()
    return _load_cached(str(resolved.resolve()))


@lru_cache(maxsize=16)
def _load_cached(path: str) -> Rules:
    name = Path(path).name
    why = not_a_regular_file(path)
    if why:   # a FIFO would block the read forever
        raise RulesError(f"规则文件 {path} {why}")
    try:
        data = json.loads(Path(path).read_text("utf-8-sig"))
    except FileNotFoundError:
        raise RulesError(f"规则文件 {path} 不存在") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RulesError(f"规则文件 {name} 不是有效的JSON：{exc}") from None
    except ValueError:   # an integer of thousands of digits (Python's conversion limit)
        raise RulesError(f"规则文件 {name} 无效：含有位数过多的数字") from None
    except RecursionError:
        raise RulesError(f"规则文件 {name} 嵌套层次过深，不是规则文件") from None
    except OSError as exc:
        raise RulesError(f"无法读取规则文件 {path}：{os_error_text(exc)}") from None
    if not isinstance(data, dict):
        raise RulesError(f"规则文件 {name} 无效：应为一个 JSON 对象")
    return rules_from_dict(data, source=name)
