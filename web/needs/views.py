"""HTTP routes for residents' requests: public submission and follow-up, staff triage."""
from flask import current_app
from flask.views import MethodView
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint

from ..auth import policy
from ..auth.context import PUBLIC_DOC, current_principal
from ..common.pagination import SQLPage
from ..common.text import msg
from ..security import spend
from ..services import needs
from .schemas import (
    NeedDetailSchema,
    NeedFollowUpSchema,
    NeedPatchSchema,
    NeedQuerySchema,
    NeedReceiptSchema,
    NeedSchema,
    NeedSubmitSchema,
    NeedTaskSchema,
    NeedTokenHeaderSchema,
    NeedTokenQuerySchema,
    RatingSchema,
)

blp = Blueprint("needs", __name__, url_prefix="/api/v1/needs", description="Residents' requests for help")

# The resident's own routes live under /needs/follow/: a path of its own (OpenAPI counts /needs/{id} and
# /needs/{reference} as one path).
REFERENCE = "follow/<string(length=9):reference>"


def _token(query, headers):
    """The request's secret token, from ?t= or the X-Need-Token header."""
    return query.get("t") or headers.get("token")


@blp.route("")
class Needs(MethodView):
    @blp.arguments(NeedQuerySchema, location="query")
    @blp.response(200, NeedSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, filters):
        """The triage list (staff): a coordinator's stations' queues and what their stations took; admins all.

        Most urgent first, then oldest; closed requests only when a `status` asks for them. Phones are
        masked (addresses and points left out) until the caller's station has taken the request.
        """
        return needs.listing(current_principal(), filters)

    @blp.doc(**PUBLIC_DOC)
    @blp.arguments(NeedSubmitSchema)
    @blp.response(201, NeedReceiptSchema)
    def post(self, data):
        """Ask for help (no account needed; a coordinator may submit on a resident's behalf).

        The request goes to the queue of every station whose service area covers its place. The answer
        carries the reference and, once, the secret token and follow-up link. Without a staff token,
        NEED_SUBMIT_RATE_LIMIT requests per address (429 beyond).
        """
        actor = current_principal()
        if not policy.is_staff(actor):
            spend(current_app.config["NEED_SUBMIT_RATE_LIMIT"], "need", get_remote_address(),
                  msg("too many requests for help from this address: try again later"))
        return needs.submit(actor, data, current_app.config["PUBLIC_URL"])


@blp.route("/<int(max=2147483647):need_id>")
class NeedsById(MethodView):
    @blp.response(200, NeedDetailSchema)
    def get(self, need_id):
        """Read one request with its history (staff who see it)."""
        return needs.read(current_principal(), need_id)

    @blp.arguments(NeedPatchSchema)
    @blp.response(200, NeedDetailSchema)
    def patch(self, data, need_id):
        """Triage: set `category` or `urgency`; take it for one of your stations (`{"status": "taken",
        "station_id": …}`), mark it `served`, or close it (`{"status": "closed", "reason": …}`)."""
        return needs.change(current_principal(), need_id, data)


@blp.route("/<int(max=2147483647):need_id>/task")
class NeedTask(MethodView):
    @blp.arguments(NeedTaskSchema(partial=True))
    @blp.response(201, NeedDetailSchema)
    def post(self, data, need_id):
        """Turn a taken request into a task of its station (title, skills, place, time and target group from
        the request; the body's task fields win), or attach it to an open task (`{"task_id": …}`)."""
        return needs.to_task(current_principal(), need_id, data)


@blp.route(f"/{REFERENCE}")
class NeedFollowUp(MethodView):
    @blp.doc(**PUBLIC_DOC)
    @blp.arguments(NeedTokenQuerySchema, location="query")
    @blp.arguments(NeedTokenHeaderSchema, location="headers")
    @blp.response(200, NeedFollowUpSchema)
    def get(self, query, headers, reference):
        """The resident follows their request with its secret token (`X-Need-Token` or `?t=`): its state
        and public history. A wrong token is a 404, as an unknown reference."""
        return needs.follow_up(reference, _token(query, headers))


@blp.route(f"/{REFERENCE}/rating")
class NeedRating(MethodView):
    @blp.doc(**PUBLIC_DOC)
    @blp.arguments(NeedTokenQuerySchema, location="query")
    @blp.arguments(NeedTokenHeaderSchema, location="headers")
    @blp.arguments(RatingSchema)
    @blp.response(200, NeedFollowUpSchema)
    def post(self, query, headers, data, reference):
        """The resident rates the service 1-5, with a comment, once it was served (once)."""
        return needs.rate(current_principal(), reference, _token(query, headers), data["rating"], data.get("comment"))
