"""Telling a disclosure's form from its bytes, and reading it with that form's front end.

The form is decided by content (the file's signature, and for a ZIP archive the parts it
holds), never by the file name alone: a PDF saved as ``.txt`` is still read as a PDF, and a
file whose name and content disagree gets no second reading.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from collections.abc import Callable
from importlib import import_module
from importlib.abc import Traversable
from os import PathLike
from pathlib import Path

from ..errors import DocumentError
from .grid import Form, Grid
from .sections import MAX_LINE_CHARS

__all__ = ["detect_form", "read_grid", "read_source", "convert", "FRONT_ENDS", "MAX_DOCUMENT_BYTES"]

# The largest file any front end reads (a PDF: see pdf.MAX_BYTES; the other forms take less).
# A file is read at most this far, so that a huge file, /dev/zero or a pipe that never ends is
# refused in bounded memory rather than read whole before any front end sees its size.
MAX_DOCUMENT_BYTES = 200 * 2**20

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of Excel 97–2003 (.xls)
# Where each form's front end lives: imported only when a document of that form is read, so
# that reading text never loads a PDF or spreadsheet library.
FRONT_ENDS: dict[Form, tuple[str, str]] = {
    "text": (".text", "read_text"),
    "xlsx": (".spreadsheet", "read_xlsx"),
    "xls": (".spreadsheet", "read_xls"),
    "html": (".html", "read_html"),
    "pdf": (".pdf", "read_pdf"),
}


def _zip_form(data: bytes, filename: str) -> Form:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):  # e.g. "zip file version 23.8"
        raise DocumentError(
            "damaged-file", filename, 1, expected="a readable ZIP archive (.xlsx)", found="a damaged ZIP archive"
        ) from None
    if "xl/workbook.xml" in names:
        return "xlsx"
    raise DocumentError(
        "not-a-budget",
        filename,
        1,
        expected="a budget disclosure as PDF, Excel workbook, web page or text",
        found="a ZIP archive that is not an Excel workbook",
    )


def detect_form(data: bytes, filename: str) -> Form:
    """The form of a document, from its first bytes.

    >>> detect_form(b"%PDF-1.7 ...", "a.txt"), detect_form(b"\\xef\\xbb\\xbf <!DOCTYPE html>", "a")
    ('pdf', 'html')
    >>> detect_form("2024年 部门预算".encode(), "a.pdf")
    'text'
    """
    head = data[:1024]
    # A signature at the start decides first: a workbook (a ZIP) may hold "%PDF-" in its first
    # kilobyte (a part stored uncompressed), a page may print it, and neither is a PDF.
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_form(data, filename)
    if head.startswith(_OLE2):
        return "xls"
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if start.startswith(b"<"):  # a text disclosure starts with its title, never with markup
        return "html"
    if b"%PDF-" in head:  # a PDF may have bytes before its header (readers look in its first 1 KiB)
        return "pdf"
    return "text"


def _too_large(filename: str, size: str) -> DocumentError:
    return DocumentError(
        "too-large",
        filename,
        1,
        expected=f"a document of at most {MAX_DOCUMENT_BYTES >> 20} MiB",
        found=size,
    )


def read_source(source: str | PathLike[str] | Traversable, filename: str | None = None) -> bytes:
    """The bytes of the document at ``source`` (a path, or a packaged resource), read no further
    than :data:`MAX_DOCUMENT_BYTES`.

    :param source: the document to read.
    :param filename: its name in errors (default: the file's name).
    :raises DocumentError: ``too-large`` for a longer file.
    :raises OSError: for a file that cannot be read.
    """
    name = filename or (Path(source).name if isinstance(source, (str, PathLike)) else source.name)
    with open(source, "rb") if isinstance(source, (str, PathLike)) else source.open("rb") as handle:
        try:  # a regular file's size is known without reading it; a device or pipe is read
            size = os.fstat(handle.fileno()).st_size if stat.S_ISREG(os.fstat(handle.fileno()).st_mode) else 0
        except (AttributeError, OSError, io.UnsupportedOperation):  # a resource inside an archive
            size = 0
        if size > MAX_DOCUMENT_BYTES:
            raise _too_large(name, f"{size:,} bytes")
        data = handle.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _too_large(name, f"more than {MAX_DOCUMENT_BYTES:,} bytes")
    return data


def read_grid(data: bytes, filename: str) -> Grid:
    """The grid of a document of any form.

    :raises DocumentError: for a form budgetkg cannot read, a document beyond
        :data:`MAX_DOCUMENT_BYTES`, or a document its front end rejects.
    """
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _too_large(filename, f"{len(data):,} bytes")
    form = detect_form(data, filename)
    if form not in FRONT_ENDS:
        raise DocumentError(
            "unsupported-form",
            filename,
            1,
            expected="a budget disclosure as " + ", ".join(sorted(FRONT_ENDS)),
            found=f"a {form} file",
        )
    module, name = FRONT_ENDS[form]
    front_end: Callable[[bytes, str], Grid] = getattr(import_module(module, __package__), name)
    grid = front_end(data, filename)
    # Every front end bounds its cells; a paragraph joined from many lines of a PDF, or a row
    # of many cells, is bounded here for all of them: the template reader's work per line
    # (matching names, finding amounts) is bounded by the length of a line.
    for line in grid.lines:
        if len(line.text) > MAX_LINE_CHARS:
            place = line.place()
            raise DocumentError(
                "line-too-long",
                filename,
                line.no,
                expected=f"at most {MAX_LINE_CHARS:,} characters on a line",
                found=f"a line of {len(line.text):,} characters: {line.text[:40]}",
                context="" if place is None else place.where,
            )
    return grid


def convert(data: bytes, filename: str) -> str:
    """A document of any form as the text layout budgetkg reads (what ``budgetkg convert``
    writes): its lines as its form's front end read them, before any table is recognised, so
    that a document the template reader refuses can be looked at, mended by hand and read
    from the mended text.

    :raises DocumentError: for a form budgetkg cannot read, or a file its front end rejects.
    """
    return read_grid(data, filename).text()
