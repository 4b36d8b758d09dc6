"""Push over real HTTP: idempotency, batch replay, quarantine, held records, limits (fault-cases.md)."""
from __future__ import annotations

import gc
import json
import re
import uuid as uuid_lib

import pytest

from server.extensions import db
from server.models import Room, Site, SyncBatch, SyncQuarantine, SyncRecord
from sync import conflicts, push
from tests.sync_kit import (
    BROKEN_NAMES,
    assert_reads_by_key,
    count,
    phone_for,
    record,
    register_test_handlers,
    room_names,
)

register_test_handlers()


@pytest.fixture
def phone(factory, live_server):
    return phone_for(factory, live_server)


def test_records_are_answered_one_by_one_in_order(phone, app):
    records = [record(data={"name": "A"}), record("no_such_type"), record(data={"name": ""}),
               record(data={"name": "B"})]
    resp = phone.push(records)
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert [r["uuid"] for r in results] == [r["uuid"] for r in records]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected", "accepted"]
    assert "type" in results[1]["errors"] and "name" in results[2]["errors"]["data"]
    assert room_names(app) == ["A", "B"]
    assert resp.json()["cursor"]


def test_case1_same_batch_twice_replays_the_first_answer(phone, app):
    records = [record(data={"name": "A"}), record(data={"name": ""})]
    batch_id = str(uuid_lib.uuid4())
    first = phone.push(records, batch_id).json()
    second = phone.push(records, batch_id).json()
    assert second == first
    assert (count(app, Room), count(app, SyncRecord), count(app, SyncQuarantine), count(app, SyncBatch)) == (1, 2, 1, 1)


def test_case2_same_batch_id_with_another_body_is_422_and_writes_nothing(phone, app):
    batch_id = str(uuid_lib.uuid4())
    phone.push([record(data={"name": "A"})], batch_id)
    resp = phone.push([record(data={"name": "B"})], batch_id)
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "batch_mismatch"
    assert room_names(app) == ["A"] and count(app, SyncRecord) == 1


def test_case3_uuid_again_is_duplicate_and_with_other_content_a_conflict(phone, app):
    rec = record(data={"name": "A"})
    assert phone.statuses([rec]) == ["accepted"]
    assert phone.statuses([rec]) == ["duplicate"]
    changed = {**rec, "data": {"name": "A changed"}}
    resp = phone.push([changed])
    assert resp.json()["results"][0]["status"] == "conflict"
    assert room_names(app) == ["A"]
    # the second content is kept too, for an admin to see
    assert count(app, SyncQuarantine, SyncQuarantine.reason == "uuid_reused") == 1


def test_case4_same_uuid_twice_in_one_batch_is_stored_once(phone, app):
    rec = record(data={"name": "A"})
    other = record(data={"name": "B"})
    clash = {**rec, "data": {"name": "C"}}
    assert phone.statuses([rec, rec, other, clash]) == ["accepted", "duplicate", "accepted", "conflict"]
    assert room_names(app) == ["A", "B"] and count(app, SyncRecord) == 2


def test_resent_rejected_record_is_answered_rejected_again(phone, app):
    rec = record(data={"name": ""})
    first = phone.push([rec]).json()["results"][0]
    again = phone.push([rec]).json()["results"][0]
    assert first["status"] == again["status"] == "rejected" and again["errors"] == first["errors"]
    assert count(app, SyncQuarantine) == 1


def test_case7_database_error_on_one_record_of_ten(phone, app):
    records = [record(data={"name": f"R{i}"}) for i in range(10)]
    BROKEN_NAMES.add("R4")
    try:
        results = phone.push(records).json()["results"]
    finally:
        BROKEN_NAMES.discard("R4")
    assert [r["status"] for r in results] == ["accepted"] * 10
    assert results[4].get("held") is True and all("held" not in r for i, r in enumerate(results) if i != 4)
    assert len(room_names(app)) == 9
    # the server applies it by itself after the next push; nothing for the phone to do
    assert phone.statuses([record(data={"name": "next"})]) == ["accepted"]
    assert "R4" in room_names(app) and count(app, SyncRecord, SyncRecord.status == "held") == 0
    assert phone.statuses([records[4]]) == ["duplicate"]


