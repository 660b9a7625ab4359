#!/usr/bin/env python3
"""The scale benchmark (scripts/scale.sh): how the service behaves as accounts and sessions grow
to a million, on two instances sharing a PostgreSQL cluster of the benchmark's own.

At each size (10k, 100k, 1M accounts, one session each; SCALE_SIZES to change), filled through
the store's own code (server/examples/scale_fill.rs, one password hash for all):
  - the token path with 1k, 100k and 300k distinct tokens per instance (rps, p99, database
    transactions per request), beside /healthz in the same setting;
  - password sign-in and registration (p99);
  - RSS of each instance, database size;
then, at the largest size: GET /api/sessions for a user with 1,000 sessions; the expiry sweep
ending 100k sessions at once (how long, and the token path's p99 meanwhile); and the plan of
every statement the request paths ran (auto_explain), each checked for an index.

Writes bench/scale.json, bench/scale.md (spliced into BENCHMARKS.md) and bench/scale.svg;
`scripts/scale.py --redraw` draws the chart again from bench/scale.json."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402
from bench import (BIN, ROOT, basic, cpu_model, cpu_seconds, escape, free_port,  # noqa: E402
                   request, rss_kib, run_concurrently)

FILL = ROOT / "target/release/examples/scale_fill"
SIZES = [int(n) for n in os.environ.get("SCALE_SIZES", "10000,100000,1000000").split(",")]
WORKING_SETS = [1_000, 100_000, 300_000]
SECONDS = int(os.environ.get("SCALE_SECONDS", "8"))
CONNECTIONS = 32
SECRET = "scale-benchmark-secret-key-0123456789abcdef"
SWEEP_SESSIONS = 100_000
DEVICES = 1_000
TOKEN_P99_TARGET_MS = 5.0
SWEEP_P99_TARGET_MS = 20.0
RSS_TARGET_MIB = 400
TOKEN_SHARE_TARGET = 0.8


def run(command, **kwargs):
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


class Cluster:
    """A PostgreSQL cluster of the benchmark's own, on loopback, with auto_explain loaded (it
    writes plans only while `log_min_duration` is set) and JSON logs to read them from."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="rest-auth-scale-"))
        self.port = free_port()
        self.bin = self._bin()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/scale"

    @staticmethod
    def _bin():
        found = shutil.which("initdb")
        if found:
            return Path(found).parent
        return sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]

    def _as_postgres(self, program, *args):
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return run(command)

    def start(self):
        if os.geteuid() == 0:
            run(["chown", "-R", "postgres:postgres", str(self.dir)])
        data = self.dir / "data"
        self._as_postgres("initdb", "--auth=trust", "--username=postgres", "--no-sync",
                          "--encoding=UTF8", "-D", str(data))
        options = " ".join([
            f"-p {self.port}", "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.dir}",
            "-c shared_buffers=256MB", "-c max_connections=200",
            # A throwaway cluster: durability is not what is measured (the token path reads).
            "-c fsync=off", "-c synchronous_commit=off",
            "-c session_preload_libraries=auto_explain", "-c auto_explain.log_format=json",
            "-c logging_collector=on", "-c log_destination=jsonlog",
            f"-c log_directory={self.dir}", "-c log_filename=pg",
        ])
        self._as_postgres("pg_ctl", "-w", "-D", str(data), "-l", str(self.dir / "start.log"),
                          "-o", options, "start")
        self.psql("CREATE DATABASE scale", database="postgres")

    def psql(self, sql, database="scale"):
        url = self.url.rsplit("/", 1)[0] + "/" + database
        return run(["psql", url, "-tAc", sql]).stdout.strip()

    def transactions(self):
        """Transactions in the database so far. A backend reports its counts within 10 s of
        going idle, hence the wait."""
        time.sleep(11)
        return int(self.psql("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                             "WHERE datname = 'scale'"))

    def explain(self, on):
        value = "0" if on else "-1"
        self.psql(f"ALTER SYSTEM SET auto_explain.log_min_duration = {value}")
        self.psql("SELECT pg_reload_conf()")
        time.sleep(1)

    def plans(self):
        """Every statement auto_explain logged, with its plan."""
        found = {}
        for log in self.dir.glob("pg*.json"):
            for line in log.read_text().splitlines():
                message = json.loads(line).get("message", "")
                if "plan:" not in message:
                    continue
                plan = json.loads(message.split("plan:", 1)[1])
                found[plan["Query Text"].strip()] = plan["Plan"]
        return found

    def stop(self):
        self._as_postgres("pg_ctl", "-m", "fast", "-D", str(self.dir / "data"), "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


class Instance:
    """One release server on the cluster."""

    def __init__(self, name, database_url, work):
        self.name, self.database_url = name, database_url
        self.data = work / name
        self.data.mkdir(exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("LOGIN_", "HASH_", "SESSION_", "RUST_LOG", "DATABASE_"))}
        env.update(DATA_DIR=str(self.data), DATABASE_URL=self.database_url, SECRET_KEY=SECRET,
                   LEPTOS_SITE_ADDR=f"127.0.0.1:{self.port}",
                   LEPTOS_SITE_ROOT=str(ROOT / "target/site"),
                   DATABASE_MAX_CONNECTIONS="16")
        self.process = subprocess.Popen([str(BIN)], cwd=self.data, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        sys.exit(f"{self.name} did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)

    def database_lookups(self):
        """Sessions it looked up in the database so far (its /metrics)."""
        with urllib.request.urlopen(self.base + "/metrics") as response:
            text = response.read().decode()
        prefix = 'session_lookups_total{answered_from="database"} '
        return next(int(line[len(prefix):]) for line in text.splitlines()
                    if line.startswith(prefix))

    def rss_mib(self):
        return rss_kib(self.process.pid) / 1024

    def cpu_seconds(self):
        return cpu_seconds(self.process.pid)


def wrk(url, seconds, script=None, env=None):
    """One thread, CONNECTIONS connections (bench.py's wrk)."""
    return bench.wrk(url, seconds=seconds, threads=1, connections=CONNECTIONS, script=script,
                     env={"WRK_THREADS": "1", **(env or {})})


def both(jobs):
    """Runs one load generator per instance at once; their sum and their worst p99."""
    results = run_concurrently(jobs)
    return {"rps": sum(r["rps"] for r in results), "p99": max(r["p99"] for r in results),
            "requests": sum(r["requests"] for r in results),
            "failed": sum(r["failed"] for r in results)}


def fill(cluster, first, last, tokens, extra=0, started_ago=0):
    started = time.perf_counter()
    command = [str(FILL), cluster.url, SECRET, str(first), str(last), str(tokens)]
    if extra:
        command.append(str(extra))
    run(command, env={**os.environ, "SCALE_STARTED_AGO": str(started_ago)})
    return time.perf_counter() - started


def token_path(cluster, instances, tokens, working_set, work):
    """Each instance goes round the same `working_set` tokens in order: passes that warm its
    cache until every token was asked for once, then the measured run, continuing in order
    (so it asks first for the tokens asked for longest ago), with the database's transactions
    counted around it."""
    path = work / "working-set.txt"
    path.write_text("\n".join(tokens[:working_set]) + "\n")

    def go_round(done):
        return [lambda s=s, i=i: wrk(s.base + "/api/resource", SECONDS, "wrk_tokens.lua",
                                     {"WRK_TOKENS": str(path), "WRK_OFFSET": str(done[i])})
                for i, s in enumerate(instances)]

    # Each instance's own count: one that answered fewer requests is not yet warm.
    done = [0] * len(instances)
    while min(done) < working_set:
        for i, warmed in enumerate(run_concurrently(go_round(done))):
            done[i] += warmed["requests"]
    before = cluster.transactions()
    lookups = sum(s.database_lookups() for s in instances)
    result = with_cpu(instances, go_round(done))
    lookups = sum(s.database_lookups() for s in instances) - lookups
    result["transactions_per_request"] = (cluster.transactions() - before) / result["requests"]
    result["database_reads_per_request"] = lookups / result["requests"]
    result["rss_mib"] = [s.rss_mib() for s in instances]
    result["warm_requests_per_instance"] = min(done)
    return result


def healthz(instances):
    return with_cpu(instances, [lambda s=s: wrk(s.base + "/healthz", SECONDS) for s in instances])


def with_cpu(instances, jobs):
    """`both(jobs)`, with the instances' CPU time per request answered (every thread, user and
    system): what the server spent, which the load generators' share of the cores does not
    blur."""
    before = sum(s.cpu_seconds() for s in instances)
    result = both(jobs)
    spent = sum(s.cpu_seconds() for s in instances) - before
    result["server_cpu_us"] = spent * 1e6 / max(result["requests"], 1)
    return result


def sign_in(instances, accounts, register=False):
    env = {"WRK_ACCOUNTS": str(accounts)}
    if register:
        env["WRK_REGISTER"] = "1"
    path = "/api/users" if register else "/api/token"
    return both([lambda i=i, s=s: wrk(s.base + path, SECONDS, "wrk_sign_in.lua",
                                      {**env, "WRK_PREFIX": str(i)})
                 for i, s in enumerate(instances)])


def scans(plan, found=None):
    """(node type, relation, index) of every scan in a plan tree."""
    found = [] if found is None else found
    if "Relation Name" in plan or "Index Name" in plan:
        found.append((plan["Node Type"], plan.get("Relation Name", ""), plan.get("Index Name", "")))
    for child in plan.get("Plans", []):
        scans(child, found)
    return found


def every_request_path(base, accounts):
    """One of each request of the password and token paths (passkeys and two-step codes need
    an authenticator; their statements are keyed lookups of the same shape), for their plans."""
    name = f"planned{os.getpid()}"
    sign_in = {"Authorization": basic(name, "scale-password")}
    request("POST", base + "/api/users", {"username": name, "password": "scale-password"})
    first = {"Authorization": "Bearer " + request("GET", base + "/api/token", headers=sign_in)["token"]}
    request("GET", base + "/api/token", headers=sign_in)  # a second session, ended below
    cold = request("GET", base + "/api/token",
                   headers={"Authorization": basic(f"scale{accounts}", "scale-password")})["token"]
    request("GET", base + "/api/resource", headers={"Authorization": f"Bearer {cold}"})
    request("GET", base + "/api/resource", headers=first)
    request("GET", base + "/api/token", headers=first)  # a refresh
    request("GET", base + "/api/users/1")
    listed = request("GET", base + "/api/sessions", headers=first)["sessions"]
    other = next(s["id"] for s in listed if not s.get("current"))
    request("DELETE", base + f"/api/sessions/{other}", headers=first)
    request("DELETE", base + "/api/sessions/others", headers=first)
    try:
        request("GET", base + "/api/token", headers={"Authorization": basic(name, "wrong")})
    except urllib.error.HTTPError:
        pass
    changed = request("PUT", base + "/api/users/me/password",
                      {"current_password": "scale-password", "new_password": "scale-password-2"},
                      headers=first)["token"]
    changed = {"Authorization": f"Bearer {changed}"}
    request("DELETE", base + "/api/sessions/current", headers=changed)
    sign_in = {"Authorization": basic(name, "scale-password-2")}
    again = {"Authorization": "Bearer " + request("GET", base + "/api/token", headers=sign_in)["token"]}
    request("POST", base + "/api/logout", headers=again)
    again = {"Authorization": "Bearer " + request("GET", base + "/api/token", headers=sign_in)["token"]}
    request("DELETE", base + "/api/users/me", {"password": "scale-password-2"}, headers=again)


def redraw():
    """The chart again from bench/scale.json (after a change to its drawing)."""
    results = json.loads((ROOT / "bench/scale.json").read_text())
    (ROOT / "bench/scale.svg").write_text(chart(results))


def main():
    work = Path(tempfile.mkdtemp(prefix="rest-auth-scale-work-"))
    cluster = Cluster()
    cluster.start()
    results = {"date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count(),
               "cpu": cpu_model(), "seconds": SECONDS, "connections": CONNECTIONS, "sizes": []}
    instances = []
    try:
        tokens = []
        filled = 0
        for size in SIZES:
            print(f"filling to {size:,} accounts and sessions", file=sys.stderr)
            part = work / f"tokens-{size}.txt"
            took = fill(cluster, filled + 1, size, part)
            tokens += part.read_text().split()
            filled = size
            print(f"  {took:.0f} s", file=sys.stderr)
            # Fresh instances, so each size starts from empty caches.
            for s in instances:
                s.stop()
            instances = [Instance(f"instance{i}", cluster.url, work) for i in range(2)]
            for s in instances:
                s.start()
            row = {"size": size, "fill_seconds": took, "idle_rss_mib": [s.rss_mib() for s in instances]}
            row["healthz"] = healthz(instances)
            row["token_path"] = {}
            for working_set in WORKING_SETS:
                if working_set > size:
                    continue
                print(f"  token path, {working_set:,} tokens per instance", file=sys.stderr)
                row["token_path"][working_set] = token_path(cluster, instances, tokens,
                                                            working_set, work)
            print("  sign-in and registration", file=sys.stderr)
            row["sign_in"] = sign_in(instances, size)
            row["register"] = sign_in(instances, size, register=True)
            row["database_bytes"] = int(cluster.psql("SELECT pg_database_size('scale')"))
            row["sessions_bytes"] = int(cluster.psql("SELECT pg_total_relation_size('sessions')"))
            row["sessions"] = int(cluster.psql("SELECT count(*) FROM sessions"))
            results["sizes"].append(row)
            print(json.dumps(row, indent=1), file=sys.stderr)

        print("the plans of the request paths' statements", file=sys.stderr)
        cluster.explain(True)
        every_request_path(instances[0].base, filled)
        # The expiry sweep and the pruning of login failures run when an instance starts.
        instances[1].stop()
        instances[1].start()
        time.sleep(1)
        cluster.explain(False)
        results["plans"] = {query: scans(plan) for query, plan in cluster.plans().items()
                            if "pg_reload_conf" not in query}

        print(f"a user with {DEVICES:,} sessions", file=sys.stderr)
        devices = work / "devices.txt"
        fill(cluster, filled + 1, filled + 1, devices, extra=DEVICES - 1)
        filled += 1
        results["sessions_list"] = both([
            lambda s=s: wrk(s.base + "/api/sessions", SECONDS, "wrk_tokens.lua",
                            {"WRK_TOKENS": str(devices), "WRK_PATH": "/api/sessions"})
            for s in instances])

        print(f"the expiry sweep ending {SWEEP_SESSIONS:,} sessions", file=sys.stderr)
        swept = work / "swept.txt"
        fill(cluster, filled + 1, filled + SWEEP_SESSIONS, swept, started_ago=2 * 86_400)
        filled += SWEEP_SESSIONS
        hot = work / "hot.txt"
        hot.write_text("\n".join(tokens[:1_000]) + "\n")
        instances[1].stop()
        old = f"SELECT count(*) FROM sessions WHERE started_at < {int(time.time()) - 86_400}"
        outcome = {}

        def load():
            outcome["token_path"] = wrk(instances[0].base + "/api/resource", SECONDS * 2,
                                        "wrk_tokens.lua", {"WRK_TOKENS": str(hot)})

        def sweep():
            time.sleep(1)
            started = time.perf_counter()
            instances[1].start()  # sweeps at start-up
            while int(cluster.psql(old)) > 0:
                time.sleep(0.05)
            outcome["seconds"] = time.perf_counter() - started

        run_concurrently([load, sweep])
        results["sweep"] = outcome
    finally:
        for s in instances:
            s.stop()
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    (ROOT / "bench").mkdir(exist_ok=True)
    (ROOT / "bench/scale.json").write_text(json.dumps(results, indent=2) + "\n")
    report = markdown(results)
    (ROOT / "bench/scale.md").write_text(report)
    (ROOT / "bench/scale.svg").write_text(chart(results))
    splice(report)
    print(report)


def mib(n):
    return n / 1024 / 1024


def markdown(r):
    largest = r["sizes"][-1]
    lines = [
        "## Scale: a million accounts, a million sessions",
        "",
        f"Written by `./scripts/scale.sh` (run by hand; not part of `./scripts/bench.sh`). "
        f"Run {r['date']}, {r['cores']} cores ({r['cpu']}). Two instances on a PostgreSQL "
        f"cluster of the benchmark's own on the same machine (fsync off: reads are what is "
        f"measured), each driven by its own wrk (one thread, {r['connections']} connections, "
        f"{r['seconds']} s); accounts and sessions filled through the store's code with one "
        "password hash. Token path: both instances go round the same working set of distinct "
        "tokens in order, after passes that asked for each once (warming the caches); "
        "over the measured run, the sessions each instance read from the database (its "
        "`/metrics`) and the transactions PostgreSQL counted (pg_stat_database: those reads, "
        "and the writes of sessions' last use, at most one per session per minute per "
        "instance, in batches). Server CPU per request: the instances' CPU time (every thread) "
        "over the requests they answered; its ratio to /healthz's is what the token path costs "
        "the server, whatever the load generators take of the shared cores.",
        "",
        "| accounts & sessions | working set per instance | token path requests/s | of /healthz "
        "| p99 | server CPU per request | of /healthz by CPU "
        "| sessions read from the database per request | transactions per request "
        "| RSS per instance |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def cpu(t):
        return f"{t['server_cpu_us']:.1f} µs" if "server_cpu_us" in t else "—"

    for row in r["sizes"]:
        h = row["healthz"]
        lines.append(f"| {row['size']:,} | /healthz | {h['rps']:,.0f} | | {h['p99']:.2f} ms | "
                     f"{cpu(h)} | | | | {max(row['idle_rss_mib']):.0f} MiB |")
        for working_set, t in row["token_path"].items():
            by_cpu = (f"{h['server_cpu_us'] / t['server_cpu_us']:.0%}"
                      if "server_cpu_us" in t and "server_cpu_us" in h else "—")
            lines.append(
                f"| {row['size']:,} | {int(working_set):,} | {t['rps']:,.0f} | "
                f"{t['rps'] / h['rps']:.0%} | {t['p99']:.2f} ms | {cpu(t)} | {by_cpu} | "
                f"{t['database_reads_per_request']:.3f} | {t['transactions_per_request']:.3f} | "
                f"{max(t['rss_mib']):.0f} MiB |")
    lines += [
        "",
        "| accounts & sessions | password sign-in/s | p99 | registrations/s | p99 | database "
        "| sessions table and indexes |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in r["sizes"]:
        lines.append(
            f"| {row['size']:,} | {row['sign_in']['rps']:,.0f} | {row['sign_in']['p99']:.0f} ms "
            f"| {row['register']['rps']:,.0f} | {row['register']['p99']:.0f} ms "
            f"| {mib(row['database_bytes']):,.0f} MiB | {mib(row['sessions_bytes']):,.0f} MiB |")
    per_million = mib(largest["sessions_bytes"]) * 1_000_000 / max(largest["sessions"], 1)
    sessions_list = r["sessions_list"]
    sweep = r["sweep"]
    lines += [
        "",
        f"Per million sessions the sessions table and its indexes take {per_million:,.0f} MiB.",
        f"`GET /api/sessions` for a user with {DEVICES:,} sessions: "
        f"{sessions_list['rps']:,.0f} requests/s, p99 {sessions_list['p99']:.1f} ms.",
        f"The expiry sweep ending {SWEEP_SESSIONS:,} sessions at once (an instance starting): "
        f"{sweep['seconds']:.1f} s; the other instance's token path meanwhile "
        f"{sweep['token_path']['rps']:,.0f} requests/s, p99 {sweep['token_path']['p99']:.2f} ms.",
        "",
        "![Token path requests/s and p99 against the working set](bench/scale.svg)",
        "",
        "### Targets (scale)",
        "",
        "| target | measured | met |",
        "|---|---:|:---:|",
    ]
    big = largest["token_path"].get(300_000) or largest["token_path"].get("300000")
    if big:
        share = big["rps"] / largest["healthz"]["rps"]
        lines.append(f"| token path, {largest['size']:,} sessions, 300k per instance: ≥ 80% of "
                     f"/healthz | {share:.0%} | {'yes' if share >= TOKEN_SHARE_TARGET else '**no**'} |")
        lines.append(f"| ... p99 < {TOKEN_P99_TARGET_MS:.0f} ms | {big['p99']:.2f} ms | "
                     f"{'yes' if big['p99'] < TOKEN_P99_TARGET_MS else '**no**'} |")
        rss = max(big["rss_mib"])
        lines.append(f"| RSS with 300k sessions cached < {RSS_TARGET_MIB} MiB | {rss:.0f} MiB | "
                     f"{'yes' if rss < RSS_TARGET_MIB else '**no**'} |")
    p99 = sweep["token_path"]["p99"]
    lines.append(f"| token p99 during a {SWEEP_SESSIONS:,}-session expiry < "
                 f"{SWEEP_P99_TARGET_MS:.0f} ms | {p99:.2f} ms | "
                 f"{'yes' if p99 < SWEEP_P99_TARGET_MS else '**no**'} |")
    lines += [
        "",
        "### The plan of every statement the request paths ran",
        "",
        "Logged by PostgreSQL's auto_explain while one of each API request ran against "
        f"{largest['size']:,} accounts and sessions.",
        "",
        "| statement | scans |",
        "|---|---|",
    ]
    for query, found in sorted(r["plans"].items()):
        described = "; ".join(node + (f" on {relation}" if relation else "")
                              + (f" using {index}" if index else "")
                              for node, relation, index in found) or "no table read"
        if any(node == "Seq Scan" for node, _, _ in found):
            described = f"**{described}**"
        lines.append(f"| `{' '.join(query.split())}` | {described} |")
    lines.append("")
    return "\n".join(lines)


def chart(r):
    """Token path requests/s and p99 against the working set, one line per size."""
    width, height, left, top, plot_w, plot_h = 760, 340, 60, 40, 280, 200
    colours = ["#3b6fd4", "#d4803b", "#3bd48a", "#b03bd4"]
    sets = WORKING_SETS
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           'font-family="sans-serif" font-size="12">',
           '<style>text{fill:#222}@media (prefers-color-scheme:dark){text{fill:#ddd}}</style>',
           f'<text x="10" y="20" font-size="14" font-weight="bold">Token path against the '
           f'working set per instance ({r["date"]})</text>']
    for panel, (key, label) in enumerate((("rps", "requests/s"), ("p99", "p99 (ms)"))):
        x0 = left + panel * (plot_w + 100)
        values = [t[key] for row in r["sizes"] for t in row["token_path"].values()] or [1]
        top_value = max(values) * 1.1
        out.append(f'<text x="{x0}" y="{top + 0}" font-weight="bold">{label}</text>')
        out.append(f'<line x1="{x0}" y1="{top + plot_h + 10}" x2="{x0 + plot_w}" '
                   f'y2="{top + plot_h + 10}" stroke="#888"/>')
        for i, working_set in enumerate(sets):
            x = x0 + i * plot_w / (len(sets) - 1)
            out.append(f'<text x="{x:.0f}" y="{top + plot_h + 26}" text-anchor="middle">'
                       f'{working_set:,}</text>')
        for n, row in enumerate(r["sizes"]):
            colour = colours[n % len(colours)]
            points, labels = [], []
            for i, working_set in enumerate(sets):
                t = row["token_path"].get(working_set) or row["token_path"].get(str(working_set))
                if t:
                    x = x0 + i * plot_w / (len(sets) - 1)
                    y = top + 10 + plot_h * (1 - t[key] / top_value)
                    points.append(f"{x:.1f},{y:.1f}")
                    value = f"{t[key]:,.0f}" if key == "rps" else f"{t[key]:.1f}"
                    labels.append(f'<text x="{x + 5:.1f}" y="{y - 5:.1f}" font-size="10" '
                                  f'fill="{colour}">{value}</text>')
            if points:
                out.append(f'<polyline points="{" ".join(points)}" fill="none" '
                           f'stroke="{colour}" stroke-width="2"/>')
                for point in points:
                    x, y = point.split(",")
                    out.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>')
                out += labels
            if panel == 0:
                legend = escape(f"{row['size']:,} accounts and sessions")
                y = height - 12 - 14 * (len(r["sizes"]) - 1 - n)
                out.append(f'<text x="{left}" y="{y}" fill="{colour}">{legend}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def splice(report):
    """Puts the scale section into BENCHMARKS.md in place of the previous one."""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    heading = "## Scale: "
    if heading in text:
        text = text[:text.index(heading)].rstrip() + "\n\n"
    path.write_text(text.rstrip() + "\n\n" + report)


if __name__ == "__main__":
    redraw() if sys.argv[1:] == ["--redraw"] else main()
