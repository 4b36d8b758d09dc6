"""Console page for labels: choose rooms or assets and a layout, see the first page, print, calibrate."""
from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from qr_labels.layouts import LAYOUTS
from server.api.labels import CalibrationSchema, SheetArgsSchema, pdf_response, selection_from, settings_from
from server.console import console_login_required, register_nav
from server.extensions import db
from server.i18n import translate
from server.models import ROOM_KINDS, Asset, Building
from server.services import labels
from server.services.errors import DomainError

bp = Blueprint("labels_console", __name__, url_prefix="/admin/labels")
DEFAULTS = {"target": "room", "layout": "a4-3x8"}


def _sheet_args(source) -> dict:
    """Form or query fields as the API's schema reads them: blanks dropped, ids comma-separated."""
    raw = {key: value for key, value in source.items() if value.strip() and key != "csrf_token"}
    if "ids" in raw:
        raw["ids"] = [part for part in raw["ids"].replace("，", ",").split(",") if part.strip()]
    return SheetArgsSchema().load({**DEFAULTS, **raw})


@bp.route("/")
@console_login_required()
def index():
    try:
        args, errors = _sheet_args(request.args), {}
    except ValidationError as exc:
        args, errors = _sheet_args({}), exc.messages
    form = {key: value for key, value in request.args.items() if value}
    return render_template(
        "console/labels/index.html", args=args, form=form, errors=errors, layouts=LAYOUTS.values(),
        kinds=ROOM_KINDS, buildings=db.session.scalars(select(Building).order_by(Building.name)).all(),
        categories=db.session.scalars(select(Asset.category).distinct().order_by(Asset.category)).all(),
        offset=labels.stored_offset(g.user),
    )


@bp.route("/preview.png")
@console_login_required()
def preview():
    try:
        args = _sheet_args(request.args)
        png = labels.preview(db.session, g.user.site, selection_from(args),
                             settings_from(args, labels.stored_offset(g.user)), current_app.config["PUBLIC_BASE_URL"])
    except (ValidationError, DomainError):
        abort(400)  # the page itself shows what is wrong with the form
    return current_app.response_class(png, mimetype="image/png")


@bp.route("/sheet.pdf", methods=["POST"])
@console_login_required()
def sheet():
    args = _sheet_args(request.form)
    settings = settings_from(args, labels.stored_offset(g.user))
    base_url = current_app.config["PUBLIC_BASE_URL"]
    try:
        return pdf_response(lambda out: labels.print_sheet(db.session, g.user.site, selection_from(args), settings,
                                                           base_url, out), f"labels-{args['layout']}.pdf")
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("labels_console.index", **request.form.to_dict()))


@bp.route("/calibration", methods=["POST"])
@console_login_required()
def calibration():
    try:
        offset = CalibrationSchema().load({key: request.form.get(key) for key in ("x_mm", "y_mm")})
    except ValidationError:
        flash(translate("labels.offset_invalid"), "error")
    else:
        labels.set_calibration(db.session, g.user, offset["calibration_x_mm"], offset["calibration_y_mm"])
        flash(translate("labels.offset_saved"), "ok")
    return redirect(url_for("labels_console.index"))


@bp.route("/calibration.pdf")
@console_login_required()
def calibration_sheet():
    layout = request.args.get("layout") if request.args.get("layout") in LAYOUTS else DEFAULTS["layout"]
    offset = labels.stored_offset(g.user)
    return pdf_response(lambda out: labels.calibration_sheet(layout, offset, out), f"calibration-{layout}.pdf")


@bp.route("/reissue", methods=["POST"])
@console_login_required()
def reissue():
    try:
        new = labels.reissue(db.session, request.form.get("code", ""))
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(translate("labels.reissued", code=new.code), "ok")
    return redirect(url_for("labels_console.index"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    register_nav("labels_console.index", "labels")
