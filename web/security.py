"""Hostile input refused early: body limits per kind of route, bounded JSON nesting, rate limits kept in
a shared store, trusted proxies; plus security headers and optional CORS."""
import math
import re
import time
from itertools import accumulate

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from .auth.principal import hash_token
from .common.text import msg
from .errors import BadRequest, PayloadTooLarge, TooManyRequests

# Routes that take files, as (method, endpoint): they have their own, larger, body limit.
UPLOADS = frozenset({("POST", "imports.Imports")})


def _is_signup():
    """Public sign-up: POST /api/v1/volunteers without a token."""
    return (request.method == "POST" and request.endpoint == "volunteers.Volunteers"
            and "Authorization" not in request.headers)


def _presented_token():
    """The bearer token the request carries, if any (not yet checked)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def caller_key():
    """Whom a rate limit counts: the token presented (by its hash), else the client address."""
    token = _presented_token()
    return "token:" + hash_token(token) if token else get_remote_address()


def init_security(app):
    """Trust the configured proxies, bind a rate limiter, add security headers, enable CORS if configured."""
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Each trusted proxy appends the address it saw: the client is that many entries from the right.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    # One limiter per app, its storage from RATELIMIT_STORAGE_URI: Redis makes workers and hosts share budgets.
    api_limit = app.config.get("API_RATE_LIMIT")
    app.extensions["volmatch.limiter"] = Limiter(
        caller_key,
        app=app,
        # Sign-up: the per-route default limit, exempt for everything but anonymous sign-up.
        default_limits=[app.config["SIGNUP_RATE_LIMIT"]],
        default_limits_exempt_when=lambda: not _is_signup(),
        # Every request, when configured: per token for signed-in callers, per address for the others.
        application_limits=[api_limit] if api_limit else [],
    )

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


def spend_token_failure():
    """A request presented a bad token: count it against its address; 429 once the budget is spent.
    Only such requests count and only they are refused: the same address with a valid token, or
    with none, is never held up by someone else's guessing.
    """
    spend(current_app.config["AUTH_FAILURE_RATE_LIMIT"], "bad-token", get_remote_address(),
          msg("too many invalid tokens from this address: try again later"))


def spend(limit, kind, who, message):
    """Count one against `who`'s budget of `kind` (a rate like "5 per hour"), in the limiter's store
    (Redis when configured); 429 with Retry-After once it is spent. For budgets that only some
    requests spend (bad tokens, sign-in codes per phone), which route decorators cannot express.
    """
    limiter = current_app.extensions.get("volmatch.limiter")
    if limiter is None or not limiter.enabled:
        return
    limit = parse(limit)
    key = (current_app.config.get("RATELIMIT_KEY_PREFIX") or "volmatch", kind, who)
    counter = limiter.limiter
    try:
        allowed = counter.hit(limit, *key)
    except Exception:  # noqa: BLE001 - the shared store is unreachable: count in this process, as Flask-Limiter does
        current_app.logger.warning("rate-limit store unreachable: counting %s in memory", kind, exc_info=True)
        counter = current_app.extensions.setdefault("volmatch.memory_limiter", MovingWindowRateLimiter(MemoryStorage()))
        allowed = counter.hit(limit, *key)
    if not allowed:
        reset = counter.get_window_stats(limit, *key).reset_time
        raise TooManyRequests(message, retry_after=max(1, math.ceil(reset - time.time())))


def limit_body():
    """before_request, after authentication: size the body by kind of route, refuse deep JSON.

    A declared Content-Length over the limit is refused unread; a chunked body is cut off at the
    limit while it is read (werkzeug's stream enforces `request.max_content_length`).
    """
    if request.url_rule is None:
        return  # the router answers 404/405; nothing reads the body
    config = current_app.config
    if (request.method, request.endpoint) in UPLOADS:
        limit = config["MAX_UPLOAD_BODY"]
    elif "Authorization" not in request.headers:  # anonymous: the gate let only public operations through
        limit = config["MAX_ANONYMOUS_BODY"]
    else:
        limit = config["MAX_JSON_BODY"]
    request.max_content_length = limit
    too_large = PayloadTooLarge(msg("the body is larger than the {limit} bytes allowed here", limit=limit))
    if (request.content_length or 0) > limit:
        raise too_large
    if not request.is_json:
        return
    try:
        body = request.get_data(cache=True)  # kept for the parser; at most `limit` bytes are read
    except RequestEntityTooLarge:
        raise too_large from None
    if request.content_length is None and len(body) >= limit:
        raise too_large  # a chunked body: werkzeug's stream stops at the limit without saying so
    depth = config["MAX_JSON_DEPTH"]
    if json_too_deep(body, depth):
        # json.loads recurses per level: deep enough, it fails with RecursionError (a 500).
        raise BadRequest(msg("JSON nested deeper than {depth} levels",
                             depth=depth), {"_body": [msg("at most {depth} levels of nesting", depth=depth)]})


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # a JSON string (no nested quantifiers: no backtracking blow-up)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_STEP = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _STEP[_open], _STEP[_close] = 1, -1


def json_too_deep(body, limit):
    """Whether JSON text nests arrays and objects deeper than `limit` (brackets inside strings do not count)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # the usual body: too few brackets to be that deep
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit
