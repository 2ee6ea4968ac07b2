"""`budgetkg build`, `query`, `queries`, `export`, `stats` through click's CliRunner."""

import json
import re

import pytest
from budgetkg.cli import cli
from click.testing import CliRunner
from facts import KJC_NAMES, KJC_PROJECTS


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    store = tmp_path_factory.mktemp("cli-store")
    result = CliRunner().invoke(cli, ["build", "--store", str(store)])
    assert result.exit_code == 0, result.output
    return store, result


def run(store, *args):
    return CliRunner().invoke(cli, [*args, "--store", str(store)])


def test_build_prints_summary_and_the_kjc_answer(built):
    _, result = built
    out = result.output
    assert "17 units, 214 projects" in out and "0 broken" in out
    assert "广州市公用事业技师学院入驻科教城购置项目" in out and "12944.22" in out  # line 869
    assert "(8 rows)" in out


def test_query_by_name_number_and_text(built):
    store, _ = built
    by_name = run(store, "query", "largest-projects", "--param", "limit=1")
    assert (
        by_name.exit_code == 0 and "城乡居民社会养老保险政府资助项目" in by_name.output and "(1 row)" in by_name.output
    )
    by_number = run(store, "query", "13")
    assert "公务接待费" in by_number.output and "34.14" in by_number.output  # line 540
    text = run(store, "query", "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/budgetkg/ontology#BudgetUnit> }")
    assert "17" in text.output


def test_query_formats_and_language(built):
    store, _ = built
    csv_out = run(store, "query", "three-public-expenses", "--format", "csv")
    assert csv_out.output.splitlines()[0] == "item,total,generalPublicBudget"
    assert "公务用车购置费,245.00,245.00" in csv_out.output  # line 538
    en = run(store, "query", "economic-basic", "--lang", "en")
    assert "Wages and benefits" in en.output and "138656.52" in en.output  # line 405
    data = json.loads(run(store, "query", "economic-basic", "--format", "json").output)
    assert data["head"]["vars"] == ["class", "notation", "amount"]
    first = data["results"]["bindings"][0]
    assert first["class"]["label"] == "工资福利支出" and first["amount"]["value"] in ("138656.52",)


def test_query_csv_keeps_the_iris_beside_the_labels(built):
    import csv
    from urllib.parse import unquote

    store, _ = built
    out = run(store, "query", "largest-projects", "--param", "limit=1", "--format", "csv", "--iri")
    assert out.exit_code == 0, out.output
    header, row = list(csv.reader(out.output.splitlines()))
    assert header == ["project", "project_iri", "unit", "unit_iri", "total"]  # total is a number: no IRI
    # line 722, under 广州市社会保险基金管理中心 (line 719): 城乡居民社会养老保险政府资助项目 268,348.16
    assert (row[0], row[2], row[4]) == ("城乡居民社会养老保险政府资助项目", "广州市社会保险基金管理中心", "268348.16")
    assert unquote(row[3]).endswith("/unit/广州市社会保险基金管理中心")
    assert unquote(row[1]) == unquote(row[3]) + "/project/2024/城乡居民社会养老保险政府资助项目"
    tsv = run(store, "query", "largest-projects", "--param", "limit=1", "--format", "tsv", "--iri")
    assert tsv.output.splitlines()[1].split("\t") == row
    plain = run(store, "query", "largest-projects", "--param", "limit=1", "--format", "csv")
    assert plain.output.splitlines()[0] == "project,unit,total"  # labels only, as before
    # an unbound row leaves its IRI cell empty; a name already taken gets a further _iri
    text = (
        "SELECT ?x ?x_iri WHERE { VALUES (?x ?x_iri) { (<https://w3id.org/budgetkg/ontology#Project> 1) (UNDEF 2) } }"
    )
    taken = list(csv.reader(run(store, "query", text, "--format", "csv", "--iri").output.splitlines()))
    assert taken == [
        ["x", "x_iri_iri", "x_iri"],
        ["预算项目", "https://w3id.org/budgetkg/ontology#Project", "1"],
        ["", "", "2"],
    ]
    table = run(store, "query", "largest-projects", "--iri")
    assert table.exit_code == 2 and "--iri keeps IRIs beside the labels of --format csv or tsv" in table.output


