"""Label sheet throughput and peak memory: `python bench/labels_bench.py [--server] [counts...]`.

By default it times qr_labels alone on generated items. With --server it times what an admin waits for:
the server's print of a school's assets from a fresh SQLite database, first print (codes created,
phones' change feed written) and reprint. Each count runs in a fresh process so its peak resident
memory is its own. Prints figures; no asserts.
"""

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


def run_one(count: int) -> None:
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
        f"peak RSS {peak_mb:5.0f} MB  PDF {size_mb:5.1f} MB"
    )


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


def run_server(count: int) -> None:
    os.environ.setdefault("SECRET_KEY", "bench")
    from flask_migrate import upgrade

    from server import create_app
    from server.db import scope_session
    from server.extensions import db
    from server.models import Site
    from server.services import labels

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


def main(argv: list[str]) -> None:
    if argv[:1] in (["--one"], ["--one-server"]):
        (run_server if argv[0] == "--one-server" else run_one)(int(argv[1]))
        return
    server = argv[:1] == ["--server"]
    counts = [int(arg) for arg in argv[server:]] or DEFAULT_COUNTS
    print(f"layout {LAYOUT}, Python {sys.version.split()[0]}{', server on SQLite' if server else ''}")
    for count in counts:
        subprocess.run([sys.executable, __file__, "--one-server" if server else "--one", str(count)], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
