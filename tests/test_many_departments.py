"""Several departments in one store: named graphs, shared code lists, no accidental merges, rebuilds."""

from collections import Counter

import pytest
from budgetkg.cli import cli
from budgetkg.load.graph import build
from budgetkg.load.store import open_store
from budgetkg.query.library import QueryError, document_dataset, document_graphs, library, run_select
from budgetkg.rdf.graphs import VOCABULARY_GRAPH
from budgetkg.tooling.synthetic import generate
from click.testing import CliRunner
from facts import KJC_NAMES

BKG = "https://w3id.org/budgetkg/ontology#"


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("docs")
    a, b = generate(21), generate(22)
    (folder / "a.txt").write_text(a.text, encoding="utf-8")
    # The same document under another department's name: every unit name is shared.
    twin = a.text.replace(a.department, "某市测试局")
    (folder / "twin.txt").write_text(twin, encoding="utf-8")
    (folder / "b.txt").write_text(b.text, encoding="utf-8")
    return folder, a, b


@pytest.fixture(scope="module")
def multi(docs, tmp_path_factory):
    folder, _, _ = docs
    path = tmp_path_factory.mktemp("multi")
    build(sorted(folder.glob("*.txt")), store=path)
    return path


def test_one_named_graph_per_document(multi):
    store = open_store(multi)
    graphs = sorted(g.value for g in store.named_graphs())
    datasets = [g for g in graphs if "/dataset/" in g]
    # three documents, the vocabulary, the organisations they describe and what the ontology entails
    assert len(datasets) == 3 and len(graphs) == 6 and not_stated_twice(store)
    assert {"https://w3id.org/budgetkg/graph/vocabulary", "https://w3id.org/budgetkg/data/graph/organisations"} < set(
        graphs
    )


def one_document_queries() -> list[str]:
    """The library queries about one document whose every row a store of several documents repeats
    for each: not the cross-department ones, nor those that keep the first rows (``limit``)."""
    return [
        q.slug
        for q in library()
        if "cross-department" not in q.keywords and not any(p.name == "limit" for p in q.params)
    ]


def test_two_years_of_one_department_state_its_units_once(two_years, store):
    # Each year's budget of a department names its units alike.  Stated in each year's graph,
    # a unit's facts came twice out of the union of graphs, and so did every row joined
    # through them: the 科教城 question listed each project four times in a two-year store.
    years = open_store(two_years)
    assert not_stated_twice(years)
    rows = Counter(tuple(row) for row in run_select(years, "kjc-relocation-by-college").values())
    assert {project for _, project, _, _ in rows} == KJC_NAMES and len(rows) == 8
    assert set(rows.values()) == {2}  # once a year
    # 表6 and 表7 of the same year: one row a year for 30209, not one for each pair of years
    sections = [row[2:] for row in run_select(years, "economic-sections").values() if row[1] == "30209"]
    assert sections == [["807.80", "7609.48"]] * 2  # lines 429, 485
    # A unit's figures of each year stay apart: paired and summed within a year, not across
    basic_project = [
        row[1:] for row in run_select(years, "unit-basic-vs-project").values() if row[0] == "广州市技师学院"
    ]
    assert basic_project == [["25946.33", "12721.29"]] * 2  # 表11 line 613, 表12
    funds = [
        row[2]
        for row in run_select(years, "unit-budget-by-funding-source").values()
        if row[:2] == ["广州市交通技师学院", "财政专户拨款"]
    ]
    assert funds == ["5990.00"] * 2  # line 628
    names = Counter((row[0], row[1]) for row in run_select(years, "shared-project-names").values())
    assert names == {("机构运行辅助经费", "9"): 2, ("工作经费", "3"): 2, ("购置经费", "3"): 2}
    assert (
        rows["广州市公用事业技师学院", "广州市公用事业技师学院入驻科教城购置项目", "一般公共预算", "12944.22"] == 2
    )  # line 869
    units = [
        r["u"] for r in years.query(f"SELECT ?u WHERE {{ ?u a <{BKG}BudgetUnit> }}", use_default_graph_as_union=True)
    ]
    assert len(units) == len(set(units)) == 17  # the units of 表1's header (lines 75-92)
    # Where each year lists a unit stays paired with that year's document: line 71 of 2024's
    listed = {
        (r["src"].value.rsplit("/", 2)[1], int(r["line"].value))
        for r in years.query(
            """PREFIX bkg: <https://w3id.org/budgetkg/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?src ?line WHERE { ?u <http://www.w3.org/2004/02/skos/core#prefLabel> "广州市技师学院"@zh ;
            prov:qualifiedDerivation [ prov:entity ?src ; bkg:sourceLine ?line ] }""",
            use_default_graph_as_union=True,
        )
    }
    assert listed == {("2024", 71), ("2025", 72)}
    # Each year's document states the department's duties: line 61 of 2024's
    stated = [
        r["src"].value.rsplit("/", 2)[1]
        for r in years.query(
            """PREFIX bkg: <https://w3id.org/budgetkg/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?src WHERE { ?d bkg:duties "（十二）完成市委、市政府和上级相关部门交办的其他任务。"@zh ;
                               prov:entity ?src }""",
            use_default_graph_as_union=True,
        )
    ]
    assert sorted(stated) == ["2024", "2025"]
    # Every library query about one document gives each year's answer: twice the rows of the
    # one-year store (the session's), neither paired across years (more) nor summed (fewer).
    for slug in one_document_queries():
        assert len(run_select(years, slug).rows) == 2 * len(run_select(store, slug).rows), slug


