"""The accounting identities (勾稽关系) a disclosure implies, each classified.

An identity says that one printed figure (``total``) equals the sum of others
(``parts``).  It is **exact** when the difference is zero, **rounding** when the
difference is within what rounding each of the n summed figures to 0.01 can
produce, ``|diff| ≤ 0.005·(n+1)`` (the document warns of 尾差), and **broken**
otherwise.  Growth rates are checked against the change and the figure they are
printed with: the expected value is the computed rate rounded to the printed rate's
decimals; exact when the two are equal, rounding when they differ by at most one unit
of the last printed digit (the inputs are themselves rounded), broken otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from ..read.narrative import growth_rate, narrative_sums
from ..records import Document, NarrativeFigure, Row, Source, Table
from ..template.codes import parent_code
from ..template.spec import template

__all__ = ["Term", "Identity", "check_identities", "STATUSES"]

# Exact to the cent; within the rounding of its figures (half a cent each); or not.
Status = Literal["exact", "rounding", "broken"]
STATUSES: tuple[Status, ...] = ("exact", "rounding", "broken")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Term:
    """One figure of an identity.  ``source`` is None for a row the table does not print (taken as 0)."""

    label: str
    value: Decimal
    source: Source | None
    ref: tuple[
        Any, ...
    ] = ()  # what the figure is, for the mapping: ("cell", table, row, column), ("narrative", key), …


@dataclass(frozen=True)
class Identity:
    id: str
    kind: str
    description: str
    total: Term
    parts: tuple[Term, ...]
    expected: Decimal
    difference: Decimal
    tolerance: Decimal
    status: Status

    def involves(self, line: int, column: tuple[str, ...] | None = None) -> bool:
        """True when a figure printed on ``line`` (in ``column``, if given) is part of this identity."""
        return any(
            t.source is not None and t.source.line == line and (column is None or t.source.column == column)
            for t in (self.total, *self.parts)
        )


def _classify(difference: Decimal, tolerance: Decimal) -> Status:
    if difference == 0:
        return "exact"
    return "rounding" if abs(difference) <= tolerance else "broken"


def _identity(ident: str, kind: str, description: str, total: Term, parts: Iterable[Term]) -> Identity:
    parts = tuple(parts)
    expected = sum((p.value for p in parts), ZERO)
    difference = total.value - expected
    tolerance = Decimal("0.005") * (len(parts) + 1)
    return Identity(
        ident, kind, description, total, parts, expected, difference, tolerance, _classify(difference, tolerance)
    )


class _Figures:
    """Looks up figures of a document as identity terms."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc

    def term(self, table: Table, row: Row, column: str) -> Term | None:
        cell = row.cells.get(column)
        if cell is None or cell.amount is None:
            return None
        path = "/".join(cell.source.column)
        label = f"表{table.number} {row.label}" + (f" [{row.code}]" if row.code and row.code not in row.label else "")
        return Term(
            f"{label} · {path}" if path else label,
            cell.amount.value,
            cell.source,
            ("cell", table.number, row.key, column),
        )

    def get(self, number: int, row_key: str, column: str) -> Term | None:
        table = self.doc.tables[number]
        row = table.row(row_key)
        return self.term(table, row, column) if row else None

    def get_or_zero(self, number: int, row_key: str, column: str, label: str) -> Term:
        """A figure, or 0 when the table does not print the row (a code with no spending)."""
        found = self.get(number, row_key, column)
        return found or Term(f"表{number} {label} (not printed: 0)", ZERO, None)


def _row_sums(doc: Document, f: _Figures) -> Iterator[Identity]:
    for spec in template().tables:
        table = doc.tables[spec.number]
        for row in table.rows:
            for total_col, part_cols in spec.sums:
                total = f.term(table, row, total_col)
                parts = [t for c in part_cols if (t := f.term(table, row, c)) is not None]
                if total is None or not parts:
                    continue
                yield _identity(
                    f"row-sum/{spec.number}/{row.key}/{total_col}",
                    "row-sum",
                    f"表{spec.number} {row.label}: {total_col} = sum of its parts",
                    total,
                    parts,
                )


def _children(table: Table) -> dict[str, list[Row]]:
    children: dict[str, list[Row]] = {}
    for row in table.rows:
        if row.kind == "code" and row.code and (parent := parent_code(row.code)):
            children.setdefault(parent, []).append(row)
    return children


