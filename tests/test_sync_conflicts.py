"""Concurrent and offline edits over real HTTP, and the console pages where an admin settles them."""
from __future__ import annotations

import re

import pytest

from server.extensions import db
from server.models import Room, SyncConflict, SyncRecord
from tests.conftest import PASSWORD
from tests.sync_kit import count, phone_for, record, register_test_handlers, room_names

register_test_handlers()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def console(factory, client):
    factory.user(factory.site("s1"), "boss", ["admin"])
    page = client.get("/admin/login").get_data(as_text=True)
    client.post("/admin/login", data={"username": "boss", "password": PASSWORD, "csrf_token": _csrf(page)})
    return client


@pytest.fixture
def phones(factory, live_server, console):
    return [phone_for(factory, live_server, roles=("auditor", "inspector", "fixer")) for _ in range(2)]


def _room(app) -> Room:
    with app.app_context():
        return db.session.scalar(db.select(Room))


def test_case16_same_field_from_the_same_version_first_applies_second_conflicts(phones, app):
    a, b = phones
    a.statuses([record(data={"name": "办公室", "key": "k"})])
    first = a.push([record("test_room_rename", {"key": "k", "new_name": "A's"}, base_version=1)]).json()
    second = b.push([record("test_room_rename", {"key": "k", "new_name": "B's"}, base_version=1)]).json()
    assert first["results"][0] == {"uuid": first["results"][0]["uuid"], "status": "accepted", "server_version": 2}
    result = second["results"][0]
    assert result["status"] == "conflict" and result["server_version"] == 2 and "base_version" in result["errors"]
    assert room_names(app) == ["A's"]
    with app.app_context():
        conflict = db.session.scalar(db.select(SyncConflict))
        assert (conflict.server_data, conflict.payload["data"]["new_name"]) == ({"name": "A's"}, "B's")
        assert (conflict.base_version, conflict.server_version, conflict.resolution) == (1, 2, None)


def test_case17_an_older_status_after_done_does_not_go_back_and_is_flagged(phones, app):
    a, b = phones
    a.statuses([record(data={"name": "漏水", "key": "fix"})])
    offline = record("test_room_status", {"key": "fix", "status": "doing"})
    assert a.statuses([record("test_room_status", {"key": "fix", "status": "done"})]) == ["accepted"]
    assert b.statuses([offline]) == ["conflict"]
    assert _room(app).capacity == 2  # still done
    assert count(app, SyncConflict) == 1


def test_case18_two_phones_recording_the_same_room_both_kept(phones, app):
    a, b = phones
    assert a.statuses([record(data={"name": "scan", "key": "a1"})]) == ["accepted"]
    assert b.statuses([record(data={"name": "scan", "key": "b1"})]) == ["accepted"]
    assert room_names(app) == ["scan", "scan"]


def test_case19_change_to_an_object_deleted_on_the_server_is_a_conflict_and_pull_deletes_it(phones, app):
    a, _ = phones
    a.statuses([record(data={"name": "gone", "key": "g"})])
    room = _room(app)
    cursor = a.get("/api/v1/sync/pull").json()["cursor"]
    with app.app_context():
        db.session.delete(db.session.get(Room, room.id))
        db.session.commit()
    result = a.push([record("test_room_rename", {"room_id": room.id, "new_name": "x"}, base_version=1)]).json()
    assert result["results"][0]["status"] == "conflict"
    page = a.get(f"/api/v1/sync/pull?cursor={cursor}").json()
    assert {"type": "room", "id": str(room.id)} in page["deleted"]


def _conflict_page_and_id(console) -> tuple[str, int]:
    html = console.get("/admin/sync/conflicts").get_data(as_text=True)
    match = re.search(r"/admin/sync/conflicts/(\d+)/resolve", html)
    return html, int(match.group(1)) if match else 0


def _make_conflict(phones, new_name: str = "B's") -> None:
    a, b = phones
    a.statuses([record(data={"name": "教室", "key": "k"})])
    a.statuses([record("test_room_rename", {"key": "k", "new_name": "A's"}, base_version=1)])
    b.statuses([record("test_room_rename", {"key": "k", "new_name": new_name}, base_version=1)])


