"""Text for the documentation, generated from the code and data it describes (kept in sync with cog).

``cog -r README.md ontology/README.md docs/*.md docs/*/*.md`` rewrites the generated blocks; the
tests run ``cog --check`` on the same files.
"""

from __future__ import annotations

import html
import json
from functools import cache
from typing import TYPE_CHECKING

from click.testing import CliRunner

if TYPE_CHECKING:
    from pyoxigraph import Store

__all__ = [
    "cli_help",
    "error_catalogue",
    "guide_query",
    "narrative_keys",
    "ontology_tables",
    "query_table",
    "table_structure",
]


def cli_help(*command: str) -> str:
    """The ``--help`` text of ``budgetkg COMMAND``, in a fenced block."""
    from .cli import cli

    result = CliRunner().invoke(cli, [*command, "--help"], prog_name="budgetkg", terminal_width=100)
    return "```\n" + result.output.rstrip() + "\n```"


def error_catalogue() -> str:
    """The error catalogue as a Markdown table."""
    from .errors import catalogue

    rows = ["| code | 中文 | English | why it matters | hint |", "|---|---|---|---|---|"]
    for kind in catalogue().values():
        rows.append(f"| `{kind.code}` | {kind.title_zh} | {kind.title_en} | {kind.why} | {kind.hint} |")
    return "\n".join(rows)


def ontology_tables() -> str:
    """One Markdown table per section of the ontology: term, labels, comment, domain, range."""
    import rdflib
    from rdflib.collection import Collection
    from rdflib.namespace import OWL, RDF, RDFS

    from .resources import ontology_dir

    g = rdflib.Graph()
    g.parse(data=ontology_dir().joinpath("budgetkg.ttl").read_text("utf-8"), format="turtle")
    ns = "https://w3id.org/budgetkg/ontology#"
    qb = rdflib.Namespace("http://purl.org/linked-data/cube#")

    def text(term, p, lang):
        return next((str(o) for o in g.objects(term, p) if o.language == lang), "")

    def short(node) -> str:
        if node is None:
            return ""
        if isinstance(node, rdflib.URIRef):
            return g.namespace_manager.normalizeUri(node)
        members = g.value(node, OWL.unionOf)  # a domain or range of several classes
        return " or ".join(short(m) for m in Collection(g, members)) if members is not None else ""

    sections = [
        ("Classes", OWL.Class),
        ("Dimensions", qb.DimensionProperty),
        ("Measures", qb.MeasureProperty),
        ("Attributes", qb.AttributeProperty),
    ]
    out = []
    seen = set()
    for title, kind in sections + [("Other properties", None)]:
        if kind is None:
            members = sorted(
                {  # a term of several types (a property that is also functional) once
                    s
                    for s in g.subjects(RDF.type, None)
                    if str(s).startswith(ns) and s not in seen and s != rdflib.URIRef(ns[:-1])
                },
                key=str,
            )
        else:
            members = sorted((s for s in g.subjects(RDF.type, kind) if str(s).startswith(ns)), key=str)
        seen.update(members)
        out += [
            f"### {title}",
            "",
            "| term | 中文 | English | comment | domain | range / parent |",
            "|---|---|---|---|---|---|",
        ]
        for s in members:
            # a class's named parent, not the restrictions it is also a subclass of
            parents = sorted(short(o) for o in g.objects(s, RDFS.subClassOf) if isinstance(o, rdflib.URIRef))
            parent = short(g.value(s, RDFS.range)) or next(iter(parents), "")
            out.append(
                f"| `bkg:{str(s)[len(ns) :]}` | {text(s, RDFS.label, 'zh')} | {text(s, RDFS.label, 'en')} | "
                f"{text(s, RDFS.comment, 'en')} | {short(g.value(s, RDFS.domain))} | {parent} |"
            )
        out.append("")
    return "\n".join(out).rstrip()


def query_table() -> str:
    """The query library as a Markdown table."""
    from .query.library import library

    rows = ["| name | 中文 | English | parameters |", "|---|---|---|---|"]
    for q in library():
        params = ", ".join(f"`{p.name}` ({p.type}, default `{p.default}`)" for p in q.params)
        rows.append(f"| `{q.slug}` | {q.title_zh} | {q.title_en} | {params} |")
    return "\n".join(rows)


