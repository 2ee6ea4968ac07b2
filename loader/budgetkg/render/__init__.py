"""Renderings of a read document in the forms bureaus publish: an HTML page, an Excel workbook,
and PDF printed from them by real tools (headless Chromium, LibreOffice)."""
