"""Label sheet throughput and peak memory: `python bench/labels_bench.py [counts...]`.

Each count runs in a fresh process so its peak resident memory is its own. Prints figures; no asserts.
"""

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
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{count:>6} labels  {result.pages:>4} pages  {seconds:6.1f} s  {count / seconds:6.0f} labels/s  "
        f"peak RSS {peak_mb:5.0f} MB  PDF {size_mb:5.1f} MB"
    )


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        run_one(int(argv[1]))
        return
    print(f"layout {LAYOUT}, Python {sys.version.split()[0]}")
    for count in [int(arg) for arg in argv] or DEFAULT_COUNTS:
        subprocess.run([sys.executable, __file__, "--one", str(count)], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
