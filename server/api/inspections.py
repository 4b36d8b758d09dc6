"""Checklist templates (versions) and corrective actions of the caller's school."""
from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from server.api import inspection_schemas as s
from server.api.jsonio import Blueprint
from server.api.schemas import page_schema
from server.auth import current_site_id, current_user, token_required
from server.extensions import db
from server.models import TemplateVersion, utcnow
from server.services import actions, catalog, templates

blp = Blueprint("inspections", __name__, url_prefix="/api/v1", description="Checklists and fixes (整改)")


@blp.route("/templates")
class Templates(MethodView):
    @token_required()
    @blp.arguments(s.TemplateArgsSchema, location="query")
    @blp.response(200, page_schema(s.TemplateSchema, "TemplatePage"))
    def get(self, args):
        """Template versions of the school, by family, newest first."""
        stmt = select(TemplateVersion).order_by(TemplateVersion.family, TemplateVersion.number.desc())
        for name in ("family", "status"):
            if args.get(name):
                stmt = stmt.where(getattr(TemplateVersion, name) == args[name])
        return catalog.page(db.session, stmt, args["page"], args["per_page"])


@blp.route("/templates/<int:version_id>")
class TemplateItem(MethodView):
    @token_required()
    @blp.response(200, s.TemplateSchema)
    def get(self, version_id):
        """One template version with its items."""
        return templates.get(db.session, current_site_id(), version_id)

    @token_required("admin")
    @blp.arguments(s.TemplateEditSchema)
    @blp.response(200, s.TemplateSchema)
    def patch(self, data, version_id):
        """Edit a draft (published versions are frozen; copy them first)."""
        draft = templates.update_draft(db.session, templates.get(db.session, current_site_id(), version_id), data)
        db.session.commit()
        return draft


def _template_step(step):
    def view(version_id):
        version = step(db.session, templates.get(db.session, current_site_id(), version_id))
        db.session.commit()
        return version
    return view


for _path, _step, _doc in (
    ("copy", templates.new_draft, "Copy this version into a new draft (or answer the open draft)."),
    ("publish", templates.publish, "Publish a draft; the version it replaces is retired."),
    ("retire", templates.retire, "Retire a version: phones drop it, its records keep reporting."),
):
    _view = _template_step(_step)
    _view.__doc__ = _doc
    _view.__name__ = f"template_{_path}"
    blp.route(f"/templates/<int:version_id>/{_path}", methods=["POST"])(
        token_required("admin")(blp.response(200, s.TemplateSchema)(_view)))


@blp.route("/actions")
class Actions(MethodView):
    @token_required()
    @blp.arguments(s.ActionArgsSchema, location="query")
    @blp.response(200, page_schema(s.ActionSchema, "ActionPage"))
    def get(self, args):
        """Corrective actions, soonest deadline first; `overdue=true` for the late ones."""
        return catalog.page(db.session, actions.listing(current_site_id(), args), args["page"], args["per_page"])


@blp.route("/actions/<int:action_id>")
class ActionItem(MethodView):
    @token_required()
    @blp.response(200, s.ActionDetailSchema)
    def get(self, action_id):
        """One action with its trail."""
        action = actions.get(db.session, current_site_id(), action_id)
        action.events = actions.events(db.session, action)
        return action

    @token_required("admin")
    @blp.arguments(s.ReassignSchema)
    @blp.response(200, s.ActionSchema)
    def patch(self, data, action_id):
        """Reassign: the new fixer's phone gets it, the old one's loses it."""
        action = actions.get(db.session, current_site_id(), action_id)
        actions.reassign(db.session, action, data["assignee_id"], data["version"], current_user())
        db.session.commit()
        return action


@blp.route("/actions/<int:action_id>/status", methods=["POST"])
@token_required("admin", "inspector")
@blp.arguments(s.StatusChangeSchema)
@blp.response(200, s.ActionSchema)
def change_action_status(data, action_id):
    """Verify (复查 passed) or reopen a fix without a full re-check."""
    action = actions.get(db.session, current_site_id(), action_id)
    actions.report_status(db.session, action, current_user(), data["status"], note=data.get("note"), photos=[],
                          record_uuid=None, at=utcnow())
    db.session.commit()
    return action
