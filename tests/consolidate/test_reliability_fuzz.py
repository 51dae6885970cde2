"""Property tests over damaged forms (issue 8): whatever a file holds, the run finishes, no
exception escapes, every file is accounted for, and the totals are the sums of the rows shown.

Kept fast (a few seconds): small max_examples, in-process reading. Huge dimensions and widened
defined names belong to the read path's own tests (calamine caps).
"""
from __future__ import annotations

import io
import random
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.helpers import example
from xlpkg.workbook import layout as L
from xlpkg.consolidate import TOTAL_LABEL, consolidate
from xlpkg.workbook.form_checks import read_checked_file
from xlpkg.summary import write_summary
from xlpkg.workbook.writer import fill_workbook

CELLS = [("xl/worksheets/sheet3.xml", L.NAMES["YearSpent"].ref),
         ("xl/worksheets/sheet3.xml", L.NAMES["YearBudget"].ref),
         ("xl/worksheets/sheet1.xml", L.NAMES["Budget"].ref),
         ("xl/worksheets/sheet1.xml", L.NAMES["FiscalYear"].ref),
         ("xl/worksheets/sheet1.xml", L.NAMES["ProjCode"].ref),
         ("xl/worksheets/sheet2.xml", L.NAMES["ActualQ1"].ref),
         ("xl/worksheets/sheet1.xml", "E7"),
         ("xl/worksheets/sheet1.xml", L.NAMES["PlanQ1"].ref),
         ("xl/worksheets/sheet3.xml", L.NAMES["IndActual"].ref.split(":")[0]),
         ("xl/worksheets/sheet3.xml", L.NAMES["IndWeightInput"].ref.split(":")[0])]
VALUES = ['<v>NaN</v>', '<v>INF</v>', '<v>-INF</v>', '<v>1e308</v>', '<v>-1e308</v>',
          '<v>1e-320</v>', '<v>' + "9" * 400 + '</v>', '<v>abc</v>', '<v></v>', '<v>-0</v>']
