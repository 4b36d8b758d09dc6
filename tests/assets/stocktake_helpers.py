"""Records as an auditor's phone makes them, and a way to deliver a batch of them."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from server.api.asset_schemas import ScanRecordSchema
from server.db import scope_session
from server.extensions import db
from server.models import User, utcnow
from sync import handlers
from sync.handlers import ApplyContext, IncomingRecord, RecordConflict, RecordRejected


def scan(stocktake_id: int, asset_id: int | None, room_id: int, recorded_at: datetime, **data) -> dict:
    return {"uuid": str(uuid.uuid4()), "type": "stocktake_scan", "recorded_at": recorded_at.isoformat(),
            "base_version": None, "data": {"stocktake_id": stocktake_id, "asset_id": asset_id,
                                           "room_id": room_id, **data}}


class Pusher:
    """Delivers records to the registered handlers the way the batch engine does, one savepoint each;
    a uuid already stored is a duplicate."""

    def __init__(self, app, factory, username: str):
        self.app, self.username = app, username

    def send(self, records: list[dict]) -> list[tuple[str, dict | None]]:
        with self.app.app_context():
            user = db.session.scalar(select(User).where(User.username == self.username))
            scope_session(db.session, user.site_id)
            ctx = ApplyContext(db.session, user.site_id, user, None, utcnow())
            results = [self._one(ctx, record) for record in records]
            db.session.commit()
            return results

    def _one(self, ctx: ApplyContext, record: dict) -> tuple[str, dict | None]:
        from server.models import StocktakeScan

        if ctx.session.scalar(select(StocktakeScan.id).where(StocktakeScan.uuid == record["uuid"])):
            return ("duplicate", None)
        handler = handlers.get(record["type"])
        data = (handler.schema or ScanRecordSchema)().load(record["data"])
        incoming = IncomingRecord(record["uuid"], record["type"], datetime.fromisoformat(record["recorded_at"]),
                                  record.get("base_version"), data, record)
        savepoint = ctx.session.begin_nested()
        try:
            handler.apply(ctx, incoming)
        except RecordRejected as exc:
            savepoint.rollback()
            return ("rejected", exc.errors)
        except RecordConflict as exc:
            savepoint.rollback()
            return ("conflict", {"server_version": exc.server_version})
        savepoint.commit()
        return ("accepted", None)
