"""Remote stores for real: push into the Oxigraph server and into Virtuoso, ask the library there,
and join two departments served by two endpoints with SERVICE.

Engines differ in three ways the tests allow for, all handled by budgetkg.query.remote and budgetkg.query.library:
decimals come back canonical (220 for 220.00), so values are compared as Decimal; rows that tie
under ORDER BY may come in another order, so rows are compared as sorted lists; Virtuoso's default
graph holds its system graphs, so queries name budgetkg's graphs as their default graphs.
"""

import re
from collections import Counter
from decimal import Decimal

import pytest
from budgetkg.cli import cli
from budgetkg.load.graph import build, write_entailed_graph
from budgetkg.load.store import open_store
from budgetkg.query.library import document_dataset, library, run_query, run_select
from budgetkg.query.remote import Auth, Endpoint, RemoteStore, push
from budgetkg.rdf.graphs import ENTAILED_GRAPH
from budgetkg.tooling.synthetic import generate
from click.testing import CliRunner
from facts import KJC_NAMES, KJC_PROJECTS
from pyoxigraph import NamedNode, Store, Triple
from servers import free_port, oxigraph, virtuoso

BKG = "https://w3id.org/budgetkg/ontology#"


def normalised(result):
    def cell(text: str):
        try:
            return Decimal(text)
        except ArithmeticError:
            return text

    return sorted(tuple(cell(v) for v in row) for row in result.values())


def same_answers(local, remote):
    differences = []
    for q in library():
        if q.name == "federated-comparison":
            continue
        a, b = run_select(local, q.slug), run_select(remote, q.slug)
        if a.variables != b.variables or normalised(a) != normalised(b):
            differences.append(q.slug)
    return differences


PREFIXES = "PREFIX bkg: <https://w3id.org/budgetkg/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


def other_forms(source):
    """ASK, CONSTRUCT, DESCRIBE and GRAPH patterns, as the embedded store and endpoints answer them."""
    ask = PREFIXES + 'ASK { ?p rdfs:label "广州市公用事业技师学院入驻科教城购置项目"@zh }'  # line 869
    construct = KJC_PROJECTS.replace("WHERE {", "{")  # the WHERE keyword left out, as SPARQL allows
    describe = "DESCRIBE <https://w3id.org/budgetkg/ontology#BudgetUnit>"
    graphs = PREFIXES + "SELECT ?g WHERE { GRAPH ?g { ?g a bkg:BudgetDataset } }"
    return (
        run_query(source, ask),
        run_query(source, construct),
        run_query(source, describe),
        normalised(run_select(source, graphs)),
    )


def same_other_forms(local, remote):
    ask, construct, describe, graphs = other_forms(local)
    assert ask is True and {t.object.value for t in construct} == KJC_NAMES and len(graphs) == 1
    label = '<https://w3id.org/budgetkg/ontology#BudgetUnit> <http://www.w3.org/2000/01/rdf-schema#label> "预算单位"@zh'
    remote_ask, remote_construct, remote_describe, remote_graphs = other_forms(remote)
    assert (remote_ask, remote_construct, remote_graphs) == (ask, construct, graphs)
    # What DESCRIBE returns is up to each engine (Virtuoso's differs from Oxigraph's): both hold the label.
    assert label in map(str, describe) and label in map(str, remote_describe)


def graph_sizes(endpoint: Endpoint) -> dict[str, int]:
    _, rows = endpoint.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", default_graphs=False
    )
    return {g.value: int(n.value) for g, n in rows if g.value in endpoint.graphs()}


def test_oxigraph_server_push_twice_and_same_answers(store, tmp_path):
    with oxigraph(tmp_path / "oxigraph") as (query_url, store_url, _):
        pushed = push(store, store_url)
        assert sorted(n for _, n in pushed) == sorted(
            len(list(store.quads_for_pattern(None, None, None, g))) for g in store.named_graphs()
        )
        remote = Endpoint(query_url)
        sizes = graph_sizes(remote)
        push(store, store_url)  # the second push replaces each graph: nothing changes
        assert graph_sizes(Endpoint(query_url)) == sizes == dict(pushed)
        assert same_answers(store, remote) == []
        same_other_forms(store, remote)


