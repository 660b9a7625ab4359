#!/usr/bin/env python3
"""Load benchmark of the release server; run through scripts/bench.sh, which builds it first.

Starts target/release/rest-auth on a fresh SQLite database with one seeded user, drives it
with wrk (64 connections per scenario, a fixed duration), repeats every scenario several times
and reports medians; then the same on a fresh PostgreSQL database when one is reachable. Writes
BENCHMARKS.md and bench/chart.svg. Targets are ratios of figures measured in the same run,
never absolute times.

Environment: BENCH_SECONDS (per scenario and run, default 4), BENCH_RUNS (default 3),
BENCH_CONNECTIONS (default 64), BENCH_POSTGRES_URL (an administrative URL, default
postgres://postgres@127.0.0.1:5432/postgres; the benchmark creates and drops its database).
"""

import base64
import gzip
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target/release/rest-auth"
BARE = ROOT / "target/release/examples/bare_axum"
SECONDS = int(os.environ.get("BENCH_SECONDS", "4"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
CORES = os.cpu_count() or 1
USER, PASSWORD = "bench", "bench-password"
# Password sign-ins go to this many accounts (scale1.., as scripts/wrk_sign_in.lua names them):
# each guess holds a place in its account's brute-force count while it is judged, so one
# account asked by every connection at once would be refused beyond ten (docs/security.md).
SIGN_IN_ACCOUNTS = 64
POSTGRES_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Server:
    """The release binary in its own data directory."""

    def __init__(self, data_dir, database_url=None):
        self.data_dir = data_dir
        self.database_url = database_url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGIN_", "HASH_"))}
        env.update(
            DATA_DIR=str(self.data_dir),
            LEPTOS_SITE_ADDR=f"127.0.0.1:{self.port}",
            LEPTOS_SITE_ROOT=str(ROOT / "target/site"),
            TOKEN_TTL_SECONDS="7200",
        )
        # The request log on at its default level, as deployed; written to /dev/null.
        env.pop("RUST_LOG", None)
        env.pop("DATABASE_URL", None)
        env.pop("SECRET_KEY", None)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        started = time.perf_counter()
        self.process = subprocess.Popen([str(BIN)], cwd=self.data_dir, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except OSError:
                pass
            if self.process.poll() is not None:
                sys.exit("server exited during start-up")
            if time.perf_counter() - started > 30:
                sys.exit("server did not start")
            time.sleep(0.001)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)

    def rss_kib(self):
        return rss_kib(self.process.pid)


def rss_kib(pid):
    """The process's resident memory now."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class PeakRss:
    """Samples the server's resident memory every 20 ms while in a `with` block."""

    def __init__(self, server):
        self.server, self.peak, self._stop = server, 0, threading.Event()

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.server.rss_kib())
            time.sleep(0.02)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def request(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as response:
        text = response.read()
        return json.loads(text) if text else None  # 204: no body


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url, headers=(), seconds=None, threads=None, connections=None, script=None, env=None):
    """Runs wrk; returns requests/s, p50 and p99 in ms, the count of failed requests and the
    requests answered. `script`: a Lua file in scripts/, `env` the variables it reads."""
    command = ["wrk", f"-t{threads or min(CORES, 4)}", f"-c{connections or CONNECTIONS}",
               f"-d{seconds or SECONDS}s", "--latency", "--timeout", "10s"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", str(ROOT / "scripts" / script)]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True,
                            env={**os.environ, **(env or {})}).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {}
    for percent, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M):
        latency[percent] = float(value) * UNITS[unit]
    failed = 0
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if match:
        failed += int(match.group(1))
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if match:
        failed += sum(int(n) for n in match.groups())
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    return {"rps": rps, "p50": latency["50"], "p99": latency["99"], "failed": failed,
            "requests": requests}


def run_concurrently(jobs):
    results = [None] * len(jobs)

    def run(i, job):
        results[i] = job()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def criterion_ms(benchmark):
    """Median of one criterion benchmark (`group/name`), run just before (scripts/bench.sh)."""
    estimates = ROOT / f"target/criterion/{benchmark}/new/estimates.json"
    return json.loads(estimates.read_text())["median"]["point_estimate"] / 1e6


def argon2_hash_ms():
    return criterion_ms("argon2id/hash")


def wasm_sizes():
    """The WebAssembly the heaviest page loads: the main module and, with a split build, the
    chunks of that page's island (from the build's manifest). Each file compressed on its own,
    as it is sent."""
    pkg = ROOT / "target/site/pkg"

    def sizes(name):
        data = (pkg / name).read_bytes()
        brotli = subprocess.run(
            ["node", "-e",
             "const z=require('zlib');const b=require('fs').readFileSync(0);"
             "process.stdout.write(String(z.brotliCompressSync(b,{params:{"
             "[z.constants.BROTLI_PARAM_QUALITY]:11}}).length))"],
            input=data, capture_output=True, check=True).stdout
        return {"raw": len(data), "gzip": len(gzip.compress(data, 9)), "brotli": int(brotli)}

    manifest = pkg / "__wasm_split_manifest.json"
    islands = json.loads(manifest.read_text()) if manifest.exists() else {"": []}
    pages = []
    for loader, chunks in islands.items():
        files = ["rest-auth.wasm"] + [f"{chunk}.wasm" for chunk in chunks]
        each = [sizes(f) for f in files]
        pages.append({key: sum(e[key] for e in each) for key in ("raw", "gzip", "brotli")}
                     | {"island": loader.split("_loader_")[0], "files": len(files)})
    return max(pages, key=lambda page: page["gzip"])


def median_of(samples, key):
    return statistics.median(sample[key] for sample in samples)


