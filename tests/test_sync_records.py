"""The pure rules of a pushed record, without a database or a server."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sync.records import answer_for_known, content_hash, is_skewed, parse_time, prepare
from tests.sync_kit import record, register_test_handlers

register_test_handlers()
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
INSPECTOR = frozenset({"inspector"})


def test_same_content_whatever_the_key_order_or_uuid():
    rec = record(data={"name": "A", "note": "x"})
    reordered = {"data": {"note": "x", "name": "A"}, "uuid": "other", **{k: rec[k] for k in ("type", "recorded_at")},
                 "base_version": None}
    assert content_hash(rec) == content_hash(reordered)
    assert content_hash(rec) != content_hash({**rec, "data": {"name": "B", "note": "x"}})


def test_the_content_hash_is_that_of_the_canonical_json_for_good():
    # Ledger rows keep this hash: if its text changed, every stored record sent again would be a conflict.
    rec = {"uuid": "u", "type": "inspection", "recorded_at": "2026-11-25T16:00:00+08:00", "base_version": None,
           "data": {"score": 92.5, "note": "地面\n干净", "answers": {"b": {"deduct": 0}, "a": {"result": "pass"}}}}
    canonical = ('{"base_version":null,"data":{"answers":{"a":{"result":"pass"},"b":{"deduct":0}},'
                 '"note":"地面\\n干净","score":92.5},"recorded_at":"2026-11-25T16:00:00+08:00","type":"inspection"}')
    assert content_hash(rec) == hashlib.sha256(canonical.encode()).hexdigest()


def test_times_need_an_offset_and_skew_is_more_than_a_day():
    assert parse_time("2026-11-25T08:00:00") is None and parse_time(5) is None
    assert parse_time("2026-11-25T16:00:00+08:00") == NOW
    assert not is_skewed(NOW + timedelta(hours=23), NOW) and is_skewed(NOW - timedelta(days=2), NOW)


def test_a_resend_gets_the_first_outcome_and_other_content_a_conflict():
    assert answer_for_known("u", "h", "h", "accepted", {"server_version": 3}) == \
        {"uuid": "u", "status": "duplicate", "server_version": 3}
    assert answer_for_known("u", "h", "h", "rejected", {"errors": {"a": ["b"]}})["errors"] == {"a": ["b"]}
    assert answer_for_known("u", "h", "h", "held", {"held": "waiting"}) == {"uuid": "u", "status": "duplicate",
                                                                           "held": True}
    assert answer_for_known("u", "h2", "h", "accepted", None)["status"] == "conflict"


def test_prepare_turns_every_problem_into_field_errors():
    assert prepare(0, [], INSPECTOR, NOW).errors == {"record": ["each record is an object"]}
    assert set(prepare(0, {"uuid": "x", "type": 3, "extra": 1}, INSPECTOR, NOW).errors) == \
        {"uuid", "type", "recorded_at", "data", "extra"}
    assert "roles" in prepare(0, record("test_room_rename", {"key": "k", "new_name": "n"}), INSPECTOR,
                              NOW).errors["type"][0]
    good = prepare(0, record(data={"name": "A"}, recorded_at="1970-01-01T00:00:00Z"), INSPECTOR, NOW)
    assert good.errors is None and good.clock_skew and good.incoming.data["kind"] == "dorm"
