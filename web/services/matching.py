"""Ranked candidates for a task (stored or not), as a service: hard filters, the service-area rule, audit.

Every match call is in the audit log (who, which task or body, how many people were shown). The
index holds each person's coarse point, never their home (see index_cache.py).
"""
from marshmallow import ValidationError

from ..auth import audit, policy
from ..common.text import msg
from ..extensions import db
from ..models import Station
from .engagement import booked_people
from .stations import check_in_area, place_field

TASK_FIELDS = ("lat", "lon", "starts_at", "ends_at", "skills", "required_skills", "role")
WEIGHTS = ("w_skill", "w_distance", "w_availability", "w_reliability", "w_fairness")


def weights_of(data):
    """The matcher's Weights from the `w_*` options, defaults for those not given."""
    from matcher.types import Weights

    defaults = dict(zip(WEIGHTS, Weights().as_tuple()))
    return Weights(*(data.get(name, defaults[name]) for name in WEIGHTS))


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
        limit=options["limit"] if limit is None else limit, language=options.get("language"),
    )


def could_serve(index_cache, task, volunteer_id):
    """Whether this person passes the stored task's hard filters (place, time, even partly, role, skills)."""
    from matcher.scoring import rank_candidates

    request = match_request(task_fields(task), {"partial": True}, limit=0)
    return volunteer_id in set(rank_candidates(index_cache.fresh_index(), request).ids.tolist())


def _answer(actor, index_cache, task_id, request, detail):
    """Run the matcher on the fresh index, audit the call, and shape the response.

    With fewer results than asked, the answer says how many people each hard filter removed
    (`shortfall`), so a coordinator knows what to relax; otherwise `shortfall` is null.
    """
    from matcher.scoring import score_candidates, shortfall

    index = index_cache.fresh_index()
    results = score_candidates(index, request)
    audit.write(actor, "match", detail={**detail, "results": len(results)})
    db.session.commit()
    return {"task_id": task_id, "results": [vars(m) for m in results],
            "shortfall": shortfall(index, request) if len(results) < request.limit else None}


def for_task(actor, index_cache, task_id, options):
    """Rank candidates for a stored task (admins, or the station's coordinators)."""
    task = policy.station_task_fields(actor, task_id)
    booked = booked_people(task.starts_at, task.ends_at, task.id)
    return _answer(actor, index_cache, task.id, match_request(task._mapping, options, exclude_ids=booked),
                   {"task_id": task.id})


def for_body(actor, index_cache, body):
    """Rank candidates for an unsaved task body (admins and coordinators), inside a station's service area.

    A coordinator's body lies in the area of the station it names, or of one of theirs.
    """
    policy.require(actor, *policy.STAFF)
    station = None
    if body.get("station_id") is not None:
        policy.require_station(actor, body["station_id"])
        station = db.session.get(Station, body["station_id"])
        if station is None:
            raise ValidationError({"station_id": [msg("no station with id {station_id}",
                                                      station_id=body['station_id'])]})
        if "lat" not in body:
            body.update(lat=station.lat, lon=station.lon)
    if "lat" not in body:
        raise ValidationError({"location": [msg("give `location`, an `address`, or a `station_id`")]})
    field = place_field(body)
    bounds = [station] if station is not None else policy.area_stations(actor)
    if bounds is not None:
        check_in_area(bounds, body["lat"], body["lon"], field)
    booked = booked_people(body["starts_at"], body["ends_at"])
    detail = {"body": {k: _plain(v) for k, v in body.items() if k not in ("lat", "lon")},
              "place": [round(body["lat"], 3), round(body["lon"], 3)]}
    return _answer(actor, index_cache, None, match_request(body, body, exclude_ids=booked), detail)


def _plain(value):
    """A body value as JSON the audit log can keep (times as ISO text)."""
    return value.isoformat() if hasattr(value, "isoformat") else value
