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


_A, _F = Geodesic.WGS84.a, Geodesic.WGS84.f  # WGS-84 semi-major axis (m) and flattening
_B = _A * (1 - _F)


def geodesic_km_many(lat1: float, lon1: float, lat2: NDArray[np.float64], lon2: NDArray[np.float64]) -> NDArray[np.float64]:
    """`geodesic_km` from one point to many at once: Vincenty's inverse formula, vectorised.

    Vincenty agrees with Karney's algorithm (geographiclib) to well under a millimetre except near
    antipodal points, where it may not converge; those pairs (never a few hundred km apart) fall
    back to `geodesic_km`. One numpy pass for the 20 results of a match instead of 20 solver calls.
    """
    lat2, lon2 = np.asarray(lat2, dtype=float), np.asarray(lon2, dtype=float)
    u1 = np.arctan((1 - _F) * np.tan(np.radians(lat1)))
    u2 = np.arctan((1 - _F) * np.tan(np.radians(lat2)))
    big_l = np.radians(lon2 - lon1)
    sin_u1, cos_u1, sin_u2, cos_u2 = np.sin(u1), np.cos(u1), np.sin(u2), np.cos(u2)
    # Products the loop needs, formed once: the same operands in the same order, so the same bits.
    cos_cos, sin_sin, cos_sin, sin_cos = cos_u1 * cos_u2, sin_u1 * sin_u2, cos_u1 * sin_u2, sin_u1 * cos_u2
    twice_sin_sin = 2 * sin_u1 * sin_u2
    lam = big_l.copy()
    done = np.zeros(lat2.shape, dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):  # once, not per iteration: it costs more than a step
        for _ in range(200):
            sin_lam, cos_lam = np.sin(lam), np.cos(lam)
            sin_sigma = np.hypot(cos_u2 * sin_lam, cos_sin - sin_cos * cos_lam)
            cos_sigma = sin_sin + cos_cos * cos_lam
            sigma = np.arctan2(sin_sigma, cos_sigma)
            sin_alpha = np.where(sin_sigma > 0, cos_cos * sin_lam / sin_sigma, 0.0)
            cos2_alpha = 1 - sin_alpha**2
            cos_2sm = np.where(cos2_alpha > 0, cos_sigma - twice_sin_sin / cos2_alpha, 0.0)
            c = _F / 16 * cos2_alpha * (4 + _F * (4 - 3 * cos2_alpha))
            previous = lam
            lam = big_l + (1 - c) * _F * sin_alpha * (
                sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2)))
            done = np.abs(lam - previous) < 1e-12
            if done.all():
                break
    u_sq = cos2_alpha * (_A**2 - _B**2) / _B**2
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    delta_sigma = big_b * sin_sigma * (cos_2sm + big_b / 4 * (
        cos_sigma * (-1 + 2 * cos_2sm**2) - big_b / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)))
    km: NDArray[np.float64] = _B * big_a * (sigma - delta_sigma) / 1000.0
    for i in np.flatnonzero(~done):
        km[i] = geodesic_km(lat1, lon1, float(lat2[i]), float(lon2[i]))
    return km


COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def compass_points(lat1: float, lon1: float, lat2: NDArray[np.float64], lon2: NDArray[np.float64]) -> list[str]:
    """The 8-point compass direction from one point to each of many ("" for the same point).

    Coarse on purpose: enough to draw candidates around a task without revealing where they live.
    """
    p1, p2 = np.radians(lat1), np.radians(np.asarray(lat2, dtype=float))
    dl = np.radians(np.asarray(lon2, dtype=float) - lon1)
    bearing = np.degrees(np.arctan2(np.sin(dl) * np.cos(p2), np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)))
    sector = np.round((bearing % 360) / 45).astype(int) % 8
    same = (np.asarray(lat2) == lat1) & (np.asarray(lon2) == lon1)
    return ["" if s else COMPASS[k] for k, s in zip(sector.tolist(), same.tolist())]


KM_PER_DEGREE_LAT = EARTH_RADIUS_KM * np.pi / 180  # about 111.195 km on the haversine sphere


def coarse_points(lat: NDArray[np.float64], lon: NDArray[np.float64],
                  cell_km: float = 0.5) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The centre of each point's grid cell of about `cell_km` x `cell_km`: a fixed coarse point per person.

    Rows of the grid are ``dlat = cell_km / KM_PER_DEGREE_LAT`` degrees high; row ``i`` is cut
    into cells ``dlon = dlat / cos(centre latitude of the row)`` degrees wide, so cells are about
    `cell_km` wide at the row's centre. Every point of a cell maps to the same centre, at most about
    ``0.71 * cell_km`` away; the same input always gives the same output (nothing random to average out).
    Near the poles the cosine is held at 1e-6 or more; latitudes stay in [-90, 90] and longitudes
    are wrapped into [-180, 180).

    Parameters
    ----------
    lat, lon : array_like of float, broadcastable to a common shape S
        Points in degrees.
    cell_km : float
        Cell side in km.

    Returns
    -------
    (clat, clon) : tuple of two float64 arrays of shape S
        The cell centres in degrees.

    Examples
    --------
    >>> clat, clon = coarse_points(np.array([29.5935, 29.5945]), np.array([106.5289, 106.5299]))
    >>> np.round(clat, 6).tolist(), np.round(clon, 6).tolist()
    ([29.594385, 29.594385], [106.529764, 106.529764])
    """
    lat, lon = np.broadcast_arrays(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float))
    dlat = cell_km / KM_PER_DEGREE_LAT
    clat = np.clip((np.floor(lat / dlat) + 0.5) * dlat, -90.0, 90.0)
    dlon = dlat / np.maximum(np.cos(np.radians(clat)), 1e-6)
    lon = (lon + 180.0) % 360.0 - 180.0
    clon = ((np.floor(lon / dlon) + 0.5) * dlon + 180.0) % 360.0 - 180.0
    return clat, clon


def coarse_point(lat: float, lon: float, cell_km: float = 0.5) -> tuple[float, float]:
    """`coarse_points` for one point: ``coarse_point(29.5935, 106.5289)`` is about (29.594385, 106.529764)."""
    clat, clon = coarse_points(np.array(lat), np.array(lon), cell_km)
    return float(clat), float(clon)
