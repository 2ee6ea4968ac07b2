"""Files shipped with budgetkg: the bundled documents, the ontology and the query library.

In a wheel, ``ontology/`` and ``queries/`` are packaged inside ``budgetkg``; in a source
checkout they are the top-level folders of the repository.  Both are found without
looking at the working directory.
"""

from __future__ import annotations

import csv
import tomllib
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

__all__ = ["bundled_documents", "default_document", "ontology_dir", "queries_dir", "read_csv", "read_toml"]

_PACKAGE = resources.files("budgetkg")
_CHECKOUT = Path(__file__).resolve().parent.parent.parent


def _shipped(name: str) -> Traversable:
    inside = _PACKAGE.joinpath(name)
    if inside.is_dir():
        return inside
    return _CHECKOUT / name


def ontology_dir() -> Traversable:
    """The ``ontology/`` folder: Turtle, code lists and shapes."""
    return _shipped("ontology")


def queries_dir() -> Traversable:
    """The ``queries/`` folder: the query library."""
    return _shipped("queries")


def bundled_documents() -> list[Traversable]:
    """The documents shipped with budgetkg, sorted by name."""
    folder = _PACKAGE.joinpath("data/documents")
    return sorted((f for f in folder.iterdir() if f.name.endswith(".txt")), key=lambda f: f.name)


def default_document() -> Traversable:
    """The bundled 2024 budget of the Guangzhou Human Resources and Social Security Bureau."""
    return _PACKAGE.joinpath("data/documents/guangzhou-hrss-2024-budget.txt")


@cache
def read_csv(relative: str) -> tuple[dict[str, str], ...]:
    """Rows of a CSV file under ``ontology/``, as dictionaries."""
    text = ontology_dir().joinpath(relative).read_text("utf-8")
    return tuple(csv.DictReader(text.splitlines()))


def read_toml(relative: str) -> dict[str, Any]:
    """A TOML file of the package's ``data/`` folder (``relative`` to it), as a dictionary.

    >>> read_toml("errors.toml")["bad-code"]["title_en"]
    'Bad classification code'
    """
    return tomllib.loads(_PACKAGE.joinpath("data", relative).read_text("utf-8"))
