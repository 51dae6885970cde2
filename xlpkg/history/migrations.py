"""The store's schema version and the steps that bring an older database up to it.

A small equivalent of Alembic: the schema is three tables, and a release that changes them
adds one function to ``STEPS``. Alembic would add a migration environment, a script folder
and Mako to every installation (a department's offline kit included) for the same result.
Each step runs in the transaction that opens the store, so an upgrade is all or nothing.
"""
from __future__ import annotations

from sqlalchemy import inspect, select, update
from sqlalchemy.engine import Connection

from .schema import APPLICATION, TABLE_PREFIX, indicators, meta, metadata, projects

__all__ = ["SCHEMA_VERSION", "STEPS", "SchemaProblem", "prepare", "stored_version"]

SCHEMA_VERSION = 1


class SchemaProblem(Exception):
    """The database is not (or not yet, or no longer) an xlpkg history store: Chinese text."""


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[meta, projects, indicators])
    conn.execute(meta.insert(), [{"key": "application", "value": APPLICATION},
                                 {"key": "schema_version", "value": "0"}])


# version → the step that makes it from the version before
STEPS = {1: _v1}


def stored_version(conn: Connection) -> int | None:
    """The schema version recorded in the database; None when it holds no store at all."""
    names = set(inspect(conn).get_table_names())
    if meta.name not in names:
        foreign = sorted(n for n in names if not n.startswith(TABLE_PREFIX))
        if foreign:
            shown = "、".join(foreign[:5]) + ("等" if len(foreign) > 5 else "")
            raise SchemaProblem(f"这是其他应用程序的数据库（含数据表 {shown}），不是 xlpkg 绩效历史库；"
                                "请另建一个空数据库或使用其他文件")
        return None
    values = dict(conn.execute(select(meta.c.key, meta.c.value)).all())
    if values.get("application") != APPLICATION:
        raise SchemaProblem("该数据库的标识不是 xlpkg 绩效历史库，未使用")
    try:
        return int(values.get("schema_version", ""))
    except ValueError:
        raise SchemaProblem("该数据库记录的库结构版本无法识别，未使用") from None


def prepare(conn: Connection, *, write: bool) -> int:
    """Check the database and, when writing, create or upgrade the schema (in ``conn``'s
    transaction). Returns the version now in place."""
    version = stored_version(conn)
    if version is None:
        if not write:
            raise SchemaProblem("历史库中还没有数据（请先用 xlpkg history add 或 consolidate --db 记录项目）")
        version = 0
    if version > SCHEMA_VERSION:
        raise SchemaProblem(f"该历史库由更新版本的 xlpkg 创建（库结构版本 {version}，本版本只支持到 "
                            f"{SCHEMA_VERSION}），为免损坏未使用；请升级 xlpkg")
    if version < SCHEMA_VERSION and not write:
        raise SchemaProblem(f"该历史库的库结构版本为 {version}，需要升级：请先运行一次 xlpkg history add")
    for step in range(version + 1, SCHEMA_VERSION + 1):
        STEPS[step](conn)
        conn.execute(update(meta).where(meta.c.key == "schema_version").values(value=str(step)))
    return SCHEMA_VERSION
