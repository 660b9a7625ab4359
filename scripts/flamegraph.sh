#!/usr/bin/env bash
# A flame graph of the release server answering one path under load: wrk drives it, perf
# (Debian's linux-perf) samples every thread with DWARF call stacks, inferno (crates.io) draws
# the SVG. Run by hand; docs/performance.md shows the one of /login.
#
#   ./scripts/flamegraph.sh [--bearer] [path, default /login] [output, default bench/flamegraph-login.svg]
#
# --bearer: the requests carry a token (a user registered and signed in first), for the token
# path: ./scripts/flamegraph.sh --bearer /api/resource bench/flamegraph-token.svg
source "$(dirname "$0")/tools.sh"
ensure_build_tools
command -v wrk >/dev/null || { say "installing wrk"; apt_install wrk; }
command -v perf >/dev/null || { say "installing perf"; apt_install linux-perf; }
command -v inferno-flamegraph >/dev/null || {
  say "installing inferno (crates.io)"
  cargo install inferno --locked --version 0.12.8
}
cd "$ROOT"
bearer=""
if [ "${1:-}" = "--bearer" ]; then bearer=1; shift; fi
path="${1:-/login}"
out="${2:-bench/flamegraph-login.svg}"

say "release build"
cargo leptos build --release --split --precompress

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
env -u DATABASE_URL -u SECRET_KEY -u RUST_LOG DATA_DIR="$work" LEPTOS_SITE_ROOT="$ROOT/target/site" \
  LEPTOS_SITE_ADDR="127.0.0.1:$port" target/release/rest-auth >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.1; done
headers=()
if [ -n "$bearer" ]; then
  password="flame-graph-$RANDOM-$RANDOM"
  curl -fs -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"username\":\"flame\",\"password\":\"$password\"}" "http://127.0.0.1:$port/api/users"
  token="$(curl -fs -u "flame:$password" "http://127.0.0.1:$port/api/token" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')"
  headers=(-H "Authorization: Bearer $token")
fi

say "sampling $path under load"
wrk -t2 -c64 -d10s "${headers[@]}" "http://127.0.0.1:$port$path" >"$work/wrk.txt" &
load=$!
sleep 2
perf record -q -F 499 --call-graph dwarf,16384 -p "$server" -o "$work/perf.data" -- sleep 5
wait "$load"
grep -E "Requests/sec" "$work/wrk.txt" >&2
mkdir -p "$(dirname "$out")"
perf script -i "$work/perf.data" 2>/dev/null | inferno-collapse-perf |
  inferno-flamegraph --title "rest-auth: GET $path under wrk (perf, DWARF stacks)" >"$out"
say "wrote $out"
