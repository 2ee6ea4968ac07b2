"""Reading the twelve tables of 第二部分 into rows and cells.

Tables are found by their titles and checked against the header shapes of the
template; a table split across pages repeats its header, which is recognised and
skipped wherever it appears.  Every line is accounted for: title, meta line
(单位名称, 单位), header, data row or note, or the reading stops with an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import DocumentError
from ..records import Amount, Cell, LineKind, Row, RowKind, Source, Table
from ..template.codes import CodeList, code_level
from ..template.labels import checked_amount, clean_label, is_no_amount, match_key, strip_html
from ..template.spec import TABLE_NUMBER, TableSpec, strip_ordinal, template
from .sections import Line, heading_text, is_heading

__all__ = ["TableReader"]

_TABLE_LABEL = re.compile(rf"^{TABLE_NUMBER}$")
_OPEN_BRACKETS, _CLOSE_BRACKETS = "[［【", "]］】"
# The lines above a table's header: who made it, and the unit of its amounts.
_META = re.compile(r"^(单位名称|编制单位|编制部门|部门名称|金额单位|计量单位|单位)\s*[:：]\s*(.*)$")
_AMOUNT_UNIT = ("单位", "金额单位", "计量单位")


def _split_code(label: str) -> tuple[str, str] | None:
    """The code and the name of a 表5–7 row label, ``[2080101]行政运行`` or ``2080101 行政运行``.

    >>> _split_code("［ 20801 ］ 人力资源和社会保障管理事务"), _split_code("301 工资福利支出"), _split_code("[ 301")
    (('20801', '人力资源和社会保障管理事务'), ('301', '工资福利支出'), None)
    """
    if label[:1] and label[0] in _OPEN_BRACKETS:
        close = min((i for i in (label.find(b, 1) for b in _CLOSE_BRACKETS) if i >= 0), default=-1)
        return (label[1:close].strip(), label[close + 1 :].lstrip()) if close >= 0 else None
    words = label.split(maxsplit=1)
    if len(words) == 2 and 3 <= len(words[0]) <= 7 and words[0].isdecimal():
        return words[0], words[1]
    return None


@dataclass
class _Open:
    spec: TableSpec
    table: Table
    header_row: int = 0
    seen_header: bool = False
    closed: bool = False
    current_unit: str | None = None
    keys: set[str] = field(default_factory=set)


class TableReader:
    """Reads the lines of 第二部分.

    :param filename: the document's name, for sources and errors.
    :param codes: the functional and economic code lists of the document's year.
    :param resolve_unit: maps a unit name printed in a table to the unit it names,
        or returns None when the name is not a unit's.
    """

    def __init__(
        self,
        filename: str,
        codes: dict[str, CodeList],
        resolve_unit: Callable[[str, Source], str | None],
    ) -> None:
        self.filename = filename
        self.codes = codes
        self.resolve_unit = resolve_unit
        self.tables: dict[int, Table] = {}
        self.kinds: dict[int, LineKind] = {}
        self.quirks: list[str] = []
        self._open: _Open | None = None

    # -- errors --------------------------------------------------------------
    def _error(self, code: str, line: Line, expected: str, found: str, offset: int = 1) -> DocumentError:
        context = ""
        if self._open:
            context = f"表{self._open.spec.number} {self._open.spec.title}"
        return DocumentError(
            code, self.filename, line.no, expected=expected, found=found, offset=offset, context=context
        )

    # -- driver --------------------------------------------------------------
    def read(self, lines: list[Line], end: Line) -> dict[int, Table]:
        """Read all tables; ``end`` is the line that follows the part (for errors)."""
        for line in lines:
            if line.blank:
                continue
            self._line(line)
        self._close(end)
        missing = [s for s in template().tables if s.number not in self.tables]
        if missing:
            s = missing[0]
            raise DocumentError(
                "missing-table",
                self.filename,
                end.no,
                expected=f"表{s.number} {s.title}",
                found=f"the end of 第二部分 with {len(self.tables)} of 12 tables",
            )
        return self.tables

    def _line(self, line: Line) -> None:
        text = line.text.rstrip("\r")
        plain = clean_label(heading_text(text) if is_heading(text) else text)
        if _TABLE_LABEL.match(plain):
            self.kinds[line.no] = "table-label"
            return
        spec = template().by_title(plain) if "\t" not in text else None
        if spec is not None:
            self._start(spec, line)
            return
        if is_heading(text):
            raise self._error(
                "unknown-table", line, expected="the title of one of the twelve tables of the template", found=plain
            )
        if "\t" in text:
            self._tab_line(line, text)
            return
        meta = _META.match(plain)
        if meta and self._open and not self._open.closed:
            self._meta(line, meta.group(1), meta.group(2))
            return
        if self._open and not self._open.closed and template().is_note(plain):
            self._open.table.notes.append(plain)
            self._open.table.declared_empty = template().declares_empty(plain)
            self._open.closed = True
            self.kinds[line.no] = "note"
            return
        if self._open and self._open.closed:
            self._open.table.notes.append(plain)
            self.kinds[line.no] = "note"
            return
        raise self._error("unplaced-row", line, expected="a table title, header, data row or note", found=plain)

    def _meta(self, line: Line, name: str, value: str) -> None:
        self.kinds[line.no] = "meta"
        if name in _AMOUNT_UNIT and match_key(value) != "万元":
            raise self._error("bad-header", line, expected=f"{name}：万元", found=f"{name}：{value}")

    def _start(self, spec: TableSpec, line: Line) -> None:
        self._close(line)
        if spec.number in self.tables:
            raise self._error(
                "duplicate-table", line, expected="each table once", found=f"表{spec.number} {spec.title} again"
            )
        table = Table(
            number=spec.number,
            key=spec.key,
            title=spec.title,
            title_en=spec.title_en,
            line=line.no,
            columns=tuple((c.key, c.path) for c in spec.columns),
        )
        self.tables[spec.number] = table
        self._open = _Open(spec, table)
        self.kinds[line.no] = "title"

    def _close(self, at: Line) -> None:
        o = self._open
        if o is None or o.closed:
            return
        if not o.closed:
            found = heading_text(at.text).strip()
            raise DocumentError(
                "truncated-table",
                self.filename,
                at.no,
                expected=f"表{o.spec.number} {o.spec.title} to end with its note (注：…)",
                found=f"{found} (the table stops here)" if found else "the end of the document",
            )

    # -- rows ----------------------------------------------------------------
    def _tab_line(self, line: Line, text: str) -> None:
        o = self._open
        if o is None or o.closed:
            raise self._error("unplaced-row", line, expected="a table title before any table row", found=text.strip())
        cells = text.split("\t")
        labels = [clean_label(c) for c in cells]
        metas = [_META.match(label) for label in labels if label]
        if metas and all(metas):  # 编制单位：…<tab>金额单位：万元 on one line
            for meta in filter(None, metas):
                self._meta(line, meta.group(1), meta.group(2))
            return
        tokens = tuple(match_key(c) for c, label in zip(cells, labels, strict=True) if label)
        header = o.spec.header_keys()
        if tokens == header[0]:
            o.header_row, o.seen_header = 1, True
            self.kinds[line.no] = "header"
            return
        if 0 < o.header_row < len(header):
            if tokens != header[o.header_row]:
                raise self._error(
                    "bad-header",
                    line,
                    expected=" | ".join(o.spec.header[o.header_row]),
                    found=" | ".join(clean_label(c) for c in cells if clean_label(c)),
                )
            o.header_row += 1
            self.kinds[line.no] = "header"
            return
        if not o.seen_header:
            raise self._error(
                "bad-header",
                line,
                expected=" | ".join(o.spec.header[0]),
                found=" | ".join(clean_label(c) for c in cells if clean_label(c)),
            )
        o.header_row = len(header)
        self.kinds[line.no] = "row"
        layout = o.spec.layout
        if layout == "balance":
            self._balance_row(o, line, cells)
        else:
            self._matrix_row(o, line, cells)

    def _amounts(self, o: _Open, line: Line, cells: list[str], first: int, columns: list[str]) -> dict[str, Cell]:
        """Parse the amount cells ``cells[first:]`` into the given columns.

        The conversion sometimes drops the last cell of a row; exactly one missing
        trailing cell is accepted and recorded as missing, never as zero.  So is an empty
        cell between amounts, or a dash printed for no amount (see :meth:`_no_amount`).
        """
        values = cells[first : first + len(columns)]
        extra = [c for c in cells[first + len(columns) :] if c.strip()]
        if extra:
            raise self._error(
                "too-many-cells",
                line,
                expected=f"{first + len(columns)} cells",
                found=f'{len(cells)} cells, the extra one "{extra[0].strip()}"',
                offset=first + len(columns) + 1,
            )
        while len(values) < len(columns):
            values.append("")
        missing_tail = 0
        for v in reversed(values):
            if v.strip():
                break
            missing_tail += 1
        if missing_tail > 1:
            raise self._error(
                "too-few-cells",
                line,
                expected=f"{first + len(columns)} cells",
                found=f"{first + len(columns) - missing_tail} cells with a value",
                offset=first + len(columns) - missing_tail + 1,
            )
        out: dict[str, Cell] = {}
        spec = o.spec
        for i, (key, raw) in enumerate(zip(columns, values, strict=False)):
            col = spec.column(key)
            source = Source(self.filename, line.no, spec.number, spec.title, col.path, line.place(first + i))
            raw = raw.strip()
            if not raw and i == len(columns) - 1:
                self.quirks.append(
                    f"{self.filename}:{line.no}: 表{spec.number} the last cell ({'/'.join(col.path)}) "
                    "is missing; recorded as missing"
                )
                out[key] = Cell(key, None, source)
                continue
            if is_no_amount(raw):
                out[key] = self._no_amount(key, raw, source)
                continue
            out[key] = Cell(
                key, self._amount(line, raw, first + i + 1, f"an amount in column {'/'.join(col.path)}"), source
            )
        return out

    def _amount(self, line: Line, raw: str, offset: int, expected: str) -> Amount:
        """The amount ``raw`` printed in cell ``offset``; see :func:`~budgetkg.template.labels.checked_amount`."""
        context = f"表{self._open.spec.number} {self._open.spec.title}" if self._open else ""
        return checked_amount(raw, self.filename, line.no, offset, context, expected)

    def _no_amount(self, key: str, raw: str, source: Source) -> Cell:
        """A cell between amounts that is empty, or a dash: no amount is printed there.  It is
        recorded as missing, never as zero, and noted; an identity it belongs to is checked on
        the amounts that are printed, so a figure lost this way still shows as a difference."""
        what = f'printed as "{raw}"' if raw else "empty"
        self.quirks.append(
            f"{source.file}:{source.line}: 表{source.table} the cell {'/'.join(source.column)} is {what}; "
            "recorded as missing"
        )
        return Cell(key, None, source, raw)

    def _add(self, o: _Open, line: Line, row: Row) -> None:
        if row.key in o.keys:
            raise self._error("duplicate-row", line, expected="each row once per table", found=row.label)
        o.keys.add(row.key)
        o.table.rows.append(row)

    def _is_total(self, label: str) -> bool:
        return match_key(label) in {match_key(t) for t in template().total_labels}

    def _code(self, o: _Open, line: Line, raw: str, offset: int) -> str:
        code = raw.strip()
        if code_level(o.spec.codes, code) is None:
            digits = "3, 5 or 7" if o.spec.codes == "functional" else "3 or 5"
            raise self._error(
                "bad-code", line, expected=f"a {o.spec.codes} code of {digits} digits", found=code, offset=offset
            )
        codes = self.codes[o.spec.codes]
        if code not in codes.labels:
            # Read all the same (the code is printed), but the graph will lack its label and
            # its place in the code list (Data Cube IC-19): add it to ontology/codelists.
            self.quirks.append(
                f"{self.filename}:{line.no}: {o.spec.codes} code {code} is not in the "
                f"{codes.year} code list (ontology/codelists/{o.spec.codes}-{codes.year}.csv)"
            )
        return code

    def _matrix_row(self, o: _Open, line: Line, cells: list[str]) -> None:
        spec = o.spec
        columns = [c.key for c in spec.columns]
        layout = spec.layout
        label_cells = 2 if layout == "code-matrix" else 1
        if len(cells) <= label_cells:
            raise self._error(
                "too-few-cells", line, expected=f"{label_cells + len(columns)} cells", found=f"{len(cells)} cells"
            )
        index = len(o.table.rows)
        goal = None
        if layout == "project-matrix":
            width = label_cells + len(columns)
            goal_cells = cells[width:] or [""]
            if any(c.strip() for c in goal_cells[1:]):
                raise self._error(
                    "too-many-cells",
                    line,
                    expected=f"{width + 1} cells (the last one the goal)",
                    found=f"{len(cells)} cells",
                    offset=width + 2,
                )
            goal = strip_html(goal_cells[0]).strip() or None
            cells = cells[:width]
        amounts = self._amounts(o, line, cells, label_cells, columns)
        if layout == "code-matrix":
            code_raw, label = cells[0].strip(), clean_label(cells[1])
            if not code_raw and self._is_total(label):
                self._add(o, line, Row(spec.number, index, line.no, label, "total", "total", amounts))
                return
            code = self._code(o, line, code_raw, 1)
            self._add(o, line, Row(spec.number, index, line.no, label, "code", code, amounts, code=code))
            return
        label = clean_label(cells[0])
        if self._is_total(label):
            self._add(o, line, Row(spec.number, index, line.no, label, "total", "total", amounts))
            return
        if layout == "code-list":
            split = _split_code(label)
            if not split:
                raise self._error("bad-code", line, expected=f"a {spec.codes} code such as [code]name", found=label)
            code = self._code(o, line, split[0], 1)
            self._add(
                o, line, Row(spec.number, index, line.no, clean_label(split[1]), "code", code, amounts, code=code)
            )
            return
        if layout == "labelled":
            attrs = spec.row_spec(label)
            if attrs is None:
                raise self._error(
                    "unknown-row",
                    line,
                    expected=f"one of the rows of 表{spec.number}: " + "、".join(spec.rows),
                    found=label,
                )
            self._add(
                o, line, Row(spec.number, index, line.no, label, "item", attrs["item"], amounts, attrs=dict(attrs))
            )
            return
        source = Source(self.filename, line.no, spec.number, spec.title, place=line.place(0))
        if layout == "unit-matrix":
            klass = self.codes["economic"].class_by_name(label)
            if klass is None:
                unit = self.resolve_unit(label, source) or label
                o.current_unit = unit
                self._add(o, line, Row(spec.number, index, line.no, label, "unit", f"unit:{unit}", amounts, unit=unit))
                return
            if o.current_unit is None:
                raise self._error("orphan-row", line, expected="a unit row before this economic class", found=label)
            self._add(
                o,
                line,
                Row(
                    spec.number,
                    index,
                    line.no,
                    label,
                    "category",
                    f"unit:{o.current_unit}/{klass}",
                    amounts,
                    code=klass,
                    unit=o.current_unit,
                ),
            )
            return
        # project-matrix: a row without a goal that names a unit starts that unit's projects.
        named = self.resolve_unit(label, source) if goal is None else None
        if named is not None:
            o.current_unit = named
            self._add(o, line, Row(spec.number, index, line.no, label, "unit", f"unit:{named}", amounts, unit=named))
            return
        if o.current_unit is None:
            raise self._error("orphan-row", line, expected="a unit row before this project", found=label)
        key = f"project:{o.current_unit}/{label}"
        if key in o.keys:
            raise self._error("duplicate-row", line, expected="each project once per unit", found=label)
        self._add(
            o, line, Row(spec.number, index, line.no, label, "project", key, amounts, unit=o.current_unit, goal=goal)
        )

    def _balance_row(self, o: _Open, line: Line, cells: list[str]) -> None:
        spec = o.spec
        cells = cells + [""] * (4 - len(cells))
        if len([c for c in cells[4:] if c.strip()]):
            raise self._error(
                "too-many-cells",
                line,
                expected="4 cells (item, amount, item, amount)",
                found=f"{len(cells)} cells",
                offset=5,
            )
        for side, (label_cell, amount_cell, column) in (
            ("income", (cells[0], cells[1], "income")),
            ("expenditure", (cells[2], cells[3], "expenditure")),
        ):
            label = clean_label(label_cell)
            if not label and not amount_cell.strip():
                continue
            offset = 1 if side == "income" else 3
            if not label:
                raise self._error(
                    "unknown-row",
                    line,
                    expected=f"an {side} item before its amount",
                    found=amount_cell.strip(),
                    offset=offset,
                )
            attrs = spec.row_spec(label)
            if attrs is not None and attrs.get("side", side) != side:
                attrs = None
            code = None
            if attrs is None and side == "expenditure":
                code = self.codes["functional"].class_by_name(strip_ordinal(label))
            if attrs is None and code is None:
                raise self._error(
                    "unknown-row", line, expected=f"an {side} item of 表{spec.number}", found=label, offset=offset
                )
            col = spec.column(column)
            raw = amount_cell.strip()
            source = Source(self.filename, line.no, spec.number, spec.title, col.path, line.place(offset))
            if is_no_amount(raw):
                cell = self._no_amount(column, raw, source)
            else:
                cell = Cell(column, self._amount(line, raw, offset + 1, f"an amount for {label}"), source)
            kind: RowKind
            if code:
                key, kind, row_attrs = f"{side}:{code}", "code", {"side": side}
            else:
                assert attrs is not None
                what = attrs.get("role") or attrs.get("fund") or attrs.get("expense_type")
                key, kind, row_attrs = f"{side}:{what}", "item", dict(attrs)
            self._add(
                o,
                line,
                Row(
                    spec.number,
                    len(o.table.rows),
                    line.no,
                    label,
                    kind,
                    key,
                    {column: cell},
                    code=code,
                    attrs=row_attrs,
                ),
            )
