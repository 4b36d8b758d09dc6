"""SQL the two engines spell differently."""
from __future__ import annotations


def dialect_insert(conn, model):
    """An INSERT that knows ON CONFLICT on both PostgreSQL and SQLite."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)
