"""Refusals the domain decides on. HTTP maps each to its status in server.errors."""
from __future__ import annotations


class DomainError(Exception):
    """A refusal the domain layer decides on; HTTP maps it to `status`."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: dict | None = None, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code


class NotFound(DomainError):
    status, code = 404, "not_found"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Conflict(DomainError):
    status, code = 409, "conflict"


class ValidationFailed(DomainError):
    status, code = 422, "validation_failed"


class TooLarge(DomainError):
    status, code = 413, "too_large"


class UnsupportedMediaType(DomainError):
    status, code = 415, "unsupported_media_type"


class Gone(DomainError):
    status, code = 410, "gone"


class RateLimited(DomainError):
    status, code = 429, "rate_limited"
