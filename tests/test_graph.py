"""The RDF mapping: IRIs, provenance, subtotals, named graphs, dataset descriptions, determinism."""

import gc
from decimal import Decimal as D

import pytest
from budgetkg import read_document
from budgetkg.check.accounts import check_document
from budgetkg.errors import DocumentError
from budgetkg.load.documents import document_graph
from budgetkg.load.graph import build
from budgetkg.load.store import StoreBusy, _lock, open_store
from budgetkg.publish.export import export_bytes, to_networkx
from budgetkg.rdf.graphs import VOCABULARY_GRAPH
from pyoxigraph import Literal, NamedNode, Quad, Store

BKG = "https://w3id.org/budgetkg/ontology#"


def one(store, query):
    rows = list(store.query(query, use_default_graph_as_union=True))
    assert len(rows) == 1, rows
    return rows[0]


def test_every_observation_is_traced(store):
    row = one(
        store,
        f"""SELECT (COUNT(?o) AS ?n) WHERE {{ ?o a <http://purl.org/linked-data/cube#Observation> .
        FILTER NOT EXISTS {{ ?o <{BKG}sourceLine> ?l ; <{BKG}sourceColumn> ?c ; <{BKG}sourceDocument> ?d ;
                             <{BKG}printedAmount> ?p }} }}""",
    )
    assert row["n"].value == "0"


def test_every_printed_amount_is_an_observation(store, doc):
    printed = sum(1 for _ in doc.cells())
    row = one(store, "SELECT (COUNT(?o) AS ?n) WHERE { ?o a <http://purl.org/linked-data/cube#Observation> }")
    assert int(row["n"].value) == printed
    # the one missing cell (line 202) is recorded, not turned into zero
    row = one(store, f"SELECT ?l WHERE {{ ?m a <{BKG}MissingCell> ; <{BKG}sourceLine> ?l }}")
    assert row["l"].value == "202"


def test_amount_and_provenance_of_one_figure(store):
    # 表5 [2080150] 事业运行 项目支出 11,493.57, line 359
    row = one(
        store,
        f"""SELECT ?a ?p ?c ?sub WHERE {{
        ?o <{BKG}sourceLine> 359 ; <{BKG}sourceColumn> ?c ; <{BKG}amount> ?a ; <{BKG}printedAmount> ?p ;
           <{BKG}isSubtotal> ?sub ;
           <{BKG}expenditureType>/<http://www.w3.org/2004/02/skos/core#notation> "project" }}""",
    )
    assert D(row["a"].value) == D("11493.57") and row["p"].value == "11,493.57"
    assert row["c"].value == "一般公共预算支出/项目支出"
    assert row["sub"].value == "false"


def test_sum_of_leaf_observations_does_not_double_count(store):
    # 表8 leaves: 行政经费 3,409.20 + 因公出国 116.72 + 购置 245.00 + 运行维护 100.80 + 接待 34.14 (lines 534-540)
    # = 行政经费 3,409.20 + “三公”经费 496.66: the subtotal rows and the 合计 column are left out.
    row = one(
        store,
        f"""SELECT (SUM(?a) AS ?s) WHERE {{
        ?t <{BKG}tableNumber> 8 . ?o <http://purl.org/linked-data/cube#dataSet> ?t ; <{BKG}isSubtotal> false ;
        <{BKG}amount> ?a }}""",
    )
    assert D(row["s"].value) == D("3905.86")
    # 表12 leaves of one unit: 66.00 + 100.00 + 288.35 = its 总计 454.35 (lines 961-964)
    row = one(
        store,
        f"""SELECT (SUM(?a) AS ?s) WHERE {{
        ?t <{BKG}tableNumber> 12 .
        ?u <http://www.w3.org/2004/02/skos/core#prefLabel> "广州市人力资源和社会保障事务服务中心"@zh .
        ?o <http://purl.org/linked-data/cube#dataSet> ?t ; <{BKG}organization> ?u ; <{BKG}isSubtotal> false ;
        <{BKG}amount> ?a }}""",
    )
    assert D(row["s"].value) == D("454.35")