def test_stats_export_and_report_against_an_endpoint(store, store_path, tmp_path):
    from budgetkg.publish.export import export_bytes

    with oxigraph(tmp_path / "oxigraph") as (query_url, store_url, _):
        push(store, store_url)
        runner = CliRunner()
        stats = runner.invoke(cli, ["stats", "--endpoint", query_url])
        assert stats.exit_code == 0, stats.output
        assert "budget units: 17" in stats.output and "projects: 214" in stats.output
        out = tmp_path / "remote.nt"
        exported = runner.invoke(cli, ["export", "--format", "nt", "-o", str(out), "--endpoint", query_url])
        assert exported.exit_code == 0, exported.output
        assert out.read_bytes() == export_bytes(store, "nt")  # the same triples, the same bytes
        charts = runner.invoke(cli, ["report", "--out", str(tmp_path / "charts"), "--endpoint", query_url])
        assert charts.exit_code == 0, charts.output
        assert len(list((tmp_path / "charts").glob("*.png"))) == 6


def test_push_with_sparql_update(store, tmp_path):
    with oxigraph(tmp_path / "oxigraph") as (query_url, _, update_url):
        push(store, update_url, protocol="update")
        push(store, update_url, protocol="update")
        remote = Endpoint(query_url)
        assert graph_sizes(remote) == {
            g.value: len(list(store.quads_for_pattern(None, None, None, g))) for g in store.named_graphs()
        }
        assert run_select(remote, "three-public-expenses").values()[1] == ["“三公”经费", "496.66", "496.66"]


def test_virtuoso_push_twice_and_same_answers(store, tmp_path):
    from budgetkg.publish.export import export_bytes

    # Virtuoso cuts answers at 4,000 rows here (Debian's default is 10,000): the library's answers
    # are shorter, a graph is longer and is read in cut pages, and a longer answer is an error.
    with virtuoso(tmp_path / "virtuoso", max_rows=4_000) as (query_url, crud_url, user, password):
        auth = Auth(user, password, "digest")
        pushed = push(store, crud_url, auth=auth)
        push(store, crud_url, auth=auth)
        remote = Endpoint(query_url)
        assert graph_sizes(remote) == dict(pushed)
        assert same_answers(store, remote) == []
        same_other_forms(store, remote)
        # One document asked alone, named by its file: its graph, the vocabulary and the reference graphs
        funds = [
            row[2]
            for row in run_select(
                remote, "unit-budget-by-funding-source", documents=["guangzhou-hrss-2024-budget.txt"]
            ).values()
            if row[:2] == ["广州市交通技师学院", "财政专户拨款"]
        ]
        assert funds == ["5990.00"]  # line 628
        # Named by its graph IRI it is looked up directly: the same graphs
        by_file = document_dataset(remote, ["guangzhou-hrss-2024-budget.txt"])
        assert document_dataset(remote, [by_file[0]]) == by_file and by_file[0].endswith("/2024")
        runner = CliRunner()
        cut = runner.invoke(cli, ["query", "SELECT * WHERE { ?s ?p ?o }", "--endpoint", query_url])
        assert cut.exit_code == 2 and "the endpoint cut the answer at its row limit (x-sparql-maxrows)" in cut.output
        out = tmp_path / "remote.nt"
        exported = runner.invoke(cli, ["export", "--format", "nt", "-o", str(out), "--endpoint", query_url])
        assert exported.exit_code == 0, exported.output
        assert triples(out.read_bytes()) == triples(export_bytes(store, "nt"))


def triples(nt: bytes) -> set:
    """The triples of an N-Triples file, decimals as values (Virtuoso writes 220 for 220.00)."""
    from pyoxigraph import Literal, RdfFormat, parse

    def value(term):
        if isinstance(term, Literal) and term.datatype.value.endswith("#decimal"):
            return Decimal(term.value)
        return term

    return {(t.subject, t.predicate, value(t.object)) for t in parse(nt, format=RdfFormat.N_TRIPLES)}


