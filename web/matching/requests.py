"""Tasks (stored or not) and match options -> the matcher's MatchRequest: one conversion for every caller."""
from .schemas import weights_of

TASK_FIELDS = ("lat", "lon", "starts_at", "ends_at", "skills", "required_skills", "role")


def task_fields(task):
    """A stored Task as the mapping `match_request` reads (a task body already is one)."""
    return {name: getattr(task, name) for name in TASK_FIELDS}


def match_request(task, options, *, exclude_ids=frozenset(), limit=None):
    """The MatchRequest for a task mapping, the `max_distance_km`/`partial`/`w_*` options, and who to leave out.

    ``limit`` defaults to ``options["limit"]``.
    """
    # Imported here, not at module level: the app starts without the matcher's heavy imports,
    # which CLI jobs such as imports never need.
    from matcher.types import MatchRequest

    return MatchRequest(
        lat=task["lat"], lon=task["lon"], starts_at=task["starts_at"], ends_at=task["ends_at"],
        skills=tuple(task.get("skills") or ()), required_skills=tuple(task.get("required_skills") or ()),
        role=task.get("role") or "any", max_distance_km=options.get("max_distance_km"),
        partial=options.get("partial", False), weights=weights_of(options), exclude_ids=exclude_ids,
        limit=options["limit"] if limit is None else limit,
    )
