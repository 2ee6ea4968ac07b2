"""Shared fixtures: the bundled document is read once per test run."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from budgetkg import read_document
from budgetkg.check.accounts import CheckReport, check_document
from budgetkg.records import Document
from budgetkg.resources import default_document

SEED = "guangzhou-hrss-2024-budget.txt"


@pytest.fixture(scope="session")
def seed_lines() -> list[str]:
    """The bundled document's lines (line n is seed_lines[n - 1])."""
    return default_document().read_text("utf-8").split("\n")


@pytest.fixture(scope="session")
def doc() -> Document:
    return read_document()


@pytest.fixture(scope="session")
def report(doc: Document) -> CheckReport:
    return check_document(doc)


@pytest.fixture
def read_lines() -> Callable[[list[str]], Document]:
    """Read a mutated copy of the document, given as lines."""

    def read(lines: list[str]) -> Document:
        return read_document("\n".join(lines).encode("utf-8"), filename=SEED)

    return read


@pytest.fixture(scope="session")
def store_path(tmp_path_factory):
    """The bundled document built once into an on-disk store for the whole run."""
    from budgetkg.load.graph import build

    path = tmp_path_factory.mktemp("store")
    build(store=path)
    return path


@pytest.fixture(scope="session")
def two_years(seed_lines, tmp_path_factory):
    """The bundled document as 2024's budget, and again as 2025's with a line more at the top
    (each line it prints is one further down), built into one store (its folder)."""
    from budgetkg.load.graph import build

    folder = tmp_path_factory.mktemp("years")
    text = "\n".join(seed_lines)
    (folder / "2024.txt").write_text(text, encoding="utf-8")
    (folder / "2025.txt").write_text("\n" + text.replace("2024年", "2025年"), encoding="utf-8")
    build(sorted(folder.glob("*.txt")), store=folder / "store")
    return folder / "store"


@pytest.fixture(scope="session")
def store(store_path):
    from budgetkg.load.store import open_store

    return open_store(store_path)


@pytest.fixture(scope="session")
def ask(store):
    """Run a library query (or text) and return rows of display strings (zh labels, amounts to the cent)."""
    from budgetkg.query.library import run_select

    def run(query: str, **params: str) -> list[list[str]]:
        return run_select(store, query, params=params).values()

    return run


RENDERINGS = ("html", "xlsx", "xls", "pdf-chromium", "pdf-libreoffice")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> Callable[[str], bytes]:
    """The bundled document rendered to a form, made once per test session (per worker):
    ``rendered("html" | "xlsx" | "xls" | "pdf-chromium" | "pdf-libreoffice")`` gives its bytes,
    also kept as ``<tmp>/guangzhou-hrss-2024-budget.<form>`` for tests that want a file."""
    from budgetkg.render.html import render_html
    from budgetkg.render.pdf import render_pdf, render_xls
    from budgetkg.render.xlsx import render_xlsx

    folder = tmp_path_factory.mktemp("rendered")
    makers: dict[str, Callable[[bytes], bytes]] = {
        "html": lambda data: render_html(data, SEED).encode("utf-8"),
        "xlsx": lambda data: render_xlsx(data, SEED),
        "xls": lambda data: render_xls(data, SEED),
        "pdf-chromium": lambda data: render_pdf(data, SEED, "chromium"),
        "pdf-libreoffice": lambda data: render_pdf(data, SEED, "libreoffice"),
    }

    def render(form: str) -> bytes:
        path = folder / f"{SEED.removesuffix('.txt')}.{form}"
        if not path.exists():
            path.write_bytes(makers[form](default_document().read_bytes()))
        return path.read_bytes()

    return render
