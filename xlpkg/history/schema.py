"""The history store's tables (SQLAlchemy Core): one code path for SQLite and PostgreSQL.

A project-year is keyed by (normalised project code, year). Money, rates and scores are kept
as the exact decimal strings ``xlpkg score --json`` prints: NUMERIC on PostgreSQL (a bureau can
sum them in SQL), text on SQLite (whose NUMERIC would turn them into binary floats).
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (Column, ForeignKey, Index, Integer, MetaData, Numeric, String, Table,
                        Text, UniqueConstraint)
from sqlalchemy.types import TypeDecorator

__all__ = ["metadata", "meta", "projects", "indicators", "DecimalText", "APPLICATION",
           "TABLE_PREFIX"]

APPLICATION = "xlpkg-history"      # what the meta table says about who made the database
TABLE_PREFIX = "xlpkg_history_"


class DecimalText(TypeDecorator):
    """A Decimal in, the same Decimal out: NUMERIC where the server keeps decimals exactly,
    text on SQLite."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(60))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value)
        return format(value, "f") if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(str(value))


metadata = MetaData()

meta = Table(
    f"{TABLE_PREFIX}meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

projects = Table(
    f"{TABLE_PREFIX}projects", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(100), nullable=False),          # normalised (consolidate.normalize_code)
    Column("year", Integer, nullable=False),
    Column("dept_code", String(100), nullable=False),
    Column("dept_name", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("budget", DecimalText),                        # 全年预算数（万元）, as score --json
    Column("year_spent", DecimalText),                    # 全年执行数（万元）
    Column("execution_rate_percent", DecimalText),
    Column("total_score", DecimalText),                   # None: self-evaluation not started
    Column("grade", String(20)),
    Column("started", Integer, nullable=False),           # 1 when the self-evaluation has begun
    Column("inputs", Text, nullable=False),               # the project's JSON (its inputs)
    Column("metrics", Text, nullable=False),              # score --json of the project
    Column("source_file", Text, nullable=False),          # the path as read
    Column("source_name", Text, nullable=False),          # its file name
    Column("sha256", String(64), nullable=False),
    Column("added_at", String(32), nullable=False),       # ISO 8601, UTC
    UniqueConstraint("code", "year", name=f"{TABLE_PREFIX}projects_code_year"),
)
Index(f"{TABLE_PREFIX}projects_year_dept", projects.c.year, projects.c.dept_code)

indicators = Table(
    f"{TABLE_PREFIX}indicators", metadata,
    Column("project_id", Integer, ForeignKey(projects.c.id, ondelete="CASCADE"),
           primary_key=True),
    Column("position", Integer, primary_key=True),        # 1, 2, … as on the form
    Column("level1", Text, nullable=False),
    Column("level2", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("target", Text, nullable=False),               # 指标值 as typed
    Column("nature", Text, nullable=False),               # 指标性质 (≥, ≤, =, 定性 …)
    Column("target_value", Text, nullable=False),
    Column("unit", Text, nullable=False),
    Column("actual", Text, nullable=False),               # 实际完成值
    Column("weight", DecimalText),                        # 分值
    Column("score", DecimalText),                         # 得分
)
