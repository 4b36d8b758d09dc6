"""Pushed inspections: judged against the exact template version, scored by the server, refused with
field errors when they cannot be stored (fault cases 20, 21, 22)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from server.extensions import db
from server.models import Inspection
from tests.inspections.conftest import passing_answers, photo, push, record, template_items


def _dorm_check(app, school, room_index=0, **answers):
    template_id = school.templates["dorm_hygiene"]
    full = {**passing_answers(template_items(app, template_id)), **answers}
    return {"template_id": template_id, "room_id": school.dorms[room_index], "answers": full}


def _stored(app):
    with app.app_context():
        return db.session.scalars(db.select(Inspection).order_by(Inspection.id)).all()


def test_the_server_scores_a_dorm_by_the_rubric_and_flags_a_wrong_phone_score(app, school):
    data = _dorm_check(app, school, quilt={"deduct": 5}, line={"deduct": 3}, water={"deduct": 10},
                       appliances={"deduct": 15, "photos": [photo("heater")]})
    data["score"] = 80  # the phone added it up wrong: 100 - 5 - 3 - 10 - 15 = 67
    [result] = push(app, school.inspector, [record("inspection", data)])
    assert result["status"] == "accepted"
    [inspection] = _stored(app)
    assert (inspection.score, inspection.phone_score, inspection.flags) == (67, 80, ["score_mismatch"])
    assert inspection.failed_count == 4
    # Only the hazard (illegal appliance) becomes a fix; the rest are the score.
    assert [a["item_key"] for a in school.admin.get("/api/v1/actions").get_json()["items"]] == ["appliances"]


def test_an_unknown_template_version_is_rejected_with_a_field_error(app, school):
    data = _dorm_check(app, school)
    data["template_id"] = 99999
    [result] = push(app, school.inspector, [record("inspection", data)])
    assert result["status"] == "rejected" and "template_id" in result["errors"]
    assert _stored(app) == []


def test_a_retired_version_is_accepted_and_kept_against_that_version(app, school):
    old_id = school.templates["dorm_hygiene"]
    draft = school.admin.post(f"/api/v1/templates/{old_id}/copy").get_json()
    school.admin.post(f"/api/v1/templates/{draft['id']}/publish")
    [result] = push(app, school.inspector, [record("inspection", _dorm_check(app, school, quilt={"deduct": 4}))])
    assert result["status"] == "accepted"
    [inspection] = _stored(app)
    assert (inspection.template_version_id, inspection.score, inspection.flags) == (old_id, 96, ["retired_version"])


def test_the_target_must_be_a_room_of_the_school_the_checklist_applies_to(app, school, factory):
    canteen_check = _dorm_check(app, school)
    canteen_check["room_id"] = school.zones[0]
    other = factory.api_user("s2", ("admin",))
    foreign_room = other.post("/api/v1/rooms", json={"name": "外校宿舍", "kind": "dorm"}).get_json()["id"]
    foreign = _dorm_check(app, school)
    foreign["room_id"] = foreign_room
    both = _dorm_check(app, school)
    both["asset_id"] = 1
    results = push(app, school.inspector, [record("inspection", d) for d in (canteen_check, foreign, both)])
    assert [r["status"] for r in results] == ["rejected"] * 3
    assert [next(iter(r["errors"])) for r in results] == ["room_id", "room_id", "room_id"]


def test_missing_answers_and_missing_hazard_photos_are_refused(app, school):
    data = _dorm_check(app, school, appliances={"deduct": 15})
    del data["answers"]["quilt"]
    [result] = push(app, school.inspector, [record("inspection", data)])
    assert result["status"] == "rejected"
    assert result["errors"]["answers"] == {"quilt": ["not answered"], "appliances": ["a failed item needs a photo"]}


def test_a_phone_clock_in_1970_is_accepted_on_the_server_day_and_flagged(app, school):
    [result] = push(app, school.inspector, [record("inspection", _dorm_check(app, school),
                                                    datetime(1970, 1, 1, tzinfo=UTC))])
    assert result["status"] == "accepted"
    [inspection] = _stored(app)
    assert inspection.flags == ["clock_skew"]
    assert abs(inspection.performed_at.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=5)


def test_a_check_recorded_in_china_time_is_kept_in_utc_on_its_day_in_china(app, school):
    # Just after midnight in China is the evening before in UTC: the report day is China's.
    china = timezone(timedelta(hours=8))
    just_after_midnight = datetime.now(china).replace(hour=0, minute=20, second=0, microsecond=0)
    if just_after_midnight > datetime.now(china):
        just_after_midnight -= timedelta(days=1)
    [result] = push(app, school.inspector, [record("inspection", _dorm_check(app, school), just_after_midnight)])
    assert result["status"] == "accepted"
    [inspection] = _stored(app)
    assert inspection.flags == []
    assert inspection.performed_at.replace(tzinfo=UTC) == just_after_midnight.astimezone(UTC)
    assert inspection.day == just_after_midnight.date() != inspection.performed_at.date()


def test_a_fixer_cannot_push_inspections(app, school):
    [result] = push(app, school.fixer, [record("inspection", _dorm_check(app, school))])
    assert result["status"] == "rejected"
    assert _stored(app) == []


def test_the_same_inspection_sent_again_is_stored_once_with_its_fixes_once(app, school):
    data = _dorm_check(app, school, appliances={"deduct": 15, "photos": [photo("heater")]})
    first = record("inspection", data)
    [a] = push(app, school.inspector, [first])
    [b] = push(app, school.inspector, [first])
    assert (a["status"], b["status"]) == ("accepted", "duplicate")
    assert len(_stored(app)) == 1
    assert len(school.admin.get("/api/v1/actions").get_json()["items"]) == 1


def test_answers_that_are_not_objects_or_have_overlong_keys_are_refused_by_name(app, school):
    data = _dorm_check(app, school)
    data["answers"]["quilt"] = "pass"
    data["answers"]["k" * 80] = {"deduct": 0}
    [result] = push(app, school.inspector, [record("inspection", data)])
    assert result["status"] == "rejected"
    assert result["errors"] == {"data": {"answers": {"quilt": ["each answer is an object"],
                                                     "k" * 64: ["an item key has at most 64 characters"]}}}
    assert _stored(app) == []


def test_an_answers_photos_and_note_of_the_wrong_kind_reject_that_record_only(app, school):
    # A number where the answer's photo list goes failed the whole push (500) while the photos it names
    # were listed; an object as its note was held as a server error and quarantined a week later.
    odd = [_dorm_check(app, school, 0, quilt={"deduct": 0, "photos": 5}),
           _dorm_check(app, school, 1, quilt={"deduct": 2, "note": {"text": "脏"}}),
           _dorm_check(app, school, 2, quilt={"deduct": 0, "photos": [photo("a"), 7]})]
    results = push(app, school.inspector, [record("inspection", d) for d in odd]
                   + [record("inspection", _dorm_check(app, school, 3))])
    assert [r["status"] for r in results] == ["rejected", "rejected", "rejected", "accepted"]
    assert [r["errors"]["data"]["answers"] for r in results[:3]] == [
        {"quilt": ["photos is a list of at most 20 photo hashes"]},
        {"quilt": ["note is a text of at most 2000 characters"]},
        {"quilt": ["photos is a list of at most 20 photo hashes"]}]
    assert [i.room_id for i in _stored(app)] == [school.dorms[3]]


def test_a_batch_mixing_good_and_bad_checks_stores_each_good_one_as_judged(app, school):
    """The engine judges answers before taking the write lock and applies the run at once; a record
    rejected in between must not shift another's judgement onto it."""
    good = [_dorm_check(app, school, i, quilt={"deduct": i}) for i in range(3)]
    bad = _dorm_check(app, school, 3, appliances={"deduct": 15})  # a hazard without its photo
    results = push(app, school.inspector, [record("inspection", d) for d in (good[0], bad, good[1], good[2])])
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted", "accepted"]
    assert [(i.room_id, i.score) for i in _stored(app)] == [(school.dorms[i], 100 - i) for i in range(3)]


def test_ids_beyond_the_databases_range_reject_their_record_only(app, school):
    # Both engines refused such a number in a query (SQLite's driver beyond 64 bits, PostgreSQL beyond
    # 32), and the batch's read-only judging query failed the whole push.
    too_big = [{**_dorm_check(app, school), "template_id": 10 ** 30}, {**_dorm_check(app, school), "room_id": 2 ** 31}]
    results = push(app, school.inspector, [record("inspection", data) for data in too_big]
                   + [record("inspection", _dorm_check(app, school, 1))])
    assert [r["status"] for r in results] == ["rejected", "rejected", "accepted"]
    assert "template_id" in results[0]["errors"]["data"] and "room_id" in results[1]["errors"]["data"]
    assert len(_stored(app)) == 1
