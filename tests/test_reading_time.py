"""Reading is linear in its input, whatever the input holds (issue 32, finding 4).

Each hostile input is made at 1×, 4× and 16× its size by making its lines longer (up to the
line limit), so that work quadratic in a line's length and work quadratic in the number of
lines both show; the time per byte of the largest must stay within a generous factor of the
smallest's.  Times are CPU times of this process, the least of a few runs, so that other work
on the machine does not count.
"""

from __future__ import annotations

import contextlib
import random
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from budgetkg import DocumentError, read_document
from budgetkg.read.sections import MAX_LINE_CHARS
from budgetkg.resources import default_document

SEED = default_document().read_text("utf-8").split("\n")
LINES = 200  # hostile lines in each input
WIDTH = 560  # characters of each at 1×; 16× is 8,960, under MAX_LINE_CHARS
FACTOR = 4.0  # time per byte, largest over smallest: 16 for quadratic work, about 1 for linear


def _at(prefix: str, after: int = 0) -> int:
    return next(i for i, line in enumerate(SEED) if i >= after and line.startswith(prefix))


NARRATIVE = _at("### 一、部门预算收支增减变化情况") + 1  # in the prose of 第三部分
GLOSSARY = len(SEED)  # after the last entry of 第四部分: lines that continue its definition
TABLE5 = _at("合计", _at("## 一般公共预算支出情况表")) + 1  # the rows of a table of codes


def _inserted(at: int, lines: list[str]) -> list[str]:
    return SEED[:at] + lines + SEED[at:]


def title_without_department(width: int) -> bytes:
    """A title block of long lines that never says 部门预算 (a lazy regex rescanned it from each start)."""
    title = ["2024年" + "广" * width for _ in range(LINES)]
    return "\n".join(SEED[:2] + title + SEED[4:]).encode()