def _column_rollups(doc: Document, f: _Figures) -> Iterator[Identity]:
    """Within a table: parent code = Σ child codes, 合计 = Σ classes, unit = Σ its rows, 合计 = Σ units."""
    for spec in template().tables:
        table = doc.tables[spec.number]
        columns = [c.key for c in spec.columns]
        groups: list[tuple[str, str, Row, list[Row]]] = []
        if spec.layout in ("code-matrix", "code-list"):
            children = _children(table)
            for row in table.rows:
                if row.kind == "code" and row.code in children:
                    groups.append(("code-rollup", f"[{row.code}] = Σ child codes", row, children[row.code]))
            total = table.row("total")
            classes = [r for r in table.rows if r.kind == "code" and r.code and len(r.code) == 3]
            if total and classes:
                groups.append(("table-total", "合计 = Σ classes (类)", total, classes))
        elif spec.layout in ("unit-matrix", "project-matrix"):
            member = "category" if spec.layout == "unit-matrix" else "project"
            units = [r for r in table.rows if r.kind == "unit"]
            for unit in units:
                rows = [r for r in table.rows if r.kind == member and r.unit == unit.unit]
                groups.append(("unit-subtotal", f"{unit.label} = Σ its rows", unit, rows))
            total = table.row("total")
            if total and units:
                groups.append(("table-total", "合计 = Σ units", total, units))
        elif spec.layout == "labelled":
            for row in table.rows:
                kids = [r for r in table.rows if r.attrs.get("parent") == row.key]
                if kids:
                    groups.append(("item-rollup", f"{row.label} = Σ its items", row, kids))
        elif spec.layout == "balance":
            yield from _balance(table, f)
        for kind, text, parent, kids in groups:
            for col in columns:
                total_term = f.term(table, parent, col)
                parts = [t for k in kids if (t := f.term(table, k, col)) is not None]
                if total_term is None:
                    continue
                yield _identity(
                    f"{kind}/{spec.number}/{parent.key}/{col}",
                    kind,
                    f"表{spec.number} {text} · {'/'.join(spec.column(col).path)}",
                    total_term,
                    parts,
                )


def _balance(table: Table, f: _Figures) -> Iterator[Identity]:
    """表1/表4: 本年合计 = Σ the items above it; 总计 = 本年合计 + the items between; income 总计 = expenditure 总计."""
    for side in ("income", "expenditure"):
        rows = [r for r in table.rows if r.attrs.get("side") == side]
        roles = [r.attrs.get("role") for r in rows]
        if "year-total" not in roles or "grand-total" not in roles:
            continue
        y, g = roles.index("year-total"), roles.index("grand-total")
        for ident, total, parts in (("year-total", rows[y], rows[:y]), ("grand-total", rows[g], rows[y:g])):
            total_term = f.term(table, total, side)
            if total_term is None:  # printed as a dash or left empty: 0, so that the loss shows
                cell = total.cells.get(side)
                source = cell.source if cell else None
                total_term = Term(f"表{table.number} {total.label} (not printed: 0)", ZERO, source)
            yield _identity(
                f"balance/{table.number}/{side}/{ident}",
                "table-total",
                f"表{table.number} {total.label} = Σ the {side} items above it",
                total_term,
                [t for r in parts if (t := f.term(table, r, side))],
            )
    income, spending = (
        f.get(table.number, "income:grand-total", "income"),
        f.get(table.number, "expenditure:grand-total", "expenditure"),
    )
    if income and spending:
        yield _identity(
            f"balance/{table.number}/grand-totals",
            "table-total",
            f"表{table.number} 收入总计 = 支出总计",
            income,
            [spending],
        )


def _equal(ident: str, description: str, total: Term | None, parts: Sequence[Term | None]) -> Iterator[Identity]:
    present = [p for p in parts if p is not None]
    if total is not None and present:
        yield _identity(ident, "cross-table", description, total, present)