def main():
    if not BIN.exists():
        sys.exit(f"{BIN} is missing: run scripts/bench.sh")
    if sys.argv[1:] == ["pages"]:
        return pages_only()
    engines = {}
    work = Path(tempfile.mkdtemp(prefix="rest-auth-bench-"))
    try:
        print("SQLite", file=sys.stderr)
        engines["sqlite"] = measure(work / "sqlite", None)
        database = postgres_database()
        if database:
            print("PostgreSQL", file=sys.stderr)
            try:
                engines["postgres"] = measure(work / "postgres", database)
            finally:
                psql(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        else:
            print("no PostgreSQL reachable: its table is left out", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_outputs(engines)


def pages_only():
    """`bench.py pages`: only the phone's visits to /login (plain and behind the proxy, the
    sign-in visit in each) and the heaviest page's WebAssembly, printed as BENCHMARKS.md's
    section: for a change to the pages, without the minutes of the load scenarios."""
    work = Path(tempfile.mkdtemp(prefix="rest-auth-pages-"))
    server = Server(work / "sqlite", None)
    (work / "sqlite").mkdir(parents=True)
    server.start()
    try:
        page = page_load(server)
        page["sign_in"] = sign_in_visit(server)
        with TlsProxy(server) as proxy:
            proxied = page_load(server, base=proxy.base)
            proxied["sign_in"] = sign_in_visit(server, base=proxy.base)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    lines, *_ = page_load_report(page, proxied)
    wasm = wasm_sizes()
    lines.append(f"Release WASM of the heaviest page: {wasm['gzip'] / 1024:.1f} KiB gzip "
                 f"({wasm})")
    print("\n".join(lines))


BENCH_DATABASE = f"rest_auth_bench_{os.getpid()}"


def psql(sql):
    return subprocess.run(["psql", POSTGRES_ADMIN, "-v", "ON_ERROR_STOP=1", "-qc", sql],
                          capture_output=True, text=True)


def postgres_database():
    """A fresh database on the PostgreSQL server, or None when there is none to use."""
    if shutil.which("psql") is None or psql("SELECT 1").returncode != 0:
        return None
    if psql(f"CREATE DATABASE {BENCH_DATABASE}").returncode != 0:
        return None
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + BENCH_DATABASE


LAYER_COST = ROOT / "target/release/examples/layer_cost"


def layer_costs(work):
    """/healthz through the layers added one at a time (examples/layer_cost.rs: one process, one
    port per step), each step driven by wrk like every scenario, steps interleaved in each run."""
    work.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "SECRET_KEY", "RUST_LOG", "LOG_FORMAT")}
    env.update(DATA_DIR=str(work), LEPTOS_SITE_ROOT=str(ROOT / "target/site"))
    process = subprocess.Popen([str(LAYER_COST)], cwd=work, env=env, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    steps = []
    try:
        for line in process.stderr:
            if line.startswith('{"'):
                steps.append(json.loads(line))
                if len(steps) == LAYER_STEPS:
                    break
        samples = [[] for _ in steps]
        for run in range(RUNS):
            print(f"layers, run {run + 1}/{RUNS}", file=sys.stderr)
            for step in steps:
                sample = with_cpu(process.pid,
                                  lambda: wrk(f"http://127.0.0.1:{step['port']}/healthz"))
                samples[step["step"]].append(sample)
    finally:
        process.terminate()
        process.wait()
    return [{"name": step["name"]}
            | {key: median_of(samples[step["step"]], key) for key in ("rps", "p50", "p99", "cpu_us")}
            for step in steps]


def with_cpu(pid, run):
    """`run()`'s wrk figures and the CPU time process `pid` spent per request answered meanwhile
    (every thread, user and system): what a request costs the server, whatever share of the
    cores the load generator takes."""
    before = cpu_seconds(pid)
    sample = run()
    sample["cpu_us"] = (cpu_seconds(pid) - before) / max(sample["requests"], 1) * 1e6
    return sample


def cpu_seconds(pid):
    """CPU time (user and system, every thread) the process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# The bare router, the app's routes without layers, then each of server::http::LAYERS.
LAYER_STEPS = 7


class TlsProxy:
    """nginx on loopback in front of `server` with TLS (a throwaway self-signed certificate for
    localhost, made here) and HTTP/2: the deployment docs/configuration.md describes. Stopped
    and removed on exit."""

    def __init__(self, server):
        self.server = server

    def __enter__(self):
        binary = next((p for p in ("/usr/sbin/nginx", "/usr/bin/nginx") if Path(p).exists()), None)
        if binary is None:
            sys.exit("nginx is missing: scripts/tools.sh installs it (ensure_nginx)")
        self.dir = Path(tempfile.mkdtemp(prefix="rest-auth-tls-"))
        d = self.dir
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "1", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost",
             "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
            check=True, capture_output=True)
        port = free_port()
        (d / "nginx.conf").write_text(f"""daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream rest_auth {{
        server 127.0.0.1:{self.server.port};
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port} ssl http2;
        ssl_certificate {d}/cert.pem;
        ssl_certificate_key {d}/key.pem;
        ssl_protocols TLSv1.3;
        location / {{
            proxy_pass http://rest_auth;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-Proto https;
        }}
    }}
}}
""")
        self.process = subprocess.Popen([binary, "-p", str(d), "-c", str(d / "nginx.conf")],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None:
                    sys.exit("nginx exited: " + (d / "error.log").read_text())
                time.sleep(0.01)
        self.base = f"https://localhost:{port}"
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


SCENARIOS = [
    ("bare", "bare axum, a constant (no layers: the physical limit)"),
    ("floor", "GET /healthz"),
    ("bearer", "GET /api/resource, Bearer token"),
    ("basic_token", "GET /api/resource, Basic token:x"),
    ("password", f"GET /api/token, Basic user:password ({SIGN_IN_ACCOUNTS} accounts)"),
    ("flood_bearer", "GET /api/resource, Bearer, during a password flood"),
    ("ssr", "GET /login (server-rendered page)"),
    ("oidc_userinfo", "GET /oauth/userinfo, an application's access token (RS256)"),
    ("oidc_refresh", "POST /oauth/token, refresh_token grant (a new pair each time)"),
]

# Applications' sessions for the token endpoint's scenario: more than the connections, since
# each connection holds one refresh token at a time (scripts/wrk_refresh.lua).
OIDC_SESSIONS = 80


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def add_client(server):
    """Registers an application with the command line, as an operator does: (id, secret)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(DATA_DIR=str(server.data_dir), RUST_LOG="warn")
    if server.database_url:
        env["DATABASE_URL"] = server.database_url
    output = subprocess.run([str(BIN), "client", "add", "Bench", "--redirect-uri",
                             "https://bench.example/cb"], cwd=server.data_dir, env=env,
                            capture_output=True, text=True, check=True).stdout
    registered = json.loads(output)
    return registered["client_id"], registered["client_secret"]


