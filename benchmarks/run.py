#!/usr/bin/env python3
"""Tandem vs Apollo Gateway vs Hive Gateway (router runtime) on the same federated workload,
in the same run.

    .venv/bin/python benchmarks/run.py [--duration 20] [--connections 16] [--query storefront]
                                       [--only tandem,apollo,hive]

Starts the four benchmark subgraphs (benchmarks/subgraphs/), then for each gateway in turn:
starts it on the rewritten supergraph, checks its answers to every benchmark query against a
reference executed on a monolithic schema (deep-equal JSON, loud diff on mismatch), warms up,
drives load with wrk over loopback for a fixed duration and concurrency, samples the
gateway process tree's peak RSS from /proc and its CPU time, counts the subgraph requests
made during the measured window, checks the answers again, and stops it.
Prints RPS, p50/p99 latency, CPU ms per request, subgraph requests per request, peak RSS and
the Tandem/Apollo and Tandem/Hive ratios; writes JSON results to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from graphql import OperationDefinitionNode, parse

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SUBGRAPHS_DIR = BENCH / "subgraphs"
QUERIES_DIR = BENCH / "queries"
APOLLO_DIR = BENCH / "peers" / "apollo"
HIVE_DIR = BENCH / "peers" / "hive"
RESULTS_DIR = BENCH / "results"
SUPERGRAPH = BENCH / "supergraph.graphql"
SUBGRAPH_NAMES = ("accounts", "products", "inventory", "reviews")
DEFAULT_QUERY = "storefront"
GATEWAYS = ("tandem", "apollo", "hive")
PEERS = ("apollo", "hive")  # Tandem is compared with each of these
# Printed by benchmarks/peers/hive/gateway.config.mjs when Hive Gateway builds its graph with
# the router runtime's handler; the runner refuses to measure a Hive Gateway that did not.
HIVE_RUNTIME_MARKER = "tandem-bench: unified graph built by @graphql-hive/router-runtime"
# The router runtime's Rust query planner, a Node addon: mapped into the gateway process
# once the router runtime has planned with it.
HIVE_PLANNER_ADDON = "hive_router_query_planner"

sys.path.insert(0, str(SUBGRAPHS_DIR))
from reference import (  # type: ignore[import-not-found]  # noqa: E402
    build_reference_schema,
    reference_response,
)


class BenchError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, n: int = 40) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen.poll() is not None:
            return
        # The process was started in its own session: signal its whole group (it and the
        # children it forked, e.g. gateway workers), nothing else.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)


def spawn(
    name: str,
    cmd: list[str],
    log_dir: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Proc:
    log_path = log_dir / f"{name}.log"
    fh = open(log_path, "wb")  # noqa: SIM115 (owned by the child)
    popen = subprocess.Popen(
        cmd,
        stdout=fh,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    fh.close()
    return Proc(name, popen, log_path)


def wait_graphql_ready(proc: Proc, url: str, query: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not proc.alive():
                raise BenchError(
                    f"{proc.name} exited with code {proc.popen.returncode} before answering at "
                    f"{url}\n--- last lines of {proc.log_path} ---\n{proc.tail()}"
                )
            try:
                r = client.post(url, json={"query": query})
                if r.status_code == 200 and "data" in r.json():
                    return
                last = f"HTTP {r.status_code}: {r.text[:300]}"
            except (httpx.HTTPError, ValueError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.2)
    raise BenchError(
        f"{proc.name} did not answer a GraphQL POST at {url} within {timeout:.0f}s ({last})"
        f"\n--- last lines of {proc.log_path} ---\n{proc.tail()}"
    )


# ----------------------------------------------------------------------- /proc sampling

CLK_TCK = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return pids


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / CLK_TCK


class RssSampler(threading.Thread):
    """Samples the summed VmRSS of a process tree every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.phase_peak = 0
        self.last = 0
        self._stop_evt = threading.Event()

    def run(self) -> None:
        while not self._stop_evt.is_set():
            self.sample()
            self._stop_evt.wait(self.interval)

    def sample(self) -> int:
        value = rss_bytes(process_tree(self.pid))
        self.last = value
        self.peak = max(self.peak, value)
        self.phase_peak = max(self.phase_peak, value)
        return value

    def start_phase(self) -> None:
        self.phase_peak = self.sample()

    def stop(self) -> None:
        self._stop_evt.set()
        self.join(2)


# ------------------------------------------------------------------------ correctness


