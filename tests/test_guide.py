"""The per-table guide's example queries (queries/guide/) return each table as the document prints it.

The expected rows are read here from the bundled text document, with plain string handling of its
tab-separated rows: what each table prints, in the order printed. Nothing is taken from the reader,
the template or any other part of budgetkg; the queries run on the store built from the document.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from budgetkg.query.library import run_select
from pyoxigraph import Literal

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "queries" / "guide"
TEXT = ROOT / "loader" / "budgetkg" / "data" / "documents" / "guangzhou-hrss-2024-budget.txt"

# The headings under which the document prints its twelve tables, in order.
TITLES = {
    1: "收支总体情况表",
    2: "收入总体情况表",
    3: "支出总体情况表",
    4: "财政拨款收支总体情况表",
    5: "一般公共预算支出情况表（按功能分类科目）",
    6: "一般公共预算基本支出情况表（按经济分类科目）",
    7: "一般公共预算项目支出情况表（按经济分类科目）",
    8: "财政拨款安排的行政经费及“三公”经费预算表",
    9: "政府性基金预算支出情况表",
    10: "国有资本经营预算支出情况表",
    11: "部门预算基本支出预算表",
    12: "部门预算项目支出及其他支出预算表",
}
# Where the document's wording of a row differs from the name of the code the row stands for:
# 表1 prints 预算拨款 for 财政拨款, 表4 结转下年支出 for 结转下年.
WORDING = {"预算拨款": "财政拨款", "结转下年支出": "结转下年"}
NUMERALS = set("一二三四五六七八九十")


def amount(cell: str) -> Decimal | None:
    try:
        return Decimal(cell.replace(",", ""))
    except InvalidOperation:
        return None


def printed_rows(number: int) -> list[list[str]]:
    """The data rows of table ``number``: its tab-separated lines holding an amount, from its heading
    to its note (注：…), header rows (repeated at page breaks) left out."""
    lines = TEXT.read_text("utf-8").split("\n")
    start = next(
        i for i, line in enumerate(lines) if line.startswith("#") and line.lstrip("#").strip() == TITLES[number]
    )
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("#") or line.startswith("注："):
            break
        cells = line.split("\t")
        if len(cells) > 1 and any(amount(c) is not None for c in cells):
            rows.append(cells)
    return rows


def without_ordinal(label: str) -> str:
    """二十五、转移性支出 → 转移性支出."""
    head, sep, rest = label.partition("、")
    return rest if sep and set(head) <= NUMERALS else label


def code_and_name(cell: str) -> tuple[str, str]:
    """[201]一般公共服务支出 → (201, 一般公共服务支出); 合计 → (_T, 合计)."""
    if not cell.startswith("["):
        return "_T", cell
    code, _, name = cell[1:].partition("]")
    return code, name.strip()


@pytest.fixture(scope="module")
def answer(store):
    """The rows of a guide query: amounts as exact decimals, other terms as text, None where unbound."""

    def run(name: str) -> list[list[object]]:
        result = run_select(store, str(GUIDE / name))
        out = []
        for row in result.rows:
            values: list[object] = []
            for term in row:
                if term is None:
                    values.append(None)
                elif isinstance(term, Literal) and term.datatype.value.endswith(("#decimal", "#integer")):
                    values.append(Decimal(term.value))
                else:
                    values.append(term.value)  # type: ignore[attr-defined]
            out.append(values)
        return out

    return run


def test_every_table_has_an_example():
    assert sorted(p.name for p in GUIDE.glob("table-*.rq")) == [f"table-{n:02}.rq" for n in range(1, 13)]


@pytest.mark.parametrize("number", [1, 4])
def test_balance_tables(answer, number):
    expected = []
    for cells in printed_rows(number):
        cells += [""] * (4 - len(cells))
        for side, label, value in (("income", cells[0], cells[1]), ("expenditure", cells[2], cells[3])):
            if value:
                name = without_ordinal(label)
                expected.append((side, WORDING.get(name, name), amount(value)))
    got = [(side, item, value) for _, side, item, value in answer(f"table-{number:02}.rq")]
    assert got == expected


@pytest.mark.parametrize("number", [2, 3, 9, 10])
def test_code_matrix_tables(answer, number):
    # 表3 prints one name with a space inside (其他人力资源和社会保障 管理事务支出, wrapped in its cell)
    expected = [[c[0] or "_T", c[1].replace(" ", "")] + [amount(v) for v in c[2:]] for c in printed_rows(number)]
    assert answer(f"table-{number:02}.rq") == expected


def test_table_5(answer):
    expected = [[*code_and_name(c[0]), *(amount(v) for v in c[1:])] for c in printed_rows(5)]
    assert answer("table-05.rq") == expected


@pytest.mark.parametrize("number", [6, 7])
def test_economic_tables(answer, number):
    expected = [[*code_and_name(c[0]), amount(c[1])] for c in printed_rows(number)]
    assert answer(f"table-{number:02}.rq") == expected


def test_table_8(answer):
    # The items are printed with their place in the tree (其中：（一）, 1.): the amounts are compared.
    expected = [[amount(v) for v in c[1:]] for c in printed_rows(8)]
    assert [row[2:] for row in answer("table-08.rq")] == expected
    assert len(expected) == 7


def test_table_11(answer):
    expected = [[c[0], *(amount(v) for v in c[1:8])] for c in printed_rows(11)]
    assert [[row[0], *row[2:]] for row in answer("table-11.rq")] == expected


def test_table_12(answer):
    rows = printed_rows(12)
    expected = [[c[0], *(amount(v) for v in c[1:8]), c[8] if len(c) > 8 and c[8] else None] for c in rows]
    assert [[row[0], *row[2:]] for row in answer("table-12.rq")] == expected
    # 214 projects: the rows that are neither the 合计 row nor a unit's
    assert sum(1 for c in rows if len(c) > 8 and c[8]) == 214


def test_narrative(answer):
    """Each narrative figure is printed, as the query says, on the line it names, with its unit."""
    lines = TEXT.read_text("utf-8").split("\n")
    figures = answer("narrative.rq")
    assert len(figures) >= 30
    dated = set()
    for key, _label, value, unit, printed, date, line in figures:
        text = lines[int(line) - 1]  # type: ignore[call-overload]
        assert f"{printed}{unit}" in text, key
        assert amount(str(printed)) == abs(value)  # type: ignore[arg-type]  # a decrease is negative
        if date:
            year, month, day = str(date).split("-")
            assert f"截至{year}年{int(month)}月{int(day)}日" in text, key
            dated.add(key)
    # the assets paragraph counts its stocks on a day (截至2023年12月24日): they carry it
    assert {"fixed-assets", "floor-area", "vehicle-count", "large-equipment"} <= dated
