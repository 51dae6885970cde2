"""Indicator targets (指标值): parse "95%以上" into an operator, a value and a unit, and judge an
actual value (实际完成值) against it.

Numbers stay ``Decimal`` exactly as written in their unit ("95%以上" holds 95, not 0.95), so
that the form, the official split columns (指标性质 / 指标值 / 度量单位) and the scores agree to
the last digit. Every error carries a Chinese message for the accountant who typed the cell.
"""
from __future__ import annotations

import calendar
import functools
import datetime
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .target_wording import common_reading

__all__ = [
    "KINDS", "QUALITATIVE_GRADES", "QUALITATIVE_PASS", "ActualError", "Evaluation", "Target",
    "TargetError", "from_official", "parse_actual", "parse_number", "parse_target",
    "try_parse_target",
]

KINDS = ("quantitative", "qualitative", "date", "range")

# Ratio of a qualitative grade; a rulebook may pass its own table to ``evaluate(grades=...)``.
QUALITATIVE_GRADES: dict[str, Decimal] = {
    # the official tiers (财预〔2020〕10号) at their default ratios, as in rules.json
    "达成年度指标": Decimal(1), "达成": Decimal(1), "已达成": Decimal(1), "达成预期指标": Decimal(1),
    "达成预期目标": Decimal(1), "部分达成年度指标并具有一定效果": Decimal("0.7"),
    "部分达成": Decimal("0.7"), "部分达成年度指标": Decimal("0.7"), "部分达成预期指标": Decimal("0.7"),
    "部分达成预期目标": Decimal("0.7"), "未达成年度指标且效果较差": Decimal(0), "未达成": Decimal(0),
    "未达成年度指标": Decimal(0), "未达成预期指标": Decimal(0), "未达成预期目标": Decimal(0),
    # other grade words forms use
    "完全达成": Decimal(1), "好": Decimal(1), "优": Decimal(1), "效果显著": Decimal(1),
    "较好": Decimal("0.9"), "良": Decimal("0.9"), "基本达成": Decimal("0.8"),
    "一般": Decimal("0.6"), "中": Decimal("0.6"),
    "较差": Decimal("0.3"), "差": Decimal("0.3"),
    "按期完成": Decimal(1), "按时完成": Decimal(1), "已完成": Decimal(1), "是": Decimal(1),
    "否": Decimal(0), "未完成": Decimal(0),
}
QUALITATIVE_PASS = Decimal("0.8")   # 达成 tier starts at 80 % (DESIGN: 达成 80–100 %)

# "按期完成" has no date to compare with, so it is scored as a qualitative target.
_ON_TIME_TARGETS = {"按期完成", "按时完成", "如期完成"}
DONE_WORDS = {"按期完成", "按时完成", "如期完成", "已完成", "完成", "是"}
NOT_DONE_WORDS = {"未完成", "否", "延期", "未按期完成", "逾期"}

MONEY_FACTORS = {"元": Decimal(1), "千元": Decimal(1000), "万元": Decimal(10000),
          "亿元": Decimal(100000000)}
_NATURES = {"定性": "qualitative", "区间": "range", "日期": "date"}

_NUM = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
# A unit is short and word-like; "%左右" or "左右" must not pass as one, hence the blacklist.
_UNIT = r"(?:%|‰|[A-Za-z\u4e00-\u9fff/·]{1,10}?[23]?)"   # lazy: leave 以上/内 to the suffix
NOT_UNITS = ("左右", "约", "以", "及", "或", "不", "于", "超过", "至少", "达到", "前",
                   "后", "内", "含", "完成")

# Longest words first so that "大于等于" wins over "大于". "Neutral" prefixes (达到, 控制在, =)
# only give a default: a suffix such as 以上/以内 decides when present ("达到95%以上").
OPERATOR_PREFIXES = [
    ("大于或等于", "≥"), ("大于等于", "≥"), ("小于或等于", "≤"), ("小于等于", "≤"),
    ("不低于", "≥"), ("不少于", "≥"), ("不小于", "≥"), ("不高于", "≤"), ("不超过", "≤"),
    ("不大于", "≤"), ("不多于", "≤"), ("控制在", "≤"), ("至少", "≥"), ("最少", "≥"),
    ("至多", "≤"), ("最多", "≤"), ("达到", "≥"), ("高于", ">"), ("大于", ">"), ("超过", ">"),
    ("多于", ">"), ("低于", "<"), ("小于", "<"), ("少于", "<"), ("等于", "="), ("为", "="),
    ("达", "≥"), ("≥", "≥"), ("≤", "≤"), (">", ">"), ("<", "<"), ("=", "="),
]
NEUTRAL_WORDS = {"达到", "达", "控制在", "等于", "为", "="}
OPERATOR_SUFFIXES = {"及以上": "≥", "或以上": "≥", "以上": "≥", "及以下": "≤", "或以下": "≤",
             "以下": "≤", "以内": "≤", "之内": "≤", "内": "≤"}
