"""HTTP routes: ranked candidates for a stored task, or for a task body."""
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from ..auth import policy
from ..engagement.service import booked_people
from ..extensions import db
from ..models import Station
from ..tasks.views import station_task_or_404
from .index_cache import index_cache
from .requests import match_request, task_fields
from .schemas import MatchOptionsSchema, MatchResponseSchema, MatchTaskSchema

blp = Blueprint("matching", __name__, url_prefix="/api/v1", description="Ranked, explained candidates")


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
        task = station_task_or_404(task_id)
        booked = booked_people(task.starts_at, task.ends_at, task.id)
        return _answer(task.id, match_request(task_fields(task), options, exclude_ids=booked))


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
        booked = booked_people(body["starts_at"], body["ends_at"])
        return _answer(None, match_request(body, body, exclude_ids=booked))
