"""How the server hands out the phone app: shell, label links, a whitelist of npm files, the worker."""
from __future__ import annotations

import re

from server import pwa


def test_shell_and_label_links_serve_the_app(client):
    for path in ("/app/", "/q/R000Z88"):
        resp = client.get(path)
        assert resp.status_code == 200
        assert b'src="/app/src/main.js"' in resp.data
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]


def test_only_whitelisted_files_are_served(client):
    assert client.get("/app/node_modules/idb/build/index.js").status_code == 200
    assert client.get("/app/node_modules/jsqr/dist/jsQR.js").status_code == 200
    for path in ("/app/node_modules/idb/package.json", "/app/node_modules/.package-lock.json",
                 "/app/src/../sw.js", "/app/src/%2e%2e/%2e%2e/server/config.py", "/app/package.json",
                 "/app/tests/outbox.test.mjs"):
        assert client.get(path).status_code == 404, path


def test_worker_is_versioned_and_precaches_every_module(client, app):
    resp = client.get("/sw.js")
    assert resp.status_code == 200
    assert resp.headers["Service-Worker-Allowed"] == "/"
    assert resp.headers["Cache-Control"] == "no-cache"
    m = re.match(r"self\.XJ_BUILD = (\{.*?\});\n", resp.get_data(as_text=True))
    assert m
    with app.app_context():
        build = pwa.build_info()
    assert re.fullmatch(r"[0-9a-f]{16}", build["version"])
    for url in ("/app/", "/app/src/main.js", "/app/src/db.js", "/app/src/outbox.js", "/app/src/views/inspect.js",
                "/app/node_modules/idb/build/index.js", "/app/node_modules/jsqr/dist/jsQR.js",
                "/app/icons/icon-192.png", "/manifest.webmanifest".replace("/manifest", "/app/manifest")):
        assert url in build["precache"], url
    for url in build["precache"]:
        assert client.get(url).status_code == 200, url


def test_manifest_makes_the_app_installable(client):
    resp = client.get("/manifest.webmanifest")
    assert resp.mimetype == "application/manifest+json"
    manifest = resp.get_json(force=True)
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/app/"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
