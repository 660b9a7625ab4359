#!/usr/bin/env bash
# Fuzzes /api from its own OpenAPI document (/api/openapi.json) with schemathesis: every check
# (no 5xx, status codes, headers, content types and bodies as documented, bad input refused,
# auth not ignored) over at least 1,000 generated requests. Runs the release binary, which
# scripts/test.sh has just built, on a fresh database of its own.
#
# The brute-force limits are raised for this run: schemathesis sends wrong passwords on purpose,
# and with the default limits most of its requests would be answered 429 before reaching the
# code under test. The limits themselves are tested in server/tests/api/abuse.rs. The few
# per-operation exceptions to the checks, each with its reason, are in scripts/schemathesis.toml.
source "$(dirname "$0")/tools.sh"
ensure_schemathesis
cd "$ROOT"

MIN_REQUESTS=1000
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"

DATA_DIR="$work/data" LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$ROOT/target/site" \
  LOGIN_FAILURES_PER_USERNAME=1000000 LOGIN_FAILURES_PER_ADDRESS=1000000 RUST_LOG=warn \
  "${REST_AUTH_BIN:-./target/release/rest-auth}" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT

for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
curl -sf -X POST -H 'Content-Type: application/json' \
  -d '{"username":"fuzzer","password":"fuzzer-password"}' "$base/api/users" >/dev/null

"$SCHEMATHESIS" --config-file "$ROOT/scripts/schemathesis.toml" run "$base/api/openapi.json" \
  --checks all \
  --max-examples 200 \
  --auth fuzzer:fuzzer-password \
  --no-color \
  --report har --report-har-path "$work/requests.har" \
  "$@" # e.g. --seed N, to replay the run whose seed a failure printed

# Count what was really sent, rather than trust a number of "test cases".
sent="$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["log"]["entries"]))' "$work/requests.har")"
server_errors="$(python3 -c 'import json, sys; print(sum(e["response"]["status"] >= 500 for e in json.load(open(sys.argv[1]))["log"]["entries"]))' "$work/requests.har")"
say "schemathesis sent $sent requests; $server_errors answered 5xx"
[ "$sent" -ge "$MIN_REQUESTS" ] || { say "fewer than $MIN_REQUESTS requests"; exit 1; }
[ "$server_errors" -eq 0 ] || exit 1
