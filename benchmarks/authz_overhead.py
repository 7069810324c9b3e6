"""Throughput with 1,000 policy lines against no authorization at all, in one run.

    .venv/bin/python benchmarks/authz_overhead.py [--duration 15] [--rounds 2] [--query storefront]

Starts the benchmark subgraphs once, then alternates two Tandem gateways on them (rounds x
each): one without policies and one with ``--policy`` over a generated policy of 1,000 lines
(rules for many roles and coordinates, the caller's rules among them). Both run with
development identity headers, so both sign subgraph tokens: the only difference is
authorization. Every field of the query is allowed for the caller, so both must return the
same response, which is checked before loading. Prints RPS per round, the means and the loss.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from run import (  # noqa: E402  (the benchmark's own helpers)
    SUBGRAPH_NAMES,
    SUBGRAPHS_DIR,
    SUPERGRAPH,
    Proc,
    ensure_wrk,
    free_port,
    log,
    spawn,
    wait_graphql_ready,
)

HEADERS = {
    "X-Tandem-Dev-User": "bench-user",
    "X-Tandem-Dev-Roles": "analyst",
    "X-Tandem-Dev-Department": "dept-01",
}
ROLES = ("employee", "manager", "finance", "hr", "procurement", "sales", "production", "auditor")
ACTIONS = ("read", "write", "read_plain", "read_masked")


def policy_lines(schema_types: dict[str, list[str]], total: int = 1000) -> list[str]:
    """``total`` distinct rules: the caller's (``analyst`` may read every type) and filler
    rules for other roles, departments, coordinates and actions, one in eleven a denial."""
    lines = [f"p, analyst, *, {t}.*, read, allow" for t in sorted(schema_types)]
    coordinates = [f"{t}.{f}" for t, fields in sorted(schema_types.items()) for f in fields]
    n = 0
    for action in ACTIONS:
        for role in ROLES:
            for coordinate in coordinates:
                if len(lines) >= total:
                    return lines
                department = "*" if n % 4 else f"dept-{n % 8 + 1:02d}"
                effect = "deny" if n % 11 == 0 else "allow"
                lines.append(f"p, {role}, {department}, {coordinate}, {action}, {effect}")
                n += 1
    raise ValueError(f"the schema is too small for {total} distinct rules")


def schema_types(supergraph: Path) -> dict[str, list[str]]:
    sys.path.insert(0, str(REPO))
    from gateway.supergraph import load_supergraph

    schema = load_supergraph(supergraph).api_schema
    return {
        name: list(t.fields)  # type: ignore[attr-defined]
        for name, t in schema.type_map.items()
        if not name.startswith("__") and hasattr(t, "fields") and hasattr(t, "interfaces")
    }


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
{headers}
"""


