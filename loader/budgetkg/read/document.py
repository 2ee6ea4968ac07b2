"""Reading one disclosure into a :class:`~budgetkg.records.Document`."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from importlib.abc import Traversable
from os import PathLike
from pathlib import Path

from ..errors import DocumentError
from ..records import SYNTHETIC_MARK, Document, KeyProject, NameDifference, Project, Source, Unit
from ..resources import default_document
from ..template.codes import code_list
from ..template.labels import clean_label, match_key
from .forms import read_grid, read_source
from .glossary import read_glossary
from .grid import Grid
from .matching import PROJECT_THRESHOLD, UNIT_THRESHOLD, MatchBudget, TooManyComparisons, best_match, similarity
from .narrative import read_narrative
from .overview import read_overview, unit_kind
from .sections import Line, end_of_part, require_part, split_parts
from .tables import TableReader

__all__ = ["read_document", "read_title"]

_YEAR = re.compile(r"(20\d\d)\s*年")
_DEPARTMENT_END = "部门预算"


def _year_at(text: str, i: int) -> bool:
    """Whether ``20dd年`` is printed at ``text[i]``."""
    return (
        text[i : i + 2] == "20"
        and text[i + 2 : i + 4].isdecimal()
        and text[i + 2 : i + 4].isascii()
        and text[i + 4 : i + 5] == "年"
    )


def _department(text: str) -> str | None:
    """The department a title names: what precedes the first 部门预算, without the year printed
    before or after it (``2024年广州市人力资源和社会保障局部门预算``).  str methods, not a
    regular expression: a lazy ``(.+?)部门预算`` searched over a title without 部门预算 is
    quadratic in its length."""
    end = text.find(_DEPARTMENT_END, 1)
    if end < 0:
        return None
    name = text[:end]
    if _year_at(name, 0):
        name = name[5:]
    if len(name) > 5 and _year_at(name, len(name) - 5):
        name = name[:-5]
    return name.strip() or None


def _title_text(lines: list[Line]) -> str:
    return "".join(clean_label(ln.text.lstrip("# ")) for ln in lines)


def _synthetic(lines: list[Line]) -> bool:
    """Whether the title marks the document as made up (模拟数据, after 部门预算 where ``budgetkg
    generate`` prints it): a plain substring test, linear in the title."""
    text = _title_text(lines)
    end = text.find(_DEPARTMENT_END)
    return end >= 0 and SYNTHETIC_MARK in text[end + len(_DEPARTMENT_END) :]


def _title(lines: list[Line], filename: str) -> tuple[int, str]:
    text = _title_text(lines)
    year = _YEAR.search(text)
    dept = _department(text)
    if not year or not dept:
        first = lines[0] if lines else Line(1, "")
        raise DocumentError(
            "not-a-budget",
            filename,
            first.no,
            expected="a title naming the year and the department (“2024年 … 部门预算”)",
            found=text[:60],
        )
    return int(year.group(1)), dept


def _too_many_names(filename: str, line: int, name: str) -> DocumentError:
    return DocumentError(
        "too-many-names",
        filename,
        line,
        found=name,
        expected="unit and project names that match those listed within the budget of name comparisons",
    )


class _Units:
    """Resolves unit names printed in the tables to the units of 第一部分, recording differences."""

    def __init__(self, units: list[Unit], filename: str) -> None:
        self.units = units
        self.filename = filename
        self.differences: list[NameDifference] = []
        self.seen: set[tuple[str, int | None]] = set()
        self.budget = MatchBudget()
        # Each printed name is matched once (tables repeat them), and by key before any fuzzy
        # comparison: the work per row does not grow with the number of units.
        self.matches: dict[str, tuple[str | None, float]] = {}
        self.by_key: dict[str, str] = {}
        self.by_name: dict[str, Unit] = {}
        for unit in units:
            self._index(unit)

    def _index(self, unit: Unit) -> None:
        self.by_key.setdefault(match_key(unit.name), unit.name)
        self.by_name.setdefault(unit.name, unit)

    def _match(self, printed: str, source: Source) -> tuple[str | None, float]:
        key = match_key(printed)
        if key not in self.matches:
            exact = self.by_key.get(key)
            try:
                self.matches[key] = (
                    (exact, 1.0) if exact else best_match(printed, [u.name for u in self.units], self.budget)
                )
            except TooManyComparisons:
                raise _too_many_names(self.filename, source.line, printed) from None
        return self.matches[key]

    def resolve(self, printed: str, source: Source) -> str | None:
        best, score = self._match(printed, source)
        if best is None or score < UNIT_THRESHOLD:
            return None
        unit = self.by_name[best]
        unit.table_names.add(printed)
        if match_key(printed) != match_key(best) and (printed, source.table) not in self.seen:
            self.seen.add((printed, source.table))
            self.differences.append(
                NameDifference("unit", printed, best, source, Source(self.filename, unit.line), round(score, 3))
            )
        return best

    def add(self, name: str, line: int) -> str:
        self.units.append(Unit(name, unit_kind(name), line))
        self._index(self.units[-1])
        self.matches.clear()
        return name


def _link_key_projects(rows, projects: list[Project], filename: str) -> tuple[list[KeyProject], list[NameDifference]]:
    """Link each 重点项目 row to its project in 表12 by amount first, then by name."""
    linked, differences = [], []
    budget = MatchBudget()
    by_amount: dict[Decimal | None, list[Project]] = {}
    for p in projects:
        by_amount.setdefault(p.row.value("total"), []).append(p)
    for row in rows:
        pool = by_amount.get(row.amount.value) or projects
        try:
            scored = [(similarity(row.name, p.name, budget), -i, p) for i, p in enumerate(pool)]
        except TooManyComparisons:
            raise _too_many_names(filename, row.source.line, row.name) from None
        score, _, project = max(scored, key=lambda t: (t[0], t[1])) if scored else (0.0, 0, None)
        if project is None or score < PROJECT_THRESHOLD:
            project, score = None, 0.0
        linked.append(KeyProject(row.name, row.amount, row.goal, row.source, project, round(score, 3)))
        if project is not None and match_key(project.name) != match_key(row.name):
            differences.append(
                NameDifference(
                    "key-project",
                    row.name,
                    f"{project.unit} / {project.name}",
                    row.source,
                    Source(filename, project.row.line, 12, "部门预算项目支出及其他支出预算表"),
                    round(score, 3),
                )
            )
    return linked, differences


def _bytes(source, filename: str | None) -> tuple[bytes, str]:
    if source is None:
        source = default_document()
    if isinstance(source, bytes):
        return source, filename or "<bytes>"
    name = filename or (Path(source).name if isinstance(source, (str, PathLike)) else source.name)
    return read_source(source, name), name


def read_title(
    source: str | PathLike[str] | Traversable | bytes | None = None, *, filename: str | None = None
) -> tuple[int, str]:
    """The year and department of a disclosure, read from its title only (cheap)."""
    data, name = _bytes(source, filename)
    lines = read_grid(data, name).lines
    return _title(split_parts(lines, name).title, name)


def read_document(
    source: str | PathLike[str] | Traversable | bytes | None = None, *, filename: str | None = None
) -> Document:
    """Read a budget disclosure into typed records with their sources, whatever its form
    (PDF, Excel workbook, web page or text: see :mod:`.forms`).

    :param source: a path, a packaged resource, or the document's bytes; None reads
        the bundled Guangzhou HRSS 2024 budget.
    :param filename: the name used in sources and errors (default: the file's name).
    :raises DocumentError: when the document cannot be read; the error names the
        file, line, what was expected and what was found.

    >>> doc = read_document()
    >>> doc.year, doc.department, len(doc.tables)
    (2024, '广州市人力资源和社会保障局', 12)
    """
    data, name = _bytes(source, filename)
    grid = read_grid(data, name)
    try:
        return _read(grid, data, name)
    except DocumentError as exc:
        raise _placed(exc, grid) from None


def _placed(exc: DocumentError, grid: Grid) -> DocumentError:
    """The error with the place its line was printed at in a form other than text (a sheet and
    cell, a page, an HTML table's row), so that it can be found in the file the reader has, and
    with the form read, whose hint it gets (a workbook of tables alone and a notice printed to
    PDF are not budgets for different reasons)."""
    place = None
    if grid.form != "text" and 1 <= exc.lineno <= len(grid.lines):
        place = grid.lines[exc.lineno - 1].place(max(exc.offset - 1, 0))
    context = exc.context if place is None else place.where + (f" {exc.context}" if exc.context else "")
    return DocumentError(
        exc.code,
        exc.filename,
        exc.lineno,
        expected=exc.expected,
        found=exc.found,
        offset=exc.offset,
        context=context,
        form=grid.form,
    )


def _read(grid: Grid, data: bytes, name: str) -> Document:
    lines = grid.lines
    parts = split_parts(lines, name)
    kinds = dict(parts.kinds)
    year, department = _title(parts.title, name)
    codes = {scheme: code_list(scheme, year) for scheme in ("functional", "economic")}

    overview = read_overview(require_part(parts, 1, lines, name))
    kinds.update(overview.kinds)
    units = [Unit(department, unit_kind(department), parts.heading_lines[1].no, is_department=True)]
    units += [Unit(n, unit_kind(n), ln) for n, ln in overview.sub_units]
    resolver = _Units(units, name)

    def resolve(printed: str, src: Source) -> str | None:
        return resolver.resolve(printed, src)

    reader = TableReader(name, codes, resolve)
    tables = reader.read(require_part(parts, 2, lines, name), end_of_part(parts, 2, lines))
    kinds.update(reader.kinds)
    quirks = grid.quirks + reader.quirks
    for row in tables[11].rows:
        if row.kind == "unit" and row.unit not in [u.name for u in resolver.units]:
            resolver.add(row.unit or row.label, row.line)
            quirks.append(f"{name}:{row.line}: unit {row.label} is not listed in 部门预算构成")

    projects = [
        Project(r.unit or "", r.label, r, r.label.endswith("项") and not r.label.endswith("项目"))
        for r in tables[12].rows
        if r.kind == "project"
    ]
    narrative = read_narrative(require_part(parts, 3, lines, name), name, year)
    kinds.update(narrative.kinds)
    quirks += [f"{name}: narrative figure {k} not found in 第三部分" for k in narrative.missing]
    key_projects, key_differences = _link_key_projects(narrative.key_rows, projects, name)
    glossary, glossary_kinds = read_glossary(require_part(parts, 4, lines, name), name)
    kinds.update(glossary_kinds)

    nonblank = [ln for ln in lines if not ln.blank]
    for ln in nonblank:
        if ln.no not in kinds:
            raise DocumentError(
                "unplaced-line",
                name,
                ln.no,
                expected="a title, heading, table line, note or prose",
                found=ln.text.strip(),
            )
    return Document(
        file=name,
        sha256=hashlib.sha256(data).hexdigest(),
        year=year,
        department=department,
        duties=overview.duties,
        divisions=overview.divisions,
        divisions_declared=overview.divisions_declared,
        units=resolver.units,
        tables=tables,
        projects=projects,
        key_projects=key_projects,
        narrative=narrative.figures,
        glossary=glossary,
        name_differences=resolver.differences + key_differences,
        line_kinds=kinds,
        quirks=quirks,
        nonblank_lines=len(nonblank),
        form=grid.form,
        synthetic=_synthetic(parts.title),
    )
