"""A small school for the asset tests: two buildings, rooms (two of them share a name), an admin and
two auditors, plus helpers to log in to the console and to build ledger files."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from server import jobs
from server.extensions import db
from server.models import Asset, Building, Room
from tests.conftest import PASSWORD

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class School:
    site_id: int
    rooms: dict[str, int]  # "教学楼 教101" -> id
    buildings: dict[str, int]
    admin_id: int
    auditor_ids: tuple[int, int]

    def room(self, name: str) -> int:
        return self.rooms[name]


def _room(site_id: int, building: Building | None, name: str, kind: str) -> Room:
    room = Room(site_id=site_id, building_id=building.id if building else None, name=name, kind=kind)
    db.session.add(room)
    return room


@pytest.fixture(autouse=True)
def _import_dir(app, tmp_path):
    app.config["LEDGER_IMPORT_DIR"] = str(tmp_path / "imports")
    yield
    jobs.wait_all()


@pytest.fixture
def school(app, factory) -> School:
    site_id = factory.site("s1")
    admin_id = factory.user(site_id, "boss", ["admin"])
    auditors = (factory.user(site_id, "zhao", ["auditor"]), factory.user(site_id, "qian", ["auditor"]))
    with app.app_context():
        teaching = Building(site_id=site_id, name="教学楼", kind="teaching")
        office = Building(site_id=site_id, name="行政楼", kind="office")
        db.session.add_all([teaching, office])
        db.session.flush()
        rooms = [_room(site_id, teaching, "教101", "classroom"), _room(site_id, teaching, "教102", "classroom"),
                 _room(site_id, teaching, "储藏室", "other"), _room(site_id, office, "总务处", "office"),
                 _room(site_id, office, "储藏室", "other"), _room(site_id, None, "操场", "public_area")]
        db.session.commit()
        names = {}
        for r in rooms:
            names[f"{r.building.name} {r.name}" if r.building else r.name] = r.id
        return School(site_id, names, {"教学楼": teaching.id, "行政楼": office.id}, admin_id, auditors)


def add_asset(app, school: School, tag: str, room: str | None, category: str = "电脑", status: str = "in_use") -> int:
    with app.app_context():
        asset = Asset(site_id=school.site_id, tag=tag, name=f"资产 {tag}", category=category,
                      room_id=school.room(room) if room else None, status=status)
        db.session.add(asset)
        db.session.commit()
        return asset.id


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def console(client, school):
    """The test client logged in to the console as the school's admin ("boss")."""
    page = client.get("/admin/login").get_data(as_text=True)
    resp = client.post("/admin/login", data={"username": "boss", "password": PASSWORD,
                                              "csrf_token": csrf_token(page)})
    assert resp.status_code == 302
    return client


def xlsx_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 20, hour, minute, tzinfo=UTC)