def oidc_session(server, client, token):
    """One application session by the authorization code flow (consent given once): its
    access and refresh tokens."""
    client_id, secret = client
    query = urllib.parse.urlencode({
        "client_id": client_id, "redirect_uri": "https://bench.example/cb",
        "response_type": "code", "scope": "openid profile offline_access", "state": "s",
        "nonce": "n"})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(f"{server.base}/oauth/authorize?{query}")
        sys.exit("the authorization endpoint did not redirect")
    except urllib.error.HTTPError as redirect:
        page = redirect.headers["Location"]
    request_id = page.split("request=", 1)[1]
    bearer = {"Authorization": f"Bearer {token}"}
    answer = request("POST", f"{server.base}/api/authorizations/{request_id}", headers=bearer)
    if answer["next"] == "consent":
        answer = request("POST", f"{server.base}/api/authorizations/{request_id}/consent",
                         {"allow": True}, headers=bearer)
    code = urllib.parse.parse_qs(urllib.parse.urlparse(answer["redirect_to"]).query)["code"][0]
    form = urllib.parse.urlencode({"grant_type": "authorization_code", "code": code,
                                   "redirect_uri": "https://bench.example/cb"}).encode()
    req = urllib.request.Request(f"{server.base}/oauth/token", data=form, method="POST",
                                 headers={"Authorization": basic(client_id, secret)})
    with urllib.request.urlopen(req) as response:
        tokens = json.loads(response.read())
    return tokens["access_token"], tokens["refresh_token"]


def measure(work, database_url):
    work.mkdir(parents=True)
    server = Server(work, database_url)
    server.start()
    request("POST", server.base + "/api/users", {"username": USER, "password": PASSWORD})
    token = request("GET", server.base + "/api/token",
                    headers={"Authorization": basic(USER, PASSWORD)})["token"]
    bearer = f"Authorization: Bearer {token}"
    for n in range(1, SIGN_IN_ACCOUNTS + 1):
        request("POST", server.base + "/api/users",
                {"username": f"scale{n}", "password": "scale-password"})
    sign_ins = {"script": "wrk_sign_in.lua", "env": {"WRK_ACCOUNTS": str(SIGN_IN_ACCOUNTS)}}
    client = add_client(server)
    samples = {name: [] for name, _ in SCENARIOS}
    flood_password = []
    peak_rss = 0
    bare_port = free_port()
    bare = subprocess.Popen([str(BARE), f"127.0.0.1:{bare_port}"], stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    server_pid = server.process.pid
    for run in range(RUNS):
        print(f"run {run + 1}/{RUNS}", file=sys.stderr)
        samples["bare"].append(with_cpu(bare.pid, lambda: wrk(f"http://127.0.0.1:{bare_port}/")))
        samples["floor"].append(with_cpu(server_pid, lambda: wrk(server.base + "/healthz")))
        samples["bearer"].append(
            with_cpu(server_pid, lambda: wrk(server.base + "/api/resource", [bearer])))
        samples["basic_token"].append(with_cpu(server_pid, lambda: wrk(
            server.base + "/api/resource", [f"Authorization: {basic(token, 'x')}"])))
        with PeakRss(server) as rss:
            samples["password"].append(
                with_cpu(server_pid, lambda: wrk(server.base + "/api/token", **sign_ins)))
            # Two load generators at once: the server's CPU is not one scenario's.
            flood, during = run_concurrently([
                lambda: wrk(server.base + "/api/token", **sign_ins),
                lambda: wrk(server.base + "/api/resource", [bearer]),
            ])
        peak_rss = max(peak_rss, rss.peak)
        flood_password.append(flood)
        samples["flood_bearer"].append(during)
        samples["ssr"].append(with_cpu(server_pid, lambda: wrk(server.base + "/login")))
        # Fresh applications' sessions each run (access tokens live ten minutes at most; a
        # refresh token works once).
        sessions = [oidc_session(server, client, token) for _ in range(OIDC_SESSIONS)]
        app_bearer = f"Authorization: Bearer {sessions[0][0]}"
        samples["oidc_userinfo"].append(
            with_cpu(server_pid, lambda: wrk(server.base + "/oauth/userinfo", [app_bearer])))
        threads = min(CORES, 4)
        refreshes = {"script": "wrk_refresh.lua", "threads": threads, "env": {
            "WRK_REFRESH_TOKENS": ",".join(refresh for _, refresh in sessions[1:]),
            "WRK_CLIENT": basic(*client), "WRK_THREADS": str(threads)}}
        samples["oidc_refresh"].append(
            with_cpu(server_pid, lambda: wrk(server.base + "/oauth/token", **refreshes)))
    bare.terminate()
    bare.wait()
    # The page on a phone, once (SQLite: the page does not touch the database): straight from
    # the server over HTTP/1.1, and behind nginx with TLS and HTTP/2, as deployed.
    page = None if database_url else page_load(server)
    if not database_url:
        page["sign_in"] = sign_in_visit(server)
        with TlsProxy(server) as proxy:
            page_behind_proxy = page_load(server, base=proxy.base)
            page_behind_proxy["sign_in"] = sign_in_visit(server, base=proxy.base)
    else:
        page_behind_proxy = None
    round_trips = count_round_trips(server, database_url) if database_url else None
    server.stop()

    # Start-up with the database now existing: process start to the first 200 on /healthz.
    startups = []
    for _ in range(5):
        startups.append(server.start() * 1000)
        server.stop()

    results = {
        name: {key: median_of(samples[name], key) for key in ("rps", "p50", "p99")}
        | {"failed": sum(s["failed"] for s in samples[name])}
        | ({"cpu_us": median_of(samples[name], "cpu_us")} if "cpu_us" in samples[name][0] else {})
        for name, _ in SCENARIOS
    }
    hash_ms = argon2_hash_ms()
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": CORES,
        "cpu": cpu_model(),
        "seconds": SECONDS,
        "runs": RUNS,
        "connections": CONNECTIONS,
        "results": results,
        "flood_password_rps": statistics.median(f["rps"] for f in flood_password),
        "peak_rss_mib": peak_rss / 1024,
        "startup_ms": statistics.median(startups),
        "argon2_hash_ms": hash_ms,
        "argon2_verify_ms": criterion_ms("argon2id/verify"),
        "passkey_verify_ms": criterion_ms("passkey/verify"),
        "wasm": wasm_sizes(),
        "round_trips": round_trips,
        "page_load": page,
        "page_load_proxy": page_behind_proxy,
        "layers": None if database_url else layer_costs(work / "layers"),
        "postgres_tps": postgres_capacity(database_url) if database_url else None,
    }


