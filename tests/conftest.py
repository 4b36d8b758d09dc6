"""Shared fixtures: a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL), migrated once per
run; every test starts from empty tables; factories and an authenticated API client."""
from __future__ import annotations

import itertools
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from server import create_app
from server.extensions import db
from server.models import Base, Site
from server.services import accounts

PASSWORD = "correct-horse-1"
# Users made without a name get the next number: four random hex digits once collided between two
# phones of one test.
_USER_NUMBERS = itertools.count(1)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A database of our own: a temp SQLite file, or a fresh PostgreSQL database dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    name = f"xj_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        # A fast hash keeps hundreds of test logins quick; production uses scrypt (see test_auth).
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "ATTACHMENT_DIR": str(tmp_path_factory.mktemp("attachments")),
        "WTF_CSRF_ENABLED": True,
    })
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _empty_tables(request):
    """Each test starts with empty tables (tests that need no database skip this)."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class Api:
    """A test client that sends a device's bearer token and JSON."""

    client: object
    token: str
    user_id: int
    device_id: int
    site_id: int

    def _call(self, method: str, path: str, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return getattr(self.client, method)(path, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self._call("get", path, **kw)

    def post(self, path, **kw):
        return self._call("post", path, **kw)

    def patch(self, path, **kw):
        return self._call("patch", path, **kw)

    def put(self, path, **kw):
        return self._call("put", path, **kw)

    def delete(self, path, **kw):
        return self._call("delete", path, **kw)


@dataclass
class Factory:
    app: object
    client: object

    def site(self, code: str = "s1", name: str | None = None) -> int:
        with self.app.app_context():
            site = Site(code=code, name=name or f"学校 {code}")
            db.session.add(site)
            db.session.commit()
            return site.id

    def user(self, site_id: int, username: str, roles: list[str], **extra) -> int:
        with self.app.app_context():
            site = db.session.get(Site, site_id)
            user = accounts.create_user(db.session, site, username, PASSWORD, roles,
                                        hash_method=self.app.config["PASSWORD_HASH_METHOD"])
            for key, value in extra.items():
                setattr(user, key, value)
            db.session.commit()
            return user.id

    def login(self, username: str, device_name: str = "test phone", password: str = PASSWORD) -> Api:
        resp = self.client.post("/api/v1/auth/login", json={
            "username": username, "password": password, "device_name": device_name})
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        return Api(self.client, body["token"], body["user"]["id"], body["device_id"], body["user"]["site_id"])

    def api_user(self, site_code: str = "s1", roles: tuple[str, ...] = ("admin",), username: str | None = None) -> Api:
        """A site (made if needed), a user with these roles, logged in on a device."""
        with self.app.app_context():
            site = db.session.scalar(db.select(Site).where(Site.code == site_code))
            site_id = site.id if site else None
        if site_id is None:
            site_id = self.site(site_code)
        name = username or f"{site_code}_{'_'.join(roles)}_{next(_USER_NUMBERS)}"
        self.user(site_id, name, list(roles))
        return self.login(name)


@pytest.fixture
def factory(app, client) -> Factory:
    return Factory(app, client)


@pytest.fixture
def admin_api(factory) -> Api:
    return factory.api_user("s1", ("admin",))


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app on a real loopback HTTP port, for tests that must go through real sockets."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval makes shutdown (after every test) quick.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


# Browser fixtures of the phone app (chromium, a 360×640 phone, a restartable server process).
from tests.pwa_support import chromium, phone, playwright, pwa_server  # noqa: E402, F401
