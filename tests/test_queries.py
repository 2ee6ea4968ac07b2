"""Every query of the library, with expected rows read off the bundled document by hand.

Line numbers refer to guangzhou-hrss-2024-budget.txt.
"""

from decimal import Decimal as D

import pytest
from budgetkg.query.library import library

COLLEGES = ["广州市技师学院", "广州市工贸技师学院", "广州市交通技师学院", "广州市公用事业技师学院"]


def test_library_has_at_least_25_queries_with_headers():
    queries = library()
    assert len(queries) >= 25
    for q in queries:
        assert q.title_zh and q.title_en and q.description, q.file
        assert q.file == f"{q.number}-{q.name}.rq"


def test_01_kjc_relocation_by_college(ask):
    rows = {tuple(r) for r in ask("kjc-relocation-by-college")}
    assert rows == {
        ("广州市工贸技师学院", "广州市工贸技师学院入驻科教城搬迁开办项目", "一般公共预算", "1205.37"),  # line 775
        ("广州市工贸技师学院", "广州市工贸技师学院入驻科教城购置项目", "一般公共预算", "6924.61"),  # line 776
        ("广州市技师学院", "广州市技师学院入驻科教城搬迁开办项目", "一般公共预算", "220.00"),  # line 791
        ("广州市技师学院", "广州市技师学院入驻科教城校区购置项目", "一般公共预算", "5907.93"),  # line 793
        ("广州市交通技师学院", "市交通技师学院入驻科教城搬迁开办项目", "一般公共预算", "375.59"),  # line 844
        ("广州市交通技师学院", "市交通技师学院入驻科教城购置项目", "一般公共预算", "5470.45"),  # line 845
        ("广州市公用事业技师学院", "广州市公用事业技师学院入驻科教城搬迁项目", "一般公共预算", "1092.89"),  # line 868
        ("广州市公用事业技师学院", "广州市公用事业技师学院入驻科教城购置项目", "一般公共预算", "12944.22"),  # line 869
    }


def test_02_kjc_spending_by_unit(ask):
    rows = {r[0]: (r[1], r[2]) for r in ask("kjc-spending-by-unit")}
    assert rows == {
        "广州市公用事业技师学院": ("3", "15537.11"),  # 1,092.89 + 12,944.22 + 1,500.00 (lines 868, 869, 875)
        "广州市工贸技师学院": ("3", "9365.06"),  # 1,205.37 + 6,924.61 + 1,235.08
        "广州市交通技师学院": ("4", "7604.66"),  # 375.59 + 5,470.45 + 1,262.62 + 496.00
        "广州市技师学院": ("3", "7338.51"),  # 220.00 + 5,907.93 + 1,210.58
        "广州市人力资源和社会保障局数据服务中心": ("1", "665.11"),  # 四校互联互通, line 917
    }


def test_03_largest_projects(ask):
    assert [r[2] for r in ask("largest-projects")] == [
        "268348.16",
        "163152.14",
        "33434.40",
        "12944.22",
        "9752.88",
        "9635.80",
        "9594.00",
        "8440.00",
        "6924.61",
        "6863.60",
    ]
    top = ask("largest-projects", limit="2")
    assert top == [
        ["城乡居民社会养老保险政府资助项目", "广州市社会保险基金管理中心", "268348.16"],
        ["机关事业单位人员基本养老保险财政补助项目", "广州市社会保险基金管理中心", "163152.14"],
    ]


def test_04_unit_budget_by_funding_source(ask):
    rows = {(r[0], r[1]): r[2] for r in ask("unit-budget-by-funding-source")}
    assert rows[("广州市干部和人才健康管理中心", "其他资金")] == "11260.89"  # 4,657.71 (line 601) + 6,603.18 (line 745)
    assert rows[("广州市干部和人才健康管理中心", "一般公共预算")] == "17922.03"  # 4,857.78 + 13,064.25
    assert rows[("广州市交通技师学院", "财政专户拨款")] == "5990.00"  # line 628
    assert rows[("广州市社会保险基金管理中心", "政府性基金预算")] == "9752.88"  # line 719
    assert ("广州市劳动人事争议仲裁院", "其他资金") not in rows  # zero everywhere


