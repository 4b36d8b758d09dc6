"""Stocktake mode in a real browser at 360×640, offline: continuous scanning (decoded codes injected at
the scanner boundary), the room's progress, a warning on an asset counted twice, an unknown label
recorded with a photo; then the scans land on the server once the server is back."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import StocktakeScan
from tests.conftest import PASSWORD
from tests.pwa_support import log_in, record_unknown_label, scan, stocktake_school

pytestmark = pytest.mark.browser


def test_stocktake_offline_counts_a_room_and_records_an_unknown_label(app, factory, pwa_server, phone, tmp_path):
    school = stocktake_school(app, factory)
    page = phone.page
    log_in(page, pwa_server.url, "zhao", PASSWORD, home_tile="#tile-stocktake")
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

    record_unknown_label(page, tmp_path / "fan.jpg")
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
