"""HTTP routes for people."""
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

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
        """List people, filtered by district, skill, role, station or active flag."""
        stmt = select(Volunteer).order_by(Volunteer.id)
        for name in ("district", "role", "station_id", "active"):
            if name in filters:
                stmt = stmt.where(getattr(Volunteer, name) == filters[name])
        if "skill" in filters:
            stmt = stmt.where(json_array_contains(Volunteer.skills, filters["skill"]))
        return stmt

    @blp.arguments(VolunteerSchema)
    @blp.response(201, VolunteerSchema)
    def post(self, data):
        """Register a volunteer or social worker."""
        return service.create_volunteer(data)


@blp.route("/<int(max=2147483647):volunteer_id>")
class VolunteersById(MethodView):
    @blp.response(200, VolunteerSchema)
    def get(self, volunteer_id):
        """Read one person."""
        return db.get_or_404(Volunteer, volunteer_id, description=f"no person with id {volunteer_id}")

    @blp.arguments(VolunteerPatchSchema(partial=True))
    @blp.response(200, VolunteerSchema)
    def patch(self, data, volunteer_id):
        """Change some fields of a person."""
        volunteer = db.get_or_404(Volunteer, volunteer_id, description=f"no person with id {volunteer_id}")
        return service.update_volunteer(volunteer, data)

    @blp.response(204)
    def delete(self, volunteer_id):
        """Delete a person and their personal data."""
        volunteer = db.get_or_404(Volunteer, volunteer_id, description=f"no person with id {volunteer_id}")
        service.delete_volunteer(volunteer)
