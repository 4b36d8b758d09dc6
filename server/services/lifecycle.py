"""An asset's life as dated events with who did it: 验收入帐, 领用, 借用/归还, 送修/修复, 调拨, 报废.

Each kind says from which statuses it may happen and which status it leaves; every change to the
asset is written as an AssetEvent in the same transaction, so the history is the trail of the book.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Asset, AssetEvent, Room, User, utcnow
from server.services.errors import NotFound, ValidationFailed


@dataclass(frozen=True)
class Step:
    allowed_from: tuple[str, ...]
    to_status: str | None  # None: the status stays as it was
    needs: tuple[str, ...] = ()  # fields the person must give


_ACTIVE = ("in_use", "idle", "missing")
STEPS = {
    "accept": Step(("idle",), "idle"),  # 验收入帐: goods accepted and entered in the book, in store
    "issue": Step(("idle", "in_use"), "in_use", ("custodian",)),  # 领用 to a department, class or person
    "lend": Step(("idle", "in_use"), "lent", ("custodian",)),  # 借用: custodian names the borrower
    "return": Step(("lent",), "in_use"),  # 归还
    "repair": Step(("idle", "in_use", "lent"), "repair"),  # 送修
    "repaired": Step(("repair",), "in_use"),  # 修复
    "move": Step((*_ACTIVE, "lent", "repair"), None, ("to_room_id",)),  # 调拨
    "scrap": Step((*_ACTIVE, "lent", "repair"), "scrapped"),  # 报废: leaves every stocktake's expected list
}


@dataclass
class EventInput:
    kind: str
    at: datetime | None = None
    to_room_id: int | None = None
    department: str | None = None
    custodian: str | None = None
    note: str | None = None


def _check(session: Session, asset: Asset, step: Step, data: EventInput) -> None:
    errors: dict[str, list[str]] = {}
    if asset.status not in step.allowed_from:
        errors["kind"] = [f"not possible while the asset is {asset.status}"]
    for name in step.needs:
        if not getattr(data, name):
            errors[name] = ["required for this step"]
    if data.to_room_id is not None and session.scalar(select(Room.id).where(Room.id == data.to_room_id)) is None:
        errors["to_room_id"] = [f"no room {data.to_room_id} in this school"]
    if errors:
        raise ValidationFailed("this step cannot be recorded", {"fields": errors})


def record(session: Session, asset: Asset, actor: User | None, data: EventInput) -> AssetEvent:
    """Apply one lifecycle step to `asset` and keep it in the asset's history."""
    step = STEPS.get(data.kind)
    if step is None:
        raise ValidationFailed("unknown step", {"fields": {"kind": [f"one of {', '.join(STEPS)}"]}})
    _check(session, asset, step, data)
    changes = {}
    for name in ("department", "custodian"):
        value = getattr(data, name)
        if value and value != getattr(asset, name):
            changes[name] = [getattr(asset, name), value]
            setattr(asset, name, value)
    event = AssetEvent(site_id=asset.site_id, asset_id=asset.id, kind=data.kind, at=data.at or utcnow(),
                       actor_id=actor.id if actor else None, from_room_id=asset.room_id,
                       to_room_id=data.to_room_id if data.to_room_id is not None else asset.room_id,
                       from_status=asset.status, to_status=step.to_status or asset.status,
                       details=changes, note=data.note)
    asset.room_id = event.to_room_id
    asset.status = event.to_status
    session.add(event)
    session.flush()
    return event


def history(session: Session, asset_id: int) -> list[AssetEvent]:
    """An asset's events, oldest first."""
    if session.scalar(select(Asset.id).where(Asset.id == asset_id)) is None:
        raise NotFound("no such asset", {"id": asset_id})
    return list(session.scalars(select(AssetEvent).where(AssetEvent.asset_id == asset_id)
                                .order_by(AssetEvent.at, AssetEvent.id)))


def room_register(session: Session, room_id: int) -> tuple[Room, list[Asset]]:
    """班级财产清单: a room and what the book says is in it (scrapped assets left out)."""
    room = session.scalar(select(Room).where(Room.id == room_id))
    if room is None:
        raise NotFound("no such room", {"id": room_id})
    assets = session.scalars(select(Asset).where(Asset.room_id == room_id, Asset.status != "scrapped")
                             .order_by(Asset.category, Asset.tag)).all()
    return room, list(assets)
