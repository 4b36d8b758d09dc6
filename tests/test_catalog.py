"""Admin CRUD of the school's catalogue: filters, pages, versions and deletions."""
from __future__ import annotations


def _room(api, name, **extra):
    resp = api.post("/api/v1/rooms", json={"name": name, "kind": "dorm", **extra})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_rooms_filter_search_and_paginate(admin_api):
    building = admin_api.post("/api/v1/buildings", json={"name": "1号楼", "floors": 5}).get_json()
    for floor in (1, 2):
        for n in range(1, 4):
            _room(admin_api, f"1-{floor}0{n}", building_id=building["id"], floor=floor, class_name=f"高一({n})班")
    _room(admin_api, "食堂留样间", kind="canteen_zone")
    assert admin_api.get("/api/v1/rooms?kind=canteen_zone").get_json()["total"] == 1
    assert admin_api.get(f"/api/v1/rooms?building_id={building['id']}&floor=2").get_json()["total"] == 3
    assert admin_api.get("/api/v1/rooms?q=高一(2)").get_json()["total"] == 2
    page = admin_api.get("/api/v1/rooms?per_page=4&page=2").get_json()
    assert (page["total"], len(page["items"]), page["page"]) == (7, 3, 2)


def test_update_bumps_version_and_needs_the_one_read(admin_api):
    room = _room(admin_api, "101")
    assert admin_api.patch(f"/api/v1/rooms/{room['id']}", json={"name": "102"}).status_code == 422
    changed = admin_api.patch(f"/api/v1/rooms/{room['id']}", json={"version": 1, "capacity": 6}).get_json()
    assert (changed["version"], changed["capacity"], changed["name"]) == (2, 6, "101")


def test_asset_tag_is_unique_within_the_school(admin_api, factory):
    body = {"tag": "ZC-0001", "name": "台式电脑", "category": "电脑", "unit_price": "4600.00"}
    assert admin_api.post("/api/v1/assets", json=body).status_code == 201
    assert admin_api.post("/api/v1/assets", json=body).status_code == 422
    other = factory.api_user("s2", ("admin",))
    assert other.post("/api/v1/assets", json=body).status_code == 201


def test_delete_leaves_a_tombstone_and_refuses_while_in_use(admin_api):
    building = admin_api.post("/api/v1/buildings", json={"name": "2号楼"}).get_json()
    room = _room(admin_api, "201", building_id=building["id"])
    cursor = admin_api.get("/api/v1/sync/pull").get_json()["cursor"]
    resp = admin_api.delete(f"/api/v1/buildings/{building['id']}")
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "in_use"
    assert admin_api.delete(f"/api/v1/rooms/{room['id']}").status_code == 204
    assert admin_api.get(f"/api/v1/rooms/{room['id']}").status_code == 404
    pulled = admin_api.get(f"/api/v1/sync/pull?cursor={cursor}").get_json()
    assert pulled["deleted"] == [{"type": "room", "id": str(room["id"])}]


def test_users_are_created_with_roles_and_never_show_a_password(admin_api):
    resp = admin_api.post("/api/v1/users", json={"username": "sun", "display_name": "孙师傅",
                                                 "roles": ["fixer"], "password": "long-enough-1"})
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["roles"] == ["fixer"] and "password" not in body and "password_hash" not in body
    assert admin_api.get("/api/v1/users?q=孙").get_json()["total"] == 1


def test_admin_cannot_remove_their_own_admin_role(admin_api):
    resp = admin_api.patch(f"/api/v1/users/{admin_api.user_id}", json={"roles": ["inspector"]})
    assert resp.status_code == 422
