"""Records as an auditor's phone makes them, and a phone that pushes batches of them over HTTP."""
from __future__ import annotations

import uuid
from datetime import datetime


def scan(stocktake_id: int, asset_id: int | None, room_id: int, recorded_at: datetime, **data) -> dict:
    return {"uuid": str(uuid.uuid4()), "type": "stocktake_scan", "recorded_at": recorded_at.isoformat(),
            "base_version": None, "data": {"stocktake_id": stocktake_id, "asset_id": asset_id,
                                           "room_id": room_id, **data}}


def correction(asset_id: int, base_version: int | None, recorded_at: datetime, **changes) -> dict:
    return {"uuid": str(uuid.uuid4()), "type": "asset_update", "recorded_at": recorded_at.isoformat(),
            "base_version": base_version, "data": {"asset_id": asset_id, **changes}}


class Phone:
    """An auditor's logged-in phone: `send` pushes one batch and answers [(status, errors)]."""

    def __init__(self, factory, username: str):
        self.api = factory.login(username, f"{username}'s phone")

    def send(self, records: list[dict], batch_id: str | None = None) -> list[tuple[str, dict | None]]:
        return [(r["status"], r.get("errors")) for r in self.push(records, batch_id)["results"]]

    def push(self, records: list[dict], batch_id: str | None = None) -> dict:
        resp = self.api.post("/api/v1/sync/push", json={
            "device_id": str(self.api.device_id), "batch_id": batch_id or str(uuid.uuid4()), "records": records})
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()
