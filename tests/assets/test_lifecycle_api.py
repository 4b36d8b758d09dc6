"""Lifecycle steps and room registers over the API: rules per step, who and when, the school only."""
from __future__ import annotations

from tests.assets.conftest import add_asset, at
from tests.assets.stocktake_helpers import Phone, scan


def test_steps_follow_the_lifecycle_and_keep_who_did_them(app, school, factory):
    asset_id = add_asset(app, school, "L-1", "教学楼 教101", status="idle")
    admin = factory.login("boss")
    url = f"/api/v1/assets/{asset_id}/events"
    assert admin.post(url, json={"kind": "lend"}).status_code == 422  # a loan names the borrower
    assert admin.post(url, json={"kind": "lend", "custodian": "物理组"}).status_code == 201
    assert admin.post(url, json={"kind": "scrap"}).status_code == 201  # a lent asset can still be written off
    again = admin.post(url, json={"kind": "return"})
    assert again.status_code == 422 and "scrapped" in again.get_json()["error"]["details"]["fields"]["kind"][0]
    history = admin.get(url).get_json()
    assert [(e["kind"], e["from_status"], e["to_status"], e["actor"]) for e in history] == [
        ("lend", "idle", "lent", "boss"), ("scrap", "lent", "scrapped", "boss")]
    assert admin.get(f"/api/v1/assets/{asset_id}").get_json()["version"] == 3


def test_a_move_needs_a_room_of_this_school(app, school, factory):
    asset_id = add_asset(app, school, "L-2", "教学楼 教101")
    admin = factory.login("boss")
    url = f"/api/v1/assets/{asset_id}/events"
    assert admin.post(url, json={"kind": "move"}).status_code == 422
    assert admin.post(url, json={"kind": "move", "to_room_id": 987654}).status_code == 422
    moved = admin.post(url, json={"kind": "move", "to_room_id": school.room("行政楼 总务处")}).get_json()
    assert (moved["from_room_id"], moved["to_room_id"]) == (school.room("教学楼 教101"), school.room("行政楼 总务处"))
    other = factory.api_user("s2", ("admin",))
    assert other.get(url).status_code == 404
    assert other.post(url, json={"kind": "scrap"}).status_code == 404


def test_the_room_register_api(app, school, factory):
    add_asset(app, school, "G-1", "教学楼 教101")
    add_asset(app, school, "G-2", "教学楼 教101", status="scrapped")
    body = factory.login("zhao").get(f"/api/v1/rooms/{school.room('教学楼 教101')}/register").get_json()
    assert body["room"] == "教101" and [a["tag"] for a in body["assets"]] == ["G-1"]


def test_deleting_an_asset_takes_its_history_and_leaves_its_sightings_as_labels(app, school, factory):
    asset_id = add_asset(app, school, "D-1", "教学楼 教101")
    admin = factory.login("boss")
    admin.post(f"/api/v1/assets/{asset_id}/events", json={"kind": "repair"})
    st = admin.post("/api/v1/stocktakes", json={"name": "盘点"}).get_json()["id"]
    Phone(factory, "zhao").send([scan(st, asset_id, school.room("教学楼 教101"), at(9), label="D-1")])
    assert admin.delete(f"/api/v1/assets/{asset_id}").status_code == 204
    body = admin.get(f"/api/v1/stocktakes/{st}/reconciliation").get_json()
    assert [(f["bucket"], f["label"]) for f in body["buckets"]["surplus"]] == [("surplus", "D-1")]


def test_approval_marks_missing_only_what_should_have_been_on_its_shelf(app, school, factory):
    lent = add_asset(app, school, "W-1", "教学楼 教101", status="lent")
    in_repair = add_asset(app, school, "W-2", "教学楼 教101", status="repair")
    gone = add_asset(app, school, "W-3", "教学楼 教101")
    admin = factory.login("boss")
    st = admin.post("/api/v1/stocktakes", json={"name": "盘点"}).get_json()["id"]
    assert admin.post(f"/api/v1/stocktakes/{st}/approve", json={"scan_count": 0}).status_code == 200
    statuses = {a: admin.get(f"/api/v1/assets/{a}").get_json()["status"] for a in (lent, in_repair, gone)}
    assert statuses == {lent: "lent", in_repair: "repair", gone: "missing"}
