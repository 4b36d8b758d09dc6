#!/usr/bin/env bash
# Set up everything on a fresh machine, then run the whole test suite (SQLite by default;
# TEST_DATABASE_URL=postgresql+psycopg://... runs it against PostgreSQL). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if compgen -G "pwa/tests/*.test.mjs" >/dev/null; then
  node --test pwa/tests/
fi
.venv/bin/python -m pytest "$@"
