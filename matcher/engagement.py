"""What past service says about a person: the reliability and fairness factors.

- ``reliability``: completed services against services accepted and then dropped (cancelled
  by the person, or not shown up), with a Laplace prior: ``(completed + 1) / (completed +
  dropped + 2)``. A newcomer scores a neutral 0.5; five completions and no drop score 6/7.
- ``fairness``: fewer recent hours rank a little higher, so the same willing people are not
  asked every time: ``1 / (1 + recent / FAIR_HOURS)``, 1 for someone who has not served lately,
  0.5 at ``FAIR_HOURS`` recent hours.

"Recent hours" are hours served, each decaying with a half-life of ``HALF_LIFE_DAYS``. One
number and its reference time hold the whole history: adding hours decays the old total to the
new reference time and adds the new hours decayed from when they were served.

Examples
--------
>>> round(reliability(0, 0), 3), round(reliability(5, 0), 3), round(reliability(1, 3), 3)
(0.5, 0.857, 0.333)
>>> fairness(0.0), fairness(FAIR_HOURS)
(1.0, 0.5)
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

HALF_LIFE_DAYS = 30.0
FAIR_HOURS = 12.0
_DAY = 86_400.0


def reliability(completed: ArrayLike, dropped: ArrayLike) -> NDArray[np.float64] | float:
    """Share of accepted services that were completed, with one of each assumed beforehand."""
    value = (np.asarray(completed, dtype=float) + 1) / (np.asarray(completed, dtype=float) + np.asarray(dropped, dtype=float) + 2)
    return float(value) if value.ndim == 0 else value


def decayed(hours: ArrayLike, at: ArrayLike, when: float) -> NDArray[np.float64] | float:
    """Recent hours held at POSIX time `at`, seen from `when` (never grown when `when` is earlier)."""
    age_days = np.maximum(when - np.asarray(at, dtype=float), 0.0) / _DAY
    value = np.asarray(hours, dtype=float) * np.exp2(-age_days / HALF_LIFE_DAYS)
    return float(value) if value.ndim == 0 else value


def fairness(recent_hours: ArrayLike) -> NDArray[np.float64] | float:
    """1 for nobody's recent hours, falling smoothly: 0.5 at FAIR_HOURS, 0.25 at three times that."""
    value = 1.0 / (1.0 + np.maximum(np.asarray(recent_hours, dtype=float), 0.0) / FAIR_HOURS)
    return float(value) if value.ndim == 0 else value


def add_hours(total: float, at: float | None, hours: float, served: float) -> tuple[float, float]:
    """Fold `hours` served at POSIX time `served` into a decayed `total` held at `at`.

    Returns the new total and its reference time (the later of `at` and `served`); a record
    added late for an earlier service counts as much as if it had come in time.
    """
    if at is None or total <= 0:
        return float(decayed(hours, served, served)), served
    when = max(at, served)
    return float(decayed(total, at, when)) + float(decayed(hours, served, when)), when