# Kinds of request whose database round trips are counted, and how to make one.
ROUND_TRIP_KINDS = [
    ("token", "Request with a token (GET /api/resource, Bearer; session in memory)"),
    ("refresh", "Refresh (GET /api/token, Bearer; session in memory)"),
    ("login", "Login (GET /api/token with the password; begins a session)"),
    ("failed_login", "Failed login (wrong password)"),
    ("logout", "Logout (DELETE /api/sessions/current)"),
]
ROUND_TRIP_REQUESTS = 40


PAGELOAD_RUNS = 5


def page_load(server, ready=None, base=None):
    """The log-in page under a phone's network and CPU (scripts/pageload.mjs: Playwright and the
    Chrome DevTools Protocol): medians of the time to first paint and to interactive on a cold
    cache, and the bytes of every file the page loaded, as sent with Accept-Encoding: br, gzip
    (asked of the server itself: a proxy passes them through). `base`: where the browser goes,
    the server itself by default."""
    command = ["node", str(ROOT / "scripts/pageload.mjs"), base or server.base, str(PAGELOAD_RUNS)]
    if ready:
        command += ["/login", ready]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    measured = json.loads(out)
    before_ready = {urllib.parse.urlsplit(url).path for url in measured.get("beforeReadyUrls", [])}
    files = []
    for url in measured["urls"]:
        path = urllib.parse.urlsplit(url).path
        req = urllib.request.Request(server.base + path, headers={"Accept-Encoding": "br, gzip"})
        with urllib.request.urlopen(req) as response:
            body = response.read()
            encoding = response.headers.get("Content-Encoding", "none")
        kind = page_file_kind(path)
        if kind:
            files.append({"path": path, "kind": kind, "bytes": len(body), "encoding": encoding,
                          "before_ready": path in before_ready})
    runs = measured["runs"]
    return {
        "interactive_ms": statistics.median(r["interactive"] for r in runs),
        "interactive_worst_ms": max(r["interactive"] for r in runs),
        "first_paint_ms": statistics.median(r["firstPaint"] for r in runs),
        "first_contentful_paint_ms": statistics.median(r["firstContentfulPaint"] for r in runs),
        "files": files,
        "total_bytes": sum(f["bytes"] for f in files),
        "before_ready_bytes": sum(f["bytes"] for f in files if f["before_ready"]),
        "protocols": sorted(set(measured.get("protocols", []))),
    }


def sign_in_visit(server, base=None):
    """A person signing in on the phone (scripts/pageload.mjs --sign-in): the username and
    password typed as soon as the form has painted and sent at once. Medians of the time to the
    form, to first paint and to signed in (token stored and /hello painted), from the start of
    navigation; in how many visits the form was sent before its island had hydrated (and still
    signed in: the server completed it)."""
    try:
        request("POST", server.base + "/api/users", {"username": "visitor", "password": PASSWORD})
    except urllib.error.HTTPError as taken:  # registered by the previous visit's column
        assert taken.code == 409, taken.code
    command = ["node", str(ROOT / "scripts/pageload.mjs"), base or server.base,
               str(PAGELOAD_RUNS), "--sign-in", "visitor", PASSWORD]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    runs = json.loads(out)["runs"]
    return {
        "signed_in_ms": statistics.median(r["signedIn"] for r in runs),
        "signed_in_worst_ms": max(r["signedIn"] for r in runs),
        "form_ms": statistics.median(r["formAt"] for r in runs),
        "first_paint_ms": statistics.median(r["firstPaint"] for r in runs),
        "sent_before_ready": sum(1 for r in runs if r["sentBeforeReady"]),
        "visits": len(runs),
    }


def page_file_kind(path):
    """HTML, CSS, JS or WASM (what the byte target counts); None for anything else (the icon)."""
    if path.endswith(".wasm"):
        return "WASM"
    if path.endswith(".js"):
        return "JS"
    if path.endswith(".css"):
        return "CSS"
    if not re.search(r"\.[a-z0-9]+$", path):
        return "HTML"
    return None


