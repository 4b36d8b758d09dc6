#!/usr/bin/env bash
# Set up everything, build the demo schools, and serve the console, API and phone app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FLASK_APP=server
PORT="${PORT:-5000}"
HOST="${HOST:-127.0.0.1}"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://$HOST:$PORT}"
.venv/bin/flask db upgrade
.venv/bin/flask seed-demo
cat <<MSG

Xunjian is running at $PUBLIC_BASE_URL
  admin console : $PUBLIC_BASE_URL/admin/
  phone app     : $PUBLIC_BASE_URL/app/
  API (OpenAPI) : $PUBLIC_BASE_URL/api/v1/openapi.json
Demo logins (password xunjian123), school demo1 (示范第一中学) — demo2 has the same names with demo2.:
  demo1.admin      总务主任 admin + inspector (console)
  demo1.principal  校长 inspector
  demo1.inspector  值班老师 inspector
  demo1.dorm       宿管 inspector + fixer
  demo1.canteen    食堂经理 inspector + fixer
  demo1.auditor    资产盘点员 auditor
  demo1.fixer      维修师傅 fixer
Stop with Ctrl-C.
MSG
exec .venv/bin/gunicorn --bind "$HOST:$PORT" --workers "${WORKERS:-2}" --threads 4 --access-logfile - "server.wsgi:app"
