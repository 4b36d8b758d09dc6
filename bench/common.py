"""What the benchmarks share: a database of their own, runs summed up as median (min–max), and the
machine the figures were measured on. Import as `from bench.common import …` after putting the
repository root on sys.path (each script does)."""
from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")

# Scratch files (databases, photo folders, the phones' outboxes) go on the repository's disk, for the
# benchmarks and the servers they start: on the development box /tmp creates files from 2 to 40 times
# slower than the rest of the same disk, by the hour, and no deployment keeps its data in /tmp. A TMPDIR
# given by the caller wins.
if "TMPDIR" not in os.environ:
    (ROOT / "bench" / "results" / "tmp").mkdir(parents=True, exist_ok=True)
    os.environ["TMPDIR"] = str(ROOT / "bench" / "results" / "tmp")
    tempfile.tempdir = None  # read TMPDIR again


@dataclass(frozen=True)
class Spread:
    """Median of the runs with the lowest and highest: noisy shared machines make one run meaningless."""

    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values), len(values))

    def format(self, fmt: str = "{:.2f}", unit: str = "") -> str:
        return f"{fmt.format(self.median)}{unit} ({fmt.format(self.low)}–{fmt.format(self.high)})"


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Seconds taken by fn(), and what it returned."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def print_spreads(title: str, runs: list[dict[str, float]], fmt: str = "{:.2f}", unit: str = " s") -> None:
    """One line per figure of a list of runs (keys starting with _ are not figures)."""
    print(f"\n{title}  (median of {len(runs)} runs, min–max)")
    for key in runs[0]:
        if not key.startswith("_"):
            print(f"  {key:34s} {Spread.of([r[key] for r in runs]).format(fmt, unit)}")


def machine() -> str:
    """Cores, memory, Python, load, the box's speed and date: the figures mean nothing without them."""
    with open("/proc/meminfo") as f:
        mem_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} cores, {mem_kb / 1024 ** 2:.0f} GB memory, {platform.machine()}, "
            f"Python {platform.python_version()}; load average {load}; "
            f"reference loop {reference_loop_seconds():.2f} s; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


def reference_loop_seconds() -> float:
    """How fast this box runs Python right now: the best of three runs of one loop of ten million
    additions. The development box's speed drifts by the hour (this loop from 0.6 to 1.7 s within one
    hour on 2026-11-26, when every benchmark ran three to four times slower than the night before), and
    every figure moves with it."""
    best = float("inf")
    for _ in range(3):
        started, total = time.process_time(), 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.process_time() - started)
    return best


@contextmanager
def database(database_url: str | None, workdir: Path) -> Iterator[str]:
    """An empty database of the run's own: a SQLite file in workdir, or (given a PostgreSQL server URL)
    a database created on that server and dropped afterwards, as tests/conftest.py does."""
    if not database_url:
        yield f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    name = f"xj_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrated_app(url: str, **config: Any):
    """The app on `url`, migrated to the newest schema."""
    import logging

    from flask_migrate import upgrade

    from server import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", **config})
    logging.disable(logging.INFO)  # Alembic's per-revision lines would bury the figures
    with app.app_context():
        upgrade()
    return app


def database_name(database_url: str | None) -> str:
    return "PostgreSQL" if database_url else "SQLite"


def analysed(session) -> None:
    """Commit, and on PostgreSQL gather the statistics of what a benchmark just loaded (ANALYZE), as
    autovacuum does within a minute of a load: measured at once, a first pull ran 0.2-0.5 s above the
    app's CPU (autovacuum analysing under it), and a year of reports picked plans for empty tables."""
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))
        session.commit()
