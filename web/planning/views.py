"""HTTP routes: propose a batch plan for a station's tasks, read it, commit it as invitations."""
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth import policy
from ..models import Plan
from ..stations.views import get_station_or_404
from . import service
from .schemas import PlanRequestSchema, PlanSchema

blp = Blueprint("planning", __name__, url_prefix="/api/v1", description="Batch plans over many tasks")


def _shown(plan):
    plan.assignment_ids = service.assignment_ids(plan)
    return plan


def plan_or_404(plan_id):
    """The plan, for admins and its station's coordinators; 404 for others."""
    return policy.station_object_or_404(Plan, plan_id, "plan")


@blp.route("/stations/<int(max=2147483647):station_id>/plans")
class StationPlans(MethodView):
    @blp.arguments(PlanRequestSchema)
    @blp.response(201, PlanSchema)
    def post(self, data, station_id):
        """Propose who should do what across open tasks (admins, or the station's coordinators).

        Each person gets at most one seat, no task more than its open seats, nobody outside a
        task's hard filters; the summed match score is the maximum possible. The answer also
        gives the unfilled seats with the reason, and the total a greedy one-task-at-a-time pass
        would have reached.
        """
        policy.require_station(policy.require("admin", "coordinator"), station_id)
        return _shown(service.propose(get_station_or_404(station_id), data))


@blp.route("/plans/<int(max=2147483647):plan_id>")
class PlansById(MethodView):
    @blp.response(200, PlanSchema)
    def get(self, plan_id):
        """Read a plan."""
        return _shown(plan_or_404(plan_id))


@blp.route("/plans/<int(max=2147483647):plan_id>/commit")
class PlanCommit(MethodView):
    json_body = False  # an action: no body to send

    @blp.response(200, PlanSchema)
    def post(self, plan_id):
        """Turn a proposed plan into invitations, all or none: 409 naming every seat whose person
        became unavailable meanwhile (booked, inactive, already asked) or whose task filled up."""
        return _shown(service.commit(plan_or_404(plan_id)))
