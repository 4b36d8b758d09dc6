"""Console pages of the asset ledger and stocktakes: ledger import (mapping, dry run, import with a
progress bar), asset history with lifecycle steps, printable room registers, and stocktakes with
live progress, reconciliation (page, XLSX, printable report) and approval."""
from __future__ import annotations

from datetime import date
from functools import partial

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import select

from server import jobs
from server.api import asset_schemas
from server.asset_area import import_dir
from server.console import console_login_required, database_int, register_nav
from server.extensions import db
from server.i18n import translate
from server.models import LIFECYCLE_KINDS, ROOM_KINDS, Asset, Building, Room, Stocktake, User
from server.services import catalog, ledger_import, lifecycle, stocktake_export, stocktakes
from server.services.errors import DomainError
from server.services.ledger_file import FIELDS
from server.services.reconcile import BUCKETS

bp = Blueprint("assets_console", __name__, url_prefix="/admin")


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    fields = exc.details.get("fields") or {}
    flash(" ".join([exc.message, *(m for msgs in fields.values() for m in msgs)]), "error")


# -- ledger import -----------------------------------------------------------------------------

@bp.route("/ledger/imports", methods=["GET", "POST"])
@console_login_required()
def imports():
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(translate("import.choose_file"), "error")
            return redirect(url_for(".imports"))
        limit = current_app.config["LEDGER_MAX_BYTES"]
        data = upload.stream.read(limit + 1)  # read one byte past the limit, never the whole body
        try:
            job = ledger_import.create_import(db.session, g.user.site_id, g.user, upload.filename, data,
                                              import_dir(), limit)
            db.session.commit()
        except DomainError as exc:
            _fail(exc)
            return redirect(url_for(".imports"))
        return redirect(url_for(".import_detail", import_id=job.id))
    recent = db.session.scalars(select(ledger_import.LedgerImport)
                                .order_by(ledger_import.LedgerImport.id.desc()).limit(20)).all()
    return render_template("console/assets/imports.html", imports=recent)


@bp.route("/ledger/imports/<int:import_id>")
@console_login_required()
def import_detail(import_id: int):
    job = ledger_import.get_import(db.session, import_id)
    return render_template("console/assets/import.html", job=job, fields=FIELDS)


def _start(job, *, apply: bool) -> None:
    ledger_import.start(job, apply=apply)
    db.session.commit()
    jobs.start(current_app._get_current_object(), partial(
        ledger_import.run_job, db.session, g.user.site_id, job.id, import_dir(), today=date.today()))


@bp.route("/ledger/imports/<int:import_id>/check", methods=["POST"])
@console_login_required()
def import_check(import_id: int):
    job = ledger_import.get_import(db.session, import_id)
    mapping = [request.form.get(f"col{i}") or None for i in range(len(job.headers))]
    try:
        ledger_import.set_mapping(job, mapping)
        _start(job, apply=False)
    except DomainError as exc:
        _fail(exc)
    return redirect(url_for(".import_detail", import_id=import_id))


@bp.route("/ledger/imports/<int:import_id>/apply", methods=["POST"])
@console_login_required()
def import_apply(import_id: int):
    job = ledger_import.get_import(db.session, import_id)
    try:
        _start(job, apply=True)
    except DomainError as exc:
        _fail(exc)
    return redirect(url_for(".import_detail", import_id=import_id))


@bp.route("/ledger/imports/<int:import_id>/status.json")
@console_login_required()
def import_status(import_id: int):
    """What the progress bar polls (static/ledger_import.js)."""
    job = ledger_import.get_import(db.session, import_id)
    return jsonify(state=job.state, applying=job.applying, processed=job.processed_rows, total=job.total_rows,
                   bad=len(job.bad_rows), summary=job.summary)


# -- assets and rooms --------------------------------------------------------------------------

