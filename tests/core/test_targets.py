"""Tests for xlpkg.targets: parsing 指标值, the official split, actual values and evaluation."""
import datetime
from decimal import Decimal as D

import pytest
from hypothesis import given, settings, strategies as st

from xlpkg.targets import KINDS, QUALITATIVE_GRADES, ActualError, Evaluation, Target, TargetError, from_official, parse_actual, parse_number, parse_target, try_parse_target

Q, QL, DT, RG = "quantitative", "qualitative", "date", "range"

# (text, kind, op, value, value2, unit) -- every indicator value of the seed document.
SEED = [
    ("20次", Q, "=", D(20), None, "次"),
    ("95%以上", Q, "≥", D(95), None, "%"),
    ("2022年12月底", DT, "≤", None, None, ""),
    ("1400万元", Q, "=", D(1400), None, "万元"),
    ("3000万元", Q, "=", D(3000), None, "万元"),
    ("高于95%", Q, ">", D(95), None, "%"),
    ("100%", Q, "=", D(100), None, "%"),
    ("小于5%", Q, "<", D(5), None, "%"),
    ("≤5%", Q, "≤", D(5), None, "%"),
    ("效果显著", QL, None, None, None, ""),
    ("3", Q, "=", D(3), None, ""),
    ("提质增效", QL, None, None, None, ""),
    ("90%", Q, "=", D(90), None, "%"),
    ("1套", Q, "=", D(1), None, "套"),
    ("大于90%", Q, ">", D(90), None, "%"),
]

OTHER = [
    ("≥95%", Q, "≥", D(95), None, "%"),
    ("＞95％", Q, ">", D(95), None, "%"),
    ("≥ 95 %", Q, "≥", D(95), None, "%"),
    ("≧95%", Q, "≥", D(95), None, "%"),
    (">=95%", Q, "≥", D(95), None, "%"),
    ("<=5%", Q, "≤", D(5), None, "%"),
    ("≦5%", Q, "≤", D(5), None, "%"),
    ("不低于95%", Q, "≥", D(95), None, "%"),
    ("不少于20次", Q, "≥", D(20), None, "次"),
    ("至少3个", Q, "≥", D(3), None, "个"),
    ("达到95%", Q, "≥", D(95), None, "%"),
    ("达到95%以上", Q, "≥", D(95), None, "%"),
    ("95%及以上", Q, "≥", D(95), None, "%"),
    ("95%(含)以上", Q, "≥", D(95), None, "%"),
    ("大于等于90%", Q, "≥", D(90), None, "%"),
    ("不高于5%", Q, "≤", D(5), None, "%"),
    ("不超过1400万元", Q, "≤", D(1400), None, "万元"),
    ("不超过1,400万元", Q, "≤", D(1400), None, "万元"),
    ("5%以内", Q, "≤", D(5), None, "%"),
    ("控制在5%以内", Q, "≤", D(5), None, "%"),
    ("5%以下", Q, "≤", D(5), None, "%"),
    ("低于5%", Q, "<", D(5), None, "%"),
    ("小于等于5%", Q, "≤", D(5), None, "%"),
    ("≥50个", Q, "≥", D(50), None, "个"),
    ("≤90万元", Q, "≤", D(90), None, "万元"),
    ("=100%", Q, "=", D(100), None, "%"),
    ("99.5%", Q, "=", D("99.5"), None, "%"),
    ("２０次", Q, "=", D(20), None, "次"),
    ("-5%", Q, "=", D(-5), None, "%"),
    ("30个工作日内", Q, "≤", D(30), None, "个工作日"),
    ("90%-95%", RG, None, D(90), D(95), "%"),
    ("90%～95%", RG, None, D(90), D(95), "%"),
    ("90%~95%", RG, None, D(90), D(95), "%"),
    ("90-95%", RG, None, D(90), D(95), "%"),
    ("90%至95%", RG, None, D(90), D(95), "%"),
    ("90%—95%", RG, None, D(90), D(95), "%"),
    ("按期完成", QL, None, None, None, ""),
    ("按时完成", QL, None, None, None, ""),
    ("群众满意度明显提升", QL, None, None, None, ""),
]

