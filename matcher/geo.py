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
                     chunk: int = 20000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (query index, point index, km) with distance <= km, built in chunks so
        memory stays bounded by the number of pairs actually within range."""
        qi_parts, pi_parts, d_parts = [], [], []
        if self.tree is None or len(lat) == 0:
            e = np.zeros(0, dtype=np.int64)
            return e, e.copy(), np.zeros(0)
        radius = chord_for_km(km)
        for start in range(0, len(lat), chunk):
            sl = slice(start, start + chunk)
            xyz = unit_xyz(np.asarray(lat[sl], float), np.asarray(lon[sl], float))
            hits = self.tree.query_ball_point(xyz, r=radius, return_sorted=False)
            counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
            if counts.sum() == 0:
                continue
            qi = np.repeat(np.arange(start, start + len(hits), dtype=np.int64), counts)
            pi = np.fromiter((j for h in hits for j in h), dtype=np.int64, count=int(counts.sum()))
            d = haversine_km(np.asarray(lat)[qi], np.asarray(lon)[qi], self.lat[pi], self.lon[pi])
            keep = d <= km + 1e-9
            qi_parts.append(qi[keep])
            pi_parts.append(pi[keep])
            d_parts.append(d[keep])
        if not qi_parts:
            e = np.zeros(0, dtype=np.int64)
            return e, e.copy(), np.zeros(0)
        return np.concatenate(qi_parts), np.concatenate(pi_parts), np.concatenate(d_parts)
