"""The app's own work per push, counted in machine instructions: a figure the box's drifting speed does
not move. One push of 50 checklists and one of 500 (as in sync_ingest.py) go through the app in-process
(Flask's test client, the real database), under valgrind's callgrind, which counts only while the pushes
run (switched on and off from inside by a client request, compiled here with gcc). The app's process
alone is counted: on PostgreSQL the server's own processes are not.

    .venv/bin/python bench/push_instructions.py [--pushes 3] [--database-url postgresql+psycopg://…]

Needs valgrind (Debian's package, headers included) and gcc. Timings on the development box moved by a
factor of three within a day, and two runs of this count differ by less than 0.1 %: compare two
checkouts with it before timing them. Prints instructions per push and per record; asserts nothing.
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import school
from bench.common import ROOT, database, database_name, machine, migrated_app
from server.extensions import db

SIZES = (50, 500)
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


def count_pushes(database_url: str | None, size: int, pushes: int, workdir: Path) -> int:
    """Instructions of `pushes` pushes of `size` checklists, counted in a child process under callgrind."""
    out = workdir / f"callgrind-{size}.out"
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict and set layouts every run
    command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
               sys.executable, __file__, "--child", str(size), "--pushes", str(pushes),
               "--switch", str(build_switch(workdir))]
    if database_url:
        command += ["--database-url", database_url]
    subprocess.run(command, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dumped = next(workdir.glob(f"callgrind-{size}.out*.1"))  # the part dumped by counting_off
    totals = next(line for line in dumped.read_text().splitlines() if line.startswith("totals:"))
    return int(totals.split()[1])


def child(args) -> None:
    """Inside valgrind: a school, the token, three warm-up pushes, then the counted pushes."""
    from bench.sync_ingest import dorm_checklist, encode, make_batches

    switch = ctypes.CDLL(args.switch)
    with tempfile.TemporaryDirectory() as tmp, database(args.database_url, Path(tmp)) as url:
        app = migrated_app(url)
        with app.app_context():
            bench_school = school.build(db.session, "count", rooms=60, assets=0, fixes=0)
            template, dorms = dorm_checklist()
            db.session.remove()
        client = app.test_client()
        gc.collect()
        gc.freeze()  # as server.wsgi does under gunicorn
        token = client.post("/api/v1/auth/login", json={
            "username": bench_school.fixer, "password": school.PASSWORD, "device_name": "count"}).json["token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        bodies = [encode(b) for b in make_batches(template, dorms, 3 + args.pushes, "inspection", args.child)]
        warm_up, counted = bodies[:3], bodies[3:]
        for body in warm_up:
            _push(client, body, headers)
        switch.counting_on()
        for body in counted:
            _push(client, body, headers)
        switch.counting_off()


def _push(client, body: bytes, headers: dict) -> None:
    resp = client.post("/api/v1/sync/push", data=body, headers=headers)
    assert resp.status_code == 200 and {r["status"] for r in resp.json["results"]} == {"accepted"}, resp.json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=3, help="counted pushes of each size")
    parser.add_argument("--database-url", help="a PostgreSQL server URL; default a temporary SQLite file")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--switch", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    missing = [tool for tool in ("valgrind", "gcc") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"needs {' and '.join(missing)} (Debian: apt install valgrind gcc)")
    print(f"app instructions per push, {database_name(args.database_url)}, {args.pushes} pushes of each size "
          f"counted; {machine()}")
    for size in SIZES:
        with tempfile.TemporaryDirectory() as tmp:
            total = count_pushes(args.database_url, size, args.pushes, Path(tmp))
        print(f"  push of {size:3d} checklists: {total / args.pushes / 1e6:8.2f} M instructions, "
              f"{total / args.pushes / size / 1e3:6.0f} k per record")


if __name__ == "__main__":
    main()