def test_query_errors(built):
    store, _ = built
    unknown = run(store, "query", "no-such-query")
    assert unknown.exit_code == 2 and "no library query named" in unknown.output
    bad_param = run(store, "query", "largest-projects", "--param", "limit=ten")
    assert bad_param.exit_code == 2 and "integer" in bad_param.output
    syntax = run(store, "query", "SELECT WHERE {")
    assert syntax.exit_code == 2
    graph_as_csv = run(store, "query", KJC_PROJECTS, "--format", "csv")
    assert graph_as_csv.exit_code == 2 and "a CONSTRUCT query gives a graph: --format ttl, nt" in graph_as_csv.output
    table_as_turtle = run(store, "query", "largest-projects", "--format", "ttl")
    assert table_as_turtle.exit_code == 2 and "a SELECT query gives a table" in table_as_turtle.output
    not_a_query = run(store, "query", "# SELECT\nhello")
    assert (
        not_a_query.exit_code == 2
        and "expected SELECT, ASK, CONSTRUCT or DESCRIBE, found 'hello'" in not_a_query.output
    )


def test_query_ask(built):
    store, _ = built
    project = 'PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> ASK { ?p rdfs:label "{}"@zh }'
    yes = run(store, "query", project.replace("{}", "广州市公用事业技师学院入驻科教城购置项目"))  # line 869
    assert yes.exit_code == 0 and yes.output == "true\n"
    no = run(store, "query", project.replace("{}", "广州市公用事业技师学院入驻月球购置项目"), "--format", "json")
    assert no.exit_code == 0 and json.loads(no.output) == {"head": {}, "boolean": False}


def test_query_construct_in_every_graph_syntax(built):
    from pyoxigraph import RdfFormat, parse

    store, _ = built
    syntaxes = {
        "ttl": RdfFormat.TURTLE,
        "nt": RdfFormat.N_TRIPLES,
        "jsonld": RdfFormat.JSON_LD,
        "rdfxml": RdfFormat.RDF_XML,
    }
    for fmt, syntax in syntaxes.items():
        out = run(store, "query", KJC_PROJECTS, "--format", fmt)
        assert out.exit_code == 0, out.output
        triples = list(parse(out.stdout_bytes, format=syntax))
        assert {t.object.value for t in triples} == KJC_NAMES and len(triples) == len(KJC_NAMES), fmt
        assert out.stdout_bytes == run(store, "query", KJC_PROJECTS, "--format", fmt).stdout_bytes  # deterministic
    turtle = run(store, "query", KJC_PROJECTS).output  # the default format gives Turtle
    assert turtle.startswith("@prefix rdfs:") and "@prefix qb:" not in turtle  # only the prefixes it uses
    nt = run(store, "query", KJC_PROJECTS, "--format", "nt").output.splitlines()
    assert nt == sorted(nt)
    unit = "<https://w3id.org/budgetkg/ontology#BudgetUnit>"
    described = run(store, "query", f"DESCRIBE {unit}", "--format", "nt").output
    assert f'{unit} <http://www.w3.org/2000/01/rdf-schema#label> "预算单位"@zh .' in described.splitlines()


def test_query_with_from_gets_the_graphs_it_names(built):
    store, _ = built
    vocabulary = "https://w3id.org/budgetkg/graph/vocabulary"
    in_graph = run(
        store, "query", f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{vocabulary}> {{ ?s ?p ?o }} }}", "--format", "csv"
    )
    from_clause = run(
        store, "query", f"SELECT (COUNT(*) AS ?n) FROM <{vocabulary}> WHERE {{ ?s ?p ?o }}", "--format", "csv"
    )
    everything = run(store, "query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "csv")
    assert from_clause.exit_code == 0 and from_clause.output == in_graph.output != everything.output


def test_query_without_store(tmp_path):
    result = CliRunner().invoke(cli, ["query", "largest-projects", "--store", str(tmp_path / "none")])
    assert result.exit_code == 2 and "budgetkg build" in result.output


def test_queries_lists_the_library():
    result = CliRunner().invoke(cli, ["queries"])
    assert result.exit_code == 0
    assert "01-kjc-relocation-by-college" in result.output and "--param limit=10" in result.output


def test_export_and_stats(built, tmp_path):
    store, _ = built
    out = tmp_path / "budget.nt"
    result = run(store, "export", "--format", "nt", "-o", str(out))
    assert result.exit_code == 0 and out.stat().st_size > 1_000_000
    graphml = run(store, "export", "--format", "graphml")
    assert graphml.output.startswith("<?xml") and "graphml" in graphml.output
    stats = run(store, "stats")
    assert "budget units: 17" in stats.output and "projects: 214" in stats.output
    # the document's, the vocabulary, the organisations, what the ontology entails
    assert "named graphs: 4" in stats.output
    assert re.search(r"graph/entailed  \d+ triples  (本体蕴涵的三元组|Triples the ontology entails)", stats.output)
    assert re.search(r"graph/organisations  \d+ triples  Organisations", stats.output)


def test_export_to_a_missing_folder_names_the_file(built, tmp_path):
    store, _ = built
    target = tmp_path / "missing" / "budget.ttl"
    result = run(store, "export", "--format", "ttl", "-o", str(target))
    assert result.exit_code == 2
    assert f"error: No such file or directory: {target}" in result.output
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--workers", "0"],  # no worker would ever answer a query
        ["serve", "--port", "99999"],  # uvloop would listen on 99999 - 65536 instead
        ["serve", "--timeout", "0"],
        ["serve", "--max-rows", "0"],
        ["serve", "--base", "data/"],  # not absolute
        ["build", "--base", "https://example.org/my budget/"],
        ["generate", "--count", "-2"],
        ["bench", "--sizes", "1,x"],
        ["bench", "--sizes", "0"],
        ["bench", "--runs", "0"],
    ],
)
def test_options_out_of_range_are_refused(args):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert f"Invalid value for '{args[1]}'" in result.output