DATES = [
    ("2022年12月底", None, datetime.date(2022, 12, 31)),
    ("2022年12月31日前", None, datetime.date(2022, 12, 31)),
    ("2022年底", None, datetime.date(2022, 12, 31)),
    ("2022年底前完成", None, datetime.date(2022, 12, 31)),
    ("2022年6月底", None, datetime.date(2022, 6, 30)),
    ("2024年2月底", None, datetime.date(2024, 2, 29)),
    ("2022-12-31", None, datetime.date(2022, 12, 31)),
    ("2022/6/15", None, datetime.date(2022, 6, 15)),
    ("2022年12月", None, datetime.date(2022, 12, 31)),
    ("12月底", 2022, datetime.date(2022, 12, 31)),
    ("6月底前", 2023, datetime.date(2023, 6, 30)),
    ("年底", 2022, datetime.date(2022, 12, 31)),
]


def _fields(t):
    return (t.kind, t.op, t.value, t.value2, t.unit)


@pytest.mark.parametrize("text,kind,op,value,value2,unit", SEED, ids=[r[0] for r in SEED])
def test_seed_values(text, kind, op, value, value2, unit):
    t = parse_target(text)
    assert _fields(t) == (kind, op, value, value2, unit)
    assert t.text == text
    if kind == DT:
        assert t.deadline == datetime.date(2022, 12, 31)


@pytest.mark.parametrize("text,kind,op,value,value2,unit", OTHER, ids=[r[0] for r in OTHER])
def test_other_values(text, kind, op, value, value2, unit):
    t = parse_target(text)
    assert _fields(t) == (kind, op, value, value2, unit)
    assert t.kind in KINDS and t.text == text


@pytest.mark.parametrize("text,year,deadline", DATES, ids=[r[0] for r in DATES])
def test_dates(text, year, deadline):
    t = parse_target(text, year=year)
    assert _fields(t) == (DT, "≤", None, None, "")
    assert t.deadline == deadline


def test_text_kept_exactly():
    assert parse_target(" 95%以上 ").text == " 95%以上 "


def test_numeric_cell():
    assert _fields(parse_target(3)) == (Q, "=", D(3), None, "")
    assert parse_target(0.95).value == D("0.95")


ERRORS = [
    ("95%左右xx", "无法识别"),
    ("约95%", "无法识别"),
    ("95左右", "无法识别"),
    ("95%-90%", "下限95大于上限90"),
    ("90%-95次", "不一致"),
    ("12月底", "缺少年份"),
    ("年底前", "缺少年份"),
    ("2022年13月", "日期不存在"),
    ("2022年2月30日", "日期不存在"),
    ("大于95%以下", "矛盾"),
    ("第3季度", "无法识别"),
    ("/", "无法识别"),
]


