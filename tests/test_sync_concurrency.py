"""Two pushes of the same batch or the same records at the same moment: one stores, the other answers
from what the first committed (on PostgreSQL the second waits on the unique index; on SQLite on the
write lock)."""
from __future__ import annotations

import threading
import uuid as uuid_lib

import pytest

from server.db import scope_session
from server.extensions import db
from server.models import Device, Room, SyncBatch, SyncRecord
from sync import push
from tests.sync_kit import count, phone_for, record, register_test_handlers, room_names

register_test_handlers()


@pytest.mark.parametrize("same_batch", [True, False])
def test_a_twin_push_waits_and_answers_from_the_first(factory, live_server, app, same_batch):
    phone = phone_for(factory, live_server)
    records = [record(data={"name": f"R{i}"}) for i in range(5)]
    batch_id = str(uuid_lib.uuid4())
    answers = {}
    with app.app_context():
        device = db.session.get(Device, phone.device_id)
        scope_session(db.session, device.site_id)
        caller = push.Caller(device.site_id, device.user_id, device.id, frozenset(device.user.roles))
        answers["first"] = push.push(db.session, caller, batch_id, push.read_batch(records, caller.roles))
        twin = threading.Thread(target=lambda: answers.update(
            twin=phone.push(records, batch_id if same_batch else None).json()))
        twin.start()
        twin.join(timeout=1.0)  # give it time to reach the lock it must wait on
        db.session.commit()
    twin.join()
    expected = ["accepted"] * 5 if same_batch else ["duplicate"] * 5
    assert [r["status"] for r in answers["twin"]["results"]] == expected
    if same_batch:
        assert answers["twin"] == answers["first"]
    assert count(app, Room) == 5 and count(app, SyncRecord) == 5
    assert count(app, SyncBatch) == (1 if same_batch else 2)
    assert room_names(app) == [f"R{i}" for i in range(5)]