def test_cli_push_and_query_against_a_server(store_path, tmp_path):
    with oxigraph(tmp_path / "oxigraph") as (query_url, store_url, update_url):
        runner = CliRunner()
        pushed = runner.invoke(cli, ["push", "--endpoint", store_url, "--store", str(store_path)])
        assert pushed.exit_code == 0, pushed.output
        assert "not settled" in pushed.output
        pushed = runner.invoke(
            cli, ["push", "--endpoint", store_url, "--update-endpoint", update_url, "--store", str(store_path)]
        )
        assert pushed.exit_code == 0 and "not settled" not in pushed.output, pushed.output
        settle_refused = runner.invoke(
            cli, ["push", "--endpoint", store_url, "--update-endpoint", query_url, "--store", str(store_path)]
        )  # a query endpoint takes no update
        assert settle_refused.exit_code == 2 and "HTTP" in settle_refused.output
        answer = runner.invoke(cli, ["query", "kjc-relocation-by-college", "--endpoint", query_url])
        assert answer.exit_code == 0, answer.output
        assert "广州市公用事业技师学院入驻科教城购置项目" in answer.output and "12944.22" in answer.output  # line 869
        scoped = runner.invoke(
            cli,
            [
                "query",
                "kjc-relocation-by-college",
                "--endpoint",
                query_url,
                "--format",
                "csv",
                "--document",
                "广州市人力资源和社会保障局2024年部门预算",
            ],
        )
        assert scoped.exit_code == 0 and scoped.output.count("\n") == 9 and "12944.22" in scoped.output, scoped.output
        there = runner.invoke(cli, ["query", KJC_PROJECTS, "--format", "nt", "--endpoint", query_url])
        here = runner.invoke(cli, ["query", KJC_PROJECTS, "--format", "nt", "--store", str(store_path)])
        assert there.exit_code == 0 and there.output == here.output and len(here.output.splitlines()) == len(KJC_NAMES)
        refused = runner.invoke(
            cli, ["push", "--endpoint", query_url.replace("/query", "/nowhere"), "--store", str(store_path)]
        )
        assert refused.exit_code == 2 and "HTTP" in refused.output


def test_an_endpoint_that_does_not_answer_is_a_clear_error():

    url = f"http://127.0.0.1:{free_port()}/query"  # nothing listens there
    for command in (["query", "kjc-relocation-by-college"], ["stats"], ["export", "--format", "nt"]):
        result = CliRunner().invoke(cli, [*command, "--endpoint", url])
        assert result.exit_code == 2, result.output
        assert re.search(rf"^error: {re.escape(url)}: \[Errno \d+\] Connection refused$", result.output, re.M)


@pytest.mark.parametrize("protocol", ["gsp", "update"])
def test_two_stores_pushed_to_one_endpoint_add_to_the_reference_graphs(tmp_path, store, protocol):
    # Each store has its own organisations graph under the same name: a push that replaced it
    # would leave the units of the store pushed first without names, kinds or department.
    other = tmp_path / "other.txt"
    other.write_text(generate(31).text, encoding="utf-8")
    build([other], store=tmp_path / "other-store")
    second = open_store(tmp_path / "other-store")
    organisations = "https://w3id.org/budgetkg/data/graph/organisations"

    def triples(source) -> set[str]:
        return {
            str(Triple(q.subject, q.predicate, q.object))
            for q in source.quads_for_pattern(None, None, None, NamedNode(organisations))
        }

    with oxigraph(tmp_path / "oxigraph") as (query_url, store_url, update_url):
        target = store_url if protocol == "gsp" else update_url
        push(store, target, protocol=protocol)
        push(second, target, protocol=protocol)
        push(store, target, protocol=protocol)  # again: nothing changes
        remote = RemoteStore(Endpoint(query_url))
        assert triples(remote) == triples(store) | triples(second)
        answer = run_select(remote, "kjc-relocation-by-college").values()
    assert sorted(answer) == sorted(run_select(store, "kjc-relocation-by-college").values())


