"""Synthetic documents: read with no error and no broken identity, graphs hold exactly the figures generated."""

import pytest
from budgetkg import read_document
from budgetkg.check.accounts import check_document
from budgetkg.cli import cli
from budgetkg.records import SYNTHETIC_MARK
from budgetkg.tooling.synthetic import CITIES, DEPARTMENTS, generate
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

BKG = "https://w3id.org/budgetkg/ontology#"


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


# Real cities, as test data: the 21 prefecture-level cities of Guangdong, the capitals of the
# provinces and autonomous regions, the municipalities and a few other large cities.
GUANGDONG = "广州 深圳 珠海 汕头 佛山 韶关 湛江 肇庆 江门 茂名 惠州 梅州 汕尾 河源 阳江 清远 东莞 中山 潮州 揭阳 云浮"
CAPITALS = (
    "北京 天津 上海 重庆 石家庄 太原 呼和浩特 沈阳 长春 哈尔滨 南京 杭州 合肥 福州 南昌 济南 郑州 武汉 长沙 "
    "南宁 海口 成都 贵阳 昆明 拉萨 西安 兰州 西宁 银川 乌鲁木齐 台北 香港 澳门 苏州 厦门 青岛 大连 宁波"
)
REAL_CITIES = GUANGDONG.split() + CAPITALS.split()
# Every city × department of the generator, then numbered districts.
SEEDS = range(0, 2 * len(CITIES) * len(DEPARTMENTS) + len(CITIES))


def test_the_real_city_list_is_whole():
    assert len(GUANGDONG.split()) == 21 and len(set(REAL_CITIES)) == len(REAL_CITIES)


@pytest.fixture(scope="module")
def every_name():
    return [generate(seed) for seed in SEEDS]


def test_no_generated_document_names_a_real_city(every_name):
    for seed, s in zip(SEEDS, every_name, strict=True):
        names = [s.department, *s.units, *(name for _, name in s.projects)]
        for city in REAL_CITIES:
            assert not any(city in name for name in names), (seed, city)
            assert city not in s.text, (seed, city)


def test_generated_departments_stay_distinct_and_fictional(every_name):
    departments = [s.department for s in every_name]
    assert len(set(departments)) == len(departments)
    # Each is named for one of the plainly fictional cities of the data file, and a year's
    # document of a department is that department's in every year (the cross-year joins).
    assert all(any(d.startswith(city + "市") for city in CITIES) for d in departments)
    assert generate(7, year=2025).department == generate(7).department
    assert "示例市" in departments[0] and not any(SYNTHETIC_MARK in d for d in departments)


def test_every_generated_title_is_marked_and_read_as_synthetic():
    for seed in (0, 1, 7, 163, 321):
        s, doc, _ = read(seed)
        title = s.text.splitlines()[3]
        assert title == f"{s.department}部门预算（{SYNTHETIC_MARK}）"
        # The mark follows 部门预算: the department read from the title is the name alone.
        assert doc.synthetic and doc.department == s.department and SYNTHETIC_MARK not in doc.department
    assert read_document().synthetic is False


def test_the_mark_is_read_after_the_department_only():
    s = generate(4)
    unmarked = s.text.replace(f"部门预算（{SYNTHETIC_MARK}）", "部门预算", 1)
    assert read_document(unmarked.encode(), filename="a.txt").synthetic is False
    # A department whose own name holds the words is not marked by them.
    named = unmarked.replace(s.department, f"{SYNTHETIC_MARK}局")
    assert read_document(named.encode(), filename="b.txt").synthetic is False


def test_the_graph_of_a_generated_document_states_it_synthetic():
    from budgetkg.rdf.mapping import document_quads

    s, doc, report = read(2)
    quads = document_quads(doc, report)
    marked = {q.subject.value for q in quads if q.predicate.value == BKG + "synthetic" and q.object.value == "true"}
    dataset = next(q.subject.value for q in quads if q.object.value == BKG + "BudgetDataset")
    source = next(q.subject.value for q in quads if q.object.value == BKG + "SourceDocument")
    assert marked == {dataset, source}
    titles = [q.object.value for q in quads if q.subject.value == dataset and q.predicate.value.endswith("/title")]
    assert (
        f"{s.department}2024年部门预算（模拟数据）" in titles
        and f"Department budget 2024: {s.department} (synthetic data)" in titles
    )
    real = read_document()
    assert not [q for q in document_quads(real, check_document(real)) if q.predicate.value == BKG + "synthetic"]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """A store of the bundled document and two generated ones."""
    from budgetkg.load.graph import build
    from budgetkg.resources import default_document

    folder = tmp_path_factory.mktemp("mixed")
    for seed in (2, 3):
        (folder / f"synthetic-{seed}.txt").write_text(generate(seed).text, encoding="utf-8")
    build([default_document(), folder / "synthetic-2.txt", folder / "synthetic-3.txt"], store=folder / "store")
    return folder / "store"


