"""The PDF front end: a disclosure printed to PDF, read into the grid model.

PDFium (through pypdfium2) parses the file and gives every character with its box, and every
path with its bounds; the ruling lines among those paths become table cells through
pdfplumber's table geometry (edges → intersections → cells → tables).  Characters inside a
cell make its text, one :class:`Line` per table row with the cell boxes as places; the
characters outside tables make lines of running text, joined into paragraphs.  PDFium rather
than pdfplumber's own pdfminer.six parser reads the characters because it is much faster
(docs/benchmarks.md, "Reading a PDF").

What real PDFs do, and what this module does about it:

- a wrapped line inside a cell or paragraph is joined without a space (Chinese has none),
  except between two Latin or digit runs, which a line breaks only at a space (but a code or
  an amount broken between two digits, or a Latin run inside Chinese text, is joined whole);
  a dash that ends a line (PDFium's U+0002) is kept;
- within a line a space is written where the PDF leaves a gap, next to a Chinese character only
  a gap as wide as a space (a space where a line breaks is not printed, and cannot be known);
- a paragraph ends at a larger vertical gap, at a line that stops short of the right margin,
  before an indented line, or at a change of font size;
- a line larger than the body text is a heading, written with Markdown marks as the text form
  does (the template reader finds the sections of 第一部分 and 第三部分 by their headings);
- page numbers and running headers or footers (a line in the top or bottom margin that is a
  page number, or repeats on many pages, a browser's own date, title, address and "5/63"
  among them) are dropped, and each dropping is noted in the grid's quirks;
- a table split over pages gives its rows in order, with or without its header repeated (the
  template reader skips repeated headers and continues an open table); a cell merged over
  columns or rows is written once, in its first column and row, and the cells it covers empty;
- a row too tall for its page, cut by the page break (no ruling at its foot, nor at the head
  of its rest), is joined with its rest on the next page or pages;
- tables printed one right below the other, each with its own column widths, stay apart.

Every page, character and path is counted against a bound before it is used, so a hostile
file costs bounded time and memory.
"""

from __future__ import annotations

import bisect
import ctypes
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from ..errors import DocumentError
from ..records import Place
from .grid import MAX_CELL_CHARS, Grid, Line

__all__ = [
    "read_pdf",
    "MAX_BYTES",
    "MAX_PAGES",
    "MAX_CHARS_PER_PAGE",
    "MAX_CHARS",
    "MAX_PATHS_PER_PAGE",
    "MAX_EDGES_PER_PAGE",
    "MAX_RULING_PAIRS_PER_PAGE",
    "MAX_RULING_PAIRS",
    "MAX_CROSSINGS_PER_PAGE",
    "MAX_CROSSINGS",
]

# A department's disclosure has 20–100 pages in 1–20 MB; ten times the longest is refused.
MAX_PAGES = 1_000
MAX_BYTES = 200 * 1024 * 1024
# A dense A4 page of small Chinese type holds about 5,000 characters.
MAX_CHARS_PER_PAGE = 50_000
# Characters of the whole document: a bureau's 500-page disclosure has some 800,000.  Each costs
# some microseconds, so 1,000 pages of 50,000 would take a quarter of an hour.
MAX_CHARS = 2_000_000
# The bundled rendering has about 250 paths a page (a table's ruling, cell by cell).
MAX_PATHS_PER_PAGE = 50_000
# Ruling lines left after collinear pieces are joined: a page of a 40-row, 15-column table has
# about 60; finding cells compares every horizontal with every vertical one.
MAX_EDGES_PER_PAGE = 1_000
# Where ruling lines cross: LibreOffice's rendering of the bundled document has at most 921 on
# a page (63 horizontal lines by 15 vertical).  pdfplumber compares every horizontal line with
# every vertical one, then finds cells in time quadratic in the crossings (a page of 500 by
# 500 lines would take hours; docs/benchmarks.md).  So the pairs are counted
# before they are compared, and the crossings before cells are looked for, on each page and in
# the whole document (a 500-page disclosure has some 450,000 pairs and 70,000 crossings).
MAX_RULING_PAIRS_PER_PAGE = 20_000
MAX_RULING_PAIRS = 2_000_000
MAX_CROSSINGS_PER_PAGE = 2_000
MAX_CROSSINGS = 120_000

_REOPEN_EVERY = 25  # pages read before the document is opened afresh (see read_pdf)
_MAX_ROWSPAN = 8  # rows a merged cell is looked for above a character (see _place_char)
_TOLERANCE = 3  # points: ruling pieces this close are one line, and lines this close meet
_THIN = 2.0  # points: a path at most this wide (or high) is a ruling line
_MARGIN = 0.07  # of the page's height: the bands where running headers and footers print
_CJK_START = 0x2E80  # characters from here on are CJK (or full-width forms): no space between
# A space next to a Chinese character, of the characters' height: the gap a space leaves (a third
# of an em: 0.33-0.38 of the box in LibreOffice's print of the bundled document, where Chinese
# characters are set 0-0.1 apart), or a smaller gap where PDFium saw a word space (Chromium sets
# Chinese characters up to 0.27 apart, and a space 0.22-0.40).
_CJK_SPACE = 0.3
_CJK_SPACE_SEEN = 0.2


@dataclass
class _Char:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    index: int
    space_after: bool = False  # PDFium saw a word space after this character

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass
class _TextLine:
    """A line of running text on one page."""

    page: int
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    bold: bool


@dataclass
class _Row:
    """A table row on one page: its cells' texts and boxes (None for a cell a merge covers)."""

    page: int
    top: float
    cells: list[str]
    boxes: list[tuple[float, float, float, float] | None]
    table: int  # the table's number on its page, to tell adjacent tables apart
    open_bottom: bool = False  # the page ends the row before its bottom ruling: it goes on
    open_top: bool = False  # the page starts the row without a top ruling: it went on from before
    # of a table ruled with horizontal lines only: whether each cell's last line fills its column
    # (a row cut by the page break goes on only in such cells, and in those it left empty)
    full: tuple[bool, ...] = ()


@dataclass
class _Page:
    number: int
    width: float
    height: float
    items: list[_TextLine | _Row] = field(default_factory=list)