def test_a_handler_failing_on_one_record_rejects_that_record_and_keeps_it(phone, app):
    # A bug met while reading a record failed the whole batch (500), and the phone sent it again forever.
    records = [record("test_fragile_room", {"name": n}) for n in ("A", "unreadable", "B")]
    results = phone.push(records).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert "logged" in results[1]["errors"]["record"][0]
    assert room_names(app) == ["A", "B"]
    with app.app_context():
        kept = db.session.scalars(db.select(SyncQuarantine.payload)).all()
    assert kept == [records[1]]


def test_a_failing_precheck_leaves_the_work_to_apply(phone, app):
    records = [record("test_fragile_room", {"name": n}) for n in ("precheck-bug", "C")]
    assert phone.statuses(records) == ["accepted", "accepted"]
    assert room_names(app) == ["C", "precheck-bug"]


def test_case8_update_before_create_ends_as_in_order_delivery(factory, live_server, app):
    inspector = phone_for(factory, live_server, roles=("inspector",))
    auditor = phone_for(factory, live_server, roles=("auditor",))
    rename = record("test_room_rename", {"key": "101", "new_name": "101 宿舍"}, base_version=1)
    answer = auditor.push([rename]).json()["results"][0]
    assert answer["status"] == "accepted" and answer["held"] is True
    assert room_names(app) == []
    assert inspector.statuses([record(data={"name": "101"})]) == ["accepted"]
    assert room_names(app) == ["101 宿舍"]
    # and within one batch, in the wrong order
    batch = [record("test_room_rename", {"key": "102", "new_name": "102b"}), record(data={"name": "102"})]
    admin = phone_for(factory, live_server, roles=("admin",))
    assert admin.statuses(batch) == ["accepted", "accepted"]
    assert room_names(app) == ["101 宿舍", "102b"]