_OPS = ("≥", ">", "≤", "<", "=")

_QUANT_RE = re.compile(
    "^(?P<pre>" + "|".join(re.escape(p) for p, _ in OPERATOR_PREFIXES) + ")?"
    rf"(?P<num>{_NUM})(?P<unit>{_UNIT})??"
    r"(?:\(含\))?(?P<suf>" + "|".join(sorted(OPERATOR_SUFFIXES, key=len, reverse=True)) + ")?$")
_RANGE_RE = re.compile(rf"^(?P<a>{_NUM})(?P<u1>{_UNIT})?(?:-|~|至|到)(?P<b>{_NUM})(?P<u2>{_UNIT})?$")
_ACTUAL_RE = re.compile(rf"^(?P<num>{_NUM})(?P<unit>{_UNIT})?$")

_DATE_TAIL = r"(?:前|之前|以前|以内|内)?(?:完成)?$"
_DATE_YMD_RE = re.compile(r"^([0-9]{4})(?:[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})|年([0-9]{1,2})月"
                          r"([0-9]{1,2})[日号])" + _DATE_TAIL)
_DATE_MONTH_RE = re.compile(r"^(?:([0-9]{4})年)?([0-9]{1,2})月(?:([0-9]{1,2})[日号]|份?(?:底|末)?)"
                            + _DATE_TAIL)
_DATE_YEAR_RE = re.compile(r"^(?:([0-9]{4})年度?(?:底|末|内)?|年(?:底|末|内))" + _DATE_TAIL)


class TargetError(ValueError):
    """An indicator value that cannot be understood; ``message`` is Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ActualError(ValueError):   # deliberately not a TargetError: the target itself is fine
    """An actual value (实际完成值) that cannot be judged; ``message`` is Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def _norm(text: str) -> str:
    """Canonical form for matching: NFKC (full-width → ASCII), no spaces, one symbol per operator."""
    # Every form repeats the same short texts (units, natures, amounts): those are remembered;
    # a long one (up to 32,767 characters) is not kept.
    return _norm_short(text) if len(text) <= 64 else _normalised(text)


def _normalised(text: str) -> str:
    t = unicodedata.normalize("NFKC", text)
    t = re.sub(r"\s+", "", t)
    for old, new in (("≧", "≥"), ("≦", "≤"), (">=", "≥"), ("=>", "≥"), ("<=", "≤"),
                     ("=<", "≤"), ("〜", "~"), ("—", "-"), ("–", "-"), ("−", "-"), ("‒", "-"),
                     ("百分比", "%"), ("百分点", "%")):   # unit words of the integrated system
        t = t.replace(old, new)
    return re.sub(r"(?<=[0-9]),(?=[0-9]{3}(?![0-9]))", "", t)


_norm_short = functools.lru_cache(maxsize=8192)(_normalised)


def normalize_text(text: str) -> str:
    """A target or actual as the parsers match it (NFKC, no spaces, one symbol per operator)."""
    return _norm(text)


def format_number(d: Decimal) -> str:
    """Plain digits without trailing zeros or exponent: 1400, 99.5, -5."""
    s = format(d, "f")   # not normalize(): it rounds to the context precision
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "+0", "") else s


def parse_number(text) -> Decimal:
    """Tolerant number reader: "1,400.00", " ２５ ", 3, 0.1 (floats go through ``str``).

    A trailing "%" or any unit is *not* removed here: "25%" raises ``ValueError``.
    """
    if isinstance(text, bool):
        raise ValueError(f"数值“{text}”无法识别")
    if isinstance(text, Decimal):
        # Absurd magnitudes would overflow the Decimal context in ratios; no form needs them.
        if not text.is_finite() or not -100 <= text.adjusted() <= 100:
            raise ValueError(f"数值“{text}”无法识别")
        return text
    if isinstance(text, (int, float)):
        text = str(text)
    if not isinstance(text, str):
        raise ValueError(f"数值“{text}”无法识别")
    t = _norm(text)
    if not re.fullmatch(_NUM + r"(?:[eE][+-]?[0-9]+)?", t):
        raise ValueError(f"数值“{text}”无法识别")
    try:
        return parse_number(Decimal(t))
    except InvalidOperation:   # pragma: no cover - the regex already guards this
        raise ValueError(f"数值“{text}”无法识别") from None


