"""The entry point gunicorn serves (scripts/demo.sh, README: `gunicorn 'server.wsgi:app'`)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_production_entry_point_builds_the_app_and_answers(tmp_path):
    probe = ("import gc; from server.wsgi import app; "
             "print(app.test_client().get('/api/v1/openapi.json').status_code, gc.get_freeze_count() > 0)")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "SECRET_KEY": "test",
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["200", "True"]
