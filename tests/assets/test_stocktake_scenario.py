"""Two auditors stocktake the teaching building offline; their batches reconcile to the hand-checked
buckets, and approving corrects the book with a trail.

The fixture, by hand (scope: 教学楼; auditors A = zhao, B = qian):
| asset | book room       | what happened                                          | bucket           |
| T1    | 教101           | A and B both scan it in 教101                          | in place          |
| T2    | 教101           | A scans it in 教101                                    | in place          |
| T3    | 教102           | B finds it in 教101                                    | elsewhere → 教101 |
| T4    | 教102           | A scans it in 教102, damaged                           | in place, damaged |
| T5    | 教学楼 储藏室    | nobody finds it                                        | missing           |
| T6    | 教学楼 储藏室    | A sees it there at 10:00, B in 教102 at 11:00           | elsewhere → 教102 |
| T7    | 教102, scrapped | not expected, not scanned                              | —                 |
| T8    | 总务处 (outside)| B finds it in 教101                                    | elsewhere → 教101 |
| T9    | 教101           | nobody finds it                                        | missing           |
| T10   | 教102           | B scans it in 教102, needs repair                       | in place, damaged |
| OLD-77| —               | A and B both scan this unknown label in 教102          | not on the book   |
| chair | —               | B describes an unlabelled chair in 教学楼 储藏室        | not on the book   |
A's second batch arrives before the first (one of whose records went ahead alone), and B's batch is
sent twice.
"""
from __future__ import annotations

import uuid
from datetime import timedelta, timezone

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from qr_labels.codes import make_code
from server.extensions import db
from server.models import Asset, AssetEvent, Label, Room, StocktakeScan
from server.models.base import as_utc
from sync.models import SyncRecord
from tests.assets.conftest import add_asset, at
from tests.assets.stocktake_helpers import Phone, scan

BOOK = {"T1": "教学楼 教101", "T2": "教学楼 教101", "T3": "教学楼 教102", "T4": "教学楼 教102",
        "T5": "教学楼 储藏室", "T6": "教学楼 储藏室", "T8": "行政楼 总务处", "T9": "教学楼 教101",
        "T10": "教学楼 教102"}


@pytest.fixture
def fieldwork(app, school, factory):
    ids = {tag: add_asset(app, school, tag, room) for tag, room in BOOK.items()}
    ids["T7"] = add_asset(app, school, "T7", "教学楼 教102", status="scrapped")
    admin = factory.login("boss")
    resp = admin.post("/api/v1/stocktakes", json={"name": "秋季盘点", "building_ids": [school.buildings["教学楼"]]})
    assert resp.status_code == 201, resp.get_json()
    st = resp.get_json()["id"]
    r = school.room

    def a(tag):
        return ids[tag]

    a_first = [scan(st, a("T1"), r("教学楼 教101"), at(9, 0)), scan(st, a("T2"), r("教学楼 教101"), at(9, 5)),
               scan(st, a("T4"), r("教学楼 教102"), at(9, 20), condition="damaged"),
               scan(st, None, r("教学楼 教102"), at(9, 25), label="OLD-77", description="旧投影幕布")]
    a_second = [scan(st, a("T6"), r("教学楼 储藏室"), at(10, 0))]
    b_batch = [scan(st, a("T1"), r("教学楼 教101"), at(9, 2)), scan(st, a("T3"), r("教学楼 教101"), at(9, 3)),
               scan(st, a("T8"), r("教学楼 教101"), at(9, 4)),
               scan(st, None, r("教学楼 教102"), at(9, 30), label="old-77", description="幕布"),
               scan(st, a("T6"), r("教学楼 教102"), at(11, 0)),
               scan(st, None, r("教学楼 储藏室"), at(11, 10), description="无标签的旧椅子"),
               scan(st, a("T10"), r("教学楼 教102"), at(11, 20), condition="needs_repair")]
    phone_a, phone_b = Phone(factory, "zhao"), Phone(factory, "qian")
    b_batch_id = str(uuid.uuid4())
    assert {s for s, _ in phone_b.send(b_batch, b_batch_id)} == {"accepted"}
    assert phone_a.send(a_second) == [("accepted", None)]
    # A's first batch comes last, after a dropped connection made her phone resend one of it alone.
    assert phone_a.send(a_first[:1]) == [("accepted", None)]
    assert [s for s, _ in phone_a.send(a_first)] == ["duplicate", "accepted", "accepted", "accepted"]
    # B's phone never saw the answer and sends the very same batch again: the first answer is replayed.
    assert {s for s, _ in phone_b.send(b_batch, b_batch_id)} == {"accepted"}
    return st, ids, admin


