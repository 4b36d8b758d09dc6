"""Reconciling a stocktake's scans against the book, as pure functions (no database, no Flask).

Rules:
- Expected: every asset in the stocktake's scope that is not scrapped (`in_scope`). Phones apply
  the same rule to the assets and rooms they pull, so the expected list is never sent separately.
- One finding per asset, however many auditors scanned it, in any order or twice. Where it was
  seen is the latest sighting by the time the auditor recorded it (ties: received first, then uuid),
  so an asset carried across the corridor mid-stocktake lands where it was seen last; every room it
  was seen in is kept on the finding for the admin.
- Buckets: found in place (seen in its book room), found elsewhere, missing (盘亏: expected, never
  seen), not on the book (盘盈: a label the book does not know; one finding per label, or per scan
  when there was no label to read). Damaged is a cross-cut: every found asset whose worst reported
  condition is damaged or needs repair is also listed there.
- An asset on the book but outside the scope that turns up is still found (in place or elsewhere),
  flagged `out_of_scope`.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

BUCKETS = ("in_place", "elsewhere", "missing", "surplus", "damaged")
CONDITION_RANK = {"good": 0, "needs_repair": 1, "damaged": 2}


@dataclass(frozen=True)
class Scope:
    building_ids: frozenset[int] = frozenset()
    room_kinds: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RoomInfo:
    id: int
    building_id: int | None
    kind: str


@dataclass(frozen=True)
class BookAsset:
    id: int
    tag: str
    room_id: int | None
    category: str
    status: str


@dataclass(frozen=True)
class Sighting:
    uuid: str
    asset_id: int | None
    label: str | None
    room_id: int
    condition: str
    auditor_id: int
    recorded_at: datetime
    received_at: datetime
    description: str | None = None


@dataclass
class Finding:
    bucket: str
    asset_id: int | None = None
    label: str | None = None
    book_room_id: int | None = None
    seen_room_id: int | None = None
    condition: str | None = None
    out_of_scope: bool = False
    rooms_seen: list[int] = field(default_factory=list)
    auditors: list[int] = field(default_factory=list)
    scans: list[str] = field(default_factory=list)
    description: str | None = None  # what an auditor wrote about an item not on the book


@dataclass
class Reconciliation:
    findings: list[Finding]

    def bucket(self, name: str) -> list[Finding]:
        if name == "damaged":
            return [f for f in self.findings if f.condition in ("damaged", "needs_repair")]
        return [f for f in self.findings if f.bucket == name]

    def totals(self) -> dict[str, int]:
        return {name: len(self.bucket(name)) for name in BUCKETS}


def in_scope(asset: BookAsset, room: RoomInfo | None, scope: Scope) -> bool:
    """Whether the stocktake expects this asset; an asset with no room is expected only when the
    scope does not narrow by building or room kind."""
    if asset.status == "scrapped":
        return False
    if scope.categories and asset.category not in scope.categories:
        return False
    if scope.building_ids and (room is None or room.building_id not in scope.building_ids):
        return False
    return not scope.room_kinds or (room is not None and room.kind in scope.room_kinds)


def expected_ids(book: Iterable[BookAsset], rooms: dict[int, RoomInfo], scope: Scope) -> set[int]:
    return {a.id for a in book if in_scope(a, rooms.get(a.room_id) if a.room_id else None, scope)}


def _order(s: Sighting) -> tuple:
    return (s.recorded_at, s.received_at, s.uuid)


def _group(sightings: Iterable[Sighting], book: dict[int, BookAsset]) -> dict[tuple, list[Sighting]]:
    groups: dict[tuple, list[Sighting]] = {}
    for s in sightings:
        if s.asset_id is not None and s.asset_id in book:
            key: tuple = ("asset", s.asset_id)
        elif s.label:
            key = ("label", s.label.strip().upper())
        else:
            key = ("scan", s.uuid)
        groups.setdefault(key, []).append(s)
    return groups


def _found(asset: BookAsset, seen: list[Sighting], expected: bool) -> Finding:
    last = max(seen, key=_order)
    return Finding(
        bucket="in_place" if last.room_id == asset.room_id else "elsewhere", asset_id=asset.id,
        label=asset.tag, book_room_id=asset.room_id, seen_room_id=last.room_id,
        condition=max((s.condition for s in seen), key=CONDITION_RANK.__getitem__), out_of_scope=not expected,
        rooms_seen=sorted({s.room_id for s in seen}), auditors=sorted({s.auditor_id for s in seen}),
        scans=sorted(s.uuid for s in seen))


def _surplus(seen: list[Sighting]) -> Finding:
    last = max(seen, key=_order)
    return Finding(
        bucket="surplus", label=last.label, seen_room_id=last.room_id, description=last.description,
        condition=max((s.condition for s in seen), key=CONDITION_RANK.__getitem__),
        rooms_seen=sorted({s.room_id for s in seen}), auditors=sorted({s.auditor_id for s in seen}),
        scans=sorted(s.uuid for s in seen))


def reconcile(book: Iterable[BookAsset], expected: set[int], sightings: Iterable[Sighting]) -> Reconciliation:
    """Findings for every expected asset and every sighting; see the module doc for the rules."""
    by_id = {a.id: a for a in book}
    findings: list[Finding] = []
    seen_ids: set[int] = set()
    for (kind, key), seen in _group(sightings, by_id).items():
        if kind == "asset":
            findings.append(_found(by_id[key], seen, key in expected))
            seen_ids.add(key)
        else:
            findings.append(_surplus(seen))
    for asset_id in sorted(expected - seen_ids):
        asset = by_id[asset_id]
        findings.append(Finding(bucket="missing", asset_id=asset.id, label=asset.tag, book_room_id=asset.room_id))
    return Reconciliation(findings)


@dataclass
class RoomProgress:
    room_id: int | None
    expected: int = 0
    found: int = 0  # of the assets booked here, how many were seen anywhere
    seen_here: int = 0  # distinct assets and unknown labels seen in this room


def progress(findings: Iterable[Finding]) -> dict[int | None, RoomProgress]:
    """Scanned against expected per room (building totals are sums of their rooms), from findings,
    so a closed stocktake's stored findings give the same figures as the live ones."""
    rooms: dict[int | None, RoomProgress] = {}
    for f in findings:
        if f.bucket != "surplus" and not f.out_of_scope:
            entry = rooms.setdefault(f.book_room_id, RoomProgress(f.book_room_id))
            entry.expected += 1
            entry.found += f.bucket != "missing"
        for room_id in f.rooms_seen:
            rooms.setdefault(room_id, RoomProgress(room_id)).seen_here += 1
    return rooms
