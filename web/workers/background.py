"""Plan proposals and coverage pictures on the queue: started by a request, run by a worker.

A request checks everything it can at once (so bad input is still a 4xx there), stores the plan
as `proposing` or the picture as `queued`, and enqueues it. The worker does the heavy part (the
matcher over every task and the exact solver; matplotlib) and stores the result in the database,
where any host reads it. A run that raises, or whose worker died (nothing after STALL_AFTER), is
failed saying why: proposing again is cheap, and the caller sees the state, never a hang.
"""
import datetime as dt

from flask import current_app
from sqlalchemy import select

from ..errors import ServiceUnavailable
from ..extensions import db, index_cache
from ..models import Plan, ReportPicture
from ..services import pictures, planning

STALL_AFTER = dt.timedelta(minutes=10)


def _enqueue(name, row_id, fail):
    from .queue import queue_of

    try:
        queue_of(current_app).enqueue(name, row_id)
    except ServiceUnavailable as exc:  # nobody will run it: say so on the row too
        fail(row_id, exc.message)
        raise


def start_plan(actor, station_id, data):
    """Check and store a plan to propose on the queue; return it (`proposing`)."""
    plan = planning.start_proposal(actor, station_id, data)
    _enqueue("propose_plan", plan.id, planning.fail_proposal)
    return plan


def start_picture(actor, filters, lang):
    """Store a coverage picture to draw on the queue; return it (`queued`)."""
    picture = pictures.start(actor, filters, lang)
    _enqueue("draw_picture", picture.id, pictures.fail)
    return picture


def _run(job, fail, row_id, what):
    try:
        job(row_id)
    except Exception as exc:  # noqa: BLE001 - any failure ends the run with its reason on the row
        db.session.rollback()
        current_app.logger.exception("%s %s failed", what, row_id)
        fail(row_id, f"{what} failed ({type(exc).__name__}): try again")
    finally:
        db.session.remove()


def propose_plan(plan_id):
    """The queue task: solve a proposing plan."""
    _run(lambda i: planning.finish_proposal(index_cache(), i), planning.fail_proposal, plan_id, "proposing the plan")


def draw_picture(picture_id):
    """The queue task: draw a queued coverage picture."""
    _run(pictures.draw, pictures.fail, picture_id, "drawing the picture")


def fail_stalled(now):
    """Plans still proposing and pictures still queued after STALL_AFTER lost their worker: fail them."""
    before = now - STALL_AFTER
    why = "its worker stopped before it was done: try again"
    plans = db.session.scalars(select(Plan.id).where(Plan.status == "proposing", Plan.updated_at < before)).all()
    shown = db.session.scalars(select(ReportPicture.id).where(ReportPicture.status == "queued",
                                                              ReportPicture.updated_at < before)).all()
    for plan_id in plans:
        planning.fail_proposal(plan_id, why)
    for picture_id in shown:
        pictures.fail(picture_id, why)
    return {"plans": len(plans), "pictures": len(shown)}
