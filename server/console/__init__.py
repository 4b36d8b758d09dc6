"""The admin web console: server-rendered pages with session login, CSRF tokens and a strict CSP."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, send_file, session, url_for
from sqlalchemy import func, select

from server.db import scope_session
from server.extensions import db
from server.i18n import current_language, translate
from server.models import ASSET_STATUSES, ROLES, ROOM_KINDS, Asset, Building, Device, Room, User
from server.photo_store import store
from server.services import accounts, catalog
from sync import attachments
from sync.records import MAX_DB_INT, SHA256_HEX

bp = Blueprint("console", __name__, url_prefix="/admin")
PER_PAGE = 50


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str


_nav: list[NavItem] = []


def register_nav(endpoint: str, label: str) -> None:
    """Other capabilities add their console pages to the top bar with this."""
    if NavItem(endpoint, label) not in _nav:
        _nav.append(NavItem(endpoint, label))


def console_login_required(*roles: str):
    """A logged-in, active user of the console; with roles, one of them (admin by default)."""
    wanted = roles or ("admin",)

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user_id = session.get("user_id")
            user = db.session.get(User, user_id) if user_id else None
            if user is None or not user.active:
                session.clear()
                return redirect(url_for("console.login", next=request.path))
            if not user.has_role(*wanted):
                abort(403)
            g.user = user
            scope_session(db.session, user.site_id)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def page_number() -> int:
    """The list page the URL asks for: 1 unless it names a page number the database can count to."""
    return max(1, database_int(request.args.get("page", "")) or 1)


def _page_args() -> tuple[int, dict]:
    return page_number(), {k: v for k, v in request.args.items() if k != "page" and v != ""}


def database_int(text: str) -> int | None:
    """A number typed into a URL, if the database's integer columns can hold it (a filter or page beyond
    them failed the page's query: SQLite's driver refuses integers beyond 64 bits, PostgreSQL beyond its
    own)."""
    try:
        number = int(text)
    except ValueError:
        return None
    return number if -MAX_DB_INT <= number <= MAX_DB_INT else None


def _listing(model, equal, search, order_by, int_fields=()):
    """One page of a list, filtered by the URL's arguments. A number filter goes to the query as a number
    (PostgreSQL compares no integer column with text: filtering rooms by building was a 500 page there)
    and back to the page as the text its select box spells its options in."""
    page_no, args = _page_args()
    filters = dict(args)
    for name in int_fields:
        number = database_int(args.pop(name, ""))
        filters.pop(name, None)
        if number is not None:
            args[name], filters[name] = str(number), number
    result = catalog.page(db.session, catalog.filtered(model, filters, equal, search, order_by), page_no, PER_PAGE)
    result["pages"] = max(1, math.ceil(result["total"] / PER_PAGE))
    result["args"] = args
    return result


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        user = accounts.check_password(db.session, request.form.get("username", ""),
                                       request.form.get("password", ""))
        if user is not None and user.has_role("admin"):
            session.clear()
            session["user_id"] = user.id
            target = request.args.get("next", "")
            # Only same-site paths, so the login form cannot bounce a user to another site.
            return redirect(target if target.startswith("/admin") else url_for("console.dashboard"))
        flash(translate("login_failed"), "error")
    return render_template("console/login.html")


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("console.login"))


@bp.route("/lang/<lang>")
def switch_language(lang: str):
    target = request.referrer or url_for("console.dashboard")
    response = redirect(target if target.startswith(request.host_url) else url_for("console.dashboard"))
    response.set_cookie("lang", lang if lang in ("zh", "en") else "zh", max_age=365 * 86400, samesite="Lax")
    return response


@bp.route("/")
@console_login_required()
def dashboard():
    counts = {
        "rooms": db.session.scalar(select(func.count(Room.id))),
        "assets": db.session.scalar(select(func.count(Asset.id))),
        "users": db.session.scalar(select(func.count(User.id))),
        "devices": db.session.scalar(select(func.count(Device.id)).where(Device.revoked_at.is_(None))),
    }
    return render_template("console/dashboard.html", counts=counts)


@bp.route("/buildings")
@console_login_required()
def buildings():
    listing = _listing(Building, (), ("name",), "name")
    return render_template("console/buildings.html", listing=listing)


@bp.route("/rooms")
@console_login_required()
def rooms():
    listing = _listing(Room, ("building_id", "kind", "floor"), ("name", "class_name"), "name",
                       int_fields=("building_id", "floor"))
    buildings = db.session.scalars(select(Building).order_by(Building.name)).all()
    return render_template("console/rooms.html", listing=listing, buildings=buildings, kinds=ROOM_KINDS)


@bp.route("/assets")
@console_login_required()
def assets():
    listing = _listing(Asset, ("category", "status"), ("tag", "name"), "tag")
    categories = db.session.scalars(select(Asset.category).distinct().order_by(Asset.category)).all()
    return render_template("console/assets.html", listing=listing, categories=categories,
                           statuses=ASSET_STATUSES)


@bp.route("/users")
@console_login_required()
def users():
    listing = _listing(User, (), ("username", "display_name"), "username")
    return render_template("console/users.html", listing=listing, roles=ROLES)


@bp.route("/devices")
@console_login_required()
def devices():
    page_no, args = _page_args()
    stmt = select(Device).order_by(Device.created_at.desc(), Device.id.desc())
    listing = catalog.page(db.session, stmt, page_no, PER_PAGE)
    listing.update(pages=max(1, math.ceil(listing["total"] / PER_PAGE)), args=args)
    return render_template("console/devices.html", listing=listing)


@bp.route("/devices/<int:device_id>/revoke", methods=["POST"])
@console_login_required()
def revoke_device(device_id: int):
    device = db.session.scalar(select(Device).where(Device.id == device_id))
    if device is None:
        abort(404)
    accounts.revoke(device)
    db.session.commit()
    flash(translate("revoke_done"), "ok")
    return redirect(url_for("console.devices"))


@bp.route("/photos/<string(length=64):sha256>")
@console_login_required()
def photo(sha256: str):
    """One of this school's photos, shown in report pages (the session is scoped to the school)."""
    found = attachments.find(db.session, sha256) if SHA256_HEX.match(sha256) else None
    if found is None:
        abort(404)
    response = send_file(store().open(sha256), mimetype=found.content_type, max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def init_app(app: Flask) -> None:
    from server.console import catalog_forms

    app.register_blueprint(bp)
    catalog_forms.init_app(app)
    app.jinja_env.globals.update(t=translate, current_language=current_language, console_nav=_nav)
