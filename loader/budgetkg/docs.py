"""Text for the documentation, generated from the code and data it describes (kept in sync with cog).

``cog -r README.md ontology/README.md docs/*.md`` rewrites the generated blocks; the tests
run ``cog --check`` on the same files.
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
    "identity_kinds",
    "narrative_figures",
    "ontology_tables",
    "query_table",
    "table_structure",
    "theme_rules",
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
        hint = "<br>".join([kind.hint, *(f"{form}: {text}" for form, text in kind.hints.items())])
        rows.append(f"| `{kind.code}` | {kind.title_zh} | {kind.title_en} | {kind.why} | {hint} |")
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


def narrative_figures() -> str:
    """The narrative figures as a Markdown table: each key, with its label, unit, what the
    bundled document prints and the period its sentence states, and the table figure it is
    checked against (``data/narrative.toml``)."""
    from .read.document import read_document
    from .resources import read_toml

    compared = {f["key"]: f.get("compare_to") for f in read_toml("narrative.toml")["figure"]}
    rows = [
        "| key | 中文 | unit | printed (line) | period stated | checked against |",
        "|---|---|---|---|---|---|",
    ]
    for n in read_document().narrative:
        target = compared.get(n.key)
        checked = f"表{target['table']} `{target['row']}` / `{target['column']}`" if target else ""
        period = n.period.printed if n.period else ""
        rows.append(f"| `{n.key}` | {n.label} | {n.unit} | {n.amount.text} ({n.source.line}) | {period} | {checked} |")
    return "\n".join(rows)


def theme_rules() -> str:
    """The theme rules as a Markdown table: each rule's theme, the words it looks for in a
    project's name (``data/theme-rules.toml``), how many of the bundled document's projects it
    gives its theme, as the mapping assigns them, and how many a search of the names for the
    theme's Chinese label would find."""
    from collections import Counter

    from .rdf.themes import themes_for
    from .read.document import read_document
    from .resources import read_csv, read_toml

    doc = read_document()
    labels = {t["key"]: (t["label_zh"], t["label_en"]) for t in read_csv(f"codelists/theme-{doc.year}.csv")}
    given = Counter(m.rule for p in doc.projects for m in themes_for(p.name))
    rows = [
        "| rule | theme | 中文 | a project's name contains | unless it contains | projects | names containing 中文 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in read_toml("theme-rules.toml")["rule"]:
        zh, en = labels[r["theme"]]
        # "|" separates alternatives; a pipe ends a Markdown table cell, inside a code span too
        # (MkDocs shows a backslash before it), so it is written as an entity in HTML code
        words = "<code>" + html.escape(r["pattern"]).replace("|", " &#124; ") + "</code>"
        unless = "<code>" + html.escape(r["unless"]).replace("|", " &#124; ") + "</code>" if r.get("unless") else ""
        searched = sum(zh in p.name for p in doc.projects)
        rows.append(
            f"| `{r['id']}` | `{r['theme']}` ({en}) | {zh} | {words} | {unless} | {given[r['id']]} | {searched} |"
        )
    themed = sum(bool(themes_for(p.name)) for p in doc.projects)
    rows += ["", f"{themed} of the document's {len(doc.projects)} projects have a theme."]
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