def test_a_query_asked_of_one_document_answers_for_it_alone(two_years, store):
    years = open_store(two_years)
    # By title, by file name (a path is matched by its last part), by graph IRI
    by_title = run_select(years, "unit-basic-vs-project", documents=["广州市人力资源和社会保障局2025年部门预算"])
    assert [row[1:] for row in by_title.values() if row[0] == "广州市技师学院"] == [
        ["25946.33", "12721.29"]
    ]  # line 613
    graph_2024 = next(g.value for g in years.named_graphs() if g.value.endswith("/2024"))
    for name in ("2024.txt", "/elsewhere/2024.txt", graph_2024):
        funds = [
            row[2]
            for row in run_select(years, "unit-budget-by-funding-source", documents=[name]).values()
            if row[:2] == ["广州市交通技师学院", "财政专户拨款"]
        ]
        assert funds == ["5990.00"], name  # line 628
    both = run_select(years, "kjc-relocation-by-college", documents=["2024.txt", "2025.txt"])
    assert len(both.rows) == 16  # eight projects a year (lines 869-876)
    # Named by graph IRI, a document is looked up directly; the graphs read are the same
    reference = sorted(g.value for g in years.named_graphs() if "/graph/" in g.value and g != VOCABULARY_GRAPH)
    assert reference  # the organisations, at least
    assert (
        document_dataset(years, [graph_2024])
        == document_dataset(years, ["2024.txt"])
        == [graph_2024, VOCABULARY_GRAPH.value, *reference]
    )
    graph_2025 = graph_2024.removesuffix("/2024") + "/2025"
    assert document_graphs(years, ["2025.txt", graph_2024]) == [graph_2025, graph_2024]  # in the order named
    for not_a_document in (graph_2024.replace("/2024", "/2026"), reference[0]):
        with pytest.raises(QueryError, match="2024.txt, 2025.txt"):
            document_dataset(years, [graph_2024, not_a_document])
    # Asked of 2024 alone, every library query about one document answers as in the one-year store
    for slug in one_document_queries():
        assert run_select(years, slug, documents=["2024.txt"]).rows == run_select(store, slug).rows, slug
    with pytest.raises(QueryError, match="2024.txt, 2025.txt"):  # what the store holds
        run_select(years, "unit-basic-vs-project", documents=["2026.txt"])
    with pytest.raises(QueryError, match="FROM"):
        run_select(years, f"SELECT * FROM <{graph_2024}> WHERE {{ ?s ?p ?o }} LIMIT 1", documents=["2024.txt"])
    result = CliRunner().invoke(
        cli,
        ["query", "kjc-relocation-by-college", "--store", str(two_years), "--document", "2025.txt", "--format", "csv"],
    )
    assert result.exit_code == 0 and result.output.count("\n") == 9 and "12944.22" in result.output  # line 869
    result = CliRunner().invoke(
        cli, ["query", "kjc-relocation-by-college", "--store", str(two_years), "--document", "2026.txt"]
    )
    assert result.exit_code == 2 and "no document '2026.txt'" in result.output


