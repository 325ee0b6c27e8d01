#!/usr/bin/env bash
# Runs the whole suite several times in a row on SQLite and on PostgreSQL + Redis, to catch flaky tests.
# Usage: scripts/test-repeat.sh [RUNS=5] [sqlite|postgres|both=both]
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres) and Redis on 6379 for the second half.
# Each run's output is kept in test-runs/<database>-<n>.log; a summary line per run is printed.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
which=${2:-both}
mkdir -p test-runs
npm run build --silent >/dev/null || exit 1
# what npm test installs first (Chromium, tmux, nginx; for PostgreSQL also its server and client tools)
DATABASE_URL=$([ "$which" = sqlite ] || echo postgres://) node scripts/ensure-test-tools.mjs || exit 1
failed=0

run() { # database n
  local db=$1 n=$2 log="test-runs/$1-$2.log" start=$SECONDS status
  if [ "$db" = sqlite ]; then
    env -u DATABASE_URL -u REDIS_URL node scripts/run-tests.mjs >"$log" 2>&1
  else
    local name="funcspec_repeat_$(date +%s)_$$_$n"
    psql -h 127.0.0.1 -U postgres -d postgres -qc "create database $name" || return 1
    DATABASE_URL="postgres://postgres@127.0.0.1:5432/$name" REDIS_URL="redis://127.0.0.1:6379" node scripts/run-tests.mjs >"$log" 2>&1
    status=$?
    psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists $name with (force)" >/dev/null 2>&1
    (exit $status)
  fi
  status=$?
  local pass fail skip
  pass=$(grep -Eo '^ℹ pass [0-9]+' "$log" | grep -Eo '[0-9]+$')
  fail=$(grep -Eo '^ℹ fail [0-9]+' "$log" | grep -Eo '[0-9]+$')
  skip=$(grep -Eo '^ℹ skipped [0-9]+' "$log" | grep -Eo '[0-9]+$')
  printf '%-8s run %d: exit %d, %s pass, %s fail, %s skipped, %d s\n' "$db" "$n" "$status" "${pass:-?}" "${fail:-?}" "${skip:-?}" $((SECONDS - start))
  [ "$status" -eq 0 ] || failed=$((failed + 1))
}

for db in sqlite postgres; do
  [ "$which" = both ] || [ "$which" = "$db" ] || continue
  for n in $(seq 1 "$runs"); do run "$db" "$n"; done
done
echo "failed runs: $failed"
[ "$failed" -eq 0 ]
