"""The phone app's shell in a real browser: login once online, then it opens and works offline."""
from __future__ import annotations

import pytest

from server.extensions import db
from server.models import Building, Room, Site
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
        db.session.commit()
        return {"site_id": site_id, "rooms": {r.name: r.id for r in rooms}}


def login(page, base: str, username: str = "zhang") -> None:
    page.goto(f"{base}/app/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#tile-scan")


def test_login_then_offline_shell(app, factory, pwa_server, phone):
    seed_school(app, factory)
    page = phone.page
    login(page, pwa_server.url)
    # The first sync pulls the school's rooms into the phone.
    page.wait_for_selector("body[data-syncing='0']", state='attached')
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
