"""The theme rules' counts that docs/themes.md shows agree with the bundled document.

The projects are counted off the text of 表12 (部门预算项目支出及其他支出预算表), not by the code
under test.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE_12 = "## 部门预算项目支出及其他支出预算表"


def _table_12_names(seed_lines: list[str]) -> list[str]:
    """The first cells of 表12's rows: the projects, the units and the 合计 line."""
    start = seed_lines.index(TABLE_12)
    end = next(i for i in range(start, len(seed_lines)) if seed_lines[i].startswith("注："))
    return [line.split("\t")[0] for line in seed_lines[start:end] if "\t" in line]


def test_the_it_operation_theme_takes_every_name_with_运维_or_运行维护(seed_lines, ask):
    names = _table_12_names(seed_lines)
    # no unit, header or total line of 表12 names 运维, so every one is a project (lines 684-964)
    operated = [n for n in names if "运维" in n or "运行维护" in n]
    assert len(operated) == 32
    assert sum("信息化运维" in n for n in names) == 21  # the theme's label, searched for
    assert sorted(r[0] for r in ask("it-operations-projects")) == sorted(operated)
    row = next(
        line for line in (ROOT / "docs/themes.md").read_text("utf-8").splitlines() if "`it-operations` |" in line
    )
    assert row.endswith("| 32 | 21 |")
