"""The app as a production server runs it: `gunicorn 'server.wsgi:app'` (scripts/demo.sh, README)."""
from __future__ import annotations

from server import create_app, served

app = served(create_app())
