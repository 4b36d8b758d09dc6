"""Label API: sheets (PDF), previews (PNG), calibration, reissues, and scan resolution.

`/q/<code>` itself, what a phone's camera opens, is the PWA's; the PWA and API clients resolve a code here.
"""
from __future__ import annotations

import io

from flask import current_app, send_file
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from qr_labels.layouts import LAYOUTS
from server.api.jsonio import Blueprint
from server.api.schemas import DatabaseId, Floor
from server.auth import current_user, token_required
from server.extensions import db
from server.models import LABEL_STATUSES, ROOM_KINDS, Label
from server.services import labels
from sync.feed import register_pull_type

blp = Blueprint("labels", __name__, url_prefix="/api/v1/labels",
                description="QR labels: sheets and calibration (admin), and what a scanned code points at")


class LabelSchema(Schema):
    """A label as phones pull it and the API returns it."""

    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)
    code = fields.String()
    kind = fields.String(validate=validate.OneOf(("room", "asset")))
    room_id = fields.Integer(allow_none=True)
    asset_id = fields.Integer(allow_none=True)
    generation = fields.Integer()
    status = fields.String(validate=validate.OneOf(LABEL_STATUSES))
    replaced_by = fields.Function(lambda label: label.replaced_by.code if label.replaced_by else None,
                                  metadata={"description": "code of the label that replaced this one"})


class ScanTargetSchema(Schema):
    id = fields.Integer()
    name = fields.String()


def _asset_target(label: Label) -> dict | None:
    return {"id": label.asset.id, "name": f"{label.asset.tag} {label.asset.name}"} if label.asset else None


class ScanSchema(LabelSchema):
    room = fields.Nested(ScanTargetSchema, allow_none=True)
    asset = fields.Function(_asset_target, metadata={"description": "id and name (tag first)"})


class SelectionSchema(Schema):
    target = fields.String(required=True, validate=validate.OneOf(("room", "asset")))
    building_id = fields.Integer(allow_none=True, validate=DatabaseId)
    floor = fields.Integer(allow_none=True, validate=Floor)
    room_kind = fields.String(allow_none=True, validate=validate.OneOf(ROOM_KINDS))
    category = fields.String(allow_none=True, validate=validate.Length(max=64),
                             metadata={"description": "asset category (assets only)"})
    ids = fields.List(fields.Integer(validate=DatabaseId), load_default=list, validate=validate.Length(max=20_000),
                      metadata={"description": "explicit room or asset ids"})
    unlabelled = fields.Boolean(load_default=False, metadata={"description": "only those never printed"})


class SheetArgsSchema(SelectionSchema):
    layout = fields.String(required=True, validate=validate.OneOf(tuple(LAYOUTS)))
    skip = fields.Integer(load_default=0, validate=validate.Range(min=0),
                          metadata={"description": "positions already used on the first sheet"})
    offset_x_mm = fields.Float(allow_none=True, validate=validate.Range(min=-20, max=20),
                               metadata={"description": "default: the caller's stored calibration"})
    offset_y_mm = fields.Float(allow_none=True, validate=validate.Range(min=-20, max=20))
    cut_marks = fields.Boolean(load_default=False)


class CalibrationSchema(Schema):
    x_mm = fields.Float(required=True, validate=validate.Range(min=-20, max=20), attribute="calibration_x_mm")
    y_mm = fields.Float(required=True, validate=validate.Range(min=-20, max=20), attribute="calibration_y_mm")


class CalibrationSheetArgsSchema(Schema):
    layout = fields.String(required=True, validate=validate.OneOf(tuple(LAYOUTS)))


class LayoutSchema(Schema):
    key = fields.String()
    title = fields.String()
    per_page = fields.Integer()
    label_mm = fields.List(fields.Float(), attribute="label")
    page_mm = fields.List(fields.Float(), attribute="page")


SELECTION_FIELDS = tuple(SelectionSchema().fields)