def _cross_tables(doc: Document, f: _Figures) -> Iterator[Identity]:
    g = f.get
    t1, t4 = doc.tables[1], doc.tables[4]
    # 表1 income against 表2's 合计 row.
    t2_total = {
        "appropriation": ["gpb", "gfb", "soe"],
        "special-account": ["edu-fees", "other-special"],
        "other-funds": ["service", "operating", "other-income"],
        "superior-subsidy": ["superior"],
        "affiliated-remittance": ["affiliated"],
        "reserve-fund": ["reserve"],
    }
    for fund, cols in t2_total.items():
        yield from _equal(
            f"cross/1-2/income/{fund}",
            f"表1 {fund} income = 表2 合计 row",
            g(1, f"income:{fund}", "income"),
            [g(2, "total", c) for c in cols],
        )
    yield from _equal(
        "cross/1-2/income/year-total",
        "表1 本年收入合计 = 表2 合计",
        g(1, "income:year-total", "income"),
        [g(2, "total", "total")],
    )
    yield from _equal(
        "cross/1-3/expenditure/year-total",
        "表1 本年支出合计 = 表3 合计",
        g(1, "expenditure:year-total", "expenditure"),
        [g(3, "total", "total")],
    )
    for key, col in (("subsidy-affiliated", "subsidy"), ("remit-superior", "remit"), ("carry-forward", "carry")):
        yield from _equal(
            f"cross/1-3/expenditure/{key}",
            f"表1 {key} = 表3 合计 row",
            g(1, f"expenditure:{key}", "expenditure"),
            [g(3, "total", col)],
        )
    for row in t1.rows:
        if row.kind == "code" and row.code:
            term = f.term(t1, row, "expenditure")
            for other in (2, 3):
                part = f.get_or_zero(other, row.code, "total", f"[{row.code}] {row.label}")
                if term and (term.value != 0 or part.source is not None):
                    yield from _equal(
                        f"cross/1-{other}/class/{row.code}",
                        f"表1 [{row.code}] = 表{other} [{row.code}] 合计",
                        term,
                        [part],
                    )
    # 表4 against 表2, 表5, 表9, 表10.
    for fund, col, table in (
        ("general-public-budget", "gpb", 5),
        ("government-fund-budget", "gfb", 9),
        ("state-capital-budget", "soe", 10),
    ):
        income = g(4, f"income:{fund}", "income")
        yield from _equal(f"cross/4-2/income/{fund}", f"表4 {fund} = 表2 合计 row", income, [g(2, "total", col)])
        yield from _equal(
            f"cross/4-{table}/income/{fund}", f"表4 {fund} = 表{table} 合计", income, [g(table, "total", "total")]
        )
    yield from _equal(
        "cross/4-5-9-10/expenditure/year-total",
        "表4 本年支出合计 = 表5 + 表9 + 表10 合计",
        g(4, "expenditure:year-total", "expenditure"),
        [g(n, "total", "total") for n in (5, 9, 10)],
    )
    for row in t4.rows:
        if row.kind == "code" and row.code:
            term = f.term(t4, row, "expenditure")
            parts = [f.get_or_zero(n, row.code, "total", f"[{row.code}]") for n in (5, 9, 10)]
            if term and (term.value != 0 or any(p.source for p in parts)):
                yield from _equal(
                    f"cross/4-5-9-10/class/{row.code}", f"表4 [{row.code}] = 表5 + 表9 + 表10 [{row.code}]", term, parts
                )
    # 表2 fund columns against the fund tables, per code.
    for col, table in (("gpb", 5), ("gfb", 9), ("soe", 10)):
        for row in doc.tables[2].rows:
            if row.kind == "code" and row.code and (term := f.term(doc.tables[2], row, col)):
                part = f.get_or_zero(table, row.code, "total", f"[{row.code}]")
                if term.value != 0 or part.source is not None:
                    yield from _equal(
                        f"cross/2-{table}/code/{row.code}",
                        f"表2 [{row.code}] {col} = 表{table} [{row.code}] 小计",
                        term,
                        [part],
                    )
    # 表5 = 表6 + 表7.
    yield from _equal(
        "cross/5-6/basic", "表5 合计 基本支出 = 表6 合计", g(5, "total", "basic"), [g(6, "total", "amount")]
    )
    yield from _equal(
        "cross/5-7/project", "表5 合计 项目支出 = 表7 合计", g(5, "total", "project"), [g(7, "total", "amount")]
    )
    yield from _equal(
        "cross/5-6-7/total",
        "表5 合计 = 表6 合计 + 表7 合计",
        g(5, "total", "total"),
        [g(6, "total", "amount"), g(7, "total", "amount")],
    )
    # 表11/表12 against 表3, 表6, 表7, 表9, 表10.
    yield from _equal(
        "cross/11-3/basic", "表11 合计 = 表3 合计 基本支出", g(11, "total", "total"), [g(3, "total", "basic")]
    )
    yield from _equal(
        "cross/12-3/project", "表12 合计 = 表3 合计 项目支出", g(12, "total", "total"), [g(3, "total", "project")]
    )
    for table, kind, economic in ((11, "basic", 6), (12, "project", 7)):
        yield from _equal(
            f"cross/{table}-{economic}/gpb",
            f"表{table} 合计 一般公共预算 = 表{economic} 合计",
            g(table, "total", "gpb"),
            [g(economic, "total", "amount")],
        )
        yield from _equal(
            f"cross/{table}-9/gfb",
            f"表{table} 合计 政府性基金预算 = 表9 合计 {kind}",
            g(table, "total", "gfb"),
            [g(9, "total", kind)],
        )
        yield from _equal(
            f"cross/{table}-10/soe",
            f"表{table} 合计 国有资本经营预算 = 表10 合计 {kind}",
            g(table, "total", "soe"),
            [g(10, "total", kind)],
        )
    t11 = doc.tables[11]
    for code in sorted({r.code for r in t11.rows if r.kind == "category" and r.code}):
        parts = [t for r in t11.rows if r.kind == "category" and r.code == code and (t := f.term(t11, r, "gpb"))]
        total = f.get_or_zero(6, code, "amount", f"[{code}]")
        if sum(p.value for p in parts) != 0 or total.source is not None:
            yield _identity(
                f"cross/6-11/class/{code}",
                "cross-table",
                f"表6 [{code}] = Σ units' [{code}] 一般公共预算 in 表11",
                total,
                parts,
            )
    # 三公 (表8) against the economic lines of 表6 and 表7.
    for item, code in template().three_public_codes.items():
        term = g(8, item, "gpb")
        parts = [f.get_or_zero(6, code, "amount", f"[{code}]"), f.get_or_zero(7, code, "amount", f"[{code}]")]
        yield from _equal(f"cross/8-6-7/{item}", f"表8 {item} 一般公共预算 = 表6 [{code}] + 表7 [{code}]", term, parts)