def tags(findings, ids) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return sorted(by_id[f["asset_id"]] if f["asset_id"] else (f["label"] or "").upper() or "(no label)"
                  for f in findings)


def test_offline_batches_reconcile_to_the_hand_checked_buckets(app, school, fieldwork):
    st, ids, admin = fieldwork
    body = admin.get(f"/api/v1/stocktakes/{st}/reconciliation").get_json()
    buckets = {name: tags(findings, ids) for name, findings in body["buckets"].items()}
    assert buckets == {
        "in_place": ["T1", "T10", "T2", "T4"],
        "elsewhere": ["T3", "T6", "T8"],
        "missing": ["T5", "T9"],
        "surplus": ["(no label)", "OLD-77"],
        "damaged": ["T10", "T4"],
    }
    assert body["totals"] == {"in_place": 4, "elsewhere": 3, "missing": 2, "surplus": 2, "damaged": 2}
    assert body["scan_count"] == 12  # every scan of both auditors kept once, duplicates not stored twice
    t1 = next(f for f in body["buckets"]["in_place"] if f["asset_id"] == ids["T1"])
    assert t1["auditors"] == sorted(school.auditor_ids) and len(t1["scans"]) == 2
    t6 = next(f for f in body["buckets"]["elsewhere"] if f["asset_id"] == ids["T6"])
    assert t6["seen_room_id"] == school.room("教学楼 教102")
    t8 = next(f for f in body["buckets"]["elsewhere"] if f["asset_id"] == ids["T8"])
    assert t8["out_of_scope"] is True


def test_live_progress_per_room_and_building(app, school, fieldwork):
    st, _, admin = fieldwork
    body = admin.get(f"/api/v1/stocktakes/{st}/progress").get_json()
    rooms = {r["id"]: (r["expected"], r["found"]) for r in body["rooms"]}
    assert rooms[school.room("教学楼 教101")] == (3, 2)  # T1, T2, T9
    assert rooms[school.room("教学楼 教102")] == (3, 3)  # T3, T4, T10 (T7 is scrapped)
    assert rooms[school.room("教学楼 储藏室")] == (2, 1)  # T5, T6
    teaching = next(b for b in body["buildings"] if b["name"] == "教学楼")
    assert (teaching["expected"], teaching["found"]) == (8, 6)


def test_approving_moves_the_right_assets_marks_missing_and_leaves_a_trail(app, school, fieldwork):
    st, ids, admin = fieldwork
    with app.app_context():
        before = {a.tag: a.version for a in db.session.scalars(select(Asset))}
    resp = admin.post(f"/api/v1/stocktakes/{st}/approve", json={"scan_count": 12})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "approved"
    with app.app_context():
        assets = {a.tag: a for a in db.session.scalars(select(Asset))}
        assert assets["T3"].room_id == school.room("教学楼 教101")
        assert assets["T6"].room_id == school.room("教学楼 教102")
        assert assets["T8"].room_id == school.room("教学楼 教101")
        assert assets["T5"].status == assets["T9"].status == "missing"
        untouched = ("T1", "T2", "T7")
        assert all(assets[t].version == before[t] for t in untouched)
        assert assets["T4"].room_id == school.room("教学楼 教102") and assets["T4"].status == "in_use"
        trail = sorted((assets_by_id(assets)[e.asset_id], e.kind) for e in db.session.scalars(
            select(AssetEvent).where(AssetEvent.stocktake_id == st)))
        assert trail == [("T10", "stocktake_condition"), ("T3", "stocktake_moved"), ("T4", "stocktake_condition"),
                         ("T5", "stocktake_missing"), ("T6", "stocktake_moved"), ("T8", "stocktake_moved"),
                         ("T9", "stocktake_missing")]
        moved = db.session.scalar(select(AssetEvent).where(AssetEvent.asset_id == ids["T3"]))
        assert (moved.from_room_id, moved.to_room_id) == (school.room("教学楼 教102"), school.room("教学楼 教101"))
        assert moved.actor_id == school.admin_id
    history = admin.get(f"/api/v1/assets/{ids['T6']}/events").get_json()
    assert [(e["kind"], e["stocktake_id"]) for e in history] == [("stocktake_moved", st)]
    # The corrected book does not rewrite the approved result: it stays what the admin approved.
    body = admin.get(f"/api/v1/stocktakes/{st}/reconciliation").get_json()
    assert tags(body["buckets"]["elsewhere"], ids) == ["T3", "T6", "T8"]
    assert body["totals"] == {"in_place": 4, "elsewhere": 3, "missing": 2, "surplus": 2, "damaged": 2}
    rooms = admin.get(f"/api/v1/stocktakes/{st}/progress").get_json()["rooms"]
    assert {r["id"]: (r["expected"], r["found"]) for r in rooms}[school.room("教学楼 教101")] == (3, 2)


