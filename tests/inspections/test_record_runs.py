"""Inspections pushed together in one batch are stored as if each had come on its own: a later check in
the batch sees the fixes an earlier one opened or verified, and one bad record refuses only itself."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.inspections.conftest import passing_answers, photo, push, record, template_items


def _zone_check(app, school, at, **overrides):
    template_id = school.templates["canteen_four_preventions"]
    answers = {**passing_answers(template_items(app, template_id)), **overrides}
    return record("inspection", {"template_id": template_id, "room_id": school.zones[0], "answers": answers}, at)


def _rodent_fixes(school):
    fixes = [a for a in school.admin.get("/api/v1/actions").get_json()["items"] if a["item_key"] == "rodent_signs"]
    return [(a["status"], [e["kind"] for e in school.admin.get(f"/api/v1/actions/{a['id']}").get_json()["events"]])
            for a in sorted(fixes, key=lambda a: a["id"])]


def test_a_repeat_failure_in_the_same_batch_joins_the_fix_and_a_bad_record_refuses_only_itself(app, school):
    now = datetime.now(UTC)
    rodents = {"result": "fail", "photos": [photo("droppings")]}
    unknown = _zone_check(app, school, now - timedelta(hours=2))
    unknown["data"]["template_id"] = 99999
    results = push(app, school.inspector, [_zone_check(app, school, now - timedelta(hours=3), rodent_signs=rodents),
                                           unknown,
                                           _zone_check(app, school, now - timedelta(hours=1), rodent_signs=rodents)])
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert "template_id" in results[1]["errors"]
    assert _rodent_fixes(school) == [("open", ["created", "repeated"])]


def test_a_recheck_verifies_a_done_fix_and_a_later_failure_in_the_same_batch_opens_a_new_one(app, school):
    now = datetime.now(UTC)
    push(app, school.inspector, [_zone_check(app, school, now - timedelta(hours=4),
                                             rodent_signs={"result": "fail", "photos": [photo("droppings")]})])
    [fix] = school.admin.get("/api/v1/actions").get_json()["items"]
    push(app, school.fixer, [record("action_update", {"action_id": fix["id"], "status": "done"},
                                    now - timedelta(hours=3))])
    results = push(app, school.inspector, [
        _zone_check(app, school, now - timedelta(hours=2)),
        _zone_check(app, school, now - timedelta(hours=1), rodent_signs={"result": "fail",
                                                                         "photos": [photo("more droppings")]})])
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    assert _rodent_fixes(school) == [("verified", ["created", "done", "verified"]), ("open", ["created"])]
