"""Console pages of sync: conflicts to resolve, and what phones sent that could not be stored."""
from __future__ import annotations

import json
import math

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, url_for

from server.console import PER_PAGE, console_login_required, page_number, register_nav
from server.extensions import db
from server.i18n import translate
from server.services import catalog
from server.services.errors import DomainError
from sync import conflicts

bp = Blueprint("sync_console", __name__, url_prefix="/admin/sync")
QUARANTINE_REASONS = ("rejected", "uuid_reused", "never_applied")


def _page(stmt, **args) -> dict:
    listing = catalog.page(db.session, stmt, page_number(), PER_PAGE)
    listing.update(pages=max(1, math.ceil(listing["total"] / PER_PAGE)), args=args)
    return listing


@bp.route("/conflicts")
@console_login_required()
def conflict_list():
    show_all = request.args.get("all") == "1"
    listing = _page(conflicts.conflicts_query(open_only=not show_all), **({"all": "1"} if show_all else {}))
    return render_template("console/sync/conflicts.html", listing=listing, show_all=show_all)


@bp.route("/conflicts/<int:conflict_id>/resolve", methods=["POST"])
@console_login_required()
def resolve(conflict_id: int):
    try:
        conflicts.resolve(db.session, conflict_id, g.user, request.form.get("choice", ""))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(translate("sync.resolved"), "ok")
    return redirect(url_for("sync_console.conflict_list"))


@bp.route("/quarantine")
@console_login_required()
def quarantine():
    reason = request.args.get("reason") if request.args.get("reason") in QUARANTINE_REASONS else None
    listing = _page(conflicts.quarantine_query(reason), **({"reason": reason} if reason else {}))
    held = db.session.scalars(conflicts.held_query(g.user.site_id).limit(PER_PAGE)).all()
    return render_template("console/sync/quarantine.html", listing=listing, held=held, reason=reason,
                           reasons=QUARANTINE_REASONS)


def pretty_json(value) -> str:
    """JSON as an admin reads it (Chinese as is); a plain string, so the template escapes it."""
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.filters["pretty_json"] = pretty_json
    register_nav("sync_console.conflict_list", "sync.conflicts")
    register_nav("sync_console.quarantine", "sync.quarantine")
