import json
import subprocess
import sys

from tests.helpers import EXAMPLES, ROOT
from xlpkg.cli import main


def test_check_passes_the_seed_forms(capsys):
    assert main(["check", *map(str, EXAMPLES)]) == 0
    out = capsys.readouterr().out
    assert "105004B22DX0001" in out and "缺少一级指标“效果指标或效益指标”" in out


def test_check_exits_1_on_errors_and_names_the_field(tmp_path, capsys):
    data = json.loads(EXAMPLES[0].read_text("utf-8"))
    data["plan"][3] = "95.00"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    assert main(["check", "--json", str(bad)]) == 1
    (result,) = json.loads(capsys.readouterr().out)
    assert {"rule": "plan.ends_100", "location": "plan[3]"}.items() <= result["issues"][0].items()


def test_check_reports_an_unreadable_file_without_crashing(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text("{", "utf-8")
    assert main(["check", str(broken), str(EXAMPLES[0])]) == 1
    out = capsys.readouterr().out
    assert "broken.json" in out and "105002B16DX0003" in out


def test_score_json_is_exact_decimal_text(capsys):
    assert main(["score", "--json", str(EXAMPLES[0])]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["execution_rate_percent"] == "98.00"
    assert result["self_evaluation"]["total"] == "99.80"
    assert [q["variance_points"] for q in result["quarters"]] == ["-2.14", "-1.43", "-2.86", "-2.00"]


def test_console_script_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "xlpkg", "score", str(EXAMPLES[3])],
                          capture_output=True, text=True, encoding="utf-8", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "总分 99.26  等级 优" in done.stdout


def test_check_on_a_workbook_names_sheet_and_cell(filled_copy, capsys):
    import openpyxl

    from xlpkg.workbook import layout as L

    path = filled_copy()
    wb = openpyxl.load_workbook(path)
    sheet, col, row = L.first_cell("PlanQ4")
    wb[sheet][f"{col}{row}"] = 0.9
    wb.save(path)
    assert main(["check", str(path)]) == 1
    assert f"{sheet}!{col}{row} plan.ends_100" in capsys.readouterr().out


def test_fill_check_and_read_say_the_same_about_a_target_wording(tmp_path, capsys):
    """issue 21 #3: "较上年提高5%" accepted by fill was an error for read; now all three warn
    alike and none fails."""
    data = json.loads((ROOT / "examples" / "105002B16DX0003.json").read_text("utf-8"))
    data["indicators"][1]["target"] = "较上年提高5%"
    data["indicators"][0]["target"] = "每季度5次"
    src = tmp_path / "p.json"
    src.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    assert main(["fill", str(src), "-o", str(tmp_path / "p.xlsx")]) == 0
    filled = capsys.readouterr().out
    assert main(["check", "--json", str(src)]) == 0
    (checked,) = json.loads(capsys.readouterr().out)
    assert main(["read", "--json", str(tmp_path / "p.xlsx")]) == 0
    read = json.loads(capsys.readouterr().out)
    said = lambda issues: [i["message"] for i in issues if i["rule"] == "indicator.target_unparseable"]  # noqa: E731
    assert len(said(checked["issues"])) == 1 and said(checked["issues"]) == said(read["issues"])
    assert said(read["issues"])[0] in filled
    assert not [i for i in read["issues"] if i["severity"] == "error"]
