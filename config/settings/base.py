"""Settings for every environment. Environment variables make the differences.

Development (``DJANGO_DEBUG=true``, the default of the run command) works with no
variables at all: SQLite, tasks run in-process, email printed to the console.
Anything else must say what it wants; a malformed value stops start-up.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean strictly: a typo must not silently switch a setting off."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false).")


def env_int(name: str, default: int) -> int:
    raw = env.str(name, default=str(default)).strip()
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. It is required whenever DJANGO_DEBUG is not true."
        )
    SECRET_KEY = "development-only-key-never-used-with-debug-off"  # noqa: S105

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # modeltranslation patches the admin, so it comes before it.
    "modeltranslation",
    # The Django admin, on a site that asks staff for their second factor (stakeholders.admin_site).
    "stakeholders.apps.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "guardian",
    # The audit trail: a historical table beside each domain model (core/history.py).
    "simple_history",
    "import_export",
    "django_celery_beat",
    "rest_framework",
    "drf_spectacular",
    # The layers, from the bottom (docs/architecture.md; checked by import-linter).
    "core",
    "stakeholders",
    "programme",
    "trainings",
    "research",
    "recommendations",
    "dashboard",
    "reports",
    "notifications",
    "imports",
    "api",
    "calendars",
    "publicsite",
    "loaders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files from the web process itself, compressed and cached.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks request.user verified when the session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    # A signed-in user's preferred language overrides LocaleMiddleware's choice (cookie,
    # browser); so it needs request.user, and comes after LocaleMiddleware and authentication.
    "stakeholders.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Names the signed-in user on each history entry a request makes.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Signs out idle and too-old sessions; after messages, so it can say why.
    "stakeholders.middleware.SessionTimeoutMiddleware",
    # Staff and the programme team give their code before any portal page answers them.
    "stakeholders.second_factor.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "dashboard.context_processors.platform",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite is the embedded default for trying the platform; production and the test suite use
# PostgreSQL through DATABASE_URL (postgres://user:pass@host:port/name, or ?host=/socket/dir).
_DEFAULT_DB = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
_db_url = env.str("DATABASE_URL", default=_DEFAULT_DB if DEBUG else "")
if not _db_url:
    raise ImproperlyConfigured("DATABASE_URL is not set. It is required when DJANGO_DEBUG is off.")
try:
    DATABASES = {"default": env.db_url_config(_db_url)}
except Exception as exc:  # django-environ raises several types for a bad URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
_SUPPORTED_ENGINES = {"django.db.backends.postgresql", "django.db.backends.sqlite3"}
if DATABASES["default"].get("ENGINE") not in _SUPPORTED_ENGINES:
    raise ImproperlyConfigured(
        f"DATABASE_URL has an unsupported scheme: {_db_url.split(':')[0]} "
        "(use postgres:// in production or sqlite:/// for a local run)"
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# Each web thread keeps its connection a minute and checks it before reuse (one SELECT 1 a
# request); docs/deployment.md, "Gunicorn sizing", has what `scripts/bench load` measured.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("DATABASE_CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and permissions -------------------------------------------------------------------
AUTH_USER_MODEL = "stakeholders.User"
AUTHENTICATION_BACKENDS = [
    # Records failed log-ins; it locks nobody out (AXES_LOCK_OUT_AT_FAILURE below).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # At least 8 characters, 15 or more recommended in the help text; no upper limit.
    {
        "NAME": "stakeholders.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8, "recommended_length": 15},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:dashboard"
LOGOUT_REDIRECT_URL = "login"
# Guardian's anonymous user is not used: anonymous visitors see nothing but the login page.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

# --- Sign-in, second factor and sessions (docs/security.md) ----------------------------------
# Links in emails (invitations, password resets) start with this address.
PLATFORM_URL = env.str("DJANGO_PLATFORM_URL", default="").strip().rstrip("/")
if not PLATFORM_URL:
    _host = next((h.lstrip(".") for h in ALLOWED_HOSTS if h.strip(".*")), "localhost")
    PLATFORM_URL = "http://127.0.0.1:8000" if DEBUG else f"https://{_host}"
if not PLATFORM_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"DJANGO_PLATFORM_URL={PLATFORM_URL!r} must start with https:// (or http://)."
    )
# Invitation and password-reset links work once, for this many seconds.
PASSWORD_RESET_TIMEOUT = env_int("DJANGO_PASSWORD_RESET_HOURS", 72) * 60 * 60
# A signed-in session ends after this long without a request, and this long after sign-in
# whatever happens; the cookie and the stored session never outlive the second.
SESSION_IDLE_TIMEOUT = env_int("DJANGO_SESSION_IDLE_MINUTES", 30) * 60
SESSION_ABSOLUTE_TIMEOUT = env_int("DJANGO_SESSION_ABSOLUTE_HOURS", 12) * 60 * 60
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
if not 0 < SESSION_IDLE_TIMEOUT <= SESSION_ABSOLUTE_TIMEOUT:
    raise ImproperlyConfigured(
        "DJANGO_SESSION_IDLE_MINUTES must be above 0 and no longer than "
        "DJANGO_SESSION_ABSOLUTE_HOURS."
    )
# Staff reach the admin only with a TOTP code from an authenticator app.
OTP_TOTP_ISSUER = "Anti-trafficking platform"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # an administrator never sees another's secret
# Failed log-ins (stakeholders.auth.login_attempt, docs/security.md): failures are counted per
# username across addresses and per address across usernames; past the free ones each further
# try waits 1, 2, 4… seconds, up to LOGIN_MAX_DELAY. A browser that signed in as the user
# before is counted on its own, so strangers' failures never hold up the account's owner.
LOGIN_FAILURES_PER_USERNAME = env_int("LOGIN_FAILURES_PER_USERNAME", 5)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 20)
LOGIN_MAX_DELAY = env_int("LOGIN_MAX_DELAY_MINUTES", 15) * 60
for _name, _value in (
    ("LOGIN_FAILURES_PER_USERNAME", LOGIN_FAILURES_PER_USERNAME),
    ("LOGIN_FAILURES_PER_ADDRESS", LOGIN_FAILURES_PER_ADDRESS),
    ("LOGIN_MAX_DELAY_MINUTES", LOGIN_MAX_DELAY),
):
    if _value < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more.")
# Failures are forgotten a day after the last one; a browser is remembered for a year.
LOGIN_FAILURES_FORGOTTEN_AFTER = 24 * 60 * 60
LOGIN_DEVICE_COOKIE_AGE = 365 * 24 * 60 * 60
# django-axes only records failures (the admin's *Access attempts*, the `axes` log, kept a
# day); the throttle above decides who waits.
AXES_LOCK_OUT_AT_FAILURE = False
AXES_COOLOFF_TIME = LOGIN_FAILURES_FORGOTTEN_AFTER / 3600  # hours
AXES_RESET_ON_SUCCESS = False  # failures before a success are worth seeing
AXES_USERNAME_CALLABLE = "stakeholders.auth.login_username"
AXES_CLIENT_IP_CALLABLE = "stakeholders.auth.client_ip"
# Behind this many reverse proxies the client address is read from X-Forwarded-For
# (the one the outermost trusted proxy saw); 0 reads the connection's own address.
# docker-compose.yml sets 1, for the one nginx of docs/deployment.md.
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("DJANGO_TRUSTED_PROXY_COUNT must be 0 or more.")
# The log names the username and address of a failure: that is what it is for.
AXES_SENSITIVE_PARAMETERS: list[str] = []

# --- Languages -------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("mk", _("Macedonian")),
    ("sq", _("Albanian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
# A text missing in the reader's language falls back to English, else to whichever language
# has one: a record written only in Macedonian is never blank (core.translations.shown_text).
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en", "mk", "sq")
FORMAT_MODULE_PATH = ["config.formats"]
# The language cookie goes over HTTPS only wherever the session cookie does, stays on this
# site, and is out of reach of scripts (none reads it: the server sets the page's language).
LANGUAGE_COOKIE_SECURE = not DEBUG and env_bool("DJANGO_SECURE_COOKIES", True)
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = "Europe/Skopje"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ---------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# WhiteNoise serves what collectstatic gathered, under content-hashed names cached for a year.
# Debug runs serve the source files directly, so no collectstatic step is needed there.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploaded files are served only through permission-checked views, never from a public URL.
MEDIA_URL = "/media-not-public/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Email -----------------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.org:587 ; console output in development.
try:
    vars().update(
        env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
    )
except Exception as exc:
    raise ImproperlyConfigured(f"EMAIL_URL is not a valid email URL: {exc}") from exc
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="noreply@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 10

# --- Celery ----------------------------------------------------------------------------------
# With no REDIS_URL, tasks run in-process (the embedded default); the UI says so.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 540)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Longer than the longest task, so Redis does not redeliver a task that is still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT * 2}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Memory (docs/deployment.md, "Memory"): a worker process grown past this many KiB by a job
# (an import of a large file) is replaced by a fresh one once the job is done.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 200_000)
# In the embedded mode the import jobs run in a child process, so the web process is as small
# after an import as before it; the tests run them in-process, inside their transactions.
IMPORT_JOBS_IN_CHILD_PROCESS = env_bool("IMPORT_JOBS_IN_CHILD_PROCESS", CELERY_TASK_ALWAYS_EAGER)
# The email outbox (notifications): tries before an email is marked failed, and the
# wait after the first failed try, which doubles after each one.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_RETRY_SECONDS = env_int("OUTBOX_RETRY_SECONDS", 60)

# --- Cache -----------------------------------------------------------------------------------
# Shared by every web process and worker through the same Redis as Celery; without REDIS_URL
# (embedded mode, tests) each process keeps its own. Nothing in it is needed: the dashboard's
# "at a glance" figures (dashboard/glance.py) are counted again when it is empty or down, so
# short timeouts keep an unreachable Redis from holding a page up. The throttle on failed
# log-ins keeps its counts here too, so every worker sees them; with Redis down it lets sign-in
# go on unthrottled (docs/security.md).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cache",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# How long the glance figures are kept at most. The services that change what they count
# renew them at once; this bounds how stale they get after a change that bypasses the services.
GLANCE_CACHE_SECONDS = env_int("GLANCE_CACHE_SECONDS", 300)

# --- Security --------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # forms carry the token; no script needs to read the cookie
# A refused form gets the platform's own page (Django's is styled inline, which CSP blocks).
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy: pages load scripts, styles, fonts and images from this site only;
# no inline script or style, no plugins, no <base> rewriting, never framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    },
}
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preload-ready by default (a year, subdomains); set false for a domain whose
    # subdomains cannot all serve HTTPS.
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Platform --------------------------------------------------------------------------------
# Training participants' details are erased this many days after their last training
# (the retention job, daily); their sex, profession and institution stay in the figures.
PARTICIPANT_RETENTION_DAYS = env_int("PARTICIPANT_RETENTION_DAYS", 5 * 365)
if PARTICIPANT_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("PARTICIPANT_RETENTION_DAYS must be 1 or more.")
# Demo records may be loaded only where this is true (development by default), so demo data
# never lands in a production database by accident.
DEMO_DATA_ALLOWED = env_bool("DJANGO_DEMO_DATA_ALLOWED", DEBUG)
# PDF reports render in a child process that is stopped past these limits (the job fails,
# the worker carries on): wall-clock seconds, and megabytes of address space.
REPORT_RENDER_TIMEOUT = env_int("REPORT_RENDER_TIMEOUT", 120)
REPORT_RENDER_MEMORY_MB = env_int("REPORT_RENDER_MEMORY_MB", 1024)
# A long report's parts render side by side in this many children (each within the limits
# above); 1 renders every report as one document.
REPORT_RENDER_PROCESSES = env_int("REPORT_RENDER_PROCESSES", min(4, os.cpu_count() or 1))
if REPORT_RENDER_PROCESSES < 1:
    raise ImproperlyConfigured("REPORT_RENDER_PROCESSES must be 1 or more.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # runserver prints its own start-up lines; the root logger need not repeat them.
        "django.utils.autoreload": {"level": "WARNING"},
        # WeasyPrint narrates each step of every render (and of its own import) at INFO.
        "weasyprint": {"level": "WARNING"},
        # django-axes announces itself at every start; failures still log at WARNING.
        "axes.apps": {"level": "WARNING"},
    },
}

# --- IATI ------------------------------------------------------------------------------------
# The action's IATI 2.03 file (/iati/activities.xml, docs/iati.md). The Council of Europe
# reports it; the European Commission's DG NEAR funds it. Confirm both organisation identifiers
# with the IATI Registry before registering the file: an identifier, once published, stays.
IATI_REPORTING_ORG_REF = env.str("IATI_REPORTING_ORG_REF", default="XI-IATI-COE").strip()
IATI_FUNDING_ORG_REF = env.str("IATI_FUNDING_ORG_REF", default="XI-IATI-EC_NEAR").strip()
# The action's own code, after the reporting organisation's in the activity identifier;
# empty: "ACTION-<its number in this database>".
IATI_ACTIVITY_CODE = env.str("IATI_ACTIVITY_CODE", default="").strip()
if not IATI_REPORTING_ORG_REF or not IATI_FUNDING_ORG_REF:
    raise ImproperlyConfigured("IATI_REPORTING_ORG_REF and IATI_FUNDING_ORG_REF cannot be empty.")

# --- The REST API (api/, docs/api.md) --------------------------------------------------------
# Read-only; personal bearer tokens or the session; every list paged. A token (or a signed-in
# user) may make API_RATE requests: a number, a slash and second, minute, hour or day.
API_RATE = env.str("API_RATE", default="600/minute")
_api_count, _api_slash, _api_per = API_RATE.partition("/")
if not (
    _api_count.isdigit() and int(_api_count) > 0 and _api_per in ("second", "minute", "hour", "day")
):
    raise ImproperlyConfigured("API_RATE must look like 600/minute (second, minute, hour, day).")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a request without credentials answers 401 with WWW-Authenticate.
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.ApiPagination",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenOrUserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": API_RATE},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Anti-trafficking action API",
    "DESCRIPTION": "Read-only access to the platform's records, as the portal shows them to "
    "the token's owner. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
}
