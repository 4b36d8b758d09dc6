"""Console pages of checklists, fixes and reports: they render, escape, need CSRF and do what they say."""
from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image

from server.extensions import db
from server.models import Room
from server.services.actions import local_day
from tests.conftest import PASSWORD
from tests.inspections.conftest import passing_answers, photo, push, record, template_items


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def console(client, school):
    page = client.get("/admin/login").get_data(as_text=True)
    resp = client.post("/admin/login", data={"username": "boss", "password": PASSWORD, "csrf_token": _csrf(page)})
    assert resp.status_code == 302
    return client


@pytest.fixture
def failed_check(app, school):
    """A dorm with a script for a name, checked three days ago with an illegal appliance (a fix, now overdue)."""
    with app.app_context():
        db.session.get(Room, school.dorms[0]).name = "<script>alert(1)</script>"
        db.session.commit()
    template_id = school.templates["dorm_hygiene"]
    answers = passing_answers(template_items(app, template_id))
    answers["appliances"] = {"deduct": 15, "photos": [photo("heater")], "note": "<b>热得快</b>"}
    [result] = push(app, school.inspector, [record("inspection", {
        "template_id": template_id, "room_id": school.dorms[0], "answers": answers},
        datetime.now(UTC) - timedelta(days=3))])
    assert result["status"] == "accepted"


def test_the_pages_render_in_chinese_without_inline_script(console, failed_check):
    day = local_day(datetime.now(UTC) - timedelta(days=3))  # the school's day, not UTC's (they differ after 16:00 UTC)
    for url in ("/admin/templates", "/admin/actions", "/admin/actions?overdue=true",
                f"/admin/reports/daily-notice?day={day}", f"/admin/reports/weekly-ranking?day={day}",
                "/admin/reports/canteen", "/admin/reports/coverage?stale_days=2",
                f"/admin/reports/daily-notice/print?day={day}"):
        resp = console.get(url)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200, url
        assert "<script>" not in html and "<b>热得快" not in html, url
        assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in console.get(f"/admin/reports/daily-notice?day={day}").get_data(
        as_text=True)
    actions = console.get("/admin/actions").get_data(as_text=True)
    assert 'class="overdue"' in actions and "无违章用电" in actions and "已逾期" in actions
    assert "<svg" in console.get(f"/admin/reports/daily-notice?day={day}").get_data(as_text=True)


def test_a_draft_is_edited_and_published_from_the_console(console, school):
    v1 = school.templates["facility_round"]
    page = console.get(f"/admin/templates/{v1}").get_data(as_text=True)
    assert console.post(f"/admin/templates/{v1}/copy").status_code == 400  # no CSRF token
    resp = console.post(f"/admin/templates/{v1}/copy", data={"csrf_token": _csrf(page)})
    draft_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    token = _csrf(console.get(f"/admin/templates/{draft_id}").get_data(as_text=True))
    console.post(f"/admin/templates/{draft_id}/items", data={
        "csrf_token": token, "drains.text": "地沟、管道畅通", "drains.text_en": "Drains clear",
        "drains.hazard": "on", "drains.creates_action": "on"})
    console.post(f"/admin/templates/{draft_id}/items/add", data={
        "csrf_token": token, "key": "boiler_temp", "kind": "number", "new.text": "锅炉出水温度",
        "new.min": "60", "new.max": "95", "new.unit": "℃", "new.creates_action": "on"})
    console.post(f"/admin/templates/{draft_id}/items/boiler_temp/up", data={"csrf_token": token})
    console.post(f"/admin/templates/{draft_id}/publish", data={"csrf_token": token})
    version = school.admin.get(f"/api/v1/templates/{draft_id}").get_json()
    assert version["status"] == "published"
    assert version["items"][0]["text"] == "地沟、管道畅通" and version["items"][0]["hazard"] is True
    assert [i["key"] for i in version["items"]][-3:] == ["damage", "boiler_temp", "overview_photo"]
    assert school.admin.get(f"/api/v1/templates/{v1}").get_json()["status"] == "retired"


def test_a_fix_is_verified_from_the_console(console, school, failed_check):
    [action] = school.admin.get("/api/v1/actions").get_json()["items"]
    page = console.get(f"/admin/actions/{action['id']}").get_data(as_text=True)
    assert "热得快" in page
    console.post(f"/admin/actions/{action['id']}/status", data={"csrf_token": _csrf(page), "status": "verified",
                                                               "note": "现场已收缴"})
    assert school.admin.get(f"/api/v1/actions/{action['id']}").get_json()["status"] == "verified"


def test_console_exports_open_in_openpyxl(console, failed_check):
    day = local_day(datetime.now(UTC) - timedelta(days=3))  # the school's day, not UTC's (they differ after 16:00 UTC)
    resp = console.get(f"/admin/reports/daily-notice/export?format=xlsx&day={day}")
    rows = list(load_workbook(io.BytesIO(resp.data)).worksheets[0].iter_rows(values_only=True))
    assert rows[1][2] == "<script>alert(1)</script>" and rows[1][4] == 85


def test_the_daily_notice_shows_the_rooms_photos_to_that_school_only(console, app, school, factory):
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(image, "PNG")
    sha = hashlib.sha256(image.getvalue()).hexdigest()
    assert school.inspector.put(f"/api/v1/attachments/{sha}", data=image.getvalue(),
                                content_type="image/png").status_code == 201
    template_id = school.templates["dorm_hygiene"]
    answers = passing_answers(template_items(app, template_id))
    answers["appliances"] = {"deduct": 15, "photos": [sha], "note": "热得快"}
    [result] = push(app, school.inspector, [record("inspection", {
        "template_id": template_id, "room_id": school.dorms[0], "answers": answers})])
    assert result["status"] == "accepted"
    html = console.get(f"/admin/reports/daily-notice?day={local_day(datetime.now(UTC))}").get_data(as_text=True)
    assert f'src="/admin/photos/{sha}"' in html
    with console.get(f"/admin/photos/{sha}") as resp:
        assert resp.status_code == 200 and resp.mimetype == "image/png" and resp.data == image.getvalue()
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    other = factory.site("other")
    factory.user(other, "other_boss", ["admin"])
    console.post("/admin/logout", data={"csrf_token": _csrf(console.get("/admin/").get_data(as_text=True))})
    page = console.get("/admin/login").get_data(as_text=True)
    console.post("/admin/login", data={"username": "other_boss", "password": PASSWORD, "csrf_token": _csrf(page)})
    assert console.get(f"/admin/photos/{sha}").status_code == 404



def test_the_fixes_list_puts_what_still_needs_doing_first(app, school, failed_check):
    from server.models import Action
    from server.services.actions import listing

    now = datetime.now(UTC)
    with app.app_context():
        first = db.session.scalar(db.select(Action))
        rows = [("verified", 5), ("open", 1), ("done", 3), ("reopened", 4), ("verified", 2)]
        for n, (status, days_ago) in enumerate(rows):
            db.session.add(Action(site_id=school.site_id, inspection_id=first.inspection_id, item_key=f"k{n}",
                                  title=f"item {n}", room_id=first.room_id, status=status,
                                  deadline=now - timedelta(days=days_ago)))
        first.status, first.deadline, first.title = "verified", now - timedelta(days=10), "oldest"
        db.session.commit()
        order = [a.title for a in db.session.scalars(listing(school.site_id, {}))]
    assert order == ["item 3", "item 1", "item 2", "item 4", "item 0", "oldest"]
