"""Labels: which rooms and assets a sheet covers, their codes, prints, reissues and scans.

The only place that creates, replaces or marks labels printed; PDF drawing is qr_labels' business.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from qr_labels.codes import CodeError, code_from_scan, make_code
from qr_labels.layouts import LAYOUTS
from qr_labels.render import LabelItem
from qr_labels.sheet import SheetOptions, SheetResult, preview_png, render_calibration, render_sheet
from server.models import Asset, Label, Room, Site, User, utcnow
from server.services.errors import Gone, NotFound, ValidationFailed

BATCH = 500  # rows fetched and labels created per round trip


@dataclass(frozen=True)
class Selection:
    """Which rooms or assets get labels. Empty filters mean all of that kind."""

    target: str  # room | asset
    building_id: int | None = None
    floor: int | None = None
    room_kind: str | None = None
    category: str | None = None  # assets only
    ids: tuple[int, ...] = ()
    unlabelled: bool = False  # only those without a printed active label


@dataclass(frozen=True)
class PrintSettings:
    layout: str
    skip: int = 0
    offset_mm: tuple[float, float] = (0.0, 0.0)  # the printer's calibration, +x right, +y down
    cut_marks: bool = False


@dataclass
class Sheet:
    """What a print produced: the counts, and the labels it recorded as printed."""

    result: SheetResult
    label_ids: list[int] = field(default_factory=list)


def _layout(key: str):
    try:
        return LAYOUTS[key]
    except KeyError:
        raise ValidationFailed("unknown layout", {"fields": {"layout": [f"one of {', '.join(LAYOUTS)}"]}}) from None


def _targets(selection: Selection):
    """The selected rooms or assets, in print order (building, floor, name)."""
    model = Room if selection.target == "room" else Asset
    stmt = select(model)
    if model is Asset:
        stmt = stmt.outerjoin(Room, Asset.room_id == Room.id)
        if selection.category:
            stmt = stmt.where(Asset.category == selection.category)
    if selection.building_id is not None:
        stmt = stmt.where(Room.building_id == selection.building_id)
    if selection.floor is not None:
        stmt = stmt.where(Room.floor == selection.floor)
    if selection.room_kind:
        stmt = stmt.where(Room.kind == selection.room_kind)
    if selection.ids:
        stmt = stmt.where(model.id.in_(selection.ids))
    if selection.unlabelled:
        # An alias: the sheet query joins Label itself, and the subquery must not correlate to that.
        other = aliased(Label)
        printed = select(other.id).where(_label_of(model, other), other.status == "active",
                                         other.printed_at.is_not(None))
        stmt = stmt.where(~printed.exists())
    order = (Asset.tag,) if model is Asset else ()
    # Rooms without a building or floor (and assets without a room) come last, after the walkable order.
    return stmt.order_by(Room.building_id.nulls_last(), Room.floor.nulls_last(), *order, Room.name, model.id)


def _label_of(model, label=Label):
    return label.room_id == model.id if model is Room else label.asset_id == model.id


def _allocate(session: Session, site_id: int, kind: str, count: int) -> Iterator[tuple[int, str]]:
    """`count` fresh (serial, code) pairs of `kind`; the site row lock keeps two printing admins apart."""
    session.scalar(select(Site.id).where(Site.id == site_id).with_for_update())
    last = session.scalar(select(func.max(Label.serial)).where(Label.site_id == site_id, Label.kind == kind)) or 0
    return ((serial, make_code(kind, serial)) for serial in range(last + 1, last + 1 + count))


def ensure_labels(session: Session, site_id: int, selection: Selection) -> int:
    """Give every selected room or asset without an active label a new one; return how many."""
    model = Room if selection.target == "room" else Asset
    has_label = select(Label.id).where(_label_of(model), Label.status == "active").exists()
    missing = session.scalars(_targets(selection).where(~has_label).with_only_columns(model.id)).all()
    for (serial, code), target_id in zip(_allocate(session, site_id, selection.target, len(missing)), missing,
                                         strict=True):
        session.add(Label(site_id=site_id, code=code, kind=selection.target, serial=serial,
                          **{f"{selection.target}_id": target_id}))
    session.flush()
    return len(missing)


def _name(target) -> str:
    if isinstance(target, Asset):
        return f"{target.tag} {target.name}"
    return f"{target.building.name} {target.name}" if target.building else target.name


def _items(session: Session, selection: Selection, printed: list[int]) -> Iterator[LabelItem]:
    """Rows streamed in batches, so a sheet of thousands never sits in memory at once."""
    model = Room if selection.target == "room" else Asset
    stmt = _targets(selection).add_columns(Label).join(Label, _label_of(model)).where(Label.status == "active")
    for target, label in session.execute(stmt.execution_options(yield_per=BATCH)):
        printed.append(label.id)
        yield LabelItem(label.code, _name(target))


def stored_offset(user: User) -> tuple[float, float]:
    return (user.calibration_x_mm, user.calibration_y_mm)


def _options(site: Site, settings: PrintSettings, base_url: str) -> SheetOptions:
    return SheetOptions(base_url=base_url, school=site.name, skip=settings.skip, offset_mm=settings.offset_mm,
                        cut_marks=settings.cut_marks)


def _check_skip(layout, settings: PrintSettings) -> None:
    if not 0 <= settings.skip < layout.per_page:
        raise ValidationFailed("skip leaves no room on the sheet",
                               {"fields": {"skip": [f"between 0 and {layout.per_page - 1}"]}})


def count(session: Session, selection: Selection) -> int:
    return session.scalar(select(func.count()).select_from(_targets(selection).order_by(None).subquery()))


def _check_not_empty(session: Session, selection: Selection) -> None:
    if count(session, selection) == 0:
        raise ValidationFailed(f"no {selection.target} matches this selection", code="empty_selection")


def print_sheet(session: Session, site: Site, selection: Selection, settings: PrintSettings, base_url: str,
                out, progress: Callable[[int, int], None] | None = None) -> Sheet:
    """Write the sheet PDF to `out`, record the labels as printed and commit."""
    layout = _layout(settings.layout)
    _check_skip(layout, settings)
    _check_not_empty(session, selection)
    ensure_labels(session, site.id, selection)
    printed: list[int] = []
    result = render_sheet(_items(session, selection, printed), layout, out, _options(site, settings, base_url),
                          progress)
    now = utcnow()
    for start in range(0, len(printed), BATCH):
        # A plain UPDATE: printed_at is not pulled, so it must not bump versions or feed entries.
        session.execute(update(Label.__table__).where(Label.__table__.c.id.in_(printed[start:start + BATCH]))
                        .values(printed_at=now))
    session.commit()
    return Sheet(result, printed)


def preview(session: Session, site: Site, selection: Selection, settings: PrintSettings, base_url: str,
            dpi: float = 72) -> bytes:
    """PNG of the sheet's first page; codes it would allocate are shown, then forgotten (rollback)."""
    layout = _layout(settings.layout)
    _check_skip(layout, settings)
    options = _options(site, settings, base_url)
    _check_not_empty(session, selection)
    try:
        ensure_labels(session, site.id, selection)
        return preview_png(_items(session, selection, []), layout, options, dpi)
    finally:
        session.rollback()


