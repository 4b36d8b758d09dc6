"""Xunjian server: create_app builds the Flask application."""
from __future__ import annotations

import gc
from pathlib import Path

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy.orm import Session

from server import compression, errors, input_guard
from server import db as db_setup
from server.api import jsonio, openapi
from server.config import load_config
from server.extensions import csrf, db, migrate
from server.services.errors import UnsupportedMediaType

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")

CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; "
       "script-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
       "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")

_session_events_installed = False


def _install_session_events() -> None:
    global _session_events_installed
    if not _session_events_installed:
        db_setup.install(Session)
        _session_events_installed = True


def _require_json_body() -> None:
    """Write calls of the API take JSON only (attachments take raw image bytes, checked there)."""
    writes_json = request.method in ("POST", "PUT", "PATCH") and request.path.startswith("/api/v1/") \
        and not request.path.startswith("/api/v1/attachments/")
    if writes_json and request.content_length and not request.is_json:
        raise UnsupportedMediaType("send the body as application/json",
                                   {"content_type": request.content_type or ""})


class _ConsoleSessions(SecureCookieSessionInterface):
    """The signed cookie session belongs to the console. The API authenticates by bearer token and
    never reads it, so its calls skip decoding the cookie (and can never set one): a phone makes a
    hundred calls after a round, one per photo."""

    def open_session(self, app, request):
        if request.path.startswith("/api/"):
            return self.make_null_session(app)
        return super().open_session(app, request)


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.json = jsonio.JsonProvider(app)
    app.session_interface = _ConsoleSessions()
    app.url_map.converters["int"] = input_guard.DatabaseIdConverter  # before any route is added
    app.config.update(load_config(Path(app.instance_path)))
    if test_config:
        app.config.update(test_config)

    _install_session_events()
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    csrf.init_app(app)
    api = openapi.XunjianApi(app, spec_kwargs=openapi.spec_kwargs())
    errors.init_app(app)

    from server.api import admin, attachments, auth, inspections, labels, reports, sync
    from server.inspection_types import register_inspection_types
    from server.services import demo
    from server.services import labels as label_service
    from server.sync_types import register_core_types

    for blp in (auth.blp, admin.blp, sync.blp, attachments.blp, labels.blp, inspections.blp, reports.blp):
        csrf.exempt(blp)  # bearer-token API: no cookies, so no CSRF to defend against
        api.register_blueprint(blp)
    register_core_types()
    sync.document(api)
    labels.register_label_type()
    demo.register_seeder(label_service.seed_demo)
    register_inspection_types()

    from server import asset_area, cli, console, labels_cli, pwa
    from server.console import inspections as inspections_console
    from server.console import labels as labels_console
    from server.console import sync as sync_console
    cli.init_app(app)
    labels_cli.init_app(app)
    console.init_app(app)
    labels_console.init_app(app)
    sync_console.init_app(app)
    pwa.init_app(app)
    inspections_console.init_app(app)
    asset_area.init_app(app, api)

    app.before_request(_require_json_body)
    app.before_request(input_guard.refuse_nul_in_queries_and_forms)
    app.after_request(_security_headers)
    compression.init_app(app)
    return app


def served(app: Flask) -> Flask:
    """What start-up built (mappers, schemas, compiled SQL, the routing map) lives as long as the process;
    moving it out of the garbage collector's generations spares every collection during a request a walk
    over it. Measured on a push of 500 inspections: a third less time reading the batch, a quarter less
    storing it (bench/HISTORY.md, "Sync push ingest"). Garbage is collected first, not kept for good. The
    benchmarks that run the app in-process call it too, to run it as gunicorn does."""
    gc.collect()
    gc.freeze()
    return app
