"""HTTP routes: propose a batch plan for a station's tasks, read it, commit it as invitations."""
from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth import policy
from ..auth.context import current_principal
from ..extensions import index_cache
from ..services import planning
from ..workers import background
from .schemas import PlanRequestSchema, PlanSchema

blp = Blueprint("planning", __name__, url_prefix="/api/v1", description="Batch plans over many tasks")


def _shown(plan):
    plan.assignment_ids = planning.assignment_ids(plan)
    return plan


@blp.route("/stations/<int(max=2147483647):station_id>/plans")
class StationPlans(MethodView):
    @blp.arguments(PlanRequestSchema)
    @blp.response(201, PlanSchema)
    @blp.alt_response(202, schema=PlanSchema, description="with `Prefer: respond-async`: the plan, `proposing`")
    def post(self, data, station_id):
        """Propose who should do what across open tasks (admins, or the station's coordinators).

        Each person gets at most one seat, no task more than its open seats, nobody outside a
        task's hard filters; the summed match score is the maximum possible. The answer also
        gives the unfilled seats with the reason, and the total a greedy one-task-at-a-time pass
        would have reached.

        With the header `Prefer: respond-async` the request is checked at once and the plan is
        solved by a queue worker: the answer is 202 with the plan `proposing` and its `Location`;
        GET it until it is `proposed` (or `failed`, with a `message`).
        """
        if "respond-async" in request.headers.get("Prefer", ""):
            plan = background.start_plan(current_principal(), station_id, data)
            return _shown(plan), 202, {"Location": url_for("planning.PlansById", plan_id=plan.id),
                                       "Preference-Applied": "respond-async"}
        return _shown(planning.propose(current_principal(), index_cache(), station_id, data))


@blp.route("/plans/<int(max=2147483647):plan_id>")
class PlansById(MethodView):
    @blp.response(200, PlanSchema)
    def get(self, plan_id):
        """Read a plan."""
        return _shown(policy.station_plan(current_principal(), plan_id))


@blp.route("/plans/<int(max=2147483647):plan_id>/commit")
class PlanCommit(MethodView):
    json_body = False  # an action: no body to send

    @blp.response(200, PlanSchema)
    def post(self, plan_id):
        """Turn a proposed plan into invitations, all or none: 409 naming every seat whose person
        became unavailable meanwhile (booked, inactive, already asked) or whose task filled up."""
        return _shown(planning.commit(current_principal(), plan_id))
