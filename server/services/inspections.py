"""Inspection records pushed by phones: judged against the exact template version they were made with,
scored on the server, turned into corrective actions, and used as re-checks of earlier fixes."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.models import Action, Asset, Inspection, Room, TemplateVersion, User
from server.services import actions
from server.services.checklists import ChecklistFacts, Evaluation, score_mismatch
from server.services.errors import NotFound, ValidationFailed
from sync.handlers import ApplyContext, IncomingRecord, RecordRejected, RunFailed
from sync.sql import insert_rows, objects_by_key

# A phone clock this far from the server's is not believed for report days (the record is kept as sent).
MAX_CLOCK_AHEAD = timedelta(minutes=10)
MAX_OFFLINE = timedelta(days=30)


def trusted_time(recorded_at: datetime, received_at: datetime) -> tuple[datetime, bool]:
    """When the check happened for reports: the phone's clock if plausible, else the server's (skewed)."""
    recorded, received = actions.to_utc(recorded_at), actions.to_utc(received_at)
    if received - MAX_OFFLINE <= recorded <= received + MAX_CLOCK_AHEAD:
        return recorded, False
    return received, True


@dataclass(frozen=True)
class _RoomFacts:
    """What storing an inspection needs of its room, read as plain values (ORM objects for the fifty
    rooms of a batch cost more than the query)."""

    id: int
    kind: str
    responsible_user_id: int | None


@dataclass(frozen=True)
class _AssetFacts:
    id: int
    category: str
    room: _RoomFacts | None


@dataclass
class _Known:
    """What a run of inspections needs from the database, loaded with one query each (not per record)."""

    templates: dict[int, ChecklistFacts]
    rooms: dict[int, _RoomFacts]
    assets: dict[int, _AssetFacts]
    # Actions still following something, by (room_id, asset_id), oldest first; new ones are appended.
    unresolved: dict[tuple[int | None, int | None], list[Action]]


@dataclass
class _Checked:
    """One inspection judged against its template: its row, ready to be inserted."""

    row: dict
    template: ChecklistFacts
    room: _RoomFacts | None
    evaluation: Evaluation

    @property
    def target(self) -> tuple[int | None, int | None]:
        return self.row["room_id"], self.row["asset_id"]


def _facts_queries():
    template, room, asset = TemplateVersion.__table__, Room.__table__, Asset.__table__
    templates = select(*(template.c[f.name] for f in fields(ChecklistFacts))).where(
        template.c.site_id == bindparam("site_id"), template.c.id.in_(bindparam("ids", expanding=True)))
    rooms = select(room.c.id, room.c.kind, room.c.responsible_user_id).where(
        room.c.site_id == bindparam("site_id"), room.c.id.in_(bindparam("ids", expanding=True)))
    # An asset's room comes in the same query (its kind and whom its fixes go to).
    assets = (select(asset.c.id, asset.c.category, room.c.id.label("room_id"), room.c.kind,
                     room.c.responsible_user_id)
              .join_from(asset, room, asset.c.room_id == room.c.id, isouter=True)
              .where(asset.c.site_id == bindparam("site_id"), asset.c.id.in_(bindparam("ids", expanding=True))))
    return templates, rooms, assets


_TEMPLATES, _ROOMS, _ASSETS = _facts_queries()


def _checklists(session: Session, site_id: int, ids: set) -> dict[int, ChecklistFacts]:
    """The checklist versions of these ids in the school, drafts included."""
    rows = session.connection().execute(_TEMPLATES, {"site_id": site_id, "ids": list(ids)})
    return {row.id: ChecklistFacts(*row) for row in rows}


def _load(session: Session, site_id: int, records: list[IncomingRecord]) -> _Known:
    # The versions the precheck judged with are used as they were then (a batch is judged against its
    # checklists as they stood when it arrived); only the others are read.
    templates = {r.prechecked.template.id: r.prechecked.template for r in records if r.prechecked is not None}
    template_ids = {r.data["template_id"] for r in records} - set(templates)
    room_ids = {r.data["room_id"] for r in records if r.data.get("room_id") is not None}
    asset_ids = {r.data["asset_id"] for r in records if r.data.get("asset_id") is not None}
    session.flush()  # the plain queries below do not autoflush as ORM queries would
    if template_ids:
        templates.update(_checklists(session, site_id, template_ids))
    conn = session.connection()
    rooms = conn.execute(_ROOMS, {"site_id": site_id, "ids": list(room_ids)}) if room_ids else []
    assets = conn.execute(_ASSETS, {"site_id": site_id, "ids": list(asset_ids)}) if asset_ids else []
    known = _Known(templates, {r.id: _RoomFacts(*r) for r in rooms},
                   {a.id: _AssetFacts(a.id, a.category, _RoomFacts(*a[2:]) if a.room_id is not None else None)
                    for a in assets}, {})
    known.unresolved = actions.unresolved_for_targets(session, site_id, set(known.rooms), set(known.assets))
    return known


def _template(known: _Known, template_id: int) -> ChecklistFacts:
    template = known.templates.get(template_id)
    if template is None or template.status == "draft":
        raise RecordRejected({"template_id": ["unknown template version; pull templates again"]})
    return template


def _target(known: _Known, template: ChecklistFacts, data: dict) -> tuple[_RoomFacts | None, _AssetFacts | None]:
    room_id, asset_id = data.get("room_id"), data.get("asset_id")
    if (room_id is None) == (asset_id is None):
        raise RecordRejected({"room_id": ["name exactly one of room_id and asset_id"]})
    if asset_id is not None:
        asset = known.assets.get(asset_id)
        if asset is None:
            raise RecordRejected({"asset_id": ["no such asset in your school"]})
        if asset.category not in template.asset_categories:
            raise RecordRejected({"asset_id": ["this checklist is not used on this kind of asset"]})
        return asset.room, asset
    room = known.rooms.get(room_id)
    if room is None:
        raise RecordRejected({"room_id": ["no such room in your school"]})
    if template.room_kinds and room.kind not in template.room_kinds:
        raise RecordRejected({"room_id": ["this checklist is not used in this kind of room"]})
    return room, None


def _flags(template: ChecklistFacts, evaluation: Evaluation, phone_score: float | None, skewed: bool) -> list[str]:
    flags = []
    if template.status == "retired":
        flags.append("retired_version")
    if score_mismatch(evaluation.score, phone_score):
        flags.append("score_mismatch")
    if skewed:
        flags.append("clock_skew")
    return flags


@dataclass
class _Judgement:
    """A record's answers judged against its checklist version (which never changes once published)."""

    template: ChecklistFacts
    evaluation: Evaluation


