"""Demo history of the asset ledger: lifecycle steps on a few assets, a stocktake of the teaching
building finished and approved last week, and one of the office building and canteen in progress."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db import SITE_KEY, scope_session
from server.models import Asset, Building, Room, Site, StocktakeScan
from server.services import lifecycle, stocktakes


def _at(school, days_ago: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(school.today - timedelta(days=days_ago), time(hour, minute), tzinfo=UTC)


def _uuid(school) -> str:
    return str(uuid.UUID(int=school.rng.getrandbits(128), version=4))


def _lifecycle(session: Session, school, assets: list[Asset], rooms: list[Room]) -> None:
    admin = school.users["admin"]
    steps = [
        (assets[0], lifecycle.EventInput("lend", custodian="物理组 王老师", note="公开课借用")),
        (assets[1], lifecycle.EventInput("repair", note="屏幕花屏, 送厂家维修")),
        (assets[2], lifecycle.EventInput("move", to_room_id=rooms[-1].id, note="调拨到配电房")),
        (assets[3], lifecycle.EventInput("scrap", note="锈蚀, 经审批报废")),
        (assets[4], lifecycle.EventInput("issue", department="教务处", custodian="赵老师")),
    ]
    for days_ago, (asset, step) in enumerate(steps, start=10):
        step.at = _at(school, days_ago)
        lifecycle.record(session, asset, admin, step)
    lifecycle.record(session, assets[0], admin, lifecycle.EventInput("return", at=_at(school, 3), note="已归还"))


def _scan(session, school, stocktake, asset: Asset | None, room_id: int, auditor, days_ago: int, minute: int,
          condition: str = "good", **extra) -> None:
    session.add(StocktakeScan(
        site_id=school.site.id, uuid=_uuid(school), stocktake_id=stocktake.id,
        asset_id=asset.id if asset else None, room_id=room_id, condition=condition, auditor_id=auditor.id,
        recorded_at=_at(school, days_ago, 10, minute % 60), received_at=_at(school, days_ago, 17), **extra))


def _finished(session: Session, school, building: Building) -> None:
    """Last week: the teaching building, two auditors, approved; two assets moved, one missing."""
    auditor, admin = school.users["auditor"], school.users["admin"]
    stocktake = stocktakes.open_stocktake(session, school.site.id, admin, "2026 秋季教学楼盘点",
                                          building_ids=[building.id])
    stocktake.opened_at = _at(school, 9)
    assets = session.scalars(select(Asset).join(Room).where(Room.building_id == building.id)
                             .order_by(Asset.id)).all()
    rooms = [r for r in school.rooms if r.building_id == building.id]
    for i, asset in enumerate(assets[:-1]):  # the last one is never found: 盘亏
        room_id = rooms[(rooms.index(asset.room) + 1) % len(rooms)].id if i in (3, 11) else asset.room_id
        who = auditor if i % 2 else admin
        _scan(session, school, stocktake, asset, room_id, who, 8, i, condition="damaged" if i == 7 else "good")
        if i % 10 == 0:  # the other auditor passed the same desk: one finding, not two
            _scan(session, school, stocktake, asset, room_id, auditor if who is admin else admin, 7, i)
    _scan(session, school, stocktake, None, rooms[0].id, auditor, 8, 59, label="旧标签 JX-0931",
          description="无帐的旧投影幕布, 标签褪色", note="建议入帐")
    session.flush()
    stocktakes.approve(session, stocktake, admin, at=_at(school, 6, 16))


def _in_progress(session: Session, school, buildings: list[Building]) -> None:
    """Now: the office building and the canteen, about half scanned by the auditor."""
    auditor, admin = school.users["auditor"], school.users["admin"]
    stocktake = stocktakes.open_stocktake(session, school.site.id, admin, "行政楼与食堂专项盘点",
                                          building_ids=[b.id for b in buildings])
    stocktake.opened_at = _at(school, 1, 8)
    assets = session.scalars(select(Asset).join(Room).where(Room.building_id.in_([b.id for b in buildings]))
                             .where(Asset.status != "scrapped").order_by(Asset.id)).all()
    for i, asset in enumerate(assets[: len(assets) // 2]):
        _scan(session, school, stocktake, asset, asset.room_id, auditor, 0, i,
              condition="needs_repair" if i == 5 else "good")


def seed_history(session: Session, site: Site, school) -> None:
    """The services read through site scoping, so the seeder scopes the session to this school."""
    previous = session.info.get(SITE_KEY)
    scope_session(session, site.id)
    try:
        _seed(session, school)
    finally:
        session.info[SITE_KEY] = previous


def _seed(session: Session, school) -> None:
    by_name = {b.name: b for b in session.scalars(select(Building))}
    teaching, office, canteen = by_name["教学楼"], by_name["行政楼"], by_name["学生食堂"]
    dorm_assets = session.scalars(select(Asset).join(Room).where(Room.kind == "dorm").order_by(Asset.id)
                                  .limit(5)).all()
    _lifecycle(session, school, list(dorm_assets), school.rooms)
    _finished(session, school, teaching)
    _in_progress(session, school, [office, canteen])
    session.flush()
