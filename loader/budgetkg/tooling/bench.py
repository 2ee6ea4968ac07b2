"""Benchmarks: budgetkg against the baselines, measured side by side in one run (``budgetkg bench``).

Every goal is a ratio or a bound measured in the same run, so the figures hold across
machines.  See docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from pyoxigraph import RdfFormat, Store

from ..errors import BudgetkgError
from ..load.store import database_bytes, solutions
from .timed_engine import EngineKind

__all__ = ["Figure", "run_benchmarks"]

# Serving: each server takes this many load runs of `requests`, in turn with its baseline.
SERVING_ROUNDS = 3


@dataclass
class Figure:
    section: str
    name: str
    value: float
    unit: str
    goal: str = ""
    met: bool | None = None


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass
class Bench:
    figures: list[Figure] = field(default_factory=list)
    log: Callable[[str], None] = print
    # What is being measured, a line per case as it starts: apart from ``log``, so that the
    # figures (standard output from the CLI) stay a table, and a long run shows where it is.
    progress: Callable[[str], None] = _to_stderr

    def case(self, what: str) -> None:
        self.progress(f"bench: {what} …")

    def add(self, section: str, name: str, value: float, unit: str, goal: str = "", met: bool | None = None) -> None:
        self.figures.append(Figure(section, name, round(value, 4), unit, goal, met))
        mark = "" if met is None else ("  ✔" if met else "  ✘")
        self.log(f"{section:10} {name:58} {value:>12,.3f} {unit:8} {goal}{mark}")


def _medians_in_turn(functions: dict[str, Callable[[], float]], runs: int) -> dict[str, float]:
    """The median of ``runs`` runs of each function, each returning the seconds it measured: run
    one at a time in turn with the others, the order reversed every round, so that a slow spell
    of the machine (a shared one runs the same query much slower for seconds at a time)
    weighs on every function alike and the ratios between them keep."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    order = list(functions.items())
    for n in range(runs):
        for name, f in order if n % 2 == 0 else order[::-1]:
            times[name].append(f())
    return {name: statistics.median(taken) for name, taken in times.items()}


@contextmanager
def _timed_engine(kind: EngineKind, store_dir: Path, ntriples: Path | None = None) -> Iterator[Callable[..., float]]:
    """A query engine in a process of its own (:mod:`budgetkg.tooling.timed_engine`, which says why);
    yields ``timed(query, default_graph=None)``, the seconds the engine took to run the query once."""
    args = [
        sys.executable,
        "-m",
        "budgetkg.tooling.timed_engine",
        kind,
        str(store_dir),
        *([str(ntriples)] if ntriples else []),
    ]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True, encoding="utf-8"
        )
        assert process.stdin is not None and process.stdout is not None
        stdin, stdout = process.stdin, process.stdout

        def answer() -> dict[str, Any]:
            line = stdout.readline()
            if not line:
                process.wait()
                errors.seek(0)
                raise BudgetkgError(
                    f"the {kind} engine stopped (exit code {process.returncode}):\n"
                    + errors.read().decode(errors="replace")[-2000:]
                )
            return json.loads(line)

        def timed(query: str, default_graph: list[str] | None = None) -> float:
            with suppress(OSError):  # the engine stopped: answer() says how
                stdin.write(json.dumps({"query": query, "default_graph": default_graph}) + "\n")
                stdin.flush()
            got = answer()
            if "error" in got:
                raise BudgetkgError(f"the {kind} engine could not run a query: {got['error']}")
            return float(got["seconds"])

        try:
            answer()  # {"ready": true}, once the engine is loaded
            yield timed
        finally:
            with suppress(OSError):  # the engine may have stopped already
                stdin.close()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _dump(store_dir: Path, file: Path) -> Path:
    """The store's quads as N-Quads in a file (pyoxigraph's dump streams them: no sorting needed here)."""
    Store.read_only(str((store_dir / "current").resolve())).dump(str(file), format=RdfFormat.N_QUADS)
    return file


def _bare_load(nquads: Path, folder: Path) -> float:
    """Seconds for pyoxigraph to bulk-load an N-Quads file into a new on-disk store."""
    t = time.perf_counter()
    store = Store(str(folder))
    store.bulk_load(path=str(nquads), format=RdfFormat.N_QUADS)
    store.flush()
    del store
    elapsed = time.perf_counter() - t
    shutil.rmtree(folder)
    return elapsed


