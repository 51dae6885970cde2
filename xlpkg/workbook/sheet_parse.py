"""The sheet's own reading of typed text, as Excel-2010 formulas and as their Python twin.

The 自评 formulas must score targets typed the traditional way (only 原指标值: "95%以上",
"不少于10次", "2022年12月底") and actuals typed as text ("≥20次", "2022年11月30日") without the
add-in. Each step is one working column of ``_calc`` built here (``*_formula``), and each has a
Python function (same name without the suffix) that computes what the formula will show, so
that ``xlpkg read``/``validate`` know exactly where the sheet's score will be blank and say so.
The two are tested against each other by recalculating many texts in LibreOffice.

The formulas read deliberately less than ``xlpkg.targets`` (no full-width digits, ranges or
negative numbers): where they cannot decide they leave the score blank with the reason, never a
different number.
"""
from __future__ import annotations

import calendar
import datetime as _dt
from decimal import Decimal, InvalidOperation

from ..targets import MONEY_FACTORS, NEUTRAL_WORDS, OPERATOR_PREFIXES, OPERATOR_SUFFIXES, NOT_UNITS, DONE_WORDS, NOT_DONE_WORDS

# Why a score cell stays blank (the `why` step's code): shown short in the cell, long in the note.
WHY_SHORT = ("?适用", "?指标值", "?实际值", "?评分")
WHY_LONG = ("是否适用应填“是”或“否”",
            "指标值公式无法识别，请按指标性质/指标值/度量单位拆分填写",
            "实际完成值公式无法识别，请改为与指标值同单位的数值、日期或达成/部分达成/未达成",
            "评分超出所选等级的分值区间（达成80%–100%、部分达成60%–80%、未达成60%以下）")


__all__ = ["PREFIXES", "SUFFIXES", "meta_lists", "norm", "parse_text", "parse_date",
           "parse_number_unit", "SEQ"]

SEQ = 40                    # characters a formula scans for digits
# Longest last: the formulas take the highest index that matches (SUMPRODUCT(MAX(...))).
PREFIXES = sorted(((w, op) for w, op in OPERATOR_PREFIXES), key=lambda p: len(p[0]))
SUFFIXES = sorted(OPERATOR_SUFFIXES.items(), key=lambda p: len(p[0]))
MONEY = sorted(MONEY_FACTORS.items(), key=lambda p: p[1])
# Replacements in order; NFKC is not available to a formula, so only the usual forms are mapped.
REPLACE = (("\n", ""), ("\r", ""), ("\t", ""), (" ", ""), ("\u3000", ""), ("％", "%"), (">=", "≥"), ("=>", "≥"), ("<=", "≤"), ("=<", "≤"),
           ("≧", "≥"), ("≦", "≤"), ("＞", ">"), ("＜", "<"), ("＝", "="), ("百分比", "%"),
           ("百分点", "%"), ("（", "("), ("）", ")"), ("(含)", ""), (",", ""), ("，", ""))
DATE_TAILS_2 = ("之前", "以前", "以内")
DATE_TAILS_1 = ("前", "内")
MONTH_END = ("", "份", "底", "末", "份底", "份末")
YEAR_REST = ("", "度", "底", "末", "内", "度底", "度末", "度内")


def meta_lists() -> list[tuple[str, list]]:
    """Named columns the formulas look up (written to the very hidden _xlpkg sheet)."""
    return [
        ("PrefixWords", [w for w, _ in PREFIXES]), ("PrefixLens", [len(w) for w, _ in PREFIXES]),
        ("PrefixOps", [op for _, op in PREFIXES]),
        ("PrefixNeutral", [1 if w in NEUTRAL_WORDS else 0 for w, _ in PREFIXES]),
        ("PrefixIdx", list(range(1, len(PREFIXES) + 1))),
        ("SuffixWords", [w for w, _ in SUFFIXES]), ("SuffixLens", [len(w) for w, _ in SUFFIXES]),
        ("SuffixOps", [op for _, op in SUFFIXES]), ("SuffixIdx", list(range(1, len(SUFFIXES) + 1))),
        ("UnitBlacklist", list(NOT_UNITS)), ("Seq", list(range(1, SEQ + 1))),
        ("MoneyConv", [u for u, _ in MONEY]), ("MoneyFactor", [float(f) for _, f in MONEY]),
    ]


# --- formulas ------------------------------------------------------------------------------

