"""The console's label page: preview, print with CSRF, calibration and reissue."""
from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def console(factory, client, admin_api):
    """A console session for an admin of s1, where admin_api has added two rooms."""
    for name in ("主食库", "副食库"):
        admin_api.post("/api/v1/rooms", json={"name": name, "kind": "canteen_zone"})
    factory.user(admin_api.site_id, "boss", ["admin"])
    page = client.get("/admin/login").get_data(as_text=True)
    client.post("/admin/login", data={"username": "boss", "password": PASSWORD, "csrf_token": _csrf(page)})
    return client


def test_the_page_previews_then_prints(console):
    page = console.get("/admin/labels/?target=room&layout=a4-2x4-door&room_kind=canteen_zone")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "标签打印" in html and "打印机校准" in html
    preview_url = re.search(r'class="sheet-preview" src="([^"]+)"', html).group(1).replace("&amp;", "&")
    preview = console.get(preview_url)
    assert preview.status_code == 200 and preview.data.startswith(b"\x89PNG")

    form = {"target": "room", "layout": "a4-2x4-door", "room_kind": "canteen_zone"}
    assert console.post("/admin/labels/sheet.pdf", data=form).status_code == 400  # no CSRF token
    pdf = console.post("/admin/labels/sheet.pdf", data={**form, "csrf_token": _csrf(html)})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_an_empty_selection_is_explained(console):
    html = console.get("/admin/labels/").get_data(as_text=True)
    resp = console.post("/admin/labels/sheet.pdf", data={"target": "asset", "layout": "a4-3x8",
                                                         "csrf_token": _csrf(html)}, follow_redirects=True)
    assert "no asset matches" in resp.get_data(as_text=True)


def test_calibration_is_saved_for_the_user(console, admin_api):
    html = console.get("/admin/labels/").get_data(as_text=True)
    console.post("/admin/labels/calibration", data={"x_mm": "0.8", "y_mm": "-1.2", "csrf_token": _csrf(html)})
    html = console.get("/admin/labels/").get_data(as_text=True)
    assert 'value="0.8"' in html and 'value="-1.2"' in html
    assert console.get("/admin/labels/calibration.pdf?layout=a4-3x8").data.startswith(b"%PDF")


def test_reissue_from_the_console(console, admin_api):
    admin_api.post("/api/v1/labels/sheet", json={"target": "room", "layout": "a4-3x8"})
    old = admin_api.get("/api/v1/sync/pull").get_json()["changes"]
    code = next(c["data"]["code"] for c in old if c["type"] == "label")
    html = console.get("/admin/labels/").get_data(as_text=True)
    resp = console.post("/admin/labels/reissue", data={"code": code, "csrf_token": _csrf(html)},
                        follow_redirects=True)
    assert "已补发新标签" in resp.get_data(as_text=True)
    assert admin_api.get(f"/api/v1/labels/resolve/{code}").status_code == 410
