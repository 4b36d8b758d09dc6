"""Browser fixtures for the phone app: Debian's chromium through Playwright, a 360×640 phone, and a
server in its own process that a test can stop and start again on the same port (taking the server
away is the only honest offline test: Playwright's set_offline does not reach service-worker
requests in Chromium)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

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
