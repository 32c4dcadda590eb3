#!/usr/bin/env python3
"""Times searches over HTTP and the same SQL in the sqlite3 CLI, in the same run.

The sqlite3 CLI's `.timer` reports whole milliseconds here, too coarse for sub-millisecond
queries, so the CLI figure is its mean: the wall time of one sqlite3 process running the
statement N times, minus the same process running it once, divided by N - 1. For
percentiles of the bare SQL, the same statement also runs N times through Python's
sqlite3 module (the same SQLite library, in process).

Then the same search from 32 connections at once with wrk, for its p50 and p99 under load.
Goals (issue 10): HTTP p50 at one connection within 2x the SQL's p50 or within 0.5 ms of it,
whichever is larger; p99 under 32 connections at most 10 ms.

Usage: search_latency.py BASE_URL TOKEN DB SYNCLET_BIN ITERATIONS NAME=QUERYSTRING ...

For each named search: ITERATIONS sequential GETs over one keep-alive connection (after a
warm-up), then the SQL the server runs (from `synclet dev search-sql`) executed
ITERATIONS times inside one sqlite3 process with `.timer on`. Prints p50/p99 of both and
the p99 ratio.
"""
import http.client, os, re, sqlite3, subprocess, sys, time, urllib.parse

base, token, db, binary, iterations = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
searches = [arg.split("=", 1) for arg in sys.argv[6:]]
url = urllib.parse.urlparse(base)

def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

def http_times(query):
    conn = http.client.HTTPConnection(url.hostname, url.port)
    headers = {"Authorization": f"Bearer {token}"}
    times, count = [], None
    for i in range(iterations + 20):
        start = time.perf_counter()
        conn.request("GET", "/v1/assets?" + query, headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
        if response.status != 200:
            sys.exit(f"{query}: HTTP {response.status} {body[:300]!r}")
        if i >= 20:
            times.append(elapsed * 1000)
        count = body.count(b'"id":"ast_')
    conn.close()
    return times, count

def sql_for(query):
    """The statements the server runs for this search, as it runs them: in order, stopping
    once a page plus one row is in hand (relevance reads one tier after another)."""
    params = dict(urllib.parse.parse_qsl(query))
    limit = int(params.pop("limit", "50")) + 1  # the server asks for one more to know if a next page exists
    params.pop("cursor", None)
    args = [f"{k}={v}" for k, v in params.items()] + [f"limit={limit}"]
    statements = subprocess.run([binary, "dev", "search-sql", *args], check=True, capture_output=True,
                                text=True).stdout.strip().splitlines()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    used, rows = [], 0
    for statement in statements:
        if rows >= limit:
            break
        used.append(statement)
        rows += len(conn.execute(statement).fetchall())
    conn.close()
    return "\n".join(used)

def cli_mean(sql):
    def run(n):
        start = time.perf_counter()
        subprocess.run(["sqlite3", db], input=".output /dev/null\n" + "\n".join([sql] * n) + "\n", check=True,
                       capture_output=True, text=True)
        return time.perf_counter() - start
    once = min(run(1) for _ in range(3))
    many = run(iterations + 1)
    return max(many - once, 0) / iterations * 1000

def library_times(sql):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    times = []
    for i in range(iterations + 20):
        start = time.perf_counter()
        for statement in sql.splitlines():
            conn.execute(statement).fetchall()
        if i >= 20:
            times.append((time.perf_counter() - start) * 1000)
    conn.close()
    return times

def under_load(query, seconds):
    """p50 and p99 in ms of the search from 32 connections (wrk)."""
    output = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-H", f"Authorization: Bearer {token}",
                             base + "/v1/assets?" + query], capture_output=True, text=True, check=True).stdout
    def ms(label):
        value, unit = re.search(rf"{label}\s+([0-9.]+)(us|ms|s)", output).groups()
        return float(value) / 1000 if unit == "us" else float(value) * 1000 if unit == "s" else float(value)
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", output).group(1))
    return ms("50%"), ms("99%"), rate

load_seconds = int(os.environ.get("BENCH_LOAD_SECONDS", "5"))
print(f"{'search':<14} {'rows':>4} {'HTTP p50':>9} {'HTTP p99':>9} {'CLI mean':>9} {'lib p50':>8} {'lib p99':>8} {'p50 goal':>9} {'met':>4} {'32c p50':>8} {'32c p99':>8} {'32c req/s':>9}")
for name, query in searches:
    http_ms, rows = http_times(query.split("&position=")[0])
    sql = sql_for(query)
    cli = cli_mean(sql)
    lib = library_times(sql)
    h50, h99, l50, l99 = percentile(http_ms, 50), percentile(http_ms, 99), percentile(lib, 50), percentile(lib, 99)
    goal = max(2 * l50, l50 + 0.5)
    c50, c99, rate = under_load(query.split("&position=")[0], load_seconds)
    met = "yes" if h50 <= goal and c99 <= 10 else "no"
    print(f"{name:<14} {rows:>4} {h50:>7.2f}ms {h99:>7.2f}ms {cli:>7.2f}ms {l50:>6.2f}ms {l99:>6.2f}ms {goal:>7.2f}ms {met:>4} {c50:>6.2f}ms {c99:>6.2f}ms {rate:>9.0f}")
