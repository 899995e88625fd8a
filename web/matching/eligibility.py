"""Whether one person passes a stored task's hard filters, from the process's fresh index."""
from .index_cache import index_cache


def could_serve(task, volunteer_id):
    """Whether this person passes the stored task's hard filters (place, time, even partly, role, skills)."""
    from matcher.scoring import rank_candidates
    from matcher.types import MatchRequest

    request = MatchRequest(lat=task.lat, lon=task.lon, starts_at=task.starts_at, ends_at=task.ends_at,
                           skills=tuple(task.skills), required_skills=tuple(task.required_skills), role=task.role,
                           partial=True, limit=0)
    return volunteer_id in set(rank_candidates(index_cache().fresh_index(), request).ids.tolist())
