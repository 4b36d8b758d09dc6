"""Background Sync with the app closed, in a real browser: stocktake scans (one with a photo) are
queued while the server is away, every page of the app is closed, the server comes back, and the
browser fires the service worker's `sync` event: the module worker sends the outbox itself, with no
page open, and each record lands exactly once. A browser without module service workers still gets
the classic worker: the offline shell and the page-driven sync.

The `sync` event is fired the way DevTools' Application panel does it, by the DevTools protocol's
ServiceWorker.dispatchSyncEvent: Chromium's BackgroundSyncManager dispatches a real SyncEvent to the
real worker (started from cold here). Only the browser's own trigger, the network coming back, is
not used: headless Chromium does not see a loopback server stopping as a connectivity change."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import StocktakeScan
from tests.conftest import PASSWORD
from tests.pwa_support import (
    log_in,
    record_unknown_label,
    refuse_module_workers,
    scan,
    stocktake_school,
    wait_for,
)

pytestmark = pytest.mark.browser

SYNC_TAG = "xunjian-outbox"


def queue_offline_scans(page, school: dict, base: str, photo_path) -> None:
    """A room, one asset and an unknown label with its photo: two records and a photo to send."""
    page.click("#tile-stocktake")
    page.click(f"[data-stocktake='{school['stocktake']}']")
    page.wait_for_selector("#room-progress")
    scan(page, f"{base}/q/{school['room_code']}")
    page.wait_for_selector("#progress-text[data-expected='3'][data-done='0']")
    scan(page, school["asset_codes"][0])
    page.wait_for_selector("#progress-text[data-done='1']")
    record_unknown_label(page, photo_path)
    page.wait_for_selector("#pending-badge:has-text('2')")


def fire_sync_event(context, origin: str) -> None:
    """Fire the worker's `sync` event through DevTools, from a blank tab closed right after.

    The ServiceWorker domain lives on page targets only, so a tab of no origin carries the session;
    it is not a client of the app (the worker's clients.matchAll() cannot see it), and it is closed
    before the worker gets going, so the sync runs with no page at all."""
    helper = context.new_page()  # about:blank
    cdp = context.new_cdp_session(helper)
    registrations: list[dict] = []
    versions: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.on("ServiceWorker.workerVersionUpdated", lambda e: versions.extend(e["versions"]))
    cdp.send("ServiceWorker.enable")
    deadline = 50
    while not [r for r in registrations if r["scopeURL"] == f"{origin}/" and not r["isDeleted"]] and deadline:
        helper.wait_for_timeout(100)
        deadline -= 1
    (reg,) = [r for r in registrations if r["scopeURL"] == f"{origin}/" and not r["isDeleted"]]
    # Stop the worker first: the sync must come from a worker started cold, imports and all.
    cdp.send("ServiceWorker.stopAllWorkers")
    cdp.send("ServiceWorker.dispatchSyncEvent",
             {"origin": origin, "registrationId": reg["registrationId"], "tag": SYNC_TAG, "lastChance": False})
    cdp.detach()
    helper.close()


def scans_on_server(app) -> list[StocktakeScan]:
    with app.app_context():
        return db.session.scalars(select(StocktakeScan).order_by(StocktakeScan.id)).all()


def test_outbox_leaves_with_the_app_closed_through_background_sync(app, factory, pwa_server, phone, tmp_path):
    school = stocktake_school(app, factory)
    page = phone.page
    base = pwa_server.url
    log_in(page, base, "zhao", PASSWORD, home_tile="#tile-stocktake")
    assert page.evaluate("() => navigator.serviceWorker.controller.scriptURL") == f"{base}/sw-module.js"
    pwa_server.stop()  # the storeroom: no network

    queue_offline_scans(page, school, base, tmp_path / "fan.jpg")
    assert scans_on_server(app) == []

    page.close()  # the app is closed: only its service worker is left in this browser
    assert phone.context.pages == []
    pwa_server.start()  # back in signal; nobody opens the app
    fire_sync_event(phone.context, base)
    assert phone.context.pages == []

    scans = wait_for(lambda: (lambda s: s if len(s) == 2 and s[1].photos else None)(scans_on_server(app)),
                     what="the worker to send both scans")
    assert phone.context.pages == []  # sent by the worker alone
    assert [s.asset_id for s in scans] == [school["assets"][0], None]
    assert all(s.room_id == school["room"] for s in scans)
    assert scans[1].label == "A0YGHZS" and scans[1].description == "旧电扇，无资产编号"
    admin = factory.api_user("s1", ("admin",))
    photo = wait_for(lambda: (lambda r: r if r.status_code == 200 else r.close())(
        admin.get(f"/api/v1/attachments/{scans[1].photos[0]}")), what="the photo uploaded by the worker")
    body = photo.get_data()
    photo.close()
    assert body[:2] == b"\xff\xd8"

    # The outbox on the phone is empty: opened again with the server away, nothing waits and
    # nothing can be sent a second time.
    pwa_server.stop()
    page = phone.context.new_page()
    page.on("pageerror", lambda exc: phone.errors.append(str(exc)))
    page.goto(f"{base}/app/")
    page.wait_for_selector("body[data-ready='1']", state="attached")
    assert page.inner_text("#pending-badge") == "0"
    pwa_server.start()
    page.click("#sync-btn")
    page.wait_for_selector("body[data-last-sync]", state="attached")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StocktakeScan)) == 2
    assert not phone.errors


def test_without_module_workers_the_classic_worker_keeps_the_shell_and_asks_the_page(
        app, factory, pwa_server, phone, tmp_path):
    """An older Safari or Firefox: registering a module worker fails, the app takes the classic one."""
    school = stocktake_school(app, factory)
    refuse_module_workers(phone.context)
    page = phone.page
    base = pwa_server.url
    log_in(page, base, "zhao", PASSWORD, home_tile="#tile-stocktake")
    assert page.evaluate("() => navigator.serviceWorker.controller.scriptURL") == f"{base}/sw.js"
    pwa_server.stop()

    page.reload()  # the offline shell still opens
    page.wait_for_selector("#tile-stocktake")
    queue_offline_scans(page, school, base, tmp_path / "fan.jpg")
    pwa_server.start()
    before = page.get_attribute("body", "data-last-sync")
    # The classic worker's sync event asks the open page, which sends the outbox.
    fire_sync_event(phone.context, base)
    page.wait_for_function("(before) => (document.body.dataset.lastSync ?? before) !== before", arg=before)
    page.wait_for_selector("#pending-badge.zero")
    assert len(scans_on_server(app)) == 2
    assert not phone.errors


def test_a_phone_on_the_classic_worker_moves_to_the_module_one_without_asking(app, factory, pwa_server, phone):
    """The browser gains module workers (or the phone installed the app before they were used): the
    module worker of the same build takes over quietly; there is nothing new for the user to accept."""
    stocktake_school(app, factory)
    refuse_module_workers(phone.context, until_stored="test.modules")
    page = phone.page
    base = pwa_server.url
    log_in(page, base, "zhao", PASSWORD, home_tile="#tile-stocktake")
    assert page.evaluate("() => navigator.serviceWorker.controller.scriptURL") == f"{base}/sw.js"

    page.evaluate("() => localStorage.setItem('test.modules', 'yes')")
    page.reload()
    page.wait_for_selector("body[data-ready='1']", state="attached")
    page.evaluate("() => { window.notReloaded = true; }")
    page.wait_for_function("(url) => navigator.serviceWorker.controller?.scriptURL === url",
                           arg=f"{base}/sw-module.js")
    page.wait_for_timeout(1000)  # what would follow a notice: the page reloading under the user
    assert page.evaluate("() => window.notReloaded === true")
    assert page.locator("#update-notice").is_hidden()
    assert not phone.errors
