"""The phone app: serves pwa/ (shell, modules, a whitelist of npm files) and a versioned service worker.

No bundler: the browser loads plain ES modules. The service worker comes in two builds, each the
shell part pwa/sw.js with one line put in front of it, the build (a hash over every precached file,
their list and the worker files), so any change of the app changes the worker's bytes, which is what
makes browsers install the new version and the app offer "update available":

- /sw-module.js: a module worker (sw.js + sw-module.js) that imports the data layer from /app/src/
  and sends the outbox on Background Sync with the app closed;
- /sw.js: a classic worker (sw.js + sw-classic.js) for browsers without module service workers, and
  the URL phones that installed the app earlier update through (a registration keeps its type).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, request

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"

# The only files of node_modules the app may load: what it imports, nothing else is reachable.
VENDOR_FILES = (
    "idb/build/index.js",
    "jsqr/dist/jsQR.js",
)
SHELL_FILES = ("index.html", "app.css", "manifest.webmanifest",
               "icons/icon-192.png", "icons/icon-512.png", "icons/icon.svg")

# The service worker's own files (served only inside /sw.js and /sw-module.js, never under /app/).
WORKER_FILES = ("sw.js", "sw-classic.js", "sw-module.js")
WORKERS = {"sw.js": ("sw.js", "sw-classic.js"), "sw-module.js": ("sw.js", "sw-module.js")}

bp = Blueprint("pwa", __name__)


def _source_files() -> list[Path]:
    return sorted(p for p in (PWA_DIR / "src").rglob("*.js") if p.is_file())


def _precache() -> list[tuple[str, Path]]:
    """(URL, file) of everything the service worker keeps for offline use."""
    files = [(f"/app/{name}", PWA_DIR / name) for name in SHELL_FILES]
    files += [(f"/app/src/{p.relative_to(PWA_DIR / 'src').as_posix()}", p) for p in _source_files()]
    files += [(f"/app/node_modules/{name}", PWA_DIR / "node_modules" / name) for name in VENDOR_FILES]
    return files


def build_info() -> dict:
    """The app's version (hash over the precached files and the worker) and the URLs to precache."""
    cached = current_app.extensions.get("pwa_build")
    if cached is not None and not current_app.debug:
        return cached
    digest = hashlib.sha256()
    urls = ["/app/"]
    for url, path in _precache():
        if not path.is_file():
            raise RuntimeError(f"{path} is missing; run scripts/setup.sh (npm packages of pwa/)")
        digest.update(url.encode() + b"\0" + path.read_bytes())
        urls.append(url)
    for name in WORKER_FILES:
        digest.update(name.encode() + b"\0" + (PWA_DIR / name).read_bytes())
    # A deployment can force phones onto a new worker without changing a file (and tests use it).
    digest.update(str(current_app.config.get("PWA_BUILD_SALT", "")).encode())
    info = {"version": digest.hexdigest()[:16], "precache": urls}
    current_app.extensions["pwa_build"] = info
    return info


def _no_cache(resp: Response) -> Response:
    # The service worker is the cache; HTTP caching would only make updates late.
    resp.headers["Cache-Control"] = "no-cache"
    return resp


def _file(path: Path, mimetype: str | None = None) -> Response:
    """A small file of the app with an ETag (read whole: the largest, jsQR, is 250 kB)."""
    body = path.read_bytes()
    resp = Response(body, mimetype=mimetype or _MIMETYPES.get(path.suffix, "application/octet-stream"))
    resp.set_etag(hashlib.sha256(body).hexdigest()[:32])
    return _no_cache(resp.make_conditional(request))


_MIMETYPES = {".js": "text/javascript", ".webmanifest": "application/manifest+json", ".svg": "image/svg+xml",
              ".css": "text/css", ".png": "image/png", ".html": "text/html"}


def _shell() -> Response:
    return _file(PWA_DIR / "index.html")


@bp.get("/app/")
def app_shell():
    return _shell()


@bp.get("/q/<code>")
def label_link(code: str):
    """A printed label's URL: the shell, which reads the code from its path (offline from the cache)."""
    return _shell()


@bp.get("/app/<path:name>")
def app_file(name: str):
    if name in SHELL_FILES:
        path = PWA_DIR / name
    elif name.startswith("src/") and name.endswith(".js"):
        path = (PWA_DIR / name).resolve()
        if not path.is_relative_to(PWA_DIR / "src"):
            abort(404)
    elif name.startswith("node_modules/") and name.removeprefix("node_modules/") in VENDOR_FILES:
        path = PWA_DIR / name
    else:
        abort(404)
    if not path.is_file():
        abort(404)
    return _file(path)


@bp.get("/manifest.webmanifest")
def manifest():
    return _file(PWA_DIR / "manifest.webmanifest")


def _worker(name: str) -> Response:
    build = json.dumps(build_info(), separators=(",", ":"))
    parts = [f"self.XJ_BUILD = {build};\n"]
    parts += [(PWA_DIR / part).read_text(encoding="utf-8") for part in WORKERS[name]]
    resp = Response("\n".join(parts), mimetype="text/javascript")
    resp.headers["Service-Worker-Allowed"] = "/"
    return _no_cache(resp)


@bp.get("/sw.js")
def service_worker():
    """The classic worker: the offline shell everywhere; Background Sync only wakes open pages."""
    return _worker("sw.js")


@bp.get("/sw-module.js")
def service_worker_module():
    """The module worker (registered with type: 'module'): also sends the outbox with the app closed."""
    return _worker("sw-module.js")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