def test_a_file_name_two_documents_were_built_from_names_neither(tmp_path):
    a, b = generate(31), generate(32)
    for folder, doc in (("first", a), ("second", b)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "budget.txt").write_text(doc.text, encoding="utf-8")
    build([tmp_path / "first" / "budget.txt", tmp_path / "second" / "budget.txt"], store=tmp_path / "store")
    store = open_store(tmp_path / "store")
    for name in ("budget.txt", str(tmp_path / "first" / "budget.txt")):  # a path is matched by its last part
        with pytest.raises(QueryError, match="budget.txt' names 2 documents"):
            run_select(store, "overview", documents=[name])
    # by title (a generated document's says so), each is its own document
    first, second = (document_dataset(store, [f"{doc.department}2024年部门预算（模拟数据）"])[0] for doc in (a, b))
    assert first != second and {first, second} < {g.value for g in store.named_graphs()}


def test_a_unit_renamed_in_a_rebuilt_document_leaves_the_organisations_graph(seed_lines, tmp_path):
    doc = tmp_path / "budget.txt"
    text = "\n".join(seed_lines)
    doc.write_text(text, encoding="utf-8")
    build([doc], store=tmp_path / "store")
    assert "广州市干部和人才健康管理中心" in text  # a unit (line 71)
    doc.write_text(text.replace("广州市干部和人才健康管理中心", "广州市干部和人才健康服务中心"), encoding="utf-8")
    build([doc], store=tmp_path / "store")
    names = [
        r["n"].value
        for r in open_store(tmp_path / "store").query(
            f"SELECT ?n WHERE {{ ?u a <{BKG}BudgetUnit> ; <http://www.w3.org/2004/02/skos/core#prefLabel> ?n }}",
            use_default_graph_as_union=True,
        )
    ]
    assert "广州市干部和人才健康服务中心" in names and "广州市干部和人才健康管理中心" not in names and len(names) == 17


def test_an_alternative_unit_name_stays_while_a_document_prints_it(seed_lines, tmp_path):
    # Line 71 lists 广州市人力资源和社会保障局数据服务中心; 表1 and 表5 print it without 局 (lines 649, 895).
    listed, printed = "广州市人力资源和社会保障局数据服务中心", "广州市人力资源和社会保障数据服务中心"
    text = "\n".join(seed_lines)
    assert text.count(printed + "\t") == 2
    folder = tmp_path / "docs"
    folder.mkdir()

    def alternative_names() -> list[str]:
        return [
            r["alt"].value
            for r in open_store(tmp_path / "store").query(
                f"""SELECT ?alt WHERE {{ ?u <http://www.w3.org/2004/02/skos/core#prefLabel> "{listed}"@zh ;
                <http://www.w3.org/2004/02/skos/core#altLabel> ?alt }}""",
                use_default_graph_as_union=True,
            )
        ]

    (folder / "2024.txt").write_text(text, encoding="utf-8")
    (folder / "2025.txt").write_text(
        text.replace("2024年", "2025年").replace(printed + "\t", listed + "\t"), encoding="utf-8"
    )
    build(sorted(folder.glob("*.txt")), store=tmp_path / "store")
    assert alternative_names() == [printed]  # 2024 still prints it
    (folder / "2024.txt").write_text(text.replace(printed + "\t", listed + "\t"), encoding="utf-8")
    build([folder / "2024.txt"], store=tmp_path / "store")
    assert alternative_names() == []  # no document prints it any more
    assert not_stated_twice(open_store(tmp_path / "store"))


def not_stated_twice(store) -> bool:
    """No triple is in two graphs: the union of graphs would give it, and every row joined through it, twice."""
    return not bool(store.query("ASK { GRAPH ?a { ?s ?p ?o } GRAPH ?b { ?s ?p ?o } FILTER(STR(?a) < STR(?b)) }"))


