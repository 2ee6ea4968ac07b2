"""Charts, frames and network analysis used by the notebooks and `budgetkg report`."""

import sys
from decimal import Decimal as D

import matplotlib
import pytest
from click.testing import CliRunner

matplotlib.use("Agg")

from budgetkg.cli import cli  # noqa: E402
from budgetkg.publish import charts, network  # noqa: E402
from budgetkg.query.frames import query_frame  # noqa: E402


def test_query_frame_keeps_exact_decimals_and_labels(store):
    df = query_frame(store, "three-public-expenses")
    assert list(df["item"])[:2] == ["行政经费（机关运行经费）", "“三公”经费"]
    assert df["total"].iloc[1] == D("496.66")  # line 535
    assert df["item_iri"].iloc[0].startswith("https://w3id.org/budgetkg/codelist/expense-item/2024/")


def test_kjc_chart_draws_the_eight_projects(store):
    fig = charts.kjc_by_college(store)
    widths = sorted(round(p.get_width(), 2) for p in fig.axes[0].patches)
    # 表12 lines 775, 776, 791, 793, 844, 845, 868, 869
    assert widths == sorted([1205.37, 6924.61, 220.00, 5907.93, 375.59, 5470.45, 1092.89, 12944.22])


def test_funding_mix_shares_sum_to_100(store):
    fig = charts.funding_mix_by_unit(store)
    ax = fig.axes[0]
    per_row: dict[float, float] = {}
    for p in ax.patches:
        per_row[round(p.get_y(), 3)] = per_row.get(round(p.get_y(), 3), 0) + p.get_width()
    assert len(per_row) == 17 and all(abs(v - 100) < 1e-9 for v in per_row.values())


def test_charts_of_one_document_of_several(two_years, tmp_path):
    from budgetkg.load.store import open_store

    years = open_store(two_years)
    # Both years: each college's projects twice; 2025 alone: its eight once (表12 lines 775-869, one further down)
    assert len(charts.kjc_by_college(years).axes[0].patches) == 16
    fig = charts.kjc_by_college(years, documents=["2025.txt"])
    widths = sorted(round(p.get_width(), 2) for p in fig.axes[0].patches)
    assert widths == sorted([1205.37, 6924.61, 220.00, 5907.93, 375.59, 5470.45, 1092.89, 12944.22])
    result = CliRunner().invoke(
        cli, ["report", "--out", str(tmp_path), "--store", str(two_years), "--document", "2024.txt"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(f"{name}.png" for name in charts.CHARTS)


def test_cjk_font_found():
    if charts.use_cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-wqy-microhei)")


def test_units_sharing_themes(store):
    g = network.budget_network(store)
    colleges = network.units_sharing(g, "theme")
    labels = {d["label"]: n for n, d in colleges.nodes(data=True)}
    edge = colleges.edges[labels["广州市技师学院"], labels["广州市工贸技师学院"]]
    assert "科教城搬迁入驻" in edge["shared"] and "免学费" in edge["shared"]
    assert network.communities(colleges)


def test_report_writes_every_chart(store_path, tmp_path):
    result = CliRunner().invoke(cli, ["report", "--out", str(tmp_path), "--store", str(store_path)])
    assert result.exit_code == 0, result.output
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == sorted(f"{name}.png" for name in charts.CHARTS)
    assert all((tmp_path / p).read_bytes()[:4] == b"\x89PNG" for p in pngs)


@pytest.mark.parametrize("extra", ["matplotlib", "squarify"])
def test_report_without_the_plotting_extras_says_what_to_install(extra, store_path, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, extra, None)  # as if not installed
    result = CliRunner().invoke(cli, ["report", "--out", str(tmp_path / "charts"), "--store", str(store_path)])
    assert result.exit_code == 2
    assert f'{extra} is not installed: pip install "budgetkg[notebooks]"' in result.output
    assert not (tmp_path / "charts").exists()