SHARED = ['<c r="{ref}" t="s"><v>99999</v></c>', '<c r="{ref}" t="s"><v>-1</v></c>',
          '<c r="{ref}" t="s"><v>x</v></c>', '<c r="{ref}" t="e"><v>#REF!</v></c>',
          '<c r="{ref}" t="b"><v>7</v></c>', '<c r="{ref}" t="d"><v>not a date</v></c>']


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("fuzz_seed")
    out = {}
    for code in ("105002B16DX0003", "105004B22DX0001"):
        fill_workbook(example(code), folder / f"{code}.xlsx")
        out[code] = (folder / f"{code}.xlsx").read_bytes()
    return out


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _zip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _set_cell(parts, part, ref, cell_xml):
    xml = parts[part].decode("utf-8")
    xml = re.sub(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', cell_xml, xml, count=1, flags=re.S)
    parts[part] = xml.encode("utf-8")


@st.composite
def damaged(draw, data: bytes) -> bytes:
    kind = draw(st.sampled_from(["truncate", "flip", "xml_cut", "value", "shared", "garbage",
                                 "drop_part"]))
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    if kind == "truncate":
        return data[:rnd.randrange(len(data))]
    if kind == "flip":
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 16))):
            out[rnd.randrange(len(out))] ^= 1 << rnd.randrange(8)
        return bytes(out)
    if kind == "garbage":
        return draw(st.binary(max_size=2048))
    parts = _parts(data)
    if kind == "drop_part":
        parts.pop(rnd.choice(sorted(parts)))
    elif kind == "xml_cut":
        name = rnd.choice([n for n in parts if n.endswith(".xml")])
        parts[name] = parts[name][:rnd.randrange(len(parts[name]) + 1)]
    elif kind == "value":
        part, ref = draw(st.sampled_from(CELLS))
        _set_cell(parts, part, ref, f'<c r="{ref}" t="n">{draw(st.sampled_from(VALUES))}</c>')
    else:
        part, ref = draw(st.sampled_from(CELLS))
        _set_cell(parts, part, ref, draw(st.sampled_from(SHARED)).format(ref=ref))
    return _zip(parts)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_damaged_forms_never_break_the_run(good, tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz")
    bad = folder / "damaged.xlsx"
    bad.write_bytes(data.draw(damaged(good["105002B16DX0003"])))
    (folder / "good.xlsx").write_bytes(good["105004B22DX0001"])

    read_checked_file(bad)                    # never raises
    c = consolidate(folder, jobs=1)
    shown = set(c.projects["来源文件"]) | set(c.issues["文件"])
    assert {str(bad), str(folder / "good.xlsx")} <= shown | set(c.issues["文件"])
    assert str(bad) in shown and str(folder / "good.xlsx") in set(c.projects["来源文件"])
    # the totals are exactly the rows shown: nothing dropped, nothing added, nothing as 0
    total = c.departments[c.departments["部门编码"] == TOTAL_LABEL].iloc[0]
    assert total["项目数"] == len(c.projects)
    budgets = sum((Decimal(repr(x)) for x in c.projects["全年预算数（万元）"]), Decimal(0))
    assert total["全年预算数（万元）"] == pytest.approx(float(budgets), rel=1e-12, abs=1e-9)
    spent = sum((Decimal(repr(x)) for x in c.projects["全年执行数（万元）"].dropna()), Decimal(0))
    assert total["全年执行数（万元）"] == pytest.approx(float(spent), rel=1e-12, abs=1e-9)
    assert total["未填执行数（个）"] == c.projects["全年执行数（万元）"].isna().sum()
    write_summary(c, folder / "部门汇总.xlsx")   # never fails on what a form holds


# --- project JSON: any value in any field is a clear refusal or a workbook that reads back --

_SEED_JSON = None


def _seed_json() -> dict:
    global _SEED_JSON
    if _SEED_JSON is None:
        import json

        from tests.helpers import ROOT
        _SEED_JSON = json.loads((ROOT / "examples" / "105002B16DX0003.json").read_text("utf-8"))
    return _SEED_JSON


def _paths(doc, prefix=()):
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats(allow_nan=False)
    | st.text(max_size=30) | st.sampled_from(["9" * 500, "-1", "1e5", "NaN", "\x00", "\ud800", "=1+1"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_json_value_is_refused_clearly_or_fills_and_reads_back(tmp_path_factory, data):
    import copy
    import json

    from xlpkg.model import ProjectFormatError, project_from_dict
    from xlpkg.workbook.writer import CapacityError

    doc = copy.deepcopy(_seed_json())
    path = data.draw(st.sampled_from(sorted(_paths(doc), key=str)))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = data.draw(_json_values)
    json.dumps(doc)   # what a file could hold
    try:
        project = project_from_dict(doc)
    except ProjectFormatError:
        return
    out = tmp_path_factory.mktemp("fill") / "p.xlsx"
    try:
        fill_workbook(project, out)
    except CapacityError:
        return
    assert read_checked_file(out).project is not None


# --- rulebook messages: refused on load, or every rule formats ------------------------------

_TOKENS = list("{}!:.[]0a xyz") + ["{value}", "{detail}", "{name}", "{nonexistent}", "{{", "}}",
                                   "{value!r}", "{value:>9}", "{0}", "{}"]


@settings(max_examples=60, deadline=None)
@given(rule=st.sampled_from(sorted(__import__("xlpkg.rules", fromlist=["RULE_FIELDS"]).RULE_FIELDS)),
       message=st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=8).map("".join))
def test_a_rulebook_message_is_refused_or_always_formats(rule, message):
    import copy

    from xlpkg.rules import RULE_FIELDS, RulesError, load_rules, rules_from_dict

    data = copy.deepcopy(load_rules().data)
    data["rules"][rule]["message"] = message
    try:
        rules_from_dict(data)
    except RulesError:
        return
    message.format(**{f: "x" for f in RULE_FIELDS[rule]})   # what every form would trigger
