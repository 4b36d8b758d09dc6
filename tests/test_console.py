"""The admin console: session login, CSRF, CSP, escaping and the language switch."""
from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def console(factory, client):
    site = factory.site("s1")
    factory.user(site, "boss", ["admin"])
    page = client.get("/admin/login").get_data(as_text=True)
    resp = client.post("/admin/login", data={"username": "boss", "password": PASSWORD, "csrf_token": _csrf(page)})
    assert resp.status_code == 302
    return client


def test_pages_need_a_login(client):
    resp = client.get("/admin/rooms")
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]


def test_login_without_csrf_token_is_refused(factory, client):
    factory.user(factory.site("s1"), "boss", ["admin"])
    resp = client.post("/admin/login", data={"username": "boss", "password": PASSWORD})
    assert resp.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_non_admin_cannot_log_in(factory, client):
    factory.user(factory.site("s1"), "zhang", ["inspector"])
    page = client.get("/admin/login").get_data(as_text=True)
    client.post("/admin/login", data={"username": "zhang", "password": PASSWORD, "csrf_token": _csrf(page)})
    assert client.get("/admin/").status_code == 302


def test_every_page_carries_a_csp_without_inline_script(console):
    resp = console.get("/admin/rooms")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in resp.get_data(as_text=True)


def test_room_names_are_escaped(console, admin_api, app):
    # the console user and this API admin are in the same school s1
    admin_api.post("/api/v1/rooms", json={"name": "<script>alert(1)</script>", "kind": "dorm"})
    html = console.get("/admin/rooms").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_chinese_first_with_an_english_switch(console):
    assert "场所" in console.get("/admin/rooms").get_data(as_text=True)
    console.get("/admin/lang/en")
    html = console.get("/admin/rooms").get_data(as_text=True)
    assert "Rooms" in html and "场所" not in html


def test_revoking_a_device_from_the_console(console, factory):
    phone = factory.api_user("s1", ("inspector",))
    page = console.get("/admin/devices").get_data(as_text=True)
    assert console.post(f"/admin/devices/{phone.device_id}/revoke").status_code == 400  # no CSRF token
    assert phone.get("/api/v1/rooms").status_code == 200
    resp = console.post(f"/admin/devices/{phone.device_id}/revoke", data={"csrf_token": _csrf(page)})
    assert resp.status_code == 302
    assert phone.get("/api/v1/rooms").status_code == 401


def test_admin_creates_and_edits_a_room_through_the_console(console, admin_api):
    page = console.get("/admin/rooms/new").get_data(as_text=True)
    token = _csrf(page)
    resp = console.post("/admin/rooms/new", data={"csrf_token": token, "name": "3-101", "kind": "dorm",
                                                   "floor": "1", "capacity": "8", "class_name": "高二(3)班"})
    assert resp.status_code == 302
    room = admin_api.get("/api/v1/rooms?q=3-101").get_json()["items"][0]
    assert (room["class_name"], room["capacity"], room["version"]) == ("高二(3)班", 8, 1)
    edit = console.get(f"/admin/rooms/{room['id']}/edit").get_data(as_text=True)
    assert 'value="高二(3)班"' in edit
    resp = console.post(f"/admin/rooms/{room['id']}/edit", data={
        "csrf_token": token, "version": "1", "name": "3-101", "kind": "dorm", "floor": "1", "capacity": "6"})
    assert resp.status_code == 302
    room = admin_api.get(f"/api/v1/rooms/{room['id']}").get_json()
    assert (room["capacity"], room["class_name"], room["version"]) == (6, None, 2)


def test_console_form_shows_field_errors_and_stale_versions(console, admin_api):
    token = _csrf(console.get("/admin/rooms/new").get_data(as_text=True))
    html = console.post("/admin/rooms/new", data={"csrf_token": token, "name": "", "kind": "dorm"}).get_data(
        as_text=True)
    assert "flash error" in html and admin_api.get("/api/v1/rooms").get_json()["total"] == 0
    room = admin_api.post("/api/v1/rooms", json={"name": "A", "kind": "office"}).get_json()
    admin_api.patch(f"/api/v1/rooms/{room['id']}", json={"version": 1, "name": "B"})
    html = console.post(f"/admin/rooms/{room['id']}/edit", data={
        "csrf_token": token, "version": "1", "name": "C", "kind": "office"}).get_data(as_text=True)
    assert "reload" in html
    assert admin_api.get(f"/api/v1/rooms/{room['id']}").get_json()["name"] == "B"


