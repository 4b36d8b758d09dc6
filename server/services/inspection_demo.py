"""Demo history of checks and fixes: eight days of 一天一检查 in the dorms, canteen 四防 and food-safety
checks with some failures, the principal's twice-weekly rounds, safety and facility rounds, and fixes
reported done, verified by the next check, still open or overdue. Everything goes through the same
record handlers a phone's push does, so the demo exercises the real rules."""
from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.inspection_schemas import ActionUpdateDataSchema, InspectionDataSchema
from server.models import Action, Room, Site, TemplateVersion, User, utcnow
from server.services import templates
from server.services.actions import SCHOOL_TZ, UNRESOLVED
from server.services.checklists import JUDGED_KINDS
from server.services.inspections import apply_action_update, apply_inspection
from sync.handlers import ApplyContext, IncomingRecord

DAYS = 8
SYNC_DELAY = timedelta(minutes=40)  # phones sync a while after the check, as they do on Wi-Fi
DORM_CHECKED_SHARE = 0.7
FIX_SHARE = 0.7


class _Clock:
    """Local school times on the demo days."""

    def __init__(self, today):
        self.today = today

    def at(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(self.today - timedelta(days=days_ago), time(hour, minute), tzinfo=SCHOOL_TZ)


def _photo(label: str) -> str:
    return hashlib.sha256(f"demo-photo:{label}".encode()).hexdigest()


class _Phone:
    """Pushes records for the demo users through the record handlers."""

    def __init__(self, session: Session, site: Site, rng):
        self.session, self.site, self.rng = session, site, rng

    def _record(self, user: User, type_: str, data: dict, at: datetime):
        ctx = ApplyContext(self.session, self.site.id, user.id, None, min(at + SYNC_DELAY, utcnow()))
        uid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        return ctx, IncomingRecord(uid, type_, at, None, data, {"type": type_, "data": data})

    def inspect(self, user: User, template: TemplateVersion, room: Room, answers: dict, at: datetime) -> None:
        if at > utcnow():
            return  # later today: not checked yet
        data = InspectionDataSchema().load({"template_id": template.id, "room_id": room.id, "answers": answers,
                                            "scanned": self.rng.random() < 0.9})
        apply_inspection(*self._record(user, "inspection", data, at))

    def fix(self, user: User, action: Action, at: datetime) -> None:
        data = ActionUpdateDataSchema().load({"action_id": action.id, "status": "done",
                                              "note": self.rng.choice(FIX_NOTES),
                                              "photos": [_photo(f"fix-{action.id}")]})
        apply_action_update(*self._record(user, "action_update", data, at))


FIX_NOTES = ["已整改,拍照留存", "已清理并消毒", "已更换损坏部件", "已通知责任人并现场整改", "已封堵缝隙"]


def _answers(template: TemplateVersion, rng, fail_rate: float, label: str) -> dict:
    """A filled checklist where each judged item fails with `fail_rate` (dorm deductions are partial)."""
    answers = {}
    for item in template.items:
        # Only judged items fail, and an empty-beds count (no points, no fix) never does.
        counts = item["kind"] in JUDGED_KINDS and (item.get("points") or item.get("creates_action", True))
        failing = bool(counts) and rng.random() < fail_rate * (0.3 if item.get("hazard") else 1.0)
        answers[item["key"]] = _answer(item, failing, rng)
        if failing:
            answers[item["key"]]["photos"] = [_photo(f"{label}-{item['key']}")]
            answers[item["key"]]["note"] = "现场发现问题"
    return {k: v for k, v in answers.items() if v is not None}


def _answer(item: dict, failing: bool, rng) -> dict | None:
    kind = item["kind"]
    if kind == "pass_fail":
        return {"result": "fail" if failing else "pass"}
    if kind == "deduction":
        return {"deduct": rng.randint(1, max(1, int(item["points"]) // 2)) if failing else 0}
    if kind == "number":
        low, high = item.get("min"), item.get("max")
        if failing:
            return {"value": low - 5 if low is not None else high + 5}
        return {"value": rng.randint(int(low), int(high)) if None not in (low, high) else (low if low is not None
                                                                                           else high)}
    if kind == "choice":
        options = [o for o in item["options"] if bool(o.get("fail")) == failing] or item["options"]
        return {"choice": rng.choice(options)["key"]}
    if kind == "text":
        return {"text": "无"} if item.get("required") else None
    return {"photos": [_photo(item["key"])]} if item.get("required", True) else None


def _fix_some(phone: _Phone, session: Session, site: Site, users: dict[int, User], clock: _Clock, days_ago: int):
    """Fixers report most open fixes done in the afternoon; the rest stay open (and may go overdue)."""
    if days_ago < 1:
        return  # today's findings are still being worked on
    for action in session.scalars(select(Action).where(Action.site_id == site.id, Action.status.in_(UNRESOLVED))
                                  .order_by(Action.id)):
        assignee = users.get(action.assignee_id)
        if assignee is not None and phone.rng.random() < FIX_SHARE:
            phone.fix(assignee, action, clock.at(days_ago, 16, phone.rng.randint(0, 59)))


def seed_history(session: Session, site: Site, school) -> None:
    """Every query here names the site itself, so the session's scoping is left as it was."""
    templates.install_builtin(session, site.id)
    versions = {v.family: v for v in session.scalars(select(TemplateVersion).where(
        TemplateVersion.site_id == site.id, TemplateVersion.status == "published"))}
    phone, clock, rng = _Phone(session, site, school.rng), _Clock(school.today), school.rng
    people = school.users
    by_id = {u.id: u for u in people.values()}
    dorms = [r for r in school.rooms if r.kind == "dorm"]
    zones = [r for r in school.rooms if r.kind == "canteen_zone"]
    others = [r for r in school.rooms if r.kind not in ("dorm", "canteen_zone")]
    for days_ago in range(DAYS - 1, -1, -1):
        day = school.today - timedelta(days=days_ago)
        for i, room in enumerate(dorms):
            if rng.random() < DORM_CHECKED_SHARE:
                phone.inspect(people["dorm"], versions["dorm_hygiene"], room,
                              _answers(versions["dorm_hygiene"], rng, 0.12, f"{room.id}-{day}"),
                              clock.at(days_ago, 7, i % 60))
        for i, zone in enumerate(zones):
            phone.inspect(people["canteen"], versions["canteen_four_preventions"], zone,
                          _answers(versions["canteen_four_preventions"], rng, 0.05, f"{zone.id}-{day}"),
                          clock.at(days_ago, 10, 5 * i))
        kitchen = next(z for z in zones if z.name == "烹饪间")
        phone.inspect(people["canteen"], versions["food_safety_daily"], kitchen,
                      _answers(versions["food_safety_daily"], rng, 0.05, f"fs-{day}"), clock.at(days_ago, 11))
        if day.weekday() in (1, 4):  # 校长一周两查
            for zone in rng.sample(zones, 2):
                phone.inspect(people["principal"], versions["canteen_four_preventions"], zone,
                              _answers(versions["canteen_four_preventions"], rng, 0.05, f"p-{zone.id}-{day}"),
                              clock.at(days_ago, 12))
        for room in rng.sample(others, 2):  # 总务主任每天查
            phone.inspect(people["admin"], versions["facility_round"], room,
                          _answers(versions["facility_round"], rng, 0.08, f"f-{room.id}-{day}"),
                          clock.at(days_ago, 14))
        room = rng.choice(others + zones)
        phone.inspect(people["inspector"], versions["fire_safety"], room,
                      _answers(versions["fire_safety"], rng, 0.08, f"fire-{room.id}-{day}"), clock.at(days_ago, 15))
        _fix_some(phone, session, site, by_id, clock, days_ago)
    session.flush()