def _unit_ok(unit: str) -> bool:
    return not any(w in unit for w in NOT_UNITS)


def _match_date(t: str, year: int | None) -> tuple[bool, datetime.date | None, str | None]:
    """(matched, date, problem) for a normalised text; bare "12月底" takes ``year``."""
    y = mo = d = None
    if m := _DATE_YMD_RE.match(t):
        y = int(m[1])
        mo, d = (int(m[2]), int(m[3])) if m[2] else (int(m[4]), int(m[5]))
    elif m := _DATE_MONTH_RE.match(t):
        y, mo, d = (int(m[1]) if m[1] else None), int(m[2]), (int(m[3]) if m[3] else None)
    elif m := _DATE_YEAR_RE.match(t):
        y, mo, d = (int(m[1]) if m[1] else None), 12, 31
    else:
        return False, None, None
    if y is None:
        if year is None:
            return True, None, "缺少年份（请写成如“2022年12月底”）"
        y = year
    if not 1 <= mo <= 12 or not 1 <= y <= 9999:
        return True, None, "日期不存在"
    last = calendar.monthrange(y, mo)[1]
    if d is None:
        d = last   # "6月底", "2022年12月": the last day of the month
    if not 1 <= d <= last:
        return True, None, "日期不存在"
    return True, datetime.date(y, mo, d), None


@dataclass(frozen=True)
class Evaluation:
    met: bool
    actual: Decimal | datetime.date | str
    ratio: Decimal | None


@dataclass(frozen=True)
class Target:
    kind: str
    op: str | None
    value: Decimal | None
    value2: Decimal | None
    unit: str
    text: str
    deadline: datetime.date | None = None

    @property
    def direction(self) -> str:
        if self.kind != "quantitative":
            return self.kind
        return {"≥": "positive", ">": "positive", "≤": "negative", "<": "negative"}.get(
            self.op, "equal")

    def official(self) -> tuple[str, str, str]:
        """(指标性质, 指标值, 度量单位) as the newer official forms split it."""
        if self.kind == "qualitative":
            return "定性", self.text.strip(), ""
        if self.kind == "date":
            return "日期", self.deadline.isoformat(), ""
        if self.kind == "range":
            return "区间", f"{format_number(self.value)}-{format_number(self.value2)}", self.unit
        return self.op, format_number(self.value), self.unit

    def display(self) -> str:
        if self.kind == "qualitative":
            return self.text.strip()
        if self.kind == "date":
            dl = self.deadline
            return f"{dl.year}年{dl.month}月{dl.day}日前"
        if self.kind == "range":
            return f"{format_number(self.value)}{self.unit}-{format_number(self.value2)}{self.unit}"
        return ("" if self.op == "=" else self.op) + format_number(self.value) + self.unit

    def evaluate(self, actual, *, grades: dict[str, Decimal] | None = None) -> Evaluation:
        """Judge ``actual`` (see ``parse_actual``) against this target.

        "=" targets count as positive (more is fine) unless the target is 0. A qualitative
        target is met when its ratio reaches ``QUALITATIVE_PASS``. Raises ``ActualError``.
        """
        a = parse_actual(actual, self, grades=grades)
        if self.kind == "qualitative":
            r = _qualitative_ratio(a, self, grades)
            return Evaluation(r >= QUALITATIVE_PASS, a, r)
        if self.kind == "date":
            met = a in DONE_WORDS if isinstance(a, str) else a <= self.deadline
            return Evaluation(met, a, Decimal(1) if met else Decimal(0))
        v = self.value
        if self.kind == "range":
            if a < v:
                return Evaluation(False, a, None if v == 0 else a / v)
            if a > self.value2:
                return Evaluation(False, a, None if a == 0 else self.value2 / a)
            return Evaluation(True, a, Decimal(1))
        if self.direction == "negative":
            met = a <= v if self.op == "≤" else a < v
            ratio = Decimal(1) if a <= v else (None if a == 0 else v / a)
            return Evaluation(met, a, ratio)
        if self.op == ">":
            met = a > v
        elif self.op == "=" and v == 0:
            met = a <= 0
        else:
            met = a >= v
        return Evaluation(met, a, None if v == 0 else a / v)


