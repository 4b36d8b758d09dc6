"""Whatever anything holding a token pushes, each record gets an answer of its own: the push is never a
500 (the phone would send the same batch again and again), and no record is held as a server error
(fault-cases.md lists the faults we know of; outside clients try more)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.extensions import db
from server.models import Inspection, Room, TemplateVersion
from sync import handlers
from sync.models import SyncRecord
from tests.inspections.conftest import ANSWER_KEYS, passing_answers, photo

# NUL (PostgreSQL's text refuses it), an unpaired surrogate (no database's text holds it), a typed
# backslash before "u0000", a quote and a character outside the Basic Multilingual Plane.
UNUSUAL_TEXT = ("\x00", "\ud800", "\\u0000", "'", "𠀀")
RECORD_TYPES = ("inspection", "action_update", "stocktake_scan", "asset_update")
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-3, max_value=12),
                    st.integers(min_value=-2 ** 70, max_value=2 ** 70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=6),
                    st.sampled_from(["pass", "fail", "na", "done", "good", "in_use", photo("p")]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                      max_leaves=6)
# What an answer's own keys get: mostly a value of the wrong kind, which is what a judge meets.
shallow = st.one_of(scalars, st.lists(scalars, max_size=2), st.dictionaries(st.text(max_size=4), scalars, max_size=2))


def checklists(app) -> list[tuple[int, list[dict], list[int]]]:
    """Each published checklist with its items and the rooms it is used in."""
    with app.app_context():
        rooms = db.session.execute(db.select(Room.id, Room.kind)).all()
        return [(t.id, t.items, [r.id for r in rooms if not t.room_kinds or r.kind in t.room_kinds])
                for t in db.session.scalars(db.select(TemplateVersion)) if t.room_kinds or not t.asset_categories]


@st.composite
def inspection(draw, known: list[tuple[int, list[dict], list[int]]]) -> dict:
    """A checklist as a phone fills it, with some of its answers, or of its fields, replaced by anything."""
    template_id, items, rooms = draw(st.sampled_from(known))
    answers = passing_answers(items)
    for key in draw(st.lists(st.sampled_from([*(i["key"] for i in items), "unknown_item"]), min_size=1, max_size=3)):
        changes = st.dictionaries(st.sampled_from(ANSWER_KEYS), shallow, min_size=1, max_size=2)
        answered = answers.get(key) if isinstance(answers.get(key), dict) else {}
        answers[key] = draw(st.one_of(changes.map(lambda c, answered=answered: {**answered, **c}), values))
    data = {"template_id": template_id, "room_id": draw(st.sampled_from(rooms)), "answers": answers,
            "note": draw(st.one_of(st.none(), st.text(max_size=10))), "photos": []}
    names = [*sorted(handlers.get("inspection").loader.load_fields), "extra"]
    for name in draw(st.lists(st.sampled_from(names), max_size=1)):
        data[name] = draw(values)
    return data


@st.composite
def pushed_record(draw, known) -> dict:
    type_ = draw(st.sampled_from(("inspection",) * 3 + RECORD_TYPES))  # inspections go deepest
    if type_ == "inspection":
        data = draw(inspection(known))
    else:
        names = sorted(handlers.get(type_).loader.load_fields)
        data = {name: draw(values) for name in draw(st.lists(st.sampled_from(names), unique=True))}
    record = {"uuid": str(uuid.uuid4()), "type": type_,
              "recorded_at": draw(st.sampled_from([datetime.now(UTC).isoformat(), "2026-11-27T08:00:00+08:00"])),
              "base_version": draw(st.sampled_from([None, None, 0, 7])), "data": data}
    # Now and then a field of the envelope is anything too: its type and time go to the ledger's columns.
    for name in draw(st.lists(st.sampled_from(("uuid", "type", "recorded_at", "base_version")), max_size=1)):
        record[name] = draw(st.one_of(values, st.text(), record_text(record[name])))
    return record


def record_text(sent) -> st.SearchStrategy:
    """The value as sent, with any text put somewhere in it, often a character databases treat apart."""
    return st.builds(lambda at, text: f"{sent}"[:at] + text + f"{sent}"[at:],
                     st.integers(min_value=0, max_value=len(f"{sent}")),
                     st.one_of(st.sampled_from(UNUSUAL_TEXT), st.text(max_size=3)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_whatever_is_pushed_each_record_is_answered_on_its_own(app, school, data):
    records = data.draw(st.lists(pushed_record(checklists(app)), min_size=1, max_size=4))
    resp = school.admin.post("/api/v1/sync/push", json={"device_id": str(school.admin.device_id),
                                                        "batch_id": str(uuid.uuid4()), "records": records})
    assert resp.status_code == 200, resp.get_json()
    results = resp.get_json()["results"]
    assert [r["uuid"] for r in results] == [r["uuid"] for r in records]
    accepted = [r["uuid"] for r, sent in zip(results, records, strict=True)
                if r["status"] == "accepted" and sent["type"] == "inspection"]
    with app.app_context():
        held_by_error = db.session.scalars(db.select(SyncRecord.uuid).where(
            SyncRecord.status == "held", SyncRecord.result["held"].as_string() == "server_error")).all()
        stored = db.session.scalars(db.select(Inspection.uuid).where(Inspection.uuid.in_(accepted))).all()
    assert held_by_error == [] and sorted(stored) == sorted(accepted)

