"""The benchmark command keeps working: a small run (one document, a few queries, a short serving run).
It asserts nothing about speed; docs/benchmarks.md has the figures of a full run."""

import json

import pytest
from budgetkg.cli import cli
from budgetkg.errors import BudgetkgError
from click.testing import CliRunner


def test_small_benchmark_run(tmp_path):
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(
        cli,
        ["bench", "--sizes", "1", "--runs", "1", "--queries", "3", "--requests", "10", "--pdf-pages", "20"]
        + ["--pdf-documents", "2", "--out", str(out)],
    )
    assert result.exit_code in (0, 1), result.output  # 1: a goal was missed on this machine
    figures = json.loads(out.read_text("utf-8"))
    sections = {f["section"] for f in figures}
    assert sections == {"one doc", "pdf", "queries", "1 docs", "2 PDFs", "serving"}
    from_pdf = {f["name"]: f for f in figures if f["section"] == "2 PDFs"}
    assert from_pdf["`budgetkg build` of their PDFs: documents per second"]["unit"] == "doc/s"
    assert from_pdf["`budgetkg build` of their text: documents per second"]["value"] > 0
    assert from_pdf["ratio build time from PDF / from text"]["value"] > 0
    # A line per case on standard error as it starts; standard output holds the figures alone.
    cases = [line for line in result.stderr.splitlines() if line.startswith("bench: ")]
    assert len(cases) == 7 and "from their PDFs" in cases[5] and "serving" in cases[6], cases
    assert "bench: " not in result.stdout and "ratio build time from PDF / from text" in result.stdout
    assert any(f["name"] == "ratio PDF read / (pdftotext + text reader)" for f in figures)
    assert any(f["name"] == "ratio budgetkg / bare load" for f in figures)
    serving = [f["name"] for f in figures if f["section"] == "serving"]
    assert any("resource pages, Turtle" in n and "share of oxigraph" in n for n in serving)
    assert any("cheap library query" in n for n in serving) and any("aggregate library query" in n for n in serving)
    # Every request of the load runs was answered (a page URL the client re-encoded would be a 404).
    answered = [f for f in figures if f["goal"] == "0 errors"]
    assert len(answered) == 12 and all(f["met"] for f in answered), [f["name"] for f in answered if not f["met"]]
    assert "goals:" in result.output
    machine = next(line for line in result.output.splitlines() if line.startswith("machine:"))
    assert "cores" in machine and "budgetkg " in machine and "pyoxigraph 0.5." in machine
    medians = {f["name"] for f in figures if f["name"].startswith("median speed-up")}
    assert medians == {
        "median speed-up over the library, store on disk",
        "median speed-up over the library, store in memory",
    }


def test_missing_serving_baseline_fails_before_measuring(tmp_path, monkeypatch):
    import budgetkg.publish.oxigraph_server

    monkeypatch.setattr(budgetkg.publish.oxigraph_server, "oxigraph_binary", lambda: None)
    result = CliRunner().invoke(cli, ["bench", "--sizes", "1", "--out", str(tmp_path / "bench.json")])
    assert result.exit_code == 2, result.output
    assert 'pip install "budgetkg[bench]"' in result.output and "--no-serve" in result.output
    assert "machine:" not in result.output and not (tmp_path / "bench.json").exists()


def test_each_engine_times_queries_in_a_process_of_its_own(store_path, tmp_path):
    from budgetkg.load.store import open_store
    from budgetkg.publish.export import export_file
    from budgetkg.tooling.bench import _timed_engine

    nt = tmp_path / "data.nt"
    export_file(open_store(store_path), "nt", nt)
    trivial = "SELECT ?x WHERE { BIND(1 AS ?x) }"
    for kind in ("rdflib", "on disk", "in memory"):
        with _timed_engine(kind, store_path, nt) as timed:
            assert timed(trivial) > 0
    # A query the engine cannot run stops the benchmark, naming the engine and the error.
    with (
        _timed_engine("on disk", store_path) as timed,
        pytest.raises(BudgetkgError, match="the on disk engine could not run a query: .*Syntax"),
    ):
        timed("SELECT WHERE")
    # An engine that cannot load stops it too, with what the process said.
    with (
        pytest.raises(BudgetkgError, match=r"the on disk engine stopped \(exit code 1\):(.|\n)*no budgetkg store"),
        _timed_engine("on disk", tmp_path / "nothing-here"),
    ):
        pass
