"""Whatever a store holds, every command answers (issue 32, finding 9).

A 27-digit amount is refused at reading, with its line and cell; a store that holds such
figures all the same (written by an update, or by other means) is answered by `query`, `stats`
and `export`, never with a traceback.
"""

from __future__ import annotations

import re

import pytest
from budgetkg import DocumentError, read_document
from budgetkg.cli import cli
from budgetkg.load.store import apply_update
from budgetkg.query.library import library
from click.testing import CliRunner

BKG = "https://w3id.org/budgetkg/ontology#"
HUGE = "1" * 27 + ".5"  # as an engine writes a difference: trailing zeros dropped


def test_a_27_digit_amount_is_refused_with_its_line_and_cell(seed_lines):
    lines = list(seed_lines)
    at = next(i for i, line in enumerate(lines) if line.startswith("合计\t211,312.21"))
    lines[at] = lines[at].replace("211,312.21", "111,111,111,111,111,111,111,111,111.00", 1)
    with pytest.raises(DocumentError) as info:
        read_document("\n".join(lines).encode(), filename="huge.txt")
    e = info.value
    assert (e.code, e.lineno, e.offset) == ("amount-out-of-range", at + 1, 2)
    assert str(e).startswith(f"huge.txt:{at + 1}:2: error[amount-out-of-range]")


def test_amounts_of_twelve_digits_are_read(seed_lines):
    lines = list(seed_lines)
    at = next(i for i, line in enumerate(lines) if line.startswith("合计\t211,312.21"))
    lines[at] = lines[at].replace("211,312.21", "999,999,999,999.999999", 1)
    read_document("\n".join(lines).encode())  # read (its identities break, which check reports)


def test_a_narrative_figure_out_of_range_is_refused(seed_lines):
    lines = list(seed_lines)
    at = next(i for i, line in enumerate(lines) if "收入预算" in line and "万元" in line)
    lines[at] = re.sub(r"收入预算[\d,.]+万元", "收入预算" + "9" * 30 + "万元", lines[at], count=1)
    with pytest.raises(DocumentError) as info:
        read_document("\n".join(lines).encode())
    assert (info.value.code, info.value.lineno) == ("amount-out-of-range", at + 1)


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    """The bundled document, then figures no reading would give written straight into the store."""
    store = tmp_path_factory.mktemp("hostile-store")
    result = CliRunner().invoke(cli, ["build", "--no-dumps", "--store", str(store)])
    assert result.exit_code == 0, result.output
    xsd = "http://www.w3.org/2001/XMLSchema#"
    apply_update(
        f"""
        PREFIX bkg: <{BKG}> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        DELETE {{ GRAPH ?g {{ ?identity bkg:difference ?d . ?obs bkg:amount ?a }} }}
        INSERT {{ GRAPH ?g {{
            ?identity bkg:identityStatus ?broken ; bkg:difference "{HUGE}"^^<{xsd}decimal> .
            ?obs bkg:amount "{"9" * 40}.5"^^<{xsd}decimal> .
            <urn:x:1> bkg:amount "abc"^^<{xsd}decimal>, "1E+999999"^^<{xsd}decimal> ;
                      bkg:sourceLine "{"9" * 5000}"^^<{xsd}integer> .
        }} }}
        WHERE {{
            GRAPH ?v {{ ?broken skos:notation "broken" }}
            {{ SELECT ?g ?identity ?d WHERE {{ GRAPH ?g {{ ?identity a bkg:AccountingIdentity ; bkg:difference ?d }} }}
               LIMIT 1 }}
            {{ SELECT ?obs ?a WHERE {{ GRAPH ?h {{ ?obs bkg:amount ?a }} }} LIMIT 3 }}
        }}""",
        path=store,
    )
    return store


def run(store, *args):
    result = CliRunner().invoke(cli, [*args, "--store", str(store)])
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.output)
    assert "Traceback" not in result.output
    return result


def test_broken_identities_answers_a_27_digit_difference(hostile_store):
    result = run(hostile_store, "query", "broken-identities")
    assert result.exit_code == 0, result.output
    assert "1" * 27 in result.output


@pytest.mark.parametrize("command", ["stats", "export"])
def test_commands_answer_whatever_the_store_holds(hostile_store, tmp_path, command):
    options = ["--format", "nt", "--output", str(tmp_path / "out.nt")] if command == "export" else []
    assert run(hostile_store, command, *options).exit_code == 0


def test_every_library_query_answers_whatever_the_store_holds(hostile_store):
    for query in library():
        for fmt in ("table", "json", "csv"):
            result = run(hostile_store, "query", query.name, "--format", fmt)
            assert result.exit_code in (0, 1, 2), (query.name, fmt, result.output)
