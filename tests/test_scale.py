"""What makes big builds possible: documents mapped in worker processes, exports sorted in runs on disk."""

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from budgetkg.errors import DocumentError
from budgetkg.load.graph import build
from budgetkg.load.pipeline import in_groups, read_in_turn
from budgetkg.load.store import open_store
from budgetkg.publish import export
from budgetkg.publish.export import export_bytes
from budgetkg.tooling.synthetic import generate
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    folder = tmp_path_factory.mktemp("three")
    for seed in (31, 32, 33):
        (folder / f"d{seed}.txt").write_text(generate(seed).text, encoding="utf-8")
    return sorted(folder.glob("*.txt"))


def test_documents_mapped_in_workers_give_the_graphs_of_documents_built_alone(three, tmp_path):
    together = build(three, store=tmp_path / "together")  # several documents: mapped in worker processes
    assert [d.file for d in together.documents] == [p.name for p in three]
    for path in three:  # one document: mapped in the build process
        build([path], store=tmp_path / "alone")
    assert export_bytes(open_store(tmp_path / "together"), "nq") == export_bytes(open_store(tmp_path / "alone"), "nq")


def test_an_error_in_a_worker_names_file_and_line_and_leaves_the_store(three, tmp_path):
    build(three[:1], store=tmp_path / "s")
    before = export_bytes(open_store(tmp_path / "s"), "nq")
    bad = tmp_path / "bad.txt"
    lines = three[1].read_text(encoding="utf-8").splitlines(keepends=True)
    # the first table row that ends with an amount: its last figure is misprinted
    number = next(i for i, line in enumerate(lines, 1) if re.search(r"\t\d+\.\d\d$", line))
    lines[number - 1] = re.sub(r"\d+\.\d\d$", "12x.5", lines[number - 1])
    bad.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        build([three[0], bad, three[2]], store=tmp_path / "s")
    assert caught.value.filename.endswith("bad.txt") and caught.value.lineno == number
    assert caught.value.code == "bad-amount" and caught.value.found == "12x.5"
    assert export_bytes(open_store(tmp_path / "s"), "nq") == before


def test_documents_mapped_while_a_group_loads_make_the_next_group():
    groups = []
    for group in in_groups(iter(range(10)), most=4):
        groups.append(group)
        time.sleep(0.2)  # a bulk load: meanwhile the thread draws the next items
    assert [item for group in groups for item in group] == list(range(10))
    assert all(1 <= len(group) <= 4 for group in groups)
    assert max(len(group) for group in groups) == 4


def test_groups_and_what_is_held_meanwhile_stay_within_a_budget_by_one_item_at_most():
    drawn = []

    def source():  # documents of 10 MB each
        for i in range(12):
            drawn.append(i)
            yield i

    groups, held = [], []
    for group in in_groups(source(), most=8, budget=25, weight=lambda item: 10):
        groups.append(group)
        time.sleep(0.2)  # a bulk load: the thread draws until it holds 25 MB or more
        held.append(len(drawn) - sum(map(len, groups)))
    assert [item for group in groups for item in group] == list(range(12))
    assert all(len(group) <= 3 for group in groups) and max(len(group) for group in groups) == 3
    assert max(held) == 3  # 30 MB: the third item is the one that reaches the budget


def test_a_group_is_loaded_from_its_documents_n_quads_in_turn_without_joining_them(tmp_path):
    lines = [
        f'<http://example.org/s{i}> <http://example.org/p> "{i} 万元" <http://example.org/g{i % 3}> .\n'.encode()
        for i in range(5000)
    ]
    parts = [b"".join(lines[:10]), b"", b"".join(lines[10:4000]), b"".join(lines[4000:])]
    assert read_in_turn(list(parts)).read() == b"".join(lines)
    store = Store(str(tmp_path / "db"))
    store.bulk_load(read_in_turn(parts), format=RdfFormat.N_QUADS, lenient=True)
    assert len(store) == 5000
    assert parts == [b""] * 4  # each document's N-Quads let go once read
    assert [q.object for q in store.quads_for_pattern(NamedNode("http://example.org/s4999"), None, None)] == [
        Literal("4999 万元")
    ]


def test_an_error_drawing_comes_after_the_items_drawn_before_it():
    def source():
        yield 1
        yield 2
        raise ValueError("the third document is bad")

    got = []
    with pytest.raises(ValueError, match="third document"):
        for group in in_groups(source(), most=8):
            got += group
    assert got == [1, 2]


def test_stopping_early_closes_what_the_groups_are_drawn_from():
    closed = threading.Event()

    def source():  # the workers' answers: closing it stops the workers
        try:
            yield from range(1_000_000)
        finally:
            closed.set()

    groups = in_groups(source(), most=2)
    assert next(groups)[0] == 0
    groups.close()
    assert closed.is_set()


@pytest.fixture
def small_runs(monkeypatch):
    monkeypatch.setattr(export, "SORT_RUN_BYTES", 20_000)  # many runs spilled to disk and merged


def test_exports_sorted_in_runs_on_disk_equal_exports_sorted_in_memory(store):
    whole = {fmt: export_bytes(store, fmt) for fmt in ("nt", "nq", "ttl")}
    lines = whole["nq"].decode("utf-8").splitlines()
    assert lines == sorted(lines) and len(lines) == len(store)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(export, "SORT_RUN_BYTES", 2_000_000)
        for fmt, data in whole.items():
            assert export_bytes(store, fmt) == data, fmt


def test_the_union_drops_a_triple_repeated_in_two_graphs(small_runs):
    store = Store()
    s, p = NamedNode("http://example.org/s"), NamedNode("http://example.org/p")
    for g in ("a", "b", "c"):
        for i in range(300):
            store.add(Quad(s, p, Literal(f"value {i:03}"), NamedNode(f"http://example.org/{g}")))
    nt = export_bytes(store, "nt").decode().splitlines()
    assert len(nt) == 300 and nt == sorted(nt)
    assert len(export_bytes(store, "nq").decode().splitlines()) == 900


def test_a_script_without_a_main_guard_builds_many_documents(three, tmp_path):
    script = tmp_path / "script.py"  # no `if __name__ == "__main__"`: workers must not re-import it
    script.write_text(
        "import sys\nfrom pathlib import Path\nfrom budgetkg.load.graph import build\n"
        "s = build([Path(p) for p in sys.argv[2:]], store=Path(sys.argv[1]))\n"
        "print(len(s.documents))\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "s"), *map(str, three)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3"]


def test_a_killed_build_leaves_no_worker_behind(three, tmp_path):
    build_ = subprocess.Popen(
        [sys.executable, "-m", "budgetkg", "build", "--store", str(tmp_path / "s"), "--no-answer", *map(str, three)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children = _children(build_.pid, wait=30)
    assert children, "the build started no worker"
    build_.kill()
    build_.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in children)


def _children(pid: int, wait: float) -> list[int]:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        found = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == pid]
        if found:
            return found
        time.sleep(0.05)
    return []


def _parent(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
