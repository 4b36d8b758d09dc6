"""Wire formats of the asset ledger and stocktakes: API bodies, pulled `stocktake` data and the
`data` of pushed `stocktake_scan` and `asset_update` records."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.api.schemas import DatabaseId
from server.models import LIFECYCLE_KINDS, ROOM_KINDS, SCAN_CONDITIONS, STOCKTAKE_STATUSES
from sync.schema import RecordDataSchema

Sha256 = fields.String(validate=validate.Regexp(r"^[0-9a-f]{64}$"))


class StocktakeSchema(Schema):
    """A stocktake as phones pull it and the API shows it. Empty scope lists mean "all"."""

    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    status = fields.String(dump_only=True, validate=validate.OneOf(STOCKTAKE_STATUSES))
    building_ids = fields.List(fields.Integer(validate=DatabaseId), load_default=list)
    room_kinds = fields.List(fields.String(validate=validate.OneOf(ROOM_KINDS)), load_default=list)
    categories = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list)
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    opened_at = fields.DateTime(dump_only=True)
    approved_at = fields.DateTime(dump_only=True, allow_none=True)
    summary = fields.Dict(dump_only=True)


class ScanRecordSchema(RecordDataSchema):
    """`stocktake_scan`: an asset (by id, or the label read) or an item not on the book (盘盈: label
    if any, description and photo) seen in a room."""

    stocktake_id = fields.Integer(required=True, validate=DatabaseId)
    asset_id = fields.Integer(allow_none=True, validate=DatabaseId)
    label = fields.String(allow_none=True, validate=validate.Length(max=200))
    room_id = fields.Integer(required=True, validate=DatabaseId)
    condition = fields.String(load_default="good", validate=validate.OneOf(SCAN_CONDITIONS))
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))
    photos = fields.List(Sha256, load_default=list, validate=validate.Length(max=10))

    @validates_schema
    def _something_seen(self, data, **kwargs):
        if data.get("asset_id") is None and not data.get("label") and not data.get("description"):
            raise ValidationError("name the asset, the label read, or describe the item", "asset_id")


class AssetUpdateRecordSchema(RecordDataSchema):
    """`asset_update`: an auditor's correction of the fields given, from `base_version`."""

    asset_id = fields.Integer(required=True, validate=DatabaseId)
    room_id = fields.Integer(allow_none=True, validate=DatabaseId)
    custodian = fields.String(allow_none=True, validate=validate.Length(max=100))
    department = fields.String(allow_none=True, validate=validate.Length(max=100))
    # Scrapping and marking missing are for the office and stocktake approval, not a phone.
    status = fields.String(validate=validate.OneOf(("in_use", "idle", "repair")))
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def _changes_something(self, data, **kwargs):
        if not {"room_id", "custodian", "department", "status"} & set(data):
            raise ValidationError("change at least one of room_id, custodian, department, status", "asset_id")


class ApproveSchema(Schema):
    scan_count = fields.Integer(allow_none=True, metadata={
        "description": "scans the reviewer saw; 409 stocktake_changed if more arrived since"})


class FindingSchema(Schema):
    bucket = fields.String()
    asset_id = fields.Integer(allow_none=True)
    label = fields.String(allow_none=True)
    book_room_id = fields.Integer(allow_none=True)
    seen_room_id = fields.Integer(allow_none=True)
    condition = fields.String(allow_none=True)
    out_of_scope = fields.Boolean()
    rooms_seen = fields.List(fields.Integer())
    auditors = fields.List(fields.Integer())
    scans = fields.List(fields.String())
    description = fields.String(allow_none=True)


class ReconciliationSchema(Schema):
    stocktake = fields.Nested(StocktakeSchema)
    scan_count = fields.Integer()
    totals = fields.Dict(keys=fields.String(), values=fields.Integer())
    buckets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FindingSchema)))


class ProgressRowSchema(Schema):
    key = fields.Integer(allow_none=True, data_key="id")
    name = fields.String()
    building = fields.String(allow_none=True)
    expected = fields.Integer()
    found = fields.Integer()
    seen_here = fields.Integer()


class ProgressSchema(Schema):
    rooms = fields.List(fields.Nested(ProgressRowSchema))
    buildings = fields.List(fields.Nested(ProgressRowSchema))


class AssetEventSchema(Schema):
    id = fields.Integer(dump_only=True)
    asset_id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(LIFECYCLE_KINDS))
    at = fields.DateTime(allow_none=True)
    actor = fields.String(attribute="actor.display_name", dump_only=True, allow_none=True)
    from_room_id = fields.Integer(dump_only=True, allow_none=True)
    to_room_id = fields.Integer(allow_none=True, validate=DatabaseId)
    from_status = fields.String(dump_only=True, allow_none=True)
    to_status = fields.String(dump_only=True, allow_none=True)
    department = fields.String(load_only=True, allow_none=True, validate=validate.Length(max=100))
    custodian = fields.String(load_only=True, allow_none=True, validate=validate.Length(max=100))
    details = fields.Dict(dump_only=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    stocktake_id = fields.Integer(dump_only=True, allow_none=True)
    import_id = fields.Integer(dump_only=True, allow_none=True)


class RegisterAssetSchema(Schema):
    id = fields.Integer()
    tag = fields.String()
    name = fields.String()
    category = fields.String()
    spec = fields.String(allow_none=True)
    quantity = fields.Integer()
    custodian = fields.String(allow_none=True)
    status = fields.String()


class RoomRegisterSchema(Schema):
    room_id = fields.Integer(attribute="room.id")
    room = fields.String(attribute="room.name")
    class_name = fields.String(attribute="room.class_name", allow_none=True)
    responsible = fields.String(attribute="room.responsible_user.display_name", allow_none=True)
    assets = fields.List(fields.Nested(RegisterAssetSchema))
