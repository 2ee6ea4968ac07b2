"""Pages printed by headless Chromium the way a browser prints a bureau's web page: pages built
to show one quirk of real PDFs each, and a text-form document laid out as a page of our own,
not by ``budgetkg render`` (its own font, widths and wrapping: a PDF budgetkg did not make).

The page of :func:`text_to_html` follows the text form: ``#`` lines become headings (larger),
paragraphs ``<p>``, and each run of tab-separated lines a ruled ``<table>`` whose leading rows
without an amount are its header (a label followed by empty cells spans them, a label with
empty cells below it spans the header rows), repeated by Chromium on every page it breaks to.
A run that starts with the header of the run before it (the text form's page break) continues
that table.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["text_to_html", "print_pdf", "PAGE_STYLE"]

PAGE_STYLE = """
@page { size: A4 landscape; margin: 15mm; }
body { font-family: 'WenQuanYi Micro Hei', sans-serif; font-size: 10pt; }
h1 { font-size: 18pt; } h2 { font-size: 15pt; } h3 { font-size: 13pt; }
h4, h5, h6 { font-size: 12pt; }
table { border-collapse: collapse; width: 100%; margin: 6pt 0; }
th, td { border: 0.75pt solid #000; padding: 2pt 3pt; font-size: 9pt; font-weight: normal;
         vertical-align: top; }
tr { break-inside: avoid; }
p { margin: 4pt 0; }
"""


def _is_amount(cell: str) -> bool:
    digits = cell.strip().replace(",", "").replace(".", "", 1).lstrip("-")
    return bool(digits) and digits.isdigit() and "." in cell


def _header_count(rows: list[list[str]]) -> int:
    for i, row in enumerate(rows):
        if any(_is_amount(c) for c in row):
            return i
    return len(rows)


def _header_html(header: list[list[str]]) -> str:
    width = max(len(r) for r in header)
    grid = [r + [""] * (width - len(r)) for r in header]
    covered: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(grid):
        cells = []
        for c, label in enumerate(row):
            if (r, c) in covered:
                continue
            span = 1
            while c + span < width and not grid[r][c + span] and r + 1 < len(grid) and grid[r + 1][c + span]:
                span += 1
            down = 1
            if label:
                while r + down < len(grid) and all(not grid[r + down][c + k] for k in range(span)):
                    down += 1
            for dr in range(down):
                for dc in range(span):
                    covered.add((r + dr, c + dc))
            attrs = (f' colspan="{span}"' if span > 1 else "") + (f' rowspan="{down}"' if down > 1 else "")
            cells.append(f"<th{attrs}>{html.escape(label)}</th>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "<thead>" + "".join(out) + "</thead>"


def _table_html(rows: list[list[str]]) -> str:
    n = _header_count(rows)
    header, body = rows[:n], rows[n:]
    width = max(len(r) for r in rows)
    head = _header_html(header) if header else ""
    lines = []
    for row in body:
        row = row + [""] * (width - len(row))
        lines.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
    return f"<table>{head}<tbody>{''.join(lines)}</tbody></table>"


def _paragraph(line: str) -> str:
    stripped = line.lstrip("#")
    level = len(line) - len(stripped)
    text = html.escape(stripped.strip().replace("**", ""))
    if 1 <= level <= 6 and stripped.startswith(" "):
        return f"<h{level}>{text}</h{level}>"
    return f"<p>{text}</p>"


def text_to_html(text: str, style: str = PAGE_STYLE) -> str:
    """The text-form document ``text`` as an HTML page (see the module's docstring)."""
    body: list[str] = []
    blocks: list[list[list[str]]] = []  # runs of table rows, joined when a run repeats a header
    pending: list[list[str]] = []

    def flush() -> None:
        if not pending:
            return
        if blocks and body and body[-1] is None:  # type: ignore[comparison-overlap]
            previous = blocks[-1]
            n = _header_count(previous)
            if n and pending[:n] == previous[:n]:
                previous.extend(pending[n:])
                pending.clear()
                return
        blocks.append(list(pending))
        body.append(None)  # type: ignore[arg-type]
        pending.clear()

    for line in text.split("\n"):
        if "\t" in line:
            pending.append(line.split("\t"))
            continue
        if not line.strip():
            flush()
            continue
        flush()
        body.append(_paragraph(line))
    flush()
    parts, tables = [], iter(blocks)
    for item in body:
        parts.append(_table_html(next(tables)) if item is None else item)
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<style>{style}</style></head><body>{''.join(parts)}</body></html>"
    )


def print_pdf(page: str, out: Path, timeout: float = 120, header_footer: bool = False) -> Path:
    """Print the HTML ``page`` to ``out`` with headless Chromium (its own profile; no header or
    footer, unless ``header_footer``: then Chromium's own, the date, title, address and page
    number, as a browser prints by default), and return ``out``."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise RuntimeError("chromium is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "page.html"
        source.write_text(page, encoding="utf-8")
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                *([] if header_footer else ["--no-pdf-header-footer"]),
                f"--user-data-dir={tmp}/profile",
                f"--print-to-pdf={out}",
                source.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    return out
