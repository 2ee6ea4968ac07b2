"""The ``budgetkg`` command: a thin shell over the library."""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .errors import BudgetkgError, DocumentError

if TYPE_CHECKING:
    from .load.documents import DocumentSummary

EXIT_OK, EXIT_PROBLEMS, EXIT_UNREADABLE = 0, 1, 2
KJC_QUERY = "kjc-relocation-by-college"


# The files a folder named on the command line stands for: every form budgetkg reads (each file
# is then read by its content, whatever its name says).
DOCUMENT_SUFFIXES = (".pdf", ".xlsx", ".xls", ".html", ".htm", ".txt")


def _documents(paths: tuple[Path, ...]) -> list[Path] | None:
    """The documents named on the command line; a directory stands for its documents
    (``*.pdf``, ``*.xlsx``, ``*.xls``, ``*.html``, ``*.htm``, ``*.txt``)."""
    if not paths:
        return None
    out: list[Path] = []
    for p in paths:
        found = sorted(f for f in p.iterdir() if f.suffix.lower() in DOCUMENT_SUFFIXES) if p.is_dir() else [p]
        if not found:  # not the bundled document instead, nor an empty build
            raise BudgetkgError(f"{p}: no documents ({', '.join('*' + s for s in DOCUMENT_SUFFIXES)}) in this folder")
        out.extend(found)
    return out


