"""Console pages of the ledger: history with lifecycle steps, printable registers, stocktake review,
report, XLSX and approval; everything escaped, CSRF on every POST."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from server.extensions import db
from server.models import (
    IMPORT_STATES,
    LIFECYCLE_KINDS,
    SCAN_CONDITIONS,
    STOCKTAKE_STATUSES,
    SYSTEM_EVENT_KINDS,
    Asset,
    Stocktake,
)
from tests.assets.conftest import add_asset, at, csrf_token
from tests.assets.stocktake_helpers import Phone, scan


def test_lifecycle_steps_from_the_asset_page_build_its_history(app, console, school):
    asset_id = add_asset(app, school, "A1", "教学楼 教101", status="idle")
    url = f"/admin/assets/{asset_id}/history"
    token = csrf_token(console.get(url).get_data(as_text=True))
    assert console.post(url, data={"kind": "issue", "custodian": "张老师"}).status_code == 400  # no CSRF token
    for step in ({"kind": "issue", "custodian": "张老师", "department": "教务处"},
                 {"kind": "lend", "custodian": "<b>物理组</b>"}, {"kind": "return"},
                 {"kind": "move", "to_room_id": str(school.room("教学楼 教102"))}, {"kind": "scrap", "note": "锈蚀"}):
        assert console.post(url, data={**step, "csrf_token": token}).status_code == 302
    refused = console.post(url, data={"kind": "return", "csrf_token": token}, follow_redirects=True)
    assert "not possible while the asset is scrapped" in refused.get_data(as_text=True)
    html = console.get(url).get_data(as_text=True)
    for label in ("领用", "借用", "归还", "调拨", "报废"):
        assert label in html
    assert "&lt;b&gt;物理组&lt;/b&gt;" in html and "<b>物理组</b>" not in html
    with app.app_context():
        asset = db.session.get(Asset, asset_id)
        assert (asset.status, asset.room_id, asset.custodian) == ("scrapped", school.room("教学楼 教102"),
                                                                  "<b>物理组</b>")


def test_the_room_register_lists_what_is_there_but_not_scrapped_assets(app, console, school):
    add_asset(app, school, "R-1", "教学楼 教101")
    add_asset(app, school, "R-2", "教学楼 教101", status="scrapped")
    html = console.get(f"/admin/rooms/{school.room('教学楼 教101')}/register").get_data(as_text=True)
    assert "R-1" in html and "R-2" not in html and "财产清单" in html and "assets.css" in html


def test_review_report_xlsx_and_approval_in_the_console(app, console, school, factory):
    moved = add_asset(app, school, "M-1", "教学楼 教101")
    add_asset(app, school, "L-1", "教学楼 教102")
    token = csrf_token(console.get("/admin/stocktakes").get_data(as_text=True))
    resp = console.post("/admin/stocktakes", data={"name": "<script>x</script>", "csrf_token": token,
                                                   "building_ids": [str(school.buildings["教学楼"])]})
    assert resp.status_code == 302
    with app.app_context():
        st = db.session.scalar(select(Stocktake.id))
    Phone(factory, "zhao").send([scan(st, moved, school.room("教学楼 教102"), at(9)),
                                       scan(st, None, school.room("教学楼 教102"), at(9), description="=旧桌子")])
    page = console.get(f"/admin/stocktakes/{st}").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page
    assert "位置不符" in page and "盘亏" in page and "=旧桌子" in page
    assert "盘点报告" in console.get(f"/admin/stocktakes/{st}/report").get_data(as_text=True)
    book = load_workbook(io.BytesIO(console.get(f"/admin/stocktakes/{st}/reconciliation.xlsx").data))
    assert book["盘亏"]["A2"].value == "L-1"
    assert book["盘盈"]["B2"].value == "'=旧桌子"  # never a formula
    stale = console.post(f"/admin/stocktakes/{st}/approve", data={"csrf_token": token, "scan_count": "1"},
                         follow_redirects=True)
    assert "new scans arrived" in stale.get_data(as_text=True)
    console.post(f"/admin/stocktakes/{st}/approve", data={"csrf_token": token, "scan_count": "2"})
    with app.app_context():
        assert db.session.get(Stocktake, st).status == "approved"
        assert db.session.get(Asset, moved).room_id == school.room("教学楼 教102")
    assert "已审批结束" in console.get("/admin/stocktakes").get_data(as_text=True)


def test_the_import_page_uses_a_static_progress_script(app, console):
    from tests.assets.test_ledger_import import upload

    resp = upload(console, "l.csv", "资产编号,资产名称\nA,B\n".encode())
    import_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        from server.models import LedgerImport

        db.session.get(LedgerImport, import_id).state = "reading"
        db.session.commit()
    html = console.get(f"/admin/ledger/imports/{import_id}").get_data(as_text=True)
    assert 'src="/static/ledger_import.js"' in html and "<progress" in html and "<script>" not in html
    script = console.get("/static/ledger_import.js")
    assert script.status_code == 200
    script.close()


def test_every_asset_string_has_both_languages():
    import json
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "server" / "i18n"
    zh = json.loads((folder / "assets.zh.json").read_text(encoding="utf-8"))
    en = json.loads((folder / "assets.en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en) and all(zh.values()) and all(en.values())
    wanted = {f"event.{k}" for k in (*LIFECYCLE_KINDS, *SYSTEM_EVENT_KINDS)}
    wanted |= {f"import.state.{s}" for s in IMPORT_STATES}
    wanted |= {f"condition.{c}" for c in SCAN_CONDITIONS} | {f"stocktake.status.{s}" for s in STOCKTAKE_STATUSES}
    assert wanted <= set(zh)


def test_pages_in_english(app, console, school):
    console.get("/admin/lang/en")
    html = console.get("/admin/stocktakes").get_data(as_text=True)
    assert "Open a stocktake" in html and "发起盘点" not in html
