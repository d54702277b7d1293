#!/usr/bin/env python3
"""HTTP load benchmark of the memory server: `python3 bench/load.py` (needs wrk: apt install wrk).

Builds the release binary, then for each storage and signer starts the server pinned to CPU 0 and
runs wrk pinned to CPU 1, at 32 connections and at 1, over: discovery, registration,
client_credentials tokens, the PKCE code flow, `GET /api/memories` and MCP `tools/list` with a
token, with the API key and with a garbage token. Prints a Markdown table of requests/s, p50/p99
latency and the server's CPU use (medians over --runs runs), the server's RSS at idle and after
the load with the clients it then holds (what the RSS beyond twice the idle RSS comes to per live
client), and the time from process start to the first answered request. Only the standard
library: no pip install.
"""

import argparse
import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WRK_DIR = os.path.join(ROOT, "bench", "wrk")
API_KEY = "bench-owner-key-0123456789"
REDIRECT = "http://localhost/callback"
# A public client registered as Claude Code registers (so each code flow also issues a refresh
# token): the registration scenario's body and the code-flow scenario's client.
PUBLIC_CLIENT = json.dumps(
    {
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    }
)
SIGNERS = ["hs256", "eddsa", "paseto-v4-public", "paseto-v4-local"]
STORAGES = ["memory", "surrealkv"]
# The scenarios whose cost depends on the signer; the others run with hs256 only.
SIGNER_SCENARIOS = {"client_credentials", "code_flow", "api_token", "mcp_token"}


