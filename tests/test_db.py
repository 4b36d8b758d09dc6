"""Engine settings the rest relies on."""
from __future__ import annotations

import importlib

import psycopg
import pytest
from sqlalchemy import text

from server.extensions import db

# The module, not the package's `db` (Flask-SQLAlchemy's object shadows it there).
engine_rules = importlib.import_module("server.db")


def test_sqlite_runs_in_wal_with_foreign_keys(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite settings")
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_sqlite_syncs_every_commit_to_the_disk(app):
    """synchronous=FULL: in WAL mode NORMAL leaves the last commits in the operating system's cache, so a
    power cut could take back a batch the phone was told is stored, after the phone dropped it."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite settings; PostgreSQL syncs every commit by default")
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


def test_prune_tombstones_makes_old_cursors_restart(app, admin_api):
    room = admin_api.post("/api/v1/rooms", json={"name": "A", "kind": "dorm"}).get_json()
    old_cursor = admin_api.get("/api/v1/sync/pull").get_json()["cursor"]
    admin_api.delete(f"/api/v1/rooms/{room['id']}")
    result = app.test_cli_runner().invoke(args=["prune-tombstones", "--keep", "0"])
    assert result.exit_code == 0 and "1 tombstone" in result.output
    resp = admin_api.get(f"/api/v1/sync/pull?cursor={old_cursor}")
    assert resp.get_json()["error"]["code"] == "reset_required"
    fresh = admin_api.get("/api/v1/sync/pull").get_json()
    assert fresh["changes"] == [] and fresh["deleted"] == []


def _end_every_connection_of(app) -> int:
    """What a PostgreSQL restart does to the app's pooled connections, from a connection of its own."""
    with app.app_context():
        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        return len(conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall())


def test_a_call_after_the_database_ended_the_resting_connections_still_succeeds(app, admin_api, monkeypatch):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("a database server's connections")
    assert admin_api.get("/api/v1/auth/me").status_code == 200
    assert _end_every_connection_of(app) >= 1
    # The connections have rested long enough to be pinged before use.
    monkeypatch.setattr(engine_rules, "PING_AFTER_IDLE_SECONDS", 0.0)
    try:
        for _ in range(3):
            resp = admin_api.get("/api/v1/auth/me")
            assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    finally:
        with app.app_context():
            db.engine.dispose()
