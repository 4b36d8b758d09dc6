"""Browser fixtures for the phone app: Debian's chromium through Playwright, a 360×640 phone, and a
server in its own process that a test can stop and start again on the same port (taking the server
away is the only honest offline test: Playwright's set_offline does not reach service-worker
requests in Chromium). Also the pieces several browser tests share: a school with a stocktake,
a scan at the scanner boundary, a browser without module service workers."""
from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from server.extensions import db
from server.models import Asset, Building, Label, Room, Site
from server.services import labels, stocktakes

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PHONE = {"viewport": {"width": 360, "height": 640}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerProcess:
    """The app in a subprocess on a fixed port; stop() takes the network away from the phone."""

    database_url: str
    attachment_dir: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    build_salt: str = ""  # change it and restart: the app deploys a new version

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "XJ_TEST_DB": self.database_url, "XJ_TEST_ATTACHMENTS": self.attachment_dir,
               "XJ_BUILD_SALT": self.build_salt}
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "pwa_serve.py"), str(self.port)],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.stop()
            raise RuntimeError("the test server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            self.proc = None


@pytest.fixture
def pwa_server(app, database_url) -> Iterator[ServerProcess]:
    server = ServerProcess(database_url, app.config["ATTACHMENT_DIR"])
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def playwright():
    """One Playwright for the whole run: its sync API refuses a second one while the first is open, so a
    test that needs a browser launched its own way (a fake camera) launches it from this one."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing; scripts/setup.sh installs Debian's chromium")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def chromium(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Phone:
    context: object
    page: object
    errors: list[str]

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


@pytest.fixture
def phone(chromium) -> Iterator[Phone]:
    context = chromium.new_context(**PHONE, service_workers="allow")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield Phone(context, page, errors)
    context.close()


def wait_for(predicate, timeout: float = 20.0, what: str = "condition"):
    """Poll a server-side condition (the browser side uses Playwright's own waiting)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def synced_after(page, action) -> None:
    """Do `action` (something that makes the app sync) and wait until a sync has gone through after
    it: body[data-last-sync] changes only when a sync completes without error, whereas
    body[data-syncing='0'] is also true before the sync has even started."""
    before = page.get_attribute("body", "data-last-sync")
    action()
    page.wait_for_function("(before) => (document.body.dataset.lastSync ?? before) !== before", arg=before)


def stocktake_school(app, factory) -> dict:
    """A school with an open stocktake: a classroom with three labelled assets and an office with one,
    and an auditor (zhao) to log in as."""
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


def refuse_module_workers(context, until_stored: str | None = None) -> None:
    """Make the browser one without module service workers (an older Safari or Firefox); with
    `until_stored`, only until the page's localStorage holds that key."""
    guard = f"if (localStorage.getItem('{until_stored}')) return;" if until_stored else ""
    context.add_init_script(f"""(() => {{
      {guard}
      const register = ServiceWorkerContainer.prototype.register;
      ServiceWorkerContainer.prototype.register = function (url, options) {{
        if (options && options.type === 'module') {{
          return Promise.reject(new TypeError('module service workers are not supported'));
        }}
        return register.call(this, url, options);
      }};
    }})()""")


def log_in(page, base: str, username: str, password: str, home_tile: str = "#tile-scan") -> None:
    """Log in on the phone app and wait until its home shows `home_tile`, the first pull is in and the
    service worker controls the page, so the server may be taken away."""
    page.goto(f"{base}/app/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector(home_tile)
    page.wait_for_selector("body[data-last-sync]", state="attached")  # the first pull is in
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def record_unknown_label(page, photo_path: Path) -> None:
    """In stocktake mode: scan a well-formed asset code the school never printed and record it with a
    description and a photo."""
    scan(page, "A0YGHZS")
    page.wait_for_selector("#save-unknown")
    page.fill("#unknown-desc", "旧电扇，无资产编号")
    buf = io.BytesIO()
    Image.new("RGB", (1600, 1200), (40, 80, 160)).save(buf, "JPEG")
    photo_path.write_bytes(buf.getvalue())
    page.set_input_files("#unknown-photo", str(photo_path))
    page.wait_for_timeout(300)  # the photo is resized and hashed before it can be saved
    page.click("#save-unknown")
    page.wait_for_selector("#save-unknown", state="detached")
