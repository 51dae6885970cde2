"""The history store's database: SQLAlchemy Core over SQLite or PostgreSQL, every read and
write. Loaded by ``store.open_store`` only (see there)."""
from __future__ import annotations

import datetime as _dt
import importlib.util
import os
from decimal import Decimal
from typing import Iterable, Iterator

from sqlalchemy import bindparam, create_engine, delete, event, insert, select, update
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from .migrations import SchemaProblem, prepare
from .records import ProjectRecord
from .schema import indicators, meta, projects
from .address import Replaced, StoreError, masked, secret_of

__all__ = ["HistoryStore", "connect", "INDICATOR_FIELDS"]

CONNECT_TIMEOUT_S = 10
# The PostgreSQL drivers tried, in order, for a plain postgresql:// URL.
PG_DRIVERS = (("psycopg", "psycopg"), ("psycopg2", "psycopg2"), ("pg8000", "pg8000"))
INDICATOR_FIELDS = ("position", "level1", "level2", "name", "target", "nature", "target_value",
                    "unit", "actual", "weight", "score")


def _driver_url(url: str) -> URL:
    try:
        u = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(f"数据库地址无法识别（{exc}）；应为 sqlite:///文件名.sqlite 或 "
                         "postgresql://用户名@主机:端口/数据库名") from None
    backend = u.drivername.split("+")[0]
    if backend in ("postgresql", "postgres"):
        if "+" not in u.drivername:
            driver = next((d for module, d in PG_DRIVERS if importlib.util.find_spec(module)), None)
            if driver is None:
                raise StoreError("未安装 PostgreSQL 驱动：请运行 pip install \"xlpkg[postgres]\"（安装 psycopg）")
            u = u.set(drivername=f"postgresql+{driver}")
        elif backend == "postgres":
            u = u.set(drivername="postgresql+" + u.drivername.split("+")[1])
        return u
    if backend == "sqlite":
        if not u.database or u.database == ":memory:":
            raise StoreError("SQLite 历史库必须是一个文件，如 sqlite:///绩效历史.sqlite")
        return u
    raise StoreError(f"不支持的数据库类型“{backend}”：请使用 sqlite:///文件名.sqlite 或 "
                     "postgresql://用户名@主机:端口/数据库名")


def _why(exc: BaseException) -> str:
    """What went wrong, in Chinese, from the driver's message (never the full URL)."""
    text = str(getattr(exc, "orig", None) or exc)
    low = text.lower()
    for needles, why in (
            (("password authentication failed", "authentication failed", "no password supplied"),
             "用户名或密码错误，服务器拒绝登录"),
            (("readonly database", "read-only", "read only"),
             "数据库为只读（文件或其所在文件夹不可写，或账户无写入权限）"),
            (("permission denied",), "账户没有访问这些数据表的权限"),
            (("file is not a database", "not a database"), "该文件不是 SQLite 数据库（可能是其他类型的文件）"),
            (("unable to open database file",), "无法打开数据库文件（文件夹不存在或无权访问）"),
            (("database is locked",), "数据库被其他程序锁定，请稍后重试"),
            (("does not exist",), "服务器上不存在该数据库或用户"),
            (("connection refused", "could not connect", "timeout expired", "timed out",
              "no route to host", "name or service not known", "could not translate host",
              "network is unreachable", "connection to server", "server closed the connection",
              "failed to resolve host", "nodename nor servname"),
             "无法连接数据库服务器（服务器未启动、主机或端口错误，或被防火墙拒绝）"),
            (("disk i/o error", "disk full", "no space"), "磁盘读写错误或空间不足"),
    ):
        if any(n in low for n in needles):
            return why
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"数据库错误（{first[:200]}）"


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