@cache
def _bundled_store() -> Store:
    """The bundled document's graph and the vocabulary, in memory (the guide's figures come from it)."""
    from pyoxigraph import Store

    from .load.documents import document_graph
    from .load.graph import vocabulary_quads

    store = Store()
    store.extend(vocabulary_quads() + document_graph()[1])
    return store


def _select(query: str) -> list[list[str]]:
    """The rows of a SELECT on the bundled store (union of graphs), as plain values."""
    prefixes = (
        "PREFIX bkg: <https://w3id.org/budgetkg/ontology#> PREFIX qb: <http://purl.org/linked-data/cube#> "
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    )
    solutions = _bundled_store().query(prefixes + query, use_default_graph_as_union=True)
    return [[term.value if term is not None else "" for term in row] for row in solutions]  # type: ignore[union-attr]


def _codes(values: list[str], at_most: int = 14) -> str:
    """``a``, ``b`` … as code spans, the list cut after ``at_most`` with the count."""
    shown = ", ".join(f"`{v}`" for v in values[:at_most])
    return shown if len(values) <= at_most else f"{shown} … ({len(values)} in all)"


def table_structure(number: int) -> str:
    """What table ``number``'s observations hold, from its data structure definition (the template)
    and from the bundled document's graph: the dimensions and the codes each takes there, what each
    printed column stands for, and how many observations are totals of others."""
    from .rdf.structure import dimensions
    from .template.spec import template

    spec = template().spec(number)
    table = f"?t bkg:tableNumber {number} . ?o qb:dataSet ?t ."
    out = [
        f"Structure `https://w3id.org/budgetkg/structure/table-{number}` (layout `{spec.layout}`); "
        f"in English, *{spec.title_en}*.",
        "",
        "| dimension | codes in the bundled document |",
        "|---|---|",
    ]
    for dim in dimensions(spec):
        values = _select(
            f"SELECT DISTINCT ?v WHERE {{ {table} ?o bkg:{dim} ?x . "
            "OPTIONAL { ?x skos:notation ?n } BIND(COALESCE(?n, STR(?x)) AS ?v) } "
            "ORDER BY ?v"
        )
        codes = [v for (v,) in values]
        if dim in ("organization", "project"):
            kinds = _select(
                f"SELECT ?k (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {table} ?o bkg:{dim} ?x . "
                "?x a ?c . FILTER(STRSTARTS(STR(?c), 'https://w3id.org/budgetkg/ontology#')) "
                "BIND(STRAFTER(STR(?c), '#') AS ?k) } GROUP BY ?k ORDER BY ?k"
            )
            shown = ", ".join(f"{n} `bkg:{k}`" for k, n in kinds)
        elif dim == "fiscalYear":
            shown = ", ".join(f"<{v}>" for v in codes)
        else:
            shown = _codes(codes) if codes else "(none: the table is empty)"
        out.append(f"| `bkg:{dim}` | {shown} |")
    out += ["", "| printed column | stands for | a total of other columns |", "|---|---|---|"]
    totals = {s[0] for s in spec.sums}
    for column in spec.columns:
        column_codes = _select(
            f"SELECT DISTINCT ?p ?n WHERE {{ {table} ?o bkg:sourceColumn "
            f"{json.dumps('/'.join(column.path), ensure_ascii=False)} ; ?d ?x . ?x skos:notation ?n . "
            "VALUES (?d ?p) { (bkg:fundingSource 'funding source') "
            "(bkg:expenditureType 'expenditure type') } } ORDER BY ?p ?n"
        )
        meaning = "; ".join(
            f"{p} " + ", ".join(f"`{n}`" for q, n in column_codes if q == p)
            for p in dict.fromkeys(p for p, _ in column_codes)
        )
        out.append(f"| {' / '.join(column.path)} | {meaning} | {'yes' if column.key in totals else ''} |")
    if spec.rows:
        out += ["", "| printed row (ordinal removed) | stands for |", "|---|---|"]
        for label, row in spec.rows.items():
            meaning = ", ".join(f"{k.replace('_', ' ')} `{v}`" for k, v in row.items())
            out.append(f"| {label} | {meaning} |")
    (count, subtotals, missing), *_ = _select(
        f"SELECT (COUNT(?o) AS ?n) (SUM(IF(?s, 1, 0)) AS ?sub) "
        f"(SUM(IF(EXISTS {{ ?o a bkg:MissingCell }}, 1, 0)) AS ?m) "
        f"WHERE {{ {table} OPTIONAL {{ ?o bkg:isSubtotal ?s }} }}"
    )
    out += [
        "",
        f"In the bundled document: {count} cells ({subtotals} of them totals of others, `bkg:isSubtotal true`"
        + (f"; {missing} printed empty, `bkg:MissingCell`" if int(missing or 0) else "")
        + ").",
    ]
    return "\n".join(out)


