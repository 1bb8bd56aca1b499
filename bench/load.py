"""Load: 16 clients of a real `watchfloor serve`, mixed reads and writes, with and without a
concurrent file import, on SQLite and PostgreSQL; and the server's memory under the largest
batches.

Usage: python bench/load.py [--seconds 60] [--clients 16] [--backends sqlite,postgresql]
                            [--import-n 50000] [--no-memory]

Each client loops over a fixed mix for the whole window: 40 % the shipments queue
(GET /api/v1/shipments?limit=50), 15 % the alerts inbox, 15 % the seizures list, 10 % the
dashboard figures and 20 % a POST of 10 new shipments. "With import" runs
`watchfloor shipments import` of generated shipments into the same database meanwhile. The
baseline, measured in the same run on the same server with the same clients, is
GET /healthz (the framework, authentication-free, and one database ping). Prints
requests per second, p50, p99 and errors (answers of 500 or more, and failed connections);
the goal is 0 errors and p99 under 1 s on both backends.

Memory: the server's peak resident set (VmHWM) while three clients each POST a batch of
10,000 shipments (the largest a request may carry) at once, and the peak of a `watchfloor
shipments import` of a gzip file that inflates to 1 GiB (a decompression bomb, refused at
the cap): both printed beside the server's resident set at rest.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
from _common import pg_server, scratch_database, served
from rich.console import Console
from rich.table import Table

from watchfloor.shipments.generator import ShipmentGenerator

console = Console()
WATCHFLOOR = str(Path(sys.executable).with_name("watchfloor"))
MIX = (
    ("queue", 40, "GET", "/api/v1/shipments?limit=50"),
    ("alerts", 15, "GET", "/api/v1/alerts?limit=50"),
    ("seizures", 15, "GET", "/api/v1/sharing/seizures?limit=50"),
    ("dashboard", 10, "GET", "/api/v1/dashboard"),
    ("intake", 20, "POST", "/api/v1/shipments"),
)


def cli(url: str, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHFLOOR_")}
    env["WATCHFLOOR_DATABASE_URL"] = url
    return subprocess.run([WATCHFLOOR, *args], env=env, capture_output=True, text=True,
                          check=True, **kw)  # fmt: skip


def prepare(url: str) -> str:
    """Schema, catalogue, the demo; an officer's API key for the clients."""
    for step in (("db", "upgrade"), ("reference", "load"), ("demo", "load")):
        console.print(f"  {' '.join(step)} …")
        cli(url, *step)
    made = cli(url, "keys", "create", "--agency", "US-CBP", "--role", "officer", "--json")
    return str(json.loads(made.stdout)["secret"])


class Clients:
    """``n`` threads, each its own keep-alive connection, asking ``pick()`` for a request."""

    def __init__(self, base: str, key: str, n: int) -> None:
        self.base, self.n = base, n
        self.headers = {"Authorization": f"Bearer {key}"}
        self.gen = ShipmentGenerator(7, destination="US", agency="US-CBP", days=30)
        self.serial = iter(range(10**9))
        self.lock = threading.Lock()

    def batch(self) -> dict[str, Any]:
        with self.lock:
            start = next(self.serial)
            for _ in range(9):
                next(self.serial)
        rows = []
        for i in range(start, start + 10):
            row = self.gen.make(i)[0]
            row["reference"] = f"LOAD-{os.getpid()}-{i}"
            rows.append(row)
        return {"shipments": rows}

    def run(self, seconds: float, pick: Callable[[random.Random], tuple[str, str, str]]) -> dict:  # type: ignore[type-arg]
        latencies: list[float] = []
        by_kind: dict[str, list[float]] = {}
        errors: list[str] = []
        done = threading.Event()

        def client(seed: int) -> None:
            rng = random.Random(seed)
            with httpx.Client(base_url=self.base, headers=self.headers, timeout=60) as http:
                while not done.is_set():
                    kind, method, path = pick(rng)
                    body = self.batch() if method == "POST" else None
                    t0 = time.perf_counter()
                    try:
                        r = http.request(method, path, json=body)
                        bad = r.status_code >= 500
                        why = f"{r.status_code} {path}"
                    except httpx.HTTPError as exc:
                        bad, why = True, f"{type(exc).__name__} {path}"
                    took = time.perf_counter() - t0
                    latencies.append(took)
                    by_kind.setdefault(kind, []).append(took)
                    if bad:
                        errors.append(why)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(self.n)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(seconds)
        done.set()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
        return {
            "requests": len(latencies),
            "per_second": round(len(latencies) / elapsed, 1),
            "p50_ms": round(cuts[49] * 1000, 1),
            "p99_ms": round(cuts[98] * 1000, 1),
            "errors": len(errors),
            "first_errors": sorted(set(errors))[:5],
            "p99_ms_by_kind": {k: round(_p99(v) * 1000, 1) for k, v in sorted(by_kind.items())},
        }


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else values[0]


def mixed(rng: random.Random) -> tuple[str, str, str]:
    roll = rng.uniform(0, 100)
    for name, weight, method, path in MIX:
        roll -= weight
        if roll <= 0:
            return name, method, path
    return MIX[0][0], MIX[0][2], MIX[0][3]


