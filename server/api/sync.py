"""Sync routes (contract: Pull, Push); the protocol itself lives in the sync package."""
from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from server.auth import token_required
from server.extensions import db
from server.services.errors import DomainError, Gone
from sync import feed

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
        return feed.pull(db.session, g.user.site_id, g.user, args.get("cursor"), args["limit"])
    except feed.CursorError as exc:
        raise DomainError(str(exc), code="bad_cursor") from exc
    except feed.CursorExpired as exc:
        raise Gone("this cursor is too old; pull again from scratch and keep your outbox",
                   code="reset_required") from exc
