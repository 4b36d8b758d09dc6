"""The phone app's shell in a real browser: login once online, then it opens and works offline."""
from __future__ import annotations

import pytest

from server.extensions import db
from server.models import Building, Label, Room, Site
from server.services import labels
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def seed_school(app, factory) -> dict:
    site_id = factory.site("s1", "示范中学")
    factory.user(site_id, "zhang", ["inspector"], display_name="张老师")
    with app.app_context():
        site = db.session.get(Site, site_id)
        b = Building(site_id=site.id, name="一号宿舍楼", kind="dorm", floors=5)
        db.session.add(b)
        db.session.flush()
        rooms = [Room(site_id=site.id, name=name, kind=kind, building_id=b.id, floor=1)
                 for name, kind in (("101", "dorm"), ("102", "dorm"), ("粗加工间", "canteen_zone"))]
        db.session.add_all(rooms)
        db.session.flush()
        labels.ensure_labels(db.session, site_id, labels.Selection(target="room"))
        db.session.commit()
        codes = {lab.room.name: lab.code for lab in db.session.scalars(db.select(Label))}
        return {"site_id": site_id, "rooms": {r.name: r.id for r in rooms}, "codes": codes}


def login(page, base: str, username: str = "zhang", shot=None) -> None:
    page.goto(f"{base}/app/")
    if shot:
        page.wait_for_selector("input[name=username]")
        shot("login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#tile-scan")


def test_login_then_offline_shell(app, factory, pwa_server, phone):
    seed_school(app, factory)
    page = phone.page
    login(page, pwa_server.url, shot=phone.shot)
    # The first sync pulls the school's rooms into the phone ('not syncing' is also true before it starts).
    page.wait_for_selector("body[data-last-sync]", state="attached")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.reload()
    page.wait_for_selector("#ref-counts")
    assert "3 个房间" in page.inner_text("#ref-counts")
    phone.shot("home")

    pwa_server.stop()  # no network from here on
    page.reload()
    page.wait_for_selector("#tile-scan")
    assert "3 个房间" in page.inner_text("#ref-counts")
    page.click("#tile-settings")
    page.wait_for_selector("#lang-select")
    assert not phone.errors


def test_label_links_open_rooms_offline_and_say_replaced_or_unknown(app, factory, pwa_server, phone):
    school = seed_school(app, factory)
    with app.app_context():
        old = school["codes"]["102"]
        new = labels.reissue(db.session, old).code
    page = phone.page
    login(page, pwa_server.url)
    page.wait_for_selector("body[data-last-sync]", state="attached")  # the first pull is in
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    pwa_server.stop()

    # A printed label opened by the camera app, with the server gone: straight to the room.
    page.goto(f"{pwa_server.url}/q/{school['codes']['101']}")
    page.wait_for_selector("#item-title")
    assert page.inner_text("#item-title") == "101"
    assert "标签链接" in page.inner_text("main")
    phone.shot("room-from-label-link")

    page.goto(f"{pwa_server.url}/q/{old}")
    page.wait_for_selector("#label-status")
    assert "已被替换" in page.inner_text("#label-status")
    assert new in page.inner_text("main")

    page.goto(f"{pwa_server.url}/q/R0YGHZW")  # well formed, but no such label in this school
    page.wait_for_selector("#label-status")
    assert "未知标签" in page.inner_text("#label-status")

    # Typed codes are checked by the check character before anything is looked up.
    page.goto(f"{pwa_server.url}/app/#/scan")
    page.wait_for_selector("#manual-code")
    page.wait_for_selector("#cam-msg:has-text('没有找到相机')")  # no camera in this browser: typing still works
    phone.shot("scan")
    good = school["codes"]["粗加工间"]
    typo = good[:-1] + ("0" if good[-1] != "0" else "1")
    page.fill("#manual-code", typo)
    page.click("form.row button[type=submit]")
    assert "校验位" in page.inner_text("#manual-error")
    page.fill("#manual-code", good.lower())
    page.click("form.row button[type=submit]")
    page.wait_for_selector("#item-title")
    assert page.inner_text("#item-title") == "粗加工间"
    assert "手动输入" in page.inner_text("main")
    assert not phone.errors


def test_new_version_is_offered_then_taken_in_english(app, factory, pwa_server, phone):
    seed_school(app, factory)
    page = phone.page
    login(page, pwa_server.url)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.click("#tile-settings")
    page.select_option("#lang-select", "en")  # the English switch reloads the app in English
    page.wait_for_selector("h1:has-text('Settings')")
    assert "Sync now" in page.inner_text("#sync-btn")
    page.wait_for_selector("#app-version:has-text('v ')")
    before = page.inner_text("#app-version")

    pwa_server.stop()
    pwa_server.build_salt = "release-2"  # a new deployment
    pwa_server.start()
    page.reload()
    page.wait_for_selector("#update-notice:not([hidden])")
    assert "A new version is ready" in page.inner_text("#update-notice")
    phone.shot("update-available")
    page.click("#update-btn")
    page.wait_for_selector("#update-notice", state="hidden")
    page.goto(f"{pwa_server.url}/app/#/settings")
    page.wait_for_selector("#app-version:has-text('v ')")
    assert page.inner_text("#app-version") != before
    assert not phone.errors
