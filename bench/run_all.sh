#!/usr/bin/env bash
# Every benchmark, one at a time (they share two cores with nothing else of ours), on SQLite and, where
# the benchmark has a database, on PostgreSQL. Prints everything and keeps a copy in bench/results/.
#
#   bash bench/run_all.sh [--quick]      # --quick: one run each, for checking the scripts still work
#
# PG_URL names the PostgreSQL server (each benchmark creates and drops a database of its own on it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=.venv/bin/python
PG_URL=${PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}
RUNS=3
[ "${1:-}" = "--quick" ] && RUNS=1
mkdir -p bench/results
log="bench/results/run_all-$(date -u +%Y%m%dT%H%M%SZ).txt"

step() {
  echo; echo "### $*"
  "$@"
}

{
  echo "run_all: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GB memory, $(date -u '+%Y-%m-%d %H:%M UTC')"
  step $PY bench/labels_bench.py --runs $RUNS
  step $PY bench/labels_bench.py --server --runs $RUNS
  step $PY bench/assets_bench.py --runs $RUNS
  step $PY bench/assets_bench.py --runs $RUNS --database-url "$PG_URL"
  step $PY bench/first_pull.py --runs $RUNS
  step $PY bench/first_pull.py --runs $RUNS --database-url "$PG_URL"
  step $PY bench/sync_ingest.py --runs $RUNS
  step $PY bench/sync_ingest.py --runs $RUNS --database-url "$PG_URL"
  if command -v valgrind >/dev/null && command -v gcc >/dev/null; then
    step $PY bench/app_instructions.py
    step $PY bench/app_instructions.py --database-url "$PG_URL"
  else
    echo; echo "### bench/app_instructions.py skipped: needs valgrind and gcc"
  fi
  step $PY bench/reports_bench.py --runs $RUNS
  step $PY bench/reports_bench.py --runs $RUNS --database-url "$PG_URL"
  step $PY bench/load_phones.py --runs $RUNS
  step $PY bench/load_phones.py --runs $RUNS --database-url "$PG_URL"
  step $PY bench/pwa_lighthouse.py --runs $RUNS
  step $PY bench/pwa_sync_bench.py --runs $RUNS
} 2>&1 | tee "$log"
echo "kept in $log"
