"""Labels over HTTP: sheets that scan to each room, reissues, code resolution, calibration, the CLI."""
from __future__ import annotations

import pytest
import zxingcpp
from sqlalchemy import func, select

from qr_labels.codes import make_code
from qr_labels.layouts import LAYOUTS
from qr_labels.render import Box, qr_box
from qr_labels.sheet import rasterise
from server.extensions import db
from server.models import Label

DPI = 150


def _scan(pdf: bytes, page: int = 0) -> dict[str, tuple[float, float]]:
    """Payload → top-left corner (mm) of every QR code on the page."""
    found = zxingcpp.read_barcodes(rasterise(pdf, page, DPI), formats=zxingcpp.BarcodeFormat.QRCode)
    return {b.text: (b.position.top_left.x * 25.4 / DPI, b.position.top_left.y * 25.4 / DPI) for b in found}


@pytest.fixture
def school(admin_api):
    """Two buildings' rooms and a few assets in school s1."""
    b1 = admin_api.post("/api/v1/buildings", json={"name": "1号楼"}).get_json()["id"]
    b2 = admin_api.post("/api/v1/buildings", json={"name": "食堂"}).get_json()["id"]
    rooms = [admin_api.post("/api/v1/rooms", json={"name": f"10{n}", "kind": "dorm", "building_id": b1,
                                                   "floor": 1}).get_json()["id"] for n in range(1, 5)]
    rooms.append(admin_api.post("/api/v1/rooms", json={"name": "留样间", "kind": "canteen_zone",
                                                       "building_id": b2}).get_json()["id"])
    for n in range(3):
        admin_api.post("/api/v1/assets", json={"tag": f"ZC-{n:04d}", "name": "灭火器", "category": "消防",
                                               "room_id": rooms[0]})
    return {"buildings": (b1, b2), "rooms": rooms}


def _sheet(api, **body):
    return api.post("/api/v1/labels/sheet", json={"layout": "a4-3x8", "target": "room", **body})


def test_a_sheet_scans_to_each_selected_room(admin_api, school, app):
    resp = _sheet(admin_api, building_id=school["buildings"][0])
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    payloads = _scan(resp.data)
    assert len(payloads) == 4
    for payload in payloads:
        assert payload.startswith(app.config["PUBLIC_BASE_URL"] + "/q/R")
        code = payload.removeprefix(app.config["PUBLIC_BASE_URL"] + "/q/")
        scanned = admin_api.get(f"/api/v1/labels/resolve/{code}").get_json()
        assert scanned["room"]["id"] in school["rooms"][:4] and scanned["status"] == "active"


def test_reprinting_keeps_codes_and_unlabelled_skips_printed_ones(admin_api, school):
    first = set(_scan(_sheet(admin_api, room_kind="dorm").data))
    assert set(_scan(_sheet(admin_api, ids=school["rooms"][:2]).data)) < first
    rest = _scan(_sheet(admin_api, unlabelled=True).data)
    assert len(rest) == 1 and not set(rest) & first
    resp = _sheet(admin_api, unlabelled=True)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "empty_selection"


def test_assets_by_category(admin_api, school):
    resp = admin_api.post("/api/v1/labels/sheet", json={"layout": "a4-4x10-tags", "target": "asset",
                                                        "category": "消防"})
    assert sorted(p.rsplit("/", 1)[1][0] for p in _scan(resp.data)) == ["A", "A", "A"]


def test_a_replaced_code_answers_as_replaced(admin_api, school):
    _sheet(admin_api, room_kind="dorm")
    old = next(iter(_scan(_sheet(admin_api, ids=[school["rooms"][0]]).data))).rsplit("/", 1)[1]
    resp = admin_api.post(f"/api/v1/labels/{old}/reissue")
    assert resp.status_code == 201
    new = resp.get_json()
    assert (new["generation"], new["room_id"], new["status"]) == (2, school["rooms"][0], "active")

    gone = admin_api.get(f"/api/v1/labels/resolve/{old}")
    assert gone.status_code == 410
    assert gone.get_json()["error"]["code"] == "label_replaced"
    assert gone.get_json()["error"]["details"]["replaced_by"] == new["code"]
    assert admin_api.get(f"/api/v1/labels/resolve/{new['code']}").get_json()["room"]["id"] == school["rooms"][0]
    # The new label is not printed yet, so "unlabelled" picks that room up again.
    assert list(_scan(_sheet(admin_api, unlabelled=True, room_kind="dorm").data)) == [
        f"{admin_api.client.application.config['PUBLIC_BASE_URL']}/q/{new['code']}"]


