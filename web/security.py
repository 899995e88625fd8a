"""Rate limits, security headers and optional CORS."""
from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


def _is_signup():
    """Public sign-up: POST /api/v1/volunteers without a token."""
    return (request.method == "POST" and request.endpoint == "volunteers.Volunteers"
            and "Authorization" not in request.headers)


# Limits read the app's settings when a request arrives, so one limiter serves every app.
limiter = Limiter(
    key_func=get_remote_address,
    # Sign-up: the per-route default limit, exempt for everything but anonymous sign-up.
    default_limits=[lambda: current_app.config["SIGNUP_RATE_LIMIT"]],
    default_limits_exempt_when=lambda: not _is_signup(),
    # Token failures: one app-wide budget, spent only by 401 answers.
    application_limits=[lambda: current_app.config["AUTH_FAILURE_RATE_LIMIT"]],
    application_limits_deduct_when=lambda response: response.status_code == 401,
)


def init_security(app):
    """Bind the limiter, add security headers, enable CORS only when origins are configured."""
    limiter.init_app(app)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if response.mimetype == "application/json":
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        return response

    origins = app.config.get("CORS_ORIGINS")
    if origins:
        from flask_cors import CORS

        CORS(app, resources={r"/api/*": {"origins": origins.split(",")}})