def test_console_take_the_phones_version(phones, console, app):
    _make_conflict(phones)
    html, conflict_id = _conflict_page_and_id(console)
    assert "A&#39;s" in html and "B&#39;s" in html
    resp = console.post(f"/admin/sync/conflicts/{conflict_id}/resolve",
                        data={"choice": "phone", "csrf_token": _csrf(html)})
    assert resp.status_code == 302
    assert room_names(app) == ["B's"]
    assert count(app, SyncRecord, SyncRecord.status == "conflict") == 0
    assert _conflict_page_and_id(console)[1] == 0  # no open conflict left


def test_console_keep_the_servers_version(phones, console, app):
    _make_conflict(phones)
    html, conflict_id = _conflict_page_and_id(console)
    console.post(f"/admin/sync/conflicts/{conflict_id}/resolve", data={"choice": "server", "csrf_token": _csrf(html)})
    assert room_names(app) == ["A's"]
    with app.app_context():
        assert db.session.scalar(db.select(SyncConflict.resolution)) == "server"


def test_console_resolve_needs_csrf_and_stays_in_the_school(phones, console, factory, live_server, app):
    _make_conflict(phones)
    _, conflict_id = _conflict_page_and_id(console)
    assert console.post(f"/admin/sync/conflicts/{conflict_id}/resolve", data={"choice": "phone"}).status_code == 400
    # a conflict of another school is not found from this console
    other = phone_for(factory, live_server, "s2", roles=("auditor", "inspector"))
    other.statuses([record(data={"name": "x", "key": "o"})])
    # Names no CSRF token or id on the page can contain by chance ("o2" once did).
    other.statuses([record("test_room_rename", {"key": "o", "new_name": "外校一改"}, base_version=1)])
    other.statuses([record("test_room_rename", {"key": "o", "new_name": "外校二改"}, base_version=1)])
    with app.app_context():
        foreign = db.session.scalar(db.select(SyncConflict.id).where(SyncConflict.site_id == other_site(app)))
    html = console.get("/admin/sync/conflicts").get_data(as_text=True)
    assert "外校二改" not in html
    console.post(f"/admin/sync/conflicts/{foreign}/resolve", data={"choice": "phone", "csrf_token": _csrf(html)})
    assert "外校一改" in room_names(app) and "外校二改" not in room_names(app)


def other_site(app) -> int:
    from server.models import Site
    with app.app_context():
        return db.session.scalar(db.select(Site.id).where(Site.code == "s2"))


def test_case33_script_in_what_phones_sent_is_escaped_in_the_console(phones, console):
    a, _ = phones
    script = "<script>alert(1)</script>"
    a.statuses([record(data={"name": "", "note": script}), record("x" * 5 + script)])
    _make_conflict(phones, new_name=script)
    for page in ("/admin/sync/quarantine", "/admin/sync/conflicts"):
        html = console.get(page).get_data(as_text=True)
        assert script not in html and "alert(1)" in html


def test_quarantine_lists_what_was_not_stored_with_its_reason(phones, console):
    a, _ = phones
    a.statuses([record(data={"name": "", "note": "留样不足"})])
    html = console.get("/admin/sync/quarantine").get_data(as_text=True)
    assert "留样不足" in html and "校验未通过" in html
    assert "留样不足" not in console.get("/admin/sync/quarantine?reason=uuid_reused").get_data(as_text=True)


def test_console_taking_a_phone_version_that_no_longer_applies_says_why(phones, console, app):
    _make_conflict(phones)
    html, conflict_id = _conflict_page_and_id(console)
    with app.app_context():
        db.session.execute(db.delete(Room))  # the object is gone meanwhile
        db.session.commit()
    resp = console.post(f"/admin/sync/conflicts/{conflict_id}/resolve",
                        data={"choice": "phone", "csrf_token": _csrf(html)}, follow_redirects=True)
    assert resp.status_code == 200 and "can no longer apply" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(SyncConflict.resolution)) is None
