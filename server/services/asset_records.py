"""What auditors' phones push about assets, applied by the sync batch engine (see sync.handlers):

- `stocktake_scan`: one sighting, stored as sent; findings are derived from all scans on the server.
- `asset_update`: an auditor correcting an asset (its room, custodian...) from the version they
  pulled. A server copy that moved on, or was deleted, is a conflict (fault cases 16 and 19); an
  admin may then take the phone's version with `force_update`.
"""
from __future__ import annotations

from sqlalchemy import func, select

from server.models import Asset, AssetEvent, Room, Stocktake, StocktakeScan, SyncChange
from server.services import labels
from server.services.errors import Conflict, DomainError, ValidationFailed
from sync.handlers import ApplyContext, IncomingRecord, RecordConflict, RecordRejected

CORRECTABLE = ("room_id", "custodian", "department", "status")


def _room_exists(ctx: ApplyContext, room_id: int) -> bool:
    return ctx.session.scalar(select(Room.id).where(Room.id == room_id)) is not None


def _asset_by_label(ctx: ApplyContext, label: str) -> int | None:
    """A phone with an old cache may send only the label it read: a printed label code (a replaced
    label still names its asset) or, on an old ledger sticker, the asset's tag."""
    try:
        asset_id = labels.find(ctx.session, label).asset_id
    except DomainError:
        asset_id = None
    return asset_id or ctx.session.scalar(select(Asset.id).where(func.upper(Asset.tag) == label.strip().upper()))


def apply_scan(ctx: ApplyContext, record: IncomingRecord) -> None:
    data = record.data
    stocktake = ctx.session.scalar(select(Stocktake).where(Stocktake.id == data["stocktake_id"]))
    if stocktake is None:
        raise RecordRejected({"stocktake_id": ["no such stocktake in this school"]})
    if stocktake.status != "open":
        raise RecordRejected({"stocktake_id": ["this stocktake is closed"]})
    if not _room_exists(ctx, data["room_id"]):
        raise RecordRejected({"room_id": ["no such room in this school"]})
    asset_id = data.get("asset_id")
    if asset_id is not None and ctx.session.scalar(select(Asset.id).where(Asset.id == asset_id)) is None:
        raise RecordRejected({"asset_id": ["no such asset in this school"]})
    if asset_id is None and data.get("label"):
        asset_id = _asset_by_label(ctx, data["label"])
    if asset_id is None and not data.get("description"):
        raise RecordRejected({"description": ["describe an item that is not on the book (盘盈)"]})
    ctx.session.add(StocktakeScan(
        site_id=ctx.site_id, uuid=record.uuid, stocktake_id=stocktake.id, asset_id=asset_id,
        label=data.get("label"), room_id=data["room_id"], condition=data["condition"], note=data.get("note"),
        description=data.get("description"), photos=list(data.get("photos") or []), auditor_id=ctx.user_id,
        recorded_at=record.recorded_at, received_at=ctx.received_at))
    ctx.session.flush()


def _was_deleted(ctx: ApplyContext, asset_id: int) -> bool:
    return ctx.session.scalar(select(SyncChange.deleted).where(
        SyncChange.site_id == ctx.site_id, SyncChange.object_type == "asset",
        SyncChange.object_id == str(asset_id))) is True


def _load_for_update(ctx: ApplyContext, record: IncomingRecord) -> Asset:
    asset_id = record.data["asset_id"]
    asset = ctx.session.scalar(select(Asset).where(Asset.id == asset_id))
    if asset is not None:
        return asset
    if _was_deleted(ctx, asset_id):
        raise RecordConflict("this asset was deleted on the server", server_version=None,
                             object_type="asset", object_id=str(asset_id))
    raise RecordRejected({"asset_id": ["no such asset in this school"]})


def _write_correction(ctx: ApplyContext, asset: Asset, record: IncomingRecord, *, forced: bool) -> int:
    changes = {k: record.data[k] for k in CORRECTABLE if k in record.data}
    if changes.get("room_id") is not None and not _room_exists(ctx, changes["room_id"]):
        raise RecordRejected({"room_id": ["no such room in this school"]})
    diff = {k: [getattr(asset, k), v] for k, v in changes.items() if getattr(asset, k) != v}
    event = AssetEvent(site_id=asset.site_id, asset_id=asset.id, kind="corrected", at=ctx.received_at,
                       actor_id=ctx.user_id, from_room_id=asset.room_id, from_status=asset.status,
                       details={"changes": diff, "record": record.uuid, "forced": forced},
                       note=record.data.get("note"))
    for key, value in changes.items():
        setattr(asset, key, value)
    event.to_room_id, event.to_status = asset.room_id, asset.status
    ctx.session.add(event)
    ctx.session.flush()
    return asset.version


def apply_update(ctx: ApplyContext, record: IncomingRecord) -> int:
    if record.base_version is None:
        raise RecordRejected({"base_version": ["send the version of the asset you corrected"]})
    asset = _load_for_update(ctx, record)
    if asset.version != record.base_version:
        raise RecordConflict("this asset changed on the server since you pulled it",
                             server_version=asset.version, server_data=_snapshot(asset),
                             object_type="asset", object_id=str(asset.id))
    return _write_correction(ctx, asset, record, forced=False)


def force_update(ctx: ApplyContext, record: IncomingRecord) -> int:
    """An admin resolving a conflict takes the phone's values over the server's. What cannot apply
    any more is a domain error, which the admin's page shows."""
    asset = ctx.session.scalar(select(Asset).where(Asset.id == record.data["asset_id"]))
    if asset is None:
        raise Conflict("this asset no longer exists; enter it again instead", code="asset_deleted")
    try:
        return _write_correction(ctx, asset, record, forced=True)
    except RecordRejected as exc:
        raise ValidationFailed("the phone's version can no longer apply", {"fields": exc.errors}) from exc


def _snapshot(asset: Asset) -> dict:
    return {"version": asset.version, **{k: getattr(asset, k) for k in CORRECTABLE}}
