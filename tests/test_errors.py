"""Every error of the API is the contract's JSON, with the right status, never HTML."""
from __future__ import annotations

import pytest

from server import create_app
from server.extensions import db


def assert_error(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_malformed_json_is_400(admin_api):
    resp = admin_api.post("/api/v1/buildings", data='{"name": "A"', content_type="application/json")
    assert_error(resp, 400, "bad_request")


def test_missing_token_is_401(client):
    assert_error(client.get("/api/v1/rooms"), 401, "unauthorized")


def test_wrong_role_is_403(factory):
    inspector = factory.api_user("s1", ("inspector",))
    assert_error(inspector.post("/api/v1/buildings", json={"name": "A"}), 403, "forbidden")


def test_unknown_path_is_404_json(client):
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_405_json(client):
    assert_error(client.delete("/api/v1/auth/login"), 405, "method_not_allowed")


def test_stale_version_is_409(admin_api):
    room = admin_api.post("/api/v1/rooms", json={"name": "101", "kind": "dorm"}).get_json()
    assert admin_api.patch(f"/api/v1/rooms/{room['id']}", json={"version": 1, "name": "102"}).status_code == 200
    error = assert_error(admin_api.patch(f"/api/v1/rooms/{room['id']}", json={"version": 1, "name": "103"}),
                         409, "version_conflict")
    assert error["details"]["current_version"] == 2
    assert admin_api.get(f"/api/v1/rooms/{room['id']}").get_json()["name"] == "102"


def test_body_over_limit_is_413_with_limit(app, admin_api):
    limit = app.config["MAX_CONTENT_LENGTH"]
    resp = admin_api.post("/api/v1/buildings", data=b"x" * (limit + 1), content_type="application/json")
    assert assert_error(resp, 413, "too_large")["details"]["max_bytes"] == limit


def test_non_json_body_is_415(admin_api):
    resp = admin_api.post("/api/v1/buildings", data="name=A", content_type="application/x-www-form-urlencoded")
    assert_error(resp, 415, "unsupported_media_type")


def test_invalid_fields_are_422_with_field_errors(admin_api):
    resp = admin_api.post("/api/v1/rooms", json={"name": "", "kind": "spaceship", "surprise": 1})
    fields = assert_error(resp, 422, "validation_failed")["details"]["fields"]
    assert {"name", "kind", "surprise"} <= set(fields)


def test_too_many_wrong_passwords_is_429(factory, client):
    site = factory.site("s1")
    factory.user(site, "guard", ["inspector"])
    for _ in range(10):
        assert client.post("/api/v1/auth/login", json={
            "username": "guard", "password": "wrong-password", "device_name": "p"}).status_code == 401
    resp = client.post("/api/v1/auth/login", json={
        "username": "guard", "password": "wrong-password", "device_name": "p"})
    assert_error(resp, 429, "rate_limited")


@pytest.fixture
def crashing_app(database_url):
    app = create_app({"TESTING": False, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"})

    @app.get("/api/v1/_crash")
    def crash():
        raise RuntimeError("secret internals")

    yield app
    with app.app_context():
        db.engine.dispose()


def test_unexpected_error_is_500_without_traceback(crashing_app):
    resp = crashing_app.test_client().get("/api/v1/_crash")
    error = assert_error(resp, 500, "internal_error")
    assert "secret internals" not in resp.get_data(as_text=True)
    assert "Traceback" not in error["message"]


def test_text_that_is_not_unicode_is_422_not_a_crash(admin_api):
    resp = admin_api.post("/api/v1/buildings", data='{"name": "A\\ud800"}', content_type="application/json")
    assert "Unicode" in assert_error(resp, 422, "not_unicode")["message"]
    assert admin_api.get("/api/v1/buildings").get_json()["items"] == []


@pytest.mark.parametrize("number", ["NaN", "-Infinity", "1e400", "9" * 5000])
def test_a_number_json_cannot_carry_is_a_field_error_not_a_crash(admin_api, number):
    # Python's json module reads these (or, for 5,000 digits, raises); PostgreSQL's json refuses them.
    body = f'{{"name": "101", "kind": "dorm", "capacity": {number}, "floor": 3}}'
    resp = admin_api.post("/api/v1/rooms", data=body, content_type="application/json")
    assert set(assert_error(resp, 422, "validation_failed")["details"]["fields"]) == {"capacity"}
    assert admin_api.get("/api/v1/rooms").get_json()["items"] == []


@pytest.mark.parametrize("call", [
    ("get", "/api/v1/rooms?building_id=1000000000000000000000000000", None),
    ("post", "/api/v1/rooms", {"name": "101", "kind": "dorm", "building_id": 10 ** 30}),
])
def test_a_number_beyond_the_databases_range_is_a_field_error(admin_api, call):
    # It reached the query: 422 unstorable_value on both engines, naming no field (and on SQLite a
    # number below 2^63 but beyond PostgreSQL's integers found nothing instead).
    method, path, body = call
    resp = getattr(admin_api, method)(path, **({"json": body} if body is not None else {}))
    fields = assert_error(resp, 422, "validation_failed")["details"]["fields"]
    assert fields == {"building_id": ["an id from 1 to 2147483647"]}


@pytest.mark.parametrize("room_id", [2 ** 31, 10 ** 27])
def test_an_id_beyond_the_databases_range_in_a_url_is_not_found(admin_api, room_id):
    # On PostgreSQL the query failed (422 unstorable_value; the console's page was a 500); SQLite found nothing.
    assert_error(admin_api.get(f"/api/v1/rooms/{room_id}"), 404, "not_found")
    assert_error(admin_api.delete(f"/api/v1/rooms/{room_id}"), 404, "not_found")


NUL_MESSAGE = "must not contain a NUL character (\\u0000)"


def test_a_nul_character_is_a_field_error_and_nothing_is_stored(admin_api):
    # PostgreSQL's text cannot hold it (422 unstorable_value there); SQLite stored it as sent.
    resp = admin_api.post("/api/v1/rooms", json={"name": "101\u0000", "kind": "dorm", "note": "ok"})
    assert assert_error(resp, 422, "validation_failed")["details"]["fields"] == {"name": [NUL_MESSAGE]}
    resp = admin_api.post("/api/v1/stocktakes", json={"name": "秋季盘点", "categories": ["desk", "ch\u0000air"]})
    assert assert_error(resp, 422, "validation_failed")["details"]["fields"] == {"categories": {"1": [NUL_MESSAGE]}}
    assert admin_api.get("/api/v1/rooms").get_json()["items"] == []
    assert admin_api.get("/api/v1/stocktakes").get_json() == []


def test_a_nul_character_in_a_query_is_a_field_error(admin_api):
    resp = admin_api.get("/api/v1/rooms", query_string={"q": "10\u00001"})
    assert assert_error(resp, 422, "validation_failed")["details"]["fields"] == {"q": [NUL_MESSAGE]}


@pytest.mark.parametrize("path", ["/api/v1/reports/weekly-ranking?day=9999-12-31",
                                  "/api/v1/reports/canteen?last=0001-01-01",
                                  "/api/v1/reports/coverage?first=9999-12-31&last=9999-12-31"])
def test_a_report_day_out_of_any_schools_years_is_a_field_error(admin_api, path):
    # The week or period around such a day is beyond Python's dates: it was 422 "out of what the
    # database can store", which names no field.
    fields = assert_error(admin_api.get(path), 422, "validation_failed")["details"]["fields"]
    assert set(fields) <= {"day", "first", "last"} and fields


def test_a_stocktake_scope_naming_an_id_beyond_the_databases_range_is_a_field_error(admin_api):
    resp = admin_api.post("/api/v1/stocktakes", json={"name": "秋季盘点", "building_ids": [2 ** 40]})
    assert set(assert_error(resp, 422, "validation_failed")["details"]["fields"]) == {"building_ids"}