def test_units_and_divisions(store):
    row = one(
        store,
        f"""SELECT (COUNT(DISTINCT ?u) AS ?units) (COUNT(DISTINCT ?d) AS ?divisions) WHERE {{
        ?u a <{BKG}BudgetUnit> . ?d a <{BKG}Division> }}""",
    )
    assert (row["units"].value, row["divisions"].value) == ("17", "21")
    row = one(
        store,
        f"""SELECT (COUNT(?u) AS ?n) WHERE {{
        ?u <{BKG}unitKind>/<http://www.w3.org/2004/02/skos/core#notation> "college" }}""",
    )
    assert row["n"].value == "6"


def test_named_graph_per_document_and_dataset_description(store):
    graphs = sorted(g.value for g in store.named_graphs())
    organisations = "https://w3id.org/budgetkg/data/graph/organisations"
    entailed = "https://w3id.org/budgetkg/graph/entailed"
    assert {VOCABULARY_GRAPH.value, organisations, entailed} < set(graphs) and len(graphs) == 4
    data = next(g for g in graphs if g not in (VOCABULARY_GRAPH.value, organisations, entailed))
    row = one(
        store,
        f"""SELECT ?triples ?sha WHERE {{ GRAPH <{data}> {{
        <{data}> <http://rdfs.org/ns/void#triples> ?triples ; <http://purl.org/dc/terms/source> ?src .
        ?src <{BKG}checksumSha256> ?sha }} }}""",
    )
    count = one(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{data}> {{ ?s ?p ?o }} }}")
    assert row["triples"].value == count["n"].value
    assert len(row["sha"].value) == 64


def test_same_input_same_sorted_ntriples(tmp_path):
    build(store=tmp_path / "a")
    build(store=tmp_path / "b")
    a = export_bytes(open_store(tmp_path / "a"), "nt")
    b = export_bytes(open_store(tmp_path / "b"), "nt")
    assert a == b and len(a) > 1_000_000


def test_base_changes_data_iris_only():
    doc = read_document()
    report = check_document(doc)
    from budgetkg.rdf.mapping import document_quads

    quads = document_quads(doc, report, base="http://example.org/budget/")
    subjects = {q.subject.value for q in quads}
    assert all(s.startswith("http://example.org/budget/") for s in subjects)
    objects = {q.object.value for q in quads if q.object.__class__.__name__ == "NamedNode"}
    assert "https://w3id.org/budgetkg/codelist/functional/2024/2080101" in objects
    assert not any(o.startswith("http://example.org/budget/codelist") for o in objects)


def test_projects_scoped_by_unit():
    _, quads = document_graph()
    projects = {q.subject.value for q in quads if q.predicate.value == BKG + "budgetUnit"}
    assert len(projects) == 214
    assert (
        sum(
            "project/2024/%E6%9C%BA%E6%9E%84%E8%BF%90%E8%A1%8C%E8%BE%85%E5%8A%A9%E7%BB%8F%E8%B4%B9" in p
            for p in projects
        )
        == 9
    )  # 机构运行辅助经费 in nine units


def test_mapping_leaves_the_cycle_collector_as_it_found_it(tmp_path, seed_lines):
    # document_graph pauses Python's cycle collector while it maps (docs/benchmarks.md); the
    # caller's setting must come back, also when the document cannot be read.
    bad = tmp_path / "bad.txt"
    lines = list(seed_lines)
    lines[420] = "[30201]办公费\t55O.24"
    bad.write_text("\n".join(lines), encoding="utf-8")
    assert gc.isenabled()
    _, quads = document_graph()
    assert gc.isenabled() and len(quads) > 80_000
    with pytest.raises(DocumentError, match="55O.24"):
        document_graph(bad)
    assert gc.isenabled()
    gc.disable()
    try:
        document_graph()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_failed_build_leaves_the_store_as_it_was(tmp_path, seed_lines):
    build(store=tmp_path)
    before = export_bytes(open_store(tmp_path), "nq")
    bad = tmp_path / "bad.txt"
    lines = list(seed_lines)
    lines[420] = "[30201]办公费\t55O.24"
    bad.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DocumentError):
        build([bad], store=tmp_path)
    assert export_bytes(open_store(tmp_path), "nq") == before


