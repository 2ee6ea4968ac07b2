"""Bad input: each kind gets an error naming the file, the line, what was expected and found.

Mutations blank a line rather than delete it, so the line numbers of the bundled
document still hold; errors are asserted as (lineno, offset, code).
"""

import pytest
from budgetkg import DocumentError, read_document
from budgetkg.errors import catalogue

SEED = "guangzhou-hrss-2024-budget.txt"


def error_of(data: bytes) -> DocumentError:
    with pytest.raises(DocumentError) as info:
        read_document(data, filename=SEED)
    return info.value


def mutated(seed_lines, changes: dict[int, str | None]) -> bytes:
    lines = list(seed_lines)
    for lineno, text in changes.items():
        lines[lineno - 1] = "" if text is None else text
    return "\n".join(lines).encode("utf-8")


def where(e: DocumentError):
    return (e.lineno, e.offset, e.code)


def test_empty_file():
    assert where(error_of(b"")) == (1, 1, "empty-document")
    assert where(error_of(b"\n  \n")) == (1, 1, "empty-document")


def test_binary_file(seed_lines):
    data = "\n".join(seed_lines[:4]).encode() + b"\n\x00\x01\x02"
    assert where(error_of(data)) == (5, 1, "binary-document")


def test_control_character_names_its_line(seed_lines):
    data = "\n".join(seed_lines[:6]).encode() + b"\n\xe8\xa1\xa8\x1b[0m\n" + "\n".join(seed_lines[6:]).encode()
    e = error_of(data)
    assert where(e) == (7, 1, "binary-document")
    assert "U+001B" in e.found


def test_not_a_budget():
    e = error_of("这是一份会议纪要。\n没有预算表。\n".encode())
    assert where(e) == (1, 1, "not-a-budget")
    assert e.filename == SEED and "第一部分" in e.expected


def test_unsupported_encoding(seed_lines):
    data = "\n".join(seed_lines[:9]).encode() + b"\n\x80abc\n"
    e = error_of(data)
    assert where(e) == (10, 1, "bad-encoding")
    assert "UTF-8 or GB18030" in e.expected


def test_utf16_refused(seed_lines):
    assert error_of("\n".join(seed_lines).encode("utf-16")).code == "bad-encoding"


def test_gb18030_reads_the_same(doc, seed_lines):
    other = read_document("\n".join(seed_lines).encode("gb18030"), filename=SEED)
    assert [(r.key, c.amount) for r, c in other.cells()] == [(r.key, c.amount) for r, c in doc.cells()]


def test_cut_off_in_the_middle_of_a_table(seed_lines):
    e = error_of("\n".join(seed_lines[:700]).encode())
    assert where(e) == (700, 1, "truncated-table")
    assert "表12" in e.expected


def test_non_numeric_amount(seed_lines):
    e = error_of(mutated(seed_lines, {421: "[30201]办公费\t55O.24"}))
    assert where(e) == (421, 2, "bad-amount")
    assert e.found == "55O.24" and "表6" in e.context


def test_too_many_cells(seed_lines):
    e = error_of(mutated(seed_lines, {421: "[30201]办公费\t550.24\t1.00"}))
    assert where(e) == (421, 3, "too-many-cells")


def test_too_few_cells(seed_lines):
    # line 215: 201 一般公共服务支出 with its last two cells dropped
    e = error_of(mutated(seed_lines, {215: "201\t一般公共服务支出\t5.00\t0.00\t5.00\t0.00\t0.00"}))
    assert where(e) == (215, 8, "too-few-cells")


def test_bad_code(seed_lines):
    e = error_of(mutated(seed_lines, {421: "[3020l]办公费\t550.24"}))
    assert where(e) == (421, 1, "bad-code")
    assert e.found == "3020l"


def test_missing_table(seed_lines):
    # blank out 表8, lines 527-542
    e = error_of(mutated(seed_lines, {n: None for n in range(527, 543)}))
    assert where(e) == (968, 1, "missing-table")  # reported where 第二部分 ends
    assert "表8" in e.expected


def test_unknown_table(seed_lines):
    e = error_of(mutated(seed_lines, {527: "## 财政拨款安排的会议经费预算表"}))
    assert where(e) == (527, 1, "unknown-table")


def test_unexpected_header(seed_lines):
    e = error_of(mutated(seed_lines, {403: "部门预算支出经济科目\t金额"}))
    assert where(e) == (403, 1, "bad-header")


def test_unplaced_line_inside_a_table(seed_lines):
    e = error_of(mutated(seed_lines, {422: "以下为印刷费"}))
    assert where(e) == (422, 1, "unplaced-row")


def test_unknown_row_label(seed_lines):
    e = error_of(mutated(seed_lines, {534: "会议经费\t3,409.20\t3,409.20\t0.00\t0.00"}))
    assert where(e) == (534, 1, "unknown-row")


def test_missing_part(seed_lines):
    e = error_of(mutated(seed_lines, {1063: None}))  # the 第四部分 heading
    assert where(e) == (1085, 1, "missing-part")


def test_error_message_names_file_line_expected_found(seed_lines):
    e = error_of(mutated(seed_lines, {421: "[30201]办公费\t55O.24"}))
    text = str(e)
    assert text.startswith(f"{SEED}:421:2: error[bad-amount]")
    assert 'found "55O.24"' in text and "expected an amount" in text


def test_catalogue_has_titles_in_both_languages():
    for kind in catalogue().values():
        assert kind.title_zh and kind.title_en and kind.why


def test_code_missing_from_the_code_list_is_reported(seed_lines):
    lines = list(seed_lines)
    lines[421 - 1] = "[30298]办公费\t550.24"  # a well-formed code the 2024 list does not have
    doc = read_document("\n".join(lines).encode("utf-8"), filename=SEED)
    assert any(":421: economic code 30298 is not in the 2024 code list" in q for q in doc.quirks)
