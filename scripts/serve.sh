#!/usr/bin/env bash
# Serves the site with gunicorn and runs the task worker (which sends the
# reminders when due), the outbox sweep and the release of unconfirmed holds
# beside it. Ctrl-C (or any signal) stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-clinic.settings.dev}"

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

# The worker stops when it loses the database (a restart, a network blip);
# like a process supervisor would, start it again.
worker_loop() {
  trap 'kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM INT
  while true; do
    # Emails a previous worker left unsent go back to the queue first.
    "$PY" manage.py sweep_outbox >/dev/null || true
    "$PY" manage.py db_worker --queue-name default &
    child=$!
    wait "$child" || true
    echo "The task worker stopped; starting it again in 2 seconds." >&2
    sleep 2
  done
}
worker_loop &
pids+=($!)
# The outbox's recovery and the release of unconfirmed holds, as cron or a
# systemd timer runs them in production (each is safe to run often).
sweep_loop() {
  nap=
  trap 'kill -TERM "$nap" 2>/dev/null; exit 0' TERM INT
  while true; do
    sleep 60 &
    nap=$!
    wait "$nap" || true
    "$PY" manage.py sweep_outbox >/dev/null || true
    "$PY" manage.py release_holds >/dev/null || true
  done
}
sweep_loop &
pids+=($!)
.venv/bin/gunicorn clinic.wsgi:application -c gunicorn.conf.py &
pids+=($!)
echo "The clinic site is at http://127.0.0.1:${PORT:-8000}/ (admin: http://127.0.0.1:${PORT:-8000}/${DJANGO_ADMIN_URL:-admin/}). Ctrl-C stops it."
# Whichever stops first stops the other.
wait -n
