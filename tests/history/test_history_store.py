"""The history store against a real SQLite file and a real PostgreSQL server (same tests)."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.history.conftest import CODES, PG_PASSWORD, POOR, YEARS, fill, free_port, year_project


def xlpkg(*args: str, cwd: Path | None = None, user: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "xlpkg", *map(str, args)]
    if user:
        command = ["runuser", "-u", user, "--", *command]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    env.pop("XLPKG_DB", None)
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env)


def score_json(form: Path) -> dict:
    done = xlpkg("score", "--json", form)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)[0]


def test_show_equals_score_for_every_year(store_url, year_forms):
    done = xlpkg("history", "add", *year_forms.values(), "--db", store_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(CODES) * len(YEARS)}个项目年度" in done.stdout
    assert PG_PASSWORD not in done.stdout + done.stderr
    for code in CODES:
        shown = xlpkg("history", "show", code.lower(), "--db", store_url, "--json")
        assert shown.returncode == 0, shown.stderr
        doc = json.loads(shown.stdout)
        assert doc["code"] == code
        assert [y["year"] for y in doc["years"]] == list(YEARS)
        for year_doc in doc["years"]:
            scored = score_json(year_forms[year_doc["year"]] / f"{code}.xlsx")
            ev = scored["self_evaluation"]
            assert year_doc["budget"] == scored["budget"]
            assert year_doc["year_spent"] == scored["spent"]
            assert year_doc["execution_rate_percent"] == scored["execution_rate_percent"]
            assert year_doc["total_score"] == ev["total"]
            assert year_doc["grade"] == ev["grade"]
            assert [(i["name"], i["score"]) for i in year_doc["indicators"]] == \
                [(i["name"], i["score"]) for i in ev["indicators"]]
            for value in (year_doc["budget"], year_doc["total_score"]):
                assert isinstance(value, str) and Decimal(value) == Decimal(value).quantize(Decimal("0.01"))
    poor = json.loads(xlpkg("history", "show", POOR, "--db", store_url, "--json").stdout)
    assert poor["years"][-1]["grade"] == "差"
    text = xlpkg("history", "show", POOR, "--db", store_url)
    assert text.returncode == 0 and "2021" in text.stdout and "实际完成值" in text.stdout


def test_adding_again_replaces_and_says_so(store_url, year_forms):
    assert xlpkg("history", "add", year_forms[2022], "--db", store_url).returncode == 0
    again = xlpkg("history", "add", year_forms[2022] / f"{CODES[0]}.xlsx", "--db", store_url)
    assert again.returncode == 0
    assert "[替换]" in again.stdout and CODES[0] in again.stdout
    listed = json.loads(xlpkg("history", "list", "--db", store_url, "--json").stdout)
    assert len(listed) == len(CODES)


def test_two_copies_in_one_run_the_clean_one_wins(store_url, year_forms, tmp_path):
    folder = tmp_path / "in"
    broken = year_project(CODES[0], 2022)
    broken["budget"] = "-5"          # an error: budget.positive
    fill(broken, folder / "a_broken.xlsx")
    shutil.copy(year_forms[2022] / f"{CODES[0]}.xlsx", folder / "m_clean.xlsx")
    shutil.copy(year_forms[2022] / f"{CODES[0]}.xlsx", folder / "z_copy.xlsx")
    done = xlpkg("history", "add", folder, "--db", store_url, "--jobs", "1")
    assert done.returncode == 1, done.stdout
    assert "[重复]" in done.stdout and "z_copy.xlsx" in done.stdout
    assert "[未记录]" in done.stdout and "a_broken.xlsx" in done.stdout
    listed = json.loads(xlpkg("history", "list", "--db", store_url, "--json").stdout)
    assert [(r["code"], r["source_name"]) for r in listed] == [(CODES[0], "m_clean.xlsx")]


def test_list_and_export(store_url, year_forms, tmp_path):
    assert xlpkg("history", "add", *year_forms.values(), "--db", store_url).returncode == 0
    by_year = json.loads(xlpkg("history", "list", "--year", "2022", "--db", store_url, "--json").stdout)
    assert sorted(r["code"] for r in by_year) == sorted(CODES)
    by_dept = json.loads(xlpkg("history", "list", "--dept", "105004", "--db", store_url, "--json").stdout)
    assert {r["code"] for r in by_dept} == {"105004B22DX0001"} and len(by_dept) == len(YEARS)
    out = tmp_path / "历史.xlsx"
    done = xlpkg("history", "export", "-o", out, "--db", store_url)
    assert done.returncode == 0, done.stderr
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("部门编码", "部门名称", "项目编码", "项目名称", "年度")
    assert len(rows) == 1 + len(CODES) * len(YEARS)
    assert all(isinstance(r[5], (int, float)) for r in rows[1:])


def _results_sheet(path: Path) -> list[tuple]:
    return list(openpyxl.load_workbook(path)["结果应用"].iter_rows(values_only=True))


def test_consolidate_db_and_previous_give_the_same_results_sheet(store_url, year_forms, tmp_path):
    assert xlpkg("history", "add", year_forms[2021], year_forms[2022], "--db", store_url).returncode == 0
    with_db = xlpkg("consolidate", year_forms[2023], "-o", tmp_path / "db.xlsx", "--db", store_url,
                    "--json")
    assert with_db.returncode in (0, 1), with_db.stderr
    with_previous = xlpkg("consolidate", year_forms[2023], "-o", tmp_path / "prev.xlsx",
                          "--previous", year_forms[2022], "--json")
    assert with_previous.returncode in (0, 1), with_previous.stderr
    sheet = _results_sheet(tmp_path / "db.xlsx")
    assert sheet == _results_sheet(tmp_path / "prev.xlsx")
    assert sheet[0] == ("部门", "项目编码", "项目名称", "本年总分", "等级", "上年总分", "得分变化", "应用建议",
                        "本年预算数（万元）", "建议下年预算数（万元）")
    listed = json.loads(with_db.stdout)["results_application"]
    assert listed == json.loads(with_previous.stdout)["results_application"]
    poor = next(r for r in listed if r["code"] == POOR)
    before = score_json(year_forms[2022] / f"{POOR}.xlsx")["self_evaluation"]["total"]
    assert poor["grade"] == "差" and poor["suggested_budget"] == "0.00" and poor["factor"] == "0.00"
    assert poor["previous_total_score"] == before and poor["action"] == "取消或暂停"
    row = next(r for r in sheet if r[1] == POOR)
    assert row[5] == pytest.approx(float(before)) and row[9] == 0
    assert row[6] == pytest.approx(float(Decimal(poor["total_score"]) - Decimal(before)))
    assert sum(1 for r in sheet if r[2] == "部门整体") == 2
    # consolidate --db recorded 2023 as well
    shown = json.loads(xlpkg("history", "show", POOR, "--db", store_url, "--json").stdout)
    assert [y["year"] for y in shown["years"]] == list(YEARS)


def test_an_unevaluated_project_shows_no_amount(tmp_path, year_forms):
    data = year_project(CODES[0], 2023)
    data["execution"]["year_spent"] = None
    data["execution"]["actual_cumulative"] = [None] * 4
    for ind in data["indicators"]:
        ind["actual"] = ""
    fill(data, tmp_path / "now" / f"{CODES[0]}.xlsx")
    done = xlpkg("consolidate", tmp_path / "now", "-o", tmp_path / "s.xlsx", "--previous",
                 year_forms[2022], "--json")
    assert done.returncode in (0, 1), done.stderr
    entry = json.loads(done.stdout)["results_application"][0]
    assert entry["action"] == "未评价" and entry["suggested_budget"] is None
    assert entry["total_score"] is None and entry["previous_total_score"] is not None


# --- bad input -------------------------------------------------------------------------------

def _refused(done: subprocess.CompletedProcess, shown_url: str) -> None:
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert shown_url in out, out
    assert PG_PASSWORD not in out and "Traceback" not in out


def test_unreachable_server(year_forms):
    url = f"postgresql://postgres:{PG_PASSWORD}@127.0.0.1:{free_port()}/nowhere"
    shown = f"postgresql://postgres:***@127.0.0.1:{url.split(':')[3]}"
    for args in (("history", "add", year_forms[2022]), ("history", "show", CODES[0])):
        done = xlpkg(*args, "--db", url)
        _refused(done, shown)
        assert "无法连接" in done.stderr


def test_wrong_password(postgres_server, year_forms):
    name = postgres_server.new_database()
    url = postgres_server.url(name, password="not-" + PG_PASSWORD)
    done = xlpkg("history", "add", year_forms[2022], "--db", url)
    _refused(done, f"postgresql://postgres:***@127.0.0.1:{postgres_server.port}/{name}")
    assert "密码" in done.stderr and "not-" not in done.stdout + done.stderr


def test_a_database_of_another_application(store_url, year_forms, tmp_path, request):
    if store_url.startswith("sqlite"):
        path = Path(store_url[len("sqlite:///"):])
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        before = path.read_bytes()
    else:
        server = request.getfixturevalue("postgres_server")
        server.execute(store_url.rsplit("/", 1)[1], "CREATE TABLE customers (id int, name text)")
    done = xlpkg("history", "add", year_forms[2022], "--db", store_url)
    _refused(done, store_url.replace(PG_PASSWORD, "***"))
    assert "其他应用程序" in done.stderr and "customers" in done.stderr
    if store_url.startswith("sqlite"):
        assert path.read_bytes() == before


def test_not_a_database_file_and_a_newer_schema(tmp_path, year_forms):
    junk = tmp_path / "junk.sqlite"
    junk.write_text("这不是数据库" * 100, encoding="utf-8")
    done = xlpkg("history", "add", year_forms[2022], "--db", f"sqlite:///{junk}")
    _refused(done, str(junk))
    assert "不是 SQLite 数据库" in done.stderr
    store = tmp_path / "h.sqlite"
    assert xlpkg("history", "add", year_forms[2022], "--db", f"sqlite:///{store}").returncode == 0
    with sqlite3.connect(store) as conn:
        conn.execute("UPDATE xlpkg_history_meta SET value='99' WHERE key='schema_version'")
    for args in (("history", "add", year_forms[2021]), ("history", "show", CODES[0])):
        done = xlpkg(*args, "--db", f"sqlite:///{store}")
        _refused(done, str(store))
        assert "更新版本" in done.stderr


def test_a_read_only_database_file(tmp_path, year_forms):
    store = tmp_path / "ro" / "h.sqlite"
    store.parent.mkdir()
    assert xlpkg("history", "add", year_forms[2021], "--db", f"sqlite:///{store}").returncode == 0
    before = store.read_bytes()
    if os.geteuid() == 0:
        # root writes to any file, whatever its mode: open it the way SQLite opens a file it
        # may not write (the same error a read-only file gives an ordinary user)
        url = f"sqlite:///file:{store}?mode=ro&uri=true"
    else:
        os.chmod(store, 0o444)
        url = f"sqlite:///{store}"
    done = xlpkg("history", "add", year_forms[2022], "--db", url)
    _refused(done, str(store))
    assert "只读" in done.stderr
    assert store.read_bytes() == before
    shown = xlpkg("history", "show", CODES[0], "--db", url, "--json")   # reading still works
    assert shown.returncode == 0, shown.stderr


def test_consolidate_refuses_an_unusable_store_before_reading(tmp_path, year_forms):
    url = f"postgresql://postgres:{PG_PASSWORD}@127.0.0.1:{free_port()}/x"
    out = tmp_path / "s.xlsx"
    done = xlpkg("consolidate", year_forms[2022], "-o", out, "--db", url)
    assert done.returncode == 2 and not out.exists()
    assert PG_PASSWORD not in done.stdout + done.stderr and "***" in done.stdout
