"""Great-circle distances and a spatial index for candidate pairs (never all pairs)."""

from __future__ import annotations

import numpy as np

EARTH_KM = 6371.0088


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km; works on scalars and numpy arrays."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def unit_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))


def chord_for_km(km: float) -> float:
    """Chord length on the unit sphere for a great-circle distance of ``km``."""
    return 2.0 * np.sin(min(km / EARTH_KM, np.pi) / 2.0) + 1e-12


# below this many query x point pairs the pairs are found by computing every distance
# (numpy, in chunks): a city's candidates take 30 ms that way and need no scipy, whose
# import costs 0.25 s of a city plan's start-up; above it a KD-tree join
BRUTE_MAX_PAIRS = 8_000_000
BRUTE_MAX_POINTS = 50_000  # a query at a time against more points: the tree pays
_BRUTE_CHUNK = 2_000_000  # pairs computed at once (about 16 MB per array)


class PointIndex:
    """Points on the sphere (3-D unit vectors) and the pairs within a distance of them:
    every distance computed when there are few points, a KD-tree join when there are
    many; both give the same pairs and the same distances to the last bit."""

    def __init__(self, lat: np.ndarray, lon: np.ndarray):
        self.lat = np.asarray(lat, dtype=float)
        self.lon = np.asarray(lon, dtype=float)
        self.xyz = unit_xyz(self.lat, self.lon)
        self._tree = None

    @property
    def tree(self):
        """The KD-tree of the points (scipy's, imported and built on first use)."""
        if self._tree is None and len(self.lat):
            from scipy.spatial import cKDTree

            self._tree = cKDTree(self.xyz)
        return self._tree

    def near_candidates(self, lat: float, lon: float, k: int = 16) -> np.ndarray:
        """Indices of points among which the nearest to (lat, lon) lies: every point when
        they are few enough to compute every distance, else the ``k`` nearest from the
        KD-tree."""
        if len(self.lat) <= BRUTE_MAX_POINTS:
            return np.arange(len(self.lat))
        _, cand = self.tree.query(unit_xyz(np.array([lat]), np.array([lon])),
                                  k=min(k, len(self.lat)))
        cand = np.atleast_1d(cand).ravel()
        return cand[cand < len(self.lat)]

    def pairs_within(self, lat: np.ndarray, lon: np.ndarray, km: float,
                     chunk: int = 50000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (query index, point index, km) with distance <= km, ordered by query, then
        point. The distance is the chord's (the squares of the coordinate differences
        summed in x, y, z order, as the KD-tree sums them) turned into km."""
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
        if not len(self.lat) or len(lat) == 0:
            return empty
        radius = chord_for_km(km)
        if len(lat) * len(self.lat) <= BRUTE_MAX_PAIRS and len(self.lat) <= BRUTE_MAX_POINTS:
            parts = self._brute(unit_xyz(lat, lon), radius, km)
        else:
            parts = self._joined(lat, lon, radius, km, chunk)
        if not parts:
            return empty
        qi = np.concatenate([x[0] for x in parts]).astype(np.int64)
        pi = np.concatenate([x[1] for x in parts]).astype(np.int64)
        dist = np.concatenate([x[2] for x in parts])
        # deterministic order whatever the tree walk: by query, then point (one int64 key
        # sorts three times faster than a two-key lexsort)
        order = np.argsort(qi * np.int64(len(self.lat)) + pi)
        return qi[order], pi[order], dist[order]

    def _brute(self, q: np.ndarray, radius: float, km: float) -> list[tuple]:
        parts = []
        p = self.xyz
        rows = max(1, _BRUTE_CHUNK // len(p))
        for start in range(0, len(q), rows):
            block = q[start:start + rows]
            dx = block[:, 0, None] - p[None, :, 0]
            dy = block[:, 1, None] - p[None, :, 1]
            dz = block[:, 2, None] - p[None, :, 2]
            sq = dx * dx
            sq += dy * dy
            sq += dz * dz
            i, j = np.nonzero(sq <= radius * radius)
            if len(i):
                parts.append(_kept(i + start, j, np.sqrt(sq[i, j]), km))
        return parts

    def _joined(self, lat: np.ndarray, lon: np.ndarray, radius: float, km: float,
                chunk: int) -> list[tuple]:
        """A KD-tree of the query points joined with this one in C
        (``sparse_distance_matrix``), in chunks so that memory stays bounded by the pairs
        actually within range."""
        from scipy.spatial import cKDTree

        tree = self.tree
        parts = []
        for start in range(0, len(lat), chunk):
            sl = slice(start, start + chunk)
            qtree = cKDTree(unit_xyz(lat[sl], lon[sl]))
            hits = qtree.sparse_distance_matrix(tree, radius, output_type="ndarray")
            if len(hits):
                parts.append(_kept(hits["i"] + start, hits["j"], hits["v"], km))
        return parts


def _kept(qi: np.ndarray, pi: np.ndarray, chord: np.ndarray, km: float) -> tuple:
    d = 2.0 * EARTH_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))
    keep = d <= km + 1e-9
    return qi[keep], pi[keep], d[keep]
