"""The phone's login across days: unsent records block logout (and can be exported), a revoked token
asks for a new login and keeps the outbox, which then lands exactly once; and a fixer closes a fix
from the phone with a note and a photo."""
from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from server.extensions import db
from server.models import Action, Building, Device, Inspection, Label, Room, Site, TemplateVersion
from server.services import labels, templates
from tests.conftest import PASSWORD
from tests.pwa_support import log_in

pytestmark = pytest.mark.browser


def seed(app, factory) -> dict:
    site_id = factory.site("s1", "示范中学")
    factory.user(site_id, "zhang", ["inspector"], display_name="张老师")
    fixer_id = factory.user(site_id, "sun", ["fixer"], display_name="孙师傅")
    with app.app_context():
        site = db.session.get(Site, site_id)
        canteen = Building(site_id=site.id, name="学生食堂", kind="canteen", floors=1)
        db.session.add(canteen)
        db.session.flush()
        zone = Room(site_id=site.id, name="烹饪间", kind="canteen_zone", building_id=canteen.id, floor=1,
                    responsible_user_id=fixer_id)
        db.session.add(zone)
        db.session.flush()
        templates.install_builtin(db.session, site_id)
        labels.ensure_labels(db.session, site_id, labels.Selection(target="room"))
        db.session.commit()
        four = db.session.scalar(select(TemplateVersion).where(TemplateVersion.family == "canteen_four_preventions"))
        code = db.session.scalar(select(Label.code).where(Label.room_id == zone.id))
        return {"zone": zone.id, "code": code, "template": four.id,
                "items": [i["key"] for i in four.items]}


def all_pass_check(page, base: str, code: str) -> None:
    page.goto(f"{base}/q/{code}")
    page.click("a[data-template='canteen_four_preventions']")
    page.wait_for_selector("#items")
    for card in page.query_selector_all("[data-kind=pass_fail]"):
        card.query_selector("button.pass").click()
    page.click("#submit-inspection")
    page.wait_for_selector("#tile-scan")


def check_offline(page, pwa_server, code: str) -> None:
    """zhang logs in, the server goes away, and he records an all-pass check: one record waits."""
    log_in(page, pwa_server.url, "zhang", PASSWORD)
    pwa_server.stop()
    all_pass_check(page, pwa_server.url, code)


def test_revoked_token_keeps_the_outbox_and_logout_waits_for_it(app, factory, pwa_server, phone, tmp_path):
    school = seed(app, factory)
    page = phone.page
    check_offline(page, pwa_server, school["code"])
    assert page.inner_text("#pending-badge") == "1"

    # Logging out or clearing would lose the record: refused, with the export offered instead.
    page.click("#tile-settings")
    page.click("#logout-btn")
    page.wait_for_selector("#status-line:has-text('还有 1 项未上传，不能退出登录')")
    page.click("#clear-btn")
    page.wait_for_selector("#status-line:has-text('还有 1 项未上传，不能清除本机数据')")
    with page.expect_download() as dl:
        page.click("text=导出未上传记录")
    exported = json.loads(Path(dl.value.path()).read_text(encoding="utf-8"))
    assert exported["format"] == "xunjian-outbox-export/1"
    assert [r["type"] for r in exported["records"]] == ["inspection"]
    phone.shot("settings")

    # Meanwhile the admin revoked this phone (lost, or a staff change).
    with app.app_context():
        for device in db.session.scalars(select(Device)):
            device.revoked_at = datetime.now(UTC)
        db.session.commit()
    pwa_server.start()
    page.click("#sync-btn")
    page.wait_for_selector("input[name=password]")
    assert "重新登录" in page.inner_text("main")
    assert page.input_value("input[name=username]") == "zhang"
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#pending-badge.zero")
    page.wait_for_selector("body[data-syncing='0']", state="attached")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Inspection)) == 1

    # A record the server can never take (a template version it does not know) is answered
    # rejected: it stays on the phone, shown with the server's reason, and blocks nothing.
    page.evaluate("""async () => {
      const outbox = await import('/app/src/outbox.js');
      await outbox.enqueue({ type: 'inspection', summary: { title: '旧检查表' },
        data: { template_id: 999999, room_id: 1, scanned: false, answers: {}, photos: [] } });
      await (await import('/app/src/sync.js')).refreshPending();
    }""")
    page.wait_for_selector("#pending-badge:not(.zero)")
    page.click("#sync-btn")
    page.wait_for_selector("#pending-badge.zero")
    page.goto(f"{pwa_server.url}/app/#/outbox")
    rejected = page.locator("#outbox-list li[data-state=rejected]")
    rejected.wait_for()
    assert "被拒绝" in rejected.inner_text()
    assert rejected.locator(".reasons li").count() >= 1
    phone.shot("outbox-rejected")

    page.goto(f"{pwa_server.url}/app/#/settings")
    page.click("#logout-btn")
    page.wait_for_selector("input[name=password]")
    assert not phone.errors


