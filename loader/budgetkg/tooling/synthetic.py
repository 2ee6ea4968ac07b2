"""Synthetic department budgets in the template of the bundled document.

``generate(seed)`` makes up a department — its sub-units, projects with 绩效目标 texts,
functional and economic codes drawn from the code lists, funding-source mixes — and
prints it as a disclosure: all twelve tables with page breaks and repeated headers, the
narrative part and the glossary, in one of the house styles departments print the
template in (``_HouseStyle``).  Amounts are made up to the yuan (four decimals of 万元)
and every printed figure is rounded to 0.01 on its own, so the document's identities hold
with the rounding differences (尾差) real documents have.  The same seed gives the same
document, byte for byte.  Used by the tests and the benchmarks (``budgetkg generate``).

A generated document never passes for a real one: its department, cities and units have
plainly fictional names (示例市…, ``data/synthetic-names.toml``), and its title is marked
（模拟数据）, which the reader records (``Document.synthetic``) and the graph states
(``bkg:synthetic true``).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ..records import SYNTHETIC_MARK
from ..resources import read_toml
from ..template.codes import code_list
from ..template.spec import template

__all__ = ["Synthetic", "generate"]

CENT = Decimal("0.01")
ZERO = Decimal(0)
NUMERALS = "一二三四五六七八九十"
# Plainly fictional cities, departments and sub-units (data/synthetic-names.toml): a generated
# budget must never pass for a real department's.
NAMES = read_toml("synthetic-names.toml")
CITIES: list[str] = NAMES["cities"]
DEPARTMENTS: list[tuple[str, str]] = [(name, short) for name, short in NAMES["departments"]]
CENTRES: list[str] = NAMES["centres"]
COLLEGES: list[str] = NAMES["colleges"]
TOPICS = [
    "业务工作保障经费",
    "信息化运维项目",
    "物业管理费",
    "购置经费",
    "房屋维护维修经费",
    "专项工作经费",
    "机构运行辅助经费",
    "免学费财政补助项目",
    "国家助学金财政补贴项目",
    "实训基地建设项目",
    "网络安全升级项目",
    "人才培养项目",
    "业务用房租赁经费",
    "档案数字化项目",
    "宣传推广经费",
    "培训业务经费",
]
GOALS = [
    "通过开展本项目，保障单位各项业务正常开展，提高公共服务质量和水平。",
    "通过项目实施，改善办公和教学条件，满足师生和办事群众的需求，满意度达到90%以上。",
    "确保信息系统稳定运行，故障处理及时率100%，提升信息安全防护能力。",
    "落实国家、省、市有关政策，按时足额发放补助资金，促进教育公平。",
    "通过购置设备，提升业务能力和工作效率，设备验收合格率100%。",
]
# How departments print what the template leaves open; each generated department takes one
# of each (the first are the bundled document's): words before every table's title, the
# word for the amount unit, and the note of an empty table.
TITLE_PREFIXES = ["", "{department}{year}年", "{year}年度"]
UNIT_LABELS = ["单位", "金额单位"]
EMPTY_NOTES = ["注：本表本年无发生额。", "本部门{year}年无{fund}收支，故此表为空。"]
BASIC_ITEM = {"bureau": "2080101", "centre": "2080150", "college": "2050303", "commission": "2080101"}
PROJECT_ITEMS = ["2080102", "2080104", "2080108", "2080199", "2050303", "2050399", "2080701", "2080712"]
BASIC_SECTIONS = {
    "301": ["30101", "30102", "30103", "30107", "30108", "30113"],
    "302": ["30201", "30205", "30206", "30209", "30211", "30212", "30217", "30231"],
    "303": ["30302", "30305"],
    "310": ["31002", "31007"],
}
PROJECT_SECTIONS = ["30201", "30209", "30213", "30218", "30226", "30227", "30308", "31002", "31003", "31007", "31013"]


def _r(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _fmt(value: Decimal) -> str:
    return f"{_r(value):,.2f}"


def _ordinal(n: int) -> str:
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (NUMERALS[tens - 1] if tens > 1 else "") + "十" + (NUMERALS[ones - 1] if ones else "")


@dataclass
class _Project:
    unit: str
    name: str
    item: str
    section: str
    funds: dict[str, Decimal]
    goal: str

    @property
    def total(self) -> Decimal:
        return sum(self.funds.values(), ZERO)


@dataclass
class Synthetic:
    """A generated document and what it should read as."""

    seed: int
    year: int
    department: str
    text: str
    units: list[str]
    projects: list[tuple[str, str]]
    figures: list[tuple[int, int, str]] = field(default_factory=list)  # (table, line, printed amount)


@dataclass(frozen=True)
class _HouseStyle:
    title_prefix: str
    one_meta_line: bool  # 编制单位：…<tab>单位：万元 on one line, not two
    unit_label: str
    empty_note: str  # with {fund}

    @staticmethod
    def of(seed: int, department: str, year: int) -> _HouseStyle:
        # Its own random stream, so that the document's figures are those of the same seed without it.
        rng = random.Random(f"house-style-{seed}")
        return _HouseStyle(
            rng.choice(TITLE_PREFIXES).format(department=department, year=year),
            rng.random() < 0.5,
            rng.choice(UNIT_LABELS),
            rng.choice(EMPTY_NOTES).replace("{year}", str(year)),
        )


class _Writer:
    def __init__(self, rng: random.Random, style: _HouseStyle) -> None:
        self.lines: list[str] = []
        self.rng = rng
        self.style = style
        self.figures: list[tuple[int, int, str]] = []
        self.table = 0

    def title(self, level: str, title: str, department: str) -> None:
        """A table's title and the lines above its header."""
        self.add(f"{level} {self.style.title_prefix}{title}", "")
        if self.style.one_meta_line:
            self.add(f"编制单位：{department}\t\t\t{self.style.unit_label}：万元", "")
        else:
            self.add(f"单位名称：{department}", "", f"{self.style.unit_label}：万元", "")

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def row(self, cells: list[str], amounts_from: int) -> None:
        self.lines.append("\t".join(cells))
        for c in cells[amounts_from:]:
            if c and c[0].isdigit():
                self.figures.append((self.table, len(self.lines), c))

    def table_start(self, number: int, title: str, department: str, header: list[str]) -> None:
        self.table = number
        self.title("##", title, department)
        self.add(*header)
        self.header = header
        self.since_break = 0
        self.page = self.rng.randint(12, 30)

    def table_row(self, cells: list[str], amounts_from: int) -> None:
        if self.since_break == self.page:
            self.add("", *self.header)
            self.since_break = 0
            self.page = self.rng.randint(12, 30)
        self.row(cells, amounts_from)
        self.since_break += 1

    def table_end(self, note: str = "注：金额转化为万元时，四舍五入可能存在尾差。") -> None:
        self.add("", note, "")