def test_build_of_a_folder_without_documents_is_an_error(built, tmp_path):
    store, _ = built
    before = (store / "current").resolve()
    result = run(store, "build", str(tmp_path))
    assert result.exit_code == 2
    assert f"{tmp_path}: no documents (*.pdf, *.xlsx, *.xls, *.html, *.htm, *.txt) in this folder" in result.output
    assert (store / "current").resolve() == before


def test_build_of_a_broken_document_exits_1(tmp_path, seed_lines):
    lines = list(seed_lines)
    lines[420] = "[30201]办公费\t650.24"
    doc = tmp_path / "changed.txt"
    doc.write_text("\n".join(lines), encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "--no-dumps", str(doc), "--store", str(tmp_path / "s")])
    assert result.exit_code == 1 and "1 broken" in result.output


def test_build_of_an_unreadable_document_exits_2(tmp_path):
    doc = tmp_path / "empty.txt"
    doc.write_bytes(b"")
    result = CliRunner().invoke(cli, ["build", str(doc), "--store", str(tmp_path / "s")])
    assert result.exit_code == 2 and "empty.txt:1:1: error[empty-document]" in result.output
    assert not (tmp_path / "s").exists()  # a first build that fails leaves no store folder behind
    result = CliRunner().invoke(cli, ["build", str(doc), "--store", str(tmp_path / "new" / "s")])
    assert result.exit_code == 2 and list(tmp_path.iterdir()) == [doc]


def readme_queries() -> list[list[str]]:
    """The `budgetkg query` examples of the README and the documentation pages that run on the store alone."""
    import shlex
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    commands = []
    for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        for block in doc.read_text("utf-8").split("```bash")[1:]:
            pending = ""
            for line in block.split("```", 1)[0].splitlines():
                pending = f"{pending}\n{line}" if pending else line
                try:
                    args = shlex.split(pending, comments=True)
                except ValueError:  # a quoted query going on to the next line
                    continue
                pending = ""
                if args[:2] == ["budgetkg", "query"] and "--endpoint" not in args and not args[2].endswith(".rq"):
                    commands.append(args[2:])
    return commands


def test_the_documented_query_examples_run(built):
    store, _ = built
    commands = readme_queries()
    assert len(commands) >= 10
    for args in commands:
        result = run(store, "query", *args)
        assert result.exit_code == 0 and result.output.strip(), (args, result.output)


def test_list_and_remove_documents(tmp_path, seed_lines):
    """`list` shows each document of the store with the form it was read from; `remove` takes one
    out atomically, and the codes only it printed leave the reference graph with it."""
    from budgetkg.load.store import open_store
    from budgetkg.rdf.graphs import CODES_GRAPH

    store = tmp_path / "store"
    later = tmp_path / "later.txt"
    # The 2025 copy prints, wherever 2024's prints 2080505, a code no code list has (2080598,
    # under the same 20805), so its identities still hold.
    lines = [ln.replace("2024年", "2025年").replace("2080505", "2080598") for ln in seed_lines]
    assert run(store, "build", "--no-dumps").exit_code == 0
    later.write_text("\n".join(lines), encoding="utf-8")
    assert run(store, "build", "--no-dumps", str(later)).exit_code == 0
    listed = json.loads(run(store, "list", "--format", "json").output)
    assert [(d["department"], d["year"], d["form"], d["file"], d["synthetic"]) for d in listed] == [
        ("广州市人力资源和社会保障局", 2024, "text", "guangzhou-hrss-2024-budget.txt", False),
        ("广州市人力资源和社会保障局", 2025, "text", "later.txt", False),
    ]
    unlisted = (
        f'ASK {{ GRAPH <{CODES_GRAPH.value}> {{ ?c <http://www.w3.org/2004/02/skos/core#notation> "2080598" }} }}'
    )
    assert open_store(store).query(unlisted)
    text = run(store, "list").output.splitlines()
    assert len(text) == 2 and text[1].startswith("广州市人力资源和社会保障局\t2025\ttext\t")

    unknown = run(store, "remove", "no-such-file.txt")
    assert unknown.exit_code == 2 and "later.txt" in unknown.output  # names what the store has
    removed = run(store, "remove", "--no-dumps", "later.txt")
    assert removed.exit_code == 0, removed.output
    assert [d["year"] for d in json.loads(run(store, "list", "--format", "json").output)] == [2024]
    counts = json.loads(run(store, "stats", "--format", "json").output)
    # the document's, the vocabulary, the organisations and the entailed graph; no codes graph
    assert counts["projects"] == 214 and len(counts["graphs"]) == 4
    assert not open_store(store).query(unlisted)