def _fail(text, why: str) -> TargetError:
    return TargetError(f"指标值“{text}”无法识别：{why}")


_GENERIC = "应为数值加单位（如“95%以上”“20次”）、区间（如“90%-95%”）、日期（如“2022年12月底”）或文字描述"


def parse_target(text, *, year: int | None = None) -> Target:
    """Parse one 指标值 as written on a form. ``year`` completes "12月底". Raises TargetError."""
    if isinstance(text, str):
        return _parse_text_cached(text, year)
    return _parse_target(text, year)


@functools.lru_cache(maxsize=8192)
def _parse_text_cached(text: str, year: int | None) -> Target:
    # Targets are frozen, and a check, a score and a consolidation each parse the same texts.
    return _parse_target(text, year)


def _parse_target(text, year: int | None) -> Target:
    if text is None:
        raise TargetError("指标值为空")
    if isinstance(text, (int, float, Decimal)) and not isinstance(text, bool):
        # A bare number cell: Excel has lost any "%" formatting, so it is taken as written.
        try:
            return Target("quantitative", "=", parse_number(text), None, "", str(text))
        except ValueError:
            raise _fail(text, "不是有效数值") from None
    text = str(text)
    t = _norm(text)
    if not t:
        raise TargetError("指标值为空")
    if t in _ON_TIME_TARGETS:
        return Target("qualitative", None, None, None, "", text)
    matched, day, problem = _match_date(t, year)
    if matched:
        if problem:
            raise _fail(text, problem)
        return Target("date", "≤", None, None, "", text, day)
    if m := _RANGE_RE.match(t):
        u1, u2 = m["u1"] or "", m["u2"] or ""
        if (u1 and u2 and u1 != u2) or not _unit_ok(u1 + u2):
            raise _fail(text, f"区间两端单位“{u1}”“{u2}”不一致")
        a, b = Decimal(m["a"]), Decimal(m["b"])
        if a > b:
            raise _fail(text, f"区间下限{format_number(a)}大于上限{format_number(b)}")
        return Target("range", None, a, b, u2 or u1, text)
    if (m := _QUANT_RE.match(t)) and _unit_ok(m["unit"] or ""):
        pre, suf = m["pre"], m["suf"]
        op = dict(OPERATOR_PREFIXES)[pre] if pre else "="
        if suf:
            sop = OPERATOR_SUFFIXES[suf]
            if pre and pre not in NEUTRAL_WORDS and _direction_of(op) != _direction_of(sop):
                raise _fail(text, f"“{pre}”与“{suf}”方向矛盾")
            if not pre or pre in NEUTRAL_WORDS:
                op = sop
        return Target("quantitative", op, Decimal(m["num"]), None, m["unit"] or "", text)
    # "100%合格", "每季度1次", "1:1", "合格率100%": one documented reading each (target_wording)
    if re.search(r"[0-9]", t) and (common := common_reading(t, _quant_of)) is not None:
        op, value, unit = common
        return Target("quantitative", op, value, None, unit, text)
    if re.search(r"[0-9]", t):
        raise _fail(text, _GENERIC)
    if not any(unicodedata.category(c)[0] in "LN" for c in t):
        raise _fail(text, "没有数值也没有文字描述")
    return Target("qualitative", None, None, None, "", text)


def _quant_of(t: str) -> tuple[str, Decimal, str] | None:
    """(op, value, unit) of a normalised plain quantitative text ("≥95%", "1次"), else None."""
    try:
        target = _parse_target(t, None)
    except TargetError:
        return None
    if target.kind != "quantitative":
        return None
    return target.op, target.value, target.unit


def _direction_of(op: str) -> str:
    return "negative" if op in ("≤", "<") else "positive"


def try_parse_target(text, *, year: int | None = None) -> tuple[Target | None, str | None]:
    """Like ``parse_target`` but never raises: (target, None) or (None, Chinese message)."""
    try:
        return parse_target(text, year=year), None
    except TargetError as e:
        return None, e.message
    except Exception:   # a bug must not crash a whole consolidation run
        return None, f"指标值“{text}”无法识别"


