"""Durable state on SQLAlchemy Core: SQLite by default (PostgreSQL later, same schema)."""

from pnp.orchestrator.store.database import Store

__all__ = ["Store"]
