"""Importing a school's existing ledger: upload, column mapping, a dry run that lists every bad row
with its reason, and an import that is all-or-nothing and idempotent.

Idempotent means: a row whose asset (matched by 资产编号) already holds the same values changes
nothing; a changed row updates the asset, which bumps its version and leaves an event in its history.
Assets that are not in the file are left alone.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from server.db import scope_session
from server.models import (
    MAX_ASSET_QUANTITY,
    UNIT_PRICE_LIMIT,
    Asset,
    AssetEvent,
    Building,
    LedgerImport,
    Room,
    User,
    as_utc,
    utcnow,
)
from server.services.errors import Conflict, NotFound, TooLarge, UnsupportedMediaType, ValidationFailed
from server.services.ledger_file import (
    FIELDS,
    REQUIRED_FIELDS,
    LedgerFileError,
    count_rows,
    guess_mapping,
    read_rows,
    sniff_format,
)

MAX_ROWS = 50_000
# A run takes seconds (a minute or two for 50,000 rows on a busy box); one this old has died.
STALE_AFTER = timedelta(minutes=30)
HEADER_SEARCH_ROWS = 10
PROGRESS_EVERY = 500
DEFAULT_CATEGORY = "未分类"
TEXT_LIMITS = {"tag": 64, "name": 200, "category": 64, "spec": 200, "department": 100, "custodian": 100}
# Fields compared and written on the asset (location becomes room_id).
ASSET_FIELDS = ("name", "category", "spec", "quantity", "unit_price", "purchase_date", "department",
                "custodian", "room_id")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONEY_NOISE = re.compile(r"[¥￥,，元\s]")

ProgressFn = Callable[[int, int], None]


# -- upload and mapping ------------------------------------------------------------------------

def create_import(session: Session, site_id: int, user: User | None, filename: str, data: bytes,
                  storage_dir: Path, max_bytes: int) -> LedgerImport:
    """Store an uploaded ledger under a name of our own and read its header row."""
    if len(data) > max_bytes:
        raise TooLarge("the ledger file is too large", {"max_bytes": max_bytes}, code="file_too_large")
    try:
        file_format = sniff_format(filename, data[:512])
    except LedgerFileError as exc:
        raise UnsupportedMediaType("upload a .csv or .xlsx ledger", {"reason": exc.code}) from exc
    storage_dir.mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}.{file_format}"
    (storage_dir / stored).write_bytes(data)
    job = LedgerImport(site_id=site_id, filename=Path(filename).name[:255] or "ledger", stored_name=stored,
                       file_format=file_format, size=len(data), created_by_id=user.id if user else None)
    try:
        job.header_row, job.headers = find_header_row(storage_dir / stored, file_format)
    except LedgerFileError as exc:
        (storage_dir / stored).unlink(missing_ok=True)
        raise ValidationFailed("this file cannot be read as a ledger", {"reason": exc.code}) from exc
    job.mapping = guess_mapping(job.headers)
    session.add(job)
    session.flush()
    return job


def find_header_row(path: Path, file_format: str) -> tuple[int, list[str]]:
    """The header row: among the first rows, the one naming most ledger fields. Ledgers often start
    with a title row ("XX学校固定资产登记表") above the headers."""
    best: tuple[int, int, list[str]] | None = None
    for seen, (number, cells) in enumerate(read_rows(path, file_format)):
        headers = [_text(c) or "" for c in cells]
        known = sum(1 for m in guess_mapping(headers) if m)
        if best is None or known > best[0]:
            best = (known, number, headers)
        if seen >= HEADER_SEARCH_ROWS or known >= len(REQUIRED_FIELDS) + 2:
            break
    if best is None:
        raise LedgerFileError("empty")
    return best[1], best[2]


def get_import(session: Session, import_id: int) -> LedgerImport:
    job = session.scalar(select(LedgerImport).where(LedgerImport.id == import_id))
    if job is None:
        raise NotFound("no such ledger import", {"id": import_id})
    return job


def set_mapping(job: LedgerImport, mapping: list[str | None]) -> None:
    """Which field each column fills; tag and name must be mapped, no field twice."""
    if len(mapping) != len(job.headers):
        raise ValidationFailed("one choice per column", {"fields": {"mapping": ["one entry per column"]}})
    chosen = [m for m in mapping if m]
    errors = [f"unknown field {m}" for m in chosen if m not in FIELDS]
    errors += [f"{m} chosen twice" for m in sorted(set(chosen)) if chosen.count(m) > 1]
    errors += [f"map a column to {m}" for m in REQUIRED_FIELDS if m not in chosen]
    if errors:
        raise ValidationFailed("the column mapping is not usable", {"fields": {"mapping": errors}})
    job.mapping = list(mapping)
    job.state, job.bad_rows, job.summary = "uploaded", [], {}


# -- reading and checking rows -----------------------------------------------------------------

@dataclass
class LedgerRow:
    number: int
    values: dict  # field -> cleaned value, only the mapped fields
    errors: list[dict] = field(default_factory=list)

    def error(self, field_name: str, code: str, value=None, **extra) -> None:
        self.errors.append({"field": field_name, "code": code, "value": _text(value), **extra})


def _text(value) -> str | None:
    """A cell as text: Excel hands numbers to a text column (1001.0 for tag 1001)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    text = str(value).replace("\u3000", " ").strip()
    return text or None


