"""The budget as a network (networkx): which units share themes or codes, centrality, communities."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
from pyoxigraph import Store

from .export import to_networkx

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["budget_network", "units_sharing", "centrality", "communities", "draw_units"]


def budget_network(store: Store) -> nx.MultiDiGraph:
    """Units, projects, themes, codes and funding sources as nodes (see :func:`budgetkg.publish.export.to_networkx`)."""
    return to_networkx(store)


def units_sharing(g: nx.MultiDiGraph, kind: str) -> nx.Graph:
    """Units linked when they share a node of ``kind`` (``theme``, ``economic code``, ``funding source``),
    reached directly or through their projects; edge ``weight`` = number of shared nodes.

    >>> g = nx.MultiDiGraph()
    >>> g.add_node("u1", kind="unit", label="U1"); g.add_node("u2", kind="unit", label="U2")
    >>> g.add_node("p1", kind="project"); g.add_node("p2", kind="project"); g.add_node("t", kind="theme", label="T")
    >>> _ = g.add_edges_from([("p1", "u1"), ("p2", "u2"), ("p1", "t"), ("p2", "t")])
    >>> [(a, b, d["weight"]) for a, b, d in units_sharing(g, "theme").edges(data=True)]
    [('u1', 'u2', 1)]
    """
    owner = {}
    for n, d in g.nodes(data=True):
        if d.get("kind") == "project":
            owner[n] = next((v for v in g.successors(n) if g.nodes[v].get("kind") == "unit"), None)
    reached: dict[str, set[str]] = {}
    for n, d in g.nodes(data=True):
        if d.get("kind") != kind:
            continue
        for source in g.predecessors(n):
            unit = source if g.nodes[source].get("kind") == "unit" else owner.get(source)
            if unit:
                reached.setdefault(unit, set()).add(n)
    out = nx.Graph()
    for unit in reached:
        out.add_node(unit, **g.nodes[unit])
    units = sorted(reached)
    for i, a in enumerate(units):
        for b in units[i + 1 :]:
            shared = reached[a] & reached[b]
            if shared:
                out.add_edge(a, b, weight=len(shared), shared=sorted(g.nodes[s].get("label", s) for s in shared))
    return out


def centrality(g: nx.Graph) -> pd.DataFrame:
    """Degree, weighted degree and betweenness of each node, most central first."""
    import pandas as pd

    between = nx.betweenness_centrality(g)
    rows = [
        {
            "label": g.nodes[n].get("label", n),
            "degree": g.degree(n),
            "weighted_degree": g.degree(n, weight="weight"),
            "betweenness": round(between[n], 4),
            "node": n,
        }
        for n in g
    ]
    return pd.DataFrame(rows).sort_values(["betweenness", "degree"], ascending=False).reset_index(drop=True)


def communities(g: nx.Graph) -> list[list[str]]:
    """Communities by greedy modularity, as lists of labels (largest first)."""
    found = nx.algorithms.community.greedy_modularity_communities(g, weight="weight")
    return [sorted(g.nodes[n].get("label", n) for n in c) for c in found]


def draw_units(g: nx.Graph, *, title: str = "", min_weight: int = 2) -> Figure:
    """A readable drawing: labelled units coloured by community; edges sharing at least
    ``min_weight`` nodes, their width by the number shared."""
    import matplotlib
    import matplotlib.pyplot as plt

    from .charts import use_cjk_font

    use_cjk_font()
    fig, ax = plt.subplots(figsize=(11, 9), layout="constrained")
    pos = nx.spring_layout(g, weight="weight", seed=7, k=1.2)
    strong = [(a, b) for a, b, d in g.edges(data=True) if d["weight"] >= min_weight]
    widths = [0.4 + g.edges[a, b]["weight"] * 0.8 for a, b in strong]
    nx.draw_networkx_edges(g, pos, ax=ax, edgelist=strong, width=widths, alpha=0.35)
    group = {
        n: i for i, c in enumerate(nx.algorithms.community.greedy_modularity_communities(g, weight="weight")) for n in c
    }
    palette = matplotlib.color_sequences["tab10"]
    nx.draw_networkx_nodes(
        g,
        pos,
        ax=ax,
        node_size=[200 + 60 * g.degree(n, weight="weight") for n in g],
        node_color=[palette[group[n] % 10] for n in g],
        alpha=0.8,
    )
    nx.draw_networkx_labels(
        g,
        pos,
        ax=ax,
        labels={n: g.nodes[n].get("label", n).removeprefix("广州市") for n in g},
        font_size=8,
        font_family=plt.rcParams["font.sans-serif"][0],
    )
    ax.set_title(title)
    ax.axis("off")
    return fig
