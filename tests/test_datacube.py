"""W3C RDF Data Cube integrity constraints IC-1 … IC-21, as published (UKGovLD), on the built graph."""

from collections import Counter

import pytest
from budgetkg.resources import ontology_dir
from pyoxigraph import Quad, Store

IC_DIR = ontology_dir().joinpath("integrity-constraints")
IC_FILES = sorted(f.name for f in IC_DIR.iterdir() if f.name.endswith(".rq"))


def test_all_integrity_constraints_are_present():
    numbers = {f[3:5] for f in IC_FILES}
    assert numbers == {f"{n:02d}" for n in range(1, 22)}


@pytest.mark.parametrize("name", [f for f in IC_FILES if f != "ic-12.rq"])
def test_integrity_constraint(store, name):
    violated = store.query(IC_DIR.joinpath(name).read_text("utf-8"), use_default_graph_as_union=True)
    assert not bool(violated), f"{name} is violated"


def test_ic12_as_published_on_the_small_tables(store):
    """IC-12 compares every pair of observations (O(n²)): minutes on the whole graph, so the
    published query runs on a copy holding everything but the observations of the large tables."""
    small = Store()
    small.extend(Quad(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, None))
    large = small.query(
        "SELECT ?o WHERE { ?o <http://purl.org/linked-data/cube#dataSet> ?t . "
        "?t <https://w3id.org/budgetkg/ontology#tableNumber> ?n FILTER(?n NOT IN (1, 4, 8, 9, 10)) }"
    )
    for o in [s["o"] for s in large]:
        for q in list(small.quads_for_pattern(o, None, None, None)):
            small.remove(q)
    left = len(list(small.query("SELECT ?o WHERE { ?o a <http://purl.org/linked-data/cube#Observation> }")))
    assert left > 100
    assert not bool(small.query(IC_DIR.joinpath("ic-12.rq").read_text("utf-8")))


def test_ic12_no_two_observations_share_all_dimension_values(store):
    """IC-12 on the whole graph, computed by grouping instead of comparing pairs."""
    q = """
    SELECT ?obs ?ds ?dim ?v WHERE {
      ?obs <http://purl.org/linked-data/cube#dataSet> ?ds .
      ?ds <http://purl.org/linked-data/cube#structure>/<http://purl.org/linked-data/cube#component>/
          <http://purl.org/linked-data/cube#dimension> ?dim .
      ?obs ?dim ?v .
    }"""
    keys: dict[tuple, list] = {}
    for s in store.query(q, use_default_graph_as_union=True):
        keys.setdefault((s["obs"].value, s["ds"].value), []).append((s["dim"].value, str(s["v"])))
    signatures = Counter((ds, tuple(sorted(dims))) for (obs, ds), dims in keys.items())
    assert len(keys) > 3000
    duplicates = [sig for sig, n in signatures.items() if n > 1]
    assert duplicates == []
