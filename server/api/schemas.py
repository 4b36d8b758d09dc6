"""Wire formats of the admin API. Models never serialise themselves; these schemas do."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.models import ASSET_STATUSES, MAX_ASSET_QUANTITY, ROLES, ROOM_KINDS, UNIT_PRICE_LIMIT
from sync.records import MAX_DB_INT

Name = fields.String(required=True, validate=validate.Length(min=1, max=100))
# What an id a phone sends may be: a query with a larger number fails on either engine (SQLite's
# driver refuses integers beyond 64 bits, PostgreSQL beyond its 32-bit integer columns).
DatabaseId = validate.Range(min=1, max=MAX_DB_INT, error="an id from {min} to {max}")
Floor = validate.Range(min=-5, max=200)


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={
        "description": "the status's own (e.g. validation_failed) or a finer one, e.g. batch_mismatch, "
                       "reset_required, or on any call not_unicode (422: a JSON string held an unpaired surrogate) and "
                       "unstorable_value (422: a number beyond the database's range); a NUL character in any text "
                       "is a field error (validation_failed)"})
    message = fields.String(required=True)
    details = fields.Dict()


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_DB_INT))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "text search"})


class VersionedSchema(Schema):
    id = fields.Integer(dump_only=True)
    version = fields.Integer(
        dump_only=False, load_only=False, validate=validate.Range(min=1),
        metadata={"description": "required on update: the version you read; 409 if it moved on"})


class BuildingSchema(VersionedSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(load_default="other", validate=validate.Length(max=32))
    floors = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))


class BuildingArgsSchema(PageArgsSchema):
    pass


class RoomSchema(VersionedSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(ROOM_KINDS))
    building_id = fields.Integer(allow_none=True, validate=DatabaseId)
    floor = fields.Integer(allow_none=True, validate=Floor)
    class_name = fields.String(allow_none=True, validate=validate.Length(max=64))
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=1000))
    responsible_user_id = fields.Integer(allow_none=True, validate=DatabaseId)
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class RoomArgsSchema(PageArgsSchema):
    building_id = fields.Integer(validate=DatabaseId)
    kind = fields.String(validate=validate.OneOf(ROOM_KINDS))
    floor = fields.Integer(validate=Floor)


class AssetSchema(VersionedSchema):
    tag = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    category = fields.String(required=True, validate=validate.Length(min=1, max=64))
    spec = fields.String(allow_none=True, validate=validate.Length(max=200))
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_ASSET_QUANTITY))
    unit_price = fields.Decimal(allow_none=True, places=2, as_string=True,
                                validate=validate.Range(min=0, max=UNIT_PRICE_LIMIT, max_inclusive=False))
    purchase_date = fields.Date(allow_none=True)
    department = fields.String(allow_none=True, validate=validate.Length(max=100))
    custodian = fields.String(allow_none=True, validate=validate.Length(max=100))
    room_id = fields.Integer(allow_none=True, validate=DatabaseId)
    status = fields.String(load_default="in_use", validate=validate.OneOf(ASSET_STATUSES))


class AssetArgsSchema(PageArgsSchema):
    category = fields.String()
    room_id = fields.Integer(validate=DatabaseId)
    status = fields.String(validate=validate.OneOf(ASSET_STATUSES))


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{2,64}$"))
    display_name = fields.String(validate=validate.Length(min=1, max=100))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1))
    active = fields.Boolean(load_default=True)
    phone = fields.String(allow_none=True, validate=validate.Length(max=32))
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=200))
    site_id = fields.Integer(dump_only=True)


class UserArgsSchema(PageArgsSchema):
    role = fields.String(validate=validate.OneOf(ROLES))


class DeviceSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    user_id = fields.Integer()
    username = fields.String(attribute="user.username")
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class DeviceArgsSchema(PageArgsSchema):
    user_id = fields.Integer(validate=DatabaseId)
    revoked = fields.Boolean()


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """A list answer: one page of items and the total."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema)),
        "total": fields.Integer(),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
    }, name=name)


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    device_name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class LoginUserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    site_id = fields.Integer()
    site_name = fields.String(attribute="site.name")


class LoginResultSchema(Schema):
    token = fields.String()
    device_id = fields.Integer(attribute="device.id")
    user = fields.Nested(LoginUserSchema)
