"""Login, bearer tokens bound to devices, logout and revocation."""
from __future__ import annotations

from server.extensions import db
from server.models import Device, User
from tests.conftest import PASSWORD


def test_login_answers_the_contract_shape(factory, client):
    site = factory.site("s1")
    factory.user(site, "zhang", ["inspector", "fixer"])
    resp = client.post("/api/v1/auth/login", json={"username": "zhang", "password": PASSWORD,
                                                   "device_name": "红米 Note"})
    body = resp.get_json()
    assert resp.status_code == 200
    assert set(body) >= {"token", "device_id", "user"}
    assert set(body["user"]) >= {"id", "username", "display_name", "roles", "site_id"}
    assert body["user"]["roles"] == ["inspector", "fixer"]
    assert body["user"]["site_id"] == site


def test_wrong_password_is_refused(factory, client):
    factory.user(factory.site("s1"), "zhang", ["inspector"])
    resp = client.post("/api/v1/auth/login", json={"username": "zhang", "password": "nope-nope",
                                                   "device_name": "p"})
    assert resp.status_code == 401


def test_tokens_and_passwords_are_stored_hashed(app, factory):
    api = factory.api_user("s1", ("inspector",), username="li")
    with app.app_context():
        device = db.session.get(Device, api.device_id)
        user = db.session.get(User, api.user_id)
        assert api.token not in device.token_hash
        assert PASSWORD not in user.password_hash
        assert user.password_hash.startswith("pbkdf2:") or user.password_hash.startswith("scrypt:")


def test_production_default_password_hash_is_scrypt(tmp_path, monkeypatch):
    from server.config import load_config
    monkeypatch.delenv("PASSWORD_HASH_METHOD", raising=False)
    assert load_config(tmp_path)["PASSWORD_HASH_METHOD"] == "scrypt"


def test_logout_revokes_the_token(factory):
    api = factory.api_user("s1", ("inspector",))
    assert api.get("/api/v1/auth/me").status_code == 200
    assert api.post("/api/v1/auth/logout").status_code == 204
    assert api.get("/api/v1/auth/me").status_code == 401
    assert api.get("/api/v1/sync/pull").status_code == 401


def test_admin_revokes_a_device_of_their_school(factory):
    admin = factory.api_user("s1", ("admin",))
    phone = factory.api_user("s1", ("inspector",))
    listed = admin.get("/api/v1/devices?revoked=false").get_json()["items"]
    assert phone.device_id in [d["id"] for d in listed]
    assert admin.post(f"/api/v1/devices/{phone.device_id}/revoke").status_code == 200
    assert phone.get("/api/v1/rooms").status_code == 401
    assert admin.get("/api/v1/rooms").status_code == 200


def test_deactivated_user_loses_every_token(factory):
    admin = factory.api_user("s1", ("admin",))
    phone1 = factory.api_user("s1", ("inspector",), username="wang")
    phone2 = factory.login("wang", "second phone")
    admin.patch(f"/api/v1/users/{phone1.user_id}", json={"active": False})
    assert phone1.get("/api/v1/rooms").status_code == 401
    assert phone2.get("/api/v1/rooms").status_code == 401


def test_forged_and_query_string_tokens_are_refused(factory, client):
    api = factory.api_user("s1", ("inspector",))
    assert client.get("/api/v1/rooms", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert client.get(f"/api/v1/rooms?access_token={api.token}").status_code == 401
    assert client.get("/api/v1/rooms", headers={"Authorization": api.token}).status_code == 401


def test_a_pull_marks_the_device_as_seen(app, factory):
    admin = factory.api_user("s1", ("admin",))
    phone = factory.api_user("s1", ("inspector",))
    with app.app_context():
        device = db.session.get(Device, phone.device_id)
        device.last_seen_at = None
        db.session.commit()
    assert phone.get("/api/v1/sync/pull").status_code == 200
    devices = admin.get("/api/v1/devices").get_json()["items"]
    assert next(d for d in devices if d["id"] == phone.device_id)["last_seen_at"] is not None
