"""Accounting identities, with expected figures computed by hand from the document."""

from decimal import Decimal as D

import pytest
from budgetkg import read_document
from budgetkg.check.accounts import check_document

SEED = "guangzhou-hrss-2024-budget.txt"


def by_id(report):
    return {i.id: i for i in report.identities}


@pytest.mark.parametrize(
    "ident, status, difference",
    [
        # line 260: 26,150.97 vs 6,483.55 + 19,667.43 = 26,150.98
        ("row-sum/3/210/total", "rounding", D("-0.01")),
        # line 601: 9,515.50 vs 4,857.78 + 0.00 + 4,657.71 = 9,515.49
        ("row-sum/11/unit:广州市干部和人才健康管理中心/total", "rounding", D("0.01")),
        # line 336 basic 180,538.39 vs 表6 合计 line 404 180,538.39
        ("cross/5-6/basic", "exact", D(0)),
        # line 536 116.72 vs 表6 [30212] 18.02 (line 430) + 表7 [30212] 98.70 (line 486)
        ("cross/8-6-7/overseas-travel", "exact", D(0)),
        # line 538 245.00 vs 表6 prints no [31013] + 表7 [31013] 245.00 (line 517)
        ("cross/8-6-7/vehicle-purchase", "exact", D(0)),
        # line 961: 454.35 vs 66.00 + 100.00 + 288.35 (lines 962-964)
        ("unit-subtotal/12/unit:广州市人力资源和社会保障事务服务中心/total", "exact", D(0)),
        # line 984: 118,949.01 vs 68,220.45 + 7,686.77 + 43,041.78 = 118,949.00
        ("narrative-sum/procurement", "rounding", D("0.01")),
        # line 976: 496.66 = 表8 line 535
        ("narrative/three-public", "exact", D(0)),
        # line 976: 三公 change 113.34 = 60.72 + 52 + 0.62
        ("narrative-sum/three-public-change", "exact", D(0)),
        # line 117: 收入总计 835,711.80 = 支出总计 835,711.80
        ("balance/1/grand-totals", "exact", D(0)),
        # line 67: 共设21个, 21 listed
        ("count/divisions", "exact", D(0)),
    ],
)
def test_classified_identities(report, ident, status, difference):
    i = by_id(report)[ident]
    assert (i.status, i.difference) == (status, difference)


def test_growth_rate_checked(report):
    # line 972: 143,140.73 / (835,711.8 - 143,140.73) = 20.668…% printed as 20.67
    i = by_id(report)["growth-rate/revenue"]
    assert i.status == "exact"
    assert i.expected == D("20.67") and i.difference == 0


def test_rounding_tolerance_grows_with_the_number_of_figures(report):
    i = by_id(report)["row-sum/3/210/total"]
    assert i.tolerance == D("0.005") * 7  # six parts plus the total


def test_every_identity_names_its_source_lines(report):
    for i in report.identities:
        assert i.total.source is not None and i.total.source.line > 0


def test_no_identity_broken_in_the_bundled_document(report):
    counts = report.counts
    assert counts["broken"] == 0
    assert counts["rounding"] > 0 and counts["exact"] > counts["rounding"]


@pytest.mark.parametrize(
    "lineno, new_text, column",
    [
        (421, "[30201]办公费\t650.24", ("预算",)),  # 表6 办公费 550.24 → 650.24
        (85, "一、预算拨款\t797,417.58\t一、一般公共服务支出\t5.00", ("收入", "预算")),  # 表1
        (613, "广州市技师学院\t25,946.33\t22,401.61\t22,401.61\t0.00\t0.00\t3,200.00\t354.72", ("其他资金",)),  # 表11
        (776, None, ("总计",)),  # 表12 工贸 科教城购置项目 6,924.61 → 6,934.61
    ],
)
def test_changing_one_amount_breaks_exactly_its_identities(report, seed_lines, lineno, new_text, column):
    lines = list(seed_lines)
    if new_text is None:
        new_text = lines[lineno - 1].replace("6,924.61", "6,934.61", 1)
    lines[lineno - 1] = new_text
    changed = check_document(read_document("\n".join(lines).encode(), filename=SEED))
    involved = {i.id for i in report.identities if i.involves(lineno, column)}
    assert involved
    assert {i.id for i in changed.broken} == involved
    unchanged = {i.id: i.status for i in report.identities if i.id not in involved}
    assert {i.id: i.status for i in changed.identities if i.id not in involved} == unchanged


def test_a_total_printed_as_a_dash_breaks_its_balance(seed_lines):
    """表1's 本年收入合计 (line 113, 835,711.80) printed as "-": taken as 0, its balance with the
    income items above it breaks by their whole sum; no traceback."""
    lines = list(seed_lines)
    lines[113 - 1] = lines[113 - 1].replace("835,711.80", "-", 1)
    changed = check_document(read_document("\n".join(lines).encode(), filename=SEED))
    broken = by_id(changed)["balance/1/income/year-total"]
    assert broken.status == "broken" and broken.total.value == 0 and broken.total.source.line == 113
    assert broken.difference == D("-835711.80")


def test_key_project_amount_change_is_reported(seed_lines):
    lines = list(seed_lines)
    lines[1040 - 1] = lines[1040 - 1].replace("12,944.22", "12,944.92", 1)
    changed = check_document(read_document("\n".join(lines).encode(), filename=SEED))
    # Line 1040 prints the 42nd row of the 重点项目 table; key projects are numbered in print order.
    assert [i.id for i in changed.broken] == ["key-project/42"]