def _narrative(doc: Document, f: _Figures) -> Iterator[Identity]:
    figures: dict[str, NarrativeFigure] = {n.key: n for n in doc.narrative}

    def term(n: NarrativeFigure) -> Term:
        return Term(f"第三部分 {n.label}", n.amount.value, n.source, ("narrative", n.key))

    for n in doc.narrative:
        if n.compare_to:
            table, row, col = n.compare_to
            yield from _equal(
                f"narrative/{n.key}", f"第三部分 {n.label} = 表{table}", term(n), [f.get(table, row, col)]
            )
    for total, parts in narrative_sums():
        if total in figures and all(p in figures for p in parts):
            yield _identity(
                f"narrative-sum/{total}",
                "narrative",
                f"第三部分 {figures[total].label} = Σ its parts",
                term(figures[total]),
                [term(figures[p]) for p in parts],
            )
    for n in doc.narrative:
        if not n.key.endswith("-growth-rate"):
            continue
        base = n.key.removesuffix("-growth-rate")
        value, change = figures.get(base), figures.get(base + "-change")
        if value is None or change is None:
            continue
        rate = growth_rate(value.amount.value, change.amount.value)
        if rate is None:
            continue
        exponent = n.amount.value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        step = Decimal(1).scaleb(-places)
        expected = rate.quantize(step)
        difference = n.amount.value - expected
        status = _classify(difference, step)
        yield Identity(
            f"growth-rate/{base}",
            "growth-rate",
            f"第三部分 {value.label} growth rate = change / (figure − change) × 100",
            term(n),
            (term(change), term(value)),
            expected,
            difference,
            step,
            status,
        )


def _key_projects(doc: Document) -> Iterator[Identity]:
    for number, k in enumerate(doc.key_projects, 1):
        if k.project is None:
            continue
        cell = k.project.row.cells["total"]
        if cell.amount is None:
            continue
        yield _identity(
            f"key-project/{number}",
            "key-project",
            f"第三部分 重点项目 {k.name} = 表12 {k.project.unit} / {k.project.name}",
            Term(f"第三部分 重点项目 {k.name}", k.amount.value, k.source, ("key-project", number)),
            [
                Term(
                    f"表12 {k.project.name} · 总计",
                    cell.amount.value,
                    cell.source,
                    ("cell", 12, k.project.row.key, "total"),
                )
            ],
        )


def _counts(doc: Document) -> Iterator[Identity]:
    if doc.divisions_declared is not None and doc.divisions:
        line = doc.divisions[0].line
        yield _identity(
            "count/divisions",
            "count",
            "第一部分 共设N个职能处（室） = the divisions listed",
            Term(
                "第一部分 declared number of divisions",
                Decimal(doc.divisions_declared),
                Source(doc.file, line),
                ("department",),
            ),
            [
                Term(f"第一部分 {d.name}", Decimal(1), Source(doc.file, d.line), ("division", d.name))
                for d in doc.divisions
            ],
        )


def check_identities(doc: Document) -> list[Identity]:
    """Evaluate every identity the template implies over the whole document.

    >>> from budgetkg import read_document
    >>> ids = check_identities(read_document())
    >>> next(i.status for i in ids if i.id == "cross/5-6/basic")
    'exact'
    """
    f = _Figures(doc)
    found = [
        *_row_sums(doc, f),
        *_column_rollups(doc, f),
        *_cross_tables(doc, f),
        *_narrative(doc, f),
        *_key_projects(doc),
        *_counts(doc),
    ]
    ids = [i.id for i in found]
    assert len(ids) == len(set(ids)), "identity ids must be unique"
    return found
