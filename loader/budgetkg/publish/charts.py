"""The charts of “where the money goes”, drawn with matplotlib from the store.

Each function takes a store and returns a matplotlib Figure; ``write_report`` saves them
all as PNG files (``budgetkg report``).  Chinese labels need a CJK font: ``use_cjk_font``
picks an installed one (Debian: ``apt-get install fonts-wqy-microhei``).
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import Store

from ..query.frames import query_frame

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "use_cjk_font",
    "funding_mix_by_unit",
    "basic_vs_project",
    "functional_treemap",
    "largest_projects",
    "money_flow",
    "kjc_by_college",
    "sankey",
    "write_report",
    "CHARTS",
]

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Arial Unicode MS",
    "AR PL UMing CN",
)


def use_cjk_font() -> str | None:
    """Make matplotlib draw Chinese with an installed CJK font; return its name (None, with a warning, if none)."""
    import matplotlib
    from matplotlib import font_manager

    for fresh in (False, True):
        if fresh:  # matplotlib caches the font list: a font installed after the cache was built is not in it
            known = {f.fname for f in font_manager.fontManager.ttflist}
            for path in font_manager.findSystemFonts():
                if path not in known:
                    try:
                        font_manager.fontManager.addfont(path)
                    except (OSError, RuntimeError, ValueError):  # a file matplotlib cannot read
                        continue
        installed = {f.name for f in font_manager.fontManager.ttflist}
        for name in CJK_FONTS:
            if name in installed:
                matplotlib.rcParams["font.sans-serif"] = [name, *matplotlib.rcParams["font.sans-serif"]]
                matplotlib.rcParams["font.family"] = "sans-serif"
                matplotlib.rcParams["axes.unicode_minus"] = False
                return name
    warnings.warn(
        "no CJK font found: Chinese labels will show as boxes; install one, e.g. "
        "`apt-get install fonts-wqy-microhei` or `brew install --cask font-noto-sans-cjk-sc`",
        stacklevel=2,
    )
    return None


def _figure(width: float = 10, height: float = 6):
    import matplotlib.pyplot as plt

    use_cjk_font()
    return plt.subplots(figsize=(width, height), layout="constrained")


def _short(name: str) -> str:
    return name.removeprefix("广州市")


def funding_mix_by_unit(store: Store, *, documents: Sequence[str] = ()) -> Figure:
    """100 % stacked bars: the share of each funding source in each unit's budget (basic + project)."""
    df = query_frame(store, "unit-budget-by-funding-source", documents=documents)
    en = query_frame(store, "unit-budget-by-funding-source", documents=documents, lang="en")
    names = dict(zip(df["fund"], en["fund"], strict=True))
    table = df.pivot_table(index="unit", columns="fund", values="total", aggfunc="sum", fill_value=Decimal(0))
    totals = table.sum(axis=1)
    table = table.loc[totals.sort_values().index]
    shares = table.div(table.sum(axis=1), axis=0).astype(float) * 100
    fig, ax = _figure(11, 7)
    left = [0.0] * len(shares)
    for fund in sorted(shares.columns, key=lambda f: -shares[f].sum()):
        values = list(shares[fund])
        ax.barh([_short(u) for u in shares.index], values, left=left, label=f"{fund} {names[fund]}")
        left = [a + b for a, b in zip(left, values, strict=True)]
    for i, unit in enumerate(shares.index):
        ax.text(101, i, f"{table.loc[unit].sum():,.2f}", va="center", fontsize=8)
    ax.set_xlim(0, 118)
    ax.set_xlabel("% of the unit's budget (total in 万元 at the right)")
    ax.set_title("各单位预算资金来源构成 · Funding-source composition of each unit's budget")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=8)
    return fig


def basic_vs_project(store: Store, *, documents: Sequence[str] = ()) -> Figure:
    """Grouped bars: basic and project expenditure per unit."""
    df = query_frame(store, "unit-basic-vs-project", documents=documents)
    fig, ax = _figure(11, 7)
    units = [_short(u) for u in df["unit"]]
    y = range(len(units))
    ax.barh([i - 0.2 for i in y], [float(v) for v in df["basic"]], height=0.4, label="基本支出 Basic")
    ax.barh([i + 0.2 for i in y], [float(v) for v in df["project"]], height=0.4, label="项目支出 Project")
    ax.set_yticks(list(y), units)
    ax.invert_yaxis()
    ax.set_xscale("symlog", linthresh=1000)
    ax.set_xlabel("万元 (symmetric log scale)")
    ax.set_title("基本支出与项目支出 · Basic and project expenditure")
    ax.legend()
    return fig