@pytest.mark.parametrize("text,why", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_name_the_text(text, why):
    with pytest.raises(TargetError) as exc:
        parse_target(text)
    assert f"指标值“{text}”" in exc.value.message
    assert why in exc.value.message
    assert str(exc.value) == exc.value.message
    assert isinstance(exc.value, ValueError)
    assert try_parse_target(text) == (None, exc.value.message)


@pytest.mark.parametrize("text", ["", "   ", "\u3000", None])
def test_empty(text):
    with pytest.raises(TargetError, match="指标值为空"):
        parse_target(text)


def test_try_parse_ok():
    t, msg = try_parse_target("95%以上")
    assert msg is None and t.op == "≥"


# ---- official split -------------------------------------------------------------------------

OFFICIAL = [
    ("95%以上", ("≥", "95", "%")),
    ("20次", ("=", "20", "次")),
    ("效果显著", ("定性", "效果显著", "")),
    ("2022年12月底", ("日期", "2022-12-31", "")),
    ("90%-95%", ("区间", "90-95", "%")),
    ("99.50%", ("=", "99.5", "%")),
    ("1,400.00万元", ("=", "1400", "万元")),
    ("小于5%", ("<", "5", "%")),
    ("3", ("=", "3", "")),
]


@pytest.mark.parametrize("text,expected", OFFICIAL, ids=[o[0] for o in OFFICIAL])
def test_official(text, expected):
    assert parse_target(text).official() == expected


DISPLAY = [("95%以上", "≥95%"), ("高于95%", ">95%"), ("≤5%", "≤5%"), ("小于5%", "<5%"),
           ("20次", "20次"), ("90%～95%", "90%-95%"), ("2022年12月底", "2022年12月31日前"),
           ("效果显著", "效果显著"), ("1400.00万元", "1400万元")]


@pytest.mark.parametrize("text,expected", DISPLAY, ids=[d[0] for d in DISPLAY])
def test_display(text, expected):
    assert parse_target(text).display() == expected
    # the display text parses back to the same target
    assert _fields(parse_target(expected)) == _fields(parse_target(text))


@pytest.mark.parametrize("text", [r[0] for r in SEED + OTHER + DATES[:9]])
def test_official_round_trip(text):
    t = parse_target(text)
    back = from_official(*t.official())
    assert _fields(back) == _fields(t) and back.deadline == t.deadline
    assert back.text == t.display()
    assert back.official() == t.official()


def test_from_official_variants():
    assert _fields(from_official(">=", "95", "%")) == (Q, "≥", D(95), None, "%")
    assert _fields(from_official("≥", "95%", "%")) == (Q, "≥", D(95), None, "%")
    assert _fields(from_official("大于等于", 95, "%")) == (Q, "≥", D(95), None, "%")
    assert _fields(from_official("", "95%以上", "")) == (Q, "≥", D(95), None, "%")
    assert from_official("日期", "2022年6月底", "").deadline == datetime.date(2022, 6, 30)
    assert from_official("日期", "12月底", "", year=2022).deadline == datetime.date(2022, 12, 31)


@pytest.mark.parametrize("args,why", [
    (("约等于", "95", "%"), "指标性质“约等于”"),
    (("≥", "很多", "%"), "指标值“很多”"),
    (("≥", "", "%"), "指标值为空"),
    (("区间", "95-90", "%"), "下限"),
    (("区间", "95", "%"), "区间"),
    (("日期", "明年", ""), "指标值“明年”"),
])
def test_from_official_errors(args, why):
    with pytest.raises(TargetError) as exc:
        from_official(*args)
    assert why in exc.value.message


# ---- parse_number ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw,expected", [
    ("1,400.00", D("1400.00")), (" ２５ ", D(25)), ("-5", D(-5)), (".5", D("0.5")),
    (3, D(3)), (0.1, D("0.1")), (D("2.50"), D("2.50")), ("1E-05", D("0.00001")),
])
def test_parse_number(raw, expected):
    assert parse_number(raw) == expected


@pytest.mark.parametrize("raw", ["25%", "abc", "", "1,4", True, float("nan"), None, "NaN",
                                 D("1E+999999"), "1e-200"])
def test_parse_number_rejects(raw):
    with pytest.raises(ValueError):
        parse_number(raw)


# ---- parse_actual ---------------------------------------------------------------------------

PCT, TIMES, MONEY = parse_target("95%以上"), parse_target("20次"), parse_target("1400万元")
DATE_T, QUAL = parse_target("2022年12月底"), parse_target("效果显著")

ACTUALS = [
    ("96%", PCT, D(96)), ("0.96", PCT, D(96)), ("96", PCT, D(96)), (0.96, PCT, D(96)),
    (1, PCT, D(100)), (96, PCT, D(96)), (D("0.5"), PCT, D(50)), ("0.5%", PCT, D("0.5")),
    ("９６％", PCT, D(96)),
    ("18次", TIMES, D(18)), ("２０次", TIMES, D(20)), (18, TIMES, D(18)), ("0.5", TIMES, D("0.5")),
    ("1,380万元", MONEY, D(1380)), ("13800000元", MONEY, D(1380)), ("0.138亿元", MONEY, D(1380)),
    ("1380", MONEY, D(1380)), ("3个", parse_target("3"), D(3)),
    (datetime.date(2022, 11, 30), DATE_T, datetime.date(2022, 11, 30)),
    (datetime.datetime(2022, 11, 30, 15, 0), DATE_T, datetime.date(2022, 11, 30)),
    ("2022-11-30", DATE_T, datetime.date(2022, 11, 30)),
    ("2022/11/30", DATE_T, datetime.date(2022, 11, 30)),
    ("2022年11月30日", DATE_T, datetime.date(2022, 11, 30)),
    ("2022年11月", DATE_T, datetime.date(2022, 11, 30)),
    ("按期完成", DATE_T, "按期完成"), ("未完成", DATE_T, "未完成"),
    ("效果显著", QUAL, "效果显著"), ("较好", QUAL, "较好"), ("85%", QUAL, "85%"),
    (D("0.85"), QUAL, "85%"),
]


