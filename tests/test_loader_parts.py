"""第一部分, 第三部分 and 第四部分, with expected values read off the bundled document."""

from decimal import Decimal as D


def test_title(doc):
    assert doc.year == 2024  # line 3
    assert doc.department == "广州市人力资源和社会保障局"  # line 4


def test_duties(doc):
    # lines 37-63: an introduction and thirteen numbered duties
    assert len(doc.duties) == 14
    assert doc.duties[1].startswith("（一）组织实施国家和省、市人力资源和社会保障事业发展的法律")
    assert doc.duties[-1].startswith("（十三）职能转变")


def test_divisions(doc):
    # line 67: 共设21个职能处（室）, listed one by one
    assert doc.divisions_declared == 21
    names = [d.name for d in doc.divisions]
    assert len(names) == 21
    assert names[0] == "办公室（保密工作办公室）"
    assert names[9] == "专业技术人员管理处（市博士后管理办公室）"
    assert names[-1] == "人事处（离退休干部工作处）"


def test_units_and_kinds(doc):
    # line 71: sixteen sub-units, plus the department itself
    assert len(doc.units) == 17
    kinds = {u.name: u.kind for u in doc.units}
    assert kinds["广州市人力资源和社会保障局"] == "bureau"
    assert kinds["广州市劳动人事争议仲裁院"] == "arbitration-court"
    assert kinds["广州市交通技师学院"] == "college"
    assert kinds["广州市职业技术教育研究院（世界技能大赛中国（广州）研究中心）"] == "institute"
    assert sum(k == "college" for k in kinds.values()) == 6


def test_unit_name_difference_reported(doc):
    # line 71 says 广州市人力资源和社会保障局数据服务中心; 表11 line 649 and 表12 line 895 drop the 局
    diffs = [(n.printed, n.resolved_to, n.printed_at.line) for n in doc.name_differences if n.what == "unit"]
    assert diffs == [
        ("广州市人力资源和社会保障数据服务中心", "广州市人力资源和社会保障局数据服务中心", 649),
        ("广州市人力资源和社会保障数据服务中心", "广州市人力资源和社会保障局数据服务中心", 895),
    ]


def test_narrative_figures(doc):
    figures = {f.key: f for f in doc.narrative}
    # line 972
    assert figures["revenue"].amount.value == D("835711.8")
    assert figures["revenue-change"].amount.value == D("143140.73")
    assert figures["revenue-growth-rate"].amount.value == D("20.67")
    # line 976
    assert figures["three-public"].amount.text == "496.66"
    assert figures["vehicles"].amount.value == D("345.8")
    assert figures["vehicle-purchase-change"].amount.value == D("48.8")
    assert figures["reception-growth-rate"].amount.value == D("1.85")
    # line 980
    assert figures["admin-costs"].amount.value == D("3409.2")
    # line 984
    assert [
        figures[k].amount.value
        for k in ("procurement", "procurement-goods", "procurement-works", "procurement-services")
    ] == [D("118949.01"), D("68220.45"), D("7686.77"), D("43041.78")]
    # line 988
    assert figures["fixed-assets"].amount.value == D("377686.36")
    assert figures["floor-area"].amount.value == D("561855.6") and figures["floor-area"].unit == "平方米"
    assert figures["vehicle-count"].amount.value == 106
    assert figures["large-equipment"].amount.value == 103
    assert figures["planned-purchases"].amount.value == D("58431.06")
    assert figures["admin-costs"].source.line == 980


def test_key_projects_linked(doc):
    # lines 996-1057: 59 key projects (header repeated on three page breaks)
    assert len(doc.key_projects) == 59
    assert all(k.project is not None for k in doc.key_projects)
    k = next(k for k in doc.key_projects if k.name == "广州市公用事业技师学院入驻科教城购置项目")  # line 1040
    assert (k.project.unit, k.project.row.line) == ("广州市公用事业技师学院", 869)
    assert k.amount.text == "12,944.22"


def test_key_project_name_differences(doc):
    diffs = {(n.printed, n.resolved_to.split(" / ")[1]) for n in doc.name_differences if n.what == "key-project"}
    assert diffs == {
        ("市场中心就业补助资金", "市场中心市就业补助资金"),  # lines 998 / 707
        ("社会保障风险储备金财政补贴项目", "社会保障风险准备金财政补贴项目"),  # lines 1000 / 723
        ("市机电技师学院安保和物业管理服务经费", "市机电技师学院安保和物业管理服务费"),  # lines 1021 / 807
        ("市交通技师教学新能源汽车专业群实训室建设", "市交通技师学院新能源汽车专业群实训室建设"),  # lines 1035 / 853
        (
            "广州市人力资源和社会保障数据服务中心2021年就业创业专项内容信息化升级改造项目",
            "广州市人力资源和社会保障数据服务中心2021年就业创业专项内容信息化升级改造项",
        ),  # lines 1051 / 907
    }


def test_key_project_html_fragment_cleaned(doc):
    k = next(k for k in doc.key_projects if k.name == "广州市从化高级技工学校项目")  # line 997: 134216m <sup>2</sup>
    assert "<sup>" not in k.goal and "134216m²" in k.goal


def test_glossary(doc):
    terms = [g.term for g in doc.glossary]
    # lines 1065-1085
    assert terms[:3] == ["财政拨款收入", "事业收入", "经营收入"]
    assert "行政经费（机关运行经费）" in terms
    entry = next(g for g in doc.glossary if g.term == "行政经费（机关运行经费）")
    # the definition continues after a page break (line 1083)
    assert "维修（护）费" in entry.definition and entry.definition.endswith("经济科目对应的预算资金。")


def test_every_line_accounted_for(doc, seed_lines):
    nonblank = [i for i, text in enumerate(seed_lines, 1) if text.strip()]
    assert sorted(doc.line_kinds) == nonblank
    kinds = doc.line_kinds
    assert kinds[75] == "table-label" and kinds[77] == "title"  # 表1 / ### 收支总体情况表
    assert kinds[572] == "note"  # 注：本表本年无发生额。
    assert kinds[16] == "toc"