# The department's own level (局本级, 部门预算构成 line 71) is printed under the department's
# name; its label says 本级, so that its rows do not read as the department's totals.
OWN_LEVEL = "广州市人力资源和社会保障局（本级）"
BASIC_AND_PROJECT = {  # 表11 unit rows (lines 583-666) and 表12 unit rows (lines 683-961)
    OWN_LEVEL: ("10474.86", "15176.87"),
    "广州市人力资源市场服务中心": ("2162.55", "2709.62"),
    "广州市社会保险基金管理中心": ("8128.08", "444928.49"),
    "广州市劳动就业服务管理中心": ("4114.09", "3093.54"),
    "广州市干部和人才健康管理中心": ("9515.50", "19667.43"),
    "广州市工贸技师学院": ("29493.58", "13777.81"),
    "广州市技师学院": ("25946.33", "12721.29"),
    "广州市机电技师学院": ("26137.17", "5138.68"),
    "广州市轻工技师学院": ("29414.55", "3090.18"),
    "广州市交通技师学院": ("24723.94", "14345.11"),
    "广州市公用事业技师学院": ("23546.22", "20468.75"),
    "广州市职业技术教育研究院（世界技能大赛中国（广州）研究中心）": ("897.43", "481.00"),
    "广州市劳动人事争议仲裁院": ("3563.53", "1289.58"),
    "广州市人力资源和社会保障局数据服务中心": ("3456.75", "7374.97"),
    "广州市职业能力建设指导中心": ("3145.82", "5564.13"),
    "广州市人事服务中心": ("4842.08", "54117.80"),
    "广州市人力资源和社会保障事务服务中心": ("1749.72", "454.35"),
}


def test_05_unit_basic_vs_project(ask):
    rows = ask("unit-basic-vs-project")
    assert {r[0]: (r[1], r[2]) for r in rows} == BASIC_AND_PROJECT
    assert rows[0][0] == "广州市社会保险基金管理中心"


def test_06_functional_class(ask):
    # 表3, lines 215-285
    assert [r[1:] for r in ask("functional-class")] == [
        ["201", "5.00", "0.00", "5.00"],
        ["205", "240796.67", "159172.16", "81624.51"],
        ["206", "371.23", "0.00", "371.23"],
        ["208", "541432.60", "31210.76", "510221.84"],
        ["210", "26150.97", "6483.55", "19667.43"],
        ["212", "9752.88", "0.00", "9752.88"],
        ["213", "2400.00", "0.00", "2400.00"],
        ["221", "14445.74", "14445.74", "0.00"],
        ["229", "56.80", "0.00", "56.80"],
        ["232", "299.90", "0.00", "299.90"],
    ]


def test_07_functional_section(ask):
    rows = ask("functional-section")
    assert len(rows) == 17
    assert ["人力资源和社会保障管理事务", "20801", "93723.67", "23752.38", "69971.29"] in rows  # line 226


def test_08_functional_item(ask):
    rows = ask("functional-item")
    assert len(rows) == 36  # 63 codes of 表3 less 10 classes and 17 sections
    assert ["事业运行", "2080150", "15040.91", "2620.11", "12420.80"] in rows  # line 239


def test_09_functional_code_by_fund(ask):
    nonzero = [r for r in ask("functional-code-by-fund", code="210") if r[1] != "0.00"]
    assert nonzero == [["一般公共预算", "16154.47"], ["事业收入", "9496.50"], ["其他收入", "500.00"]]  # line 175
    default = [r for r in ask("functional-code-by-fund") if r[1] != "0.00"]  # 208, line 141
    assert default == [["一般公共预算", "540443.92"], ["其他收入", "942.23"], ["事业收入", "46.45"]]


def test_10_economic_basic(ask):
    assert [r[1:] for r in ask("economic-basic")] == [  # 表6, lines 405-457
        ["301", "138656.52"],
        ["302", "23380.15"],
        ["303", "14227.54"],
        ["310", "4274.18"],
    ]


def test_11_economic_project(ask):
    assert [r[1:] for r in ask("economic-project")] == [  # 表7
        ["303", "461623.16"],
        ["302", "56510.70"],
        ["310", "53509.04"],
        ["312", "26901.40"],
        ["301", "5635.30"],
        ["309", "2580.00"],
        ["307", "299.90"],
    ]


def test_12_economic_sections(ask):
    rows = {r[1]: (r[2], r[3]) for r in ask("economic-sections")}
    assert len(rows) == 25  # 24 sections of 302 in 表6, plus 30225 printed only in 表7
    assert rows["30209"] == ("807.80", "7609.48")  # lines 429, 485
    assert rows["30217"] == ("34.14", "")  # 表7 has no 公务接待费
    assert rows["30225"] == ("", "0.50")
    capital = {r[1] for r in ask("economic-sections", **{"class": "310"})}
    assert capital == {"31001", "31002", "31003", "31006", "31007", "31013", "31022", "31099"}


