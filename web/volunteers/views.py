"""HTTP routes for people."""
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from ..auth import policy
from ..auth.principal import current_principal
from ..common.pagination import SQLPage
from ..common.queries import json_array_contains
from ..extensions import db
from ..models import Volunteer
from . import service
from .schemas import VolunteerPatchSchema, VolunteerQuerySchema, VolunteerSchema

blp = Blueprint("volunteers", __name__, url_prefix="/api/v1/volunteers", description="Volunteers and social workers")


@blp.route("")
class Volunteers(MethodView):
    @blp.arguments(VolunteerQuerySchema, location="query")
    @blp.response(200, VolunteerSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, filters):
        """List people, filtered by district, skill, role, station or active flag.

        Admins list everyone; coordinators the people of their stations.
        """
        principal = policy.require("admin", "coordinator")
        stmt = select(Volunteer).order_by(Volunteer.id)
        if principal.role == "coordinator":
            stmt = stmt.where(Volunteer.station_id.in_(principal.station_ids))
        for name in ("district", "role", "station_id", "active"):
            if name in filters:
                stmt = stmt.where(getattr(Volunteer, name) == filters[name])
        if "skill" in filters:
            stmt = stmt.where(json_array_contains(Volunteer.skills, filters["skill"]))
        return stmt

    @blp.arguments(VolunteerSchema)
    @blp.response(201, VolunteerSchema)
    def post(self, data):
        """Register a volunteer or social worker.

        Without a token this is public sign-up: the answer carries, once, the new person's own token.
        """
        principal = current_principal()
        if principal.role == "volunteer":
            abort(403, message="you are already registered")
        if principal.role is None and "tier" in data and data["tier"] != "regular":
            abort(403, message="only a station may set `tier`")
        if principal.role == "coordinator" and data.get("station_id") is not None:
            policy.require_station(principal, data["station_id"])
        return service.create_volunteer(data, issue_token=principal.role is None)


@blp.route("/<int(max=2147483647):volunteer_id>")
class VolunteersById(MethodView):
    @blp.response(200, VolunteerSchema)
    def get(self, volunteer_id):
        """Read one person."""
        return visible_person_or_404(volunteer_id)

    @blp.arguments(VolunteerPatchSchema(partial=True))
    @blp.response(200, VolunteerSchema)
    def patch(self, data, volunteer_id):
        """Change some fields of a person (admins, or the person themself)."""
        volunteer = editable_person_or_404(volunteer_id)
        if current_principal().role == "volunteer" and "tier" in data:
            abort(403, message="only a station may set `tier`")
        return service.update_volunteer(volunteer, data)

    @blp.response(204)
    def delete(self, volunteer_id):
        """Delete a person and their personal data (admins, or the person themself)."""
        service.delete_volunteer(editable_person_or_404(volunteer_id))


def visible_person_or_404(volunteer_id):
    """The person, if the caller may know they exist; 404 otherwise, so ids reveal nothing."""
    principal = policy.require("admin", "coordinator", "volunteer")
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None or not policy.can_see_person(principal, volunteer):
        abort(404, message=f"no person with id {volunteer_id}")
    return volunteer


def editable_person_or_404(volunteer_id):
    """The person, if the caller may change them: admins and the person; 403 for coordinators."""
    volunteer = visible_person_or_404(volunteer_id)
    if current_principal().role == "coordinator":
        abort(403, message="coordinators may not change a person's profile")
    return volunteer
