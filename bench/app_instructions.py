"""The app's own work per call, counted in machine instructions: a figure the box's drifting speed does
not move. A push of 50 checklists (a phone's batch), one of 500 (as sync_ingest.py sends), a photo
upload of 40 KB and a pull of the day's changes to 50 rooms (as load_phones.py's phones send them) go
through the app in-process (Flask's test client,
the real database), under valgrind's callgrind, which counts only while the counted calls run (switched
on and off from inside by a client request, compiled here with gcc), after three warm-up calls. The
app's process alone is counted: on PostgreSQL the server's own processes are not, nor is the kernel's
work (file writes, the system calls of a commit) on either.

    .venv/bin/python bench/app_instructions.py [--calls 3] [--database-url postgresql+psycopg://…]

Needs valgrind (Debian's package, headers included) and gcc. Timings on the development box moved by a
factor of three within a day, and two runs of this count differ by less than 0.1 %: compare two
checkouts with it before timing them. Prints instructions per call (and per record); asserts nothing.
"""
from __future__ import annotations

import argparse
import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import school
from bench.common import ROOT, database, database_name, machine, migrated_app
from server import served
from server.extensions import db

# What is counted: a label, the call, its size (checklists, or a photo's KB) and the records it carries.
WORKLOADS = (("push of 50 checklists", "push", 50, 50), ("push of 500 checklists", "push", 500, 500),
             ("photo upload, 40 KB", "photo", 40, 0), ("pull of 50 changed rooms", "pull", 50, 0))
CLIENT_REQUESTS = """
#include <valgrind/callgrind.h>
void counting_on(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void counting_off(void) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS_AT("pushes"); }
"""


def build_switch(workdir: Path) -> Path:
    """A shared library whose two functions switch callgrind's counting on and off."""
    source, library = workdir / "switch.c", workdir / "switch.so"
    source.write_text(CLIENT_REQUESTS)
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    return library


def count(database_url: str | None, kind: str, size: int, calls: int, workdir: Path) -> int:
    """Instructions of `calls` calls of one kind (`push` of `size` checklists, `photo` upload of `size`
    KB, or `pull` of `size` changed rooms), counted in a child process under callgrind."""
    out = workdir / f"callgrind-{kind}-{size}.out"
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict and set layouts every run
    command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
               sys.executable, __file__, "--child", kind, "--size", str(size), "--calls", str(calls),
               "--switch", str(build_switch(workdir))]
    if database_url:
        command += ["--database-url", database_url]
    subprocess.run(command, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dumped = next(workdir.glob(f"callgrind-{kind}-{size}.out*.1"))  # the part dumped by counting_off
    totals = next(line for line in dumped.read_text().splitlines() if line.startswith("totals:"))
    return int(totals.split()[1])


class Call(NamedTuple):
    method: str
    path: str
    body: bytes
    content_type: str
    status: int


def child(args) -> None:
    """Inside valgrind: a school, a phone's token, three warm-up calls, then the counted calls."""
    switch = ctypes.CDLL(args.switch)
    with tempfile.TemporaryDirectory() as tmp, database(args.database_url, Path(tmp)) as url:
        app = migrated_app(url, ATTACHMENT_DIR=str(Path(tmp) / "photos"))
        with app.app_context():
            bench_school = school.build(db.session, "count", rooms=60, assets=0, fixes=0)
            if args.child == "push":
                calls = _pushes(args.size, 3 + args.calls)
            elif args.child == "photo":
                calls = _photos(args.size, 3 + args.calls)
            db.session.remove()
        client = served(app).test_client()
        token = client.post("/api/v1/auth/login", json={
            "username": bench_school.fixer, "password": school.PASSWORD, "device_name": "count"}).json["token"]
        if args.child == "pull":  # made with the phone's token
            calls = _pulls(app, client, token, bench_school.site_id, args.size, 3 + args.calls)
        for call in calls[:3]:
            _send(client, token, call)
        switch.counting_on()
        for call in calls[3:]:
            _send(client, token, call)
        switch.counting_off()


def _pushes(size: int, count: int) -> list[Call]:
    """Batches of `size` dorm checklists, as sync_ingest.py sends them."""
    from bench.sync_ingest import dorm_checklist, encode, make_batches

    template, dorms = dorm_checklist()
    return [Call("POST", "/api/v1/sync/push", encode(batch), "application/json", 200)
            for batch in make_batches(template, dorms, count, "inspection", size)]


def _photos(kb: int, count: int) -> list[Call]:
    """New JPEGs of about `kb` KB each, as load_phones.py uploads them."""
    from bench.load_phones import base_jpeg, unique_jpeg

    base = base_jpeg(kb)
    photos = [unique_jpeg(base, f"photo {n}") for n in range(count)]
    return [Call("PUT", f"/api/v1/attachments/{hashlib.sha256(p).hexdigest()}", p, "image/jpeg", 201)
            for p in photos]


def _pulls(app, client, token: str, site_id: int, rooms: int, count: int) -> list[Call]:
    """The phone pulls the school; the office renames `rooms` rooms; each call pulls those changes
    (from the same cursor: a pull changes nothing)."""
    from bench.load_phones import change_rooms

    auth = {"Authorization": f"Bearer {token}"}
    school_page = client.get("/api/v1/sync/pull?limit=2000", headers=auth).json
    assert not school_page["has_more"]
    change_rooms(app, site_id, rooms)
    path = f"/api/v1/sync/pull?limit=500&cursor={school_page['cursor']}"
    assert len(client.get(path, headers=auth).json["changes"]) == rooms
    return [Call("GET", path, b"", "application/json", 200)] * count


def _send(client, token: str, call: Call) -> None:
    resp = client.open(call.path, method=call.method, data=call.body,
                       headers={"Authorization": f"Bearer {token}", "Content-Type": call.content_type})
    assert resp.status_code == call.status, resp.json
    if call.method == "POST":
        assert {r["status"] for r in resp.json["results"]} == {"accepted"}, resp.json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3, help="counted calls of each kind")
    parser.add_argument("--database-url", help="a PostgreSQL server URL; default a temporary SQLite file")
    parser.add_argument("--child", choices=("push", "photo", "pull"), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--switch", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    missing = [tool for tool in ("valgrind", "gcc") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"needs {' and '.join(missing)} (Debian: apt install valgrind gcc)")
    print(f"app instructions per call, {database_name(args.database_url)}, {args.calls} calls of each kind "
          f"counted; {machine()}")
    for label, kind, size, records in WORKLOADS:
        with tempfile.TemporaryDirectory() as tmp:
            per_call = count(args.database_url, kind, size, args.calls, Path(tmp)) / args.calls
        per_record = f", {per_call / records / 1e3:6.0f} k per record" if records else ""
        print(f"  {label:26s} {per_call / 1e6:8.2f} M instructions{per_record}")


if __name__ == "__main__":
    main()
