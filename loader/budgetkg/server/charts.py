"""Where a document's money goes, as bar charts: by unit, by functional class (类), by funding source.

The charts are SVG written by the server into the page, not drawn by a script: they show
without JavaScript, under the server's Content-Security-Policy (scripts only from its own
files) and in a page saved or printed; a chart library would add a dependency and its
licence to serve for three bar charts.  Each chart comes with a table of the same figures
(for screen readers, and to copy from), each figure linking to its observation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .tables import TOTAL, PrintedTable, Row, amount_text

__all__ = ["Chart", "Bar", "Segment", "by_unit", "by_functional_class", "by_funding_source", "WIDTH"]

WIDTH = 720  # the SVG's width in its own units; it scales to the page
LABEL_WIDTH = 250  # where the bars start
VALUE_WIDTH = 110  # room for the amount after the longest bar
BAR_HEIGHT = 22
GAP = 6
LABEL_CHARS = 16  # characters of a label the chart prints (the table beside it has them all)


@dataclass
class Segment:
    """One series' part of a bar, with the observation it shows."""

    series: int
    value: Decimal
    iri: str
    x: float = 0.0
    width: float = 0.0


@dataclass
class Bar:
    label: str
    href_iri: str  # what the label stands for (a unit, a code, a funding source)
    segments: list[Segment]
    y: float = 0.0

    @property
    def total(self) -> Decimal:
        return sum((s.value for s in self.segments), Decimal(0))

    @property
    def short(self) -> str:
        return self.label if len(self.label) <= LABEL_CHARS else self.label[: LABEL_CHARS - 1] + "…"

    @property
    def total_text(self) -> str:
        return amount_text(self.total)


@dataclass
class Chart:
    key: str
    title: str
    series: list[str]
    bars: list[Bar] = field(default_factory=list)
    source: str = ""  # the tables the figures are read from

    @property
    def height(self) -> int:
        return len(self.bars) * (BAR_HEIGHT + GAP) + GAP

    def laid_out(self) -> Chart:
        """The chart with each bar's place and each segment's extent worked out (largest bar first)."""
        self.bars = sorted((b for b in self.bars if b.total > 0), key=lambda b: -b.total)
        top = max((b.total for b in self.bars), default=Decimal(0))
        room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
        for i, bar in enumerate(self.bars):
            bar.y = GAP + i * (BAR_HEIGHT + GAP)
            x = float(LABEL_WIDTH)
            for s in bar.segments:
                s.x = x
                s.width = float(s.value / top) * room if top else 0.0
                x += s.width
        return self


def _unit_rows(table: PrintedTable) -> list[Row]:
    return [r for r in table.rows if r.key.startswith("unit:") and "/" not in r.key]


def by_unit(basic: PrintedTable, project: PrintedTable) -> Chart:
    """Each unit's basic (表11) and project (表12) expenditure, from the unit rows' 总计."""
    chart = Chart("units", "按单位 · By unit", ["基本支出 basic", "项目支出 project"], source="表11, 表12")
    bars: dict[str, Bar] = {}
    for series, table in enumerate((basic, project)):
        for row in _unit_rows(table):
            figure = row.cells.get("total")
            if figure is None or figure.amount is None:
                continue
            unit = table.unit(row)
            bar = bars.setdefault(unit, Bar(table.labels.get(unit, row.label), unit, []))
            bar.segments.append(Segment(series, figure.amount, figure.iri))
    chart.bars = list(bars.values())
    return chart.laid_out()


def by_functional_class(expenditure: PrintedTable) -> Chart:
    """Expenditure by functional class (类, the three-digit codes of 表3): basic and project."""
    series = ["基本支出 basic", "项目支出 project"]
    chart = Chart("functional", "按功能分类（类） · By functional class", series, source="表3")
    for row in expenditure.rows:
        code = expenditure.code(row)
        if len(code) != 3:
            continue
        segments = [
            Segment(i, f.amount, f.iri)
            for i, key in enumerate(("basic", "project"))
            if (f := row.cells.get(key)) is not None and f.amount is not None
        ]
        # Expenditure of other types (business, subsidies to affiliated units …) as its own part.
        total = row.cells.get("total")
        if total is not None and total.amount is not None:
            rest = total.amount - sum((s.value for s in segments), Decimal(0))
            if rest > 0:
                segments.append(Segment(2, rest, total.iri))
        chart.bars.append(Bar(f"{code} {row.label}", row.dims.get("functionalClassification", ""), segments))
    if any(s.series == 2 for b in chart.bars for s in b.segments):
        chart.series.append("其他 other")
    return chart.laid_out()


def by_funding_source(income: PrintedTable) -> Chart:
    """Income by funding source: the 合计 row of 表2, a bar for each source's column."""
    chart = Chart("funds", "按资金来源 · By funding source", ["收入 income"], source="表2")
    total = next((r for r in income.rows if r.key == "total"), None)
    if total is None:
        return chart
    for column in income.spec.columns:
        figure = total.cells.get(column.key)
        if column.role == "total" or figure is None or figure.amount is None or figure.fund in ("", TOTAL):
            continue
        label = income.fund_labels.get(figure.fund, "/".join(column.path))
        chart.bars.append(Bar(label, figure.fund_iri, [Segment(0, figure.amount, figure.iri)]))
    return chart.laid_out()