class _Group(click.Group):
    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except BudgetkgError as exc:
            if ctx.params.get("debug"):
                raise
            click.echo(str(exc) if isinstance(exc, DocumentError) else f"error: {exc}", err=True)
            ctx.exit(EXIT_UNREADABLE)
        except BrokenPipeError:  # the reader of standard output went away (| head): click ends quietly
            raise
        except OSError as exc:  # a file or folder that could not be read or written
            if ctx.params.get("debug"):
                raise
            click.echo(f"error: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""), err=True)
            ctx.exit(EXIT_UNREADABLE)


def _base(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from .rdf.iri import data_base

    try:
        return None if value is None else data_base(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _web_address(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from .rdf.iri import web_address

    try:
        return None if value is None else web_address(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _mail_address(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from .rdf.iri import mail_address

    try:
        return None if value is None else mail_address(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _publisher_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    # A name shown in portals: one line of printable text, bounded.
    if not value.strip() or len(value) > 200 or not value.isprintable():
        raise click.BadParameter("a publisher's name is one line of at most 200 printable characters")
    return value.strip()


def _published(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    # The day as written, YYYY-MM-DD, and a real one (date.fromisoformat alone takes 20240101 too).
    if value is None:
        return None
    try:
        if len(value) != 10 or value[4] != "-" or value[7] != "-":
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value[:40]!r} is not a day written YYYY-MM-DD") from None


store_option = click.option(
    "--store",
    type=click.Path(path_type=Path),
    envvar="BUDGETKG_STORE",
    default=None,
    help="Store folder (default: $BUDGETKG_STORE, else ~/.local/share/budgetkg/store).",
)
via_option = click.option(
    "--via",
    type=click.Choice(["chromium", "libreoffice"]),
    default="chromium",
    show_default=True,
    help="What prints a PDF: headless Chromium from the web page, or LibreOffice from the workbook.",
)
docs_argument = click.argument("docs", nargs=-1, type=click.Path(exists=True, path_type=Path))


def auth_options(f):
    """--user, --password, --auth for remote endpoints."""
    f = click.option(
        "--auth",
        type=click.Choice(["digest", "basic"]),
        default="digest",
        show_default=True,
        help="HTTP authentication scheme (Virtuoso wants digest).",
    )(f)
    f = click.option(
        "--password",
        envvar="BUDGETKG_PASSWORD",
        default=None,
        help="Password for --user (default: $BUDGETKG_PASSWORD).",
    )(f)
    return click.option("--user", default=None, help="User name for the remote endpoint (default: none).")(f)


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors (default: message only).")
@click.version_option(package_name="budgetkg")
def cli(debug: bool) -> None:
    """budgetkg: Chinese department budget disclosures (部门预算公开) as a knowledge graph.

    Exit codes: 0 success; 1 the job ran and found problems in the data (broken
    identities); 2 the job could not run (unreadable input, usage error).
    """


@cli.command()
@docs_argument
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table: a readable report; json: every identity with its figures and source lines, and "
    "for a document that cannot be read, its error (code, line, expected, found).",
)
@click.option("--all", "show_all", is_flag=True, help="List exact identities too (default: only rounding and broken).")
def check(docs: tuple[Path, ...], fmt: str, show_all: bool) -> None:
    """Read disclosures and check their accounting identities (勾稽关系).

    DOCS are disclosures as PDF, Excel workbook (.xlsx, .xls), web page or text, each read by
    its content, or directories of them (default: the bundled Guangzhou HRSS 2024 budget).
    Exit 0 when every document read and no identity is broken, 1 when some identity is
    broken, 2 when some input could not be read.
    """
    from .check.accounts import check_document
    from .read.document import read_document

    status = EXIT_OK
    results: list[dict] = []  # for --format json: each document's report, or why it could not be read
    paths: list[Path] | list[None] = _documents(docs) or [None]  # None: the bundled document
    for path in paths:
        try:
            report = check_document(read_document(path))
        except BudgetkgError as exc:
            click.echo(str(exc), err=True)
            status = EXIT_UNREADABLE
            error = exc.as_dict() if isinstance(exc, DocumentError) else {"message": str(exc)}
            results.append({"file": getattr(exc, "filename", None) or str(path), "error": error})
            continue
        if report.broken and status == EXIT_OK:
            status = EXIT_PROBLEMS
        if fmt == "json":
            results.append(report.to_json())
        else:
            click.echo(report.to_text(show="all" if show_all else "problems"))
    if fmt == "json":
        json.dump(results, sys.stdout, ensure_ascii=False, indent=2)
        click.echo()
    sys.exit(status)


@cli.command()
@click.argument("doc", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Text file to write, replaced whole or not at all (default: standard output).",
)
def convert(doc: Path, out: Path | None) -> None:
    """Write a disclosure of any form as the text layout budgetkg reads.

    DOC is a PDF, an Excel workbook (.xlsx, .xls), a web page or a text file, told apart by
    its content. The text shows what was read: one line per paragraph or heading, one per
    table row with its cells separated by tabs. A cell read wrongly can be mended in the text
    by hand, and the text checked and built like any document. Exit 2 when DOC cannot be read.
    """
    from .publish.export import write_atomic
    from .read.forms import convert as to_text
    from .read.forms import read_source

    text = to_text(read_source(doc), doc.name)
    if out is None:
        click.echo(text, nl=False)
    else:
        write_atomic(out, text.encode("utf-8"))
        click.echo(f"{out}: {text.count(chr(10))} lines", err=True)


@cli.command()
@docs_argument
@store_option
@click.option(
    "--base",
    default=None,
    metavar="IRI",
    callback=_base,
    help="Base of data IRIs (default: https://w3id.org/budgetkg/data/). Ontology and code-list IRIs never change.",
)
@click.option(
    "--replace-all", is_flag=True, help="Start from an empty store (default: keep the graphs of other documents)."
)
@click.option(
    "--answer/--no-answer",
    default=None,
    help="Print the answer to the 科教城 question after building (default: when building the bundled document).",
)
@click.option(
    "--source-url",
    default=None,
    metavar="URL",
    callback=_web_address,
    help="The official web page of the disclosure (one document only), stated in its graph and the catalogue "
    "(default: none).",
)
@click.option(
    "--published",
    default=None,
    metavar="YYYY-MM-DD",
    callback=_published,
    help="The day the government published the disclosure (one document only; default: none).",
)
@click.option(
    "--dumps/--no-dumps",
    default=True,
    show_default=True,
    help="Write the store's downloadable dumps (RDF, Fiscal Data Package) once it is built; without them, "
    "`serve` writes them in the background.",
)
def build(
    docs: tuple[Path, ...],
    store: Path | None,
    base: str | None,
    replace_all: bool,
    answer: bool | None,
    source_url: str | None,
    published: date | None,
    dumps: bool,
) -> None:
    """Build disclosures into the embedded store, each into its own named graph.

    DOCS are disclosures as PDF, Excel workbook (.xlsx, .xls), web page or text, each read by
    its content, or directories of them (default: the bundled document). What
    several documents state alike (their organisations, codes the code lists lack) is
    added to the reference graphs, where it is stated once. The build is atomic: if any
    document cannot be read, the store stays as it was. Then the dumps that `serve` offers
    are written, in the store's folder.
    Exit 1 when some document has a broken identity (the graph is built all the same).
    """
    from .load.graph import build as build_graph
    from .rdf.iri import DEFAULT_BASE
    from .rdf.mapping import Disclosure

    paths = _documents(docs)
    disclosure = None
    if source_url is not None or published is not None:
        if paths is not None and len(paths) != 1:
            raise click.UsageError("--source-url and --published describe one document: build it alone")
        disclosure = Disclosure(source_url, published)
    broken = 0

    # Each document's line as soon as it is mapped, not all at the end: a build of many
    # documents shows its progress, and a document with a broken identity is seen at once.
    def built(d: DocumentSummary) -> None:
        nonlocal broken
        ids = d.identities
        broken += ids["broken"]
        click.echo(
            f"{d.file}: {d.department} {d.year}: {d.units} units, {d.projects} projects, "
            f"{d.observations} observations, {d.triples} triples; identities {ids['exact']} exact / "
            f"{ids['rounding']} rounding / {ids['broken']} broken",
            err=True,
        )
        if d.codes_not_in_lists:
            click.echo(
                f"  codes not in the code lists: {d.codes_not_in_lists} (named as printed, without English "
                f"labels; `budgetkg check {d.file}` lists them)",
                err=True,
            )

    result = build_graph(
        paths, store=store, base=base or DEFAULT_BASE, replace_all=replace_all, progress=built, disclosure=disclosure
    )
    for d in result.documents:
        old = result.replaced.get(d.graph)
        if old is not None:
            # the graph's IRI comes from the department and year alone: a second form replaces the first
            click.echo(
                f"replaces {old.department} {old.year} built from {old.file} ({old.form or '?'}) "
                f"with {d.file} ({d.form})",
                err=True,
            )
    click.echo(f"store {result.store}: {result.quads} quads in {result.graphs} graphs", err=True)
    if dumps:
        _write_dumps(result.store)
    if answer or (answer is None and paths is None):
        _print_query(KJC_QUERY, store, {}, "table", "zh")
    sys.exit(EXIT_PROBLEMS if broken else EXIT_OK)


def _write_dumps(store: Path) -> None:
    """Write the dumps of the store's new database, which `serve` offers (see budgetkg.publish.dumps)."""
    from .load.store import live_database
    from .publish.dumps import DUMPS_FOLDER, write_generation

    started = time.monotonic()
    try:
        written = write_generation(live_database(store), store / DUMPS_FOLDER)
    except OSError as exc:  # a full disk: the store is built all the same
        click.echo(f"the dumps could not be written ({exc}); `serve` writes them in the background", err=True)
    else:
        click.echo(
            f"dumps: {len(written)} files, {sum(d.size for d in written.values()) / 2**20:.1f} MiB, written "
            f"in {time.monotonic() - started:.1f} s",
            err=True,
        )


TABLE_FORMATS = ("table", "csv", "tsv", "json")
GRAPH_FORMATS = ("ttl", "nt", "jsonld", "rdfxml")


def _print_query(
    query: str,
    store: Path | None,
    params: dict[str, str],
    fmt: str,
    lang: str,
    endpoint=None,
    documents: tuple[str, ...] = (),
    iris: bool = False,
) -> None:
    from .query.library import render_table, resolve, run_query
    from .query.sparql_text import query_form

    text, lib = resolve(query)
    form = query_form(text)
    graph = form in ("CONSTRUCT", "DESCRIBE")
    if graph and fmt in ("csv", "tsv"):
        raise click.UsageError(
            f"a {form} query gives a graph: --format "
            + ", ".join(GRAPH_FORMATS)
            + " (table gives Turtle, json JSON-LD)"
        )
    if iris and fmt not in ("csv", "tsv"):
        raise click.UsageError("--iri keeps IRIs beside the labels of --format csv or tsv (json gives both already)")
    if not graph and fmt in GRAPH_FORMATS:
        raise click.UsageError(
            f"a {form} query gives {'true or false' if form == 'ASK' else 'a table'}: "
            "--format " + ", ".join(TABLE_FORMATS)
        )
    source = endpoint
    if source is None:
        from .load.store import open_store

        source = open_store(store)
    answer = run_query(source, query, params=params, lang=lang, documents=documents)
    if isinstance(answer, list):
        from .publish.export import write_statements
        from .rdf.prefixes import prefix_table

        statements = [str(t) for t in answer]
        used = {p: ns for p, ns in prefix_table().items() if any(ns in s for s in statements)}
        write_statements(statements, {"table": "ttl", "json": "jsonld"}.get(fmt, fmt), sys.stdout.buffer, prefixes=used)
        return
    if isinstance(answer, bool):
        click.echo(json.dumps({"head": {}, "boolean": answer}) if fmt == "json" else str(answer).lower())
        return
    result = answer
    if fmt == "table":
        if lib:
            click.echo(f"# {lib.title_zh if lang == 'zh' else lib.title_en}")
        click.echo(render_table(result))
        return
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "head": {"vars": result.variables},
                    "results": {
                        "bindings": [
                            {
                                v: _json_term(t, result.labels)
                                for v, t in zip(result.variables, row, strict=True)
                                if t is not None
                            }
                            for row in result.rows
                        ]
                    },
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return
    import csv

    header, rows = result.with_iris() if iris else (result.variables, result.values(lang))
    writer = csv.writer(sys.stdout, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)


def _json_term(term, labels: dict[str, str]) -> dict[str, str]:
    from .query.library import json_term

    out = json_term(term)
    if term.value in labels and out["type"] == "uri":
        out["label"] = labels[term.value]
    return out


def _source(store: Path | None, endpoint: str | None, user: str | None, password: str | None, auth: str):
    """The embedded store, or a remote endpoint standing in for it."""
    if endpoint:
        from .query.remote import Auth, Endpoint, RemoteStore

        return RemoteStore(Endpoint(endpoint, auth=Auth(user, password, auth)))
    from .load.store import open_store

    return open_store(store)


endpoint_option = click.option(
    "--endpoint",
    metavar="URL",
    default=None,
    help="Read from a remote SPARQL 1.1 query endpoint instead of the embedded store (its budgetkg graphs).",
)


def _params(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for v in values:
        if "=" not in v:
            raise click.UsageError(f"--param takes NAME=VALUE, found {v!r}")
        name, value = v.split("=", 1)
        out[name.strip()] = value
    return out


@cli.command()
@click.argument("query")
@click.option(
    "--param",
    "-p",
    "param_values",
    multiple=True,
    metavar="NAME=VALUE",
    help="Bind a parameter of a library query (repeatable); see `budgetkg queries` for each query's parameters.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*TABLE_FORMATS, *GRAPH_FORMATS]),
    default="table",
    show_default=True,
    help="SELECT: table (aligned text with labels), csv or tsv (labels for IRIs), json (SPARQL JSON "
    "results, IRIs with labels). ASK: true or false (json: SPARQL JSON). CONSTRUCT and DESCRIBE: "
    "ttl (also for table), nt, jsonld (also for json) or rdfxml, sorted.",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the labels shown for IRIs (falls back to the other language).",
)
@click.option(
    "--document",
    "documents",
    multiple=True,
    metavar="NAME",
    help="Ask only this document (repeatable): its graph IRI or title, as `budgetkg list` lists them, or "
    "the name of the file it was built from. Its graph, the vocabulary and the reference graphs are "
    "then the default graph.",
)
@click.option(
    "--iri",
    "iris",
    is_flag=True,
    default=False,
    help="csv and tsv: beside each column that holds IRIs, a column NAME_iri of the IRIs themselves "
    "(default: labels only).",
)
@store_option
@click.option(
    "--endpoint",
    metavar="URL",
    default=None,
    help="Ask a remote SPARQL 1.1 query endpoint instead of the embedded store (through SPARQLWrapper); "
    "its budgetkg graphs are the default graph.",
)
@auth_options
def query(
    query: str,
    param_values: tuple[str, ...],
    fmt: str,
    lang: str,
    documents: tuple[str, ...],
    iris: bool,
    store: Path | None,
    endpoint: str | None,
    user: str | None,
    password: str | None,
    auth: str,
) -> None:
    """Run QUERY on the store: a library name (see `budgetkg queries`), a .rq file or SPARQL text
    (SELECT, ASK, CONSTRUCT or DESCRIBE).

    Queries see the union of all named graphs as their default graph, unless they name
    their own dataset with FROM / FROM NAMED, or --document names the documents to ask: in a
    store of several departments or years, a query about one document then answers for it
    alone, without reading the others.
    """
    remote = None
    if endpoint:
        from .query.remote import Auth, Endpoint

        remote = Endpoint(endpoint, auth=Auth(user, password, auth))
    _print_query(query, store, _params(param_values), fmt, lang, remote, documents, iris)


@cli.command()
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the titles."
)
def queries(lang: str) -> None:
    """List the query library: name, title and parameters."""
    from .query.library import library

    for q in library():
        title = q.title_zh if lang == "zh" else q.title_en
        params = " ".join(f"--param {p.name}={p.default}" for p in q.params)
        click.echo(f"{q.slug:40} {title}" + (f"  [{params}]" if params else ""))


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ttl", "nt", "nq", "trig", "jsonld", "rdfxml", "graphml", "fdp"]),
    default="nq",
    show_default=True,
    help="RDF syntax (ttl, nt, jsonld and rdfxml hold the union of all graphs; nq and trig keep the named "
    "graphs), graphml "
    "for the network of units, projects, codes, funding sources and themes, or fdp for a Fiscal Data "
    "Package 1.0 (datapackage.json and one CSV per resource; -o names a folder, default budgetkg-fdp).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="File to write (default: standard output). Written to a temporary file and renamed, never half-written.",
)
@store_option
@endpoint_option
@auth_options
def export(
    fmt: str,
    output: Path | None,
    store: Path | None,
    endpoint: str | None,
    user: str | None,
    password: str | None,
    auth: str,
) -> None:
    """Export the store's graph: every RDF syntax, sorted and deterministic, or GraphML."""
    from .publish.export import export_file, write_export

    source = _source(store, endpoint, user, password, auth)
    if fmt == "fdp":
        from .publish.fdp import write_fdp

        for path in write_fdp(source, output or Path("budgetkg-fdp")):
            click.echo(str(path), err=True)
        return
    if output is None:
        write_export(source, fmt, sys.stdout.buffer)
        return
    size = export_file(source, fmt, output)
    click.echo(f"wrote {output} ({size} bytes)", err=True)


@cli.command()
@click.option(
    "--endpoint",
    metavar="URL",
    required=True,
    help="Where to load the graphs: a Graph Store Protocol URL (Oxigraph: http://HOST:PORT/store; "
    "Virtuoso: http://HOST:PORT/sparql-graph-crud-auth) or, with --protocol update, a SPARQL Update endpoint.",
)
@click.option(
    "--protocol",
    type=click.Choice(["gsp", "update"]),
    default="gsp",
    show_default=True,
    help="gsp: one PUT per named graph (POST for a reference graph); update: DROP GRAPH "
    "(not for a reference graph) then INSERT DATA in batches.",
)
@click.option(
    "--graph",
    "graphs",
    multiple=True,
    metavar="IRI",
    help="Push only this named graph (repeatable; default: every graph of the store, vocabulary included).",
)
@click.option(
    "--update-endpoint",
    metavar="URL",
    help="The store's SPARQL Update endpoint, on which to settle the reference graphs after the push "
    "(Oxigraph: http://HOST:PORT/update; Virtuoso: http://HOST:PORT/sparql-auth; default: "
    "--endpoint with --protocol update, else not settled).",
)
@auth_options
@store_option
def push(
    endpoint: str,
    protocol: str,
    graphs: tuple[str, ...],
    update_endpoint: str | None,
    user: str | None,
    password: str | None,
    auth: str,
    store: Path | None,
) -> None:
    """Load each document's named graph (and the vocabulary graph) into a remote SPARQL store.

    Each graph replaces the graph of the same name there, so pushing twice changes nothing;
    the reference graphs (organisations, codes as printed) are added to, so that several
    stores pushed to one endpoint state them once. Then they are settled, as a build settles
    them, where a SPARQL Update endpoint is known: organisations that no document graph
    there lists any more (a unit renamed in a rebuilt document) leave them, and so do
    printed codes the code lists now have.
    """
    from .load.store import open_store
    from .query.remote import Auth
    from .query.remote import push as push_graphs

    settle_at = update_endpoint or (endpoint if protocol == "update" else None)
    for graph, count in push_graphs(
        open_store(store),
        endpoint,
        protocol=protocol,
        auth=Auth(user, password, auth),
        graphs=list(graphs) or None,
        settle_at=settle_at,
    ):
        click.echo(f"{graph}\t{count} triples", err=True)
    if settle_at is None:
        click.echo(
            "the reference graphs were added to, not settled: what a rebuilt document no longer states stays "
            "there until a push with --update-endpoint",
            err=True,
        )


@cli.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("budgetkg-report"),
    show_default=True,
    help="Folder for the PNG files (created if needed; existing charts are overwritten).",
)
@click.option(
    "--document",
    "documents",
    multiple=True,
    metavar="NAME",
    help="Draw only this document (repeatable), named as for `budgetkg query --document`.",
)
@store_option
@endpoint_option
@auth_options
def report(
    out: Path,
    documents: tuple[str, ...],
    store: Path | None,
    endpoint: str | None,
    user: str | None,
    password: str | None,
    auth: str,
) -> None:
    """Draw the charts of “where the money goes” as PNG files, for people who do not use Jupyter.

    Funding-source composition per unit, basic vs project spending, the functional
    classification as a treemap, the largest projects, the flow from funding sources
    through units to spending (Sankey), and the 科教城 spending per college. Needs the
    plotting extras (pip install "budgetkg[notebooks]") and a CJK font for the labels.
    In a store of several documents, the charts add their figures together: draw one
    with --document.
    """
    try:  # the plotting extras, which charts.py imports only where it draws
        import matplotlib  # noqa: F401
        import pandas  # noqa: F401
        import squarify  # noqa: F401
    except ImportError as exc:
        raise click.UsageError(f'{exc.name} is not installed: pip install "budgetkg[notebooks]"') from None
    from .publish.charts import write_report

    for path in write_report(_source(store, endpoint, user, password, auth), out, documents=documents):
        click.echo(str(path))


def _rendered(data: bytes, name: str, fmt: str, via: str) -> bytes:
    """A document's bytes in the form ``fmt`` (``txt``: as they are)."""
    from .render.html import render_html
    from .render.pdf import render_pdf, render_xls
    from .render.xlsx import render_xlsx

    if fmt == "html":
        return render_html(data, name).encode("utf-8")
    if fmt == "xlsx":
        return render_xlsx(data, name)
    if fmt == "xls":
        return render_xls(data, name)
    if fmt == "pdf":
        return render_pdf(data, name, "libreoffice" if via == "libreoffice" else "chromium")
    return data


@cli.command()
@click.argument("doc", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pdf", "xlsx", "xls", "html"]),
    default="pdf",
    show_default=True,
    help="pdf: printed A4 landscape; xlsx/xls: a workbook, one sheet per table; html: one web page.",
)
@via_option
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: DOC's name with the format's suffix, in the current folder).",
)
def render(doc: Path | None, fmt: str, via: str, out: Path | None) -> None:
    """Write a disclosure in a form bureaus publish: PDF, Excel workbook or web page.

    DOC is a disclosure in any form budgetkg reads (default: the bundled Guangzhou HRSS
    2024 budget). Its twelve tables and its text are laid out as a bureau's are: a sheet or
    an HTML table per table, multi-level headers merged, header rows repeated on each
    printed page, long cells wrapped. PDF and .xls need LibreOffice (libreoffice-calc-nogui)
    or Chromium installed. Exit 2 when the document cannot be read or the tool is missing.
    """
    from .publish.export import write_atomic
    from .read.forms import read_source
    from .resources import default_document

    source = default_document() if doc is None else doc
    data, name = read_source(source), source.name
    result = _rendered(data, name, fmt, via)
    path = out or Path(Path(name).stem + "." + fmt)
    write_atomic(path, result)
    click.echo(str(path))


@cli.command()
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="Seed of the first document; the same seed gives the same document.",
)
@click.option(
    "--count",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="How many documents (seeds SEED, SEED+1, …).",
)
@click.option("--year", type=int, default=2024, show_default=True, help="Budget year of the documents.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder for the files synthetic-<seed>.<format> (created if needed).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["txt", "pdf", "xlsx", "xls", "html"]),
    default="txt",
    show_default=True,
    help="The form to write each document in: the text layout, or a rendering as `budgetkg render` makes it.",
)
@via_option
def generate(seed: int, count: int, year: int, out: Path, fmt: str, via: str) -> None:
    """Write synthetic department budgets in the template of the bundled document.

    Each is a different made-up department with its own units, projects, goals, codes
    and funding mix, page breaks and repeated headers, printed in one of the ways
    departments print the template (words before the titles, the lines above the headers,
    the note of an empty table); its accounting identities hold (rounding differences
    included, as in real documents). For tests and benchmarks.
    """
    from .publish.export import write_atomic
    from .tooling.synthetic import generate as make

    out.mkdir(parents=True, exist_ok=True)
    for n in range(seed, seed + count):
        doc = make(n, year=year)
        path = out / f"synthetic-{n}.{fmt}"
        write_atomic(path, _rendered(doc.text.encode("utf-8"), f"synthetic-{n}.txt", fmt, via))
        click.echo(f"{path}\t{doc.department}\t{len(doc.units)} units\t{len(doc.projects)} projects")


def _token_on_command_line(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    # The option that took the token itself is gone: a command line is visible to every local user (ps).
    if value is not None:
        raise click.UsageError(
            "the update token is not taken on the command line, where every local user can "
            "read it (ps): put it in a file readable only by you and give --update-token-file "
            "PATH, or set the environment variable BUDGETKG_UPDATE_TOKEN",
            ctx,
        )


def _update_token(path: Path | None) -> str | None:
    """The token `serve` accepts updates with: the first line of ``path``, else $BUDGETKG_UPDATE_TOKEN.

    :raises click.UsageError: when both are given, or the token is empty.
    """
    import os

    given = os.environ.get("BUDGETKG_UPDATE_TOKEN")
    if path is not None and given is not None:
        raise click.UsageError(
            "the update token is given twice: by --update-token-file and by BUDGETKG_UPDATE_TOKEN; give one"
        )
    if path is not None:
        with open(path, encoding="utf-8") as handle:
            given = handle.readline(4096).rstrip("\r\n")
    if given is not None and not given.strip():
        raise click.UsageError("the update token is empty")
    return given.strip() if given is not None else None


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback only by default).")
@click.option("--port", type=click.IntRange(1, 65535), default=7878, show_default=True, help="Port to listen on.")
@click.option(
    "--base",
    default=None,
    metavar="IRI",
    callback=_base,
    help="Public base of the data IRIs: a request for /PATH describes BASE+PATH (default: the base the "
    "store's documents were built with, `build --base`). Set it when a proxy serves a public base.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds a query may run; a longer one is answered 503, and the server process running it is "
    "replaced by a fresh one (a query cannot be stopped otherwise).",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Rows (or triples) per answer; a longer answer is cut and says so (X-Budgetkg-Truncated header, "
    'and a "budgetkg" member in JSON results).',
)
@click.option(
    "--max-request-bytes",
    type=click.IntRange(min=1),
    default=100_000,
    show_default=True,
    help="Largest query or update accepted; a larger request is answered 413.",
)
@click.option(
    "--max-answer-bytes",
    type=click.IntRange(min=1),
    default=16_000_000,
    show_default=True,
    help="Largest answer sent, in bytes; a query whose answer is larger is answered 413 (it is not built whole first).",
)
@click.option(
    "--max-memory",
    type=click.IntRange(min=64),
    default=1024,
    show_default=True,
    metavar="MIB",
    help="MiB of memory a server process may hold while it runs queries (the store's copy in memory "
    "included); past it, the queries it runs are answered 503 and it is replaced by a fresh one.",
)
@click.option(
    "--max-client-queries",
    type=click.IntRange(min=1),
    default=32,
    show_default=True,
    help="Queries one client address may have running or waiting in a server process; past it, 503 "
    "with Retry-After. Clients without a recent quick answer run one query at a time, and never "
    "on a process's last free thread.",
)
@click.option(
    "--allow-service",
    multiple=True,
    metavar="URL",
    help="An endpoint that queries may call with SERVICE (repeatable; default: none, SERVICE is refused).",
)
@click.option(
    "--update-token-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    metavar="PATH",
    help="Accept SPARQL updates carrying Authorization: Bearer TOKEN, the token being the first line of "
    "this file; or set the environment variable BUDGETKG_UPDATE_TOKEN to the token (default: "
    "read-only, updates refused). Never on the command line, which every local user can read.",
)
@click.option(
    "--update-token",
    hidden=True,
    default=None,
    expose_value=False,
    callback=_token_on_command_line,
    help="Refused (a usage error): the token on the command line is visible to every local user.",
)
@click.option(
    "--public-url",
    default=None,
    metavar="URL",
    help="Address clients reach the server at, as the descriptions and the query page give the endpoint "
    "(default: http://HOST:PORT/ as the server listens). Set it behind a proxy.",
)
@click.option(
    "--max-header-bytes",
    type=click.IntRange(min=1024),
    default=32_768,
    show_default=True,
    help="Bytes of header fields a request may have (and at most 100 of them); past it, 431.",
)
@click.option(
    "--request-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds a connection may wait on its client: for a request to arrive whole (from the "
    "connection's opening or the last answer; past it, 408 or closed) or for it to read on when an "
    "answer fills the send buffers (past it, the connection is cut).",
)
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    default=256,
    show_default=True,
    help="Connections each server process holds at once; a connection past it is answered 503 and closed.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Server processes; each answers requests and runs their queries, three at a time.",
)
@click.option(
    "--in-memory/--on-disk",
    "in_memory",
    default=None,
    help="Whether each server process copies the store into memory (faster answers, about 7× the "
    "store's size on disk in memory per copy) or reads it on disk. Default: in memory when the "
    "store is at most 64 MiB on disk (about six documents).",
)
@click.option(
    "--access-log",
    default=None,
    metavar="FILE",
    help="Log each request, one line in the Combined Log Format, appended to FILE (- for standard "
    "error). Default: no access log. Never logs the Authorization header (the update token).",
)
@click.option(
    "--publisher",
    default="budgetkg",
    show_default=True,
    metavar="NAME",
    callback=_publisher_name,
    help="Who publishes the catalogue (/catalog): the publisher named there, of the catalogue, the service "
    "and the dumps.",
)
@click.option(
    "--publisher-url",
    default=None,
    metavar="URL",
    callback=_web_address,
    help="The publisher's web site, its IRI in the catalogue (default: the server's address + #publisher).",
)
@click.option(
    "--contact-email",
    default=None,
    metavar="ADDRESS",
    callback=_mail_address,
    help="Where to write about the data: the contact point of every dataset and the service (default: none).",
)
@click.option(
    "--licence",
    default="https://creativecommons.org/licenses/by/4.0/",
    show_default=True,
    metavar="URL",
    callback=_web_address,
    help="The licence of the catalogue, the service and the dumps (each document's graph states CC BY 4.0).",
)
@click.option(
    "--get",
    "get_path",
    default=None,
    metavar="PATH",
    help="Run one GET request in-process, print the response and exit (no socket; for scripts and tests).",
)
@store_option
def serve(
    host: str,
    port: int,
    base: str | None,
    timeout: float,
    max_rows: int,
    max_request_bytes: int,
    max_answer_bytes: int,
    max_memory: int,
    max_client_queries: int,
    allow_service: tuple[str, ...],
    update_token_file: Path | None,
    public_url: str | None,
    max_header_bytes: int,
    request_timeout: float,
    max_connections: int,
    workers: int,
    in_memory: bool | None,
    access_log: str | None,
    publisher: str,
    publisher_url: str | None,
    contact_email: str | None,
    licence: str,
    get_path: str | None,
    store: Path | None,
) -> None:
    """Serve the store: a web site, the SPARQL endpoint, resource pages, dumps, VoID and DCAT.

    / is the home page: the documents, each browsable table by table (/browse/), their
    sources (/source/) and search (/search). /sparql is the SPARQL 1.1 Protocol endpoint (GET
    and POST; JSON, XML, CSV, TSV results; Turtle, N-Triples, JSON-LD, RDF/XML graphs); in a
    browser, /sparql is the query editor with the query library as examples, and a query's
    results a labelled table; every IRI budgetkg mints dereferences to an HTML page or RDF;
    /catalog, /.well-known/void and /.well-known/sparql-examples describe the data, and
    /dumps/ holds the downloads.
    """
    from .load.store import data_bases, default_store_path, open_store
    from .rdf.iri import DEFAULT_BASE
    from .server import ServerOptions, create_app
    from .server.describe import Publisher
    from .server.run import public_url as server_url

    try:
        address = server_url(public_url, host, port)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--public-url'") from None
    if access_log not in (None, "-"):
        try:  # now, clearly, rather than in each server process
            with open(access_log, "ab"):
                pass
        except OSError as exc:
            raise click.BadParameter(
                f"cannot append to {access_log}: {exc.strerror}", param_hint="'--access-log'"
            ) from None
    path = Path(store or default_store_path())
    bases = data_bases(open_store(path))  # and fail now, clearly, when nothing has been built
    if base is None and len(bases) > 1:
        raise click.UsageError(
            "the store holds documents built with different bases (" + ", ".join(bases) + "): give --base"
        )
    options = ServerOptions(
        store=path,
        base=base or (bases[0] if bases else DEFAULT_BASE),
        timeout=timeout,
        max_rows=max_rows,
        max_request_bytes=max_request_bytes,
        max_answer_bytes=max_answer_bytes,
        max_memory=max_memory,
        max_client_queries=max_client_queries,
        allow_service=allow_service,
        update_token=_update_token(update_token_file),
        workers=workers,
        in_memory=in_memory,
        public_url=address,
        max_header_bytes=max_header_bytes,
        request_timeout=request_timeout,
        max_connections=max_connections,
        access_log=access_log,
        publisher=Publisher(publisher, publisher_url, contact_email, licence),
    )
    if get_path is not None:
        import asyncio

        import httpx

        app = create_app(options)

        async def fetch() -> httpx.Response:
            # The app answers in this process (its lifespan opens the store and starts the query threads).
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as client,
            ):
                # as a browser asks: pages as HTML, anything else as the server likes
                return await client.get(get_path, headers={"Accept": "text/html, */*;q=0.1"})

        response = asyncio.run(fetch())
        click.echo(response.text, nl=False)
        sys.exit(EXIT_OK if response.status_code < 400 else EXIT_PROBLEMS)
    from .server.run import listen, run_server

    sock = listen(host, port)
    click.echo(f"budgetkg serving {path} at {address} (SPARQL: {address}sparql)", err=True)
    if not run_server(options, sock):
        click.echo("budgetkg: a server process could not start (its error is above)", err=True)
        sys.exit(EXIT_PROBLEMS)


