"""Engine settings the rest relies on."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from server.extensions import db


def test_sqlite_runs_in_wal_with_foreign_keys(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite settings")
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


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
