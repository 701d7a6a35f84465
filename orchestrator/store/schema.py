"""The tables. Times are stored as ISO-8601 UTC text so SQLite and PostgreSQL agree."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text

metadata = MetaData()

orders = Table(
    "orders",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(64), nullable=False, unique=True),
    Column("request_id", String(128), nullable=False, unique=True),
    Column("source", String(512), nullable=False),
    Column("recipe_yaml", Text, nullable=False),
    Column("state", String(32), nullable=False),
    Column("submitted_at", String(40), nullable=False),
)

modules = Table(
    "modules",
    metadata,
    Column("module_id", String(64), primary_key=True),
    Column("epoch", Integer, nullable=False),
    Column("boot_id", String(128), nullable=False),
    Column("descriptor_json", Text, nullable=False),
    Column("registered_at", String(40), nullable=False),
)

attempts = Table(
    "attempts",
    metadata,
    Column("execution_id", String(64), primary_key=True),
    Column("operation_id", String(200), nullable=False, index=True),
    Column("order_id", String(64), nullable=False, index=True),
    Column("module_id", String(64), nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("capability", String(200), nullable=False),
    Column("parameters_json", Text, nullable=False),
    Column("units", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("started_at", String(40), nullable=False),
    Column("ended_at", String(40)),
    Column("results_json", Text, nullable=False, default="{}"),
    Column("error", Text, nullable=False, default=""),
)

events = Table(
    "events",
    metadata,
    Column("sequence", Integer, primary_key=True, autoincrement=False),
    Column("time", String(40), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("message", Text, nullable=False),
)