def assets_by_id(assets: dict) -> dict:
    return {a.id: tag for tag, a in assets.items()}


def test_approval_is_refused_when_new_scans_arrived_or_it_was_already_closed(app, school, fieldwork, factory):
    st, ids, admin = fieldwork
    resp = admin.post(f"/api/v1/stocktakes/{st}/approve", json={"scan_count": 11})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "stocktake_changed"
    assert admin.post(f"/api/v1/stocktakes/{st}/approve", json={"scan_count": 12}).status_code == 200
    resp = admin.post(f"/api/v1/stocktakes/{st}/approve", json={})
    assert resp.get_json()["error"]["code"] == "stocktake_closed"
    late = Phone(factory, "zhao").send([scan(st, ids["T5"], school.room("教学楼 储藏室"), at(15, 0))])
    assert late == [("rejected", {"stocktake_id": ["this stocktake is closed"]})]


def test_a_found_missing_asset_comes_back_at_the_next_stocktake(app, school, fieldwork, factory):
    st, ids, admin = fieldwork
    admin.post(f"/api/v1/stocktakes/{st}/approve", json={})
    second = admin.post("/api/v1/stocktakes", json={"name": "复盘"}).get_json()["id"]
    Phone(factory, "zhao").send([scan(second, ids["T5"], school.room("教学楼 储藏室"), at(16, 0))])
    admin.post(f"/api/v1/stocktakes/{second}/approve", json={})
    with app.app_context():
        asset = db.session.get(Asset, ids["T5"])
        assert asset.status == "in_use"
        kinds = [e.kind for e in db.session.scalars(select(AssetEvent).where(AssetEvent.asset_id == asset.id)
                                                    .order_by(AssetEvent.id))]
        assert kinds == ["stocktake_missing", "stocktake_found"]


def test_stocktakes_reach_auditors_phones_and_leave_them_when_closed(app, school, fieldwork, factory):
    st, _, admin = fieldwork
    phone = factory.login("qian", "qian's phone")
    first = phone.get("/api/v1/sync/pull").get_json()
    pulled = [c for c in first["changes"] if c["type"] == "stocktake"]
    assert [(c["id"], c["data"]["building_ids"]) for c in pulled] == [(str(st), [school.buildings["教学楼"]])]
    admin.post(f"/api/v1/stocktakes/{st}/approve", json={})
    later = phone.get(f"/api/v1/sync/pull?cursor={first['cursor']}").get_json()
    assert {"type": "stocktake", "id": str(st)} in later["deleted"]


def test_scans_are_checked_against_the_school(app, school, fieldwork, factory):
    st, ids, _ = fieldwork
    other = factory.api_user("s2", ("auditor",))
    with app.app_context():
        their_room = Room(site_id=other.site_id, name="教101", kind="classroom")
        their_asset = Asset(site_id=other.site_id, tag="S2-9", name="别校", category="电脑")
        db.session.add_all([their_room, their_asset])
        db.session.commit()
        their_room_id, their_asset_id = their_room.id, their_asset.id
    zhao = Phone(factory, "zhao")
    results = zhao.send([scan(st, ids["T1"], their_room_id, at(12)),
                         scan(st, their_asset_id, school.room("教学楼 教101"), at(12)),
                         scan(st, None, school.room("教学楼 教101"), at(12), label="NOPE"),
                         scan(st + 1000, ids["T1"], school.room("教学楼 教101"), at(12))])
    assert [(r[0], set(r[1])) for r in results] == [
        ("rejected", {"room_id"}), ("rejected", {"asset_id"}), ("rejected", {"description"}),
        ("rejected", {"stocktake_id"})]
    # A label the book knows by its tag is matched to the asset even when the phone did not.
    assert zhao.send([scan(st, None, school.room("教学楼 教101"), at(12), label="t9")]) == [("accepted", None)]
    with app.app_context():
        assert db.session.scalar(select(StocktakeScan.asset_id).where(StocktakeScan.label == "t9")) == ids["T9"]
    assert other.get(f"/api/v1/stocktakes/{st}").status_code == 404


