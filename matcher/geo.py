"""Great-circle distances and a spatial index for candidate pairs (never all pairs)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

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


class PointIndex:
    """KD-tree over points on the sphere (3-D unit vectors)."""

    def __init__(self, lat: np.ndarray, lon: np.ndarray):
        self.lat = np.asarray(lat, dtype=float)
        self.lon = np.asarray(lon, dtype=float)
        self.tree = cKDTree(unit_xyz(self.lat, self.lon)) if len(self.lat) else None

    def pairs_within(self, lat: np.ndarray, lon: np.ndarray, km: float,
                     chunk: int = 50000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (query index, point index, km) with distance <= km. A KD-tree of the query
        points is joined with this one in C (``sparse_distance_matrix``), in chunks so that
        memory stays bounded by the pairs actually within range."""
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
        if self.tree is None or len(lat) == 0:
            return empty
        radius = chord_for_km(km)
        parts = []
        for start in range(0, len(lat), chunk):
            sl = slice(start, start + chunk)
            qtree = cKDTree(unit_xyz(lat[sl], lon[sl]))
            hits = qtree.sparse_distance_matrix(self.tree, radius, output_type="ndarray")
            if len(hits) == 0:
                continue
            d = 2.0 * EARTH_KM * np.arcsin(np.clip(hits["v"] / 2.0, 0.0, 1.0))
            keep = d <= km + 1e-9
            parts.append((hits["i"][keep] + start, hits["j"][keep], d[keep]))
        if not parts:
            return empty
        qi = np.concatenate([x[0] for x in parts]).astype(np.int64)
        pi = np.concatenate([x[1] for x in parts]).astype(np.int64)
        dist = np.concatenate([x[2] for x in parts])
        # deterministic order whatever the tree walk: by query, then point (one int64 key
        # sorts three times faster than a two-key lexsort)
        order = np.argsort(qi * np.int64(len(self.lat)) + pi)
        return qi[order], pi[order], dist[order]
