"""The reports people read, every number computed by SQL on the server:

- 每日通报 daily dorm notice: each dorm room's score of the day, its deductions and photos, and the
  rooms nobody checked;
- 每周评比 weekly ranking by room, floor, building and class, with last week's change;
- canteen compliance: pass rates per zone, per item and per day, open and overdue fixes;
- coverage: who checked what and how often, and rooms not checked for N days.

A dorm room's score of a day is its last check that day (a re-check after tidying replaces the
morning's); a week's average is the mean of those daily scores. Item texts come from the template
version each record was made with, so old records read correctly after a new version is published.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, func, select, true
from sqlalchemy.orm import Session

from server.models import (
    TEMPLATE_CATEGORIES,
    Action,
    Building,
    Inspection,
    Room,
    TemplateVersion,
    User,
    utcnow,
)
from server.services.actions import CANTEEN_CATEGORIES, UNRESOLVED, local_day
from server.services.errors import NotFound, ValidationFailed
from sync.sql import json_array_items

DORM_CATEGORY = "dorm"
BEST_WORST = 5


def today() -> date:
    return local_day(utcnow())


def week_start(day: date) -> date:
    """The Monday of the week holding `day` (weeks run Monday to Sunday)."""
    return day - timedelta(days=day.weekday())


def _round(value, places: int = 2):
    return None if value is None else round(float(value), places)


def _rate(passed, evaluated):
    return round(100.0 * passed / evaluated, 1) if evaluated else None


# -- item texts -----------------------------------------------------------------------------------

def _item_texts(session: Session, version_ids: set[int]) -> dict[tuple[int, str], dict]:
    """(version id, item key) → item, for the versions records were made with."""
    texts: dict[tuple[int, str], dict] = {}
    if version_ids:
        for version in session.scalars(select(TemplateVersion).where(TemplateVersion.id.in_(version_ids))):
            for item in version.items:
                texts[(version.id, item["key"])] = item
    return texts


# -- daily dorm scores ---------------------------------------------------------------------------

def _daily_scores(site_id: int, first: date, last: date):
    """One row per dorm room and day: the score of that day's last dorm check."""
    order = func.row_number().over(partition_by=(Inspection.room_id, Inspection.day),
                                   order_by=(Inspection.performed_at.desc(), Inspection.id.desc()))
    ranked = (select(Inspection.id, Inspection.room_id, Inspection.day, Inspection.score,
                     order.label("nth"))
              .where(Inspection.site_id == site_id, Inspection.category == DORM_CATEGORY,
                     Inspection.day.between(first, last), Inspection.room_id.is_not(None))
              .subquery())
    return select(ranked.c.id, ranked.c.room_id, ranked.c.day, ranked.c.score).where(ranked.c.nth == 1).subquery()


def _dorm_rooms(site_id: int):
    return (select(Room.id, Room.name, Room.floor, Room.class_name, Building.name.label("building"),
                   Room.building_id)
            .outerjoin(Building, Building.id == Room.building_id)
            .where(Room.site_id == site_id, Room.kind == "dorm"))


# -- 每日通报 --------------------------------------------------------------------------------------

def daily_notice(session: Session, site_id: int, day: date) -> dict:
    daily = _daily_scores(site_id, day, day)
    rooms = _dorm_rooms(site_id).subquery()
    rows = session.execute(
        select(rooms, daily.c.id.label("inspection_id"), daily.c.score, User.display_name.label("inspector"),
               Inspection.template_version_id, Inspection.photos, Inspection.note, Inspection.answers)
        .outerjoin(daily, daily.c.room_id == rooms.c.id)
        .outerjoin(Inspection, Inspection.id == daily.c.id)
        .outerjoin(User, User.id == Inspection.inspector_id)
        .order_by(rooms.c.building, rooms.c.floor, rooms.c.name)).all()
    checked = [r for r in rows if r.inspection_id is not None]
    deductions = _deductions(session, checked)
    summary = session.execute(select(func.count(daily.c.id), func.avg(daily.c.score), func.max(daily.c.score),
                                     func.min(daily.c.score))).one()
    return {
        "day": day,
        "summary": {"rooms": len(rows), "checked": summary[0], "unchecked": len(rows) - summary[0],
                    "average": _round(summary[1]), "best": _round(summary[2]), "worst": _round(summary[3])},
        "scores": [{"room_id": r.id, "room": r.name, "building": r.building, "floor": r.floor,
                    "class_name": r.class_name, "score": _round(r.score), "inspector": r.inspector,
                    "inspection_id": r.inspection_id, "note": r.note,
                    "photos": _all_photos(r.photos, deductions.get(r.inspection_id, [])),
                    "deductions": deductions.get(r.inspection_id, [])} for r in checked],
        "unchecked": [{"room_id": r.id, "room": r.name, "building": r.building, "floor": r.floor,
                       "class_name": r.class_name} for r in rows if r.inspection_id is None],
    }


