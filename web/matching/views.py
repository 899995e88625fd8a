"""HTTP routes: ranked candidates for a stored task, or for a task body."""
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from ..auth import policy
from ..engagement.service import booked_people
from ..extensions import db
from ..models import Station
from ..tasks.views import get_task_or_404
from .index_cache import index_cache
from .schemas import MatchOptionsSchema, MatchResponseSchema, MatchTaskSchema, weights_of

blp = Blueprint("matching", __name__, url_prefix="/api/v1", description="Ranked, explained candidates")


def _request(task, options, task_id=None):
    """A stored or unsaved task plus options -> the matcher's MatchRequest."""
    # Imported here, not at module level: scikit-learn and SciPy cost ~100 MB, which CLI jobs
    # such as imports never need.
    from matcher.types import MatchRequest

    return MatchRequest(
        lat=task["lat"], lon=task["lon"], starts_at=task["starts_at"], ends_at=task["ends_at"],
        skills=tuple(task.get("skills", ())), required_skills=tuple(task.get("required_skills", ())),
        role=task.get("role", "any"), max_distance_km=options.get("max_distance_km"),
        partial=options.get("partial", False), weights=weights_of(options), limit=options["limit"],
        exclude_ids=booked_people(task["starts_at"], task["ends_at"], task_id),
    )


def _answer(task_id, request):
    """Run the matcher on the fresh index and shape the response."""
    from matcher.scoring import score_candidates

    results = score_candidates(index_cache().fresh_index(), request)
    return {"task_id": task_id, "results": [vars(m) for m in results]}


@blp.route("/tasks/<int(max=2147483647):task_id>/matches")
class TaskMatches(MethodView):
    @blp.arguments(MatchOptionsSchema, location="query")
    @blp.response(200, MatchResponseSchema)
    def get(self, options, task_id):
        """Rank candidates for a stored task (admins, or the station's coordinators)."""
        principal = policy.require("admin", "coordinator")
        task = get_task_or_404(task_id)
        policy.require_station(principal, task.station_id)
        fields = {"lat": task.lat, "lon": task.lon, "starts_at": task.starts_at, "ends_at": task.ends_at,
                  "skills": task.skills, "required_skills": task.required_skills, "role": task.role}
        return _answer(task.id, _request(fields, options, task.id))


@blp.route("/matches")
class Matches(MethodView):
    @blp.arguments(MatchTaskSchema)
    @blp.response(200, MatchResponseSchema)
    def post(self, body):
        """Rank candidates for a task body that is not stored (admins and coordinators)."""
        principal = policy.require("admin", "coordinator")
        if body.get("station_id") is not None:
            policy.require_station(principal, body["station_id"])
            if "lat" not in body:
                station = db.session.get(Station, body["station_id"])
                if station is None:
                    abort(422, errors={"station_id": [f"no station with id {body['station_id']}"]})
                body.update(lat=station.lat, lon=station.lon)
        if "lat" not in body:
            abort(422, errors={"location": ["give `location`, an `address`, or a `station_id`"]})
        return _answer(None, _request(body, body))
