"""Fixtures of the history tests: a throw-away PostgreSQL server (Debian's `postgresql`
package, initdb into a temporary folder, a free port, stopped at the end of the session),
every test's store URL for SQLite and PostgreSQL alike, and three years of filled forms."""
from __future__ import annotations

import contextlib
import copy
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT

PG_PASSWORD = "Pw-secret-7431"
REQUIRE_ENV = "XLPKG_REQUIRE_POSTGRES"


def _pg_bindir() -> Path | None:
    """Debian's versioned folder (the newest), else wherever initdb and pg_isready are both."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    if found and (Path(found).parent / "pg_isready").exists():
        return Path(found).parent
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, port: int, admin_url: str):
        self.port = port
        self.admin_url = admin_url       # psycopg conninfo of the postgres database
        self._names = itertools.count(1)

    def url(self, database: str, password: str = PG_PASSWORD) -> str:
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg

        name = f"xlpkg_t{next(self._names)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return name

    def execute(self, database: str, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url.replace("dbname=postgres", f"dbname={database}"),
                             autocommit=True) as conn:
            conn.execute(sql)


@contextlib.contextmanager
def start_postgres(bindir: Path, *, durable: bool = False):
    """A throw-away server on a free port of 127.0.0.1 (password auth for TCP), removed at
    exit. ``durable``: keep fsync on (benchmarks); the tests do not need it."""
    base = Path(tempfile.mkdtemp(prefix="xlpkg-pg-"))
    data = base / "data"
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    pwfile = base / "pw"
    pwfile.write_text(PG_PASSWORD + "\n")
    if as_root:   # initdb refuses to run as root; the folder must be the server user's
        for path in (base, pwfile):
            shutil.chown(path, "postgres", "postgres")
    os.chmod(base, 0o700)
    server = log = None
    try:
        subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                        "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}",
                        "-E", "UTF8", "--locale=C"], check=True, capture_output=True)
        port = free_port()
        log = open(base / "server.log", "wb")
        quick = [] if durable else ["-c", "fsync=off", "-c", "synchronous_commit=off",
                                    "-c", "full_page_writes=off"]
        server = subprocess.Popen(
            [*prefix, str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(base),
             "-c", "listen_addresses=127.0.0.1", *quick], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while subprocess.run([str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                             capture_output=True).returncode != 0:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not start: "
                                   + (base / "server.log").read_text(errors="replace"))
            time.sleep(0.2)
        yield PostgresServer(port, f"host=127.0.0.1 port={port} user=postgres "
                                   f"password={PG_PASSWORD} dbname=postgres")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if log is not None:
            log.close()
        shutil.rmtree(base, ignore_errors=True)


def pg_bindir_or_skip() -> Path:
    bindir = _pg_bindir()
    if bindir is None:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but PostgreSQL (initdb, postgres) is not installed: "
                        "apt-get install postgresql")
        pytest.skip("PostgreSQL (Debian package postgresql) not installed")
    return bindir


@pytest.fixture(scope="session")
def postgres_server():
    with start_postgres(pg_bindir_or_skip()) as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A fresh, empty store: a SQLite file, or a new database on the throw-away server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / '绩效历史.sqlite'}"
    server = request.getfixturevalue("postgres_server")
    return server.url(server.new_database())


# --- three years of forms -------------------------------------------------------------------

YEARS = (2021, 2022, 2023)
CODES = ("105002B16DX0003", "105002B22DX0009", "105004B22DX0001")
POOR = "105002B22DX0009"     # graded 差 in the last year


def year_project(code: str, year: int) -> dict:
    """An example project moved to ``year``, with invented execution data of that year."""
    data = json.loads((ROOT / "examples" / f"{code}.json").read_text("utf-8"))
    d = copy.deepcopy(data)
    d["year"] = year
    budget = float(d["budget"])
    share = {2021: 0.91, 2022: 0.96, 2023: 0.99}[year]
    if code == POOR and year == YEARS[-1]:
        share = 0.31
        for ind in d["indicators"]:
            ind["actual"] = "0"
    spent = round(budget * share, 2)
    d["execution"]["year_spent"] = f"{spent:.2f}"
    d["execution"]["actual_cumulative"] = [f"{spent * q / 4:.2f}" for q in (1, 2, 3, 4)]
    return d


def fill(data: dict, target: Path) -> Path:
    from xlpkg.model import project_from_dict
    from xlpkg.workbook.writer import fill_workbook

    target.parent.mkdir(parents=True, exist_ok=True)
    fill_workbook(project_from_dict(data, source=str(target)), target)
    return target


@pytest.fixture(scope="session")
def year_forms(tmp_path_factory) -> dict[int, Path]:
    """{year: folder of that year's three forms} (do not modify)."""
    root = tmp_path_factory.mktemp("years")
    out = {}
    for year in YEARS:
        for code in CODES:
            fill(year_project(code, year), root / str(year) / f"{code}.xlsx")
        out[year] = root / str(year)
    return out
