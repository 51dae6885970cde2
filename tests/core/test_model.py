import json
from decimal import Decimal

import pytest

from tests.helpers import EXAMPLES, all_examples
from xlpkg.model import (ProjectFormatError, load_project_json, project_from_dict, project_to_dict,
                         project_to_json)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_json_round_trip_is_lossless(path):
    original = json.loads(path.read_text("utf-8"))
    project = load_project_json(path)
    assert project_to_dict(project) == original
    assert project_from_dict(json.loads(project_to_json(project))) == project


def test_money_is_decimal_never_float():
    for project in all_examples():
        assert isinstance(project.budget, Decimal)
        assert all(isinstance(u.amount, Decimal) for u in project.uses)
        assert all(isinstance(v, Decimal) for v in project.plan)


def test_seed_budgets_add_up_per_department():
    totals = {}
    for project in all_examples():
        totals[project.dept_code] = totals.get(project.dept_code, Decimal(0)) + project.budget
    assert totals == {"105002": Decimal(2778), "105004": Decimal(1177)}
    assert sorted(p.budget for p in all_examples() if p.dept_code == "105002") == [638, 740, 1400]


def test_examples_mark_invented_execution_data():
    for project in all_examples():
        assert project.execution.illustrative is True
        assert "示例数据" in project.execution.note


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d.update(budget=1400), "budget"),                   # a float-prone number, not a string
    (lambda d: d.update(budget="1,400"), "budget"),
    (lambda d: d.pop("code"), "(根)"),
    (lambda d: d["indicators"][0].update(level1=None), "indicators/0/level1"),
    (lambda d: d.update(unknown_field="x"), "(根)"),
    (lambda d: d["execution"].update(actual_cumulative=["1", "2"]), "execution/actual_cumulative"),
])
def test_schema_refuses_bad_documents_naming_the_field(mutate, field):
    data = json.loads(EXAMPLES[0].read_text("utf-8"))
    mutate(data)
    with pytest.raises(ProjectFormatError) as err:
        project_from_dict(data, source="x.json")
    assert "x.json" in str(err.value) and field in str(err.value)


def test_invalid_json_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": 1,\n oops}', "utf-8")
    with pytest.raises(ProjectFormatError, match=r"bad\.json.*第2行"):
        load_project_json(bad)