def count_round_trips(server, database_url):
    """Database round trips per kind of request, from PostgreSQL's own count of transactions
    in the benchmark's database (pg_stat_database). Every statement the server sends is its
    own transaction, so transactions are the round trips a request waits for. A backend
    reports its counts within about 10 s of going idle, hence the waits."""
    def transactions():
        out = subprocess.run(
            ["psql", database_url, "-tAc",
             "SELECT xact_commit + xact_rollback FROM pg_stat_database "
             "WHERE datname = current_database()"],
            capture_output=True, text=True, check=True).stdout
        return int(out.strip())

    def settle():
        time.sleep(11)

    user, password = "counted", "counted-password"
    request("POST", server.base + "/api/users", {"username": user, "password": password})

    def sign_in():
        # Right after the load a sign-in was once answered 503 (a statement past its timeout);
        # said on stderr and tried again after the Retry-After, rather than lose the run.
        for attempt in range(3):
            try:
                return request("GET", server.base + "/api/token",
                               headers={"Authorization": basic(user, password)})["token"]
            except urllib.error.HTTPError as refused:
                if refused.code != 503 or attempt == 2:
                    raise
                print(f"  a sign-in was answered 503 after the load; again in "
                      f"{refused.headers.get('Retry-After')} s", file=sys.stderr)
                time.sleep(int(refused.headers.get("Retry-After") or 5))

    tokens = [sign_in() for _ in range(ROUND_TRIP_REQUESTS + 1)]
    bearer = {"Authorization": f"Bearer {tokens[0]}"}
    request("GET", server.base + "/api/resource", headers=bearer)  # now held in memory

    def failed_login(i):
        # A name of its own each time, or the per-username limit would lock after ten.
        try:
            request("GET", server.base + "/api/token",
                    headers={"Authorization": basic(f"nobody{i}", "not-the-password")})
        except urllib.error.HTTPError as refused:
            assert refused.code == 401, refused.code

    def logout(i):
        req = urllib.request.Request(server.base + "/api/sessions/current", method="DELETE",
                                     headers={"Authorization": f"Bearer {tokens[i + 1]}"})
        urllib.request.urlopen(req).close()

    actions = {
        "token": lambda i: request("GET", server.base + "/api/resource", headers=bearer),
        "refresh": lambda i: request("GET", server.base + "/api/token", headers=bearer),
        "login": lambda i: request("GET", server.base + "/api/token",
                                   headers={"Authorization": basic(user, password)}),
        "failed_login": failed_login,
        "logout": logout,
    }
    # The logouts end sessions the server has not seen since they began: they are held in
    # memory only once a token of theirs has been checked, so check each one first.
    for token in tokens[1:]:
        request("GET", server.base + "/api/resource", headers={"Authorization": f"Bearer {token}"})
    settle()
    counts = {}
    for kind, _ in ROUND_TRIP_KINDS:
        before = transactions()
        for i in range(ROUND_TRIP_REQUESTS):
            actions[kind](i)
        settle()
        # The count query itself is one transaction of its own.
        counts[kind] = (transactions() - before - 1) / ROUND_TRIP_REQUESTS
        print(f"  {kind}: {counts[kind]:.2f} round trips", file=sys.stderr)
    return counts


def postgres_capacity(database_url):
    """What this PostgreSQL server does per second with one-row primary-key reads (pgbench
    -S), the kind of statement the server sends; None without pgbench."""
    if shutil.which("pgbench") is None:
        return None
    init = subprocess.run(["pgbench", "-i", "-s", "1", "-q", database_url],
                          capture_output=True, text=True)
    if init.returncode != 0:
        return None
    run = subprocess.run(["pgbench", "-S", "-c", "8", "-j", "2", "-T", str(SECONDS), database_url],
                         capture_output=True, text=True)
    match = re.search(r"tps = ([\d.]+)", run.stdout)
    return float(match.group(1)) if match else None


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


PAGE_BYTES_TARGET = 120 * 1024
SIGNED_IN_TARGET_MS = 1300