REAL = "广州市人力资源和社会保障局"


def test_cross_department_queries_tell_synthetic_datasets_apart_and_can_leave_them_out(mixed):
    from budgetkg.load.store import open_store
    from budgetkg.query.library import QueryError, run_select

    store = open_store(mixed)
    fake = {generate(2).department, generate(3).department}
    for query, params, column in (
        ("functional-code-across-departments", {"code": "208"}, 0),
        ("funding-mix-by-department", {}, 0),
        ("largest-projects-across-departments", {"limit": "200"}, 2),
    ):
        result = run_select(store, query, params=params)
        data = result.variables.index("data")
        rows = result.values()
        assert {(r[column], r[data]) for r in rows} == {(REAL, "real")} | {(d, "synthetic") for d in fake}, query
        real = run_select(store, query, params={**params, "datasets": "real"}).values()
        kept = [r for r in rows if r[data] == "real"]
        # Left out before any ranking: the real rows of the mixed answer, then those the limit cut.
        assert {r[column] for r in real} == {REAL} and real[: len(kept)] == kept, query
        assert len(real) == (int(params["limit"]) if "limit" in params else len(kept)), query
        made_up = run_select(store, query, params={**params, "datasets": "synthetic"}).values()
        assert {r[column] for r in made_up} == fake, query
        with pytest.raises(QueryError, match="parameter datasets is one of all, real, synthetic, found 'fake'"):
            run_select(store, query, params={**params, "datasets": "fake"})


def test_catalogue_and_pages_show_a_synthetic_dataset(mixed):
    from urllib.parse import quote

    from budgetkg.load.store import open_store
    from budgetkg.rdf.iri import DEFAULT_BASE
    from budgetkg.server.describe import dcat_catalogue

    store = open_store(mixed)
    fake = {generate(2).department, generate(3).department}
    triples = dcat_catalogue(store, "http://127.0.0.1:7878/", "http://127.0.0.1:7878/sparql", {})
    listed = {t.object.value for t in triples if t.predicate.value == "http://www.w3.org/ns/dcat#dataset"}
    marked = {t.subject.value for t in triples if t.predicate.value == BKG + "synthetic" and t.object.value == "true"}
    datasets = {DEFAULT_BASE + f"dataset/{quote(d)}/2024" for d in fake}
    # the disclosures they were read from, which the catalogue describes too, say so as well
    assert marked == datasets | {d + "/source" for d in datasets} and datasets < listed
    assert DEFAULT_BASE + f"dataset/{quote(REAL)}/2024" in listed

    def page(path: str) -> str:
        result = CliRunner().invoke(cli, ["serve", "--store", str(mixed), "--get", path])
        assert result.exit_code == 0 and "<h1>" in result.output, result.output
        return result.output

    banner = '<p class="synthetic"><b>模拟数据 · Synthetic data</b>'
    department = generate(2).department
    dataset = page(f"/dataset/{quote(department)}/2024")
    assert banner in dataset and f"<h1>{department}2024年部门预算（模拟数据）</h1>" in dataset
    assert banner not in page(f"/dataset/{quote(REAL)}/2024")
    # A project of a generated budget points at its dataset: its page says what it is part of.
    project = next(
        r["p"].value
        for r in store.query(
            f"SELECT ?p WHERE {{ ?p a <{BKG}Project> ; <http://purl.org/dc/terms/isPartOf> "
            f"<{DEFAULT_BASE}dataset/{quote(department)}/2024> }} LIMIT 1",
            use_default_graph_as_union=True,
        )
    )
    part = page("/" + project.removeprefix(DEFAULT_BASE))
    assert banner in part and "part of a budget made up" in part
