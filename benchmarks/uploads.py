"""A large document up and down through the gateway (issue 16, item 7's bar).

Starts the OA subgraph (SQLite, the demo company seeded) and ``tandem serve`` over the OA +
ERP supergraph, makes a document, uploads a file of ``--megabytes`` (default 50) random
bytes as a GraphQL multipart request (streamed from disk by the client), downloads it by its
``downloadUrl`` (streamed to a hash) and checks size and SHA-256 both ways. Prints each
process's peak RSS (``VmHWM`` in ``/proc/<pid>/status``, the kernel's high-water mark: no
sampling to miss a peak) before and after, against the bar of 150 MB each, and the time
each direction took; exits 1 if the file did not come back intact or a peak passed the bar.

    .venv/bin/python benchmarks/uploads.py [--megabytes 50] [--bar-mb 150]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import Proc, free_port, log, process_tree, spawn

REPO = Path(__file__).resolve().parents[1]
SUPERGRAPH = REPO / "subgraphs" / "supergraph.graphql"
OWNER = {
    "x-tandem-dev-user": "emp-031",
    "x-tandem-dev-name": "Hui Ma",
    "x-tandem-dev-roles": "employee,production",
    "x-tandem-dev-department": "dept-06",
}
UPLOAD = """mutation Up($id: ID!, $file: Upload!) {
  uploadDocumentVersion(documentId: $id, file: $file) { size sha256 downloadUrl }
}"""


def peak_rss(pid: int) -> int:
    """The largest peak RSS of any process in ``pid``'s tree, in bytes."""
    peak = 0
    for each in process_tree(pid):
        try:
            with open(f"/proc/{each}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) * 1024)
        except OSError:
            continue
    return peak


def wait_for(proc: Proc, url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not proc.alive():
                raise SystemExit(f"{proc.name} exited:\n{proc.tail()}")
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    raise SystemExit(f"{proc.name} did not answer {url}:\n{proc.tail()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--bar-mb", type=int, default=150)
    args = parser.parse_args()
    size = args.megabytes * 1024 * 1024
    folder = Path(tempfile.mkdtemp(prefix="tandem-uploads-"))
    oa_port, gateway_port = free_port(), free_port()
    supergraph = folder / "supergraph.graphql"
    supergraph.write_text(SUPERGRAPH.read_text().replace("127.0.0.1:4201", f"127.0.0.1:{oa_port}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    env.update(TANDEM_DATA_DIR=str(folder), TANDEM_OA_SEED="1", TANDEM_DEV_IDENTITY="1")
    oa = spawn("oa", [sys.executable, "-m", "subgraphs.oa", "--port", str(oa_port),
                      "--log-level", "warning"], folder, env=env, cwd=REPO)  # fmt: skip
    procs = [oa]
    try:
        wait_for(oa, f"http://127.0.0.1:{oa_port}/health")
        gateway = spawn("tandem", [str(Path(sys.executable).parent / "tandem"), "serve",
                                   "--supergraph", str(supergraph), "--port", str(gateway_port)],
                        folder, env=env, cwd=REPO)  # fmt: skip
        procs.append(gateway)
        base = f"http://127.0.0.1:{gateway_port}"
        wait_for(gateway, f"{base}/health")
        source = folder / "document.bin"
        digest = hashlib.sha256()
        with source.open("wb") as file:
            for _ in range(args.megabytes):
                chunk = os.urandom(1024 * 1024)
                digest.update(chunk)
                file.write(chunk)
        expected = digest.hexdigest()
        with httpx.Client(timeout=600.0, headers=OWNER) as client:
            created = client.post(f"{base}/graphql", json={
                "query": 'mutation { createDocument(input: {title: "Big scan.pdf"}) { id } }'
            }).json()  # fmt: skip
            document_id = created["data"]["createDocument"]["id"]
            before = {p.name: peak_rss(p.popen.pid) for p in procs}
            operations = {"query": UPLOAD, "variables": {"id": document_id, "file": None}}
            started = time.perf_counter()
            with source.open("rb") as file:
                answer = client.post(
                    f"{base}/graphql",
                    data={"operations": json.dumps(operations),
                          "map": json.dumps({"0": ["variables.file"]})},
                    files={"0": ("scan.pdf", file, "application/pdf")},
                    headers={"apollo-require-preflight": "true"},
                ).json()  # fmt: skip
            uploaded = time.perf_counter() - started
            version = answer.get("data", {}) and answer["data"]["uploadDocumentVersion"]
            if not version:
                raise SystemExit(f"upload failed: {answer}")
            started = time.perf_counter()
            back, length = hashlib.sha256(), 0
            with client.stream("GET", base + version["downloadUrl"]) as download:
                download.raise_for_status()
                for chunk in download.iter_bytes(1024 * 1024):
                    back.update(chunk)
                    length += len(chunk)
            downloaded = time.perf_counter() - started
        after = {p.name: peak_rss(p.popen.pid) for p in procs}
    finally:
        for proc in reversed(procs):
            proc.stop()
    intact = version["size"] == size == length and version["sha256"] == expected == back.hexdigest()
    mb = 1024 * 1024
    log(f"file: {args.megabytes} MB; came back intact: {intact}")
    log(f"upload {uploaded:.2f} s ({args.megabytes / uploaded:.0f} MB/s), "
        f"download {downloaded:.2f} s ({args.megabytes / downloaded:.0f} MB/s)")  # fmt: skip
    within = True
    for name in after:
        ok = after[name] <= args.bar_mb * mb
        within &= ok
        log(f"peak RSS {name}: {before[name] / mb:.0f} MB before, {after[name] / mb:.0f} MB "
            f"after, +{(after[name] - before[name]) / mb:.0f} MB "
            f"(bar {args.bar_mb} MB: {'ok' if ok else 'OVER'})")  # fmt: skip
    return 0 if intact and within else 1


if __name__ == "__main__":
    sys.exit(main())
