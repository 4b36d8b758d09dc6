"""Console pages: checklist templates (versions and the draft editor), corrective actions, and the
reports with charts, print layout and exports. Forms go through the API's own schemas and services."""
from __future__ import annotations

import math

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from server.api import inspection_schemas as s
from server.api.reports import download
from server.console import console_login_required, register_nav
from server.extensions import db
from server.i18n import translate
from server.models import ACTION_STATUSES, ITEM_KINDS, TEMPLATE_CATEGORIES, User, utcnow
from server.services import actions, catalog, charts, reports, templates
from server.services.errors import DomainError

bp = Blueprint("inspections_console", __name__, url_prefix="/admin")
PER_PAGE = 50

# -- templates ------------------------------------------------------------------------------------


@bp.route("/templates")
@console_login_required()
def template_list():
    families: dict[str, list] = {}
    for version in templates.latest_versions(db.session, g.user.site_id):
        families.setdefault(version.family, []).append(version)
    return render_template("console/inspections/templates.html", families=families)


@bp.route("/templates/<int:version_id>")
@console_login_required()
def template_detail(version_id: int):
    version = _version(version_id)
    return render_template("console/inspections/template.html", version=version, kinds=ITEM_KINDS)


def _version(version_id: int):
    try:
        return templates.get(db.session, g.user.site_id, version_id)
    except DomainError:
        abort(404)


STEPS = {"copy": templates.new_draft, "publish": templates.publish, "retire": templates.retire}


@bp.route("/templates/<int:version_id>/<any(copy, publish, retire):step>", methods=["POST"])
@console_login_required()
def template_step(version_id: int, step: str):
    try:
        version = STEPS[step](db.session, _version(version_id))
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".template_detail", version_id=version_id))
    db.session.commit()
    flash(translate(f"insp.done.{step}"), "ok")
    return redirect(url_for(".template_detail", version_id=version.id))


def _save_draft(version_id: int, changes: dict):
    """Validate `changes` with the API's schema and apply them to the draft; flash what went wrong."""
    version = _version(version_id)
    try:
        templates.update_draft(db.session, version, s.TemplateEditSchema().load(changes))
    except ValidationError as exc:
        flash(translate("insp.invalid", errors=exc.messages), "error")
        return redirect(url_for(".template_detail", version_id=version_id))
    except DomainError as exc:
        flash(f"{exc.message}: {exc.details}", "error")
        return redirect(url_for(".template_detail", version_id=version_id))
    db.session.commit()
    flash(translate("insp.saved"), "ok")
    return redirect(url_for(".template_detail", version_id=version_id))


SETTINGS = ("name", "name_en", "deadline_hours", "max_score")
ITEM_TEXT_FIELDS = ("text", "text_en", "unit")
ITEM_NUMBER_FIELDS = ("points", "min", "max", "pass_min")
ITEM_FLAGS = ("hazard", "photo_on_fail", "note_on_fail", "creates_action")


@bp.route("/templates/<int:version_id>/settings", methods=["POST"])
@console_login_required()
def template_settings(version_id: int):
    return _save_draft(version_id, {name: request.form[name] for name in SETTINGS if request.form.get(name)})


def _number_or_none(raw: str | None):
    return None if raw in (None, "") else raw


def _item_from_form(item: dict, prefix: str) -> dict:
    """The item with what the form says about it (fields named `<prefix><field>`)."""
    edited = dict(item)
    for name in ITEM_TEXT_FIELDS:
        if f"{prefix}{name}" in request.form:
            edited[name] = request.form[f"{prefix}{name}"]
    for name in ITEM_NUMBER_FIELDS:
        if f"{prefix}{name}" in request.form:
            edited[name] = _number_or_none(request.form[f"{prefix}{name}"])
    for name in ITEM_FLAGS:
        edited[name] = f"{prefix}{name}" in request.form
    return {k: v for k, v in edited.items() if v is not None}


@bp.route("/templates/<int:version_id>/items", methods=["POST"])
@console_login_required()
def template_items(version_id: int):
    version = _version(version_id)
    return _save_draft(version_id, {"items": [_item_from_form(item, f"{item['key']}.") for item in version.items]})


def _options_from_text(text: str) -> list[dict]:
    """Choice options typed one per line as `key|中文|English|fail`."""
    options = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if parts[0]:
            options.append({"key": parts[0], "text": parts[1] if len(parts) > 1 else parts[0],
                            "text_en": parts[2] if len(parts) > 2 else "",
                            "fail": len(parts) > 3 and parts[3].lower() in ("fail", "1", "x", "不合格")})
    return options


@bp.route("/templates/<int:version_id>/items/add", methods=["POST"])
@console_login_required()
def template_add_item(version_id: int):
    version = _version(version_id)
    item = _item_from_form({"key": request.form.get("key", ""), "kind": request.form.get("kind", "")}, "new.")
    if item["kind"] == "choice":
        item["options"] = _options_from_text(request.form.get("new.options", ""))
    return _save_draft(version_id, {"items": [*version.items, item]})


@bp.route("/templates/<int:version_id>/items/<key>/<any(up, down, delete):move>", methods=["POST"])
@console_login_required()
def template_move_item(version_id: int, key: str, move: str):
    version = _version(version_id)
    if move == "delete":
        items = [item for item in version.items if item["key"] != key]
    else:
        try:
            items = templates.move_item(version.items, key, -1 if move == "up" else 1)
        except DomainError:
            abort(404)
    return _save_draft(version_id, {"items": items})


# -- corrective actions ---------------------------------------------------------------------------

def _action_args() -> dict:
    try:
        args = s.ActionArgsSchema().load({k: v for k, v in request.args.items() if v != ""})
    except ValidationError:
        args = s.ActionArgsSchema().load({})
    return args