def _query_plan(conn, stmt) -> str:
    """How the database runs the statement. On PostgreSQL, the plan made for any values of its parameters,
    as the server may plan a statement the driver has prepared (psycopg does from its sixth run)."""
    compiled = stmt.compile(dialect=conn.dialect)
    if conn.dialect.name == "sqlite":
        args = tuple(compiled.params[name] for name in compiled.positiontup)
        return str(conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", args).all())
    names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", str(compiled))))
    numbered = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", str(compiled))
    conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    conn.exec_driver_sql(f"PREPARE planned AS {numbered}")
    values = ", ".join(repr(compiled.params[name]) for name in names)  # the ids and limits here
    try:
        return str(conn.exec_driver_sql(f"EXPLAIN EXECUTE planned({values})").all())
    finally:
        conn.exec_driver_sql("DEALLOCATE planned")


def test_held_records_are_found_without_reading_every_record_the_school_pushed(app):
    """Every push looks for held records to apply again, and the admin lists them: both must read the
    held ones alone (their own index), or every push slows down as the school's ledger grows."""
    with app.app_context():
        conn = db.session.connection()
        for stmt in (push._HELD_IDS.params(site_id=1), conflicts.held_query(1)):
            assert "ix_sync_record_held" in _query_plan(conn, stmt)


def test_records_sent_again_are_found_by_their_uuid_whatever_the_statistics_say(phone, app):
    """A phone sending records again (after an outage, a lost answer) has each found in the ledger by its
    uuid. On PostgreSQL the lookup must not depend on statistics: planned from ones saying the school
    has few records (a new or restored database; a district's, taken before this school pushed most
    of its records), `uuid IN (…)` read every record the school ever pushed, for every such push."""
    sent = [record("no_such_type") for _ in range(1500)]
    for start in range(0, len(sent), 750):
        phone.push(sent[start:start + 750])
    again = [r["uuid"] for r in sent[:500]]
    with app.app_context():
        site_id = db.session.scalar(db.select(SyncRecord.site_id).limit(1))
        assert_reads_by_key("sync_record", lambda: push._known(db.session, site_id, again).keys() & set(again),
                            len(again))


def test_case20_unknown_template_version_is_rejected_and_kept(phone, app):
    resp = phone.push([record(data={"name": "A", "template_version": 9})])
    result = resp.json()["results"][0]
    assert result["status"] == "rejected" and "template_version" in result["errors"]
    with app.app_context():
        kept = db.session.scalar(db.select(SyncQuarantine))
        assert kept.payload["data"]["template_version"] == 9 and kept.reason == "rejected"


def test_case21_retired_template_version_is_accepted_against_that_version(phone, app):
    assert phone.statuses([record(data={"name": "A", "template_version": 1})]) == ["accepted"]
    with app.app_context():
        assert db.session.scalar(db.select(Room.note)) == "template v1 (retired)"


@pytest.mark.parametrize("clock", ["1970-01-01T00:00:00+00:00", "2099-12-31T23:59:59+08:00"])
def test_case22_wrong_phone_clock_is_accepted_kept_and_flagged(phone, app, clock):
    assert phone.statuses([record(data={"name": "A"}, recorded_at=clock), record(data={"name": "B"})]) == \
        ["accepted", "accepted"]
    with app.app_context():
        rows = db.session.execute(db.select(SyncRecord.recorded_at_text, SyncRecord.clock_skew,
                                            SyncRecord.received_at).order_by(SyncRecord.id)).all()
    assert rows[0].recorded_at_text == clock and rows[0].clock_skew is True
    assert rows[1].clock_skew is False and rows[0].received_at <= rows[1].received_at


@pytest.mark.parametrize("body", [b'{"batch_id": "x", "records": [', b"not json", b"[]"])
def test_case26_malformed_body_is_refused_and_stores_nothing(phone, app, body):
    resp = phone.http.post(f"{phone.base_url}/api/v1/sync/push", data=body,
                           headers={**phone.headers(), "Content-Type": "application/json"})
    assert resp.status_code in (400, 422) and "error" in resp.json()
    assert count(app, SyncRecord) == 0 and count(app, SyncBatch) == 0


def test_case26_wrong_types_and_unknown_fields(phone, app):
    bad_envelope = phone.http.post(f"{phone.base_url}/api/v1/sync/push", headers=phone.headers(), json={
        "batch_id": "not-a-uuid", "records": "nope", "site_id": 2})
    assert bad_envelope.status_code == 422
    assert set(bad_envelope.json()["error"]["details"]["fields"]) == {"batch_id", "records", "site_id"}
    weird = [record(data={"name": "A"}) | {"site_id": 99}, "a string", {**record(), "base_version": "1"},
             record(data={"name": 5})]
    results = phone.push(weird).json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 4
    assert "site_id" in results[0]["errors"] and "base_version" in results[2]["errors"]
    assert count(app, Room) == 0 and count(app, SyncQuarantine) == 4


def test_case27_too_many_records_or_bytes_is_413_with_the_limit(phone, app):
    max_records, max_bytes = app.config["SYNC_MAX_RECORDS"], app.config["SYNC_MAX_BODY_BYTES"]
    resp = phone.push([record() for _ in range(max_records + 1)])
    assert resp.status_code == 413 and resp.json()["error"]["details"] == {"max_records": max_records}
    resp = phone.push([record(data={"name": "A", "note": "x" * (max_bytes + 1)})])
    assert resp.status_code == 413 and resp.json()["error"]["details"] == {"max_bytes": max_bytes}
    assert count(app, SyncRecord) == 0


def test_case28_site_comes_from_the_token(factory, live_server, app):
    a = phone_for(factory, live_server, "a")
    b = phone_for(factory, live_server, "b")
    rec = record(data={"name": "A"})
    assert a.statuses([rec]) == ["accepted"]
    # the same uuid in another school is that school's own record
    assert b.statuses([rec]) == ["accepted"]
    with app.app_context():
        sites = db.session.execute(db.select(Room.site_id, Site.code).join(Site, Site.id == Room.site_id)
                                   .execution_options(all_sites=True)).all()
    assert sorted(code for _, code in sites) == ["a", "b"]


def test_role_per_record_type(phone, app):
    results = phone.push([record("test_room_rename", {"key": "x", "new_name": "y"})]).json()["results"]
    assert results[0]["status"] == "rejected" and "roles" in results[0]["errors"]["type"][0]


def test_case29_revoked_token_replaying_gets_401_then_a_new_login_lands_once(factory, live_server, app, client):
    api = factory.api_user("s1", ("inspector",), username="zhang")
    from tests.sync_kit import Phone
    old = Phone(live_server, api.token, api.device_id)
    outbox = [record(data={"name": "A"}), record(data={"name": "B"})]
    batch_id = str(uuid_lib.uuid4())
    assert old.push(outbox, batch_id).status_code == 200
    api.post("/api/v1/auth/logout")
    assert old.push(outbox, batch_id).status_code == 401
    fresh = factory.login("zhang")
    new = Phone(live_server, fresh.token, fresh.device_id)
    assert new.statuses(outbox) == ["duplicate", "duplicate"]
    assert room_names(app) == ["A", "B"]


def test_case32_sql_in_a_note_is_stored_verbatim(phone, app):
    note = "'); DROP TABLE room; --"
    assert phone.statuses([record(data={"name": "A", "note": note})]) == ["accepted"]
    with app.app_context():
        assert db.session.scalar(db.select(Room.note)) == note


def test_a_failure_inside_a_bulk_run_is_found_record_by_record(phone, app):
    records = [record(data={"name": f"R{i}", "template_version": 9 if i == 2 else 2}) for i in range(5)]
    assert phone.statuses(records) == ["accepted", "accepted", "rejected", "accepted", "accepted"]
    assert room_names(app) == ["R0", "R1", "R3", "R4"]


@pytest.mark.parametrize("nul_in", ["data", "type", "recorded_at", "uuid"])
def test_a_nul_character_rejects_its_record_alone_with_a_reason(phone, app, nul_in):
    # PostgreSQL text cannot hold NUL (SQLite can): a NUL in a record's type or time failed the whole
    # push there (500), and the phone would send that batch for ever; in its data it was rejected on
    # PostgreSQL and stored on SQLite. Now both engines reject that record and keep it for an admin.
    bad = record(data={"name": "A"})
    if nul_in == "data":
        bad["data"]["name"] = "A\u0000B"
    else:
        bad[nul_in] = bad[nul_in][:8] + "\u0000"
    sent = [bad, record(data={"name": "B"}), record(data={"name": "typed \\u0000 is text"})]
    results = phone.push(sent).json()["results"]
    assert [r["status"] for r in results] == ["rejected", "accepted", "accepted"]
    assert "uuid" in results[0]["errors"] if nul_in == "uuid" else "NUL" in results[0]["errors"]["record"][0]
    assert room_names(app) == ["B", "typed \\u0000 is text"]
    assert count(app, SyncRecord, SyncRecord.status == "held") == 0 and count(app, SyncQuarantine) == 1
    assert phone.statuses(sent[:1]) == ["rejected"]  # the phone's retry gets the same answer


def test_text_that_is_not_unicode_is_rejected_with_a_reason_and_kept(phone, app):
    # JSON can spell an unpaired surrogate ("\ud800"); no database text column can hold it.
    sent = [record(data={"name": "A", "note": "坏\ud800"}), record(data={"name": "B"}),
            record(data={"name": "C"}) | {"uuid": "\udfff"}]
    results = phone.push(sent).json()["results"]
    assert [r["status"] for r in results] == ["rejected", "accepted", "rejected"]
    assert "Unicode" in results[0]["errors"]["record"][0] and "uuid" in results[2]["errors"]
    assert room_names(app) == ["B"] and count(app, SyncQuarantine) == 2
    assert phone.statuses(sent[:1]) == ["rejected"]  # the phone's retry gets the same answer


@pytest.mark.parametrize("body", [{"batch_id": str(uuid_lib.uuid4()), "records": [record(data={"name": "A"})]},
                                  {"batch_id": "not a uuid", "records": []}])
def test_a_push_leaves_the_garbage_collector_on_whatever_its_answer(factory, body):
    # A push pauses the collector while its batch is in memory; a process left without it would grow.
    api = factory.api_user("s1", ("inspector",))
    assert api.post("/api/v1/sync/push", json=body).status_code in (200, 422)
    assert gc.isenabled()


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-1e400", "9" * 5000])
def test_a_number_json_cannot_carry_rejects_its_record_only(phone, app, number):
    # It used to fail the whole batch (500 on PostgreSQL, whose json refuses it; 500 on both for the
    # 5,000 digits), and the phone would send that batch for ever.
    sent = [record(data={"name": "A", "template_version": 424242}), record(data={"name": "B"}),
            record(data={"name": "C"}) | {"uuid": 424242}]
    body = json.dumps({"batch_id": str(uuid_lib.uuid4()), "records": sent}).replace("424242", number)
    resp = phone.http.post(f"{phone.base_url}/api/v1/sync/push", data=body, timeout=30,
                           headers={**phone.headers(), "Content-Type": "application/json"})
    results = resp.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "accepted", "rejected"]
    assert "finite number" in results[0]["errors"]["record"][0] and "uuid" in results[2]["errors"]
    assert results[2]["uuid"] == number[:64]  # echoed as sent, as far as JSON can say it
    assert room_names(app) == ["B"] and count(app, SyncQuarantine) == 2
    again = phone.http.post(f"{phone.base_url}/api/v1/sync/push", data=body, timeout=30,
                            headers={**phone.headers(), "Content-Type": "application/json"})
    assert again.json() == resp.json()  # the phone's retry of the batch gets the same answer