def calibration_sheet(layout_key: str, offset_mm: tuple[float, float], out) -> None:
    render_calibration(_layout(layout_key), out, offset_mm)


def set_calibration(session: Session, user: User, x_mm: float, y_mm: float) -> User:
    user.calibration_x_mm, user.calibration_y_mm = x_mm, y_mm
    session.commit()
    return user


def find(session: Session, text: str) -> Label:
    """The label a typed or scanned code names, in the caller's school (any status)."""
    try:
        code = code_from_scan(text).code
    except CodeError as exc:
        raise ValidationFailed("this is not a label code", {"reason": exc.reason}, code="invalid_code") from exc
    label = session.scalar(select(Label).where(Label.code == code))
    if label is None:
        raise NotFound("no label with this code in this school", {"code": code}, code="label_unknown")
    return label


def _current(label: Label) -> Label:
    while label.replaced_by is not None:
        label = label.replaced_by
    return label


def resolve(session: Session, text: str) -> Label:
    """The active label for a scan; a replaced one answers 410 and names its successor."""
    label = find(session, text)
    if label.status == "replaced":
        raise Gone("this label was replaced; use the new one",
                   {"code": label.code, "replaced_by": _current(label).code}, code="label_replaced")
    return label


def reissue(session: Session, text: str) -> Label:
    """Replace a damaged or lost label: the old code stops resolving, a new one takes its target."""
    old = resolve(session, text)
    (serial, code), = _allocate(session, old.site_id, old.kind, 1)
    new = Label(site_id=old.site_id, code=code, kind=old.kind, serial=serial, room_id=old.room_id,
                asset_id=old.asset_id, generation=old.generation + 1)
    session.add(new)
    session.flush()
    old.status, old.replaced_by = "replaced", new
    session.commit()
    return new


def seed_demo(session: Session, site: Site, school) -> None:
    """The demo school has labels on every room and asset, so scans resolve on the phone; the office
    furniture's sheet is still waiting to be printed, so "not yet labelled" has something to show."""
    room_ids = tuple(room.id for room in school.rooms)
    asset_ids = tuple(session.scalars(select(Asset.id).where(Asset.site_id == site.id)))
    ensure_labels(session, site.id, Selection(target="room", ids=room_ids))
    ensure_labels(session, site.id, Selection(target="asset", ids=asset_ids))
    waiting = select(Asset.id).where(Asset.site_id == site.id, Asset.category == "办公家具")
    session.execute(update(Label.__table__).where(Label.__table__.c.site_id == site.id,
                                                  Label.__table__.c.asset_id.not_in(waiting))
                    .values(printed_at=utcnow()))