def from_official(nature: str, value: str, unit: str, *, year: int | None = None) -> Target:
    """Rebuild a Target from (指标性质, 指标值, 度量单位); the inverse of ``Target.official``.

    A blank 指标性质 means the 指标值 column holds the old combined text ("95%以上").
    """
    if all(x is None or type(x) in (str, int, float) and (type(x) is not str or len(x) <= 64)
           for x in (nature, value, unit)):
        return _from_official_cached(nature, value, unit, year)
    return _from_official(nature, value, unit, year)


# Targets are frozen. Typed keys: 1 and 1.0 would be one key otherwise (booleans, Decimals and
# long texts are never looked up here).
@functools.lru_cache(maxsize=8192, typed=True)
def _from_official_cached(nature, value, unit, year: int | None) -> Target:
    return _from_official(nature, value, unit, year)


def _from_official(nature, value, unit, year: int | None) -> Target:
    n = _norm(str(nature or ""))
    v = "" if value is None else (format_number(value) if isinstance(value, (int, float, Decimal))
                                  and not isinstance(value, bool) else str(value))
    u = _norm(str(unit or ""))
    vt = _norm(v)
    if not n:
        return parse_target(v + u, year=year)
    if not vt:
        raise TargetError("指标值为空")
    kind = _NATURES.get(n)
    if kind == "qualitative":
        return _built(Target("qualitative", None, None, None, "", v.strip()))
    if kind == "date":
        matched, day, problem = _match_date(vt, year)
        if not matched or problem:
            raise _fail(v, problem or "日期应写成如“2022-12-31”")
        return _built(Target("date", "≤", None, None, "", v, day))
    if kind == "range":
        m = _RANGE_RE.match(vt)
        if not m or (m["u1"] or m["u2"] or u) not in (u, ""):
            raise _fail(v, "区间应写成如“90-95”")
        a, b = Decimal(m["a"]), Decimal(m["b"])
        if a > b:
            raise _fail(v, f"区间下限{format_number(a)}大于上限{format_number(b)}")
        return _built(Target("range", None, a, b, u, v))
    op = n if n in _OPS else dict(OPERATOR_PREFIXES).get(n)
    if op is None:
        raise TargetError(f"指标性质“{nature}”无法识别：应为≥、≤、=、>、<、定性、区间或日期")
    if u and vt.endswith(u):
        vt = vt[: -len(u)]   # "95%" typed into 指标值 next to 度量单位 "%"
    try:
        num = parse_number(vt)
    except ValueError:
        raise _fail(v, "指标性质为比较符时指标值应为数值") from None
    if u == "%" and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) \
            and abs(num) <= 1:
        # "95%" typed into a %-formatted cell is stored as 0.95: read it as the actual side does.
        num *= 100
        v = format_number(num)
    return _built(Target("quantitative", op, num, None, u, v))


def _built(t: Target) -> Target:
    # Split columns have no original combined text, so the canonical display stands in for it.
    return Target(t.kind, t.op, t.value, t.value2, t.unit, t.display(), t.deadline)


def parse_actual(actual, target: Target, *, grades: dict[str, Decimal] | None = None):
    """Convert an actual value into the target's terms; raises ``ActualError``.

    Typed text against the default grades is cached (a form is checked, scored and
    consolidated, each parsing the same actuals); the result is immutable either way.

    Numeric targets give a ``Decimal`` in the target's unit. For a "%" target a bare number
    whose absolute value is at most 1 (Excel stores a percent-formatted cell as 0.96) is read
    as a fraction and multiplied by 100; a larger bare number is already a percentage
    (96 → 96). So 1 means 100 %: write "1%" for one percent. Money converts between 元, 千元,
    万元 and 亿元; any other unit must equal the target's. A unitless target accepts any unit.
    Date targets give a ``date`` or a done/not-done word; qualitative targets give a string
    (the target text, a grade word, or a percentage such as "85%").
    """
    if grades is None and isinstance(actual, str):
        return _parse_actual_text_cached(actual, target)
    return _parse_actual(actual, target, grades)


@functools.lru_cache(maxsize=8192)
def _parse_actual_text_cached(actual: str, target: Target):
    return _parse_actual(actual, target, None)


