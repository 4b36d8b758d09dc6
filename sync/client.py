"""The contract from the phone's side, in Python: an outbox in a local SQLite file, push and pull
loops with retries and exponential backoff, and photo upload by hash. The tests, the benchmarks and
the command-line uploader (`python -m sync.client --help`) use it.

Three layers, as in a phone's outbox: the policy (SyncClient: what to send when, retry or stop), the
store (Outbox: records and photos waiting, and the pull cursor) and the schema (SCHEMA below).

What makes it safe to kill at any moment: a batch is written to the outbox (its batch_id and its
records) before it is sent, so after a crash or a lost answer the very same batch is sent again and
the server replays its answer; a record leaves the outbox only once an answer for it is stored.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import mimetypes
import os
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests

from sync.ids import uuid7

SCHEMA = """
CREATE TABLE IF NOT EXISTS record (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT UNIQUE NOT NULL,
    body TEXT NOT NULL,            -- the record exactly as it will be sent
    batch_id TEXT,                 -- set when it joins a batch; the batch is resent as it was
    status TEXT NOT NULL DEFAULT 'queued',  -- queued | stored | rejected | conflict
    answer TEXT
);
CREATE INDEX IF NOT EXISTS record_status ON record (status, batch_id);
CREATE TABLE IF NOT EXISTS photo (
    sha256 TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    content_type TEXT NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT);
"""
RETRY_STATUSES = {429, 500, 502, 503, 504}
# Commits reach the disk before they return, except a photo's "sent" mark (Outbox.photo_uploaded).
SYNCED, UNSYNCED = "PRAGMA synchronous=FULL", "PRAGMA synchronous=NORMAL"
FINAL = ("stored", "rejected", "conflict")


class AuthRequired(Exception):
    """The token is missing or refused (401): log in again; the outbox is kept."""


class GiveUp(Exception):
    """The server could not be reached, or kept failing, after every retry."""


def _now() -> str:
    return datetime.now(UTC).isoformat()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Outbox:
    """What waits to be sent, and the pull cursor, in one SQLite file."""

    def __init__(self, path: str | Path):
        self.db = sqlite3.connect(str(path), isolation_level=None)
        # Write-ahead log, each commit synced (FULL): as durable as the default rollback journal, without
        # creating and deleting a journal file for every record queued and every photo sent.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(SYNCED)
        self.db.executescript(SCHEMA)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def add(self, type_: str, data: dict, *, uuid: str | None = None, recorded_at: str | None = None,
            base_version: int | None = None, photos: list[str | Path] = ()) -> str:
        """Queue one record; photo files are named in `data["photos"]` by their hash and queued too."""
        hashes = [self.add_photo(Path(p)) for p in photos]
        if hashes:
            data = {**data, "photos": [*data.get("photos", []), *hashes]}
        record = {"uuid": uuid or uuid7(), "type": type_, "recorded_at": recorded_at or _now(),
                  "base_version": base_version, "data": data}
        with self._tx() as db:
            db.execute("INSERT INTO record (uuid, body) VALUES (?, ?)",
                       (record["uuid"], json.dumps(record, ensure_ascii=False)))
        return record["uuid"]

    def add_photo(self, path: Path) -> str:
        sha = file_sha256(path)
        content_type = mimetypes.guess_type(path.name)[0] or "image/jpeg"
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO photo (sha256, path, content_type) VALUES (?, ?, ?)",
                       (sha, str(path.resolve()), content_type))
        return sha

    def next_batch(self, size: int) -> tuple[str, list[str]] | None:
        """The batch in flight if there is one (sent again exactly as it was), else a new one: its id and
        its records as stored (JSON text)."""
        with self._tx() as db:
            row = db.execute("SELECT batch_id FROM record WHERE status = 'queued' AND batch_id IS NOT NULL "
                             "ORDER BY seq LIMIT 1").fetchone()
            if row is None:
                seqs = [r[0] for r in db.execute(
                    "SELECT seq FROM record WHERE status = 'queued' ORDER BY seq LIMIT ?", (size,))]
                if not seqs:
                    return None
                row = (uuid7(),)
                db.executemany("UPDATE record SET batch_id = ? WHERE seq = ?", [(row[0], s) for s in seqs])
            bodies = db.execute("SELECT body FROM record WHERE batch_id = ? ORDER BY seq", row).fetchall()
        return row[0], [b[0] for b in bodies]

    def release(self, batch_id: str) -> None:
        """The server stored nothing of this batch (e.g. 413): its records may be batched anew."""
        with self._tx() as db:
            db.execute("UPDATE record SET batch_id = NULL WHERE batch_id = ? AND status = 'queued'", (batch_id,))

    def settle(self, batch_id: str, results: list[dict]) -> None:
        """Store the server's answers; accepted and duplicate records are stored, the others kept to show."""
        status = {"accepted": "stored", "duplicate": "stored", "rejected": "rejected", "conflict": "conflict"}
        with self._tx() as db:
            db.executemany("UPDATE record SET status = ?, answer = ? WHERE uuid = ? AND batch_id = ?",
                           [(status[r["status"]], json.dumps(r, ensure_ascii=False), r["uuid"], batch_id)
                            for r in results])

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT status, count(*) FROM record GROUP BY status").fetchall())

    def answers(self, status: str) -> list[dict]:
        return [json.loads(a[0]) for a in self.db.execute(
            "SELECT answer FROM record WHERE status = ? ORDER BY seq", (status,))]

    def photos_to_upload(self) -> list[tuple[str, str, str]]:
        return self.db.execute("SELECT sha256, path, content_type FROM photo WHERE uploaded = 0").fetchall()

    def photo_uploaded(self, sha256: str) -> None:
        """Mark a photo sent, without waiting for the disk: a mark lost to a power cut only sends the photo
        again, which the server answers as one it has (200). A synced commit per photo cost the phone a
        disk flush for each of a round's hundred photos, on the disk its records are queued on."""
        self.db.execute(UNSYNCED)
        try:
            with self._tx() as db:
                db.execute("UPDATE photo SET uploaded = 1 WHERE sha256 = ?", (sha256,))
        finally:
            self.db.execute(SYNCED)

    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, value: str | None) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO state (key, value) VALUES (?, ?) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def close(self) -> None:
        self.db.close()


