"""Great-circle distances: haversine for ranking, geopy's geodesic for figures shown to people."""
from __future__ import annotations

import numpy as np
from geographiclib.geodesic import Geodesic
from numpy.typing import NDArray

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG), the haversine sphere


def to_radians(lat: NDArray[np.float64] | float, lon: NDArray[np.float64] | float) -> NDArray[np.float64]:
    """Stack latitudes and longitudes (degrees) into an (n, 2) array of radians, as BallTree wants."""
    radians: NDArray[np.float64] = np.radians(np.column_stack([np.atleast_1d(lat), np.atleast_1d(lon)]))
    return radians


def haversine_km(lat1: float, lon1: float, lat2: NDArray[np.float64], lon2: NDArray[np.float64]) -> NDArray[np.float64]:
    """Great-circle distance in km from one point to many (arrays of degrees)."""
    p1, l1 = np.radians(lat1), np.radians(lon1)
    p2, l2 = np.radians(lat2), np.radians(lon2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    km: NDArray[np.float64] = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return km


def geodesic_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """WGS-84 ellipsoidal distance in km, for the figure a coordinator reads.

    Calls geographiclib, the solver behind geopy's ``geodesic``, directly: the same figure without
    geopy's point parsing, which cost more than the solution itself.
    """
    return float(Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2, Geodesic.DISTANCE)["s12"]) / 1000.0