class HistoryStore:
    """An open store. ``write``: create or upgrade the schema and check that writes are
    allowed, before anything is read (a read-only store is refused at once, not after
    minutes of reading)."""

    def __init__(self, url: str, *, write: bool):
        self.url = url
        self.shown = masked(url)
        self._password = secret_of(url)
        u = _driver_url(url)
        self.dialect = u.get_backend_name()
        if self.dialect == "sqlite":
            path = u.database
            if path.startswith("file:"):   # an SQLite URI (…?mode=ro&uri=true)
                path = path[len("file:"):].split("?")[0]
            if not write and not os.path.exists(path):
                raise self.error(f"历史库文件不存在：{path}")
            folder = os.path.dirname(os.path.abspath(path))
            if write and not os.path.isdir(folder):
                raise self.error(f"文件夹不存在：{folder}")
        connect_args = ({"timeout": 30} if self.dialect == "sqlite"
                        else {"connect_timeout": CONNECT_TIMEOUT_S})
        try:
            self.engine: Engine = create_engine(u, connect_args=connect_args,
                                                pool_pre_ping=self.dialect != "sqlite")
        except (NoSuchModuleError, ImportError) as exc:
            raise self.error(f"无法加载数据库驱动（{exc}）") from None
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas(write))
        try:
            with self.engine.begin() as conn:
                prepare(conn, write=write)
                if write:   # a store we may read but not write is refused before any reading
                    conn.execute(update(meta).where(meta.c.key == "application")
                                 .values(value=meta.c.value))
            if write and self.dialect == "sqlite":
                self._use_wal()
        except SchemaProblem as exc:
            self.engine.dispose()
            raise self.error(str(exc)) from None
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise self.error(_why(exc)) from None

    def _use_wal(self) -> None:
        """WAL (kept in the file): a commit per file without an fsync per commit; a crash keeps
        every committed file and loses at most the last ones, never half of one. Set only
        once the file is known to be a store: another application's file is never touched."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")

    def error(self, why: str) -> StoreError:
        text = f"历史库 {self.shown}：{why}"
        if self._password:
            text = text.replace(self._password, "***")
        return StoreError(text)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "HistoryStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- writing -----------------------------------------------------------------------

    def put_file(self, records: list[ProjectRecord]) -> list[Replaced]:
        """Record one file's projects in one transaction; a project-year already stored is
        replaced. Returns what was replaced."""
        if not records:
            return []
        added = _now()
        replaced = []
        try:
            with self.engine.begin() as conn:
                for r in records:
                    old = conn.execute(_FIND, {"c": r.code, "y": r.year}).first()
                    if old is not None:
                        conn.execute(_DROP_INDICATORS, {"pid": old.id})
                        conn.execute(_DROP_PROJECT, {"pid": old.id})
                        replaced.append(Replaced(r.code, r.year, old.source_name, old.added_at))
                    pid = conn.execute(_ADD_PROJECT, _project_values(r, added)).inserted_primary_key[0]
                    if r.indicators:
                        conn.execute(_ADD_INDICATORS, [
                            {"project_id": pid, **dict(zip(INDICATOR_FIELDS, row))}
                            for row in r.indicators])
        except SQLAlchemyError as exc:
            raise self.error(_why(exc) + "；本文件未记录，此前的文件已记录") from None
        return replaced

    def bulk_insert(self, rows: Iterable[tuple[dict, list[dict]]], batch: int = 2000) -> int:
        """Fast load for benchmarks and migrations from another system: (project values,
        indicator values) pairs, no replacement. Returns the number of projects."""
        count = 0
        conn: Connection
        with self.engine.begin() as conn:
            pending: list[tuple[dict, list[dict]]] = []

            def flush() -> None:
                if not pending:
                    return
                ids = conn.execute(insert(projects).returning(projects.c.id, sort_by_parameter_order=True),
                                   [p for p, _ in pending]).scalars().all()
                conn.execute(insert(indicators), [{"project_id": pid, **ind}
                                                  for pid, (_, inds) in zip(ids, pending)
                                                  for ind in inds])
                pending.clear()
            for pair in rows:
                pending.append(pair)
                count += 1
                if len(pending) >= batch:
                    flush()
            flush()
        if self.dialect == "postgresql":   # fresh statistics, or the planner guesses after a load
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql(f"ANALYZE {projects.name}")
                conn.exec_driver_sql(f"ANALYZE {indicators.name}")
        return count

    # --- reading -----------------------------------------------------------------------

    def _read(self, fn):
        try:
            with self.engine.connect() as conn:
                return fn(conn)
        except SQLAlchemyError as exc:
            raise self.error(_why(exc)) from None

    def project_years(self, code: str) -> list[tuple[dict, list[dict]]]:
        """Every stored year of one (normalised) code, ascending, with its indicators."""
        def run(conn):
            rows = conn.execute(select(projects).where(projects.c.code == code)
                                .order_by(projects.c.year)).mappings().all()
            ids = [r["id"] for r in rows]
            by_id: dict[int, list[dict]] = {i: [] for i in ids}
            if ids:
                for ind in conn.execute(select(indicators).where(indicators.c.project_id.in_(ids))
                                        .order_by(indicators.c.project_id, indicators.c.position)
                                        ).mappings():
                    by_id[ind["project_id"]].append(dict(ind))
            return [(dict(r), by_id[r["id"]]) for r in rows]
        return self._read(run)

    def listing(self, *, year: int | None = None, dept: str | None = None) -> list[dict]:
        columns = [projects.c[n] for n in ("code", "year", "dept_code", "dept_name", "name", "budget",
                                           "year_spent", "execution_rate_percent", "total_score",
                                           "grade", "started", "source_name", "sha256", "added_at")]
        query = select(*columns).order_by(projects.c.dept_code, projects.c.code, projects.c.year)
        if year is not None:
            query = query.where(projects.c.year == year)
        if dept is not None:
            query = query.where(projects.c.dept_code == dept)
        return self._read(lambda conn: [dict(r) for r in conn.execute(query).mappings()])

    def iter_projects(self, batch: int = 5000) -> Iterator[dict]:
        """Every project-year (without its JSON), for the export, in code/year order."""
        columns = [c for c in projects.c if c.name not in ("inputs", "metrics")]
        try:
            with self.engine.connect() as conn:
                result = conn.execution_options(stream_results=True, yield_per=batch).execute(
                    select(*columns).order_by(projects.c.dept_code, projects.c.code, projects.c.year))
                for row in result.mappings():
                    yield dict(row)
        except SQLAlchemyError as exc:
            raise self.error(_why(exc)) from None

    def scores(self, year: int, codes: Iterable[str]) -> dict[str, Decimal | None]:
        """code → the stored total score of ``year`` (None: self-evaluation not started)."""
        wanted = list(dict.fromkeys(codes))
        out: dict[str, Decimal | None] = {}

        def run(conn):
            for start in range(0, len(wanted), 1000):
                part = wanted[start:start + 1000]
                for code, total, started in conn.execute(
                        select(projects.c.code, projects.c.total_score, projects.c.started)
                        .where(projects.c.year == year, projects.c.code.in_(part))):
                    out[code] = total if started else None
            return out
        return self._read(run)


# Built once: a statement built per file cost more than its execution (SQLAlchemy's
# construction and cache key), a third of `history add`'s main process.
_FIND = (select(projects.c.id, projects.c.source_name, projects.c.added_at)
         .where(projects.c.code == bindparam("c"), projects.c.year == bindparam("y")))
_DROP_INDICATORS = delete(indicators).where(indicators.c.project_id == bindparam("pid"))
_DROP_PROJECT = delete(projects).where(projects.c.id == bindparam("pid"))
_ADD_PROJECT = insert(projects)
_ADD_INDICATORS = insert(indicators)


def _project_values(r: ProjectRecord, added: str) -> dict:
    return {"code": r.code, "year": r.year, "dept_code": r.dept_code, "dept_name": r.dept_name,
            "name": r.name, "budget": r.budget, "year_spent": r.year_spent,
            "execution_rate_percent": r.execution_rate_percent, "total_score": r.total_score,
            "grade": r.grade, "started": int(r.started), "inputs": r.inputs, "metrics": r.metrics,
            "source_file": r.source_file, "source_name": r.source_name, "sha256": r.sha256,
            "added_at": added}


def _sqlite_pragmas(write: bool):
    def on_connect(dbapi_conn, _record) -> None:
        cursor = dbapi_conn.cursor()
        try:
            if write:   # with WAL (set once the file is known to be ours): see _use_wal
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        except Exception:   # noqa: BLE001 - a read-only or foreign file: the open reports it
            pass
        finally:
            cursor.close()
    return on_connect



def connect(url: str, *, write: bool) -> HistoryStore:
    try:
        return HistoryStore(url, write=write)
    except DBAPIError as exc:   # raised outside the guarded calls (e.g. by the driver's import)
        raise StoreError(f"历史库 {masked(url)}：{_why(exc)}") from None
