"""Stocktakes (盘点): open one with a scope, take auditors' scans, reconcile, and close on approval.

The matching rules are pure functions in server.services.reconcile; this module loads the book and
the scans for them, and writes what an admin approves: locations corrected, missing assets marked,
each change an AssetEvent naming the stocktake.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from server.models import Asset, AssetEvent, Building, Room, Stocktake, StocktakeFinding, StocktakeScan, User, utcnow
from server.services.errors import Conflict, NotFound, ValidationFailed
from server.services.reconcile import (
    BookAsset,
    Finding,
    Reconciliation,
    RoomInfo,
    Scope,
    Sighting,
    expected_ids,
    progress,
    reconcile,
)


def get(session: Session, stocktake_id: int) -> Stocktake:
    stocktake = session.scalar(select(Stocktake).where(Stocktake.id == stocktake_id))
    if stocktake is None:
        raise NotFound("no such stocktake", {"id": stocktake_id})
    return stocktake


def open_stocktake(session: Session, site_id: int, user: User | None, name: str, *, building_ids=(),
                   room_kinds=(), categories=(), note: str | None = None) -> Stocktake:
    """Open a stocktake; empty scope lists mean the whole school."""
    known = set(session.scalars(select(Building.id).where(Building.id.in_(list(building_ids)))))
    unknown = sorted(set(building_ids) - known)
    if unknown:
        raise ValidationFailed("buildings outside this school",
                               {"fields": {"building_ids": [f"no building {b} in this school" for b in unknown]}})
    stocktake = Stocktake(site_id=site_id, name=name, building_ids=sorted(set(building_ids)),
                          room_kinds=sorted(set(room_kinds)), categories=sorted(set(categories)), note=note,
                          opened_by_id=user.id if user else None)
    session.add(stocktake)
    session.flush()
    return stocktake


def scope_of(stocktake: Stocktake) -> Scope:
    return Scope(frozenset(stocktake.building_ids or ()), frozenset(stocktake.room_kinds or ()),
                 frozenset(stocktake.categories or ()))


# -- loading for the pure rules ------------------------------------------------------------------

@dataclass
class Snapshot:
    """The book and the scans of one stocktake, as plain values."""

    book: list[BookAsset]
    rooms: dict[int, RoomInfo]
    expected: set[int]
    sightings: list[Sighting]

    def reconciliation(self) -> Reconciliation:
        return reconcile(self.book, self.expected, self.sightings)


def snapshot(session: Session, stocktake: Stocktake) -> Snapshot:
    # Plain column selects, not ORM objects: 10,000 assets and scans reconcile well under a second.
    rooms = {r.id: RoomInfo(r.id, r.building_id, r.kind)
             for r in session.execute(select(Room.id, Room.building_id, Room.kind))}
    book = [BookAsset(*row) for row in session.execute(
        select(Asset.id, Asset.tag, Asset.room_id, Asset.category, Asset.status))]
    # Times are only compared with each other (naive on SQLite, aware on PostgreSQL, never mixed).
    sightings = [Sighting(*row) for row in session.execute(select(
                     StocktakeScan.uuid, StocktakeScan.asset_id, StocktakeScan.label, StocktakeScan.room_id,
                     StocktakeScan.condition, StocktakeScan.auditor_id, StocktakeScan.recorded_at,
                     StocktakeScan.received_at, StocktakeScan.description)
                     .where(StocktakeScan.stocktake_id == stocktake.id))]
    return Snapshot(book, rooms, expected_ids(book, rooms, scope_of(stocktake)), sightings)


FINDING_FIELDS = ("bucket", "asset_id", "label", "book_room_id", "seen_room_id", "condition", "out_of_scope",
                  "rooms_seen", "auditors", "scans", "description")


def result(session: Session, stocktake: Stocktake) -> Reconciliation:
    """Live while the stocktake is open; once approved, the findings stored when it was approved."""
    if stocktake.status == "open":
        return snapshot(session, stocktake).reconciliation()
    rows = session.execute(select(*(getattr(StocktakeFinding, f) for f in FINDING_FIELDS))
                           .where(StocktakeFinding.stocktake_id == stocktake.id).order_by(StocktakeFinding.id))
    return Reconciliation([Finding(*row) for row in rows])


def _store_findings(session: Session, stocktake: Stocktake, findings: list[Finding]) -> None:
    if findings:
        session.execute(insert(StocktakeFinding), [
            {"site_id": stocktake.site_id, "stocktake_id": stocktake.id,
             **{f: getattr(finding, f) for f in FINDING_FIELDS}} for finding in findings])


def scan_count(session: Session, stocktake_id: int) -> int:
    return session.scalar(select(func.count(StocktakeScan.id)).where(StocktakeScan.stocktake_id == stocktake_id))


@dataclass
class ProgressRow:
    key: int | None
    name: str
    building: str | None
    expected: int
    found: int
    seen_here: int


def live_progress(session: Session, found: Reconciliation) -> tuple[list[ProgressRow], list[ProgressRow]]:
    """Per room and per building: expected, found (of those booked there) and seen there."""
    per_room = progress(found.findings)
    names = {r.id: (r.name, r.building_id) for r in session.execute(select(Room.id, Room.name, Room.building_id))}
    buildings = dict(session.execute(select(Building.id, Building.name)).all())
    rooms, totals = [], {}
    for room_id, p in per_room.items():
        name, building_id = names.get(room_id, ("—", None))
        rooms.append(ProgressRow(room_id, name, buildings.get(building_id), p.expected, p.found, p.seen_here))
        total = totals.setdefault(building_id, ProgressRow(building_id, buildings.get(building_id, "—"), None, 0, 0, 0))
        total.expected, total.found, total.seen_here = (total.expected + p.expected, total.found + p.found,
                                                       total.seen_here + p.seen_here)
    rooms.sort(key=lambda r: (r.building or "", r.name))
    return rooms, sorted(totals.values(), key=lambda b: b.name)


# -- approval ----------------------------------------------------------------------------------

def approve(session: Session, stocktake: Stocktake, admin: User, seen_scan_count: int | None = None, *,
            at: datetime | None = None) -> dict:
    """Apply the reconciliation an admin has reviewed, then close the stocktake.

    `seen_scan_count` is how many scans the admin's page showed: if more arrived since, they have not
    seen the result they would approve, so it is refused (they reload and approve again)."""
    if stocktake.status != "open":
        raise Conflict("this stocktake is already closed", code="stocktake_closed")
    if seen_scan_count is not None and seen_scan_count != scan_count(session, stocktake.id):
        raise Conflict("new scans arrived since you loaded the results; review them again",
                       code="stocktake_changed")
    found = snapshot(session, stocktake).reconciliation()
    assets = {a.id: a for a in session.scalars(select(Asset).where(
        Asset.id.in_([f.asset_id for f in found.findings if f.asset_id is not None])))}
    now = at or utcnow()
    for finding in found.findings:
        asset = assets.get(finding.asset_id) if finding.asset_id is not None else None
        if asset is not None:
            _apply_finding(session, stocktake, admin, asset, finding, now)
    _store_findings(session, stocktake, found.findings)
    stocktake.status, stocktake.approved_by_id, stocktake.approved_at = "approved", admin.id, now
    stocktake.summary = found.totals()
    session.flush()
    return stocktake.summary


def _apply_finding(session: Session, stocktake: Stocktake, admin: User, asset: Asset, finding: Finding,
                   now: datetime) -> None:
    change = partial(_change, session, stocktake, admin, asset, now)
    if finding.bucket == "missing":
        # A lent asset or one away for repair is not expected on its shelf: the book already says
        # where it is, so it is reported but not marked missing.
        if asset.status in ("in_use", "idle"):
            change("stocktake_missing", status="missing")
        return
    if asset.status == "missing":
        change("stocktake_found", status="in_use")
    if finding.bucket == "elsewhere":
        change("stocktake_moved", room_id=finding.seen_room_id)
    if finding.condition in ("damaged", "needs_repair"):
        change("stocktake_condition", details={"condition": finding.condition})


def _change(session: Session, stocktake: Stocktake, admin: User, asset: Asset, now: datetime, kind: str, *,
            room_id: int | None = None, status: str | None = None, details: dict | None = None) -> None:
    """Change the book (room and/or status) and keep the step in the asset's history."""
    event = AssetEvent(site_id=asset.site_id, asset_id=asset.id, kind=kind, at=now, actor_id=admin.id,
                       stocktake_id=stocktake.id, from_room_id=asset.room_id, to_room_id=room_id or asset.room_id,
                       from_status=asset.status, to_status=status or asset.status, details=details or {})
    asset.room_id, asset.status = event.to_room_id, event.to_status
    session.add(event)
