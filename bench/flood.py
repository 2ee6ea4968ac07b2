"""Flood test of `budgetkg serve`: clients sending slow queries, and another client's cheap query meanwhile.

    python bench/flood.py --clients 20 --duration 60 [--attack KIND] [--url URL | --store DIR -- SERVE OPTIONS]

Starts `budgetkg serve` on 127.0.0.1 (unless --url names a running one; options after `--`
go to `serve`), then for --duration seconds each of --clients flood clients sends a query
that runs until the server's time limit, one after another, each from its own loopback
address (127.0.0.2, 127.0.0.3, …: every address in 127.0.0.0/8 is loopback on Linux, so the
server sees that many clients).  With ``--attack rotate-slow`` or ``rotate-bomb`` (issue 32,
F2) each flood client instead takes a fresh address (127.0.100.2, … : at most 12,000) for
each attack: a cheap ASK first, to look like a client in good standing, then the slow query
or a memory bomb (GROUP_CONCAT over a cross join, which passes any memory limit), and a
fresh address again once that one was answered.  Meanwhile a victim, from yet another address (127.0.1.1),
sends a cheap query every 0.5 s on a fresh connection; it starts --head-start seconds before
the flood (default 1: a client whose first query was answered; 20: one that has used the endpoint a while;
0: a client that comes in during the flood; good standing needs 10 s of quick answers, see
budgetkg.server.admission).  Prints the share of the victim's queries sent during the flood
that were answered (200) within 1 s, its latency percentiles, and what the flood got.
Loopback only; bounded in clients, time and requests.  Exit status 1 when under 95 % of
the victim's queries were answered within 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from budgetkg.load.store import default_store_path
from budgetkg.publish.oxigraph_server import free_port, wait_until_answers

# A cross join counted: little memory, and on any real store it runs past any time limit.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# Memory grows with the rows joined into one string: past any memory limit within seconds.
BOMB = (
    'SELECT (GROUP_CONCAT(CONCAT(STR(?a), STR(?b), STR(?c), STR(?d)); separator=",") AS ?g) '
    "WHERE { ?a ?b ?c . ?d ?e ?f }"
)
CHEAP = "ASK { ?s ?p ?o }"
VICTIM_ADDRESS = "127.0.1.1"
MAX_CLIENTS = 200  # distinct flood addresses 127.0.0.2 … 127.0.0.201
ATTACKS = ("slow", "rotate-slow", "rotate-bomb")
# Fresh addresses of the rotating attacks: 127.0.100.2 … 127.0.147.251.
FRESH_ADDRESSES = [f"127.0.{a}.{b}" for a in range(100, 148) for b in range(2, 252)]


def percentile(ordered: list[float], share: float) -> float | None:
    if not ordered:
        return None
    value = ordered[min(len(ordered) - 1, int(len(ordered) * share))]
    return round(value * 1000, 1) if value != float("inf") else None  # None: not answered


async def flood_client(url: str, address: str, deadline: float, outcomes: collections.Counter) -> None:
    """Slow queries from ``address``, one after another, until ``deadline`` (Retry-After is not heeded)."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0), limit=1)
    async with aiohttp.ClientSession(connector=connector) as http:
        while (left := deadline - time.monotonic()) > 0:
            try:
                async with http.post(url, data={"query": SLOW}, timeout=aiohttp.ClientTimeout(total=left)) as r:
                    await r.read()
                    outcomes[str(r.status)] += 1
            except (TimeoutError, aiohttp.ClientError) as exc:
                outcomes[type(exc).__name__] += 1
                await asyncio.sleep(0.05)  # a refused connection: not a busy loop


async def rotating_client(url: str, addresses, query: str, deadline: float, outcomes: collections.Counter) -> None:
    """From each fresh address of ``addresses`` in turn: a cheap ASK, then ``query``, until ``deadline``."""
    for address in addresses:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        connector = aiohttp.TCPConnector(local_addr=(address, 0), limit=1)
        async with aiohttp.ClientSession(connector=connector) as http:
            for text, label in ((CHEAP, "ask-"), (query, "")):
                try:
                    async with http.post(
                        url, data={"query": text}, timeout=aiohttp.ClientTimeout(total=max(left, 0.1))
                    ) as r:
                        await r.read()
                        outcomes[label + str(r.status)] += 1
                except (TimeoutError, aiohttp.ClientError) as exc:
                    outcomes[label + type(exc).__name__] += 1
                    await asyncio.sleep(0.05)  # a refused connection: not a busy loop
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    return