def generate(seed: int, *, year: int = 2024) -> Synthetic:
    """A synthetic disclosure, the same for the same seed.

    >>> a, b = generate(7), generate(7)
    >>> a.text == b.text and a.department == b.department
    True
    """
    rng = random.Random(seed)
    # Every seed gets its own department (city × department, then numbered districts), so that
    # any number of generated documents can live side by side in one store.
    city, (dept_name, short) = CITIES[seed % len(CITIES)], DEPARTMENTS[(seed // len(CITIES)) % len(DEPARTMENTS)]
    district = seed // (len(CITIES) * len(DEPARTMENTS))
    department = f"{city}市{dept_name}" if district == 0 else f"{city}市第{district}区{dept_name}"
    functional = code_list("functional", year).labels
    economic = code_list("economic", year).labels
    tpl = template()

    units: list[tuple[str, str]] = [(department, "bureau")]
    for name in rng.sample(CENTRES, rng.randint(2, 5)):
        units.append((f"{city}市{short}{name}", "centre"))
    for name in rng.sample(COLLEGES, rng.randint(0, 3)):
        units.append((f"{city}市{name}", "college"))

    def amount(low: int, high: int) -> Decimal:
        return Decimal(rng.randint(low * 10000, high * 10000)) / 10000

    basic: dict[str, dict[str, dict[str, Decimal]]] = {}
    for unit, kind in units:
        per: dict[str, dict[str, Decimal]] = {}
        for sections in BASIC_SECTIONS.values():
            for section in rng.sample(sections, rng.randint(1, len(sections))):
                funds = {"general-public-budget": amount(5, 3000)}
                if kind == "college" and rng.random() < 0.5:
                    funds["special-account"] = amount(1, 500)
                if kind != "bureau" and rng.random() < 0.2:
                    funds["other-funds"] = amount(1, 200)
                per[section] = funds
        basic[unit] = per

    projects: list[_Project] = []
    for unit, kind in units:
        names: set[str] = set()
        for _ in range(rng.randint(3, 12)):
            topic = rng.choice(TOPICS)
            name = f"{unit.removeprefix(city + '市')}{year}年{topic}" if rng.random() < 0.5 else topic
            if name in names:
                continue
            names.add(name)
            funds = {"general-public-budget": amount(1, 5000)}
            if rng.random() < 0.1:
                funds = {"government-fund-budget": amount(10, 2000)}
            elif rng.random() < 0.15:
                funds["other-funds"] = amount(1, 300)
            item = BASIC_ITEM["college"] if kind == "college" and rng.random() < 0.6 else rng.choice(PROJECT_ITEMS)
            if "government-fund-budget" in funds:
                item = "2120805"
            projects.append(_Project(unit, name, item, rng.choice(PROJECT_SECTIONS), funds, rng.choice(GOALS)))

    w = _Writer(rng, _HouseStyle.of(seed, department, year))
    _title_and_parts_one_to_two(w, rng, year, department, units)
    _tables(w, year, department, units, basic, projects, functional, economic, tpl)
    _narrative(w, rng, year, department, basic, projects)
    _glossary(w)
    text = "\n".join(w.lines) + "\n"
    return Synthetic(
        seed, year, department, text, [u for u, _ in units], [(p.unit, p.name) for p in projects], w.figures
    )


def _title_and_parts_one_to_two(
    w: _Writer, rng: random.Random, year: int, department: str, units: list[tuple[str, str]]
) -> None:
    tables = [s.title for s in template().tables]
    w.add(
        "",
        "",
        f"{year}年  ",
        # The mark after 部门预算, where the reader looks for it: the department's name stays clean.
        f"{department}部门预算（{SYNTHETIC_MARK}）",
        "",
        "# 目 录",
        "",
        f"## **第一部分 {department}概况**",
        "",
        "- 一、主要职责",
        "- 二、部门机构设置",
        "- 三、部门预算构成",
        "",
        f"## **第二部分 {year}年部门预算表**",
        "",
        *[f"- {_ordinal(i)}、{t}" for i, t in enumerate(tables, 1)],
        "",
        f"## **第三部分 {year}年部门预算情况说明**",
        "",
        "## **第四部分 名词解释**",
        "",
        f"# 第一部分 {department}概况",
        "",
        "## 一、主要职责",
        "",
        "贯彻落实中央和省、市关于本领域工作的方针政策和决策部署，在履行职责过程中坚持和加强党的集中统一领导：",
        "",
    )
    for i in range(1, rng.randint(4, 9)):
        w.add(f"（{_ordinal(i)}）负责本部门职责范围内的第{_ordinal(i)}项工作，组织实施相关政策并监督检查。", "")
    divisions = rng.sample(
        ["办公室", "政策法规处", "财务处", "规划处", "信息处", "人事处", "监督处", "服务处", "审批处"],
        rng.randint(4, 9),
    )
    w.add(
        "## 二、部门机构设置",
        "",
        f"{department}共设{len(divisions)}个职能处（室），包括{'、'.join(divisions)}，并按要求设置机关党委。",
        "",
        "### 三、部门预算构成",
        "",
        "本部门预算为汇总预算，包括：局本级预算，以及纳入编制范围的下属单位预算。下属单位具体包括："
        + "、".join(u for u, _ in units[1:])
        + "。",
        "",
        f"## 第二部分 {year}年部门预算表",
        "",
        "表1",
        "",
    )


def _tables(w, year, department, units, basic, projects, functional, economic, tpl) -> None:
    gpb, gfb = "general-public-budget", "government-fund-budget"
    # Functional codes: (code, fund, type) → amount, with every ancestor.
    func: dict[str, dict[tuple[str, str], Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    kind_of = dict(units)

    def add_func(item: str, fund: str, etype: str, value: Decimal) -> None:
        for code in (item[:3], item[:5], item):
            func[code][(fund, etype)] += value

    for unit, per in basic.items():
        item = BASIC_ITEM.get(kind_of[unit], "2080150")
        for funds in per.values():
            for fund, value in funds.items():
                add_func(item, fund, "basic", value)
    for p in projects:
        for fund, value in p.funds.items():
            add_func(p.item, fund, "project", value)

    def fsum(code: str, funds: tuple[str, ...] | None = None, etype: str | None = None) -> Decimal:
        return sum(
            (v for (f, t), v in func[code].items() if (funds is None or f in funds) and (etype is None or t == etype)),
            ZERO,
        )

    codes = sorted(func)
    income_cols = [
        gpb,
        gfb,
        "state-capital-budget",
        "edu-fees",
        "other-special-account",
        "service-income",
        "operating-income",
        "other-income",
        "superior-subsidy",
        "affiliated-remittance",
        "reserve-fund",
    ]

    def income_split(code: str) -> dict[str, Decimal]:
        # 财政专户 money of colleges is education fees; other funds are service income.
        return {
            gpb: fsum(code, (gpb,)),
            gfb: fsum(code, (gfb,)),
            "edu-fees": fsum(code, ("special-account",)),
            "service-income": fsum(code, ("other-funds",)),
        }

    every = tuple(code for code in codes)
    total_all = sum((fsum(c) for c in codes if len(c) == 3), ZERO)
    total_gpb = sum((fsum(c, (gpb,)) for c in codes if len(c) == 3), ZERO)
    total_gfb = sum((fsum(c, (gfb,)) for c in codes if len(c) == 3), ZERO)
    total_special = sum((fsum(c, ("special-account",)) for c in codes if len(c) == 3), ZERO)
    total_other = sum((fsum(c, ("other-funds",)) for c in codes if len(c) == 3), ZERO)
    del every

    # 表1
    spec = tpl.spec(1)
    w.table = 1
    w.title("###", spec.title, department)
    w.add("收入\t\t支出\t", "项目\t预算\t项目\t预算")
    classes = tpl.overview_classes
    incomes = [
        ("一、预算拨款", total_gpb + total_gfb),
        ("二、财政专户拨款", total_special),
        ("三、其他资金", total_other),
    ]
    for i, klass in enumerate(classes):
        left = incomes[i] if i < len(incomes) else None
        cells = [left[0], _fmt(left[1])] if left else ["", ""]
        w.row(cells + [f"{_ordinal(i + 1)}、{functional[klass][0]}", _fmt(fsum(klass))], 1)
    w.row(["本年收入合计", _fmt(total_all), "本年支出合计", _fmt(total_all)], 1)
    for inc, exp in [
        ("四、上级补助收入", "二十六、对附属单位补助支出"),
        ("五、附属单位上缴收入", "二十七、上缴上级支出"),
        ("六、用事业基金弥补收支差额", "二十八、结转下年"),
    ]:
        w.row([inc, "0.00", exp, "0.00"], 1)
    w.row(["收入总计", _fmt(total_all), "支出总计", _fmt(total_all)], 1)
    w.table_end("注：财政拨款收支情况包括一般公共预算、政府性基金预算、国有资本经营预算拨款收支情况。")

    # 表2
    spec = tpl.spec(2)
    w.table_start(
        2,
        spec.title,
        department,
        [
            "\t".join(
                [
                    "功能分类科目",
                    "",
                    "合计",
                    "财政拨款收入",
                    "",
                    "",
                    "财政专户拨款收入",
                    "",
                    "其他资金收入",
                    "",
                    "",
                    "上级补助收入",
                    "附属单位上缴收入",
                    "用事业基金弥补收支差额",
                ]
            ),
            "\t".join(
                [
                    "科目编码",
                    "科目名称",
                    "",
                    "一般公共预算",
                    "政府性基金预算",
                    "国有资本经营预算",
                    "教育收费",
                    "其他专户收入拨款",
                    "事业收入",
                    "经营收入",
                    "其他收入",
                    "",
                    "",
                    "",
                ]
            ),
        ],
    )
    w.table_row(
        ["", "合计", _fmt(total_all)]
        + [_fmt(sum((income_split(c).get(col, ZERO) for c in codes if len(c) == 3), ZERO)) for col in income_cols],
        2,
    )
    for code in codes:
        split = income_split(code)
        w.table_row(
            [code, functional[code][0], _fmt(fsum(code))] + [_fmt(split.get(col, ZERO)) for col in income_cols], 2
        )
    w.table_end()

    # 表3
    spec = tpl.spec(3)
    w.table_start(
        3,
        spec.title,
        department,
        [
            "功能分类科目\t\t合计\t基本支出\t项目支出\t事业单位经营支出\t对附属单位补助支出\t上缴上级支出\t结转下年",
            "科目编码\t科目名称\t\t\t\t\t\t\t",
        ],
    )
    basic_total = sum((fsum(c, etype="basic") for c in codes if len(c) == 3), ZERO)
    project_total = sum((fsum(c, etype="project") for c in codes if len(c) == 3), ZERO)
    w.table_row(["", "合计", _fmt(total_all), _fmt(basic_total), _fmt(project_total)] + ["0.00"] * 4, 2)
    for code in codes:
        w.table_row(
            [
                code,
                functional[code][0],
                _fmt(fsum(code)),
                _fmt(fsum(code, etype="basic")),
                _fmt(fsum(code, etype="project")),
            ]
            + ["0.00"] * 4,
            2,
        )
    w.table_end()

    # 表4
    spec = tpl.spec(4)
    w.table = 4
    w.title("##", spec.title, department)
    w.add("收入\t\t支出\t", "项目\t预算\t项目\t预算")
    funds4 = [("一、一般公共预算", total_gpb), ("二、政府性基金预算", total_gfb), ("三、国有资本经营预算", ZERO)]
    for i, klass in enumerate(classes[:24]):
        left = funds4[i] if i < len(funds4) else None
        cells = [left[0], _fmt(left[1])] if left else ["", ""]
        w.row(cells + [f"{_ordinal(i + 1)}、{functional[klass][0]}", _fmt(fsum(klass, (gpb, gfb)))], 1)
    w.row(["本年收入合计", _fmt(total_gpb + total_gfb), "本年支出合计", _fmt(total_gpb + total_gfb)], 1)
    w.row(["", "", "二十五、结转下年支出", "0.00"], 1)
    w.row(["收入总计", _fmt(total_gpb + total_gfb), "支出总计", _fmt(total_gpb + total_gfb)], 1)
    w.table_end()

    # 表5
    spec = tpl.spec(5)
    w.table_start(5, spec.title, department, ["功能科目名称\t一般公共预算支出\t\t", "\t小计\t其中：基本支出\t项目支出"])
    w.table_row(
        [
            "合计",
            _fmt(total_gpb),
            _fmt(sum((fsum(c, (gpb,), "basic") for c in codes if len(c) == 3), ZERO)),
            _fmt(sum((fsum(c, (gpb,), "project") for c in codes if len(c) == 3), ZERO)),
        ],
        1,
    )
    for code in codes:
        if fsum(code, (gpb,)):
            w.table_row(
                [
                    f"[{code}]{functional[code][0]}",
                    _fmt(fsum(code, (gpb,))),
                    _fmt(fsum(code, (gpb,), "basic")),
                    _fmt(fsum(code, (gpb,), "project")),
                ],
                1,
            )
    w.table_end()

    # 表6 and 表7: the general public budget by economic class and section.
    econ_basic: dict[str, Decimal] = defaultdict(Decimal)
    for per in basic.values():
        for section, funds in per.items():
            econ_basic[section] += funds.get(gpb, ZERO)
    econ_project: dict[str, Decimal] = defaultdict(Decimal)
    for p in projects:
        econ_project[p.section] += p.funds.get(gpb, ZERO)
    for number, sections in ((6, econ_basic), (7, econ_project)):
        spec = tpl.spec(number)
        w.table_start(number, spec.title, department, ["部门预算支出经济科目\t预算"])
        rows: dict[str, Decimal] = defaultdict(Decimal)
        for section, value in sections.items():
            if value:
                rows[section] += value
                rows[section[:3]] += value
        w.table_row(["合计", _fmt(sum((v for c, v in rows.items() if len(c) == 3), ZERO))], 1)
        for code in sorted(rows):
            w.table_row([f"[{code}]{economic[code][0]}", _fmt(rows[code])], 1)
        w.table_end()

    # 表8: 三公 from the economic sections; administrative costs are a share of goods and services.
    def both(section: str) -> Decimal:
        return _r(econ_basic.get(section, ZERO)) + _r(econ_project.get(section, ZERO))

    overseas, reception, operation, purchase = both("30212"), both("30217"), both("30231"), both("31013")
    admin = _r(econ_basic.get("30201", ZERO) + econ_basic.get("30211", ZERO) + econ_basic.get("30209", ZERO))
    spec = tpl.spec(8)
    w.table_start(8, spec.title, department, ["项目\t合计\t一般公共预算\t政府性基金预算\t国有资本经营预算"])
    for label, value in (
        ("行政经费", admin),
        ("“三公”经费", overseas + purchase + operation + reception),
        ("其中：（一）因公出国（境）支出", overseas),
        ("（二）公务用车购置及运行维护支出", purchase + operation),
        ("1. 公务用车购置费", purchase),
        ("2. 公务用车运行维护费", operation),
        ("（三）公务接待费支出", reception),
    ):
        w.table_row([label, _fmt(value), _fmt(value), "0.00", "0.00"], 1)
    w.table_end("注：无。")

    # 表9 and 表10
    for number, fund in ((9, gfb), (10, "state-capital-budget")):
        spec = tpl.spec(number)
        label = "政府性基金预算支出" if number == 9 else "国有资本经营预算支出"
        w.table_start(
            number,
            spec.title,
            department,
            [f"功能分类科目\t\t{label}\t\t", "科目编码\t科目名称\t小计\t其中：基本支出\t项目支出"],
        )
        fund_codes = [c for c in codes if fsum(c, (fund,))]
        total = sum((fsum(c, (fund,)) for c in fund_codes if len(c) == 3), ZERO)
        w.table_row(["", "合计", _fmt(total), "0.00", _fmt(total)], 2)
        for code in fund_codes:
            w.table_row([code, functional[code][0], _fmt(fsum(code, (fund,))), "0.00", _fmt(fsum(code, (fund,)))], 2)
        w.table_end(w.style.empty_note.format(fund=label.removesuffix("支出")) if not fund_codes else "注：无。")

    # 表11: basic expenditure per unit and economic class.
    spec = tpl.spec(11)
    header = [
        "支出项目类别（资金使用单位）\t总计\t财政拨款\t\t\t\t财政专户拨款\t其他资金",
        "\t\t合计\t一般公共预算\t政府性基金预算\t国有资本经营预算\t\t",
    ]
    w.table_start(11, spec.title, department, header)

    def unit_row(label: str, funds: dict[str, Decimal], goal: str | None = None) -> list[str]:
        g, f = funds.get(gpb, ZERO), funds.get(gfb, ZERO)
        s, o = funds.get("special-account", ZERO), funds.get("other-funds", ZERO)
        row = [label, _fmt(g + f + s + o), _fmt(g + f), _fmt(g), _fmt(f), "0.00", _fmt(s), _fmt(o)]
        return row + [goal] if goal is not None else row

    def merge(items) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(Decimal)
        for funds in items:
            for k, v in funds.items():
                out[k] += v
        return out

    w.table_row(unit_row("合计", merge(f for per in basic.values() for f in per.values())), 1)
    for unit, _ in units:
        w.table_row(unit_row(unit, merge(basic[unit].values())), 1)
        for klass in sorted({s[:3] for s in basic[unit]}):
            w.table_row(unit_row(economic[klass][0], merge(f for s, f in basic[unit].items() if s[:3] == klass)), 1)
    w.table_end()

    # 表12: projects per unit, with goals.
    spec = tpl.spec(12)
    header = [
        "支出项目类别（资金使用单位）\t总计\t财政拨款\t\t\t\t财政专户拨款\t其他资金\t绩效目标",
        "\t\t合计\t一般公共预算\t政府性基金预算\t国有资本经营预算\t\t\t",
    ]
    w.table_start(12, spec.title, department, header)
    w.table_row(unit_row("合计", merge(p.funds for p in projects), ""), 1)
    for unit, _ in units:
        mine = [p for p in projects if p.unit == unit]
        if not mine:
            continue
        w.table_row(unit_row(unit, merge(p.funds for p in mine), ""), 1)
        for p in mine:
            w.table_row(unit_row(p.name, p.funds, p.goal), 1)
    w.table_end()
    w.table = 0


def _change(rng: random.Random, value: Decimal) -> tuple[Decimal, str, str]:
    """A change on last year and its rate, printed as the documents print them."""
    previous = _r(value * Decimal(rng.randint(70, 130)) / 100)
    change = _r(value) - previous
    rate = (abs(change) / previous * 100).quantize(CENT, rounding=ROUND_HALF_UP) if previous else ZERO
    more = change >= 0
    return abs(change), "增加" if more else "减少", f"{'增长' if more else '下降'}{rate}%"


def _narrative(w: _Writer, rng: random.Random, year: int, department: str, basic, projects) -> None:
    lines = w.lines
    t1 = next(i for i, line in enumerate(lines) if line.startswith("收入总计"))
    total = Decimal(lines[t1].split("\t")[1].replace(",", ""))
    t8 = {
        line.split("\t")[0]: Decimal(line.split("\t")[1].replace(",", ""))
        for line in lines
        if "\t" in line
        and line.split("\t")[0]
        in (
            "行政经费",
            "“三公”经费",
            "其中：（一）因公出国（境）支出",
            "1. 公务用车购置费",
            "2. 公务用车运行维护费",
            "（三）公务接待费支出",
        )
    }
    change, more, rate = _change(rng, total)
    w.add(
        f"## 第三部分 {year}年部门预算情况说明",
        "",
        "### 一、部门预算收支增减变化情况",
        "",
        f"{year}年本部门收入预算{total:,}万元，比上年{more}{change:,}万元，{rate}，主要原因是业务需要；"
        f"支出预算{total:,}万元，比上年{more}{change:,}万元，{rate}，主要原因是业务需要。",
        "",
    )
    parts = {
        k: t8[k]
        for k in (
            "其中：（一）因公出国（境）支出",
            "1. 公务用车购置费",
            "2. 公务用车运行维护费",
            "（三）公务接待费支出",
        )
    }
    changes = {k: _change(rng, v) if v else (ZERO, "增加", "增长0.00%") for k, v in parts.items()}
    signed = {k: (c if m == "增加" else -c) for k, (c, m, _) in changes.items()}
    vehicles = parts["1. 公务用车购置费"] + parts["2. 公务用车运行维护费"]
    v_change = signed["1. 公务用车购置费"] + signed["2. 公务用车运行维护费"]
    three = t8["“三公”经费"]
    t_change = v_change + signed["其中：（一）因公出国（境）支出"] + signed["（三）公务接待费支出"]

    def rate_of(value: Decimal, delta: Decimal) -> str:
        previous = value - delta
        if previous <= 0:
            return "增长0.00%"
        r = (abs(delta) / previous * 100).quantize(CENT, rounding=ROUND_HALF_UP)
        return f"{'增长' if delta >= 0 else '下降'}{r}%"

    def inc(delta: Decimal) -> str:
        return f"{'增加' if delta >= 0 else '减少'}{abs(delta):,}"

    o, r = parts["其中：（一）因公出国（境）支出"], parts["（三）公务接待费支出"]
    w.add(
        "### 二、“三公”经费安排情况",
        "",
        f"{year}年本部门财政拨款安排“三公”经费{three:,}万元，比上年{inc(t_change)}万元，"
        f"{rate_of(three, t_change)}，主要原因是业务需要。"
        f"其中：因公出国（境）费{o:,}万元，比上年{inc(signed['其中：（一）因公出国（境）支出'])}万元，"
        f"{rate_of(o, signed['其中：（一）因公出国（境）支出'])}，主要原因是业务需要；"
        f"公务用车购置及运行维护费{vehicles:,}万元（公务用车购置费{parts['1. 公务用车购置费']:,}万元，比上年"
        f"{inc(signed['1. 公务用车购置费'])}万元；公务用车运行维护费{parts['2. 公务用车运行维护费']:,}万元，比上年"
        f"{inc(signed['2. 公务用车运行维护费'])}万元。）比上年{inc(v_change)}万元，"
        f"{rate_of(vehicles, v_change)}，主要原因是车辆更新；"
        f"公务接待费{r:,}万元，比上年{inc(signed['（三）公务接待费支出'])}万元，"
        f"{rate_of(r, signed['（三）公务接待费支出'])}，"
        "主要原因是业务需要。",
        "",
    )
    admin = t8["行政经费"]
    a_change, a_more, a_rate = _change(rng, admin)
    w.add(
        "### 三、机关运行经费安排情况",
        "",
        f"{year}年，本部门机关运行经费安排{admin:,}万元，比上年{a_more}{a_change:,}万元，{a_rate}，主要原因是业务需要。",
        "",
    )
    goods, works, services = (Decimal(rng.randint(100, 90000)) / 10000 * total / 100 for _ in range(3))
    w.add(
        "#### **四、政府采购情况**",
        "",
        f"{year}年本部门政府采购安排{_r(goods + works + services):,}万元，其中：货物类采购预算{_r(goods):,}万元，"
        f"工程类采购预算{_r(works):,}万元，服务类采购预算{_r(services):,}万元等。",
        "",
        "#### **五、国有资产占有使用情况**",
        "",
        f"截至{year - 1}年12月31日，本部门固定资产金额{_r(total * Decimal('0.4')):,}万元，分布构成情况为：房屋"
        f"{rng.randint(1000, 90000):,}.5平方米，车辆{rng.randint(1, 60)}辆，"
        f"单价在100万元以上的设备{rng.randint(0, 40)}台等。"
        f"本年度拟购置固定资产{_r(total * Decimal('0.05')):,}万元。",
        "",
        "#### **六、重点项目预算绩效目标情况**",
        "",
        f"{year}年，本部门重点项目绩效目标情况如下：",
        "",
    )
    key = sorted(projects, key=lambda p: (-_r(p.total), p.unit, p.name))[: max(1, len(projects) // 5)]
    header = "项目\t预算数（单位：万元）\t绩效目标"
    w.add(header)
    for i, p in enumerate(key, 1):
        if i % 15 == 0:
            w.add("", header)
        w.add(f"{p.name}\t{_fmt(p.total)}\t{p.goal}")
    w.add("", "注：无。", "")


def _glossary(w: _Writer) -> None:
    raw = read_toml("glossary.toml")
    w.add("## 第四部分 名词解释", "")
    for i, (term, definition) in enumerate(raw["terms"].items(), 1):
        w.add(f"**{_ordinal(i)}、{term}：**{definition}", "")
