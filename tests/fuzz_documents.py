"""The long fuzz run: many mutated documents, with figures.  Not collected by pytest.

    python tests/fuzz_documents.py --examples 5000 [--seed 1]

Prints how many inputs were tried, read, refused (by error code) and crashed (must be 0),
and the slowest reading.  A crash prints the mutations that caused it, for a regression test.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from budgetkg import DocumentError, read_document  # noqa: E402
from budgetkg.check.accounts import check_document  # noqa: E402
from budgetkg.resources import default_document  # noqa: E402
from mutations import mutate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    lines = default_document().read_text("utf-8").split("\n")
    rng = random.Random(args.seed)
    outcomes: Counter[str] = Counter()
    crashes = []
    slowest = 0.0
    started = time.monotonic()
    for _ in range(args.examples):
        mutated, done = mutate(lines, rng, rng.randint(1, 4))
        encoding = rng.choice(["utf-8", "utf-8", "gb18030"])
        t = time.monotonic()
        try:
            report = check_document(read_document("\n".join(mutated).encode(encoding), filename="fuzz.txt"))
            outcomes["read, broken identities reported" if report.broken else "read"] += 1
        except DocumentError as exc:
            outcomes[f"refused: {exc.code}"] += 1
        except Exception:
            crashes.append((done, traceback.format_exc()))
        slowest = max(slowest, time.monotonic() - t)
    total = time.monotonic() - started
    print(f"inputs tried: {args.examples} (seed {args.seed}) in {total:.1f} s; slowest {slowest * 1000:.0f} ms")
    for outcome, n in outcomes.most_common():
        print(f"  {n:6}  {outcome}")
    print(f"crashes: {len(crashes)}")
    for done, trace in crashes[:5]:
        print("  mutations:", ", ".join(done))
        print(trace)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
