"""Scheduled jobs (run by the queue's periodic scheduler): each calls a service with the time now."""
from flask import current_app

from ..services import engagement, tasks
from ..types import utcnow
from . import import_jobs


def close_past():
    """Invitations nobody answered expire at their task's start; tasks whose window has passed end."""
    now = utcnow()
    return {"invitations_expired": engagement.expire_unanswered(now), **tasks.close_past(now)}


def restart_stalled_imports():
    """Start again the imports whose worker stopped reporting (it died); fail them after the last attempt."""
    return import_jobs.restart_stalled(utcnow())


def purge_import_files():
    """Delete reports older than REPORT_DAYS, and uploads of jobs that have ended."""
    return import_jobs.purge(utcnow(), current_app.config["REPORT_DAYS"])