def test_second_build_is_refused_while_one_runs(tmp_path):
    with _lock(tmp_path), pytest.raises(StoreBusy, match="another budgetkg build"):
        build(store=tmp_path)


def test_networkx_graph(store):
    g = to_networkx(store)
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    assert kinds == {"department", "unit", "project", "theme", "funding source", "economic code", "functional code"}
    projects = [n for n, d in g.nodes(data=True) if d["kind"] == "project"]
    assert len(projects) == 214
    kjc = next(n for n, d in g.nodes(data=True) if d["label"] == "广州市工贸技师学院入驻科教城购置项目")
    funded = [
        (g.nodes[v]["label"], d["amount"]) for _, v, d in g.out_edges(kjc, data=True) if d["relation"] == "funded by"
    ]
    assert [(f, D(a)) for f, a in funded] == [("一般公共预算", D("6924.61"))]  # line 776


def test_exports_parse_with_rdflib_and_pyoxigraph(store):
    import rdflib
    from pyoxigraph import RdfFormat, parse

    exports = {fmt: export_bytes(store, fmt) for fmt in ("ttl", "nt", "jsonld", "rdfxml", "nq", "trig")}
    n_triples = len(exports["nt"].splitlines())
    for fmt, rdflib_format, ox_format in (
        ("ttl", "turtle", RdfFormat.TURTLE),
        ("jsonld", "json-ld", RdfFormat.JSON_LD),
        ("rdfxml", "xml", RdfFormat.RDF_XML),
    ):
        g = rdflib.Graph()
        g.parse(data=exports[fmt], format=rdflib_format)
        assert len(g) == n_triples, fmt
        assert len(list(parse(exports[fmt], format=ox_format))) == n_triples, fmt
    ds = rdflib.Dataset()
    ds.parse(data=exports["trig"], format="trig")
    assert sum(len(g) for g in ds.graphs()) == len(store)
    for fmt, rdflib_format, ox_format in (("nt", "nt", RdfFormat.N_TRIPLES), ("nq", "nquads", RdfFormat.N_QUADS)):
        lines = exports[fmt].splitlines(keepends=True)
        assert (
            len(list(parse(exports[fmt], format=ox_format))) == len(lines) == (n_triples if fmt == "nt" else len(store))
        )
        # Each line stands alone: rdflib reads every line with an escape and every tenth of the others.
        sample = [line for i, line in enumerate(lines) if b"\\" in line or i % 10 == 0]
        g = rdflib.Dataset() if fmt == "nq" else rdflib.Graph()
        g.parse(data=b"".join(sample), format=rdflib_format)
        assert len(g) == len(sample), fmt
    for fmt, ox_format in (("nq", RdfFormat.N_QUADS), ("trig", RdfFormat.TRIG)):
        in_memory = Store()
        in_memory.load(exports[fmt], format=ox_format)
        assert len(in_memory) == len(store)


def _rows(store, text):
    return [tuple(str(t) for t in row) for row in store.query(text, use_default_graph_as_union=True)]


def test_a_copy_in_memory_answers_every_library_query_as_the_store_on_disk(store_path):
    from budgetkg.query.library import bind, library

    disk, memory = open_store(store_path, in_memory=False), open_store(store_path, in_memory=True)
    for q in library():
        if q.name != "federated-comparison":
            text = bind(q.text, q, {})
            assert _rows(memory, text) == _rows(disk, text), q.slug
    kjc = _rows(memory, bind(library()[0].text, library()[0], {}))
    assert any('"12944.22"' in str(row) for row in kjc)  # 公用事业技师学院入驻科教城购置项目, line 869