def functional_treemap(store: Store, *, documents: Sequence[str] = ()) -> Figure:
    """Treemap of expenditure by functional item (项), grouped and coloured by class (类)."""
    import matplotlib
    import matplotlib.pyplot as plt
    import squarify

    items = query_frame(store, "functional-item", documents=documents)
    classes = query_frame(store, "functional-class", documents=documents)
    class_name = dict(zip(classes["notation"], classes["code"], strict=True))
    items = items[items["total"] > 0].sort_values("total", ascending=False)
    palette = matplotlib.color_sequences["tab20"]
    order = sorted(class_name)
    colours = [palette[order.index(n[:3]) % len(palette)] for n in items["notation"]]
    fig, ax = _figure(13, 8)
    labels = [
        f"{c}\n{v:,.0f}" if v > 3000 else "" for c, v in zip(items["code"], items["total"].map(float), strict=True)
    ]
    squarify.plot(
        sizes=[float(v) for v in items["total"]],
        label=labels,
        color=colours,
        ax=ax,
        pad=False,
        ec="white",
        linewidth=1.5,
        text_kwargs={"fontsize": 8},
    )
    ax.axis("off")
    handles = [plt.Rectangle((0, 0), 1, 1, color=palette[i % len(palette)]) for i, _ in enumerate(order)]
    ax.legend(handles, [f"{n} {class_name[n]}" for n in order], loc="upper left", bbox_to_anchor=(1, 1), fontsize=8)
    ax.set_title("支出功能分类（项） · Expenditure by functional item, coloured by class (万元)")
    return fig


def largest_projects(store: Store, limit: int = 15, *, documents: Sequence[str] = ()) -> Figure:
    """The largest projects by total."""
    df = query_frame(store, "largest-projects", documents=documents, limit=str(limit))
    fig, ax = _figure(11, 7)
    ax.barh(
        [f"{p}（{_short(u)}）" for p, u in zip(df["project"], df["unit"], strict=True)], [float(v) for v in df["total"]]
    )
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("万元 (log scale)")
    ax.set_title(f"预算最大的 {limit} 个项目 · The {limit} largest projects")
    return fig


def sankey(ax, stages: list[list[str]], flows: list[tuple[str, str, float]], *, gap: float = 0.02) -> None:
    """Draw a left-to-right Sankey diagram: node columns ``stages``, bands ``flows`` (source, target, value)."""
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MPath

    out_total: dict[str, float] = defaultdict(float)
    in_total: dict[str, float] = defaultdict(float)
    for s, t, v in flows:
        out_total[s] += v
        in_total[t] += v
    size = {n: max(out_total[n], in_total[n]) for stage in stages for n in stage}
    scale = (1 - gap * max(len(s) for s in stages)) / max(sum(size[n] for n in stage) for stage in stages)
    pos: dict[str, tuple[float, float]] = {}
    for col, stage in enumerate(stages):
        y = 1.0
        for n in stage:
            h = size[n] * scale
            pos[n] = (col, y)
            ax.add_patch(plt.Rectangle((col - 0.02, y - h), 0.04, h, color="0.3"))
            ax.text(
                col + (0.04 if col < len(stages) - 1 else -0.04),
                y - h / 2,
                _short(n),
                va="center",
                ha="left" if col < len(stages) - 1 else "right",
                fontsize=7,
            )
            y -= h + gap
    out_off: dict[str, float] = defaultdict(float)
    in_off: dict[str, float] = defaultdict(float)
    colours = matplotlib.color_sequences["tab20"]
    sources = [n for n in stages[0]]
    for s, t, v in sorted(flows, key=lambda f: (pos[f[0]][0], -pos[f[0]][1], -pos[f[1]][1])):
        h = v * scale
        x0, y0 = pos[s][0] + 0.02, pos[s][1] - out_off[s]
        x1, y1 = pos[t][0] - 0.02, pos[t][1] - in_off[t]
        out_off[s] += h
        in_off[t] += h
        xm = (x0 + x1) / 2
        verts = [
            (x0, y0),
            (xm, y0),
            (xm, y1),
            (x1, y1),
            (x1, y1 - h),
            (xm, y1 - h),
            (xm, y0 - h),
            (x0, y0 - h),
            (x0, y0),
        ]
        codes = [
            MPath.MOVETO,
            MPath.CURVE4,
            MPath.CURVE4,
            MPath.CURVE4,
            MPath.LINETO,
            MPath.CURVE4,
            MPath.CURVE4,
            MPath.CURVE4,
            MPath.CLOSEPOLY,
        ]
        key = s if s in sources else t
        colour = colours[(sources.index(key) if key in sources else hash(key)) % len(colours)]
        ax.add_patch(PathPatch(MPath(verts, codes), facecolor=colour, alpha=0.45, lw=0))
    ax.set_xlim(-0.1, len(stages) - 0.9)
    ax.set_ylim(min(p[1] - size[n] * scale for n, p in pos.items()) - 0.02, 1.02)
    ax.axis("off")


