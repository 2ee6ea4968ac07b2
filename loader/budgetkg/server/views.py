"""What a table page shows of a :class:`~.tables.PrintedTable`: the request's view (sort, filters,
search, page), the printed header, and the rows as CSV and JSON.

Every parameter is bounded and checked against the table's own values (its columns, units,
funding sources); a value that names nothing there is refused with :class:`BadView`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ..template.spec import TableSpec
from .tables import PrintedTable, Row

__all__ = ["View", "BadView", "parse_view", "choose", "header_rows", "HeaderCell", "as_csv", "as_json", "PAGE_ROWS"]

PAGE_ROWS = 50  # rows a page shows
MAX_TEXT = 100  # characters of a search or a unit's name a request may give
MAX_CODE = 20  # characters of a code


class BadView(ValueError):
    """A parameter of the request that the table cannot answer; the message says which and why."""


@dataclass(frozen=True)
class View:
    """How a request asks to see a table."""

    sort: str = ""  # "", "label", "code", "line" or a column's key
    desc: bool = False
    unit: str = ""  # a unit's name (its label)
    code: str = ""  # a code: the rows with it or under it
    source: str = ""  # a funding source's notation: the rows with a figure other than 0 from it
    q: str = ""  # words the row's label, code or unit contains
    page: int = 1

    def params(self, **change: object) -> dict[str, str]:
        """The query parameters of this view (with ``change``), leaving out the defaults."""
        values = {
            "sort": self.sort,
            "desc": "1" if self.desc else "",
            "unit": self.unit,
            "code": self.code,
            "source": self.source,
            "q": self.q,
            "page": str(self.page) if self.page != 1 else "",
        }
        values.update({k: ("1" if v is True else "" if v is False else str(v)) for k, v in change.items()})
        if values.get("page") == "1":
            values["page"] = ""
        return {k: v for k, v in values.items() if v}


def _text(params: Mapping[str, str], name: str, limit: int) -> str:
    value = params.get(name, "").strip()
    if len(value) > limit:
        raise BadView(f"{name} is longer than {limit} characters")
    if any(ord(c) < 32 for c in value):
        raise BadView(f"{name} holds a control character")
    return value


def parse_view(params: Mapping[str, str], table: PrintedTable) -> View:
    """The view ``params`` (a request's query parameters) ask for.

    :raises BadView: for a parameter the table cannot answer.
    """
    sort = _text(params, "sort", MAX_CODE)
    if sort and sort not in ("label", "code", "line") and sort not in {c.key for c in table.spec.columns}:
        raise BadView(f"sort: the table has no column {sort!r}")
    desc = _text(params, "desc", 1)
    if desc not in ("", "0", "1"):
        raise BadView("desc is 1 or 0")
    unit = _text(params, "unit", MAX_TEXT)
    if unit and unit not in dict(table.units()):
        raise BadView(f"unit: no unit named {unit!r} in 表{table.spec.number}")
    code = _text(params, "code", MAX_CODE)
    if code and not (code.isascii() and code.isalnum()):
        raise BadView("code is a classification code: letters and digits")
    source = _text(params, "source", MAX_CODE * 2)
    if source and source not in dict(table.funds()):
        raise BadView(f"source: 表{table.spec.number} has no funding source {source!r}")
    page = _text(params, "page", 6) or "1"
    if not (page.isascii() and page.isdecimal()) or int(page) < 1:
        raise BadView("page is a number from 1")
    return View(sort, desc == "1", unit, code, source, _text(params, "q", MAX_TEXT), int(page))


def _matches(table: PrintedTable, row: Row, view: View) -> bool:
    if view.unit and table.labels.get(table.unit(row), "") != view.unit:
        return False
    if view.code and not table.code(row).startswith(view.code):
        return False
    if view.source and not any(f.fund == view.source and f.amount for f in row.cells.values()):
        return False
    if view.q:
        words = view.q.casefold().split()
        text = " ".join((row.label, table.code(row), table.labels.get(table.unit(row), ""))).casefold()
        if not all(w in text for w in words):
            return False
    return True


def choose(table: PrintedTable, view: View) -> list[Row]:
    """The rows of ``table`` the view keeps, in its order (printed order unless sorted)."""
    rows = [r for r in table.rows if _matches(table, r, view)]
    if view.sort in ("", "line"):
        return rows[::-1] if view.desc else rows
    if view.sort == "label":
        return sorted(rows, key=lambda r: r.label, reverse=view.desc)
    if view.sort == "code":
        return sorted(rows, key=lambda r: table.code(r), reverse=view.desc)
    present = [r for r in rows if r.cells.get(view.sort) and r.cells[view.sort].amount is not None]
    absent = [r for r in rows if r not in present]

    def value(r: Row) -> Decimal:
        amount = r.cells[view.sort].amount
        assert amount is not None
        return amount

    return sorted(present, key=value, reverse=view.desc) + absent  # rows without the figure last


@dataclass(frozen=True)
class HeaderCell:
    text: str
    colspan: int = 1
    rowspan: int = 1
    sort: str = ""  # the key to sort by, for a column that has one


def label_columns(spec: TableSpec) -> list[tuple[str, str]]:
    """The columns that print a row's name (and code), as (header, sort key), left of the amounts."""
    if spec.layout == "code-matrix":
        return [(spec.header[1][0], "code"), (spec.header[1][1], "label")]
    return [(spec.header[0][0], "label")]


def header_rows(spec: TableSpec, goals: bool) -> list[list[HeaderCell]]:
    """The table's header as printed, two or three levels: each cell with its span."""
    depth = max(len(spec.header), *(len(c.path) for c in spec.columns))
    rows: list[list[HeaderCell]] = [[] for _ in range(depth)]
    if spec.layout == "balance":  # 收入 | 支出 over 项目 预算 | 项目 预算
        for column in spec.columns:
            rows[0].append(HeaderCell(column.path[0], colspan=2))
            rows[1] += [HeaderCell(spec.header[1][0], sort="label"), HeaderCell(column.path[-1], sort=column.key)]
        return rows
    labels = label_columns(spec)
    if len(labels) == 2:
        rows[0].append(HeaderCell(spec.header[0][0], colspan=2))
        rows[1] += [HeaderCell(text, rowspan=depth - 1, sort=key) for text, key in labels]
    else:
        rows[0].append(HeaderCell(labels[0][0], rowspan=depth, sort="label"))
    columns = list(spec.columns)
    i = 0
    while i < len(columns):
        column = columns[i]
        if len(column.path) == 1:
            rows[0].append(HeaderCell(column.path[0], rowspan=depth, sort=column.key))
            i += 1
            continue
        group = []  # the columns under this one's first level, side by side
        for c in columns[i:]:
            if len(c.path) < 2 or c.path[0] != column.path[0]:
                break
            group.append(c)
        rows[0].append(HeaderCell(column.path[0], colspan=len(group)))
        rows[1] += [HeaderCell(c.path[1], rowspan=depth - 1, sort=c.key) for c in group]
        span = len(group)
        i += span
    if goals:
        rows[0].append(HeaderCell("绩效目标", rowspan=depth))
    return rows


def _record(table: PrintedTable, row: Row) -> dict[str, object]:
    return {
        "line": row.line,
        "side": row.side,
        "label": row.label,
        "code": table.code(row),
        "unit": table.labels.get(table.unit(row), ""),
        "unit_iri": table.unit(row),
        "row_iri": table.link(row),
    }


def as_json(table: PrintedTable, rows: list[Row], document: str) -> bytes:
    """The rows as JSON: each row's label, code, unit and its figures, with their IRIs; amounts exact,
    as strings."""
    data = {
        "document": document,
        "table": table.iri,
        "number": table.spec.number,
        "title": table.spec.title,
        "unit_of_measure": "万元",
        "columns": [{"key": c.key, "path": list(c.path)} for c in table.spec.columns],
        "rows": [
            {
                **_record(table, r),
                "cells": {
                    k: {
                        "amount": str(f.amount) if f.amount is not None else None,
                        "printed": f.printed,
                        "iri": f.iri,
                    }
                    for k, f in sorted(r.cells.items(), key=lambda kv: _order(table.spec, kv[0]))
                },
                **({"goal": table.goals[r.dims["project"]]} if r.dims.get("project") in table.goals else {}),
            }
            for r in rows
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def _order(spec: TableSpec, key: str) -> int:
    return next((i for i, c in enumerate(spec.columns) if c.key == key), len(spec.columns))


# What a spreadsheet program takes a cell starting with for a formula (OWASP, CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell_text(text: str) -> str:
    """A text cell of the CSV, never read as a formula: names come from documents nobody vetted.

    >>> print(_cell_text("=HYPERLINK(1)"), _cell_text("广州市技师学院"))
    '=HYPERLINK(1) 广州市技师学院
    """
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def as_csv(table: PrintedTable, rows: list[Row]) -> bytes:
    """The rows as CSV (UTF-8 with a byte order mark, which spreadsheet programs need to read
    Chinese): a column of each figure's exact amount (no thousands separators) and one of its IRI.
    A text that a spreadsheet would take for a formula is written after a ``'``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = table.spec.columns
    writer.writerow(
        ["line", "side", "label", "code", "unit", "unit_iri", "row_iri"]
        + [name for c in columns for name in ("/".join(c.path), "/".join(c.path) + "_iri")]
    )
    for r in rows:
        record = _record(table, r)
        figures: list[str] = []
        for c in columns:
            f = r.cells.get(c.key)
            figures += [str(f.amount) if f and f.amount is not None else "", f.iri if f else ""]
        writer.writerow([_cell_text(str(v)) for v in record.values()] + figures)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