def test_another_user_cannot_log_in_over_unsent_records(app, factory, pwa_server, phone):
    school = seed(app, factory)
    page = phone.page
    check_offline(page, pwa_server, school["code"])
    pwa_server.start()
    with app.app_context():
        for device in db.session.scalars(select(Device)):
            device.revoked_at = datetime.now(UTC)
        db.session.commit()
    page.click("#sync-btn")
    page.wait_for_selector("input[name=password]")
    # Someone else picks up the phone: zhang's record must not be sent under their name.
    page.fill("input[name=username]", "sun")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("main .error:has-text('zhang 的 1 项未上传记录')")
    assert page.locator("#export-btn").is_visible()
    phone.shot("login-refused")
    page.fill("input[name=username]", "zhang")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#pending-badge.zero")
    with app.app_context():
        inspection = db.session.scalar(select(Inspection))
        assert inspection.inspector.username == "zhang"
    assert not phone.errors


def test_fixer_marks_a_fix_done_with_note_and_photo(app, factory, pwa_server, phone, tmp_path):
    school = seed(app, factory)
    inspector = factory.login("zhang", "desk phone")
    answers = {key: {"result": "pass"} for key in school["items"]}
    answers["insects"] = {"result": "fail", "photos": ["ab" * 32], "note": "发现蟑螂"}
    resp = inspector.post("/api/v1/sync/push", json={"device_id": inspector.device_id, "batch_id": str(uuid.uuid4()),
        "records": [{"uuid": str(uuid.uuid4()), "type": "inspection", "recorded_at": datetime.now(UTC).isoformat(),
                     "base_version": None, "data": {"template_id": school["template"], "room_id": school["zone"],
                                                    "scanned": True, "answers": answers}}]})
    assert resp.get_json()["results"][0]["status"] == "accepted", resp.get_json()

    page = phone.page
    log_in(page, pwa_server.url, "sun", PASSWORD)
    page.wait_for_selector("#tile-fixes:has-text('1 项待办')")
    pwa_server.stop()
    page.click("#tile-fixes")
    page.wait_for_selector("#fix-list li")
    phone.shot("fixes")
    page.click("#fix-list li a")
    page.fill("#fix-note", "已投放蟑螂药并封堵墙缝")
    buf = io.BytesIO()
    Image.new("RGB", (900, 1200), (200, 200, 190)).save(buf, "JPEG")
    (tmp_path / "fixed.jpg").write_bytes(buf.getvalue())
    page.set_input_files("#fix-photo", str(tmp_path / "fixed.jpg"))
    page.wait_for_selector(".photos img")
    page.click("#mark-done")
    page.wait_for_selector("#no-fixes")
    assert page.inner_text("#pending-badge") == "1"

    pwa_server.start()
    page.click("#sync-btn")
    page.wait_for_selector("#pending-badge.zero")
    page.wait_for_selector("body[data-syncing='0']", state="attached")
    with app.app_context():
        action = db.session.scalar(select(Action))
        assert action.status == "done"
        assert action.fix_note == "已投放蟑螂药并封堵墙缝"
        assert len(action.fix_photos) == 1
    assert not phone.errors
