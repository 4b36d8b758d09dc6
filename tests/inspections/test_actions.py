"""Failed items become fixes (整改) with a person and a deadline, reach the fixer's phone, are closed
from it, and are verified by an inspector's re-check (复查)."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.inspections.conftest import passing_answers, photo, push, record, template_items

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _pull_all(api, cursor=None):
    changes, deleted = [], []
    while True:
        page = api.get("/api/v1/sync/pull?limit=500" + (f"&cursor={cursor}" if cursor else "")).get_json()
        changes += page["changes"]
        deleted += page["deleted"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes, deleted, cursor


def _four_preventions_with_two_failures(app, school, at):
    template_id = school.templates["canteen_four_preventions"]
    answers = passing_answers(template_items(app, template_id))
    answers["rodent_signs"] = {"result": "fail", "note": "米袋旁有鼠粪", "photos": [photo("droppings")]}
    answers["door_gaps"] = {"result": "fail", "note": "后门门缝过大"}
    data = {"template_id": template_id, "room_id": school.zones[0], "scanned": True, "answers": answers,
            "score": 80}
    return push(app, school.inspector, [record("inspection", data, at)])


def _actions(api, **query):
    args = "&".join(f"{k}={v}" for k, v in query.items())
    return api.get(f"/api/v1/actions?{args}").get_json()["items"]


def _recheck(app, school, at, **overrides):
    template_id = school.templates["canteen_four_preventions"]
    answers = {**passing_answers(template_items(app, template_id)), **overrides}
    data = {"template_id": template_id, "room_id": school.zones[0], "answers": answers}
    return push(app, school.inspector, [record("inspection", data, at)])


def test_two_failures_make_two_fixes_with_the_right_deadlines(app, school):
    checked_at = datetime.now(UTC) - timedelta(hours=3)
    [result] = _four_preventions_with_two_failures(app, school, checked_at)
    assert result["status"] == "accepted"
    actions = {a["item_key"]: a for a in _actions(school.admin)}
    assert set(actions) == {"rodent_signs", "door_gaps"}
    local = checked_at.astimezone(SHANGHAI)
    tonight = datetime.combine(local.date(), time(23, 59, 59), tzinfo=SHANGHAI)
    # 整改不留宿: a canteen hazard is due before the night; the rest after the template's 24 hours.
    assert datetime.fromisoformat(actions["rodent_signs"]["deadline"]) == tonight
    assert datetime.fromisoformat(actions["door_gaps"]["deadline"]) == checked_at + timedelta(hours=24)
    assert all(a["assignee_id"] == school.fixer_id and a["status"] == "open" for a in actions.values())
    assert actions["rodent_signs"]["hazard"] and not actions["door_gaps"]["hazard"]
    assert actions["rodent_signs"]["evidence_photos"] == [photo("droppings")]


def test_a_fixer_closes_a_fix_from_the_phone_and_a_recheck_verifies_it(app, school):
    now = datetime.now(UTC)
    _four_preventions_with_two_failures(app, school, now - timedelta(hours=3))
    changes, _, cursor = _pull_all(school.fixer)
    pulled = {c["data"]["item_key"]: c for c in changes if c["type"] == "action"}
    assert set(pulled) == {"rodent_signs", "door_gaps"}
    assert [c for c in _pull_all(school.inspector)[0] if c["type"] == "action"] == []

    rodent = pulled["rodent_signs"]
    update = {"action_id": int(rodent["id"]), "status": "done", "note": "已封堵鼠洞,清理鼠粪",
              "photos": [photo("sealed")]}
    [result] = push(app, school.fixer, [record("action_update", update, now - timedelta(hours=2))])
    assert result["status"] == "accepted" and result["server_version"] > rodent["version"]
    changes, _, cursor = _pull_all(school.fixer, cursor)
    assert [(c["data"]["item_key"], c["data"]["status"]) for c in changes] == [("rodent_signs", "done")]

    [result] = _recheck(app, school, now - timedelta(hours=1))
    assert result["status"] == "accepted"
    by_key = {a["item_key"]: a for a in _actions(school.admin)}
    assert by_key["rodent_signs"]["status"] == "verified"
    assert by_key["door_gaps"]["status"] == "open"  # nobody reported it fixed yet
    trail = school.admin.get(f"/api/v1/actions/{rodent['id']}").get_json()["events"]
    assert [e["kind"] for e in trail] == ["created", "done", "verified"]


def test_a_recheck_that_fails_again_reopens_a_done_fix(app, school):
    now = datetime.now(UTC)
    _four_preventions_with_two_failures(app, school, now - timedelta(hours=3))
    rodent = next(a for a in _actions(school.admin) if a["item_key"] == "rodent_signs")
    push(app, school.fixer, [record("action_update", {"action_id": rodent["id"], "status": "done"},
                                    now - timedelta(hours=2))])
    _recheck(app, school, now - timedelta(hours=1),
             rodent_signs={"result": "fail", "photos": [photo("more droppings")]})
    actions = _actions(school.admin)
    assert len(actions) == 2  # the same problem stays one fix
    assert next(a for a in actions if a["item_key"] == "rodent_signs")["status"] == "reopened"


def test_an_old_status_from_an_offline_phone_does_not_undo_a_fix(app, school):
    now = datetime.now(UTC)
    _four_preventions_with_two_failures(app, school, now - timedelta(hours=3))
    rodent = next(a for a in _actions(school.admin) if a["item_key"] == "rodent_signs")
    push(app, school.fixer, [record("action_update", {"action_id": rodent["id"], "status": "done"},
                                    now - timedelta(hours=1))])
    [late] = push(app, school.fixer, [record("action_update", {"action_id": rodent["id"], "status": "open"},
                                             now - timedelta(hours=2))])
    assert late["status"] == "accepted"
    action = school.admin.get(f"/api/v1/actions/{rodent['id']}").get_json()
    assert action["status"] == "done" and action["flags"] == ["stale_status"]
    assert action["events"][-1]["kind"] == "stale_update"


def test_a_fix_for_someone_else_is_refused_from_a_phone(app, school):
    _four_preventions_with_two_failures(app, school, datetime.now(UTC))
    rodent = _actions(school.admin)[0]
    [result] = push(app, school.inspector, [record("action_update", {"action_id": rodent["id"], "status": "done"})])
    assert result["status"] == "rejected" and "action_id" in result["errors"]


def test_reassigning_a_fix_removes_it_from_the_old_phone(app, school):
    _four_preventions_with_two_failures(app, school, datetime.now(UTC))
    _, _, cursor = _pull_all(school.fixer)
    door = next(a for a in _actions(school.admin) if a["item_key"] == "door_gaps")
    resp = school.admin.patch(f"/api/v1/actions/{door['id']}",
                              json={"assignee_id": school.dorm_manager_id, "version": door["version"]})
    assert resp.status_code == 200
    changes, deleted, _ = _pull_all(school.fixer, cursor)
    assert changes == [] and deleted == [{"type": "action", "id": str(door["id"])}]
    stale = school.admin.patch(f"/api/v1/actions/{door['id']}",
                               json={"assignee_id": school.fixer_id, "version": door["version"]})
    assert stale.status_code == 409


def test_overdue_fixes_stand_out(app, school):
    _four_preventions_with_two_failures(app, school, datetime.now(UTC) - timedelta(days=3))
    overdue = _actions(school.admin, overdue="true")
    assert {a["item_key"] for a in overdue} == {"rodent_signs", "door_gaps"}
    assert all(a["overdue"] for a in overdue)


def test_a_fix_on_the_phone_names_its_room_as_it_is_called_now(app, school):
    # Pulled objects are kept per version for the next phone (sync.feed.DumpCache); a fix names its
    # room, and renaming the room leaves the fix's version as it was, so fixes must not be kept.
    _four_preventions_with_two_failures(app, school, datetime.now(UTC))
    before, _, _ = _pull_all(school.fixer)
    assert {c["data"]["room_name"] for c in before if c["type"] == "action"} == {"主食库"}
    room = school.admin.get(f"/api/v1/rooms/{school.zones[0]}").get_json()
    resp = school.admin.patch(f"/api/v1/rooms/{room['id']}", json={"version": room["version"], "name": "主食库(新)"})
    assert resp.status_code == 200
    after, _, _ = _pull_all(school.fixer)  # a phone installed now
    assert {c["data"]["room_name"] for c in after if c["type"] == "action"} == {"主食库(新)"}
