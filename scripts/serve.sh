#!/usr/bin/env bash
# Builds the release site and serves it (listening on 127.0.0.1:3000; open http://localhost:3000,
# the name passkeys belong to) with a SQLite database in
# ./data (created and migrated on first start). Installs missing build tools first.
# Settings: environment variables or a .env file (see README.md, "Configuration").
source "$(dirname "$0")/tools.sh"
ensure_build_tools
cd "$ROOT"
say "building (release)"
cargo leptos build --release --split --precompress
addr="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
say "serving on $addr: open ${PUBLIC_URL:-http://localhost:${addr##*:}}"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
exec ./target/release/rest-auth
