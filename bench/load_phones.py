"""50 phones syncing at once against the app under gunicorn (several worker processes), on SQLite or
PostgreSQL. Each phone is the project's Python sync client (sync/client.py) with an outbox of its own.
Every phone logs in, pulls the school and fills 50 checklists with 2 photos each first (an inspector's
phone holds the school from an earlier sync and fills checklists offline during the day; phones keep
their token for days); then the office changes a few rooms (`--day-changes`), and, all released at
once, each phone pulls what changed since its last pull, pushes its checklists (one batch: the phone
app sends 50 records a batch) and then uploads the photos, in the phone app's order (pwa/src/sync.js).
`--first-pull-in-storm` makes each phone's first pull of the whole school part of the storm instead
(fifty phones installed at the same moment), and `--login-in-storm` the 50 logins too. The phones
run as threads spread over several processes (`--client-processes`). They share the server's two cores
at equal priority unless `--phone-nice` makes them yield (real phones have processors of their own;
see bench/README.md for what that changes).

    .venv/bin/python bench/load_phones.py [--phones 50] [--records 50] [--photos 2] [--photo-kb 40]
                                          [--workers 4] [--client-processes 5] [--phone-nice 0]
                                          [--day-changes 50] [--first-pull-in-storm] [--login-in-storm]
                                          [--runs 3] [--database-url postgresql+psycopg://…]

Push latency is what each phone waited (request sent to answer read) and, from gunicorn's access log,
what the server spent; the reference timed in the same run is one phone alone pushing the same batch
to the same server before the others start. From it comes the burst floor: when n pushes arrive at
the same moment on a machine with c cores, the k-th cannot be answered before k × (one push alone) / c,
so the p95 of a fully simultaneous burst is at least 0.95 × n × solo / c, however the server queues
them. How simultaneous the burst really was: the time in which 90% of the pushes were sent (their 5th to
95th percentile); the spread of the pushes moves p95 from run to run as much as the server does.
Server CPU is what the gunicorn processes used during the storm (the rest of the machine ran the
phones). Afterwards the database is checked against what the phones sent: every record uuid stored
exactly once, every photo present. The client does not retry (an error
counts as an error). Loopback only; every process it starts is stopped before it returns.
"""
from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests
from PIL import Image
from sqlalchemy import func, select

from bench import school
from bench.common import ROOT, Spread, database, database_name, machine, migrated_app
from server.db import scope_session
from server.extensions import db
from server.models import Inspection, Room
from sync.client import Backoff, Outbox, SyncClient
from sync.models import Attachment, SyncRecord

TARGET_P95_MS = 300
ACCESS_FORMAT = "%(p)s %(m)s %(U)s %(s)s %(D)s"  # worker pid, method, path, status, microseconds
STORM_TIMEOUT = 600  # seconds: a run that takes longer is stopped and reported, never left running


# -- what a phone sends ----------------------------------------------------------------------------

def base_jpeg(kb: int) -> bytes:
    """A real JPEG of about `kb` KB (noise does not compress, like a photo's detail)."""
    side = 16
    while True:
        buf = io.BytesIO()
        Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buf, "JPEG", quality=80)
        if buf.tell() >= kb * 1024 or side > 2048:
            return buf.getvalue()
        side = int(side * 1.25) + 1