def test_console_creates_a_user_with_roles(console, client):
    token = _csrf(console.get("/admin/users/new").get_data(as_text=True))
    console.post("/admin/users/new", data={"csrf_token": token, "username": "sun", "display_name": "孙师傅",
                                           "roles": ["fixer", "inspector"], "active": "on",
                                           "password": "long-enough-1"})
    resp = client.post("/api/v1/auth/login", json={"username": "sun", "password": "long-enough-1",
                                                   "device_name": "p"})
    assert resp.get_json()["user"]["roles"] == ["inspector", "fixer"]


def test_the_console_login_is_no_key_to_the_api(console):
    """The API answers bearer tokens only: a logged-in console's cookie neither opens it nor is renewed by it."""
    resp = console.get("/api/v1/auth/me")
    assert resp.status_code == 401
    assert "Set-Cookie" not in resp.headers
    assert console.get("/admin/").status_code == 200


@pytest.mark.parametrize("page", ["rooms", "assets", "users", "buildings"])
def test_a_search_holding_a_nul_character_is_refused_not_a_crash(console, page):
    # PostgreSQL's text cannot hold NUL: the search's query failed and the page was a 500.
    resp = console.get(f"/admin/{page}", query_string={"q": "10\u00001"})
    assert resp.status_code == 400 and "NUL" in resp.get_data(as_text=True)
    assert console.get(f"/admin/{page}", query_string={"q": "101"}).status_code == 200


def test_an_id_beyond_the_databases_range_is_not_found(console):
    # PostgreSQL refused the query (a 500 page); no row has such an id.
    assert console.get(f"/admin/rooms/{2 ** 31}/edit").status_code == 404
    assert console.get(f"/admin/actions/{10 ** 20}").status_code == 404


@pytest.mark.parametrize("query", [{"page": 10 ** 30}, {"building_id": 10 ** 30}, {"floor": 2 ** 40},
                                   {"building_id": "1_0"}, {"page": "x", "floor": "-2"}])
def test_a_list_page_takes_any_number_in_its_url(console, query):
    # A page or filter beyond the database's integers failed the page's query (a 500 page).
    assert console.get("/admin/rooms", query_string=query).status_code == 200


def test_rooms_filtered_by_building_and_floor(console, admin_api):
    # On PostgreSQL the filters went to the query as text, which no integer column compares with: a 500 page.
    building = admin_api.post("/api/v1/buildings", json={"name": "北楼", "kind": "dorm", "floors": 3}).get_json()
    admin_api.post("/api/v1/rooms", json={"name": "北101", "kind": "dorm", "building_id": building["id"], "floor": 1})
    admin_api.post("/api/v1/rooms", json={"name": "南202", "kind": "dorm", "floor": 2})
    by_building = console.get("/admin/rooms", query_string={"building_id": building["id"]}).get_data(as_text=True)
    by_floor = console.get("/admin/rooms", query_string={"floor": 2}).get_data(as_text=True)
    assert "北101" in by_building and "南202" not in by_building
    assert "南202" in by_floor and "北101" not in by_floor
    assert f'<option value="{building["id"]}" selected>' in by_building


CONSOLE_QUERY_NAMES = ("page", "q", "building_id", "floor", "kind", "category", "status", "room_id", "assignee_id",
                       "overdue", "day", "first", "last", "stale_days", "room_kind", "reason", "all", "target",
                       "ids", "layout", "format", "table")


@pytest.mark.parametrize("value", ["1" * 30, str(2 ** 40), "-" + "9" * 20, "x", "9999-12-31", "1_0"])
def test_no_console_page_fails_on_what_its_url_holds(console, app, value):
    # A page or filter beyond the database's integers failed the page's query, a 500 page on both engines
    # (SQLite's driver refuses integers beyond 64 bits, PostgreSQL beyond its own).
    pages = sorted(rule.rule for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/admin") and "GET" in rule.methods and not rule.arguments
                   and rule.endpoint not in ("console.logout", "console.login"))
    failed = {page: console.get(page, query_string=dict.fromkeys(CONSOLE_QUERY_NAMES, value)).status_code
              for page in pages}
    assert len(pages) > 15 and {page: status for page, status in failed.items() if status >= 500} == {}
