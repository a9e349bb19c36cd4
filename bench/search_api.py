"""/search through the API against the search core called directly: p50/p99 latency and
requests/s under a loopback load generator; the ratio is the API's overhead.

    .venv/bin/python bench/search_api.py [--items 20000] [--clients 8] [--seconds 10] [--rounds 3]

The catalogue is synthetic (demo-shop items, embedding-like vectors of the tiny CLIP model's
width) in a throwaway embedded PostgreSQL. Both sides do the same work per request: encode the
query text with CLIP, then a filtered search (season) for k=10 on a pooled connection. The API
runs as `python -m serving` in its own process (one uvicorn worker), the load generator and the
direct calls in this one. The load generator is the standard library's HTTP client on one
keep-alive connection per client (about 0.2 ms of CPU per request here; httpx took 0.6 ms, CPU
the cores then lacked for the API and PostgreSQL: a cost of this machine's client, not the API). Beside latency it prints the CPU each side spends per request (this
process, the API process, PostgreSQL): on a small machine all three share the cores, so what the
API adds shows up as CPU taken from the rest. The two sides alternate for `--rounds` rounds and
the medians are reported, so a slow patch of a shared machine cannot land on one side only.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psutil
import torch
from psycopg_pool import ConnectionPool

from fashion_assets.crawl.demo_catalog import demo_catalog
from fashion_assets.db.items import upsert_items
from fashion_assets.db.schema import migrate
from fashion_assets.db.server import connect, embedded_database_url, stop_embedded
from fashion_assets.db.vectors import publish, save_embeddings, search
from fashion_assets.settings import Settings
from fashion_assets_tests.helpers import free_port, wait_for_http
from serving.state import ServiceState

QUERIES = ["black winter coat", "린넨 셔츠", "wide denim pants", "니트 가디건", "summer dress"]


def _catalogue(url: str, items: int, dim: int) -> None:
    rows = []
    for p in demo_catalog(items):
        if p.category:
            rows.append({"item_id": f"b:{p.sku}", "source": "b", "sku": p.sku, "url": "u",
                         "title": p.title, "category": p.category, "category_specification": "x",
                         "gender": p.gender, "season": p.season, "color": p.color,
                         "fiber_composition": [], "specs": {}, "reinforced": {}, "image_url": "x",
                         "image_key": f"images/{p.sku}.jpg", "image_sha256": "0" * 64,
                         "content_hash": p.sku})  # fmt: skip
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(len(rows), 16)) @ rng.normal(size=(16, dim))
    vectors = (latent + 0.3 * rng.normal(size=latent.shape)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with connect(url) as conn:
        migrate(conn)
        upsert_items(conn, rows, "2026-11-20")
        version = ServiceState(Settings()).encoder.version
        save_embeddings(conn, version, rows, vectors, vectors)
        publish(conn, version, dim)


def _cpu_seconds(server_pid: int, postmaster: psutil.Process) -> dict[str, float]:
    """CPU seconds so far of this process, the API process and the benchmark's PostgreSQL
    server (its postmaster and backends; other servers on the machine are not counted)."""

    def used(p: psutil.Process) -> float:
        with contextlib.suppress(psutil.Error):
            return sum(p.cpu_times()[:2])
        return 0.0  # a backend that ended between the listing and the read

    postgres = [postmaster, *postmaster.children(recursive=True)]
    return {"load generator / direct calls": used(psutil.Process()),
            "API process": used(psutil.Process(server_pid)),
            "PostgreSQL": sum(map(used, postgres))}  # fmt: skip


def _load(
    call, clients: int, seconds: float, server_pid: int, postmaster: psutil.Process
) -> tuple[float, float, float, str]:
    cpu_before = _cpu_seconds(server_pid, postmaster)
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        n = i
        while time.monotonic() < stop:
            started = time.perf_counter()
            call(QUERIES[n % len(QUERIES)])
            latencies.append(time.perf_counter() - started)
            n += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    cpu = _cpu_seconds(server_pid, postmaster)
    cpu_ms = ", ".join(
        f"{k} {(v - cpu_before[k]) * 1000 / len(latencies):.2f}" for k, v in cpu.items()
    )
    ms = np.array(latencies) * 1000
    p50, p99 = np.percentile(ms, [50, 99])
    return float(p50), float(p99), len(ms) / elapsed, cpu_ms


@contextlib.contextmanager
def _serving_process(url: str, home: Path) -> Iterator[tuple[str, int]]:
    """`python -m serving` on a free port (its URL and pid), stopped however the benchmark ends."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "FASHION_HOME": str(home)}
    server = subprocess.Popen([sys.executable, "-m", "serving", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/docs", 60)
        yield base, server.pid
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-api-"))
    try:
        url = embedded_database_url(home)
        settings = Settings(database_url=url, fashion_home=home)
        torch.set_num_threads(settings.fashion_serving_threads)  # as `python -m serving` does
        state = ServiceState(settings)
        _catalogue(url, args.items, state.encoder.dim)
        pool = ConnectionPool(url, min_size=args.clients, max_size=args.clients,
                              kwargs={"autocommit": True})  # fmt: skip

        def core(text: str) -> None:
            query = state.encoder.encode_texts([text])[0]
            with pool.connection() as conn:
                search(conn, query, k=10, filters={"season": ["winter"]})

        # the same work on both sides: a vector search (hybrid adds BM25: bench/search_quality.py)
        body = {"k": 10, "filters": {"season": ["winter"]}, "mode": "vector", "understand": False}
        with _serving_process(url, home) as (base, server_pid):
            connections = threading.local()  # one keep-alive connection per client thread

            def api(text: str) -> None:
                if not hasattr(connections, "http"):
                    connections.http = http.client.HTTPConnection(base.split("//")[1], timeout=60)
                connections.http.request("POST", "/search", json.dumps({**body, "text": text}),
                                         {"Content-Type": "application/json"})  # fmt: skip
                response = connections.http.getresponse()
                answer = response.read()
                if response.status != 200:
                    raise RuntimeError(f"/search answered {response.status}: {answer[:200]!r}")

            api("warm up")
            core("warm up")
            print(f"{args.items} demo items, {args.clients} clients, {args.seconds:.0f} s each, "
                  "text query + season filter, k=10")  # fmt: skip
            pid_file = home / "pgdata" / "postmaster.pid"  # its first line is the server's pid
            postmaster = psutil.Process(int(pid_file.read_text().split()[0]))
            load = (args.clients, args.seconds, server_pid, postmaster)
            rounds = {"core": [], "api": []}
            for _ in range(args.rounds):
                rounds["core"].append(_load(core, *load))
                rounds["api"].append(_load(api, *load))
        for name, runs in rounds.items():
            p50, p99, rps = (float(np.median([r[i] for r in runs])) for i in range(3))
            print(f"{name:>5}: p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  {rps:7.1f} req/s  "
                  f"(median of {len(runs)}; req/s by round: "
                  f"{', '.join(f'{r[2]:.0f}' for r in runs)})")  # fmt: skip
            print(f"       CPU ms per request, last round: {runs[-1][3]}")
        ratios = [(a[0] / c[0], a[1] / c[1], a[2] / c[2])
                  for c, a in zip(rounds["core"], rounds["api"], strict=True)]  # fmt: skip
        p50x, p99x, rpsx = (float(np.median([r[i] for r in ratios])) for i in range(3))
        print(f"api / core (median of the rounds' ratios): p50 x{p50x:.2f}, p99 x{p99x:.2f}, "
              f"throughput x{rpsx:.2f}")  # fmt: skip
        pool.close()
    finally:
        stop_embedded(home)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