@pytest.mark.parametrize("raw,target,expected", ACTUALS, ids=[f"{a[0]!r}->{a[1].text}" for a in ACTUALS])
def test_parse_actual(raw, target, expected):
    assert parse_actual(raw, target) == expected


@pytest.mark.parametrize("raw,target,why", [
    (None, PCT, "实际完成值为空"), ("", PCT, "实际完成值为空"), ("  ", QUAL, "实际完成值为空"),
    ("18个", TIMES, "实际值单位“个”与指标单位“次”不一致"),
    ("96%", TIMES, "实际值单位“%”与指标单位“次”不一致"),
    ("96次", PCT, "不一致"),
    ("约96%", PCT, "实际完成值“约96%”"),
    (datetime.date(2022, 1, 1), PCT, "无法识别"),
    (True, PCT, "无法识别"),
    (D("1E+999999"), PCT, "无法识别"),
    ("明年", DATE_T, "实际完成值“明年”"),
    (45000, DATE_T, "无法识别"),
    ("还行吧", QUAL, "实际完成值“还行吧”"),
    ("120%", QUAL, "无法识别"),
])
def test_parse_actual_errors(raw, target, why):
    with pytest.raises(ActualError) as exc:
        parse_actual(raw, target)
    assert why in exc.value.message and str(exc.value) == exc.value.message
    assert not isinstance(exc.value, TargetError)


# ---- evaluate -------------------------------------------------------------------------------

EVALS = [
    # target, actual, met, ratio
    ("≥95%", "96%", True, D(96) / D(95)),
    ("≥95%", "95%", True, D(1)),
    ("≥95%", "0.90", False, D(90) / D(95)),
    (">95%", "95%", False, D(1)),
    (">95%", "96%", True, D(96) / D(95)),
    ("≤5%", "5%", True, D(1)),
    ("≤5%", "3%", True, D(1)),
    ("≤5%", "10%", False, D("0.5")),
    ("<5%", "5%", False, D(1)),
    ("<5%", "4%", True, D(1)),
    ("<5%", "8%", False, D(5) / D(8)),
    ("20次", "20次", True, D(1)),
    ("20次", "25次", True, D("1.25")),
    ("20次", "18次", False, D("0.9")),
    ("0次", "0", True, None),
    ("0次", "1", False, None),
    ("1400万元", "13800000元", False, D(1380) / D(1400)),
    ("90%-95%", "92%", True, D(1)),
    ("90%-95%", "90%", True, D(1)),
    ("90%-95%", "81%", False, D("0.9")),
    ("90%-95%", "100%", False, D("0.95")),
    ("2022年12月底", "2022-12-31", True, D(1)),
    ("2022年12月底", datetime.date(2023, 1, 5), False, D(0)),
    ("2022年12月底", "按期完成", True, D(1)),
    ("2022年12月底", "延期", False, D(0)),
    ("效果显著", "效果显著", True, D(1)),
    ("效果显著", "较好", True, D("0.9")),
    ("效果显著", "基本达成", True, D("0.8")),
    ("效果显著", "部分达成", False, D("0.7")),
    ("效果显著", "未达成", False, D(0)),
    ("效果显著", "85%", True, D("0.85")),
    ("效果显著", "60%", False, D("0.6")),
    ("按期完成", "按期完成", True, D(1)),
    ("按期完成", "未完成", False, D(0)),
]


