"""Sync routes (contract: Pull, Push); the protocol itself lives in the sync package."""
from __future__ import annotations

import gc
from functools import wraps

from flask import current_app, g, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate

from server.api.jsonio import Blueprint
from server.auth import current_site_id, current_user, token_required
from server.db import ready_to_write
from server.extensions import db
from server.services.errors import DomainError, Gone, TooLarge, ValidationFailed
from sync import feed, push

blp = Blueprint("sync", __name__, url_prefix="/api/v1/sync", description="Phone sync")


class PullArgsSchema(Schema):
    cursor = fields.String(validate=validate.Length(max=200),
                           metadata={"description": "opaque; omit for everything"})
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=2000))


class ChangeSchema(Schema):
    type = fields.String()
    id = fields.String()
    version = fields.Integer()
    data = fields.Dict()


class DeletedSchema(Schema):
    type = fields.String()
    id = fields.String()


class PullPageSchema(Schema):
    cursor = fields.String()
    has_more = fields.Boolean()
    changes = fields.List(fields.Nested(ChangeSchema))
    deleted = fields.List(fields.Nested(DeletedSchema))


@blp.route("/pull", methods=["GET"])
@token_required()
@blp.arguments(PullArgsSchema, location="query")
@blp.response(200, PullPageSchema)
def pull(args):
    """Changes after the cursor that this device's user may see, in commit order."""
    try:
        page = feed.pull(db.session, current_site_id(), current_user, args.get("cursor"), args["limit"])
    except feed.CursorError as exc:
        raise DomainError(str(exc), code="bad_cursor") from exc
    except feed.CursorExpired as exc:
        raise Gone("this cursor is too old; pull again from scratch and keep your outbox",
                   code="reset_required") from exc
    # Already plain JSON; PullPageSchema documents it, and dumping a page of 500 objects through it
    # again cost a third of a first pull.
    # (Not dataclasses.asdict: it deep-copies every object's data.)
    return jsonify({"cursor": page.cursor, "has_more": page.has_more, "changes": page.changes,
                    "deleted": page.deleted})


def body_limit(config_key: str):
    """Refuse a body over the limit before reading it (413 with the limit); a body without a length
    is cut off at the limit while it is read."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            limit = current_app.config[config_key]
            if request.content_length is not None and request.content_length > limit:
                raise TooLarge("request body too large", {"max_bytes": limit})
            request.max_content_length = limit
            return view(*args, **kwargs)

        return wrapper

    return decorator


class RecordList(fields.Raw):
    """A JSON array taken as it is: each record is read by the engine, so that one bad record is
    answered `rejected` rather than failing the batch."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise ValidationError("a list of records")
        return value


class PushRecordSchema(Schema):
    """One record as a phone sends it. Read one by one by the engine, so that a bad record is answered
    `rejected` with field errors instead of failing the batch."""

    uuid = fields.UUID(required=True, metadata={
        "description": "made on the phone, stored for good; any UUID, v7 (time-ordered, as the phone app makes "
                       "them) recommended: the server's indexes on it then grow at their end"})
    type = fields.String(required=True, metadata={"description": "a registered record type, e.g. inspection"})
    recorded_at = fields.DateTime(required=True, metadata={
        "description": "the phone's clock, RFC 3339 with offset; kept as sent, flagged if off by more than a day"})
    base_version = fields.Integer(allow_none=True, metadata={
        "description": "for changes of mutable objects: the version the phone changed; older than the server's "
                       "copy means `conflict`"})
    data = fields.Dict(required=True, metadata={
        "description": "the type's own fields; photos by sha256. A record holding a number JSON cannot carry (NaN, "
                       "Infinity, beyond ±1.8e308, an integer of over 4,300 digits) or text that is not Unicode (an "
                       "unpaired surrogate) is `rejected` with `errors.record`; the rest of the batch is stored"})


class PushSchema(Schema):
    # A record holding a NUL character is rejected alone (sync.records), the rest of its batch stored.
    nul_checked_apart = True

    device_id = fields.Raw(allow_none=True, metadata={
        "description": "informational; the device (and school) always come from the token"})
    batch_id = fields.UUID(required=True, metadata={
        "description": "the same batch_id with the same body replays the first answer; with another body 422"})
    records = RecordList(required=True, metadata={
        "type": "array", "items": {"$ref": "#/components/schemas/PushRecord"},
        "description": "at most SYNC_MAX_RECORDS (413 with `max_records` beyond)"})


class PushResultSchema(Schema):
    uuid = fields.Raw(metadata={"description": "as sent"})
    status = fields.String(metadata={
        "description": "accepted | duplicate (stored before; the phone treats both as stored) | rejected (final; "
                       "`errors` are field errors, the payload is kept for an admin) | conflict (the server's copy "
                       "moved on, or the uuid was used for other content; nothing overwritten, kept for an admin)"})
    errors = fields.Dict(metadata={"description": "field errors, for rejected and conflict"})
    server_version = fields.Integer(metadata={"description": "the object's version on the server"})
    held = fields.Boolean(metadata={
        "description": "with accepted: stored, but not applied yet because something it needs (e.g. the fix it "
                       "updates) has not arrived, or a server error; the server applies it by itself as soon as "
                       "it can, in arrival order. The phone drops it from its outbox like any accepted record."})


class PushAnswerSchema(Schema):
    batch_id = fields.String()
    results = fields.List(fields.Nested(PushResultSchema), metadata={"description": "one per record, same order"})
    cursor = fields.String(metadata={"description": "the feed position once this batch committed"})


def collector_paused(view):
    """Run the view with the cyclic garbage collector paused. A batch is tens of thousands of small
    objects that live until the answer is sent and are then freed by reference counting alone; while
    they live, every few hundred allocations started a collection that walked them all again (3 % of a
    push of 500 checklists, counted in instructions; bench/app_instructions.py). Only a pause this call
    began is ended by it, so overlapping calls in threads never leave the collector off."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        paused = gc.isenabled()
        gc.disable()
        try:
            return view(*args, **kwargs)
        finally:
            if paused:
                gc.enable()

    return wrapper


@blp.route("/push", methods=["POST"])
@collector_paused
@token_required(reads_first=True)
@body_limit("SYNC_MAX_BODY_BYTES")
@blp.arguments(PushSchema)
@blp.response(200, PushAnswerSchema)
@blp.alt_response(413, description="too many records (`max_records`) or bytes (`max_bytes`)")
@blp.alt_response(422, description="malformed envelope, or `batch_mismatch`")
def push_batch(body):
    """Push a batch of records recorded on the phone; each gets its own answer."""
    limit = current_app.config["SYNC_MAX_RECORDS"]
    if len(body["records"]) > limit:
        raise TooLarge(f"at most {limit} records per batch", {"max_records": limit})
    who = g.identity
    caller = push.Caller(who.site_id, who.user_id, who.device_id, who.roles)
    batch = push.read_batch(body["records"], caller.roles)
    push.precheck(db.session, caller, batch)  # still in the token lookup's read-only transaction
    ready_to_write(db.session)
    try:
        answer = push.push(db.session, caller, str(body["batch_id"]), batch)
    except push.BatchMismatch as exc:
        raise ValidationFailed("this batch_id was already sent with a different body",
                               {"batch_id": str(body["batch_id"])}, code="batch_mismatch") from exc
    db.session.commit()
    # Already plain JSON; PushAnswerSchema documents it, and skipping its dump saves a pass over 500 results.
    return jsonify(answer)


def document(api) -> None:
    """Name the record schema in the OpenAPI document (the push body reads records one by one)."""
    api.spec.components.schema("PushRecord", schema=PushRecordSchema)