def unique_jpeg(base: bytes, tag: str) -> bytes:
    """The same picture with a JPEG comment segment (COM) naming it, so every photo has its own hash."""
    comment = tag.encode()
    return base[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + base[2:]


class Response(NamedTuple):
    method: str
    kind: str
    status: int
    seconds: float
    sent_at: float  # wall clock, comparable between the phones' processes


@dataclass
class Phone:
    """One simulated phone: its client, the responses it saw, and what went wrong."""

    number: int
    username: str
    folder: Path
    photo_bytes: bytes
    records: int
    photos_per_record: int
    responses: list[Response] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    sent_uuids: list[str] = field(default_factory=list)
    sent_photos: list[str] = field(default_factory=list)
    pulled: int = 0  # changes its pull in the storm brought

    def client(self, base_url: str) -> SyncClient:
        http = requests.Session()
        http.hooks["response"].append(self._note)
        # attempts=1: an error is counted, not hidden behind a retry.
        return SyncClient(base_url, Outbox(self.folder / f"phone-{self.number}.sqlite3"), batch_size=50,
                          backoff=Backoff(attempts=1), http=http, timeout=120)

    def _note(self, resp: requests.Response, *args, **kwargs) -> None:
        path = requests.utils.urlparse(resp.url).path
        kind = "push" if path.endswith("/sync/push") else "pull" if path.endswith("/sync/pull") else \
            "photo" if "/attachments/" in path else "login" if path.endswith("/login") else path
        seconds = resp.elapsed.total_seconds()
        self.responses.append(Response(resp.request.method, kind, resp.status_code, seconds, time.time() - seconds))

    def queue_records(self, client: SyncClient, changes: list[dict], round_: int) -> None:
        targets = school.checklist_targets(changes)
        families = sorted(targets)
        for n in range(round_ * self.records, (round_ + 1) * self.records):
            template, kind, ids = targets[families[n % len(families)]]
            photos = []
            for p in range(self.photos_per_record):
                path = self.folder / f"p{self.number}-{n}-{p}.jpg"
                path.write_bytes(unique_jpeg(self.photo_bytes, f"{self.username} record {n} photo {p}"))
                photos.append(path)
            data = school.inspection_data(template, ids[(self.number * 7 + n) % len(ids)], kind, [])
            self.sent_uuids.append(client.outbox.add("inspection", data, photos=photos))
        self.sent_photos += [sha for sha, _, _ in client.outbox.photos_to_upload()]

    def sync(self, base_url: str, start, rounds: int = 1, login_in_storm: bool = False,
             filled_from: list[dict] | None = None, pulled_before=None) -> list[dict]:
        """Log in, wait for the start, pull, then (each round) queue the checklists, push them, upload
        their photos; note any failure; return what was pulled. Phones log in once and sync for days on
        their token, so the login comes before the start unless `login_in_storm`. Given `filled_from`
        (the school as pulled), the phone's one round of checklists is filled before the start instead:
        an inspector fills them offline during the day, and a storm is the phones syncing. Given
        `pulled_before` (a barrier), the phone pulls the school before filling them, as a phone must
        have, and waits at it for the day's changes; its pull in the storm is then what changed since."""
        client = self.client(base_url)
        changes: list[dict] = []
        try:
            if not login_in_storm:
                client.login(self.username, school.PASSWORD, f"bench phone {self.number}")
            if pulled_before is not None:
                client.pull()
            if filled_from is not None:
                self.queue_records(client, filled_from, 0)
            if pulled_before is not None:
                pulled_before.wait()
            if start is not None:
                start.wait()
                self.responses.clear()  # what is counted is the storm
            if login_in_storm:
                client.login(self.username, school.PASSWORD, f"bench phone {self.number}")
            client.pull(lambda page: changes.extend(page["changes"]))
            self.pulled = len(changes)
            for round_ in range(rounds):
                if filled_from is None:
                    self.queue_records(client, changes, round_)
                # The phone app's order (pwa/src/sync.js): records first, then their photos.
                counts = client.push()
                client.upload_photos()
                if counts != {"stored": self.records * (round_ + 1)}:
                    self.failures.append(f"outbox after push: {counts}")
        except Exception as exc:  # every failure is a figure of the run, whatever it is
            self.failures.append(f"{type(exc).__name__}: {str(exc)[:200]}")
        finally:
            client.outbox.close()
        return changes

    def latencies(self, kind: str) -> list[float]:
        return [r.seconds for r in self.responses if r.kind == kind]

    def sent(self, kind: str) -> list[float]:
        return [r.sent_at for r in self.responses if r.kind == kind]

    def errors(self) -> list[str]:
        bad = [f"{r.method} {r.kind} → {r.status}" for r in self.responses if r.status >= 400]
        return bad + self.failures


# -- the server under test -------------------------------------------------------------------------

def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live children (gunicorn's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name is in parentheses and may hold spaces: split after it.
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the process ended while we looked
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """The app under gunicorn on a loopback port; stopped (and waited for) by stop()."""

    def __init__(self, url: str, folder: Path, workers: int):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.access_log = folder / "access.log"
        self.error_log = folder / "gunicorn.log"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "ATTACHMENT_DIR": str(folder / "photos")}
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
             "--timeout", "120", "--graceful-timeout", "5", "--access-logfile", str(self.access_log),
             "--access-logformat", ACCESS_FORMAT, "--error-logfile", str(self.error_log), "server.wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.error_log.read_text()[-2000:]}")
            try:
                if requests.get(self.base_url + "/api/v1/openapi.json", timeout=30).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # still booting
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def pushes(self) -> list[tuple[int, float]]:
        """(worker pid, server seconds) of every push in the access log."""
        out = []
        for line in self.access_log.read_text().splitlines():
            pid, method, path, _status, micros = line.split()
            if method == "POST" and path == "/api/v1/sync/push":
                out.append((int(pid.strip("<>")), int(micros) / 1e6))
        return out


