"""Text for the documentation, generated from the code and data it describes (kept in sync with cog).

``cog -r README.md ontology/README.md docs/errors.md docs/queries.md`` rewrites the
generated blocks; the tests run ``cog --check`` on the same files.
"""

from __future__ import annotations

from click.testing import CliRunner

__all__ = ["cli_help", "error_catalogue", "ontology_tables", "query_table"]


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
