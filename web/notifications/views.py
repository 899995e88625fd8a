"""HTTP routes: a person's inbox; delivery states and the call list of a task's invitations."""
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.context import current_principal
from ..common.pagination import SQLPage
from ..services import notifications
from .schemas import CallListEntrySchema, InboxEntrySchema, TaskDeliverySchema

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Messages to people and their delivery")


@blp.route("/volunteers/<int(max=2147483647):volunteer_id>/notifications")
class Inbox(MethodView):
    @blp.response(200, InboxEntrySchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, volunteer_id):
        """A person's messages, newest first (the person, or admins)."""
        return notifications.inbox(current_principal(), volunteer_id)


@blp.route("/tasks/<int(max=2147483647):task_id>/deliveries")
class TaskDeliveries(MethodView):
    @blp.response(200, TaskDeliverySchema(many=True))
    def get(self, task_id):
        """How each invitation of a task travelled: per channel queued, sent, failed (and why) or skipped
        (admins, or the station's coordinators)."""
        return notifications.task_deliveries(current_principal(), task_id)


@blp.route("/tasks/<int(max=2147483647):task_id>/call-list")
class CallList(MethodView):
    @blp.response(200, CallListEntrySchema(many=True))
    def get(self, task_id):
        """People still invited whom no SMS or e-mail reached: call them. The phone is shown in full
        only as the privacy rules allow (a member of the station, or once accepted); masked otherwise."""
        return notifications.call_list(current_principal(), task_id)
