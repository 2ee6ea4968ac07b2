"""Synthetic documents: read with no error and no broken identity, graphs hold exactly the figures generated."""

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetkg import read_document
from budgetkg.cli import cli
from budgetkg.report import check_document
from budgetkg.synthetic import generate


def read(seed: int):
    s = generate(seed)
    doc = read_document(s.text.encode(), filename=f"synthetic-{seed}.txt")
    return s, doc, check_document(doc)


def test_same_seed_same_document():
    assert generate(11).text == generate(11).text
    assert generate(11).text != generate(12).text


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=10**6))
def test_generated_documents_read_exactly(seed):
    s, doc, report = read(seed)
    assert report.counts["broken"] == 0
    assert doc.quirks == []
    assert doc.department == s.department
    assert sorted((r.table, c.source.line, c.amount.text) for r, c in doc.cells()) == sorted(s.figures)
    assert sorted((p.unit, p.name) for p in doc.projects) == sorted(s.projects)
    assert [u.name for u in doc.units] == s.units


def test_rounding_differences_like_real_documents():
    _, _, report = read(3)
    assert report.counts["rounding"] > 0


def test_page_breaks_repeat_headers():
    s = generate(5)
    assert s.text.count("支出项目类别（资金使用单位）\t总计") > 2


def test_generate_command(tmp_path):
    result = CliRunner().invoke(cli, ["generate", "--seed", "4", "--count", "2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["synthetic-4.txt", "synthetic-5.txt"]
    assert (tmp_path / "synthetic-4.txt").read_text("utf-8") == generate(4).text