def _judgement(template: ChecklistFacts, record: IncomingRecord) -> _Judgement:
    return _Judgement(template, template.checklist.evaluate(record.data["answers"]))


def precheck_inspections(session: Session, site_id: int, records: list[IncomingRecord]) -> None:
    """Judge the answers of a run of inspections before the write transaction (the handler's `precheck`):
    a published or retired version's items never change, so the judgement still holds when the record
    is applied. Drafts and unknown versions are left to apply, which rejects them."""
    templates = _checklists(session, site_id, {r.data["template_id"] for r in records})
    for record in records:
        template = templates.get(record.data["template_id"])
        if template is not None and template.status != "draft":
            record.prechecked = _judgement(template, record)


def _check(ctx: ApplyContext, known: _Known, record: IncomingRecord) -> _Checked:
    """Judge one record in memory; raises RecordRejected before anything is written."""
    data = record.data
    template = _template(known, data["template_id"])
    room, asset = _target(known, template, data)
    judgement = record.prechecked
    if judgement is None or judgement.template is not template:
        judgement = _judgement(template, record)
    evaluation = judgement.evaluation
    if evaluation.errors:
        raise RecordRejected({"answers": evaluation.errors})
    performed_at, skewed = trusted_time(record.recorded_at, ctx.received_at)
    row = {"site_id": ctx.site_id, "uuid": record.uuid, "template_version_id": template.id,
           "category": template.category, "room_id": room.id if room else None,
           "asset_id": asset.id if asset else None, "inspector_id": ctx.user_id,
           "device_id": ctx.device_id, "recorded_at": record.recorded_at,
           "received_at": actions.to_utc(ctx.received_at), "performed_at": performed_at,
           "day": actions.local_day(performed_at), "scanned": data.get("scanned", False),
           "score": evaluation.score, "max_score": evaluation.max_score, "phone_score": data.get("score"),
           "failed_count": len(evaluation.failures), "flags": _flags(template, evaluation, data.get("score"), skewed),
           "note": data.get("note"), "photos": list(data.get("photos") or []), "answers": evaluation.stored}
    return _Checked(row, template, room, evaluation)


