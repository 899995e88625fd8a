"""Whether one person passes a stored task's hard filters, from the process's fresh index."""
from .index_cache import index_cache
from .requests import match_request, task_fields


def could_serve(task, volunteer_id):
    """Whether this person passes the stored task's hard filters (place, time, even partly, role, skills)."""
    from matcher.scoring import rank_candidates

    request = match_request(task_fields(task), {"partial": True}, limit=0)
    return volunteer_id in set(rank_candidates(index_cache().fresh_index(), request).ids.tolist())