def test_13_three_public_expenses(ask):
    assert ask("three-public-expenses") == [  # 表8, lines 534-540
        ["行政经费（机关运行经费）", "3409.20", "3409.20"],
        ["“三公”经费", "496.66", "496.66"],
        ["因公出国（境）费", "116.72", "116.72"],
        ["公务用车购置及运行维护费", "345.80", "345.80"],
        ["公务用车购置费", "245.00", "245.00"],
        ["公务用车运行维护费", "100.80", "100.80"],
        ["公务接待费", "34.14", "34.14"],
    ]


def test_14_key_projects(ask):
    rows = ask("key-projects")
    assert len(rows) == 59
    assert rows[0][:3] == ["民办中等职业教育免学费补助", OWN_LEVEL, "9594.00"]  # line 996
    assert rows[-1][:3] == ["考试评审业务经费", "广州市人事服务中心", "9635.80"]  # line 1057
    assert rows[0][3].startswith("通过开展中等职业教育免学费专项经费项目")


def test_15_spending_by_theme(ask):
    rows = {r[0]: (r[1], r[2]) for r in ask("spending-by-theme")}
    assert rows["科教城搬迁入驻"] == ("8", "34141.06")  # the eight projects of test_01
    # 免学费: lines 688, 778, 801, 816, 828, 846, 864
    assert rows["免学费"] == ("7", "16530.65")


def test_16_non_exact_identities(ask):
    rows = ask("non-exact-identities")
    assert rows and {r[1] for r in rows} == {"尾差"}
    assert any(r[2] == "row-sum" and r[3] == "-0.01" and r[4] == "260" for r in rows)  # 表3 210, line 260


def test_17_broken_identities_none_in_bundled_document(ask):
    assert ask("broken-identities") == []


def test_18_where_is_figure_printed(ask):
    rows = ask("where-is-figure-printed", amount="1,205.37")
    assert [(r[2], r[3], r[4]) for r in rows] == [
        ("775", "总计", "1,205.37"),
        ("775", "财政拨款/一般公共预算", "1,205.37"),
        ("775", "财政拨款/合计", "1,205.37"),
    ]
    assert all(r[1] == "表12 部门预算项目支出及其他支出预算表" for r in rows)


def test_18_names_the_place_in_the_form_it_was_read_from(rendered, tmp_path):
    from budgetkg.load.graph import build
    from budgetkg.load.store import open_store
    from budgetkg.query.library import run_select

    page = tmp_path / "budget.html"
    page.write_bytes(rendered("html"))
    build([page], store=tmp_path / "store")
    rows = run_select(open_store(tmp_path / "store"), "where-is-figure-printed", params={"amount": "1,205.37"})
    places = [r[5] for r in rows.values() if r[1].startswith("表12")]
    # the three cells of one row of 表12 (总计, 合计, 一般公共预算): one table and row of the page
    assert len(places) == 3 and all(p.startswith("table ") for p in places)
    assert len({p.rsplit(" column ", 1)[0] for p in places}) == 1


def test_18_binds_its_amount_in_its_sub_query_and_runs_as_written(ask):
    from budgetkg.query.library import bind

    q = next(q for q in library() if q.name == "where-is-figure-printed")
    # A sub-query does not see bindings around it: the value goes in the block the query writes.
    assert bind(q.text, q, {"amount": "1,205.37"}).count("VALUES ?amount") == 1
    rows = ask(q.text)  # the file as it is, as any SPARQL tool would run it: its default, 9594.00
    assert [(r[2], r[3], r[4]) for r in rows] == [  # line 688, 表12: 总计, 合计 and 一般公共预算 of 9,594.00
        ("688", "总计", "9,594.00"),
        ("688", "财政拨款/一般公共预算", "9,594.00"),
        ("688", "财政拨款/合计", "9,594.00"),
    ]
    assert ask("where-is-figure-printed", amount="9594") == rows


