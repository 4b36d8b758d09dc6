"""Serve the app on a fixed loopback port in a process of its own, so a browser test can take the
server away (stop it) and bring it back on the same port: the honest offline test."""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.serving import make_server

from server import create_app


def main() -> None:
    port = int(sys.argv[1])
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": os.environ["XJ_TEST_DB"],
        "SECRET_KEY": "test-secret",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "ATTACHMENT_DIR": os.environ["XJ_TEST_ATTACHMENTS"],
        "PWA_BUILD_SALT": os.environ.get("XJ_BUILD_SALT", ""),
    })
    server = make_server("127.0.0.1", port, app, threaded=True)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
