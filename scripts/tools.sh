# Installs, when missing, the tools that building and testing rest-auth need, and puts them
# on PATH. Sourced by scripts/serve.sh and scripts/test.sh; every step is skipped when the
# right version is already there, so after the first run this takes a second.
#
#   ensure_build_tools   wasm32 target, cargo-leptos, wasm-bindgen-cli, wasm-opt (npm binaryen)
#   ensure_test_tools    the above, plus Playwright's npm packages, a Chromium, nginx, schemathesis

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION=0.3.11
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"

# Each step with the seconds since the script began, so a run's log shows where its time went.
say() { printf '\033[1m==> [%ss] %s\033[0m\n' "$SECONDS" "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "need root for: $*"; return 1
  fi
}

apt_install() {
  command -v apt-get >/dev/null || { say "install $* with your package manager"; return 1; }
  as_root apt-get update -q >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}

ensure_wasm_target() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown && return
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
}

ensure_cargo_leptos() {
  if cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION\$"; then return; fi
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 20 minutes, once)"
  # Its locked dependencies need a newer rustc than stable 1.95; nightly builds them as locked.
  # LTO off keeps the install from taking an hour on two cores.
  if rustup run nightly cargo --version >/dev/null 2>&1; then
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo +nightly install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
  else
    # Stable only: build from the published source with the one dependency that needs a newer
    # rustc pinned back to a version that does not. (Our build machines have nightly, so CI
    # takes the branch above; this one is the documented recipe for machines without it.)
    local work; work="$(mktemp -d)"
    (
      cd "$work"
      cargo new -q fetcher && cd fetcher
      cargo add -q "cargo-leptos@=$CARGO_LEPTOS_VERSION" && cargo fetch -q
      local src
      src="$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -maxdepth 2 -type d -name "cargo-leptos-$CARGO_LEPTOS_VERSION" | head -n1)"
      cp -r "$src" "$work/cargo-leptos" && cd "$work/cargo-leptos"
      cargo update -q -p cargo-util-schemas --precise 0.14.1
      CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        cargo install --path . --locked
    )
    rm -rf "$work"
  fi
}

# cargo-leptos would download wasm-bindgen; we cannot, so install the CLI matching Cargo.lock
# exactly (a mismatch fails the build). Not --locked: its lock pins a yanked crate.
ensure_wasm_bindgen() {
  local want
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" = "$want" ]; then return; fi
  say "installing wasm-bindgen-cli $want (about 4 minutes, once)"
  cargo install wasm-bindgen-cli --version "$want" --force
}

ensure_node() {
  command -v npm >/dev/null && return
  say "installing Node.js and npm"
  apt_install nodejs npm
}

# end2end/package.json holds both Playwright and binaryen (wasm-opt for the release build;
# Debian's binaryen is too old and produces WASM that fails to hydrate).
ensure_npm_packages() {
  ensure_node
  local stamp="$ROOT/end2end/node_modules/.package-lock.json"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$ROOT/end2end/package-lock.json" ]; then return; fi
  say "installing npm packages (end2end/)"
  (cd "$ROOT/end2end" && npm ci --no-audit --no-fund)
}

# Playwright's own browser download cannot run on every machine, so the tests fall back to a
# system Chromium (see end2end/playwright.config.ts).
ensure_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then return; fi
  if ls "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}"/chromium-* >/dev/null 2>&1; then return; fi
  if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then return; fi
  say "installing Chromium for the browser tests"
  apt_install chromium
}

# nginx (Debian's) for the test that puts two instances behind a proxy. The test starts its own
# nginx on loopback and stops it; the package's service must never run, so the install forbids
# starting services (policy-rc.d) and stops one that started anyway.
ensure_nginx() {
  if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then return; fi
  say "installing nginx (for the proxy test; not started as a service)"
  local policy=/usr/sbin/policy-rc.d added=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod +x "$policy"
    added=1
  fi
  apt_install nginx-light || apt_install nginx
  if [ "$added" = 1 ]; then as_root rm -f "$policy"; fi
  if pgrep -x nginx >/dev/null; then as_root /usr/sbin/nginx -s stop 2>/dev/null || true; fi
}

# schemathesis (PyPI) in a virtualenv of its own under target/, at a pinned version.
SCHEMATHESIS_VERSION=4.32.5
SCHEMATHESIS="$ROOT/target/tools/schemathesis/bin/schemathesis"
ensure_schemathesis() {
  if "$SCHEMATHESIS" --version 2>/dev/null | grep -q " $SCHEMATHESIS_VERSION\$"; then return; fi
  say "installing schemathesis $SCHEMATHESIS_VERSION (PyPI, into target/tools)"
  if ! python3 -m venv "$ROOT/target/tools/schemathesis" 2>/dev/null; then
    apt_install python3-venv
    python3 -m venv "$ROOT/target/tools/schemathesis"
  fi
  "$ROOT/target/tools/schemathesis/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
}

# Whether a PostgreSQL server answers at the URL's host and port (a TCP connect; the tests
# themselves report anything else).
postgres_reachable() {
  python3 - "$1" <<'PY'
import socket, sys, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
try:
    socket.create_connection((url.hostname or "127.0.0.1", url.port or 5432), timeout=2).close()
except OSError:
    sys.exit(1)
PY
}

ensure_build_tools() {
  ensure_wasm_target
  ensure_cargo_leptos
  ensure_wasm_bindgen
  ensure_npm_packages
}

ensure_test_tools() {
  ensure_build_tools
  ensure_chromium
  ensure_nginx
  ensure_schemathesis
}