def test_a_code_two_departments_print_that_the_lists_lack_is_described_once(seed_lines, tmp_path):
    skos = "http://www.w3.org/2004/02/skos/core#"
    lines = list(seed_lines)
    for n in (186, 270, 555):  # 表2, 表3, 表9: 2120805 补助被征地农民支出 9,752.88
        assert lines[n - 1].startswith("2120805\t补助被征地农民支出\t9,752.88\t0.00\t9,752.88")
        lines[n - 1] = lines[n - 1].replace(
            "2120805\t补助被征地农民支出", "2120899\t其他国有土地使用权出让收入安排的支出"
        )
    folder = tmp_path / "docs"
    folder.mkdir()
    first = "\n".join(lines)
    # Another department printing the same code, under a shorter name
    second = first.replace("广州市人力资源和社会保障局", "广州市人力资源和社会保障厅").replace(
        "其他国有土地使用权出让收入安排的支出", "其他土地出让支出"
    )
    (folder / "a.txt").write_text(first, encoding="utf-8")
    (folder / "b.txt").write_text(second, encoding="utf-8")
    build(sorted(folder.glob("*.txt")), store=tmp_path / "store")
    store = open_store(tmp_path / "store")
    assert not_stated_twice(store)
    items = [row[2:] for row in run_select(store, "functional-item").values() if row[1] == "2120899"]
    assert items == [["9752.88", "0.00", "9752.88"]] * 2  # line 270, once for each department
    code = "<https://w3id.org/budgetkg/codelist/functional/2024/2120899>"
    names = {
        p.rsplit("#", 1)[1]: [
            r["l"].value
            for r in store.query(
                f"SELECT ?l WHERE {{ {code} <{skos}{p.rsplit('#', 1)[1]}> ?l }}", use_default_graph_as_union=True
            )
        ]
        for p in (f"{skos}#prefLabel", f"{skos}#altLabel")
    }
    # One name whichever document was built first: the first in Unicode order
    first_name = min("其他国有土地使用权出让收入安排的支出", "其他土地出让支出")
    assert names["prefLabel"] == [first_name]
    assert names["altLabel"] == [
        {"其他国有土地使用权出让收入安排的支出", "其他土地出让支出"}.difference({first_name}).pop()
    ]


def test_settling_drops_a_printed_code_the_lists_now_have():
    from budgetkg.load.graph import settle_reference_graphs
    from budgetkg.rdf.graphs import CODES_GRAPH, VOCABULARY_GRAPH
    from budgetkg.rdf.iri import concept
    from pyoxigraph import Literal, NamedNode, Quad, Store

    skos = "http://www.w3.org/2004/02/skos/core#"
    listed, unlisted = concept("functional", 2024, "2080101"), concept("functional", 2024, "2080199")
    members = NamedNode("https://w3id.org/budgetkg/codelist/functional")
    store = Store()
    store.add(
        Quad(
            listed,
            NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            NamedNode(skos + "Concept"),
            VOCABULARY_GRAPH,
        )
    )
    # A document's graph notes each code it prints that the lists lack (dcterms:source).
    document = NamedNode("https://w3id.org/budgetkg/data/dataset/x/2024")
    for c in (listed, unlisted):
        store.add(
            Quad(
                c,
                NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                NamedNode(skos + "Concept"),
                CODES_GRAPH,
            )
        )
        store.add(Quad(c, NamedNode(skos + "prefLabel"), Literal("印的名称", language="zh"), CODES_GRAPH))
        store.add(Quad(members, NamedNode(skos + "member"), c, CODES_GRAPH))
        store.add(
            Quad(c, NamedNode("http://purl.org/dc/terms/source"), NamedNode(document.value + "/source"), document)
        )
    settle_reference_graphs(store)
    left = {(q.subject.value, q.object.value) for q in store.quads_for_pattern(None, None, None, CODES_GRAPH)}
    assert left == {(unlisted.value, "印的名称"), (unlisted.value, skos + "Concept"), (members.value, unlisted.value)}


def test_same_unit_name_in_two_departments_is_not_merged(multi, docs):
    _, a, _ = docs
    store = open_store(multi)
    shared = a.units[1]
    rows = list(
        store.query(
            f"""SELECT ?u ?d WHERE {{ ?u <http://www.w3.org/2004/02/skos/core#prefLabel> "{shared}"@zh ;
        <http://www.w3.org/ns/org#subOrganizationOf> ?d }}""",
            use_default_graph_as_union=True,
        )
    )
    assert len(rows) == 2 and rows[0]["u"] != rows[1]["u"] and rows[0]["d"] != rows[1]["d"]


def test_departments_join_on_shared_code_lists(multi):
    store = open_store(multi)
    rows = run_select(store, "functional-code-across-departments", params={"code": "208"}).values()
    departments = {r[0] for r in rows}
    assert "某市测试局" in departments and len(departments) >= 2
    concepts = list(
        store.query(
            """SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {
        ?o <https://w3id.org/budgetkg/ontology#functionalClassification> ?c ;
           <http://www.w3.org/2004/02/skos/core#notation> ?x }""",
            use_default_graph_as_union=True,
        )
    )
    assert concepts  # the concepts of every department's observations are the shared ones
    mix = run_select(store, "funding-mix-by-department").values()
    assert {r[0] for r in mix} == departments | {r[0] for r in mix}
    largest = run_select(store, "largest-projects-across-departments", params={"limit": "5"}).values()
    assert len(largest) == 5 and len({r[2] for r in largest}) >= 1


