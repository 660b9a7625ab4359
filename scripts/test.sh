#!/usr/bin/env bash
# Runs every check and test: formatting, clippy, unit and API tests (cargo), then the
# Playwright browser tests against the release build. Installs missing tools first.
source "$(dirname "$0")/tools.sh"
ensure_test_tools
cd "$ROOT"

say "cargo fmt --check"
cargo fmt --all --check
say "imports point one way (no module imports one that imports it back)"
python3 "$ROOT/scripts/check_imports.py" server/src app/src
say "every test the ASVS table in docs/security.md names exists"
python3 "$ROOT/scripts/check_asvs.py" "$ROOT"
say "cargo clippy"
cargo clippy -p server -p app --all-targets --features app/ssr -- -D warnings
cargo clippy -p frontend -p app --target wasm32-unknown-unknown --features app/hydrate -- -D warnings

say "unit and API tests (SQLite)"
# `cargo leptos test` would skip the app crate's own tests; run both crates here.
cargo test -p server -p app --features app/ssr

# The API and binary tests again, on PostgreSQL: each test creates and drops its own database
# on this server, and the PostgreSQL-only tests (ignored above, "needs TEST_POSTGRES_URL") run
# too. Without a server, they are skipped loudly; REQUIRE_POSTGRES=1 (CI sets it) makes that a
# failure instead.
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if postgres_reachable "$TEST_POSTGRES_URL"; then
  say "API and binary tests (PostgreSQL)"
  # The same packages and features as above, so the test binaries built there are the ones run
  # here: `-p server` alone resolves features differently and builds them all again.
  cargo test -p server -p app --features app/ssr --test api --test binary -- --include-ignored
elif [ "${REQUIRE_POSTGRES:-0}" = 1 ]; then
  say "FAILED: no PostgreSQL at $TEST_POSTGRES_URL, and REQUIRE_POSTGRES=1"
  exit 1
else
  printf '\n\033[1;33m%s\n%s\033[0m\n\n' \
    "!!! SKIPPED: the PostgreSQL tests (no server at $TEST_POSTGRES_URL)." \
    "!!! Start one, or set TEST_POSTGRES_URL; REQUIRE_POSTGRES=1 makes this a failure." >&2
fi

say "release build"
cargo leptos build --release --split --precompress
ls -l target/site/pkg/

say "API fuzzing (schemathesis, from /api/openapi.json)"
"$ROOT/scripts/fuzz.sh"

say "browser tests (Playwright)"
cd end2end
npx playwright test
