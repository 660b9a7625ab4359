#!/usr/bin/env bash
# The scale benchmark, run by hand (not part of the test command; about half an hour): fills a
# PostgreSQL cluster of its own with 10k, 100k and 1M accounts and sessions and measures the
# token path, sign-in, the sessions list, the expiry sweep, memory and the statements' plans
# (scripts/scale.py). Writes bench/scale.{json,md,svg} and the Scale section of BENCHMARKS.md.
#
#   SCALE_SIZES=10000,100000,1000000 SCALE_SECONDS=8 ./scripts/scale.sh
source "$(dirname "$0")/tools.sh"
ensure_build_tools
command -v wrk >/dev/null || { say "installing wrk"; apt_install wrk; }
command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
  { say "installing PostgreSQL"; apt_install postgresql; }
cd "$ROOT"

say "release build"
cargo leptos build --release --split --precompress
cargo build --release -p server --example scale_fill

say "scale (wrk, PostgreSQL)"
python3 scripts/scale.py