def _deductions(session: Session, checked: list) -> dict[int, list[dict]]:
    """The failed items of these checks (rows with inspection_id, template_version_id and answers) with
    the points they lost, in their version's words."""
    texts = _item_texts(session, {r.template_version_id for r in checked})
    return {r.inspection_id: [_deduction(texts.get((r.template_version_id, a["key"]), {}), a)
                              for a in r.answers if a["outcome"] == "fail"] for r in checked}


def _deduction(item: dict, answer: dict) -> dict:
    points = answer.get("deduction", 0.0) if item.get("kind") == "deduction" else float(item.get("points") or 0)
    return {"item_key": answer["key"], "text": item.get("text", answer["key"]), "text_en": item.get("text_en", ""),
            "points": _round(points), "note": answer.get("note"), "photos": list(answer.get("photos", []))}


def _all_photos(own: list | None, deductions: list[dict]) -> list[str]:
    return list(dict.fromkeys([*(own or []), *(p for d in deductions for p in d["photos"])]))


# -- 每周评比 --------------------------------------------------------------------------------------

RANKING_LEVELS = {
    # level → (columns grouped by, columns shown)
    "room": ("id",),
    "floor": ("building_id", "floor"),
    "building": ("building_id",),
    "class": ("class_name",),
}


def _level_averages(session: Session, site_id: int, first: date, last: date, level: str) -> list:
    daily = _daily_scores(site_id, first, last)
    rooms = _dorm_rooms(site_id).subquery()
    keys = [rooms.c[name] for name in RANKING_LEVELS[level]]
    labels = {"room": [rooms.c.building, rooms.c.name, rooms.c.floor, rooms.c.class_name],
              "floor": [rooms.c.building], "building": [rooms.c.building], "class": []}[level]
    average = func.avg(daily.c.score)
    stmt = (select(*keys, *(func.min(c).label(c.name) for c in labels), average.label("average"),
                   func.count(daily.c.score).label("checks"), func.count(func.distinct(daily.c.room_id)).label("rooms"),
                   func.rank().over(order_by=average.desc()).label("rank"))
            .select_from(rooms).join(daily, daily.c.room_id == rooms.c.id)
            .group_by(*keys))
    if level == "class":
        stmt = stmt.where(rooms.c.class_name.is_not(None))
    return session.execute(stmt.order_by(average.desc(), *keys)).all()


def _level_key(level: str, row) -> tuple:
    return tuple(getattr(row, name) for name in RANKING_LEVELS[level])


def _level_name(level: str, row) -> str:
    if level == "room":
        return row.name
    if level == "floor":
        return f"{row.building} {row.floor}F"
    if level == "building":
        return row.building
    return row.class_name


def weekly_ranking(session: Session, site_id: int, day: date) -> dict:
    """The week (Monday–Sunday) holding `day`, with each group's change from the week before."""
    first = week_start(day)
    last, prev_first = first + timedelta(days=6), first - timedelta(days=7)
    levels = {}
    for level in RANKING_LEVELS:
        previous = {_level_key(level, r): r.average for r in
                    _level_averages(session, site_id, prev_first, first - timedelta(days=1), level)}
        levels[level] = [_ranking_row(level, row, previous.get(_level_key(level, row)))
                         for row in _level_averages(session, site_id, first, last, level)]
    rooms = levels["room"]
    return {"week_start": first, "week_end": last, "levels": levels,
            "best": rooms[:BEST_WORST], "worst": list(reversed(rooms[-BEST_WORST:]))}


def _ranking_row(level: str, row, previous) -> dict:
    average = _round(row.average)
    return {"rank": row.rank, "name": _level_name(level, row), "key": "/".join(str(k) for k in _level_key(level, row)),
            "average": average, "checks": row.checks, "rooms": row.rooms,
            "building": getattr(row, "building", None), "class_name": getattr(row, "class_name", None),
            "last_week": _round(previous),
            "change": None if previous is None else round(average - float(previous), 2)}


