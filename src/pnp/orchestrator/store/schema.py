"""The tables, as of the newest schema version. Times are stored as ISO-8601 UTC text so
SQLite and PostgreSQL agree.

Tables here are only ever created by a migration (store/migrations.py), never by
``create_all``: a table's shape changes by adding a migration, not by editing it here
alone.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, PrimaryKeyConstraint, String, Table, Text

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
    # version 6: who asked for it (audit); "" for the orchestrator's own decisions
    Column("actor", String(200), nullable=False, server_default=""),
)

# -- version 2 ---------------------------------------------------------------------------

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", String(40), nullable=False),
    Column("description", String(200), nullable=False),
)

operations = Table(
    "operations",
    metadata,
    Column("operation_id", String(200), primary_key=True),
    Column("order_id", String(64), nullable=False, index=True),
    Column("step_id", String(64), nullable=False),
    Column("lot", Integer, nullable=False),
    Column("units", Integer, nullable=False),
    Column("capability", String(200), nullable=False),
    Column("parameters_json", Text, nullable=False),
    Column("after_json", Text, nullable=False),
)

# One row per (module, epoch): the lease a registration was granted and how it ended.
# The descriptor is kept per epoch, so an attempt names the exact module it ran on
# (vendor, model, serial) even after the module was replaced under the same id.
leases = Table(
    "leases",
    metadata,
    Column("module_id", String(64), nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("boot_id", String(128), nullable=False),
    Column("descriptor_json", Text, nullable=False),
    Column("granted_at", String(40), nullable=False),
    Column("ttl_seconds", Float, nullable=False),
    Column("ended_at", String(40)),
    Column("end_reason", String(200), nullable=False, default=""),
    PrimaryKeyConstraint("module_id", "epoch"),
)

plans = Table(
    "plans",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("created_at", String(40), nullable=False),
    Column("status", String(16), nullable=False),
    Column("plan_json", Text, nullable=False),
)

telemetry_samples = Table(
    "telemetry_samples",
    metadata,
    Column("sample_id", Integer, primary_key=True, autoincrement=True),
    Column("execution_id", String(64), nullable=False, index=True),
    Column("module_id", String(64), nullable=False),
    Column("name", String(64), nullable=False),
    Column("time", String(40), nullable=False),
    Column("value", Float, nullable=False),
)

# -- version 3: one writer -----------------------------------------------------------------

# One row (id 1): who leads, under which term, until when. The term only rises (each
# takeover adds one); ``version`` rises with every change to the row, so a takeover is a
# compare-and-set on what the standby saw. Times are seconds since the epoch on the
# database's own clock (store/leadership.py says why).
leadership = Table(
    "leadership",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("term", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("replica_id", String(64), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("address", String(255), nullable=False),
    Column("ttl_seconds", Float, nullable=False),
    Column("acquired_at", Float, nullable=False),
    Column("renewed_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

# Every orchestrator process that opened the database as a replica, with a heartbeat:
# what `pnp cluster status` lists.
replicas = Table(
    "replicas",
    metadata,
    Column("replica_id", String(64), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("address", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("term", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("seen_at", Float, nullable=False),
)

# -- version 4: the digital twin -------------------------------------------------------

# Passports imported from other factories (the digital twin): verified before they are
# kept; a module with the same vendor and serial shows their history here.
module_passports = Table(
    "module_passports",
    metadata,
    Column("passport_id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(128), nullable=False, unique=True),
    Column("module_id", String(64), nullable=False, index=True),
    Column("vendor", String(200), nullable=False),
    Column("serial", String(200), nullable=False),
    Column("signer", String(500), nullable=False),
    Column("issuer", String(500), nullable=False),
    Column("imported_at", String(40), nullable=False),
    Column("signed_json", Text, nullable=False),
)

# Planned maintenance: a module takes no new work inside a window, and the plan moves
# work around it. Given directly, or a health proposal that was accepted.
maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("window_id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(128), nullable=False, unique=True),
    Column("module_id", String(64), nullable=False, index=True),
    Column("start", String(40), nullable=False),
    Column("end", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)
