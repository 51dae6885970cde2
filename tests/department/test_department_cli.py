"""`xlpkg read`, `validate` and `score` of a 部门整体绩效表 (issue 21 #13)."""
from __future__ import annotations

import json
import re
import zipfile
from tests.department.test_department import seed_dept_dir, seed_forms  # noqa: F401 (fixtures)
from xlpkg.cli import main as cli_main
from xlpkg.department import layout as DL
from xlpkg.department.metrics import department_metrics
from xlpkg.department.reader import read_department_file


def test_read_validate_and_score_a_department_workbook(seed_dept_dir, capsys):  # noqa: F811
    path = seed_dept_dir / "105002.xlsx"
    m = department_metrics(read_department_file(path).department)
    assert cli_main(["read", str(path), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["kind"] == "department" and got["department"]["dept_code"] == "105002"
    assert got["metrics"]["total"] == format(m.total.quantize(m.total.__class__("0.01")), "f")
    assert got["metrics"]["grade"] == m.grade
    assert not [i for i in got["issues"] if i["rule"] == "form.not_template"]
    assert cli_main(["read", str(path)]) == 0
    text = capsys.readouterr().out
    assert f"等级 {m.grade}" in text and "不是项目表" not in text
    assert cli_main(["validate", str(path)]) == 0
    assert "部门整体绩效表" in capsys.readouterr().out
    assert cli_main(["check", str(path)]) == 0
    assert "部门整体绩效表" in capsys.readouterr().out
    assert cli_main(["score", str(path), "--json"]) == 0
    scored = json.loads(capsys.readouterr().out)[0]
    assert scored["grade"] == m.grade and scored["kind"] == "department"


def test_a_tampered_department_total_is_reported(seed_dept_dir, tmp_path):  # noqa: F811
    """A cached DeptTotalScore that is not what the inputs give: form.stale_cache on its cell;
    the untouched workbook has none."""
    from xlpkg.department.checked import read_checked_department_file

    source = seed_dept_dir / "105002.xlsx"
    clean = read_checked_department_file(source)
    assert not [i for i in clean.issues if i.rule == "form.stale_cache"], clean.issues
    sheet, col, row = DL.first_cell("DeptTotalScore")
    tampered = tmp_path / "105002.xlsx"
    changed = 0
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(tampered, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                text, n = re.subn(rf'(<c r="{col}{row}"[^>]*>(?:<f>.*?</f>)?<v>)[^<]*(</v>)',
                                  r"\g<1>12.34\g<2>", data.decode("utf-8"))
                changed += n
                data = text.encode("utf-8")
            zout.writestr(info, data)
    assert changed == 1
    stale = [i for i in read_checked_department_file(tampered).issues if i.rule == "form.stale_cache"]
    assert [(i.sheet, i.cell) for i in stale] == [(sheet, f"{col}{row}")], stale
    assert "12.34" in stale[0].message


def test_a_department_workbook_saved_by_libreoffice_has_no_false_stale_result(libreoffice, seed_dept_dir,  # noqa: F811
                                                                               tmp_path):
    """The cached results a spreadsheet writes (recalculated in LibreOffice) agree with Python:
    the comparison reports tampering, never the engine's own numbers."""
    from xlpkg.department.checked import read_checked_department_file

    done = libreoffice.recalculate([seed_dept_dir / "105002.xlsx", seed_dept_dir / "105004.xlsx"],
                                   tmp_path / "out")
    for path in done:
        checked = read_checked_department_file(path)
        assert checked.department is not None
        assert not [i for i in checked.issues if i.rule == "form.stale_cache"], [i.message for i in checked.issues]
