"""Create, change and delete a school's buildings, rooms, assets and users, with the rules that go
with them: references stay inside the school, and an update must name the version it read."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.models import Asset, Building, Room, User
from server.services.errors import Conflict, NotFound, ValidationFailed

# Which fields point at which model; a reference to another school's row is the same as none.
REFERENCES: dict[type, dict[str, type]] = {
    Room: {"building_id": Building, "responsible_user_id": User},
    Asset: {"room_id": Room},
}

UNIQUE_FIELDS: dict[type, tuple[str, ...]] = {Asset: ("tag",)}


def get(session: Session, model: type, obj_id: int) -> Any:
    obj = session.scalar(select(model).where(model.id == obj_id))
    if obj is None:
        raise NotFound(f"no such {model.__tablename__}", {"id": obj_id})
    return obj


def filtered(model: type, args: dict, equal: tuple[str, ...], search: tuple[str, ...], order_by: str):
    """A list query: exact filters on `equal` fields, and `q` searched in the `search` columns."""
    stmt = select(model).order_by(getattr(model, order_by), model.id)
    for name in equal:
        if args.get(name) not in (None, ""):
            stmt = stmt.where(getattr(model, name) == args[name])
    if args.get("q"):
        like = f"%{args['q']}%"
        stmt = stmt.where(or_(*(getattr(model, col).ilike(like) for col in search)))
    return stmt


def page(session: Session, stmt, page_no: int, per_page: int) -> dict:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = session.scalars(stmt.limit(per_page).offset((page_no - 1) * per_page)).all()
    return {"items": items, "total": total, "page": page_no, "per_page": per_page}


def _check_references(session: Session, model: type, data: dict) -> None:
    errors = {}
    for field, target in REFERENCES.get(model, {}).items():
        ref = data.get(field)
        if ref is not None and session.scalar(select(target.id).where(target.id == ref)) is None:
            errors[field] = [f"no {target.__tablename__} {ref} in this school"]
    if errors:
        raise ValidationFailed("references outside this school", {"fields": errors})


def _check_unique(session: Session, model: type, data: dict, obj_id: int | None = None) -> None:
    for field in UNIQUE_FIELDS.get(model, ()):
        if field not in data:
            continue
        clash = session.scalar(select(model.id).where(getattr(model, field) == data[field]))
        if clash is not None and clash != obj_id:
            raise ValidationFailed(f"{field} already used", {"fields": {field: ["already used in this school"]}})


def create(session: Session, model: type, site_id: int, data: dict) -> Any:
    data = {k: v for k, v in data.items() if k != "version"}
    _check_references(session, model, data)
    _check_unique(session, model, data)
    obj = model(site_id=site_id, **data)
    session.add(obj)
    session.flush()
    return obj


def update(session: Session, obj: Any, data: dict) -> Any:
    expected = data.pop("version", None)
    if expected is None:
        raise ValidationFailed("version is required", {"fields": {"version": ["send the version you read"]}})
    if expected != obj.version:
        raise Conflict("someone else changed this first; reload it",
                       {"current_version": obj.version, "your_version": expected}, code="version_conflict")
    _check_references(session, type(obj), data)
    _check_unique(session, type(obj), data, obj.id)
    for key, value in data.items():
        setattr(obj, key, value)
    session.flush()
    return obj


def delete(session: Session, obj: Any) -> None:
    session.delete(obj)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("still in use by other records; change those first", code="in_use") from exc
