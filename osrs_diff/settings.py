"""Django settings for osrs-diff.

Everything that varies by deployment is read from the environment (django-environ); README.md and
.env.example list every variable. Without DATABASE_URL/REDIS_URL the project runs embedded: SQLite
and a filesystem Celery broker under var/, so `make run` needs nothing but Python.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from osrs_diff import queues

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("OSRS_DIFF_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
# Real environment variables win over both files below.
# 1. VAR_DIR/settings.env: the defaults `make run` / `make demo` / `make manage` ran with
#    (debug, console logs; the demo's fake hiscores), written by the Makefile, so a `manage.py`
#    command run from this checkout sees what those processes see (`var/demo/` never reaches
#    the real hiscores). Production images have no such file.
# 2. A local .env (never committed), for the operator's own choices.
for _env_file in (VAR_DIR / "settings.env", BASE_DIR / ".env"):
    if _env_file.is_file():
        environ.Env.read_env(_env_file, overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)


def _secret_key() -> str:
    key = env.str("DJANGO_SECRET_KEY", default="")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production (DJANGO_DEBUG off) has no default secret "
            "key: set DJANGO_SECRET_KEY to a long random string, or set DJANGO_DEBUG=true for "
            'local use (from a checkout, make manage ARGS="..." runs manage.py with the settings '
            "of make run)."
        )
    # Local development only: a random key kept under var/ so sessions survive restarts.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "dev_secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Browser front-ends on other origins allowed to call the API (django-cors-headers),
# comma-separated like "https://clan.example.com"; empty = no CORS headers at all.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Admin modules are discovered by urls.py, so only processes that serve URLs load them and the
    # API stack they import; beat stays lean with 100,000 schedule entries in memory.
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_celery_results",
    "axes",
    "osrs_diff.apps.OsrsDiffConfig",
    "players.apps.PlayersConfig",
    "hiscores.apps.HiscoresConfig",
    "history.apps.HistoryConfig",
    "drops.apps.DropsConfig",
    "osrs_diff.system.apps.SystemConfig",
]

MIDDLEWARE = [
    "osrs_diff.middleware.RequestIdMiddleware",
    # Request counts and latency per route and status for /metrics (osrs_diff.metrics).
    "osrs_diff.metrics.MetricsMiddleware",
    # Answers CORS preflights itself (before auth) and adds Access-Control-* headers for
    # CORS_ALLOWED_ORIGINS, also to POST /drops answered by the next-but-one middleware.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Answers plain POST /drops itself (the hot path) without sessions, auth and DRF; anything
    # else about /drops goes on to the DRF view (drops/middleware.py).
    "drops.middleware.DropReportMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last (django-axes): turns a session login it refused into 429 (osrs_diff.auth.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "osrs_diff.urls"
WSGI_APPLICATION = "osrs_diff.wsgi.application"
# Routes accept an optional trailing slash themselves; no redirects.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ----
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if "postgresql" in DATABASES["default"]["ENGINE"]:
    # JIT compilation costs more than these short OLTP queries take (measured: 0.8 s spent
    # compiling a leaderboard plan that runs in 0.1 s).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Embedded mode runs web, worker and beat as separate processes on one file: wait for locks
    # instead of failing, and take the write lock up front to avoid upgrade deadlocks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, throttles, rate limiter, breaker, broker ----
REDIS_URL = env.str("REDIS_URL", default="") or None

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "osrs_diff",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    # Embedded mode: one web process, so a per-process cache is enough for throttles.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth ----
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# After the browsable API's or the admin's login/logout: the front door, never /accounts/profile/.
LOGIN_URL = "rest_framework:login"
LOGIN_REDIRECT_URL = "api-root"
LOGOUT_REDIRECT_URL = "front-door"

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_TOKEN_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # The JWT login sends user_logged_in (osrs_diff.views.LoginSerializer), which updates
    # last_login and resets django-axes' failure count, as a session login does.
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Strict claim checks, one-time rotation with reuse detection (osrs_diff.auth.tokens).
    "AUTH_TOKEN_CLASSES": ("osrs_diff.auth.tokens.AccessToken",),
    "TOKEN_REFRESH_SERIALIZER": "osrs_diff.auth.serializers.TokenRefreshSerializer",
    "TOKEN_BLACKLIST_SERIALIZER": "osrs_diff.auth.serializers.TokenBlacklistSerializer",
    # Tokens carry a fingerprint of the password hash: a password change ends every token.
    "CHECK_REVOKE_TOKEN": True,
}
# A rotated refresh token presented again within this many seconds of its rotation is refused
# (401) without revoking its family: the losers of a concurrent refresh, not a thief.
JWT_REFRESH_REUSE_GRACE_SECONDS = env.int("JWT_REFRESH_REUSE_GRACE_SECONDS", default=10)

# One login throttle for /auth/login, /admin/login/ and /api-auth/login/ (django-axes hooks
# authenticate()): failures counted in the database per client address and per username.
AUTHENTICATION_BACKENDS = [
    "osrs_diff.auth.lockout.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "osrs_diff.http.request_client_ip"
AXES_LOCKOUT_CALLABLE = "osrs_diff.auth.lockout.lockout_response"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_VERBOSE = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "osrs_diff.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Reads: authenticated; writes: staff or the model permission the view names.
    "DEFAULT_PERMISSION_CLASSES": ["osrs_diff.permissions.ReadAuthenticatedWriteByPermission"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        # The browsable API with forms pre-filled from each view's `browsable_example`.
        "osrs_diff.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["osrs_diff.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "osrs_diff.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "osrs_diff.exceptions.api_exception_handler",
    # Counts only anonymous reads under PUBLIC_READ; views with their own throttles keep them.
    "DEFAULT_THROTTLE_CLASSES": ["osrs_diff.throttling.PublicReadThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "auth_login": env.str("AUTH_LOGIN_THROTTLE_RATE", default="10/minute"),
        "auth": env.str("AUTH_THROTTLE_RATE", default="30/minute"),
    },
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "osrs-diff API",
    "DESCRIPTION": "Old School RuneScape progress tracking and drop parties.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Assets come from drf-spectacular-sidecar: the docs work with no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Nothing from other hosts: no online validator badge, system fonts instead of Google Fonts
    # (the ReDoc page itself is osrs_diff/templates/osrs_diff/redoc.html).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                "headings": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', sans-serif"},
            }
        }
    },
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "GameModeEnum": "players.game_modes.GameMode",
        "CompetitionStatusEnum": ["upcoming", "ongoing", "finished"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "osrs_diff.schema.strip_optional_trailing_slash",
        "osrs_diff.schema.add_error_responses",
    ],
}

# Largest accepted request body; bigger ones get 413 in the project's error format.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BODY_BYTES", default=1_048_576)

# --- Celery ----
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # An unacknowledged message returns after visibility_timeout: longer than any task's run plus
    # its longest retry countdown, short enough that a killed worker's task comes back soon.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
        # Workers look for expired unacknowledged messages every 10 s, but kombu only scans on
        # every 10th look by default (~100 s): scan on each look, so a dead worker's task comes
        # back within visibility_timeout + 10 s (fault drill 1 measures it).
        "unacked_restore_throttle": 1,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "broker"
    # Worker and web start in parallel under `make run`: the queue folders must exist up front.
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Remote-control messages (worker pings): under var/ too, not the current directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues by purpose (osrs_diff/queues.py): scheduled fetches never delay what a person asked for
# or the system's own jobs. A worker started without -Q consumes all three.
CELERY_TASK_QUEUES = tuple(Queue(name, routing_key=name) for name in queues.QUEUES)
CELERY_TASK_DEFAULT_QUEUE = queues.DEFAULT_QUEUE
CELERY_TASK_ROUTES = queues.TASK_ROUTES
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_RESULT_EXPIRES = timedelta(days=env.int("CELERY_RESULT_EXPIRES_DAYS", default=7))
CELERY_CACHE_BACKEND = "django-cache"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
CELERY_TASK_TRACK_STARTED = True
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULER = env.str(
    "CELERY_BEAT_SCHEDULER", default="osrs_diff.beat:IncrementalDatabaseScheduler"
)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
DJANGO_CELERY_BEAT_TZ_AWARE = True

# --- Internationalisation / time ----
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ----
STATIC_URL = "static/"
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# runserver and tests serve straight from the apps; gunicorn serves collected files.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security (behind a TLS-terminating proxy in production) ----
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "SAMEORIGIN"

# --- Logging ----
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
if LOG_FORMAT not in {"json", "console"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'json' or 'console'.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "osrs_diff.logging.ContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
        "console": {
            "format": "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s%(task_id)s] %(message)s"
        },
    },
    "handlers": {
        "default": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["default"], "level": LOG_LEVEL},
    "loggers": {
        # The request log line comes from our middleware; Django's own duplicates it.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        # One INFO line per outgoing request is noise; the hiscores client logs what matters.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # django-axes logs every login failure at INFO; the lockouts are WARNING.
        "axes": {"level": "WARNING"},
    },
}

# --- Hiscores (hiscores app) ----
OSRS_HISCORES_BASE_URL = env.str("OSRS_HISCORES_BASE_URL", default="https://secure.runescape.com")
# Set but empty (docker compose passes `${VAR:-}` through) counts as unset: Jagex gets a name.
OSRS_HISCORES_USER_AGENT = env.str("OSRS_HISCORES_USER_AGENT", default="") or (
    "osrs-diff/1.0 (OSRS progress tracker; operator: set OSRS_HISCORES_USER_AGENT)"
)
# Requests per second across every process (token bucket in Redis); 0 disables the limit.
OSRS_HISCORES_RATE = env.float("OSRS_HISCORES_RATE", default=0.5)
# Longest a caller queues for a rate-limit slot before failing with "rate limited".
OSRS_HISCORES_MAX_WAIT = env.float("OSRS_HISCORES_MAX_WAIT", default=30.0)
OSRS_HISCORES_CONNECT_TIMEOUT = env.float("OSRS_HISCORES_CONNECT_TIMEOUT", default=5.0)
OSRS_HISCORES_READ_TIMEOUT = env.float("OSRS_HISCORES_READ_TIMEOUT", default=10.0)
# A web request that needs the hiscores (POST /players, update-game-mode, the admin's add form and
# "check game mode") answers within this many seconds: one attempt per board, a rate-limit slot
# only if it fits, else 502 hiscores_unavailable / 503 rate_limited.
OSRS_HISCORES_WEB_DEADLINE = env.float("OSRS_HISCORES_WEB_DEADLINE", default=8.0)
# No longer used: the client makes one attempt per call and the Celery tasks retry with their own
# backoff. Still read (and still accepted in .env files) so existing configurations keep working.
OSRS_HISCORES_RETRY_DELAYS = [
    float(d)
    for d in env.list("OSRS_HISCORES_RETRY_DELAYS", default=["2", "4", "8", "16", "32"])
    if d.strip()
]
OSRS_HISCORES_RETRY_JITTER = env.float("OSRS_HISCORES_RETRY_JITTER", default=0.25)
# Circuit breaker: opens after this many consecutive transient failures, probes after cooldown.
OSRS_HISCORES_BREAKER_THRESHOLD = env.int("OSRS_HISCORES_BREAKER_THRESHOLD", default=5)
OSRS_HISCORES_BREAKER_COOLDOWN = env.float("OSRS_HISCORES_BREAKER_COOLDOWN", default=30.0)

# --- Fetching at the politeness limit (issue 16: queues, adaptive schedules) ----
# Idle players back off: after N unchanged scheduled fetches in a row the interval doubles, up to
# the maximum (never below the configured interval); the first progress resets it.
ADAPTIVE_FETCH = env.bool("ADAPTIVE_FETCH", default=True)
FETCH_BACKOFF_AFTER_UNCHANGED = env.int("FETCH_BACKOFF_AFTER_UNCHANGED", default=3)
FETCH_BACKOFF_MAX_MINUTES = env.int("FETCH_BACKOFF_MAX_MINUTES", default=1440)

# --- Name changes and missing players (issue 18, docs/names.md) ----
# A rename is rejected when the new name's Overall XP grew faster than this since the last snapshot.
NAME_CHANGE_MAX_XP_PER_HOUR = env.int("NAME_CHANGE_MAX_XP_PER_HOUR", default=2_000_000)
# Fetches in a row that find no board before a tracked player is marked missing (never deleted).
MISSING_AFTER_FETCHES = env.int("MISSING_AFTER_FETCHES", default=3)
# A scheduled fetch whose limiter slot is further away than this ends at once as `deferred`
# instead of holding a worker slot; interactive fetches may wait up to OSRS_HISCORES_MAX_WAIT.
FETCH_DEFER_AFTER_SECONDS = env.float("FETCH_DEFER_AFTER_SECONDS", default=4.0)

# --- Competitions (history app, docs/competitions.md) ----
# While a competition runs, each participant is fetched at least this often (minutes), whatever
# its adaptive interval: a sweep every 5 minutes queues the ones not fetched for this long.
COMPETITION_FETCH_MINUTES = env.int("COMPETITION_FETCH_MINUTES", default=60)
# The final fetch of a competition starts its waves' duration plus this many seconds before the
# end (slack for the last wave, retries and a busy limiter).
COMPETITION_FINAL_FETCH_MARGIN_SECONDS = env.int(
    "COMPETITION_FINAL_FETCH_MARGIN_SECONDS", default=120
)

# --- Snapshots (hiscores app) ----
SNAPSHOT_DEDUP_INCLUDE_RANKS = env.bool("SNAPSHOT_DEDUP_INCLUDE_RANKS", default=False)

# --- Drop parties (drops app) ----
DROP_DUPLICATE_WINDOW_SECONDS = env.float("DROP_DUPLICATE_WINDOW_SECONDS", default=0.5)
DROP_PARTY_IDLE_SECONDS = env.int("DROP_PARTY_IDLE_SECONDS", default=300)
DROPS_REQUIRE_AUTH = env.bool("DROPS_REQUIRE_AUTH", default=False)
DROPS_THROTTLE_RATE = env.str("DROPS_THROTTLE_RATE", default="600/minute")
# Public read-only mode (docs/console.md): anonymous users may GET players, stats, overview,
# history, leaderboards and parties; writes still need an operator. Throttled per client address.
PUBLIC_READ = env.bool("PUBLIC_READ", default=False)
PUBLIC_READ_THROTTLE_RATE = env.str("PUBLIC_READ_THROTTLE_RATE", default="120/minute")

# --- Operations: /metrics (osrs_diff.system.metrics) ----
# Bearer token required by GET /metrics; unset = only loopback/private addresses are served.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# prometheus-client multiprocess mode: every process writes its counters to files here (the
# library reads the variable itself at import; settings only makes sure the folder exists).
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
if PROMETHEUS_MULTIPROC_DIR:
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
# Where /metrics merges multiprocess files from (recursively): a shared volume holding one
# folder per container; defaults to PROMETHEUS_MULTIPROC_DIR.
METRICS_COLLECT_DIR = env.str("METRICS_COLLECT_DIR", default="") or PROMETHEUS_MULTIPROC_DIR