def test_19_income_by_funding_source(ask):
    rows = {r[0]: r[1] for r in ask("income-by-funding-source")}
    assert rows == {  # 表2 合计, line 130
        "合计": "835711.80",
        "一般公共预算": "787597.90",
        "政府性基金预算": "9809.68",
        "国有资本经营预算": "0.00",
        "教育收费": "24654.38",
        "其他专户收入拨款": "0.00",
        "事业收入": "10760.89",
        "经营收入": "0.00",
        "其他收入": "2888.94",
        "上级补助收入": "0.00",
        "附属单位上缴收入": "0.00",
        "用事业基金弥补收支差额": "0.00",
    }


def test_20_overview(ask):
    rows = ask("overview")
    assert len(rows) == 38  # 8 revenue and 30 expenditure lines, lines 85-118
    revenue = [r for r in rows if r[0] == "收入"]
    assert [r[3] for r in revenue] == [
        "797407.58",
        "24654.38",
        "13649.84",
        "835711.80",
        "0.00",
        "0.00",
        "0.00",
        "835711.80",
    ]


def test_21_unit_basic_by_economic_class(ask):
    assert ask("unit-basic-by-economic-class") == [  # 广州市技师学院, lines 614-617
        ["工资福利支出", "16121.28", "16100.98", "20.30", "0.00"],
        ["商品和服务支出", "5929.63", "3777.89", "1818.70", "333.04"],
        ["对个人和家庭的补助", "1445.59", "1273.91", "160.00", "11.68"],
        ["资本性支出", "2449.83", "1248.83", "1201.00", "0.00"],
    ]
    # The query names the unit in each OPTIONAL too: every block it writes gets the name given.
    assert ask("unit-basic-by-economic-class", name="广州市机电技师学院") == [  # lines 619-622
        ["工资福利支出", "18119.28", "18009.28", "110.00", "0.00"],
        ["商品和服务支出", "5094.27", "2502.27", "2592.00", "0.00"],
        ["对个人和家庭的补助", "1653.62", "1553.62", "100.00", "0.00"],
        ["资本性支出", "1270.00", "420.00", "850.00", "0.00"],
    ]


def test_22_projects_of_unit(ask):
    rows = ask("projects-of-unit")
    assert len(rows) == 14  # 广州市交通技师学院, lines 840-856
    assert rows[0][:2] == ["市交通技师学院入驻科教城购置项目", "5470.45"]
    rows = ask("projects-of-unit", name="广州市劳动人事争议仲裁院")
    assert [r[1] for r in rows] == ["708.51", "155.35", "153.67", "120.00", "97.05", "55.00"]  # lines 889-894


def test_23_it_operations_projects(ask):
    names = {r[0] for r in ask("it-operations-projects")}
    assert "广州市人力资源和社会保障局2023年信息化运维项目" in names  # line 700
    assert "广州市机电技师学院2023年-2024年校园信息化设备运维项目" in names
    assert "市机电技师学院实训设备维修维护工作经费项目" not in names


def test_24_tuition_waivers_and_grants(ask):
    rows = {(r[0], r[1]): (r[2], r[3]) for r in ask("tuition-waivers-and-grants")}
    assert rows[(OWN_LEVEL, "免学费")] == ("9594.00", "1")  # line 688
    assert rows[(OWN_LEVEL, "助学金")] == ("232.40", "1")  # line 694
    assert rows[("广州市技师学院", "助学金")] == ("100.80", "1")
    assert rows[("广州市人力资源市场服务中心", "助学金")] == ("25.92", "1")  # 脱贫生入读补助, line 708


def test_25_government_fund_projects(ask):
    assert ask("government-fund-projects") == [
        ["城乡居民社会养老保险政府资助项目（被征地农民）", "广州市社会保险基金管理中心", "9752.88"],  # line 729
        ["轻工学院“校企协”养老服务人才培训行动计划（第七期）", "广州市轻工技师学院", "56.80"],
    ]  # line 829


def test_26_other_funds_projects(ask):
    rows = ask("other-funds-projects")
    by_unit: dict[str, D] = {}
    for r in rows:
        by_unit[r[1]] = by_unit.get(r[1], D(0)) + D(r[2])
    assert len(rows) == 19
    assert by_unit == {
        "广州市干部和人才健康管理中心": D("6603.18"),
        "广州市人事服务中心": D("927.23"),
    }  # lines 745, 938
    assert rows[0][:3] == ["广州市干部健康管理中心专项工作经费", "广州市干部和人才健康管理中心", "2100.00"]