def _sizes(ctx: click.Context, param: click.Parameter, value: str) -> list[int]:
    try:
        numbers = [int(n) for n in value.split(",") if n.strip()]
    except ValueError:
        raise click.BadParameter(f"expected numbers of documents separated by commas, found {value!r}") from None
    if any(n < 1 for n in numbers):
        raise click.BadParameter(f"each number of documents must be at least 1, found {value!r}")
    return numbers


@cli.command()
@click.option(
    "--sizes",
    default="1,10,100,1000",
    show_default=True,
    callback=_sizes,
    help="Numbers of generated documents to build (comma-separated; empty to skip).",
)
@click.option(
    "--runs", type=click.IntRange(min=1), default=5, show_default=True, help="Runs per timed step (the median is kept)."
)
# 600 requests a load run: at 32 clients about 19 requests each, so that a run's opening (32 new
# connections) and its tail (the last requests, most clients done) weigh little (with 200, about 6 each).
@click.option(
    "--requests",
    type=click.IntRange(min=1),
    default=600,
    show_default=True,
    help="Requests per serving load run (three runs a server, in turn with the Oxigraph server).",
)
@click.option("--no-serve", is_flag=True, help="Skip the serving comparison with the Oxigraph server.")
@click.option(
    "--queries",
    "query_limit",
    type=click.IntRange(min=1),
    default=None,
    help="Compare only the first N library queries with rdflib (default: all).",
)
@click.option(
    "--pdf-pages",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Pages of the PDF whose reading's peak memory is measured.",
)
@click.option(
    "--pdf-documents",
    type=click.IntRange(min=0),
    default=8,
    show_default=True,
    help="Generated documents built from their PDFs and from their text, side by side (0: skip).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("bench.json"),
    show_default=True,
    help="Where to write the figures as JSON.",
)
def bench(
    sizes: list[int],
    runs: int,
    requests: int,
    no_serve: bool,
    query_limit: int | None,
    pdf_pages: int,
    pdf_documents: int,
    out: Path,
) -> None:
    """Measure budgetkg against its baselines in one run and compare each figure with its goal.

    One document end to end against pyoxigraph's bare bulk load, whole-process wall times,
    reading its PDF against pdftotext, many generated documents (throughput, peak memory, size
    on disk), every library query against rdflib, generated documents built from their PDFs
    against from their text, and serving (library queries, resource pages) against the
    Oxigraph server.
    Prints a table and writes JSON; see docs/benchmarks.md. A line on standard error says
    which case runs. Exit 1 when a goal is missed.
    """
    from .tooling.bench import run_benchmarks

    figures = run_benchmarks(
        sizes=sizes,
        runs=runs,
        requests=requests,
        out=out,
        serve=not no_serve,
        query_limit=query_limit,
        pdf_pages=pdf_pages,
        pdf_documents=pdf_documents,
        log=lambda line: click.echo(line),
        progress=lambda line: click.echo(line, err=True),
    )
    sys.exit(EXIT_PROBLEMS if any(f.met is False for f in figures) else EXIT_OK)