# -- one run ---------------------------------------------------------------------------------------

def check_database(app, site_id: int, phones: list[Phone]) -> dict[str, int]:
    """Every uuid a phone sent stored exactly once (inspections and the uuid ledger), every photo present."""
    sent = Counter(u for p in phones for u in p.sent_uuids)
    photos = {h for p in phones for h in p.sent_photos}
    with app.app_context():
        scope_session(db.session, site_id)
        stored = Counter(dict(db.session.execute(
            select(Inspection.uuid, func.count()).group_by(Inspection.uuid)).all()))
        ledger = Counter(dict(db.session.execute(
            select(SyncRecord.uuid, func.count()).where(SyncRecord.site_id == site_id)
            .group_by(SyncRecord.uuid)).all()))
        have = set(db.session.scalars(select(Attachment.sha256)))
        db.session.remove()
        db.engine.dispose()
    return {"records sent": sum(sent.values()),
            "lost": sum(1 for u in sent if stored[u] == 0 or ledger[u] == 0),
            "duplicates": sum(n - 1 for n in stored.values() if n > 1) + sum(n - 1 for n in ledger.values() if n > 1)
            + sum(n - 1 for n in sent.values() if n > 1),
            "stored but never sent": len(set(stored) - set(sent)),
            "photos missing": len(photos - have)}


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def storm(base_url: str, phones: list[Phone], processes: int, nice: int, login_in_storm: bool,
          server_pid: int, school_as_pulled: list[dict],
          day_changes: Callable[[], None] | None) -> tuple[float, float, list[Phone]]:
    """Every phone syncs at once (released together from one barrier), the phones spread over
    `processes` processes at niceness `nice`: real phones share no interpreter lock (fifty threads in one
    process made each wait for the others to read its answer), nor the server's cores. Given
    `day_changes`, the phones pull the school first, and it is called once they all have. Seconds until
    the last is done, the CPU seconds the server (`server_pid` and its workers) used meanwhile, and the
    phones as they came back (with what they saw)."""
    ctx = multiprocessing.get_context("fork")
    start, results = ctx.Barrier(len(phones) + 1), ctx.Queue()
    pulled = ctx.Barrier(len(phones) + 1) if day_changes is not None else None
    groups = [phones[i::processes] for i in range(processes)]
    workers = [ctx.Process(target=_phone_group, daemon=True,
                           args=(base_url, group, nice, start, pulled, results, login_in_storm, school_as_pulled))
               for group in groups if group]
    for worker in workers:
        worker.start()
    if pulled is not None:
        pulled.wait(timeout=STORM_TIMEOUT)
        day_changes()
    start.wait()
    began, cpu_before = time.perf_counter(), process_tree_cpu(server_pid)
    came_back: list[Phone] = []
    for _ in workers:
        came_back += results.get(timeout=STORM_TIMEOUT)
    seconds, server_cpu = time.perf_counter() - began, process_tree_cpu(server_pid) - cpu_before
    for worker in workers:
        worker.join()
    return seconds, server_cpu, sorted(came_back, key=lambda p: p.number)


