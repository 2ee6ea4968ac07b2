"""JSON-LD that reads as JSON: node objects under budgetkg's ``@context``.

pyoxigraph writes expanded JSON-LD (every key an IRI, every value an object), which only a
JSON-LD processor reads.  Here the same triples are written in the compacted form a web
developer reads with ``JSON.parse``: one object per subject, keys that are terms
(``label``, ``amount``, ``organization``, …) or prefixed names, labels in language maps
(``node.label.zh``).

Values are exact:

- amounts (``xsd:decimal``) stay strings, typed by the context (``"amount": "797407.58"``):
  a JSON number is an IEEE double to ``JSON.parse``, and 797407.58 has no double; a string
  keeps the printed cents, and ``Number(node.amount)`` is there for whoever wants a float;
- integers (``xsd:integer`` in canonical form, below 2**53) and booleans are JSON numbers and
  ``true``/``false``, which JSON-LD reads back as the same literals;
- IRIs are written whole (``{"@id": "https://…"}``), never shortened.

A value a term cannot hold exactly (another datatype, a non-canonical lexical form) is
written under the property's prefixed name with an explicit ``@value`` and ``@type``, so the
document always reads back (pyld, rdflib) to the very triples it was written from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from itertools import groupby
from typing import Any, BinaryIO

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, parse

from ..rdf.prefixes import prefix_table
from ..resources import ontology_dir

__all__ = ["context", "node_objects", "write_jsonld", "jsonld_bytes"]

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
# Label-like properties: their values are read by language, so they are language maps.
LANGUAGE_MAPS = {
    "label": "http://www.w3.org/2000/01/rdf-schema#label",
    "comment": "http://www.w3.org/2000/01/rdf-schema#comment",
    "prefLabel": "http://www.w3.org/2004/02/skos/core#prefLabel",
    "altLabel": "http://www.w3.org/2004/02/skos/core#altLabel",
    "definition": "http://www.w3.org/2004/02/skos/core#definition",
    "title": "http://purl.org/dc/terms/title",
    "description": "http://purl.org/dc/terms/description",
}
OTHER_TERMS = {"notation": "http://www.w3.org/2004/02/skos/core#notation"}
_SAFE_INTEGER = 2**53


@cache
def _ontology_properties() -> dict[str, str | None]:
    """budgetkg's properties (IRI) → the datatype of their values when the ontology declares one."""
    bkg = prefix_table()["bkg"]
    rdf_type, rdfs_range = NamedNode(RDF_TYPE), NamedNode("http://www.w3.org/2000/01/rdf-schema#range")
    kinds = {"DatatypeProperty", "ObjectProperty", "AnnotationProperty", "Property", "DimensionProperty"}
    kinds |= {"MeasureProperty", "AttributeProperty"}
    props: dict[str, str | None] = {}
    ranges: dict[str, str] = {}
    for q in parse(ontology_dir().joinpath("budgetkg.ttl").read_bytes(), format=RdfFormat.TURTLE):
        s = q.subject.value if isinstance(q.subject, NamedNode) else ""
        if not s.startswith(bkg):
            continue
        if q.predicate == rdf_type and isinstance(q.object, NamedNode) and q.object.value.rsplit("#", 1)[-1] in kinds:
            props.setdefault(s, None)
        elif q.predicate == rdfs_range and isinstance(q.object, NamedNode) and q.object.value.startswith(XSD):
            ranges[s] = q.object.value
    return {p: ranges.get(p) for p in props}


@cache
def _terms() -> dict[str, tuple[str, dict[str, Any]]]:
    """Property IRI → (term, term definition)."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for term, iri in LANGUAGE_MAPS.items():
        out[iri] = (term, {"@id": iri, "@container": "@language"})
    for term, iri in OTHER_TERMS.items():
        out[iri] = (term, {"@id": iri})
    bkg = prefix_table()["bkg"]
    taken = {term for term, _ in out.values()}
    for iri, datatype in sorted(_ontology_properties().items()):
        term = iri[len(bkg) :]
        if term in taken or not term[:1].islower():
            continue
        definition: dict[str, Any] = {"@id": iri}
        # Decimals are the one datatype JSON cannot hold exactly: the term types their strings.
        if datatype == XSD + "decimal":
            definition["@type"] = datatype
        out[iri] = (term, definition)
    return out


@cache
def context() -> dict[str, Any]:
    """budgetkg's JSON-LD context: the prefix table, then a term for each label-like and budgetkg property."""
    ctx: dict[str, Any] = {"@version": 1.1}
    ctx |= prefix_table()
    for term, definition in sorted(_terms().values()):
        ctx[term] = definition
    return ctx


