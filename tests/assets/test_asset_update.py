"""An auditor's correction of an asset (`asset_update`) over push: applied from the current version,
a conflict from an older one (fault case 16) or on a deleted asset (case 19), and an admin may take
the phone's version."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from server.db import scope_session
from server.extensions import db
from server.models import Asset, AssetEvent, User
from server.services.errors import Conflict
from sync import conflicts
from sync.models import SyncConflict
from tests.assets.conftest import add_asset, at
from tests.assets.stocktake_helpers import Phone, correction


def test_two_devices_change_the_same_field_from_the_same_version(app, school, factory):
    asset_id = add_asset(app, school, "C-1", "教学楼 教101")
    first, second = Phone(factory, "zhao"), Phone(factory, "qian")
    to_102 = correction(asset_id, 1, at(9), room_id=school.room("教学楼 教102"), note="在隔壁")
    to_office = correction(asset_id, 1, at(9, 5), room_id=school.room("行政楼 总务处"))
    assert first.push([to_102])["results"][0] == {"uuid": to_102["uuid"], "status": "accepted", "server_version": 2}
    answer = second.push([to_office])["results"][0]
    assert (answer["status"], answer["server_version"]) == ("conflict", 2)
    with app.app_context():
        asset = db.session.get(Asset, asset_id)
        assert (asset.room_id, asset.version) == (school.room("教学楼 教102"), 2)
        conflict = db.session.scalar(select(SyncConflict))
        assert (conflict.object_type, conflict.object_id, conflict.base_version) == ("asset", str(asset_id), 1)
        assert conflict.server_data["room_id"] == school.room("教学楼 教102")
        assert conflict.payload["data"]["room_id"] == school.room("行政楼 总务处")  # both values kept
        event = db.session.scalar(select(AssetEvent).where(AssetEvent.asset_id == asset_id))
        assert event.kind == "corrected" and event.note == "在隔壁"
        assert event.details["changes"] == {"room_id": [school.room("教学楼 教101"), school.room("教学楼 教102")]}


def test_an_admin_takes_the_phones_version_of_a_conflict(app, school, factory):
    asset_id = add_asset(app, school, "C-2", "教学楼 教101")
    Phone(factory, "zhao").send([correction(asset_id, 1, at(9), custodian="张老师")])
    assert Phone(factory, "qian").send([correction(asset_id, 1, at(9, 5), custodian="李老师")])[0][0] == "conflict"
    with app.app_context():
        scope_session(db.session, school.site_id)
        conflict_id = db.session.scalar(select(SyncConflict.id))
        conflicts.resolve(db.session, conflict_id, db.session.get(User, school.admin_id), "phone")
        db.session.commit()
        asset = db.session.get(Asset, asset_id)
        assert (asset.custodian, asset.version) == ("李老师", 3)
        forced = db.session.scalars(select(AssetEvent).order_by(AssetEvent.id)).all()[-1]
        assert forced.details == {"changes": {"custodian": ["张老师", "李老师"]}, "record": forced.details["record"],
                                  "forced": True}
        assert forced.actor_id == school.auditor_ids[1]  # the auditor whose correction was taken


def test_a_change_to_a_deleted_asset_is_a_conflict_and_the_pull_sends_its_tombstone(app, school, factory):
    asset_id = add_asset(app, school, "C-3", "教学楼 教101")
    phone = Phone(factory, "zhao")
    cursor = phone.api.get("/api/v1/sync/pull").get_json()["cursor"]
    admin = factory.login("boss")
    assert admin.delete(f"/api/v1/assets/{asset_id}").status_code == 204
    answer = phone.push([correction(asset_id, 1, at(9), room_id=school.room("教学楼 教102"))])["results"][0]
    assert answer["status"] == "conflict" and "server_version" not in answer
    pulled = phone.api.get(f"/api/v1/sync/pull?cursor={cursor}").get_json()
    assert {"type": "asset", "id": str(asset_id)} in pulled["deleted"]
    with app.app_context():  # the phone's version cannot be taken: there is nothing left to change
        scope_session(db.session, school.site_id)
        conflict_id = db.session.scalar(select(SyncConflict.id))
        with pytest.raises(Conflict, match="no longer exists"):
            conflicts.resolve(db.session, conflict_id, db.session.get(User, school.admin_id), "phone")


def test_corrections_that_can_never_apply_are_rejected(app, school, factory):
    asset_id = add_asset(app, school, "C-4", "教学楼 教101")
    other = factory.site("s2")
    with app.app_context():
        foreign = Asset(site_id=other, tag="X", name="别校", category="电脑")
        db.session.add(foreign)
        db.session.commit()
        foreign_id = foreign.id
    results = Phone(factory, "zhao").send([
        correction(asset_id, None, at(9), custodian="张"),
        correction(foreign_id, 1, at(9), custodian="张"),
        correction(asset_id, 1, at(9), room_id=987654),
        correction(asset_id, 1, at(9), status="scrapped"),
        correction(asset_id, 1, at(9)),
    ])
    assert [s for s, _ in results] == ["rejected"] * 5
    assert set(results[0][1]) == {"base_version"} and set(results[1][1]) == {"asset_id"}
    assert set(results[2][1]) == {"room_id"} and "status" in results[3][1]["data"]
    with app.app_context():
        assert db.session.get(Asset, asset_id).version == 1


def test_inspectors_cannot_push_auditors_records(app, school, factory):
    asset_id = add_asset(app, school, "C-5", "教学楼 教101")
    factory.user(school.site_id, "zhang", ["inspector"])
    assert Phone(factory, "zhang").send([correction(asset_id, 1, at(9), custodian="x")])[0][0] == "rejected"
