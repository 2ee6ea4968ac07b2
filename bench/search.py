"""The search index (budgetkg.query.search): its time and memory on a store, and the tokenizers compared.

    python bench/search.py [--store DIR]

Prints how long the index of the store takes to make, what it holds in memory (Python's
allocations, tracemalloc) and how long a search takes.  With jieba installed (`pip install
jieba`; budgetkg does not depend on it), it also compares what jieba's words and budgetkg's
character pairs find among the bundled document's projects: 科教城's, and the IT-operation
ones (信息化 and 运维 in their names, in either order).  docs/search.md has the figures.
"""

from __future__ import annotations

import argparse
import importlib
import math
import time
import tracemalloc
from pathlib import Path

from budgetkg.load.store import default_store_path, open_store
from budgetkg.query.search import SHOULD_MATCH, build_index, terms
from budgetkg.read.document import read_document


def measure_index(store_dir: Path) -> None:
    store = open_store(store_dir, in_memory=True)
    started = time.perf_counter()
    build_index(store)
    made = time.perf_counter() - started
    tracemalloc.start()  # a second time, for its memory: tracing slows it down
    index = build_index(store)
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    queries = ("科教城", "信息化运维", "运维信息化", "养老保险", "科")
    started = time.perf_counter()
    for query in queries:
        index.search(query)
    each = (time.perf_counter() - started) / len(queries)
    print(
        f"{store_dir}: {len(index.entries)} entries, made in {made:.2f} s, holding {held / 2**20:.1f} MiB "
        f"(peak {peak / 2**20:.1f} MiB); a search {each * 1000:.1f} ms"
    )


def compare_tokenizers() -> None:
    try:
        jieba = importlib.import_module("jieba")
    except ImportError:
        print("jieba is not installed: the tokenizers are not compared")
        return
    jieba.setLogLevel(60)
    names = [p.name for p in read_document().projects]
    words = {name: set(jieba.cut_for_search(name)) for name in names}
    pairs = {name: set(terms(name)) for name in names}
    wanted = {
        "科教城": {n for n in names if "科教城" in n},
        "信息化运维": {n for n in names if "信息化" in n and "运维" in n},
        "运维信息化": {n for n in names if "信息化" in n and "运维" in n},
    }
    for query, printed in wanted.items():
        asked_words = [w for w in jieba.cut(query) if w.strip()]
        by_words = {n for n in names if all(w in words[n] for w in asked_words)}
        asked_pairs = terms(query, query=True)
        need = math.ceil(SHOULD_MATCH * len(asked_pairs))
        by_pairs = {n for n in names if sum(t in pairs[n] for t in asked_pairs) >= need}
        print(
            f"{query}: {len(printed)} printed; jieba {asked_words} finds {len(by_words & printed)} "
            f"(+{len(by_words - printed)} others); pairs {asked_pairs} find {len(by_pairs & printed)} "
            f"(+{len(by_pairs - printed)} others)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, default=None, help="The store (default: budgetkg's default store).")
    args = parser.parse_args()
    compare_tokenizers()
    measure_index(args.store or default_store_path())


if __name__ == "__main__":
    main()
