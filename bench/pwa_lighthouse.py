"""Lighthouse 12.2.3 audit of the phone app, mobile form factor (Moto G Power emulation, simulated
slow 4G and 4× CPU slowdown, Lighthouse's defaults), on Debian's chromium against a real server on
loopback. Lighthouse is installed here on first run (bench/lighthouse, its own package-lock), not
by scripts/setup.sh: the test suite does not need its 110 MB.

    .venv/bin/python bench/pwa_lighthouse.py [--path /app/] [--runs 3]

Prints the category scores and the main timings (median of the runs) and writes each report's
JSON to bench/results/.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LH_DIR = ROOT / "bench" / "lighthouse"
LH_BIN = LH_DIR / "node_modules" / ".bin" / "lighthouse"
RESULTS = ROOT / "bench" / "results"
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking "
                "--disable-component-update --disable-sync --disable-dev-shm-usage")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
METRICS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift",
           "speed-index", "interactive")

sys.path.insert(0, str(ROOT))


def ensure_lighthouse() -> None:
    if not LH_BIN.exists():
        print("installing lighthouse@12.2.3 into bench/lighthouse …", flush=True)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=LH_DIR, check=True)


def migrated_database(tmp: Path) -> str:
    from bench.common import migrated_app

    url = f"sqlite:///{tmp / 'lh.sqlite3'}"
    migrated_app(url)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/app/")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ensure_lighthouse()
    RESULTS.mkdir(exist_ok=True)
    from tests.pwa_support import ServerProcess

    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(migrated_database(Path(tmp)), str(Path(tmp) / "attachments"))
        server.start()
        try:
            reports = []
            for run in range(args.runs):
                out = RESULTS / f"lighthouse-{run + 1}.json"
                subprocess.run([
                    str(LH_BIN), server.url + args.path, "--quiet", "--output=json", f"--output-path={out}",
                    "--chrome-path=/usr/bin/chromium", f"--chrome-flags={CHROME_FLAGS}",
                    f"--only-categories={','.join(CATEGORIES)}", "--form-factor=mobile",
                ], check=True, env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"})
                reports.append(json.loads(out.read_text()))
        finally:
            server.stop()

    print(f"Lighthouse {reports[0]['lighthouseVersion']} · {server.url}{args.path} · mobile · "
          f"median of {len(reports)} runs")
    for cat in CATEGORIES:
        scores = [r["categories"][cat]["score"] for r in reports]
        print(f"  {cat:<16} {round(statistics.median(scores) * 100):>4}")
    for metric in METRICS:
        values = [r["audits"][metric]["numericValue"] for r in reports]
        unit = "" if metric == "cumulative-layout-shift" else " ms"
        value = statistics.median(values)
        print(f"  {metric:<26} {value:>8.3f}" if not unit else f"  {metric:<26} {value:>8.0f}{unit}")
    failing = sorted({a["id"] for r in reports for a in r["audits"].values()
                      if a.get("score") is not None and a["score"] < 0.9 and a.get("scoreDisplayMode") == "binary"})
    if failing:
        print("  binary audits failing in some run:", ", ".join(failing))


if __name__ == "__main__":
    main()
