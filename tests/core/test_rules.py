import json

import pytest

from xlpkg.cli import main
from xlpkg.rules import RulesError, default_rules_path, load_rules, rules_from_dict


def _rules_data():
    return json.loads(default_rules_path().read_text("utf-8"))


def test_shipped_rules_are_valid_and_found():
    rules = load_rules()
    assert rules.weight("execution") + sum(rules.weight(g) for g in ("output", "benefit", "satisfaction")) == 100
    assert rules.group_of("效果指标") == rules.group_of("效益指标") == "benefit"
    assert rules.group_of("成本指标") == "output"


@pytest.mark.parametrize("mutate, path", [
    (lambda d: d["weights"].update(output="50"), "weights/output"),
    (lambda d: d["scoring"].update(negative_mode="harsh"), "scoring/negative_mode"),
    (lambda d: d["structure"]["level1"]["产出指标"].update(group="other"), "structure/level1/产出指标/group"),
    (lambda d: d["rules"].pop("plan.ends_100"), "rules"),
    (lambda d: d["rules"]["uses.sum"].update(severity="fatal"), "rules/uses.sum/severity"),
    (lambda d: d["structure"].update(code_pattern="(["), "structure/code_pattern"),
    (lambda d: d["scoring"]["grades"].reverse(), "scoring/grades"),
    (lambda d: d["structure"]["required_level1"].append(["过程指标"]), "structure/required_level1/1"),
])
def test_malformed_rules_are_refused_with_the_field_path(mutate, path):
    data = _rules_data()
    mutate(data)
    with pytest.raises(RulesError) as err:
        rules_from_dict(data, source="province.json")
    assert "province.json" in str(err.value) and path in str(err.value)


def test_a_province_rules_file_changes_the_results(tmp_path, capsys):
    data = _rules_data()
    data["scoring"]["grades"] = [{"grade": "优", "min": 99.9}, {"grade": "良", "min": 70},
                                 {"grade": "中", "min": 60}, {"grade": "差", "min": 0}]
    custom = tmp_path / "hebei.json"
    custom.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    example = str(default_rules_path().parent / "examples" / "105002B16DX0003.json")
    assert main(["score", "--json", example]) == 0
    assert json.loads(capsys.readouterr().out)[0]["self_evaluation"]["grade"] == "优"
    assert main(["score", "--json", "--rules", str(custom), example]) == 0
    assert json.loads(capsys.readouterr().out)[0]["self_evaluation"]["grade"] == "良"


def test_cli_refuses_a_broken_rules_file(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": "1"}', "utf-8")
    example = str(default_rules_path().parent / "examples" / "105002B16DX0003.json")
    assert main(["check", "--rules", str(bad), example]) == 2
    assert "bad.json" in capsys.readouterr().err
