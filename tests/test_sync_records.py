"""The pure rules of a pushed record, without a database or a server."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sync import jsontext
from sync.records import _CANONICAL_JSON, BAD_NUMBER, answer_for_known, content_hash, is_skewed, parse_time, prepare
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
    assert parse_time("2026-11-25T16:00:00+08:00").tzinfo == UTC  # SQLite keeps no offset: only UTC is stored
    assert parse_time("0001-01-01T06:00:00+08:00") is None and parse_time("9999-12-31T20:00:00-05:00") is None
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


_JSON_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2 ** 70, max_value=2 ** 70)
    | st.floats(allow_nan=False, allow_infinity=False) | _JSON_TEXT
    # Every order of magnitude: Python and orjson write small ones and exponents differently.
    | st.builds(lambda mantissa, exponent: mantissa * 10.0 ** exponent, st.floats(-10, 10), st.integers(-30, 30)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_JSON_TEXT, inner, max_size=4), max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(_JSON_VALUES)
@example(1.5212603486793025e-05)
@example(-3.07e-05)
@example(2.5e-07)
@example(1e16)
@example(1.2345678901234568e+17)
@example(2 ** 64)
@example(0.0001)
def test_the_fast_canonical_text_is_the_defined_one(data):
    # Most records are hashed through orjson; a number or a character it wrote differently would make a
    # stored record's resend a conflict. Floats of every size, integers beyond 64 bits, any character.
    rec = {"uuid": "u", "type": "inspection", "recorded_at": "2026-11-25T16:00:00+08:00", "base_version": None,
           "data": {"value": data}}
    body = {key: rec[key] for key in ("type", "recorded_at", "base_version", "data")}
    assert content_hash(rec) == hashlib.sha256(_CANONICAL_JSON.encode(body).encode()).hexdigest()


def test_a_number_json_cannot_carry_makes_its_record_rejected_before_the_handler():
    raw = {**record(data={"name": "A"}), "data": jsontext.loads('{"name": "A", "template_version": NaN}')}
    prepared = prepare(0, raw, INSPECTOR, NOW)
    assert prepared.errors == BAD_NUMBER and prepared.incoming is None
    assert prepared.content_hash == prepare(0, raw, INSPECTOR, NOW).content_hash