def _phone_group(base_url: str, phones: list[Phone], nice: int, start, pulled, results, login_in_storm: bool,
                 school_as_pulled: list[dict]) -> None:
    """In a process of its own, at niceness `nice`: each phone in a thread; the phones go back through
    `results`. A nicer process gets a core only when the server's processes leave one free: the server
    has the cores as on a box of its own, but the phones' own work (reading a pull, writing a push) then
    waits for a free core, which spreads their pushes out."""
    os.nice(nice)
    threads = [threading.Thread(target=p.sync, args=(base_url, start, 1, login_in_storm, school_as_pulled, pulled),
                                daemon=True) for p in phones]
    for t in threads:
        t.start()
    deadline = time.monotonic() + STORM_TIMEOUT
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    for p, t in zip(phones, threads, strict=True):
        if t.is_alive():
            p.failures.append(f"still syncing after {STORM_TIMEOUT} s")
    results.put(phones)


def change_rooms(app, site_id: int, count: int) -> None:
    """The office's changes of a day: `count` rooms renamed, each a change every phone pulls."""
    with app.app_context():
        scope_session(db.session, site_id)
        for room in db.session.scalars(select(Room).order_by(Room.id).limit(count)):
            room.name = f"{room.name}(新)"
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def warm_push(pushes: list[tuple[int, float]]) -> float:
    """One push's server time: the median of those that a worker served after a push of its own before
    (a worker's first push fills its caches; which worker takes a call is up to the kernel)."""
    warm = [s for i, (pid, s) in enumerate(pushes) if any(p == pid for p, _ in pushes[:i])]
    return statistics.median(warm or [s for _, s in pushes])


def run(args, workdir: Path, number: int) -> dict:
    with database(args.database_url, workdir) as url:
        app = migrated_app(url)
        with app.app_context():
            built = school.build(db.session, f"load{number}", rooms=args.rooms, assets=args.assets, fixes=0,
                                 inspectors=args.phones + 1, hash_method=app.config["PASSWORD_HASH_METHOD"])
            db.session.remove()
            db.engine.dispose()
        photo = base_jpeg(args.photo_kb)
        phones = [Phone(n, name, workdir, photo, args.records, args.photos) for n, name in enumerate(built.inspectors)]
        server = Gunicorn(url, workdir, args.workers)
        try:
            server.wait_ready()
            solo, crowd = phones[0], phones[1:]
            # The reference: one phone alone, batch after batch, enough rounds for most to land on a worker
            # that has pushed before (warm_push).
            solo_rounds = 2 * args.workers + 1
            school_as_pulled = solo.sync(server.base_url, None, rounds=solo_rounds)
            pulled_before = not (args.first_pull_in_storm or args.login_in_storm)
            day = (lambda: change_rooms(app, built.site_id, args.day_changes)) if pulled_before else None
            seconds, server_cpu, crowd = storm(server.base_url, crowd, args.client_processes, args.phone_nice,
                                               args.login_in_storm, server.proc.pid, school_as_pulled, day)
            phones = [solo, *crowd]
        finally:
            server.stop()
        pushes = [s for p in crowd for s in p.latencies("push")]
        sent = [t for p in crowd for t in p.sent("push")]
        server_pushes = server.pushes()
        result = {
            "push p50 ms": percentile(pushes, 50) * 1000, "push p95 ms": percentile(pushes, 95) * 1000,
            "push max ms": max(pushes) * 1000,
            "pushes sent within ms": (percentile(sent, 95) - percentile(sent, 5)) * 1000,
            "server push p95 ms": percentile([s for _, s in server_pushes[solo_rounds:]], 95) * 1000,
            "solo push ms": statistics.median(solo.latencies("push")) * 1000,
            "storm s": seconds, "errors": sum(len(p.errors()) for p in phones),
            "_errors": [e for p in phones for e in p.errors()][:5],
            "_workers": Counter(pid for pid, _ in server_pushes),
            "_requests": Counter(r.kind for p in crowd for r in p.responses),
            "changes pulled": statistics.median(p.pulled for p in crowd),
        }
        result["p95 / solo"] = result["push p95 ms"] / result["solo push ms"]
        solo_server = warm_push(server_pushes[:solo_rounds])
        result["burst floor p95 ms"] = 0.95 * len(crowd) * solo_server / os.cpu_count() * 1000
        result["server CPU s"] = server_cpu
        result["server cores used"] = server_cpu / seconds
        result.update(check_database(app, built.site_id, phones))
        for p in phones:
            for f in p.folder.glob(f"p{p.number}-*.jpg"):
                f.unlink()
    return result


