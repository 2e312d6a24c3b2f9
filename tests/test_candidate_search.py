"""The two ways of finding candidate pairs and components give the same answers to the
last bit: every distance computed (small rosters, no scipy needed) or a KD-tree join, and
a breadth-first search or scipy's connected components (issue 20: a city plan starts
without importing scipy)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matcher import geo, mentors


@pytest.mark.parametrize("km", [0.0, 0.8, 5.0, 37.5])
def test_every_distance_and_the_tree_give_the_same_pairs(km):
    rng = np.random.default_rng(7)
    # points of a province, many on the same ward point (ties), some duplicated queries
    plat = np.round(rng.uniform(19.3, 20.6, 3000), 3)
    plon = np.round(rng.uniform(104.4, 106.1, 3000), 3)
    qlat = np.concatenate([rng.uniform(19.3, 20.6, 1500), plat[:200]])
    qlon = np.concatenate([rng.uniform(104.4, 106.1, 1500), plon[:200]])
    index = geo.PointIndex(plat, plon)
    assert len(qlat) * len(plat) <= geo.BRUTE_MAX_PAIRS  # computed one by one here
    brute = index.pairs_within(qlat, qlon, km)
    tree = index._joined(qlat, qlon, geo.chord_for_km(km), km, chunk=700)
    qi = np.concatenate([x[0] for x in tree])
    pi = np.concatenate([x[1] for x in tree])
    d = np.concatenate([x[2] for x in tree])
    order = np.argsort(qi * len(plat) + pi)
    assert len(brute[0]) > (150 if km == 0 else 500)  # km 0: the queries on a point
    assert np.array_equal(brute[0], qi[order]) and np.array_equal(brute[1], pi[order])
    assert np.array_equal(brute[2], d[order])  # bit for bit
    assert (brute[2] <= km + 1e-9).all()


def test_search_and_scipy_find_the_same_components(monkeypatch):
    rng = np.random.default_rng(3)
    monkeypatch.setattr(mentors, "REACH_SEARCH_MAX_EDGES", 10**9)
    for n, e in [(1, 0), (10, 4), (500, 300), (5000, 4500), (20000, 30000)]:
        for _ in range(3):
            a, b = rng.integers(0, n, e), rng.integers(0, n, e)
            seeds = rng.integers(0, n, max(1, n // 200))
            _, label = connected_components(
                coo_matrix((np.ones(e, dtype=np.int8), (a, b)), shape=(n, n)), directed=False)
            expected = np.isin(label, label[seeds])
            monkeypatch.delitem(sys.modules, "scipy.sparse.csgraph", raising=False)
            got = mentors.reachable(n, a, b, seeds)
            assert np.array_equal(got, expected), (n, e)
            assert np.array_equal(mentors._reachable_scipy(n, a, b, seeds), expected)
            import scipy.sparse.csgraph  # noqa: F401 - back for the next reference


def test_a_city_plan_imports_no_scipy(tmp_path):
    """A roster solved in one process finds its pairs and components without scipy (its
    import is a quarter of a city plan's start-up)."""
    import pickle

    from matcher.generate import generate_roster  # (the generator itself uses scipy)

    path = tmp_path / "city.pickle"
    path.write_bytes(pickle.dumps(generate_roster("city", 2)))
    code = (
        "import pickle, sys\n"
        "from matcher.planner import plan_roster\n"
        f"plan = plan_roster(pickle.loads(open({str(path)!r}, 'rb').read()))\n"
        "assert plan.assignments and plan.visits\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300).stdout
    assert out.strip() == "[]", out


def test_the_nearest_point_is_the_same_with_or_without_the_tree(monkeypatch):
    """A returnee with no mentor in reach is told the nearest one: among every point when
    they are few, among the KD-tree's 16 nearest when they are many — the same point."""
    rng = np.random.default_rng(11)
    lat, lon = rng.uniform(19.3, 20.6, 4000), rng.uniform(104.4, 106.1, 4000)
    index = geo.PointIndex(lat, lon)
    queries = list(zip(rng.uniform(19.0, 21.0, 50), rng.uniform(104.0, 106.5, 50)))
    every = [index.near_candidates(a, b) for a, b in queries]
    assert all(len(c) == 4000 for c in every)
    monkeypatch.setattr(geo, "BRUTE_MAX_POINTS", 100)
    tree = [index.near_candidates(a, b) for a, b in queries]
    assert all(len(c) == 16 for c in tree)
    for (a, b), c1, c2 in zip(queries, every, tree):
        d1, d2 = geo.haversine_km(a, b, lat[c1], lon[c1]), geo.haversine_km(a, b, lat[c2], lon[c2])
        assert c1[np.argmin(d1)] == c2[np.argmin(d2)]