def page_load_report(page, proxied):
    """The log-in page on a phone, straight from the server (HTTP/1.1) and behind nginx with TLS
    and HTTP/2 (as deployed), and, from bench/pageload-before.json, before the pages became
    islands; the throttled times; the targets, which are those of the deployed page."""
    before_path = ROOT / "bench/pageload-before.json"
    before = json.loads(before_path.read_text()) if before_path.exists() else None
    columns = [("plain HTTP/1.1", page)] + ([("behind nginx, TLS + HTTP/2", proxied)] if proxied else [])
    if before:
        columns.append(("before islands (HTTP/1.1)", before))
    lines = [
        "### The log-in page on a phone",
        "",
        "A first visit to `/login` in Chromium with the network at 1.6 Mbit/s down, 150 ms round "
        "trip, the CPU slowed 4×, a cold cache (Chrome DevTools Protocol emulation through "
        f"Playwright, `scripts/pageload.mjs`), median of {PAGELOAD_RUNS} visits. Interactive: "
        "the log-in form's island hydrated (`form[data-ready]`), from the start of navigation. "
        "Behind the proxy: nginx on loopback with a self-signed certificate for `localhost` and "
        "HTTP/2 (the server block of docs/configuration.md), the same throttling; the TLS "
        "handshake's round trips are in its figures."
        + (f" Protocols seen behind the proxy: {', '.join(proxied['protocols'])}." if proxied else ""),
        "",
        "| | " + " | ".join(name for name, _ in columns) + " |",
        "|---|" + "---:|" * len(columns),
        "| first paint | " + " | ".join(f"{c['first_paint_ms']:.0f} ms" for _, c in columns) + " |",
        "| interactive | " + " | ".join(
            f"{c['interactive_ms']:.0f} ms" + (f" (worst {c['interactive_worst_ms']:.0f})"
                                               if "interactive_worst_ms" in c else "")
            for _, c in columns) + " |",
        "| bytes (HTML, CSS, JS, WASM as sent with `br, gzip`) | "
        + " | ".join(f"{c['total_bytes'] / 1024:.1f} KiB" for _, c in columns) + " |",
        "| of which before the form was ready | " + " | ".join(
            f"{c['before_ready_bytes'] / 1024:.1f} KiB" if "before_ready_bytes" in c else "—"
            for _, c in columns) + " |",
        "| signed in, typing at first paint (token stored, `/hello` painted) | " + " | ".join(
            f"{c['sign_in']['signed_in_ms']:.0f} ms (worst {c['sign_in']['signed_in_worst_ms']:.0f})"
            if "sign_in" in c else "—" for _, c in columns) + " |",
        "| the form in the page / first paint (sign-in visit) | " + " | ".join(
            f"{c['sign_in']['form_ms']:.0f} / {c['sign_in']['first_paint_ms']:.0f} ms"
            if "sign_in" in c else "—" for _, c in columns) + " |",
        "",
        "The sign-in visit types the username and password as soon as the form has painted and "
        "sends it at once (`pageload.mjs --sign-in`): before the WebAssembly has arrived the "
        "browser posts the form itself and the server completes it (server/src/http/forms.rs).",
        "",
        "Files, as sent (the page's whole visit: it is over once the network has been quiet for "
        "a second; *after* marks a file that came after the form was ready):",
        "",
        "| file | now | | before islands |",
        "|---|---:|---|---:|",
    ]
    def name(path):
        return re.sub(r"^/pkg/[0-9a-f]{16}/", "/pkg/<version>/", path)
    old = {name(f["path"]): f for f in (before["files"] if before else [])}
    for f in page["files"]:
        was = old.pop(name(f["path"]), None)
        after = "" if f.get("before_ready", True) else ", *after*"
        lines.append(f"| `{name(f['path'])}` | {f['bytes']:,} B | {f['encoding']}{after} | "
                     + (f"{was['bytes']:,} B ({was['encoding']}) |" if was else "— |"))
    for path, was in old.items():
        lines.append(f"| `{path}` | — | | {was['bytes']:,} B ({was['encoding']}) |")
    deployed = proxied or page
    where = "behind the proxy" if proxied else "plain HTTP/1.1"
    met_bytes = deployed["before_ready_bytes"] <= PAGE_BYTES_TARGET
    signed_in = deployed.get("sign_in")
    met_time = signed_in is not None and signed_in["signed_in_ms"] <= SIGNED_IN_TARGET_MS
    # Submittable at first paint: sent as soon as it had painted, before its island was
    # ready, the form still signed the person in (every visit signs in, or the script fails).
    visits = [c["sign_in"] for _, c in columns if "sign_in" in c]
    early = sum(v["sent_before_ready"] for v in visits)
    submittable = bool(visits) and early > 0
    lines += [
        "",
        "| target | measured | met |",
        "|---|---:|:---:|",
        f"| /login before its form is ready ≤ 120 KiB ({where}) | "
        f"{deployed['before_ready_bytes'] / 1024:.1f} KiB | {'yes' if met_bytes else '**no**'} |",
        f"| Signed in ≤ 1.3 s on the phone, typing at first paint, median ({where}) | "
        + (f"{signed_in['signed_in_ms']:.0f} ms" if signed_in else "—")
        + f" | {'yes' if met_time else '**no**'} |",
        "| The form submittable at first paint (sent before its island was ready, and signed in) | "
        f"{early} of {sum(v['visits'] for v in visits)} visits | "
        f"{'yes' if submittable else '**no**'} |",
        "",
    ]
    missed_time = [] if met_time else [f"Signed in ≤ 1.3 s on the phone ({where})"]
    if not submittable:
        missed_time.append("The form submittable at first paint")
    return lines, [] if met_bytes else [f"/login before its form is ready ≤ 120 KiB ({where})"], \
        missed_time


