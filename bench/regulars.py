"""What a client in good standing pays for a cheap query: `budgetkg serve`'s CPU, latency and throughput.

    python bench/regulars.py --store DIR [--requests 600] [--clients 1,8,32] [-- SERVE OPTIONS]

Starts `budgetkg serve` on 127.0.0.1 (options after `--` go to `serve`), makes the client
(127.0.0.1) a client in good standing first (a cheap query every 0.5 s for 12 s: good standing
needs quick answers over 10 s, see budgetkg.server.admission), then sends --requests
library queries (`projects-of-unit`, the cheap query of `budgetkg bench`) with each number of
concurrent --clients in turn, and prints, for each: requests a second, p50 and p99 latency,
the CPU time the server spent a request (every process of the server: the supervisor,
the server processes and their sandboxes, read from /proc before and after), and the
resident memory of all those processes after the run.  Run it with
``PYTHONPATH`` pointing at two checkouts in turn to compare them.  Loopback only; bounded
in requests and time.  Linux only (/proc).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from budgetkg.publish.oxigraph_server import free_port, wait_until_answers
from budgetkg.query.library import bind, library

WARM_UP_SECONDS = 12.0


def tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # it ended meanwhile
            pass
    return found


def resident_mib(pid: int) -> float:
    """Resident memory of ``pid`` and the processes below it, in MiB (pages shared between them counted in each)."""
    pages = 0
    for process in tree(pid):
        try:
            pages += int(Path(f"/proc/{process}/statm").read_text().split()[1])
        except OSError:
            continue
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) spent so far by ``pid`` and the processes below it that still run,
    their ended children's included."""
    ticks = 0
    for process in tree(pid):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


async def load(url: str, form: dict[str, str], requests: int, clients: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    sem = asyncio.Semaphore(clients)

    async def one(http: aiohttp.ClientSession) -> None:
        nonlocal errors
        async with sem:
            started = time.perf_counter()
            async with http.post(url, data=form, headers={"Accept": "application/sparql-results+json"}) as r:
                await r.read()
            latencies.append(time.perf_counter() - started)
            errors += r.status != 200

    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as http:
        await asyncio.gather(*(one(http) for _ in range(requests)))
    return time.perf_counter() - started, latencies, errors


async def warm_up(url: str) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        end = time.monotonic() + WARM_UP_SECONDS
        while time.monotonic() < end:
            async with http.post(url, data={"query": "ASK {}"}) as r:
                await r.read()
            await asyncio.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True, help="store to serve")
    parser.add_argument("--requests", type=int, default=600, help="requests a load run (at most 10,000; default 600)")
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients of each run (default 1,8,32)")
    parser.add_argument("serve", nargs="*", help="options for `budgetkg serve`, after --")
    args = parser.parse_args()
    if not 0 < args.requests <= 10_000:
        parser.error("--requests must be in (0, 10000]")
    query = next(q for q in library() if q.name == "projects-of-unit")
    form = {"query": bind(query.text, query, {})}
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "budgetkg", "serve", "--store", args.store, "--port", str(port), *args.serve],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/sparql"
    figures = []
    try:
        wait_until_answers(url, process)
        time.sleep(3)  # the sandboxes' spares, started once the server answers
        asyncio.run(warm_up(url))
        for clients in (int(c) for c in args.clients.split(",")):
            asyncio.run(load(url, form, 20, clients))  # connections opened
            before = cpu_seconds(process.pid)
            seconds, latencies, errors = asyncio.run(load(url, form, args.requests, clients))
            cpu = cpu_seconds(process.pid) - before
            latencies.sort()
            figures.append(
                {
                    "clients": clients,
                    "req/s": round(len(latencies) / seconds, 1),
                    "p50 ms": round(statistics.median(latencies) * 1000, 2),
                    "p99 ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
                    "server CPU ms a request": round(cpu / args.requests * 1000, 2),
                    "errors": errors,
                    "server memory MiB": round(resident_mib(process.pid)),
                }
            )
            print(json.dumps(figures[-1]), flush=True)
    finally:
        process.terminate()
        process.wait(timeout=60)
    return 1 if any(f["errors"] for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