def html_fragments(width: int) -> bytes:
    """Prose of ``<b <b <b`` without a closing ``>`` and of ``<sup>`` without a number."""
    lines = ["<b " * (width // 3) if i % 2 else "<sup> " * (width // 6) for i in range(LINES)]
    return "\n".join(_inserted(NARRATIVE, lines)).encode()


def runs_of_spaces(width: int) -> bytes:
    """Prose with long runs of spaces and figures without their unit (backtracking over a run)."""
    lines = ["a" + " " * width + "b" if i % 2 else "收入预算" + "1" * width for i in range(LINES)]
    return "\n".join(_inserted(NARRATIVE, lines)).encode()


def repeated_separators(width: int) -> bytes:
    """Brackets never closed, 、 and tabs repeated, in prose and in a table of codes."""
    prose = ["公务用车购置及运行维护费1万元（" * (width // 16) if i % 2 else "、" * width for i in range(LINES)]
    rows = ["[" + " " * width + "\t1.00"]
    return "\n".join(_inserted(TABLE5, rows)[:NARRATIVE] + prose + SEED[NARRATIVE:]).encode()


def glossary_continued(width: int) -> bytes:
    """One glossary entry continued over many lines (its definition grew by copying, quadratic in
    their number): this input grows by its number of lines."""
    return "\n".join(SEED + ["续" * WIDTH for _ in range(LINES * width // WIDTH)]).encode()


def table_rows(width: int) -> bytes:
    """Rows of projects in 表12, each with its own name and a long goal."""
    unit = _at("广州市人力资源和社会保障局\t", _at("## 部门预算项目支出及其他支出预算表"))
    rows = [f"项目{i}\t1.00\t1.00\t1.00\t0.00\t0.00\t0.00\t0.00\t" + "目标" * (width // 2) for i in range(LINES)]
    return "\n".join(_inserted(unit + 1, rows)).encode()


def random_text(width: int) -> bytes:
    """Prose of random pieces of everything above."""
    rng = random.Random(width)
    pieces = [
        "<",
        ">",
        " ",
        "、",
        "（",
        "）",
        "[",
        "]",
        "*",
        "**",
        ":",
        "：",
        "1",
        ",",
        ".",
        "广",
        "部门预算",
        "2024年",
        "<sup>",
        "</sup>",
        "#",
        "万元",
        "比上年",
        "增加",
        "包括",
    ]
    lines = ["".join(rng.choice(pieces) for _ in range(width // 2))[:width] for _ in range(LINES)]
    return "\n".join(_inserted(NARRATIVE, lines)).encode()


def random_bytes(width: int) -> bytes:
    return random.Random(width).randbytes(LINES * width)


def gb18030(width: int) -> bytes:
    return html_fragments(width).decode().encode("gb18030")


INPUTS: dict[str, Callable[[int], bytes]] = {
    "title without 部门预算": title_without_department,
    "HTML fragments": html_fragments,
    "runs of spaces": runs_of_spaces,
    "repeated separators": repeated_separators,
    "glossary continued": glossary_continued,
    "table rows": table_rows,
    "random text": random_text,
    "random bytes": random_bytes,
    "GB18030": gb18030,
}


def reading_time(data: bytes, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        with contextlib.suppress(DocumentError):
            read_document(data, filename="hostile.txt")
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize("name", INPUTS)
def test_reading_time_grows_linearly(name):
    make = INPUTS[name]
    per_byte = {}
    for scale in (1, 4, 16):
        data = make(WIDTH * scale)
        per_byte[scale] = reading_time(data, runs=3 if scale < 16 else 1) / len(data)
    assert WIDTH * 16 + 10 <= MAX_LINE_CHARS
    if name == "random bytes":  # refused at once (not text): nothing to measure but that it is
        return
    ratio = per_byte[16] / per_byte[1]
    assert ratio < FACTOR, f"{name}: time per byte grew {ratio:.1f}× from 1× to 16× ({per_byte})"


def test_a_line_longer_than_the_limit_is_refused_with_its_line():
    lines = list(SEED)
    lines[40] = "广" * (MAX_LINE_CHARS + 1)
    with pytest.raises(DocumentError) as info:
        read_document("\n".join(lines).encode(), filename="long.txt")
    e = info.value
    assert (e.code, e.filename, e.lineno) == ("line-too-long", "long.txt", 41)
    assert "10,001 characters" in e.found


def test_names_needing_too_many_comparisons_are_refused():
    """Key projects that match no project by amount are compared with every project of 表12:
    many distinct ones run out of the document's budget of comparisons, at a row's line."""
    rng = random.Random(1)
    header = _at("项目\t", _at("#### **六、重点项目"))
    rows = ["".join(chr(0x4E00 + rng.randrange(2000)) for _ in range(40)) + "\t1.23\t目标" for _ in range(3000)]
    with pytest.raises(DocumentError) as info:
        read_document("\n".join(_inserted(header + 1, rows)).encode())
    assert info.value.code == "too-many-names"
    assert header + 1 < info.value.lineno <= header + 1 + len(rows)


@pytest.mark.parametrize("kind", ["one line", "many lines"])
def test_ten_megabytes_of_hostile_text_are_read_or_refused(tmp_path, kind):
    """Through the CLI: exit 0 (read) or 2 (a clear error), never a traceback; the bound on time is
    a generous one that the reading of old (quadratic: hours) could not meet."""
    if kind == "one line":
        text = "\n".join(SEED[:4] + ["<b " * 3_500_000] + SEED[4:])
    else:
        block = [
            "<b " * 3000,
            "a" + " " * 8998 + "b",
            "<sup> " * 1500,
            "公务用车购置及运行维护费1万元（" * 560,
            "收入预算" + "1" * 8000,
            "[" + " " * 9000,
        ]
        text = "\n".join(_inserted(NARRATIVE, block * 220))
    path = tmp_path / "hostile.txt"
    path.write_bytes(text.encode())
    assert path.stat().st_size > 10_000_000
    result = subprocess.run(
        [sys.executable, "-m", "budgetkg", "check", str(path)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode in (0, 1, 2), result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    if kind == "one line":
        assert result.returncode == 2 and "hostile.txt:5:1: error[line-too-long]" in result.stdout + result.stderr
