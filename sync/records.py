"""Pure rules of a pushed record, no database: reading its envelope, its content hash, the clock
check, and the answer a uuid already in the ledger gets. Unit-testable without a server."""
from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid as uuid_lib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from marshmallow import ValidationError

from sync import handlers, jsontext
from sync.handlers import IncomingRecord, RecordHandler

log = logging.getLogger(__name__)

ENVELOPE_FIELDS = frozenset(("uuid", "type", "recorded_at", "base_version", "data"))
# A phone clock further than this from the server's is flagged and not trusted for reports.
MAX_CLOCK_SKEW = timedelta(days=1)
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
# The largest value of the 32-bit integer columns ids and versions live in (PostgreSQL's integer): a
# base_version or an id beyond it fails the query or row that holds it.
MAX_DB_INT = 2 ** 31 - 1
USED_UUID = {"uuid": ["this uuid was already used for different content; the first is kept"]}
# How content is written before it is hashed; changing it would make every stored record's resend a conflict.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=jsontext.spelled)
NOT_UNICODE = {"record": ["holds text that is not Unicode (an unpaired surrogate, \\ud800 to \\udfff); "
                          "send the record again as UTF-8 text"]}
UNREADABLE = {"record": ["the server could not read this record (the error is logged); it is kept for an admin"]}
HOLDS_NUL = {"record": ["holds a NUL character (\\u0000), which no database text can hold; send the record "
                        "without it"]}
BAD_NUMBER = {"record": ["holds a number JSON cannot carry (NaN, Infinity, beyond ±1.8e308, or an integer of "
                         "over 4,300 digits); send a finite number"]}


@dataclass
class Prepared:
    """One record of a batch, read and validated; `errors` set means it is rejected before apply."""

    index: int
    sent_uuid: Any  # echoed in the answer exactly as sent
    raw: Any
    uuid: str | None = None  # canonical form, the ledger key; None if the record has no usable uuid
    type: str | None = None
    handler: RecordHandler | None = None
    incoming: IncomingRecord | None = None
    content_hash: str | None = None
    recorded_at_text: str = ""
    recorded_at: datetime | None = None
    clock_skew: bool = False
    photos: list[str] = field(default_factory=list)
    errors: dict | None = None


def content_hash(raw: Any) -> str:
    """What "same content" means: everything the phone sent but the uuid, canonically encoded."""
    return _hashed(raw)[0]


def _hashed(raw: Any) -> tuple[str, dict | None]:
    """The content hash, and what makes the content unstorable if anything does: text that is not
    Unicode (JSON can spell an unpaired surrogate, "\\ud800", which no text column holds), a NUL
    character (PostgreSQL's text refuses it; SQLite would keep it, so both refuse it) or a
    jsontext.BadNumber. orjson writes the canonical text of most records, ten times as fast."""
    body = {key: raw.get(key) for key in ("type", "recorded_at", "base_version", "data")} \
        if isinstance(raw, dict) else raw
    try:
        encoded = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # beyond orjson: a BadNumber, an integer beyond 64 bits, an unpaired surrogate
        return _hashed_as_defined(body)
    if _may_differ(encoded):
        return _hashed_as_defined(body)
    return hashlib.sha256(encoded).hexdigest(), HOLDS_NUL if _holds_nul(encoded) else None


def _holds_nul(encoded: bytes) -> bool:
    """Whether canonical JSON text spells a NUL character: "\\u0000" after an even number of
    backslashes (an odd number escapes a backslash typed before the letters "u0000")."""
    return b"\\u0000" in encoded and _ESCAPED_NUL.search(encoded) is not None


def _may_differ(encoded: bytes) -> bool:
    """Whether orjson may have written a number apart from the canonical text (Python's repr): below
    1e-4 it writes "1e-5" where Python pads the exponent ("1e-05"), or "0.00001" where Python uses one.
    Larger numbers ("1e+16" in both), integers and all text come out the same. Text that holds "e-" (an
    English word) only costs the slower path; a regular expression cost more than orjson's encoding."""
    return b"e-" in encoded or b"0.0000" in encoded


def _hashed_as_defined(body: Any) -> tuple[str, dict | None]:
    """The hash of the canonical text as _CANONICAL_JSON defines it; such content is hashed as it came."""
    text = _CANONICAL_JSON.encode(body)
    try:
        encoded, problem = text.encode(), None
    except UnicodeEncodeError:
        encoded, problem = text.encode("utf-8", "surrogatepass"), NOT_UNICODE
    if _holds_bad_number(body):
        problem = BAD_NUMBER
    elif problem is None and _holds_nul(encoded):
        problem = HOLDS_NUL
    return hashlib.sha256(encoded).hexdigest(), problem


