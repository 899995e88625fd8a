"""Plain data the matcher works on: people, a match request, weights, and results."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

ROLES = ("volunteer", "social_worker")


@dataclass(frozen=True)
class Person:
    """A volunteer or social worker as the matcher sees them.

    ``availability`` holds weekly slots as ``(day, "HH:MM", "HH:MM")`` with day in mon..sun.
    """

    id: int
    name: str
    lat: float
    lon: float
    role: str = "volunteer"
    max_distance_km: float = 10.0
    skills: tuple[str, ...] = ()
    availability: tuple[tuple[str, str, str], ...] = ()
    active: bool = True
    tier: str = "regular"
    district: str | None = None
    services_completed: int = 0
    services_dropped: int = 0
    recent_hours: float = 0.0  # decayed hours served (see matcher.engagement), held at:
    recent_hours_at: float = 0.0  # POSIX seconds


@dataclass(frozen=True)
class Weights:
    """How much each factor counts; any may be 0, not all. Scores are the weighted mean.

    Reliability and fairness weigh little by default: they order people who fit a task about
    equally well, they do not outrank a better fit.
    """

    skill: float = 0.5
    distance: float = 0.3
    availability: float = 0.2
    reliability: float = 0.1
    fairness: float = 0.05

    def __post_init__(self) -> None:
        values = self.as_tuple()
        if any(v < 0 for v in values) or sum(values) <= 0:
            raise ValueError("weights must be >= 0 and not all 0")

    def as_tuple(self) -> tuple[float, float, float, float, float]:
        """The weights in the order of scoring.FACTORS."""
        return (self.skill, self.distance, self.availability, self.reliability, self.fairness)


@dataclass(frozen=True)
class MatchRequest:
    """A task to staff: what, where, when, who.

    ``max_distance_km`` caps everyone's radius (None: each person's own radius alone);
    ``partial`` admits people free for only part of the window; ``exclude_ids`` are people
    already booked elsewhere at that time.
    """

    lat: float
    lon: float
    starts_at: dt.datetime
    ends_at: dt.datetime
    skills: tuple[str, ...] = ()
    required_skills: tuple[str, ...] = ()
    role: str = "any"
    max_distance_km: float | None = None
    partial: bool = False
    exclude_ids: frozenset[int] = frozenset()
    weights: Weights = field(default_factory=Weights)
    limit: int = 20
    language: str | None = None  # "zh" or "en"; None: Chinese when the task's words are


@dataclass(frozen=True)
class Match:
    """One ranked candidate with the factor scores and short reasons behind its score."""

    volunteer_id: int
    name: str
    role: str
    score: float
    distance_km: float
    components: dict[str, float]
    reasons: list[str]
    district: str | None = None
    direction: str = ""  # where the person lives as seen from the task: N, NE, ... (8 points), "" at the door
