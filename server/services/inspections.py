"""Inspection records pushed by phones: judged against the exact template version they were made with,
scored on the server, turned into corrective actions, and used as re-checks of earlier fixes."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Asset, Inspection, InspectionAnswer, Room, TemplateVersion
from server.services import actions
from server.services.checklists import Evaluation, evaluate, score_mismatch
from server.services.errors import NotFound, ValidationFailed
from sync.handlers import ApplyContext, IncomingRecord, RecordRejected

# A phone clock this far from the server's is not believed for report days (the record is kept as sent).
MAX_CLOCK_AHEAD = timedelta(minutes=10)
MAX_OFFLINE = timedelta(days=30)


def trusted_time(recorded_at: datetime, received_at: datetime) -> tuple[datetime, bool]:
    """When the check happened for reports: the phone's clock if plausible, else the server's (skewed)."""
    recorded, received = actions.to_utc(recorded_at), actions.to_utc(received_at)
    if received - MAX_OFFLINE <= recorded <= received + MAX_CLOCK_AHEAD:
        return recorded, False
    return received, True


def _template(session: Session, site_id: int, template_id: int) -> TemplateVersion:
    template = session.scalar(select(TemplateVersion).where(
        TemplateVersion.id == template_id, TemplateVersion.site_id == site_id))
    if template is None or template.status == "draft":
        raise RecordRejected({"template_id": ["unknown template version; pull templates again"]})
    return template


def _target(session: Session, site_id: int, template: TemplateVersion, data: dict) -> tuple[Room | None, Asset | None]:
    room_id, asset_id = data.get("room_id"), data.get("asset_id")
    if (room_id is None) == (asset_id is None):
        raise RecordRejected({"room_id": ["name exactly one of room_id and asset_id"]})
    if asset_id is not None:
        asset = session.scalar(select(Asset).where(Asset.id == asset_id, Asset.site_id == site_id))
        if asset is None:
            raise RecordRejected({"asset_id": ["no such asset in your school"]})
        if asset.category not in template.asset_categories:
            raise RecordRejected({"asset_id": ["this checklist is not used on this kind of asset"]})
        return asset.room, asset
    room = session.scalar(select(Room).where(Room.id == room_id, Room.site_id == site_id))
    if room is None:
        raise RecordRejected({"room_id": ["no such room in your school"]})
    if template.room_kinds and room.kind not in template.room_kinds:
        raise RecordRejected({"room_id": ["this checklist is not used in this kind of room"]})
    return room, None


def _flags(template: TemplateVersion, evaluation: Evaluation, phone_score: float | None, skewed: bool) -> list[str]:
    flags = []
    if template.status == "retired":
        flags.append("retired_version")
    if score_mismatch(evaluation.score, phone_score):
        flags.append("score_mismatch")
    if skewed:
        flags.append("clock_skew")
    return flags


def _answer_rows(evaluation: Evaluation) -> list[InspectionAnswer]:
    return [InspectionAnswer(item_key=j.item["key"], outcome=j.outcome, deduction=j.deduction, points=j.points,
                             value=j.value, text=j.text, note=j.note, photos=j.photos)
            for j in evaluation.judged]


def apply_inspection(ctx: ApplyContext, record: IncomingRecord) -> None:
    """Store one pushed inspection (the `inspection` record handler)."""
    data = record.data
    template = _template(ctx.session, ctx.site_id, data["template_id"])
    room, asset = _target(ctx.session, ctx.site_id, template, data)
    evaluation = evaluate(template.items, template.scoring, template.max_score, data["answers"])
    if evaluation.errors:
        raise RecordRejected({"answers": evaluation.errors})
    performed_at, skewed = trusted_time(record.recorded_at, ctx.received_at)
    inspection = Inspection(
        site_id=ctx.site_id, uuid=record.uuid, template_version_id=template.id, category=template.category,
        room_id=room.id if room else None, asset_id=asset.id if asset else None,
        inspector_id=ctx.user.id, device_id=ctx.device.id if ctx.device else None,
        recorded_at=actions.to_utc(record.recorded_at), received_at=actions.to_utc(ctx.received_at),
        performed_at=performed_at,
        day=actions.local_day(performed_at), scanned=data.get("scanned", False), score=evaluation.score,
        max_score=evaluation.max_score, phone_score=data.get("score"), failed_count=len(evaluation.failures),
        flags=_flags(template, evaluation, data.get("score"), skewed), note=data.get("note"),
        photos=list(data.get("photos") or []), answers=_answer_rows(evaluation))
    ctx.session.add(inspection)
    ctx.session.flush()
    following = actions.unresolved_by_item(ctx.session, inspection)
    actions.verify_by_recheck(ctx.session, inspection, [j for j in evaluation.judged if j.outcome == "pass"],
                              following)
    assignee = room.responsible_user_id if room else None
    actions.open_for_failures(ctx.session, inspection, template, evaluation.failures, assignee,
                              room.kind if room else None, following)


def apply_action_update(ctx: ApplyContext, record: IncomingRecord) -> int:
    """Store one status report on a fix (the `action_update` record handler); answers its new version."""
    data = record.data
    try:
        action = actions.get(ctx.session, ctx.site_id, data["action_id"])
    except NotFound as exc:
        raise RecordRejected({"action_id": ["no such fix in your school"]}) from exc
    try:
        actions.report_status(ctx.session, action, ctx.user, data["status"], note=data.get("note"),
                              photos=list(data.get("photos") or []), record_uuid=record.uuid,
                              at=trusted_time(record.recorded_at, ctx.received_at)[0])
    except ValidationFailed as exc:
        raise RecordRejected(exc.details.get("fields", {"status": [exc.message]})) from exc
    ctx.session.flush()
    return action.version
