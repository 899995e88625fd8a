"""volmatch's web service: the Flask app factory."""
import os

import swagger_ui_bundle
from flask import Flask, send_from_directory

from . import i18n  # first: it makes marshmallow's messages translatable before any schema is defined
from .config import TestingConfig, config_class
from .errors import register_error_handlers
from .extensions import api, db, migrate

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")


def create_app(config=None):
    """Build the app; `config` (a dict) overrides the class and environment settings."""
    # Each host keeps its own instance folder (VOLMATCH_INSTANCE_PATH); nothing a request needs lives there.
    app = Flask(__name__, instance_relative_config=True, instance_path=os.environ.get("VOLMATCH_INSTANCE_PATH"))
    os.makedirs(app.instance_path, exist_ok=True)
    settings = dict(config or {})
    cls = TestingConfig if settings.get("TESTING") else config_class()
    app.config.update(cls.from_env(app.instance_path))
    app.config.update(settings)
    app.json.ensure_ascii = False  # Chinese text stays readable in responses
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in the environment outside development and testing")
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app, api)
    register_commands(app)
    return app


def register_extensions(app):
    """Bind the unbound extensions to this app."""
    from .services import versioning  # noqa: F401  (registers the people change marker on every session)
    from .workers import queue

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    api.init_app(app)
    queue.init_app(app)
    i18n.init_app(app)


def register_blueprints(app):
    """Wire every resource's blueprint, and the offline Swagger UI assets."""
    from .auth.context import flush_reads, load_principal
    from .auth.views import blp as audit_blp
    from .auth.views import me_blp
    from .certificates import blp as certificates_blp
    from .console import bp as console_bp
    from .engagement import blp as engagement_blp
    from .imports import blp as imports_blp
    from .matching import blp as matching_blp
    from .needs import blp as needs_blp
    from .notifications import blp as notifications_blp
    from .planning import blp as planning_blp
    from .reports import blp as reports_blp
    from .security import init_security, limit_body
    from .signin import blp as signin_blp
    from .stations import blp as stations_blp
    from .tasks import blp as tasks_blp
    from .volunteers import blp as volunteers_blp
    from .vpages import bp as vpages_bp

    init_security(app)
    for blp in (volunteers_blp, stations_blp, tasks_blp, matching_blp, engagement_blp, planning_blp, reports_blp,
                imports_blp, audit_blp, me_blp, notifications_blp, signin_blp, certificates_blp, needs_blp):
        api.register_blueprint(blp)
    app.register_blueprint(console_bp)  # the HTML console: not part of the OpenAPI document
    app.register_blueprint(vpages_bp)  # the volunteer's pages at /v: likewise
    # Authentication first (401 before any body is read), then the body's size and JSON nesting.
    # The rate limiter checks before these; require_json_body (web/errors.py) after.
    app.before_request(load_principal)
    app.before_request(limit_body)
    app.after_request(flush_reads)

    @app.route("/api/v1/docs/static/<path:filename>")
    def swagger_ui_static(filename):
        """Serve Swagger UI from the installed package: no CDN needed."""
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)


def register_commands(app):
    """Add the CLI jobs (`flask --app web seed-demo`, ...)."""
    from .commands import register

    register(app)
