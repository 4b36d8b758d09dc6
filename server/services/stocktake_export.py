"""A stocktake's reconciliation as an XLSX workbook, and the names every view of it shows."""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Asset, Building, Room, Stocktake, User
from server.services.reconcile import BUCKETS, Reconciliation


@dataclass
class Names:
    """Room, asset and auditor names for the ids in a reconciliation, loaded in three queries."""

    rooms: dict[int, str]
    assets: dict[int, tuple[str, str]]  # id -> (name, spec)
    auditors: dict[int, str]

    @classmethod
    def load(cls, session: Session, result: Reconciliation) -> Names:
        buildings = dict(session.execute(select(Building.id, Building.name)).all())
        rooms = {rid: f"{buildings[bid]} {name}" if bid in buildings else name
                 for rid, name, bid in session.execute(select(Room.id, Room.name, Room.building_id))}
        asset_ids = [f.asset_id for f in result.findings if f.asset_id is not None]
        assets = {aid: (name, spec or "") for aid, name, spec in session.execute(
            select(Asset.id, Asset.name, Asset.spec).where(Asset.id.in_(asset_ids)))} if asset_ids else {}
        auditors = dict(session.execute(select(User.id, User.display_name)).all())
        return cls(rooms, assets, auditors)

    def room(self, room_id: int | None) -> str:
        return self.rooms.get(room_id, "") if room_id is not None else ""

    def asset(self, asset_id: int | None) -> str:
        return " ".join(filter(None, self.assets.get(asset_id, ("", "")))) if asset_id is not None else ""

    def people(self, ids: list[int]) -> str:
        return "、".join(self.auditors.get(i, str(i)) for i in ids)


def _safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (=, +, -, @ at the start)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def workbook(stocktake: Stocktake, result: Reconciliation, names: Names, t: Callable[..., str]) -> io.BytesIO:
    """One sheet per bucket plus a summary; write-only so a 10,000-asset school stays small in memory."""
    book = Workbook(write_only=True)
    summary = book.create_sheet(t("stocktake.summary"))
    summary.append([_safe(stocktake.name)])
    for name, count in result.totals().items():
        summary.append([t(f"bucket.{name}"), count])
    header = [t("tag"), t("name"), t("stocktake.book_room"), t("stocktake.seen_room"), t("stocktake.condition"),
              t("stocktake.auditors"), t("stocktake.scans")]
    for bucket in BUCKETS:
        sheet = book.create_sheet(t(f"bucket.{bucket}")[:31])
        sheet.append(header)
        for f in result.bucket(bucket):
            what = names.asset(f.asset_id) or f.description or ""
            sheet.append([_safe(f.label or ""), _safe(what), _safe(names.room(f.book_room_id)),
                          _safe(names.room(f.seen_room_id)), t(f"condition.{f.condition}") if f.condition else "",
                          _safe(names.people(f.auditors)), len(f.scans)])
    stream = io.BytesIO()
    book.save(stream)
    stream.seek(0)
    return stream
