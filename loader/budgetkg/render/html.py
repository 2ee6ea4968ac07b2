"""A read document as one HTML5 page, the way government sites publish their 部门预算.

Headings become ``h1``–``h6`` (their Markdown level), paragraphs ``p`` (``**`` runs ``strong``;
a line of cells outside a table, ``编制单位：…<tab>单位：万元``, one ``p`` per cell),
the table of contents a list, and each table of 第二部分 (and the 重点项目 table of 第三部分) one
``table``: its header rows once, in ``thead`` (which a browser repeats on every printed page),
multi-level headers drawn with real ``colspan``/``rowspan`` (see :func:`.layout.header_spans`;
an HTML reader that expands the spans into empty cells gets the text's rows back).  The style
sheet is for print: A4 landscape, ruled cells (pdfplumber reads ruled tables by their lines),
amounts right-aligned on one line, long names and goals wrapped in their cells.  No script.

Every text of the document is escaped: the document is hostile.
"""

from __future__ import annotations

from html import escape

from .layout import Heading, ListBlock, Paragraph, TableBlock, bold_runs, header_spans, layout, plain_amount

__all__ = ["render_html", "STYLE"]

STYLE = """
@page { size: A4 landscape; margin: 12mm 10mm; }
body { font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei", sans-serif;
       font-size: 10pt; line-height: 1.45; margin: 0; }
h1 { font-size: 18pt; } h2 { font-size: 15pt; } h3 { font-size: 13pt; }
h4, h5, h6 { font-size: 11pt; }
h1, h2, h3, h4, h5, h6 { break-after: avoid; margin: 0.8em 0 0.4em; }
p { margin: 0.3em 0; text-indent: 0; }
p.title { font-size: 20pt; font-weight: bold; text-align: center; }
p.meta { margin: 0.1em 0; }
p.note { font-size: 9pt; }
table { border-collapse: collapse; width: 100%; margin: 0.4em 0 0.6em; font-size: 9pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 0.75pt solid #000; padding: 2pt 3pt; vertical-align: middle; overflow-wrap: anywhere; }
th { font-weight: bold; text-align: center; background: #f2f2f2; }
td.amount { text-align: right; white-space: nowrap; overflow-wrap: normal; }
td.code { white-space: nowrap; overflow-wrap: normal; }
"""


def _cell_class(text: str) -> str:
    if plain_amount(text) is not None:
        return ' class="amount"'
    if text.isascii() and text.isdigit():
        return ' class="code"'
    return ""


def _table(block: TableBlock) -> list[str]:
    out = ["<table>"]
    if block.header:
        out.append("<thead>")
        spans = header_spans(block.header)
        for r in range(len(block.header)):
            cells = []
            for s in (s for s in spans if s.row == r):
                attrs = (f' colspan="{s.colspan}"' if s.colspan > 1 else "") + (
                    f' rowspan="{s.rowspan}"' if s.rowspan > 1 else ""
                )
                cells.append(f"<th{attrs}>{escape(s.text)}</th>")
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</thead>")
    out.append("<tbody>")
    for row in block.rows:
        out.append("<tr>" + "".join(f"<td{_cell_class(c)}>{escape(c)}</td>" for c in row) + "</tr>")
    out += ["</tbody>", "</table>"]
    return out


def _paragraph(block: Paragraph) -> list[str]:
    """A paragraph; a line of cells outside a table (编制单位：…<tab>单位：万元) as one paragraph
    per cell, each a line that reads alone."""
    cls = f' class="{block.kind}"' if block.kind in ("title", "meta", "note", "table-label") else ""
    texts = [c.strip() for c in block.cells if c.strip()] if block.cells else [block.text]
    out = []
    for text in texts:
        inner = "".join(f"<strong>{escape(t)}</strong>" if bold else escape(t) for t, bold in bold_runs(text))
        out.append(f"<p{cls}>{inner}</p>")
    return out


def render_html(data: bytes, filename: str) -> str:
    """The document as one HTML5 page.

    :param data: the document's bytes, in any form budgetkg reads.
    :param filename: its name, for errors.
    :raises DocumentError: when the document cannot be read.
    """
    blocks = layout(data, filename)
    title = " ".join(b.text for b in blocks if isinstance(b, Paragraph) and b.kind == "title")
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{escape(block.text)}</h{block.level}>")
        elif isinstance(block, ListBlock):
            body += ["<ul>", *(f"<li>{escape(item)}</li>" for item in block.items), "</ul>"]
        elif isinstance(block, TableBlock):
            body += _table(block)
        else:
            body += _paragraph(block)
    head = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escape(title or filename)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
    ]
    return "\n".join(head + body + ["</body>", "</html>"]) + "\n"