@pytest.mark.parametrize("target,actual,met,ratio", EVALS, ids=[f"{e[0]}|{e[1]}" for e in EVALS])
def test_evaluate(target, actual, met, ratio):
    ev = parse_target(target).evaluate(actual)
    assert isinstance(ev, Evaluation)
    assert ev.met is met
    assert ev.ratio == ratio
    assert ev.ratio is None or isinstance(ev.ratio, D)


def test_evaluate_grades_override():
    t = parse_target("提质增效")
    assert t.evaluate("一般").met is False
    ev = t.evaluate("一般", grades={"一般": D("0.8")})
    assert ev.met is True and ev.ratio == D("0.8")
    with pytest.raises(ActualError):
        t.evaluate("较好", grades={"一般": D("0.8")})   # the override replaces the defaults


def test_evaluate_raises_actual_error():
    with pytest.raises(ActualError, match="实际完成值为空"):
        parse_target("95%以上").evaluate(None)


@pytest.mark.parametrize("text,direction", [
    ("95%以上", "positive"), ("高于95%", "positive"), ("≤5%", "negative"), ("小于5%", "negative"),
    ("20次", "equal"), ("90%-95%", "range"), ("2022年底", "date"), ("效果显著", "qualitative"),
])
def test_direction(text, direction):
    assert parse_target(text).direction == direction


def test_default_grades():
    assert QUALITATIVE_GRADES["基本达成"] == D("0.8") and QUALITATIVE_GRADES["未达成"] == 0
    assert all(isinstance(v, D) for v in QUALITATIVE_GRADES.values())


def test_target_is_frozen():
    with pytest.raises(Exception):
        parse_target("20次").value = D(1)
    assert isinstance(parse_target("20次"), Target)


# ---- robustness -----------------------------------------------------------------------------

_ALPHABET = st.sampled_from(list("0123456789.,-~%％年月日底前以上下内及不低高于超过至大小等≥≤><=＞次个万元 　①٣") )


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=_ALPHABET, max_size=12)))
def test_parse_target_only_raises_target_error(text):
    try:
        t = parse_target(text)
    except TargetError as e:
        assert e.message
    else:
        assert t.kind in KINDS
        assert _fields(from_official(*t.official())) == _fields(t)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.text(), st.integers(), st.floats(), st.decimals()),
       st.one_of(st.none(), st.integers(min_value=1, max_value=9999)))
def test_try_parse_never_raises(text, year):
    t, msg = try_parse_target(text, year=year)
    assert (t is None) != (msg is None)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([r[0] for r in SEED + OTHER]),
       st.one_of(st.none(), st.text(alphabet=_ALPHABET, max_size=8), st.integers(), st.floats(),
                 st.decimals(allow_nan=False, allow_infinity=False)))
def test_evaluate_only_raises_actual_error(target, actual):
    try:
        parse_target(target).evaluate(actual)
    except ActualError:
        pass


def test_remembered_targets_and_texts_equal_fresh_ones():
    """from_official and _norm remember short inputs across forms: 1, 1.0 and True must stay
    three different keys, and a repeat must give what a fresh call gives."""
    from xlpkg.targets import _from_official, _norm, _normalised, from_official

    def outcome(f, *args):
        try:
            return f(*args)
        except TargetError as exc:
            return str(exc)

    cases = [("≥", 95, "%"), ("≥", 0.95, "%"), ("=", 1, "个"), ("=", 1.0, "个"), ("=", True, "个"),
             ("定性", "好", ""), ("", "95%以上", ""), ("区间", "90-95", "%"), ("≤", "x" * 100, "天")]
    for nature, value, unit in cases * 2:
        fresh = outcome(_from_official, nature, value, unit, 2024)
        assert outcome(lambda *a: from_official(*a, year=2024), nature, value, unit) == fresh
    assert from_official("≥", 0.95, "%").value == 95 and from_official("=", 1, "个").value == 1
    for text in ("１，２３４．５", "≧ 95 %", "y" * 65 + " ,", "百分比"):
        assert _norm(text) == _norm(text) == _normalised(text)