def print_run(number: int, result: dict) -> None:
    print(f"run {number + 1}: p50 {result['push p50 ms']:.0f} ms, p95 {result['push p95 ms']:.0f} ms, "
          f"max {result['push max ms']:.0f} ms, solo {result['solo push ms']:.0f} ms, "
          f"90% of the pushes sent within {result['pushes sent within ms']:.0f} ms, "
          f"{result['errors']} errors, {result['lost']} lost, {result['duplicates']} duplicates, "
          f"{result['photos missing']} photos missing; burst floor {result['burst floor p95 ms']:.0f} ms; "
          f"server CPU {result['server CPU s']:.1f} s of a {result['storm s']:.1f} s storm; "
          f"pushes per worker pid {dict(result['_workers'])}; "
          f"the crowd's requests {dict(result['_requests'])}, {result['changes pulled']:.0f} changes pulled each",
          flush=True)
    if result["errors"]:
        print(f"  first errors: {result['_errors']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--records", type=int, default=50, help="checklists each phone pushes")
    parser.add_argument("--photos", type=int, default=2, help="photos per checklist")
    parser.add_argument("--photo-kb", type=int, default=40)
    parser.add_argument("--client-processes", type=int, default=5, help="processes the phones are spread over")
    parser.add_argument("--phone-nice", type=int, default=0,
                        help="niceness of the phones' processes (19: they take a core only when the server leaves one)")
    parser.add_argument("--day-changes", type=int, default=50,
                        help="rooms the office renames between the phones' last pull and the storm")
    parser.add_argument("--first-pull-in-storm", action="store_true",
                        help="each phone's first pull of the whole school is in the storm, not beforehand")
    parser.add_argument("--login-in-storm", action="store_true",
                        help="phones log in after the start too (51 scrypt hashes at once), and so pull the "
                             "whole school in the storm")
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (at least 2)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", help="a PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    pull = ("a first pull of the whole school" if args.first_pull_in_storm or args.login_in_storm
            else f"a pull of the day's changes ({args.day_changes} rooms)")
    print(f"{args.phones} phones × {args.records} checklists × {args.photos} photos of {args.photo_kb} KB, "
          f"{pull}, gunicorn {args.workers} workers, phones at nice {args.phone_nice}, "
          f"{database_name(args.database_url)}; {machine()}")
    runs = []
    for number in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            result = run(args, Path(tmp), number)
        runs.append(result)
        print_run(number, result)
    print(f"\nmedian of {len(runs)} runs (min–max), target p95 ≤ {TARGET_P95_MS} ms, no errors, losses or duplicates:")
    for key in ("push p50 ms", "push p95 ms", "push max ms", "pushes sent within ms", "server push p95 ms",
                "solo push ms", "p95 / solo",
                "burst floor p95 ms", "storm s", "server CPU s", "server cores used", "errors", "lost", "duplicates",
                "photos missing", "records sent"):
        print(f"  {key:22s} {Spread.of([r[key] for r in runs]).format('{:.0f}' if 'ms' in key else '{:.2f}')}")


if __name__ == "__main__":
    main()
