"""One-tap invitation links: the invitation SMS (or e-mail) carries a short signed link that opens the
invitation on /v and answers it without a code. Flask-free.

A link is `<assignment id>.<notification id>.<signature>` (an HMAC of the two ids with the app's
secret, by itsdangerous): it names one invitation, so it acts only for that invitation and its
person; it works once (its hash is stored when used), only while the invitation is unanswered,
and expires when the task starts.
"""
import hashlib

from itsdangerous import BadSignature, Signer
from sqlalchemy.exc import IntegrityError

from ..auth.principal import Principal
from ..common.text import msg
from ..errors import Conflict, NotFound
from ..extensions import db
from ..models import Assignment, UsedLink
from ..types import utcnow
from . import engagement

ANSWERS = ("accepted", "declined")


def _signer(secret):
    return Signer(secret, salt="volmatch-invitation-link")


def make(assignment_id, notification_id, secret):
    """The link's token for an invitation."""
    return _signer(secret).sign(f"{assignment_id}.{notification_id}").decode()


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def open_link(token, secret, now=None):
    """The invitation a link stands for, while it may still be answered by it (404 or 409 otherwise)."""
    try:
        assignment_id = int(_signer(secret).unsign(token).decode().split(".")[0])
    except (BadSignature, ValueError):
        raise NotFound(msg("no such invitation link")) from None
    assignment = db.session.get(Assignment, assignment_id, options=engagement.LOADED)
    if assignment is None:
        raise NotFound(msg("no such invitation link"))
    now = now or utcnow()
    if db.session.get(UsedLink, _hash(token)) is not None:
        raise Conflict("link", msg("this link has been used already: open your volunteer page to see the invitation"))
    if now >= assignment.task.starts_at:
        raise Conflict("link", msg("the task has started: this link has expired"))
    if assignment.status != "invited":
        raise Conflict("link", msg("this invitation is {assignment_status}: it cannot be answered here any more",
                                   assignment_status=assignment.status))
    return assignment


def answer(token, status, secret, now=None):
    """Accept or decline the invitation a link stands for, as its person; the link is then used up."""
    assignment = open_link(token, secret, now)
    person = Principal("volunteer", volunteer_id=assignment.volunteer_id, via="/v/i (invitation link)",
                       name="invitation link")
    db.session.add(UsedLink(link_hash=_hash(token)))
    try:
        db.session.flush()  # a second use racing this one fails here
    except IntegrityError:
        db.session.rollback()
        raise Conflict("link", msg("this link has been used already")) from None
    return engagement.change(person, assignment.id, {"status": status})
