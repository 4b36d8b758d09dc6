"""Create and edit forms of the console for rooms, buildings, assets and users.

The same marshmallow schemas and catalogue services as the API validate and apply the input, so
the console can never accept what the API would refuse.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError
from sqlalchemy import select

from server.api import schemas
from server.console import console_login_required
from server.extensions import db
from server.i18n import translate
from server.models import ASSET_STATUSES, ROLES, ROOM_KINDS, Asset, Building, Room, Site, User
from server.services import accounts, catalog
from server.services.errors import DomainError


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "text"  # text, number, date, select, checkboxes, password, checkbox
    choices: Callable[[], list[tuple[str, str]]] | None = None


@dataclass(frozen=True)
class Form:
    kind: str  # URL segment and list endpoint name
    model: type
    schema: type[Schema]
    fields: tuple[Field, ...]


def _buildings() -> list[tuple[str, str]]:
    return [(str(b.id), b.name) for b in db.session.scalars(select(Building).order_by(Building.name))]


def _rooms() -> list[tuple[str, str]]:
    return [(str(r.id), r.name) for r in db.session.scalars(select(Room).order_by(Room.name))]


def _users() -> list[tuple[str, str]]:
    return [(str(u.id), u.display_name) for u in db.session.scalars(select(User).order_by(User.username))]


def _labelled(prefix: str, values) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(v, translate(prefix + v)) for v in values]


FORMS = {form.kind: form for form in (
    Form("buildings", Building, schemas.BuildingSchema, (
        Field("name"), Field("kind"), Field("floors", "number"))),
    Form("rooms", Room, schemas.RoomSchema, (
        Field("name"), Field("kind", "select", _labelled("kind.", ROOM_KINDS)),
        Field("building_id", "select", _buildings), Field("floor", "number"), Field("class_name"),
        Field("capacity", "number"), Field("responsible_user_id", "select", _users), Field("note"))),
    Form("assets", Asset, schemas.AssetSchema, (
        Field("tag"), Field("name"), Field("category"), Field("spec"), Field("quantity", "number"),
        Field("unit_price", "number"), Field("purchase_date", "date"), Field("department"),
        Field("custodian"), Field("room_id", "select", _rooms),
        Field("status", "select", _labelled("status.", ASSET_STATUSES)))),
    Form("users", User, schemas.UserSchema, (
        Field("username"), Field("display_name"), Field("roles", "checkboxes", _labelled("role.", ROLES)),
        Field("phone"), Field("active", "checkbox"), Field("password", "password"))),
)}


def _form_data(form: Form) -> dict:
    """What the browser sent, as the schema expects it: empty inputs mean "none"."""
    data: dict = {}
    for field in form.fields:
        if field.kind == "checkboxes":
            data[field.name] = request.form.getlist(field.name)
        elif field.kind == "checkbox":
            data[field.name] = field.name in request.form
        elif request.form.get(field.name, "") != "":
            data[field.name] = request.form[field.name]
        elif field.kind != "password":
            data[field.name] = None
    if "version" in request.form:
        data["version"] = request.form["version"]
    return data


def _save(form: Form, obj, data: dict):
    hash_method = current_app.config["PASSWORD_HASH_METHOD"]
    if form.model is User:
        if obj is None:
            return accounts.create_user_from_form(db.session, db.session.get(Site, g.user.site_id), data, hash_method)
        return accounts.update_user(db.session, obj, data, acting=g.user, hash_method=hash_method)
    if obj is None:
        return catalog.create(db.session, form.model, g.user.site_id, data)
    return catalog.update(db.session, obj, data)


bp = Blueprint("catalog_forms", __name__, url_prefix="/admin")


@bp.route("/<kind>/new", methods=["GET", "POST"], endpoint="new")
@bp.route("/<kind>/<int:obj_id>/edit", methods=["GET", "POST"], endpoint="edit")
@console_login_required()
def edit(kind: str, obj_id: int | None = None):
    form = FORMS.get(kind) or abort(404)
    obj = catalog.get(db.session, form.model, obj_id) if obj_id else None
    errors: dict = {}
    values = form.schema().dump(obj) if obj is not None else {}
    if request.method == "POST":
        values = _form_data(form)
        try:
            _save(form, obj, form.schema(partial=obj is not None).load(values))
            db.session.commit()
            flash(translate("saved"), "ok")
            return redirect(url_for(f"console.{kind}"))
        except ValidationError as exc:
            errors = exc.messages
        except DomainError as exc:
            db.session.rollback()
            errors = exc.details.get("fields") or {"_": [exc.message]}
    return render_template("console/edit.html", form=form, obj=obj, values=values, errors=errors)


@bp.route("/<kind>/<int:obj_id>/delete", methods=["POST"], endpoint="delete")
@console_login_required()
def delete(kind: str, obj_id: int):
    form = FORMS.get(kind) or abort(404)
    if form.model is User:
        abort(405)  # users are deactivated, never deleted: their records must keep a name
    try:
        catalog.delete(db.session, catalog.get(db.session, form.model, obj_id))
        db.session.commit()
        flash(translate("deleted"), "ok")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for(f"console.{kind}"))


def init_app(app) -> None:
    app.register_blueprint(bp)

