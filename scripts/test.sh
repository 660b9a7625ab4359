#!/usr/bin/env bash
# Runs every check and test: formatting, clippy, unit and API tests (cargo), then the
# Playwright browser tests against the release build. Installs missing tools first.
source "$(dirname "$0")/tools.sh"
ensure_test_tools
cd "$ROOT"

say "cargo fmt --check"
cargo fmt --all --check
say "cargo clippy"
cargo clippy -p server -p app --all-targets --features app/ssr -- -D warnings
cargo clippy -p frontend -p app --target wasm32-unknown-unknown --features app/hydrate -- -D warnings

say "unit and API tests"
# `cargo leptos test` would skip the app crate's own tests; run both crates here.
cargo test -p server -p app --features app/ssr

say "release build"
cargo leptos build --release
ls -l target/site/pkg/

say "API fuzzing (schemathesis, from /api/openapi.json)"
"$ROOT/scripts/fuzz.sh"

say "browser tests (Playwright)"
cd end2end
npx playwright test