class _Frame:
    """From PDF user space (origin at the media box's lower left, y up) to the page as it is
    shown (origin at its top left, y down), the page's rotation (/Rotate) applied: a landscape
    page may be a portrait one turned by 90 degrees, its text drawn turned the other way."""

    def __init__(self, mediabox: tuple[float, float, float, float], rotation: int) -> None:
        self.left, self.bottom, right, top = mediabox
        self.width, self.height = right - self.left, top - self.bottom
        self.rotation = rotation % 360

    def point(self, x: float, y: float) -> tuple[float, float]:
        ux, uy = x - self.left, y - self.bottom
        if self.rotation == 90:
            return uy, ux
        if self.rotation == 180:
            return self.width - ux, uy
        if self.rotation == 270:
            return self.height - uy, self.width - ux
        return ux, self.height - uy

    def shows(self, x: float, y: float) -> bool:
        """Whether the point (x, y) of the page as shown lies on the page."""
        width, height = (self.height, self.width) if self.rotation in (90, 270) else (self.width, self.height)
        return 0 <= x <= width and 0 <= y <= height

    def box(self, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
        """The box (x0, top, x1, bottom) as shown of a box in user space."""
        ax, ay = self.point(left, bottom)
        bx, by = self.point(right, top)
        return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


def _is_cjk(ch: str) -> bool:
    return ord(ch) >= _CJK_START


def _is_word(ch: str) -> bool:
    """A Latin letter or digit: a line breaks between two of them only at a space."""
    return ch.isascii() and ch.isalnum()


def _join_wrapped(parts: list[str]) -> str:
    """The lines of a wrapped cell or paragraph as one text: without a space, except between
    two Latin or digit runs that are not both digits, in lines without Chinese (a narrow cell
    breaks a code, an amount or a Latin run inside Chinese text anywhere: a browser's
    ``word-break: break-all``, a spreadsheet's wrapped cell; Chinese text sets Latin runs
    without spaces).

    >>> _join_wrapped(["通过开展民办教育", "发展专项项目"]), _join_wrapped(["B737CL", "2024"])
    ('通过开展民办教育发展专项项目', 'B737CL 2024')
    >>> _join_wrapped(["201329", "9"]), _join_wrapped(["240,315.", "67"])
    ('2013299', '240,315.67')
    >>> _join_wrapped(["广州市技师学院B737", "CL维修实训平台项目"])
    '广州市技师学院B737CL维修实训平台项目'
    """
    out = ""
    previous = ""
    for part in parts:
        digits = out[-1:].isdigit() and part[:1].isdigit()
        chinese = any(_is_cjk(ch) for ch in previous) or any(_is_cjk(ch) for ch in part)
        if out and part and _is_word(out[-1]) and _is_word(part[0]) and not (digits or chinese):
            out += " "
        out += part
        previous = part
    return out.strip()


def _cluster_lines(chars: list[_Char]) -> list[list[_Char]]:
    """Characters grouped into lines, top to bottom, each left to right."""
    lines: list[list[_Char]] = []
    bottom = -1.0
    for ch in sorted(chars, key=lambda c: (c.top, c.x0)):
        if lines and ch.top < bottom - 0.4 * ch.height:
            lines[-1].append(ch)
            bottom = max(bottom, ch.bottom)
        else:
            lines.append([ch])
            bottom = ch.bottom
    for line in lines:
        line.sort(key=lambda c: c.x0)
    return lines


def _line_text(chars: list[_Char]) -> str:
    """The text of a line: a space where the PDF prints one; where it only leaves a word gap
    (or PDFium infers a space), a space between two characters that are not Chinese; next to a
    Chinese one only where the gap is as wide as a space (``_CJK_SPACE``), or nearly and PDFium
    saw a word space there (the text form writes "1. 公务用车", "[30226] 劳务费": a PDF prints
    the space as a gap only)."""
    out: list[str] = []
    previous: _Char | None = None
    printed = False
    for ch in chars:
        if ch.text == " ":
            printed = True
            continue
        if previous is not None:
            gap = (ch.x0 - previous.x1) / max(ch.height, previous.height, 0.1)
            if _is_cjk(previous.text) or _is_cjk(ch.text):
                inferred = gap > _CJK_SPACE or (previous.space_after and gap > _CJK_SPACE_SEEN)
            else:
                inferred = previous.space_after or gap > 0.25
            if printed or inferred:
                out.append(" ")
        out.append(ch.text)
        previous, printed = ch, False
    return "".join(out)


def _box(x0: float, top: float, x1: float, bottom: float) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return tuple(Decimal(f"{v:.2f}") for v in (x0, top, x1, bottom))  # type: ignore[return-value]


class _Reader:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.quirks: list[str] = []
        # where the page's ruled rows end, and begin, without a ruling
        self.open_ends: tuple[list[float], list[float]] = ([], [])
        self.chars = 0  # characters, pairs of ruling lines and their crossings of the pages read so far
        self.pairs = 0
        self.crossings = 0
        self.rules: list[dict] = []  # the horizontal ruling lines of the page being read

    def error(self, code: str, page: int, expected: str, found: str) -> DocumentError:
        return DocumentError(code, self.filename, 1, expected=expected, found=found, context=f"page {page}")

    # -- one page --------------------------------------------------------------
    def page(self, pdf, number: int) -> tuple[_Page, int]:  # noqa: ANN001 (a pypdfium2 PdfDocument)
        """The items of page ``number`` (1-based), and how many images it holds when it has no text."""
        import pypdfium2 as pdfium
        import pypdfium2.raw as raw

        try:
            page = pdf[number - 1]
        except pdfium.PdfiumError as exc:  # a page tree that counts pages it does not hold
            raise self.error("damaged-file", number, "a page PDFium can load", f"a damaged page ({exc})") from None
        try:
            width, height = page.get_size()  # as the page is shown, its /Rotate applied
            rotation = page.get_rotation()
            mediabox = page.get_mediabox()
            if mediabox[2] <= mediabox[0] or mediabox[3] <= mediabox[1]:
                # An empty, inverted or absurd box reads as zeros: PDFium shows the page at the
                # size it gives (US Letter), from the origin.
                shown = (height, width) if rotation % 180 == 90 else (width, height)
                mediabox = (0.0, 0.0, *shown)
            frame = _Frame(mediabox, rotation)
            try:
                textpage = page.get_textpage()
            except pdfium.PdfiumError as exc:
                raise self.error("damaged-file", number, "a page with a readable text", f"{exc}") from None
            try:
                chars = self._chars(textpage, raw, number, frame)
                paths = self._paths(page, raw, number, frame)
                images = 0
                if not chars:
                    images = sum(1 for _ in _objects(page.raw, raw, raw.FPDF_PAGEOBJ_IMAGE))
                out = _Page(number, width, height)
                tables = self._tables(paths, number)
                loose = self._fill(tables, chars, number, out)
                loose = _RulesOnly(self.rules, tables, out, self.filename).read(loose)
                for line in _cluster_lines(loose):
                    out.items += self._text_lines(line, textpage, raw, number)
            finally:
                textpage.close()
        finally:
            page.close()
        out.items.sort(key=lambda item: item.top)
        return out, images

    def _text_lines(self, line: list[_Char], textpage, raw, number: int) -> list[_TextLine | _Row]:  # noqa: ANN001
        """A line of characters outside tables: a line of running text, or, where it has gaps
        of more than two characters (cells of a spreadsheet printed without rulings, such as
        单位名称 on the left and 单位 on the right), a row of those cells."""
        line = [c for c in line if c.text != " "] if all(c.text == " " for c in line) else line
        pieces: list[list[_Char]] = [[]]
        last: _Char | None = None
        for ch in line:
            if ch.text == " ":
                pieces[-1].append(ch)
                continue
            if last is not None and ch.x0 - last.x1 > 2 * max(ch.height, last.height):
                pieces.append([])
            pieces[-1].append(ch)
            last = ch
        lines = []
        for piece in pieces:
            text = _line_text(piece).strip()
            piece = [c for c in piece if c.text != " "]
            if not text or not piece:
                continue
            first = piece[0]
            size = raw.FPDFText_GetFontSize(textpage, first.index)
            lines.append(
                _TextLine(
                    number,
                    text,
                    min(c.x0 for c in piece),
                    min(c.top for c in piece),
                    max(c.x1 for c in piece),
                    max(c.bottom for c in piece),
                    round(size, 1),
                    _bold(textpage, raw, first.index) and _bold(textpage, raw, piece[-1].index),
                )
            )
        if len(lines) < 2:
            return list(lines)
        boxes = [(ln.x0, ln.top, ln.x1, ln.bottom) for ln in lines]
        return [_Row(number, min(ln.top for ln in lines), [ln.text for ln in lines], boxes, -1)]  # type: ignore[arg-type]

    def _chars(self, textpage, raw, number: int, frame: _Frame) -> list[_Char]:  # noqa: ANN001
        count = textpage.count_chars()
        if count > MAX_CHARS_PER_PAGE:
            raise self.error(
                "pdf-too-large",
                number,
                expected=f"at most {MAX_CHARS_PER_PAGE:,} characters on a page",
                found=f"{count:,} characters",
            )
        self.chars += count
        if self.chars > MAX_CHARS:
            raise self.error(
                "pdf-too-large",
                number,
                expected=f"at most {MAX_CHARS:,} characters in the document",
                found=f"{self.chars:,} characters up to page {number}",
            )
        chars: list[_Char] = []
        outside = 0
        handle, rect = textpage.raw, raw.FS_RECTF()
        unicode, loose_box = raw.FPDFText_GetUnicode, raw.FPDFText_GetLooseCharBox
        for i in range(count):
            code = unicode(handle, i)
            if code == 0x02:
                # PDFium gives a hyphen that ends a line as U+0002 (FPDFText_IsHyphen), taking
                # it for a word broken in two; in a Chinese budget it is printed text
                # ("2023年-2024年" wrapped after its dash), kept as it is printed.
                code = 0x2D
            if code < 0x20 or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
                continue  # controls (PDFium's own line ends among them) and lone surrogates
            # The loose box spans the font's ascent and descent: a quotation mark or a comma is
            # as high as the letters of its line, so lines group by their boxes.
            loose_box(handle, i, rect)
            if rect.right <= rect.left or rect.top <= rect.bottom:
                # A space PDFium infers between two words (from the gap and the font's space
                # width) has no box: the character before it ends a word.
                if code == 0x20 and chars:
                    chars[-1].space_after = True
                continue
            box = frame.box(rect.left, rect.bottom, rect.right, rect.top)
            if not frame.shows((box[0] + box[2]) / 2, (box[1] + box[3]) / 2):
                # Drawn outside the page: no viewer shows it, so it is no part of what the
                # bureau published (and could put figures in the graph that no reader sees).
                outside += 1
                continue
            text = " " if code in (0xA0, 0x3000) else chr(code)
            chars.append(_Char(text, *box, i))
        if outside:
            self.quirks.append(f"{self.filename}: page {number}: {outside} characters drawn outside the page not read")
        return chars

    def _paths(self, page, raw, number: int, frame: _Frame) -> list[dict]:  # noqa: ANN001
        """The ruling lines of a page as pdfplumber's edges: thin paths, and the sides of boxes."""
        edges: list[dict] = []
        left, bottom, right, top = (ctypes.c_float() for _ in range(4))
        for count, obj in enumerate(_objects(page.raw, raw, raw.FPDF_PAGEOBJ_PATH), 1):
            if count > MAX_PATHS_PER_PAGE:
                raise self.error(
                    "pdf-too-large",
                    number,
                    expected=f"at most {MAX_PATHS_PER_PAGE:,} drawn paths on a page",
                    found=f"more than {MAX_PATHS_PER_PAGE:,}",
                )
            raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
            x0, y0, x1, y1 = frame.box(left.value, bottom.value, right.value, top.value)
            w, h = x1 - x0, y1 - y0
            if h <= _THIN and w > _THIN:
                edges.append(_edge("h", x0, x1, (y0 + y1) / 2, (y0 + y1) / 2))
            elif w <= _THIN and h > _THIN:
                edges.append(_edge("v", (x0 + x1) / 2, (x0 + x1) / 2, y0, y1))
            elif w > _THIN and h > _THIN:
                edges += [
                    _edge("h", x0, x1, y0, y0),
                    _edge("h", x0, x1, y1, y1),
                    _edge("v", x0, x0, y0, y1),
                    _edge("v", x1, x1, y0, y1),
                ]
        return edges

    def _tables(self, edges: list[dict], number: int) -> list[list[list[tuple | None]]]:
        """The tables the ruling lines draw: each a list of rows of cell boxes (None where a
        merged cell covers the column)."""
        from pdfplumber.table import Table, cells_to_tables, edges_to_intersections, intersections_to_cells, merge_edges

        self.rules = []
        if not edges:
            return []
        # Snapping clusters lines transitively: snapped over the whole page, the column lines of
        # tables a few points apart in width chain into one cluster and move by several points.
        # Each band of touching lines (a table, or tables printed one below the other) alone.
        merged = []
        for band in _bands(edges):
            merged += merge_edges(band, _TOLERANCE, _TOLERANCE, _TOLERANCE, _TOLERANCE)
        merged = [e for e in merged if (e["x1"] - e["x0"]) + (e["bottom"] - e["top"]) >= _TOLERANCE]
        if len(merged) > MAX_EDGES_PER_PAGE:
            raise self.error(
                "pdf-too-large",
                number,
                expected=f"at most {MAX_EDGES_PER_PAGE:,} ruling lines on a page",
                found=f"{len(merged):,} ruling lines",
            )
        horizontal = sum(1 for e in merged if e["orientation"] == "h")
        pairs = horizontal * (len(merged) - horizontal)
        self.pairs += pairs
        if pairs > MAX_RULING_PAIRS_PER_PAGE or self.pairs > MAX_RULING_PAIRS:
            raise self.error(
                "pdf-too-large",
                number,
                expected=f"at most {MAX_RULING_PAIRS_PER_PAGE:,} pairs of horizontal and vertical ruling lines "
                f"on a page and {MAX_RULING_PAIRS:,} in the document",
                found=f"{pairs:,} on page {number}, {self.pairs:,} up to it",
            )
        self.rules = _unframed(merged)
        self.open_ends = _close_open_ends(merged)
        crossings = edges_to_intersections(merged, _TOLERANCE, _TOLERANCE)
        self.crossings += len(crossings)
        if len(crossings) > MAX_CROSSINGS_PER_PAGE or self.crossings > MAX_CROSSINGS:
            raise self.error(
                "pdf-too-large",
                number,
                expected=f"at most {MAX_CROSSINGS_PER_PAGE:,} crossings of ruling lines on a page "
                f"and {MAX_CROSSINGS:,} in the document",
                found=f"{len(crossings):,} on page {number}, {self.crossings:,} up to it",
            )
        cells = intersections_to_cells(crossings)
        tables = []
        for group in cells_to_tables(cells):
            tables += _stacked(Table(None, group).rows)  # type: ignore[arg-type]
        return tables

    def _fill(self, tables: list[list[list[tuple | None]]], chars: list[_Char], number: int, out: _Page) -> list[_Char]:
        """Put each character into the table cell that holds its centre; add the tables' rows
        to ``out``; return the characters outside every table."""
        loose: list[_Char] = []
        bounds = []
        for rows in tables:
            boxes = [b for row in rows for b in row if b is not None]
            bounds.append(
                (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
            )
        contents: list[list[list[list[_Char]]]] = [[[[] for _ in row] for row in rows] for rows in tables]
        tops = [[next(b[1] for b in row if b is not None) for row in rows] for rows in tables]
        for ch in chars:
            cx, cy = (ch.x0 + ch.x1) / 2, (ch.top + ch.bottom) / 2
            for t, (x0, y0, x1, y1) in enumerate(bounds):
                inside = x0 <= cx <= x1 and y0 <= cy <= y1
                if inside and self._place_char(tables[t], tops[t], contents[t], ch, cx, cy):
                    break
            else:
                loose.append(ch)
        for t, rows in enumerate(tables):
            for r, row in enumerate(rows):
                texts = []
                for c, box in enumerate(row):
                    if box is None:
                        texts.append("")
                        continue
                    text = _join_wrapped([_line_text(line) for line in _cluster_lines(contents[t][r][c])])
                    if "\t" in text or len(text) > MAX_CELL_CHARS:
                        raise self.error(
                            "pdf-too-large",
                            number,
                            expected=f"a cell of at most {MAX_CELL_CHARS:,} characters",
                            found=text[:40],
                        )
                    texts.append(text)
                bottom = max(b[3] for b in row if b is not None)
                ends, starts = self.open_ends
                open_bottom = r == len(rows) - 1 and any(abs(bottom - y) <= _TOLERANCE for y in ends)
                open_top = r == 0 and any(abs(tops[t][r] - y) <= _TOLERANCE for y in starts)
                out.items.append(_Row(number, tops[t][r], texts, list(row), t, open_bottom, open_top))
        return loose

    @staticmethod
    def _place_char(rows, tops, contents, ch: _Char, cx: float, cy: float) -> bool:  # noqa: ANN001
        r = bisect.bisect_right(tops, cy) - 1
        # A cell merged over rows belongs to its first row: look up from the row at the centre,
        # a few rows at most (a header of three levels spans three), so each character costs
        # a bounded number of comparisons however many rows the table has.
        for i in range(max(r, 0), max(r - _MAX_ROWSPAN, -1), -1):
            for c, box in enumerate(rows[i]):
                if box is not None and box[0] <= cx <= box[2] and box[1] <= cy <= box[3]:
                    contents[i][c].append(ch)
                    return True
        return False


# Tables ruled with horizontal lines only (see _RulesOnly).
_GAP = 0.6  # of the text's height: the least gap between two cells' text (a word space is 0.25-0.3)
_STEP = 0.5  # points: the resolution at which the text of a table covers its width
_KEEP = 0.75  # share of a header's column gaps the rows below it leave open: what tells rows from prose
# Of a line's height: the most space between two lines of one cell, its leading (4.5 points at 9 in
# Chromium's print of the bundled page); between rows the cells' padding adds to it (7.5 points).
_LEADING = 0.6
_MAX_RULE_GROUPS = 20  # tables ruled with horizontal lines only, on a page
_MAX_HEADER_CELLS = 400  # header cells of such a table (their rows are found pairwise)


@dataclass
class _Piece:
    """Text of one cell on one line, or of a whole header cell (its wrapped lines)."""

    lines: list[str]
    x0: float
    top: float
    x1: float
    bottom: float
    first: int = 0  # the columns it spans
    last: int = 0
    row: int = 0


def _unframed(edges: list[dict]) -> list[dict]:
    """The horizontal ruling lines that are not the top or bottom of a frame: a box ruled around
    one cell (a framed note or heading, which pdfplumber finds no table in, so that it reads as
    running text, as the text form has it) has vertical sides that end where it does; a 三线表's
    rules have none.

    :param edges: the page's merged ruling lines (pdfplumber's edges)."""
    verticals = sorted((e for e in edges if e["orientation"] == "v"), key=lambda e: e["x0"])
    xs = [v["x0"] for v in verticals]

    def side(x: float, y: float) -> bool:
        lo = bisect.bisect_left(xs, x - _TOLERANCE)
        hi = bisect.bisect_right(xs, x + _TOLERANCE)
        return any(v["top"] - _TOLERANCE <= y <= v["bottom"] + _TOLERANCE for v in verticals[lo:hi])

    return [e for e in edges if e["orientation"] == "h" and not (side(e["x0"], e["top"]) and side(e["x1"], e["top"]))]


def _runs(chars: list[_Char], least: float) -> list[list[_Char]]:
    """The runs of characters on one line, parted by gaps of at least ``least`` points: the
    text of one cell on one line.  Left to right, each character goes on the run that ends
    just before it on its line (not by lines of the whole width: labels centred in their
    cells, at many heights, would chain lines of cells side by side into one).  The runs are
    kept by the height of their middle, in steps of half a line, so that each character is
    compared with the runs of three steps only (linear in the characters, after sorting)."""
    if not chars:
        return []
    step = max(sorted(c.height for c in chars)[len(chars) // 2], 1.0) / 2
    done: list[list[_Char]] = []
    current: dict[int, list[_Char]] = {}  # the last run at each step of height
    for ch in sorted(chars, key=lambda c: c.x0):
        middle = (ch.top + ch.bottom) / 2
        key = int(middle // step)
        for k in (key, key - 1, key + 1):
            run = current.get(k)
            if run is None:
                continue
            last = run[-1]
            # by middles: a flat glyph (一) may have a box of its own height, not the line's
            if ch.x0 - last.x1 < least and abs(2 * middle - last.top - last.bottom) < 0.8 * max(ch.height, last.height):
                run.append(ch)
                break
        else:
            if key in current:
                done.append(current[key])
            current[key] = [ch]
    done += current.values()
    return sorted(done, key=lambda r: (r[0].top, r[0].x0))


def _header_cells(chars: list[_Char], least: float, filename: str, page: int) -> list[_Piece]:
    """The cells of a table's header: its runs of text (see :func:`_runs`), a label wrapped
    over lines joined (a run close under another, centred or starting where it does: the gap
    between the lines of a cell is its leading, between rows also the cells' padding; 4.5
    against 7.5 points in Chromium's print of the bundled page at 9 points).

    :raises DocumentError: ``pdf-too-large`` for more than ``_MAX_HEADER_CELLS`` runs.
    """
    runs = _runs(chars, least)
    if len(runs) > _MAX_HEADER_CELLS:
        raise DocumentError(
            "pdf-too-large",
            filename,
            1,
            expected=f"a table header of at most {_MAX_HEADER_CELLS} labels",
            found=f"{len(runs)} labels",
            context=f"page {page}",
        )
    cells: list[_Piece] = []
    for run in sorted(runs, key=lambda r: min(c.top for c in r)):
        top, bottom = min(c.top for c in run), max(c.bottom for c in run)
        x0, x1 = run[0].x0, run[-1].x1
        size = bottom - top
        for cell in cells:
            centred = abs((cell.x0 + cell.x1) / 2 - (x0 + x1) / 2) <= size
            if 0 <= top - cell.bottom <= _LEADING * size and (centred or abs(cell.x0 - x0) <= size / 2):
                cell.lines.append(_line_text(run))
                cell.x0, cell.x1, cell.bottom = min(cell.x0, x0), max(cell.x1, x1), bottom
                break
        else:
            cells.append(_Piece([_line_text(run)], x0, top, x1, bottom))
    return cells


def _numeric(run: list[_Char]) -> bool:
    """Whether a run of text is a number (an amount, a code): what a header does not hold."""
    return any(c.text.isdigit() for c in run) and all(c.text.isdigit() or c.text in ",.-" for c in run)


def _leaves(cells: list[_Piece]) -> list[tuple[float, float]]:
    """The left and right ends of a header's lowest labels: those whose middle is in the lower
    half of the header, where a label over several columns is not (the label of a column the
    rows below leave empty is among them)."""
    if not cells:
        return []
    top, bottom = min(c.top for c in cells), max(c.bottom for c in cells)
    return sorted((c.x0, c.x1) for c in cells if c.top + c.bottom >= top + bottom - 0.5 * (c.bottom - c.top))


def _pitch(above: list[_Char], line: list[_Char]) -> float:
    """How far ``line`` is printed below ``above``, middle to middle (the characters' boxes
    differ in height from glyph to glyph; their middles keep to the line)."""
    return sum(c.top + c.bottom for c in line) / (2 * len(line)) - sum(c.top + c.bottom for c in above) / (
        2 * len(above)
    )


def _room(size: float, width: float) -> float:
    """How far short of a column's right end a wrapped line may stop: by a word that does not
    break ("95%，"), up to five characters, but a quarter of a narrow column at most."""
    return min(5 * size, width / 4)


def _figure(text: str) -> bool:
    """Whether a cell's text is a figure (an amount, a code): what no wrapped cell goes on with."""
    return any(ch.isdigit() for ch in text) and all(ch.isdigit() or ch in ",.-" for ch in text)


def _fills(cell: list[_Char], left: float, right: float, before_word: bool = False) -> bool:
    """Whether the last line of a cell fills its column, from ``left`` to ``right`` (room for the
    cell's padding, and for a word that does not break: any, after a Latin letter or digit in
    Chinese text, or ``before_word``, before one)."""
    if not cell:
        return False
    line = _cluster_lines(cell)[-1]
    size = max(c.height for c in line)
    # (a code or an amount alone is no wrapped text)
    word = (before_word or _is_word(line[-1].text)) and not all(_is_word(c.text) or c.text in ",.-" for c in line)
    room = right - left if word else _room(size, right - left)
    return line[0].x0 <= left + 2 * size and line[-1].x1 >= right - room


def _goes_on(above: list[_Char], line: list[_Char], sides: tuple[float, float], leading: float) -> bool:
    """Whether a line of a cell goes on with the line ``above`` it in its column, ``sides`` the
    left and right ends of the column's text, ``leading`` the usual distance between the lines
    of a cell (-1: unknown): close below a line that fills the column (a wrapped cell breaks
    its lines at the edge; a short figure aligned to one side does not fill it)."""
    size = max(ch.height for ch in line)
    close = leading >= 0 and _pitch(above, line) <= leading + 0.25 * size
    return close and _fills(above, sides[0] - size, sides[1], _is_word(line[0].text))


class _RulesOnly:
    """Tables ruled with horizontal lines only: a 三线表 (a rule above and below the table and
    one under its header), or a web page's table printed with each row's bottom border alone.
    pdfplumber finds no cell without vertical lines, so the columns come from the text: where no
    character of the rows below the header prints, across the rules' width, is a gap between
    columns (a cell's padding keeps the text of two cells apart).

    Rules of one width, one below the other, bound bands of text.  A band whose text leaves
    most of the column gaps of the band above open belongs to the same table (a title or a
    paragraph between two tables, centred or across the page, fills them).  The band under the
    first rule is the header: its cells (a label over several columns among them) go to rows by
    what stands above them, a label with nothing above it in the first row (a label spanning the
    header's rows, printed in their middle, too).  The rows below are each a band where rules
    part them; in a 三线表's single band, a line goes on the row above where each of its cells
    continues a wrapped cell (the line above it in that column, close above and reaching the
    column's right edge) or fills a column the row has empty (a cell centred in a tall row)."""

    def __init__(self, rules: list[dict], tables: list[list[list[tuple | None]]], page: _Page, filename: str) -> None:
        self.page = page
        self.filename = filename
        self.x0 = self.x1 = 0.0  # the ends of the rules of the table being read
        bounds = []
        for rows in tables:
            boxes = [b for row in rows for b in row if b is not None]
            bounds.append((min(b[1] for b in boxes), max(b[3] for b in boxes)))
        # lines of a ruled table are its own; a rule shorter than a few characters underlines
        self.rules = [
            r
            for r in rules
            if r["x1"] - r["x0"] >= 20 * _TOLERANCE
            and not any(top - _TOLERANCE <= r["top"] <= bottom + _TOLERANCE for top, bottom in bounds)
        ]
        self.tables = 0

    def read(self, chars: list[_Char]) -> list[_Char]:
        """Add the rows of the page's tables ruled with horizontal lines only to its items;
        return the characters outside them."""
        if len(self.rules) < 2 or not chars:
            return chars
        taken: set[int] = set()
        for group in self._groups()[:_MAX_RULE_GROUPS]:
            self._group(group, chars, taken)
        return [c for c in chars if id(c) not in taken]

    def _groups(self) -> list[list[dict]]:
        """The rules in groups of one extent (left and right ends within the tolerance), each
        top to bottom; groups of two rules or more."""
        groups: list[list[dict]] = []
        for rule in sorted(self.rules, key=lambda r: (round(r["x0"]), round(r["x1"]), r["top"])):
            g = groups[-1] if groups else None
            if g and abs(g[0]["x0"] - rule["x0"]) <= _TOLERANCE and abs(g[0]["x1"] - rule["x1"]) <= _TOLERANCE:
                if rule["top"] - g[-1]["top"] > _TOLERANCE:  # a thick rule drawn twice is one
                    g.append(rule)
            else:
                groups.append([rule])
        out = [sorted(g, key=lambda r: r["top"]) for g in groups if len(g) >= 2]
        return sorted(out, key=lambda g: g[0]["top"])

    def _cover(self, chars: list[_Char], x0: float, cover: bytearray | None = None) -> bytearray:
        """Which steps of the table's width the characters print on."""
        out = bytearray(cover) if cover is not None else bytearray(int((self.x1 - x0) / _STEP) + 2)
        for ch in chars:
            a = max(int((ch.x0 - x0) / _STEP), 0)
            b = min(int((ch.x1 - x0) / _STEP) + 1, len(out))
            out[a:b] = b"\x01" * (b - a)
        return out

    @staticmethod
    def _gaps(cover: bytearray, least: float) -> list[tuple[int, int]]:
        """The runs of steps no character covers, at least ``least`` points wide, between the
        first character and the last."""
        gaps = []
        start = -1
        seen = False
        for i, on in enumerate(cover):
            if on:
                if seen and start >= 0 and (i - start) * _STEP >= least:
                    gaps.append((start, i))
                seen, start = True, -1
            elif seen and start < 0:
                start = i
        return gaps

    def _edges(self, body: bytearray, x0: float, least: float, leaves: list[tuple[float, float]]) -> list[float]:
        """The columns' edges: the middle of each gap the rows leave; a header label in a gap
        (a column the rows leave empty, on this page) is a column of its own.

        :param leaves: the header's lowest labels (those with none below them), left to right.
        """
        covered = [i for i, on in enumerate(body) if on]
        if not covered:
            return [x0, self.x1]
        runs = [(covered[0], covered[0])]
        for i in covered[1:]:
            if i - runs[-1][1] > 1 and (i - runs[-1][1]) * _STEP >= least:
                runs.append((i, i))
            else:
                runs[-1] = (runs[-1][0], i)
        spans = [(x0 + a * _STEP, x0 + (b + 1) * _STEP) for a, b in runs]

        # A label over one column's text widens it (a label may be wider than the amounts
        # below it); a label over none heads the column of the text nearest to it (a centred
        # label may stand beside a column's left-aligned text), but of two labels nearest to
        # one column, the farther heads a column of its own, which the rows leave empty.
        def distance(label: tuple[float, float], span: tuple[float, float]) -> float:
            return max(span[0] - label[1], label[0] - span[1], 0.0)

        nearest: dict[int, tuple[float, float]] = {}
        filled = list(spans)
        for label in leaves:
            over = sum(1 for span in spans if distance(label, span) == 0.0)
            if over:
                if over == 1:
                    filled.append(label)
                continue
            k = self._headed(label, spans)
            if k is None:
                filled.append(label)
                continue
            held = nearest.get(k)
            if held is None or distance(label, spans[k]) < distance(held, spans[k]):
                nearest[k] = label
                label = held  # type: ignore[assignment]
            if label is not None:
                filled.append(label)
        for k, label in nearest.items():  # the column holds its label and its text
            filled.append((min(spans[k][0], label[0]), max(spans[k][1], label[1])))
        filled.sort()
        merged = [filled[0]]
        for a, b in filled[1:]:
            if a < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        return [x0] + [(merged[k][1] + merged[k + 1][0]) / 2 for k in range(len(merged) - 1)] + [self.x1]

    def _headed(self, label: tuple[float, float], spans: list[tuple[float, float]]) -> int | None:
        """The column of text (``spans``, left to right) a label beside them heads: the nearest
        that a column centred on the label holds without holding another, within the table."""
        centre = (label[0] + label[1]) / 2
        best: tuple[float, int] | None = None
        for k, (a, b) in enumerate(spans):
            half = max(centre - a, b - centre)
            left = spans[k - 1][1] if k else self.x0
            right = spans[k + 1][0] if k + 1 < len(spans) else self.x1
            if centre - half >= left - _TOLERANCE and centre + half <= right + _TOLERANCE:
                gap = max(a - label[1], label[0] - b, 0.0)
                if best is None or gap < best[0]:
                    best = (gap, k)
        return None if best is None else best[1]

    def _group(self, rules: list[dict], chars: list[_Char], taken: set[int]) -> None:
        x0 = self.x0 = min(r["x0"] for r in rules)
        self.x1 = max(r["x1"] for r in rules)
        ys = [r["top"] for r in rules]
        limit = (1 - _MARGIN) * self.page.height
        if limit > ys[-1] + _TOLERANCE:  # rows may go on under the last rule to the page's foot
            ys.append(limit)
        bands: list[list[_Char]] = [[] for _ in ys[:-1]]
        for ch in chars:
            cx, cy = (ch.x0 + ch.x1) / 2, (ch.top + ch.bottom) / 2
            if id(ch) in taken or not (x0 - _TOLERANCE <= cx <= self.x1 + _TOLERANCE and ys[0] < cy < ys[-1]):
                continue
            bands[bisect.bisect_right(ys, cy) - 1].append(ch)
        i = 0
        while i < len(bands):
            if not bands[i]:
                i += 1
                continue
            least = _GAP * max(c.height for c in bands[i])
            cover = self._cover(bands[i], x0)
            header = self._gaps(cover, least)
            j = i + 1
            while header and j < len(bands) and bands[j]:
                own = self._cover(bands[j], x0)
                if not self._gaps(own, least):  # one text across: a note or a paragraph
                    break
                both = self._cover(bands[j], x0, cover)
                kept = self._gaps(both, least)
                if sum(any(a < e and s < b for a, b in kept) for s, e in header) < _KEEP * len(header):
                    break
                cover = both
                j += 1
            if j - i < 2:
                i += 1
                continue
            # The header: the bands above the first with a number (a header row has its own
            # rule when each of its labels spans columns); the rows' text alone tells the columns.
            h = i
            while h < j and not any(_numeric(run) for run in _runs(bands[h], least)):
                h += 1
            cells = _header_cells([c for band in bands[i:h] for c in band], least, self.filename, self.page.number)
            # a header repeated among the rows does not tell the columns (its labels are centred)
            labels = "\x00".join(text for cell in cells for text in [*cell.lines, "".join(cell.lines)])
            body = bytearray(len(cover))
            for band in bands[h if h < j else i + 1 : j]:
                for line in _cluster_lines(band):
                    texts = [_line_text(run) for run in _runs(line, least)]
                    if not all(t in labels for t in texts):  # each a label, or a part of one
                        body = self._cover(line, x0, body)
            edges = self._edges(body, x0, least, _leaves(cells))
            foot = j == len(bands) and ys[-1] == limit  # no rule closes the table: it goes on
            self._rows(bands[h:j], ys[h : j + 1], edges, cells, j - i > 2, foot)
            for band in bands[i:j]:
                taken.update(id(c) for c in band)
            i = j

    def _rows(
        self,
        bands: list[list[_Char]],
        ys: list[float],
        edges: list[float],
        header: list[_Piece],
        ruled: bool,
        foot: bool,
    ) -> None:
        """Add the table's rows to the page: its header's, then one per band of ``bands`` (between
        ``ys``) where ``ruled`` (a rule under each row), else those :meth:`_body` finds."""
        table = 1000 + self.tables  # apart from the ruled tables of the page
        self.tables += 1
        number = self.page.number
        width = len(edges) - 1
        for labels, places, top in self._header(header, edges) if header else []:
            self.page.items.append(_Row(number, top, labels, places, table))
        for band, top, bottom in zip(bands, ys, ys[1:], strict=False):
            for row in [[band]] if ruled else self._body(band, edges):
                row_chars = [c for part in row for c in part]
                cells: list[list[_Char]] = [[] for _ in range(width)]
                # a word whole in the column it starts in: a label over columns (a header
                # repeated among the rows) is one cell, in its first column, as a merged cell is
                for run in _runs(row_chars, 0.3 * max(c.height for c in row_chars)):
                    cells[self._column((run[0].x0 + run[0].x1) / 2, edges)] += run
                y0 = top if ruled else min(c.top for c in row_chars)
                y1 = bottom if ruled else max(c.bottom for c in row_chars)
                texts = [_join_wrapped([_line_text(ln) for ln in _cluster_lines(cell)]) for cell in cells]
                boxes: list[tuple[float, float, float, float] | None] = [
                    (edges[c], y0, edges[c + 1], y1) for c in range(width)
                ]
                full = tuple(_fills(cell, edges[c], edges[c + 1]) for c, cell in enumerate(cells))
                self.page.items.append(_Row(number, y0, texts, boxes, table, full=full))
        rows = [i for i in self.page.items if isinstance(i, _Row) and i.table == table]
        if foot and rows and any(rows[-1].full):
            rows[-1].open_bottom = True  # it may go on on the next page (see _rejoin)

    @staticmethod
    def _column(x: float, edges: list[float]) -> int:
        return min(max(bisect.bisect_right(edges, x) - 1, 0), len(edges) - 2)

    def _header(self, cells: list[_Piece], edges: list[float]) -> list[tuple[list[str], list, float]]:
        """The header's rows: each cell in the first column it spans, in the first row it spans.

        :param cells: the header's cells (see :func:`_header_cells`).
        """
        for cell in cells:
            cell.first = self._column(cell.x0 + _TOLERANCE, edges)
            cell.last = max(cell.first, self._column(cell.x1 - _TOLERANCE, edges))
        # The header's rows are where cells stand one above another (over the columns they
        # span), at their middles (cells are centred in their rows); any other cell is in the
        # last row whose middle is at or above its own (a label spanning rows is printed in
        # their middle).
        stacked: set[int] = set()
        for k, cell in enumerate(cells):
            for h, above in enumerate(cells[:k]):
                if above.bottom <= cell.top + _TOLERANCE and above.first <= cell.last and cell.first <= above.last:
                    stacked.update((h, k))
        size = min(c.bottom - c.top for c in cells) if cells else 0.0  # a line's height
        levels: list[float] = []
        for middle in sorted((cells[k].top + cells[k].bottom) / 2 for k in stacked):
            if not levels or middle - levels[-1] > 0.5 * size:
                levels.append(middle)
        for cell in cells:
            middle = (cell.top + cell.bottom) / 2
            cell.row = max(bisect.bisect_right(levels, middle + 0.25 * size) - 1, 0)
        out = []
        for r in range(max((c.row for c in cells), default=-1) + 1):
            texts = [""] * (len(edges) - 1)
            boxes: list[tuple[float, float, float, float] | None] = [None] * (len(edges) - 1)
            mine = [c for c in cells if c.row == r]
            for cell in mine:
                texts[cell.first] = _join_wrapped(cell.lines)
                boxes[cell.first] = (cell.x0, cell.top, cell.x1, cell.bottom)
            out.append((texts, boxes, min(c.top for c in mine)))
        return out

    def _body(self, chars: list[_Char], edges: list[float]) -> list[list[list[_Char]]]:
        """The rows of a band of rows without rules between them, each as its lines' characters."""
        columns: list[list[_Char]] = [[] for _ in edges[:-1]]
        for ch in chars:
            columns[self._column((ch.x0 + ch.x1) / 2, edges)].append(ch)
        lines: list[tuple[int, list[_Char]]] = []
        right: list[tuple[float, float]] = []  # each column's text's left and right ends
        for c, column in enumerate(columns):
            found = _cluster_lines(column)
            lines += [(c, ln) for ln in found]
            right.append((min((ln[0].x0 for ln in found), default=0.0), max((ln[-1].x1 for ln in found), default=0.0)))
        lines.sort(key=lambda item: min(ch.top for ch in item[1]))
        groups: list[list[tuple[int, list[_Char]]]] = []  # the lines of one height across the columns
        k = 0
        while k < len(lines):
            top = min(ch.top for ch in lines[k][1])
            bottom = max(ch.bottom for ch in lines[k][1])
            groups.append([lines[k]])
            k += 1
            while k < len(lines) and min(ch.top for ch in lines[k][1]) < bottom - 0.4 * (bottom - top):
                groups[-1].append(lines[k])
                bottom = max(bottom, max(ch.bottom for ch in lines[k][1]))
                k += 1
        # How far apart the lines of a wrapped cell are printed (a line alone across the columns:
        # the least common distance to the line above it in its column, to half a point), and
        # rows (a line across three columns or more): 13 against 17 points in Chromium's print
        # of the bundled page, where the cells' padding parts rows.  Without a gap of a wrapped
        # cell clearly smaller than the rows', no line goes on the row above but to fill it.
        cell_gaps: Counter[float] = Counter()  # below a line that fills its column
        row_gaps: list[float] = []  # below a line that does not
        above: dict[int, list[_Char]] = {}
        for group in groups:
            for c, line in group:
                if c in above and not _figure("".join(ch.text for ch in above[c])):  # figures do not wrap
                    gap = _pitch(above[c], line)
                    if _fills(above[c], *right[c]):
                        cell_gaps[round(gap * 2) / 2] += 1
                    else:
                        row_gaps.append(gap)
                above[c] = line
        common = max(1, sum(cell_gaps.values()) // 20)
        leading = min((g for g, n in cell_gaps.items() if n >= common and g >= 0), default=-1.0)
        if not row_gaps or leading > sorted(row_gaps)[len(row_gaps) // 2] - 1.0:
            leading = -1.0
        rows: list[list[list[_Char]]] = []
        last: dict[int, list[_Char]] = {}  # the last line of each column in the row being read
        previous: list[_Char] = []  # the row's last line, in any column
        for group in groups:
            # A cell the row has empty is filled only by a line within the row's lines (a cell
            # centred in a tall row), not by the first line of the next row's tallest cell.
            line = group[0][1]
            size = max(ch.height for ch in line)
            near = bool(previous) and (
                _pitch(previous, line) <= leading + 0.25 * size
                if leading >= 0
                else min(ch.top for ch in line) < max(ch.bottom for ch in previous)
            )
            if rows and all(_goes_on(last[c], ln, right[c], leading) if c in last else near for c, ln in group):
                rows[-1] += [line for _, line in group]
            else:
                rows.append([line for _, line in group])
                last = {}
            last.update({c: line for c, line in group})
            previous = max((ln for _, ln in group), key=lambda ln: max(ch.bottom for ch in ln))
        return rows


def _bands(edges: list[dict]) -> list[list[dict]]:
    """The ruling lines in bands, top to bottom: a line that begins more than the tolerance
    below every line above it begins a new band.

    :param edges: pdfplumber's edges of one page.
    """
    bands: list[list[dict]] = []
    bottom = 0.0
    for e in sorted(edges, key=lambda e: e["top"]):
        if bands and e["top"] <= bottom + _TOLERANCE:
            bands[-1].append(e)
            bottom = max(bottom, e["bottom"])
        else:
            bands.append([e])
            bottom = e["bottom"]
    return bands


def _close_open_ends(edges: list[dict]) -> tuple[list[float], list[float]]:
    """Close the rows a page break leaves open: where a row is too tall for its page, the page
    ends it with its column lines but no bottom ruling, and the next page goes on with it with
    no top ruling (unless the header is repeated above it); no cell would be found for either.
    Vertical lines that end below (begin above) every horizontal one they cross, or cross none,
    at one height, get a horizontal line there.

    :param edges: the page's merged ruling lines (pdfplumber's edges), extended in place.
    :returns: the heights where rows were closed at their foot, and at their head.
    """
    horizontals = [e for e in edges if e["orientation"] == "h"]
    ends: dict[float, list[dict]] = {}
    starts: dict[float, list[dict]] = {}
    for v in edges:
        if v["orientation"] != "v":
            continue
        crossed = [h["top"] for h in horizontals if h["x0"] - _TOLERANCE <= v["x0"] <= h["x1"] + _TOLERANCE]
        crossed = [y for y in crossed if v["top"] - _TOLERANCE <= y <= v["bottom"] + _TOLERANCE]
        # a line crossing none runs through a page that holds only the middle of a row
        if not crossed or v["bottom"] > max(crossed) + _TOLERANCE:
            ends.setdefault(round(v["bottom"] / _TOLERANCE), []).append(v)
        if not crossed or v["top"] < min(crossed) - _TOLERANCE:
            starts.setdefault(round(v["top"] / _TOLERANCE), []).append(v)
    closed: tuple[list[float], list[float]] = ([], [])
    for side, (groups, pick) in enumerate(((ends, max), (starts, min))):
        for group in groups.values():
            if len(group) >= 2:  # a table's column lines, not a stray stroke
                y = pick(v["bottom"] if side == 0 else v["top"] for v in group)
                edges.append(_edge("h", min(v["x0"] for v in group), max(v["x0"] for v in group), y, y))
                closed[side].append(y)
    return closed


def _rejoin(pages: list[_Page]) -> None:
    """Join each row a page break cut (see :func:`_close_open_ends`) with its rest on the next
    page: the first row of its first table after the header rows it repeats, or, with no header
    repeated, a first row open at its head (a first row with its own top ruling starts a table
    of its own). Cell by cell, as a wrapped cell is joined; the rest is removed from its page.
    A row cut again goes on to the next."""
    carry: _Row | None = None
    head: list[_Row] = []  # the rows of the cut row's table on its page
    for page in pages:
        rows = [i for i in page.items if isinstance(i, _Row) and i.table != -1]
        if carry is not None and rows:
            table = [r for r in rows if r.table == rows[0].table]
            k = 0
            while k < min(len(table), len(head)) - 1 and table[k].cells == head[k].cells:
                k += 1
            rest = table[k]
            # a row of a table ruled with horizontal lines only goes on where its cells filled
            # their columns, or into cells it left empty
            goes_on = not carry.full or all(
                not text or not before or (full and not _figure(text))
                for text, before, full in zip(rest.cells, carry.cells, carry.full, strict=False)
            )
            if (k or rest.open_top) and len(rest.cells) == len(carry.cells) and goes_on:
                carry.cells = [_join_wrapped([a, b]) for a, b in zip(carry.cells, rest.cells, strict=True)]
                page.items.remove(rest)
                if rest is rows[-1] and rest.open_bottom:
                    continue  # cut again: it goes on on the next page
        carry = None
        rows = [i for i in page.items if isinstance(i, _Row) and i.table != -1]
        if rows and rows[-1].open_bottom:
            carry = rows[-1]
            head = [r for r in rows if r.table == carry.table]


def _stacked(rows: list) -> list[list[list[tuple | None]]]:  # noqa: ANN001 (pdfplumber rows)
    """The tables of one ruled grid: pdfplumber gives tables printed one right below the other
    (touching, each with its own column widths) as one, whose columns are those of all of them.
    A row whose column lines cross those above it starts a new table: a line of the row inside
    a cell of the row above, and a line of the rows above inside a cell of the row (a merged
    header cell holds lines of the rows below it, but its own lines are theirs too).  Each
    table keeps only its own columns.

    :param rows: pdfplumber's rows of one table, top to bottom, a cell box or None per column.
    """

    def inside(lines: list[float], cells: list[tuple]) -> bool:
        for cell in cells:
            i = bisect.bisect_right(lines, cell[0] + 0.5)
            if i < len(lines) and lines[i] < cell[2] - 0.5:
                return True
        return False

    bands: list[tuple[list[float], list[list[tuple]]]] = []
    for row in rows:
        cells = [c for c in row.cells if c is not None]
        lines = sorted({c[0] for c in cells} | {c[2] for c in cells})
        if bands and not (inside(lines, bands[-1][1][-1]) and inside(bands[-1][0], cells)):
            bands[-1][0][:] = sorted(set(bands[-1][0]) | set(lines))
            bands[-1][1].append(cells)
        else:
            bands.append((lines, [cells]))
    tables = []
    for _, band in bands:
        starts = sorted({c[0] for cells in band for c in cells})
        by_start = [{c[0]: c for c in cells} for cells in band]
        tables.append([[row.get(x) for x in starts] for row in by_start])
    return tables


def _bold(textpage, raw, index: int) -> bool:  # noqa: ANN001 (PDFium handles)
    """Whether character ``index`` is set in a bold font: by its weight, or by its font's name
    (an embedded font often declares weight 400 whatever its face)."""
    if raw.FPDFText_GetFontWeight(textpage.raw, index) >= 600:
        return True
    name = ctypes.create_string_buffer(128)
    raw.FPDFText_GetFontInfo(textpage.raw, index, name, len(name), None)
    return any(w in name.value for w in (b"Bold", b"bold", b"Heavy", b"Black"))


def _objects(page, raw, kind: int) -> Iterator:  # noqa: ANN001 (PDFium handles)
    """The page's objects of type ``kind``, and those inside its form objects (two levels)."""
    stack = [(page, raw.FPDFPage_CountObjects, raw.FPDFPage_GetObject, 0)]
    while stack:
        parent, count, get, depth = stack.pop()
        for i in range(count(parent)):
            obj = get(parent, i)
            kind_of = raw.FPDFPageObj_GetType(obj)
            if kind_of == kind:
                yield obj
            elif kind_of == raw.FPDF_PAGEOBJ_FORM and depth < 2:
                stack.append((obj, raw.FPDFFormObj_CountObjects, raw.FPDFFormObj_GetObject, depth + 1))


def _edge(orientation: str, x0: float, x1: float, top: float, bottom: float) -> dict:
    return {
        "orientation": orientation,
        "object_type": "line",
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "width": x1 - x0,
        "height": bottom - top,
        "doctop": top,
    }


def _open(data: bytes, filename: str):  # noqa: ANN202 (a pypdfium2 PdfDocument)
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if e.err_code == raw.FPDF_ERR_PASSWORD:
            raise DocumentError(
                "pdf-encrypted",
                filename,
                1,
                expected="a PDF that opens without a password",
                found="an encrypted, password-protected PDF",
                context="page 1",
            ) from None
        raise DocumentError(
            "damaged-file", filename, 1, expected="a readable PDF", found=f"a damaged PDF ({e})", context="page 1"
        ) from None


def _running(pages: list[_Page], quirks: list[str], filename: str) -> set[int]:
    """The ids of the text lines that are page numbers or running headers and footers."""
    marks: dict[str, list[_TextLine | _Row]] = {}
    for page in pages:
        for item in page.items:
            # A browser's own header and footer (date and title; address and "5/63") print as
            # pieces far apart on one line: a row of loose text (table -1), not a text line.
            if isinstance(item, _Row) and item.table != -1:
                continue
            text = item.text if isinstance(item, _TextLine) else "\t".join(item.cells)
            bottom = item.bottom if isinstance(item, _TextLine) else max(b[3] for b in item.boxes if b is not None)
            if item.top < _MARGIN * page.height or bottom > (1 - _MARGIN) * page.height:
                # each run of digits one mark: page 5 and page 12 of 63 have one shape
                shape = "".join(
                    "" if ch.isdigit() and i and text[i - 1].isdigit() else "#" if ch.isdigit() else ch
                    for i, ch in enumerate(text)
                    if ch != " "
                )
                marks.setdefault(shape, []).append(item)
    dropped: set[int] = set()
    for shape, items in marks.items():
        number = shape.strip("第页共-—/PpageofOF.()（）#") == "" and "#" in shape
        if number or len(items) >= max(3, len(pages) // 2):
            dropped.update(id(i) for i in items)
            what = "page numbers" if number else "a running header or footer"
            first = items[0]
            shown = first.text if isinstance(first, _TextLine) else " ".join(first.cells)
            quirks.append(
                f'{filename}: {what} "{shown}" dropped on {len(items)} page(s) (pages {items[0].page}–{items[-1].page})'
            )
    return dropped


def _lines(pages: list[_Page], quirks: list[str], filename: str) -> list[Line]:
    """The grid lines of the pages' items: rows as they are, text lines joined into paragraphs."""
    dropped = _running(pages, quirks, filename)
    sizes: Counter[float] = Counter()
    for page in pages:
        for item in page.items:
            if isinstance(item, _TextLine) and id(item) not in dropped:
                sizes[item.size] += len(item.text)
    body = sizes.most_common(1)[0][0] if sizes else 0.0
    larger = sorted((s for s in sizes if s > body * 1.08), reverse=True)
    levels = {s: min(i + 1, 6) for i, s in enumerate(larger)}

    # The gap between two lines of a paragraph, for each font size: the smallest gap (to half a
    # point) that is common, since short paragraphs make the gap between paragraphs common too.
    # A paragraph ends at a gap clearly larger, whatever line spacing the document uses.
    gaps: dict[float, Counter[float]] = {}
    for page in pages:
        lines = [i for i in page.items if isinstance(i, _TextLine) and id(i) not in dropped]
        for a, b in zip(lines, lines[1:], strict=False):
            if a.size == b.size and b.top > a.top:
                gaps.setdefault(a.size, Counter())[round((b.top - a.bottom) * 2) / 2] += 1
    leading: dict[float, float] = {}
    for size, counts in gaps.items():
        common = max(3, sum(counts.values()) // 20)
        leading[size] = min((g for g, n in counts.items() if n >= common), default=min(counts))

    texts: list[tuple[str, tuple[Place | None, ...]]] = []
    paragraph: list[_TextLine] = []

    def close_paragraph() -> None:
        if not paragraph:
            return
        first = paragraph[0]
        text = _join_wrapped([ln.text for ln in paragraph])
        level = levels.get(first.size)
        if level is None and first.bold and len(paragraph) == 1:
            level = min(len(levels) + 1, 6)  # a line of its own in bold: a heading of the body's size
        if level:
            text = "#" * level + " " + text
        on_first = [ln for ln in paragraph if ln.page == first.page]
        box = _box(
            min(ln.x0 for ln in on_first),
            on_first[0].top,
            max(ln.x1 for ln in on_first),
            on_first[-1].bottom,
        )
        texts.append((text, (Place(page=first.page, box=box),)))
        texts.append(("", ()))
        paragraph.clear()

    # The right margin of the text on pages of each width: a paragraph goes on to the next page
    # only from a line that reaches it (a page's own lines may all be short).
    widest: dict[float, float] = {}
    for page in pages:
        for item in page.items:
            if isinstance(item, _TextLine) and id(item) not in dropped:
                widest[page.width] = max(widest.get(page.width, 0.0), item.x1)
    heights = {page.number: page.height for page in pages}
    previous: _TextLine | _Row | None = None
    for page in pages:
        lines = [i for i in page.items if isinstance(i, _TextLine) and id(i) not in dropped]
        left = min((ln.x0 for ln in lines), default=0.0)
        right = widest.get(page.width, page.width)
        if lines and lines[0] is next((i for i in page.items if id(i) not in dropped), None) and paragraph:
            # the first item of a page: the paragraph before continues only from the foot of
            # its page, and from a line as wide as the text of such pages
            last = paragraph[-1]
            if last.bottom < 0.8 * heights[last.page] or last.x1 < widest.get(page.width, right) - 3 * last.size:
                close_paragraph()
        for item in page.items:
            if isinstance(item, _TextLine):
                if id(item) in dropped:
                    continue
                if not (
                    isinstance(previous, _TextLine)
                    and paragraph
                    and _continues(paragraph[-1], item, left, right, leading)
                ):
                    close_paragraph()
                paragraph.append(item)
            else:
                if id(item) in dropped:
                    continue
                close_paragraph()
                if isinstance(previous, _Row) and (previous.page, previous.table) != (item.page, item.table):
                    texts.append(("", ()))
                places = tuple(None if b is None else Place(page=item.page, box=_box(*b)) for b in item.boxes)
                texts.append(("\t".join(item.cells), places))
            previous = item
    close_paragraph()
    return [Line(no, text, places) for no, (text, places) in enumerate(texts, 1)]


def _continues(a: _TextLine, b: _TextLine, left: float, right: float, leading: dict[float, float]) -> bool:
    """Whether text line ``b`` goes on with the paragraph whose last line is ``a``; ``left``
    and ``right`` are the margins of the text, ``leading`` the usual gap between the lines of a
    paragraph for each font size."""
    size = max(a.size, b.size, 1.0)
    if abs(a.size - b.size) > 0.5 or a.bold != b.bold:
        return False
    # A line that stops short of the margin ends its paragraph; Chinese line breaking may leave
    # up to two characters' room (a closing bracket does not start a line), so 3 em is short.
    if a.x1 < right - 3 * size:
        return False
    if b.x0 > left + 0.5 * size:  # an indented line starts a paragraph
        return False
    if a.page == b.page:
        return b.top - a.bottom <= leading.get(a.size, 0.0) + 0.25 * (a.bottom - a.top)
    return True


def read_pdf(data: bytes, filename: str) -> Grid:
    """The lines of a PDF disclosure: paragraphs and headings of its running text, and one line
    per row of its ruled tables, each cell with its page and box.

    :raises DocumentError: ``pdf-encrypted`` for a PDF that needs a password, ``damaged-file``
        for one PDFium cannot parse, ``pdf-no-text`` for a PDF with no text layer (a scan),
        ``pdf-too-large`` for more than ``MAX_PAGES`` pages or a page beyond its bounds.
    """
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    reader = _Reader(filename)
    if len(data) > MAX_BYTES:
        raise reader.error(
            "pdf-too-large", 1, expected=f"a PDF of at most {MAX_BYTES >> 20} MiB", found=f"{len(data) >> 20} MiB"
        )
    pdf = _open(data, filename)
    try:
        count = len(pdf)
        if count > MAX_PAGES:
            raise reader.error(
                "pdf-too-large", 1, expected=f"a PDF of at most {MAX_PAGES:,} pages", found=f"{count:,} pages"
            )
        pages: list[_Page] = []
        images = []
        for number in range(1, count + 1):
            if number % _REOPEN_EVERY == 0:
                # PDFium keeps every font and image it loaded until the document is closed; a
                # file with a font of its own on every page would grow without bound.
                pdf.close()
                pdf = _open(data, filename)
            page, page_images = reader.page(pdf, number)
            pages.append(page)
            images.append(page_images)
    finally:
        pdf.close()
    if not any(page.items for page in pages):
        raise reader.error(
            "pdf-no-text",
            1,
            expected="a PDF with a text layer",
            found=f"no text layer: this PDF is an image; OCR is not supported ({count} pages, {sum(images)} images)",
        )
    for page, n in zip(pages, images, strict=True):
        if not page.items:
            reader.quirks.append(f"{filename}: page {page.number} has no text ({n} images); nothing read from it")
    _rejoin(pages)
    return Grid("pdf", _lines(pages, reader.quirks, filename), reader.quirks)
