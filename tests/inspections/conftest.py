"""A school with dorms, canteen zones, an inspector, a fixer and the built-in checklists, and a `push`
that sends records the way a phone does (through POST /api/v1/sync/push once it exists)."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from server.db import scope_session
from server.extensions import db
from server.models import Building, Device, Room, TemplateVersion, User
from server.services import templates
from sync import handlers
from tests.conftest import Api, Factory

FAMILIES = ("canteen_four_preventions", "food_safety_daily", "dorm_hygiene", "fire_safety", "facility_round")


# Every key an answer may hold, whatever its item's kind (see server.services.checklists).
ANSWER_KEYS = ("result", "deduct", "score", "value", "text", "choice", "note", "photos")


def photo(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


@dataclass
class School:
    site_id: int
    admin: Api
    inspector: Api
    fixer: Api
    fixer_id: int
    dorm_manager_id: int
    dorms: list[int]
    zones: list[int]
    templates: dict[str, int] = field(default_factory=dict)


def _rooms(site_id: int, fixer_id: int, dorm_manager_id: int) -> tuple[list[int], list[int]]:
    dorm_building = Building(site_id=site_id, name="1号宿舍楼", kind="dorm", floors=2)
    canteen = Building(site_id=site_id, name="学生食堂", kind="canteen", floors=1)
    db.session.add_all([dorm_building, canteen])
    db.session.flush()
    dorms = [Room(site_id=site_id, building_id=dorm_building.id, name=f"1-{floor}0{n}", kind="dorm", floor=floor,
                  class_name=f"高一({n})班", responsible_user_id=dorm_manager_id)
             for floor in (1, 2) for n in (1, 2)]
    zones = [Room(site_id=site_id, building_id=canteen.id, name=name, kind="canteen_zone", floor=1,
                  responsible_user_id=fixer_id) for name in ("主食库", "烹饪间")]
    db.session.add_all(dorms + zones)
    db.session.flush()
    return [r.id for r in dorms], [r.id for r in zones]


@pytest.fixture
def school(app, factory: Factory) -> School:
    site_id = factory.site("s1")
    admin = factory.api_user("s1", ("admin", "inspector"), username="boss")
    inspector = factory.api_user("s1", ("inspector",), username="zhang")
    fixer = factory.api_user("s1", ("fixer",), username="sun")
    manager = factory.api_user("s1", ("inspector", "fixer"), username="liu")
    with app.app_context():
        dorms, zones = _rooms(site_id, fixer.user_id, manager.user_id)
        templates.install_builtin(db.session, site_id)
        ids = {v.family: v.id for v in db.session.scalars(db.select(TemplateVersion))}
        db.session.commit()
    return School(site_id, admin, inspector, fixer, fixer.user_id, manager.user_id, dorms, zones, ids)


def passing_answers(items: list[dict]) -> dict:
    """An answer for every item that passes it."""
    answers = {}
    for item in items:
        kind = item["kind"]
        if kind == "pass_fail":
            answers[item["key"]] = {"result": "pass"}
        elif kind == "deduction":
            answers[item["key"]] = {"deduct": 0}
        elif kind == "score":
            answers[item["key"]] = {"score": item["points"]}
        elif kind == "number":
            answers[item["key"]] = {"value": item["min"] if item.get("min") is not None else item["max"]}
        elif kind == "choice":
            answers[item["key"]] = {"choice": next(o["key"] for o in item["options"] if not o.get("fail"))}
        elif kind == "photo" and item.get("required", True):
            answers[item["key"]] = {"photos": [photo(item["key"])]}
    return answers


def template_items(app, version_id: int) -> list[dict]:
    with app.app_context():
        return db.session.get(TemplateVersion, version_id).items


def record(type_: str, data: dict, recorded_at: datetime | None = None, uid: str | None = None) -> dict:
    return {"uuid": uid or str(uuid.uuid4()), "type": type_,
            "recorded_at": (recorded_at or datetime.now(UTC)).isoformat(), "base_version": None, "data": data}


def has_push_route(app) -> bool:
    return any(rule.rule == "/api/v1/sync/push" for rule in app.url_map.iter_rules())


def push(app, api: Api, records: list[dict]) -> list[dict]:
    """Send records as a phone does; the per-record results."""
    if has_push_route(app):
        resp = api.post("/api/v1/sync/push", json={"device_id": str(api.device_id), "batch_id": str(uuid.uuid4()),
                                                   "records": records})
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()["results"]
    return [_apply_directly(app, api, r) for r in records]


def _apply_directly(app, api: Api, raw: dict) -> dict:
    """Until the push engine lands: what it does for one record, through the registered handler."""
    handler = handlers.get(raw["type"])
    with app.app_context():
        scope_session(db.session, api.site_id)
        user, device = db.session.get(User, api.user_id), db.session.get(Device, api.device_id)
        ctx = handlers.ApplyContext(db.session, api.site_id, user.id, device.id, datetime.now(UTC))
        incoming = handlers.IncomingRecord(raw["uuid"], raw["type"], datetime.fromisoformat(raw["recorded_at"]),
                                           raw["base_version"], handler.schema().load(raw["data"]), raw)
        if handler.roles and not user.has_role(*handler.roles):
            return {"uuid": raw["uuid"], "status": "rejected", "errors": {"type": ["not allowed for your role"]}}
        try:
            version = handler.apply(ctx, incoming)
        except handlers.RecordRejected as exc:
            db.session.rollback()
            return {"uuid": raw["uuid"], "status": "rejected", "errors": exc.errors}
        db.session.commit()
        return {"uuid": raw["uuid"], "status": "accepted", "server_version": version}