def test_a_copy_in_memory_is_chosen_for_a_small_store_and_keeps_what_it_copied(store_path, tmp_path, monkeypatch):
    import shutil

    from budgetkg.load import store as store_module
    from budgetkg.load.store import apply_update

    folder = tmp_path / "store"
    shutil.copytree(store_path, folder, symlinks=True)
    quad = Quad(NamedNode("http://example.org/a"), NamedNode("http://example.org/b"), Literal("c"))
    from budgetkg.cli import cli
    from click.testing import CliRunner

    # `serve --help` states the threshold in words: it must be the one open_store applies.
    help_text = " ".join(CliRunner().invoke(cli, ["serve", "--help"]).output.split())
    assert f"at most {store_module.IN_MEMORY_AUTO_BYTES // 2**20} MiB on disk" in help_text
    small = open_store(folder, in_memory=None)  # the seed store is far below IN_MEMORY_AUTO_BYTES
    small.add(quad)  # a copy: writable, and nothing reaches the database on disk
    with pytest.raises(RuntimeError):
        open_store(folder).add(quad)  # the store on disk is read-only
    monkeypatch.setattr(store_module, "IN_MEMORY_AUTO_BYTES", 0)
    with pytest.raises(RuntimeError):
        open_store(folder, in_memory=None).add(quad)  # above the threshold: on disk
    apply_update(
        'INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/x> <http://example.org/y> "z" } }',
        path=folder,
    )
    ask = 'ASK { <http://example.org/x> ?p "z" }'
    assert open_store(folder).query(ask, use_default_graph_as_union=True)
    assert not small.query(ask, use_default_graph_as_union=True)  # the copy does not see later changes


def test_a_code_the_lists_lack_is_described_as_printed(seed_lines, tmp_path):
    from budgetkg.query.library import run_select
    from budgetkg.resources import ontology_dir

    lines = list(seed_lines)
    for n in (186, 270, 555):  # 表2, 表3, 表9: 2120805 补助被征地农民支出 9,752.88
        assert lines[n - 1].startswith("2120805\t补助被征地农民支出\t9,752.88\t0.00\t9,752.88")
        lines[n - 1] = lines[n - 1].replace(
            "2120805\t补助被征地农民支出", "2120899\t其他国有土地使用权出让收入安排的支出"
        )
    doc = tmp_path / "unlisted-code.txt"
    doc.write_text("\n".join(lines), encoding="utf-8")
    build([doc], store=tmp_path / "store")
    store = open_store(tmp_path / "store")
    code = "<https://w3id.org/budgetkg/codelist/functional/2024/2120899>"
    skos = "http://www.w3.org/2004/02/skos/core#"
    names = [row[0] for row in run_select(store, f"SELECT ?l WHERE {{ {code} <{skos}prefLabel> ?l }}").rows]
    assert [(n.value, n.language) for n in names] == [("其他国有土地使用权出让收入安排的支出", "zh")]
    items = {row[1]: row[2:] for row in run_select(store, "functional-item").values()}
    assert items["2120899"] == ["9752.88", "0.00", "9752.88"]  # line 270: total, basic, project
    by_fund = run_select(store, "functional-code-by-fund", params={"code": "2120899"}).values()
    assert [amount for _, amount in by_fund if amount != "0.00"] == ["9752.88"]  # line 186
    for name in ("ic-19a.rq", "ic-19b.rq"):  # every dimension value is in its code list
        ic = ontology_dir().joinpath("integrity-constraints", name).read_text("utf-8")
        assert not bool(store.query(ic, use_default_graph_as_union=True)), name
