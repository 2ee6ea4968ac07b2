"""Property-based tests on mutated documents (hypothesis): a correct reading or a clear error, never
a crash or a hang, and never a changed figure that the accounting report does not show.
The long run is `python tests/fuzz_documents.py --examples 5000` (docs/reliability.md)."""

import random
import re
from decimal import Decimal

from budgetkg import DocumentError, read_document
from budgetkg.check.accounts import check_document
from budgetkg.resources import default_document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutations import mutate

LINES = default_document().read_text("utf-8").split("\n")
BASE = check_document(read_document())
BASE_DIFFERENCES = {i.id: i.difference for i in BASE.identities}
CELLS = [(row, cell) for row, cell in BASE.document.cells()]
AMOUNT = re.compile(r"[\d,]+\.\d+")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=1, max_value=4))
def test_mutated_document_reads_or_fails_clearly(seed, count):
    lines, _ = mutate(LINES, random.Random(seed), count)
    try:
        check_document(read_document("\n".join(lines).encode("utf-8"), filename="mutated.txt"))
    except DocumentError as exc:
        assert exc.filename == "mutated.txt" and 1 <= exc.lineno <= len(lines) + 1
        assert exc.code and exc.expected and str(exc).startswith(f"mutated.txt:{exc.lineno}:")


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=0, max_value=len(CELLS) - 1), st.sampled_from(["0.01", "-0.01", "1.00", "-7.30", "100.00"])
)
def test_a_changed_figure_always_shows_in_the_report(index, delta):
    row, cell = CELLS[index]
    new_value = cell.amount.value + Decimal(delta)
    if new_value < 0:
        return
    line = cell.source.line
    parts = LINES[line - 1].split("\t")
    if row.table in (1, 4):
        k = 1 if row.attrs.get("side") == "income" else 3
    else:
        positions = [k for k, p in enumerate(parts) if AMOUNT.fullmatch(p.strip())]
        k = positions[list(row.cells).index(cell.column)]
    assert parts[k].strip() == cell.amount.text
    parts[k] = f"{new_value:,.2f}"
    lines = list(LINES)
    lines[line - 1] = "\t".join(parts)
    report = check_document(read_document("\n".join(lines).encode("utf-8"), filename="changed.txt"))
    after = {i.id: i.difference for i in report.identities}
    # an identity that appears (a zero figure that becomes non-zero) or changes its difference
    changed = {k for k in after.keys() | BASE_DIFFERENCES.keys() if after.get(k) != BASE_DIFFERENCES.get(k)}
    assert changed, "a changed figure must change the difference of some identity"
    if abs(Decimal(delta)) >= 1:
        assert report.broken, "a change of a yuan or more breaks an identity"


@settings(max_examples=15, deadline=None)
@given(st.binary(min_size=1, max_size=2000))
def test_random_bytes_are_refused_clearly(data):
    try:
        read_document(data, filename="noise.bin")
    except DocumentError as exc:
        assert exc.code in {
            "empty-document",
            "binary-document",
            "bad-encoding",
            "not-a-budget",
            "missing-part",
            "unplaced-line",
            "unplaced-row",
            "unknown-table",
            "truncated-table",
            "missing-table",
        }
