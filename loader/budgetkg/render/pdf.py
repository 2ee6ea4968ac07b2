"""PDF (and the old .xls) renderings of a document, printed by the real tools bureaus print with.

- ``via="libreoffice"``: the workbook of :mod:`.xlsx` converted by LibreOffice headless
  (``soffice --convert-to pdf``), which honours each sheet's page setup: A4 landscape, fit to
  the page's width, header rows repeated on every page, wrapped cells.  This is how most
  disclosures are made: a spreadsheet printed to PDF.
- ``via="chromium"``: the page of :mod:`.html` printed by headless Chromium
  (``--print-to-pdf``), which repeats each table's ``thead`` on every page and wraps long cells
  by the style sheet's widths: a web page printed by a browser.

:func:`render_xls` converts the workbook to Excel 97–2003 (.xls) with LibreOffice too.

Each call works in its own temporary folder, removed afterwards, with its own LibreOffice
profile and Chromium user-data folder (calls running at once would otherwise share one and
fail), a writable ``HOME`` inside it, and a time limit; the tool's whole process group is
killed when the limit passes.  A missing tool or a failed conversion is a :class:`RenderError`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from ..errors import BudgetkgError
from .html import render_html
from .xlsx import render_xlsx

__all__ = ["render_pdf", "render_xls", "workbook_to", "page_to_pdf", "RenderError", "TIMEOUT", "Via"]

Via = Literal["chromium", "libreoffice"]
# Seconds a conversion may take: many times what the bundled document takes with either tool
# (docs/benchmarks.md), since a busy machine (tests in parallel) may take several times that.
TIMEOUT = 180
_CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
_SOFFICE = ("soffice", "libreoffice")


class RenderError(BudgetkgError):
    """A rendering could not be made: its tool is missing, failed or ran out of time."""


def _tool(names: tuple[str, ...], package: str) -> str:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    raise RenderError(
        f"{names[0]} is not installed (Debian: apt-get install {package}); it is needed for this rendering"
    )


def _run(cmd: list[str], home: Path, timeout: float) -> None:
    """Run a tool in its own process group, with ``HOME`` at ``home``; the group is killed when
    the tool is done or out of time, so that no helper process outlives the call."""
    env = {**os.environ, "HOME": str(home)}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True, cwd=home
    )
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise RenderError(f"{Path(cmd[0]).name} did not finish within {timeout:g} s") from None
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise RenderError(f"{Path(cmd[0]).name} failed (exit {proc.returncode}): {' / '.join(tail)}")


def workbook_to(book: bytes, suffix: Literal["pdf", "xls"] = "pdf", *, timeout: float = TIMEOUT) -> bytes:
    """Any .xlsx workbook converted by LibreOffice to ``pdf`` or ``xls``, as its page setup says
    (tests change a rendered workbook's setup, e.g. portrait sheets or no repeated header rows,
    to make PDFs with those quirks).

    :raises RenderError: when LibreOffice is missing, fails or takes longer than ``timeout``.
    """
    target = {"pdf": "pdf", "xls": "xls:MS Excel 97"}[suffix]
    soffice = _tool(_SOFFICE, "libreoffice-calc-nogui")
    with tempfile.TemporaryDirectory(prefix="budgetkg-render-") as tmp:
        folder = Path(tmp)
        source = folder / "book.xlsx"
        source.write_bytes(book)
        out = folder / "out"
        cmd = [
            soffice,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(source),
        ]
        _run(cmd, folder, timeout)
        result = out / f"book.{suffix}"
        if not result.is_file():  # soffice exits 0 when it could not convert
            raise RenderError(f"soffice wrote no {suffix} file for the workbook")
        return result.read_bytes()


def page_to_pdf(page: str, *, timeout: float = TIMEOUT) -> bytes:
    """Any HTML page printed to PDF by headless Chromium, as its style sheet says (tests change a
    rendered page's style, e.g. no repeated ``thead``, to make PDFs with those quirks).

    :raises RenderError: when Chromium is missing, fails or takes longer than ``timeout``.
    """
    chromium = _tool(_CHROMIUM, "chromium")
    with tempfile.TemporaryDirectory(prefix="budgetkg-render-") as tmp:
        folder = Path(tmp)
        source = folder / "page.html"
        source.write_text(page, encoding="utf-8")
        result = folder / "page.pdf"
        cmd = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={folder / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={result}",
            source.as_uri(),
        ]
        _run(cmd, folder, timeout)
        if not result.is_file():
            raise RenderError("chromium wrote no PDF for the page")
        return result.read_bytes()


def render_pdf(data: bytes, filename: str, via: Via = "chromium", *, timeout: float = TIMEOUT) -> bytes:
    """The document printed to PDF: its HTML page by Chromium, or its workbook by LibreOffice.

    :param data: the document's bytes, in any form budgetkg reads.
    :param filename: its name, for errors.
    :param via: ``chromium`` (default) or ``libreoffice``.
    :param timeout: seconds the tool may take.
    :raises DocumentError: when the document cannot be read.
    :raises RenderError: when the tool is missing, fails or takes longer than ``timeout``.
    """
    if via == "chromium":
        return page_to_pdf(render_html(data, filename), timeout=timeout)
    if via == "libreoffice":
        return workbook_to(render_xlsx(data, filename), "pdf", timeout=timeout)
    raise ValueError(f"unknown PDF renderer {via!r}: chromium or libreoffice")


def render_xls(data: bytes, filename: str, *, timeout: float = TIMEOUT) -> bytes:
    """The document as an Excel 97–2003 workbook (.xls): its workbook converted by LibreOffice.

    :raises DocumentError: when the document cannot be read.
    :raises RenderError: when LibreOffice is missing, fails or takes longer than ``timeout``.
    """
    return workbook_to(render_xlsx(data, filename), "xls", timeout=timeout)