@cli.command()
@store_option
@endpoint_option
@auth_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts.",
)
def stats(
    store: Path | None, endpoint: str | None, user: str | None, password: str | None, auth: str, fmt: str
) -> None:
    """What is in the store: graphs, triples, documents, units, projects, observations, identities."""
    from .publish.export import store_counts, store_stats

    source = _source(store, endpoint, user, password, auth)
    if fmt == "json":
        click.echo(json.dumps(store_counts(source), ensure_ascii=False, indent=2))
        return
    for line in store_stats(source):
        click.echo(line)


@cli.command(name="list")
@store_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts.",
)
def list_documents(store: Path | None, fmt: str) -> None:
    """The documents in the store: department, year, the form each was read from, its triples,
    whether it is generated (synthetic), its file and its graph."""
    from .load.contents import stored_documents
    from .load.store import open_store

    documents = stored_documents(open_store(store))
    if fmt == "json":
        click.echo(json.dumps([d.as_json() for d in documents], ensure_ascii=False, indent=2))
        return
    for d in documents:
        kind = "synthetic" if d.synthetic else "published"
        click.echo(f"{d.department}\t{d.year}\t{d.form or '?'}\t{d.triples} triples\t{kind}\t{d.file}\t{d.graph}")
    if not documents:
        click.echo("no documents in the store", err=True)


@cli.command()
@click.argument("names", nargs=-1, required=True, metavar="DOC|GRAPH...")
@store_option
@click.option(
    "--dumps/--no-dumps",
    default=True,
    show_default=True,
    help="Write the store's downloadable dumps again; without them, `serve` writes them in the background.",
)
def remove(names: tuple[str, ...], store: Path | None, dumps: bool) -> None:
    """Take documents out of the store, atomically: each named by its file name, title or graph
    IRI (as `budgetkg list` shows them). Organisations and printed codes that only they listed
    leave the reference graphs too."""
    from .load.contents import remove_documents
    from .load.store import open_store
    from .query.library import document_graphs

    graphs = document_graphs(open_store(store), names)  # a name that matches no document: QueryError
    result = remove_documents(graphs, path=store)
    for graph in graphs:
        click.echo(f"removed {graph}")
    click.echo(f"{result.quads} quads in {len(result.graphs)} graphs remain in {result.path}")
    if dumps:
        _write_dumps(result.path)