def layer_report(layers):
    """What each layer around the routes costs on /healthz."""
    bare = layers[0]
    lines = [
        "### What each layer costs (`/healthz`, SQLite)",
        "",
        "One process (`examples/layer_cost.rs`) serving `/healthz` on one port per step: a bare "
        "axum router answering a constant, the app's routes without layers, then the layers "
        "around them added one at a time, innermost first; the last step is the production "
        "stack. The request log is on at its default level (its thread writes to /dev/null). "
        "Same wrk settings as the scenarios, steps interleaved in each run, medians. CPU per "
        "request: the process's CPU time (every thread, user and system) over the requests "
        "answered, which the load generator's share of the cores does not blur.",
        "",
        "| step | requests/s | of bare | CPU per request | this step adds | p99 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    previous = None
    for step in layers:
        added = "" if previous is None else f"{step['cpu_us'] - previous:+.1f} µs"
        lines.append(f"| {step['name']} | {step['rps']:,.0f} | {step['rps'] / bare['rps']:.0%} | "
                     f"{step['cpu_us']:.1f} µs | {added} | {step['p99']:.2f} ms |")
        previous = step["cpu_us"]
    lines.append("")
    return lines


def capacity(r):
    """The round-trip table and what one PostgreSQL server and N instances can serve."""
    trips, res, cores = r["round_trips"], r["results"], r["cores"]
    lines = [
        "### Database round trips per request (PostgreSQL)",
        "",
        f"Counted from PostgreSQL's own transaction counter (pg_stat_database) over "
        f"{ROUND_TRIP_REQUESTS} requests of each kind: every statement the server sends is its "
        "own transaction, so these are the statements a request waits for. Not counted: the "
        "ping (a Sync message, no transaction) with which the pool checks each connection it "
        "hands out, one more round trip per statement (its cost: docs/performance.md).",
        "",
        "| request | round trips |",
        "|---|---:|",
    ]
    for kind, label in ROUND_TRIP_KINDS:
        lines.append(f"| {label} | {trips[kind]:.1f} |")
    bearer_per_core = res["bearer"]["rps"] / cores
    logins_per_core = 1000 / r["argon2_hash_ms"]
    lines += ["", "### Capacity on paper", ""]
    tps = r.get("postgres_tps")
    login_trips = max(trips["login"], trips["failed_login"])
    text = (
        f"Measured here, per core of an instance: {bearer_per_core:,.0f} token requests/s "
        f"(shared with the load generator) and at most {logins_per_core:.0f} password "
        f"checks/s (one argon2id hash each). Token requests and refreshes cost the database "
        f"nothing, so they grow with the instances alone: N instances of C cores serve about "
        f"N × C × {bearer_per_core:,.0f} per second. Each login costs {trips['login']:.0f} "
        f"round trips and each failed one {trips['failed_login']:.0f}, so N × C cores of "
        f"hashing ask the database for at most N × C × {logins_per_core * login_trips:.0f} "
        "statements/s."
    )
    if tps:
        per_core = tps / cores
        instances = tps / (logins_per_core * login_trips * cores)
        text += (
            f" This PostgreSQL server answers {tps:,.0f} one-row primary-key reads/s "
            f"(pgbench -S, {cores} cores, {per_core:,.0f} per core), which would keep up with "
            f"the logins of about {instances:.0f} instances of {cores} cores doing nothing "
            "but log in; every instance's token traffic comes on top for free."
        )
    lines += [text, ""]
    return lines


def cpu_text(sample):
    cpu = sample.get("cpu_us")
    if cpu is None:
        return ""
    return f"{cpu / 1000:.1f} ms" if cpu >= 1000 else f"{cpu:.1f} µs"


def by_cpu(res, scenario, reference):
    """The scenario's rate as a share of the reference's, by server CPU per request."""
    ours, theirs = res[scenario].get("cpu_us"), res[reference].get("cpu_us")
    return f" (by CPU {theirs / ours:.0%})" if ours and theirs else ""


def targets(r):
    res = r["results"]
    floor = res["floor"]["rps"]
    argon2_limit = r["cores"] * 1000 / r["argon2_hash_ms"]
    rows = [
        ("Floor (`/healthz`, every layer, request log on) ≥ 70% of bare axum in req/s",
         f"{floor / res['bare']['rps']:.0%}{by_cpu(res, 'floor', 'bare')}",
         floor >= 0.7 * res["bare"]["rps"]),
        ("Hot path (Bearer) ≥ 90% of the floor in req/s",
         f"{res['bearer']['rps'] / floor:.0%}{by_cpu(res, 'bearer', 'floor')}",
         res["bearer"]["rps"] >= 0.9 * floor),
        ("Hot path p99 < 5 ms", f"{res['bearer']['p99']:.2f} ms", res["bearer"]["p99"] < 5),
        (f"Password path ≥ 80% of cores ÷ hash time ({argon2_limit:.0f}/s)",
         f"{res['password']['rps'] / argon2_limit:.0%}",
         res["password"]["rps"] >= 0.8 * argon2_limit),
        ("During the flood, Bearer p99 < 20 ms", f"{res['flood_bearer']['p99']:.2f} ms",
         res["flood_bearer"]["p99"] < 20),
        ("During the flood, no Bearer request fails", str(res["flood_bearer"]["failed"]),
         res["flood_bearer"]["failed"] == 0),
        ("Peak RSS during password load and flood < 150 MiB", f"{r['peak_rss_mib']:.1f} MiB",
         r["peak_rss_mib"] < 150),
        ("Start to first 200 on /healthz < 300 ms", f"{r['startup_ms']:.0f} ms",
         r["startup_ms"] < 300),
        ("SSR page ≥ 25% of the floor in req/s",
         f"{res['ssr']['rps'] / floor:.0%}{by_cpu(res, 'ssr', 'floor')}",
         res["ssr"]["rps"] >= 0.25 * floor),
        ("Release WASM of the heaviest page ≤ 250 KiB gzip", f"{r['wasm']['gzip'] / 1024:.1f} KiB "
         f"({r['wasm'].get('island') or 'one bundle'}: {r['wasm'].get('files', 1)} files; "
         f"brotli {r['wasm']['brotli'] / 1024:.1f} KiB, raw {r['wasm']['raw'] / 1024:.0f} KiB)",
         r["wasm"]["gzip"] <= 250 * 1024),
    ]
    return rows


ENGINE_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def write_outputs(engines):
    first = next(iter(engines.values()))
    lines = [
        "# Benchmarks",
        "",
        "Written by `./scripts/bench.sh` (see docs/performance.md); do not edit by hand.",
        "",
        f"Latest run: {first['date']}, {first['cores']} cores ({first['cpu']}), wrk with "
        f"{first['connections']} connections per load generator, {first['seconds']} s per "
        f"scenario, medians of {first['runs']} runs. The load generator runs on the same "
        "machine, so it takes its share of the cores from the server in every scenario alike. "
        "PostgreSQL, when present, is the local server on the same machine too.",
        "",
    ]
    missed = []
    for engine, r in engines.items():
        name = ENGINE_NAMES[engine]
        res = r["results"]
        lines += [f"## {name}", ""]
        if engine == "postgres":
            lines += [
                "The same targets as SQLite. Each instance keeps the sessions it has checked in "
                "memory and hears of every ended session from the database (LISTEN/NOTIFY), so "
                "a token request costs no round trip here either.",
                "",
            ]
        lines += [
            "| scenario | requests/s | p50 | p99 | failed | server CPU per request |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for key, label in SCENARIOS:
            s = res[key]
            lines.append(f"| {label} | {s['rps']:,.0f} | {s['p50']:.2f} ms | "
                         f"{s['p99']:.2f} ms | {s['failed']} | {cpu_text(s)} |")
        lines += [
            "",
            f"The floor (`/healthz`, through every layer) is {res['floor']['rps'] / res['bare']['rps']:.0%} "
            "of what a bare axum server answering a constant does on this machine, in the same run.",
            "Server CPU per request: the server process's CPU time (every thread, user and system) "
            "over the requests it answered in that scenario, medians like the rest: what a request "
            "costs the server itself, without the load generator's share of the cores. The targets' "
            "ratios are also given by it (\"by CPU\": the reference's CPU per request over the "
            "scenario's); they come out lower than in req/s, which carry the load generator's own "
            "cost per request, the same in every scenario. It moves from run to run too: the "
            "kernel's work for loopback traffic is charged to whichever process is running. The "
            "flood has two load generators at once and no one scenario's CPU.",
            f"During the flood the password load generator got {r['flood_password_rps']:,.0f} "
            "requests/s.",
            f"One argon2id hash (criterion median): {r['argon2_hash_ms']:.1f} ms, so the "
            f"password path can do at most {r['cores']} ÷ {r['argon2_hash_ms'] / 1000:.4f} s = "
            f"{r['cores'] * 1000 / r['argon2_hash_ms']:.0f} logins/s here; a password sign-in "
            f"under load took {res['password']['cpu_us'] / 1000:.1f} ms of the server's CPU "
            "(the hash with both cores hashing at once, and the rest of the request).",
            "",
            f"### Targets ({name})",
            "",
            "| target | measured | met |",
            "|---|---:|:---:|",
        ]
        for label, value, met in targets(r):
            lines.append(f"| {label} | {value} | {'yes' if met else '**no**'} |")
            if not met:
                missed.append(f"{name}: {label}")
        lines.append("")
        if r.get("layers"):
            lines += layer_report(r["layers"])
        if r.get("page_load"):
            page_lines, *page_missed = page_load_report(r["page_load"], r.get("page_load_proxy"))
            lines += page_lines
            missed += [f"{name}: {label}" for group in page_missed for label in group]
        if r.get("round_trips"):
            lines += capacity(r)
    lines += sign_in_checks(next(iter(engines.values())))
    lines += ["![Requests per second and p99 latency per scenario](bench/chart.svg)", ""]
    scale = ROOT / "bench/scale.md"  # ./scripts/scale.sh's section, kept from its last run
    if scale.exists():
        lines += [scale.read_text()]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines))
    (ROOT / "bench").mkdir(exist_ok=True)
    (ROOT / "bench/chart.svg").write_text(chart(engines))
    (ROOT / "bench/latest.json").write_text(json.dumps(engines, indent=2) + "\n")
    print("\n".join(lines))
    if missed:
        print("\nMissed targets:\n  " + "\n  ".join(missed), file=sys.stderr)