def import_file(n: int) -> Path:
    path = Path(tempfile.gettempdir()) / f"watchfloor-load-import-{n}.jsonl"
    if not path.exists():
        gen = ShipmentGenerator(11, destination="US", agency="US-CBP", days=30)
        with open(path, "wb") as fh:
            for i in range(n):
                row = gen.make(i)[0]
                row["reference"] = f"IMPORT-{i}"
                fh.write(orjson.dumps(row) + b"\n")
    return path


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def server_pid(port_base: str) -> int:
    port = port_base.rsplit(":", 1)[1]
    out = subprocess.run(["pgrep", "-f", f"watchfloor serve --demo --port {port}"],
                         capture_output=True, text=True).stdout.split()  # fmt: skip
    return int(out[0])


def memory(url: str, key: str) -> dict[str, Any]:
    """Peak RSS of a server under three concurrent 10,000-shipment batches, and of an import
    of a gzip bomb."""
    with served(url) as base:
        pid = server_pid(base)
        rest = rss_kib(pid)
        clients = Clients(base, key, 3)
        rows = clients.batch()["shipments"][0]

        def big(k: int) -> int:
            body = {"shipments": [{**rows, "reference": f"BIG-{k}-{i}"} for i in range(10_000)]}
            r = httpx.post(base + "/api/v1/shipments", json=body, headers=clients.headers,
                           timeout=600)  # fmt: skip
            return r.status_code

        threads = [threading.Thread(target=big, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        peak = peak_rss_kib(pid)
    with tempfile.TemporaryDirectory() as tmp:
        bomb = Path(tmp) / "bomb.jsonl.gz"
        line = orjson.dumps({"reference": "X", "note": "a" * 1000}) + b"\n"
        with gzip.open(bomb, "wb", compresslevel=9) as fh:
            for _ in range((1 << 30) // len(line)):
                fh.write(line)
        env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHFLOOR_")}
        env["WATCHFLOOR_DATABASE_URL"] = url
        probe = (
            "import resource, subprocess, sys; "
            "subprocess.run(sys.argv[1:], capture_output=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe, WATCHFLOOR, "shipments", "import", str(bomb),
             "--agency", "US-CBP", "--rejects", str(Path(tmp) / "rejects.jsonl")],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        bomb_kib = int(done.stdout.split()[-1])
        bomb_mb = bomb.stat().st_size / 1e6
    return {
        "server_rest_mib": round(rest / 1024),
        "server_peak_3x10k_mib": round(peak / 1024),
        "gzip_bomb_mb": round(bomb_mb, 1),
        "import_bomb_peak_mib": round(bomb_kib / 1024),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--import-n", type=int, default=50_000)
    ap.add_argument("--import-batch", type=int, default=5000, help="the import's --batch")
    ap.add_argument("--no-memory", action="store_true")
    args = ap.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    results: dict[str, Any] = {}
    table = Table(title=f"{args.clients} clients, {args.seconds:g} s each")
    for col in ("backend", "load", "requests/s", "p50 ms", "p99 ms", "errors"):
        table.add_column(col, justify="left" if col in ("backend", "load") else "right")
    source = import_file(args.import_n)
    for backend in backends:
        server = None if backend == "sqlite" else pg_server()
        if backend == "postgresql" and server is None:
            console.print("[yellow]no PostgreSQL (WATCHFLOOR_TEST_PG_URL): skipped[/]")
            continue
        with scratch_database(server) as url:
            console.print(f"[bold]{backend}[/]: preparing")
            key = prepare(url)
            with served(url) as base:
                clients = Clients(base, key, args.clients)
                clients.run(min(10.0, args.seconds), mixed)  # warm: scorers, caches, pools
                runs = {"baseline /healthz": clients.run(
                    args.seconds, lambda rng: ("healthz", "GET", "/healthz"))}  # fmt: skip
                runs["mixed"] = clients.run(args.seconds, mixed)
                importing = subprocess.Popen(
                    [WATCHFLOOR, "shipments", "import", str(source), "--agency", "US-CBP",
                     "--batch", str(args.import_batch)],
                    env={**{k: v for k, v in os.environ.items()
                            if not k.startswith("WATCHFLOOR_")}, "WATCHFLOOR_DATABASE_URL": url},
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                runs["mixed + import"] = clients.run(args.seconds, mixed)
                importing.wait()
            for name, r in runs.items():
                table.add_row(backend, name, f"{r['per_second']:,.1f}", f"{r['p50_ms']:,.1f}",
                              f"{r['p99_ms']:,.1f}", str(r["errors"]))  # fmt: skip
            results[backend] = runs
            if not args.no_memory:
                results[backend]["memory"] = memory(url, key)
                console.print(f"{backend} memory: {results[backend]['memory']}")
    console.print(table)
    for backend, runs in results.items():
        for name, r in runs.items():
            if "p99_ms_by_kind" in r:
                console.print(f"{backend}, {name}: p99 ms by request {r['p99_ms_by_kind']}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