def _holds_bad_number(value: Any) -> bool:
    """Walked without recursion: a record may nest as deep as the JSON reader allows (nearly 1,000
    levels), deeper than Python's recursion limit leaves room for under a request."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, jsontext.BadNumber):
            return True
    return False


def canonical_uuid(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    if CANONICAL_UUID.match(value):  # as phones send them: no need to parse and print it again
        return value
    try:
        return str(uuid_lib.UUID(value))
    except ValueError:
        return None


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time with an offset, as the same moment in UTC (SQLite keeps no offset, so only UTC
    is stored; the text as sent is kept beside it); else None (a time without offset is ambiguous)."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.astimezone(UTC) if parsed.tzinfo else None
    except (ValueError, OverflowError):  # OverflowError: in UTC it falls outside years 1 to 9999
        return None


def is_skewed(recorded_at: datetime, received_at: datetime) -> bool:
    return abs(recorded_at - received_at) > MAX_CLOCK_SKEW


def _envelope_errors(rec: Prepared) -> dict[str, list[str]]:
    """What is wrong with the envelope of `rec` (its uuid, type and time already read)."""
    raw = rec.raw
    errors: dict[str, list[str]] = {}
    for name in sorted(set(raw) - ENVELOPE_FIELDS):
        errors[str(name)[:64]] = ["unknown field"]
    if rec.uuid is None:
        errors["uuid"] = ["a UUID is required"]
    if not rec.type:
        errors["type"] = ["a record type is required"]
    if rec.recorded_at is None:
        errors["recorded_at"] = ["an RFC 3339 time with offset is required"]
    base = raw.get("base_version")
    if base is not None and (not isinstance(base, int) or isinstance(base, bool) or not 0 <= base <= MAX_DB_INT):
        errors["base_version"] = [f"an integer from 0 to {MAX_DB_INT}, or null"]
    if not isinstance(raw.get("data"), dict):
        errors["data"] = ["an object is required"]
    return errors


def _photo_errors(photos: list[str]) -> dict | None:
    bad = [p for p in photos if not isinstance(p, str) or not SHA256_HEX.match(p)]
    return {"data": {"photos": ["each photo is the lowercase sha256 hex of its bytes"]}} if bad else None


def prepare(index: int, raw: Any, roles: frozenset[str], received_at: datetime) -> Prepared:
    """Read one record; anything wrong with it becomes field errors, never an exception."""
    hashed, unstorable = _hashed(raw)
    if not isinstance(raw, dict):
        return Prepared(index, None, raw, content_hash=hashed, errors={"record": ["each record is an object"]})
    rec = Prepared(index, raw.get("uuid"), raw, uuid=canonical_uuid(raw.get("uuid")), content_hash=hashed)
    if unstorable:  # nothing of it goes to a column but its uuid: not its type, not its time
        rec.errors = unstorable
        return rec
    rec.type = raw.get("type") if isinstance(raw.get("type"), str) else None
    rec.recorded_at_text = str(raw.get("recorded_at"))[:64]
    rec.recorded_at = parse_time(raw.get("recorded_at"))
    errors = _envelope_errors(rec)
    if errors:
        rec.errors = errors
        return rec
    rec.clock_skew = is_skewed(rec.recorded_at, received_at)
    rec.handler = handlers.get(rec.type)
    rec.errors = _handler_errors(rec, roles)
    if rec.errors is None:
        _load_data(rec)
    return rec


def _handler_errors(rec: Prepared, roles: frozenset[str]) -> dict | None:
    if rec.handler is None:
        return {"type": [f"unknown record type; this server takes {', '.join(handlers.registered_types())}"]}
    if rec.handler.roles and not roles.intersection(rec.handler.roles):
        return {"type": [f"this needs one of the roles: {', '.join(rec.handler.roles)}"]}
    return None


def _load_data(rec: Prepared) -> None:
    """Load the record's data with its handler's schema and list its photos. Whatever else the
    handler's code raises on a record rejects that record alone, kept for an admin: raised, it failed
    the batch, which the phone then sent again and again."""
    try:
        data = rec.handler.loader.load(rec.raw["data"])
        rec.photos = list(rec.handler.photos(data))
    except ValidationError as exc:
        rec.errors = {"data": exc.normalized_messages()}
        return
    except Exception:
        log.exception("reading %s record %s failed", rec.type, rec.uuid)
        rec.errors = UNREADABLE
        return
    rec.errors = _photo_errors(rec.photos)
    rec.incoming = IncomingRecord(uuid=rec.uuid, type=rec.type, recorded_at=rec.recorded_at,
                                  base_version=rec.raw.get("base_version"), data=data, raw=rec.raw,
                                  clock_skew=rec.clock_skew)


def answer_for_known(sent_uuid: Any, new_hash: str | None, known_hash: str, status: str,
                     result: dict | None) -> dict:
    """The answer to a uuid the ledger already holds: its first outcome if the content is the same,
    a conflict if not (the first is kept)."""
    if new_hash != known_hash:
        return {"uuid": sent_uuid, "status": "conflict", "errors": USED_UUID}
    result = result or {}
    answer: dict[str, Any] = {"uuid": sent_uuid}
    if status in ("accepted", "held"):
        answer["status"] = "duplicate"
    else:
        answer["status"] = status
    for key in ("errors", "server_version"):
        if result.get(key) is not None:
            answer[key] = result[key]
    if status == "held":
        answer["held"] = True
    return answer