@pytest.mark.parametrize("engine", ["oxigraph", "virtuoso"])
def test_a_push_settles_the_reference_graphs_when_told_where_to_update(tmp_path, store, engine):
    # A department rebuilds its document with a unit renamed and pushes it again: added to,
    # the organisations graph would keep the old unit, which no document lists any more.
    first = generate(31)
    old_name = next(u for u in first.units if u.endswith("轻工技师学院"))  # 参考市轻工技师学院
    new_name = old_name.removesuffix("技师学院") + "职业学院"
    assert old_name in first.units and not any(old_name in u for u in first.units if u != old_name)
    (tmp_path / "before.txt").write_text(first.text, encoding="utf-8")
    (tmp_path / "after.txt").write_text(first.text.replace(old_name, new_name), encoding="utf-8")
    build([tmp_path / "before.txt"], store=tmp_path / "before")
    build([tmp_path / "after.txt"], store=tmp_path / "after")
    before, after = open_store(tmp_path / "before"), open_store(tmp_path / "after")
    organisations = NamedNode("https://w3id.org/budgetkg/data/graph/organisations")

    def triples(source) -> set[str]:
        return {
            str(Triple(q.subject, q.predicate, q.object))
            for q in source.quads_for_pattern(None, None, None, organisations)
        }

    def names(source) -> set[str]:
        return {
            q.object.value
            for q in source.quads_for_pattern(None, None, None, organisations)
            if q.predicate.value.endswith("#prefLabel")
        }

    server = oxigraph(tmp_path / "oxigraph") if engine == "oxigraph" else virtuoso(tmp_path / "virtuoso")
    with server as (query_url, store_url, *rest):
        if engine == "oxigraph":
            auth, update_url = Auth(), rest[0]
        else:
            auth, update_url = Auth(rest[0], rest[1], "digest"), query_url + "-auth"
        push(store, store_url, auth=auth)
        push(before, store_url, auth=auth)
        push(after, store_url, auth=auth)  # not settled: the old unit stays
        remote = RemoteStore(Endpoint(query_url))
        assert old_name in names(remote) and new_name in names(remote)
        push(after, store_url, auth=auth, settle_at=update_url)
        assert old_name not in names(remote) and new_name in names(remote)
        assert "广州市技师学院" in names(remote)  # the other department's units stay
        assert triples(remote) == triples(store) | triples(after)
        # the entailed graph, written again there as a build writes it over both stores' graphs
        both = Store()
        both.bulk_extend(q for s in (store, after) for q in s if q.graph_name != ENTAILED_GRAPH)
        write_entailed_graph(both)

        def entailed(source) -> Counter:
            return Counter(q.predicate.value for q in source.quads_for_pattern(None, None, None, ENTAILED_GRAPH))

        assert entailed(remote) == entailed(both)
        assert entailed(both)["http://data.openbudgets.eu/ontology/dsd/measure/amount"] > 3791


def test_federated_join_of_two_departments(tmp_path, store):
    other = tmp_path / "other.txt"
    other.write_text(generate(31).text, encoding="utf-8")
    build([other], store=tmp_path / "other-store")
    with (
        oxigraph(tmp_path / "a") as (a_query, a_store, _),
        oxigraph(tmp_path / "b", union=True) as (b_query, b_store, _),
    ):
        push(store, a_store)
        push(open_store(tmp_path / "other-store"), b_store)
        rows = run_select(Endpoint(a_query), "federated-comparison", params={"other": b_query}).values()
    departments = {r[0] for r in rows} | {r[2] for r in rows}
    assert "广州市人力资源和社会保障局" in departments and generate(31).department in departments
    here = {r[1]: Decimal(r[3]) for r in rows}
    assert here["社会保障和就业支出"] == Decimal("541432.60")  # 表3 line 218


@pytest.mark.parametrize(
    "answer",
    [
        b"[]",
        b'{"head": {}}',
        b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri"}}]}}',
        b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "value": "not an iri"}}]}}',
    ],
)
def test_an_endpoint_answering_what_is_not_sparql_results_is_a_remote_error(answer):
    # Anyone's endpoint may answer anything: a clear RemoteError, never a traceback from deep inside.
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from budgetkg.query.remote import RemoteError

    class Answer(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = Endpoint(f"http://127.0.0.1:{server.server_port}/sparql", graphs=["http://example.org/g"])
        with pytest.raises(RemoteError, match="127.0.0.1"):
            endpoint.select("SELECT ?s WHERE { ?s ?p ?o }")
    finally:
        server.shutdown()
        server.server_close()
