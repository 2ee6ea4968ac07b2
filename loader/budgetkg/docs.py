"""Text for the documentation, generated from the code and data it describes (kept in sync with cog).

``cog -r README.md ontology/README.md docs/*.md`` rewrites the generated blocks; the tests
run ``cog --check`` on the same files.
"""

from __future__ import annotations

from click.testing import CliRunner

__all__ = ["cli_help", "error_catalogue", "narrative_figures", "ontology_tables", "query_table", "theme_rules"]


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
        # "|" separates alternatives; escaped, as a Markdown table cell needs
        words = r["pattern"].replace("|", " \\| ")
        unless = "`" + r["unless"].replace("|", " \\| ") + "`" if r.get("unless") else ""
        searched = sum(zh in p.name for p in doc.projects)
        rows.append(
            f"| `{r['id']}` | `{r['theme']}` ({en}) | {zh} | `{words}` | {unless} | {given[r['id']]} | {searched} |"
        )
    themed = sum(bool(themes_for(p.name)) for p in doc.projects)
    rows += ["", f"{themed} of the document's {len(doc.projects)} projects have a theme."]
    return "\n".join(rows)