@bp.route("/actions")
@console_login_required()
def action_list():
    args = _action_args()
    listing = catalog.page(db.session, actions.listing(g.user.site_id, args), args["page"], PER_PAGE)
    listing.update(pages=max(1, math.ceil(listing["total"] / PER_PAGE)),
                   args={k: v for k, v in request.args.items() if k != "page" and v != ""})
    people = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.display_name)).all()
    return render_template("console/inspections/actions.html", listing=listing, statuses=ACTION_STATUSES,
                           people=people, now=utcnow(), is_overdue=actions.is_overdue)


def _action(action_id: int):
    try:
        return actions.get(db.session, g.user.site_id, action_id)
    except DomainError:
        abort(404)


@bp.route("/actions/<int:action_id>")
@console_login_required()
def action_detail(action_id: int):
    action = _action(action_id)
    people = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.display_name)).all()
    return render_template("console/inspections/action.html", action=action, trail=actions.events(db.session, action),
                           people=people, overdue=actions.is_overdue(action))


@bp.route("/actions/<int:action_id>/status", methods=["POST"])
@console_login_required()
def action_status(action_id: int):
    action = _action(action_id)
    try:
        data = s.StatusChangeSchema().load({"status": request.form.get("status", ""),
                                            "note": request.form.get("note") or None})
        actions.report_status(db.session, action, g.user, data["status"], note=data.get("note"), photos=[],
                              record_uuid=None, at=utcnow())
    except ValidationError as exc:
        flash(translate("insp.invalid", errors=exc.messages), "error")
        return redirect(url_for(".action_detail", action_id=action_id))
    db.session.commit()
    flash(translate("insp.saved"), "ok")
    return redirect(url_for(".action_detail", action_id=action_id))


@bp.route("/actions/<int:action_id>/assign", methods=["POST"])
@console_login_required()
def action_assign(action_id: int):
    action = _action(action_id)
    try:
        data = s.ReassignSchema().load({"assignee_id": request.form.get("assignee_id"),
                                        "version": request.form.get("version")})
        actions.reassign(db.session, action, data["assignee_id"], data["version"], g.user)
    except ValidationError as exc:
        flash(translate("insp.invalid", errors=exc.messages), "error")
        return redirect(url_for(".action_detail", action_id=action_id))
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".action_detail", action_id=action_id))
    db.session.commit()
    flash(translate("insp.saved"), "ok")
    return redirect(url_for(".action_detail", action_id=action_id))


# -- reports --------------------------------------------------------------------------------------

REPORT_ARGS = {"daily-notice": s.DayArgsSchema, "weekly-ranking": s.DayArgsSchema,
               "canteen": s.PeriodArgsSchema, "coverage": s.CoverageArgsSchema}


def _report(name: str) -> tuple[dict, dict]:
    """The report and the arguments it ran with; bad arguments fall back to the defaults, said in a flash."""
    if name not in REPORT_ARGS:
        abort(404)
    raw = {k: v for k, v in request.args.items() if v != "" and k not in ("format", "table")}
    try:
        args = REPORT_ARGS[name]().load(raw)
    except ValidationError as exc:
        flash(translate("insp.invalid", errors=exc.messages), "error")
        args = REPORT_ARGS[name]().load({})
    try:
        return reports.run(db.session, g.user.site_id, name, args), raw
    except DomainError as exc:
        flash(exc.message, "error")
        return reports.run(db.session, g.user.site_id, name, {}), {}


def _charts(name: str, report: dict) -> dict:
    if name == "daily-notice":
        return {"scores": charts.bar_chart([(s["room"], s["score"]) for s in report["scores"]])}
    if name == "weekly-ranking":
        return {"rooms": charts.bar_chart([(r["name"], r["average"]) for r in report["levels"]["floor"]])}
    if name == "canteen":
        return {"days": charts.line_chart([(d["day"].isoformat(), d["pass_rate"]) for d in report["days"]]),
                "zones": charts.bar_chart([(z["name"], z["pass_rate"]) for z in report["zones"]])}
    top = max([p["checks"] for p in report["inspectors"]] or [1])
    return {"people": charts.bar_chart([(p["name"], p["checks"]) for p in report["inspectors"]], top=top)}


@bp.route("/reports")
@console_login_required()
def report_index():
    return redirect(url_for(".report", name="daily-notice"))


def _render_report(name: str, layout: str):
    result, args = _report(name)
    return render_template(f"console/inspections/report_{name.replace('-', '_')}.html", name=name, report=result,
                           args=args, charts=_charts(name, result), layout=layout, categories=TEMPLATE_CATEGORIES)


@bp.route("/reports/<name>")
@console_login_required()
def report(name: str):
    return _render_report(name, "console/base.html")


@bp.route("/reports/<name>/print")
@console_login_required()
def report_print(name: str):
    return _render_report(name, "console/inspections/print.html")


@bp.route("/reports/<name>/export")
@console_login_required()
def report_export(name: str):
    result, _ = _report(name)
    fmt = request.args.get("format", "xlsx")
    return download(name, result, fmt if fmt in ("csv", "xlsx") else "xlsx", request.args.get("table"))


def local_time(moment) -> str:
    """A stored UTC time as the school reads it."""
    return "" if moment is None else actions.to_utc(moment).astimezone(actions.SCHOOL_TZ).strftime("%Y-%m-%d %H:%M")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.filters["local_time"] = local_time
    for endpoint, label in ((".template_list", "insp.templates"), (".action_list", "insp.actions"),
                            (".report_index", "insp.reports")):
        register_nav(f"inspections_console{endpoint}", label)