def norm_formula(x: str) -> str:
    out = f'({x}&"")'
    for old, new in REPLACE:
        lit = f"CHAR({ord(old)})" if old in "\n\r\t" else f'"{old}"'
        out = f'SUBSTITUTE({out},{lit},"{new}")'
    return out


def digits_formula(x: str, low: int, high: int) -> str:
    """TRUE when ``x`` is low..high ASCII digits (high ≤ 4)."""
    seq = "{" + ",".join(str(i) for i in range(1, high + 1)) + "}"
    return (f'AND(LEN({x})>={low},LEN({x})<={high},'
            f'SUMPRODUCT(--ISNUMBER(FIND(MID({x},{seq},1),"0123456789")),--(MID({x},{seq},1)<>""))=LEN({x}))')


def prefix_formula(src: str) -> str:
    return f"SUMPRODUCT(MAX((LEFT({src},PrefixLens)=PrefixWords)*PrefixIdx))"


def suffix_formula(src: str) -> str:
    return f"SUMPRODUCT(MAX((RIGHT({src},SuffixLens)=SuffixWords)*SuffixIdx))"


def body_formula(src: str, pre: str, suf: str) -> str:
    lp = f"IF({pre}>0,INDEX(PrefixLens,{pre}),0)"
    ls = f"IF({suf}>0,INDEX(SuffixLens,{suf}),0)"
    return f"MID({src},{lp}+1,MAX(0,LEN({src})-{lp}-{ls}))"


def nlen_formula(body: str) -> str:
    """Position of the last digit or '.' (0: none)."""
    ch = f"MID({body},Seq,1)"
    return f'SUMPRODUCT(MAX(ISNUMBER(FIND({ch},"0123456789."))*({ch}<>"")*Seq))'


def number_formula(body: str, nlen: str) -> str:
    """The leading number, "" unless body starts with digits and at most one '.' and has no '-'."""
    head = f"LEFT({body},{nlen})"
    ch = f"MID({head},Seq,1)"
    ok = (f'AND({nlen}>0,ISERROR(FIND("-",{body})),{head}<>".",LEN({head})-LEN(SUBSTITUTE({head},".",""))<=1,'
          f'SUMPRODUCT(ISNUMBER(FIND({ch},"0123456789."))*({ch}<>""))={nlen})')
    return f'IF({ok},VALUE({head}),"")'


def unit_formula(body: str, nlen: str) -> str:
    u = f"MID({body},{nlen}+1,99)"
    return (f'IF(OR(SUMPRODUCT(--ISNUMBER(FIND(UnitBlacklist,{u})))>0,'
            f'AND({u}<>"%",ISNUMBER(FIND("%",{u})))),"?",{u})')


def op_formula(pre: str, suf: str) -> str:
    pop, sop = f"INDEX(PrefixOps,{pre})", f"INDEX(SuffixOps,{suf})"
    neg = lambda o: f'OR({o}="≤",{o}="<")'
    return (f'IF({suf}>0,IF({pre}=0,{sop},IF(INDEX(PrefixNeutral,{pre})=1,{sop},'
            f'IF({neg(pop)}={neg(sop)},{pop},"?"))),IF({pre}>0,{pop},"="))')


def date_text_formula(src: str) -> str:
    s1 = f'IF(RIGHT({src},2)="完成",LEFT({src},LEN({src})-2),{src})'
    two = "OR(" + ",".join(f'RIGHT({s1},2)="{t}"' for t in DATE_TAILS_2) + ")"
    one = "OR(" + ",".join(f'RIGHT({s1},1)="{t}"' for t in DATE_TAILS_1) + ")"
    return f"IF({two},LEFT({s1},LEN({s1})-2),IF({one},LEFT({s1},LEN({s1})-1),{s1}))"


def _in(x: str, words) -> str:
    return "OR(" + ",".join(f'{x}="{w}"' for w in words) + ")"


