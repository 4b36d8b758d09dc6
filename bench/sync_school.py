"""What the sync benchmarks share: a fresh database (SQLite file or a new PostgreSQL database), a
school built in it, the app served by gunicorn on loopback, and dorm inspections as a phone sends them."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway user in a throwaway database
DORM_NOTE = "抽查:被子叠放整齐,鞋子摆放一条线,地面洁净干燥,无违章用电,无漏水。"


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """A new empty database of `kind` ("sqlite" or "postgresql"), dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite3"
        return
    name = f"xj_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_BASE).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class School:
    site_id: int
    username: str
    template_id: int
    template_items: list[dict]
    dorm_ids: list[int]


def build_school(url: str, rooms: int = 50, assets: int = 0, code: str = "bench") -> School:
    """Migrate the database and create a school: rooms (dorms), assets, the built-in checklists and
    an admin-inspector-fixer user."""
    from flask_migrate import upgrade

    from server import create_app
    from server.extensions import db
    from server.models import Asset, Building, Room, Site, TemplateVersion
    from server.services import accounts, templates

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
        site = Site(code=code, name="基准测试中学")
        db.session.add(site)
        db.session.flush()
        user = accounts.create_user(db.session, site, f"{code}.admin", PASSWORD,
                                    ["admin", "inspector", "fixer", "auditor"], hash_method="pbkdf2:sha256:1000")
        building = Building(site_id=site.id, name="1号宿舍楼", kind="dorm", floors=6)
        db.session.add(building)
        db.session.flush()  # the user too: fixes are assigned to each room's responsible person
        room_rows = [Room(site_id=site.id, building_id=building.id, name=f"{1 + i // 40}-{i % 40:02d}", kind="dorm",
                          floor=1 + i // 40 % 6, class_name=f"高{1 + i % 3}({1 + i % 12})班", capacity=8,
                          responsible_user_id=user.id)
                     for i in range(rooms)]
        db.session.add_all(room_rows)
        db.session.flush()
        db.session.add_all([Asset(site_id=site.id, tag=f"ZC{i:06d}", name=f"学生课桌椅 {i}", category="家具",
                                  spec="1.2m 双人", quantity=1, department="总务处", custodian="王老师",
                                  room_id=room_rows[i % rooms].id, status="in_use") for i in range(assets)])
        templates.install_builtin(db.session, site.id)
        dorm = db.session.scalar(db.select(TemplateVersion).where(TemplateVersion.family == "dorm_hygiene"))
        school = School(site.id, f"{code}.admin", dorm.id, dorm.items, [r.id for r in room_rows])
        db.session.commit()
        db.engine.dispose()
    return school


def dorm_answers(items: list[dict], failed: str | None = None) -> dict:
    """Every item of the dorm checklist answered as passed (or `failed` failed), as the phone sends it."""
    answers = {}
    for item in items:
        if item["kind"] == "deduction":
            answers[item["key"]] = {"deduct": item["points"] if item["key"] == failed else 0}
        elif item["kind"] == "pass_fail":
            answers[item["key"]] = {"result": "fail" if item["key"] == failed else "pass"}
        elif item["kind"] == "number":
            answers[item["key"]] = {"value": 2}
        if item["key"] == failed and item.get("note_on_fail"):
            answers[item["key"]]["note"] = "床板断裂"
    return answers


def inspections(school: School, count: int, failed: str | None = None, first_room: int = 0) -> list[dict]:
    """`count` dorm inspections (about 1 KB each as JSON), each with a new uuid, room after room."""
    answers = dorm_answers(school.template_items, failed)
    now = datetime.now(UTC).isoformat()
    return [{"uuid": str(uuid.uuid4()), "type": "inspection", "recorded_at": now, "base_version": None,
             "data": {"template_id": school.template_id, "room_id": school.dorm_ids[(first_room + i) % len(school.dorm_ids)],
                      "scanned": True, "answers": answers, "note": DORM_NOTE}} for i in range(count)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_app():
    """The app as gunicorn serves it here, plus `bench_note`: a record type that stores nothing but its
    ledger row, to measure the engine and HTTP apart from any domain handler."""
    from marshmallow import INCLUDE, Schema

    from server import create_app
    from sync import handlers

    class NoteSchema(Schema):
        class Meta:
            unknown = INCLUDE

    handlers.register(handlers.RecordHandler("bench_note", NoteSchema, lambda ctx, rec: None,
                                             apply_many=lambda ctx, recs: [None] * len(recs)))
    return create_app()


@contextmanager
def serve(url: str, workers: int = 1, threads: int = 1) -> Iterator[str]:
    """The app under gunicorn on a free loopback port; stopped (and waited for) afterwards."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "PYTHONPATH": str(ROOT),
           "ATTACHMENT_DIR": tempfile.mkdtemp(prefix="xj-bench-att-")}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads),
                             "-b", f"127.0.0.1:{port}", "--timeout", "900", "--log-level", "warning", "bench.sync_school:bench_app()"],
                            cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(f"{base}/api/v1/openapi.json", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def login(base: str, username: str) -> str:
    resp = requests.post(f"{base}/api/v1/auth/login", json={
        "username": username, "password": PASSWORD, "device_name": "bench"}, timeout=30)
    resp.raise_for_status()
    return resp.json()["token"]


def summary(values: list[float]) -> str:
    """median (min–max) of the runs."""
    ordered = sorted(values)
    return f"{ordered[len(ordered) // 2]:,.0f} ({ordered[0]:,.0f}–{ordered[-1]:,.0f})"
