"""Shared fixtures: the bundled document is read once per test run."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from budgetkg import read_document
from budgetkg.records import Document
from budgetkg.report import CheckReport, check_document
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
    from budgetkg.graph import build

    path = tmp_path_factory.mktemp("store")
    build(store=path)
    return path


@pytest.fixture(scope="session")
def store(store_path):
    from budgetkg.store import open_store

    return open_store(store_path)


@pytest.fixture(scope="session")
def ask(store):
    """Run a library query (or text) and return rows of display strings (zh labels, amounts to the cent)."""
    from budgetkg.queries import run_select

    def run(query: str, **params: str) -> list[list[str]]:
        return run_select(store, query, params=params).values()
    return run