def load_queries() -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(QUERIES_DIR.glob("*.graphql")):
        name = path.stem
        var_path = path.with_suffix(".variables.json")
        variables = json.loads(var_path.read_text()) if var_path.exists() else None
        text = path.read_text()
        body: dict[str, Any] = {"query": text}
        ops = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
        if len(ops) == 1 and ops[0].name:
            body["operationName"] = ops[0].name.value
        if variables is not None:
            body["variables"] = variables
        out[name] = {"body": json.dumps(body, separators=(",", ":")).encode(), **body}
    return out


def json_diff(
    expected: Any, got: Any, path: str = "$", out: list[str] | None = None, limit: int = 25
) -> list[str]:
    out = [] if out is None else out
    if len(out) >= limit:
        return out
    if isinstance(expected, dict) and isinstance(got, dict):
        for k in expected:
            if k not in got:
                out.append(f"{path}.{k}: missing (expected {short(expected[k])})")
            else:
                json_diff(expected[k], got[k], f"{path}.{k}", out, limit)
        for k in got:
            if k not in expected:
                out.append(f"{path}.{k}: unexpected {short(got[k])}")
    elif isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            out.append(f"{path}: list length {len(got)}, expected {len(expected)}")
        for i, (e, g) in enumerate(zip(expected, got, strict=False)):
            json_diff(e, g, f"{path}[{i}]", out, limit)
    elif not same_scalar(expected, got):
        out.append(f"{path}: got {short(got)}, expected {short(expected)}")
    return out[:limit]


def same_scalar(expected: Any, got: Any) -> bool:
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(expected) is type(got) and expected == got
    if isinstance(expected, (dict, list)) or isinstance(got, (dict, list)):
        return False  # container vs something else
    return bool(expected == got)  # 4 == 4.0 is equal JSON


def short(v: Any, n: int = 120) -> str:
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= n else s[: n - 3] + "..."


def check_responses(
    gateway: str,
    url: str,
    queries: dict[str, dict[str, Any]],
    references: dict[str, Any],
    sub_ports: dict[str, int],
) -> dict[str, dict[str, Any]]:
    """POSTs each query once, sequentially, and compares the answer with the reference.

    Returns {query: {"bytes": raw response length, "fetches": subgraph requests it caused}},
    or {query: {"error": description of the difference}} for a wrong answer.
    """
    out: dict[str, dict[str, Any]] = {}
    headers = {"accept-encoding": "identity", **extra_headers()}
    with httpx.Client(timeout=30.0, headers=headers) as client:
        for name, q in queries.items():
            before = subgraph_stats(sub_ports)
            try:
                r = client.post(
                    url, content=q["body"], headers={"content-type": "application/json"}
                )
            except httpx.HTTPError as exc:
                out[name] = {"error": f"{gateway}: query {name!r} -> {type(exc).__name__}: {exc}"}
                continue
            if r.status_code != 200:
                out[name] = {
                    "error": f"{gateway}: query {name!r} -> HTTP {r.status_code}: {r.text[:2000]}"
                }
                continue
            try:
                got = r.json()
            except ValueError:
                out[name] = {"error": f"{gateway}: query {name!r} -> not JSON: {r.text[:500]}"}
                continue
            problems = []
            if "errors" in got:
                problems.append(f"$.errors: {short(got['errors'], 1500)}")
            problems += json_diff(references[name].get("data"), got.get("data"), "$.data")
            extra = sorted(set(got) - {"data", "errors", "extensions"})
            if extra:
                problems.append(f"unexpected top-level keys {extra}")
            if problems:
                out[name] = {
                    "error": f"{gateway}: response to query {name!r} differs from the "
                    "reference:\n  " + "\n  ".join(problems)
                }
                continue
            after = subgraph_stats(sub_ports)
            per = {n: requests_of(after[n]) - requests_of(before[n]) for n in sub_ports}
            out[name] = {
                "bytes": len(r.content),
                "fetches": sum(per.values()),
                "fetches_by_subgraph": {n: c for n, c in per.items() if c},
            }
    return out


def report_wrong(
    gateway: str, checked: dict[str, dict[str, Any]], result: dict[str, Any], key: str
) -> dict[str, str]:
    wrong = {q: c["error"] for q, c in checked.items() if "error" in c}
    if wrong:
        result[key] = wrong
        for err in wrong.values():
            print(f"\n*** {gateway}: WRONG ANSWER ***\n{err}\n", file=sys.stderr, flush=True)
    return wrong