def _process(args: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def one_document(b: Bench, tmp: Path, runs: int) -> Path:
    from ..load.graph import build

    t = time.perf_counter()
    build(store=tmp / "one")
    ours = time.perf_counter() - t
    nq = _dump(tmp / "one", tmp / "one.nq")
    bare = min(_bare_load(nq, tmp / f"bare-{i}") for i in range(3))
    b.add("one doc", "read + check + map + load into the on-disk store (s)", ours, "s")
    b.add("one doc", "bare pyoxigraph bulk load of the same N-Quads (s)", bare, "s")
    b.add("one doc", "ratio budgetkg / bare load", ours / bare, "×", "≤ 3×", ours / bare <= 3)
    exe = [sys.executable, "-m", "budgetkg"]
    # As the Quick start runs it: the build, then the answer to the 科教城 question.
    wall_build = _process([*exe, "build", "--store", str(tmp / "cli")], runs)
    b.add("one doc", f"`budgetkg build` wall time, median of {runs}", wall_build, "s", "≤ 1.5 s", wall_build <= 1.5)
    wall_query = _process([*exe, "query", "kjc-relocation-by-college", "--store", str(tmp / "cli")], runs)
    b.add(
        "one doc",
        f"`budgetkg query kjc-relocation-by-college` wall time, median of {runs}",
        wall_query,
        "s",
        "≤ 1.5 s",
        wall_query <= 1.5,
    )
    return tmp / "one"


# Peak memory of reading the probe's child (``budgetkg check`` on a big PDF), from a process of
# its own so that no earlier child (Chromium, LibreOffice) counts.
_PEAK_PROBE = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run([sys.executable, '-m', 'budgetkg', 'check', sys.argv[1]], capture_output=True)\n"
    "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def _median_time(function: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        function()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def reading_pdf(b: Bench, tmp: Path, runs: int, pages: int) -> None:
    """The bundled document printed by Chromium (``budgetkg render``), read by budgetkg against
    poppler's ``pdftotext -layout`` on the same file plus the text reader on the text; pdfminer.six
    (pdfplumber's parser) on the same file, the library budgetkg's front end does not parse with;
    the peak memory of ``budgetkg check`` on a PDF of ``pages`` pages of that rendering."""
    import pypdfium2

    from ..read import read_document
    from ..render.pdf import render_pdf
    from ..resources import default_document

    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        raise BudgetkgError("the PDF benchmark needs pdftotext: apt-get install poppler-utils")
    text = default_document().read_bytes()
    pdf = tmp / "bundled.pdf"
    pdf.write_bytes(render_pdf(text, default_document().name, "chromium"))
    ours = _median_time(lambda: read_document(pdf), runs)
    poppler = _median_time(
        lambda: subprocess.run([pdftotext, "-layout", str(pdf), str(tmp / "bundled.txt")], check=True), runs
    )
    text_reader = _median_time(lambda: read_document(text, filename="bundled.txt"), runs)
    anchor = poppler + text_reader
    b.add("pdf", f"read the bundled document's PDF ({len(pypdfium2.PdfDocument(pdf))} pages, Chromium) (s)", ours, "s")
    b.add("pdf", "`pdftotext -layout` on the same file (s)", poppler, "s")
    b.add("pdf", "the text reader on the text (s)", text_reader, "s")
    b.add("pdf", "ratio PDF read / (pdftotext + text reader)", ours / anchor, "×", "≤ 3×", ours / anchor <= 3)
    b.add("pdf", "PDF read within 10 s", ours, "s", "≤ 10 s", ours <= 10)

    def pdfminer() -> None:
        import pdfplumber

        with pdfplumber.open(pdf) as doc:
            for page in doc.pages:
                page.extract_tables()
                page.flush_cache()

    miner = _median_time(pdfminer, 1)
    b.add("pdf", "pdfplumber (pdfminer.six) chars and tables of the same file (s)", miner, "s")
    b.add("pdf", "ratio pdfminer.six / budgetkg's PDF read", miner / ours, "×")

    src = pypdfium2.PdfDocument(pdf)
    big = pypdfium2.PdfDocument.new()
    big.import_pages(src, [i % len(src) for i in range(pages)])  # one import: the fonts are shared
    big.save(tmp / "big.pdf")
    big.close()
    src.close()
    t = time.perf_counter()
    probe = subprocess.run(
        [sys.executable, "-c", _PEAK_PROBE, str(tmp / "big.pdf")], check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - t
    code, peak_kib = (int(v) for v in probe.stdout.split())
    b.add("pdf", f"`budgetkg check` on a {pages}-page PDF: wall time (exit {code})", wall, "s")
    b.add(
        "pdf",
        f"`budgetkg check` on a {pages}-page PDF: peak memory",
        peak_kib / 1024,
        "MiB",
        "< 500 MiB",
        peak_kib < 500 * 1024,
    )


def many_documents(b: Bench, tmp: Path, sizes: list[int]) -> Path | None:
    from .synthetic import generate

    last = None
    for n in sizes:
        b.case(f"building {n} generated documents, against the bare bulk load")
        docs = tmp / f"docs-{n}"
        docs.mkdir()
        for seed in range(n):
            (docs / f"synthetic-{seed}.txt").write_text(generate(seed).text, encoding="utf-8")
        store = tmp / f"many-{n}"
        # VmHWM, the high-water mark of this process's own memory: getrusage's ru_maxrss
        # survives fork and exec on Linux, so it would report the benchmark's memory, not the build's.
        code = (
            "import sys, time; from pathlib import Path; from budgetkg.load.graph import build; "
            "t = time.perf_counter(); s = build(sorted(Path(sys.argv[1]).glob('*.txt')), store=Path(sys.argv[2])); "
            "hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')); "
            "print(time.perf_counter() - t, s.quads, hwm)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(docs), str(store)], check=True, capture_output=True, text=True
        ).stdout.split()
        seconds, quads, peak_kib = float(out[0]), int(out[1]), int(out[2])
        shutil.rmtree(docs)
        nq = _dump(store, tmp / f"many-{n}.nq")
        bare = _bare_load(nq, tmp / f"bare-many-{n}")
        nq.unlink()
        ours_tps, bare_tps = quads / seconds, quads / bare
        b.add(f"{n} docs", "build time (s)", seconds, "s")
        b.add(f"{n} docs", "triples per second, budgetkg", ours_tps, "t/s")
        b.add(f"{n} docs", "triples per second, bare bulk load", bare_tps, "t/s")
        goal = n >= 100
        b.add(
            f"{n} docs",
            "throughput, share of bare bulk load",
            ours_tps / bare_tps * 100,
            "%",
            "≥ 50 %" if goal else "",
            (ours_tps / bare_tps >= 0.5) if goal else None,
        )
        b.add(
            f"{n} docs",
            "peak memory of the build process",
            peak_kib / 1024,
            "MiB",
            "≤ 2048 MiB" if n >= 1000 else "",
            (peak_kib / 1024 <= 2048) if n >= 1000 else None,
        )
        b.add(f"{n} docs", "store size on disk", database_bytes((store / "current").resolve()) / 2**20, "MiB")
        if last is not None:
            shutil.rmtree(last)  # only the largest store is queried afterwards
        last = store
    return last


def _cli_build(folder: Path, store: Path) -> float:
    """Seconds of ``budgetkg build FOLDER`` into a new store, as a whole process, as a user runs it."""
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "budgetkg", "build", str(folder), "--store", str(store), "--no-answer"],
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - t
    shutil.rmtree(store)
    return elapsed


def building_from_pdf(b: Bench, tmp: Path, runs: int, count: int) -> None:
    """``count`` generated documents built from their PDFs (Chromium, as ``budgetkg generate
    --format pdf`` prints them) against the same documents built from their text: each a
    ``budgetkg build`` of a folder into a new store, the two taken in turn ``min(runs, 3)``
    times, the order reversed every round (:func:`_medians_in_turn`); the PDFs are printed
    before, untimed."""
    from ..render.pdf import render_pdf
    from .synthetic import generate

    text_dir, pdf_dir = tmp / "from-text", tmp / "from-pdf"
    text_dir.mkdir()
    pdf_dir.mkdir()
    t = time.perf_counter()
    for seed in range(1, count + 1):
        text = generate(seed).text.encode("utf-8")
        (text_dir / f"synthetic-{seed}.txt").write_bytes(text)
        (pdf_dir / f"synthetic-{seed}.pdf").write_bytes(render_pdf(text, f"synthetic-{seed}.txt", "chromium"))
    printed = time.perf_counter() - t
    medians = _medians_in_turn(
        {
            "text": partial(_cli_build, text_dir, tmp / "store-from-text"),
            "pdf": partial(_cli_build, pdf_dir, tmp / "store-from-pdf"),
        },
        min(runs, 3),
    )
    shutil.rmtree(text_dir)
    shutil.rmtree(pdf_dir)
    section = f"{count} PDFs"
    b.add(section, f"generate and print the {count} PDFs with Chromium, untimed below (s)", printed, "s")
    b.add(section, "`budgetkg build` of their text: documents per second", count / medians["text"], "doc/s")
    b.add(section, "`budgetkg build` of their PDFs: documents per second", count / medians["pdf"], "doc/s")
    b.add(section, "ratio build time from PDF / from text", medians["pdf"] / medians["text"], "×")


def queries(b: Bench, store_dir: Path, runs: int, limit: int | None = None) -> None:
    """Every library query on the on-disk store and on its copy in memory, against an rdflib Graph
    holding the same triples; each engine in a process of its own (see :mod:`budgetkg.tooling.timed_engine`)."""
    from ..load.store import open_store
    from ..publish.export import export_file
    from ..query.library import bind, library
    from .timed_engine import KINDS

    ntriples = store_dir.parent / f"{store_dir.name}.nt"
    export_file(open_store(store_dir), "nt", ntriples)
    texts = [(q.slug, bind(q.text, q, {})) for q in library() if q.name != "federated-comparison"][:limit]
    ratios: dict[str, list[float]] = {"on disk": [], "in memory": []}
    with ExitStack() as engines:
        timed = {kind: engines.enter_context(_timed_engine(kind, store_dir, ntriples)) for kind in KINDS}
        for slug, text in texts:
            medians = _medians_in_turn({kind: partial(run, text) for kind, run in timed.items()}, runs)
            for where in ratios:
                ratios[where].append(medians["rdflib"] / medians[where])
                b.add("queries", f"{slug}: rdflib / pyoxigraph {where}", medians["rdflib"] / medians[where], "×")
    for where, found in ratios.items():
        median = statistics.median(found)
        b.add("queries", f"median speed-up over the library, store {where}", median, "×", "≥ 20×", median >= 20)


def scoped_queries(b: Bench, store_dir: Path, runs: int) -> None:
    from ..query.library import bind, library
    from ..rdf.graphs import VOCABULARY_GRAPH, reference_graphs

    store = Store.read_only(str((store_dir / "current").resolve()))
    shared = [VOCABULARY_GRAPH.value, *reference_graphs(store)]
    graphs = sorted(g.value for g in store.named_graphs() if g.value not in shared)
    del store
    one = graphs[len(graphs) // 2]
    by_name = {q.name: q for q in library()}
    scoped_query, across_query = (
        bind(by_name[name].text, by_name[name], {}) for name in ("unit-basic-vs-project", "funding-mix-by-department")
    )
    with _timed_engine("on disk", store_dir) as timed:
        scoped = statistics.median([timed(scoped_query, [one, *shared]) for _ in range(runs)])
        across = statistics.median([timed(across_query) for _ in range(max(1, runs // 2))])
    b.add(
        f"{len(graphs)} docs",
        "one department's query, scoped to its graph and the shared ones (ms)",
        scoped * 1000,
        "ms",
        "≤ 100 ms",
        scoped <= 0.1,
    )
    b.add(f"{len(graphs)} docs", "cross-department aggregation: funding mix (ms)", across * 1000, "ms")


def serving(b: Bench, store_dir: Path, requests: int) -> None:
    from ..publish.oxigraph_server import free_port, oxigraph_server, wait_until_answers

    port = free_port()
    ours = subprocess.Popen(
        [sys.executable, "-m", "budgetkg", "serve", "--store", str(store_dir), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with ExitStack() as running:
        running.callback(ours.wait, timeout=10)
        running.callback(ours.terminate)
        wait_until_answers(f"http://127.0.0.1:{port}/sparql", ours)
        store = Store.read_only(str((store_dir / "current").resolve()))
        bare = running.enter_context(oxigraph_server(store))
        _load_runs(b, _workloads(store, f"http://127.0.0.1:{port}", bare), requests)


# A request: (method, URL, form data or None, Accept)
Request = tuple[str, str, dict[str, str] | None, str]


def _workloads(
    store: Store, ours: str, bare: str
) -> dict[str, tuple[Callable[[int], Request], Callable[[int], Request] | None]]:
    """Each workload: the i-th request to budgetkg and the same work asked of the Oxigraph server
    (None: no equivalent)."""
    from ..query.library import bind, library
    from ..rdf.iri import DEFAULT_BASE

    def query(name: str) -> tuple[Callable[[int], Request], Callable[[int], Request]]:
        q = next(q for q in library() if q.name == name)
        form = {"query": bind(q.text, q, {})}
        json_results = "application/sparql-results+json"
        return (lambda i: ("POST", f"{ours}/sparql", form, json_results)), (
            lambda i: ("POST", bare, form, json_results)
        )

    # Resource pages of projects, observations and units, taken in turn.
    iris = [
        s["x"].value
        for s in solutions(
            store,
            "SELECT ?x WHERE { VALUES ?k { <https://w3id.org/budgetkg/ontology#Project> "
            "<http://purl.org/linked-data/cube#Observation> "
            "<https://w3id.org/budgetkg/ontology#BudgetUnit> } ?x a ?k } ORDER BY ?x LIMIT 300",
            use_default_graph_as_union=True,
        )
    ]

    def page(i: int, accept: str) -> Request:
        return "GET", ours + "/" + iris[i % len(iris)].removeprefix(DEFAULT_BASE), None, accept

    def construct(i: int) -> Request:  # what budgetkg's server asks its store for an RDF resource page
        iri = iris[i % len(iris)]
        return "POST", bare, {"query": f"CONSTRUCT {{ <{iri}> ?p ?o }} WHERE {{ <{iri}> ?p ?o }}"}, "text/turtle"

    return {
        "cheap library query (projects-of-unit)": query("projects-of-unit"),
        "aggregate library query (unit-budget-by-funding-source)": query("unit-budget-by-funding-source"),
        "resource pages, Turtle (the server: CONSTRUCT)": ((lambda i: page(i, "text/turtle")), construct),
        "resource pages, HTML (no counterpart)": ((lambda i: page(i, "text/html")), None),
    }


def _load_runs(
    b: Bench, workloads: dict[str, tuple[Callable[[int], Request], Callable[[int], Request] | None]], requests: int
) -> None:
    import asyncio

    # aiohttp, not httpx: the load generator shares the two cores with the servers, and
    # httpx's client spent several times aiohttp's CPU a request, up to a whole core at 32
    # clients, so that every server seemed slower than it was (docs/benchmarks.md).
    import aiohttp
    from yarl import URL

    async def load(request: Callable[[int], Request], clients: int) -> tuple[float, list[float], int]:
        latencies, errors = [], 0
        sem = asyncio.Semaphore(clients)

        async def one(http: aiohttp.ClientSession, i: int) -> None:
            nonlocal errors
            method, url, form, accept = request(i)
            async with sem:
                t = time.perf_counter()
                try:
                    # encoded=True: sent as written; yarl would otherwise decode the %3A and %2F of the IRIs
                    async with http.request(method, URL(url, encoded=True), data=form, headers={"Accept": accept}) as r:
                        await r.read()
                except (TimeoutError, aiohttp.ClientError):  # a dropped connection is an error to count
                    errors += 1
                    return
                latencies.append(time.perf_counter() - t)
                errors += r.status != 200

        t = time.perf_counter()
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=clients), timeout=aiohttp.ClientTimeout(total=120)
        ) as http:
            await asyncio.gather(*(one(http, i) for i in range(requests)))
        return time.perf_counter() - t, latencies, errors

    def rounds(servers: list[Callable[[int], Request]], clients: int) -> list[tuple[float, float, float, int]]:
        """Each server's requests/s, p50, p99 and errors over SERVING_ROUNDS load runs taken in
        turn with the others, the order reversed every round: a slow spell of the machine (seconds
        long on a shared one) then weighs on every server alike."""
        latencies: list[list[float]] = [[] for _ in servers]
        elapsed, errors = [0.0] * len(servers), [0] * len(servers)
        order = list(enumerate(servers))
        for n in range(SERVING_ROUNDS):
            for k, server in order if n % 2 == 0 else order[::-1]:
                seconds, taken, failed = asyncio.run(load(server, clients))
                elapsed[k] += seconds
                latencies[k] += taken
                errors[k] += failed
        out = []
        for seconds, taken, failed in zip(elapsed, latencies, errors, strict=True):
            taken.sort()
            out.append((len(taken) / seconds, statistics.median(taken), taken[int(len(taken) * 0.99) - 1], failed))
        return out

    for label, (ours, bare) in workloads.items():
        for clients in (1, 8, 32):
            measured = rounds([ours] if bare is None else [ours, bare], clients)
            rps, p50, p99, err = measured[0]
            b.add(
                "serving",
                f"{label}, {clients} clients: budgetkg req/s (p50 {p50 * 1000:.0f} ms, "
                f"p99 {p99 * 1000:.0f} ms, errors {err})",
                rps,
                "req/s",
                "0 errors",
                err == 0,
            )
            if bare is None:
                continue
            orps, _, _, oerr = measured[1]
            b.add("serving", f"{label}, {clients} clients: oxigraph server req/s (errors {oerr})", orps, "req/s")
            b.add(
                "serving",
                f"{label}, {clients} clients: budgetkg share of oxigraph",
                rps / orps * 100,
                "%",
                "≥ 80 %",
                rps / orps >= 0.8,
            )


def _machine() -> str:
    """What the figures were measured on: they are only comparable within one run, on one machine."""
    import platform
    from importlib.metadata import version

    cpu = memory = ""
    try:
        info = Path("/proc/cpuinfo").read_text()
        cpu = next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name")), "")
        total = next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
        memory = f", {int(total.split()[1]) / 2**20:.0f} GiB"
    except (OSError, StopIteration):  # not Linux: the core count and platform still say something
        pass
    return (
        f"{os.cpu_count()} cores{f' ({cpu})' if cpu else ''}{memory}, Python {platform.python_version()}, "
        f"{platform.system()}, budgetkg {version('budgetkg')}, pyoxigraph {version('pyoxigraph')}"
    )


def _require_serving_baselines() -> None:
    """Fail before an hour of measuring, not at its end, when the serving baselines are missing."""
    from importlib.util import find_spec

    from ..publish.oxigraph_server import oxigraph_binary

    missing = [
        what
        for what, found in (
            ("the Oxigraph server", oxigraph_binary() is not None),
            ("aiohttp (the load generator)", find_spec("aiohttp") is not None),
        )
        if not found
    ]
    if missing:
        raise BudgetkgError(
            f'the serving benchmark needs {" and ".join(missing)}: pip install "budgetkg[bench]" (or pass --no-serve)'
        )


def run_benchmarks(
    *,
    sizes: list[int],
    runs: int = 5,
    requests: int,
    out: Path | None = None,
    serve: bool = True,
    query_limit: int | None = None,
    pdf_pages: int = 500,
    pdf_documents: int = 8,
    log: Callable[[str], None] = print,
    progress: Callable[[str], None] = _to_stderr,
) -> list[Figure]:
    """Run every benchmark in one process run; print the table, write JSON to ``out``.

    :param requests: requests a serving load run (``budgetkg bench --requests`` holds the default).
    :param pdf_pages: pages of the PDF whose reading's peak memory is measured.
    :param pdf_documents: generated documents built from their PDFs and from their text (0: none).
    :param log: called with each line of the table of figures.
    :param progress: called with a line as each case starts.
    """
    if serve:
        _require_serving_baselines()
    b = Bench(log=log, progress=progress)
    log(f"machine: {_machine()}")
    with tempfile.TemporaryDirectory(prefix="budgetkg-bench-") as folder:
        tmp = Path(folder)
        b.case("one document: build, against the bare bulk load; `build` and `query` as processes")
        one = one_document(b, tmp, runs)
        b.case(f"reading the bundled document's PDF, against pdftotext; a {pdf_pages}-page PDF's peak memory")
        reading_pdf(b, tmp, runs, pdf_pages)
        b.case("every library query, against rdflib")
        queries(b, one, runs, query_limit)
        biggest = many_documents(b, tmp, sizes) if sizes else None
        if biggest is not None:
            b.case("one department's query and a cross-department one, on the largest store")
            scoped_queries(b, biggest, runs)
        if pdf_documents:
            b.case(f"building {pdf_documents} generated documents from their PDFs, against from their text")
            building_from_pdf(b, tmp, runs, pdf_documents)
        if serve:
            b.case("serving, against the Oxigraph server")
            serving(b, one, requests)
    if out is not None:
        out.write_text(json.dumps([f.__dict__ for f in b.figures], ensure_ascii=False, indent=1), encoding="utf-8")
    missed = [f for f in b.figures if f.met is False]
    log(f"goals: {sum(f.met is True for f in b.figures)} met, {len(missed)} missed")
    return b.figures
