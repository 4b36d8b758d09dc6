"""Corrective actions (整改): every failed item becomes one, with the room's responsible person and a
deadline; the fixer marks it done from the phone; a re-check (复查) verifies it or reopens it.

Status order: open/reopened < done < verified. A status from a phone never moves an action back
down that order (an offline phone may send an old status after the fix was done); it is kept in the
trail and flagged instead.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, or_, select
from sqlalchemy.orm import Session

from server.models import Action, ActionEvent, Inspection, User, as_utc, utcnow
from server.services.checklists import ChecklistFacts, Judged
from server.services.errors import Conflict, NotFound, ValidationFailed

# Every school this serves keeps China time; "the same day" and report days are days there.
SCHOOL_TZ = ZoneInfo("Asia/Shanghai")
CANTEEN_CATEGORIES = ("canteen", "food_safety")
UNRESOLVED = ("open", "reopened")
# A fix reported done still follows its item until a re-check verifies or reopens it.
FOLLOWING = (*UNRESOLVED, "done")
_RANK = {"open": 0, "reopened": 0, "done": 1, "verified": 2}
STALE_FLAG = "stale_status"


def to_utc(moment: datetime) -> datetime:
    """The same instant in UTC: SQLite keeps no offset, so only UTC may be stored. Most times are in UTC
    already (a pushed record's, once read; the server's own clock): those are kept as they are, where
    converting cost three calls a stored inspection."""
    if moment.tzinfo is UTC:
        return moment
    return as_utc(moment).astimezone(UTC)


def local_day(moment: datetime):
    return as_utc(moment).astimezone(SCHOOL_TZ).date()


def end_of_local_day(moment: datetime) -> datetime:
    day = local_day(moment)
    return datetime.combine(day, time(23, 59, 59), tzinfo=SCHOOL_TZ)


def deadline_for(template: ChecklistFacts, item: dict, performed_at: datetime, room_kind: str | None) -> datetime:
    """Canteen hazards are due before night (整改不留宿); everything else after the template's hours."""
    in_canteen = template.category in CANTEEN_CATEGORIES or room_kind == "canteen_zone"
    if item.get("hazard") and in_canteen:
        return to_utc(end_of_local_day(performed_at))
    return to_utc(performed_at) + timedelta(hours=template.deadline_hours)


def is_overdue(action: Action, now: datetime | None = None) -> bool:
    return action.status in UNRESOLVED and as_utc(action.deadline) < (now or utcnow())


@dataclass(frozen=True)
class StatusDecision:
    status: str
    changed: bool
    stale: bool


def merge_status(current: str, incoming: str) -> StatusDecision:
    """What an action's status becomes when a phone reports `incoming` (pure; see module doc)."""
    if _RANK[incoming] < _RANK[current]:
        return StatusDecision(current, False, True)
    if _RANK[incoming] == _RANK[current]:
        return StatusDecision(current, False, False)
    return StatusDecision(incoming, True, False)


def _event(session: Session, action: Action, kind: str, user_id: int | None, **extra) -> None:
    session.add(ActionEvent(site_id=action.site_id, action_id=action.id, kind=kind, status=action.status,
                            by_user_id=user_id, **extra))


def _flag(action: Action, flag: str) -> None:
    if flag not in action.flags:
        action.flags = [*action.flags, flag]


def _following_ids_query():
    action = Action.__table__
    return select(action.c.id).where(
        action.c.site_id == bindparam("site_id"), action.c.status.in_(FOLLOWING),
        or_(action.c.room_id.in_(bindparam("room_ids", expanding=True)),
            action.c.asset_id.in_(bindparam("asset_ids", expanding=True))))


_FOLLOWING_IDS = _following_ids_query()