def guide_query(name: str) -> str:
    """The example query ``queries/guide/NAME``, in a fenced block."""
    from .resources import queries_dir

    return "```sparql\n" + queries_dir().joinpath("guide", name).read_text("utf-8").rstrip() + "\n```"


def narrative_keys() -> str:
    """The narrative figures of the bundled document: key, label, value as printed with its unit."""
    rows = ["| key | 中文 | in the bundled document | line |", "|---|---|---|---|"]
    for key, label, printed, unit, line in _select(
        "SELECT ?k ?l ?p ?u ?n WHERE { ?f a bkg:NarrativeFigure ; bkg:narrativeKey ?k ; bkg:printedAmount ?p ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?l ; bkg:sourceLine ?n ; "
        "bkg:unitOfMeasure/skos:prefLabel ?u FILTER(LANG(?u) = 'zh') } ORDER BY ?n ?k"
    ):
        rows.append(f"| `{key}` | {label} | {printed} {unit} | {line} |")
    return "\n".join(rows)


def identity_kinds() -> str:
    """The accounting identities of the bundled document by kind (``bkg:identityKind``) and status."""
    rows = ["| kind | exact | rounding | broken | example |", "|---|---|---|---|---|"]
    for kind, exact, rounding, broken, example in _select(
        "SELECT ?k (SUM(IF(?s = 'exact', 1, 0)) AS ?e) (SUM(IF(?s = 'rounding', 1, 0)) AS ?r) "
        "(SUM(IF(?s = 'broken', 1, 0)) AS ?b) (MIN(?l) AS ?x) WHERE { ?i a bkg:AccountingIdentity ; "
        "bkg:identityKind ?k ; bkg:identityStatus/skos:notation ?s ; <http://www.w3.org/2000/01/rdf-schema#label> ?l } "
        "GROUP BY ?k ORDER BY ?k"
    ):
        rows.append(f"| `{kind}` | {exact} | {rounding} | {broken} | {example} |")
    return "\n".join(rows)


def theme_rules() -> str:
    """The rules that give projects their themes (``data/theme-rules.toml``), with the number of
    the bundled document's projects each theme has."""
    from .resources import read_toml

    counts = dict(
        (code, (label, n))
        for code, label, n in _select(
            "SELECT ?c ?l (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a bkg:Project ; bkg:theme ?t . "
            "?t skos:notation ?c ; skos:prefLabel ?l FILTER(LANG(?l) = 'zh') } GROUP BY ?c ?l"
        )
    )
    rows = ["| theme | rule | a project's name matches | unless it matches | projects here |", "|---|---|---|---|---|"]
    for rule in read_toml("theme-rules.toml")["rule"]:
        label, n = counts.get(rule["theme"], ("", "0"))
        # a pipe in a table cell ends the cell, also in a code span: written as an entity
        pattern = f"<code>{html.escape(rule['pattern']).replace('|', '&#124;')}</code>"
        unless = f"<code>{html.escape(rule['unless']).replace('|', '&#124;')}</code>" if "unless" in rule else ""
        rows.append(f"| `{rule['theme']}` {label} | `{rule['id']}` | {pattern} | {unless} | {n} |")
    return "\n".join(rows)
