"""The web-page front end: a disclosure published as an HTML page, read into the grid model.

lxml.html parses the page: libxml2's HTML parser is forgiving the way browsers are (unclosed
``<p>`` and ``<td>``, stray tags), fast, and reads no DTD, entity or URL (``no_network``; the
HTML parser knows only HTML's own named entities, so no entity expands into more text).
html5lib would follow the browsers' algorithm to the letter, but in pure Python at about a
tenth of the speed; the pages bureaus publish are simple tables and paragraphs, which both
parse alike.

Headings ``h1``–``h6`` become Markdown headings (``## 一、主要职责``), paragraphs and ``div``
text lines, list items ``- item`` lines (the text form's table of contents), and each
``<table>`` its rows, a cell spanning columns or rows (colspan, rowspan) written once, in its
top-left position, with empty cells for the rest.  Each table cell's place is the table's
position in the page, its row and its column, all 1-based.  Scripts, styles and navigation are
not read.  White space is collapsed as a browser shows it, and a line break of the source
between two Chinese characters, where a browser of Chinese pages shows none, joins them.
"""

from __future__ import annotations

from lxml import etree
from lxml import html as lxml_html

from ..errors import DocumentError
from ..records import Place
from .decode import decode
from .grid import Grid
from .lines import MAX_CELLS, LineBuilder

__all__ = [
    "read_html",
    "page_encoding",
    "MAX_HTML_BYTES",
    "MAX_TABLE_ROWS",
    "MAX_TABLE_COLUMNS",
    "MAX_ELEMENTS",
    "MAX_DEPTH",
]

# The bundled document as a page is 0.3 MiB; a department with a hundred units a few MiB.
MAX_HTML_BYTES = 16 * 2**20
# Rows of one table after rowspans are expanded, and its columns after colspans: a rowspan or
# colspan cannot make a small page into a large grid.
MAX_TABLE_ROWS = 100_000
MAX_TABLE_COLUMNS = 256
# Elements of the page: the bundled document's has about 12,000; a page at the bound of table
# cells (lines.MAX_CELLS) has some 300,000.  Each costs some 250 bytes of tree.
MAX_ELEMENTS = 500_000
# Elements inside each other: a page's table cell is some 10 deep; browsers and libxml2 stop at
# 256 (Chromium 512).
MAX_DEPTH = 255
_FEED_CHARS = 1 << 16
# The charset a page declares, as the HTML standard looks for it: in its first 1,024 bytes.
_PRESCAN_BYTES = 1024
# GB2312 and GBK pages are GB18030 (a superset: pages declared gb2312 often hold GBK characters).
_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "euc-cn", "cp936", "gb_2312-80"}
_UTF8 = {"utf-8", "utf8"}
_SKIPPED = {"script", "style", "nav", "noscript", "template", "head", "iframe", "object", "svg", "select", "button"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Elements that start and end a line of text (a block); the rest are inline.
_BLOCKS = {
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "section", "article", "header", "footer", "main", "aside",
    "blockquote", "pre", "address", "figure", "figcaption", "hr", "body", "html", "form", "fieldset", "center",
    *_HEADINGS,
}  # fmt: skip
_SPACES = " \t\n\r\f"


def _declared_charset(head: bytes) -> str | None:
    """The charset a page's first bytes declare in ``<meta charset>`` or ``<meta http-equiv>``."""
    try:
        root = lxml_html.fromstring(head.decode("ascii", "replace"))
    except (etree.ParserError, ValueError):
        return None
    for meta in root.iter("meta"):
        charset = meta.get("charset")
        if charset:
            return charset.strip().lower()
        if (meta.get("http-equiv") or "").strip().lower() == "content-type":
            content = (meta.get("content") or "").lower()
            at = content.find("charset=")
            if at >= 0:
                return content[at + len("charset=") :].split(";")[0].strip(" \"'")
    return None


def page_encoding(data: bytes, filename: str) -> str:
    """The encoding of a page: its byte-order mark, else the charset it declares, else UTF-8 or
    GB18030, whichever decodes it (as for text).

    :raises DocumentError: ``bad-encoding`` for a declared charset other than UTF-8 or the GB family.

    >>> page_encoding(b'<meta charset="GB2312"><p>x', "a.html"), page_encoding(b"\\xef\\xbb\\xbf<p>", "a.html")
    ('gb18030', 'utf-8-sig')
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    declared = _declared_charset(data[:_PRESCAN_BYTES])
    if declared is None:
        return ""
    if declared in _GB:
        return "gb18030"
    if declared in _UTF8:
        return "utf-8"
    raise DocumentError(
        "bad-encoding",
        filename,
        1,
        expected="a page in UTF-8 or GB18030 (gb2312, gbk)",
        found=f"a page declaring charset {declared[:40]}",
    )


def _decoded(data: bytes, filename: str) -> str:
    encoding = page_encoding(data, filename)
    if not encoding:
        return decode(data, filename)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DocumentError(
            "bad-encoding",
            filename,
            data.count(b"\n", 0, exc.start) + 1,
            expected=f"a page in the charset it declares ({encoding})",
            found=f"byte 0x{data[exc.start]:02x} at byte offset {exc.start}",
        ) from None


def collapse(text: str) -> str:
    """White space as a browser shows it: each run one space, and none where a run holding a line
    break stands between two non-ASCII characters (a source line wrapped inside Chinese text).
    Linear: one pass.

    >>> collapse("  广州市\\n  人力资源  和 social\\n security ")
    ' 广州市人力资源 和 social security '
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] not in _SPACES:
            j = i
            while j < n and text[j] not in _SPACES:
                j += 1
            out.append(text[i:j])
            i = j
            continue
        j = i
        while j < n and text[j] in _SPACES:
            j += 1
        before = out[-1][-1:] if out else ""
        after = text[j : j + 1]
        breaks = "\n" in text[i:j] or "\r" in text[i:j]
        if not (breaks and before and after and not before.isascii() and not after.isascii()):
            out.append(" ")
        i = j
    return "".join(out).replace("\xa0", " ")


