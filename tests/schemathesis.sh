#!/usr/bin/env bash
# Schemathesis (property-based API testing, from PyPI) against /api/v1/openapi.json of a running
# `pqrs serve` on a fresh SQLite database: no 5xx, no response that breaks the schema.
# Usage: tests/schemathesis.sh [PQRS_BINARY] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/pqrs}
SECS=${2:-90}
VENV=${PQRS_TEST_VENV:-$HOME/.cache/pqrs-test-venv}
if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check 'schemathesis>=4,<5'
fi
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PQRS_DATABASE_URL="$WORK/st.db" PQRS_DATA_DIR="$WORK/data" PQRS_LISTEN="127.0.0.1:$PORT" \
       PQRS_FILING_BURST=100000000 PQRS_FILING_RATE_PER_MINUTE=100000000 PQRS_ACK_PER_SENDER_PER_HOUR=100000000
"$BIN" migrate >/dev/null
"$BIN" user add --email admin@pqrs.test --role admin --password-stdin <<< "una clave larga y segura" >/dev/null
TOKEN=$("$BIN" token create --user admin@pqrs.test 2>/dev/null | tail -1)
"$BIN" serve >"$WORK/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
set +e
"$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
  --checks all --exclude-checks positive_data_acceptance,ignored_auth,missing_required_header \
  -H "Authorization: Bearer $TOKEN" --max-time "$SECS" --workers 2 --no-color \
  --suppress-health-check all
RC=$?
set -e
if grep -q "panicked" "$WORK/serve.log"; then echo "the server panicked:"; grep -A3 panicked "$WORK/serve.log"; exit 1; fi
exit $RC
