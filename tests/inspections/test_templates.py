"""Templates as versioned data: built-ins for every school, copy → edit → publish → retire, and
what phones pull."""
from __future__ import annotations

from server.cli import create_site_command, install_templates_command
from tests.inspections.conftest import FAMILIES


def _pull_templates(api):
    changes = api.get("/api/v1/sync/pull").get_json()["changes"]
    return {c["data"]["family"]: c for c in changes if c["type"] == "template"}


def test_every_school_gets_the_built_in_checklists_once(app, school):
    listed = school.admin.get("/api/v1/templates").get_json()
    assert sorted(t["family"] for t in listed["items"]) == sorted(FAMILIES)
    names = {t["family"]: t["name"] for t in listed["items"]}
    assert names["canteen_four_preventions"] == "食堂四防检查" and names["dorm_hygiene"] == "宿舍内务评分"
    runner = app.test_cli_runner()
    assert "s1: 0 checklists installed" in runner.invoke(install_templates_command).output
    assert runner.invoke(create_site_command, ["s9", "新学校"]).exit_code == 0
    assert "s9: 0 checklists installed" in runner.invoke(install_templates_command, ["--site", "s9"]).output


def test_phones_pull_published_versions_with_their_items(school):
    pulled = _pull_templates(school.inspector)
    assert set(pulled) == set(FAMILIES)
    dorm = pulled["dorm_hygiene"]["data"]
    assert dorm["scoring"] == "deduction" and dorm["max_score"] == 100
    assert dorm["items"][0] == {**dorm["items"][0], "key": "quilt", "kind": "deduction", "points": 15}


def test_copy_edit_publish_retires_the_old_version_and_phones_follow(school):
    admin = school.admin
    old_id = school.templates["canteen_four_preventions"]
    cursor = school.inspector.get("/api/v1/sync/pull").get_json()["cursor"]
    draft = admin.post(f"/api/v1/templates/{old_id}/copy").get_json()
    assert (draft["status"], draft["number"]) == ("draft", 2)
    assert admin.post(f"/api/v1/templates/{old_id}/copy").get_json()["id"] == draft["id"]  # one open draft
    items = draft["items"]
    items[0]["text"] = "防鼠:无鼠粪、鼠咬痕迹"
    items.insert(0, items.pop(3))
    items.append({"key": "pest_log", "kind": "pass_fail", "text": "虫害消杀记录完整", "text_en": "Pest log kept"})
    resp = admin.patch(f"/api/v1/templates/{draft['id']}", json={"items": items, "deadline_hours": 12})
    assert resp.status_code == 200 and resp.get_json()["deadline_hours"] == 12
    assert admin.patch(f"/api/v1/templates/{old_id}", json={"deadline_hours": 1}).status_code == 409
    bad = admin.patch(f"/api/v1/templates/{draft['id']}", json={"items": [items[0], items[0]]})
    assert bad.status_code == 422

    published = admin.post(f"/api/v1/templates/{draft['id']}/publish").get_json()
    assert published["status"] == "published"
    assert admin.get(f"/api/v1/templates/{old_id}").get_json()["status"] == "retired"
    page = school.inspector.get(f"/api/v1/sync/pull?cursor={cursor}").get_json()
    assert [c["data"]["number"] for c in page["changes"]] == [2]
    assert page["deleted"] == [{"type": "template", "id": str(old_id)}]
    assert page["changes"][0]["data"]["items"][0]["key"] == "bait_stations"


def test_only_admins_edit_templates(school):
    version_id = school.templates["dorm_hygiene"]
    assert school.inspector.post(f"/api/v1/templates/{version_id}/copy").status_code == 403
