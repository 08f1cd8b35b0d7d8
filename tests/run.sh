#!/usr/bin/env bash
# The whole test suite, on SQLite and PostgreSQL, with real IMAP and SMTP servers.
# Installs (Debian packages, as root) and starts what the tests need when it is missing:
# PostgreSQL on 127.0.0.1:5432, Dovecot IMAP and aiosmtpd SMTP sinks on loopback (tests/servers.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/servers.sh ensure
eval "$(bash tests/servers.sh env)"
# A test whose server (PostgreSQL, Dovecot, SMTP, Chromium/ChromeDriver) is missing fails instead of
# skipping: a run that silently skipped a server would prove nothing (tests/common/mod.rs).
export PQRS_TEST_REQUIRE_SERVERS=1
export PROPTEST_CASES=${PROPTEST_CASES:-1000}   # tests/fuzz.rs: bounded fuzzing in CI
export INSTA_UPDATE=no   # tests/snapshots.rs: a changed output fails; never write or accept new snapshots

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

echo "== cargo test (unit and integration tests, both backends)"
cargo test --locked 2>&1 | tee "$LOG"

echo "== Schemathesis against /api/v1/openapi.json (no 5xx, responses match the schema)"
bash tests/schemathesis.sh target/debug/pqrs "${PQRS_SCHEMATHESIS_SECS:-60}"

echo "== rule files (pqrs rules check, pqrs rules test)"
cargo run --locked -q -- rules check
cargo run --locked -q -- rules test

echo "== routing: 5-fold cross-validation of rules + learned model (pqrs rules eval)"
cargo run --locked -q -- rules eval --folds 5

echo
# One closing line with the totals of every cargo test binary above.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$LOG"
