"""Network faults and token abuse around push, over real sockets (fault-cases.md 5, 6, 29-31)."""
from __future__ import annotations

import socket
import threading
import uuid as uuid_lib

import pytest
import requests
from werkzeug.serving import make_server

from server.models import Room, SyncBatch, SyncRecord
from sync.client import AuthRequired, Backoff, Outbox, SyncClient
from tests.conftest import PASSWORD
from tests.sync_kit import count, phone_for, record, register_test_handlers, room_names, send_cut_short

register_test_handlers()


class DieAfterCommit:
    """WSGI middleware: while armed, a push runs to the end (committed) and then the connection is
    dropped without an answer, as if the server was killed between commit and reply."""

    def __init__(self, app):
        self.app, self.armed = app, 0

    def __call__(self, environ, start_response):
        if not (self.armed and environ["PATH_INFO"] == "/api/v1/sync/push"):
            return self.app(environ, start_response)
        self.armed -= 1
        body = b"".join(self.app(environ, lambda *args, **kwargs: None))
        assert body  # the request was handled and committed
        environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
        return []


@pytest.fixture
def dying(app):
    wrapper = DieAfterCommit(app)
    server = make_server("127.0.0.1", 0, wrapper, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield wrapper, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def test_case6_killed_after_commit_the_retry_answers_from_what_was_committed(factory, dying, app):
    wrapper, base_url = dying
    phone = phone_for(factory, base_url)
    records = [record(data={"name": "A"}), record(data={"name": "B"})]
    batch_id = str(uuid_lib.uuid4())
    wrapper.armed = 1
    with pytest.raises(requests.ConnectionError):
        phone.push(records, batch_id)
    assert room_names(app) == ["A", "B"]  # it was committed
    assert [r["status"] for r in phone.push(records, batch_id).json()["results"]] == ["accepted", "accepted"]
    # a phone that lost track of the batch and sends the records in a new one
    assert phone.statuses(records) == ["duplicate", "duplicate"]
    assert count(app, Room) == 2 and count(app, SyncRecord) == 2


def test_case6_the_client_resends_the_same_batch_and_lands_once(factory, dying, app, tmp_path):
    wrapper, base_url = dying
    api = factory.api_user("s1", ("inspector",), username="li")
    client = SyncClient(base_url, Outbox(tmp_path / "outbox.sqlite3"), backoff=Backoff(attempts=3),
                        sleep=lambda s: None)
    client.login("li", PASSWORD, "phone")
    for name in ("A", "B", "C"):
        client.outbox.add("test_room", {"name": name})
    wrapper.armed = 1
    assert client.push() == {"stored": 3}
    assert room_names(app) == ["A", "B", "C"] and count(app, SyncBatch) == 1
    assert api.token != client.token


def test_case5_connection_dropped_mid_body_stores_nothing_and_a_retry_succeeds(factory, live_server, app):
    phone = phone_for(factory, live_server)
    records = [record(data={"name": f"R{i}"}) for i in range(20)]
    body = requests.models.complexjson.dumps({"batch_id": str(uuid_lib.uuid4()), "records": records}).encode()
    answer = send_cut_short(live_server, phone.token, "POST", "/api/v1/sync/push", "application/json", len(body),
                            body[: len(body) // 2])
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400")
    assert count(app, SyncRecord) == 0 and count(app, SyncBatch) == 0 and count(app, Room) == 0
    assert phone.statuses(records) == ["accepted"] * 20


def test_case29_revoked_device_client_relogs_and_the_outbox_lands_once(factory, live_server, app, tmp_path):
    factory.user(factory.site("s1"), "wang", ["inspector"])
    client = SyncClient(live_server, Outbox(tmp_path / "o.sqlite3"), sleep=lambda s: None)
    client.login("wang", PASSWORD, "phone")
    client.outbox.add("test_room", {"name": "A"})
    client.push()
    client.outbox.add("test_room", {"name": "B"})
    requests.post(f"{live_server}/api/v1/auth/logout", headers={"Authorization": f"Bearer {client.token}"},
                  timeout=30)
    with pytest.raises(AuthRequired):
        client.push()
    client.login("wang", PASSWORD, "phone")
    assert client.push() == {"stored": 2}
    assert room_names(app) == ["A", "B"]


def test_case30_deactivated_user_every_token_gets_401(factory, live_server, app):
    first = factory.api_user("s1", ("inspector",), username="zhao")
    second = factory.login("zhao", "second phone")
    admin = factory.api_user("s1", ("admin",))
    admin.patch(f"/api/v1/users/{first.user_id}", json={"active": False})
    for api in (first, second):
        resp = requests.post(f"{live_server}/api/v1/sync/push", headers={"Authorization": f"Bearer {api.token}"},
                             json={"batch_id": str(uuid_lib.uuid4()), "records": [record()]}, timeout=30)
        assert resp.status_code == 401 and resp.json()["error"]["code"]
    assert count(app, SyncRecord) == 0


@pytest.mark.parametrize("how", ["missing", "forged", "query"])
def test_case31_missing_forged_or_query_string_token_is_401(factory, live_server, app, how):
    phone = phone_for(factory, live_server)
    body = {"batch_id": str(uuid_lib.uuid4()), "records": [record()]}
    url, headers = f"{live_server}/api/v1/sync/push", {}
    if how == "forged":
        headers["Authorization"] = "Bearer " + phone.token[:-2] + "xx"
    if how == "query":
        url += f"?access_token={phone.token}&token={phone.token}"
    resp = requests.post(url, json=body, headers=headers, timeout=30)
    assert resp.status_code == 401 and "error" in resp.json()
    assert count(app, SyncRecord) == 0


def test_case31_tokens_are_stored_hashed_and_never_logged(factory, live_server, app, caplog):
    phone = phone_for(factory, live_server)
    phone.push([record()])
    from server.extensions import db
    from server.models import Device
    with app.app_context():
        stored = db.session.scalars(db.select(Device.token_hash)).all()
    assert phone.token not in stored
    assert phone.token not in caplog.text