def date_parts_formulas(dt: str, default_year: str) -> tuple[str, str, str]:
    """(year, month, day) formulas of a tail-stripped date text; day 0 = the month's last day,
    "" = not a date (any of the three)."""
    y = f'IFERROR(FIND("年",{dt}),0)'
    m = f'IFERROR(FIND("月",{dt}),0)'
    a = f'SUBSTITUTE(SUBSTITUTE({dt},"/","-"),".","-")'
    p2 = f'IFERROR(FIND("-",{a},6),0)'
    sep_ok = (f'IFERROR(AND(MID({a},5,1)="-",LEN({a})-LEN(SUBSTITUTE({a},"-",""))=2,{p2}>0,'
              f'{digits_formula(f"LEFT({a},4)", 4, 4)},{digits_formula(f"MID({a},6,{p2}-6)", 1, 2)},'
              f'{digits_formula(f"MID({a},{p2}+1,9)", 1, 2)}),FALSE)')
    ystr = f'IF({y}=0,"",LEFT({dt},{y}-1))'
    year_of = f'IF({ystr}="",IF(ISNUMBER({default_year}),{default_year},""),IF({digits_formula(ystr, 4, 4)},VALUE({ystr}),""))'
    mstr = f"MID({dt},{y}+1,{m}-{y}-1)"
    after = f"MID({dt},{m}+1,99)"
    rest = f"MID({dt},{y}+1,99)"
    year_ok = f'OR({dt}="年",AND({_in(rest, YEAR_REST)},OR({ystr}<>"",{_in(rest, YEAR_REST[2:5])})))'
    dy = (f'IF(AND({y}=0,{m}=0),IF({sep_ok},VALUE(LEFT({a},4)),""),IF({m}>0,IF({y}<{m},{year_of},""),'
          f'IF({year_ok},{year_of},"")))')
    dm = (f'IF(AND({y}=0,{m}=0),IF({sep_ok},VALUE(MID({a},6,{p2}-6)),""),IF({m}>0,'
          f'IF({digits_formula(mstr, 1, 2)},VALUE({mstr}),""),12))')
    dd_text = f"LEFT({after},LEN({after})-1)"
    dd = (f'IF(AND({y}=0,{m}=0),IF({sep_ok},VALUE(MID({a},{p2}+1,9)),""),IF({m}>0,'
          f'IF({_in(after, MONTH_END)},0,IF(AND(OR(RIGHT({after},1)="日",RIGHT({after},1)="号"),'
          f'{digits_formula(dd_text, 1, 2)}),VALUE({dd_text}),"")),31))')
    return dy, dm, dd


def date_formula(dy: str, dm: str, dd: str) -> str:
    last = f"DAY(DATE({dy},{dm}+1,0))"
    return (f'IF(OR({dy}="",{dm}="",{dd}=""),"",IF(OR({dy}<1900,{dy}>9999,{dm}<1,{dm}>12,{dd}>{last}),"",'
            f'DATE({dy},{dm},IF({dd}=0,{last},{dd}))))')


APPLICABLE_YES = ("是", "适用", "Y", "YES", "TRUE", "1", "√")
APPLICABLE_NO = ("否", "不适用", "N", "NO", "FALSE", "0", "×")


def applicable_value(value) -> bool | None:
    """是否适用: blank or a yes-word → True, a no-word → False, anything else None. The sheet's
    formulas use the same two lists (``ApplicableYes``/``ApplicableNo``, case-insensitive)."""
    if value is None or value is True or value is False:
        return value is not False
    text = _cell_text(value).upper()
    if text == "" or text in APPLICABLE_YES:
        return True
    if text in APPLICABLE_NO:
        return False
    return None


def _cell_text(value) -> str:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return _number_text(value)
    return str(value).strip()


# --- the Python twin -----------------------------------------------------------------------

def norm(value) -> str:
    """What ``norm_formula`` makes of a cell: numbers as the engine shows them in text."""
    if value is None:
        t = ""
    elif isinstance(value, bool):
        t = "TRUE" if value else "FALSE"
    elif isinstance(value, (int, float, Decimal)):
        t = _number_text(value)
    else:
        t = str(value)
    for old, new in REPLACE:
        t = t.replace(old, new)
    return t


def _number_text(value) -> str:
    f = float(value)
    if f == int(f) and abs(f) < 1e15:
        return str(int(f))
    return repr(f)   # the engines show up to 15 significant digits; forms use few


def _digits(x: str, low: int, high: int) -> bool:
    return low <= len(x) <= high and all(c in "0123456789" for c in x)


def prefix_index(src: str) -> int:
    best = 0
    for i, (w, _) in enumerate(PREFIXES, start=1):
        if src[:len(w)] == w:
            best = i
    return best


def suffix_index(src: str) -> int:
    best = 0
    for i, (w, _) in enumerate(SUFFIXES, start=1):
        if len(src) >= len(w) and src[len(src) - len(w):] == w:
            best = i
    return best


