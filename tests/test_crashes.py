"""Builds killed at random points, readers during a rebuild, two builds at once: nothing is lost."""

import os
import random
import signal
import subprocess
import sys
import threading
import time

from budgetkg.load.graph import build
from budgetkg.load.store import open_store
from budgetkg.tooling.synthetic import generate


def count(path) -> int:
    return len(open_store(path))


def build_process(store, docs):
    return subprocess.Popen(
        # the store's atomicity is what is tested: a kill while the dumps are written, after the swap, would change it
        [sys.executable, "-m", "budgetkg", "build", "--no-answer", "--no-dumps", f"--store={store}", *map(str, docs)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_killed_builds_leave_the_previous_store(tmp_path):
    store = tmp_path / "store"
    build(store=store)
    before = count(store)
    docs = []
    for seed in range(6):
        doc = tmp_path / f"d{seed}.txt"
        doc.write_text(generate(seed).text, encoding="utf-8")
        docs.append(doc)
    rng = random.Random(5)
    killed = 0
    for _ in range(4):
        process = build_process(store, docs)
        time.sleep(rng.uniform(0.3, 2.5))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        process.wait()
        after = count(store)  # the store opens and reads after every kill
        if process.returncode == -signal.SIGKILL:
            assert after == before  # the interrupted build changed nothing
        before = after
    assert killed >= 1
    # the store is still usable and buildable
    build([docs[0]], store=store)
    assert count(store) > 0


def test_readers_see_the_old_or_the_new_graph_never_a_mix(tmp_path):
    store = tmp_path / "store"
    build(store=store)
    old = count(store)
    doc = tmp_path / "extra.txt"
    doc.write_text(generate(9).text, encoding="utf-8")
    seen = set()
    stop = threading.Event()

    def read():
        while not stop.is_set():
            seen.add(count(store))

    reader = threading.Thread(target=read)
    reader.start()
    build([doc], store=store)
    new = count(store)
    time.sleep(0.2)
    stop.set()
    reader.join()
    assert seen <= {old, new} and new > old


def test_two_builds_at_once_one_is_refused(tmp_path):
    store = tmp_path / "store"
    build(store=store)
    docs = []
    for seed in range(4):
        doc = tmp_path / f"d{seed}.txt"
        doc.write_text(generate(seed).text, encoding="utf-8")
        docs.append(doc)
    first = build_process(store, docs)
    time.sleep(0.5)
    second = build_process(store, docs[:1])
    second_err = second.communicate()[1].decode()
    first.wait()
    assert first.returncode == 0
    assert second.returncode == 2 and "another budgetkg build is running" in second_err
    # five documents, the vocabulary, the organisations, the entailed graph
    assert len(list(open_store(store).named_graphs())) == 8


def test_a_graph_given_twice_is_refused_and_the_store_kept(tmp_path):
    import pytest
    from budgetkg.load.store import rebuild
    from pyoxigraph import Literal, NamedNode, Quad

    g = NamedNode("http://example.org/g")

    def quads(value: str) -> list[Quad]:
        return [Quad(NamedNode("http://example.org/x"), NamedNode("http://example.org/b"), Literal(value), g)]

    store = tmp_path / "store"
    rebuild([((g,), quads("first"))], path=store)
    with pytest.raises(ValueError, match="given twice"):
        rebuild([((g,), quads("second")), ((g,), quads("third"))], path=store)
    assert [q.object.value for q in open_store(store)] == ["first"]


def test_n_quads_loaded_side_by_side_all_land_and_a_bad_load_leaves_the_store(tmp_path):
    import pytest
    from budgetkg.load.store import LOADS_AT_ONCE, generations, rebuild
    from pyoxigraph import NamedNode

    def nquads(graph: int, count: int = 5000) -> bytes:
        return "".join(
            f'<http://example.org/s{n}> <http://example.org/p> "{n}" <http://example.org/g{graph}> .\n'
            for n in range(count)
        ).encode()

    graphs = [NamedNode(f"http://example.org/g{i}") for i in range(2 * LOADS_AT_ONCE + 1)]
    store = tmp_path / "store"
    rebuild([((g,), nquads(i)) for i, g in enumerate(graphs)], path=store)
    built = open_store(store)
    assert sorted(g.value for g in built.named_graphs()) == sorted(g.value for g in graphs)
    assert len(built) == 5000 * len(graphs)

    batches = [((g,), nquads(i, 10)) for i, g in enumerate(graphs)]
    batches[1] = ((graphs[1],), b"<http://example.org/s> <http://example.org/p> oops .\n")  # beside good loads
    with pytest.raises(SyntaxError):
        rebuild(batches, path=store, replace_all=True)
    assert len(open_store(store)) == 5000 * len(graphs)
    assert [p.name for p in generations(store)] == [store.joinpath("current").resolve().name]


def test_a_build_killed_before_its_swap_leaves_nothing_the_next_build_keeps(tmp_path):
    """A build killed mid-way leaves its partial data-<n>; the next build removes it first, and keeps
    the real previous database (issue 32: it kept the partial one and deleted the real one)."""
    from budgetkg.load.store import generations

    store = tmp_path / "store"
    build(store=store)
    build(store=store)
    assert [p.name for p in generations(store)] == ["data-1", "data-2"]
    previous = sorted((f.name, f.stat().st_size) for f in (store / "data-2").iterdir())
    docs = []
    for seed in range(4):
        doc = tmp_path / f"d{seed}.txt"
        doc.write_text(generate(seed).text, encoding="utf-8")
        docs.append(doc)
    process = build_process(store, docs)
    deadline = time.monotonic() + 60
    while not (store / "data-3").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert os.readlink(store / "current") == "data-2" and (store / "data-3").exists()  # killed before its swap
    (store / "data-8").mkdir()  # and one left by hand, as a killed update would
    (store / "data-8" / "CURRENT").write_text("partial")
    build(store=store)
    assert [p.name for p in generations(store)] == ["data-2", "data-3"]
    assert os.readlink(store / "current") == "data-3"
    assert sorted((f.name, f.stat().st_size) for f in (store / "data-2").iterdir()) == previous
    assert count(store) > 0