@bp.route("/assets/<int:asset_id>/history", methods=["GET", "POST"])
@console_login_required()
def asset_history(asset_id: int):
    asset = catalog.get(db.session, Asset, asset_id)
    if request.method == "POST":
        form = request.form
        step = lifecycle.EventInput(
            kind=form.get("kind", ""), to_room_id=database_int(form.get("to_room_id", "")),
            department=form.get("department") or None, custodian=form.get("custodian") or None,
            note=form.get("note") or None)
        try:
            lifecycle.record(db.session, asset, g.user, step)
            db.session.commit()
            flash(translate("saved"), "ok")
        except DomainError as exc:
            _fail(exc)
        return redirect(url_for(".asset_history", asset_id=asset_id))
    rooms = db.session.scalars(select(Room).order_by(Room.name)).all()
    return render_template("console/assets/history.html", asset=asset, rooms=rooms, kinds=LIFECYCLE_KINDS,
                           events=lifecycle.history(db.session, asset_id))


@bp.route("/rooms/<int:room_id>/register")
@console_login_required()
def room_register(room_id: int):
    room, assets = lifecycle.room_register(db.session, room_id)
    return render_template("console/assets/register.html", room=room, assets=assets)


# -- stocktakes --------------------------------------------------------------------------------

@bp.route("/stocktakes", methods=["GET", "POST"])
@console_login_required()
def stocktake_list():
    if request.method == "POST":
        form = request.form
        data = {"name": form.get("name", ""), "building_ids": form.getlist("building_ids"),
                "room_kinds": form.getlist("room_kinds"), "categories": form.getlist("categories"),
                "note": form.get("note") or None}
        errors = asset_schemas.StocktakeSchema().validate(data)
        if errors:
            flash(" ".join(f"{k}: {v}" for k, v in errors.items()), "error")
            return redirect(url_for(".stocktake_list"))
        try:
            stocktake = stocktakes.open_stocktake(db.session, g.user.site_id, g.user,
                                                  **asset_schemas.StocktakeSchema().load(data))
            db.session.commit()
            return redirect(url_for(".stocktake_detail", stocktake_id=stocktake.id))
        except DomainError as exc:
            _fail(exc)
    listing = db.session.scalars(select(Stocktake).order_by(Stocktake.opened_at.desc(), Stocktake.id.desc()))
    return render_template(
        "console/assets/stocktakes.html", stocktakes=listing.all(), kinds=ROOM_KINDS,
        buildings=db.session.scalars(select(Building).order_by(Building.name)).all(),
        categories=db.session.scalars(select(Asset.category).distinct().order_by(Asset.category)).all())


def _review(stocktake_id: int) -> dict:
    """Everything the review page and the printable report show."""
    stocktake = stocktakes.get(db.session, stocktake_id)
    result = stocktakes.result(db.session, stocktake)
    rooms, buildings = stocktakes.live_progress(db.session, result)
    return {"stocktake": stocktake, "result": result, "buckets": BUCKETS, "rooms_progress": rooms,
            "buildings_progress": buildings, "scan_count": stocktakes.scan_count(db.session, stocktake_id),
            "names": stocktake_export.Names.load(db.session, result)}


@bp.route("/stocktakes/<int:stocktake_id>")
@console_login_required()
def stocktake_detail(stocktake_id: int):
    return render_template("console/assets/stocktake.html", **_review(stocktake_id))


@bp.route("/stocktakes/<int:stocktake_id>/report")
@console_login_required()
def stocktake_report(stocktake_id: int):
    return render_template("console/assets/stocktake_report.html", **_review(stocktake_id))


@bp.route("/stocktakes/<int:stocktake_id>/reconciliation.xlsx")
@console_login_required()
def stocktake_xlsx(stocktake_id: int):
    review = _review(stocktake_id)
    stream = stocktake_export.workbook(review["stocktake"], review["result"], review["names"], translate)
    return send_file(stream, as_attachment=True, download_name=f"stocktake-{stocktake_id}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/stocktakes/<int:stocktake_id>/approve", methods=["POST"])
@console_login_required()
def stocktake_approve(stocktake_id: int):
    stocktake = stocktakes.get(db.session, stocktake_id)
    seen = request.form.get("scan_count", "")
    if not seen.isdigit():
        abort(400)
    try:
        stocktakes.approve(db.session, stocktake, db.session.get(User, g.user.id), int(seen))
        db.session.commit()
        flash(translate("stocktake.approved_done"), "ok")
    except DomainError as exc:
        _fail(exc)
    return redirect(url_for(".stocktake_detail", stocktake_id=stocktake_id))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    register_nav("assets_console.stocktake_list", "nav.stocktakes")
    register_nav("assets_console.imports", "nav.ledger_import")
