"""Delivering the notification outbox (a queue job): claim each due delivery, check the rules, send it
over its channel, record the outcome. Several workers on several hosts may run this at once: each
delivery is claimed by one of them only (web/services/notifications.py).

The job runs every minute on the queue's scheduler, and at once after a transaction that wrote
outbox rows commits (`enqueue_after_commit`): an unreachable queue then only delays the message to
the next scheduled run.
"""
import logging

from flask import current_app
from sqlalchemy import event

from ..extensions import db
from ..notify import channels as channel_kinds
from ..notify import messages
from ..services import notifications
from ..types import utcnow

log = logging.getLogger("volmatch.notify")


def deliver_due(now=None, channels=None, limit=None):
    """Deliver what is due now (at most NOTIFY_BATCH); return counts by outcome."""
    config = current_app.config
    rules = notifications.Rules.from_config(config)
    channels = channels or channel_kinds.from_config(config)
    now = now or utcnow()
    counts = {"sent": 0, "failed": 0, "retry": 0, "skipped": 0, "later": 0, "taken": 0}
    for delivery_id in notifications.due(now, limit or config["NOTIFY_BATCH"]):
        attempt = notifications.claim(delivery_id, now)
        if attempt is None:
            counts["taken"] += 1  # another worker has it
            continue
        try:
            outcome = deliver_one(delivery_id, attempt, now, rules, channels)
        except Exception as exc:  # noqa: BLE001 - a message that cannot be built is parked, not retried for ever
            log.exception("delivery %s failed inside volmatch", delivery_id)
            db.session.rollback()
            notifications.failed(delivery_id, attempt, now, f"internal error: {type(exc).__name__}", rules,
                                 temporary=False)
            outcome = "failed"
        counts[outcome] += 1
    db.session.remove()
    return counts


def deliver_one(delivery_id, attempt, now, rules, channels):
    """Send one claimed delivery; return the outcome's name."""
    delivery, note, person, task, assignment = notifications.load(delivery_id)
    hold = notifications.hold_reason(delivery, note, person, task, assignment, now, rules)
    if hold is not None and hold[0] == "skip":
        notifications.skipped(delivery_id, attempt, hold[1])
        return "skipped"
    if hold is not None:
        notifications.later(delivery_id, attempt, hold[1], hold[2])
        return "later"
    to = notifications.address(delivery, person, task)
    if not to:
        notifications.skipped(delivery_id, attempt, f"no {delivery.channel} address any more")
        return "skipped"
    if delivery.channel == "group":
        message = messages.Message("", messages.render_group(note.kind, note.params, note.language))
    else:
        message = messages.render(note.kind, notifications.params_now(note, task), note.language,
                                  link=answer_link(note, delivery.channel))
    key, secret = f"volmatch-{delivery.id}", note.kind == "sign_in_code"
    note_id, channel = note.id, channels[delivery.channel]
    db.session.rollback()  # no transaction held open while a provider answers
    try:
        channel.send(to, message, key)
    except channel_kinds.TemporaryFailure as exc:
        notifications.failed(delivery_id, attempt, now, str(exc), rules, temporary=True)
        outcome = "retry" if attempt < rules.max_tries else "failed"
    except channel_kinds.PermanentFailure as exc:
        notifications.failed(delivery_id, attempt, now, str(exc), rules, temporary=False)
        outcome = "failed"
    else:
        notifications.sent(delivery_id, attempt, now)
        outcome = "sent"
    if secret and outcome != "retry":
        notifications.forget_secret(note_id)
    return outcome


def answer_link(note, channel):
    """The one-tap link an invitation's SMS or e-mail carries (web/services/links.py), or None."""
    if note.kind != "invitation" or note.assignment_id is None or channel not in ("sms", "email"):
        return None
    from ..services import links

    config = current_app.config
    return config["PUBLIC_URL"].rstrip("/") + "/v/i/" + links.make(note.assignment_id, note.id, config["SECRET_KEY"])


@event.listens_for(db.session, "after_commit")
def _after_commit(session):
    """After a commit that wrote outbox rows, put a delivery run on the app's queue (best effort)."""
    if not session.info.pop("outbox", False) or not current_app or not current_app.config["NOTIFY_ON_COMMIT"]:
        return
    from .queue import queue_of

    try:
        queue_of(current_app).enqueue("deliver_notifications")
    except Exception as exc:  # noqa: BLE001 - the scheduled run delivers it; the commit stands
        log.warning("outbox written, queue unreachable (%s): the next scheduled run delivers it", exc)


@event.listens_for(db.session, "after_rollback")
def _after_rollback(session):
    session.info.pop("outbox", None)