def _broken(pieces: list[str | None]) -> list[str]:
    """The lines of a run of text pieces, broken where a piece is None (a ``<br>``)."""
    lines: list[list[str]] = [[]]
    for piece in pieces:
        if piece is None:
            lines.append([])
        else:
            lines[-1].append(piece)
    return ["".join(line) for line in lines]


def _span(cell, name: str, bound: int) -> int:
    """A cell's colspan or rowspan: 1 when absent or not a number; 0 (to the end) is taken as the bound."""
    raw = (cell.get(name) or "1").strip()
    digits = raw[: len(raw) - len(raw.lstrip("0123456789"))] if raw[:1].isdigit() else ""
    value = int(digits[:6]) if digits else 1
    return bound if value == 0 else max(1, min(value, bound))


class _Page:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.out = LineBuilder(filename, "html")
        self.buffer: list[str | None] = []  # the text of the paragraph being read; None: a <br>
        self.tables = 0
        self.cells = 0

    def flush(self, heading: int = 0, prefix: str = "") -> None:
        """The text gathered since the last block ends a paragraph; a ``<br>`` ends a line of it."""
        for piece in _broken(self.buffer):
            text = collapse(piece).strip(" ")
            if text:
                self.out.paragraph(prefix + text, None, heading)
        self.buffer = []

    def walk(self, root) -> None:
        # iterwalk, not recursion: a page may nest elements thousands deep.
        walker = etree.iterwalk(root, events=("start", "end"))
        headings: list[int] = []
        for event, element in walker:
            tag = element.tag if isinstance(element.tag, str) else ""  # comments, processing instructions
            tag = tag.lower()
            if event == "start":
                # A skipped element still has its end event, where its tail is read.
                if not tag or tag in _SKIPPED:
                    walker.skip_subtree()
                    continue
                if tag == "table":
                    self.flush()
                    self.table(element)
                    walker.skip_subtree()
                    continue
                if tag in _BLOCKS:
                    self.flush()
                    if tag in _HEADINGS:
                        headings.append(_HEADINGS[tag])
                elif tag == "br":
                    self.buffer.append(None)
                self.buffer.append(element.text or "")
            else:
                if tag in _BLOCKS:
                    level = headings.pop() if tag in _HEADINGS and headings else 0
                    self.flush(level, "- " if tag == "li" and not level else "")
                self._tail(element)
        self.flush()

    def _tail(self, element) -> None:
        self.buffer.append(element.tail or "")

    def table(self, table) -> None:
        """The rows of a table, spans expanded; a caption is a paragraph before them."""
        self.tables += 1
        number = self.tables
        for caption in table.findall("caption"):
            self.out.paragraph(collapse(_cell_text(caption)).strip(" "), None)
        rows = table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")
        if len(rows) > MAX_TABLE_ROWS:
            raise self._too_large(number, f"at most {MAX_TABLE_ROWS:,} rows in a table", f"{len(rows):,} rows")
        below: dict[tuple[int, int], bool] = {}  # (row, column) covered by a rowspan from above
        for r, row in enumerate(rows):
            cells: list[tuple[str, Place | None]] = []
            column = 0
            for cell in row:
                if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
                    continue
                while below.pop((r, column), False):
                    cells.append(("", Place(table=number, row=r + 1, column=column + 1)))
                    column += 1
                colspan = _span(cell, "colspan", MAX_TABLE_COLUMNS)
                rowspan = _span(cell, "rowspan", len(rows) - r)
                if column + colspan > MAX_TABLE_COLUMNS:
                    raise self._too_large(
                        number, f"at most {MAX_TABLE_COLUMNS} columns in a table", f"row {r + 1} wider"
                    )
                cells.append((_cell_text(cell), Place(table=number, row=r + 1, column=column + 1)))
                cells += [("", Place(table=number, row=r + 1, column=column + k + 1)) for k in range(1, colspan)]
                for down in range(1, rowspan):
                    for k in range(colspan):
                        below[(r + down, column + k)] = True
                # counted before they are made: one cell may span 256 columns and 100,000 rows
                self.cells += colspan * rowspan
                if self.cells > MAX_CELLS:
                    raise self._too_large(
                        number, f"at most {MAX_CELLS:,} table cells in the page, spans expanded", f"row {r + 1} beyond"
                    )
                column += colspan
            while below.pop((r, column), False):
                cells.append(("", Place(table=number, row=r + 1, column=column + 1)))
                column += 1
            self.out.row(cells)
        self.out.blank()

    def _too_large(self, table: int, expected: str, found: str) -> DocumentError:
        line = len(self.out.lines) + 1
        return DocumentError("too-large", self.filename, line, expected=expected, found=found, context=f"table {table}")