def test_a_scan_keeps_the_moment_the_phone_meant_whatever_its_clocks_offset(app, school, fieldwork, factory):
    # Phones send Beijing time (+08:00); SQLite keeps no offset, and the scan's own clock time was kept as
    # if it were UTC: eight hours late on every screen, and the later of two scans misjudged.
    st, ids, _ = fieldwork
    beijing = timezone(timedelta(hours=8))
    zhao = Phone(factory, "zhao")
    sent = scan(st, ids["T9"], school.room("教学楼 教102"), at(12).astimezone(beijing))
    assert zhao.send([sent]) == [("accepted", None)]
    with app.app_context():
        kept = db.session.scalar(select(StocktakeScan.recorded_at).where(StocktakeScan.uuid == sent["uuid"]))
        ledger = db.session.scalar(select(SyncRecord.recorded_at).where(SyncRecord.uuid == sent["uuid"]))
    assert (as_utc(kept), as_utc(ledger)) == (at(12), at(12))


def test_scan_times_stored_with_the_phones_offset_are_set_right_by_the_migration(app, school, fieldwork, factory):
    st, ids, _ = fieldwork
    sent = scan(st, ids["T9"], school.room("教学楼 教102"), at(12).astimezone(timezone(timedelta(hours=8))))
    assert Phone(factory, "zhao").send([sent]) == [("accepted", None)]
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL stored the moment itself")
        others = _scan_times(db.session, StocktakeScan.uuid != sent["uuid"])
        db.session.remove()
        downgrade(revision="sync_4")
        with db.engine.begin() as conn:  # as the earlier code stored it: the phone's clock time
            for table in ("stocktake_scan", "sync_record"):
                conn.execute(text(f"UPDATE {table} SET recorded_at = '2026-11-20 20:00:00.000000' WHERE uuid = :u"),
                             {"u": sent["uuid"]})
        upgrade()
        ledger = db.session.scalar(select(SyncRecord.recorded_at).where(SyncRecord.uuid == sent["uuid"]))
        assert _scan_times(db.session, StocktakeScan.uuid == sent["uuid"]) == [at(12)] and as_utc(ledger) == at(12)
        assert _scan_times(db.session, StocktakeScan.uuid != sent["uuid"]) == others


def _scan_times(session, where) -> list:
    return [as_utc(t) for t in session.scalars(select(StocktakeScan.recorded_at).where(where)
                                                .order_by(StocktakeScan.uuid))]


def test_new_scan_ids_are_uuids():
    assert uuid.UUID(scan(1, 1, 1, at(9))["uuid"]).version == 4


def test_a_printed_label_code_alone_finds_its_asset(app, school, fieldwork, factory):
    st, ids, _ = fieldwork
    code = make_code("asset", 5)
    with app.app_context():
        db.session.add(Label(site_id=school.site_id, code=code, kind="asset", serial=5, asset_id=ids["T5"]))
        db.session.commit()
    zhao = Phone(factory, "zhao")
    assert zhao.send([scan(st, None, school.room("教学楼 教101"), at(12), label=code.lower())]) == [("accepted", None)]
    with app.app_context():
        assert db.session.scalar(select(StocktakeScan.asset_id).where(StocktakeScan.label == code.lower())) == ids["T5"]


def test_another_schools_book_never_enters_the_reconciliation(app, school, fieldwork, factory):
    _, _, admin = fieldwork
    other_site = factory.site("s2")
    with app.app_context():
        db.session.add(Asset(site_id=other_site, tag="S2-1", name="别校资产", category="电脑"))
        db.session.commit()
    whole = admin.post("/api/v1/stocktakes", json={"name": "全校"}).get_json()["id"]
    body = admin.get(f"/api/v1/stocktakes/{whole}/reconciliation").get_json()
    assert body["totals"]["missing"] == 9  # this school's nine assets that are not scrapped
    rooms = admin.get(f"/api/v1/stocktakes/{whole}/progress").get_json()["rooms"]
    assert sum(r["expected"] for r in rooms) == 9
