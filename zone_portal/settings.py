"""Settings of the pilot-zone public service platform, read from the environment.

Every variable is listed with its meaning in ``.env.example``. ``DATABASE_URL``, ``REDIS_URL``,
``SECRET_KEY``, ``FIELD_ENCRYPTION_KEYS`` and ``BLIND_INDEX_KEY`` have no default: the portal
refuses to start without them rather than fall back to SQLite, eager Celery or a known key.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "zone_portal.core",
    "zone_portal.accounts",
    "zone_portal.audit",
    "zone_portal.codes",
    "zone_portal.portal",
    "zone_portal.api",
    "zone_portal.events",
    "filings",
    "filings.reconciliation",
    "filings.clearance",
    "filings.summary",
    "logistics",
    "finance",
    "credit",
    "risk",
    "stats",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "axes",
    "pgtrigger",
]

MIDDLEWARE = [
    "zone_portal.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "zone_portal.accounts.middleware.OfficerIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "zone_portal.urls"
WSGI_APPLICATION = "zone_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zone_portal.portal.context_processors.navigation",
            ],
        },
    },
]

# --- data stores ----------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL")}
# Persistent connections: DESIGN.md §7 measured 700 req/s with them and 186 without.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] not in (
    "django.db.backends.postgresql",
    "django.db.backends.postgresql_psycopg2",
):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database (postgres://…).")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "zone_portal.core.cache.RedisCache",  # Django's, one client per pool
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="zp"),
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = False  # never: tests use a real worker where behaviour depends on it
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=270)
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Keep the project's JSON, masked logging in workers and beat instead of Celery's plain format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Periodic tasks, declared here once; beat's DatabaseScheduler copies them into django-celery-beat.
CELERY_BEAT_SCHEDULE = {
    "webhook-deliveries-sweep": {"task": "zone_portal.events.tasks.webhook_deliveries_sweep", "schedule": 60.0},
    "clearance-sweep": {"task": "filings.clearance.tasks.clearance_sweep", "schedule": 300.0},
    # Reconciliation: release dead workers' claims, queue documents the after-commit path missed
    # and report sets waiting past RECONCILIATION_INCOMPLETE_AFTER as incomplete.
    "reconciliation-sweep": {"task": "filings.reconciliation.tasks.reconciliation_sweep", "schedule": 300.0},
    # The export summary of the previous month (汇总申报, due by the 15th): day 1 does the work, the
    # next days are cheap no-ops that catch a run lost to an outage.
    "export-summary-monthly": {"task": "filings.summary.tasks.summary_month_run",
                               "schedule": crontab(minute=30, hour=1,
                                                   day_of_month=env.str("SUMMARY_RUN_DAYS", default="1-5"))},
}

# --- accounts and security ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "zone_portal.accounts.validators.CharacterClassesValidator",
     "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:home"

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Officers are logged out after this many idle seconds; enterprise users keep Django's default.
OFFICER_IDLE_TIMEOUT = env.int("OFFICER_IDLE_TIMEOUT", default=30 * 60)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
# Working days a department has to decide a filing review before it shows as overdue.
FILING_REVIEW_LIMIT_WORKING_DAYS = env.int("FILING_REVIEW_LIMIT_WORKING_DAYS", default=3)
REGISTRATION_RATE_LIMIT = env.str("REGISTRATION_RATE_LIMIT", default="5/h")

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Load balancers probe plain HTTP: answer them with the checks rather than a redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- personal data (国密) -------------------------------------------------------------------
# "kid:hex" pairs, newest first. The first key encrypts; every key decrypts (see README,
# "Rotating the field-encryption key").
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY")

# --- email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@zone-portal.example")

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploaded files are private: never under STATIC_ROOT, never served by the web server directly.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
MEDIA_URL = "/media/"

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "zone_portal.api.authentication.SignedRequestAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: DRF's browsable pages need inline scripts, which the CSP forbids.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "zone_portal.api.negotiation.JsonOnlyContentNegotiation",
    "DEFAULT_THROTTLE_CLASSES": ["zone_portal.api.throttling.ApiClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_client": env.str("API_CLIENT_RATE", default="6000/min"),
    },
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "zone_portal.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pilot-zone public service platform API / 综试区线上综合服务平台接口",
    "DESCRIPTION": "Partner API of the cross-border e-commerce comprehensive pilot zone. "
    "Every request is signed with the client's key (see the README, 'Calling the API').",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}
API_SIGNATURE_MAX_SKEW = env.int("API_SIGNATURE_MAX_SKEW", default=300)
API_IDEMPOTENCY_TTL = env.int("API_IDEMPOTENCY_TTL", default=24 * 3600)
API_IDEMPOTENCY_LOCK_TIMEOUT = env.int("API_IDEMPOTENCY_LOCK_TIMEOUT", default=60)
# Bulk declarations (up to 1,000 documents a request) are read whole to check their signature.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)

# --- clearance: quota, tax and the inventory list's life (filings.clearance) ---------------------
# Limits, the 70 % factor and return windows are dated reference rows edited in the back office;
# these are the operating knobs.
CLEARANCE_RETAIL_IMPORT_TRADE_MODES = tuple(env.list("CLEARANCE_RETAIL_IMPORT_TRADE_MODES",
                                                     default=["9610", "1210", "1239"]))
CLEARANCE_BATCH_SIZE = env.int("CLEARANCE_BATCH_SIZE", default=500)  # lists per Celery task
CLEARANCE_QUOTA_QUERY_RATE = env.str("CLEARANCE_QUOTA_QUERY_RATE", default="10/m")  # consumer page, per IP
CLEARANCE_SWEEP_AFTER_SECONDS = env.int("CLEARANCE_SWEEP_AFTER_SECONDS", default=300)

# --- reconciliation (三单比对, filings.reconciliation; docs/reconciliation.md) ----------------------
RECONCILIATION_BATCH_SIZE = env.int("RECONCILIATION_BATCH_SIZE", default=5000)  # order keys per batch
# A claim older than this (seconds) belongs to a dead worker: the sweep releases it.
RECONCILIATION_CLAIM_TIMEOUT = env.int("RECONCILIATION_CLAIM_TIMEOUT", default=600)
# How long (seconds) a set may wait for its documents before it is reported incomplete.
RECONCILIATION_INCOMPLETE_AFTER = env.int("RECONCILIATION_INCOMPLETE_AFTER", default=24 * 3600)
# Export orderTypes whose set needs no receipt (9710/9810: order and waybill only).
RECONCILIATION_EXPORT_RECEIPT_OPTIONAL_ORDER_TYPES = tuple(
    env.list("RECONCILIATION_EXPORT_RECEIPT_OPTIONAL_ORDER_TYPES", default=["B", "W"]))
RECONCILIATION_DRAIN_BUDGET = env.int("RECONCILIATION_DRAIN_BUDGET", default=60)  # seconds per drain task
RECONCILIATION_KICK_TTL = env.int("RECONCILIATION_KICK_TTL", default=30)  # seconds one waiting drain task covers
RECONCILIATION_SWEEP_CHUNK = env.int("RECONCILIATION_SWEEP_CHUNK", default=200_000)  # declaration ids per statement
RECONCILIATION_EVENT_GROUP = env.int("RECONCILIATION_EVENT_GROUP", default=100)  # results per event
RECONCILIATION_WORK_MEM = env.str("RECONCILIATION_WORK_MEM", default="64MB")  # PostgreSQL work_mem of a batch
# RECONCILIATION_TEST_BATCH_DELAY is a test hook (tests/filings/reconciliation/worker_settings.py),
# not an operating setting: a batch that sleeps while it holds its locks is never wanted here.

# --- export summary declaration (汇总申报, filings.summary) ---------------------------------------
# Keys the lists are grouped by, dated: JSON [["2019-01-01", {"head": [...], "lines": [...]}], ...];
# unset: the keys of customs.md §4.2 (filings/summary/keys.py, DEFAULT_GROUPING).
SUMMARY_GROUPING = env.json("SUMMARY_GROUPING", default=None)
SUMMARY_DEFAULT_SUMMARY_FLAG = env.str("SUMMARY_DEFAULT_SUMMARY_FLAG", default="2")  # monthly job's summaryFlag
SUMMARY_DEFAULT_ITEM_NAME_FLAG = env.str("SUMMARY_DEFAULT_ITEM_NAME_FLAG", default="")  # and its itemNameFlag
SUMMARY_DECLARE_BY_DAY = env.int("SUMMARY_DECLARE_BY_DAY", default=15)  # day of the month summaries are due
# decState of the CEB792 head per summary status, JSON {"generated": "1", "confirmed": "2"}; unset: those.
SUMMARY_DEC_STATES = env.json("SUMMARY_DEC_STATES", default=None)
SUMMARY_PDF_FONT = env.str("SUMMARY_PDF_FONT", default="")  # CJK .ttf/.ttc for the PDF; "": the first found
SUMMARY_WORK_MEM = env.str("SUMMARY_WORK_MEM", default="256MB")  # PostgreSQL work_mem of a summary run
SUMMARY_TASK_SOFT_TIME_LIMIT = env.int("SUMMARY_TASK_SOFT_TIME_LIMIT", default=1500)  # seconds, monthly run

# --- events and webhooks (zone_portal.events; README, "Webhooks") --------------------------------
# Plain-http webhook URLs, and URLs on private/loopback addresses: for development and tests only.
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=DEBUG)
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=DEBUG)
WEBHOOK_TIMEOUT = env.int("WEBHOOK_TIMEOUT", default=5)  # seconds to connect, and to wait for the answer
WEBHOOK_RETRY_WINDOW = env.int("WEBHOOK_RETRY_WINDOW", default=24 * 3600)  # then a delivery is failed
WEBHOOK_RETRY_BASE_DELAY = env.int("WEBHOOK_RETRY_BASE_DELAY", default=30)  # doubled after each failure
# At most this long between attempts; keep it below the Redis broker's visibility timeout (1 h).
WEBHOOK_RETRY_MAX_DELAY = env.int("WEBHOOK_RETRY_MAX_DELAY", default=1800)
# An endpoint failing this many times in a row, for at least this many seconds, is disabled.
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=20)
WEBHOOK_DISABLE_WINDOW = env.int("WEBHOOK_DISABLE_WINDOW", default=24 * 3600)
WEBHOOK_BATCH_SIZE = env.int("WEBHOOK_BATCH_SIZE", default=100)  # deliveries per Celery task

# --- logging --------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "zone_portal.core.logging.RequestIdFilter"},
        "mask_personal_data": {"()": "zone_portal.core.logging.MaskPersonalDataFilter"},
    },
    "formatters": {
        "json": {"()": "zone_portal.core.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "mask_personal_data"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

ADMIN_SITE_HEADER = _("Pilot-zone platform back office")
