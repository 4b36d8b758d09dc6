"""Label sheet throughput and peak memory: `python bench/labels_bench.py [--server] [--runs 3] [counts...]`.

By default it times qr_labels alone on generated items. With --server it times what an admin waits for:
the server's print of a school's assets from a fresh SQLite database, first print (codes created,
phones' change feed written) and reprint. Each run of each count is a fresh process, so its peak
resident memory is its own. Prints each run and the median (min–max); no asserts.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qr_labels.codes import make_code  # noqa: E402
from qr_labels.layouts import LAYOUTS  # noqa: E402
from qr_labels.render import LabelItem  # noqa: E402
from qr_labels.sheet import SheetOptions, render_sheet  # noqa: E402

NAMES = ("主食库", "学生宿舍3号楼 2层 201室", "教学楼A座三楼东侧男卫生间热水器", "灭火器 MFZ/ABC4 干粉")
DEFAULT_COUNTS = (1_000, 10_000)
LAYOUT = "a4-3x8"


def items(count: int):
    """Generated lazily, as the server's query would yield rows."""
    for serial in range(count):
        yield LabelItem(make_code("asset", serial), NAMES[serial % len(NAMES)])


def run_one(count: int) -> dict[str, float]:
    options = SheetOptions(base_url="https://xj.example.edu.cn", school="某某市第一实验中学后勤处")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "labels.pdf"
        started = time.perf_counter()
        result = render_sheet(items(count), LAYOUTS[LAYOUT], out, options)
        seconds = time.perf_counter() - started
        size_mb = out.stat().st_size / 1e6
    peak_mb = _peak_mb()
    print(
        f"{count:>6} labels  {result.pages:>4} pages  {seconds:6.1f} s  {count / seconds:6.0f} labels/s  "
        f"peak RSS {peak_mb:5.0f} MB  PDF {size_mb:5.1f} MB", flush=True
    )
    return {"labels/s": count / seconds, "peak RSS MB": peak_mb}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _seed_assets(site_id: int, count: int) -> None:
    from sqlalchemy import insert

    from server.extensions import db
    from server.models import Asset

    rows = [{"site_id": site_id, "tag": f"ZC-{n:05d}", "name": NAMES[n % len(NAMES)], "category": "电脑",
             "quantity": 1, "status": "in_use", "version": 1} for n in range(count)]
    db.session.execute(insert(Asset), rows)  # seeding only: straight into the table
    db.session.commit()


def run_server(count: int) -> dict[str, float]:
    os.environ.setdefault("SECRET_KEY", "bench")
    from flask_migrate import upgrade

    from server import create_app
    from server.db import scope_session
    from server.extensions import db
    from server.models import Site
    from server.services import labels

    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3"})
        with app.app_context():
            upgrade()
            site = Site(code="bench", name="某某市第一实验中学后勤处")
            db.session.add(site)
            db.session.commit()
            _seed_assets(site.id, count)
            scope_session(db.session, site.id)
            for run in ("first print", "reprint"):
                started = time.perf_counter()
                sheet = labels.print_sheet(db.session, site, labels.Selection(target="asset"),
                                           labels.PrintSettings(layout=LAYOUT), "https://xj.example.edu.cn",
                                           Path(folder) / "labels.pdf")
                seconds = time.perf_counter() - started
                print(f"{count:>6} assets  {run:<11}  {sheet.result.pages:>4} pages  {seconds:6.1f} s  "
                      f"{count / seconds:6.0f} labels/s  peak RSS {_peak_mb():5.0f} MB", flush=True)
                figures[f"{run} labels/s"] = count / seconds
    return {**figures, "peak RSS MB": _peak_mb()}


FIGURES = "figures: "


def one_run(count: int, server: bool) -> dict[str, float]:
    """One run in a fresh process (its own peak memory); its figures come back on its last line."""
    done = subprocess.run([sys.executable, __file__, *(["--server"] if server else []), "--one", str(count)],
                          check=True, stdout=subprocess.PIPE, text=True)  # its errors go straight to the terminal
    *lines, last = done.stdout.splitlines()
    print("\n".join(lines), flush=True)
    return json.loads(last.removeprefix(FIGURES))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", action="store_true", help="the server's print of a school's assets")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("counts", type=int, nargs="*", default=list(DEFAULT_COUNTS))
    args = parser.parse_args()
    if args.one is not None:
        print(FIGURES + json.dumps((run_server if args.server else run_one)(args.one)))
        return
    # Only here: a run's process is measured for its peak memory, and bench.common brings SQLAlchemy.
    from bench.common import machine, print_spreads
    print(f"layout {LAYOUT}{', server on SQLite' if args.server else ''}; {machine()}", flush=True)
    for count in args.counts:
        runs = [one_run(count, args.server) for _ in range(args.runs)]
        print_spreads(f"{count} {'assets' if args.server else 'labels'}", runs, fmt="{:.0f}", unit="")
        print(flush=True)


if __name__ == "__main__":
    main()
