"""Load test of `budgetkg serve`: many concurrent clients mixing library queries and resource pages.

    python bench/load.py --clients 16 --requests 400 [--duration 120] [--store DIR] [--url URL]

Starts `budgetkg serve` on 127.0.0.1 (unless --url names a running one), sends a bounded
number of requests from concurrent clients (loopback only), and prints throughput, p50/p99
latency, errors, wrong answers (a sample compared with the embedded store) and the
server's memory (its processes).  Exit status 1 when any request failed
or any answer was wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import aiohttp
from budgetkg.load.store import default_store_path, open_store, solutions
from budgetkg.publish.oxigraph_server import free_port, wait_until_answers
from budgetkg.query.library import library, run_select
from yarl import URL

LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children, from /proc (Linux)."""
    total = 0
    pids = [pid]
    # Workers are started from the server's threads: each thread lists its own children.
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            pids += [int(c) for c in (task / "children").read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def expected_answers(store_dir: Path) -> dict[str, list]:
    store = open_store(store_dir)
    out = {}
    for q in library():
        if q.name == "federated-comparison":
            continue
        result = run_select(store, q.slug)
        out[q.slug] = sorted(tuple(_norm(v) for v in row) for row in result.values())
    return out


def _norm(text: str):
    try:
        return Decimal(text)
    except ArithmeticError:
        return text


async def main_async(args) -> int:
    store_dir = Path(args.store or default_store_path())
    process = None
    url = args.url
    if url is None:
        port = free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "budgetkg",
                "serve",
                "--store",
                str(store_dir),
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(wait_until_answers, url + "/sparql", process, timeout=60)
    expected = expected_answers(store_dir)
    store = open_store(store_dir)
    pages = [
        s["x"].value
        for s in solutions(
            store,
            f"SELECT ?x WHERE {{ ?x a <https://w3id.org/budgetkg/ontology#Project> ; <{LABEL}> ?l }} LIMIT 200",
            use_default_graph_as_union=True,
        )
    ]
    base = "https://w3id.org/budgetkg/data"
    rng = random.Random(args.seed)
    jobs = []
    for _ in range(args.requests):
        if rng.random() < 0.6:
            q = rng.choice([q for q in library() if q.slug in expected])
            jobs.append(("query", q))
        else:
            jobs.append(("page", rng.choice(pages).removeprefix(base)))
    latencies: list[float] = []
    errors: list[str] = []
    wrong: list[str] = []
    checked = 0
    peak = 0.0
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    deadline = time.monotonic() + args.duration

    async def client(http: aiohttp.ClientSession) -> None:
        nonlocal checked
        while not queue.empty() and time.monotonic() < deadline:
            kind, what = queue.get_nowait()
            started = time.monotonic()
            try:
                if kind == "query":
                    from budgetkg.query.library import bind

                    request = http.post(
                        url + "/sparql",
                        data={"query": bind(what.text, what, {})},
                        headers={"Accept": "application/sparql-results+json"},
                    )
                else:  # encoded=True: sent as written; yarl would otherwise decode the %3A and %2F of the IRIs
                    request = http.get(URL(url + what, encoded=True), headers={"Accept": "text/html"})
                async with request as r:
                    body = await r.read()
                latencies.append(time.monotonic() - started)
                if r.status != 200:
                    errors.append(f"{r.status} {kind} {what if kind == 'page' else what.slug}")
                elif kind == "query" and rng.random() < args.check:
                    checked += 1
                    if not _matches(json.loads(body), what, expected[what.slug], store):
                        wrong.append(what.slug)
            except (TimeoutError, aiohttp.ClientError) as exc:
                errors.append(f"{type(exc).__name__} {kind}")

    started = time.monotonic()
    # aiohttp, as `budgetkg bench`: httpx's client took a whole core from 8 clients on, on the
    # two cores it shares with the server, and set the rates this script printed.
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=args.clients), timeout=aiohttp.ClientTimeout(total=120)
    ) as http:
        tasks = [asyncio.create_task(client(http)) for _ in range(args.clients)]
        while not all(t.done() for t in tasks):
            if process is not None:
                peak = max(peak, rss_mib(process.pid))
            await asyncio.sleep(0.2)
    elapsed = time.monotonic() - started
    if process is not None:
        process.terminate()
        process.wait(timeout=10)
    done = len(latencies)
    ordered = sorted(latencies)
    report = {
        "clients": args.clients,
        "requests": done,
        "seconds": round(elapsed, 2),
        "requests_per_second": round(done / elapsed, 1) if elapsed else 0,
        "p50_ms": round(statistics.median(ordered) * 1000, 1) if ordered else None,
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1) if ordered else None,
        "errors": len(errors),
        "answers_checked": checked,
        "wrong_answers": len(wrong),
        "server_peak_rss_mib": round(peak, 1) if process is not None else None,
    }
    print(json.dumps(report, indent=1))
    for e in errors[:10]:
        print("error:", e)
    for w in wrong[:10]:
        print("wrong answer:", w)
    return 1 if errors or wrong else 0


def _matches(data: dict, query, expected: list, store) -> bool:
    from budgetkg.query.library import display, labels_for
    from pyoxigraph import Literal, NamedNode

    variables = data["head"]["vars"]
    rows = []
    for b in data["results"]["bindings"]:
        row: list[NamedNode | Literal | None] = []
        for v in variables:
            t = b.get(v)
            if t is None:
                row.append(None)
            elif t["type"] == "uri":
                row.append(NamedNode(t["value"]))
            elif "xml:lang" in t:
                row.append(Literal(t["value"], language=t["xml:lang"]))
            elif "datatype" in t:
                row.append(Literal(t["value"], datatype=NamedNode(t["datatype"])))
            else:
                row.append(Literal(t["value"]))
        rows.append(row)
    labels = labels_for(store, sorted({t.value for r in rows for t in r if isinstance(t, NamedNode)}), "zh")
    got = sorted(tuple(_norm(display(t, labels)) for t in r) for r in rows)
    return got == expected


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--duration", type=float, default=120, help="stop after this many seconds")
    parser.add_argument("--workers", type=int, default=2, help="server processes (serve --workers)")
    parser.add_argument("--store", default=None)
    parser.add_argument("--url", default=None, help="a running server (default: start one)")
    parser.add_argument("--check", type=float, default=0.3, help="share of query answers compared with the store")
    parser.add_argument("--seed", type=int, default=1)
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
