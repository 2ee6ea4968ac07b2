"""The same records whatever the page breaks: headers removed and repeated elsewhere."""

import re

from budgetkg import read_document

SEED = "guangzhou-hrss-2024-budget.txt"


def is_header(line: str) -> bool:
    # Header lines hold tabs and no figure; every data row holds at least one.
    return "\t" in line and not re.search(r"\d", line)


def resplit(lines: list[str], every: int) -> list[str]:
    """Drop repeated header blocks and insert a page break (blank line + header) every ``every`` rows."""
    out: list[str] = []
    header: list[str] = []
    rows_since_break = 0
    i = 0
    while i < len(lines):
        if is_header(lines[i]):
            block = []
            while i < len(lines) and is_header(lines[i]):
                block.append(lines[i])
                i += 1
            if block == header:
                while out and not out[-1].strip():
                    out.pop()  # the blank line of the old page break
            else:
                out.extend(block)
                header = block
            rows_since_break = 0
            continue
        line = lines[i]
        if "\t" in line and header:
            if rows_since_break == every:
                out += ["", *header]
                rows_since_break = 0
            rows_since_break += 1
        elif line.startswith("#"):
            header = []  # a new table (or part) starts: its header is not a repeat
        out.append(line)
        i += 1
    return out


def records(doc):
    return [(r.table, r.key, c.column, c.amount, r.goal) for r, c in doc.cells()]


def test_same_records_with_pages_resplit(doc, seed_lines):
    for every in (3, 7, 40):
        text = "\n".join(resplit(seed_lines, every))
        assert text != "\n".join(seed_lines)
        other = read_document(text.encode(), filename=SEED)
        assert records(other) == records(doc)
        assert [(k.name, k.amount) for k in other.key_projects] == [(k.name, k.amount) for k in doc.key_projects]
