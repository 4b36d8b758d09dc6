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


def test_module_worker_is_the_same_build_and_imports_only_precached_modules(client, app):
    """/sw-module.js (registered with type: 'module') carries the same build as the classic /sw.js,
    and everything it imports is an app module the server serves and the shell precaches."""
    classic = client.get("/sw.js")
    module = client.get("/sw-module.js")
    assert module.status_code == 200
    assert module.mimetype == "text/javascript"  # a JavaScript MIME type, as module scripts need
    assert module.headers["Service-Worker-Allowed"] == "/"
    assert module.headers["Cache-Control"] == "no-cache"
    body = module.get_data(as_text=True)
    build = re.match(r"self\.XJ_BUILD = (\{.*?\});\n", body).group(1)
    assert build == re.match(r"self\.XJ_BUILD = (\{.*?\});\n", classic.get_data(as_text=True)).group(1)
    # The classic worker must stay loadable as a classic script: no module syntax in it.
    assert not re.search(r"^\s*(import|export)\b", classic.get_data(as_text=True), re.MULTILINE)
    imports = re.findall(r"^import\s[^;]*?from '([^']+)';", body, re.MULTILINE)
    assert "/app/src/bgsync.js" in imports
    with app.app_context():
        precache = pwa.build_info()["precache"]
    for url in imports:
        assert url in precache, url
        assert client.get(url).status_code == 200, url
    for url in ("/app/src/sync.js", "/app/src/bgsync.js", "/app/src/autosync.js", "/app/src/api.js"):
        assert url in precache, url
    for path in ("/app/sw-module.js", "/app/sw-classic.js", "/app/sw.js"):
        assert client.get(path).status_code == 404, path


def test_the_data_layer_the_worker_imports_touches_no_window(client):
    """What the module worker loads runs in a worker: no window, document or localStorage."""
    seen, todo = set(), ["/app/src/bgsync.js"]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        text = client.get(url).get_data(as_text=True)
        if url.startswith("/app/src/"):
            code = re.sub(r"//.*|/\*.*?\*/", "", text, flags=re.DOTALL)
            for name in ("window.", "document.", "localStorage", "sessionStorage"):
                assert name not in code, (url, name)
        base = url.rsplit("/", 1)[0]
        for spec in re.findall(r"^import\s[^;]*?from '([^']+)';", text, re.MULTILINE):
            parts = f"{base}/{spec}".split("/")
            resolved: list[str] = []
            for part in parts:
                if part == "..":
                    resolved.pop()
                elif part != ".":
                    resolved.append(part)
            todo.append("/".join(resolved))
    assert {"/app/src/sync.js", "/app/src/api.js", "/app/src/outbox.js", "/app/src/db.js",
            "/app/node_modules/idb/build/index.js"} <= seen


def test_manifest_makes_the_app_installable(client):
    resp = client.get("/manifest.webmanifest")
    assert resp.mimetype == "application/manifest+json"
    manifest = resp.get_json(force=True)
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/app/"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