# -- canteen compliance --------------------------------------------------------------------------

def _canteen_answers(session: Session, site_id: int, first: date, last: date):
    """The judged items of canteen checks in the period, materialised once per query: left to itself
    SQLite's planner would walk a room (or day) index across every dorm check of the year instead."""
    items, (item_key, outcome) = json_array_items(session.get_bind().dialect.name, Inspection.answers, "item",
                                                  "key", "outcome")
    return (select(Inspection.id, Inspection.room_id, Inspection.day, Inspection.template_version_id,
                   item_key.label("item_key"), outcome.label("outcome"))
            .join(items, true())
            .where(Inspection.site_id == site_id, Inspection.category.in_(CANTEEN_CATEGORIES),
                   Inspection.day.between(first, last), outcome.in_(("pass", "fail")))
            .cte("canteen_answers").prefix_with("MATERIALIZED"))


def _pass_counts(answers):
    return (func.count(func.distinct(answers.c.id)).label("checks"), func.count().label("evaluated"),
            func.sum(case((answers.c.outcome == "fail", 1), else_=0)).label("failed"))


def _counted_by(answers, *keys):
    """Pass counts grouped by `keys`, aggregated before any join (rooms and templates join the totals)."""
    return select(*keys, *_pass_counts(answers)).group_by(*keys).subquery()


def _summed(counts):
    return (func.sum(counts.c.checks).label("checks"), func.sum(counts.c.evaluated).label("evaluated"),
            func.sum(counts.c.failed).label("failed"))


def canteen_compliance(session: Session, site_id: int, first: date, last: date) -> dict:
    answers = _canteen_answers(session, site_id, first, last)
    by_zone = _counted_by(answers, answers.c.room_id)
    zones = session.execute(
        select(Room.id, Room.name, by_zone.c.checks, by_zone.c.evaluated, by_zone.c.failed)
        .join(by_zone, by_zone.c.room_id == Room.id).order_by(Room.name)).all()
    by_item = _counted_by(answers, answers.c.template_version_id, answers.c.item_key)
    items = session.execute(
        select(TemplateVersion.family, by_item.c.item_key,
               func.max(by_item.c.template_version_id).label("version_id"), *_summed(by_item))
        .join(TemplateVersion, TemplateVersion.id == by_item.c.template_version_id)
        .group_by(TemplateVersion.family, by_item.c.item_key)
        .order_by(TemplateVersion.family, by_item.c.item_key)).all()
    days = session.execute(select(answers.c.day, *_pass_counts(answers)).group_by(answers.c.day)
                           .order_by(answers.c.day)).all()
    texts = _item_texts(session, {r.version_id for r in items})
    return {
        "first": first, "last": last,
        "zones": [_compliance_row(r, room_id=r.id, name=r.name) for r in zones],
        "items": [_compliance_row(r, family=r.family, item_key=r.item_key,
                                  name=texts.get((r.version_id, r.item_key), {}).get("text", r.item_key))
                  for r in items],
        "days": [_compliance_row(r, day=r.day) for r in days],
        "actions": _canteen_actions(session, site_id),
    }


def _compliance_row(row, **labels) -> dict:
    # PostgreSQL sums counts as numeric (Decimal); every figure here is a whole number.
    checks, evaluated, failed = int(row.checks), int(row.evaluated), int(row.failed or 0)
    return {**labels, "checks": checks, "evaluated": evaluated, "failed": failed,
            "pass_rate": _rate(evaluated - failed, evaluated)}


def _canteen_actions(session: Session, site_id: int) -> dict:
    now = utcnow()
    overdue = case((and_(Action.status.in_(UNRESOLVED), Action.deadline < now), 1), else_=0)
    counts = session.execute(
        select(func.sum(case((Action.status.in_(UNRESOLVED), 1), else_=0)), func.sum(overdue),
               func.sum(case((Action.status == "done", 1), else_=0)))
        .join(Room, Room.id == Action.room_id)
        .where(Action.site_id == site_id, Room.kind == "canteen_zone")).one()
    late = session.execute(
        select(Action.id, Action.title, Action.deadline, Action.status, Room.name.label("room"))
        .join(Room, Room.id == Action.room_id)
        .where(Action.site_id == site_id, Room.kind == "canteen_zone", Action.status.in_(UNRESOLVED),
               Action.deadline < now).order_by(Action.deadline)).all()
    return {"open": int(counts[0] or 0), "overdue": int(counts[1] or 0), "awaiting_recheck": int(counts[2] or 0),
            "overdue_list": [{"id": r.id, "title": r.title, "room": r.room, "deadline": r.deadline,
                              "status": r.status} for r in late]}


