"""HTTP routes: ranked candidates for a stored task, or for a task body.

The answer is already plain data in the shape of MatchResponseSchema (the service builds it from
the matcher's Match records), so it is sent as it is: dumping some 20 nested results through
marshmallow took a millisecond, a fifth of a match at 100,000 people. The schema still documents
the answer, and tests/test_matching_api.py checks the two agree.
"""
from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.context import current_principal
from ..extensions import index_cache
from ..i18n import asked_language
from ..services import matching
from .schemas import MatchOptionsSchema, MatchResponseSchema, MatchTaskSchema

blp = Blueprint("matching", __name__, url_prefix="/api/v1", description="Ranked, explained candidates")
# Schema instances, not classes: webargs would build a schema from a class on every request (a
# tenth of a millisecond, copying its fields). Loading holds no state in the schema: one serves all.
MATCH_OPTIONS = MatchOptionsSchema()
MATCH_TASK = MatchTaskSchema()


@blp.route("/tasks/<int(max=2147483647):task_id>/matches")
class TaskMatches(MethodView):
    @blp.arguments(MATCH_OPTIONS, location="query")
    @blp.response(200, MatchResponseSchema)
    def get(self, options, task_id):
        """Rank candidates for a stored task (admins, or the station's coordinators)."""
        options["language"] = asked_language()  # reasons in the reader's language when they say one
        return jsonify(matching.for_task(current_principal(), index_cache(), task_id, options))


@blp.route("/matches")
class Matches(MethodView):
    @blp.arguments(MATCH_TASK)
    @blp.response(200, MatchResponseSchema)
    def post(self, body):
        """Rank candidates for a task body that is not stored (admins and coordinators).

        The place must lie in the service area of the station named, or (coordinators) of one of theirs.
        """
        body["language"] = asked_language()
        return jsonify(matching.for_body(current_principal(), index_cache(), body))