def _parse_quantity(row: LedgerRow, raw) -> None:
    text = _text(raw)
    if text is None:
        row.values["quantity"] = 1
        return
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal(-1)
    if number != number.to_integral_value() or not 1 <= number <= MAX_ASSET_QUANTITY:
        row.error("quantity", "bad_quantity", raw)
        return
    row.values["quantity"] = int(number)


def _parse_price(row: LedgerRow, raw) -> None:
    text = _text(raw)
    if text is None:
        row.values["unit_price"] = None
        return
    try:
        price = Decimal(_MONEY_NOISE.sub("", text)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        row.error("unit_price", "bad_price", raw)
        return
    if not Decimal(0) <= price < UNIT_PRICE_LIMIT:
        row.error("unit_price", "bad_price", raw)
        return
    row.values["unit_price"] = price


def _parse_date(row: LedgerRow, raw, today: date) -> None:
    if isinstance(raw, datetime | date):
        found = raw.date() if isinstance(raw, datetime) else raw
    else:
        text = _text(raw)
        if text is None:
            row.values["purchase_date"] = None
            return
        match = _DATE.match(text) or _DATE_COMPACT.match(text)
        try:
            found = date(*(int(g) for g in match.groups()[:3])) if match else None
        except ValueError:
            found = None
    if found is None or not date(1950, 1, 1) <= found <= today:
        row.error("purchase_date", "bad_date", raw)
        return
    row.values["purchase_date"] = found


def _parse_text(row: LedgerRow, name: str, raw) -> None:
    text = _text(raw)
    if text is not None and name in TEXT_LIMITS and len(text) > TEXT_LIMITS[name]:
        row.error(name, "too_long", raw, limit=TEXT_LIMITS[name])
        return
    row.values[name] = text


def parse_row(number: int, cells: list, mapping: list[str | None], today: date) -> LedgerRow:
    """One data row as ledger values, with every problem of its own cells (not yet the book's)."""
    row = LedgerRow(number, {})
    for index, name in enumerate(mapping):
        if name is None:
            continue
        raw = cells[index] if index < len(cells) else None
        if name == "quantity":
            _parse_quantity(row, raw)
        elif name == "unit_price":
            _parse_price(row, raw)
        elif name == "purchase_date":
            _parse_date(row, raw, today)
        else:
            _parse_text(row, name, raw)
    for name in REQUIRED_FIELDS:
        if name not in {e["field"] for e in row.errors} and not row.values.get(name):
            row.error(name, "required")
    if "category" in row.values and not row.values["category"]:
        row.values["category"] = DEFAULT_CATEGORY
    return row


# -- against the book --------------------------------------------------------------------------

def _norm(text: str) -> str:
    return re.sub(r"[\s\u3000/\\\-·]+", "", text).lower()


class RoomFinder:
    """存放地点 as written in ledgers: a room's name, or its building and name ("教学楼 教101")."""

    def __init__(self, session: Session):
        self._by_key: dict[str, set[int]] = {}
        rows = session.execute(select(Room.id, Room.name, Building.name).outerjoin(
            Building, Room.building_id == Building.id)).all()
        for room_id, room_name, building_name in rows:
            self._by_key.setdefault(_norm(room_name), set()).add(room_id)
            if building_name:
                self._by_key.setdefault(_norm(building_name + room_name), set()).add(room_id)

    def find(self, text: str) -> tuple[int | None, str | None]:
        """(room id, None) or (None, "unknown_room" | "ambiguous_room")."""
        ids = self._by_key.get(_norm(text), set())
        if len(ids) == 1:
            return next(iter(ids)), None
        return None, "ambiguous_room" if ids else "unknown_room"


@dataclass
class Plan:
    """What an import would do: bad rows (then nothing is written), or creates and updates."""

    total: int = 0
    bad_rows: list[dict] = field(default_factory=list)
    creates: list[dict] = field(default_factory=list)
    updates: list[tuple[int, dict]] = field(default_factory=list)  # (asset id, changed fields)
    unchanged: int = 0

    def summary(self) -> dict:
        return {"rows": self.total, "bad": len(self.bad_rows), "create": len(self.creates),
                "update": len(self.updates), "unchanged": self.unchanged}


def _book(session: Session) -> dict[str, tuple]:
    """Every asset of the school by tag: (id, values of ASSET_FIELDS)."""
    cols = [getattr(Asset, f) for f in ASSET_FIELDS]
    return {tag: (asset_id, dict(zip(ASSET_FIELDS, values, strict=True)))
            for tag, asset_id, *values in session.execute(select(Asset.tag, Asset.id, *cols))}


def plan(session: Session, rows: Iterable[LedgerRow]) -> Plan:
    """Check parsed rows against the book (rooms, tags seen earlier in the file) and decide each."""
    result = Plan()
    rooms, book, first_row_of = RoomFinder(session), _book(session), {}
    for row in rows:
        result.total += 1
        tag = row.values.get("tag")
        if tag and tag in first_row_of:
            row.error("tag", "duplicate_tag", tag, first_row=first_row_of[tag])
        elif tag:
            first_row_of[tag] = row.number
        _resolve_location(row, rooms)
        if row.errors:
            result.bad_rows.append({"row": row.number, "tag": tag, "errors": row.errors})
        elif tag in book:
            _plan_update(result, *book[tag], row.values)
        else:
            result.creates.append(row.values)
    return result


def _resolve_location(row: LedgerRow, rooms: RoomFinder) -> None:
    if "location" not in row.values:
        return
    text = row.values.pop("location")
    if text is None:
        row.values["room_id"] = None
        return
    room_id, problem = rooms.find(text)
    if problem:
        row.error("location", problem, text)
    row.values["room_id"] = room_id


def _plan_update(result: Plan, asset_id: int, current: dict, values: dict) -> None:
    changes = {k: v for k, v in values.items() if k in current and current[k] != v}
    if changes:
        result.updates.append((asset_id, changes))
    else:
        result.unchanged += 1


# -- writing -----------------------------------------------------------------------------------

def _jsonable(value):
    return str(value) if isinstance(value, Decimal | date) else value


def apply_plan(session: Session, site_id: int, job: LedgerImport, result: Plan, actor_id: int | None) -> None:
    """Write creates and updates in the caller's transaction, each with an event in its history."""
    created = [Asset(site_id=site_id, **{"category": DEFAULT_CATEGORY, **_asset_values(v)})
               for v in result.creates]
    session.add_all(created)
    by_id = {a.id: a for a in session.scalars(
        select(Asset).where(Asset.id.in_([asset_id for asset_id, _ in result.updates])))} if result.updates else {}
    events = []
    for asset_id, changes in result.updates:
        asset = by_id[asset_id]
        before = {k: getattr(asset, k) for k in changes}
        for key, value in changes.items():
            setattr(asset, key, value)
        events.append(_event(site_id, asset_id, "import_update", actor_id, job.id, before.get("room_id"),
                             changes.get("room_id"), {k: [_jsonable(before[k]), _jsonable(v)]
                                                      for k, v in changes.items()}))
    session.flush()
    events += [_event(site_id, a.id, "imported", actor_id, job.id, None, a.room_id, {}) for a in created]
    if events:
        session.execute(insert(AssetEvent), events)


def _asset_values(values: dict) -> dict:
    return {k: v for k, v in values.items() if k in (*ASSET_FIELDS, "tag")}


def _event(site_id, asset_id, kind, actor_id, import_id, from_room, to_room, details) -> dict:
    return {"site_id": site_id, "asset_id": asset_id, "kind": kind, "at": utcnow(), "actor_id": actor_id,
            "from_room_id": from_room, "to_room_id": to_room, "details": details, "import_id": import_id,
            "note": None, "from_status": None, "to_status": None, "stocktake_id": None}


# -- the job -----------------------------------------------------------------------------------

def parsed_rows(path: Path, job: LedgerImport, today: date, progress: ProgressFn) -> list[LedgerRow]:
    """Every data row of the file, parsed, reporting progress as it goes."""
    rows: list[LedgerRow] = []
    total = job.total_rows
    for number, cells in read_rows(path, job.file_format):
        if number <= job.header_row:
            continue
        if len(rows) >= MAX_ROWS:
            raise LedgerFileError("too_many_rows", str(MAX_ROWS))
        rows.append(parse_row(number, cells, job.mapping, today))
        if len(rows) % PROGRESS_EVERY == 0:
            progress(len(rows), total)
    progress(len(rows), total)
    return rows


def run(session: Session, job: LedgerImport, storage_dir: Path, *, apply: bool, today: date,
        progress: ProgressFn) -> Plan | None:
    """Check the file (and, with apply, import it if every row is good) in one transaction at the
    end; the job row records the outcome. Returns None when the file could not be read."""
    path = storage_dir / job.stored_name
    try:
        job.total_rows = count_rows(path, job.file_format)
        rows = parsed_rows(path, job, today, progress)
    except LedgerFileError as exc:
        _finish(job, "failed", message=exc.code)
        return None
    result = plan(session, rows)
    job.bad_rows = result.bad_rows
    job.summary = result.summary()
    job.total_rows = job.processed_rows = result.total
    if apply and not result.bad_rows:
        apply_plan(session, job.site_id, job, result, job.created_by_id)
        _finish(job, "imported")
    else:
        _finish(job, "checked")
    return result


def _finish(job: LedgerImport, state: str, message: str | None = None) -> None:
    job.state, job.message, job.applying, job.finished_at = state, message, False, utcnow()


def start(job: LedgerImport, *, apply: bool, now: datetime | None = None) -> None:
    """Mark the job as under way (the caller commits, then runs `run_job`); one run at a time. A run
    that has not finished long after it started died with its process (a restart), and may start again."""
    now = now or utcnow()
    if job.state == "reading" and job.started_at and now - as_utc(job.started_at) < STALE_AFTER:
        raise Conflict("this ledger is already being read", code="import_running")
    if job.state == "imported":
        raise Conflict("this ledger was already imported; upload it again to re-check", code="import_done")
    job.state, job.applying, job.processed_rows, job.message, job.started_at = "reading", apply, 0, None, now


def run_job(session: Session, site_id: int, import_id: int, storage_dir: Path, *, today: date,
            on_progress: ProgressFn | None = None) -> LedgerImport:
    """The whole job with its own commits: progress while the file is read, then one transaction
    that checks every row and, for an import with no bad row, writes them all."""
    scope_session(session, site_id)
    job = get_import(session, import_id)

    def progress(done: int, total: int) -> None:
        job.processed_rows, job.total_rows = done, total
        session.commit()
        if on_progress:
            on_progress(done, total)

    try:
        run(session, job, storage_dir, apply=job.applying, today=today, progress=progress)
        session.commit()
    except Exception:
        session.rollback()
        _finish(get_import(session, import_id), "failed", message="internal_error")
        session.commit()
        raise
    return job