def test_rebuilding_one_document_replaces_its_graph_only(docs, tmp_path):
    folder, a, _ = docs
    build(sorted(folder.glob("*.txt")), store=tmp_path)
    store = open_store(tmp_path)
    before = {
        g.value: sorted(str(q) for q in store.quads_for_pattern(None, None, None, g)) for g in store.named_graphs()
    }
    del store
    # a.txt again, with one project goal reworded
    first_project = a.projects[0][1]
    goal = next(line.split("\t")[-1] for line in a.text.split("\n") if line.startswith(first_project + "\t"))
    changed = tmp_path / "a.txt"
    changed.write_text(a.text.replace(goal, "改写后的绩效目标。", 1), encoding="utf-8")
    build([changed], store=tmp_path)
    after_store = open_store(tmp_path)
    after = {
        g.value: sorted(str(q) for q in after_store.quads_for_pattern(None, None, None, g))
        for g in after_store.named_graphs()
    }
    assert after.keys() == before.keys()
    moved = [g for g in before if before[g] != after[g]]
    assert len(moved) == 1 and "%E6%94%B9" not in moved[0]
    assert any("改写后的绩效目标。" in q for q in after[moved[0]])


def test_two_documents_of_the_same_department_and_year_are_refused(tmp_path):
    from budgetkg import BudgetkgError

    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_text(generate(3).text, encoding="utf-8")
    b.write_text(generate(3).text, encoding="utf-8")
    with pytest.raises(BudgetkgError, match="both describe the same department and year"):
        build([a, b], store=tmp_path / "s")
    assert not (tmp_path / "s" / "current").exists()


def test_every_seed_is_its_own_department():
    assert len({generate(seed).department for seed in range(0, 400, 7)}) == len(range(0, 400, 7))


def test_a_year_without_its_own_code_lists_links_to_the_list_it_was_read_with(tmp_path):
    # Only 2024's lists are on file: a 2025 budget is read with them, and its figures must
    # point at concepts that exist (labels, schemes), not at 2025 concepts nobody defined.
    doc = tmp_path / "2025.txt"
    doc.write_text(generate(23, year=2025).text, encoding="utf-8")
    build([doc], store=tmp_path / "store")
    store = open_store(tmp_path / "store")
    used = [
        r["c"].value
        for r in store.query(
            "SELECT DISTINCT ?c WHERE { ?o a <http://purl.org/linked-data/cube#Observation> ; ?p ?c . "
            "FILTER(STRSTARTS(STR(?c), 'https://w3id.org/budgetkg/codelist/')) }",
            use_default_graph_as_union=True,
        )
    ]
    assert used and all("/2024/" in c for c in used)
    unlabelled = list(
        store.query(
            "SELECT ?c WHERE { ?o a <http://purl.org/linked-data/cube#Observation> ; ?p ?c . "
            "FILTER(STRSTARTS(STR(?c), 'https://w3id.org/budgetkg/codelist/')) "
            "FILTER NOT EXISTS { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?l ; "
            "<http://www.w3.org/2004/02/skos/core#inScheme> ?s } }",
            use_default_graph_as_union=True,
        )
    )
    assert unlabelled == []
    years = {
        r["y"].value
        for r in store.query(f"SELECT DISTINCT ?y WHERE {{ ?o <{BKG}fiscalYear> ?y }}", use_default_graph_as_union=True)
    }
    assert years == {"http://reference.data.gov.uk/id/year/2025"}


def test_a_store_of_the_earlier_layout_is_refused_not_mixed(tmp_path):
    # A store built before the reference graphs describes organisations in each document's
    # graph; adding a document beside it would state them twice.
    from budgetkg import BudgetkgError
    from budgetkg.load.store import apply_update

    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text(generate(5).text, encoding="utf-8")
    second.write_text(generate(6).text, encoding="utf-8")
    build([first], store=tmp_path / "store")
    graph = next(g.value for g in open_store(tmp_path / "store").named_graphs() if "/dataset/" in g.value)
    apply_update(
        f"INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/u> a <{BKG}BudgetUnit> }} }}", path=tmp_path / "store"
    )
    before = sorted(map(str, open_store(tmp_path / "store")))
    with pytest.raises(BudgetkgError, match="built by an earlier budgetkg.*--replace-all"):
        build([second], store=tmp_path / "store")
    assert sorted(map(str, open_store(tmp_path / "store"))) == before
    build([first, second], store=tmp_path / "store", replace_all=True)
