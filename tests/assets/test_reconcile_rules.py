"""The reconciliation rules as pure functions: no database."""
from __future__ import annotations

from datetime import UTC, datetime

from server.services.reconcile import BookAsset, RoomInfo, Scope, Sighting, expected_ids, in_scope, progress, reconcile

T0 = datetime(2026, 11, 20, 9, tzinfo=UTC)
ROOMS = {1: RoomInfo(1, 10, "classroom"), 2: RoomInfo(2, 10, "office"), 3: RoomInfo(3, 20, "classroom")}


def asset(asset_id: int, room_id: int | None, category: str = "电脑", status: str = "in_use") -> BookAsset:
    return BookAsset(asset_id, f"T{asset_id}", room_id, category, status)


def seen(uuid: str, asset_id: int | None, room_id: int, minute: int = 0, condition: str = "good",
         auditor: int = 1, label: str | None = None) -> Sighting:
    at = T0.replace(minute=minute)
    return Sighting(uuid, asset_id, label, room_id, condition, auditor, at, at)


def test_scope_narrows_by_building_room_kind_and_category_and_never_expects_scrapped():
    assert in_scope(asset(1, 1), ROOMS[1], Scope())
    assert not in_scope(asset(1, 1, status="scrapped"), ROOMS[1], Scope())
    assert in_scope(asset(1, 1), ROOMS[1], Scope(building_ids=frozenset({10})))
    assert not in_scope(asset(1, 3), ROOMS[3], Scope(building_ids=frozenset({10})))
    assert not in_scope(asset(1, 2), ROOMS[2], Scope(room_kinds=frozenset({"classroom"})))
    assert not in_scope(asset(1, 1, category="空调"), ROOMS[1], Scope(categories=frozenset({"电脑"})))
    assert in_scope(asset(1, None), None, Scope(categories=frozenset({"电脑"})))
    assert not in_scope(asset(1, None), None, Scope(building_ids=frozenset({10})))


def test_two_auditors_scanning_one_asset_make_one_finding():
    book = [asset(1, 1)]
    result = reconcile(book, {1}, [seen("a", 1, 1, auditor=1), seen("b", 1, 1, auditor=2), seen("c", 1, 1)])
    assert len(result.findings) == 1
    finding = result.findings[0]
    assert (finding.bucket, finding.auditors, finding.scans) == ("in_place", [1, 2], ["a", "b", "c"])


def test_the_latest_sighting_says_where_an_asset_is_whatever_order_scans_arrive_in():
    book = [asset(1, 1)]
    scans = [seen("late", 1, 2, minute=30), seen("early", 1, 1, minute=5)]
    for order in (scans, scans[::-1]):
        finding = reconcile(book, {1}, order).findings[0]
        assert (finding.bucket, finding.seen_room_id, finding.rooms_seen) == ("elsewhere", 2, [1, 2])


def test_worst_condition_counts_and_damaged_crosses_the_location_buckets():
    book = [asset(1, 1), asset(2, 1)]
    result = reconcile(book, {1, 2}, [seen("a", 1, 1, condition="needs_repair"), seen("b", 1, 1, condition="damaged"),
                                      seen("c", 2, 3)])
    assert result.totals() == {"in_place": 1, "elsewhere": 1, "missing": 0, "surplus": 0, "damaged": 1}
    assert result.bucket("damaged")[0].condition == "damaged"


def test_unknown_labels_are_one_surplus_each_and_unlabelled_items_one_per_scan():
    result = reconcile([], set(), [seen("a", None, 1, label="old-7"), seen("b", None, 2, label=" OLD-7 "),
                                   seen("c", None, 1), seen("d", None, 1)])
    assert sorted(len(f.scans) for f in result.bucket("surplus")) == [1, 1, 2]


def test_progress_counts_expected_and_found_per_room():
    book = [asset(1, 1), asset(2, 1), asset(3, 2), asset(4, 3)]
    expected = expected_ids(book, ROOMS, Scope(building_ids=frozenset({10})))
    found = reconcile(book, expected, [seen("a", 1, 1), seen("b", 3, 1), seen("c", None, 2, label="X")])
    rooms = progress(found.findings)
    assert (rooms[1].expected, rooms[1].found, rooms[1].seen_here) == (2, 1, 2)
    assert (rooms[2].expected, rooms[2].found, rooms[2].seen_here) == (1, 1, 1)
    assert 3 not in rooms