def test_a_record_nested_deeply_is_rejected_and_a_body_nested_too_deeply_is_400(phone, app):
    # orjson stops at 255 levels; Python's own reader at about 1,000, where the body is not read at all.
    deep = record(data={"name": "A"})
    deep["data"]["photos"] = json.loads("[" * 600 + "]" * 600)
    assert phone.statuses([deep, record(data={"name": "B"})]) == ["rejected", "accepted"]
    assert phone.statuses([deep]) == ["rejected"]  # the phone's retry gets the same answer
    assert room_names(app) == ["B"] and count(app, SyncQuarantine) == 1
    nested = "[" * 5000 + "]" * 5000
    body = f'{{"batch_id": "{uuid_lib.uuid4()}", "records": [{nested}]}}'
    resp = phone.http.post(f"{phone.base_url}/api/v1/sync/push", data=body, timeout=30,
                           headers={**phone.headers(), "Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "bad_request"


def test_a_base_version_beyond_the_version_columns_is_rejected_not_a_crash(factory, live_server, app):
    # Versions are 32-bit columns: an asset_update from such a base_version reached the conflict row and
    # failed the whole batch on both engines.
    sent = [record("test_room_rename", {"key": "k", "new_name": "B"}, base_version=10 ** 30),
            record(data={"name": "C"})]
    results = phone_for(factory, live_server, roles=("auditor", "inspector")).push(sent).json()["results"]
    assert [r["status"] for r in results] == ["rejected", "accepted"]
    assert "2147483647" in results[0]["errors"]["base_version"][0]


def test_an_id_beyond_the_databases_range_is_rejected_on_both_engines_not_held(factory, live_server, app):
    # PostgreSQL refuses it with a data error; SQLite's driver raised OverflowError, which held the record
    # for a week of retries although it could never apply.
    auditor = phone_for(factory, live_server, roles=("auditor", "inspector"))
    sent = [record("test_room_rename", {"room_id": 10 ** 30, "new_name": "B"}), record(data={"name": "C"})]
    results = auditor.push(sent).json()["results"]
    assert [r["status"] for r in results] == ["rejected", "accepted"]
    assert "out of range" in results[0]["errors"]["data"][0]
    assert count(app, SyncRecord, SyncRecord.status == "held") == 0 and count(app, SyncQuarantine) == 1