def sign_in_checks(r):
    """What one core spends checking a sign-in: an argon2id verification for a password, a
    signature check (webauthn-rs: parse, challenge, origin, P-256 signature, counter) for a
    passkey. Criterion medians; the database work of either comes on top."""
    if "passkey_verify_ms" not in r:
        return []
    password, passkey = r["argon2_verify_ms"], r["passkey_verify_ms"]
    return [
        "## Sign-in checks, per core",
        "",
        "The CPU one sign-in costs before its database work (criterion medians of "
        "`cargo bench -p server --bench auth`).",
        "",
        "| sign-in | one check | checks/s per core |",
        "|---|---:|---:|",
        f"| password (argon2id verify) | {password:.2f} ms | {1000 / password:,.0f} |",
        f"| passkey (signature check) | {passkey * 1000:.0f} µs | {1000 / passkey:,.0f} |",
        "",
        f"A passkey sign-in costs the CPU {password / passkey:,.0f} times less than a password "
        "sign-in: it checks a signature instead of running a deliberately slow hash, so it needs "
        "no hashing pool and no brute-force limit (a signature cannot be guessed).",
        "",
    ]


def chart(engines):
    """Two horizontal bar charts side by side: requests/s and p99 per scenario and engine."""
    first = next(iter(engines.values()))
    rows = [(f"{ENGINE_NAMES[engine]}: {label}", r["results"][key])
            for engine, r in engines.items() for key, label in SCENARIOS]
    rps = [row["rps"] for _, row in rows]
    p99 = [row["p99"] for _, row in rows]
    row_h, label_w, bar_w, gap = 26, 420, 230, 150
    width = label_w + 2 * bar_w + gap + 40
    height = 60 + row_h * len(rows) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           '<style>text{fill:#222}@media (prefers-color-scheme:dark){text{fill:#ddd}}</style>',
           f'<text x="10" y="20" font-size="14" font-weight="bold">rest-auth, '
           f'{first["cores"]} cores, {first["date"]} (medians of {first["runs"]} runs)</text>',
           f'<text x="{label_w}" y="45" font-weight="bold">requests/s</text>',
           f'<text x="{label_w + bar_w + gap}" y="45" font-weight="bold">p99 latency (ms)</text>']
    for i, (name, _) in enumerate(rows):
        y = 60 + i * row_h
        out.append(f'<text x="10" y="{y + 15}">{escape(name)}</text>')
        for x0, values, colour, fmt in ((label_w, rps, "#3b6fd4", "{:,.0f}"),
                                        (label_w + bar_w + gap, p99, "#d4803b", "{:.2f}")):
            w = max(1, bar_w * values[i] / max(values))
            out.append(f'<rect x="{x0}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
                       f'fill="{colour}"/>')
            out.append(f'<text x="{x0 + w + 4:.1f}" y="{y + 15}">{fmt.format(values[i])}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


if __name__ == "__main__":
    main()