def test_scans_say_what_is_wrong(admin_api, school, factory):
    code = next(iter(_scan(_sheet(admin_api, ids=[school["rooms"][0]]).data))).rsplit("/", 1)[1]
    typo = code[:-2] + code[-1] + code[-2] if code[-1] != code[-2] else code[:-1] + "0"
    assert admin_api.get(f"/api/v1/labels/resolve/{typo}").get_json()["error"]["code"] == "invalid_code"
    assert admin_api.get(f"/api/v1/labels/resolve/{make_code('room', 9999)}").status_code == 404
    assert admin_api.get(f"/api/v1/labels/resolve/{code.lower()}").status_code == 200  # typed in lower case
    other_school = factory.api_user("s2", ("inspector",))
    assert other_school.get(f"/api/v1/labels/resolve/{code}").status_code == 404


def test_phones_pull_labels(admin_api, school, factory):
    _sheet(admin_api, ids=school["rooms"][:2])
    phone = factory.api_user("s1", ("inspector",))
    changes = phone.get("/api/v1/sync/pull").get_json()["changes"]
    pulled = [c["data"] for c in changes if c["type"] == "label"]
    assert sorted(p["room_id"] for p in pulled) == sorted(school["rooms"][:2])
    assert all(p["status"] == "active" and p["code"].startswith("R") for p in pulled)


def test_stored_calibration_moves_the_print(admin_api, school):
    before = next(iter(_scan(_sheet(admin_api, ids=[school["rooms"][0]]).data).values()))
    assert admin_api.put("/api/v1/labels/calibration", json={"x_mm": 1.5, "y_mm": -1.0}).status_code == 200
    assert admin_api.get("/api/v1/labels/calibration").get_json() == {"x_mm": 1.5, "y_mm": -1.0}
    after = next(iter(_scan(_sheet(admin_api, ids=[school["rooms"][0]]).data).values()))
    assert after[0] - before[0] == pytest.approx(1.5, abs=0.2)
    assert after[1] - before[1] == pytest.approx(-1.0, abs=0.2)


def test_skip_and_layout_put_the_first_label_in_the_right_place(admin_api, school):
    layout = LAYOUTS["a4-21-l7160"]
    resp = _sheet(admin_api, layout=layout.key, ids=[school["rooms"][0]], skip=4)
    (top_left,) = _scan(resp.data).values()
    square = qr_box(layout, Box(*layout.cell(4), *layout.label))
    assert square.x < top_left[0] < square.x + 6 and square.y < top_left[1] < square.y + 6


def test_preview_is_a_png_and_records_nothing(admin_api, school, app):
    resp = admin_api.post("/api/v1/labels/preview", json={"layout": "a4-3x8", "target": "room"})
    assert resp.status_code == 200 and resp.data.startswith(b"\x89PNG")
    with app.app_context():
        assert db.session.scalar(select(func.count(Label.id))) == 0


def test_calibration_sheet_and_layouts(admin_api):
    layouts = admin_api.get("/api/v1/labels/layouts").get_json()
    assert {layout["key"] for layout in layouts} == set(LAYOUTS)
    resp = admin_api.get("/api/v1/labels/calibration-sheet?layout=a4-2x4-door")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")


def test_only_admins_print(factory, school):
    inspector = factory.api_user("s1", ("inspector",))
    assert _sheet(inspector).status_code == 403


def test_cli_prints_a_sheet_with_progress(admin_api, school, app, tmp_path):
    out = tmp_path / "labels.pdf"
    result = app.test_cli_runner().invoke(args=["labels", "--site", "s1", "--target", "asset", "--layout",
                                                "a4-4x10-tags", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 3 labels on 1 pages" in result.output
    assert len(_scan(out.read_bytes())) == 3


def test_deleting_a_room_takes_its_labels_with_it(admin_api, school):
    room_id = school["rooms"][1]  # rooms[0] holds assets, which do keep a room from going
    code = next(iter(_scan(_sheet(admin_api, ids=[room_id]).data))).rsplit("/", 1)[1]
    cursor = admin_api.get("/api/v1/sync/pull").get_json()["cursor"]
    assert admin_api.delete(f"/api/v1/rooms/{room_id}").status_code == 204
    assert admin_api.get(f"/api/v1/labels/resolve/{code}").status_code == 404
    deleted = admin_api.get(f"/api/v1/sync/pull?cursor={cursor}").get_json()["deleted"]
    assert {d["type"] for d in deleted} == {"room", "label"}
