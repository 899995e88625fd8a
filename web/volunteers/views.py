"""HTTP routes for people."""
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth import policy
from ..auth.context import PUBLIC_DOC, answer_as, current_principal
from ..auth.principal import Principal
from ..common.pagination import SQLPage
from ..services import people
from .schemas import PersonImportSchema, VolunteerPatchSchema, VolunteerQuerySchema, VolunteerSchema

blp = Blueprint("volunteers", __name__, url_prefix="/api/v1/volunteers", description="Volunteers and social workers")


def _sent():
    """The fields the caller wrote in the body (a `district` the schema derived is not one of them)."""
    body = request.get_json(silent=True)
    return frozenset(body) if isinstance(body, dict) else frozenset()


@blp.route("")
class Volunteers(MethodView):
    @blp.arguments(VolunteerQuerySchema, location="query")
    @blp.response(200, VolunteerSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, filters):
        """List or search people, filtered by district, skill, role, station, request to join, or active flag.

        Admins list everyone; coordinators the members of their stations and the people asking to join them.
        `q` searches names (any part), phone digits (any part, among the phones the caller may read: a
        coordinator's members and people who accepted their stations' tasks), volunteer numbers and
        external ids; phones in the answer are masked as on every read.
        """
        return people.listing(current_principal(), filters)

    @blp.arguments(VolunteerSchema)
    @blp.response(201, VolunteerSchema)
    @blp.doc(**PUBLIC_DOC)
    def post(self, data):
        """Register a volunteer or social worker.

        Without a token this is public sign-up: the answer carries, once, the new person's own token.
        Staff set `role`, `tier`, `external_id`, `district` and membership (`station_id`); a person
        may ask to join a station with `requested_station_id`.
        """
        actor = current_principal()
        person = people.create(actor, data, _sent())
        if actor.role is None:  # public sign-up: the new person reads their own answer, unmasked
            answer_as(Principal("volunteer", volunteer_id=person.id, via=actor.via, name="sign-up"))
        return person


@blp.route("/<int(max=2147483647):volunteer_id>")
class VolunteersById(MethodView):
    @blp.response(200, VolunteerSchema)
    def get(self, volunteer_id):
        """Read one person."""
        return policy.visible_person(current_principal(), volunteer_id)

    @blp.arguments(VolunteerPatchSchema(partial=True))
    @blp.response(200, VolunteerSchema)
    def patch(self, data, volunteer_id):
        """Change some fields of a person (admins, the person, or a coordinator of the person's station).

        A coordinator answers a request to join one of their stations by setting that `station_id`
        (or declines it by clearing `requested_station_id`).
        """
        return people.update(current_principal(), volunteer_id, data, _sent())

    @blp.response(204)
    def delete(self, volunteer_id):
        """Delete a person and their personal data (admins, or the person themself)."""
        people.delete_person(current_principal(), volunteer_id)


@blp.route("/<int(max=2147483647):volunteer_id>/imports")
class PersonImports(MethodView):
    @blp.response(200, PersonImportSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, volunteer_id):
        """The uploaded imports that created or updated a person, newest first (staff).

        Coordinators see their own stations' imports. Imports run from the command line have no job
        and are not listed (the audit log names their file).
        """
        return people.imports_of(current_principal(), volunteer_id)