def selection_from(args: dict) -> labels.Selection:
    chosen = {key: args[key] for key in SELECTION_FIELDS if args.get(key) is not None}
    return labels.Selection(**{**chosen, "ids": tuple(chosen.get("ids", ()))})


def settings_from(args: dict, stored_offset: tuple[float, float]) -> labels.PrintSettings:
    offset = tuple(args[key] if args.get(key) is not None else stored
                   for key, stored in zip(("offset_x_mm", "offset_y_mm"), stored_offset, strict=True))
    return labels.PrintSettings(layout=args["layout"], skip=args["skip"], offset_mm=offset,
                                cut_marks=args["cut_marks"])


def pdf_response(write, filename: str):
    # Pages are deflated as they are drawn, so even 10,000 labels make a PDF of a few MB: memory is fine.
    pdf = io.BytesIO()
    write(pdf)
    pdf.seek(0)
    return send_file(pdf, mimetype="application/pdf", download_name=filename)


@blp.route("/layouts")
@token_required()
@blp.response(200, LayoutSchema(many=True))
def list_layouts():
    """Label sheets the server can print."""
    return list(LAYOUTS.values())


@blp.route("/sheet", methods=["POST"])
@token_required("admin")
@blp.arguments(SheetArgsSchema)
@blp.response(200, content_type="application/pdf", description="the label sheet")
def sheet(args):
    """Print labels for the selection: missing labels are created, and all are recorded as printed."""
    user = current_user()
    selection, settings = selection_from(args), settings_from(args, labels.stored_offset(user))
    base_url = current_app.config["PUBLIC_BASE_URL"]
    return pdf_response(lambda out: labels.print_sheet(db.session, user.site, selection, settings, base_url, out),
                        f"labels-{args['layout']}.pdf")


@blp.route("/preview", methods=["POST"])
@token_required("admin")
@blp.arguments(SheetArgsSchema)
@blp.response(200, content_type="image/png", description="the first page as it will print")
def preview(args):
    """The first page of the sheet as a PNG, with label outlines; nothing is recorded."""
    user = current_user()
    png = labels.preview(db.session, user.site, selection_from(args), settings_from(args, labels.stored_offset(user)),
                         current_app.config["PUBLIC_BASE_URL"])
    return current_app.response_class(png, mimetype="image/png")


@blp.route("/calibration")
class Calibration(MethodView):
    @token_required("admin")
    @blp.response(200, CalibrationSchema)
    def get(self):
        """The caller's printer offset, applied to every sheet they print."""
        return current_user()

    @token_required("admin")
    @blp.arguments(CalibrationSchema)
    @blp.response(200, CalibrationSchema)
    def put(self, data):
        """Store the caller's printer offset (mm; +x moves print right, +y down)."""
        return labels.set_calibration(db.session, current_user(), data["calibration_x_mm"], data["calibration_y_mm"])


@blp.route("/calibration-sheet")
@token_required("admin")
@blp.arguments(CalibrationSheetArgsSchema, location="query")
@blp.response(200, content_type="application/pdf", description="outlines, crosshairs and edge scales")
def calibration_sheet(args):
    """A sheet to print on the label stock and measure, drawn with the caller's current offset."""
    offset = labels.stored_offset(current_user())
    return pdf_response(lambda out: labels.calibration_sheet(args["layout"], offset, out),
                        f"calibration-{args['layout']}.pdf")


@blp.route("/<code>/reissue", methods=["POST"])
@token_required("admin")
@blp.response(201, LabelSchema)
def reissue(code: str):
    """Replace a damaged label: its code stops resolving and a new code takes over the room or asset."""
    return labels.reissue(db.session, code)


@blp.route("/resolve/<code>")
@token_required()
@blp.response(200, ScanSchema)
def resolve(code: str):
    """What a scanned or typed code points at: 410 label_replaced, 404 label_unknown, 422 invalid_code."""
    return labels.resolve(db.session, code)


def register_label_type() -> None:
    # replaced_by names the new label's code, which never changes; setting it bumps this label's version.
    register_pull_type("label", Label, LabelSchema(), same_per_version=True)
