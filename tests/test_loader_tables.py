"""The twelve tables of 第二部分, with expected values read off the bundled document.

Each expected value is followed by the line of guangzhou-hrss-2024-budget.txt it was read from.
"""

from decimal import Decimal as D

import pytest
from budgetkg.errors import DocumentError


def cell(doc, table, row_key, column):
    row = doc.tables[table].row(row_key)
    assert row is not None, (table, row_key)
    return row.cells[column]


def test_all_twelve_tables_found_by_title(doc):
    titles = {n: t.title for n, t in doc.tables.items()}
    assert sorted(titles) == list(range(1, 13))
    assert titles[8] == "财政拨款安排的行政经费及“三公”经费预算表"  # line 527
    assert doc.tables[12].line == 674


@pytest.mark.parametrize(
    "table, row_key, column, printed, line",
    [
        (1, "income:appropriation", "income", "797,407.58", 85),
        (1, "expenditure:205", "expenditure", "240,796.67", 89),
        (1, "income:grand-total", "income", "835,711.80", 117),
        (1, "expenditure:carry-forward", "expenditure", "0.00", 116),
        (2, "total", "gpb", "787,597.90", 130),
        (2, "2080505", "service", "34.30", 161),
        (2, "2210203", "service", "1,217.94", 193),
        (3, "2080199", "basic", "1,057.76", 241),
        (3, "210", "project", "19,667.43", 260),
        (4, "income:government-fund-budget", "income", "9,809.68", 296),
        (4, "expenditure:year-total", "expenditure", "797,407.58", 322),
        (5, "2080150", "project", "11,493.57", 359),
        (6, "30226", "amount", "4,202.99", 439),
        (7, "30226", "amount", "4,212.76", 495),
        (7, "31013", "amount", "245.00", 517),
        (8, "three-public", "total", "496.66", 535),
        (8, "vehicle-operation", "gpb", "100.80", 539),
        (9, "2296002", "project", "56.80", 558),
        (10, "total", "total", "0.00", 570),
        (11, "unit:广州市干部和人才健康管理中心", "other", "4,657.71", 601),
        (11, "unit:广州市交通技师学院/310", "special", "2,115.00", 632),
        (12, "project:广州市工贸技师学院/广州市工贸技师学院入驻科教城购置项目", "total", "6,924.61", 776),
        (12, "project:广州市干部和人才健康管理中心/机构运行辅助经费", "other", "700.00", 747),
    ],
)
def test_sample_cells(doc, table, row_key, column, printed, line):
    c = cell(doc, table, row_key, column)
    assert c.amount.text == printed
    assert c.amount.value == D(printed.replace(",", ""))
    assert c.source.line == line
    assert c.source.table == table


def test_amounts_are_decimals_as_printed(doc):
    c = cell(doc, 1, "expenditure:201", "expenditure")  # line 84: 一、一般公共服务支出 5.00
    assert c.amount.text == "5.00" and c.amount.lexical == "5.00"
    assert isinstance(c.amount.value, D)


def test_column_header_paths(doc):
    assert cell(doc, 2, "total", "edu-fees").source.column == ("财政专户拨款收入", "教育收费")
    assert cell(doc, 11, "total", "gpb").source.column == ("财政拨款", "一般公共预算")
    assert cell(doc, 3, "total", "business").source.column == ("事业单位经营支出",)


def test_row_counts(doc):
    rows = {n: [r for r in t.rows] for n, t in doc.tables.items()}
    # 表2 and 表3: 63 functional codes (lines 132-202 and 215-285) plus 合计
    assert sum(r.kind == "code" for r in rows[2]) == 63
    assert sum(r.kind == "code" for r in rows[3]) == 63
    # 表6: 4 classes and 44 sections (lines 404-457)
    assert sum(r.kind == "code" for r in rows[6]) == 47
    assert [r.code for r in rows[6] if r.kind == "code" and len(r.code) == 3] == ["301", "302", "303", "310"]
    # 表8: 7 rows, lines 533-539
    assert [r.key for r in rows[8]] == [
        "admin-costs",
        "three-public",
        "overseas-travel",
        "vehicles",
        "vehicle-purchase",
        "vehicle-operation",
        "reception",
    ]


def test_code_quirks(doc):
    row = doc.tables[7].row("30226")  # line 495: "[30226] 劳务费" with a space
    assert row.label == "劳务费"
    row = doc.tables[3].row("2080199")  # line 241: name broken by a stray space
    assert row.label == "其他人力资源和社会保障管理事务支出"


