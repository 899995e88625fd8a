"""HTTP routes: a person's inbox; delivery states and the call list of a task's invitations."""
from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.context import PUBLIC_DOC, current_principal
from ..common.pagination import SQLPage
from ..common.text import msg
from ..errors import Unauthorized
from ..notify.channels import signed_by_gateway
from ..services import notifications
from .schemas import (
    CallListEntrySchema,
    InboxEntrySchema,
    SmsReplyAnswerSchema,
    SmsReplySchema,
    TaskDeliverySchema,
)

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


@blp.route("/notifications/sms-replies")
class SmsReplies(MethodView):
    @blp.doc(**PUBLIC_DOC)
    @blp.arguments(SmsReplySchema)
    @blp.response(200, SmsReplyAnswerSchema)
    def post(self, body):
        """An SMS a person sent back, forwarded by the SMS gateway and signed as its requests are
        (`X-Timestamp`, `X-Signature`: see README, "Notifications"). A stop word (TD, 退订, STOP)
        switches SMS off for that person. 401 without a valid signature made in the last 5 minutes."""
        if not signed_by_gateway(current_app.config["SMS_GATEWAY_KEY"], request.headers.get("X-Timestamp"),
                                 request.headers.get("X-Signature"), request.get_data(cache=True)):
            raise Unauthorized(msg("not signed by the SMS gateway"))
        return {"opted_out": notifications.sms_reply(body["phone"], body["text"])}
