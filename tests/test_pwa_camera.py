"""The camera path end to end: Chromium's fake camera plays a video of a printed room label, the
scanner decodes it (jsQR in a worker: desktop Chromium on Linux has no BarcodeDetector) and the app
opens the room, recording that it was scanned."""
from __future__ import annotations

import pytest
import qrcode
from PIL import Image
from sqlalchemy import select

from server.extensions import db
from server.models import Building, Label, Room, Site
from server.services import labels
from tests.conftest import PASSWORD
from tests.pwa_support import CHROMIUM, CHROMIUM_ARGS, PHONE

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 640, 480


def write_y4m(path, image: Image.Image, frames: int = 5) -> None:
    """A raw YUV 4:2:0 video (what --use-file-for-fake-video-capture reads) of a still image."""
    ycc = image.convert("RGB").resize((WIDTH, HEIGHT)).convert("YCbCr")
    y, cb, cr = ycc.split()
    half = (WIDTH // 2, HEIGHT // 2)
    frame = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + frame)


def label_frame(payload: str) -> Image.Image:
    """A door sign as the camera sees it: the QR code a bit off centre on a grey wall."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=8)
    qr.add_data(payload)
    code = qr.make_image(fill_color="black", back_color="white").convert("RGB")
    wall = Image.new("RGB", (WIDTH, HEIGHT), (170, 170, 165))
    wall.paste(code, ((WIDTH - code.width) // 2 + 30, (HEIGHT - code.height) // 2 - 10))
    return wall


def test_fake_camera_label_opens_the_room_as_scanned(app, factory, pwa_server, playwright, tmp_path):
    site_id = factory.site("s1", "示范中学")
    factory.user(site_id, "zhang", ["inspector"])
    with app.app_context():
        site = db.session.get(Site, site_id)
        b = Building(site_id=site.id, name="二号宿舍楼", kind="dorm", floors=6)
        db.session.add(b)
        db.session.flush()
        room = Room(site_id=site.id, name="2-305", kind="dorm", building_id=b.id, floor=3)
        db.session.add(room)
        db.session.flush()
        labels.ensure_labels(db.session, site_id, labels.Selection(target="room"))
        db.session.commit()
        code = db.session.scalar(select(Label.code))
    video = tmp_path / "label.y4m"
    write_y4m(video, label_frame(f"https://xj.example.edu.cn/q/{code}"))

    args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
    try:
        context = browser.new_context(**PHONE, permissions=["camera"])
        context.set_default_timeout(20_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{pwa_server.url}/app/")
        page.fill("input[name=username]", "zhang")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("body[data-syncing='0']", state="attached")
        page.wait_for_selector("#ref-counts:has-text('1 个房间')")
        page.click("#tile-scan")
        page.wait_for_selector("#item-title")
        assert page.inner_text("#item-title") == "2-305"
        assert "扫码" in page.inner_text("main")
        assert "entry=scanned" in page.url
        assert not errors
    finally:
        browser.close()