# ------------------------------------------------------------------------------- wrk


def extra_headers() -> dict[str, str]:
    """Headers every request carries: ``BENCH_HEADERS`` (a JSON object), e.g. the development
    identity headers with ``TANDEM_DEV_IDENTITY=1``, so that Tandem signs an identity token
    for every subgraph request as it does for signed-in callers."""
    raw = os.environ.get("BENCH_HEADERS", "")
    return {str(k): str(v) for k, v in json.loads(raw).items()} if raw else {}


WRK_LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [{eq}[{body}]{eq}]
expected_len = {expected_len}
bad_status, bad_len, bad_errors, sent = 0, 0, 0, 0
local threads = {{}}
local req = nil

function setup(thread)
  table.insert(threads, thread)
end

-- Counts the requests sent, not only those answered: the ones in flight when wrk stops are
-- still served (their subgraph fetches are counted), so fetches per request divides by these.
function request()
  if not req then req = wrk.format() end
  sent = sent + 1
  return req
end

function response(status, headers, body)
  if status ~= 200 then
    bad_status = bad_status + 1
  elseif #body ~= expected_len then
    bad_len = bad_len + 1
  elseif string.find(body, '"errors"', 1, true) then
    bad_errors = bad_errors + 1
  end
end

function done(summary, latency, requests)
  local bs, bl, be, ns = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    bs = bs + t:get("bad_status")
    bl = bl + t:get("bad_len")
    be = be + t:get("bad_errors")
    ns = ns + t:get("sent")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {{"requests":%d,"sent":%d,"duration_us":%d,"bytes":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,' ..
    '"bad_status":%d,"bad_len":%d,"bad_errors":%d,' ..
    '"lat_mean_us":%.1f,"lat_max_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d}}\n',
    summary.requests, ns, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout, bs, bl, be,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
"""


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk not found: installing it with apt-get")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        inst = ["apt-get", "install", "-y", "-qq", "wrk"]
        if subprocess.run(inst, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
            subprocess.run(inst, env=env, capture_output=True)
        path = shutil.which("wrk")
        if path:
            return path
    raise BenchError("wrk is required: apt-get install wrk")


def run_wrk(
    wrk: str,
    url: str,
    body: bytes,
    expected_len: int,
    duration: float,
    connections: int,
    threads: int,
    script_dir: Path,
) -> dict[str, Any]:
    text = body.decode()
    eq = "=" * 4
    while f"]{eq}]" in text:
        eq += "="
    script = script_dir / f"wrk-{os.getpid()}-{time.monotonic_ns()}.lua"
    lua = WRK_LUA.format(eq=eq, body=text, expected_len=expected_len)
    for name, value in extra_headers().items():  # identity headers: see extra_headers
        lua = f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}\n" + lua
    script.write_text(lua)
    try:
        cmd = [
            wrk,
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ]
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        script.unlink(missing_ok=True)
    m = re.search(r"^WRKJSON (\{.*\})$", proc.stdout, re.M)
    if proc.returncode != 0 or not m:
        raise BenchError(f"wrk failed (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    res: dict[str, Any] = json.loads(m.group(1))
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6)
    wrk_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    res["wrk_cpu_pct"] = round(100 * wrk_cpu / (res["duration_us"] / 1e6), 1)
    res["socket_errors"] = sum(
        res[k] for k in ("err_connect", "err_read", "err_write", "err_timeout")
    )
    res["bad_responses"] = res["bad_status"] + res["bad_len"] + res["bad_errors"]
    return res


# --------------------------------------------------------------------------- gateways


def gateway_command(
    name: str, args: argparse.Namespace, supergraph: Path, port: int
) -> tuple[list[str], dict[str, str], Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APOLLO_")}
    if name == "tandem":
        exe = Path(sys.executable).parent / "tandem"
        if args.tandem_cmd:
            base = shlex.split(args.tandem_cmd)
        elif exe.exists():
            base = [str(exe)]
        else:  # entry point not installed (no `pip install -e .`): call it directly
            log(f"{exe} not found: starting Tandem through gateway.cli:main instead")
            base = [
                sys.executable,
                "-c",
                "import sys; from gateway.cli import main; sys.exit(main())",
            ]
        cmd = [
            *base,
            "serve",
            "--supergraph",
            str(supergraph),
            "--port",
            str(port),
            *shlex.split(args.tandem_args),
        ]
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        return cmd, env, ROOT
    if name == "apollo":
        ensure_peer_installed("Apollo Gateway", APOLLO_DIR, "@apollo/gateway")
        env.update(SUPERGRAPH=str(supergraph), PORT=str(port), NODE_ENV="production")
        return [args.node, "gateway.mjs"], env, APOLLO_DIR
    if name == "hive":
        ensure_peer_installed("Hive Gateway", HIVE_DIR, "@graphql-hive/router-runtime")
        # The Hive CLI reads its options from the environment too (PORT, HOST, FORK,
        # CONFIG_PATH, HIVE_*...): none of the caller's may change the configuration measured.
        for var in ("PORT", "HOST", "FORK", "CONFIG_PATH", "POLLING", "LOG_LEVEL", "DEBUG"):
            env.pop(var, None)
        env = {k: v for k, v in env.items() if not k.startswith(("HIVE_", "GATEWAY_"))}
        env.update(NODE_ENV="production", NO_COLOR="1")
        # Run from the peer folder: the CLI loads ./gateway.config.mjs, which switches on the
        # router runtime. One process (the CLI's default --fork 1), bound to loopback.
        bin_js = HIVE_DIR / "node_modules" / "@graphql-hive" / "gateway" / "dist" / "bin.js"
        cmd = [args.node, str(bin_js), "supergraph", str(supergraph)]
        return [*cmd, "--host", "127.0.0.1", "--port", str(port)], env, HIVE_DIR
    raise ValueError(name)


def ensure_peer_installed(title: str, folder: Path, package: str) -> None:
    """`npm install` in a peer's folder when its node_modules lacks `package` (node_modules
    and package-lock.json are git-ignored: each peer is installed on demand, from the exact
    versions its package.json pins)."""
    if (folder / "node_modules" / package / "package.json").is_file():
        return
    npm = shutil.which("npm")
    if not npm:
        raise BenchError(f"npm not found: needed to install the {title} peer")
    log(f"installing the {title} peer: npm install in {folder}")
    r = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund"], cwd=folder, capture_output=True, text=True
    )
    if r.returncode != 0:
        raise BenchError(f"npm install failed in {folder}:\n{r.stdout}\n{r.stderr}")


PEER_PACKAGES = {
    "apollo": (APOLLO_DIR, ("@apollo/gateway", "@apollo/server", "graphql")),
    "hive": (
        HIVE_DIR,
        (
            "@graphql-hive/gateway",
            "@graphql-hive/router-runtime",
            "@graphql-hive/router-query-planner",
            "graphql",
        ),
    ),
}


def peer_versions(name: str) -> dict[str, str]:
    """The installed versions of a Node peer's main packages (recorded in the JSON results)."""
    folder, packages = PEER_PACKAGES[name]
    out = {}
    for pkg in packages:
        with contextlib.suppress(OSError, ValueError, KeyError):
            meta = json.loads((folder / "node_modules" / pkg / "package.json").read_text())
            out[pkg] = str(meta["version"])
    return out


def check_hive_router_runtime(proc: Proc) -> str:
    """Proof that the Hive Gateway being measured runs on the router runtime: its config
    printed the marker when the router runtime's handler built the graph, and the Rust
    planner addon is mapped into the gateway process. Returns the addon's path."""
    if HIVE_RUNTIME_MARKER not in proc.tail(400):
        raise BenchError(
            f"hive: the log lacks {HIVE_RUNTIME_MARKER!r}: the gateway did not build its graph "
            f"with @graphql-hive/router-runtime\n--- last lines of {proc.log_path} ---\n"
            f"{proc.tail()}"
        )
    for pid in process_tree(proc.popen.pid):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/maps") as fh:
            for line in fh:
                if HIVE_PLANNER_ADDON in line:
                    return line.split(None, 5)[-1].strip()
    raise BenchError(
        f"hive: no {HIVE_PLANNER_ADDON} addon mapped in the gateway process after it answered "
        "queries: the Rust query planner is not in use"
    )


def subgraph_stats(ports: dict[str, int]) -> dict[str, dict[str, int]]:
    out = {}
    with httpx.Client(timeout=5.0) as client:
        for name, port in ports.items():
            try:
                out[name] = client.get(f"http://127.0.0.1:{port}/stats").json()
            except (httpx.HTTPError, ValueError):
                out[name] = {}
    return out


def requests_of(stats: dict[str, int]) -> int:
    return stats.get("hits", 0) + stats.get("misses", 0)


def settled_subgraph_stats(ports: dict[str, int], limit: float = 5.0) -> dict[str, dict[str, int]]:
    """The subgraphs' counters once they stop moving: when wrk stops, the gateway may still be
    finishing the requests wrk had in flight, and their subgraph fetches belong to the window
    just measured, not to the next one. Reads until two reads 100 ms apart agree (or `limit`
    seconds pass: a gateway that never stops fetching is still counted, just less exactly)."""
    prev = subgraph_stats(ports)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        time.sleep(0.1)
        cur = subgraph_stats(ports)
        if cur == prev:
            return cur
        prev = cur
    return prev


def bench_gateway(
    name: str,
    args: argparse.Namespace,
    supergraph: Path,
    queries: dict[str, dict[str, Any]],
    references: dict[str, Any],
    load_queries_: list[str],
    sub_ports: dict[str, int],
    sub_procs: list[Proc],
    log_dir: Path,
    wrk: str,
) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql"
    cmd, env, cwd = gateway_command(name, args, supergraph, port)
    result: dict[str, Any] = {"gateway": name, "command": cmd, "url": url}
    if name in PEER_PACKAGES:
        result["packages"] = peer_versions(name)
    log(f"{name}: starting: {shlex.join(cmd)}")
    t0 = time.monotonic()
    proc = spawn(f"gateway-{name}", cmd, log_dir, env=env, cwd=cwd)
    sampler = RssSampler(proc.popen.pid)
    sampler.start()
    try:
        wait_graphql_ready(proc, url, "{ __typename }", args.startup_timeout)
        result["startup_s"] = round(time.monotonic() - t0, 2)
        result["idle_rss"] = sampler.sample()
        log(
            f"{name}: ready in {result['startup_s']}s, RSS {mb(result['idle_rss'])} MB; "
            "checking responses"
        )
        checked = check_responses(name, url, queries, references, sub_ports)
        wrong = report_wrong(name, checked, result, "check_errors")
        good = {q: c for q, c in checked.items() if "error" not in c}
        sizes = {q: c["bytes"] for q, c in good.items()}
        result["response_bytes"] = sizes
        result["subgraph_fetches"] = {q: c["fetches"] for q, c in good.items()}
        result["subgraph_fetches_by_subgraph"] = {
            q: c["fetches_by_subgraph"] for q, c in good.items()
        }
        log(f"{name}: {len(good)}/{len(checked)} queries match the reference")
        for qn, c in good.items():
            log(f"{name}:   {qn}: {c['bytes']} bytes, subgraph fetches {c['fetches_by_subgraph']}")
        if name == "hive":
            addon = check_hive_router_runtime(proc)
            result["runtime"] = f"@graphql-hive/router-runtime, planner addon {addon}"
            log(f"{name}: router runtime in use (config marker in its log; {addon} mapped)")
        result["runs"] = {}
        for qname in load_queries_:
            q = queries[qname]
            if qname in wrong:
                log(f"{name}: NOT loading {qname!r}: its answer is wrong (see above)")
                continue
            if args.warmup > 0:
                log(f"{name}: warm-up {qname} {args.warmup:g}s")
                warm = run_wrk(
                    wrk,
                    url,
                    q["body"],
                    sizes[qname],
                    args.warmup,
                    args.connections,
                    args.threads,
                    log_dir,
                )
                if warm["bad_responses"]:
                    raise BenchError(
                        f"{name}: {warm['bad_responses']} bad responses during warm-up ({warm})"
                    )
            log(f"{name}: load {qname}: {args.connections} connections, {args.duration:g}s")
            pids = process_tree(proc.popen.pid)
            sub_pids = [p for sp in sub_procs for p in process_tree(sp.popen.pid)]
            st0 = settled_subgraph_stats(sub_ports)  # the warm-up's stragglers are done
            cpu0, sub_cpu0 = cpu_seconds(pids), cpu_seconds(sub_pids)
            sampler.start_phase()
            run = run_wrk(
                wrk,
                url,
                q["body"],
                sizes[qname],
                args.duration,
                args.connections,
                args.threads,
                log_dir,
            )
            run["peak_rss"] = sampler.phase_peak
            # The machine is shared: what else ran shows in the load average (1, 5, 15 min).
            run["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
            wall = run["duration_us"] / 1e6
            st1 = settled_subgraph_stats(sub_ports)
            gw_cpu = cpu_seconds(pids) - cpu0
            run["gateway_cpu_s"] = round(gw_cpu, 3)
            run["gateway_cpu_pct"] = round(100 * gw_cpu / wall, 1)
            run["subgraphs_cpu_pct"] = round(100 * (cpu_seconds(sub_pids) - sub_cpu0) / wall, 1)
            # Per client request: the gateway's CPU time, and the subgraph requests it made
            # (counted by the subgraphs themselves, the same way for every gateway, so
            # deduplication or batching under load shows up here). Both include the work for
            # the requests still in flight when wrk stopped, so both divide by the requests
            # wrk sent (the answered ones plus those <= --connections in flight).
            sent = max(run["sent"], run["requests"], 1)
            run["gateway_cpu_ms_per_request"] = round(1000 * gw_cpu / sent, 3)
            sub_requests = sum(requests_of(st1[n]) - requests_of(st0[n]) for n in st1)
            run["subgraph_requests"] = sub_requests
            run["subgraph_fetches_per_request"] = round(sub_requests / sent, 3)
            run["subgraph_fetches_single_request"] = result["subgraph_fetches"][qname]
            run["subgraph_memo_misses"] = sum(
                st1[n].get("misses", 0) - st0[n].get("misses", 0) for n in st1
            )
            run["response_bytes"] = sizes[qname]
            if run["subgraph_memo_misses"]:
                log(
                    f"{name}: WARNING: {run['subgraph_memo_misses']} subgraph requests under load "
                    "had a body never seen before (memo miss): this gateway sends varying "
                    "subgraph requests for the same query, and the subgraphs executed them"
                )
            result["runs"][qname] = run
            if run["bad_responses"]:
                raise BenchError(
                    f"{name}: {run['bad_responses']} responses under load were not "
                    f"the checked answer (status/length/errors): {run}"
                )
            if not proc.alive():
                raise BenchError(f"{name} died under load:\n{proc.tail()}")
        log(f"{name}: re-checking responses after load")
        after = check_responses(name, url, queries, references, sub_ports)
        wrong_after = report_wrong(
            name, {q: c for q, c in after.items() if q not in wrong}, result, "check_errors_after"
        )
        result["peak_rss"] = sampler.peak
        bad = sorted(set(wrong) | set(wrong_after))
        result["ok"] = not bad
        if bad:
            result["error"] = f"{name}: wrong answers to {', '.join(bad)} (diffs above)"
    except BenchError as exc:
        result["ok"] = False
        result["error"] = str(exc)
        result["peak_rss"] = sampler.peak
        print(f"\n*** {name} FAILED ***\n{exc}\n", file=sys.stderr, flush=True)
    finally:
        sampler.stop()
        proc.stop()
    return result


# ---------------------------------------------------------------------------- report


def mb(n: int | None) -> str:
    return "-" if not n else f"{n / 2**20:.0f}"


def ms(us: float | None) -> str:
    return "-" if us is None else f"{us / 1000:.2f}"


def print_report(
    results: dict[str, dict[str, Any]], load_queries_: list[str], args: argparse.Namespace
) -> dict[str, dict[str, Any]]:
    """Prints one table per loaded query and Tandem's ratios to each peer measured.

    Returns {peer: {query: {metric: Tandem's figure / the peer's}}}."""
    ratios: dict[str, dict[str, Any]] = {}
    for qname in load_queries_:
        rows = []
        size = None
        for gname in GATEWAYS:
            res = results.get(gname)
            if res is None:
                continue
            run = (res.get("runs") or {}).get(qname)
            size = size or (res.get("response_bytes") or {}).get(qname)
            if run is None:
                why = (res.get("check_errors") or {}).get(qname) or res.get("error", "")
                rows.append(f"{gname:<8} FAILED: {first_line(why)}")
                continue
            rows.append(
                f"{gname:<8} {run['rps']:>8.1f} {ms(run['p50_us']):>7} {ms(run['p99_us']):>7} "
                f"{run['gateway_cpu_ms_per_request']:>8.2f} "
                f"{run['subgraph_fetches_per_request']:>7.2f} {mb(run['peak_rss']):>7} "
                f"{run['gateway_cpu_pct']:>5.0f}% {run['subgraphs_cpu_pct']:>5.0f}% "
                f"{run['wrk_cpu_pct']:>5.0f}% {run['socket_errors']:>7}"
            )
        print()
        print(
            f"query {qname!r}: response {size or '?'} bytes, {args.connections} connections, "
            f"{args.duration:g}s per gateway, wrk -t{args.threads}"
        )
        print(
            f"{'gateway':<8} {'RPS':>8} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/r':>8} "
            f"{'fetch/r':>7} {'RSS MB':>7} {'gw CPU':>6} {'subg':>6} {'wrk':>6} {'sockerr':>7}"
        )
        print("\n".join(rows))
        t = (results.get("tandem") or {}).get("runs", {}).get(qname)
        for peer in PEERS:
            p = (results.get(peer) or {}).get("runs", {}).get(qname)
            if not (t and p):
                continue
            r = {
                key: t[key] / p[key] if p[key] else None
                for key in ("rps", "p50_us", "p99_us", "gateway_cpu_ms_per_request", "peak_rss")
            }
            ratios.setdefault(peer, {})[qname] = r
            print(
                f"Tandem/{peer.capitalize():<7} RPS x{fmt(r['rps'])}   p50 x{fmt(r['p50_us'])}   "
                f"p99 x{fmt(r['p99_us'])}   CPU/request x{fmt(r['gateway_cpu_ms_per_request'])}"
                f"   peak RSS x{fmt(r['peak_rss'])}"
            )
    print(
        "\nCPU ms/r: gateway process-tree CPU seconds / client requests sent in the measured"
        " window; fetch/r: subgraph requests / client requests sent in the window;"
        " RSS: peak in the window;"
        " gw CPU, subg, wrk: CPU use (100% = one core)"
    )
    for gname, res in results.items():
        if res.get("runtime"):
            print(f"{gname}: {res['runtime']}")
    for gname, res in results.items():
        if not res.get("ok"):
            print(
                f"\n{gname}: FAILED — {first_line(res.get('error', ''))} "
                f"(full error above; log under {args.log_dir})"
            )
    return ratios


def fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def first_line(s: str) -> str:
    return s.strip().splitlines()[0] if s.strip() else ""


# ------------------------------------------------------------------------------ main


def tool_version(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "?"


def main(argv: list[str] | None = None) -> int:
    queries = load_queries()
    ap = argparse.ArgumentParser(
        description="Tandem vs Apollo Gateway vs Hive Gateway (router runtime) federation benchmark"
    )
    ap.add_argument(
        "--duration",
        type=float,
        default=20,
        help="measured seconds per query per gateway (default 20)",
    )
    ap.add_argument(
        "--warmup",
        type=float,
        default=5,
        help="warm-up seconds before each measurement (default 5)",
    )
    ap.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    ap.add_argument(
        "--query",
        default=DEFAULT_QUERY,
        help=f"query to load: {', '.join(queries)} or 'all' (default "
        f"{DEFAULT_QUERY}); every query is correctness-checked regardless",
    )
    ap.add_argument(
        "--only",
        nargs="+",
        metavar="GATEWAY",
        help=f"gateways to benchmark, among {', '.join(GATEWAYS)} (space- or comma-separated; "
        "default all, in that order)",
    )
    ap.add_argument(
        "--node",
        default=os.environ.get("BENCH_NODE", "node"),
        help="node binary for Apollo Gateway and Hive Gateway (default $BENCH_NODE or node)",
    )
    ap.add_argument(
        "--tandem-cmd",
        default=os.environ.get("BENCH_TANDEM_CMD", ""),
        help="command that starts Tandem (default <venv>/bin/tandem)",
    )
    ap.add_argument(
        "--tandem-args",
        default=os.environ.get("BENCH_TANDEM_ARGS", ""),
        help="extra arguments after `tandem serve --supergraph F --port P`, "
        "e.g. --tandem-args='--workers 2'",
    )
    ap.add_argument("--startup-timeout", type=float, default=60)
    ap.add_argument("--no-json", action="store_true", help="do not write benchmarks/results/")
    args = ap.parse_args(argv)

    if args.query == "all":
        load_names = sorted(queries, key=lambda n: (n != DEFAULT_QUERY, n))
    elif args.query in queries:
        load_names = [args.query]
    else:
        ap.error(f"unknown query {args.query!r}; known: {', '.join(queries)}, all")
    gateways = list(GATEWAYS)
    if args.only:
        wanted = {g for item in args.only for g in item.split(",") if g}
        unknown = sorted(wanted - set(GATEWAYS))
        if unknown:
            ap.error(f"unknown gateway {', '.join(unknown)}; known: {', '.join(GATEWAYS)}")
        gateways = [g for g in GATEWAYS if g in wanted]

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    RESULTS_DIR.mkdir(exist_ok=True)
    log_dir = RESULTS_DIR / f"logs-{stamp}"
    log_dir.mkdir(parents=True, exist_ok=True)
    args.log_dir = log_dir
    wrk = ensure_wrk()
    loadavg_start = [round(x, 2) for x in os.getloadavg()]
    log(f"load average before the run: {loadavg_start} (1, 5, 15 min; {os.cpu_count()} CPUs)")

    supergraph_sdl = SUPERGRAPH.read_text()
    log("computing reference responses (monolithic schema, no federation)")
    ref_schema = build_reference_schema(supergraph_sdl)
    references = {
        n: reference_response(ref_schema, q["query"], q.get("variables"), q.get("operationName"))
        for n, q in queries.items()
    }
    from costs import print_costs  # demand control's estimated and actual cost per query

    print_costs(supergraph_sdl, queries, references)

    sub_ports = {n: free_port() for n in SUBGRAPH_NAMES}
    sub_procs: list[Proc] = []
    results: dict[str, dict[str, Any]] = {}
    try:
        for n, p in sub_ports.items():
            sub_procs.append(
                spawn(
                    f"subgraph-{n}",
                    [sys.executable, str(SUBGRAPHS_DIR / "server.py"), n, "--port", str(p)],
                    log_dir,
                )
            )
        for sp, (_n, p) in zip(sub_procs, sub_ports.items(), strict=True):
            wait_graphql_ready(sp, f"http://127.0.0.1:{p}/graphql", "{ _service { sdl } }", 30)
        log("subgraphs up: " + ", ".join(f"{n}:{p}" for n, p in sub_ports.items()))

        def url_for(m: re.Match[str]) -> str:
            return f"{m.group(1)}http://127.0.0.1:{sub_ports[m.group(2)]}/graphql{m.group(3)}"

        rewritten, count = re.subn(
            r'(@join__graph\(name:\s*"(\w+)",\s*url:\s*")[^"]*(")', url_for, supergraph_sdl
        )
        if count != len(SUBGRAPH_NAMES):
            raise BenchError(f"expected {len(SUBGRAPH_NAMES)} join__graph URLs, found {count}")
        supergraph = log_dir / "supergraph.graphql"
        supergraph.write_text(rewritten)

        for g in gateways:
            try:
                results[g] = bench_gateway(
                    g,
                    args,
                    supergraph,
                    queries,
                    references,
                    load_names,
                    sub_ports,
                    sub_procs,
                    log_dir,
                    wrk,
                )
            except BenchError as exc:  # failed before starting (e.g. npm install)
                results[g] = {"gateway": g, "ok": False, "error": str(exc)}
                print(f"\n*** {g} FAILED ***\n{exc}\n", file=sys.stderr, flush=True)
            for sp in sub_procs:
                if not sp.alive():
                    raise BenchError(f"{sp.name} died:\n{sp.tail()}")
    finally:
        for sp in sub_procs:
            sp.stop()

    ratios = print_report(results, load_names, args)
    print(
        f"load average (1, 5, 15 min): {loadavg_start} at start, "
        f"{[round(x, 2) for x in os.getloadavg()]} at end, {os.cpu_count()} CPUs"
    )
    if not args.no_json:
        payload = {
            "timestamp": stamp,
            "settings": {
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "connections": args.connections,
                "wrk_threads": args.threads,
                "queries": load_names,
                "tandem_args": args.tandem_args,
            },
            "environment": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "python": platform.python_version(),
                "node": tool_version([args.node, "-v"]),
                "wrk": tool_version([wrk, "-v"]),
                "loadavg_start": loadavg_start,
                "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            },
            "results": results,
            "ratios_tandem_over_apollo": ratios.get("apollo", {}),
            "ratios_tandem_over_hive": ratios.get("hive", {}),
        }
        out = RESULTS_DIR / f"{stamp}.json"
        out.write_text(json.dumps(payload, indent=2, default=str))
        (RESULTS_DIR / "latest.json").write_text(out.read_text())
        print(f"\nresults: {out.relative_to(ROOT)}  logs: {log_dir.relative_to(ROOT)}")
    return 0 if all(r.get("ok") for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
