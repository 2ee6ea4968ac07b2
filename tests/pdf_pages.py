"""Pages built to show one quirk of real PDFs each, printed by headless Chromium the way a
browser prints a bureau's web page (``budgetkg render`` prints whole documents)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["print_pdf", "PAGE_STYLE"]

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


def print_pdf(page: str, out: Path, timeout: float = 120) -> Path:
    """Print the HTML ``page`` to ``out`` with headless Chromium (its own profile, no header
    or footer), and return ``out``."""
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
                "--no-pdf-header-footer",
                f"--user-data-dir={tmp}/profile",
                f"--print-to-pdf={out}",
                source.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    return out
