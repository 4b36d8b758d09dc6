"""The pull feed over the catalogue: cursors, pages, tombstones, moves between schools."""
from __future__ import annotations

import pytest
from sqlalchemy import delete

from server.extensions import db
from server.models import Base, Building, Room, Site
from sync import feed


def _pull_all(api, cursor=None, limit=500):
    changes, deleted = [], []
    while True:
        url = f"/api/v1/sync/pull?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(url).get_json()
        changes += page["changes"]
        deleted += page["deleted"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes, deleted, cursor


def test_paged_pull_yields_each_object_once_at_its_latest_version(admin_api):
    rooms = [admin_api.post("/api/v1/rooms", json={"name": f"R{i}", "kind": "dorm"}).get_json() for i in range(7)]
    admin_api.patch(f"/api/v1/rooms/{rooms[0]['id']}", json={"version": 1, "name": "R0 renamed"})
    changes, deleted, _ = _pull_all(admin_api, limit=3)
    assert sorted(c["id"] for c in changes) == sorted(str(r["id"]) for r in rooms)
    first = next(c for c in changes if c["id"] == str(rooms[0]["id"]))
    assert (first["version"], first["data"]["name"]) == (2, "R0 renamed")
    assert deleted == []


def test_cursor_continues_with_only_what_changed(admin_api):
    room = admin_api.post("/api/v1/rooms", json={"name": "A", "kind": "dorm"}).get_json()
    other = admin_api.post("/api/v1/rooms", json={"name": "B", "kind": "dorm"}).get_json()
    _, _, cursor = _pull_all(admin_api)
    assert _pull_all(admin_api, cursor)[0] == []
    admin_api.patch(f"/api/v1/rooms/{room['id']}", json={"version": 1, "name": "A2"})
    admin_api.delete(f"/api/v1/rooms/{other['id']}")
    changes, deleted, _ = _pull_all(admin_api, cursor)
    assert [c["data"]["name"] for c in changes] == ["A2"]
    assert deleted == [{"type": "room", "id": str(other["id"])}]


def test_garbage_cursor_is_400_and_forgotten_cursor_is_410(app, admin_api):
    assert admin_api.get("/api/v1/sync/pull?cursor=%27%3B--").status_code == 400
    room = admin_api.post("/api/v1/rooms", json={"name": "A", "kind": "dorm"}).get_json()
    _, _, old_cursor = _pull_all(admin_api)
    admin_api.delete(f"/api/v1/rooms/{room['id']}")
    _, _, new_cursor = _pull_all(admin_api, old_cursor)
    with app.app_context():
        feed.forget_tombstones(db.session, admin_api.site_id, feed.decode_cursor(new_cursor, admin_api.site_id))
        db.session.commit()
    resp = admin_api.get(f"/api/v1/sync/pull?cursor={old_cursor}")
    assert resp.status_code == 410 and resp.get_json()["error"]["code"] == "reset_required"
    assert admin_api.get(f"/api/v1/sync/pull?cursor={new_cursor}").status_code == 200


def test_room_moved_to_another_school_is_deleted_from_the_old_phones(app, factory):
    a = factory.api_user("a", ("admin",))
    b = factory.api_user("b", ("admin",))
    room = a.post("/api/v1/rooms", json={"name": "移交", "kind": "office"}).get_json()
    _, _, cursor = _pull_all(a)
    with app.app_context():
        obj = db.session.get(Room, room["id"])
        obj.site_id = b.site_id
        db.session.commit()
    changes, deleted, _ = _pull_all(a, cursor)
    assert changes == [] and deleted == [{"type": "room", "id": str(room["id"])}]
    assert [c["data"]["name"] for c in _pull_all(b)[0]] == ["移交"]


def test_a_phone_installed_later_gets_each_object_as_it_is_now(admin_api):
    # The second first pull is served from what the first one dumped (sync.feed.DumpCache), except
    # what changed in between.
    rooms = [admin_api.post("/api/v1/rooms", json={"name": f"R{i}", "kind": "dorm"}).get_json() for i in range(3)]
    first, _, _ = _pull_all(admin_api)
    admin_api.patch(f"/api/v1/rooms/{rooms[1]['id']}", json={"version": 1, "name": "R1 改"})
    later, _, _ = _pull_all(admin_api)
    assert [(c["version"], c["data"]["name"]) for c in later] == [(1, "R0"), (1, "R2"), (2, "R1 改")]
    assert later[0] == first[0]


def _school_with_one_room(name: str) -> None:
    db.session.add(Site(id=7, code="s7", name="学校"))
    db.session.commit()
    db.session.add(Building(id=7, site_id=7, name="1号楼", kind="dorm", floors=1))
    db.session.add(Room(id=7, site_id=7, building_id=7, name=name, kind="dorm", floor=1))
    db.session.commit()


def _room_names(site_id: int) -> list[str]:
    page = feed.pull(db.session, site_id, lambda: None, None, 500)
    return [c["data"]["name"] for c in page.changes if c["type"] == "room"]


def test_a_database_emptied_under_a_running_server_does_not_get_the_old_ones_objects(app):
    with app.app_context():
        _school_with_one_room("旧楼 101")
        assert _room_names(7) == ["旧楼 101"]
        for table in reversed(Base.metadata.sorted_tables):
            db.session.execute(delete(table))
        db.session.commit()
        _school_with_one_room("新楼 101")  # the same ids and versions, other data
        assert _room_names(7) == ["新楼 101"]



def test_a_type_kept_per_version_may_not_look_at_the_viewer():
    # Kept versions are shown to every phone alike (sync.feed.DumpCache); a fixer's own fixes or an
    # auditor's stocktakes depend on who pulls, and such a type fails loudly if marked so.
    class Mine:
        assignee_id = 3

        def visible_to(self, viewer):
            return self.assignee_id == viewer.id

    with pytest.raises(TypeError, match="reads the viewer"):
        Mine().visible_to(feed.ANY_VIEWER)
