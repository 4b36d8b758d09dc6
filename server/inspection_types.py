"""How checklists and fixes travel: templates and assigned actions are pulled; inspections and
action updates are pushed as records. The demo schools get their history of checks and fixes here too."""
from __future__ import annotations

from sqlalchemy.orm import selectinload

from server.api.inspection_schemas import (
    ActionSchema,
    ActionUpdateDataSchema,
    InspectionDataSchema,
    TemplateSchema,
    inspection_photos,
)
from server.models import Action, TemplateVersion
from server.services import demo, inspection_demo
from server.services.inspections import (
    apply_action_update,
    apply_inspection,
    apply_inspections,
    precheck_inspections,
)
from sync import handlers
from sync.feed import register_pull_type


def register_inspection_types() -> None:
    register_pull_type("template", TemplateVersion, TemplateSchema(), same_per_version=True)
    # The dump names the room and the assignee: load them with the page, not one query per fix; and
    # dump it afresh every time (a renamed room leaves the fix's version as it was).
    register_pull_type("action", Action, ActionSchema(),
                       options=(selectinload(Action.room), selectinload(Action.assignee)))
    handlers.register(handlers.RecordHandler(
        type="inspection", schema=InspectionDataSchema, apply=apply_inspection, apply_many=apply_inspections,
        precheck=precheck_inspections, roles=("inspector", "admin"), photos=inspection_photos))
    handlers.register(handlers.RecordHandler(
        type="action_update", schema=ActionUpdateDataSchema, apply=apply_action_update,
        roles=("fixer", "inspector", "admin")))
    demo.register_seeder(inspection_demo.seed_history)
