"""Configuration from environment variables, with safe defaults for a single school box."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def _instance_secret(instance_path: Path) -> str:
    """Keep one generated secret key per instance so sessions survive restarts; never committed."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_config(instance_path: Path) -> dict:
    """Read settings from the environment; defaults run a demo on SQLite under instance/."""
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'xunjian.sqlite3'}"
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _instance_secret(instance_path),
        "SQLALCHEMY_DATABASE_URI": db_url,
        # Pooled connections are pinged only after a rest (server.db._ping_after_rest).
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        "ATTACHMENT_DIR": os.environ.get("ATTACHMENT_DIR") or str(instance_path / "attachments"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)),
        # Push: a batch of 500 inspections is about 0.5 MB; the limits leave room and stop abuse.
        "SYNC_MAX_RECORDS": int(os.environ.get("SYNC_MAX_RECORDS", 1000)),
        "SYNC_MAX_BODY_BYTES": int(os.environ.get("SYNC_MAX_BODY_BYTES", 4 * 1024 * 1024)),
        "ATTACHMENT_MAX_BYTES": int(os.environ.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "scrypt"),
        "API_TITLE": "Xunjian API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "WTF_CSRF_TIME_LIMIT": None,
    }
