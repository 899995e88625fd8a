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
        "security": [{"bearerAuth": []}, {}],
    }
    # Flask-Limiter: per client address. Use a shared store (redis://...) with several workers.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    SIGNUP_RATE_LIMIT = "20 per hour"
    AUTH_FAILURE_RATE_LIMIT = "30 per minute"
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
    MAX_CONTENT_LENGTH = 100 * 1024 * 1024  # uploads: a 100,000-row export is a few tens of MB

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
                     "AUTH_FAILURE_RATE_LIMIT", "CORS_ORIGINS"):
            if os.environ.get(name):
                settings[name] = os.environ[name]
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