def parse_number_unit(src: str) -> tuple[Decimal | None, str, str]:
    """(number or None, unit or "?", operator or "?") as the formulas read a normalised text."""
    pre, suf = prefix_index(src), suffix_index(src)
    lp = len(PREFIXES[pre - 1][0]) if pre else 0
    ls = len(SUFFIXES[suf - 1][0]) if suf else 0
    body = src[lp:lp + max(0, len(src) - lp - ls)]
    nlen = max([i + 1 for i, c in enumerate(body[:SEQ]) if c in "0123456789."], default=0)
    head = body[:nlen]
    num = None
    if nlen > 0 and "-" not in body and head != "." and head.count(".") <= 1:
        try:
            num = Decimal(head)
        except InvalidOperation:   # pragma: no cover - only digits and one dot get here
            num = None
    unit = body[nlen:nlen + 99]
    if any(w in unit for w in NOT_UNITS) or (unit != "%" and "%" in unit):
        unit = "?"
    if suf:
        sop = SUFFIXES[suf - 1][1]
        if not pre or PREFIXES[pre - 1][0] in NEUTRAL_WORDS:
            op = sop
        else:
            pop = PREFIXES[pre - 1][1]
            op = pop if (pop in "≤<") == (sop in "≤<") else "?"
    else:
        op = PREFIXES[pre - 1][1] if pre else "="
    return num, unit, op


def date_text(src: str) -> str:
    s1 = src[:-2] if src.endswith("完成") else src
    if s1[-2:] in DATE_TAILS_2 and len(s1) >= 2:
        return s1[:-2]
    if s1[-1:] in DATE_TAILS_1 and s1:
        return s1[:-1]
    return s1


def parse_date(src: str, default_year) -> _dt.date | None:
    """``date_formula`` of a normalised text; ``default_year`` None when the cell is not a number."""
    dt = date_text(src)
    y, m = dt.find("年") + 1, dt.find("月") + 1
    dy = dm = dd = None
    if y == 0 and m == 0:
        a = dt.replace("/", "-").replace(".", "-")
        p2 = a.find("-", 5) + 1
        if (a[4:5] == "-" and a.count("-") == 2 and p2 > 0 and _digits(a[:4], 4, 4)
                and _digits(a[5:p2 - 1], 1, 2) and _digits(a[p2:p2 + 9], 1, 2)):
            dy, dm, dd = int(a[:4]), int(a[5:p2 - 1]), int(a[p2:p2 + 9])
    else:
        ystr = dt[:y - 1] if y else ""
        if ystr == "":
            year_of = int(default_year) if default_year is not None else None
        else:
            year_of = int(ystr) if _digits(ystr, 4, 4) else None
        if m > 0:
            dy = year_of if y < m else None
            mstr = dt[y:m - 1]
            dm = int(mstr) if _digits(mstr, 1, 2) else None
            after = dt[m:m + 99]
            if after in MONTH_END:
                dd = 0
            elif after[-1:] in ("日", "号") and _digits(after[:-1], 1, 2):
                dd = int(after[:-1])
        else:
            rest = dt[y:y + 99]
            ok = dt == "年" or (rest in YEAR_REST and (ystr != "" or rest in YEAR_REST[2:5]))
            dy, dm, dd = (year_of if ok else None), 12, 31
    if dy is None or dm is None or dd is None:
        return None
    if not (1900 <= dy <= 9999 and 1 <= dm <= 12):
        return None
    last = calendar.monthrange(dy, dm)[1]
    if dd > last:
        return None
    return _dt.date(dy, dm, dd or last)


def parse_text(src: str, default_year) -> tuple[str, object, str, str]:
    """(kind, value, unit, op) of a normalised target text as the formulas classify it:
    kind "date" (value a date), "quant" (value a Decimal), "qual" or "err"."""
    day = parse_date(src, default_year)
    if day is not None:
        return "date", day, "", "≤"
    num, unit, op = parse_number_unit(src)
    if num is not None and unit != "?" and op != "?":
        return "quant", num, unit, op
    if not any(c in "0123456789０１２３４５６７８９" for c in src):   # full-width: a number it cannot read
        return "qual", None, "", ""
    return "err", None, "", ""


def done_word(src: str) -> str | None:
    if src in DONE_WORDS:
        return "done"
    if src in NOT_DONE_WORDS:
        return "late"
    return None


# --- one row of the self-evaluation: will the sheet's score be blank, and why --------------

_VALUE_RE = None


def _excel_value_ok(text: str) -> bool:
    """Whether VALUE(text) gives a number, for the plain texts forms hold."""
    import re
    global _VALUE_RE
    _VALUE_RE = _VALUE_RE or re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?%?$")
    return bool(_VALUE_RE.match(text))