def unresolved_for_targets(session: Session, site_id: int, room_ids: set[int],
                           asset_ids: set[int]) -> dict[tuple[int | None, int | None], list[Action]]:
    """Actions still following something in these rooms or on these assets, oldest first, by (room_id,
    asset_id): one query for a whole run of inspections instead of one per inspection. Most rooms have
    none, so a plain query finds out first and Action objects are loaded only when there are some."""
    if not room_ids and not asset_ids:
        return {}
    session.flush()  # the plain query below does not autoflush as an ORM query would
    ids = session.connection().execute(_FOLLOWING_IDS, {"site_id": site_id, "room_ids": list(room_ids),
                                                        "asset_ids": list(asset_ids)}).scalars().all()
    found: dict[tuple[int | None, int | None], list[Action]] = {}
    if ids:
        for action in session.scalars(select(Action).where(Action.id.in_(ids)).order_by(Action.id)):
            found.setdefault((action.room_id, action.asset_id), []).append(action)
    return found


def following_by_item(unresolved: list[Action]) -> dict[str, Action]:
    """Of one room's or asset's actions (oldest first), the one following each item (one problem, one
    action). Statuses are read now, so an action verified earlier in the same run no longer follows."""
    return {action.item_key: action for action in unresolved if action.status in FOLLOWING}


def open_for_failures(session: Session, inspection: Inspection, template: ChecklistFacts,
                      failures: list[Judged], assignee_id: int | None, room_kind: str | None,
                      following: dict[str, Action]) -> list[Action]:
    """One action per failed item that asks for one; a repeat failure joins the action already following it."""
    created = []
    for judged in failures:
        item = judged.item
        if not item.get("creates_action", True):
            continue
        existing = following.get(item["key"])
        if existing is not None:
            _repeat(session, existing, inspection, judged)
            continue
        action = Action(
            site_id=inspection.site_id, inspection_id=inspection.id, item_key=item["key"],
            title=item["text"], title_en=item.get("text_en", ""), room_id=inspection.room_id,
            asset_id=inspection.asset_id, assignee_id=assignee_id, hazard=bool(item.get("hazard")),
            deadline=deadline_for(template, item, inspection.performed_at, room_kind), status="open",
            evidence_note=judged.note, evidence_photos=judged.photos, created_at=inspection.received_at)
        session.add(action)
        session.flush()
        _event(session, action, "created", inspection.inspector_id, inspection_id=inspection.id,
               note=judged.note, photos=judged.photos)
        created.append(action)
    return created


def _repeat(session: Session, action: Action, inspection: Inspection, judged: Judged) -> None:
    """Found failing again: a done fix did not hold (reopen); an open one just gains evidence."""
    if action.status == "done" and as_utc(inspection.performed_at) >= as_utc(action.done_at):
        action.status = "reopened"
        _event(session, action, "reopened", inspection.inspector_id, inspection_id=inspection.id,
               note=judged.note, photos=judged.photos)
        return
    action.repeat_count += 1
    _event(session, action, "repeated", inspection.inspector_id, inspection_id=inspection.id,
           note=judged.note, photos=judged.photos)


def verify_by_recheck(session: Session, inspection: Inspection, passes: list[Judged],
                      following: dict[str, Action]) -> list[Action]:
    """A later check of the same room or asset where the item passes verifies a fix reported done."""
    verified = []
    for judged in passes:
        action = following.get(judged.item["key"])
        if action is None or action.status != "done":
            continue
        if as_utc(inspection.performed_at) < as_utc(action.done_at):
            continue  # a check made before the fix (phone offline) proves nothing about it
        _mark_verified(session, action, inspection.inspector_id, inspection.received_at, inspection.id)
        verified.append(action)
    return verified


def _mark_verified(session: Session, action: Action, user_id: int, at: datetime,
                   inspection_id: int | None = None, note: str | None = None) -> None:
    action.status, action.verified_at, action.verified_by_id = "verified", at, user_id
    action.verify_inspection_id = inspection_id
    _event(session, action, "verified", user_id, inspection_id=inspection_id, note=note)


def get(session: Session, site_id: int, action_id: int) -> Action:
    action = session.scalar(select(Action).where(Action.id == action_id, Action.site_id == site_id))
    if action is None:
        raise NotFound("no such action", {"id": action_id})
    return action


