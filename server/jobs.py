"""Long work started from a web request (a ledger import) runs in a thread of its own with its own
app context and database session; its progress lives in the database, where any worker can read it.

`wait_all` lets tests and shutdown wait for what is running instead of guessing with sleeps.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from flask import Flask

log = logging.getLogger(__name__)
_running: list[threading.Thread] = []
_lock = threading.Lock()


def start(app: Flask, fn: Callable[..., None], *args) -> threading.Thread:
    """Run fn(*args) in a background thread inside an app context."""

    def target() -> None:
        with app.app_context():
            try:
                fn(*args)
            except Exception:
                log.exception("background job %s failed", getattr(fn, "__name__", fn))

    thread = threading.Thread(target=target, name=f"job-{getattr(fn, '__name__', 'fn')}", daemon=True)
    with _lock:
        _running[:] = [t for t in _running if t.is_alive()]
        _running.append(thread)
    thread.start()
    return thread


def wait_all() -> None:
    """Block until every job started so far has finished."""
    with _lock:
        threads = list(_running)
    for thread in threads:
        thread.join()
