#!/usr/bin/env bash
# The benchmark: builds the release server, measures the auth building blocks with criterion
# (argon2id hash and verify, a passkey signature check, token issue and verify, header parse),
# then load-tests the server with wrk beside a bare axum server (scripts/bench.py), counts
# PostgreSQL round trips per kind of request, and writes BENCHMARKS.md and bench/chart.svg.
#
#   BENCH_SECONDS=8 BENCH_RUNS=3 ./scripts/bench.sh
source "$(dirname "$0")/tools.sh"
ensure_build_tools
command -v wrk >/dev/null || { say "installing wrk"; apt_install wrk; }
ensure_nginx  # the phone behind a TLS proxy (scripts/bench.py)
cd "$ROOT"

say "release build"
cargo leptos build --release --split --precompress

say "the bare axum server (the physical limit) and the per-layer server"
cargo build --release -p server --example bare_axum --example layer_cost

say "micro-benchmarks (criterion)"
cargo bench -p server --bench auth -- --warm-up-time 1 --measurement-time 3

say "load (wrk)"
python3 scripts/bench.py