def test_missing_trailing_cell_recorded_as_missing(doc):
    row = doc.tables[2].row("2320303")  # line 202 ends with an empty last cell
    assert row.cells["reserve"].amount is None
    assert row.cells["affiliated"].amount.text == "0.00"
    assert any(":202:" in q for q in doc.quirks)


def test_declared_empty_table(doc):
    t10 = doc.tables[10]  # lines 562-572: 注：本表本年无发生额。
    assert t10.declared_empty
    assert [r.key for r in t10.rows] == ["total"]
    assert not doc.tables[9].declared_empty


def test_a_table_emptied_by_a_statement_without_note_prefix(seed_lines, read_lines):
    # Many departments print an empty table as its header and one sentence, without 注：.
    lines = list(seed_lines)
    assert lines[569].startswith("\t合计\t0.00") and lines[571] == "注：本表本年无发生额。"  # lines 570, 572
    del lines[569]  # 表10 without its 合计 row
    lines[570] = "本部门2024年无国有资本经营预算收支，故此表为空。"
    t10 = read_lines(lines).tables[10]
    assert t10.declared_empty and t10.rows == [] and t10.notes == [lines[570]]
    lines[570] = "说明：本部门没有国有资本经营预算。"
    t10 = read_lines(lines).tables[10]
    assert not t10.declared_empty and t10.notes == [lines[570]]


def test_the_lines_above_a_header_as_other_departments_print_them(seed_lines, read_lines, doc):
    assert seed_lines[76:80] == ["### 收支总体情况表", "", "单位名称：广州市人力资源和社会保障局", ""]  # lines 77-80
    assert seed_lines[80] == "单位：万元"  # line 81

    def figures(document):
        return [(r.key, {k: c.amount.text for k, c in r.cells.items() if c.amount}) for r in document.tables[1].rows]

    other = list(seed_lines)
    other[80] = "金额单位：万元"
    assert figures(read_lines(other)) == figures(doc)
    one_line = seed_lines[:78] + ["编制单位：广州市人力资源和社会保障局\t\t\t金额单位：万元"] + seed_lines[81:]
    assert figures(read_lines(one_line)) == figures(doc) != []
    one_line[78] = "编制单位：广州市人力资源和社会保障局\t\t\t金额单位：元"
    with pytest.raises(DocumentError) as error:
        read_lines(one_line)
    assert (error.value.code, error.value.lineno, error.value.found) == ("bad-header", 79, "金额单位：元")


def test_titles_after_the_department_and_year(seed_lines, read_lines, doc):
    # Many departments print their name and the year before each table's title.
    lines = list(seed_lines)
    for n, title in (
        (77, "### 收支总体情况表"),
        (122, "## 收入总体情况表"),
        (328, "## 一般公共预算支出情况表（按功能分类科目）"),
        (574, "## 部门预算基本支出预算表"),
    ):
        assert lines[n - 1] == title
    lines[76] = "### 广州市人力资源和社会保障局2024年收支总体情况表"
    assert lines[74] == "表1"  # line 75
    lines[74] = "附表1"
    lines[121] = "## 表2：2024年度部门收入总体情况表"
    lines[327] = "## 一般公共预算支出情况表"  # without its classification
    lines[573] = "## 2024年部门预算基本支出预算表"
    other = read_lines(lines)
    for number in (1, 2, 5, 11):
        assert [(r.key, r.line) for r in other.tables[number].rows] == [
            (r.key, r.line) for r in doc.tables[number].rows
        ]


def test_units_per_table(doc):
    # 表11 unit rows, lines 583-666; 表12 unit rows, lines 683-961: 17 each, same units
    units11 = [r.unit for r in doc.tables[11].rows if r.kind == "unit"]
    units12 = [r.unit for r in doc.tables[12].rows if r.kind == "unit"]
    assert len(units11) == 17 and len(units12) == 17
    assert set(units11) == set(units12)
    assert sum(r.kind == "category" for r in doc.tables[11].rows) == 62


def test_unit_subtotals_table11(doc):
    t = doc.tables[11]
    assert t.row("unit:广州市技师学院").cells["total"].amount.text == "25,946.33"  # line 613
    assert t.row("unit:广州市技师学院/302").cells["special"].amount.text == "1,818.70"  # line 615


