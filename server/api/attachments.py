"""Photo routes (contract: Attachments); the store and its rules live in sync.attachments."""
from __future__ import annotations

from flask import current_app, g, request, send_file
from marshmallow import Schema, fields

from server.api.jsonio import Blueprint
from server.api.sync import body_limit
from server.auth import current_site_id, token_required
from server.extensions import db
from server.photo_store import store
from server.services.errors import NotFound, TooLarge, UnsupportedMediaType, ValidationFailed
from sync import attachments
from sync.records import SHA256_HEX

blp = Blueprint("attachments", __name__, url_prefix="/api/v1/attachments", description="Photos by sha256")


def _checked_hash(sha256: str) -> str:
    if not SHA256_HEX.match(sha256):
        raise NotFound("no such photo", {"sha256": ["the lowercase sha256 hex of the bytes"]})
    return sha256


class MissingSchema(Schema):
    missing = fields.List(fields.String(), metadata={
        "description": "sha256 of photos named by this school's records but not uploaded yet (at most 1000)"})


class UploadedSchema(Schema):
    sha256 = fields.String()
    created = fields.Boolean(metadata={"description": "false when the school had this photo already (200)"})


@blp.route("/missing", methods=["GET"])
@token_required()
@blp.response(200, MissingSchema)
def missing():
    """Photos named by records but not received yet: upload these."""
    return {"missing": attachments.missing(db.session, current_site_id())}


@blp.route("/<string(length=64):sha256>", methods=["PUT"])
@token_required()
@body_limit("ATTACHMENT_MAX_BYTES")
@blp.response(201, UploadedSchema)
@blp.alt_response(200, schema=UploadedSchema, description="the school had this photo already")
@blp.alt_response(413, description="over ATTACHMENT_MAX_BYTES (`max_bytes`), refused before the body is read")
@blp.alt_response(415, description="not image/jpeg, image/png or image/webp")
@blp.alt_response(422, description="`hash_mismatch`, or `not_that_image` (the bytes are not the declared type)")
def upload(sha256: str):
    """Upload a photo's raw bytes under their sha256; stored once, all or nothing."""
    sha256 = _checked_hash(sha256)
    content_type = (request.mimetype or "").lower()
    if content_type not in attachments.IMAGE_TYPES:
        raise UnsupportedMediaType("send image/jpeg, image/png or image/webp",
                                   {"allowed": sorted(attachments.IMAGE_TYPES)})
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    # On SQLite the token lookup's transaction has ended (server.auth): nothing holds the write lock
    # while the bytes are read from the phone and written to the store; only the row insert waits for it.
    # (On PostgreSQL the lookup's transaction goes on; it holds no lock a writer waits for.)
    site_id = g.identity.site_id
    try:
        created = attachments.receive(db.session, store(), site_id, sha256, content_type,
                                      attachments.read_chunks(request.stream), limit)
    except attachments.TooLarge as exc:
        raise TooLarge("photo too large", {"max_bytes": limit}) from exc
    except attachments.HashMismatch as exc:
        raise ValidationFailed("the bytes do not match the sha256 in the URL", {"sha256": sha256},
                               code="hash_mismatch") from exc
    except attachments.NotThatImage as exc:
        raise ValidationFailed(f"the bytes are not {content_type}", {"content_type": content_type},
                               code="not_that_image") from exc
    db.session.commit()
    return {"sha256": sha256, "created": created}, 201 if created else 200


@blp.route("/<string(length=64):sha256>", methods=["GET"])
@token_required()
@blp.response(200, description="the photo's bytes, as a download")
def download(sha256: str):
    """Download one of this school's photos."""
    found = attachments.find(db.session, _checked_hash(sha256))
    if found is None:
        raise NotFound("no such photo")
    ext = attachments.IMAGE_TYPES[found.content_type]
    response = send_file(store().open(sha256), mimetype=found.content_type, as_attachment=True,
                         download_name=f"{sha256}.{ext}", max_age=31536000)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