def money_flow(store: Store, *, documents: Sequence[str] = ()) -> Figure:
    """Sankey: funding sources → units → economic classes of basic spending, and project spending."""
    funds = query_frame(store, "unit-budget-by-funding-source", documents=documents)
    basic = query_frame(store, "basic-by-unit-and-economic-class", documents=documents)
    totals = query_frame(store, "unit-basic-vs-project", documents=documents)
    flows = [(f, u, float(v)) for f, u, v in zip(funds["fund"], funds["unit"], funds["total"], strict=True) if v > 0]
    flows += [(u, c, float(v)) for u, c, v in zip(basic["unit"], basic["class"], basic["amount"], strict=True) if v > 0]
    flows += [
        (u, "项目支出 Project expenditure", float(v))
        for u, v in zip(totals["unit"], totals["project"], strict=True)
        if v > 0
    ]
    stage_funds = sorted(set(funds["fund"]), key=lambda f: -sum(v for s, _, v in flows if s == f))
    units = list(totals["unit"])
    targets = sorted({t for s, t, _ in flows if s in units}, key=lambda t: -sum(v for _, x, v in flows if x == t))
    fig, ax = _figure(14, 9)
    sankey(ax, [stage_funds, units, targets], flows)
    ax.set_title("资金来源 → 单位 → 经济分类（基本支出）与项目支出 · Funding sources → units → spending")
    return fig


def kjc_by_college(store: Store, *, documents: Sequence[str] = ()) -> Figure:
    """Stacked bars: each college's 科教城 relocation and move-in projects."""
    df = query_frame(store, "kjc-relocation-by-college", documents=documents)
    fig, ax = _figure(10, 5)
    left: defaultdict[str, float] = defaultdict(float)
    for unit, project, amount in zip(df["unit"], df["project"], df["amount"], strict=True):
        kind = "购置 purchases" if "购置" in project else "搬迁开办 moving and opening"
        ax.barh(
            _short(unit),
            float(amount),
            left=left[unit],
            color="tab:blue" if "购置" in project else "tab:orange",
            label=kind,
        )
        ax.text(left[unit] + float(amount) / 2, _short(unit), f"{amount:,.2f}", ha="center", va="center", fontsize=8)
        left[unit] += float(amount)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys())
    ax.set_xlabel("万元 (一般公共预算 general public budget)")
    ax.set_title("各技师学院入驻科教城支出 · Colleges' spending on moving into Science and Education City")
    return fig


CHARTS = {
    "funding-mix-by-unit": funding_mix_by_unit,
    "basic-vs-project": basic_vs_project,
    "functional-treemap": functional_treemap,
    "largest-projects": largest_projects,
    "money-flow": money_flow,
    "kjc-by-college": kjc_by_college,
}


def write_report(store: Store, out: Path, *, documents: Sequence[str] = ()) -> list[Path]:
    """Save every chart as ``out/<name>.png``; return the files written.

    ``documents``: draw only these documents of the store (see :func:`budgetkg.query.library.document_dataset`);
    in a store of several, the charts otherwise add their figures together.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if documents:
        # Found once by whatever names they were given; each chart then names them by graph IRI,
        # which document_dataset looks up directly instead of listing every graph's names.
        from ..query.library import document_graphs

        documents = document_graphs(store, documents)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, chart in CHARTS.items():
        fig = chart(store, documents=documents)
        path = out / f"{name}.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    return written