def wrk_rps(wrk: str, url: str, body: str, duration: int, connections: int, tmp: Path) -> float:
    script = tmp / "authz.lua"
    headers = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in HEADERS.items())
    script.write_text(WRK_SCRIPT.format(body=body, headers=headers))
    out = subprocess.run(
        [wrk, "-t", "1", "-c", str(connections), "-d", f"{duration}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if re.search(r"Non-2xx", out):
        raise SystemExit(f"wrk saw non-2xx responses:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise SystemExit(f"cannot read wrk's output:\n{out}")
    return float(match.group(1))


def start_subgraphs(log_dir: Path) -> tuple[list[Proc], Path]:
    """The benchmark subgraphs on free ports, and a supergraph routed to them."""
    ports = {name: free_port() for name in SUBGRAPH_NAMES}
    procs = [
        spawn(
            f"subgraph-{name}",
            [sys.executable, str(SUBGRAPHS_DIR / "server.py"), name, "--port", str(port)],
            log_dir,
        )
        for name, port in ports.items()
    ]
    for proc, port in zip(procs, ports.values(), strict=True):
        wait_graphql_ready(proc, f"http://127.0.0.1:{port}/graphql", "{ _service { sdl } }", 30)
    sdl = re.sub(
        r'(@join__graph\(name:\s*"(\w+)",\s*url:\s*")[^"]*(")',
        lambda m: f"{m.group(1)}http://127.0.0.1:{ports[m.group(2)]}/graphql{m.group(3)}",
        SUPERGRAPH.read_text(),
    )
    supergraph = log_dir / "supergraph.graphql"
    supergraph.write_text(sdl)
    return procs, supergraph


def run_gateway(supergraph: Path, policy_dir: Path | None, log_dir: Path) -> tuple[Proc, str]:
    port = free_port()
    cmd = [str(REPO / ".venv" / "bin" / "tandem"), "serve", "--supergraph", str(supergraph)]
    cmd += ["--port", str(port)]
    if policy_dir is not None:
        cmd += ["--policy", str(policy_dir)]
    env = {**os.environ, "TANDEM_DEV_IDENTITY": "1", "TANDEM_DATA_DIR": str(log_dir / "data")}
    name = "tandem-authz" if policy_dir else "tandem-plain"
    proc = spawn(name, cmd, log_dir, env=env, cwd=REPO)
    url = f"http://127.0.0.1:{port}/graphql"
    wait_graphql_ready(proc, url, "{ __typename }", 60)
    return proc, url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--query", default="storefront")
    args = parser.parse_args()
    wrk = ensure_wrk()
    query = (HERE / "queries" / f"{args.query}.graphql").read_text()
    variables_file = HERE / "queries" / f"{args.query}.variables.json"
    variables = json.loads(variables_file.read_text()) if variables_file.exists() else None
    body = json.dumps({"query": query, "variables": variables})
    with tempfile.TemporaryDirectory(prefix="tandem-authz-") as folder:
        tmp = Path(folder)
        sub_procs, supergraph = start_subgraphs(tmp)
        try:
            policy_dir = tmp / "policy"
            policy_dir.mkdir()
            shutil.copy(REPO / "policies" / "model.conf", policy_dir / "model.conf")
            lines = policy_lines(schema_types(supergraph))
            (policy_dir / "policy.csv").write_text("\n".join(lines) + "\n")
            log(f"policy: {len(lines)} lines")
            results: dict[str, list[float]] = {"none": [], "policy": []}
            reference = None
            for round_no in range(args.rounds):
                for label, policy in (("none", None), ("policy", policy_dir)):
                    proc, url = run_gateway(supergraph, policy, tmp)
                    try:
                        answer = httpx.post(url, content=body, headers={
                            "content-type": "application/json", **HEADERS
                        }, timeout=30).json()
                        if "errors" in answer:
                            raise SystemExit(f"{label}: errors: {answer['errors'][:3]}")
                        if reference is None:
                            reference = answer
                        elif answer != reference:
                            raise SystemExit(f"{label}: a different response")
                        wrk_rps(wrk, url, body, 3, args.connections, tmp)  # warm-up
                        rps = wrk_rps(wrk, url, body, args.duration, args.connections, tmp)
                        results[label].append(rps)
                        log(f"round {round_no + 1}: {label:6s} {rps:8.1f} RPS")
                    finally:
                        proc.stop()
                        time.sleep(0.5)
        finally:
            for proc in sub_procs:
                proc.stop()
    mean = {k: sum(v) / len(v) for k, v in results.items()}
    loss = 100 * (1 - mean["policy"] / mean["none"])
    print(f"\nquery {args.query!r}, {args.connections} connections, {args.duration}s x "
          f"{args.rounds} rounds each, {len(lines)} policy lines")
    print(f"no authorization : {mean['none']:8.1f} RPS  {results['none']}")
    print(f"1,000-line policy: {mean['policy']:8.1f} RPS  {results['policy']}")
    print(f"throughput loss  : {loss:5.1f} %  (bar: under 10 %)")
    return 0 if loss < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