def _parse_actual(actual, target: Target, grades: dict[str, Decimal] | None):
    if actual is None or (isinstance(actual, str) and not _norm(actual)):
        raise ActualError("实际完成值为空")
    if target.kind == "date":
        return _actual_date(actual, target)
    if target.kind == "qualitative":
        return _actual_qualitative(actual, target, grades)
    if isinstance(actual, (datetime.date, bool)):
        raise ActualError(f"实际完成值“{actual}”无法识别：应为数值（如“96%”“18次”）")
    unit = ""
    if isinstance(actual, (int, float, Decimal)):
        try:
            num = parse_number(actual)
        except ValueError:
            raise ActualError(f"实际完成值“{actual}”无法识别：不是有效数值") from None
    else:
        m = _ACTUAL_RE.match(_norm(str(actual)))
        if m and _unit_ok(m["unit"] or ""):
            num, unit = Decimal(m["num"]), m["unit"] or ""
        else:
            # Written with an operator, or a copy of the target ("≥20次", "95%以上"): its value.
            copied, _ = try_parse_target(str(actual))
            if copied is None or copied.kind != "quantitative":
                raise ActualError(f"实际完成值“{actual}”无法识别：应为数值（如“96%”“18次”）")
            num, unit = copied.value, copied.unit
    tu = target.unit
    if not unit:
        return num * 100 if tu == "%" and abs(num) <= 1 else num
    if unit == tu or not tu:
        return num
    if unit in MONEY_FACTORS and tu in MONEY_FACTORS:
        return num * MONEY_FACTORS[unit] / MONEY_FACTORS[tu]
    raise ActualError(f"实际值单位“{unit}”与指标单位“{tu}”不一致")


def _actual_date(actual, target: Target):
    if isinstance(actual, datetime.datetime):
        return actual.date()
    if isinstance(actual, datetime.date):
        return actual
    t = _norm(str(actual))
    if t in DONE_WORDS or t in NOT_DONE_WORDS:
        return t
    matched, day, problem = _match_date(t, target.deadline.year if target.deadline else None)
    if matched and not problem:
        return day
    raise ActualError(f"实际完成值“{actual}”无法识别：应为日期（如“2022-11-30”）或“按期完成”“未完成”")


def _actual_qualitative(actual, target: Target, grades) -> str:
    table = QUALITATIVE_GRADES if grades is None else grades
    if isinstance(actual, (int, float, Decimal)) and not isinstance(actual, bool):
        # A number in a qualitative row is a completion percentage (0.85 or 85).
        try:
            num = parse_number(actual)
        except ValueError:
            num = None
        if num is not None:
            actual = format_number(num * 100 if abs(num) <= 1 else num) + "%"
    t = _norm(str(actual))
    if t == _norm(target.text) or t in _normalised_words(tuple(table)):
        return t
    m = re.fullmatch(rf"({_NUM})%", t)
    if m and 0 <= Decimal(m[1]) <= 100:
        return t
    raise ActualError(f"实际完成值“{actual}”无法识别：应与指标值“{target.text.strip()}”一致，"
                      "或为等级词（如“达成”“基本达成”“未达成”）或百分比（如“85%”）")


@functools.lru_cache(maxsize=64)
def _normalised_words(words: tuple) -> frozenset:
    return frozenset(_norm(k) for k in words)


@functools.lru_cache(maxsize=64)
def _normalised_table(items: tuple) -> dict:
    return {_norm(k): Decimal(v) for k, v in items}


def _qualitative_ratio(word: str, target: Target, grades) -> Decimal:
    table = _normalised_table(tuple((QUALITATIVE_GRADES if grades is None else grades).items()))
    if word == _norm(target.text):
        return Decimal(1)
    if word in table:
        return table[word]
    return Decimal(word[:-1]) / 100


def parse_percent(value) -> Decimal:
    """A percentage as forms hold it: 0.25 (a % cell), 25, "25%" or "25" all mean 25 %."""
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if text.endswith("%"):
            return parse_number(text[:-1])
        value = parse_number(text)
    number = parse_number(value)
    return number * 100 if abs(number) <= 1 else number


def official_cells(target: Target) -> list:
    """(指标性质, 指标值, 度量单位) as cells hold them: a number or a date where it is one."""
    nature, value, unit = target.official()
    if target.kind == "quantitative":
        number = Decimal(value)
        value = int(number) if number == number.to_integral_value() else float(number)
    elif target.kind == "date":
        value = datetime.datetime.combine(target.deadline, datetime.time())
    return [nature, value, unit or None]