def batch_body(device_id: str | None, batch_id: str, records: list[str]) -> bytes:
    """A push body with each record as the outbox stored it (JSON text): reading the records and writing
    them again cost the phone a quarter of a push's CPU."""
    envelope = json.dumps({"device_id": device_id, "batch_id": batch_id}, ensure_ascii=False)
    return f'{envelope[:-1]}, "records": [{", ".join(records)}]}}'.encode()


@dataclass
class Backoff:
    """Exponential backoff with jitter: base, 2×base, 4×base … up to `cap` seconds, `attempts` tries."""

    base: float = 0.5
    cap: float = 60.0
    attempts: int = 8

    def delay(self, attempt: int) -> float:
        return min(self.cap, self.base * 2 ** attempt) * random.uniform(0.5, 1.0)


@dataclass
class SyncClient:
    base_url: str
    outbox: Outbox
    batch_size: int = 500
    backoff: Backoff = field(default_factory=Backoff)
    http: requests.Session = field(default_factory=requests.Session)
    sleep: Callable[[float], None] = time.sleep
    timeout: float = 60.0

    def __post_init__(self) -> None:
        """The proxy and CA settings of the environment, read once: requests reads them, and ~/.netrc,
        again for every call (a sixth of a photo upload's CPU on the phone), and a .netrc entry for the
        server made it send that password in place of the token."""
        proxies = requests.utils.get_environ_proxies(self.base_url)
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        self.http.trust_env = False
        self.http.proxies = {**proxies, **self.http.proxies}
        if bundle and self.http.verify is True:
            self.http.verify = bundle

    @property
    def token(self) -> str | None:
        return self.outbox.get("token")

    def login(self, username: str, password: str, device_name: str) -> dict:
        resp = self._call("POST", "/api/v1/auth/login", json={
            "username": username, "password": password, "device_name": device_name}, auth=False)
        if resp.status_code != 200:
            raise AuthRequired(resp.text)
        body = resp.json()
        self.outbox.put("token", body["token"])
        self.outbox.put("device_id", str(body["device_id"]))
        return body

    # -- transport ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, auth: bool = True, **kwargs) -> requests.Response:
        """One request, retried with backoff on network errors, 429 and 5xx; 401 raises AuthRequired."""
        headers = kwargs.pop("headers", {})
        if auth:
            if not self.token:
                raise AuthRequired("log in first")
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in range(self.backoff.attempts):
            try:
                resp = self.http.request(method, self.base_url + path, headers=headers, timeout=self.timeout,
                                         **kwargs)
            except (requests.ConnectionError, requests.Timeout):
                resp = None
            if resp is not None and resp.status_code == 401 and auth:
                raise AuthRequired(resp.text)
            if resp is not None and resp.status_code not in RETRY_STATUSES:
                return resp
            if attempt + 1 < self.backoff.attempts:
                self.sleep(self.backoff.delay(attempt))
        raise GiveUp(f"{method} {path}: no answer after {self.backoff.attempts} tries")

    # -- push --------------------------------------------------------------------------------

    def push(self) -> dict[str, int]:
        """Send the outbox batch by batch until it is empty; returns the outbox counts."""
        while (batch := self.outbox.next_batch(self.batch_size)) is not None:
            batch_id, records = batch
            body = batch_body(self.outbox.get("device_id"), batch_id, records)
            resp = self._call("POST", "/api/v1/sync/push", data=body, headers={"Content-Type": "application/json"})
            if resp.status_code == 413:
                self._shrink(batch_id, resp.json()["error"]["details"])
                continue
            if resp.status_code != 200:
                raise GiveUp(f"push refused: {resp.status_code} {resp.text[:300]}")
            self.outbox.settle(batch_id, resp.json()["results"])
        return self.outbox.counts()

    def _shrink(self, batch_id: str, details: dict) -> None:
        if self.batch_size == 1:
            raise GiveUp(f"a single record is over the server's limit: {details}")
        self.batch_size = max(1, min(details.get("max_records") or self.batch_size, self.batch_size) // 2)
        self.outbox.release(batch_id)

    # -- photos ------------------------------------------------------------------------------

    def upload_photos(self) -> int:
        """Upload every queued photo (the server dedupes by hash); returns how many were sent."""
        sent = 0
        for sha, path, content_type in self.outbox.photos_to_upload():
            # Bytes, not a file object: a retry must send the whole photo again.
            resp = self._call("PUT", f"/api/v1/attachments/{sha}", data=Path(path).read_bytes(),
                              headers={"Content-Type": content_type})
            if resp.status_code not in (200, 201):
                raise GiveUp(f"photo {sha} refused: {resp.status_code} {resp.text[:300]}")
            self.outbox.photo_uploaded(sha)
            sent += 1
        return sent

    def missing_photos(self) -> list[str]:
        return self._call("GET", "/api/v1/attachments/missing").json()["missing"]

    # -- pull --------------------------------------------------------------------------------

    def pull(self, on_page: Callable[[dict], None] = lambda page: None, limit: int = 500) -> str:
        """Follow the cursor until has_more is false, handing each page to `on_page` before the cursor
        moves (so a crash re-pulls a page rather than skipping it); 410 restarts from scratch."""
        while True:
            cursor = self.outbox.get("cursor")
            params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
            resp = self._call("GET", "/api/v1/sync/pull", params=params)
            if resp.status_code == 410:
                self.outbox.put("cursor", None)
                continue
            if resp.status_code != 200:
                raise GiveUp(f"pull refused: {resp.status_code} {resp.text[:300]}")
            page = resp.json()
            on_page(page)
            self.outbox.put("cursor", page["cursor"])
            if not page["has_more"]:
                return page["cursor"]

    def sync(self, on_page: Callable[[dict], None] = lambda page: None) -> dict[str, int]:
        """Photos first (so records land complete), then the outbox, then the pull."""
        self.upload_photos()
        counts = self.push()
        self.pull(on_page)
        return counts


# -- command line -------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sync.client", description=__doc__.split("\n")[0])
    parser.add_argument("--outbox", default="outbox.sqlite3", help="the local outbox file (default: %(default)s)")
    commands = parser.add_subparsers(dest="command", required=True)
    login = commands.add_parser("login", help="log in (password on standard input) and keep the token")
    login.add_argument("server", help="e.g. http://127.0.0.1:5000")
    login.add_argument("username")
    login.add_argument("--device-name", default="python client")
    add = commands.add_parser("add", help="queue one record")
    add.add_argument("type")
    add.add_argument("data", help="the record's data as JSON")
    add.add_argument("--photo", action="append", default=[], help="a photo file (repeatable)")
    add.add_argument("--base-version", type=int)
    upload = commands.add_parser("upload", help="queue every record of a JSON-lines file, then sync")
    upload.add_argument("file", help='lines of {"type", "data", "uuid"?, "recorded_at"?, "base_version"?, '
                                     '"photo_files"?}')
    commands.add_parser("sync", help="upload photos, push the outbox, pull")
    commands.add_parser("status", help="how many records are queued, stored, rejected, in conflict")
    return parser


def _queue_file(outbox: Outbox, path: Path) -> int:
    queued = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            outbox.add(item["type"], item["data"], uuid=item.get("uuid"), recorded_at=item.get("recorded_at"),
                       base_version=item.get("base_version"), photos=item.get("photo_files", []))
            queued += 1
    return queued


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    outbox = Outbox(args.outbox)
    client = SyncClient(outbox.get("server") or "", outbox)
    try:
        if args.command == "login":
            outbox.put("server", args.server.rstrip("/"))
            client.base_url = args.server.rstrip("/")
            user = client.login(args.username, sys.stdin.readline().rstrip("\n"), args.device_name)["user"]
            print(f"logged in as {user['username']} of site {user['site_id']}")
        elif args.command == "add":
            print(outbox.add(args.type, json.loads(args.data), photos=args.photo, base_version=args.base_version))
        elif args.command in ("upload", "sync"):
            if args.command == "upload":
                print(f"queued {_queue_file(outbox, Path(args.file))} records")
            print(json.dumps(client.sync()))
        else:
            print(json.dumps(outbox.counts()))
    except (AuthRequired, GiveUp) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        outbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
