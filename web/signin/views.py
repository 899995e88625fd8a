"""HTTP routes: sign-in and sign-up with a one-time SMS code; sign-out; one-tap invitation links.

All but sign-out are public; each spends a rate budget in the shared store (web/security.spend):
codes per phone and per address, code checks per address.
"""
from flask import current_app, request
from flask.views import MethodView
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint

from ..auth.context import PUBLIC_DOC, answer_as, current_principal
from ..auth.principal import Principal
from ..common.text import msg
from ..security import spend
from ..services import links, signin
from ..volunteers.schemas import VolunteerSchema
from .schemas import (
    CodeRequestSchema,
    CodeSentSchema,
    LinkAnswerSchema,
    LinkedInvitationSchema,
    SessionRequestSchema,
    SessionSchema,
    SignUpSchema,
)

blp = Blueprint("signin", __name__, url_prefix="/api/v1", description="Sign-in by SMS code, invitation links")


def _secret():
    return current_app.config["SECRET_KEY"]


@blp.route("/sign-in/codes")
class Codes(MethodView):
    @blp.doc(**PUBLIC_DOC)
    @blp.arguments(CodeRequestSchema)
    @blp.response(202, CodeSentSchema)
    def post(self, body):
        """Send a 6-digit code to a mobile number (valid 5 minutes, 5 tries, once). The answer is the
        same whether or not someone is registered with the number. 429 past SIGNIN_CODES_PER_PHONE
        for one number or SIGNIN_CODES_PER_ADDRESS from one address."""
        config = current_app.config
        phone = signin.phone_or_error(body["phone"])
        spend(config["SIGNIN_CODES_PER_ADDRESS"], "code-address", get_remote_address(),
              msg("too many codes asked from this address: try again later"))
        spend(config["SIGNIN_CODES_PER_PHONE"], "code-phone", phone,
              msg("too many codes for this number: try again later"))
        signin.request_code(phone, _secret())
        return {"sent": True, "expires_in": int(signin.CODE_LIFE.total_seconds())}


@blp.route("/sign-in/sessions")
class Sessions(MethodView):
    @blp.doc(**PUBLIC_DOC)
    @blp.arguments(SessionRequestSchema)
    @blp.response(200, SessionSchema)
    def post(self, body):
        """Spend a code: a registered person gets a session token (kept on the device until signed
        out); an unregistered number gets a proof of the phone to sign up with. 401 for a wrong,
        expired or used code (5 tries per code)."""
        spend(current_app.config["SIGNIN_CHECKS_PER_ADDRESS"], "code-check", get_remote_address(),
              "too many code checks from this address: try again later")
        return signin.sign_in(body["phone"], body["code"], _secret())

    @blp.response(204)
    def delete(self):
        """Sign out: the person's token this request carries stops working (403 for staff tokens, which
        admins revoke)."""
        signin.sign_out(current_principal())


@blp.route("/sign-in/sign-up")
class SignUp(MethodView):
    @blp.doc(**PUBLIC_DOC)
    @blp.arguments(SignUpSchema)
    @blp.response(201, VolunteerSchema)
    def post(self, data):
        """Register with a proven phone (the proof from POST /sign-in/sessions); the answer carries, once,
        the new person's token."""
        body = request.get_json(silent=True)
        sent = frozenset(body) - {"proof"} if isinstance(body, dict) else frozenset()
        proof = data.pop("proof")
        person = signin.sign_up(proof, data, sent, _secret())
        answer_as(Principal("volunteer", volunteer_id=person.id, via=request.path, name="sign-up"))
        return person


@blp.route("/invitation-links/<string(maxlength=200):token>")
class InvitationLink(MethodView):
    @blp.doc(**PUBLIC_DOC)
    @blp.response(200, LinkedInvitationSchema)
    def get(self, token):
        """The invitation a one-tap link stands for (404 for no such link; 409 once used, answered, or
        once the task has started)."""
        return links.open_link(token, _secret())

    @blp.doc(**PUBLIC_DOC)
    @blp.arguments(LinkAnswerSchema)
    @blp.response(200, LinkedInvitationSchema)
    def post(self, body, token):
        """Accept or decline the invitation, as its person, without signing in; the link then stops working."""
        spend(current_app.config["SIGNIN_CHECKS_PER_ADDRESS"], "link", get_remote_address(),
              "too many link answers from this address: try again later")
        return links.answer(token, body["status"], _secret())
