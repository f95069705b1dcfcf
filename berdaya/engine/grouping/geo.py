"""Distances for group formation: metres on the ground, or an RT/RW stand-in without coordinates."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_M = 6_371_008.8
# Indonesia with a margin: a coordinate outside is a data error, (0, 0) a missing value.
INDONESIA_LAT = (-11.5, 6.5)
INDONESIA_LON = (94.5, 141.5)


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in metres (arrays broadcast)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


def project_m(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Equirectangular projection around the points' mean latitude, in metres, shape (n, 2).

    Within one village (a few km) this differs from the great-circle distance by far less than a
    metre per kilometre, and it lets the solvers use plain Euclidean geometry.
    """
    lat0 = np.radians(np.mean(lat))
    x = np.radians(lon) * EARTH_RADIUS_M * np.cos(lat0)
    y = np.radians(lat) * EARTH_RADIUS_M
    return np.column_stack([x - x.mean(), y - y.mean()])


def in_indonesia(lat: float, lon: float) -> bool:
    return INDONESIA_LAT[0] <= lat <= INDONESIA_LAT[1] and INDONESIA_LON[0] <= lon <= INDONESIA_LON[1]


def rt_rw_proxy(rt: list[str], rw: list[str]) -> np.ndarray:
    """Stand-in positions from RT/RW numbers: same RT together, neighbouring RTs close, RWs apart.

    Units are not metres; results that use them say so (`proxy`).
    """
    def number(text: str) -> float:
        digits = "".join(ch for ch in str(text or "") if ch.isdigit())
        return float(int(digits)) if digits else 0.0

    return np.column_stack([[number(w) * 1000.0 for w in rw], [number(t) * 100.0 for t in rt]])