def _insert(session: Session, checked: list[_Checked]) -> None:
    """The inspections, straight to the driver (COPY on PostgreSQL), their ids left to the database.
    They are not in the change feed or versioned, and per row the ORM's unit of work, and even
    SQLAlchemy's own executemany, cost more than the database's write."""
    insert_rows(session.connection(), Inspection.__table__, tuple(checked[0].row),
                [tuple(c.row.values()) for c in checked])


def _follow_up(session: Session, known: _Known, inspection: Inspection, c: _Checked) -> None:
    """Verify the fixes this inspection's passes re-check and open fixes for its failures."""
    unresolved = known.unresolved.setdefault(c.target, [])
    following = actions.following_by_item(unresolved)
    actions.verify_by_recheck(session, inspection, [j for j in c.evaluation.judged if j.outcome == "pass"],
                              following)
    unresolved += actions.open_for_failures(session, inspection, c.template, c.evaluation.failures,
                                            c.room.responsible_user_id if c.room else None,
                                            c.room.kind if c.room else None, following)


def _store(ctx: ApplyContext, known: _Known, checked: list[_Checked]) -> None:
    """Insert the inspections, then follow up, in record order, those that fail an item or whose room
    or asset has fixes under way, as if each had been stored on its own. (A fix opened earlier in the
    run is still open, so a later pass cannot verify it: those inspections need no follow-up.) Only
    these are read back, so a run that needs none reads nothing."""
    _insert(ctx.session, checked)
    pending = [c for c in checked if c.evaluation.failures or known.unresolved.get(c.target)]
    if not pending:
        return
    stored = {i.uuid: i for i in objects_by_key(ctx.session, Inspection, ctx.site_id, "uuid",
                                                 [c.row["uuid"] for c in pending])}
    for c in pending:
        _follow_up(ctx.session, known, stored[c.row["uuid"]], c)


def apply_inspection(ctx: ApplyContext, record: IncomingRecord) -> None:
    """Store one pushed inspection (the `inspection` record handler)."""
    known = _load(ctx.session, ctx.site_id, [record])
    _store(ctx, known, [_check(ctx, known, record)])


def apply_inspections(ctx: ApplyContext, records: list[IncomingRecord]) -> list[None]:
    """Store a run of pushed inspections exactly as apply_inspection would one after the other, with
    one query per kind of thing they need and one INSERT per table (the handler's `apply_many`)."""
    known = _load(ctx.session, ctx.site_id, records)
    checked = []
    for index, record in enumerate(records):
        try:
            checked.append(_check(ctx, known, record))
        except RecordRejected as exc:
            raise RunFailed(index, exc) from exc
    _store(ctx, known, checked)
    return [None] * len(records)


def apply_action_update(ctx: ApplyContext, record: IncomingRecord) -> int:
    """Store one status report on a fix (the `action_update` record handler); answers its new version."""
    data = record.data
    try:
        action = actions.get(ctx.session, ctx.site_id, data["action_id"])
    except NotFound as exc:
        raise RecordRejected({"action_id": ["no such fix in your school"]}) from exc
    try:
        reporter = ctx.session.get(User, ctx.user_id)
        actions.report_status(ctx.session, action, reporter, data["status"], note=data.get("note"),
                              photos=list(data.get("photos") or []), record_uuid=record.uuid,
                              at=trusted_time(record.recorded_at, ctx.received_at)[0])
    except ValidationFailed as exc:
        raise RecordRejected(exc.details.get("fields", {"status": [exc.message]})) from exc
    ctx.session.flush()
    return action.version