def test_files_written_get_the_usual_permissions(built, tmp_path):
    """Exports and generated documents are written through a private temporary file; the file
    itself is readable as the umask allows (0644 under umask 022), not left 0600."""
    import os
    import stat

    store, _ = built
    old = os.umask(0o022)
    try:
        out = tmp_path / "budget.ttl"
        assert run(store, "export", "--format", "ttl", "-o", str(out)).exit_code == 0
        generated = CliRunner().invoke(cli, ["generate", "--count", "1", "--out", str(tmp_path / "gen")])
        assert generated.exit_code == 0, generated.output
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    for path in (tmp_path / "gen").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_build_prints_each_document_as_it_is_built(tmp_path):
    """A document's line comes while the build goes on, not all at the end: when the first
    document's line arrives, the new store is not yet swapped in (its `current` link is made
    last), and the final summary follows the lines of both documents."""
    import subprocess
    import sys

    from budgetkg.tooling.synthetic import generate

    docs = []
    for seed in (1, 2):
        docs.append(tmp_path / f"synthetic-{seed}.txt")
        docs[-1].write_text(generate(seed).text, encoding="utf-8")
    store = tmp_path / "store"
    process = subprocess.Popen(
        [sys.executable, "-m", "budgetkg", "build", "--no-dumps", *map(str, docs), "--store", str(store)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
    )
    try:
        first = process.stderr.readline()
        assert first.startswith("synthetic-1.txt: "), first
        assert not (store / "current").exists()  # printed before the build ended
        rest = process.stderr.read()
    finally:
        process.stderr.close()
        process.wait(timeout=300)
    assert process.returncode == 0, rest
    lines = rest.splitlines()
    assert lines[0].startswith("synthetic-2.txt: ") and "0 broken" in first and "0 broken" in lines[0]
    assert lines[-1].startswith(f"store {store}: ") and (store / "current").exists()


def test_a_second_form_of_a_document_replaces_the_first_and_says_so(tmp_path):
    """The graph's IRI comes from the department and year of the title alone, so building the
    bundled document's web page after its text replaces the text's graph: right, but said."""
    from budgetkg.render.html import render_html
    from budgetkg.resources import default_document

    store = tmp_path / "store"
    page = tmp_path / "guangzhou-hrss-2024-budget.html"
    page.write_text(render_html(default_document().read_bytes(), "guangzhou-hrss-2024-budget.txt"), "utf-8")
    first = run(store, "build", "--no-answer", "--no-dumps")
    assert first.exit_code == 0, first.output
    assert "replaces" not in first.output  # nothing to replace in an empty store
    second = run(store, "build", str(page), "--no-dumps")
    assert second.exit_code == 0, second.output
    # the title of the bundled document: 2024年 广州市人力资源和社会保障局部门预算
    assert (
        "replaces 广州市人力资源和社会保障局 2024 built from guangzhou-hrss-2024-budget.txt (text) "
        "with guangzhou-hrss-2024-budget.html (html)"
    ) in second.output
    listed = run(store, "list").output.splitlines()
    assert len(listed) == 1 and listed[0].split("\t")[:3] == ["广州市人力资源和社会保障局", "2024", "html"]
    assert listed[0].split("\t")[5] == page.name
    again = run(store, "build", str(page), "--no-dumps")  # the same form again: replaced, and said so too
    assert "built from guangzhou-hrss-2024-budget.html (html) with guangzhou-hrss-2024-budget.html (html)" in (
        again.output
    )