def _cell_text(cell) -> str:
    """A cell's text, white space collapsed; a ``<br>`` (a line wrapped by hand) joins the Chinese
    on either side without a space, and script or style inside it is left out."""
    parts: list[str | None] = []  # None: a <br> or a block inside the cell
    walker = etree.iterwalk(cell, events=("start", "end"))
    for event, element in walker:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            if element is not cell and (not tag or tag in _SKIPPED):
                walker.skip_subtree()  # its tail is read at its end event
                continue
            if tag == "br" or (element is not cell and tag in _BLOCKS):
                parts.append(None)
            parts.append(element.text or "")
        elif element is not cell:
            parts.append(element.tail or "")
    lines = [collapse(p).strip(" ") for p in _broken(parts)]
    return "\n".join(line for line in lines if line)


def read_html(data: bytes, filename: str) -> Grid:
    """The lines of a disclosure published as a web page.

    :raises DocumentError: ``too-large`` for a page or table beyond the bounds above,
        ``bad-encoding`` for a page not in UTF-8 or GB18030, ``damaged-file`` for bytes that are
        not a page, ``not-a-budget`` for a page without text.
    """
    if len(data) > MAX_HTML_BYTES:
        raise DocumentError(
            "too-large",
            filename,
            1,
            expected=f"a page of at most {MAX_HTML_BYTES // 2**20} MiB",
            found=f"{len(data):,} bytes",
        )
    text = _decoded(data, filename)
    # Parsed piece by piece, its elements counted as they are made: a page of 16 MiB of <br>
    # is four million elements, a gigabyte of tree, before any of it is read.  libxml2's own
    # limits (256 levels, 10 MB of text in one node) are lifted (huge_tree) because it meets
    # them by dropping the rest of the page without a word; the page's bytes bound its text,
    # and the depth is bounded here.
    parser = etree.HTMLPullParser(
        events=("start", "end"), no_network=True, remove_comments=True, remove_pis=True, huge_tree=True
    )
    elements = depth = 0
    try:
        for at in range(0, len(text), _FEED_CHARS):
            parser.feed(text[at : at + _FEED_CHARS])
            for event, _ in parser.read_events():
                depth += 1 if event == "start" else -1
                elements += event == "start"
                if elements > MAX_ELEMENTS or depth > MAX_DEPTH:
                    raise DocumentError(
                        "too-large",
                        filename,
                        text.count("\n", 0, at) + 1,
                        expected=f"a page of at most {MAX_ELEMENTS:,} elements nested at most {MAX_DEPTH} deep",
                        found=f"{elements:,} elements, {depth} deep",
                    )
        root = parser.close()
    except DocumentError:
        raise
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise DocumentError(
            "damaged-file", filename, 1, expected="a web page lxml can parse", found=str(exc)[:200]
        ) from None
    if root is None:
        raise DocumentError("not-a-budget", filename, 1, expected="a web page", found="no element", form="html")
    page = _Page(filename)
    page.walk(root)
    if not any(not line.blank for line in page.out.lines):
        raise DocumentError(
            "not-a-budget", filename, 1, expected="a budget disclosure: a page with its title, text and tables",
            found="a page without text", form="html",
        )  # fmt: skip
    return page.out.grid()
