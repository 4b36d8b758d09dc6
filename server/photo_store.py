"""The app's photo store, shared by the API (phones) and the console (admins)."""
from __future__ import annotations

from flask import current_app

from sync import attachments


def store() -> attachments.AttachmentStore:
    """A folder under ATTACHMENT_DIR unless something else was set (e.g. an object store)."""
    if "attachment_store" not in current_app.extensions:
        current_app.extensions["attachment_store"] = attachments.FolderStore(current_app.config["ATTACHMENT_DIR"])
    return current_app.extensions["attachment_store"]