EXPECTED_PROJECTS = {  # counted in 表12, lines 683-964
    "广州市人力资源和社会保障局": 17,
    "广州市人力资源市场服务中心": 11,
    "广州市社会保险基金管理中心": 12,
    "广州市劳动就业服务管理中心": 9,
    "广州市干部和人才健康管理中心": 17,
    "广州市工贸技师学院": 13,
    "广州市技师学院": 16,
    "广州市机电技师学院": 13,
    "广州市轻工技师学院": 12,
    "广州市交通技师学院": 14,
    "广州市公用事业技师学院": 15,
    "广州市职业技术教育研究院（世界技能大赛中国（广州）研究中心）": 8,
    "广州市劳动人事争议仲裁院": 6,
    "广州市人力资源和社会保障局数据服务中心": 20,
    "广州市职业能力建设指导中心": 12,
    "广州市人事服务中心": 16,
    "广州市人力资源和社会保障事务服务中心": 3,
}


def test_projects_per_unit(doc):
    counts = {}
    for p in doc.projects:
        counts[p.unit] = counts.get(p.unit, 0) + 1
    assert counts == EXPECTED_PROJECTS
    assert len(doc.projects) == 214


def test_projects_identified_by_unit_and_name(doc):
    # 机构运行辅助经费 is a project of nine units (lines 711, 725, 740, 747, 891, 905, 924, 952, 962)
    units = sorted(p.unit for p in doc.projects if p.name == "机构运行辅助经费")
    assert len(units) == 9 and len(set(units)) == 9
    keys = [(p.unit, p.name) for p in doc.projects]
    assert len(keys) == len(set(keys))


def test_project_goal_and_truncated_name(doc):
    p = next(p for p in doc.projects if p.name.startswith("广州市机电技师学院2024年智慧校园管理系统升级改造"))
    assert p.truncated_name  # line 822 ends in "…改造项"
    assert p.row.goal.startswith("广州市机电技师学院智慧校园管理系统升级改造项目将对本校教务系统")
    assert p.row.line == 822


@pytest.mark.parametrize(
    "lineno, printed, new, column",
    [
        # 表5 [2080150] 事业运行: 一般公共预算支出 14,113.68 = 基本支出 2,620.11 + 项目支出 11,493.57 (line 359)
        (359, "2,620.11", "", ("一般公共预算支出", "其中：基本支出")),
        (359, "2,620.11", "-", ("一般公共预算支出", "其中：基本支出")),
        # 表1 十九、住房保障支出 14,445.74 (line 103), a row of the two-sided table
        (103, "14,445.74", "—", ("支出", "预算")),
    ],
)
def test_an_empty_cell_or_a_dash_where_an_amount_belongs_is_recorded_as_missing(
    report, seed_lines, read_lines, lineno, printed, new, column
):
    from budgetkg.check.accounts import check_document

    lines = list(seed_lines)
    assert lines[lineno - 1].count(printed) == 1
    lines[lineno - 1] = lines[lineno - 1].replace(printed, new)
    doc = read_lines(lines)
    [missing] = [
        c
        for t in doc.tables.values()
        for r in t.rows
        for c in r.cells.values()
        if c.source.line == lineno and c.source.column == column
    ]
    assert missing.amount is None and missing.printed == new
    what = f'printed as "{new}"' if new else "empty"
    assert any(f":{lineno}: " in q and f"{'/'.join(column)} is {what}; recorded as missing" in q for q in doc.quirks)
    # The figure is not taken as zero silently: the identities it was part of no longer add up.
    before = {i.id for i in report.identities if i.involves(lineno, column)}
    broken = {i.id for i in check_document(doc).broken}
    assert broken and broken <= before


def test_a_dash_cell_keeps_what_was_printed_in_the_graph(seed_lines):
    from budgetkg.load.documents import document_graph

    lines = list(seed_lines)
    lines[356 - 1] = lines[356 - 1].replace("\t0.00\t", "\t-\t")  # 表5 [2080114] 基本支出 0.00
    _, quads = document_graph("\n".join(lines).encode("utf-8"))
    bkg = "https://w3id.org/budgetkg/ontology#"
    missing = {q.subject for q in quads if q.predicate.value == f"{bkg}sourceLine" and q.object.value == "356"} & {
        q.subject for q in quads if q.object.value == f"{bkg}MissingCell"
    }
    assert len(missing) == 1
    printed = [q.object.value for q in quads if q.subject in missing and q.predicate.value == f"{bkg}printedAmount"]
    assert printed == ["-"]
