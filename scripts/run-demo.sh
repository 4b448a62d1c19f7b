#!/usr/bin/env bash
# Starts the platform sandbox, a django-q2 worker and the web console; Ctrl-C stops all three.
set -euo pipefail
PY=${PY:-.venv/bin/python}
PORT=${PORT:-8000}
SANDBOX_PORT=${SANDBOX_PORT:-8700}
export ORDERHUB_SANDBOX_URL="http://127.0.0.1:${SANDBOX_PORT}"
mkdir -p var/log

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

if "$PY" manage.py help run_sandbox >/dev/null 2>&1; then
  "$PY" manage.py run_sandbox --port "$SANDBOX_PORT" --hook-url "http://127.0.0.1:${PORT}/hooks" >var/log/sandbox.log 2>&1 &
  pids+=($!)
fi
nice -n 5 "$PY" manage.py qcluster >var/log/worker.log 2>&1 &  # web answers first (README, scale-out)
pids+=($!)
"$PY" manage.py runserver "127.0.0.1:${PORT}" --noreload >var/log/web.log 2>&1 &
pids+=($!)

for _ in $(seq 1 50); do
  curl -fs "http://127.0.0.1:${PORT}/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

cat <<TXT

  OrderHub is running at  http://127.0.0.1:${PORT}/
  API docs:               http://127.0.0.1:${PORT}/api/v1/docs/
  Platform sandbox:       ${ORDERHUB_SANDBOX_URL}/   (logs in var/log/)

  Demo logins (password: orderhub-demo)
    admin      administrator (everything)
    kefu       customer service (personal data masked)
    kefu_lead  customer service lead (sees phones and addresses)
    cangku     warehouse
    caiwu      finance

  Press Ctrl-C to stop.
TXT
wait -n "${pids[@]}"
