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


RENDERINGS = ("txt", "html", "xlsx", "xls", "pdf-chromium", "pdf-libreoffice")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> Callable[..., bytes]:
    """A document rendered to a form, made once per test run: ``rendered(form)`` for the bundled
    document, ``rendered(form, seed=n)`` for generated department ``n``; ``form`` is one of
    ``RENDERINGS`` ("txt": the text itself).  The bytes are also kept as
    ``<tmp>/rendered/<name>.<form>`` (name: guangzhou-hrss-2024-budget or synthetic-<n>).
    Under pytest-xdist the workers share the files (the run's common temporary folder, a lock
    per file): LibreOffice and Chromium take seconds."""
    import fcntl
    import os

    from budgetkg.render.html import render_html
    from budgetkg.render.pdf import render_pdf, render_xls
    from budgetkg.render.xlsx import render_xlsx
    from budgetkg.tooling.synthetic import generate

    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "rendered"
    folder.mkdir(exist_ok=True)
    makers: dict[str, Callable[[bytes, str], bytes]] = {
        "txt": lambda data, name: data,
        "html": lambda data, name: render_html(data, name).encode("utf-8"),
        "xlsx": render_xlsx,
        "xls": render_xls,
        "pdf-chromium": lambda data, name: render_pdf(data, name, "chromium"),
        "pdf-libreoffice": lambda data, name: render_pdf(data, name, "libreoffice"),
    }

    def render(form: str, seed: int | None = None) -> bytes:
        name = SEED if seed is None else f"synthetic-{seed}.txt"
        path = folder / f"{name.removesuffix('.txt')}.{form}"
        with open(folder / f"{path.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be rendering it
            if not path.exists():
                text = default_document().read_bytes() if seed is None else generate(seed).text.encode("utf-8")
                part = folder / (path.name + ".part")
                part.write_bytes(makers[form](text, name))
                part.rename(path)
        return path.read_bytes()

    return render
