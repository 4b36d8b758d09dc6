"""Console pages of checklists, fixes and reports."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("inspections_console", __name__, url_prefix="/admin")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
