"""Stocktake mode in a real browser at 360×640, offline: continuous scanning (decoded codes injected at
the scanner boundary), the room's progress, a warning on an asset counted twice, an unknown label
recorded with a photo; then the scans land on the server once the server is back."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from server.extensions import db
from server.models import Asset, Building, Label, Room, Site, StocktakeScan
from server.services import labels, stocktakes
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def seed(app, factory) -> dict:
    site_id = factory.site("s1", "示范中学")
    factory.user(site_id, "zhao", ["auditor"], display_name="赵会计")
    with app.app_context():
        site = db.session.get(Site, site_id)
        b = Building(site_id=site.id, name="教学楼", kind="teaching", floors=4)
        db.session.add(b)
        db.session.flush()
        room = Room(site_id=site.id, name="高一(1)班", kind="classroom", building_id=b.id, floor=2)
        office = Room(site_id=site.id, name="总务处", kind="office", building_id=b.id, floor=1)
        db.session.add_all([room, office])
        db.session.flush()
        assets = [Asset(site_id=site.id, tag=f"ZC-{n:04d}", name=name, category=cat, room_id=room.id)
                  for n, (name, cat) in enumerate((("课桌", "家具"), ("投影仪", "电教"), ("讲台", "家具")), 1)]
        assets.append(Asset(site_id=site.id, tag="ZC-0099", name="打印机", category="电教", room_id=office.id))
        db.session.add_all(assets)
        db.session.flush()
        labels.ensure_labels(db.session, site_id, labels.Selection(target="room"))
        labels.ensure_labels(db.session, site_id, labels.Selection(target="asset"))
        st = stocktakes.open_stocktake(db.session, site_id, None, "2026 年末盘点")
        db.session.commit()
        codes = {(lab.room_id or lab.asset_id, lab.kind): lab.code for lab in db.session.scalars(select(Label))}
        return {"room": room.id, "stocktake": st.id, "room_code": codes[(room.id, "room")],
                "asset_codes": [codes[(a.id, "asset")] for a in assets[:3]], "assets": [a.id for a in assets]}


def scan(page, text: str) -> None:
    """A decoded QR text handed to the scanner boundary, as the camera decoder would."""
    page.evaluate("(text) => window.dispatchEvent(new CustomEvent('xunjian:scan', { detail: text }))", text)


def test_stocktake_offline_counts_a_room_and_records_an_unknown_label(app, factory, pwa_server, phone, tmp_path):
    school = seed(app, factory)
    page = phone.page
    page.goto(f"{pwa_server.url}/app/")
    page.fill("input[name=username]", "zhao")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#tile-stocktake")
    page.wait_for_selector("body[data-last-sync]", state="attached")  # the first pull is in
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    pwa_server.stop()

    page.click("#tile-stocktake")
    page.click(f"[data-stocktake='{school['stocktake']}']")
    page.wait_for_selector("#room-progress")
    first, second, _third = school["asset_codes"]
    scan(page, first)  # an asset before any room: refused, the auditor is told to scan the room
    page.wait_for_selector("#scan-log li:has-text('请先扫房间标签')")
    scan(page, f"{pwa_server.url}/q/{school['room_code']}")  # the room's label, as printed (a URL)
    page.wait_for_selector("#progress-text[data-expected='3'][data-done='0']")
    scan(page, first)
    page.wait_for_selector("#progress-text[data-done='1']")
    scan(page, second)
    page.wait_for_selector("#progress-text[data-done='2']")
    scan(page, first)  # counted already: warned, not recorded again
    page.wait_for_selector("#scan-log li.dup:has-text('已盘过')")
    assert page.get_attribute("#progress-text", "data-done") == "2"
    assert "已盘 2 / 应盘 3" in page.inner_text("#progress-text")

    scan(page, "A0YGHZS")  # a well-formed asset code this school never printed
    page.wait_for_selector("#save-unknown")
    page.fill("#unknown-desc", "旧电扇，无资产编号")
    img = Image.new("RGB", (1600, 1200), (40, 80, 160))
    buf = io.BytesIO()
    img.save(buf, "JPEG")
    (tmp_path / "fan.jpg").write_bytes(buf.getvalue())
    page.set_input_files("#unknown-photo", str(tmp_path / "fan.jpg"))
    page.wait_for_timeout(300)  # the photo is resized and hashed before it can be saved
    page.click("#save-unknown")
    page.wait_for_selector("#save-unknown", state="detached")
    phone.shot("stocktake")
    assert page.inner_text("#pending-badge") == "3"

    pwa_server.start()
    page.click("#sync-btn")
    page.wait_for_selector("#pending-badge.zero")
    page.wait_for_selector("body[data-syncing='0']", state="attached")
    with app.app_context():
        scans = db.session.scalars(select(StocktakeScan).order_by(StocktakeScan.id)).all()
        assert [s.asset_id for s in scans] == [school["assets"][0], school["assets"][1], None]
        assert all(s.room_id == school["room"] for s in scans)
        assert scans[2].label == "A0YGHZS" and scans[2].description == "旧电扇，无资产编号"
        assert len(scans[2].photos) == 1
    assert not phone.errors
