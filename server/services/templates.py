"""Checklist templates as versioned data: install the built-in ones, copy a version into a draft,
edit the draft, publish it (which retires the version it replaces), retire a version.

A published version never changes again: records point at the exact version they were made with.
"""
from __future__ import annotations

import copy

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import TemplateVersion, utcnow
from server.services.builtin_templates import BUILTIN_TEMPLATES
from server.services.checklists import item_problems
from server.services.errors import Conflict, NotFound, ValidationFailed

EDITABLE_FIELDS = ("name", "name_en", "room_kinds", "asset_categories", "scoring", "max_score",
                   "deadline_hours", "items")
COPIED_FIELDS = ("family", "category", *EDITABLE_FIELDS)


def install_builtin(session: Session, site_id: int) -> list[TemplateVersion]:
    """Publish version 1 of each built-in checklist the school does not have yet; safe to run again."""
    present = set(session.scalars(select(TemplateVersion.family).where(TemplateVersion.site_id == site_id)))
    installed = []
    for spec in BUILTIN_TEMPLATES:
        if spec["family"] in present:
            continue
        version = TemplateVersion(site_id=site_id, number=1, status="published", published_at=utcnow(),
                                  **copy.deepcopy(spec))
        session.add(version)
        installed.append(version)
    session.flush()
    return installed


def get(session: Session, site_id: int, version_id: int) -> TemplateVersion:
    version = session.scalar(select(TemplateVersion).where(
        TemplateVersion.id == version_id, TemplateVersion.site_id == site_id))
    if version is None:
        raise NotFound("no such template version", {"id": version_id})
    return version


def latest_versions(session: Session, site_id: int) -> list[TemplateVersion]:
    """Every version of every family, newest version first within a family."""
    return list(session.scalars(select(TemplateVersion).where(TemplateVersion.site_id == site_id)
                                .order_by(TemplateVersion.family, TemplateVersion.number.desc())))


def new_draft(session: Session, source: TemplateVersion) -> TemplateVersion:
    """A draft copy of `source` numbered after the family's newest version (or the open draft)."""
    existing = session.scalar(select(TemplateVersion).where(
        TemplateVersion.site_id == source.site_id, TemplateVersion.family == source.family,
        TemplateVersion.status == "draft"))
    if existing is not None:
        return existing
    top = session.scalar(select(func.max(TemplateVersion.number)).where(
        TemplateVersion.site_id == source.site_id, TemplateVersion.family == source.family))
    draft = TemplateVersion(site_id=source.site_id, number=top + 1, status="draft",
                            **{name: copy.deepcopy(getattr(source, name)) for name in COPIED_FIELDS})
    session.add(draft)
    session.flush()
    return draft


def update_draft(session: Session, draft: TemplateVersion, changes: dict) -> TemplateVersion:
    if draft.status != "draft":
        raise Conflict("only a draft can be edited; copy this version into a new draft first",
                       code="template_frozen")
    problems = item_problems(changes.get("items", draft.items))
    if problems:
        raise ValidationFailed("some items are not valid", {"fields": {"items": problems}})
    for name in EDITABLE_FIELDS:
        if name in changes:
            setattr(draft, name, copy.deepcopy(changes[name]))
    session.flush()
    return draft


def publish(session: Session, draft: TemplateVersion) -> TemplateVersion:
    """Make the draft the version phones use; the version it replaces is retired (its records stay)."""
    if draft.status != "draft":
        raise Conflict("only a draft can be published", code="template_not_draft")
    now = utcnow()
    for old in session.scalars(select(TemplateVersion).where(
            TemplateVersion.site_id == draft.site_id, TemplateVersion.family == draft.family,
            TemplateVersion.status == "published")):
        old.status, old.retired_at = "retired", now
    draft.status, draft.published_at = "published", now
    session.flush()
    return draft


def retire(session: Session, version: TemplateVersion) -> TemplateVersion:
    if version.status == "draft":
        raise Conflict("a draft is not in use; edit or publish it instead", code="template_not_published")
    if version.status == "published":
        version.status, version.retired_at = "retired", utcnow()
        session.flush()
    return version


def move_item(items: list[dict], key: str, offset: int) -> list[dict]:
    """The items with `key` moved up (-1) or down (+1) one place; edges stay put."""
    items = list(items)
    index = next((i for i, item in enumerate(items) if item["key"] == key), None)
    if index is None:
        raise NotFound("no such item", {"key": key})
    target = index + offset
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    return items