def report_status(session: Session, action: Action, user: User, status: str, *, note: str | None,
                  photos: list[str], record_uuid: str | None, at: datetime) -> StatusDecision:
    """A status sent from a phone. Fixers report done; inspectors and admins may verify or reopen."""
    if status in ("verified", "reopened") and not user.has_role("inspector", "admin"):
        raise ValidationFailed("only an inspector or admin can verify or reopen",
                               {"fields": {"status": ["not allowed for your role"]}})
    if status in ("open", "done") and action.assignee_id != user.id and not user.has_role("admin"):
        raise ValidationFailed("this fix is not assigned to you", {"fields": {"action_id": ["not yours"]}})
    decision = _reopen_decision(action) if status == "reopened" else merge_status(action.status, status)
    if decision.stale:
        _flag(action, STALE_FLAG)
        _event(session, action, "stale_update", user.id, record_uuid=record_uuid, note=note, photos=photos)
        return decision
    if status == "done":
        action.fix_note = note or action.fix_note
        action.fix_photos = [*action.fix_photos, *(p for p in photos if p not in action.fix_photos)]
    if decision.changed:
        _apply_change(session, action, decision.status, user, at, record_uuid, note, photos)
    else:
        _event(session, action, "note", user.id, record_uuid=record_uuid, note=note, photos=photos)
    session.flush()
    return decision


def _reopen_decision(action: Action) -> StatusDecision:
    if action.status in ("done", "verified"):
        return StatusDecision("reopened", True, False)
    return StatusDecision(action.status, False, False)


def _apply_change(session: Session, action: Action, status: str, user: User, at: datetime,
                  record_uuid: str | None, note: str | None, photos: list[str]) -> None:
    if status == "verified":
        _mark_verified(session, action, user.id, at, note=note)
        return
    action.status = status
    if status == "done":
        action.done_at = at
    _event(session, action, status, user.id, record_uuid=record_uuid, note=note, photos=photos)


def reassign(session: Session, action: Action, assignee_id: int, expected_version: int, by: User) -> Action:
    """Give the fix to someone else; the old fixer's phone loses it on its next pull."""
    if expected_version != action.version:
        raise Conflict("someone else changed this first; reload it",
                       {"current_version": action.version, "your_version": expected_version},
                       code="version_conflict")
    assignee = session.scalar(select(User).where(User.id == assignee_id, User.site_id == action.site_id))
    if assignee is None or not assignee.active:
        raise ValidationFailed("no such active user in this school", {"fields": {"assignee_id": ["unknown"]}})
    action.assignee_id = assignee.id
    _event(session, action, "reassigned", by.id, note=assignee.display_name)
    session.flush()
    return action


def events(session: Session, action: Action) -> list[ActionEvent]:
    return list(session.scalars(select(ActionEvent).where(ActionEvent.action_id == action.id)
                                .order_by(ActionEvent.at, ActionEvent.id)))


ACTION_FILTERS = ("status", "assignee_id", "room_id")


def listing(site_id: int, args: dict, now: datetime | None = None):
    """The actions of a school, filtered; `overdue=True` keeps only open ones past their deadline."""
    unresolved = Action.status.in_(UNRESOLVED)
    # What still needs doing comes first, most overdue on top, then fixes waiting for their re-check;
    # verified ones follow, newest first.
    stmt = select(Action).where(Action.site_id == site_id).order_by(
        case((unresolved, 0), (Action.status == "done", 1), else_=2),
        case((Action.status != "verified", Action.deadline)), Action.deadline.desc(), Action.id)
    for name in ACTION_FILTERS:
        if args.get(name) not in (None, ""):
            stmt = stmt.where(getattr(Action, name) == args[name])
    if args.get("hazard"):
        stmt = stmt.where(Action.hazard.is_(True))
    if args.get("overdue"):
        stmt = stmt.where(Action.status.in_(UNRESOLVED), Action.deadline < (now or utcnow()))
    return stmt
