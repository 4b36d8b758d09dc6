"""A benchmark school of any size, built through the ORM so that every building, room, asset and
template is in the change feed exactly as a phone pulls it, and whose open fixes come from failed
inspections pushed through the real push engine. Also the records a phone makes there."""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db import scope_session
from server.models import Asset, Building, Device, Room, Site, TemplateVersion, User
from server.services import accounts, templates
from sync import push
from sync.ids import uuid7
from tests.inspections.conftest import passing_answers

PASSWORD = "bench-password-1"  # noqa: S105 - benchmark users on a throw-away database
# Of every 100 rooms: dorms, classrooms, offices, canteen zones, the rest public areas.
ROOM_MIX = (("dorm", 60), ("classroom", 25), ("office", 8), ("canteen_zone", 4), ("public_area", 3))
ASSET_KINDS = (("台式电脑", "电脑"), ("壁挂空调", "空调"), ("学生课桌椅", "课桌椅"), ("干粉灭火器", "灭火器"),
               ("交互式一体机", "多媒体设备"))
# Which rooms (by kind) or assets (by category) each built-in checklist is filled in for.
TARGETS = {"dorm_hygiene": ("room", "dorm"), "canteen_four_preventions": ("room", "canteen_zone"),
           "food_safety_daily": ("room", "canteen_zone"), "facility_round": ("room", None),
           "fire_safety": ("asset", "灭火器")}
ROOMS_PER_BUILDING = 100


@dataclass
class BenchSchool:
    site_id: int
    code: str
    fixer: str  # the username every room's fixes are assigned to (so their phone pulls every fix)
    inspectors: list[str] = field(default_factory=list)


def _building_rooms(session: Session, site_id: int, count: int, responsible_id: int) -> list[Room]:
    kinds = [kind for kind, share in ROOM_MIX for _ in range(share)]
    rooms = []
    for start in range(0, count, ROOMS_PER_BUILDING):
        building = Building(site_id=site_id, name=f"{start // ROOMS_PER_BUILDING + 1}号楼", kind="other", floors=5)
        session.add(building)
        session.flush()
        rooms += [Room(site_id=site_id, building_id=building.id, name=f"{start // ROOMS_PER_BUILDING + 1}-{n:03d}",
                       kind=kinds[n % len(kinds)], floor=n % 5 + 1, class_name=f"高{n % 3 + 1}({n % 12 + 1})班",
                       capacity=8, responsible_user_id=responsible_id)
                  for n in range(start, min(count, start + ROOMS_PER_BUILDING))]
    session.add_all(rooms)
    session.flush()
    return rooms


def _assets(session: Session, site_id: int, count: int, rooms: list[Room]) -> None:
    # Prices, dates, models and custodians vary as in a real ledger, so gzip is not flattered.
    rng = random.Random(5)
    session.add_all(Asset(site_id=site_id, tag=f"ZC-{i:06d}", name=ASSET_KINDS[i % len(ASSET_KINDS)][0],
                          category=ASSET_KINDS[i % len(ASSET_KINDS)][1], spec=f"型号 {rng.randrange(10_000):04d}",
                          quantity=1, unit_price=Decimal(rng.randrange(5_000, 900_000)) / 100,
                          purchase_date=date(2015, 1, 1) + timedelta(days=rng.randrange(3_600)),
                          custodian=f"保管人{rng.randrange(300)}", room_id=rooms[i % len(rooms)].id, status="in_use",
                          department="总务处")
                    for i in range(count))
    session.flush()


def _user(session: Session, site: Site, username: str, roles: list[str], hash_method: str) -> User:
    return accounts.create_user(session, site, username, PASSWORD, roles, hash_method=hash_method)


def record(data: dict) -> dict:
    """A record as a phone queues it (its uuid time-ordered, as the phone app makes them)."""
    return {"uuid": uuid7(), "type": "inspection", "recorded_at": datetime.now(UTC).isoformat(),
            "base_version": None, "data": data}


def inspection_data(template: dict, target_id: int, target: str, photos: list[str]) -> dict:
    """A filled, passing checklist for `template` (as pulled: id and items) with the record's photos."""
    answers = passing_answers(template["items"])
    return {"template_id": template["id"], f"{target}_id": target_id, "scanned": True, "answers": answers,
            "note": "例行检查,情况良好", "photos": photos}


def _open_fixes(session: Session, site_id: int, fixer: User, count: int) -> None:
    """`count` fixes, each from an inspection that failed one item, pushed as a phone would."""
    facility = session.scalar(select(TemplateVersion).where(TemplateVersion.family == "facility_round"))
    template = {"id": facility.id, "items": facility.items}
    device = Device(site_id=site_id, user_id=fixer.id, name="seed", token_hash=uuid.uuid4().hex * 2)
    session.add(device)
    session.flush()
    rooms = session.scalars(select(Room.id).order_by(Room.id).limit(count)).all()
    records = []
    for room_id in rooms:
        data = inspection_data(template, room_id, "room", [])
        data["answers"]["lamps"] = {"result": "fail", "note": "灯管不亮"}
        records.append(record(data))
    caller = push.Caller(site_id, fixer.id, device.id, frozenset(fixer.roles))
    for start in range(0, len(records), 500):
        batch = push.read_batch(records[start:start + 500], caller.roles)
        answer = push.push(session, caller, str(uuid.uuid4()), batch)
        assert all(r["status"] == "accepted" for r in answer["results"]), answer["results"][:3]
        session.commit()
        scope_session(session, site_id)


def build(session: Session, code: str, *, rooms: int, assets: int, fixes: int, inspectors: int = 0,
          hash_method: str = "pbkdf2:sha256:1000") -> BenchSchool:
    """A school with every built-in checklist; every room's fixes go to one inspector-fixer."""
    site = Site(code=code, name=f"基准学校 {code}")
    session.add(site)
    session.flush()
    scope_session(session, site.id)
    fixer = _user(session, site, f"{code}.fixer", ["inspector", "fixer"], hash_method)
    school = BenchSchool(site.id, code, fixer.username)
    for n in range(inspectors):
        school.inspectors.append(_user(session, site, f"{code}.p{n:02d}", ["inspector"], hash_method).username)
    templates.install_builtin(session, site.id)
    room_rows = _building_rooms(session, site.id, rooms, fixer.id)
    _assets(session, site.id, assets, room_rows)
    session.commit()
    scope_session(session, site.id)
    _open_fixes(session, site.id, fixer, fixes)
    return school


def checklist_targets(changes: list[dict]) -> dict[str, tuple[dict, str, list[int]]]:
    """From a pull: each published checklist (as pulled) with the kind of target and the ids it is used on."""
    by_type: dict[str, list[dict]] = {}
    for change in changes:
        by_type.setdefault(change["type"], []).append(change["data"])
    out = {}
    for template in by_type.get("template", []):
        if template["status"] != "published" or template["family"] not in TARGETS:
            continue
        target, kind = TARGETS[template["family"]]
        if target == "asset":
            ids = [a["id"] for a in by_type.get("asset", []) if a["category"] == kind]
        else:
            ids = [r["id"] for r in by_type.get("room", []) if kind is None or r["kind"] == kind]
        if ids:
            out[template["family"]] = (template, target, ids)
    return out
