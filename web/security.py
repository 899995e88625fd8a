"""Rate limits, security headers and optional CORS."""
from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)


def _is_signup():
    """Public sign-up: POST /api/v1/volunteers without a token."""
    return request.method == "POST" and "Authorization" not in request.headers


def init_security(app, blueprints):
    """Bind the limiter, add security headers, enable CORS only when origins are configured."""
    limiter.init_app(app)
    # Sign-up: only anonymous POSTs count. Token failures: only 401 answers count, on every route.
    signup = limiter.limit(lambda: app.config["SIGNUP_RATE_LIMIT"], methods=["POST"], scope="signup",
                           exempt_when=lambda: not _is_signup())
    auth_failures = limiter.shared_limit(lambda: app.config["AUTH_FAILURE_RATE_LIMIT"], scope="auth-failures",
                                         deduct_when=lambda response: response.status_code == 401)
    for blp in blueprints:
        auth_failures(blp)
        if blp.name == "volunteers":
            signup(blp)

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