def test_27_name_differences(ask):
    rows = ask("name-differences")
    assert [r[0] for r in rows] == [
        "广州市人力资源和社会保障数据服务中心",
        "广州市人力资源和社会保障数据服务中心",
        "市场中心就业补助资金",
        "社会保障风险储备金财政补贴项目",
        "市机电技师学院安保和物业管理服务经费",
        "市交通技师教学新能源汽车专业群实训室建设",
        "广州市人力资源和社会保障数据服务中心2021年就业创业专项内容信息化升级改造项目",
    ]
    assert [r[3] for r in rows] == ["649", "895", "998", "1000", "1021", "1035", "1051"]


def test_28_narrative_checks(ask):
    rows = {(r[0], r[3]): r[2] for r in ask("narrative-checks")}
    assert rows[("收入预算", "cross-table")] == "相符"  # 835,711.8 = 表1 收入总计
    assert rows[("政府采购", "narrative")] == "尾差"  # 118,949.01 vs 118,949.00
    assert rows[("收入预算增长率", "growth-rate")] == "相符"


def test_29_shared_project_names(ask):
    rows = ask("shared-project-names")
    assert [(r[0], r[1]) for r in rows] == [("机构运行辅助经费", "9"), ("工作经费", "3"), ("购置经费", "3")]


def test_run_query_answers_every_form_and_run_select_only_select(store):
    from budgetkg.query.library import QueryError, Result, run_query, run_select

    project = (
        'ASK { ?p <http://www.w3.org/2000/01/rdf-schema#label> "广州市技师学院入驻科教城搬迁开办项目"@zh }'  # line 791
    )
    assert run_query(store, project) is True
    assert run_query(store, project.replace("搬迁开办", "搬迁到月球")) is False
    unit = "<https://w3id.org/budgetkg/ontology#BudgetUnit>"
    described = run_query(store, f"DESCRIBE {unit}")
    assert isinstance(described, list) and described == sorted(described, key=str)
    assert f'{unit} <http://www.w3.org/2000/01/rdf-schema#label> "预算单位"@zh' in map(str, described)
    assert isinstance(run_query(store, "largest-projects"), Result)
    with pytest.raises(QueryError, match="run this ASK query with run_query"):
        run_select(store, project)


def test_a_unit_is_found_by_any_name_a_document_printed(ask):
    """表11 and 表12 print the data centre as 广州市人力资源和社会保障数据服务中心 (line 895), 部门预算构成
    as 广州市人力资源和社会保障局数据服务中心: either finds its projects, the 20 rows of 表12 under
    line 895 (lines 899–910 and 914–921)."""
    by_table_name = ask("projects-of-unit", name="广州市人力资源和社会保障数据服务中心")
    by_listed_name = ask("projects-of-unit", name="广州市人力资源和社会保障局数据服务中心")
    assert len(by_table_name) == 20 and by_table_name == by_listed_name


def test_an_unknown_unit_name_is_an_error_naming_the_closest(ask):
    from budgetkg.query.library import QueryError

    with pytest.raises(QueryError) as caught:
        ask("projects-of-unit", name="广州市交通技师学校")  # 学校 for 学院
    assert "no unit is named '广州市交通技师学校'" in str(caught.value)
    assert "广州市交通技师学院" in str(caught.value)


def test_no_two_organisations_share_a_name(ask):
    """The department (whose rows are the totals) and its own level, 局本级, are both printed as
    广州市人力资源和社会保障局: their names differ in the graph, so no two rows read alike."""
    shared = ask(
        "PREFIX bkg: <https://w3id.org/budgetkg/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "SELECT ?name WHERE { ?o skos:prefLabel ?name ; a ?kind VALUES ?kind { bkg:Department bkg:BudgetUnit } } "
        "GROUP BY ?name HAVING (COUNT(DISTINCT ?o) > 1)"
    )
    assert shared == []
    assert ask("projects-of-unit", name="广州市人力资源和社会保障局")  # the printed name still finds 本级


def test_counting_projects_counts_only_projects(ask):
    """表12 prints 214 projects (the README's figure, and `stats`'s); its unit and department
    total rows have a project dimension too, 全部项目（合计）, which is no project."""
    prefix = "PREFIX bkg: <https://w3id.org/budgetkg/ontology#> "
    assert ask(prefix + "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a bkg:Project }") == [["214"]]
    totals = ask(prefix + "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o bkg:project/a bkg:ProjectTotal }")
    assert int(totals[0][0]) > 0  # the total rows still have their project dimension
