"""The disclosure template (``data/template.toml``) as typed table specifications."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, cached_property

from ..resources import read_toml
from .labels import match_key

__all__ = ["ColumnSpec", "TableSpec", "Template", "template", "strip_ordinal", "TABLE_NUMBER"]

# A table's number as departments print it, on its own line or before the title: 表1, 附表1, 表一, 表1-1.
TABLE_NUMBER = r"附?表\s*[\d一二三四五六七八九十]+(?:-\d+)?"
_ORDINAL = re.compile(
    rf"^(?:{TABLE_NUMBER}\s*[:：.．、]?\s*)?(?:其中[:：])?\s*(?:[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.．、]\s*)?"
)


def strip_ordinal(label: str) -> str:
    """A row or title label without its ordinal: ``二十六、对附属单位补助支出`` → ``对附属单位补助支出``.

    >>> strip_ordinal("其中：（一）因公出国（境）支出"), strip_ordinal("1. 公务用车购置费")
    ('因公出国（境）支出', '公务用车购置费')
    >>> strip_ordinal("附表1：收支总体情况表"), strip_ordinal("表十二 部门预算项目支出及其他支出预算表")
    ('收支总体情况表', '部门预算项目支出及其他支出预算表')
    """
    return _ORDINAL.sub("", label.strip(), count=1).strip()


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    path: tuple[str, ...]
    role: str = ""
    fund: str = ""
    expense_type: str = ""


@dataclass(frozen=True)
class TableSpec:
    number: int
    key: str
    title: str
    title_en: str
    layout: str
    header: tuple[tuple[str, ...], ...]
    columns: tuple[ColumnSpec, ...]
    codes: str = ""
    fund: str = ""
    expense_type: str = ""
    aliases: tuple[str, ...] = ()
    sums: tuple[tuple[str, tuple[str, ...]], ...] = ()
    rows: dict[str, dict[str, str]] = field(default_factory=dict)

    def column(self, key: str) -> ColumnSpec:
        return self._columns[key]

    @cached_property
    def _columns(self) -> dict[str, ColumnSpec]:
        # Looked up for every cell of a table: a dict, not a scan of the columns.
        return {c.key: c for c in self.columns}

    def header_keys(self) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(match_key(h) for h in row) for row in self.header)

    def row_spec(self, label: str) -> dict[str, str] | None:
        key = match_key(strip_ordinal(label))
        return next((v for k, v in self.rows.items() if match_key(k) == key), None)


# What departments print before a table's title: their name and the year (广州市教育局2024年…).
_YEAR_PREFIX = re.compile(r"^.*?\d{4}年度?")


@dataclass(frozen=True)
class Template:
    tables: tuple[TableSpec, ...]
    total_labels: tuple[str, ...]
    key_project_heading: str
    key_project_header: tuple[tuple[str, ...], ...]
    three_public_codes: dict[str, str]
    overview_classes: tuple[str, ...]
    note_prefixes: tuple[str, ...]
    empty_phrases: tuple[str, ...]

    def is_note(self, line: str) -> bool:
        """Whether a line without tabs, in a table that has not ended, is the table's closing note.

        >>> template().is_note("注：无。"), template().is_note("本部门无政府性基金预算收支，故此表为空。")
        (True, True)
        >>> template().is_note("市公用学院教学场地租赁经费")
        False
        """
        return line.startswith(self.note_prefixes) or self.declares_empty(line)

    def declares_empty(self, note: str) -> bool:
        """Whether a note says that its table has nothing for the year (本表本年无发生额).

        >>> template().declares_empty("注：本表本年无发生额。"), template().declares_empty("注：无。")
        (True, False)
        """
        key = match_key(note)
        return any(phrase in key for phrase in self.empty_phrases)

    def by_title(self, title: str) -> TableSpec | None:
        """The table a heading names: its title, or the title after the department and year
        many departments print before it.

        >>> [template().by_title(t).number for t in ("一、收支总体情况表", "广州市教育局2024年收支总体情况表",
        ...                                          "2024年部门预算基本支出预算表", "2024年度部门收入总体情况表")]
        [1, 1, 11, 2]
        >>> template().by_title("收支总体情况") is None
        True
        """
        key = match_key(strip_ordinal(title))
        after_year = _YEAR_PREFIX.sub("", key, count=1)
        candidates = (key, after_year, after_year.removeprefix("部门"))
        for spec in self.tables:
            if not {match_key(t) for t in (spec.title, *spec.aliases)}.isdisjoint(candidates):
                return spec
        return None

    def spec(self, number: int) -> TableSpec:
        return next(s for s in self.tables if s.number == number)


@cache
def template() -> Template:
    """The template of the twelve tables, read from ``data/template.toml``."""
    raw = read_toml("template.toml")
    specs = []
    for t in raw["table"]:
        specs.append(
            TableSpec(
                number=t["number"],
                key=t["key"],
                title=t["title"],
                title_en=t["title_en"],
                layout=t["layout"],
                header=tuple(tuple(r) for r in t["header"]),
                columns=tuple(
                    ColumnSpec(
                        key=c["key"],
                        path=tuple(c["path"]),
                        role=c.get("role", ""),
                        fund=c.get("fund", ""),
                        expense_type=c.get("expense_type", ""),
                    )
                    for c in t["columns"]
                ),
                codes=t.get("codes", ""),
                fund=t.get("fund", ""),
                expense_type=t.get("expense_type", ""),
                aliases=tuple(t.get("aliases", ())),
                sums=tuple((s["total"], tuple(s["parts"])) for s in t.get("sums", ())),
                rows=t.get("rows", {}),
            )
        )
    kp = raw["key_projects"]
    return Template(
        tables=tuple(specs),
        total_labels=tuple(raw["template"]["total_labels"]),
        key_project_heading=kp["heading"],
        key_project_header=tuple(tuple(r) for r in kp["header"]),
        three_public_codes=dict(raw["three_public_codes"]),
        overview_classes=tuple(raw["overview"]["expenditure_classes"]),
        note_prefixes=tuple(raw["notes"]["prefixes"]),
        empty_phrases=tuple(raw["notes"]["empty"]),
    )
