"""Synthetic documents: read with no error and no broken identity, graphs hold exactly the figures generated."""

from budgetkg import read_document
from budgetkg.check.accounts import check_document
from budgetkg.cli import cli
from budgetkg.tooling.synthetic import generate
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st


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


def test_generated_departments_print_the_template_in_every_house_style():
    from budgetkg.tooling.synthetic import EMPTY_NOTES, TITLE_PREFIXES, UNIT_LABELS

    seen = set()
    for seed in range(1, 13):
        s, doc, report = read(seed)
        lines = s.text.splitlines()
        title = next(line for line in lines if line.endswith("收支总体情况表") and line.startswith("###"))
        prefix = title.removeprefix("### ").removesuffix("收支总体情况表")
        seen.add(
            ("prefix", TITLE_PREFIXES.index(prefix.replace(s.department, "{department}").replace("2024", "{year}")))
        )
        seen.add(("one meta line", any(line.startswith("编制单位：") for line in lines)))
        seen.add(("unit", next(u for u in UNIT_LABELS if f"\n{u}：万元" in s.text or f"\t{u}：万元" in s.text)))
        seen.add(("empty note", doc.tables[10].notes[0]))  # 国有资本经营预算: none in any generated department
        assert doc.tables[10].declared_empty and report.counts["broken"] == 0, seed
    notes = {note.replace("{year}", "2024").format(fund="国有资本经营预算") for note in EMPTY_NOTES}
    assert seen == (
        {("prefix", i) for i in range(len(TITLE_PREFIXES))}
        | {("one meta line", b) for b in (True, False)}
        | {("unit", u) for u in UNIT_LABELS}
        | {("empty note", n) for n in notes}
    ), seen