async def victim(
    url: str,
    deadline: float,
    head_start: float,
    latencies: list[float],
    outcomes: collections.Counter,
    misses: list[str],
) -> None:
    """A cheap query every 0.5 s, each on a fresh connection, each allowed 10 s; those sent
    during the flood (``head_start`` seconds on) are counted."""
    tasks = []
    began = time.monotonic() + head_start

    async def one() -> None:
        connector = aiohttp.TCPConnector(local_addr=(VICTIM_ADDRESS, 0), force_close=True)
        started = time.monotonic()
        async with aiohttp.ClientSession(connector=connector) as http:
            try:
                async with http.post(
                    url,
                    data={"query": CHEAP},
                    headers={"Accept": "application/sparql-results+json"},
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as r:
                    await r.read()
                    status = str(r.status)
            except (TimeoutError, aiohttp.ClientError) as exc:
                status = type(exc).__name__
        if started < began:  # before the flood
            return
        outcomes[status] += 1
        took = time.monotonic() - started
        latencies.append(took if status == "200" else float("inf"))
        if status != "200" or took > 1.0:
            misses.append(f"at {started - began:.1f} s: {status} after {took:.2f} s")

    while time.monotonic() < deadline:
        tasks.append(asyncio.create_task(one()))
        await asyncio.sleep(0.5)
    await asyncio.gather(*tasks)


async def main_async(args: argparse.Namespace) -> int:
    process = None
    url = args.url
    if url is None:
        port = free_port()
        store = Path(args.store or default_store_path())
        process = subprocess.Popen(
            [sys.executable, "-m", "budgetkg", "serve", "--store", str(store), "--port", str(port), *args.serve],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(wait_until_answers, url + "/sparql", process, timeout=60)
    url = url.rstrip("/") + "/sparql"
    latencies: list[float] = []
    victim_outcomes: collections.Counter = collections.Counter()
    flood_outcomes: collections.Counter = collections.Counter()
    misses: list[str] = []
    deadline = time.monotonic() + args.head_start + args.duration

    async def flood() -> None:
        await asyncio.sleep(args.head_start)
        if args.attack == "slow":
            await asyncio.gather(
                *(flood_client(url, f"127.0.0.{2 + n}", deadline, flood_outcomes) for n in range(args.clients))
            )
            return
        query = SLOW if args.attack == "rotate-slow" else BOMB
        addresses = iter(FRESH_ADDRESSES)  # shared: each address is used once
        await asyncio.gather(
            *(rotating_client(url, addresses, query, deadline, flood_outcomes) for _ in range(args.clients))
        )

    try:
        await asyncio.gather(victim(url, deadline, args.head_start, latencies, victim_outcomes, misses), flood())
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=60)
    ordered = sorted(latencies)
    within = sum(1 for t in ordered if t <= 1.0)
    report = {
        "flood_clients": args.clients,
        "attack": args.attack,
        "seconds": args.duration,
        "head_start": args.head_start,
        "serve": args.serve,
        "victim_queries": len(ordered),
        "answered_within_1s": within,
        "share_within_1s": round(within / len(ordered), 3) if ordered else None,
        "victim_p50_ms": percentile(ordered, 0.5),
        "victim_p95_ms": percentile(ordered, 0.95),
        "victim_max_ms": percentile(ordered, 1.0),
        "victim_outcomes": dict(victim_outcomes),
        "flood_outcomes": dict(flood_outcomes),
        "victim_misses": misses[: args.show_misses],
    }
    print(json.dumps(report, indent=1))
    return 0 if ordered and within >= 0.95 * len(ordered) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--clients",
        type=int,
        default=20,
        choices=range(1, MAX_CLIENTS + 1),
        metavar="N",
        help=f"flood clients, each from its own loopback address (1-{MAX_CLIENTS}; default 20)",
    )
    parser.add_argument(
        "--attack",
        choices=ATTACKS,
        default="slow",
        help="slow: slow queries from fixed addresses; rotate-slow / rotate-bomb: from a fresh address each, "
        "after one cheap ASK, a slow query / a memory bomb (default slow)",
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds of flood (at most 600; default 60)")
    parser.add_argument(
        "--head-start",
        type=float,
        default=1.0,
        help="seconds the victim queries before the flood starts (0-60; default 1)",
    )
    parser.add_argument("--store", default=None, help="store to serve (default: budgetkg's default store)")
    parser.add_argument("--url", default=None, help="a running server on loopback (default: start one)")
    parser.add_argument("--show-misses", type=int, default=10, help="victim queries not answered within 1 s to list")
    parser.add_argument("serve", nargs="*", help="options for `budgetkg serve`, after --")
    args = parser.parse_args()
    if not 0 < args.duration <= 600 or not 0 <= args.head_start <= 60:
        parser.error("--duration must be in (0, 600], --head-start in [0, 60]")
    if args.url is not None and not args.url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        parser.error("--url must be a loopback address")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
