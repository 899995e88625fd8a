"""Configuration: a class per environment, overridden by environment variables."""
import os


def _database_url(default):
    """Return DATABASE_URL, pointing plain postgres URLs at psycopg 3."""
    url = os.environ.get("DATABASE_URL") or default
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "production"
    SECRET_KEY: str | None = None  # set per environment, or from $SECRET_KEY
    SQLALCHEMY_DATABASE_URI = None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    API_TITLE = "volmatch"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/api/v1/docs/static/"
    API_SPEC_OPTIONS = {
        "info": {"description": "Volunteer and social-worker matching for community service stations."},
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        # Every operation needs a token but those of web/auth/context.PUBLIC (documented there, per operation).
        "security": [{"bearerAuth": []}],
    }
    # Rate limits (web/security.py). Memory is per worker process: several workers or hosts share
    # budgets only through a common store (redis://127.0.0.1:6379/0).
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # When the shared store (Redis) is unreachable, count in each worker's memory until it is back,
    # rather than answer 500 or stop limiting.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    SIGNUP_RATE_LIMIT = "20 per hour"  # anonymous sign-ups per client address
    AUTH_FAILURE_RATE_LIMIT = "30 per minute"  # requests with a bad token per client address
    NEED_SUBMIT_RATE_LIMIT = "10 per hour"  # residents' requests without a staff token, per client address
    API_RATE_LIMIT: str | None = None  # every request, per token or per anonymous address (off unless set)
    TRUSTED_PROXIES = 0  # reverse proxies in front whose X-Forwarded-For is believed
    CORS_ORIGINS = None
    JSON_SORT_KEYS = False
    # Deployments serve one city: ambiguous place names (江北区) prefer this province.
    DEFAULT_PROVINCE = "500000"
    DEMO_PEOPLE = 3000
    # The task queue (web/workers/queue.py): redis://… in production; default an SQLite file in the
    # instance folder. QUEUE_EMBEDDED runs a consumer inside the app's own process (development).
    QUEUE_URL: str | None = None
    QUEUE_NAME = "volmatch"
    QUEUE_EMBEDDED = False
    QUEUE_EMBEDDED_WORKERS = 1
    QUEUE_PERIODIC = True  # the scheduled jobs (closing past tasks, restarting stalled imports)
    QUEUE_RETRY_DELAY = 10  # seconds before a failed import runs again
    REPORT_DAYS = 30  # import reports are kept this long
    # Worker processes reading an uploaded file in a queue worker process (web/workers/import_jobs.py):
    # "auto" is one per core for files over 2 MB, as the command line; or a number.
    IMPORT_JOBS: str | int = "auto"
    # Body limits in bytes, per kind of route (web/security.py sizes each request).
    MAX_JSON_BODY = 1024 * 1024
    MAX_ANONYMOUS_BODY = 16 * 1024  # sign-up
    MAX_UPLOAD_BODY = 100 * 1024 * 1024  # a 100,000-row export is a few tens of MB
    MAX_CONTENT_LENGTH = MAX_JSON_BODY  # a backstop: every routed request gets its own limit
    MAX_JSON_DEPTH = 64  # nesting of arrays and objects; json.loads recurses per level
    # Bounds on one import file (README, "Bulk import"): past one the file is refused, the import stops
    # there (rows before it kept) or the row is rejected; none lets a file hold a worker.
    IMPORT_MAX_ROWS = 2_000_000
    IMPORT_MAX_COLUMNS = 200
    IMPORT_MAX_CELL_CHARS = 10_000
    IMPORT_MAX_SHARED_STRINGS = 1_000_000  # .xlsx: openpyxl keeps them all in a list (~100 bytes each)
    IMPORT_MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024  # .xlsx: their XML, unzipped (so at most as many characters)
    IMPORT_MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024  # .xlsx: all its parts unzipped (a zip bomb)
    # Notifications (web/notify/, README "Notifications"). Without SMS_GATEWAY_URL or SMTP_HOST
    # those messages are written to the server log instead (the quick start needs no provider).
    SMS_GATEWAY_URL: str | None = None
    SMS_GATEWAY_KEY: str | None = None  # signs each request (HMAC-SHA256, see web/notify/channels.py)
    SMS_SIGN_NAME = "社区服务站"  # the 【签名】 an SMS starts with
    SMTP_HOST: str | None = None
    SMTP_PORT = 25
    SMTP_FROM = "volmatch@localhost"
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = False
    SIGNIN_CODES_PER_PHONE = "5 per hour"
    SIGNIN_CODES_PER_ADDRESS = "30 per hour"
    SIGNIN_CHECKS_PER_ADDRESS = "60 per hour"  # code checks and link answers
    PUBLIC_URL = "http://127.0.0.1:5000"  # where people open the links their messages carry (the /v pages)
    GROUP_WEBHOOK_HOSTS = ("qyapi.weixin.qq.com",)  # where station group robots may live
    NOTIFY_TIMEOUT = 10  # seconds for one request to a provider
    NOTIFY_MAX_TRIES = 6  # then a delivery is parked as failed, with the reason
    NOTIFY_RETRY_SECONDS = 30  # the first retry; each next one waits twice as long (at most an hour)
    NOTIFY_QUIET_HOURS = "22-8"  # no SMS in these local hours unless the service starts within 2 h
    NOTIFY_SMS_PER_DAY = 10  # per person; more wait for the next morning
    NOTIFY_ON_COMMIT = True  # a delivery run is queued when outbox rows commit (else only every minute)
    NOTIFY_BATCH = 200  # deliveries one run of the delivery job takes on

    @classmethod
    def from_env(cls, instance_path):
        """Build the settings dict for this class from the environment."""
        settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        default_db = "sqlite:///" + os.path.join(instance_path, "volmatch.sqlite")
        settings["SQLALCHEMY_DATABASE_URI"] = _database_url(default_db)
        settings["SECRET_KEY"] = os.environ.get("SECRET_KEY") or cls.SECRET_KEY
        settings["QUEUE_URL"] = os.environ.get("QUEUE_URL") or "sqlite:///" + os.path.join(instance_path, "queue.sqlite")
        if os.environ.get("QUEUE_EMBEDDED"):
            settings["QUEUE_EMBEDDED"] = os.environ["QUEUE_EMBEDDED"].lower() in ("1", "true", "yes")
        for name in ("RATELIMIT_STORAGE_URI", "RATELIMIT_KEY_PREFIX", "QUEUE_NAME", "SIGNUP_RATE_LIMIT",
                     "AUTH_FAILURE_RATE_LIMIT", "API_RATE_LIMIT", "CORS_ORIGINS", "NEED_SUBMIT_RATE_LIMIT"):
            if os.environ.get(name):
                settings[name] = os.environ[name]
        for name in ("PUBLIC_URL", "SMS_GATEWAY_URL", "SMS_GATEWAY_KEY", "SMS_SIGN_NAME", "SMTP_HOST", "SMTP_FROM", "SMTP_USER",
                     "SMTP_PASSWORD", "NOTIFY_QUIET_HOURS"):
            if os.environ.get(name):
                settings[name] = os.environ[name]
        if os.environ.get("SMTP_STARTTLS"):
            settings["SMTP_STARTTLS"] = os.environ["SMTP_STARTTLS"].lower() in ("1", "true", "yes")
        for name in ("MAX_JSON_BODY", "MAX_ANONYMOUS_BODY", "MAX_UPLOAD_BODY", "MAX_JSON_DEPTH", "TRUSTED_PROXIES",
                     "SMTP_PORT", "NOTIFY_TIMEOUT", "NOTIFY_MAX_TRIES", "NOTIFY_RETRY_SECONDS", "NOTIFY_SMS_PER_DAY"):
            if os.environ.get(name):
                settings[name] = int(os.environ[name])
        for name in [k for k in settings if k.startswith("IMPORT_MAX_")]:
            if os.environ.get(name):
                settings[name] = int(os.environ[name])
        if os.environ.get("IMPORT_JOBS"):
            value = os.environ["IMPORT_JOBS"]
            settings["IMPORT_JOBS"] = value if value == "auto" else int(value)
        if os.environ.get("VOLMATCH_DEFAULT_PROVINCE"):
            settings["DEFAULT_PROVINCE"] = os.environ["VOLMATCH_DEFAULT_PROVINCE"]
        return settings


class DevelopmentConfig(Config):
    """Local development: a fixed, public secret is acceptable."""

    ENV_NAME = "development"
    SECRET_KEY = "dev-only-not-secret"
    QUEUE_EMBEDDED = True  # the quick start runs nothing but the development server


class TestingConfig(Config):
    """The test suite: fixed secret, TESTING on."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-only-not-secret"
    RATELIMIT_ENABLED = False  # the rate-limit tests switch it back on
    QUEUE_EMBEDDED = True
    QUEUE_PERIODIC = False  # tests run the scheduled jobs themselves, at the times they choose
    QUEUE_RETRY_DELAY = 0
    NOTIFY_ON_COMMIT = False  # tests deliver at the times they choose (test_notifications turns it on)


CONFIGS = {
    "production": Config,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
}


def config_class():
    """Pick the configuration class named by VOLMATCH_ENV (default development)."""
    name = os.environ.get("VOLMATCH_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"VOLMATCH_ENV must be one of {sorted(CONFIGS)}, not {name!r}") from None