def build():
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "-p", "mcp-oauth-server", "--bin", "memory"],
        cwd=ROOT,
        check=True,
    )
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "release", "memory")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """The release server on one CPU, with the storage and signer asked for."""

    def __init__(self, binary, signer, storage, surrealkv_options=""):
        self.port = free_port()
        self.data = tempfile.mkdtemp(prefix="memory-bench-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_")}
        env.update(
            MCP_HTTP_PORT=str(self.port),
            MCP_OAUTH_SIGNER=signer,
            MCP_API_KEY=API_KEY,
            MCP_OAUTH_AUTO_APPROVE="true",
            MCP_OAUTH_RATE_LIMIT_PER_MINUTE="0",
        )
        if storage == "memory":
            env["MCP_OAUTH_STORAGE_BACKEND"] = "memory"
        else:
            env["MCP_OAUTH_STORAGE_BACKEND"] = "surrealdb"
            env["MCP_OAUTH_STORAGE_URL"] = f"surrealkv://{self.data}/db{surrealkv_options}"
        started = time.perf_counter()
        self.process = subprocess.Popen(
            ["taskset", "-c", "0", binary, "server", "--http"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.startup_ms = self._wait_until_answering(started)

    def _wait_until_answering(self, started):
        while time.perf_counter() - started < 30:
            try:
                status, _, _ = self.call("GET", "/api/health")
                if status == 200:
                    return (time.perf_counter() - started) * 1000
            except OSError:
                time.sleep(0.001)
        raise RuntimeError("the server did not answer within 30 s")

    def call(self, method, path, headers=None, body=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def rss_mb(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def live_records(self):
        """Registered clients and grants in force, as the server's /metrics counts them."""
        status, _, body = self.call("GET", "/metrics", {"X-API-Key": API_KEY})
        assert status == 200, body
        counts = dict(re.findall(r"^oauth_(clients|grants) (\d+)$", body.decode(), re.M))
        return int(counts.get("clients", 0)), int(counts.get("grants", 0))

    def cpu_seconds(self):
        """User and system CPU time the server has used so far."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            # The fields after the command name, which is in parentheses and may hold spaces.
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.data, ignore_errors=True)


def pkce_pair():
    verifier = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


def prepare(server):
    """Clients, a token and MCP sessions the scenarios use."""
    owner = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    status, _, body = server.call(
        "POST",
        "/oauth/register",
        owner,
        json.dumps({"grant_types": ["client_credentials"], "scope": "read write"}),
    )
    assert status == 201, body
    machine = json.loads(body)
    basic = base64.b64encode(f"{machine['client_id']}:{machine['client_secret']}".encode()).decode()
    status, _, body = server.call(
        "POST",
        "/oauth/token",
        {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
        "grant_type=client_credentials&scope=read%20write",
    )
    assert status == 200, body
    token = json.loads(body)["access_token"]
    status, _, body = server.call(
        "POST",
        "/oauth/register",
        {"Content-Type": "application/json"},
        PUBLIC_CLIENT,
    )
    assert status == 201, body
    public = json.loads(body)["client_id"]
    return {
        "basic": basic,
        "token": token,
        "public": public,
        "sessions_token": ",".join(mcp_session(server, f"Bearer {token}") for _ in range(32)),
        "sessions_key": ",".join(mcp_session(server, f"Bearer {API_KEY}") for _ in range(32)),
    }


def mcp_session(server, authorization):
    headers = {
        "Authorization": authorization,
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
    }
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "bench", "version": "1"},
        },
    }
    status, answer_headers, body = server.call("POST", "/mcp", headers, json.dumps(initialize))
    assert status == 200, body
    session = {k.lower(): v for k, v in answer_headers.items()}["mcp-session-id"]
    headers["Mcp-Session-Id"] = session
    headers["MCP-Protocol-Version"] = "2025-06-18"
    notice = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    status, _, body = server.call("POST", "/mcp", headers, json.dumps(notice))
    assert status == 202, (status, body)
    return session


def scenarios(setup):
    """name → (wrk script, environment, expected status, what it measures)."""
    mcp_headers = (
        "Content-Type: application/json\nAccept: application/json, text/event-stream\n"
        "MCP-Protocol-Version: 2025-06-18\n"
    )
    tools_list = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    verifier, challenge = pkce_pair()
    simple = lambda method, path, headers="", body=None, status=200, sessions=None: (  # noqa: E731
        "request.lua",
        {
            "BENCH_METHOD": method,
            "BENCH_PATH": path,
            "BENCH_HEADERS": headers,
            "BENCH_STATUS": str(status),
            **({"BENCH_BODY": body} if body else {}),
            **({"BENCH_SESSIONS": sessions} if sessions else {}),
        },
    )
    return {
        "discovery": simple("GET", "/.well-known/oauth-authorization-server"),
        "registration": simple(
            "POST",
            "/oauth/register",
            "Content-Type: application/json\n",
            PUBLIC_CLIENT,
            201,
        ),
        "client_credentials": simple(
            "POST",
            "/oauth/token",
            f"Authorization: Basic {setup['basic']}\n"
            "Content-Type: application/x-www-form-urlencoded\n",
            "grant_type=client_credentials&scope=read",
        ),
        "code_flow": (
            "code_flow.lua",
            {
                "BENCH_CLIENT": setup["public"],
                "BENCH_REDIRECT": REDIRECT.replace(":", "%3A").replace("/", "%2F"),
                "BENCH_CHALLENGE": challenge,
                "BENCH_VERIFIER": verifier,
            },
        ),
        "api_token": simple("GET", "/api/memories", f"Authorization: Bearer {setup['token']}\n"),
        "api_key": simple("GET", "/api/memories", f"X-API-Key: {API_KEY}\n"),
        "api_garbage": simple(
            "GET", "/api/memories", "Authorization: Bearer not-a-token\n", status=401
        ),
        "mcp_token": simple(
            "POST",
            "/mcp",
            f"{mcp_headers}Authorization: Bearer {setup['token']}\n",
            tools_list,
            sessions=setup["sessions_token"],
        ),
        "mcp_key": simple(
            "POST",
            "/mcp",
            f"{mcp_headers}Authorization: Bearer {API_KEY}\n",
            tools_list,
            sessions=setup["sessions_key"],
        ),
    }


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(server, script, env, connections, seconds):
    """One wrk run: (requests or flows per second, p50 ms, p99 ms, server CPU %, unexpected
    answers). The server's CPU use is its CPU time over the run's wall time: below 100 % on its
    one core, it waited (on the disk, or on the load generator)."""
    # One wrk thread per connection when each needs its own MCP session (wrk's Lua state is per
    # thread); one thread otherwise, the cheapest way to drive many connections from one CPU.
    threads = connections if "BENCH_SESSIONS" in env else 1
    command = [
        "taskset", "-c", "1", "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
        "-s", os.path.join(WRK_DIR, script), f"http://127.0.0.1:{server.port}",
    ]
    cpu_before, wall_before = server.cpu_seconds(), time.perf_counter()
    output = subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, check=True
    ).stdout
    busy = 100 * (server.cpu_seconds() - cpu_before) / (time.perf_counter() - wall_before)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    flows = re.search(r"bench-flows: (\d+)", output)
    if flows:
        rate = int(flows.group(1)) / seconds
    latency = {
        percent: float(value) * UNITS[unit]
        for percent, value, unit in re.findall(r"\s(50|99)%\s+([\d.]+)(us|ms|s)\b", output)
    }
    unexpected = int(re.search(r"bench-unexpected: (\d+)", output).group(1))
    p50, p99 = latency.get("50", float("nan")), latency.get("99", float("nan"))
    return rate, p50, p99, busy, unexpected


def measure(server, script, env, connections, seconds, runs):
    results = [wrk(server, script, env, connections, seconds) for _ in range(runs)]
    if any(result[4] for result in results):
        print(f"  warning: {sum(r[4] for r in results)} unexpected answers", file=sys.stderr)
    return tuple(statistics.median(r[i] for r in results) for i in range(4))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signers", default=",".join(SIGNERS))
    parser.add_argument("--storages", default=",".join(STORAGES))
    parser.add_argument("--scenarios", default="", help="comma-separated subset (default: all)")
    parser.add_argument("--seconds", type=int, default=4, help="length of each wrk run")
    parser.add_argument("--runs", type=int, default=3, help="runs per cell; the median is shown")
    parser.add_argument("--binary", help="a built memory binary (default: cargo build --release)")
    parser.add_argument(
        "--surrealkv-options",
        default="",
        help="appended to the surrealkv:// URL, e.g. '?sync=200ms' (default: sync on every commit)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt install wrk")
    binary = args.binary or build()
    wanted = set(filter(None, args.scenarios.split(",")))

    print(
        "| storage | signer | scenario | req/s @32 | p50 ms | p99 ms | server CPU @32 "
        "| req/s @1 | p50 ms | p99 ms | server CPU @1 |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    notes = []
    for storage in args.storages.split(","):
        for signer in args.signers.split(","):
            server = Server(binary, signer, storage, args.surrealkv_options)
            try:
                idle = server.rss_mb()
                setup = prepare(server)
                for name, (script, env) in scenarios(setup).items():
                    if wanted and name not in wanted:
                        continue
                    if signer != "hs256" and name not in SIGNER_SCENARIOS:
                        continue
                    many = measure(server, script, env, 32, args.seconds, args.runs)
                    one = measure(server, script, env, 1, args.seconds, args.runs)
                    print(
                        f"| {storage} | {signer} | {name} | {many[0]:,.0f} | {many[1]:.2f} | "
                        f"{many[2]:.2f} | {many[3]:.0f} % | {one[0]:,.0f} | {one[1]:.2f} | "
                        f"{one[2]:.2f} | {one[3]:.0f} % |",
                        flush=True,
                    )
                after = server.rss_mb()
                clients, grants = server.live_records()
                per_client = (after - 2 * idle) * 1024 / clients if clients else 0
                notes.append(
                    f"{storage}/{signer}: first answer {server.startup_ms:.0f} ms after start, "
                    f"RSS {idle:.1f} MB idle, {after:.1f} MB after the load, holding {clients:,} "
                    f"clients and {grants:,} grants; beyond twice the idle RSS that is "
                    f"{max(per_client, 0):.2f} KB per client"
                )
            finally:
                server.stop()
    print()
    for note in notes:
        print(f"- {note}")


if __name__ == "__main__":
    main()