def _prefixed(iri: str) -> str:
    """``prefix:name`` when a namespace of the prefix table holds ``iri`` with a simple name, else ``iri``."""
    for prefix, namespace in sorted(prefix_table().items(), key=lambda item: -len(item[1])):
        name = iri[len(namespace) :]
        if iri.startswith(namespace) and name and name.replace("-", "").replace("_", "").isalnum():
            return f"{prefix}:{name}"
    return iri


def _value(term: Any) -> Any:
    """A term as an expanded value: the shortest JSON that reads back as the same RDF term."""
    if isinstance(term, NamedNode):
        return {"@id": term.value}
    if isinstance(term, BlankNode):
        return {"@id": f"_:{term.value}"}
    assert isinstance(term, Literal)
    datatype = term.datatype.value
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if datatype == XSD + "string":
        return term.value
    if datatype == XSD + "boolean" and term.value in ("true", "false"):
        return term.value == "true"
    if datatype == XSD + "integer":
        try:
            number = int(term.value)
        except ValueError:
            number = None
        if number is not None and str(number) == term.value and abs(number) < _SAFE_INTEGER:
            return number
    return {"@value": term.value, "@type": datatype}


def _add(node: dict[str, Any], key: str, value: Any) -> None:
    if key not in node:
        node[key] = value
    elif isinstance(node[key], list):
        node[key].append(value)
    else:
        node[key] = [node[key], value]


def _node(subject: Any, pairs: Iterable[tuple[NamedNode, Any]]) -> dict[str, Any]:
    node: dict[str, Any] = {"@id": f"_:{subject.value}" if isinstance(subject, BlankNode) else subject.value}
    terms = _terms()
    for predicate, obj in pairs:
        iri = predicate.value
        if iri == RDF_TYPE and not isinstance(obj, Literal):
            _add(node, "@type", obj.value if isinstance(obj, NamedNode) else f"_:{obj.value}")
            continue
        term, definition = terms.get(iri, ("", {}))
        if term and definition.get("@container") == "@language" and isinstance(obj, Literal):
            if obj.language or obj.datatype.value == XSD + "string":
                languages = node.setdefault(term, {})
                _add(languages, obj.language or "@none", obj.value)
                continue
        elif term and "@type" in definition:
            if isinstance(obj, Literal) and obj.datatype.value == definition["@type"] and not obj.language:
                _add(node, term, obj.value)
                continue
        elif term and "@container" not in definition:
            _add(node, term, _value(obj))
            continue
        _add(node, _prefixed(iri), _value(obj))
    return node


def node_objects(triples: Iterable[Triple]) -> Iterator[dict[str, Any]]:
    """One node object per subject; ``triples`` must come grouped by subject (sorted, as exports are)."""
    for subject, group in groupby(triples, key=lambda t: t.subject):
        yield _node(subject, ((t.predicate, t.object) for t in group))


def write_jsonld(triples: Iterable[Triple], out: BinaryIO) -> None:
    """Write ``triples`` (grouped by subject) as a JSON-LD document with budgetkg's context, streamed."""
    out.write(b'{\n"@context": ')
    out.write(json.dumps(context(), ensure_ascii=False, indent=1).encode("utf-8"))
    out.write(b',\n"@graph": [')
    separator = b"\n"
    for node in node_objects(triples):
        out.write(separator + json.dumps(node, ensure_ascii=False, sort_keys=True).encode("utf-8"))
        separator = b",\n"
    out.write(b"\n]}\n")


def jsonld_bytes(triples: Iterable[Triple]) -> bytes:
    """The JSON-LD document of a few triples (a page, an answer), sorted first."""
    import io

    buffer = io.BytesIO()
    write_jsonld(sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object))), buffer)
    return buffer.getvalue()
