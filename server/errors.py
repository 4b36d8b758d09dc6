"""One error shape for the whole API: {"error": {"code", "message", "details"}}.

Domain code raises DomainError subclasses; HTTP exceptions from Flask, werkzeug and webargs are
rendered the same way, so no client ever sees an HTML page or a traceback.
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from server.services.errors import DomainError

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
}


def error_response(status: int, code: str, message: str, details: dict | None = None):
    resp = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    resp.status_code = status
    return resp


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _http_details(exc: HTTPException) -> dict:
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if messages:
        # webargs nests errors by location ({"json": {...}}); clients want the fields.
        if isinstance(messages, dict) and len(messages) == 1:
            messages = next(iter(messages.values()))
        return {"fields": messages}
    return dict(data.get("details") or {})


def handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    if not wants_json():
        return exc
    code = CODES.get(status, "error")
    message = exc.description or exc.name
    if status == 413:
        # The route's own limit when it set one (request.max_content_length), else the app's.
        return error_response(413, code, "request body too large", {"max_bytes": request.max_content_length})
    if status == 422:
        message = "some fields are not valid"
    return error_response(status, code, message, _http_details(exc))


def handle_domain_error(exc: DomainError):
    if not wants_json():
        return exc.message, exc.status
    return error_response(exc.status, exc.code, exc.message, exc.details)


def handle_stale(exc: StaleDataError):
    return error_response(409, "version_conflict", "someone else changed this first; reload it", {})


def handle_not_unicode(exc: UnicodeEncodeError):
    """JSON can spell an unpaired surrogate ("\\ud800"); no text column of either database can hold one,
    and the driver refuses it before anything is stored."""
    if not wants_json():
        return handle_unexpected(exc)
    return error_response(422, "not_unicode", "some text is not Unicode (an unpaired surrogate, \\ud800 to "
                          "\\udfff); send it as UTF-8 text", {})


def handle_unstorable(exc: DataError | OverflowError):
    """A value the database cannot hold: an integer beyond its range (SQLite's driver raises
    OverflowError before sending it, PostgreSQL answers a data exception), a NUL character in
    PostgreSQL text. The request's fault, never the server's; nothing of it was stored."""
    if not wants_json():
        return handle_unexpected(exc)
    return error_response(422, "unstorable_value", "a value is out of what the database can store (a number out "
                          "of range, a NUL character)", {})


def handle_unexpected(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    if not wants_json():
        return "Internal error", 500
    return error_response(500, "internal_error", "internal error; it was logged", {})


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(StaleDataError, handle_stale)
    app.register_error_handler(UnicodeEncodeError, handle_not_unicode)
    app.register_error_handler(DataError, handle_unstorable)
    app.register_error_handler(OverflowError, handle_unstorable)
    app.register_error_handler(Exception, handle_unexpected)