# -- coverage ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CoverageArgs:
    first: date
    last: date
    stale_days: int
    room_kind: str | None = None


def coverage(session: Session, site_id: int, args: CoverageArgs, today_: date | None = None) -> dict:
    weeks = max(1.0, ((args.last - args.first).days + 1) / 7)
    per_category = [func.sum(case((Inspection.category == c, 1), else_=0)).label(c) for c in TEMPLATE_CATEGORIES]
    # Aggregated per inspector before joining users, so the (site, day, inspector, room, category)
    # index answers it alone.
    counts = (select(Inspection.inspector_id, func.count().label("checks"),
                     func.count(func.distinct(Inspection.day)).label("days"),
                     func.count(func.distinct(Inspection.room_id)).label("rooms"), *per_category)
              .where(Inspection.site_id == site_id, Inspection.day.between(args.first, args.last))
              .group_by(Inspection.inspector_id).subquery())
    people = session.execute(
        select(User.display_name, counts).join(counts, counts.c.inspector_id == User.id)
        .order_by(counts.c.checks.desc(), User.display_name)).all()
    return {
        "first": args.first, "last": args.last, "stale_days": args.stale_days,
        "inspectors": [{"user_id": p.inspector_id, "name": p.display_name, "checks": p.checks, "days": p.days,
                        "rooms": p.rooms, "per_week": round(p.checks / weeks, 1),
                        "by_category": {c: int(getattr(p, c) or 0) for c in TEMPLATE_CATEGORIES}} for p in people],
        "stale_rooms": _stale_rooms(session, site_id, args, today_ or today()),
    }


def _stale_rooms(session: Session, site_id: int, args: CoverageArgs, today_: date) -> list[dict]:
    """Rooms whose last check is more than `stale_days` ago, or that were never checked."""
    cutoff = today_ - timedelta(days=args.stale_days)
    last_check = (select(Inspection.room_id, func.max(Inspection.day).label("last_day"))
                  .where(Inspection.site_id == site_id, Inspection.room_id.is_not(None))
                  .group_by(Inspection.room_id).subquery())
    stmt = (select(Room.id, Room.name, Room.kind, Building.name.label("building"), last_check.c.last_day)
            .outerjoin(Building, Building.id == Room.building_id)
            .outerjoin(last_check, last_check.c.room_id == Room.id)
            .where(Room.site_id == site_id,
                   (last_check.c.last_day.is_(None)) | (last_check.c.last_day < cutoff))
            .order_by(last_check.c.last_day.is_not(None), last_check.c.last_day, Room.name))
    if args.room_kind:
        stmt = stmt.where(Room.kind == args.room_kind)
    return [{"room_id": r.id, "room": r.name, "kind": r.kind, "building": r.building, "last_day": r.last_day,
             "days_since": None if r.last_day is None else (today_ - r.last_day).days}
            for r in session.execute(stmt)]


# -- running a report by name ----------------------------------------------------------------------

DEFAULT_PERIOD_DAYS = 28
REPORT_NAMES = ("daily-notice", "weekly-ranking", "canteen", "coverage")


def period(args: dict) -> tuple[date, date]:
    last = args.get("last") or today()
    first = args.get("first") or last - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if first > last:
        raise ValidationFailed("the period ends before it starts", {"fields": {"first": ["after last"]}})
    return first, last


def run(session: Session, site_id: int, name: str, args: dict) -> dict:
    """A report by its URL name with the arguments of its query string (defaults filled in)."""
    if name == "daily-notice":
        return daily_notice(session, site_id, args.get("day") or today())
    if name == "weekly-ranking":
        return weekly_ranking(session, site_id, args.get("day") or today())
    first, last = period(args)
    if name == "canteen":
        return canteen_compliance(session, site_id, first, last)
    if name == "coverage":
        return coverage(session, site_id, CoverageArgs(first, last, args.get("stale_days", 7), args.get("room_kind")))
    raise NotFound("no such report", {"name": name})
