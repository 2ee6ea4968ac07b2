"""The IRI policy: deterministic, readable where possible, codes shared, projects scoped by unit.

* Ontology terms: ``https://w3id.org/budgetkg/ontology#Term`` (fixed).
* Code lists: ``https://w3id.org/budgetkg/codelist/{scheme}/{year}/{notation}`` (fixed;
  the same concept for every department of that year).
* Data, under ``--base`` (default ``https://w3id.org/budgetkg/data/``), with names
  percent-encoded (browsers show them decoded):

  - department ``{base}org/{department}``; its units ``{base}org/{department}/unit/{unit}``
    (the department's own level, 本级, is the unit named like the department);
    divisions ``{base}org/{department}/division/{name}``.
  - the reference graph of the organisations ``{base}graph/organisations``;
  - dataset (= named graph) ``{base}dataset/{department}/{year}``; its tables
    ``…/table/{n}``, observations ``…/table/{n}/{row}/{column}``, where it lists the department,
    a unit or a division ``…/derivation/{department|unit|division}/{name}``, projects
    ``{base}org/{department}/unit/{unit}/project/{year}/{name}``.

Nothing depends on line numbers, so re-split pages give the same IRIs.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote, urlsplit

from pyoxigraph import NamedNode

from .namespaces import CL

__all__ = ["DEFAULT_BASE", "Minter", "concept", "scheme", "data_base", "web_address", "mail_address"]

DEFAULT_BASE = "https://w3id.org/budgetkg/data/"


def data_base(base: str) -> str:
    """``base`` as a base of data IRIs, ending in ``/`` (or ``#``); a ValueError when it is not an absolute IRI."""
    try:
        NamedNode(base)
    except ValueError as exc:
        raise ValueError(f"{base!r} is not an absolute IRI ({exc})") from None
    return base if base.endswith(("/", "#")) else base + "/"


# A web address given on the command line (a disclosure's official page, a publisher's site, a
# licence) is written into the graph and the catalogue as an IRI: bounded, like every input.
MAX_ADDRESS = 2000


def web_address(text: str) -> str:
    """``text`` as the IRI of a web page: an absolute http or https address with a host.

    :raises ValueError: for anything else (another scheme such as ``javascript:`` or ``file:``,
        no host, spaces or other characters an IRI cannot hold, more than :data:`MAX_ADDRESS`).
    """
    if len(text) > MAX_ADDRESS:
        raise ValueError(f"the address is longer than {MAX_ADDRESS} characters")
    try:
        parts = urlsplit(text)
        NamedNode(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a web address ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text!r} is not a web address: it must start http:// or https:// and name a host")
    return text


def mail_address(text: str) -> str:
    """``text`` (an e-mail address) as a ``mailto:`` IRI.

    :raises ValueError: when it is not one address ``name@host`` an IRI can hold.
    """
    local, at, host = text.partition("@")
    if len(text) > 254 or not at or not local or "." not in host or "@" in host or "?" in text:
        raise ValueError(f"{text!r} is not an e-mail address")
    try:
        NamedNode("mailto:" + text)
    except ValueError:
        raise ValueError(f"{text!r} is not an e-mail address") from None
    return "mailto:" + text


class _PercentEncoded(dict):
    """A str.translate table: each character to its percent-encoded UTF-8, worked out once.

    ``quote`` encodes byte by byte in Python; identity keys are long and unique, and
    translating them through this table is faster.
    """

    def __missing__(self, code: int) -> str:
        self[code] = encoded = quote(chr(code), safe="-_.~")
        return encoded


_PERCENT = _PercentEncoded()


@lru_cache(maxsize=65536)
def _seg(text: str) -> str:
    """One path segment: percent-encoded UTF-8, no slash left unescaped.

    >>> _seg("广州市技师学院")
    '%E5%B9%BF%E5%B7%9E%E5%B8%82%E6%8A%80%E5%B8%88%E5%AD%A6%E9%99%A2'
    >>> _seg("a/b c~")
    'a%2Fb%20c~'
    """
    return text.translate(_PERCENT)


def scheme(name: str, year: int) -> NamedNode:
    """The IRI of a code list (concept scheme) of a year."""
    return NamedNode(f"{CL.base}{name}/{year}")


@lru_cache(maxsize=65536)
def concept(name: str, year: int, notation: str) -> NamedNode:
    """The IRI of a concept: shared by every department's graph of that year.

    >>> concept("functional", 2024, "2080101").value
    'https://w3id.org/budgetkg/codelist/functional/2024/2080101'
    """
    return NamedNode(f"{CL.base}{name}/{year}/{_seg(notation)}")


class Minter:
    """Mints the data IRIs of one document (department × year) under a base."""

    def __init__(self, base: str, department: str, year: int) -> None:
        self.base = base = data_base(base)
        self.year = year
        self._dept = _seg(department)
        self.dataset_iri = f"{base}dataset/{self._dept}/{year}"

    def department(self) -> NamedNode:
        return NamedNode(f"{self.base}org/{self._dept}")

    def unit(self, name: str) -> NamedNode:
        return NamedNode(f"{self.base}org/{self._dept}/unit/{_seg(name)}")

    def division(self, name: str) -> NamedNode:
        return NamedNode(f"{self.base}org/{self._dept}/division/{_seg(name)}")

    def project(self, unit: str, name: str) -> NamedNode:
        return NamedNode(f"{self.base}org/{self._dept}/unit/{_seg(unit)}/project/{self.year}/{_seg(name)}")

    def organisations_graph(self) -> NamedNode:
        """The reference graph of the organisations that every document built under this base describes."""
        return NamedNode(f"{self.base}graph/organisations")

    def dataset(self) -> NamedNode:
        """The dataset of the document; also the name of its named graph."""
        return NamedNode(self.dataset_iri)

    def source(self) -> NamedNode:
        return NamedNode(f"{self.dataset_iri}/source")

    def table(self, number: int) -> NamedNode:
        return NamedNode(f"{self.dataset_iri}/table/{number}")

    def observation(self, number: int, row_key: str, column: str) -> NamedNode:
        return NamedNode(f"{self.dataset_iri}/table/{number}/{_seg(row_key)}/{_seg(column)}")

    def derivation(self, kind: str, name: str) -> NamedNode:
        """Where the document lists an organisation (``kind`` department, unit or division)
        that other documents list too."""
        return NamedNode(f"{self.dataset_iri}/derivation/{kind}/{_seg(name)}")

    def part(self, kind: str, key: str) -> NamedNode:
        """Other records of the dataset: identities, narrative figures, glossary entries …"""
        return NamedNode(f"{self.dataset_iri}/{kind}/{_seg(key)}")