def _excel_value(text: str) -> Decimal:
    pct = text.endswith("%")
    v = Decimal(text[:-1] if pct else text)
    return v / 100 if pct else v


def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal, _dt.date)) and not isinstance(value, bool)


def _blank(value) -> bool:
    return norm(value) == "" if not _is_number(value) else False


def predict_blank(*, grouped: bool, nature, value, unit, original, actual, applicable, rated,
                  weight, year, qual_words, tiers) -> int:
    """The code of the `why` step for one row: 0 when the sheet shows a score (or nothing is
    due), else 1 是否适用, 2 指标值, 3 实际完成值, 4 评分 (the index into ``WHY_LONG`` + 1).

    Takes the cells as a reader gets them; ``qual_words`` are the rulebook's words (QualWords),
    ``tiers`` its 定性 tiers (Rules.qualitative_tiers)."""
    app = applicable_value(applicable)
    if not grouped or app is False:
        return 0
    if app is None:
        return 1
    if actual is None or ((str(actual).strip(" ") == "") if not _is_number(actual) else False):
        return 0   # nothing typed: no score is due (a blank cell is None, not the text "None")
    nat_in = norm(nature)
    structured = nat_in != ""
    if structured:
        src = norm(value)
    elif original is not None and str(original).strip(" ") != "":
        src = norm(original)
    else:
        src = norm(value) + norm(unit)
    kind, pval, punit, pop = parse_text(src, year)
    ops = dict(PREFIXES)
    if structured:
        u = norm(unit)
        nat = ops.get(nat_in, nat_in)
        if nat == "日期":
            t1 = _is_number(value) or parse_date(src, year) is not None
        elif nat == "区间":
            s = src.replace(u, "") if u else src
            i = s.find("-", 1)
            t1 = i >= 1 and _excel_value_ok(s[:i])
            t2 = i >= 1 and _excel_value_ok(s[i + 1:i + 100])
        else:
            s = src.replace(u, "") if u else src
            t1 = _is_number(value) or _excel_value_ok(s)
    else:
        u = punit if kind == "quant" else ""
        nat = {"qual": "定性", "date": "日期", "quant": pop}.get(kind, "")
        t1 = kind in ("quant", "date")
    if nat == "定性":
        mode = "qual"
    elif nat == "日期":
        mode = "date"
    elif nat == "区间":
        mode = "range"
    elif nat in ("≥", ">", "≤", "<") or (nat == "=" and t1):
        mode = "num"
    else:
        return 2
    if mode == "qual":
        if _is_number(actual) and not isinstance(actual, _dt.date):
            x = Decimal(str(actual))
            p = x * 100 if abs(x) <= 1 else x
            ratio = p / 100 if 0 <= p <= 100 else None
        else:
            a = norm(actual)
            words = {w.upper(): Decimal(str(r)) for w, r in qual_words.items()}
            if a == src:
                ratio = Decimal(1)
            elif a.upper() in words:
                ratio = words[a.upper()]
            elif a.endswith("%") and _excel_value_ok(a[:-1]) and 0 <= _excel_value(a[:-1]) <= 100:
                ratio = _excel_value(a[:-1]) / 100
            else:
                ratio = None
        if ratio is None:
            return 3
        if _is_number(rated) and not isinstance(rated, _dt.date) and weight is not None and weight > 0:
            tier = 1 + sum(1 for t in tiers if t["min"] > ratio)
            lo, hi = tiers[tier - 1]["min"], tiers[tier - 1]["max"]
            rr = Decimal(str(rated)) / Decimal(str(weight))
            if not (rr >= lo and (rr < hi or (hi >= 1 and rr <= hi))):
                return 4
        return 0
    if not t1 or (mode == "range" and not t2):
        return 2
    if _is_number(actual):
        return 0
    a = norm(actual)
    if mode == "date":
        if done_word(a):
            return 0
        deadline_year = None
        if structured and _is_number(value) and isinstance(value, _dt.date):
            deadline_year = value.year
        elif isinstance(pval, _dt.date):
            deadline_year = pval.year
        return 0 if parse_date(a, deadline_year) is not None else 3
    anum, aunit, _ = parse_number_unit(a)
    if anum is None or aunit == "?":
        return 3
    money = dict(MONEY)
    if aunit == "" or aunit.upper() == u.upper() or u == "" or (aunit in money and u in money):
        return 0
    return 3
