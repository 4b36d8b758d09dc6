"""A user of school A can never read or write school B: checked on every API route with an id."""
from __future__ import annotations

import re

import pytest

B_SECRET = "乙校机密"


@pytest.fixture
def two_schools(factory):
    """School B is made first, so its ids are ones A's own rows never have."""
    b = factory.api_user("b", ("admin",))
    building = b.post("/api/v1/buildings", json={"name": B_SECRET}).get_json()
    room = b.post("/api/v1/rooms", json={"name": B_SECRET, "kind": "dorm", "building_id": building["id"]}).get_json()
    asset = b.post("/api/v1/assets", json={"tag": "B-1", "name": B_SECRET, "category": "电脑",
                                           "room_id": room["id"]}).get_json()
    ids = {"building": building["id"], "room": room["id"], "asset": asset["id"],
           "user": b.user_id, "device": b.device_id}
    roles = ("admin", "inspector", "auditor", "fixer")
    a = factory.api_user("a", roles)
    # On PostgreSQL each table has its own sequence, left where earlier tests of the run put it, so
    # A's user or device id can equal one of B's building/room/asset ids: then school A is made again
    # (a school of its own each time, so A still sees one user) until its ids are none of B's.
    for n in range(1, 50):
        if a.user_id not in ids.values() and a.device_id not in ids.values():
            break
        a = factory.api_user(f"a{n}", roles)
    return a, b, ids


def _id_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and "<int:" in rule.rule:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.rule, method


def test_every_id_route_refuses_the_other_school(app, two_schools):
    a, b, ids = two_schools
    routes = list(_id_routes(app))
    assert len(routes) >= 10  # the catalogue alone has 4 resources x 3 methods, plus devices
    everything_b_has = set(ids.values())
    assert a.user_id not in everything_b_has and a.device_id not in everything_b_has
    for rule, method in routes:
        for other_id in everything_b_has:
            path = re.sub(r"<int:\w+>", str(other_id), rule)
            resp = getattr(a, method.lower())(path, json={})
            # 422 only where a route validates its (empty) body before looking the id up
            assert resp.status_code in (403, 404, 422), (method, path, resp.status_code)
            assert B_SECRET not in resp.get_data(as_text=True), (method, path)
    for kind in ("buildings", "rooms", "assets"):
        resp = a.patch(f"/api/v1/{kind}/{ids[kind[:-1]]}", json={"version": 1, "name": "hijacked"})
        assert resp.status_code == 404
    assert a.patch(f"/api/v1/users/{ids['user']}", json={"display_name": "hijacked"}).status_code == 404
    # and nothing of B changed
    assert b.get(f"/api/v1/rooms/{ids['room']}").get_json()["name"] == B_SECRET
    assert b.get("/api/v1/devices?revoked=true").get_json()["total"] == 0


def test_lists_and_pull_show_only_the_callers_school(two_schools):
    a, _b, _ = two_schools
    for path in ("/api/v1/buildings", "/api/v1/rooms", "/api/v1/assets", "/api/v1/users", "/api/v1/devices",
                 "/api/v1/rooms?q=" + B_SECRET):
        resp = a.get(path)
        assert resp.status_code == 200
        assert B_SECRET not in resp.get_data(as_text=True), path
    assert a.get("/api/v1/users").get_json()["total"] == 1
    pulled = a.get("/api/v1/sync/pull").get_json()
    assert pulled["changes"] == []


def test_references_into_the_other_school_are_refused(two_schools):
    a, _, ids = two_schools
    resp = a.post("/api/v1/rooms", json={"name": "x", "kind": "dorm", "building_id": ids["building"]})
    assert resp.status_code == 422
    assert "building_id" in resp.get_json()["error"]["details"]["fields"]
    resp = a.post("/api/v1/assets", json={"tag": "A-1", "name": "x", "category": "电脑", "room_id": ids["room"]})
    assert resp.status_code == 422
    assert a.get("/api/v1/assets").get_json()["total"] == 0


def test_site_in_a_body_is_ignored(two_schools):
    a, b, _ = two_schools
    resp = a.post("/api/v1/buildings", json={"name": "mine", "site_id": b.site_id})
    assert resp.status_code == 422  # unknown field, not a way to write into B
    assert "mine" not in b.get("/api/v1/buildings").get_data(as_text=True)


def test_cursor_of_another_school_is_refused(two_schools):
    a, b, _ = two_schools
    b_cursor = b.get("/api/v1/sync/pull").get_json()["cursor"]
    assert a.get(f"/api/v1/sync/pull?cursor={b_cursor}").status_code == 400
