"""Scheduled jobs (run by the queue's periodic scheduler): each calls a service with the time now."""
import datetime as dt

from flask import current_app

from ..services import engagement, pictures, tasks
from ..types import utcnow
from . import background, import_jobs


def close_past():
    """Invitations nobody answered expire at their task's start; tasks whose window has passed end."""
    now = utcnow()
    return {"invitations_expired": engagement.expire_unanswered(now), **tasks.close_past(now)}


def restart_stalled():
    """Start again the imports whose worker stopped reporting (it died), failing them after the last attempt;
    fail plan proposals and pictures whose worker died."""
    now = utcnow()
    return {"imports_restarted": import_jobs.restart_stalled(now), **background.fail_stalled(now)}


def purge_old_files():
    """Delete import reports and coverage pictures older than REPORT_DAYS, and uploads of jobs that have ended."""
    now, days = utcnow(), current_app.config["REPORT_DAYS"]
    return {"import_files": import_jobs.purge(now, days), "pictures": pictures.purge(now - dt.timedelta(days=days))}
