"""The date or period each narrative figure's sentence states, in the reader and in the graph.

Expected values read off the bundled document's 第三部分 (line numbers given).
"""

import pytest
from budgetkg.errors import DocumentError

BKG = "https://w3id.org/budgetkg/ontology#"
DAY = "http://reference.data.gov.uk/id/day/"
YEAR = "http://reference.data.gov.uk/id/year/"

# The figures whose own sentence (up to the previous 。) opens with a date or period.
STATED = {
    # line 972: "2024年本部门收入预算835,711.8万元…；支出预算835,711.8万元…" (one sentence)
    **{k: YEAR + "2024" for k in ("revenue", "expenditure")},
    # line 976, first sentence: "2024年本部门财政拨款安排“三公”经费496.66万元…"
    "three-public": YEAR + "2024",
    # line 980, third sentence: "2024年，本部门机关运行经费安排3,409.2万元…"
    "admin-costs": YEAR + "2024",
    # line 984: "2024年本部门政府采购安排118,949.01万元，其中：货物类…工程类…服务类…"
    **{k: YEAR + "2024" for k in ("procurement", "procurement-goods", "procurement-works", "procurement-services")},
    # line 988: "截至2023年12月24日，本部门固定资产金额377,686.36万元，…房屋…车辆…设备…"
    **{k: DAY + "2023-12-24" for k in ("fixed-assets", "floor-area", "vehicle-count", "large-equipment")},
    # line 988, second sentence: "本年度拟购置固定资产58,431.06万元" (the budget's year)
    "planned-purchases": YEAR + "2024",
}
# Line 976's second and third sentences ("其中：因公出国（境）费116.72万元…", "…）比上年增加52万元…")
# open with no date: the parts of the 三公 expenses have none.


def _periods(store) -> dict[str, tuple[str | None, str | None]]:
    q = f"""SELECT ?key ?period ?date WHERE {{
      ?f a <{BKG}NarrativeFigure> ; <{BKG}narrativeKey> ?key .
      OPTIONAL {{ ?f <{BKG}referencePeriod> ?period }}
      OPTIONAL {{ ?f <{BKG}referenceDate> ?date }}
    }}"""
    rows = store.query(q, use_default_graph_as_union=True)
    return {
        r["key"].value: (
            r["period"].value if r["period"] else None,
            f"{r['date'].value}^^{r['date'].datatype.value}" if r["date"] else None,
        )
        for r in rows
    }


def test_the_fixed_assets_hold_on_24_december_2023(store):
    period, day = _periods(store)["fixed-assets"]
    assert period == DAY + "2023-12-24"
    assert day == "2023-12-24^^http://www.w3.org/2001/XMLSchema#date"


def test_every_figure_whose_sentence_states_a_date_has_it(store):
    periods = _periods(store)
    assert len(periods) == 34  # 18 figures, 9 changes on last year, 7 growth rates
    expected = {}
    for key in periods:
        base = key.removesuffix("-change").removesuffix("-growth-rate")
        expected[key] = STATED.get(base)  # a change and a growth rate hold for their figure's period
    assert {k: p for k, (p, _) in periods.items()} == expected
    # a date literal exactly where the period is a day
    assert {k for k, (_, d) in periods.items() if d} == {k for k, p in expected.items() if p and p.startswith(DAY)}


@pytest.mark.parametrize(
    ("printed", "period"),
    [
        ("截至2023年底", (2023, 12, 31)),
        ("截至2023年12月", (2023, 12, None)),
        ("2023年12月31日", (2023, 12, 31)),
    ],
)
def test_other_ways_of_stating_the_day(read_lines, seed_lines, printed, period):
    lines = list(seed_lines)
    assert lines[987].startswith("截至2023年12月24日，")  # line 988
    lines[987] = printed + lines[987].removeprefix("截至2023年12月24日")
    figure = next(f for f in read_lines(lines).narrative if f.key == "fixed-assets")
    assert (figure.period.year, figure.period.month, figure.period.day) == period
    assert figure.period.printed == printed


def test_a_year_that_begins_a_name_is_no_period(read_lines, seed_lines):
    lines = list(seed_lines)
    lines[983] = lines[983].replace("2024年本部门", "2024年轻工本部门", 1)  # line 984
    figure = next(f for f in read_lines(lines).narrative if f.key == "procurement")
    assert figure.period is None


def test_a_date_off_the_calendar_is_an_error_naming_its_line(read_lines, seed_lines):
    lines = list(seed_lines)
    lines[987] = lines[987].replace("2023年12月24日", "2023年2月30日", 1)
    with pytest.raises(DocumentError) as e:
        read_lines(lines)
    assert (e.value.code, e.value.lineno, e.value.found) == ("bad-date", 988, "截至2023年2月30日")


def test_the_library_lists_every_figure_with_its_period(ask):
    rows = {r[0]: r for r in ask("narrative-figures")}
    assert len(rows) == 34
    # line 988: 截至2023年12月24日，本部门固定资产金额377,686.36万元
    assert rows["fixed-assets"][1:] == ["固定资产", "377686.36", "万元", DAY + "2023-12-24", "2023-12-24", "988"]
    assert rows["overseas-travel"][4:6] == ["", ""]  # line 976: 其中：因公出国（境）费… states no period
